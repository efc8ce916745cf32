import asyncio
import subprocess
import sys

import pytest
from channels.layers import channel_layers

from workshop import health
from workshop.layers import WorkshopInMemoryChannelLayer, layer_reconnected


def test_it_reports_database_and_channel_layer(client, db):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"database": "ok", "channel_layer": "ok"}}


def test_it_stays_healthy_over_many_requests_on_redis(client, db, settings):
    """The test client runs each request in an event loop of its own: what the watch missed
    in an earlier loop must not make a later one deaf."""
    from tests.conftest import redis_url_or_skip

    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "workshop.layers.WorkshopRedisPubSubChannelLayer",
        "CONFIG": {"hosts": [redis_url_or_skip()]}}}
    channel_layers.backends.clear()
    try:
        statuses = [client.get("/healthz").status_code for _ in range(4)]
    finally:
        channel_layers.backends.clear()
    assert statuses == [200, 200, 200, 200]


def test_it_answers_503_naming_the_layer_when_it_is_down(client, db, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Nothing listens on port 1: the round trip fails at once.
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        r = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert r.status_code == 503
    assert r.json()["down"] == ["channel_layer"]
    assert r.json()["checks"]["database"] == "ok"


def run_settings(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True, text=True,
    )


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_starts_with_production_settings():
    result = run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "dna.example"})
    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            "PATH": "/usr/bin:/bin", "DEBUG": "0", "ALLOWED_HOSTS": "dna.example",
            "SECRET_KEY": "k7$Jq9!vL2@pX8#rT5^wN3&zM6*bC4(hF1)dG0_yS-eA+uR=iO~lK",
        },
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class DeafLayer(WorkshopInMemoryChannelLayer):
    """An in-memory layer that loses every message while `deaf`, as a process does whose
    subscriber connection died without anyone noticing."""

    deaf = False
    reconnects = 0

    async def send(self, channel, message):
        if not self.deaf:
            await super().send(channel, message)

    async def reconnect(self):
        self.reconnects += 1


@pytest.fixture
def watched(monkeypatch):
    layer = DeafLayer()
    monkeypatch.setattr(health, "get_channel_layer", lambda: layer)
    watch = health.LayerWatch(interval=0.01, timeout=0.05, misses=2)
    resyncs = []
    layer_reconnected.connect(lambda **kwargs: resyncs.append(1), weak=False,
                              dispatch_uid="test-watch-resyncs")
    yield watch, layer, resyncs
    layer_reconnected.disconnect(dispatch_uid="test-watch-resyncs")
    watch.stop()


@pytest.mark.asyncio
async def test_a_process_that_stops_hearing_the_layer_reports_it_and_reconnects(watched):
    watch, layer, resyncs = watched
    assert await watch.check()
    assert watch.status() == "not watching"  # checked by hand here, not in the background

    layer.deaf = True
    assert not await watch.check()
    assert not watch.deaf  # one round trip lost is not yet deafness
    assert not await watch.check()
    assert watch.deaf
    assert watch.status().startswith("down: deaf")
    assert layer.reconnects == 1  # it asked the layer to connect again

    layer.deaf = False
    assert await watch.check()
    assert not watch.deaf
    # Pushes sent while it was deaf never reached its sockets: they re-send their state.
    assert resyncs == [1]


@pytest.mark.asyncio
async def test_it_watches_by_itself_once_started(watched):
    watch, layer, resyncs = watched
    layer.deaf = True
    watch.ensure_started()
    for _ in range(100):
        if watch.deaf:
            break
        await asyncio.sleep(0.02)
    assert watch.deaf
    layer.deaf = False
    for _ in range(100):
        if not watch.deaf:
            break
        await asyncio.sleep(0.02)
    assert not watch.deaf and resyncs == [1]


def test_healthz_answers_503_while_the_process_is_deaf(client, db, monkeypatch):
    monkeypatch.setattr(health.layer_watch, "deaf_since", 0.0)
    monkeypatch.setattr(health.layer_watch, "round_trip", _heard)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["down"] == ["channel_layer"]


async def _heard() -> bool:
    return True
