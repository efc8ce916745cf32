"""The facilitator's side: create a session, run it from the console, show it on a projector.
Every view loads the session through `get_session_for_user`, which answers 404 for sessions of
other organisations."""

import segno
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from workshop import broadcast, services
from workshop.forms import NoteForm, SessionForm
from workshop.models import Session
from workshop.results import PROGRESS_LIST_LIMIT, build_progress, build_results
from workshop.views.access import get_session_for_user


def join_url(request: HttpRequest, session: Session) -> str:
    return request.build_absolute_uri(reverse("join_session", args=[session.code]))


def join_context(request: HttpRequest, session: Session) -> dict:
    url = join_url(request, session)
    qr = segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#1d1d2b", omitsize=True)
    # segno writes the SVG itself from the URL; nothing user-supplied goes into it unescaped.
    return {"join_url": url, "qr_svg": mark_safe(qr)}  # noqa: S308


def live_context(session: Session, names: bool = True) -> dict:
    """Everything the live part of the console and the projector show; also used by consumers.

    The projector never shows names, so it asks for the counts alone (`names=False`).
    """
    results = build_results(session) if session.results_visible else None
    return {
        "session": session,
        "progress": build_progress(session, limit=PROGRESS_LIST_LIMIT if names else 0),
        "results": results,
        # The discussion is about the group's phase, which needs at least one complete answer set.
        "discussion": session.step in (Session.DISCUSSION, Session.CLOSED)
        and results is not None
        and results.phase is not None,
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    sessions = (
        Session.objects.filter(organisation__members=request.user)
        .select_related("organisation")
        .annotate(participant_count=Count("participants"))
    )
    return render(request, "workshop/dashboard.html", {"sessions": sessions})


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    organisations = list(request.user.organisations.all())
    form = SessionForm(organisations, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = services.create_session(
            organisation=form.cleaned_data["organisation"],
            title=form.cleaned_data["title"],
            disciplines=form.cleaned_data["disciplines"],
            auto_reveal=form.cleaned_data["auto_reveal"],
            questionnaire=form.cleaned_data["questionnaire"],
            created_by=request.user,
        )
        return redirect("console", session.code)
    status = 400 if request.method == "POST" else 200
    ctx = {"form": form, "organisations": organisations}
    return render(request, "workshop/session_new.html", ctx, status=status)


@login_required
def console(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request, code)
    ctx = live_context(session)
    ctx.update(
        join_context(request, session),
        notes=session.notes.all(),
        note_form=NoteForm(),
    )
    return render(request, "workshop/console.html", ctx)


@login_required
@require_POST
def change_step(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request, code)
    try:
        session = services.move_to(session, request.POST.get("step", ""))
    except services.WorkshopError as error:
        ctx = live_context(session) | {"error": error.message}
        return render(request, "workshop/console.html#live", ctx, status=error.status)
    broadcast.step_changed(session)
    if not request.htmx:
        return redirect("console", session.code)
    return render(request, "workshop/console.html#live", live_context(session))


@login_required
@require_POST
def add_note(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request, code)
    form = NoteForm(request.POST)
    status = 400
    if form.is_valid():
        services.add_note(session, **form.cleaned_data)
        form, status = NoteForm(), 200
    if not request.htmx and status == 200:
        return redirect("console", session.code)
    ctx = {"session": session, "notes": session.notes.all(), "note_form": form}
    return render(request, "workshop/console.html#notes", ctx, status=status)


@login_required
def projector(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request, code)
    ctx = live_context(session, names=False) | join_context(request, session)
    return render(request, "workshop/projector.html", ctx)


