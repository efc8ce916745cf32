"""What the screens show about a session, read from the database in a few queries and handed
to the pure functions in `assessments.scoring`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from assessments import scoring
from assessments.models import Question
from content.models import Phase
from workshop.models import Answer, Participant, Session

# SVG fills are attributes, not CSS, so that the PDF renderer (which ignores CSS fills) draws
# them in colour too. The same colours as --accent and --phase-N in app.css.
ACCENT = "#3b2db8"
PHASE_COLORS = {1: "#2f80c8", 2: "#d98a1d", 3: "#7a45c4", 4: "#2a9a62"}

# The console lists participants by name; beyond this many it lists the latest and counts the rest.
PROGRESS_LIST_LIMIT = 100


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: float  # of the largest bar, for drawing
    highlight: bool = False
    color: str = ACCENT


@dataclass(frozen=True)
class QuestionView:
    number: int
    question: Question
    result: scoring.QuestionResult
    bars: list[Bar]


@dataclass(frozen=True)
class DisciplineRow:
    name: str
    participants: int
    means: list[float]
    total_mean: float
    phase: Phase


@dataclass(frozen=True)
class GapView:
    question: QuestionView | None  # None: the gap in the total
    high: str
    low: str
    high_mean: float
    low_mean: float


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

    @property
    def phase_color(self) -> str:
        return PHASE_COLORS.get(self.phase.number, ACCENT) if self.phase else ACCENT

    @property
    def mean_percent(self) -> float:
        return 100 * (self.summary.mean or 0) / self.max_total if self.max_total else 0


def answer_sets(session: Session) -> dict[int, dict[int, int]]:
    """participant id -> {question id: option id}, in one query."""
    sets: dict[int, dict[int, int]] = defaultdict(dict)
    rows = Answer.objects.filter(participant__session=session).values_list(
        "participant_id", "question_id", "option_id"
    )
    for participant_id, question_id, option_id in rows:
        sets[participant_id][question_id] = option_id
    return sets


def _bars(
    counts: list[tuple[str, int]], highlight_top: bool = False, colors: list[str] | None = None
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


def session_figures(session: Session) -> Figures:
    instrument = session.cached_questionnaire.instrument()
    sets = answer_sets(session)
    disciplines = dict(session.participants.values_list("id", "discipline"))
    return Figures(
        participants=len(disciplines),
        summary=scoring.summarize_group(instrument, sets.values()),
        questions=scoring.question_results(instrument, sets.values()),
        comparison=scoring.compare_disciplines(
            instrument, [(disciplines.get(pid, ""), answers) for pid, answers in sets.items()]
        ),
    )


def build_results(session: Session) -> SessionResults:
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
        labels = [(options[key].label, count) for key, count in result.counts]
        views.append(QuestionView(number, question, result, _bars(labels, highlight_top=True)))
    by_key = {view.question.pk: view for view in views}
    least = [by_key[r.key] for r in scoring.least_agreed_first(results)]

    comparison = figures.comparison
    rows = [
        DisciplineRow(
            name=d.name,
            participants=d.participants,
            means=[d.question_means[q.pk] for q in questions],
            total_mean=d.total_mean,
            phase=phases[d.phase],
        )
        for d in comparison.disciplines
    ]
    gaps = [
        GapView(
            question=by_key.get(g.question_key) if g.question_key is not None else None,
            high=g.high, low=g.low, high_mean=g.high_mean, low_mean=g.low_mean,
        )
        for g in comparison.gaps
    ]
    phase_counts = [(phases[slug], count) for slug, count in summary.phase_counts]
    phase_bars = _bars(
        [(str(phase.name), count) for phase, count in phase_counts],
        colors=[PHASE_COLORS.get(phase.number, ACCENT) for phase, _ in phase_counts],
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
    )


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


def build_progress(session: Session, limit: int = PROGRESS_LIST_LIMIT) -> Progress:
    """Who joined and how far they are: progress only, never answers.

    Counted in the database: the console re-renders this a few times a second while thousands
    of phones answer. Only the latest `limit` participants are listed by name (none with 0).
    """
    questions = len(session.cached_questionnaire.ordered_questions())
    progress = session.participants.annotate(answered=Count("answers"))
    counts = dict(
        session.participants.values_list("discipline").annotate(n=Count("id")).order_by()
    )
    rows = [
        ProgressRow(p, p.answered, questions) for p in progress.order_by("-number")[:limit]
    ] if limit else []
    return Progress(
        joined=sum(counts.values()),
        finished=progress.filter(answered__gte=questions).count(),
        questions=questions,
        rows=rows,
        by_discipline=[(d, counts[d]) for d in session.disciplines if counts.get(d)],
    )
