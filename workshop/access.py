"""One way from a code to a session, and one rule for who may see it, used by views and
consumers alike. Other organisations' sessions answer 404 (or a refused socket), as if absent.

Codes arrive normalised by the `code` path converter (workshop/converters.py).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from workshop.models import Organisation, Participant, Session


def sessions_of(user) -> QuerySet[Session]:
    """The membership rule: a facilitator sees the sessions of their organisations."""
    if user is None or not user.is_authenticated:
        return Session.objects.none()
    return Session.objects.filter(organisation__members=user)


def find_session(code: str, queryset: QuerySet[Session] | None = None) -> Session | None:
    # get(), not first(): a code is unique, and first() compiles an ORDER BY on every join.
    try:
        return (queryset if queryset is not None else Session.objects).get(code=code)
    except Session.DoesNotExist:
        return None


def get_session_for_user(request: HttpRequest, code: str) -> Session:
    session = find_session(
        code, sessions_of(request.user).select_related("questionnaire", "organisation",
                                                        "created_by")
    )
    if session is None:
        raise Http404
    return session


def may_watch(user, code: str) -> bool:
    """May this user watch session `code` live (console or projector)?"""
    return sessions_of(user).filter(code=code).exists()


def get_organisation_for_user(request: HttpRequest, slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug, members=request.user)


def get_shared_session(token: str) -> Session:
    """The session behind a read-only share link."""
    if not token:
        raise Http404
    return get_object_or_404(
        Session.objects.select_related("questionnaire", "organisation", "created_by"),
        share_token=token,
    )


def find_participant(code: str, token: str) -> Participant | None:
    """The phone's participant in session `code`, with its session, in one query: this runs on
    every answer and every phone's socket."""
    if not token:
        return None
    # get(), not first(): a token is unique, and first() would compile an ORDER BY.
    try:
        return Participant.objects.select_related("session").get(token=token, session__code=code)
    except Participant.DoesNotExist:
        return None


def get_agreement_for_user(request: HttpRequest, note_id: int):
    """An agreement of one of the user's organisations' sessions (404 otherwise)."""
    from workshop.models import Note

    return get_object_or_404(
        Note.objects.select_related("session__organisation"), pk=note_id,
        kind=Note.AGREEMENT, session__organisation__members=request.user,
    )
