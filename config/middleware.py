import logging

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.utils import translation
from django.views.defaults import bad_request

from workshop.identity import cookie_language

logger = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (CONTENT_SECURITY_POLICY), with the page's own WebSocket addresses in
    connect-src: 'self' covers ws: and wss: of the same host in CSP Level 3, but older mobile
    browsers need them named, and a phone without its socket misses every push."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), f"ws://{host}", f"wss://{host}"]
        parts.update = update
        return parts


class RejectNulMiddleware:
    """A NUL byte in the path, the query string or a cookie is answered 400 Bad Request.

    No page takes one, and PostgreSQL refuses NUL in text: a NUL that reached a query (a share
    token, a session code, a participant's cookie) answered 500. Form fields need no check here:
    Django's form fields refuse NUL (ProhibitNullCharactersValidator).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_nul(request.path, request.META.get("QUERY_STRING", ""), request.COOKIES):
            return bad_request(request, exception=None)
        return self.get_response(request)


def has_nul(path: str, query_string: str, cookies: dict[str, str]) -> bool:
    return (
        "\x00" in path
        or "\x00" in query_string
        or "%00" in query_string
        or any("\x00" in name or "\x00" in value for name, value in cookies.items())
    )


class LanguageCookieMiddleware:
    """Dutch for everyone unless they chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a Dutch workshop
    should not switch language because one colleague's phone is set to English.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = cookie_language(request.COOKIES)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers 503 with a page that says so, not a 500.

    The page needs no database itself: it does not extend base.html, whose menu asks for the
    logged-in user.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("Database unavailable: %s", exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "30"
        return response
