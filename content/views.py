from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from assessments.answers import parse_answers
from assessments.models import Questionnaire
from assessments.scoring import score_participant
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


@require_http_methods(["GET", "POST"])
def quiz(request: HttpRequest) -> HttpResponse:
    """The quiz for one person on their own, as on paper: answer, then see total and phase."""
    questionnaire = Questionnaire.get_default()
    if questionnaire is None:
        raise Http404("No questionnaire loaded")
    ctx = {"questionnaire": questionnaire, "questions": questionnaire.ordered_questions()}
    if request.method == "GET":
        return render(request, "content/quiz.html", ctx)

    answers, missing = parse_answers(questionnaire, request.POST)
    if missing:
        ctx.update(answers=answers, missing=missing)
        return render(request, "content/quiz.html", ctx, status=400)

    score = score_participant(questionnaire.instrument(), answers)
    phases = Phase.by_slug()
    band = next(b for b in questionnaire.ordered_bands() if b.phase == score.phase)
    ctx.update(
        answers=answers,
        score=score,
        max_total=questionnaire.instrument().max_total,
        phase=phases[band.phase],
        border_phase=phases.get(score.border_with),
        band=band,
    )
    return render(request, "content/quiz_result.html", ctx)
