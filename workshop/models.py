from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Questionnaire

# No 0/O, 1/I/L: a code read off a projector must be typed without doubt.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6

DEFAULT_DISCIPLINES = [
    "Directie/management",
    "Marketing & communicatie",
    "Publiek & educatie",
    "Collectie & programmering",
    "Digitaal/ICT",
    "Bedrijfsvoering & financiën",
    "Anders",
]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def normalize_code(raw: str) -> str:
    """Codes are typed on phones: accept lower case, spaces and dashes."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())[:20]


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="organisations", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    LOBBY = "lobby"
    ANSWERING = "answering"
    REVEALED = "revealed"
    DISCUSSION = "discussion"
    CLOSED = "closed"
    STEPS = [
        (LOBBY, _("Lobby")),
        (ANSWERING, _("Answering")),
        (REVEALED, _("Revealed")),
        (DISCUSSION, _("Discussion")),
        (CLOSED, _("Closed")),
    ]
    # The steps in which phones may join (the join's insert checks them too).
    JOINABLE = (LOBBY, ANSWERING)
    # Where the facilitator may go from each step. Reopening answering after a reveal is
    # allowed; a closed session stays closed.
    TRANSITIONS = {
        LOBBY: {ANSWERING, CLOSED},
        ANSWERING: {REVEALED, CLOSED},
        REVEALED: {DISCUSSION, ANSWERING, CLOSED},
        DISCUSSION: {REVEALED, ANSWERING, CLOSED},
        CLOSED: set(),
    }

    code = models.CharField(max_length=12, unique=True, default=new_code)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sessions"
    )
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT)
    title = models.CharField(_("title"), max_length=200)
    disciplines = models.JSONField(default=list)
    step = models.CharField(max_length=12, choices=STEPS, default=LOBBY)
    # Which of the step's slides the projector shows (workshop/screens/slides.py); back to the
    # first at every step change.
    slide = models.PositiveSmallIntegerField(default=0)
    auto_reveal = models.BooleanField(
        _("reveal automatically when everyone has finished"), default=False
    )
    # "Klinkt dit bekend?": after the questions of the first round each phone picks the phase
    # description that fits the organisation best, without the phases' names.
    ask_recognition = models.BooleanField(
        _("ask which phase description people recognise"), default=True
    )
    # The round being answered or discussed: 2 after the facilitator opens a second round.
    round = models.PositiveSmallIntegerField(default=1)
    # The latest round whose results were revealed (0: none yet). The screens, reports and
    # history show this round; a round opened but not revealed stays hidden.
    revealed_round = models.PositiveSmallIntegerField(default=0)
    # Raised each time answering closes (services.move_to). The answers, the participants and
    # their recognised phases change only while answering is open, so with the round shown
    # this names the data a session's results are made of (results.build_results keeps them).
    results_version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    revealed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A read-only link to the report for people without an account; None when revoked.
    share_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The phase whose tool the room fills in during the discussion (workshop/tools.py), by
    # slug; empty until the facilitator opens one.
    tool = models.CharField(max_length=50, blank=True, default="")
    # Where the group wants to be, and by when: "over 12 maanden willen we in Ik kan staan".
    target_phase = models.CharField(_("target phase"), max_length=50, blank=True, default="")
    target_date = models.DateField(_("target date"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    @property
    def cached_questionnaire(self) -> Questionnaire:
        """The session's questionnaire from the per-process cache (no queries once warm)."""
        return Questionnaire.cached(self.questionnaire_id)

    def can_move_to(self, step: str) -> bool:
        return step in self.TRANSITIONS.get(self.step, set())

    @property
    def accepts_joins(self) -> bool:
        return self.step in self.JOINABLE

    @property
    def results_visible(self) -> bool:
        """Results stay hidden until the reveal, so that nobody anchors on the others."""
        return self.step in (self.REVEALED, self.DISCUSSION, self.CLOSED) and bool(
            self.revealed_at
        )

    def step_label(self) -> str:
        return dict(self.STEPS)[self.step]

    @property
    def asks_recognition(self) -> bool:
        """Whether phones pick a phase description in the round now answered."""
        return self.ask_recognition and self.round == 1

    @property
    def shown_round(self) -> int:
        """The round whose results the screens and reports show."""
        return self.revealed_round or 1

    @property
    def can_remove_participants(self) -> bool:
        """Before the first reveal only: a second round keeps the first round's results."""
        return self.step in (self.LOBBY, self.ANSWERING) and not self.revealed_round

    @property
    def can_open_second_round(self) -> bool:
        return self.round == 1 and self.step in (self.REVEALED, self.DISCUSSION)


class Participant(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    number = models.PositiveIntegerField()
    name = models.CharField(_("name"), max_length=60, blank=True)
    discipline = models.CharField(_("discipline"), max_length=100)
    joined_at = models.DateTimeField(default=timezone.now)
    # The random key of the join form that made this participant: the same form sent twice
    # (a double tap, a retry) finds this participant instead of making another.
    join_key = models.CharField(max_length=64, blank=True, default="")
    # The phase whose description this participant recognised (a Phase slug; "" not yet).
    recognised = models.CharField(max_length=50, blank=True, default="")
    # The latest round this participant said they were done with (the second round starts
    # from the first round's answers, so "done" is a tap rather than a count of answers).
    confirmed_round = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="unique_participant_number"),
            models.UniqueConstraint(fields=["session", "join_key"], name="unique_join_key",
                                    condition=~models.Q(join_key="")),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.number}"

    @property
    def label(self) -> str:
        return self.name or _("Participant %(number)s") % {"number": self.number}


class Answer(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("assessments.Question", on_delete=models.CASCADE)
    option = models.ForeignKey("assessments.Option", on_delete=models.CASCADE)
    round = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "question", "round"], name="one_answer_per_question_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.option}"


class Note(models.Model):
    NOTE = "note"
    AGREEMENT = "agreement"
    KINDS = [(NOTE, _("Note")), (AGREEMENT, _("Agreement"))]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=10, choices=KINDS, default=NOTE)
    text = models.TextField(_("text"), max_length=2000)
    owner = models.CharField(_("owner"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # An agreement is followed up in later sessions and on the organisation's page.
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class ToolVote(models.Model):
    """A participant's points for one choice of a tool's vote (a theme, or a part of the
    business model); no row is no points."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    tool = models.CharField(max_length=50)
    choice = models.SlugField(max_length=50)
    points = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "tool", "choice"],
                                    name="one_vote_per_choice")
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.choice} {self.points}"


class ToolItem(models.Model):
    """A part of a tool's result, as the facilitator records it: one text of the voorlopig
    plan, or an item of a list (an activity with its owner and date, a KPI with how and when it
    is measured). `suggested` items come from phones and wait for the facilitator."""

    PREDICTABLE = "predictable"
    TO_LEARN = "learn"
    MODES = [(PREDICTABLE, _("predictable")), (TO_LEARN, _("to learn"))]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="tool_items")
    tool = models.CharField(max_length=50)
    field = models.SlugField(max_length=50)
    text = models.TextField(_("text"), max_length=1000)
    owner = models.CharField(_("owner"), max_length=100, blank=True)
    due = models.DateField(_("date"), null=True, blank=True)
    how = models.CharField(_("how it is measured"), max_length=200, blank=True)
    when = models.CharField(_("when it is measured"), max_length=100, blank=True)
    mode = models.CharField(_("kind of activity"), max_length=12, choices=MODES, blank=True)
    suggested = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]
