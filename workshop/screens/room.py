"""What the facilitator's two screens share: the join link with its QR code, and the live
state of the session (progress, results, discussion). The console and the projector modules
add what only they show."""

from __future__ import annotations

import segno
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from workshop import access
from workshop.models import Session
from workshop.results import build_progress, build_results


def join_url(request: HttpRequest, session: Session) -> str:
    return request.build_absolute_uri(reverse("join_session", args=[session.code]))


def join_context(request: HttpRequest, session: Session) -> dict:
    url = join_url(request, session)
    qr = segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#1d1d2b", omitsize=True)
    # segno writes the SVG itself from the URL; nothing user-supplied goes into it unescaped.
    return {"join_url": url, "qr_svg": mark_safe(qr)}


def live_context(session: Session, names_listed: int) -> dict:
    """The part of the screen that follows the session: pushed on every change. The console
    lists up to `names_listed` participants by name; the projector none."""
    results = build_results(session) if session.results_visible else None
    return {
        "session": session,
        "progress": build_progress(session, limit=names_listed),
        "results": results,
        # The discussion is about the group's phase, which needs at least one complete answer set.
        "discussion": session.step in (Session.DISCUSSION, Session.CLOSED)
        and results is not None
        and results.phase is not None,
    }


def render_live(code: str, language: str, template: str, context_for) -> str:
    """A screen's live part, read from the database: what a console or projector is sent on
    (re)connect and after every change."""
    session = access.find_session(
        code, Session.objects.select_related("questionnaire", "organisation")
    )
    with translation.override(language):
        return render_to_string(template, context_for(session))
