"""Scoring and aggregation of questionnaire answers.

Pure functions over plain data: no ORM, no Django. The models in `assessments.models` turn a
stored questionnaire into an `Instrument`; everything here can be tested without a database.

Answers are a mapping of question key to option key. Only complete answer sets get a phase:
a total over half the questions would put a person in too low a phase.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Answers = Mapping[int, int]

# Disciplines smaller than this are not shown on their own: with one person in a group,
# the group's means are that person's answers.
MIN_GROUP_SIZE = 2
OTHER_DISCIPLINE = "Overige"


@dataclass(frozen=True)
class Band:
    """A phase's range of totals, inclusive at both ends.

    `published_high` is the upper end as printed in the publication ("2 tot 4 punten"), which
    overlaps the next band; it is what makes a total "on the border".
    """

    phase: str
    low: int
    high: int
    published_high: int


@dataclass(frozen=True)
class Question:
    key: int
    points: Mapping[int, int]  # option key -> points
    option_order: tuple[int, ...] = ()

    def options(self) -> tuple[int, ...]:
        return self.option_order or tuple(self.points)


@dataclass(frozen=True)
class Instrument:
    questions: tuple[Question, ...]
    bands: tuple[Band, ...]

    @property
    def max_total(self) -> int:
        return sum(max(q.points.values()) for q in self.questions)

    @property
    def phases(self) -> tuple[str, ...]:
        return tuple(band.phase for band in self.bands)

    def question(self, key: int) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)


@dataclass(frozen=True)
class Placement:
    phase: str
    border_with: str | None  # the neighbouring phase when the publication puts it in both


@dataclass(frozen=True)
class ParticipantScore:
    total: int
    answered: int
    complete: bool
    phase: str | None
    border_with: str | None


@dataclass(frozen=True)
class GroupSummary:
    participants: int  # complete answer sets that the figures below are made of
    mean: float | None
    median: float | None
    minimum: int | None
    maximum: int | None
    spread: int | None  # maximum - minimum
    phase: str | None  # phase of the mean, on the continuous scale
    border_with: str | None
    phase_counts: tuple[tuple[str, int], ...]  # individual phases, in band order


@dataclass(frozen=True)
class QuestionResult:
    key: int
    counts: tuple[tuple[int, int], ...]  # (option key, how many chose it), in option order
    answered: int
    modal_option: int | None
    modal_count: int
    mean_points: float | None

    @property
    def agreement(self) -> float | None:
        """The share that chose the most chosen answer: 1.0 when everyone agrees."""
        return self.modal_count / self.answered if self.answered else None


@dataclass(frozen=True)
class DisciplineResult:
    name: str
    participants: int
    question_means: Mapping[int, float]
    total_mean: float
    phase: str


@dataclass(frozen=True)
class Gap:
    question_key: int | None  # None: the gap in the total
    high: str
    low: str
    high_mean: float
    low_mean: float

    @property
    def difference(self) -> float:
        return self.high_mean - self.low_mean


@dataclass(frozen=True)
class DisciplineComparison:
    disciplines: tuple[DisciplineResult, ...]
    gaps: tuple[Gap, ...]  # largest first
    hidden: int  # complete answer sets left out because even "Overige" was too small


def place(total: float, bands: Sequence[Band]) -> Placement:
    """The phase of a total, also for a mean such as 3.5.

    On the continuous scale each band reaches up to the next band's lower end, so 3.5 is in
    the band that holds 2 and 3. A total at a band's lower end that the publication also
    prints in the previous band is on the border with that phase.
    """
    if not bands:
        raise ValueError("an instrument needs at least one band")
    index = 0
    for i, band in enumerate(bands):
        if total >= band.low:
            index = i
    band = bands[index]
    border_with = None
    if index > 0:
        previous = bands[index - 1]
        if band.low <= total <= previous.published_high:
            border_with = previous.phase
    return Placement(band.phase, border_with)


def score_participant(instrument: Instrument, answers: Answers) -> ParticipantScore:
    """A participant's total; answers to unknown questions or options are ignored."""
    total = 0
    answered = 0
    for question in instrument.questions:
        option = answers.get(question.key)
        if option in question.points:
            total += question.points[option]
            answered += 1
    complete = answered == len(instrument.questions) and answered > 0
    if not complete:
        return ParticipantScore(total, answered, False, None, None)
    placement = place(total, instrument.bands)
    return ParticipantScore(total, answered, True, placement.phase, placement.border_with)


class Scorer:
    """score_participant for many answer sets of one instrument: each distinct set is scored
    once. A group of 2,000 gives at most a few hundred distinct sets (four questions of four
    options), and the screens aggregate the same group several times per render."""

    def __init__(self, instrument: Instrument):
        self.instrument = instrument
        self.keys = tuple(question.key for question in instrument.questions)
        self.scores: dict[tuple, ParticipantScore] = {}

    def __call__(self, answers: Answers) -> ParticipantScore:
        chosen = tuple(answers.get(key) for key in self.keys)
        score = self.scores.get(chosen)
        if score is None:
            score = self.scores[chosen] = score_participant(self.instrument, answers)
        return score


def _mean(values: Iterable[int]) -> float:
    """The mean of whole numbers (points, totals): the same float as statistics.fmean, which
    adds them up with math.fsum at many times the cost."""
    values = list(values)
    return sum(values) / len(values)


def summarize_group(instrument: Instrument, answer_sets: Iterable[Answers],
                    scorer: Scorer | None = None) -> GroupSummary:
    scorer = scorer or Scorer(instrument)
    scores = [scorer(answers) for answers in answer_sets]
    complete = [score for score in scores if score.complete]
    counts = Counter(score.phase for score in complete)
    phase_counts = tuple((phase, counts.get(phase, 0)) for phase in instrument.phases)
    if not complete:
        return GroupSummary(0, None, None, None, None, None, None, None, phase_counts)
    totals = [score.total for score in complete]
    mean = _mean(totals)
    placement = place(mean, instrument.bands)
    return GroupSummary(
        participants=len(totals),
        mean=mean,
        median=statistics.median(totals),
        minimum=min(totals),
        maximum=max(totals),
        spread=max(totals) - min(totals),
        phase=placement.phase,
        border_with=placement.border_with,
        phase_counts=phase_counts,
    )


def question_results(
    instrument: Instrument, answer_sets: Iterable[Answers]
) -> tuple[QuestionResult, ...]:
    """Per question: how many chose each option, and how much they agree.

    Every valid answer counts here, also from participants who did not finish.
    """
    answer_sets = list(answer_sets)
    results = []
    for question in instrument.questions:
        chosen = [a[question.key] for a in answer_sets if a.get(question.key) in question.points]
        counts = Counter(chosen)
        ordered = tuple((option, counts.get(option, 0)) for option in question.options())
        modal_option, modal_count = None, 0
        for option, count in ordered:
            if count > modal_count:
                modal_option, modal_count = option, count
        mean_points = (
            _mean(question.points[o] for o in chosen) if chosen else None
        )
        results.append(
            QuestionResult(
                key=question.key,
                counts=ordered,
                answered=len(chosen),
                modal_option=modal_option,
                modal_count=modal_count,
                mean_points=mean_points,
            )
        )
    return tuple(results)


def least_agreed_first(results: Iterable[QuestionResult]) -> tuple[QuestionResult, ...]:
    """Questions ordered for discussion: least agreement first, unanswered ones last."""
    answered = [r for r in results if r.answered]
    return tuple(sorted(answered, key=lambda r: (r.agreement, -r.answered, r.key)))


def discipline_labels(
    group_sizes: Mapping[str, int],
    min_group: int = MIN_GROUP_SIZE,
    other: str = OTHER_DISCIPLINE,
) -> dict[str, str | None]:
    """Under which name each discipline may be shown: its own, `other`, or None (not at all).

    `group_sizes` counts the people of each discipline that the caller shows together.
    Disciplines with fewer than `min_group` are folded into `other`, and so is a discipline
    that is itself called `other`; if `other` then still has fewer than `min_group`, the folded
    disciplines are not shown at all. So no name is ever shown for fewer than `min_group`
    people: with one person in a group, the group's figures are that person's answers.
    """
    own = {
        name: size >= min_group and name != other for name, size in group_sizes.items()
    }
    folded = sum(size for name, size in group_sizes.items() if not own[name])
    fallback = other if folded >= min_group else None
    return {name: name if own[name] else fallback for name in group_sizes}


def compare_disciplines(
    instrument: Instrument,
    entries: Iterable[tuple[str, Answers]],
    min_group: int = MIN_GROUP_SIZE,
    other: str = OTHER_DISCIPLINE,
    scorer: Scorer | None = None,
) -> DisciplineComparison:
    """Each discipline's means per question and in total, and the largest gaps between them.

    Only complete answer sets count. Disciplines with fewer than `min_group` of them are folded
    into `other`; if `other` is still too small it is left out, so no single person's answers
    can be read from the comparison.
    """
    scorer = scorer or Scorer(instrument)
    groups: dict[str, list[Answers]] = {}
    for discipline, answers in entries:
        if scorer(answers).complete:
            groups.setdefault(discipline, []).append(answers)

    labels = discipline_labels(
        {name: len(members) for name, members in groups.items()}, min_group, other
    )
    shown: dict[str, list[Answers]] = {}
    hidden = 0
    for name, members in groups.items():
        label = labels[name]
        if label is None:
            hidden += len(members)
        else:
            shown.setdefault(label, []).extend(members)

    disciplines = []
    for name in sorted(shown, key=lambda n: (n == other, n.casefold())):
        members = shown[name]
        means = {
            q.key: _mean(q.points[a[q.key]] for a in members) for q in instrument.questions
        }
        total_mean = _mean(scorer(a).total for a in members)
        disciplines.append(
            DisciplineResult(
                name=name,
                participants=len(members),
                question_means=means,
                total_mean=total_mean,
                phase=place(total_mean, instrument.bands).phase,
            )
        )

    gaps = []
    if len(disciplines) >= 2:
        keys: list[int | None] = [q.key for q in instrument.questions] + [None]
        for key in keys:

            def mean_of(d: DisciplineResult, key: int | None = key) -> float:
                return d.total_mean if key is None else d.question_means[key]

            high = max(disciplines, key=mean_of)
            low = min(disciplines, key=mean_of)
            if mean_of(high) > mean_of(low):
                gaps.append(Gap(key, high.name, low.name, mean_of(high), mean_of(low)))
    # Compare like with like: a gap is shown as a share of what the question can score.
    def relative(gap: Gap) -> float:
        if gap.question_key is None:
            scale = instrument.max_total
        else:
            scale = max(instrument.question(gap.question_key).points.values())
        return gap.difference / scale if scale else 0.0

    gaps.sort(key=relative, reverse=True)
    return DisciplineComparison(tuple(disciplines), tuple(gaps), hidden)


@dataclass(frozen=True)
class RecognitionTable:
    """The phase people recognise ("Klinkt dit bekend?") against the phase their answers give.

    `counts[recognised][measured]`, both in band order; only participants with both count.
    """

    phases: tuple[str, ...]
    counts: Mapping[str, Mapping[str, int]]
    participants: int
    matching: int  # recognised the phase their answers give

    @property
    def share_matching(self) -> float | None:
        return self.matching / self.participants if self.participants else None

    def count(self, recognised: str, measured: str) -> int:
        return self.counts[recognised][measured]


def recognition_table(
    instrument: Instrument, entries: Iterable[tuple[str, Answers]],
    scorer: Scorer | None = None,
) -> RecognitionTable:
    """`entries`: (the phase a participant recognised, or "" for none; their answers)."""
    scorer = scorer or Scorer(instrument)
    phases = instrument.phases
    counts = {row: dict.fromkeys(phases, 0) for row in phases}
    participants = matching = 0
    for recognised, answers in entries:
        score = scorer(answers)
        if recognised not in counts or not score.complete:
            continue
        counts[recognised][score.phase] += 1
        participants += 1
        matching += recognised == score.phase
    return RecognitionTable(phases, counts, participants, matching)


@dataclass(frozen=True)
class QuestionShift:
    before: QuestionResult
    after: QuestionResult


@dataclass(frozen=True)
class Shift:
    """How a group's answers moved from one round to the next."""

    before: GroupSummary
    after: GroupSummary
    questions: tuple[QuestionShift, ...]
    compared: int  # participants with a complete answer set in both rounds
    changed: int  # of them, how many gave at least one other answer

    @property
    def mean_agreement_before(self) -> float | None:
        return _mean_agreement(shift.before for shift in self.questions)

    @property
    def mean_agreement_after(self) -> float | None:
        return _mean_agreement(shift.after for shift in self.questions)


def _mean_agreement(results: Iterable[QuestionResult]) -> float | None:
    values = [r.agreement for r in results if r.agreement is not None]
    return statistics.fmean(values) if values else None


def round_shift(
    instrument: Instrument, before: Mapping[int, Answers], after: Mapping[int, Answers]
) -> Shift:
    """Two rounds of the same participants (participant key -> answers)."""
    scorer = Scorer(instrument)

    def complete(answers: Answers) -> bool:
        return scorer(answers).complete

    both = [key for key in before if key in after
            and complete(before[key]) and complete(after[key])]
    changed = sum(
        any(before[key].get(q.key) != after[key].get(q.key) for q in instrument.questions)
        for key in both
    )
    questions = tuple(
        QuestionShift(b, a)
        for b, a in zip(question_results(instrument, before.values()),
                        question_results(instrument, after.values()), strict=True)
    )
    return Shift(
        before=summarize_group(instrument, before.values(), scorer),
        after=summarize_group(instrument, after.values(), scorer),
        questions=questions,
        compared=len(both),
        changed=changed,
    )


@dataclass(frozen=True)
class DisciplineVotes:
    name: str
    voters: int
    points: dict[str, int]  # choice -> points, every choice present


@dataclass(frozen=True)
class VoteTally:
    """A group's votes: points per choice, in total and per discipline."""

    choices: tuple[str, ...]  # in the order they are offered
    totals: dict[str, int]
    voters: int
    disciplines: tuple[DisciplineVotes, ...]
    hidden: int  # voters whose discipline is too small to show, even as `other`

    @property
    def ranked(self) -> list[tuple[str, int]]:
        """The choices, most points first; ties in the order they are offered."""
        return sorted(self.totals.items(), key=lambda item: (-item[1], self.choices.index(item[0])))

    @property
    def most(self) -> int:
        return max(self.totals.values(), default=0)


def tally_votes(
    choices: Sequence[str],
    ballots: Iterable[tuple[str, Mapping[str, int]]],
    min_group: int = MIN_GROUP_SIZE,
    other: str = OTHER_DISCIPLINE,
) -> VoteTally:
    """Add up ballots of (discipline, {choice: points}). A ballot without points does not count
    as a voter; points for a choice not offered (a stale phone) are left out.

    Per discipline the small-group rule of `discipline_labels` holds, counted in voters: a
    discipline's spread is shown under its own name only for `min_group` voters or more.
    """
    offered = tuple(choices)
    totals = dict.fromkeys(offered, 0)
    by_discipline: dict[str, list[Mapping[str, int]]] = {}
    for discipline, points in ballots:
        points = {c: p for c, p in points.items() if c in totals and p > 0}
        if not points:
            continue
        by_discipline.setdefault(discipline, []).append(points)
        for choice, value in points.items():
            totals[choice] += value
    labels = discipline_labels({name: len(b) for name, b in by_discipline.items()},
                               min_group, other)
    grouped: dict[str, list[Mapping[str, int]]] = {}
    hidden = 0
    for name, ballots_of in by_discipline.items():
        label = labels[name]
        if label is None:
            hidden += len(ballots_of)
        else:
            grouped.setdefault(label, []).extend(ballots_of)
    rows = tuple(
        DisciplineVotes(name, len(group), {c: sum(b.get(c, 0) for b in group) for c in offered})
        for name, group in sorted(grouped.items(), key=lambda kv: (kv[0] == other,
                                                                    kv[0].casefold()))
    )
    return VoteTally(offered, totals, sum(len(b) for b in by_discipline.values()), rows, hidden)
