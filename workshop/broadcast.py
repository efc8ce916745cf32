"""Pushes to the open screens of a session, after a write has been saved.

Phones get a fragment only when the step changes: it is rendered once per language and the same
string goes to every phone. Consoles and projectors get a small "dirty" note on every change and
render their own state from the database, at most a few times a second (see consumers.py).
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from workshop import groups
from workshop.models import Session


def stage_context(session: Session) -> dict:
    from workshop.results import build_results

    return {
        "session": session,
        "results": build_results(session) if session.results_visible else None,
    }


def render_stage(session: Session, language: str, context: dict | None = None) -> str:
    with translation.override(language):
        return render_to_string(
            "workshop/participant.html#stage", context or stage_context(session)
        )


def step_changed(session: Session) -> None:
    layer = get_channel_layer()
    context = stage_context(session)
    html = {code: render_stage(session, code, context) for code, _ in settings.LANGUAGES}
    async_to_sync(layer.group_send)(
        groups.participants(session.code), {"type": "stage.push", "html": html}
    )
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
