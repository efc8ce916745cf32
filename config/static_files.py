"""Static files from memory, in front of Django's HTTP handler.

When a room joins, every phone loads the stylesheet, the scripts and the icon once: a few
requests per phone, each of which cost about 2 ms of CPU through Django's handler and
WhiteNoise, as much as the join page itself. The files do not change while the server runs
(with DEBUG off they are collected, with hashed names), so the first response for a file is
kept and sent again as it was: the same status, headers and bytes that Django and WhiteNoise
gave, including the compressed variant and the security headers.

A response depends on the request's method, path, host (the page policy names it), whether it
came over HTTPS and which compressions it accepts: those are the key. Conditional and range
requests, a query string, a NUL byte, anything but a complete 200, and everything with DEBUG on
(files are served from the source folders and may change) go to Django. tests/test_static_files.py
compares the kept responses with Django's.
"""

from __future__ import annotations

from django.conf import settings
from django.http.cookie import parse_cookie

from config.middleware import has_nul
from config.phone_answers import is_secure, scope_headers

KEPT_FILES = 256  # (file, variant) responses kept; the app has a dozen static files
LARGEST = 512 * 1024  # larger files are left to WhiteNoise, which streams them
PASS_THROUGH = ("range", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since",
                "if-range")


class CachedStaticFiles:
    """ASGI: GET and HEAD of a static file from memory once Django has served it."""

    def __init__(self, app):
        self.app = app
        self.prefix = "/" + settings.STATIC_URL.lstrip("/")
        self.enabled = not settings.DEBUG and not getattr(settings, "WHITENOISE_USE_FINDERS",
                                                          False)
        self.kept: dict[tuple, tuple[list, bytes]] = {}

    async def __call__(self, scope, receive, send):
        if (not self.enabled or scope["method"] not in ("GET", "HEAD")
                or not scope["path"].startswith(self.prefix) or scope.get("query_string")):
            return await self.app(scope, receive, send)
        headers = scope_headers(scope)
        if (any(name in headers for name in PASS_THROUGH)  # Django refuses a NUL: 400
                or has_nul(scope["path"], "", parse_cookie(headers.get("cookie", "")))):
            return await self.app(scope, receive, send)
        key = _key(scope, headers)
        kept = self.kept.get(key)
        if kept is not None:
            response_headers, body = kept
            await send({"type": "http.response.start", "status": 200,
                        "headers": response_headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, self._keeping(key, send))

    def _keeping(self, key: tuple, send):
        """A `send` that passes Django's response on and keeps a complete 200 of it."""
        parts: dict = {"body": []}

        async def keeping_send(message):
            await send(message)
            if message["type"] == "http.response.start":
                parts["start"] = message
            elif message["type"] == "http.response.body" and "start" in parts:
                parts["body"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._keep(key, parts["start"], b"".join(parts["body"]))

        return keeping_send

    def _keep(self, key: tuple, start: dict, body: bytes) -> None:
        if start["status"] != 200 or len(body) > LARGEST or len(self.kept) >= KEPT_FILES:
            return
        self.kept[key] = (list(start["headers"]), body)


def _key(scope, headers: dict[str, str]) -> tuple:
    # Accept-Encoding as sent (WhiteNoise picks the variant by a pattern over the whole value;
    # browsers send a handful of different values).
    return (scope["method"], scope["path"], headers.get("host", ""),
            headers.get("x-forwarded-host", ""), is_secure(scope, headers),
            headers.get("accept-encoding", ""))
