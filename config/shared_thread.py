"""Django's ASGI handler, made to run every request's sync code in one shared thread.

A workaround fenced in its own module: it overrides three methods of Django's ASGIHandler
(`load_middleware`, `get_response_async`, `__call__`). tests/test_guards.py fails loudly if
Django changes what these rely on, and tests/test_shared_thread.py sends real HTTP through it.
"""

from functools import cache

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import connections
from django.urls import reverse


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

    async def get_response_async(self, request):
        if request.method == "POST" and request.path in _password_paths():
            # A login hashes the password: a few hundred milliseconds of CPU by design, and a
            # flood of logins in the shared thread held every phone's answer up behind it. A
            # login POST runs in a thread of its own instead, with a database connection of its
            # own, closed when it is done. (An async login view would not help: with this sync
            # middleware chain Django runs an async view from the shared thread and waits.)
            return await sync_to_async(self._get_response_and_close, thread_sensitive=False)(
                request
            )
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    def _get_response_and_close(self, request):
        try:
            return self.get_response(request)
        finally:
            connections.close_all()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)
