"""Pushes to the open screens of a session. Called by the services once a write is committed
(services.announce), never by views.

Phones get a fragment only when the step changes: it is rendered once per language and the same
string goes to every phone. Consoles and projectors get a small "dirty" note on every change and
render their own state from the database, at most a few times a second (see coalesce.py).

A push that fails (Redis away) never fails the write it announces: the write is saved, and the
person who made it is told so. The push is logged and tried again in the background until the
channel layer takes it, with the session's state as it is by then.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections

from workshop import access, groups
from workshop.models import Session
from workshop.screens import phone

logger = logging.getLogger(__name__)

Messages = list[tuple[str, dict]]  # (group, message)


def step_messages(session: Session) -> Messages:
    """The new stage for every phone, and an urgent re-render for consoles and projectors."""
    context = phone.stage_context(session)
    # Plain str, not the template's SafeString: the in-memory layer copies the message for
    # each phone, and a SafeString is copied the slow way (three times the cost).
    html = {code: str.__str__(phone.render_stage(session, code, context))
            for code, _ in settings.LANGUAGES}
    message = {"type": "stage.push", "html": html}
    if context["results"]:
        # Each phone adds its own result to this frame; this names the reveal it belongs to.
        message["version"] = f"{session.step}-{time.time_ns()}"
        phone.prepare_own_results(session, message["version"])
    return [(groups.participants(session.code), message), *dirty_messages(session, urgent=True)]


def dirty_messages(session: Session, urgent: bool = False) -> Messages:
    """Tell consoles and projectors to re-render; `urgent` skips the coalescing delay."""
    message = {"type": "state.dirty", "urgent": urgent}
    return [(groups.facilitators(session.code), message),
            (groups.projectors(session.code), message)]


def step_changed(session: Session) -> None:
    _deliver(step_messages, session)


def state_changed(session: Session) -> None:
    _deliver_soon(dirty_messages, session)


def _discussion_messages(session: Session, urgent: bool) -> Messages:
    """In the discussion the phones follow the projector (the slide, the agreements): they get
    the stage again; otherwise only consoles and projectors re-render."""
    if session.step == Session.DISCUSSION:
        return step_messages(session)
    return dirty_messages(session, urgent=urgent)


def slide_messages(session: Session) -> Messages:
    """The projector follows a slide at once."""
    return _discussion_messages(session, urgent=True)


def slide_changed(session: Session) -> None:
    _deliver(slide_messages, session)


def notes_messages(session: Session) -> Messages:
    """A note or agreement."""
    return _discussion_messages(session, urgent=False)


def notes_changed(session: Session) -> None:
    _deliver(notes_messages, session)


def tool_messages(session: Session) -> Messages:
    """The facilitator recorded part of a tool's result or the target: the console and the
    projector show it at once. Phones are not sent it: a push would replace the stage under a
    phone that is typing a suggestion; they read the result on the projector."""
    return dirty_messages(session, urgent=True)


def tool_changed(session: Session) -> None:
    _deliver(tool_messages, session)


async def _send_all(messages: Messages) -> None:
    # All sends in one trip to the event loop: this runs after every answer.
    layer = get_channel_layer()
    for group, message in messages:
        await layer.group_send(group, message)


def _deliver(build: Callable[[Session], Messages], session: Session) -> None:
    try:
        async_to_sync(_send_all)(build(session))
    except Exception:
        logger.warning("A push for session %s failed; it will be tried again", session.code,
                       exc_info=True)
        retries.add(build, session.code)


# Sessions with a "dirty" note scheduled on the event loop and not sent yet, with that loop: a
# note says only that something changed, so one in flight covers every change made before it
# is sent.
_dirty_scheduled: dict[str, asyncio.AbstractEventLoop] = {}
# A session's notes go out at most once in this many seconds (the first after a quiet moment
# at once). A note costs every console and projector a message, and they re-render at most
# every 0.2 s anyway (consumers.COALESCE_SECONDS): under a burst of answers a note per answer
# was a few percent of the process's CPU for nothing.
NOTE_SPACING = 0.05
_dirty_sent_at: dict[str, float] = {}


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The server's event loop, when this runs in the thread that serves its requests (asgiref
    names it there); None elsewhere (tests, management commands, the retry thread)."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def _deliver_soon(build: Callable[[Session], Messages], session: Session) -> None:
    """Like _deliver, without waiting for the event loop: the request that saved the change
    answers at once, and the note goes out on the loop's next turn. An answer used to wait for
    its note to go through the loop, which under a burst of answers was busy sending pushes.
    A note that fails is tried again in the background, as with _deliver."""
    loop = _server_loop()
    if loop is None:
        _deliver(build, session)
        return
    code = session.code
    if _dirty_scheduled.get(code) is loop:
        return
    # Kept with its loop: a note scheduled on a loop that has stopped since never goes out,
    # and must not hold up the notes of the next one.
    _dirty_scheduled[code] = loop

    def start() -> None:
        wait = _dirty_sent_at.get(code, float("-inf")) + NOTE_SPACING - loop.time()
        if wait > 0:
            # Still marked scheduled: changes until then are covered by this note.
            loop.call_later(wait, start)
            return
        _dirty_scheduled.pop(code, None)
        if len(_dirty_sent_at) > 10_000:
            _dirty_sent_at.clear()
        _dirty_sent_at[code] = loop.time()
        try:
            messages = build(session)
        except Exception:
            logger.warning("A push for session %s failed; it will be tried again", code,
                           exc_info=True)
            retries.add(build, code)
            return
        task = loop.create_task(_send_all(messages))
        _in_flight.add(task)
        task.add_done_callback(lambda done: _sent(done, build, code))

    try:
        loop.call_soon_threadsafe(start)
    except RuntimeError:  # the loop closed meanwhile (shutting down)
        _dirty_scheduled.pop(code, None)
        _deliver(build, session)


_in_flight: set[asyncio.Task] = set()  # kept referenced until done


def _sent(task: asyncio.Task, build: Callable[[Session], Messages], code: str) -> None:
    _in_flight.discard(task)
    if task.cancelled() or task.exception() is None:
        return
    logger.warning("A push for session %s failed; it will be tried again", code,
                   exc_info=task.exception())
    retries.add(build, code)


@dataclass
class _Pending:
    due: float
    attempt: int
    since: float  # the first failure
    added: float  # the latest failure


class Retries:
    """Pushes that failed, tried again in a thread of their own until the layer takes them.

    Pushes carry state, not events: a retry builds its messages from the database as it is
    then, so one pending retry per kind and session is enough.
    """

    DELAYS = (0.25, 0.5, 1.0, 2.0)  # then every 2 s
    GIVE_UP_AFTER = 600.0

    def __init__(self):
        self.pending: dict[tuple[Callable, str], _Pending] = {}
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None

    def add(self, build: Callable[[Session], Messages], code: str) -> None:
        now = time.monotonic()
        with self.lock:
            entry = self.pending.get((build, code))
            if entry is None:
                self.pending[(build, code)] = _Pending(now + self.DELAYS[0], 0, now, now)
            else:
                entry.added = now
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="push-retries",
                                               daemon=True)
                self.thread.start()
        self.wake.set()

    def _run(self) -> None:
        while True:
            with self.lock:
                if not self.pending:
                    self.thread = None
                    return
                now = time.monotonic()
                due = [key for key, entry in self.pending.items() if entry.due <= now]
                next_due = min(entry.due for entry in self.pending.values())
            for key in due:
                self._try(key)
            if not due:
                self.wake.wait(timeout=next_due - now)
                self.wake.clear()

    def _try(self, key: tuple[Callable, str]) -> None:
        build, code = key
        started = time.monotonic()
        try:
            session = access.find_session(code)
            if session is not None:
                async_to_sync(_send_all)(build(session))
        except Exception:
            now = time.monotonic()
            with self.lock:
                entry = self.pending[key]
                if now - entry.since > self.GIVE_UP_AFTER:
                    del self.pending[key]
                    logger.error("Gave up pushing for session %s after %.0f s", code,
                                 now - entry.since)
                else:
                    entry.attempt += 1
                    entry.due = now + self.DELAYS[min(entry.attempt, len(self.DELAYS) - 1)]
        else:
            with self.lock:
                # A failure reported while this try ran may announce a later state: keep it.
                if self.pending[key].added < started:
                    del self.pending[key]
            logger.info("A push for session %s went through on a retry", code)
        finally:
            close_old_connections()


retries = Retries()
