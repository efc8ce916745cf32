from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments import cache, scoring
from assessments.localized import Localized

DEFAULT_QUESTIONNAIRE = "digitaal-dna"


class Questionnaire(models.Model):
    """One version of an instrument. Sessions point at a version, so editing a later version
    never changes the meaning of an old session's answers."""

    slug = models.SlugField()
    version = models.PositiveIntegerField(default=1)
    title_nl = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    intro_nl = models.TextField(blank=True)
    intro_en = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)

    title = Localized()
    intro = Localized()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="unique_questionnaire_version")
        ]
        ordering = ["slug", "-version"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return f"{self.title_nl} (v{self.version})"

    @classmethod
    def cached(cls, pk: int) -> Questionnaire:
        """The questionnaire with its questions, options and bands loaded, shared by this
        process's requests: every answer and every score reads it, and it rarely changes."""

        def load() -> Questionnaire:
            questionnaire = cls.objects.get(pk=pk)
            questionnaire.ordered_questions()
            questionnaire.ordered_bands()
            questionnaire.instrument()
            return questionnaire

        return cache.get_or_load(("questionnaire", pk), load)

    @classmethod
    def get_default(cls) -> Questionnaire:
        return cls.objects.filter(slug=DEFAULT_QUESTIONNAIRE).order_by("-version").first()

    def ordered_questions(self) -> list[Question]:
        # Cached on the instance: one page or broadcast asks for it many times.
        if not hasattr(self, "_ordered_questions"):
            self._ordered_questions = list(
                self.questions.order_by("order").prefetch_related("options")
            )
        return self._ordered_questions

    def ordered_bands(self) -> list[ScoreBand]:
        if not hasattr(self, "_ordered_bands"):
            self._ordered_bands = list(self.bands.order_by("low"))
        return self._ordered_bands

    def instrument(self) -> scoring.Instrument:
        """The questionnaire as plain data for the pure scoring functions."""
        if not hasattr(self, "_instrument"):
            self._instrument = self._build_instrument()
        return self._instrument

    def _build_instrument(self) -> scoring.Instrument:
        questions = tuple(
            scoring.Question(
                key=q.pk,
                points={o.pk: o.points for o in q.options.all()},
                option_order=tuple(o.pk for o in q.options.all()),
            )
            for q in self.ordered_questions()
        )
        bands = tuple(
            scoring.Band(b.phase, b.low, b.high, b.published_high)
            for b in self.ordered_bands()
        )
        return scoring.Instrument(questions, bands)


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    slug = models.SlugField()
    order = models.PositiveIntegerField()
    text_nl = models.TextField()
    text_en = models.TextField(blank=True)
    prompt_nl = models.TextField(blank=True, help_text=_("A question to open the discussion"))
    prompt_en = models.TextField(blank=True)

    text = Localized()
    prompt = Localized()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "slug"], name="unique_question_slug")
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text_nl


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveIntegerField()
    label_nl = models.TextField()
    label_en = models.TextField(blank=True)
    points = models.PositiveIntegerField()

    label = Localized()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["question", "order"], name="unique_option_order")
        ]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return f"{self.label_nl} ({self.points})"


class ScoreBand(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="bands")
    # The phase's key, such as "ik-zie": the instrument names its phases; what a phase means is
    # content, kept under the same key by the content app.
    phase = models.SlugField()
    low = models.PositiveIntegerField()
    high = models.PositiveIntegerField()
    published_high = models.PositiveIntegerField(
        help_text=_("The upper end as printed in the source; totals it shares with the next band "
                    "are shown as on the border.")
    )
    outcome_nl = models.TextField(blank=True)
    outcome_en = models.TextField(blank=True)

    outcome = Localized()

    class Meta:
        ordering = ["low"]
        verbose_name = _("score band")
        verbose_name_plural = _("score bands")

    def __str__(self) -> str:
        return f"{self.low}-{self.high}: {self.phase}"
