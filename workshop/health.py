"""Is this process healthy? GET /healthz asks for the database and the channel layer, and every
process watches its own channel layer: a message it sends through the layer to itself must
come back, or the process cannot hear the pushes meant for its sockets."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

from workshop.layers import layer_reconnected

logger = logging.getLogger(__name__)


class LayerWatch:
    """Every `interval` seconds, a message from this process to a channel of its own, through
    the channel layer (Redis: out to the server and back over the subscriber connection that
    carries every push). `misses` round trips in a row that do not come back within `timeout`
    make the process deaf: it says so in /healthz (503, so a load balancer stops sending phones
    to it), and asks the layer to connect again. When its messages come back, its sockets
    re-send their state from the database (`layer_reconnected`): pushes sent in between never
    reached them.

    One per process, started in the server's event loop by the first socket.
    """

    def __init__(self, interval: float = 5.0, timeout: float = 5.0, misses: int = 2):
        self.interval = interval
        self.timeout = timeout
        self.misses = misses
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._reader: asyncio.Task | None = None
        self._channel: str | None = None
        self._waiting: dict[str, asyncio.Future] = {}
        self._lock: asyncio.Lock | None = None
        self.missed = 0
        self.deaf_since: float | None = None
        self.last_heard: float | None = None
        self.round_trip_seconds: float | None = None
        self._reconnects = 0
        self._reconnects_when_deaf = 0
        self._layer = None
        layer_reconnected.connect(self._count_reconnect, weak=False,
                                  dispatch_uid="layer-watch-reconnects")

    def _count_reconnect(self, sender, **kwargs) -> None:
        self._reconnects += 1

    @property
    def deaf(self) -> bool:
        return self.deaf_since is not None

    def ensure_started(self) -> None:
        """Start watching in the running event loop (again, if the loop is a new one)."""
        loop = self._bind()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._watch())

    def _bind(self) -> asyncio.AbstractEventLoop:
        """Everything the watch holds belongs to one event loop (tests start many)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._task, self._lock = loop, None, asyncio.Lock()
            self._channel, self._reader, self._waiting = None, None, {}
        return loop

    def stop(self) -> None:
        for task in (self._task, self._reader):
            if task is not None:
                task.cancel()
        self._task = self._reader = None

    async def _watch(self) -> None:
        # Python 3.11's wait_for can swallow a cancellation that arrives as its future
        # completes; the task still counts it, so a loop that is shutting down ends here.
        while not asyncio.current_task().cancelling():
            await self.check()
            await asyncio.sleep(self.interval)

    async def check(self) -> bool:
        """One round trip; updates the state and acts on it. True if the message came back."""
        heard = await self.round_trip()
        if heard:
            self.missed = 0
            self.last_heard = time.monotonic()
            if self.deaf:
                logger.warning("The channel layer hears this process again after %.0f s",
                               time.monotonic() - self.deaf_since)
                self.deaf_since = None
                if self._reconnects == self._reconnects_when_deaf:
                    # It came back without a reconnect (which would have told them itself).
                    layer_reconnected.send(sender=type(self))
            return True
        self.missed += 1
        if self.missed >= self.misses and not self.deaf:
            self.deaf_since = time.monotonic()
            self._reconnects_when_deaf = self._reconnects
            logger.error("This process no longer hears the channel layer (%d round trips "
                         "missed); connecting again", self.missed)
        if self.deaf:
            await self._reconnect()
        return False

    async def round_trip(self) -> bool:
        self._bind()
        async with self._lock:
            layer = get_channel_layer()
            if layer is not self._layer:  # the settings changed (tests): start afresh
                if self._reader is not None:
                    self._reader.cancel()
                self._layer, self._channel, self._reader = layer, None, None
            token = uuid.uuid4().hex
            future = asyncio.get_running_loop().create_future()
            self._waiting[token] = future
            started = time.monotonic()
            try:
                if self._channel is None:
                    self._channel = await layer.new_channel("healthz.")
                if self._reader is None or self._reader.done():
                    self._reader = asyncio.ensure_future(self._read(layer, self._channel))
                await layer.send(self._channel, {"type": "healthz.echo", "token": token})
                await asyncio.wait_for(future, self.timeout)
            except Exception:  # a layer that is down fails in many ways; all mean "not heard"
                logger.info("A round trip through the channel layer failed", exc_info=True)
                return False
            finally:
                self._waiting.pop(token, None)
            self.round_trip_seconds = time.monotonic() - started
            return True

    async def _read(self, layer, channel: str) -> None:
        # One reader that is never cancelled by a timeout: the Redis layer unsubscribes a
        # channel whose receive is cancelled.
        while True:
            message = await layer.receive(channel)
            future = self._waiting.get(message.get("token"))
            if future is not None and not future.done():
                future.set_result(None)

    async def _reconnect(self) -> None:
        reconnect = getattr(get_channel_layer(), "reconnect", None)
        if reconnect is None:
            return  # the in-memory layer has nothing to connect to
        try:
            await reconnect()
        except Exception:
            logger.warning("Connecting to the channel layer again failed", exc_info=True)

    def status(self) -> str:
        if self.deaf:
            return f"down: deaf for {time.monotonic() - self.deaf_since:.0f} s"
        return "ok" if self._task is not None else "not watching"


layer_watch = LayerWatch()


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check_channel_layer() -> None:
    # The watch itself is started by the first socket (consumers.py), in the server's one
    # event loop: a health check may run in a loop of its own (the test client's are).
    if not await layer_watch.round_trip():
        raise RuntimeError("a message to this process did not come back")
    if layer_watch.deaf:
        raise RuntimeError(layer_watch.status())


async def healthz(request: HttpRequest) -> JsonResponse:
    checks = {}
    for name, check in [
        ("database", sync_to_async(_check_database)),
        ("channel_layer", _check_channel_layer),
    ]:
        try:
            await asyncio.wait_for(check(), timeout=6)
            checks[name] = "ok"
        except Exception as exc:  # a health check reports every failure, whatever its kind
            checks[name] = f"down: {type(exc).__name__}"
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "down" if down else "ok", "checks": checks}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
