"""Reports of a session (web, PDF, CSV) and an organisation's history over its sessions."""

from __future__ import annotations

import csv
import functools
import io
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.staticfiles import finders
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from assessments import scoring
from content.models import Phase
from workshop import charts, tools
from workshop.models import Note, Organisation, Session
from workshop.results import (
    GapView,
    QuestionView,
    SessionResults,
    answer_sets,
    build_progress,
    build_results,
    discipline_label,
    session_figures,
)


@dataclass(frozen=True)
class ReportSummary:
    """What the report's first page says in a few sentences, for a board member who reads
    nothing else: the group's total and phase and what that phase means, how far the
    colleagues agreed, the largest difference between disciplines, and the agreements."""

    mean: float
    max_total: int
    phase: Phase
    border_phase: Phase | None
    participants: int  # complete answer sets
    in_phase: int  # of those, how many place the organisation in the group's phase
    least_agreed: QuestionView | None  # None: everyone chose the same answer every time
    largest_gap: GapView | None  # None: too few colleagues per discipline to compare
    agreements: list[Note]

    @property
    def phase_name(self) -> str:
        return _unbroken(self.phase.name)

    @property
    def border_phase_name(self) -> str:
        return _unbroken(self.border_phase.name) if self.border_phase else ""

    @property
    def least_agreed_label(self) -> str:
        return _in_running_text(self.least_agreed.question) if self.least_agreed else ""

    @property
    def largest_gap_label(self) -> str:
        gap = self.largest_gap
        return _in_running_text(gap.question.question) if gap and gap.question else ""


def _unbroken(name: object) -> str:
    """A phase's name with no-break spaces: never "Ik" at the end of a line and "kan" on the
    next."""
    return str(name).replace(" ", "\u00a0")


def _in_running_text(question) -> str:
    """A question's short name as it reads inside a sentence: "vraag 1 (de begrippen)". The
    short names are common nouns (assessments/data), so only the first letter changes."""
    label = str(question.short or question.text)
    return label[:1].lower() + label[1:]


def report_summary(results: SessionResults | None, notes: list[Note]) -> ReportSummary | None:
    """The summary of revealed results; None before the reveal or without a complete answer
    set, when there is nothing to sum up."""
    if results is None or results.phase is None or results.summary.mean is None:
        return None
    in_phase = dict(results.summary.phase_counts).get(results.phase.slug, 0)
    least = next((v for v in results.least_agreed if (v.result.agreement or 0) < 1), None)
    return ReportSummary(
        mean=results.summary.mean,
        max_total=results.max_total,
        phase=results.phase,
        border_phase=results.border_phase,
        participants=results.summary.participants,
        in_phase=in_phase,
        least_agreed=least,
        largest_gap=results.gaps[0] if results.gaps else None,
        agreements=[note for note in notes if note.kind == Note.AGREEMENT],
    )


def report_context(session: Session, *, show_facilitator: bool = False) -> dict:
    """What the report shows. `show_facilitator` names who created the session: only in the
    facilitators' own report, never through a share link, which anyone with it can read."""
    # Before the reveal the results are not even built: the template cannot show what it
    # does not get.
    results = build_results(session) if session.results_visible else None
    notes = list(session.notes.all())
    return {
        "session": session,
        "results": results,
        "summary": report_summary(results, notes),
        "progress": build_progress(session),
        "notes": notes,
        "phase": results.phase if results else None,
        "show_facilitator": show_facilitator,
        "tool": _tool_result(session),
        "target_phase": Phase.by_slug().get(session.target_phase),
    }


def _tool_result(session: Session) -> tools.ToolView | None:
    """The tool the group filled in, if it has a result. Its votes are results too: before
    the reveal there are none (votes open in the discussion only)."""
    tool = tools.build_tool(session) if session.tool else None
    return tool if tool is not None and tool.has_result else None


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# Injection"). Disciplines are typed by facilitators, so a text cell could start with one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str | int) -> str | int:
    """A CSV cell that a spreadsheet shows as text instead of running it: a text cell that
    starts like a formula gets a single quote before it. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def report_csv(session: Session) -> str:
    """One row per participant and round: a pseudonymous number, never a name.

    Before the reveal only the participants' numbers and disciplines, without the answer,
    total and phase columns: the results stay hidden until the reveal, and empty answer
    columns would read as "nobody answered". A second round appears once it is revealed,
    each participant's rows of both rounds one under the other.

    Semicolons and a byte order mark: Excel with a Dutch locale splits on ';' and reads the
    BOM as UTF-8; LibreOffice detects both.
    """
    questionnaire = session.cached_questionnaire
    instrument = questionnaire.instrument()
    questions = questionnaire.ordered_questions()
    points = {o.pk: o.points for q in questions for o in q.options.all()}
    phases = {slug: str(p.name) for slug, p in Phase.by_slug().items()}
    participants = list(session.participants.order_by("number"))
    visible = session.results_visible
    rounds = range(1, session.shown_round + 1) if visible else range(1, 1)
    sets = {round_: answer_sets(session, round_) for round_ in rounds}
    scores = {
        round_: {p.pk: scoring.score_participant(instrument, sets[round_].get(p.pk, {}))
                 for p in participants}
        for round_ in rounds
    }
    # The screens' small-group rule, on the same group sizes: complete answer sets (of the
    # round the screens show), not every participant listed. Counting everyone would let a
    # colleague who joined but did not finish make a discipline of one complete answer set
    # "large enough", and that one row would then be the discipline's figures that the screens
    # hide. With the same sizes a discipline has the same name here as on the screens (and
    # before as after the reveal), so setting one beside the other tells nothing more. A name
    # shown stands for at least MIN_GROUP_SIZE complete answer sets, so never for one person.
    shown = sets[session.shown_round] if visible else answer_sets(session)
    sizes = Counter({p.discipline: 0 for p in participants})
    sizes.update(p.discipline for p in participants
                 if scoring.score_participant(instrument, shown.get(p.pk, {})).complete)
    labels = scoring.discipline_labels(sizes)
    recognition = visible and session.ask_recognition

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")

    def write(cells: list[str | int]) -> None:  # every row, the header too
        writer.writerow([spreadsheet_safe(cell) for cell in cells])

    header = [_("participant"), _("discipline")]
    if visible:
        header += [_("round")]
        header += [_("Q%(n)s") % {"n": i} for i in range(1, len(questions) + 1)]
        header += [_("total"), _("phase"), _("on the border with")]
        if recognition:
            header += [_("recognised phase")]
    write(header)
    for participant in participants:
        row = [participant.number, labels[participant.discipline] or ""]
        if not visible:
            write(row)
            continue
        for round_ in rounds:
            answers = sets[round_].get(participant.pk, {})
            if round_ > 1 and not answers:
                continue  # nothing answered in the second round: its row would be empty
            score = scores[round_][participant.pk]
            cells = row + [round_]
            cells += [points[answers[q.pk]] if q.pk in answers else "" for q in questions]
            cells += [
                score.total if score.complete else "",
                phases.get(score.phase, ""),
                phases.get(score.border_with, ""),
            ]
            if recognition:
                cells += [phases.get(participant.recognised, "") if round_ == 1 else ""]
            write(cells)
    for row in tool_rows(session):
        write(row)
    return out.getvalue()


def tool_rows(session: Session) -> list[list[str | int]]:
    """The tool's result and the target, below the participants after an empty row: group
    figures and what the facilitator recorded, never a participant's own vote. Nothing when
    there is neither, so the file is the participants' table alone."""
    tool = _tool_result(session)
    target = Phase.by_slug().get(session.target_phase)
    if tool is None and target is None:
        return []
    rows: list[list[str | int]] = [[]]
    if tool is not None:
        rows.append([_("tool"), str(tool.title)])
        if tool.tally and tool.tally.voters:
            rows.append([_("votes"), _("choice"), _("points")])
            rows += [[_("votes"), bar.choice.title, bar.points] for bar in tool.ranking]
        rows.append([_("part"), _("text"), _("owner"), _("date"), _("how it is measured"),
                     _("when it is measured"), _("kind")])
        for part in tool.parts:
            for item in part.items:
                rows.append([part.label, item.text, item.owner,
                             item.due.isoformat() if item.due else "", item.how, item.when,
                             str(item.get_mode_display()) if item.mode else ""])
    if target is not None:
        rows.append([_("target phase"), str(target.name),
                     session.target_date.isoformat() if session.target_date else ""])
    return rows


def _stylesheets() -> str:
    # WeasyPrint gets the styles inline, so it never has to fetch anything over HTTP.
    return "\n".join(
        open(finders.find(path), encoding="utf-8").read()
        for path in ("css/app.css", "css/report-pdf.css")
    )


def report_pdf_html(session: Session, *, show_facilitator: bool = False) -> str:
    """The report as the HTML document the PDF is laid out from (needs the database)."""
    context = report_context(session, show_facilitator=show_facilitator)
    context["stylesheet"] = _stylesheets()
    return render_to_string("workshop/report_pdf.html", context)


@functools.cache
def pdf_available() -> bool:
    """Whether WeasyPrint and the system libraries it needs (Pango) are installed."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: a missing Pango library
        return False
    return True


def write_pdf(html: str) -> bytes:
    """Lay the report out as a PDF (no database: this may run in any thread). Check
    pdf_available() first."""
    from weasyprint import HTML

    # PDF/UA: tagged, with the document's language and title, for screen readers.
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


@dataclass(frozen=True)
class HistoryRow:
    session: Session
    participants: int
    summary: scoring.GroupSummary | None  # None: not revealed, so no figures at all
    phase: Phase | None

    @property
    def revealed(self) -> bool:
        return self.summary is not None


@dataclass(frozen=True)
class TargetProgress:
    """A target set in `session`, and how far the next revealed session moved toward it."""

    session: Session
    phase: Phase
    goal: int  # the lowest total of the target phase
    start: float | None  # the group's total when the target was set
    next_session: Session | None
    now: float | None  # the group's total in the next session

    @property
    def reached(self) -> bool:
        return self.now is not None and self.now >= self.goal

    @property
    def moved(self) -> float | None:
        if self.start is None or self.now is None:
            return None
        return self.now - self.start

    @property
    def percent(self) -> int | None:
        """How much of the way from `start` to `goal` the next session went, 0 to 100."""
        if self.moved is None:
            return None
        if self.reached:
            return 100
        distance = self.goal - self.start
        return max(0, min(100, round(100 * self.moved / distance))) if distance > 0 else 0


@dataclass(frozen=True)
class History:
    rows: list[HistoryRow]  # newest first
    chart: charts.Timeline | None  # revealed sessions only
    targets: list[TargetProgress] = field(default_factory=list)  # newest first

    @property
    def compare_defaults(self) -> tuple[str, str] | None:
        """The codes of the sessions to compare (A, B) at first: the two newest revealed ones.
        None when fewer than two sessions have been revealed."""
        revealed = [row.session.code for row in self.rows if row.revealed]
        return (revealed[1], revealed[0]) if len(revealed) >= 2 else None


def organisation_history(organisation: Organisation) -> History:
    """Every session of the organisation, with figures and a place in the chart only for the
    revealed ones: before the reveal a session's results are shown nowhere."""
    sessions = list(
        organisation.sessions.select_related("questionnaire")
        .annotate(participant_count=Count("participants"))
        .order_by("created_at")
    )
    revealed = [s for s in sessions if s.results_visible]
    phases = Phase.by_slug()
    rows = []
    discipline_lines: dict[str, list[float | None]] = {}
    means: list[float | None] = []
    for session in sessions:
        if not session.results_visible:
            rows.append(HistoryRow(session, session.participant_count, None, None))
            continue
        index = len(means)
        figures = session_figures(session)
        summary = figures.summary
        rows.append(HistoryRow(session, figures.participants, summary, phases.get(summary.phase)))
        means.append(summary.mean)
        for result in figures.comparison.disciplines:
            if result.name == scoring.OTHER_DISCIPLINE:
                continue  # who is in "Overige" changes from session to session
            line = discipline_lines.setdefault(result.name, [None] * len(revealed))
            line[index] = result.total_mean
    chart = None
    reference = (revealed[-1] if revealed else sessions[-1] if sessions else None)
    instrument = reference.cached_questionnaire.instrument() if reference else None
    goals = {band.phase: band.low for band in instrument.bands} if instrument else {}
    targets = target_progress(sessions, dict(zip(revealed, means, strict=True)), goals, phases)
    if any(mean is not None for mean in means):
        latest = targets[0] if targets else None
        chart = charts.timeline(
            [s.created_at.strftime("%d-%m-%Y") for s in revealed],
            {_("Whole group"): means, **dict(sorted(discipline_lines.items()))},
            instrument.bands,
            instrument.max_total,
            band_labels={slug: str(phase.name) for slug, phase in phases.items()},
            target=(latest.goal, _("Target: %(phase)s by %(date)s") % {
                "phase": latest.phase.name, "date": latest.session.target_date.strftime(
                    "%d-%m-%Y")}) if latest else None,
        )
    return History(list(reversed(rows)), chart, targets)


def target_progress(sessions: list[Session], means: dict[Session, float | None],
                    goals: dict[str, int], phases: dict[str, Phase]) -> list[TargetProgress]:
    """Each target set in one of `sessions` (oldest first), with the group's total then and in
    the next revealed session; newest first."""
    found = []
    for index, session in enumerate(sessions):
        phase = phases.get(session.target_phase)
        if phase is None or session.target_phase not in goals or session.target_date is None:
            continue
        later = next((s for s in sessions[index + 1:] if s in means), None)
        found.append(TargetProgress(session, phase, goals[session.target_phase],
                                    means.get(session), later,
                                    means.get(later) if later else None))
    return list(reversed(found))


@dataclass(frozen=True)
class Movement:
    label: str | Promise
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def direction(self) -> str | None:
        """"up", "down" or "same", as the change is shown (one decimal): a change that rounds
        to 0,0 is no change, not a decline in red."""
        if self.change is None:
            return None
        shown = round(self.change, 1)
        return "up" if shown > 0 else "down" if shown < 0 else "same"


@dataclass(frozen=True)
class Comparison:
    earlier: Session
    later: Session
    total: Movement
    phases: tuple[Phase | None, Phase | None]
    questions: list[Movement]
    disciplines: list[Movement]


def compare_sessions(first: Session, second: Session) -> Comparison:
    """What moved between two sessions, per question (matched by slug) and per discipline.

    Both must have been revealed (ValueError otherwise): before the reveal a session's results
    are shown nowhere.
    """
    for session in (first, second):
        if not session.results_visible:
            raise ValueError(f"session {session.code} has not been revealed")
    earlier, later = sorted([first, second], key=lambda s: s.created_at)
    phases = Phase.by_slug()

    def figures(session: Session):
        numbers = session_figures(session)
        questions = session.cached_questionnaire.ordered_questions()
        by_slug = {
            q.slug: (str(q.text), r.mean_points)
            for q, r in zip(questions, numbers.questions, strict=True)
        }
        disciplines = {d.name: d.total_mean for d in numbers.comparison.disciplines}
        return numbers.summary, by_slug, disciplines

    summary_a, questions_a, disciplines_a = figures(earlier)
    summary_b, questions_b, disciplines_b = figures(later)
    slugs = list(questions_a) + [s for s in questions_b if s not in questions_a]
    questions = [
        Movement(
            (questions_b.get(slug) or questions_a.get(slug))[0],
            questions_a.get(slug, (None, None))[1],
            questions_b.get(slug, (None, None))[1],
        )
        for slug in slugs
    ]
    names = sorted(set(disciplines_a) | set(disciplines_b),
                   key=lambda n: (n == scoring.OTHER_DISCIPLINE, n.casefold()))
    return Comparison(
        earlier=earlier,
        later=later,
        total=Movement(_("Total"), summary_a.mean, summary_b.mean),
        phases=(phases.get(summary_a.phase), phases.get(summary_b.phase)),
        questions=questions,
        disciplines=[Movement(discipline_label(n), disciplines_a.get(n), disciplines_b.get(n))
                     for n in names],
    )
