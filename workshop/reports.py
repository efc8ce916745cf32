"""Reports of a session (web, PDF, CSV) and an organisation's history over its sessions."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from assessments import scoring
from content.models import Phase
from workshop import charts
from workshop.models import Organisation, Session
from workshop.results import answer_sets, build_progress, build_results, session_figures


def report_context(session: Session) -> dict:
    results = build_results(session)
    return {
        "session": session,
        "results": results,
        "progress": build_progress(session),
        "notes": session.notes.all(),
        "phase": results.phase,
    }


def report_csv(session: Session) -> str:
    """One row per participant: a pseudonymous number, never a name.

    Semicolons and a byte order mark: Excel with a Dutch locale splits on ';' and reads the
    BOM as UTF-8; LibreOffice detects both.
    """
    questionnaire = session.cached_questionnaire
    instrument = questionnaire.instrument()
    questions = questionnaire.ordered_questions()
    points = {o.pk: o.points for q in questions for o in q.options.all()}
    phases = {slug: str(p.name) for slug, p in Phase.by_slug().items()}
    sets = answer_sets(session)

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [_("participant"), _("discipline")]
        + [_("Q%(n)s") % {"n": i} for i in range(1, len(questions) + 1)]
        + [_("total"), _("phase"), _("on the border with")]
    )
    for participant in session.participants.order_by("number"):
        answers = sets.get(participant.pk, {})
        score = scoring.score_participant(instrument, answers)
        row = [participant.number, participant.discipline]
        row += [points[answers[q.pk]] if q.pk in answers else "" for q in questions]
        row += [
            score.total if score.complete else "",
            phases.get(score.phase, ""),
            phases.get(score.border_with, ""),
        ]
        writer.writerow(row)
    return out.getvalue()


def _stylesheets() -> str:
    # WeasyPrint gets the styles inline, so it never has to fetch anything over HTTP.
    return "\n".join(
        open(finders.find(path), encoding="utf-8").read()
        for path in ("css/app.css", "css/report-pdf.css")
    )


def report_pdf_html(session: Session) -> str:
    """The report as the HTML document the PDF is laid out from (needs the database)."""
    context = report_context(session) | {"stylesheet": _stylesheets()}
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

    return HTML(string=html).write_pdf()


@dataclass(frozen=True)
class HistoryRow:
    session: Session
    participants: int
    summary: scoring.GroupSummary
    phase: Phase | None


@dataclass(frozen=True)
class History:
    rows: list[HistoryRow]  # newest first
    chart: charts.Timeline | None
    chart_phases: dict[str, Phase]


def organisation_history(organisation: Organisation) -> History:
    sessions = list(
        organisation.sessions.select_related("questionnaire").order_by("created_at")
    )
    phases = Phase.by_slug()
    rows = []
    discipline_lines: dict[str, list[float | None]] = {}
    means: list[float | None] = []
    for index, session in enumerate(sessions):
        figures = session_figures(session)
        summary = figures.summary
        rows.append(HistoryRow(session, figures.participants, summary, phases.get(summary.phase)))
        means.append(summary.mean)
        for result in figures.comparison.disciplines:
            if result.name == scoring.OTHER_DISCIPLINE:
                continue  # who is in "Overige" changes from session to session
            line = discipline_lines.setdefault(result.name, [None] * len(sessions))
            line[index] = result.total_mean
    chart = None
    if any(mean is not None for mean in means):
        reference = sessions[-1].cached_questionnaire.instrument()
        chart = charts.timeline(
            [s.created_at.strftime("%d-%m-%Y") for s in sessions],
            {_("Whole group"): means, **dict(sorted(discipline_lines.items()))},
            reference.bands,
            reference.max_total,
        )
    return History(list(reversed(rows)), chart, phases)


@dataclass(frozen=True)
class Movement:
    label: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class Comparison:
    earlier: Session
    later: Session
    total: Movement
    phases: tuple[Phase | None, Phase | None]
    questions: list[Movement]
    disciplines: list[Movement]


def compare_sessions(first: Session, second: Session) -> Comparison:
    """What moved between two sessions, per question (matched by slug) and per discipline."""
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
        disciplines=[Movement(n, disciplines_a.get(n), disciplines_b.get(n)) for n in names],
    )
