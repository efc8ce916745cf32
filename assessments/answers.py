"""Reading answers from a submitted form, checked against the questionnaire."""

from collections.abc import Mapping

from assessments.models import Questionnaire


def field_name(question_id: int) -> str:
    return f"q{question_id}"


def parse_answers(
    questionnaire: Questionnaire, data: Mapping[str, str]
) -> tuple[dict[int, int], list[int]]:
    """Returns the valid answers (question id -> option id) and the questions left unanswered.

    A value that is not one of the question's options (a tampered form) counts as unanswered.
    """
    answers: dict[int, int] = {}
    missing: list[int] = []
    for question in questionnaire.ordered_questions():
        raw = data.get(field_name(question.pk), "")
        options = {str(o.pk): o.pk for o in question.options.all()}
        if raw in options:
            answers[question.pk] = options[raw]
        else:
            missing.append(question.pk)
    return answers, missing
