"""The projector: what the whole room reads. Counts, never names."""

from __future__ import annotations

from django.http import HttpRequest

from workshop import sockets
from workshop.models import Session
from workshop.screens import room

LIVE_TEMPLATE = "workshop/projector.html#live"


def live_context(session: Session) -> dict:
    return room.live_context(session, names_listed=0)


def page_context(request: HttpRequest, session: Session) -> dict:
    return (
        live_context(session)
        | room.join_context(request, session)
        | {"socket_url": sockets.projector(session.code)}
    )


def render_live(code: str, language: str) -> str:
    return room.render_live(code, language, LIVE_TEMPLATE, live_context)
