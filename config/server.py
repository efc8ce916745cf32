"""Work that daphne's libraries do for every request and socket, which this application never
uses, left undone. Both are installed when the application is loaded (config/asgi.py), in the
process that serves it; tests/test_guards.py fails if the upstream code they rely on changes.

- Twisted parses the body of every form POST into `request.args`
  (`Request.requestReceived`), reading its Content-Type with the email package; daphne never
  looks at `args` (it hands the raw body to the application, which parses it again). That
  was 3-4% of the server's time while a room answered: every answer is such a POST.
- autobahn pretty-prints every new socket's forty-odd options for a debug log line, whether
  debug is logged or not (`WebSocketProtocol._connectionMade`): 0.15-0.2 ms of the 2.5 ms a
  phone's socket costs, paid 2,000 times when a room joins. Deferred here until the line is
  written: the same line at debug level, nothing otherwise.
"""

from __future__ import annotations

import functools
import pprint


def install() -> None:
    _no_form_parsing_in_twisted()
    _defer_autobahn_config_log()


def _no_form_parsing_in_twisted() -> None:
    from daphne.http_protocol import WebRequest

    if getattr(WebRequest.__init__, "parses_no_forms", False):
        return
    original = WebRequest.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        original(self, *args, **kwargs)

    __init__.parses_no_forms = True
    WebRequest.__init__ = __init__


class _Formatted:
    """A value that is pretty-printed only when it is written out."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)

    __repr__ = __str__


def _defer_autobahn_config_log() -> None:
    from autobahn.websocket import protocol

    protocol.pformat = _Formatted
    # The module's one other use of pformat that is not a log line's argument: str() of its
    # timings must stay a string.
    original = protocol.Timings.__str__

    @functools.wraps(original)
    def __str__(self) -> str:
        return pprint.pformat(self._timings)

    protocol.Timings.__str__ = __str__
