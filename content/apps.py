from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Phase content")

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from assessments import cache
        from content.models import Phase, protect_phases_in_use

        # Phases are cached per process; an edit empties the cache.
        cache.clear_on_change("content.Phase", "content.PhaseItem", "content.Tool",
                             "content.ToolField")
        pre_delete.connect(protect_phases_in_use, sender=Phase, dispatch_uid="protect-phases")
