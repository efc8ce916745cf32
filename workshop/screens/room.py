"""What the facilitator's two screens share: the join link with its QR code, and the live
state of the session (progress, results, discussion). The console and the projector modules
add what only they show."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.http import HttpRequest
from django.http.request import validate_host
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from content.models import Phase
from workshop import access, colors, network, tools
from workshop.models import Session
from workshop.results import build_progress, build_results
from workshop.screens import slides


@dataclass(frozen=True)
class JoinAddress:
    """Where phones open the app: `base` is scheme://host[:port]; `reachable` is False when
    it only works on this machine itself (and no network address was found instead);
    `not_allowed` names a network address that ALLOWED_HOSTS would refuse."""

    base: str
    reachable: bool = True
    not_allowed: str = ""

    @property
    def host(self) -> str:
        """host[:port], short enough for "go to <host>/join" on the projector."""
        return urlsplit(self.base).netloc


def join_address(request: HttpRequest) -> JoinAddress:
    """PUBLIC_URL when it is set; else the address this request came in on, unless that is
    loopback (127.0.0.1, localhost: the facilitator opened the console on this machine, which
    no phone can reach), then this machine's address on the local network, on the same port."""
    if settings.PUBLIC_URL:
        return JoinAddress(settings.PUBLIC_URL)
    scheme, host = request.scheme, request.get_host()
    parts = urlsplit(f"//{host}")
    if not network.is_loopback(parts.hostname or host):
        return JoinAddress(f"{scheme}://{host}")
    port = parts.port
    default_port = {"http": 80, "https": 443}.get(scheme)
    addresses = network.lan_addresses()
    for address in addresses:
        if validate_host(address, settings.ALLOWED_HOSTS):
            netloc = address if port in (None, default_port) else f"{address}:{port}"
            return JoinAddress(f"{scheme}://{netloc}")
    return JoinAddress(f"{scheme}://{host}", reachable=False,
                       not_allowed=addresses[0] if addresses else "")


def join_warning(address: JoinAddress) -> str | None:
    """What the facilitator must know when phones cannot open the join address."""
    if address.reachable:
        return None
    if address.not_allowed:
        return _(
            "Phones cannot open this address: it only works on this computer. Add this "
            "computer's network address (%(address)s) to ALLOWED_HOSTS, or set PUBLIC_URL to "
            "an address they can reach."
        ) % {"address": address.not_allowed}
    return _(
        "Phones cannot open this address: it only works on this computer. Connect this "
        "computer to the same network as the phones, or set PUBLIC_URL to an address they "
        "can reach."
    )


def join_url(request: HttpRequest, session: Session, address: JoinAddress | None = None) -> str:
    address = address or join_address(request)
    return address.base + reverse("join_session", args=[session.code])


def join_context(request: HttpRequest, session: Session) -> dict:
    address = join_address(request)
    url = join_url(request, session, address)
    qr = segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#1d1d2b", omitsize=True)
    # segno writes the SVG itself from the URL; nothing user-supplied goes into it unescaped.
    return {
        "join_url": url,
        "join_host": address.host,
        "qr_svg": mark_safe(qr),
        "join_warning": join_warning(address),
    }


def live_context(session: Session, names_listed: int) -> dict:
    """The part of the screen that follows the session: pushed on every change. The console
    lists up to `names_listed` participants by name; the projector none."""
    results = build_results(session) if session.results_visible else None
    # The discussion is about the group's phase, which needs at least one complete answer set.
    discussion = (session.step in (Session.DISCUSSION, Session.CLOSED)
                  and results is not None and results.phase is not None)
    earlier = (list(tools.open_agreements(session.organisation, before=session))
               if session.step == Session.LOBBY else [])
    deck = slides.deck(session, results, discussion and session.step == Session.DISCUSSION,
                       review=bool(earlier))
    context = {
        "session": session,
        "progress": build_progress(session, limit=names_listed),
        "results": results,
        "discussion": discussion,
        "deck": deck,
        "colors": {"accent": colors.ACCENT, "track": colors.TRACK},
    }
    if any(slide.key == "notes" for slide in deck.slides):
        context |= slides.notes_for_slides(session)
    context |= tool_context(session, discussion)
    context["earlier_agreements"] = earlier
    return context


def tool_context(session: Session, discussion: bool) -> dict:
    """The open tool with its votes and result, and the group's target, once there is a
    discussion to fill them in."""
    return {
        "tool": tools.build_tool(session) if discussion and session.tool else None,
        "target_phase": Phase.by_slug().get(session.target_phase),
    }


def render_live(code: str, language: str, template: str, context_for) -> str:
    """A screen's live part, read from the database: what a console or projector is sent on
    (re)connect and after every change."""
    session = access.find_session(
        code, Session.objects.select_related("questionnaire", "organisation")
    )
    with translation.override(language):
        return render_to_string(template, context_for(session))
