from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Phase content")

    def ready(self) -> None:
        from assessments import cache

        # Phases are cached per process; an edit empties the cache.
        cache.clear_on_change("content.Phase", "content.PhaseItem")
