"""The facilitator's console: who joined and how far they are (by name), the step buttons,
the results and the discussion, and the notes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from content.models import Phase
from workshop import colors, sockets, tools
from workshop.forms import NoteForm, TargetForm, ToolItemForm
from workshop.models import Session
from workshop.results import PROGRESS_LIST_LIMIT, ProgressRow, build_results
from workshop.screens import room

LIVE_TEMPLATE = "workshop/console.html#live"
ROW_TEMPLATE = "workshop/console.html#participant-row"
NOTES_TEMPLATE = "workshop/console.html#notes"
EDITOR_TEMPLATE = "workshop/tool.html#editor"

# The step each step leads on to: its button is the primary one.
FORWARD = {
    Session.LOBBY: Session.ANSWERING,
    Session.ANSWERING: Session.REVEALED,
    Session.REVEALED: Session.DISCUSSION,
}


@dataclass(frozen=True)
class StepAction:
    """A button that moves the session to `step`."""

    step: str
    label: str | Promise
    primary: bool = False
    danger: bool = False
    confirm: str | Promise = ""


# Not a step of its own: the button that opens a second round (back to answering, round 2).
SECOND_ROUND = "second-round"


def _label(current: str, step: str) -> str | Promise:
    if step == Session.ANSWERING:
        return _("Start answering") if current == Session.LOBBY else _("Reopen answering")
    if step == Session.REVEALED:
        return _("Lock and reveal") if current == Session.ANSWERING else _("Back to the results")
    if step == Session.DISCUSSION:
        return _("Start the discussion")
    return _("End the session")


def step_actions(session: Session) -> list[StepAction]:
    """The buttons for where the session may go from here (Session.TRANSITIONS): the step it
    leads on to first, then back to later steps before earlier ones, ending the session last."""
    order = [value for value, _label in Session.STEPS]
    forward = FORWARD.get(session.step)
    targets = sorted(
        session.TRANSITIONS[session.step],
        key=lambda step: (step != forward, step == Session.CLOSED, -order.index(step)),
    )
    actions = [
        StepAction(
            step=step,
            label=_label(session.step, step),
            primary=step == forward,
            danger=step == Session.CLOSED,
            confirm=_("End this session? Participants can no longer join or answer.")
            if step == Session.CLOSED else "",
        )
        for step in targets
    ]
    if session.can_open_second_round:
        # After the discussion: the step it leads on to, before ending the session.
        actions.insert(len(actions) - 1, StepAction(
            step=SECOND_ROUND, label=_("Open a second round"),
            primary=session.step == Session.DISCUSSION,
            confirm=_("Open a second round? Everyone answers the questions again, starting "
                      "from their first answers; the first round is kept."),
        ))
    return actions


@dataclass(frozen=True)
class Removal:
    """The button that takes a participant out, made here rather than in the template: there
    its two addresses and two translated sentences per row were two thirds of the console's
    render with 100 names listed, a render repeated a few times a second while phones join."""

    url: str
    confirm: str
    label: str


@dataclass(frozen=True)
class ShownRow:
    """Everything one participant's row shows: the key its HTML is kept under."""

    code: str
    number: int
    label: str
    discipline: str
    answered: int
    questions: int
    finished: bool
    percent: float
    removable: bool


def participant_rows(session: Session, rows: list[ProgressRow],
                     request: HttpRequest | None = None) -> list[str]:
    """The participants listed, as HTML, each with its remove button: before the reveal, for
    those who have not finished (a phone that joined and left).

    A pushed console is rendered again a few times a second while a room joins or answers,
    and most of its hundred rows are as they were: each distinct row is rendered once and
    kept (participant_row). The page itself renders its rows with the request, whose CSRF
    token the remove forms carry for a browser without JavaScript; a kept row has none, as a
    pushed render never had (htmx sends the token in a header)."""
    removable = session.can_remove_participants
    shown = [ShownRow(session.code, row.participant.number, row.participant.label,
                      row.participant.discipline, row.answered, row.questions, row.finished,
                      row.percent, removable) for row in rows]
    if request is not None:
        return [_render_row(row, request) for row in shown]
    language = translation.get_language()
    return [participant_row(row, language) for row in shown]


@lru_cache(maxsize=4096)
def participant_row(row: ShownRow, language: str) -> str:
    """One row, its texts in `language` (the current one): the same row always gives the same
    HTML."""
    return _render_row(row)


def _render_row(row: ShownRow, request: HttpRequest | None = None) -> str:
    removal = Removal(
        url=reverse("remove_participant", args=[row.code, row.number]),
        confirm=gettext("Take %(name)s out of the session? Their answers are deleted, and "
                        "nobody waits for them any more.") % {"name": row.label},
        label=gettext("Remove %(name)s") % {"name": row.label},
    ) if row.removable and not row.finished else None
    return render_to_string(ROW_TEMPLATE, {"row": row, "removal": removal,
                                           "accent": colors.ACCENT}, request)


def live_context(session: Session, request: HttpRequest | None = None) -> dict:
    context = room.live_context(session, names_listed=PROGRESS_LIST_LIMIT)
    return context | {
        "step_actions": step_actions(session),
        "participant_rows": participant_rows(session, context["progress"].rows, request),
    }


def notes_context(session: Session, form: NoteForm | None = None) -> dict:
    return {"session": session, "notes": session.notes.all(), "note_form": form or NoteForm()}


@dataclass(frozen=True)
class ToolChoice:
    """A button that opens a phase's tool in the console."""

    phase: Phase
    group_phase: bool  # the phase the group placed itself in
    open: bool


def editor_context(session: Session, error: str | None = None,
                   item_form: ToolItemForm | None = None,
                   target_form: TargetForm | None = None) -> dict:
    """The tool's editor and the target, outside the console's live part: a push must not
    replace a form the facilitator is filling in. The same editor serves after the session."""
    phases = list(Phase.by_slug().values())
    group = build_results(session).phase if session.results_visible else None
    initial = {"phase": session.target_phase, "date": session.target_date}
    tool = tools.build_tool(session) if session.tool else None
    earlier = list(tools.open_agreements(session.organisation, before=session))
    return {
        "session": session,
        "tool": tool,
        # The console page has the live part's "tool" and "earlier_agreements" too (only in
        # the discussion, and only in the lobby); the editor is included with these.
        "editor_tool": tool,
        "editor_agreements": earlier,
        "tool_choices": [ToolChoice(p, group is not None and p.slug == group.slug,
                                    p.slug == session.tool)
                         for p in phases if p.slug in tools.SPECS],
        "tool_error": error,
        "item_form": item_form or ToolItemForm(),
        "target_form": target_form or TargetForm(phases, initial=initial),
        "target_phase": Phase.by_slug().get(session.target_phase),
        "earlier_agreements": earlier,
    }


def page_context(request: HttpRequest, session: Session) -> dict:
    return (
        editor_context(session)
        | live_context(session, request)
        | room.join_context(request, session)
        | notes_context(session)
        | {"socket_url": sockets.console(session.code)}
    )


def render_live(code: str, language: str) -> str:
    return room.render_live(code, language, LIVE_TEMPLATE, live_context)
