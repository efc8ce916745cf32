from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from content.models import Definition, Phase, Theme


def phases_with_items():
    return Phase.objects.prefetch_related("items")


def home(request: HttpRequest) -> HttpResponse:
    ctx = {
        "phases": Phase.objects.all(),
        "definitions": Definition.objects.all(),
        "themes": Theme.objects.all(),
    }
    return render(request, "content/home.html", ctx)


def phase_list(request: HttpRequest) -> HttpResponse:
    return render(request, "content/phase_list.html", {"phases": Phase.objects.all()})


def phase_detail(request: HttpRequest, slug: str) -> HttpResponse:
    phase = get_object_or_404(phases_with_items(), slug=slug)
    ctx = {
        "phase": phase,
        "previous": Phase.objects.filter(number__lt=phase.number).order_by("-number").first(),
        "next": Phase.objects.filter(number__gt=phase.number).order_by("number").first(),
    }
    return render(request, "content/phase_detail.html", ctx)
