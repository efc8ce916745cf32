from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from assessments.answers import parse_answers
from assessments.models import Questionnaire
from assessments.scoring import score_participant
from content.models import Phase


@require_http_methods(["GET", "POST"])
def quiz(request: HttpRequest) -> HttpResponse:
    """The quiz for one person on their own, as on paper: answer, then see total and phase."""
    questionnaire = Questionnaire.get_default()
    if questionnaire is None:
        raise Http404("No questionnaire loaded")
    ctx = {"questionnaire": questionnaire, "questions": questionnaire.ordered_questions()}
    if request.method == "GET":
        return render(request, "assessments/quiz.html", ctx)

    answers, missing = parse_answers(questionnaire, request.POST)
    if missing:
        ctx.update(answers=answers, missing=missing)
        return render(request, "assessments/quiz.html", ctx, status=400)

    score = score_participant(questionnaire.instrument(), answers)
    phases = {p.slug: p for p in Phase.objects.prefetch_related("items")}
    band = next(b for b in questionnaire.ordered_bands() if b.phase == score.phase)
    ctx.update(
        answers=answers,
        score=score,
        max_total=questionnaire.instrument().max_total,
        phase=phases[score.phase],
        border_phase=phases.get(score.border_with),
        band=band,
    )
    return render(request, "assessments/result.html", ctx)
