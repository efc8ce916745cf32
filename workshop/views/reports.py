"""Reports: a session's report as a web page, PDF and CSV, a read-only share link, and an
organisation's history with a comparison of two sessions."""

import asyncio
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from workshop import reports, tools
from workshop.access import get_organisation_for_user, get_session_for_user, get_shared_session
from workshop.models import Session


def _filename(session: Session, extension: str) -> str:
    return f"digitaal-dna-{slugify(session.title)[:40]}-{session.created_at:%Y-%m-%d}.{extension}"


def _pdf_response(session: Session, *, show_facilitator: bool = False) -> HttpResponse:
    if not reports.pdf_available():
        return HttpResponse(
            _("PDF export is not available on this server: WeasyPrint and Pango are needed."),
            status=503, content_type="text/plain; charset=utf-8",
        )
    html = reports.report_pdf_html(session, show_facilitator=show_facilitator)

    async def layout():
        # The layout takes a few hundred milliseconds. It runs as the response is sent, after
        # the view has returned, in a thread of its own: the shared thread that serves the
        # phones' requests (see config/asgi.py) is not held up.
        yield await asyncio.to_thread(reports.write_pdf, html)

    response = StreamingHttpResponse(layout(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(session, "pdf")}"'
    return response


@login_required
def report(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request, code)
    share_url = (
        request.build_absolute_uri(reverse("shared_report", args=[session.share_token]))
        if session.share_token else None
    )
    ctx = reports.report_context(session, show_facilitator=True)
    ctx |= {"share_url": share_url, "manage": True}
    return render(request, "workshop/report.html", ctx)


@login_required
def report_pdf(request: HttpRequest, code: str) -> HttpResponse:
    return _pdf_response(get_session_for_user(request, code), show_facilitator=True)


@login_required
def report_csv(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request, code)
    response = HttpResponse(reports.report_csv(session), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(session, "csv")}"'
    return response


@login_required
@require_POST
def share(request: HttpRequest, code: str) -> HttpResponse:
    """Create a read-only link to the report, or revoke it (a new link is a new token)."""
    session = get_session_for_user(request, code)
    action = request.POST.get("action")
    if action == "create":
        session.share_token = secrets.token_urlsafe(32)
    elif action == "revoke":
        session.share_token = None
    else:
        return HttpResponse(_("Unknown action."), status=400)
    session.save(update_fields=["share_token"])
    return redirect("report", session.code)


def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    session = get_shared_session(token)
    ctx = reports.report_context(session) | {"pdf_url": reverse("shared_report_pdf", args=[token])}
    return render(request, "workshop/report.html", ctx)


def shared_report_pdf(request: HttpRequest, token: str) -> HttpResponse:
    return _pdf_response(get_shared_session(token))


@login_required
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organisation_for_user(request, slug)
    history = reports.organisation_history(org)
    return render(request, "workshop/organisation.html",
                  {"organisation": org, "history": history,
                   "agreements": tools.all_agreements(org)})


@login_required
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organisation_for_user(request, slug)
    sessions = {s.code: s for s in org.sessions.select_related("questionnaire")}
    first, second = request.GET.get("a", ""), request.GET.get("b", "")
    if first not in sessions or second not in sessions or first == second:
        messages.error(request, _("Choose two different sessions of this organisation."))
        return redirect("organisation", org.slug)
    for code in (first, second):
        if not sessions[code].results_visible:
            messages.error(request, _("“%(title)s” has not been revealed yet, so it cannot be "
                                      "compared.") % {"title": sessions[code].title})
            return redirect("organisation", org.slug)
    comparison = reports.compare_sessions(sessions[first], sessions[second])
    return render(request, "workshop/compare.html",
                  {"organisation": org, "comparison": comparison})


@login_required
@require_http_methods(["GET", "POST"])
def delete_session(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request, code)
    if request.method == "POST":
        org_slug, title = session.organisation.slug, session.title
        # Participants, answers and notes go with it (on_delete=CASCADE).
        session.delete()
        messages.success(request, _("The session “%(title)s” and all its answers have been "
                                    "deleted.") % {"title": title})
        return redirect("organisation", org_slug)
    return render(request, "workshop/delete_session.html", {"session": session})
