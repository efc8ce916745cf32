from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments import cache
from assessments.localized import Localized
from assessments.models import ScoreBand


class Phase(models.Model):
    """One of the four Digitaal DNA phases, with everything a group needs to discuss it."""

    slug = models.SlugField(unique=True)
    number = models.PositiveSmallIntegerField(unique=True)
    name_nl = models.CharField(max_length=50)
    name_en = models.CharField(max_length=50, blank=True)
    subtitle_nl = models.CharField(max_length=100)
    subtitle_en = models.CharField(max_length=100, blank=True)
    summary_nl = models.TextField(help_text=_("What the phase means"))
    summary_en = models.TextField(blank=True)
    statement_nl = models.TextField(help_text=_("What an organisation can say at the phase's end"))
    statement_en = models.TextField(blank=True)
    story_organisation = models.CharField(max_length=200, blank=True)
    story_nl = models.TextField(blank=True)
    story_en = models.TextField(blank=True)
    story_quote_nl = models.TextField(blank=True)
    story_quote_en = models.TextField(blank=True)
    story_quote_by = models.CharField(max_length=200, blank=True)
    story_video_url = models.URLField(blank=True)

    name = Localized()
    subtitle = Localized()
    summary = Localized()
    statement = Localized()
    story = Localized()
    story_quote = Localized()

    class Meta:
        ordering = ["number"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")

    def __str__(self) -> str:
        return f"{self.number}. {self.name_nl}"

    @classmethod
    def by_slug(cls) -> dict[str, "Phase"]:
        """All phases with their items, shared by this process's requests (assessments.cache)."""
        return cache.get_or_load(
            "phases", lambda: {p.slug: p for p in cls.objects.prefetch_related("items")}
        )

    @property
    def gist(self) -> str:
        """The summary's first sentence, in the active language: what the phase means, in the
        publication's words, for the report's first page."""
        text = str(self.summary)
        end = text.find(". ")
        return text if end < 0 else text[: end + 1]

    def in_use(self) -> bool:
        """Whether a questionnaire's score band places totals in this phase."""
        return ScoreBand.objects.filter(phase=self.slug).exists()

    def items_of(self, kind: str) -> list["PhaseItem"]:
        return [item for item in self.items.all() if item.kind == kind]

    @property
    def signs(self) -> list["PhaseItem"]:
        return self.items_of(PhaseItem.SIGN)

    @property
    def tips(self) -> list["PhaseItem"]:
        return self.items_of(PhaseItem.TIP)

    @property
    def tools(self) -> list["PhaseItem"]:
        return self.items_of(PhaseItem.TOOL)

    @property
    def links(self) -> list["PhaseItem"]:
        return self.items_of(PhaseItem.LINK)


class PhaseItem(models.Model):
    SIGN = "sign"
    TIP = "tip"
    TOOL = "tool"
    LINK = "link"
    KINDS = [
        (SIGN, _("How to recognise it")),
        (TIP, _("Get started")),
        (TOOL, _("Tool")),
        (LINK, _("Follow-up link")),
    ]

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="items")
    slug = models.SlugField()
    kind = models.CharField(max_length=10, choices=KINDS)
    order = models.PositiveSmallIntegerField()
    title_nl = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    text_nl = models.TextField(blank=True)
    text_en = models.TextField(blank=True)
    url = models.URLField(blank=True)

    title = Localized()
    text = Localized()

    class Meta:
        ordering = ["kind", "order"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "slug"], name="unique_phase_item_slug")
        ]
        verbose_name = _("phase item")
        verbose_name_plural = _("phase items")

    def __str__(self) -> str:
        return self.title_nl or self.text_nl[:60]


class Definition(models.Model):
    """A term from the publication: digital innovation, digital business model, its parts."""

    slug = models.SlugField(unique=True)
    order = models.PositiveSmallIntegerField()
    term_nl = models.CharField(max_length=100)
    term_en = models.CharField(max_length=100, blank=True)
    text_nl = models.TextField()
    text_en = models.TextField(blank=True)

    term = Localized()
    text = Localized()

    class Meta:
        ordering = ["order"]
        verbose_name = _("definition")
        verbose_name_plural = _("definitions")

    def __str__(self) -> str:
        return self.term_nl


class Theme(models.Model):
    """An inspiration theme from the publication's posters."""

    slug = models.SlugField(unique=True)
    order = models.PositiveSmallIntegerField()
    title_nl = models.CharField(max_length=100)
    title_en = models.CharField(max_length=100, blank=True)
    text_nl = models.TextField()
    text_en = models.TextField(blank=True)

    title = Localized()
    text = Localized()

    class Meta:
        ordering = ["order"]
        verbose_name = _("inspiration theme")
        verbose_name_plural = _("inspiration themes")

    def __str__(self) -> str:
        return self.title_nl


def protect_phases_in_use(sender: type[Phase], instance: Phase, **kwargs) -> None:
    """A pre_delete receiver: score bands name their phase by slug, so a phase they use stays."""
    bands = set(ScoreBand.objects.filter(phase=instance.slug))
    if bands:
        raise models.ProtectedError(
            f"Cannot delete the phase {instance.slug!r}: a questionnaire's score bands use it.",
            bands,
        )


class Tool(models.Model):
    """The phase's own tool as the room fills it in during the discussion (workshop/tools.py
    says which parts each tool has): what the phones are asked, and the result's title."""

    phase = models.OneToOneField(Phase, on_delete=models.CASCADE, related_name="workshop_tool")
    title_nl = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    prompt_nl = models.TextField(help_text=_("What everyone is asked on their phone"))
    prompt_en = models.TextField(blank=True)
    result_title_nl = models.CharField(max_length=200, help_text=_("The title of the result"))
    result_title_en = models.CharField(max_length=200, blank=True)

    title = Localized()
    prompt = Localized()
    result_title = Localized()

    class Meta:
        ordering = ["phase__number"]
        verbose_name = _("workshop tool")
        verbose_name_plural = _("workshop tools")

    def __str__(self) -> str:
        return self.title_nl

    @classmethod
    def by_phase(cls) -> dict[str, "Tool"]:
        """Every tool with its fields by phase slug, shared by this process's requests."""
        return cache.get_or_load(
            "tools",
            lambda: {t.phase.slug: t for t in cls.objects.select_related("phase")
                     .prefetch_related("fields")},
        )

    def field(self, slug: str) -> "ToolField | None":
        return next((f for f in self.fields.all() if f.slug == slug), None)


class ToolField(models.Model):
    """A part of a tool's result, e.g. the voorlopig plan's "Hoe financieren we dat?"."""

    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="fields")
    slug = models.SlugField()
    order = models.PositiveSmallIntegerField()
    label_nl = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200, blank=True)
    help_nl = models.TextField(blank=True)
    help_en = models.TextField(blank=True)

    label = Localized()
    help = Localized()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["tool", "slug"], name="unique_tool_field_slug")
        ]
        verbose_name = _("tool field")
        verbose_name_plural = _("tool fields")

    def __str__(self) -> str:
        return self.label_nl
