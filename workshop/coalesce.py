"""When a console or projector re-renders while answers stream in.

A screen is told that the session changed ("dirty") after every answer; with 2,000 phones that
is hundreds of times a second. It re-renders from the database at once after a quiet moment,
then at most once per interval, and at once for an urgent change (a step). Renders run one at
a time, and a change that arrives during a render gets a render of its own afterwards, so the
last answer is always shown.

The interval stretches with what a render costs: a console listing 5,000 phones took 100 ms
to render, and five of those a second, with the projector's, kept the process that serves
them busy for most of a core while it should be answering its phones. A screen spends at
most one part in COST_SHARE of its time rendering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

COST_SHARE = 6


class RenderSchedule:
    """The decision alone, on a clock passed in: unit-testable without waiting."""

    def __init__(self, interval: float):
        self.interval = interval
        self.spacing = interval  # the interval, or longer after an expensive render
        self.rendered_at = float("-inf")
        self.dirty = False
        self.urgent = False

    def mark(self, urgent: bool = False) -> None:
        self.dirty = True
        self.urgent = self.urgent or urgent

    def wait_before_render(self, now: float) -> float:
        """Seconds to wait before the next render (0: render now)."""
        if self.urgent:
            return 0.0
        return max(0.0, self.rendered_at + self.spacing - now)

    def start_render(self, now: float) -> None:
        # A change after this moment is not in this render: it marks the screen dirty again.
        self.rendered_at = now
        self.dirty = self.urgent = False

    def finish_render(self, now: float) -> None:
        self.spacing = max(self.interval, COST_SHARE * (now - self.rendered_at))


class Coalescer:
    """Runs `render` on the schedule above inside an event loop."""

    def __init__(self, render: Callable[[], Awaitable[None]], interval: float,
                 clock: Callable[[], float] | None = None):
        self.render = render
        self.schedule = RenderSchedule(interval)
        self.clock = clock or (lambda: asyncio.get_running_loop().time())
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None

    def changed(self, urgent: bool = False) -> None:
        self.schedule.mark(urgent)
        if urgent:
            self.wake.set()
        if self.task is None:
            self.task = asyncio.ensure_future(self._render_while_dirty())

    async def render_now(self) -> None:
        """A render outside the schedule (the first state on connect); it counts as one."""
        self.schedule.start_render(self.clock())
        await self.render()
        self.schedule.finish_render(self.clock())

    async def _render_while_dirty(self) -> None:
        try:
            while self.schedule.dirty:
                wait = self.schedule.wait_before_render(self.clock())
                if wait > 0:
                    self.wake.clear()
                    try:
                        await asyncio.wait_for(self.wake.wait(), timeout=wait)
                    except TimeoutError:
                        pass
                self.schedule.start_render(self.clock())
                await self.render()
                self.schedule.finish_render(self.clock())
        finally:
            self.task = None

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
