"""Phone pages rendered once and kept, with each request's own values filled in.

When a room joins at once, every phone asks for the same join page: the session's title, its
disciplines and the page's chrome in the phone's language, differing only in the CSRF token
and the form's join key; then each is answered with its own page, the same around its stage
and the line that says who it joined as. Rendering each page took 0.8-0.9 ms of a join's 7 ms
of server time (the template engine, forty-odd nodes, none of them expensive on its own). A
page kept here is rendered once per key with a mark in place of each request's own values,
and each request gets a copy with its values put in.

Such a page must show nothing of the request beyond those values and what its key holds:
`keepable` sends everything else (a logged-in user, a query string, messages waiting to be
shown) through the template as before, and the tests compare a kept page with a rendered one.
The values are put in as they are: tokens, which need no escaping, and HTML that a template
rendered (a phone's lobby page takes its stage, rendered as the pushes render it, and the line
that says who it joined as).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict

from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.safestring import SafeString

from workshop.results import remember

# Letters and digits only, so that escaping leaves a mark as it is; new in every process, so
# that no title or name can contain one.
_MARK = f"kept{secrets.token_hex(8)}"
SAFE_VALUE = re.compile(r"[A-Za-z0-9_-]*")
KEPT = 256  # pages: one per session, language and template in a busy process

_pages: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()


def keepable(request: HttpRequest) -> bool:
    """Whether this request's page may be a kept copy: not for a login (whose pages show the
    user), a query string (the language switch sends the phone back to its address), or
    messages waiting to be shown. What the page shows of a form sent is the view's to say."""
    return (not request.META.get("QUERY_STRING") and not request.user.is_authenticated
            and not len(get_messages(request)))


def page(request: HttpRequest, template: str, context: dict, key: tuple,
         values: dict[str, str]) -> str:
    """`template` rendered with `context` for `request`, from the copy kept under `key` (which
    must hold everything the page shows besides `values`) with `values` filled in: each is a
    context variable (`csrf_token` included), either a token (letters, digits, "-" and "_")
    or HTML a template rendered (a SafeString), put in as it is."""
    for name, value in values.items():
        if not (isinstance(value, SafeString) or SAFE_VALUE.fullmatch(value)):
            raise ValueError(f"{name} is neither a token nor rendered HTML: it needs escaping")
    full_key = (template, key, translation.get_language(), request.path, tuple(values))
    with _lock:
        html = _pages.get(full_key)
        if html is not None:
            _pages.move_to_end(full_key)  # the least recently asked for is dropped first
    if html is None:
        html = render_to_string(template, context | {name: _mark(name) for name in values},
                                request)
        with _lock:
            remember(_pages, full_key, html, KEPT)
    for name, value in values.items():
        html = html.replace(_mark(name), value)
    return html


def _mark(name: str) -> str:
    # Between two random marks: no value's mark can be found inside another's.
    return f"{_MARK}{name.replace('_', '')}{_MARK}"


def forget(**kwargs) -> None:
    """Drop every kept page: in the tests, and when a file changes under runserver's reloader
    (which then reloads the templates instead of restarting the process)."""
    with _lock:
        _pages.clear()


file_changed.connect(forget, dispatch_uid="workshop.screens.kept.forget")
