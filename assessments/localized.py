"""Bilingual model fields: `title_nl` and `title_en` in the database, `title` in code.

Dutch is the source language of the Digitaal DNA publication, so it is the fallback when an
English text is missing.
"""

from django.db import models
from django.utils.translation import get_language


class Localized:
    """A read-only attribute that returns the `<name>_<language>` field for the active language."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: models.Model | None, owner: type) -> object:
        if instance is None:
            return self
        language = (get_language() or "nl")[:2]
        value = getattr(instance, f"{self.name}_{language}", "")
        return value or getattr(instance, f"{self.name}_nl")
