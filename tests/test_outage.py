"""A saved write is a success even if its push fails, and every screen converges afterwards:
against a Redis of the test's own that is stopped and started again (bench/servers.py)."""

import asyncio
import random
import shutil
import time

import pytest
from channels.layers import channel_layers

from bench.load import Browser, Client, Phone, change_step, facilitator_login
from bench.servers import FACILITATOR, Cluster, RedisServer, count_answers, prepare, server_env
from workshop import layers


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = RedisServer().start()
    yield redis
    redis.stop()


async def eventually(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


@pytest.mark.asyncio
async def test_the_first_publish_after_a_redis_restart_goes_through(own_redis):
    layer = layers.WorkshopRedisPubSubChannelLayer(hosts=[own_redis.url])
    reconnected = []
    layers.layer_reconnected.connect(lambda **kwargs: reconnected.append(1), weak=False,
                                     dispatch_uid="test-reconnected")
    try:
        channel = await layer.new_channel()
        await layer.group_add("phones", channel)
        await layer.group_send("phones", {"type": "before"})
        assert (await asyncio.wait_for(layer.receive(channel), 2))["type"] == "before"

        own_redis.stop()
        own_redis.start()
        await layer.group_send("phones", {"type": "first"})  # the stock layer raises here
        # The process hears its groups again, and says so, so its sockets re-sync.
        assert await eventually(lambda: reconnected)
        await layer.group_send("phones", {"type": "after"})
        received = [(await asyncio.wait_for(layer.receive(channel), 5))["type"]]
        if received == ["first"]:  # published before the subscriber was back, or not
            received.append((await asyncio.wait_for(layer.receive(channel), 5))["type"])
        assert received[-1] == "after"
    finally:
        layers.layer_reconnected.disconnect(dispatch_uid="test-reconnected")
        await layer.flush()


@pytest.mark.asyncio
async def test_the_receive_task_survives_a_timeout_error(own_redis):
    layer = layers.WorkshopRedisPubSubChannelLayer(hosts=[own_redis.url])
    try:
        channel = await layer.new_channel()
        await layer.group_add("phones", channel)
        shard = layer._get_layer()._shards[0]
        real_get_message = shard._pubsub.get_message
        raised = []

        async def get_message_once_broken(**kwargs):
            if not raised:
                raised.append(1)
                raise TimeoutError  # what asyncio.TimeoutError is in Python 3.11
            return await real_get_message(**kwargs)

        shard._pubsub.get_message = get_message_once_broken
        assert await eventually(lambda: raised)
        await layer.group_send("phones", {"type": "still-heard"})
        assert (await asyncio.wait_for(layer.receive(channel), 5))["type"] == "still-heard"
    finally:
        await layer.flush()
        channel_layers.backends.clear()


@pytest.mark.asyncio
async def test_a_process_whose_receive_task_died_notices_and_hears_again(own_redis,
                                                                          monkeypatch):
    from workshop import health

    layer = layers.WorkshopRedisPubSubChannelLayer(hosts=[own_redis.url])
    monkeypatch.setattr(health, "get_channel_layer", lambda: layer)
    watch = health.LayerWatch(interval=0.05, timeout=0.3, misses=2)
    resyncs = []
    layers.layer_reconnected.connect(lambda **kwargs: resyncs.append(1), weak=False,
                                     dispatch_uid="test-watch-redis")
    try:
        channel = await layer.new_channel()
        await layer.group_add("phones", channel)
        watch.ensure_started()
        assert await eventually(lambda: watch.last_heard is not None)

        # What channels_redis's own receive task does on a TimeoutError: it ends, and nothing
        # starts it again until the next subscribe. The process is deaf and does not know.
        shard = layer._get_layer()._shards[0]
        shard._receive_task.cancel()
        assert await eventually(lambda: watch.deaf, timeout=5)

        # It connects again, hears again, and its sockets re-send their state.
        assert await eventually(lambda: not watch.deaf, timeout=10)
        assert resyncs
        await layer.group_send("phones", {"type": "heard-again"})
        assert (await asyncio.wait_for(layer.receive(channel), 5))["type"] == "heard-again"
    finally:
        watch.stop()
        layers.layer_reconnected.disconnect(dispatch_uid="test-watch-redis")
        await layer.flush()


def test_writes_during_a_redis_outage_are_acknowledged_and_reach_every_phone(tmp_path,
                                                                              own_redis):
    env = server_env(f"sqlite:///{tmp_path / 'outage.sqlite3'}", own_redis.url)
    code = prepare(env)
    with Cluster(env, processes=2, log_dir=tmp_path) as cluster:
        outcome = asyncio.run(_outage(cluster.bases, code, own_redis))
    assert outcome["answer_statuses"] == {200}
    assert outcome["late_join"] == (200, True)
    assert outcome["revealed"] == outcome["phones"], outcome
    # Four phones answered everything; the one that joined during the outage is one of five.
    assert count_answers(env, code) == {"participants": 5, "answers": 16, "votes": 4}


async def _outage(bases: list[str], code: str, redis: RedisServer) -> dict:
    async with Client.open() as client:
        facilitator = await facilitator_login(client, bases[0], *FACILITATOR)
        phones = [Phone(i, Browser(client, bases[i % len(bases)]), code, random.Random(i))
                  for i in range(4)]
        for phone in phones:
            await phone.join()
        listeners = [asyncio.ensure_future(phone.listen()) for phone in phones]
        await change_step(facilitator, code, "answering")
        assert await eventually(lambda: all(p.answering.is_set() for p in phones))

        redis.stop()
        # Answers, a join and the reveal while no push can go out: each is saved and says so.
        for phone in phones:
            await phone.answer_all(window=0.2)
        late = Browser(client, bases[1])
        page = await late.request("GET", f"/j/{code}/")
        from bench.load import CSRF_INPUT, JOIN_KEY

        joined = await late.request("POST", f"/j/{code}/", {
            "csrfmiddlewaretoken": CSRF_INPUT.search(page.text).group(1),
            "discipline": "Marketing", "join_key": JOIN_KEY.search(page.text).group(1)})
        await change_step(facilitator, code, "revealed")
        await asyncio.sleep(1.0)  # a few retries fail
        assert not any(p.revealed.is_set() for p in phones)

        redis.start()
        await eventually(lambda: all(p.revealed.is_set() for p in phones), timeout=20)
        for phone in phones:
            phone.leaving = True
            await phone.ws.close()
        await asyncio.gather(*listeners, return_exceptions=True)
        return {
            "phones": len(phones),
            "revealed": sum(p.revealed.is_set() for p in phones),
            "answer_statuses": {200} if not any(p.errors for p in phones)
            else {e for p in phones for e in p.errors},
            "late_join": (joined.status_code, f"dna_p_{code}" in late.cookies),
        }
