"""Load the Digitaal DNA questionnaire from its data file in the repository.

Loading is idempotent by slug and version. Rows that exist are left alone unless `update` is
set, so edits made in the admin survive a re-run of `make run`.
"""

import json
from pathlib import Path

from django.db import transaction

from assessments.models import Option, Question, Questionnaire, ScoreBand

QUESTIONNAIRE_FILE = Path(__file__).parent / "data" / "digitaal-dna.json"

QUESTION_FIELDS = ["text_nl", "text_en", "prompt_nl", "prompt_en"]


def save_row(model, update: bool, lookup: dict, values: dict):
    """The row found by `lookup`, created with `values`; its values overwritten if `update`."""
    if update:
        obj, _ = model.objects.update_or_create(**lookup, defaults=values)
    else:
        obj, _ = model.objects.get_or_create(**lookup, defaults=values)
    return obj


@transaction.atomic
def load_questionnaire(update: bool = False) -> Questionnaire:
    """Load the questionnaire version from its file.

    Points and bands of an existing version are never changed: past sessions were scored with
    them. A new instrument is a new version in the file.
    """
    data = json.loads(QUESTIONNAIRE_FILE.read_text(encoding="utf-8"))
    texts = {k: data[k] for k in ["title_nl", "title_en", "intro_nl", "intro_en", "source"]}
    questionnaire, created = Questionnaire.objects.get_or_create(
        slug=data["slug"], version=data["version"], defaults=texts
    )
    if not created and not update:
        return questionnaire
    if update:
        Questionnaire.objects.filter(pk=questionnaire.pk).update(**texts)
    for order, item in enumerate(data["questions"], start=1):
        question = save_row(
            Question, update, {"questionnaire": questionnaire, "slug": item["slug"]},
            {"order": order, **{k: item[k] for k in QUESTION_FIELDS}},
        )
        for option_order, option in enumerate(item["options"], start=1):
            obj, option_created = Option.objects.get_or_create(
                question=question, order=option_order,
                defaults={"label_nl": option["nl"], "label_en": option["en"],
                          "points": option["points"]},
            )
            if update and not option_created:
                Option.objects.filter(pk=obj.pk).update(
                    label_nl=option["nl"], label_en=option["en"]
                )
    if created:
        for band in data["bands"]:
            ScoreBand.objects.create(
                questionnaire=questionnaire,
                phase=band["phase"],
                low=band["low"], high=band["high"], published_high=band["published_high"],
                outcome_nl=band["outcome_nl"], outcome_en=band["outcome_en"],
            )
    elif update:
        for band in data["bands"]:
            questionnaire.bands.filter(phase=band["phase"]).update(
                outcome_nl=band["outcome_nl"], outcome_en=band["outcome_en"]
            )
    return questionnaire
