"""The facilitator's side of a phase's tool and the group's target: open a tool, record its
result, accept the phones' suggestions, set the target, follow up agreements. The result
stays editable after the session, on the session's own tool page. Every view answers with
the editor (htmx) or goes back to the page it came from."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from content.models import Phase
from workshop import access, services, tools
from workshop.forms import TargetForm, ToolItemForm
from workshop.screens import console as console_screen


def _editor(request: HttpRequest, session, status: int = 200, **extra) -> HttpResponse:
    if not request.htmx:
        if status >= 400:
            # Without htmx the editor page itself shows the reason.
            ctx = console_screen.editor_context(session, **extra)
            return render(request, "workshop/tool_page.html", ctx, status=status)
        back = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("tool_page", session.code)
    ctx = console_screen.editor_context(session, **extra)
    return render(request, console_screen.EDITOR_TEMPLATE, ctx, status=status)


def _refused(request: HttpRequest, session, error: services.WorkshopError) -> HttpResponse:
    return _editor(request, session, status=error.status, error=error.message)


@login_required
def tool_page(request: HttpRequest, code: str) -> HttpResponse:
    """The tool's result and the target, editable after the session too."""
    session = access.get_session_for_user(request, code)
    return render(request, "workshop/tool_page.html", console_screen.editor_context(session))


def editor_action(action):
    """A console action on the tool: the session loaded for this facilitator, `action(request,
    session, ...)` carried out (it may return the session as saved), and the editor as the
    answer; a WorkshopError is answered with the editor and its reason."""

    @login_required
    @require_POST
    @wraps(action)
    def view(request: HttpRequest, code: str, **kwargs) -> HttpResponse:
        session = access.get_session_for_user(request, code)
        try:
            session = action(request, session, **kwargs) or session
        except services.WorkshopError as error:
            return _refused(request, session, error)
        return _editor(request, session)

    return view


@editor_action
def open_tool(request: HttpRequest, session):
    return services.open_tool(session, request.POST.get("tool", ""))


@editor_action
def save_plan(request: HttpRequest, session) -> None:
    spec = tools.SPECS.get(request.POST.get("tool", ""))
    if spec is None:
        raise services.WorkshopError(_("There is no tool for that phase."), status=400)
    texts = {part.slug: request.POST.get(part.slug, "").strip()[:1000]
             for part in spec.parts if not part.many and part.slug in request.POST}
    services.save_plan(session, spec.phase, texts)


@login_required
@require_POST
def add_item(request: HttpRequest, code: str) -> HttpResponse:
    session = access.get_session_for_user(request, code)
    form = ToolItemForm(request.POST)
    if not form.is_valid():
        return _editor(request, session, status=400, item_form=form)
    data = form.cleaned_data
    try:
        services.add_item(session, request.POST.get("tool", ""), data["part"],
                          data["text"].strip(), owner=data["owner"].strip(), due=data["due"],
                          how=data["how"].strip(), when=data["when"].strip(), mode=data["mode"])
    except services.WorkshopError as error:
        return _refused(request, session, error)
    return _editor(request, session)


@editor_action
def remove_item(request: HttpRequest, session, item: int) -> None:
    services.remove_item(session, item)


@editor_action
def accept_suggestion(request: HttpRequest, session, item: int) -> None:
    services.accept_suggestion(session, item)


@login_required
@require_POST
def set_target(request: HttpRequest, code: str) -> HttpResponse:
    session = access.get_session_for_user(request, code)
    form = TargetForm(Phase.by_slug().values(), request.POST)
    if not form.is_valid():
        return _editor(request, session, status=400, target_form=form)
    session = services.set_target(session, form.cleaned_data["phase"], form.cleaned_data["date"])
    return _editor(request, session)


@login_required
@require_POST
def agreement_done(request: HttpRequest, note: int) -> HttpResponse:
    """Mark an agreement done or open again, from the organisation page or a console."""
    agreement = access.get_agreement_for_user(request, note)
    services.set_agreement_done(agreement, request.POST.get("done") == "1")
    if request.htmx:
        return render(request, "workshop/tool.html#agreement", {"note": agreement})
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("organisation", agreement.session.organisation.slug)
