"""Load the Digitaal DNA content and questionnaire from the data files in the repository.

Loading is idempotent by slug. Rows that exist are left alone unless `update` is set, so
edits made in the admin survive a re-run of `make run`.
"""

import json
from pathlib import Path

from django.db import transaction

from assessments.models import Option, Question, Questionnaire, ScoreBand
from content.models import Definition, Phase, PhaseItem, Theme

CONTENT_FILE = Path(__file__).parent / "data" / "digitaal-dna.json"
QUESTIONNAIRE_FILE = Path(__file__).parent.parent / "assessments" / "data" / "digitaal-dna.json"

QUESTION_FIELDS = ["text_nl", "text_en", "prompt_nl", "prompt_en"]
PHASE_FIELDS = [
    "number", "name_nl", "name_en", "subtitle_nl", "subtitle_en", "summary_nl", "summary_en",
    "statement_nl", "statement_en", "story_organisation", "story_nl", "story_en",
    "story_quote_nl", "story_quote_en", "story_quote_by", "story_video_url",
]


def _save(model, update: bool, lookup: dict, values: dict):
    if update:
        obj, _ = model.objects.update_or_create(**lookup, defaults=values)
    else:
        obj, _ = model.objects.get_or_create(**lookup, defaults=values)
    return obj


@transaction.atomic
def load_content(update: bool = False) -> None:
    data = json.loads(CONTENT_FILE.read_text(encoding="utf-8"))
    for order, item in enumerate(data["definitions"]):
        values = {k: v for k, v in item.items() if k != "slug"}
        _save(Definition, update, {"slug": item["slug"]}, {**values, "order": order})
    for order, item in enumerate(data["themes"]):
        values = {k: v for k, v in item.items() if k != "slug"}
        _save(Theme, update, {"slug": item["slug"]}, {**values, "order": order})
    for phase_data in data["phases"]:
        phase = _save(
            Phase, update, {"slug": phase_data["slug"]},
            {field: phase_data.get(field, "") for field in PHASE_FIELDS},
        )
        for kind, key in [
            (PhaseItem.SIGN, "signs"), (PhaseItem.TIP, "tips"),
            (PhaseItem.TOOL, "tools"), (PhaseItem.LINK, "links"),
        ]:
            for order, item in enumerate(phase_data[key], start=1):
                _save(
                    PhaseItem, update, {"phase": phase, "slug": f"{kind}-{order}"},
                    {
                        "kind": kind,
                        "order": order,
                        "title_nl": item.get("title_nl", ""),
                        "title_en": item.get("title_en", ""),
                        "text_nl": item.get("nl", ""),
                        "text_en": item.get("en", ""),
                        "url": item.get("url", ""),
                    },
                )


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
        question = _save(
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


def load_all(update: bool = False) -> Questionnaire:
    load_content(update)
    return load_questionnaire(update)
