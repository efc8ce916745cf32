from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class WorkshopConfig(AppConfig):
    name = "workshop"
    verbose_name = _("Workshops")

    def ready(self):
        from workshop.results import forget_results

        for model in ("workshop.Session", "workshop.Participant", "workshop.Answer"):
            for signal in (post_save, post_delete):
                signal.connect(forget_results, sender=model,
                               dispatch_uid=f"forget-results-{signal is post_save}-{model}")
