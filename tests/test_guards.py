"""Guards for the upstream internals that our workarounds copy or subclass.

`config/shared_thread.py` overrides three methods of Django's ASGIHandler,
`config/phone_answers.py` repeats Django's CSRF check and host and HTTPS rules for the phone's
answers (calling its token functions), `WorkshopConsumer`
copies Channels' `AsyncConsumer.dispatch` without its hop to the shared thread and its
`__call__` with a cheaper loop than `await_many_dispatch`, and
`WorkshopInMemoryChannelLayer` subclasses Channels' in-memory layer, and config/server.py
turns off Twisted's form parsing in daphne's requests and defers autobahn's pretty-printing
in `WebSocketProtocol._connectionMade`. If an upgrade changes any
of these, the copies may silently drop a fix or break: these tests fail first, by name.
Re-read the upstream function, carry its change over (or drop the workaround), then update
the fingerprint here.
"""

import hashlib
import inspect

import pytest
from autobahn.websocket.protocol import Timings, WebSocketProtocol
from channels.consumer import AsyncConsumer
from channels.layers import InMemoryChannelLayer
from channels.utils import await_many_dispatch
from daphne.http_protocol import WebRequest
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http.request import HttpRequest
from django.middleware import csrf
from twisted.web.http import Request as TwistedRequest

FINGERPRINTS = {
    # What SharedThreadASGIHandler replaces: __call__ without ThreadSensitiveContext, handle
    # with the signals, the response and its close in one hop, and the middleware chain loaded
    # in sync mode.
    "ASGIHandler.__call__": (ASGIHandler.__call__, "f756809e9c9308dc"),
    "ASGIHandler.handle": (ASGIHandler.handle, "98faeb5bef800331"),
    "BaseHandler.load_middleware": (BaseHandler.load_middleware, "a1fb7ee5f8586195"),
    # What SharedThreadASGIHandler.get_response copies for the phone's answers' short chain.
    "BaseHandler.get_response": (BaseHandler.get_response, "3d6a79b124c2cccb"),
    # What config/phone_answers.py checks as Django does (process_view with _check_token, the
    # host and HTTPS of get_host and is_secure) and the token functions it calls.
    "CsrfViewMiddleware.process_view": (csrf.CsrfViewMiddleware.process_view,
                                        "cdbdabe04318fc2f"),
    "CsrfViewMiddleware._check_token": (csrf.CsrfViewMiddleware._check_token,
                                        "bc4dd8db3b11f8b1"),
    "_check_token_format": (csrf._check_token_format, "9a21427b676ed504"),
    "_does_token_match": (csrf._does_token_match, "3af7cc3f2914cb0a"),
    "HttpRequest.get_host": (HttpRequest.get_host, "02735c918f5ce9f1"),
    "HttpRequest._get_raw_host": (HttpRequest._get_raw_host, "49d5b852251e9afb"),
    "HttpRequest.is_secure": (HttpRequest.is_secure, "ae083f296324eb31"),
    # What WorkshopConsumer.dispatch copies, less aclose_old_connections(), and what its
    # __call__ copies with dispatch_in_turn in place of await_many_dispatch.
    "AsyncConsumer.dispatch": (AsyncConsumer.dispatch, "39f34e7d4fb0f655"),
    "AsyncConsumer.__call__": (AsyncConsumer.__call__, "e52238720872dbc3"),
    "await_many_dispatch": (await_many_dispatch, "30ef889498560da3"),
    # What WorkshopInMemoryChannelLayer throttles (_clean_expired), replaces (group_send
    # repeats send's put; receive without the spare queues) and relies on (the shape of
    # self.channels and self.groups).
    "InMemoryChannelLayer._clean_expired": (InMemoryChannelLayer._clean_expired,
                                            "604032dae1cc01d2"),
    "InMemoryChannelLayer.group_send": (InMemoryChannelLayer.group_send, "693c3172deb6431b"),
    "InMemoryChannelLayer.send": (InMemoryChannelLayer.send, "a4dab1cd8aff886e"),
    "InMemoryChannelLayer.receive": (InMemoryChannelLayer.receive, "e615f8ae40b60e12"),
    # Where autobahn pretty-prints a new socket's options for a debug line, through the
    # module's `pformat`, which config/server.py replaces; where Twisted parses a form POST
    # (unless told not to), and daphne's request, which passes its arguments on to Twisted's.
    "Request.requestReceived": (TwistedRequest.requestReceived, "99ca6c5e24305de4"),
    "WebRequest.__init__": (WebRequest.__init__, "ec85d9f2a762a39f"),
    "WebSocketProtocol._connectionMade": (WebSocketProtocol._connectionMade,
                                          "7ac58d8bb6c3c752"),
    # The module's other pformat, which config/server.py replaces too (it must return a str).
    "Timings.__str__": (Timings.__str__, "6a8cac1b554e3bd8"),
}


@pytest.mark.parametrize("name", FINGERPRINTS)
def test_the_upstream_code_our_workarounds_copy_is_unchanged(name):
    function, expected = FINGERPRINTS[name]
    actual = hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]
    assert actual == expected, (
        f"{name} changed upstream ({actual}): re-check the workaround that relies on it "
        "(see this module's docstring)"
    )


def test_the_in_memory_layer_keeps_groups_and_channels_as_we_read_them():
    layer = InMemoryChannelLayer()
    assert layer.channels == {} and layer.groups == {}
    assert "group_expiry" in vars(layer) and "expiry" in vars(layer)


def test_autobahn_prints_a_socket_s_options_only_when_the_debug_line_is_written():
    import pprint

    from autobahn.websocket import protocol

    import config.asgi  # noqa: F401  (installs it, as the server does)

    options = [("autoPingInterval", 20, "WebSocketServerFactory")] * 3
    deferred = protocol.pformat(options)  # as _connectionMade calls it
    assert not isinstance(deferred, str)  # nothing printed yet
    assert f"\n{deferred}" == "\n" + pprint.pformat(options)
    timings = protocol.Timings()
    timings.track("onOpen")
    assert str(timings) == pprint.pformat(timings._timings)  # still a string


def test_daphne_s_requests_leave_a_form_s_body_unparsed_for_the_application():
    import config.asgi  # noqa: F401  (installs it, as the server does)

    class Channel:
        transport = None
        factory = type("Factory", (), {"server": type("Server", (), {
            "protocol_connected": lambda self, request: None})()})()

        def getPeer(self):
            return None

        getHost = getPeer

    request = WebRequest(Channel())
    assert request._parsePOSTFormSubmission is False
    assert WebRequest(Channel(), parsePOSTFormSubmission=True)._parsePOSTFormSubmission
