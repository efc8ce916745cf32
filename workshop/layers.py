"""The channel layers: the embedded default's in-memory layer, and the Redis pub/sub layer for
several processes, each made to hold what a workshop asks of it."""

import asyncio
import logging
import time
from copy import deepcopy

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close
from django.dispatch import Signal
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger(__name__)

# Sent when a process's subscriber connection to Redis comes back after a fault: whatever was
# published in between did not reach this process's consumers.
layer_reconnected = Signal()


class WorkshopInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, made to hold thousands of phones.

    The stock layer sweeps every channel and every group membership for expired messages on
    each receive and each group_send. Every phone's consumer waits in receive, so a broadcast
    to N phones cost N sweeps of N entries: a second of CPU at 2,000 phones. Here the sweep
    runs at most once a second, and a group send puts the message straight on each queue
    instead of starting a task per phone, and a message costs no new queues (receive).
    """

    sweep_interval = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= self.sweep_interval:
            self._swept_at = now
            super()._clean_expired()
            # Queues that nobody waits on and that hold nothing: a consumer that ended, or one
            # between two messages (its next receive, or the next send, makes a new one).
            for channel, queue in list(self.channels.items()):
                if queue.empty() and not queue._getters:
                    del self.channels[channel]

    def _queue(self, channel: str) -> asyncio.Queue:
        """The channel's queue, made only if it has none: the stock send and receive build a
        new one each time as setdefault's argument (a reveal to 2,000 phones built 2,000) and
        throw it away."""
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        return queue

    async def receive(self, channel: str) -> dict:
        """As the stock receive, without two new queues per message: it built one to throw
        away (setdefault's argument) and dropped the channel's queue after each message, so
        the next receive built another. A queue now stays while its consumer listens; one
        whose receive was cancelled (the consumer ended) goes at once, an idle one with the
        sweep."""
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        except BaseException:
            if queue.empty() and self.channels.get(channel) is queue:
                del self.channels[channel]
            raise
        return message

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        expires = time.time() + self.expiry
        for channel in list(self.groups.get(group, {})):
            try:
                self._queue(channel).put_nowait((expires, deepcopy(message)))
            except asyncio.QueueFull:
                pass  # as the stock group_send: a full channel misses this message


class ResilientShard(RedisSingleShardConnection):
    """channels_redis's connection to one Redis, made to survive a Redis restart.

    - A publish on a pooled connection that died with the restart fails once with a
      ConnectionError (the pool then drops that connection): publish again, once.
    - The receive task re-raises asyncio.TimeoutError, which in Python 3.11 is the built-in
      TimeoutError that a dropped connection can raise too, and a task that ended is never
      started again: the process would stop hearing its groups for good. Here only
      cancellation ends it, and a task that ended anyway is started again.
    - redis-py re-subscribes the channels and groups when the subscriber's connection comes
      back; messages published in between are lost. `layer_reconnected` tells the process's
      consumers, so they re-send their state from the database.
    - A process that stopped hearing without noticing (a half-open connection, a receive task
      that ended between two subscribes) is deaf until someone asks: `reconnect` is what the
      layer watch (workshop/health.py) asks for when its own messages stop coming back.
    """

    async def publish(self, channel, message):
        try:
            await super().publish(channel, message)
        except RedisConnectionError:
            logger.warning("Publishing to Redis failed once; trying a fresh connection")
            await super().publish(channel, message)

    async def subscribe(self, channel):
        await super().subscribe(channel)
        connection = self._pubsub.connection
        if connection is not None and connection is not self._watched:
            # Called after redis-py's own callback, which re-subscribes first.
            connection.register_connect_callback(self._reconnected)
            self._watched = connection

    async def _reconnected(self, connection) -> None:
        logger.warning("Reconnected to Redis; the consumers re-send their state")
        layer_reconnected.send(sender=type(self))

    async def reconnect(self) -> None:
        """Listen again on a fresh connection: redis-py subscribes every channel and group
        again when it connects (and `_reconnected` then tells the consumers)."""
        async with self._lock:
            if self._pubsub is None:
                return
            self._ensure_receiver()
            if self._pubsub.connection is not None:
                # The receive task's next read connects again.
                await self._pubsub.connection.disconnect()

    def _ensure_receiver(self):
        if self._receive_task is not None and self._receive_task.done():
            self._receive_task = None
        super()._ensure_receiver()

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                # Redis is away (a restart, a network fault): listen again in a moment.
                logger.warning("Listening to Redis failed; trying again", exc_info=True)
                await asyncio.sleep(0.25)

    _watched = None


class ResilientLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shards = [ResilientShard(shard.host, self) for shard in self._shards]

    async def reconnect(self) -> None:
        for shard in self._shards:
            await shard.reconnect()


class WorkshopRedisPubSubChannelLayer(RedisPubSubChannelLayer):
    """channels_redis's pub/sub layer with ResilientShard connections."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            layer = self._layers[loop]
        except KeyError:
            layer = ResilientLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer
