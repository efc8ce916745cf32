"""A small in-process cache for data read on every request but rarely edited: the questionnaire
with its options and bands, and (for the content app) the phases.

Entries live for a minute, and a save in this process (the admin, `load_content`) clears them
at once; other processes pick an edit up within the minute. Each app names the models whose
edits must empty the cache with `clear_on_change`.
"""

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
TTL_SECONDS = 60.0

_entries: dict[object, tuple[float, object]] = {}
_lock = threading.Lock()


def get_or_load(key: object, load: Callable[[], T]) -> T:
    hit = _entries.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]  # type: ignore[return-value]
    value = load()
    with _lock:
        _entries[key] = (time.monotonic() + TTL_SECONDS, value)
    return value


def clear(*args, **kwargs) -> None:
    """Also a signal receiver: any save or delete of cached models empties the cache."""
    with _lock:
        _entries.clear()


def clear_on_change(*models: str) -> None:
    """Empty the cache whenever one of `models` ("app_label.Model") is saved or deleted."""
    for model in models:
        post_save.connect(clear, sender=model, dispatch_uid=f"cache-save-{model}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"cache-delete-{model}")
