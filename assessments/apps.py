from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Questionnaires")

    def ready(self) -> None:
        from assessments import cache

        # Questionnaires are cached per process; an edit empties the cache.
        cache.clear_on_change(
            "assessments.Questionnaire", "assessments.Question", "assessments.Option",
            "assessments.ScoreBand",
        )
