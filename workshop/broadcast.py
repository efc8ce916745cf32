"""Pushes to the open screens of a session. Called by the services once a write is committed
(services.announce), never by views.

Phones get a fragment only when the step changes: it is rendered once per language and the same
string goes to every phone. Consoles and projectors get a small "dirty" note on every change and
render their own state from the database, at most a few times a second (see coalesce.py).
"""

import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from workshop import groups
from workshop.models import Session
from workshop.screens import phone


def step_changed(session: Session) -> None:
    context = phone.stage_context(session)
    html = {code: phone.render_stage(session, code, context) for code, _ in settings.LANGUAGES}
    message = {"type": "stage.push", "html": html}
    if context["results"]:
        # Each phone adds its own result to this frame; this names the reveal it belongs to.
        message["version"] = f"{session.step}-{time.time_ns()}"
    async_to_sync(get_channel_layer().group_send)(groups.participants(session.code), message)
    state_changed(session, urgent=True)


def state_changed(session: Session, urgent: bool = False) -> None:
    """Tell consoles and projectors to re-render; `urgent` skips the coalescing delay."""
    async_to_sync(_send_dirty)(session.code, urgent)


async def _send_dirty(code: str, urgent: bool) -> None:
    # Both sends in one trip to the event loop: this runs after every answer.
    layer = get_channel_layer()
    message = {"type": "state.dirty", "urgent": urgent}
    await layer.group_send(groups.facilitators(code), message)
    await layer.group_send(groups.projectors(code), message)
