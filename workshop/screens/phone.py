"""What a phone shows for the session's step: once for every phone (a broadcast), or for one
phone (its page, or its socket re-syncing).

Everything a phone would otherwise fetch at the moment a step changes is sent with the step,
so that a step change does not set off one HTTP request per phone: at the start, question 1
is in the pushed stage; at the reveal, each phone's own result goes in the same frame,
rendered once per distinct score.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.template.loader import render_to_string
from django.utils import translation

from assessments import scoring
from assessments.models import Option, Question
from content.models import Phase
from workshop import access, sockets, tools
from workshop.models import Answer, Note, Participant, Session
from workshop.results import answer_sets, build_results
from workshop.screens import slides

STAGE_TEMPLATE = "workshop/participant.html#stage"


@dataclass(frozen=True)
class OverviewLine:
    """A line of the phone's overview: a question and the option chosen (None: not yet)."""

    number: int
    question: Question
    chosen: Option | None


# A question opened from the overview carries this, so that saving goes back there.
FROM_OVERVIEW = "overview"


def question_context(session: Session, answers: dict[int, int], number: int,
                     from_overview: bool = False) -> dict:
    """The screen for question `number` (0: the overview), given the phone's answers.
    `from_overview`: the phone came to change an answer, and goes back to the overview."""
    questions = session.cached_questionnaire.ordered_questions()
    question = questions[number - 1] if 1 <= number <= len(questions) else None
    overview = [
        OverviewLine(n, q, next((o for o in q.options.all() if o.pk == answers.get(q.pk)), None))
        for n, q in enumerate(questions, start=1)
    ] if question is None else []
    return {
        "session": session,
        "number": number,
        "question": question,
        "chosen": answers.get(question.pk) if question else None,
        "overview": overview,
        "answered": len(answers),
        "total": len(questions),
        "from_overview": from_overview and question is not None,
    }


def screen_after_saving(number: int, total: int, from_overview: bool) -> int:
    """Where a phone goes once question `number` is saved: the next question, or the overview
    after the last one or when it came from the overview to change an answer."""
    return 0 if from_overview or number >= total else number + 1


def first_open_question(session: Session, answers: dict[int, int]) -> int:
    for number, question in enumerate(session.cached_questionnaire.ordered_questions(), start=1):
        if question.pk not in answers:
            return number
    return 0  # all answered: the overview


def own_result_context(session: Session, score: scoring.ParticipantScore) -> dict:
    phases = Phase.by_slug()
    return {
        "score": score,
        "max_total": session.cached_questionnaire.instrument().max_total,
        "phase": phases.get(score.phase),
        "border_phase": phases.get(score.border_with),
    }


def follow_context(session: Session, results) -> dict | None:
    """In the discussion the phones follow the projector: the slide on the screen, and the
    agreements as they are recorded."""
    if session.step != Session.DISCUSSION or results is None or results.phase is None:
        return None
    deck = slides.deck(session, results, discussion=True)
    return {
        "deck": deck,
        "agreements": list(session.notes.filter(kind=Note.AGREEMENT)),
        # On the tool's slides the phones take part: the prompt and the parts of the result,
        # and (fetched by each phone) its own vote.
        "tool": tools.build_tool(session) if deck.current.key in ("vote", "plan") else None,
        "target_phase": Phase.by_slug().get(session.target_phase),
    }


def stage_context(session: Session, participant: Participant | None = None) -> dict:
    """The stage for every phone (participant None) or for one phone."""
    context = {"session": session, "results": None, "quiz": None, "own": None, "follow": None,
               "joined": None}
    if session.step == Session.LOBBY:
        # Pushed to every phone alike: the count as it is when the stage is rendered.
        context["joined"] = session.participants.count()
    if session.results_visible:
        context["results"] = build_results(session)
        context["follow"] = follow_context(session, context["results"])
    if participant is not None:
        answers = dict(participant.answers.values_list("question_id", "option_id"))
        if session.step == Session.ANSWERING:
            number = first_open_question(session, answers)
            context["quiz"] = question_context(session, answers, number)
        elif context["results"]:
            instrument = session.cached_questionnaire.instrument()
            score = scoring.score_participant(instrument, answers)
            context["own"] = own_result_context(session, score)
    elif session.step == Session.ANSWERING and not Answer.objects.filter(
        participant__session=session
    ).exists():
        # The first start: everyone begins at question 1 with nothing chosen.
        context["quiz"] = question_context(session, {}, 1)
    return context


def page_context(session: Session, participant: Participant) -> dict:
    """The participant's whole page: the stage, who they joined as (outside the stage, which
    every phone is sent alike), and the socket that keeps it current."""
    return stage_context(session, participant) | {
        "participant": participant, "socket_url": sockets.phone(session.code),
    }


def render_stage(session: Session, language: str, context: dict) -> str:
    with translation.override(language):
        return render_to_string(STAGE_TEMPLATE, context)


def follower_page_context(session: Session) -> dict:
    """A latecomer after the lock: the shared stage, read-only, without a participant."""
    return stage_context(session) | {"socket_url": sockets.follow(session.code),
                                     "following": True}


def render_shared_stage(code: str, language: str) -> str:
    session = access.find_session(code)
    return render_stage(session, language, stage_context(session))


def render_current_stage(participant: Participant, language: str) -> str:
    """A (re)connecting phone's stage, read from the database."""
    session = participant.session
    return render_stage(session, language, stage_context(session, participant))


# The scores of the latest reveals, computed once per reveal (`version`) for all the phones
# connected to this process, and the own-result fragments rendered from them. Both are
# bounded: a process that serves many sessions over weeks keeps only the recent ones.
SCORES_KEPT = 32
FRAGMENTS_KEPT = 1000
_scores: OrderedDict[tuple[str, str], asyncio.Future] = OrderedDict()
_fragments: OrderedDict[tuple, str] = OrderedDict()


def _remember(cache: OrderedDict, key, value, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def _load_scores(code: str) -> tuple[Session, dict[int, scoring.ParticipantScore]]:
    session = access.find_session(code)
    instrument = session.cached_questionnaire.instrument()
    Phase.by_slug()  # warm the cache here, in the database thread
    scores = {pid: scoring.score_participant(instrument, answers)
              for pid, answers in answer_sets(session).items()}
    return session, scores


async def own_result_push(code: str, version: str, participant_id: int, language: str) -> str:
    """The #my-result fragment for one phone after a reveal, as an out-of-band swap."""
    key = (code, version)
    future = _scores.get(key)
    if future is None:
        future = asyncio.ensure_future(database_sync_to_async(_load_scores)(code))
        _remember(_scores, key, future, SCORES_KEPT)
    session, scores = await future
    score = scores.get(participant_id) or scoring.ParticipantScore(0, 0, False, None, None)
    fragment_key = (code, version, language, score)
    html = _fragments.get(fragment_key)
    if html is None:
        with translation.override(language):
            html = render_to_string("workshop/phone.html#my-result-push",
                                    {"own": own_result_context(session, score)})
        _remember(_fragments, fragment_key, html, FRAGMENTS_KEPT)
    return html


def vote_context(session: Session, participant: Participant, saved: bool = False) -> dict:
    """One phone's vote in the open tool: the choices with its own points."""
    spec = tools.SPECS[session.tool]
    own = tools.own_votes(participant, spec.phase)
    used = sum(own.values())
    return {
        "session": session,
        "spec": spec,
        "choices": [(choice, own.get(choice.slug, 0)) for choice in tools.choices_for(spec)],
        "left": spec.budget - used,
        "used": used,
        "saved": saved,
    }


def suggest_context(session: Session) -> dict:
    """A fresh suggestion form, saying the last one was sent."""
    return {"session": session, "tool": tools.build_tool(session), "sent": True}
