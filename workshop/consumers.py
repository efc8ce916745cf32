"""One consumer per audience. Consumers only listen: every change arrives over HTTP, is saved,
and then announced to the groups (see broadcast.py). On (re)connect a consumer sends the
current state from the database, never a replay of events."""

from __future__ import annotations

import asyncio

from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from config.middleware import cookie_language
from workshop import groups, stage
from workshop.models import Participant, Session

# Consoles and projectors re-render at most once in this many seconds while answers stream
# in, however many phones there are; a change after a quiet moment is shown at once.
COALESCE_SECONDS = 0.2
FORBIDDEN = 4403  # closing code for a socket that may not watch this session


def participant_cookie(code: str) -> str:
    return f"dna_p_{code}"


def scope_language(scope) -> str:
    """The language the page was served in (see config.middleware)."""
    return cookie_language(scope.get("cookies", {}))


class WorkshopConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message):
        # Channels runs close_old_connections() before every message, in the one thread that
        # serves every request (see config/asgi.py), so each message waited behind the queue of
        # answers there: a reveal to 2,000 phones was 2,000 turns in that queue. Our handlers
        # reach the database only through database_sync_to_async, which closes stale
        # connections itself, in the thread that uses them.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class ParticipantConsumer(WorkshopConsumer):
    async def connect(self):
        self.code = self.scope["url_route"]["kwargs"]["code"]
        token = self.scope.get("cookies", {}).get(participant_cookie(self.code), "")
        self.participant = await self.get_participant(token)
        if self.participant is None:
            await self.close(code=FORBIDDEN)
            return
        self.language = scope_language(self.scope)
        self.group = groups.participants(self.code)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=await self.current_stage())

    async def disconnect(self, close_code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        # Phones write over HTTP; whatever arrives here is ignored.
        pass

    async def stage_push(self, event):
        html = event["html"].get(self.language) or event["html"][settings.LANGUAGE_CODE]
        if event.get("version"):
            # After a reveal the phone's own result goes in the same message: one frame per
            # phone, and the group's and the own result appear together.
            html += await stage.own_result_push(
                self.code, event["version"], self.participant.pk, self.language
            )
        await self.send(text_data=html)

    @database_sync_to_async
    def get_participant(self, token: str) -> Participant | None:
        return Participant.find(self.code, token)

    @database_sync_to_async
    def current_stage(self) -> str:
        # The session came with the participant, read a moment ago in connect().
        session = self.participant.session
        context = stage.stage_context(session, self.participant)
        return stage.render_stage(session, self.language, context)


class LiveStateConsumer(WorkshopConsumer):
    """A facilitator's screen (console or projector): re-rendered from the database whenever the
    session changes, coalesced so that a burst of answers costs a few renders, not one each."""

    template = ""
    group_name = staticmethod(groups.facilitators)
    names = True

    async def connect(self):
        self.code = self.scope["url_route"]["kwargs"]["code"]
        self.renderer: asyncio.Task | None = None
        self.dirty = self.urgent = False
        self.wake = asyncio.Event()
        self.rendered_at = -COALESCE_SECONDS
        if not await self.may_watch():
            await self.close(code=FORBIDDEN)
            return
        self.language = scope_language(self.scope)
        self.group = self.group_name(self.code)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_state()

    async def disconnect(self, close_code):
        if self.renderer:
            self.renderer.cancel()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        # Facilitator actions are authorised HTTP POSTs; the socket carries no commands.
        pass

    async def state_dirty(self, event):
        self.dirty = True
        if event.get("urgent"):
            self.urgent = True
            self.wake.set()
        if self.renderer is None:
            self.renderer = asyncio.create_task(self.render_while_dirty())

    async def render_while_dirty(self):
        """One render at a time, at most one per COALESCE_SECONDS unless a change is urgent (a
        step). A change that arrives during a render gets a render of its own afterwards, so
        the last answer is always shown."""
        loop = asyncio.get_running_loop()
        try:
            while self.dirty:
                wait = self.rendered_at + COALESCE_SECONDS - loop.time()
                if wait > 0 and not self.urgent:
                    self.wake.clear()
                    try:
                        await asyncio.wait_for(self.wake.wait(), timeout=wait)
                    except TimeoutError:
                        pass
                self.dirty = self.urgent = False
                await self.send_state()
        finally:
            self.renderer = None

    async def send_state(self):
        self.rendered_at = asyncio.get_running_loop().time()
        await self.send(text_data=await self.render_state())

    @database_sync_to_async
    def may_watch(self) -> bool:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return False
        return Session.objects.filter(code=self.code, organisation__members=user).exists()

    async def render_state(self) -> str:
        # In a thread of its own, not the shared one that serves the phones' requests: a
        # console must not wait behind a queue of answers to show them.
        return await DatabaseSyncToAsync(self._render_state, thread_sensitive=False)()

    def _render_state(self) -> str:
        from workshop.views.facilitator import live_context

        session = Session.objects.select_related("questionnaire", "organisation").get(
            code=self.code
        )
        with translation.override(self.language):
            return render_to_string(self.template, live_context(session, names=self.names))


class FacilitatorConsumer(LiveStateConsumer):
    template = "workshop/console.html#live"
    group_name = staticmethod(groups.facilitators)


class ProjectorConsumer(LiveStateConsumer):
    template = "workshop/projector.html#live"
    group_name = staticmethod(groups.projectors)
    names = False
