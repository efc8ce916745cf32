"""What a phone shows for the session's step: once for every phone (a broadcast), or for one
phone (its page, or its socket re-syncing).

Everything a phone would otherwise fetch at the moment a step changes is sent with the step,
so that a step change does not set off one HTTP request per phone: at the start, question 1
is in the pushed stage; at the reveal, each phone's own result goes in the same frame,
rendered once per distinct score.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections import OrderedDict
from dataclasses import dataclass, fields, is_dataclass

from channels.db import database_sync_to_async
from django.db import DatabaseError, models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from assessments import scoring
from assessments.models import Option, Question
from content.models import Phase
from workshop import access, sockets, tools
from workshop.models import Answer, Note, Participant, Session
from workshop.results import answer_sets, build_results, remember
from workshop.screens import slides

logger = logging.getLogger(__name__)

STAGE_TEMPLATE = "workshop/participant.html#stage"


@dataclass(frozen=True)
class OverviewLine:
    """A line of the phone's overview: a question and the option chosen (None: not yet)."""

    number: int
    question: Question
    chosen: Option | None


# A question opened from the overview carries this, so that saving goes back there; an
# answer changed on the second round's review screen goes back to that screen.
FROM_OVERVIEW = "overview"
FROM_REVIEW = "review"

SCREENS = "workshop/phone.html"
LETTERS = "ABCDEFGH"


def _chosen_option(question: Question, answers: dict[int, int]) -> Option | None:
    return next((o for o in question.options.all() if o.pk == answers.get(question.pk)), None)


def question_context(session: Session, answers: dict[int, int], number: int,
                     from_overview: bool = False, participant: Participant | None = None) -> dict:
    """The screen for question `number` (0: the overview), given the phone's answers.
    `from_overview`: the phone came to change an answer, and goes back to the overview."""
    questions = session.cached_questionnaire.ordered_questions()
    question = questions[number - 1] if 1 <= number <= len(questions) else None
    overview = [
        OverviewLine(n, q, _chosen_option(q, answers)) for n, q in enumerate(questions, start=1)
    ] if question is None else []
    recognition = None
    if question is None and participant is not None and session.asks_recognition:
        recognition = recognition_choice(participant)
    return {
        "partial": f"{SCREENS}#{'question' if question else 'summary-body'}",
        "session": session,
        "number": number,
        "question": question,
        "chosen": answers.get(question.pk) if question else None,
        "overview": overview,
        "recognition": recognition,
        "answered": len(answers),
        "total": len(questions),
        "finished": len(answers) == len(questions)
        and (not session.asks_recognition or recognition is None or bool(recognition.chosen)),
        "from_overview": from_overview and question is not None,
    }


@dataclass(frozen=True)
class Description:
    """A phase's signs ("Zo herken je het") under a letter, without the phase's name."""

    letter: str
    phase: Phase

    @property
    def slug(self) -> str:
        return self.phase.slug


@dataclass(frozen=True)
class RecognitionChoice:
    descriptions: list[Description]
    chosen: str  # the slug chosen, "" not yet

    @property
    def chosen_letter(self) -> str:
        return next((d.letter for d in self.descriptions if d.slug == self.chosen), "")


def description_order(participant: Participant, slugs: list[str]) -> list[str]:
    """The phases in an order of this phone's own (the same on every visit): a fixed order
    would tell that the first description is the first phase."""
    order = list(slugs)
    random.Random(participant.token).shuffle(order)
    return order


def recognition_choice(participant: Participant) -> RecognitionChoice:
    phases = Phase.by_slug()
    slugs = [slug for slug in participant.session.cached_questionnaire.instrument().phases
             if slug in phases]
    order = description_order(participant, slugs)
    return RecognitionChoice(
        [Description(LETTERS[i], phases[slug]) for i, slug in enumerate(order)],
        participant.recognised,
    )


def recognition_context(session: Session, participant: Participant) -> dict:
    return {"partial": f"{SCREENS}#recognition", "session": session,
            "recognition": recognition_choice(participant)}


@dataclass(frozen=True)
class ReviewLine:
    """A question on the second round's review screen: the option chosen now, and the one
    chosen in the first round."""

    number: int
    question: Question
    chosen: int | None
    first: int | None


def review_context(session: Session, participant: Participant, answers: dict[int, int],
                   first: dict[int, int] | None = None) -> dict:
    """The second round on one screen: every question with its options, the current answer
    marked (at first the first round's), so that changing an answer is one tap. `first`: the
    participant's first-round answers, when they were read already."""
    questions = session.cached_questionnaire.ordered_questions()
    if first is None:
        first = round_answers(participant, 1)
    return {
        "partial": f"{SCREENS}#review",
        "session": session,
        "lines": [ReviewLine(n, q, answers.get(q.pk), first.get(q.pk))
                  for n, q in enumerate(questions, start=1)],
        "complete": len(answers) == len(questions),
        "confirmed": participant.confirmed_round >= session.round,
        "from_review": FROM_REVIEW,
    }


# Which answering screen a phone is on (answering_route): a question or the overview, the
# recognition question, or the second round's review screen.
QUESTION, RECOGNITION, REVIEW = "question", "recognition", "review"


def answering_route(session: Session, participant: Participant, answers: dict[int, int],
                    number: int | None, came_from: str) -> tuple[str, int]:
    """(which screen, the question's number): question `number` (None: where the phone is;
    0: the overview), the recognition question once the questions are answered, or in the
    second round the review screen."""
    if session.round > 1 and (number is None or came_from == FROM_REVIEW):
        return REVIEW, 0
    if number is None:
        number = first_open_question(session, answers)
        if number == 0 and session.asks_recognition and not participant.recognised:
            return RECOGNITION, 0
    return QUESTION, number


def answering_screen(session: Session, participant: Participant, answers: dict[int, int],
                     number: int | None = None, came_from: str = "",
                     first: dict[int, int] | None = None) -> dict:
    """The screen a phone shows while answering (answering_route says which; `first`: as for
    review_context)."""
    screen, number = answering_route(session, participant, answers, number, came_from)
    if screen == REVIEW:
        return review_context(session, participant, answers, first)
    if screen == RECOGNITION:
        return recognition_context(session, participant)
    return question_context(session, answers, number, came_from == FROM_OVERVIEW, participant)


# The screens sent in answer to a saved answer, rendered once per process for each way they
# can look: a question screen shows the question, the option already chosen, whether the phone
# came from the overview and which answer was just saved, in one language, and nothing of the
# phone's own beyond that; the recognition question only its order of the descriptions.
# Bounded like the own results below.
ANSWER_SCREENS_KEPT = 2000
_answer_screens: OrderedDict[tuple, str] = OrderedDict()


def cached_answer_screen(session: Session, participant: Participant, answers: dict[int, int],
                         number: int | None, came_from: str, saved: int,
                         language: str) -> str | None:
    """The #quiz screen after answer `saved` was saved, from the cache (rendered on a miss):
    question `number`, or after the last question the recognition question. None when the
    next screen is another (the overview, the review screen), which the caller renders."""
    screen, number = answering_route(session, participant, answers, number, came_from)
    if screen == RECOGNITION:
        # It differs between phones only in the order of the descriptions (one of 24 for four
        # phases), nothing is chosen yet.
        quiz = recognition_context(session, participant)
        key = ("recognition", session.code, session.questionnaire_id, language,
               tuple(d.slug for d in quiz["recognition"].descriptions))
        return _cached_screen(key, session, lambda: quiz, None, language)
    questions = session.cached_questionnaire.ordered_questions()
    if screen == REVIEW or not 1 <= number <= len(questions):
        return None
    question = questions[number - 1]
    from_overview = came_from == FROM_OVERVIEW
    key = ("question", session.code, session.questionnaire_id, language, number,
           answers.get(question.pk), from_overview, saved)
    return _cached_screen(key, session,
                          lambda: question_context(session, answers, number, from_overview),
                          saved, language)


def _cached_screen(key: tuple, session: Session, quiz, saved: int | None, language: str) -> str:
    html = _answer_screens.get(key)
    if html is None:
        html = render_screen(session, quiz(), saved, language)
        remember(_answer_screens, key, html, ANSWER_SCREENS_KEPT)
    return html


def render_screen(session: Session, quiz: dict, saved: int | None, language: str) -> str:
    """An answering screen for #quiz (it needs no request: no form token, no user)."""
    with translation.override(language):
        return render_to_string(f"{SCREENS}#screen",
                                {"session": session, "quiz": quiz, "saved": saved})


def screen_after_saving(number: int, total: int, came_from: str) -> int | None:
    """Where a phone goes once question `number` is saved: the next question, or after the
    last one where the phone is (None: the recognition question or the overview), or back
    where it came from to change an answer."""
    if came_from == FROM_OVERVIEW:
        return 0
    return None if came_from == FROM_REVIEW or number >= total else number + 1


def first_open_question(session: Session, answers: dict[int, int]) -> int:
    for number, question in enumerate(session.cached_questionnaire.ordered_questions(), start=1):
        if question.pk not in answers:
            return number
    return 0  # all answered: the overview


@dataclass(frozen=True)
class OwnScore:
    """What a phone shows of its own after a reveal (hashable: fragments are cached by it)."""

    score: scoring.ParticipantScore
    recognised: str = ""  # the phase slug recognised (shown with the first round)
    first: scoring.ParticipantScore | None = None  # the first round's, beside the second's


NO_SCORE = OwnScore(scoring.ParticipantScore(0, 0, False, None, None))


def own_result_context(session: Session, own: OwnScore, phases: dict[str, Phase] | None = None,
                       max_total: int | None = None) -> dict:
    """A phone's own result. `phases` and `max_total` as read earlier in the database thread,
    for a caller in the event loop (own_result_push), which must not read them itself."""
    phases = phases if phases is not None else Phase.by_slug()
    score, first = own.score, own.first
    if max_total is None:
        max_total = session.cached_questionnaire.instrument().max_total
    return {
        "score": score,
        "max_total": max_total,
        "phase": phases.get(score.phase),
        "border_phase": phases.get(score.border_with),
        "recognised": phases.get(own.recognised),
        "recognised_same": own.recognised == score.phase,
        "first": first if first is not None and first.complete else None,
        "first_phase": phases.get(first.phase) if first is not None else None,
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


def stage_context(session: Session, participant: Participant | None = None,
                  answers: dict[int, int] | None = None,
                  first: dict[int, int] | None = None) -> dict:
    """The stage for every phone (participant None) or for one phone (`answers`: its answers
    in the round, and `first` in the first round, when they were read already)."""
    context = {"session": session, "results": None, "quiz": None, "own": None, "follow": None,
               "joined": None}
    if session.step == Session.LOBBY:
        # Pushed to every phone alike: the count as it is when the stage is rendered.
        context["joined"] = access.count_participants(session)
    if session.results_visible:
        context["results"] = build_results(session)
        context["follow"] = follow_context(session, context["results"])
    if participant is not None:
        if session.step == Session.ANSWERING:
            if answers is None:
                answers = round_answers(participant, session.round)
            context["quiz"] = answering_screen(session, participant, answers, first=first)
        elif context["results"]:
            context["own"] = own_result_context(session, own_score(session, participant))
    elif session.step == Session.ANSWERING and session.round == 1 and not Answer.objects.filter(
        participant__session=session
    ).exists():
        # The first start: everyone begins at question 1 with nothing chosen. (In the second
        # round each phone starts from its own answers and loads its own screen.)
        context["quiz"] = question_context(session, {}, 1)
    return context


def round_answers(participant: Participant, round: int) -> dict[int, int]:
    return dict(participant.answers.filter(round=round).values_list("question_id", "option_id"))


def own_score(session: Session, participant: Participant) -> OwnScore:
    return own_scores(session, [participant])[participant.pk]


def own_scores(session: Session, participants: list[Participant]) -> dict[int, OwnScore]:
    """Participant id -> their score in the round shown, for a few phones: their answers
    only, in one query per round."""
    return scores_of(session, [participant.pk for participant in participants],
                     {participant.pk: participant.recognised for participant in participants})


def scores_of(session: Session, among: list[int] | None,
              recognised: dict[int, str]) -> dict[int, OwnScore]:
    """Participant id -> their score in the round shown: of those `among` (ids), or of every
    participant who answered (None), from one query per round."""
    first = answer_sets(session, 1, among=among)
    shown = session.shown_round
    latest = first if shown == 1 else answer_sets(session, shown, among=among)
    scorer = scoring.Scorer(session.cached_questionnaire.instrument())
    return {pid: own_score_of(session, first.get(pid, {}), latest.get(pid, {}),
                              recognised.get(pid, ""), scorer)
            for pid in (among if among is not None else set(first) | set(latest))}


def own_score_of(session: Session, first: dict[int, int], latest: dict[int, int],
                 recognised: str, scorer: scoring.Scorer | None = None) -> OwnScore:
    """A participant's score in the round shown (`latest`: its answers), with what to set
    beside it: the phase they recognised in the first round, or their first-round score."""
    scorer = scorer or scoring.Scorer(session.cached_questionnaire.instrument())
    before = scorer(first)
    if session.shown_round == 1:
        return OwnScore(before, recognised if session.ask_recognition else "")
    return OwnScore(scorer(latest), first=before)


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


def render_current_stages(participants: list[Participant], language: str) -> list[str]:
    """The stages of (re)connecting phones of one session, from one read of it. While
    answering, each phone's own screen. Otherwise every phone is sent the stage they are all
    pushed, rendered once, and after a reveal each its own result with it, as the reveal's
    push does (own_result_push): a room whose sockets come back together after the reveal
    costs one render, not one per phone."""
    # Read again, after the phones joined the group: a change made since it was read with
    # the participant (consumers.py, authorise) reached them neither by push nor by this.
    session = access.find_session(participants[0].session.code)
    if session is None:
        raise LookupError("The session was deleted.")
    if session.step == Session.ANSWERING:
        return answering_stages(session, participants, language)
    shared = render_stage(session, language, stage_context(session))
    if not session.results_visible:
        return [shared] * len(participants)
    scores = own_scores(session, participants)
    own = {score: render_own_result(session, score, language) for score in set(scores.values())}
    return [shared + own[scores[participant.pk]] for participant in participants]


def answering_stages(session: Session, participants: list[Participant],
                     language: str) -> list[str]:
    """While answering, each phone's stage shows its own screen (answering_screen): where it is
    in the quiz. Most phones of a room are on one of a few screens (the same question, not yet
    answered), so their answers are read in one query (and in the second round their first
    round's in another) and each distinct screen is rendered once. Nothing else in the stage
    differs between phones while answering."""
    among = [p.pk for p in participants]
    answers = answer_sets(session, session.round, among=among)
    first = answer_sets(session, 1, among=among) if session.round > 1 else None
    rendered: dict[tuple, str] = {}
    stages = []
    for participant in participants:
        context = stage_context(session, participant, answers.get(participant.pk, {}),
                                None if first is None else first.get(participant.pk, {}))
        try:
            key = frozen(context["quiz"])
        except TypeError:  # a value it cannot tell apart: a key of this phone's own
            key = object()
        if key not in rendered:
            rendered[key] = render_stage(session, language, context)
        stages.append(rendered[key])
    return stages


def frozen(value) -> tuple:
    """A screen's context as a key: equal keys, equal renders. Each value with its type (a
    SafeString is not escaped where an equal str is, True is not printed as 1); models by
    their primary key (one questionnaire, read once), dataclasses by their fields, containers
    by their contents. Anything else raises TypeError."""
    kind = type(value)
    if kind is dict:
        return (kind, *((name, frozen(item)) for name, item in value.items()))
    if kind is list or kind is tuple:
        return (kind, *(frozen(item) for item in value))
    if isinstance(value, models.Model):
        return (kind, value.pk)
    if is_dataclass(value):
        return (kind, *(frozen(getattr(value, field.name)) for field in fields(value)))
    if value is None or kind in (str, SafeString, int, bool):
        return (kind, value)
    raise TypeError(f"{kind.__name__} is not a plain value")


def render_each(participants: list[Participant], language: str) -> list[str | Exception]:
    """render_current_stages, and should it fail, each phone on its own: one phone whose
    state cannot be rendered does not cost the others theirs."""
    try:
        return render_current_stages(participants, language)
    except (LookupError, DatabaseError) as error:  # the session or the database: every phone's
        return [error] * len(participants)
    except Exception as error:
        if len(participants) == 1:
            return [error]
        logger.warning("The stage of %d phones failed together; each on its own now",
                       len(participants), exc_info=True)
    stages: list[str | Exception] = []
    for participant in participants:
        try:
            stages.append(render_current_stages([participant], language)[0])
        except Exception as error:
            stages.append(error)
    return stages


# Phones of one session and language that ask for their current stage at about the same
# moment (a room whose sockets come back together) are served by one render_current_stages.
# One runs at a time per session and language; a phone that asks meanwhile waits for the
# next, which reads the database after it asked: no phone is sent a state older than its
# request.
_asking: dict[tuple, list[tuple[Participant, asyncio.Future]]] = {}
_serving: dict[tuple, asyncio.Task] = {}


async def current_stage(participant: Participant, language: str) -> str:
    """A (re)connecting phone's stage, read from the database."""
    loop = asyncio.get_running_loop()
    key = (loop, participant.session_id, language)
    future = loop.create_future()
    _asking.setdefault(key, []).append((participant, future))
    task = _serving.get(key)
    if task is None or task.done():
        task = _serving[key] = asyncio.ensure_future(_serve(key))
        task.add_done_callback(functools.partial(_served, key))
    return await future


async def _serve(key: tuple) -> None:
    while key in _asking:
        asking = _asking.pop(key)
        try:
            stages = await database_sync_to_async(render_each)(
                [participant for participant, _ in asking], key[2])
            for (_, future), stage in zip(asking, stages, strict=True):
                if future.done():  # its socket closed meanwhile
                    continue
                if isinstance(stage, Exception):
                    future.set_exception(stage)
                else:
                    future.set_result(stage)
        except BaseException:
            # Back in line for _served, which cancels them (or the next task serves them).
            _asking.setdefault(key, [])[:0] = [(p, f) for p, f in asking if not f.done()]
            raise


def _served(key: tuple, task: asyncio.Task) -> None:
    """However _serve ended (cancelled with the server, even before it began), nobody is left
    waiting and nothing is kept, unless a phone that asked since started the next one."""
    if _serving.get(key) is task:
        del _serving[key]
        for _, future in _asking.pop(key, []):
            future.cancel()
    if not task.cancelled() and task.exception() is not None:
        logger.error("Serving the phones' stages failed", exc_info=task.exception())


# The scores of the latest reveals, computed once per reveal (`version`) for all the phones
# connected to this process, and the own-result fragments rendered from them. Both are
# bounded: a process that serves many sessions over weeks keeps only the recent ones.
SCORES_KEPT = 32
FRAGMENTS_KEPT = 1000


@dataclass(frozen=True)
class RevealScores:
    """What a reveal's own-result fragments are made of, read in the database thread: the
    fragments are rendered in the event loop, which must not touch the database, and the
    phases and the questionnaire come from a cache that expires after a minute (a render that
    found it expired read the database from the loop, Django refused, and every phone of the
    process that rendered after that moment lost its socket with 1011)."""

    session: Session
    scores: dict[int, OwnScore]
    phases: dict[str, Phase]
    max_total: int


_scores: OrderedDict[tuple[str, str], asyncio.Future] = OrderedDict()
_fragments: OrderedDict[tuple, str] = OrderedDict()
_ready: dict[tuple[str, str], RevealScores] = {}


def prepare_own_results(session: Session, version: str) -> None:
    """At the reveal, in the thread that announces it: every phone's score in one pass, ready
    before the push goes out, so that no phone of this process waits for the database (a hop
    to the shared thread, behind the facilitator's own response) before its frame is sent.
    Other processes (Redis) load them on the first phone's push, as before."""
    _ready[(session.code, version)] = _load_scores(session.code, session)
    while len(_ready) > SCORES_KEPT:
        _ready.pop(next(iter(_ready)))


def _load_scores(code: str, session: Session | None = None) -> RevealScores:
    session = session or access.find_session(code)
    recognised = dict(session.participants.exclude(recognised="").values_list(
        "id", "recognised")) if session.ask_recognition and session.shown_round == 1 else {}
    return RevealScores(session, scores_of(session, None, recognised), Phase.by_slug(),
                        session.cached_questionnaire.instrument().max_total)


async def own_result_push(code: str, version: str, participant_id: int, language: str) -> str:
    """The #my-result fragment for one phone after a reveal, as an out-of-band swap. Runs in
    the event loop: everything it renders from was read in the database thread."""
    key = (code, version)
    ready = _ready.get(key)
    if ready is None:
        future = _scores.get(key)
        if future is None:
            future = asyncio.ensure_future(database_sync_to_async(_load_scores)(code))
            remember(_scores, key, future, SCORES_KEPT)
        # Shielded: the phones of this process share the future, and a phone whose socket
        # closes meanwhile (its consumer cancelled) must not cancel it for the others.
        ready = await asyncio.shield(future)
    score = ready.scores.get(participant_id, NO_SCORE)
    fragment_key = (code, version, language, score)
    html = _fragments.get(fragment_key)
    if html is None:
        html = render_own_result(ready.session, score, language, ready.phases, ready.max_total)
        remember(_fragments, fragment_key, html, FRAGMENTS_KEPT)
    return html


def render_own_result(session: Session, score: OwnScore, language: str,
                      phases: dict[str, Phase] | None = None, max_total: int | None = None) -> str:
    """A phone's own result as the out-of-band fragment that follows the shared stage (see
    own_result_context for `phases` and `max_total`)."""
    with translation.override(language):
        return render_to_string("workshop/phone.html#my-result-push", {
            "own": own_result_context(session, score, phases, max_total)})


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
