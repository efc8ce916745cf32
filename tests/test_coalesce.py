"""When a console or projector re-renders while answers stream in (workshop/coalesce.py), on a
fake clock: no test waits for real seconds to tell a coalesced render from an immediate one."""

import asyncio

import pytest

from workshop.coalesce import Coalescer, RenderSchedule

INTERVAL = 0.2


def test_a_change_after_a_quiet_moment_renders_at_once():
    schedule = RenderSchedule(INTERVAL)
    schedule.start_render(now=10.0)
    schedule.mark()
    assert schedule.wait_before_render(now=10.5) == 0


def test_a_change_right_after_a_render_waits_for_the_rest_of_the_interval():
    schedule = RenderSchedule(INTERVAL)
    schedule.start_render(now=10.0)
    schedule.mark()
    assert schedule.wait_before_render(now=10.05) == pytest.approx(0.15)


def test_an_urgent_change_renders_at_once_even_right_after_a_render():
    schedule = RenderSchedule(INTERVAL)
    schedule.start_render(now=10.0)
    schedule.mark()
    schedule.mark(urgent=True)
    schedule.mark()  # a later ordinary change does not take the urgency away
    assert schedule.wait_before_render(now=10.01) == 0


def test_an_expensive_render_spaces_the_next_ones_out():
    schedule = RenderSchedule(INTERVAL)
    schedule.start_render(now=10.0)
    schedule.finish_render(now=10.1)  # 100 ms: a console listing thousands of phones
    schedule.mark()
    assert schedule.wait_before_render(now=10.1) == pytest.approx(0.5)
    schedule.mark(urgent=True)
    assert schedule.wait_before_render(now=10.1) == 0  # a step still shows at once


def test_a_cheap_render_keeps_the_interval():
    schedule = RenderSchedule(INTERVAL)
    schedule.start_render(now=10.0)
    schedule.finish_render(now=10.1)
    schedule.start_render(now=11.0)
    schedule.finish_render(now=11.005)
    schedule.mark()
    assert schedule.wait_before_render(now=11.005) == pytest.approx(0.195)


def test_a_render_takes_in_every_change_before_it():
    schedule = RenderSchedule(INTERVAL)
    for _ in range(25):
        schedule.mark()
    schedule.start_render(now=1.0)
    assert not schedule.dirty and not schedule.urgent


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.asyncio
async def test_a_burst_of_changes_costs_one_render_after_the_interval():
    clock, renders = FakeClock(), []

    async def render():
        renders.append(clock.now)

    coalescer = Coalescer(render, interval=60.0, clock=clock)  # 60 s on the fake clock
    await coalescer.render_now()
    for _ in range(25):
        coalescer.changed()
    await asyncio.sleep(0.05)
    assert renders == [100.0]  # the burst waits: the console has just rendered
    clock.now += 60.0
    coalescer.changed(urgent=True)  # wakes the waiting loop, like a step change
    await asyncio.sleep(0.05)
    assert renders == [100.0, 160.0]
    assert coalescer.task is None  # nothing left to render


@pytest.mark.asyncio
async def test_a_change_during_a_render_gets_a_render_of_its_own():
    clock, renders = FakeClock(), []
    rendering = asyncio.Event()
    release = asyncio.Event()

    async def render():
        renders.append(clock.now)
        rendering.set()
        await release.wait()

    coalescer = Coalescer(render, interval=0.0, clock=clock)
    coalescer.changed()
    await rendering.wait()
    coalescer.changed()  # arrives while the first render is still being sent
    release.set()
    await asyncio.sleep(0.05)
    assert len(renders) == 2
    coalescer.cancel()
