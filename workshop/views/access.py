"""Load-and-authorise helpers: other organisations' objects answer 404, as if absent."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from workshop.models import Organisation, Session


def get_session_for_user(request: HttpRequest, code: str) -> Session:
    return get_object_or_404(
        Session.objects.select_related("questionnaire", "organisation", "created_by"),
        code=code,
        organisation__members=request.user,
    )


def get_organisation_for_user(request: HttpRequest, slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug, members=request.user)
