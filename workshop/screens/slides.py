"""The projector as a presentation: each step is a sequence of slides, each fitting one screen.

The facilitator moves through them from the console (or a clicker on the projector's page);
`Session.slide` says which one the projector shows, and the phones follow it in the
discussion. The list is built from the session's state and results, so it is the same for the
projector, the console's overview and its preview of the next slide, and the phones.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from content.models import Tool
from workshop import tools
from workshop.models import Note, Session
from workshop.results import QuestionShiftView, QuestionView, SessionResults

TEMPLATE = "workshop/slides.html"
# The notes slide shows the latest notes and agreements that fit on one screen.
NOTES_ON_A_SLIDE = 6
# Where an opened tool's slides come in the discussion: after the prompts (services.open_tool
# moves the projector there).
TOOL_SLIDE_INDEX = 6


@dataclass(frozen=True)
class Slide:
    key: str  # unique within the step, e.g. "question-2"
    title: str | Promise  # for the console's list and the phones' "on the screen" line
    question: QuestionView | None = None
    change: QuestionShiftView | None = None  # a question's answers in both rounds

    @property
    def partial(self) -> str:
        return f"{TEMPLATE}#{self.key.split('-')[0]}"


def slides_for(session: Session, results: SessionResults | None, discussion: bool,
               review: bool = False) -> list[Slide]:
    """The slides of the session's current step, in the order the facilitator shows them.
    `review`: the lobby begins with the open agreements of the organisation's earlier
    sessions."""
    if session.step == Session.LOBBY:
        return [Slide("join", _("Join"))] + (
            [Slide("review", _("Our agreements so far"))] if review else [])
    if session.step == Session.ANSWERING:
        return [Slide("progress", _("Answering"))]
    if discussion:
        slides = [
            Slide("meaning", _("What this phase means")),
            Slide("signs", _("Does this sound familiar?")),
            Slide("story", _("From the sector")),
            Slide("tips", _("Get started")),
            Slide("tools", _("Tools")),
            Slide("prompts", _("Talk about the differences")),
        ]
        spec = tools.SPECS.get(session.tool)
        if spec is not None:
            content = Tool.by_phase().get(session.tool)
            if spec.vote:
                slides.append(Slide("vote", _in_language(content, "title")
                                    if content else _("Everyone's view")))
            slides.append(Slide("plan", _in_language(content, "result_title")
                                if content else _("The result")))
        slides.append(Slide("notes", _("Notes and agreements")))
        if session.target_phase:
            slides.append(Slide("target", _("Our target")))
        return slides
    if session.step == Session.CLOSED:
        return [Slide("closed", _("Thank you"))]
    if results is None or not results.summary.participants:
        return [Slide("empty", _("The results"))]
    slides = [Slide("group", _("The group")), Slide("spread", _("Where everyone places us"))]
    if results.shift is not None:
        # The second reveal: how the discussion moved the group, question by question.
        slides.append(Slide("shift", _("Before and after the discussion")))
        slides += [
            Slide(f"change-{view.number}",
                  _("Question %(n)s, both rounds") % {"n": view.number},
                  change=view)
            for view in results.shift.questions
        ]
    else:
        if results.recognition is not None:
            slides.append(Slide("recognition", _("Recognised and measured")))
        slides += [
            Slide(f"question-{view.number}",
                  pgettext_lazy("slide", "Question %(n)s") % {"n": view.number}, view)
            for view in results.least_agreed
        ]
    slides.append(Slide("disciplines", _("By discipline")))
    if results.gaps:
        slides.append(Slide("gaps", _("Largest differences")))
    return slides


def _in_language(content: Tool, name: str) -> Promise:
    """A content text read when it is shown: the phones' stage is rendered once per language
    from one deck."""
    return lazy(lambda: str(getattr(content, name)), str)()


@dataclass(frozen=True)
class Deck:
    slides: list[Slide]
    index: int  # the slide on the projector

    @property
    def current(self) -> Slide:
        return self.slides[self.index]

    @property
    def next(self) -> Slide | None:
        return self.slides[self.index + 1] if self.index + 1 < len(self.slides) else None

    @property
    def previous(self) -> Slide | None:
        return self.slides[self.index - 1] if self.index > 0 else None

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def count(self) -> int:
        return len(self.slides)


def deck(session: Session, results: SessionResults | None, discussion: bool,
         review: bool = False) -> Deck:
    slides = slides_for(session, results, discussion, review)
    # The list can shrink under the index (answers reopened, a question no longer answered).
    return Deck(slides, min(session.slide, len(slides) - 1))


def notes_for_slides(session: Session) -> dict:
    """The latest notes and agreements, agreements first, as many as fit on the notes slide."""
    notes = list(session.notes.order_by("-created_at", "-pk")[:NOTES_ON_A_SLIDE + 1])
    shown = sorted(notes[:NOTES_ON_A_SLIDE], key=lambda n: (n.kind != Note.AGREEMENT,
                                                             n.created_at, n.pk))
    return {"slide_notes": shown, "more_notes": len(notes) > NOTES_ON_A_SLIDE}
