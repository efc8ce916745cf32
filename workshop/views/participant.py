"""The participant's side, phone first: join with a code, answer one question per screen, see
their own result next to the group's after the reveal. No account: a random token in a cookie,
one per session, brings the same phone back to the same participant."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from workshop import access, services, throttle, tools
from workshop.forms import CodeForm, JoinForm, SuggestionForm
from workshop.identity import COOKIE_MAX_AGE, participant_cookie, participant_token
from workshop.models import Participant, Session, normalize_code
from workshop.screens import kept, phone

JOIN_TEMPLATE = "workshop/join_session.html"
PAGE_TEMPLATE = "workshop/participant.html"
ME_TEMPLATE = "workshop/participant.html#me"


def _current_participant(request: HttpRequest, code: str) -> Participant | None:
    return access.find_participant(code, participant_token(request.COOKIES, code))


def _message(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "workshop/phone_message.html", {"message": message}, status=status)


def _phone_error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """An error for an htmx request from the phone: shown in the alert area, so the question
    on screen (and what was already saved) stays as it is."""
    response = render(request, "workshop/phone.html#error", {"message": message}, status=status)
    response["HX-Retarget"] = "#phone-alert"
    response["HX-Reswap"] = "innerHTML"
    return response


def _unknown_code_message() -> str:
    return _("There is no session with that code. Check the code and try again.")


@require_http_methods(["GET", "POST"])
@throttle.limit_code_guesses
def join_with_code(request: HttpRequest) -> HttpResponse:
    """`/join`: type the code shown on the projector."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = access.find_session(normalize_code(form.cleaned_data["code"]))
        if session is not None:
            return redirect("join_session", session.code)
        throttle.wrong_code(request)
        form.add_error("code", _unknown_code_message())
    status = 400 if request.method == "POST" else 200
    return render(request, "workshop/join.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@throttle.limit_code_guesses
def join_session(request: HttpRequest, code: str) -> HttpResponse:
    """`/j/<CODE>`: join, or come back to the session as the same participant."""
    # A phone that joined is found with its session in one query (a reload, a reopened link);
    # only a phone without a participant reads the session on its own.
    participant = _current_participant(request, code)
    session = participant.session if participant is not None else access.find_session(code)
    if session is None:
        throttle.wrong_code(request)
        return _message(request, _unknown_code_message(), 404)
    canonical = reverse("join_session", args=[session.code])
    if request.path != canonical:
        # The code as typed ("abc-def"): one address per session, for the cookie's sake too.
        return redirect(canonical)
    if participant is not None:
        # A reload, a reopened link or a replayed join: the same participant, never a second one.
        return _participant_page(request, session, participant)
    if not session.accepts_joins:
        if session.results_visible and request.method == "GET":
            # Too late to answer, not too late to follow the results and the discussion.
            return _live_page(request, session, phone.follower_page_context(session))
        return _message(request, _("This session no longer accepts new participants: answering "
                                   "has been closed. Ask the facilitator to follow along on the "
                                   "projector."), 403)

    form = JoinForm(session.disciplines, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.join(session, form.cleaned_data["name"].strip(),
                                        form.cleaned_data["discipline"],
                                        form.cleaned_data["join_key"])
        except services.WorkshopError as error:
            return _message(request, error.message, error.status)
        response = _participant_page(request, session, participant)
        response.set_cookie(
            participant_cookie(session.code), participant.token, max_age=COOKIE_MAX_AGE,
            httponly=True, samesite="Lax", secure=request.is_secure(),
        )
        return response
    context = {"session": session, "form": form}
    if request.method == "GET" and kept.keepable(request):
        # The page every phone of a room asks for at once: rendered once per session and
        # language (the key holds all the page shows of the session), each phone's own token
        # and join key put in.
        return HttpResponse(kept.page(
            request, JOIN_TEMPLATE, context, key=(session.title, tuple(session.disciplines)),
            values={"csrf_token": get_token(request), "join_key": form.page_join_key},
        ))
    status = 400 if request.method == "POST" else 200
    return render(request, JOIN_TEMPLATE, context | {"join_key": form.page_join_key},
                  status=status)


def _participant_page(request: HttpRequest, session: Session,
                      participant: Participant) -> HttpResponse:
    """The joined phone's page. The join's POST is answered with it too, instead of a redirect
    to it: when a room joins at once, that is one request fewer per phone (a tenth of a join's
    server time). live.js turns the POST's history entry into this page's address, so a
    reload or a restored tab asks for the page (GET) and never offers to send the form again;
    without JavaScript a resent form meets its own join key and brings back the same
    participant."""
    return _live_page(request, session, phone.page_context(session, participant), participant)


def _live_page(request: HttpRequest, session: Session, context: dict,
               participant: Participant | None = None) -> HttpResponse:
    """A phone's page that follows the session: its stage rendered as a push and a socket
    send it (phone.render_stage), who it joined as, and the page around them. That page is
    the same for every phone of the session (the key holds what it shows of the session), so
    it is kept (kept.py): a room that joins at once, or reloads at once, is answered from it."""
    stage = phone.render_stage(session, translation.get_language(), context)
    me = render_to_string(ME_TEMPLATE, {"participant": participant})
    if kept.keepable(request):
        return HttpResponse(kept.page(
            request, PAGE_TEMPLATE, context, key=(session.title, context.get("following")),
            values={"csrf_token": get_token(request), "stage": stage, "me": me},
        ))
    return render(request, PAGE_TEMPLATE, context | {"stage": stage, "me": me})


def phone_fragment(view):
    """For the htmx fragments of the phone: a WorkshopError becomes a message in the alert area."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except services.WorkshopError as error:
            return _phone_error(request, error.message, error.status)

    return wrapper


def _get_participant_for_phone(request: HttpRequest, code: str) -> Participant:
    """The phone's participant with its session, in one query: this runs on every answer."""
    participant = _current_participant(request, code)
    if participant is not None:
        return participant
    if throttle.guessed_too_often(request):
        raise services.WorkshopError(throttle.message(), status=429)
    if access.find_session(code) is None:
        throttle.wrong_code(request)
        raise services.WorkshopError(_unknown_code_message(), status=404)
    raise services.WorkshopError(_("Join the session first."), status=403)


def _screen(request: HttpRequest, quiz: dict, saved: int | None = None) -> HttpResponse:
    """An answering screen for #quiz (phone.answering_screen says which)."""
    return HttpResponse(phone.render_screen(quiz["session"], quiz, saved, request.LANGUAGE_CODE))


@require_http_methods(["GET", "POST"])
@phone_fragment
def question(request: HttpRequest, code: str, number: int | None = None) -> HttpResponse:
    """One question per screen. POST saves the answer and answers with the next screen."""
    participant = _get_participant_for_phone(request, code)
    if request.method == "POST":
        return HttpResponse(answer_screen(participant, number, request.POST.get("option", ""),
                                          request.POST.get("from", ""), request.LANGUAGE_CODE))
    session = participant.session
    total = len(session.cached_questionnaire.ordered_questions())
    if number is not None and not 0 <= number <= total:
        raise services.WorkshopError(_("That question does not exist."), status=404)
    answers = phone.round_answers(participant, session.round)
    return _screen(request, phone.answering_screen(session, participant, answers, number,
                                                   request.GET.get("from", "")))


def answer_screen(participant: Participant, number: int | None, option: str, came_from: str,
                  language: str) -> str:
    """Save a phone's answer to question `number` and give the screen that comes next.

    Shared by the view above and the phone's answer endpoint (config/phone_answers.py), which
    serves the same request without Django's HTTP handler: the same checks, the same bytes.
    The endpoint saves a batch of answers first and renders their screens after the commit."""
    return save_phone_answer(participant, number, option, came_from)(language)


def save_phone_answer(participant: Participant, number: int | None, option: str,
                      came_from: str) -> Callable[[str], str]:
    """Save a phone's answer to question `number`; returns what renders the next screen (in a
    language), which depends on where the phone came from."""
    session = participant.session
    questions = session.cached_questionnaire.ordered_questions()
    if not number or not 0 < number <= len(questions):
        raise services.WorkshopError(_("That question does not exist."), status=404)
    try:
        option_id = int(option)
    except ValueError:
        raise services.WorkshopError(_("Choose one of the answers."), status=400) from None
    saved = services.save_answer(participant, questions[number - 1].pk, option_id)
    # The round the answer went into (the session read with the participant may be older).
    session.round = saved.round

    def screen(language: str) -> str:
        next_number = phone.screen_after_saving(number, len(questions), came_from)
        cached = phone.cached_answer_screen(session, participant, saved.answers, next_number,
                                            came_from, number, language)
        if cached is not None:
            return cached
        quiz = phone.answering_screen(session, participant, saved.answers, next_number,
                                      came_from)
        return phone.render_screen(session, quiz, number, language)

    return screen


def recognition_screen(participant: Participant, phase: str, language: str) -> str:
    """Save the description a phone recognises and give the overview it goes to (shared with
    config/phone_answers.py, as answer_screen)."""
    return save_recognition(participant, phase)(language)


def save_recognition(participant: Participant, phase: str) -> Callable[[str], str]:
    """Save the description a phone recognises; returns what renders the overview (in a
    language)."""
    answers = services.recognise(participant, phase)
    session = participant.session

    def screen(language: str) -> str:
        return phone.render_screen(
            session, phone.answering_screen(session, participant, answers, 0), None, language)

    return screen


@require_http_methods(["GET", "POST"])
@phone_fragment
def recognise(request: HttpRequest, code: str) -> HttpResponse:
    """"Klinkt dit bekend?": GET shows the four descriptions, POST saves the one chosen and
    answers with the overview."""
    participant = _get_participant_for_phone(request, code)
    session = participant.session
    if request.method == "GET":
        return _screen(request, phone.recognition_context(session, participant))
    return HttpResponse(recognition_screen(participant, request.POST.get("phase", ""),
                                           request.LANGUAGE_CODE))


@require_http_methods(["GET", "POST"])
@phone_fragment
def tool_vote(request: HttpRequest, code: str) -> HttpResponse:
    """The phone's own vote in the open tool: loaded by the tool's slide, and saved on every
    tap (the phone sends the points it wants for one choice)."""
    participant = _get_participant_for_phone(request, code)
    session = participant.session
    spec = tools.SPECS.get(session.tool)
    if spec is None or spec.vote is None or session.step != session.DISCUSSION:
        raise services.WorkshopError(_("This vote is closed."))
    saved = False
    if request.method == "POST":
        try:
            points = int(request.POST.get("points", ""))
        except ValueError:
            raise services.WorkshopError(_("Choose one of the options."), status=400) from None
        services.cast_vote(participant, spec.phase, request.POST.get("choice", ""), points)
        saved = True
    return render(request, "workshop/tool.html#phone-vote",
                  phone.vote_context(session, participant, saved))


@require_POST
@phone_fragment
def confirm_round(request: HttpRequest, code: str) -> HttpResponse:
    """The second round: "done" on the review screen."""
    participant = _get_participant_for_phone(request, code)
    session = participant.session
    services.confirm_round(participant)
    answers = phone.round_answers(participant, session.round)
    return _screen(request, phone.review_context(session, participant, answers))


@require_POST
@phone_fragment
def tool_suggest(request: HttpRequest, code: str) -> HttpResponse:
    """A suggestion for the open tool's plan: the facilitator takes it in, or not."""
    participant = _get_participant_for_phone(request, code)
    form = SuggestionForm(request.POST)
    if not form.is_valid():
        raise services.WorkshopError(_("Write a suggestion of at most 500 characters."), 400)
    services.suggest_item(participant, form.cleaned_data["part"], form.cleaned_data["text"].strip())
    return render(request, "workshop/tool.html#suggest-form",
                  phone.suggest_context(participant.session))
