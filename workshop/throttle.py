"""Throttle the guessing of session codes, per address.

A room of phones shares one address (a NAT) and joins a couple of hundred times a minute, so
joins are not counted: wrong codes are. Once an address has tried WRONG_CODE_LIMIT wrong codes
within WRONG_CODE_WINDOW seconds, every code it tries is refused with a 429 until the window
ends, right ones too: refusing only the wrong ones would still tell a guesser which code is
right. Phones that already joined (their participant cookie matches) keep going.

The counters are in Django's cache: in Redis when REDIS_URL is set, so they hold across
processes. Addresses are REMOTE_ADDR: behind a proxy, run daphne with --proxy-headers.
"""

import ipaddress
import logging
import time
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from workshop import access
from workshop.identity import participant_token
from workshop.models import normalize_code

WRONG_CODE_LIMIT = 30
WRONG_CODE_WINDOW = 5 * 60  # seconds, counted from an address's first wrong code
# How long this process trusts what it last read of an address's counter. A room of phones
# behind one address would otherwise ask the shared cache (Redis) three times per join; a
# block reaches the other processes within this time.
LOCAL_SECONDS = 1.0
_read: dict[str, tuple[float, bool]] = {}

logger = logging.getLogger(__name__)


def _key(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR") or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"wrong-codes:{address}"
    if ip.version == 6:
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        else:
            # An IPv6 client picks its addresses from a whole /64: count the network.
            ip = ipaddress.ip_network(f"{ip}/64", strict=False)
    return f"wrong-codes:{ip}"


def guessed_too_often(request: HttpRequest) -> bool:
    key = _key(request)
    now = time.monotonic()
    read = _read.get(key)
    if read is not None and now - read[0] < LOCAL_SECONDS:
        return read[1]
    try:
        blocked = cache.get(key, 0) >= WRONG_CODE_LIMIT
    except Exception:  # a broken cache must not stop a room from joining
        logger.warning("Cannot read the wrong-code counter", exc_info=True)
        return False
    if len(_read) > 10_000:
        _read.clear()
    _read[key] = (now, blocked)
    return blocked


def wrong_code(request: HttpRequest) -> None:
    """Count a wrong code from this request's address."""
    key = _key(request)
    _read.pop(key, None)  # this process sees its own count at once
    try:
        if not cache.add(key, 1, timeout=WRONG_CODE_WINDOW):
            try:
                cache.incr(key)  # keeps the key's expiry: the window does not move
            except ValueError:  # it expired between add() and incr()
                cache.add(key, 1, timeout=WRONG_CODE_WINDOW)
    except Exception:  # a broken cache must not stop a room from joining
        logger.warning("Cannot count a wrong code", exc_info=True)


def message() -> str:
    return _("Too many wrong codes were tried from your network. Wait a few minutes, then check "
             "the code and try again.")


def _refusal(request: HttpRequest) -> HttpResponse:
    response = render(request, "workshop/phone_message.html", {"message": message()}, status=429)
    response["Retry-After"] = str(WRONG_CODE_WINDOW)
    return response


def _has_joined(request: HttpRequest, code: str | None) -> bool:
    if not code:
        return False
    code = normalize_code(code)
    return access.find_participant(code, participant_token(request.COOKIES, code)) is not None


def limit_code_guesses(view):
    """For a view that looks a session up by a code: refused while the address is throttled."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if guessed_too_often(request) and not _has_joined(request, kwargs.get("code")):
            return _refusal(request)
        return view(request, *args, **kwargs)

    return wrapper
