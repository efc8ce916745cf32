"""A phone's answer served without Django's HTTP handler: the request a workshop sends most.

In a burst (every phone answering within 20 s) one process receives hundreds of answers a
second. Through Django's ASGI handler an answer cost about 3 ms of CPU, two thirds of it in the
handler (the request object, the middleware, the URL resolver) rather than in the answer; this
endpoint does what that request needs and nothing else, in one hop to the shared thread for
all the answers waiting for it (`Batches`):

- the request is the ordinary one: an htmx POST of a small urlencoded form to
  /j/<CODE>/q/<N>/ or /j/<CODE>/recognise/, from a phone that has joined;
- the CSRF check is Django's own token check (`_check_token_format`, `_does_token_match`), and
  the request must carry an Origin header equal to the site's own origin, with the host checked
  against ALLOWED_HOSTS as `request.get_host()` does; Django accepts less than this (no Origin
  over plain HTTP, CSRF_TRUSTED_ORIGINS), so anything short of it goes to Django;
- the answer is saved and the next screen made by the functions Django's view calls
  (workshop.views.participant.answer_screen / recognition_screen);
- the response carries the headers Django's short chain gives it (security headers,
  X-Frame-Options, Content-Language): taken once from Django's own middleware.

Everything else is served by Django, unchanged: a request this endpoint does not recognise,
a refused CSRF check, a phone that has not joined, an answer the service refuses (a closed
session, a wrong option: nothing is saved then), and any exception, in which case Django
serves the whole request again (saving an answer twice saves the same row). The tests post the
same requests to both and compare status, headers and bytes (tests/test_phone_answers.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from functools import cache
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import InvalidTokenFormat, _check_token_format, _does_token_match
from django.middleware.security import SecurityMiddleware

from config.middleware import has_nul

logger = logging.getLogger(__name__)

ANSWER_PATH = re.compile(r"^/j/([A-Z0-9]{1,20})/(?:q/([0-9]+)|(recognise))/$")
FORM = "application/x-www-form-urlencoded"
MAX_BODY = 2048  # an answer's form is a few dozen bytes
Response = tuple[tuple[tuple[bytes, bytes], ...], bytes]  # headers, body


class PhoneAnswers:
    """ASGI: the phone's answers here, every other request to `django` (config/asgi.py)."""

    def __init__(self, django):
        self.django = django
        self.batches = Batches()

    async def __call__(self, scope, receive, send):
        if scope["method"] != "POST" or not ANSWER_PATH.match(scope["path"]):
            return await self.django(scope, receive, send)
        body, more = await _read_body(receive)
        if body is None:
            return  # the phone went away before its answer arrived: nothing to save
        response = None if more else await self.batches.respond(scope, body)
        if response is None:
            return await self.django(scope, _replay(body, more, receive), send)
        headers, content = response
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})


class Batches:
    """Answers that arrive while a batch of earlier ones is on its way through the shared
    thread wait, and go there together as the next batch: one hop and one transaction (a group
    commit), then their screens are rendered, after the commit.

    A hop to the shared thread costs the event loop and the thread 0.1-0.25 ms of CPU, more
    than saving an answer does; under a burst hundreds of answers a second each paid it, and
    each its own commit. Alone, an answer is a batch of one, served at once as before. Every
    phone's response is sent after its batch is committed; what the answers announce (the
    console's note, an auto-reveal) happens after that commit too.
    """

    MAX = 64  # answers per batch: a batch holds the shared thread (and the writer's lock)

    def __init__(self):
        self.waiting: list[tuple[dict, bytes, asyncio.Future]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.serving: asyncio.Task | None = None  # the task that serves the batches, if any
        self.respond_all = sync_to_async(respond_all, thread_sensitive=True)

    async def respond(self, scope, body: bytes) -> Response | None:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a new event loop (tests start one per test)
            self.loop, self.waiting, self.serving = loop, [], None
        future = loop.create_future()
        self.waiting.append((scope, body, future))
        if self.serving is None or self.serving.done():
            self.serving = loop.create_task(self._serve())
        return await future

    async def _serve(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:self.MAX], self.waiting[self.MAX:]
                responses = [None] * len(batch)  # None: Django serves the request
                try:
                    responses = await self.respond_all([(scope, body) for scope, body, _ in batch])
                except Exception:
                    logger.exception("A batch of answers was not served; Django serves them")
                finally:
                    for (_, _, future), response in zip(batch, responses, strict=True):
                        if not future.done():  # (a phone that went away cancelled its own)
                            future.set_result(response)
        finally:
            for _, _, future in self.waiting:
                if not future.done():
                    future.set_result(None)
            self.waiting = []


def respond_all(requests: list[tuple[dict, bytes]]) -> list[Response | None]:
    """In the shared thread: a batch of answers saved in one transaction, then their screens
    rendered. If any of them fails to save (the database, a bug), nothing of the batch is kept
    and each is served again on its own, as `respond` serves one."""
    if len(requests) > 1:
        try:
            with transaction.atomic():
                renders = [_save(scope, body) for scope, body in requests]
        except Exception:
            logger.debug("A batch of answers failed; serving each on its own", exc_info=True)
        else:
            return [None if render is None else _rendered(render) for render in renders]
    return [respond(scope, body) for scope, body in requests]


async def _read_body(receive) -> tuple[bytes | None, bool]:
    """The request's body, and whether more of it is to come (a body too long for an answer
    is read no further: Django reads the rest). None: the client went away."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, False
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if not more or len(body) > MAX_BODY:
            return body, more


def _replay(body: bytes, more: bool, receive):
    """A `receive` for Django that first hands over what was read already."""
    pending = [{"type": "http.request", "body": body, "more_body": more}]

    async def replay():
        return pending.pop() if pending else await receive()

    return replay


def respond(scope, body: bytes) -> Response | None:
    """In the shared thread: the response to an ordinary answer, or None for Django to serve."""
    try:
        render = _save(scope, body)
    except Exception:
        # The database away, a bug: Django serves the request again and answers as it does
        # (a 503 page, a logged 500), the connection checked first by its request_started.
        logger.debug("Answer handed to Django", exc_info=True)
        return None
    return None if render is None else _rendered(render)


def _rendered(render: Callable[[], Response]) -> Response | None:
    try:
        return render()
    except Exception:
        # The answer is saved: Django saves it again (the same row) and answers.
        logger.debug("Answer handed to Django after it was saved", exc_info=True)
        return None


def _save(scope, body: bytes) -> Callable[[], Response] | None:
    """Save the answer; returns what renders its response (None: Django serves the request)."""
    from workshop import access, services
    from workshop.identity import cookie_language, participant_token
    from workshop.views.participant import save_phone_answer, save_recognition

    match = ANSWER_PATH.match(scope["path"])
    headers = scope_headers(scope)
    content_type = headers.get("content-type", "").split(";")[0].strip()
    if (match is None or len(body) > MAX_BODY or content_type != FORM
            or scope.get("query_string") or b"\x00" in body or b"%00" in body):
        return None
    try:
        form = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True))
    except ValueError:  # not ASCII, or not a form
        return None
    cookies = parse_cookie(headers.get("cookie", ""))
    secure = is_secure(scope, headers)
    if (has_nul(scope["path"], "", cookies)
            or not _csrf_passes(scope, headers, cookies, form, secure)
            or (settings.SECURE_SSL_REDIRECT and not secure)):
        return None
    code, number, recognition = match.groups()
    participant = access.find_participant(code, participant_token(cookies, code))
    if participant is None:
        return None
    language = cookie_language(cookies)
    try:
        if recognition:
            screen = save_recognition(participant, form.get("phase", ""))
        else:
            screen = save_phone_answer(participant, int(number), form.get("option", ""),
                                       form.get("from", ""))
    except services.WorkshopError:
        return None  # refused before anything was saved: Django says why
    return lambda: (_response_headers(secure, language), screen(language).encode())


def scope_headers(scope) -> dict[str, str]:
    return {name.decode("latin1"): value.decode("latin1") for name, value in scope["headers"]}


def is_secure(scope, headers: dict[str, str]) -> bool:
    """HttpRequest.is_secure(), from the ASGI scope."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = headers.get(meta_name.removeprefix("HTTP_").replace("_", "-").lower())
        if value is not None:
            return value.split(",")[0].strip() == secure_value
    return scope.get("scheme") in ("https", "wss")


def _host(scope, headers: dict[str, str]) -> str | None:
    """HttpRequest.get_host(), from the ASGI scope: None where Django would refuse the host or
    would have to be asked."""
    if settings.USE_X_FORWARDED_HOST and "x-forwarded-host" in headers:
        host = headers["x-forwarded-host"]
    else:
        host = headers.get("host")
    if not host:
        return None
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(host)
    return host if domain and validate_host(domain, allowed) else None


def _csrf_passes(scope, headers, cookies, form, secure: bool) -> bool:
    """Django's CSRF check (CsrfViewMiddleware.process_view), with an Origin header required:
    the phone's own origin, a cookie secret and the token sent with the form or in the header.
    False: let Django decide (and refuse, or accept what this does not, with its reasons)."""
    if settings.CSRF_USE_SESSIONS:
        return False
    host = _host(scope, headers)
    origin = headers.get("origin")
    if host is None or origin != f"{'https' if secure else 'http'}://{host}":
        return False
    secret = cookies.get(settings.CSRF_COOKIE_NAME, "")
    token = form.get("csrfmiddlewaretoken", "") or headers.get(_csrf_header(), "")
    try:
        _check_token_format(secret)
        _check_token_format(token)
    except InvalidTokenFormat:
        return False
    # A secret stored masked (Django before 4.0) is left to Django, which unmasks it.
    return len(secret) == 32 and _does_token_match(token, secret)


@cache
def _csrf_header() -> str:
    return settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-").lower()


@cache
def _response_headers(secure: bool, language: str) -> tuple[tuple[bytes, bytes], ...]:
    """The headers Django's short chain (PHONE_ANSWER_MIDDLEWARE) puts on an answer's response,
    taken from the same middleware once per (https, language)."""
    request = HttpRequest()
    request.is_secure = lambda: secure
    response = HttpResponse()
    response = SecurityMiddleware(lambda request: response).process_response(request, response)
    response = XFrameOptionsMiddleware(lambda request: response).process_response(request,
                                                                                   response)
    response.headers.setdefault("Content-Language", language)
    return tuple((name.lower().encode("latin1"), value.encode("latin1"))
                 for name, value in response.items())
