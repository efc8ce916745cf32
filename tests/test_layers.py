"""The embedded default's channel layer: the stock in-memory layer, cheaper with many phones."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer

from workshop.layers import WorkshopInMemoryChannelLayer

pytestmark = pytest.mark.asyncio


async def test_it_delivers_a_group_send_to_every_member():
    layer = WorkshopInMemoryChannelLayer()
    channels = [await layer.new_channel() for _ in range(50)]
    for channel in channels:
        await layer.group_add("phones", channel)
    await layer.group_discard("phones", channels[0])

    await layer.group_send("phones", {"type": "stage.push", "html": "<p>x</p>"})

    received = await asyncio.gather(*(layer.receive(c) for c in channels[1:]))
    assert received == [{"type": "stage.push", "html": "<p>x</p>"}] * 49
    assert layer.channels.get(channels[0]) is None  # nothing for the one that left


async def test_each_member_gets_a_copy_of_the_message():
    layer = WorkshopInMemoryChannelLayer()
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", a)
    await layer.group_add("g", b)
    await layer.group_send("g", {"type": "t", "items": [1]})
    first = await layer.receive(a)
    first["items"].append(2)
    assert (await layer.receive(b))["items"] == [1]


async def test_it_sweeps_for_expired_messages_at_most_once_a_second(monkeypatch):
    sweeps = []
    monkeypatch.setattr(InMemoryChannelLayer, "_clean_expired", lambda self: sweeps.append(1))
    layer = WorkshopInMemoryChannelLayer()
    channels = [await layer.new_channel() for _ in range(100)]
    for channel in channels:
        await layer.group_add("phones", channel)

    await layer.group_send("phones", {"type": "t"})
    await asyncio.gather(*(layer.receive(c) for c in channels))
    assert len(sweeps) == 1  # the stock layer sweeps 101 times, each over every channel

    layer._swept_at -= layer.sweep_interval
    await layer.group_send("phones", {"type": "t"})
    assert len(sweeps) == 2


async def test_it_still_drops_expired_messages():
    layer = WorkshopInMemoryChannelLayer(expiry=0)
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.send(channel, {"type": "t"})
    await asyncio.sleep(0.01)
    layer._swept_at -= layer.sweep_interval
    layer._clean_expired()
    assert channel not in layer.channels
    assert channel not in layer.groups.get("g", {})  # an expired message ends the membership


async def test_a_listening_channel_keeps_its_queue_between_messages():
    layer = WorkshopInMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.group_send("g", {"type": "t", "n": 1})
    queue = layer.channels[channel]
    assert (await layer.receive(channel))["n"] == 1
    await layer.group_send("g", {"type": "t", "n": 2})
    assert layer.channels[channel] is queue  # no new queue per message
    assert (await layer.receive(channel))["n"] == 2


async def test_a_consumer_that_ends_leaves_no_queue_behind():
    layer = WorkshopInMemoryChannelLayer()
    channel = await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    assert channel in layer.channels
    waiting.cancel()  # as channels cancels a consumer's receive when its socket closes
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert channel not in layer.channels


async def test_the_sweep_drops_idle_empty_queues_and_no_message_is_lost():
    layer = WorkshopInMemoryChannelLayer()
    idle, busy, listening = [await layer.new_channel() for _ in range(3)]
    for channel in (idle, busy, listening):
        await layer.group_add("g", channel)
    await layer.group_send("g", {"type": "t", "n": 1})
    assert (await layer.receive(idle))["n"] == 1  # then idle: an empty queue, nobody waiting
    waiting = asyncio.ensure_future(layer.receive(listening))
    await asyncio.sleep(0)
    assert (await waiting)["n"] == 1
    waiting = asyncio.ensure_future(layer.receive(listening))
    await asyncio.sleep(0)

    layer._swept_at -= layer.sweep_interval
    layer._clean_expired()
    assert idle not in layer.channels
    assert layer.channels[busy].qsize() == 1  # still holds a message
    assert listening in layer.channels  # a receive waits on it

    await layer.group_send("g", {"type": "t", "n": 2})
    assert (await waiting)["n"] == 2
    assert [(await layer.receive(busy))["n"] for _ in range(2)] == [1, 2]
    assert (await layer.receive(idle))["n"] == 2  # a fresh queue took the message
