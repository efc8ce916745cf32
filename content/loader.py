"""Load the Digitaal DNA content from its data file in the repository, and with `load_all`
the questionnaire too (assessments.loader).

Loading is idempotent by slug. Rows that exist are left alone unless `update` is set, so
edits made in the admin survive a re-run of `make run`.
"""

import json
from pathlib import Path

from django.db import transaction

from assessments.loader import load_questionnaire, save_row
from assessments.models import Questionnaire
from content.models import Definition, Phase, PhaseItem, Theme, Tool, ToolField

CONTENT_FILE = Path(__file__).parent / "data" / "digitaal-dna.json"

PHASE_FIELDS = [
    "number", "name_nl", "name_en", "subtitle_nl", "subtitle_en", "summary_nl", "summary_en",
    "statement_nl", "statement_en", "story_organisation", "story_nl", "story_en",
    "story_quote_nl", "story_quote_en", "story_quote_by", "story_video_url",
]

TOOL_FIELDS = ["title_nl", "title_en", "prompt_nl", "prompt_en", "result_title_nl",
               "result_title_en"]
TOOL_FIELD_FIELDS = ["label_nl", "label_en", "help_nl", "help_en"]


@transaction.atomic
def load_content(update: bool = False) -> None:
    data = json.loads(CONTENT_FILE.read_text(encoding="utf-8"))
    for order, item in enumerate(data["definitions"]):
        values = {k: v for k, v in item.items() if k != "slug"}
        save_row(Definition, update, {"slug": item["slug"]}, {**values, "order": order})
    for order, item in enumerate(data["themes"]):
        values = {k: v for k, v in item.items() if k != "slug"}
        save_row(Theme, update, {"slug": item["slug"]}, {**values, "order": order})
    for phase_data in data["phases"]:
        phase = save_row(
            Phase, update, {"slug": phase_data["slug"]},
            {field: phase_data.get(field, "") for field in PHASE_FIELDS},
        )
        for kind, key in [
            (PhaseItem.SIGN, "signs"), (PhaseItem.TIP, "tips"),
            (PhaseItem.TOOL, "tools"), (PhaseItem.LINK, "links"),
        ]:
            for order, item in enumerate(phase_data[key], start=1):
                save_row(
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
        if "workshop_tool" in phase_data:
            load_tool(phase, phase_data["workshop_tool"], update)


def load_tool(phase: Phase, data: dict, update: bool) -> Tool:
    """The phase's workshop tool: its prompts and the labels of its result's parts."""
    tool = save_row(Tool, update, {"phase": phase},
                    {key: data.get(key, "") for key in TOOL_FIELDS})
    for order, field in enumerate(data["fields"], start=1):
        save_row(ToolField, update, {"tool": tool, "slug": field["slug"]},
                 {"order": order, **{key: field.get(key, "") for key in TOOL_FIELD_FIELDS}})
    return tool


def load_all(update: bool = False) -> Questionnaire:
    """The content, then the questionnaire, whose bands name the content's phases."""
    load_content(update)
    return load_questionnaire(update)
