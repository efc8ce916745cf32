"""The facilitator's side: create a session, run it from the console, show it on a projector.
Every view loads the session through `access.get_session_for_user`, which answers 404 for
sessions of other organisations."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from workshop import access, services
from workshop.forms import NoteForm, SessionForm
from workshop.screens import console as console_screen
from workshop.screens import projector as projector_screen
from workshop.screens.slides import Deck


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    sessions = (
        access.sessions_of(request.user)
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
            ask_recognition=form.cleaned_data["ask_recognition"],
            questionnaire=form.cleaned_data["questionnaire"],
            created_by=request.user,
        )
        return redirect("console", session.code)
    status = 400 if request.method == "POST" else 200
    ctx = {"form": form, "organisations": organisations}
    return render(request, "workshop/session_new.html", ctx, status=status)


@login_required
def console(request: HttpRequest, code: str) -> HttpResponse:
    session = access.get_session_for_user(request, code)
    return render(request, "workshop/console.html", console_screen.page_context(request, session))


@login_required
@require_POST
def change_step(request: HttpRequest, code: str) -> HttpResponse:
    session = access.get_session_for_user(request, code)
    step = request.POST.get("step", "")
    try:
        if step == console_screen.SECOND_ROUND:
            session = services.open_second_round(session)
        else:
            session = services.move_to(session, step)
    except services.WorkshopError as error:
        return _live_error(request, session, error)
    return _live_answer(request, session)


def _live_answer(request: HttpRequest, session, context: dict | None = None) -> HttpResponse:
    """After a console action: the console's live part (htmx), or the console page."""
    if not request.htmx:
        return redirect("console", session.code)
    context = context or console_screen.live_context(session)
    return render(request, console_screen.LIVE_TEMPLATE, context)


def _live_error(request: HttpRequest, session, error: services.WorkshopError) -> HttpResponse:
    """A console action the session's state refuses: the live part with the reason."""
    ctx = console_screen.live_context(session) | {"error": error.message}
    return render(request, console_screen.LIVE_TEMPLATE, ctx, status=error.status)


@login_required
@require_POST
def show_slide(request: HttpRequest, code: str) -> HttpResponse:
    """The next or previous slide, or one by its number, from the console's buttons, its
    keyboard or a clicker on the projector's page."""
    session = access.get_session_for_user(request, code)
    context = console_screen.live_context(session)
    deck = context["deck"]
    target = request.POST.get("to", "")
    index = {"next": deck.index + 1, "previous": deck.index - 1}.get(target)
    if index is None:
        try:
            index = int(target) - 1
        except ValueError:
            return HttpResponse(_("Say which slide: next, previous or its number."), status=400,
                                content_type="text/plain; charset=utf-8")
    try:
        session = services.show_slide(session, index, deck.count)
    except services.WorkshopError as error:
        return HttpResponse(error.message, status=error.status,
                            content_type="text/plain; charset=utf-8")
    # Only the slide moved: the context read above, with the deck at its new place.
    return _live_answer(request, session, context | {"deck": Deck(deck.slides, session.slide)})


@login_required
@require_POST
def resend_step(request: HttpRequest, code: str) -> HttpResponse:
    session = access.get_session_for_user(request, code)
    services.resend_step(session)
    return _live_answer(request, session)


@login_required
@require_POST
def remove_participant(request: HttpRequest, code: str, number: int) -> HttpResponse:
    session = access.get_session_for_user(request, code)
    try:
        services.remove_participant(session, number)
    except services.WorkshopError as error:
        return _live_error(request, session, error)
    session.refresh_from_db()  # auto-reveal may have revealed it
    return _live_answer(request, session)


@login_required
@require_POST
def add_note(request: HttpRequest, code: str) -> HttpResponse:
    session = access.get_session_for_user(request, code)
    form = NoteForm(request.POST)
    if not form.is_valid():
        ctx = console_screen.notes_context(session, form)
        return render(request, console_screen.NOTES_TEMPLATE, ctx, status=400)
    services.add_note(session, **form.cleaned_data)
    if not request.htmx:
        return redirect("console", session.code)
    return render(request, console_screen.NOTES_TEMPLATE, console_screen.notes_context(session))


@login_required
def projector(request: HttpRequest, code: str) -> HttpResponse:
    session = access.get_session_for_user(request, code)
    return render(request, "workshop/projector.html",
                  projector_screen.page_context(request, session))
