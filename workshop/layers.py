"""The embedded default's channel layer."""

import time

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer


class WorkshopInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, made to hold thousands of phones.

    The stock layer sweeps every channel and every group membership for expired messages on
    each receive and each group_send. Every phone's consumer waits in receive, so a broadcast
    to N phones cost N sweeps of N entries: a second of CPU at 2,000 phones. Here the sweep
    runs at most once a second, and a group send puts the message straight on each queue
    instead of starting a task per phone.
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

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, {})):
            try:
                await self.send(channel, message)
            except ChannelFull:
                pass
