"""Who may open a WebSocket: a page of this site, and nothing with a NUL byte in it."""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host

from config.middleware import has_nul

DEFAULT_PORTS = {"http": 80, "https": 443}


class SameSiteOriginValidator:
    """Refuse a WebSocket that a page of another site opens.

    A browser sends the opening page's Origin with every WebSocket, and the visitor's cookies
    whatever that page is: without this check any site could open a phone's or a console's
    socket as its visitor. Channels' AllowedHostsOriginValidator accepts every origin while
    ALLOWED_HOSTS is '*', the LAN default with DEBUG on. Accepted here:

    - an Origin whose host and port are the request's Host, when that Host is allowed: the page
      came from where its socket goes;
    - an Origin whose host is in ALLOWED_HOSTS, when that is a list of names rather than '*'
      (behind a proxy that does not pass the Host on).

    Refused too: a socket without an Origin (not a browser's page), and a NUL byte in the path,
    the query string or a cookie, which PostgreSQL refuses in text.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not accepts(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def accepts(scope) -> bool:
    headers = {name.lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    query_string = scope.get("query_string", b"").decode("latin-1")
    if has_nul(scope["path"], query_string, parse_cookie(headers.get(b"cookie", ""))):
        return False
    origin = urlsplit(headers.get(b"origin", ""))
    if origin.scheme not in DEFAULT_PORTS or not origin.hostname:
        return False  # no Origin, "null", or nothing a page is served from
    try:
        origin_port = origin.port or DEFAULT_PORTS[origin.scheme]
    except ValueError:
        return False
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]  # as Django's HTTP side
    host, port = split_domain_port(headers.get(b"host", ""))
    if (
        host
        and validate_host(host, allowed_hosts)
        and host.strip("[]") == origin.hostname
        and int(port or DEFAULT_PORTS[origin.scheme]) == origin_port
    ):
        return True
    return "*" not in allowed_hosts and validate_host(origin.hostname, allowed_hosts)
