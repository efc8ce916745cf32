from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Phase content")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from content import cache

        # Questionnaires and phases are cached per process; an edit empties the cache.
        for model in ["assessments.Questionnaire", "assessments.Question", "assessments.Option",
                      "assessments.ScoreBand", "content.Phase", "content.PhaseItem"]:
            post_save.connect(cache.clear, sender=model, dispatch_uid=f"cache-save-{model}")
            post_delete.connect(cache.clear, sender=model, dispatch_uid=f"cache-delete-{model}")
