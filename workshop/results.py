"""What the screens show about a session, read from the database in a few queries and handed
to the pure functions in `assessments.scoring`."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Count, Q, QuerySet, When
from django.db.models.signals import post_delete, post_save
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy

from assessments import scoring
from assessments.models import Question
from content.models import Phase
from workshop.colors import ACCENT, EARLIER, phase_color
from workshop.models import Answer, Participant, Session

# The console lists participants by name; beyond this many it lists the latest and counts the rest.
PROGRESS_LIST_LIMIT = 100

# Labels are resolved when a screen is rendered, in its language, never when the figures are
# read: a phone's stage is built once and rendered once per language (broadcast.step_messages).
_lazy_attribute = lazy(getattr, str)


def localized(obj: object, field: str) -> Promise:
    """`obj.<field>` (a `Localized` text) in the language active when it is rendered."""
    return _lazy_attribute(obj, field)


def discipline_label(name: str) -> str | Promise:
    """A discipline as the screens name it: the folded small ones ("Overige", a data label in
    the figures) in the reader's language."""
    return gettext_lazy("Other") if name == scoring.OTHER_DISCIPLINE else name


@dataclass(frozen=True)
class Bar:
    label: str | Promise
    count: int
    percent: float  # of the largest bar, for drawing
    highlight: bool = False
    color: str = ACCENT
    phase: Phase | None = None  # the phase a bar of the phase chart stands for


@dataclass(frozen=True)
class QuestionView:
    number: int
    question: Question
    result: scoring.QuestionResult
    bars: list[Bar]


@dataclass(frozen=True)
class DisciplineRow:
    """A discipline's line in the comparison: its result, with the means in question order."""

    result: scoring.DisciplineResult
    means: list[float]
    phase: Phase

    @property
    def name(self) -> str | Promise:
        return discipline_label(self.result.name)


@dataclass(frozen=True)
class GapView:
    """A difference between two disciplines, with the question it is about (None: the total)."""

    result: scoring.Gap
    question: QuestionView | None

    @property
    def high(self) -> str | Promise:
        return discipline_label(self.result.high)

    @property
    def low(self) -> str | Promise:
        return discipline_label(self.result.low)


@dataclass(frozen=True)
class RecognitionCell:
    measured: Phase
    count: int
    match: bool  # recognised the phase the quiz gives


@dataclass(frozen=True)
class RecognitionRow:
    recognised: Phase
    cells: list[RecognitionCell]

    @property
    def total(self) -> int:
        return sum(cell.count for cell in self.cells)


@dataclass(frozen=True)
class RecognitionView:
    """"Klinkt dit bekend?" beside the quiz: rows are the phase recognised, columns the phase
    the quiz gives (first round)."""

    table: scoring.RecognitionTable
    phases: list[Phase]
    rows: list[RecognitionRow]

    @property
    def participants(self) -> int:
        return self.table.participants

    @property
    def matching(self) -> int:
        return self.table.matching

    @property
    def differing(self) -> int:
        return self.table.participants - self.table.matching

    @property
    def percent_matching(self) -> float:
        return 100 * (self.table.share_matching or 0)


@dataclass(frozen=True)
class ShiftRow:
    """An option's count before and after, with bar lengths on a shared scale."""

    label: str | Promise
    before: int
    after: int
    before_percent: float
    after_percent: float
    before_color: str = EARLIER
    after_color: str = ACCENT


@dataclass(frozen=True)
class QuestionShiftView:
    number: int
    question: Question
    shift: scoring.QuestionShift
    rows: list[ShiftRow]

    @property
    def moved(self) -> bool:
        return self.shift.before.counts != self.shift.after.counts


@dataclass(frozen=True)
class ShiftView:
    """How the second round moved the group, after the discussion."""

    shift: scoring.Shift
    questions: list[QuestionShiftView]
    phase_before: Phase | None
    phase_after: Phase | None

    @property
    def agreement_before_percent(self) -> float:
        return 100 * (self.shift.mean_agreement_before or 0)

    @property
    def agreement_after_percent(self) -> float:
        return 100 * (self.shift.mean_agreement_after or 0)


@dataclass(frozen=True)
class Prompt:
    """An opener for the discussion: a question's own prompt, where the group disagreed, or a
    pair of disciplines that see things differently, with the questions where they do, or
    the colleagues who recognise another phase than the quiz gives them."""

    question: QuestionView | None = None
    disciplines: tuple[str | Promise, str | Promise] | None = None
    numbers: tuple[int | None, ...] = ()  # the questions it is about; None: the total
    recognition: RecognitionView | None = None


# The discussion opens with at most this many of each kind of prompt.
PROMPTS_PER_KIND = 2
# The results list this many of the largest differences between disciplines.
TOP_GAPS = 3


@dataclass(frozen=True)
class SessionResults:
    summary: scoring.GroupSummary
    max_total: int
    phase: Phase | None
    border_phase: Phase | None
    phase_bars: list[Bar]
    questions: list[QuestionView]
    least_agreed: list[QuestionView]
    disciplines: list[DisciplineRow]
    gaps: list[GapView]
    hidden: int
    prompts: list[Prompt]
    round: int = 1
    recognition: RecognitionView | None = None
    shift: ShiftView | None = None

    @property
    def top_gaps(self) -> list[GapView]:
        return self.gaps[:TOP_GAPS]

    @property
    def phase_color(self) -> str:
        return phase_color(self.phase.number if self.phase else None)

    @property
    def mean_percent(self) -> float:
        return 100 * (self.summary.mean or 0) / self.max_total if self.max_total else 0


def answer_sets(session: Session, round: int | None = None,
                among: list[int] | None = None) -> dict[int, dict[int, int]]:
    """participant id -> {question id: option id} of one round (default: the round the
    screens show), in one query; of every participant, or of those `among` (ids of the
    session's participants: read by their own index, not the session's)."""
    sets: dict[int, dict[int, int]] = defaultdict(dict)
    rows = Answer.objects.filter(round=round or session.shown_round)
    rows = rows.filter(participant__session=session) if among is None else rows.filter(
        participant_id__in=among)
    rows = rows.values_list("participant_id", "question_id", "option_id")
    for participant_id, question_id, option_id in rows:
        sets[participant_id][question_id] = option_id
    return sets


def _bars(
    counts: list[tuple[str | Promise, int]], highlight_top: bool = False,
    colors: list[str] | None = None, phases: list[Phase] | None = None,
) -> list[Bar]:
    """Bars scaled to the largest; with `highlight_top`, every most chosen one stands out."""
    top = max((count for _, count in counts), default=0)
    return [
        Bar(
            label=label,
            count=count,
            percent=100 * count / top if top else 0,
            highlight=highlight_top and top > 0 and count == top,
            color=colors[i] if colors else ACCENT,
            phase=phases[i] if phases else None,
        )
        for i, (label, count) in enumerate(counts)
    ]


@dataclass(frozen=True)
class Figures:
    """A session's numbers from the pure scoring functions, before any presentation."""

    participants: int
    summary: scoring.GroupSummary
    questions: tuple[scoring.QuestionResult, ...]
    comparison: scoring.DisciplineComparison
    sets: dict[int, dict[int, int]]  # the answers the figures are made of, per participant


def session_figures(session: Session) -> Figures:
    """The figures of the round the screens show (the last one revealed)."""
    instrument = session.cached_questionnaire.instrument()
    sets = answer_sets(session)
    disciplines = dict(session.participants.values_list("id", "discipline"))
    scorer = scoring.Scorer(instrument)
    return Figures(
        sets=sets,
        participants=len(disciplines),
        summary=scoring.summarize_group(instrument, sets.values(), scorer),
        questions=scoring.question_results(instrument, sets.values()),
        comparison=scoring.compare_disciplines(
            instrument, [(disciplines.get(pid, ""), answers) for pid, answers in sets.items()],
            scorer=scorer,
        ),
    )


# The results of sessions whose answering is closed, shared by this process's screens. They
# cannot change until answering opens again, and a room asks for them many times: every phone
# that (re)connects after the reveal, every console and projector redraw, every push in the
# discussion. Computing them took 30 ms at 2,000 phones, so a room whose sockets all came back
# at once after the reveal kept the process busy for a minute. An entry is found by the data
# it is made of (the round shown and `results_version`, which every close of answering raises,
# in whichever process), is used only with the questionnaire and phases it was computed with
# (assessments.cache), and lives a minute at most: an edit in the admin shows within a
# minute, and in the process that made it once it is committed (forget_results).
RESULTS_KEPT = 32
RESULTS_SECONDS = 60.0


@dataclass(frozen=True)
class _Kept:
    results: SessionResults
    questionnaire: object
    phases: dict
    until: float


_kept: OrderedDict[tuple, _Kept] = OrderedDict()
_kept_lock = threading.Lock()
_forgotten = 0  # how many times forget_results dropped results


def build_results(session: Session) -> SessionResults:
    """The results the screens show: computed once per process for the data they are made
    of while answering is closed (shown only then), else each time."""
    if not session.results_visible:
        return _build_results(session)
    key = (session.pk, session.code, session.shown_round, session.results_version,
           session.ask_recognition)
    questionnaire, phases = session.cached_questionnaire, Phase.by_slug()
    kept = _kept.get(key)
    if (kept is not None and kept.questionnaire is questionnaire and kept.phases is phases
            and kept.until > time.monotonic()):
        return kept.results
    forgotten = _forgotten
    results = _build_results(session)
    with _kept_lock:
        if forgotten == _forgotten:  # else they may have been read before an edit
            remember(_kept, key, _Kept(results, questionnaire, phases,
                                       time.monotonic() + RESULTS_SECONDS), RESULTS_KEPT)
    return results


def remember(cache: OrderedDict, key, value, limit: int) -> None:
    """Keep `value` in a cache bounded to `limit` entries, dropping the oldest."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def forget_results(sender=None, instance=None, using=None, **kwargs) -> None:
    """A signal receiver: a session or participant saved or deleted through the ORM (the
    admin, a script) drops the session's kept results in this process, once committed. The
    services save a session's fields by name, and what they change is in the key: those saves
    keep the results (the discussion shows the reveal's). Not connected to answers: a
    receiver would make Django load every answer to delete a session; no screen edits them."""
    if isinstance(instance, Session) and kwargs.get("update_fields") is not None:
        return
    session_id = instance.pk if isinstance(instance, Session) else instance.session_id

    def forget() -> None:
        global _forgotten
        with _kept_lock:
            _forgotten += 1
            for key in [key for key in _kept if key[0] == session_id]:
                del _kept[key]

    transaction.on_commit(forget, using=using)


# Connected here, not in apps.py: only a process that imports this module keeps results.
for _model in (Session, Participant):
    for _signal in (post_save, post_delete):
        _signal.connect(forget_results, sender=_model,
                        dispatch_uid=f"forget-results-{_signal is post_save}-{_model.__name__}")


def _build_results(session: Session) -> SessionResults:
    questionnaire = session.cached_questionnaire
    instrument = questionnaire.instrument()
    figures = session_figures(session)
    phases = Phase.by_slug()

    summary = figures.summary
    questions = questionnaire.ordered_questions()
    results = figures.questions
    views = []
    for number, (question, result) in enumerate(zip(questions, results, strict=True), start=1):
        options = {o.pk: o for o in question.options.all()}
        labels = [(localized(options[key], "label"), count) for key, count in result.counts]
        views.append(QuestionView(number, question, result, _bars(labels, highlight_top=True)))
    by_key = {view.question.pk: view for view in views}
    least = [by_key[r.key] for r in scoring.least_agreed_first(results)]

    comparison = figures.comparison
    rows = [
        DisciplineRow(d, [d.question_means[q.pk] for q in questions], phases[d.phase])
        for d in comparison.disciplines
    ]
    gaps = [GapView(g, by_key.get(g.question_key)) for g in comparison.gaps]
    first_round = figures.sets if session.shown_round == 1 else answer_sets(session, 1)
    recognition = recognition_view(session, first_round, phases)
    shift = (shift_view(session, first_round, figures.sets, phases)
             if session.shown_round > 1 else None)
    phase_counts = [(phases[slug], count) for slug, count in summary.phase_counts]
    phase_bars = _bars(
        [(localized(phase, "name"), count) for phase, count in phase_counts],
        colors=[phase_color(phase.number) for phase, _ in phase_counts],
        phases=[phase for phase, _ in phase_counts],
    )
    return SessionResults(
        summary=summary,
        max_total=instrument.max_total,
        phase=phases.get(summary.phase),
        border_phase=phases.get(summary.border_with),
        phase_bars=phase_bars,
        questions=views,
        least_agreed=least,
        disciplines=rows,
        gaps=gaps,
        hidden=comparison.hidden,
        prompts=discussion_prompts(least, gaps, recognition),
        round=session.shown_round,
        recognition=recognition,
        shift=shift,
    )


def recognition_view(session: Session, first_round: dict[int, dict[int, int]],
                     phases: dict[str, Phase]) -> RecognitionView | None:
    """The recognised phases against the first round's quiz phases; None when the session did
    not ask, or nobody with a complete answer set picked a description."""
    if not session.ask_recognition:
        return None
    instrument = session.cached_questionnaire.instrument()
    recognised = dict(session.participants.exclude(recognised="").values_list("id",
                                                                              "recognised"))
    table = scoring.recognition_table(
        instrument, [(recognised[pid], first_round.get(pid, {})) for pid in recognised]
    )
    if not table.participants:
        return None
    ordered = [phases[slug] for slug in table.phases]
    rows = [
        RecognitionRow(row, [RecognitionCell(column, table.count(row.slug, column.slug),
                                             row.slug == column.slug) for column in ordered])
        for row in ordered
    ]
    return RecognitionView(table, ordered, rows)


def shift_view(session: Session, before: dict[int, dict[int, int]],
               after: dict[int, dict[int, int]], phases: dict[str, Phase]) -> ShiftView:
    instrument = session.cached_questionnaire.instrument()
    shift = scoring.round_shift(instrument, before, after)
    views = []
    questions = session.cached_questionnaire.ordered_questions()
    for number, (question, moved) in enumerate(zip(questions, shift.questions, strict=True),
                                                start=1):
        options = {o.pk: o for o in question.options.all()}
        top = max([c for _, c in moved.before.counts] + [c for _, c in moved.after.counts]
                  + [0])
        rows = [
            ShiftRow(localized(options[key], "label"), before, after_count,
                     100 * before / top if top else 0, 100 * after_count / top if top else 0)
            for (key, before), (_key, after_count) in zip(moved.before.counts,
                                                          moved.after.counts, strict=True)
        ]
        views.append(QuestionShiftView(number, question, moved, rows))
    return ShiftView(shift, views, phases.get(shift.before.phase), phases.get(shift.after.phase))


def discussion_prompts(least_agreed: list[QuestionView], gaps: list[GapView],
                       recognition: RecognitionView | None = None) -> list[Prompt]:
    """Where the discussion starts: the prompts of the least agreed questions on which the
    group did not all agree, then the largest differences between disciplines, then whether
    colleagues recognise another phase than the quiz gives them. The same two disciplines can
    differ most on several questions: they get one prompt naming them all."""
    prompts = [
        Prompt(question=view, numbers=(view.number,))
        for view in least_agreed[:PROMPTS_PER_KIND]
        if view.question.prompt and view.result.agreement < 1
    ]
    # Keyed by the pair in either order: "why do A and B differ" asks the same as "B and A".
    pairs: dict[frozenset[str], tuple[GapView, list[int | None]]] = {}
    for gap in gaps[:PROMPTS_PER_KIND]:
        _first, numbers = pairs.setdefault(frozenset((gap.result.high, gap.result.low)),
                                           (gap, []))
        numbers.append(gap.question.number if gap.question else None)
    prompts += [Prompt(disciplines=(first.high, first.low), numbers=tuple(numbers))
                for first, numbers in pairs.values()]
    if recognition is not None and recognition.differing:
        prompts.append(Prompt(recognition=recognition))
    return prompts


@dataclass(frozen=True)
class ProgressRow:
    participant: Participant
    answered: int
    questions: int

    @property
    def finished(self) -> bool:
        return self.answered >= self.questions

    @property
    def percent(self) -> float:
        return 100 * self.answered / self.questions if self.questions else 0


@dataclass(frozen=True)
class Progress:
    joined: int
    finished: int
    questions: int
    rows: list[ProgressRow]
    by_discipline: list[tuple[str, int]]

    @property
    def not_listed(self) -> int:
        return self.joined - len(self.rows)

    @property
    def busy(self) -> int:
        """Joined but not finished: the projector shows this as a number, never who."""
        return self.joined - self.finished

    @property
    def percent_finished(self) -> float:
        return 100 * self.finished / self.joined if self.joined else 0


def steps_to_finish(session: Session) -> int:
    """What a participant does in the round being answered: every question, then in the first
    round the recognition question (when asked), in the second a tap on "done"."""
    questions = len(session.cached_questionnaire.ordered_questions())
    return questions + (1 if session.asks_recognition or session.round > 1 else 0)


def with_steps_done(participants: QuerySet[Participant], session: Session) -> QuerySet:
    """`participants` annotated with `done`: how many of `steps_to_finish` they took."""
    done = Count("answers", filter=Q(answers__round=session.round))
    if session.asks_recognition:
        done += Case(When(recognised="", then=0), default=1)
    elif session.round > 1:
        done += Case(When(confirmed_round__gte=session.round, then=1), default=0)
    return participants.annotate(done=done)


def build_progress(session: Session, limit: int = PROGRESS_LIST_LIMIT) -> Progress:
    """Who joined and how far they are: progress only, never answers.

    Counted in the database: the console re-renders this a few times a second while thousands
    of phones answer. Only the latest `limit` participants are listed by name (none with 0),
    and only theirs are counted for the list: counting everyone's answers to list the latest
    hundred cost 17 ms a render with 4,000 phones.
    """
    steps = steps_to_finish(session)
    counts = dict(
        session.participants.values_list("discipline").annotate(n=Count("id")).order_by()
    )
    # In the lobby nobody has taken a step: answers are saved only while answering, and no
    # step leads back to the lobby (Session.TRANSITIONS). Counting everyone's answers there
    # cost the console and the projector a few milliseconds a render, five renders a second
    # each while a room joins.
    in_lobby = session.step == Session.LOBBY
    latest = session.participants.order_by("-number")
    if not limit:
        rows = []
    elif in_lobby:
        rows = [ProgressRow(p, 0, steps) for p in latest[:limit]]
    else:
        listed = with_steps_done(Participant.objects.filter(pk__in=latest.values("pk")[:limit]),
                                 session).order_by("-number")
        rows = [ProgressRow(p, p.done, steps) for p in listed]
    finished = 0 if in_lobby else with_steps_done(session.participants.all(), session).filter(
        done__gte=steps).count()
    return Progress(
        joined=sum(counts.values()),
        finished=finished,
        questions=steps,
        rows=rows,
        by_discipline=[(d, counts[d]) for d in session.disciplines if counts.get(d)],
    )
