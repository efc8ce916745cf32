"""A small in-process cache for data read on every request but rarely edited: the questionnaire
with its options and bands, and the phases.

Entries live for a minute, and a save in this process (the admin, `load_content`) clears them
at once; other processes pick an edit up within the minute.
"""

import threading
import time
from collections.abc import Callable
from typing import TypeVar

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
