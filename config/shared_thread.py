"""Django's ASGI handler, made to run every request's sync code in one shared thread.

A workaround fenced in its own module: it overrides four methods of Django's ASGIHandler
(`load_middleware`, `get_response`, `handle`, `__call__`). tests/test_guards.py fails loudly if
Django changes what these rely on, and tests/test_shared_thread.py sends real HTTP through it.
"""

import asyncio
import re
from functools import cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.exception import convert_exception_to_response
from django.db import connections
from django.urls import reverse, set_script_prefix, set_urlconf
from django.utils.log import log_response
from django.utils.module_loading import import_string

# A phone's answer and its recognition (workshop/urls.py: question, recognise).
PHONE_ANSWER_PATH = re.compile(r"^/j/[^/]+/(q/[0-9]+/|recognise/)$")


@cache
def _password_paths() -> frozenset[str]:
    """The paths whose POST checks a password: the facilitators' login and the admin's."""
    return frozenset({reverse("login"), reverse("admin:login")})


class SharedThreadASGIHandler(ASGIHandler):
    """Django's ASGI handler, running every request's sync code in one shared thread.

    Django gives each request a thread of its own (asgiref's ThreadSensitiveContext), and with
    it a database connection of its own, opened and closed per request. Under a workshop's burst
    of small requests that cost more than the requests' work. In the shared thread, which the
    consumers' database calls use too, one persistent connection (CONN_MAX_AGE) serves them
    all. The GIL and SQLite's single writer serialised this work anyway; slow work that does not
    touch the database (the PDF layout) is sent to other threads explicitly.

    The middleware chain and the views run there in one go. In Django's async chain every
    middleware written for both modes (all of Django's own) hops to that thread and back for
    each of its hooks: a dozen hops a request, which cost more than the answer itself.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        # The phone's answers go through the middleware they need: the rest of the chain (the
        # content security policy of a page, sessions, logins, messages, static files) cost a
        # third of an answer, and an answer is a fragment for a page that has them already.
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.PHONE_ANSWER_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._answer_chain = handler

    def get_response(self, request):
        """BaseHandler.get_response, with the phone's answering POSTs on their short chain."""
        if request.method == "POST" and PHONE_ANSWER_PATH.match(request.path_info):
            set_urlconf(settings.ROOT_URLCONF)
            response = self._answer_chain(request)
            response._resource_closers.append(request.close)
            if response.status_code >= 400:
                log_response("%s: %s", response.reason_phrase, request.path,
                             response=response, request=request)
            return response
        return super().get_response(request)

    async def handle(self, scope, receive, send):
        """Django's `handle`, with the request's sync work in one hop to the shared thread.

        Django hops there three times a request (request_started, the response, and
        response.close with request_finished), and starts two tasks (one listens for a client
        that goes away, to cancel a view that runs in a thread anyway): under a burst of answers
        each hop waited its turn behind the queue. Here the signal, the request, the response
        and, for a response whose content is ready, its close run in one go; a streaming
        response is sent and then closed, as Django does.
        """
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        password = scope["method"] == "POST" and scope["path"] in _password_paths()
        try:
            if password:
                # A login hashes the password: a few hundred milliseconds of CPU by design, and
                # a flood of logins in the shared thread held every phone's answer up behind
                # it. A login POST runs in a thread of its own instead, with a database
                # connection of its own, closed when it is done. (An async login view would
                # not help: with this sync middleware chain Django runs an async view from the
                # shared thread and waits.)
                response = await sync_to_async(self._respond, thread_sensitive=False)(
                    scope, body_file, True
                )
            else:
                response = await sync_to_async(self._respond, thread_sensitive=True)(
                    scope, body_file, False
                )
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client went away while we sent
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=not password)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file, own_connection: bool):
        """In one thread: request_started, the request, the response, and (when its content is
        ready) its close, which sends request_finished."""
        try:
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, error_response = self.create_request(scope, body_file)
            response = error_response if request is None else self.get_response(request)
            response._handler_class = self.__class__
            if not response.streaming:
                response.close()
            elif hasattr(response, "block_size"):
                response.block_size = self.chunk_size
            return response
        finally:
            if own_connection:
                connections.close_all()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)
