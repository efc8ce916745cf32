"""Each phase's own tool, as the room fills it in during the discussion: what the phones vote
on, which parts the result has, and how the result reads for the screens and the report.

The shape of each tool is fixed here, after the publication; its texts (the prompt on the
phones, the labels and help of the result's parts) are content, editable in the admin
(content.models.Tool and ToolField, matched by slug).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assessments import scoring
from content.models import Definition, Phase, Theme, Tool, ToolField
from workshop.models import Note, Session, ToolItem, ToolVote

THEMES = "themes"  # mark up to `budget` themes, one point each
POINTS = "points"  # spread `budget` points over the four parts of the business model
BUSINESS_MODEL_PARTS = ("aanbod", "bereik", "impact", "inkomsten")


@dataclass(frozen=True)
class Part:
    """A part of a tool's result: one text (`many` False) or a list of items, with the extras
    its items carry."""

    slug: str
    many: bool = False
    owner: bool = False
    due: bool = False
    measure: bool = False  # how and when it is measured
    mode: bool = False  # predictable, or meant to learn
    theme: bool = False  # the item is one of the inspiration themes


@dataclass(frozen=True)
class Spec:
    phase: str
    parts: tuple[Part, ...]
    vote: str | None = None
    budget: int = 0
    suggestions: bool = False  # phones may suggest items, which the facilitator accepts

    @property
    def per_choice(self) -> int:
        """The most points one choice can get from one phone."""
        return 1 if self.vote == THEMES else self.budget

    def part(self, slug: str) -> Part | None:
        return next((p for p in self.parts if p.slug == slug), None)


SPECS: dict[str, Spec] = {
    # Ik zie: the inspiration posters' themes; the result is who explores which.
    "ik-zie": Spec("ik-zie", (Part("verkennen", many=True, owner=True, theme=True),),
                   vote=THEMES, budget=2),
    # Ik wil: where to innovate (aanbod, bereik, impact, inkomsten), then the voorlopig plan.
    "ik-wil": Spec("ik-wil", (Part("richten"), Part("doen"), Part("opleveren"),
                              Part("financieren")), vote=POINTS, budget=3),
    # Ik kan: the Plan van Aanpak's four elements; activities get an owner and a date.
    "ik-kan": Spec("ik-kan", (Part("scope", many=True), Part("resultaat", many=True),
                              Part("activiteiten", many=True, owner=True, due=True),
                              Part("middelen", many=True)), suggestions=True),
    # Ik doe: learning insights, KPIs with how and when measured, activities by kind.
    "ik-doe": Spec("ik-doe", (Part("leerinzichten", many=True),
                              Part("kpis", many=True, measure=True),
                              Part("activiteiten", many=True, owner=True, mode=True))),
}


@dataclass(frozen=True)
class Choice:
    """A theme or a part of the business model. Its texts are read when shown, so that one
    view renders in each language (the phones' stage)."""

    source: Theme | Definition

    @property
    def slug(self) -> str:
        return self.source.slug

    @property
    def title(self) -> str:
        source = self.source
        return source.title if isinstance(source, Theme) else source.term

    @property
    def text(self) -> str:
        return self.source.text


def choices_for(spec: Spec) -> list[Choice]:
    """What the phones vote on: the themes, or the parts of the business model."""
    if spec.vote == THEMES:
        return [Choice(t) for t in Theme.objects.all()]
    if spec.vote == POINTS:
        terms = {d.slug: d for d in Definition.objects.filter(slug__in=BUSINESS_MODEL_PARTS)}
        return [Choice(terms[slug]) for slug in BUSINESS_MODEL_PARTS if slug in terms]
    return []


def validate_vote(spec: Spec, choices: list[str], current: dict[str, int], choice: str,
                  points: int) -> str | None:
    """Why a phone may not give `points` to `choice` with its `current` votes (None: it may)."""
    if spec.vote is None:
        return str(_("This tool has no vote."))
    if choice not in choices:
        return str(_("That is not one of the choices."))
    if not 0 <= points <= spec.per_choice:
        return str(_("That is not a number of points you can give."))
    total = sum(p for c, p in current.items() if c != choice) + points
    if total > spec.budget:
        if spec.vote == THEMES:
            return str(_("You can mark two themes at most; unmark one first."))
        return str(_("You have no points left; take one away elsewhere first."))
    return None


@dataclass(frozen=True)
class PartView:
    part: Part
    content: ToolField | None
    items: list[ToolItem]

    @property
    def label(self) -> str:
        return self.content.label if self.content else self.part.slug

    @property
    def help(self) -> str:
        return self.content.help if self.content else ""

    @property
    def text(self) -> str:
        """A single text's value."""
        return self.items[0].text if self.items else ""


@dataclass(frozen=True)
class Bar:
    choice: Choice
    points: int
    percent: float  # of the most points, for drawing


@dataclass(frozen=True)
class DisciplineRow:
    name: str
    voters: int
    cells: list[int]  # in the order of the choices


@dataclass
class ToolView:
    """A tool as the screens and the report show it."""

    spec: Spec
    phase: Phase
    content: Tool | None
    choices: list[Choice]
    tally: scoring.VoteTally | None
    parts: list[PartView]
    suggestions: list[ToolItem] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.spec.phase

    @property
    def title(self) -> str | Promise:
        return self.content.title if self.content else self.phase.name

    @property
    def result_title(self) -> str | Promise:
        return self.content.result_title if self.content else _("Result")

    @property
    def prompt(self) -> str:
        return self.content.prompt if self.content else ""

    @property
    def ranking(self) -> list[Bar]:
        if self.tally is None:
            return []
        by_slug = {c.slug: c for c in self.choices}
        most = self.tally.most or 1
        return [Bar(by_slug[slug], points, 100 * points / most)
                for slug, points in self.tally.ranked]

    @property
    def discipline_rows(self) -> list[DisciplineRow]:
        """The spread per discipline: only when there are two or more to compare."""
        if self.tally is None or len(self.tally.disciplines) < 2:
            return []
        return [DisciplineRow(d.name, d.voters, [d.points[c.slug] for c in self.choices])
                for d in self.tally.disciplines]

    @property
    def has_result(self) -> bool:
        """Whether anything was voted or recorded: the report leaves an empty tool out."""
        return bool((self.tally and self.tally.voters) or any(p.items for p in self.parts))

    @property
    def single_parts(self) -> list[PartView]:
        return [p for p in self.parts if not p.part.many]

    @property
    def list_parts(self) -> list[PartView]:
        return [p for p in self.parts if p.part.many]

    def part_view(self, slug: str) -> PartView | None:
        return next((p for p in self.parts if p.part.slug == slug), None)


def tally(session: Session, spec: Spec, choices: list[Choice]) -> scoring.VoteTally | None:
    if spec.vote is None:
        return None
    ballots: dict[int, tuple[str, dict[str, int]]] = {}
    rows = ToolVote.objects.filter(participant__session=session, tool=spec.phase).values_list(
        "participant_id", "participant__discipline", "choice", "points")
    for participant, discipline, choice, points in rows:
        ballots.setdefault(participant, (discipline, {}))[1][choice] = points
    return scoring.tally_votes([c.slug for c in choices], ballots.values())


def build_tool(session: Session, slug: str | None = None) -> ToolView | None:
    """The tool `slug` (default: the session's open tool) with its votes and recorded items."""
    slug = slug or session.tool
    spec = SPECS.get(slug)
    phase = Phase.by_slug().get(slug)
    if spec is None or phase is None:
        return None
    content = Tool.by_phase().get(slug)
    choices = choices_for(spec)
    items = list(session.tool_items.filter(tool=slug))
    parts = []
    for part in spec.parts:
        parts.append(PartView(
            part, content.field(part.slug) if content else None,
            [i for i in items if i.field == part.slug and not i.suggested],
        ))
    return ToolView(spec, phase, content, choices, tally(session, spec, choices), parts,
                    [i for i in items if i.suggested])


def own_votes(participant, slug: str) -> dict[str, int]:
    return dict(participant.votes.filter(tool=slug).values_list("choice", "points"))


def open_agreements(organisation, before: Session | None = None):
    """The organisation's agreements not yet done, oldest session first; `before`: only those
    of sessions that began before it."""
    notes = Note.objects.filter(session__organisation=organisation, kind=Note.AGREEMENT,
                                done=False).select_related("session")
    if before is not None:
        notes = notes.filter(session__created_at__lt=before.created_at).exclude(session=before)
    return notes.order_by("session__created_at", "created_at", "pk")


def all_agreements(organisation) -> list[Note]:
    """Every agreement of the organisation: open ones first, then done; oldest first."""
    notes = Note.objects.filter(session__organisation=organisation, kind=Note.AGREEMENT)
    return list(notes.select_related("session").order_by("done", "session__created_at",
                                                         "created_at", "pk"))
