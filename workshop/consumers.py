"""One consumer per audience. Consumers only listen: every change arrives over HTTP, is saved,
and then announced to the groups (services.py, broadcast.py). On (re)connect a consumer sends
the current state from the database, never a replay of events."""

from __future__ import annotations

import asyncio
import functools
import weakref

from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.dispatch import receiver

from workshop import access, groups
from workshop.coalesce import Coalescer
from workshop.health import layer_watch
from workshop.identity import participant_token, scope_language
from workshop.layers import layer_reconnected
from workshop.screens import console, phone, projector

# Consoles and projectors re-render at most once in this many seconds while answers stream
# in, however many phones there are; a change after a quiet moment is shown at once.
COALESCE_SECONDS = 0.2
FORBIDDEN = 4403  # closing code for a socket that may not watch this session

# This process's open sockets, so that they can all re-send their state from the database when
# the process's connection to the channel layer comes back after a fault: what was pushed in
# between never reached them.
_open_sockets: weakref.WeakSet[WorkshopConsumer] = weakref.WeakSet()


@receiver(layer_reconnected)
def resync_open_sockets(sender, **kwargs) -> None:
    for consumer in list(_open_sockets):
        asyncio.ensure_future(consumer.resync())


async def dispatch_in_turn(sources, dispatch) -> None:
    """Channels' await_many_dispatch, at less cost per message: it started a task for the
    next message and waited on the tasks with asyncio.wait after each one, a fifth of the CPU
    of a push to 2,000 phones. Here each source is read by one task for the consumer's life,
    and the messages are dispatched one at a time, as they come (a lock, first come first
    served). As there, the first exception (StopConsumer, an error, a cancellation) ends it: a
    handler that is running finishes first, no message is dispatched after it, and the readers
    are cancelled."""
    turn = asyncio.Lock()
    stopped = False

    async def read(source):
        nonlocal stopped
        while True:
            try:
                message = await source()
            except Exception:
                async with turn:  # the handler that is running finishes, as in Channels
                    stopped = True
                raise
            async with turn:
                if stopped:
                    return
                try:
                    await dispatch(message)
                except BaseException:
                    stopped = True
                    raise

    readers = [asyncio.ensure_future(read(source)) for source in sources]
    try:
        # A reader ends only with the consumer: it raised, was cancelled, or saw the stop.
        done, _ = await asyncio.wait(readers, return_when=asyncio.FIRST_COMPLETED)
        for reader in sorted(done, key=lambda reader: reader.cancelled()):
            reader.result()  # StopConsumer or an error before a cancellation
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)


class WorkshopConsumer(AsyncWebsocketConsumer):
    """Connect: authorise, join the audience's group, send the current state. The socket
    carries nothing from the client: phones and facilitators write over HTTP."""

    async def __call__(self, scope, receive, send):
        # Channels' AsyncConsumer.__call__ (tests/test_guards.py), with dispatch_in_turn.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send
        try:
            await dispatch_in_turn([receive, self.channel_receive], self.dispatch)
        except StopConsumer:
            pass

    async def dispatch(self, message):
        # Channels runs close_old_connections() before every message, in the one thread that
        # serves every request (see config/shared_thread.py), so each message waited behind the
        # queue of answers there: a reveal to 2,000 phones was 2,000 turns in that queue. Our
        # handlers reach the database only through database_sync_to_async, which closes stale
        # connections itself, in the thread that uses them. tests/test_guards.py fails if
        # Channels' own dispatch changes.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        # A process with sockets watches that it still hears the channel layer.
        layer_watch.ensure_started()
        self.code = self.scope["url_route"]["kwargs"]["code"]
        self.language = scope_language(self.scope)
        if not await self.authorise():
            await self.close(code=FORBIDDEN)
            return
        self.group = self.group_name(self.code)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        _open_sockets.add(self)
        await self.send_current_state()

    async def disconnect(self, close_code):
        _open_sockets.discard(self)
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @staticmethod
    def group_name(code: str) -> str:
        raise NotImplementedError

    async def authorise(self) -> bool:
        raise NotImplementedError

    async def send_current_state(self) -> None:
        raise NotImplementedError

    async def resync(self) -> None:
        """Send the state as the database has it now (pushes may have been lost)."""
        await self.send_current_state()


class ParticipantConsumer(WorkshopConsumer):
    group_name = staticmethod(groups.participants)
    pushes = 0  # stage pushes sent to this phone

    @database_sync_to_async
    def authorise(self) -> bool:
        token = participant_token(self.scope.get("cookies", {}), self.code)
        self.participant = access.find_participant(self.code, token)
        return self.participant is not None

    async def current_state(self) -> str:
        return await phone.current_stage(self.participant, self.language)

    async def send_current_state(self) -> None:
        await self.send(text_data=await self.current_state())

    async def resync(self) -> None:
        # Outside the consumer's turn (it comes from the layer, not a message), so a push can
        # reach the phone while its state is read: a push is the whole stage as it was when
        # it was sent, newer than what was lost, so the state read earlier is not sent after it.
        asked = self.pushes
        if await self.still_allowed():
            html = await self.current_state()
            if self.pushes == asked:
                await self.send(text_data=html)

    async def still_allowed(self) -> bool:
        # The session that came with the participant at connect time is out of date by now.
        return await self.authorise()

    async def stage_push(self, event):
        self.pushes += 1
        html = event["html"].get(self.language) or event["html"][settings.LANGUAGE_CODE]
        if event.get("version") and self.participant is not None:
            # After a reveal the phone's own result goes in the same message: one frame per
            # phone, and the group's and the own result appear together.
            html += await phone.own_result_push(
                self.code, event["version"], self.participant.pk, self.language
            )
        await self.send(text_data=html)


class FollowerConsumer(ParticipantConsumer):
    """A latecomer after the lock: the phones' pushes, read-only, without a participant (so
    not counted, and no own result: stage_push adds one only for a participant)."""

    participant = None

    @database_sync_to_async
    def authorise(self) -> bool:
        session = access.find_session(self.code)
        return session is not None and session.results_visible

    async def current_state(self) -> str:
        return await database_sync_to_async(phone.render_shared_stage)(self.code, self.language)

    async def still_allowed(self) -> bool:
        return True  # it follows whatever the phones are shown, as since it connected


class LiveStateConsumer(WorkshopConsumer):
    """A facilitator's screen (console or projector): re-rendered from the database whenever the
    session changes, coalesced so that a burst of answers costs a few renders, not one each."""

    screen = console

    async def connect(self):
        self.coalescer = Coalescer(self.send_state, COALESCE_SECONDS)
        await super().connect()

    async def disconnect(self, close_code):
        self.coalescer.cancel()
        await super().disconnect(close_code)

    @database_sync_to_async
    def authorise(self) -> bool:
        return access.may_watch(self.scope.get("user"), self.code)

    async def send_current_state(self) -> None:
        await self.coalescer.render_now()

    async def state_dirty(self, event):
        self.coalescer.changed(urgent=bool(event.get("urgent")))

    async def send_state(self) -> None:
        # In a pool thread, not the shared one that serves the phones' requests: a console must
        # not wait behind a queue of answers to show them.
        html = await DatabaseSyncToAsync(self.screen.render_live, thread_sensitive=False)(
            self.code, self.language
        )
        await self.send(text_data=html)


class ConsoleConsumer(LiveStateConsumer):
    group_name = staticmethod(groups.facilitators)
    screen = console


class ProjectorConsumer(LiveStateConsumer):
    group_name = staticmethod(groups.projectors)
    screen = projector
