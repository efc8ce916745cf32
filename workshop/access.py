"""One way from a code to a session, and one rule for who may see it, used by views and
consumers alike. Other organisations' sessions answer 404 (or a refused socket), as if absent.

Codes arrive normalised by the `code` path converter (workshop/converters.py).
"""

from __future__ import annotations

from functools import cache

from django.db import connections, router
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
    """The session with this code (within `queryset`, if given). Without a queryset, the query
    is written once, as find_participant's: a join runs it three times, and compiling it
    through the ORM cost more than running it."""
    if queryset is None:
        return _session_by_code(code)
    # get(), not first(): a code is unique, and first() compiles an ORDER BY on every join.
    try:
        return queryset.get(code=code)
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


@cache
def _participant_sql() -> tuple[str, list[str], list[str]]:
    participant, session = Participant._meta, Session._meta
    p_fields = [f.attname for f in participant.concrete_fields]
    s_fields = [f.attname for f in session.concrete_fields]
    columns = [f'p."{f.column}"' for f in participant.concrete_fields] + [
        f's."{f.column}"' for f in session.concrete_fields]
    sql = (f'SELECT {", ".join(columns)} FROM "{participant.db_table}" p '
           f'JOIN "{session.db_table}" s ON s."{session.pk.column}" = p.session_id '
           f'WHERE p.token = %s AND s.code = %s')
    return sql, p_fields, s_fields


def find_participant(code: str, token: str) -> Participant | None:
    """The phone's participant in session `code`, with its session, in one query: this runs on
    every answer and every phone's socket. The query is written once (compiling it through the
    ORM on every answer cost more than running it); the objects are the ORM's own."""
    if not token:
        return None
    sql, p_fields, s_fields = _participant_sql()
    db = router.db_for_read(Participant)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [token, code])
        row = cursor.fetchone()
    if row is None:
        return None
    row = _convert(_converters(db), row, connections[db])
    participant = Participant.from_db(db, p_fields, row[:len(p_fields)])
    participant.session = Session.from_db(db, s_fields, row[len(p_fields):])
    return participant


@cache
def _session_sql() -> tuple[str, list[str]]:
    session = Session._meta
    columns = ", ".join(f'"{f.column}"' for f in session.concrete_fields)
    return (f'SELECT {columns} FROM "{session.db_table}" WHERE code = %s',
            [f.attname for f in session.concrete_fields])


def _session_by_code(code: str) -> Session | None:
    sql, s_fields = _session_sql()
    db = router.db_for_read(Session)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [code])
        row = cursor.fetchone()
    if row is None:
        return None
    converters = _converters(db)[len(Participant._meta.concrete_fields):]
    return Session.from_db(db, s_fields, _convert(converters, row, connections[db]))


def count_participants(session: Session) -> int:
    """How many joined: the lobby's count on every phone's page and socket, so written once
    as _session_sql (the ORM's count compiled an aggregation query on every join)."""
    db = router.db_for_read(Participant)
    with connections[db].cursor() as cursor:
        cursor.execute(_count_sql(), [session.pk])
        return cursor.fetchone()[0]


@cache
def _count_sql() -> str:
    return f'SELECT COUNT(*) FROM "{Participant._meta.db_table}" WHERE session_id = %s'


@cache
def _converters(db: str) -> tuple:
    """The database's and the fields' converters of the participant query's columns (SQLite
    hands back dates as text and JSON as a string), as the ORM applies them; None: nothing to
    convert. The session's are the last ones."""
    connection = connections[db]
    result = []
    for field in [*Participant._meta.concrete_fields, *Session._meta.concrete_fields]:
        column = field.get_col(field.model._meta.db_table)
        functions = (connection.ops.get_db_converters(column)
                     + field.get_db_converters(connection))
        result.append((tuple(functions), column) if functions else None)
    return tuple(result)


def _convert(converters: tuple, row: tuple, connection) -> list:
    values = list(row)
    for index, converter in enumerate(converters):
        if converter is not None:
            functions, column = converter
            for function in functions:
                values[index] = function(values[index], column, connection)
    return values


def get_agreement_for_user(request: HttpRequest, note_id: int):
    """An agreement of one of the user's organisations' sessions (404 otherwise)."""
    from workshop.models import Note

    return get_object_or_404(
        Note.objects.select_related("session__organisation"), pk=note_id,
        kind=Note.AGREEMENT, session__organisation__members=request.user,
    )
