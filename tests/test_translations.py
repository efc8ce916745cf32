"""Dutch is the first language: every interface text has a Dutch translation, and the compiled
catalogue that Django reads is up to date with the source catalogue."""

import ast
import gettext
import re
from pathlib import Path

PO = Path(__file__).parent.parent / "locale" / "nl" / "LC_MESSAGES" / "django.po"
LINE = re.compile(r'^(msgid|msgstr|msgid_plural|msgstr\[\d\])\s+(".*")$')


def entries() -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for every entry of the catalogue, the header left out."""
    found = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())
        parts: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = LINE.match(line)
            if match:
                key = match.group(1)
                parts[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                parts[key] += ast.literal_eval(line)
        if parts.get("msgid"):
            found.append((parts["msgid"], parts.get("msgstr", parts.get("msgstr[0]", "")), fuzzy))
    return found


def test_every_interface_text_is_translated_to_dutch():
    untranslated = [msgid for msgid, msgstr, fuzzy in entries() if not msgstr or fuzzy]
    assert untranslated == []


def test_the_compiled_catalogue_matches_its_source():
    with PO.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [msgid for msgid, msgstr, _ in entries() if compiled.gettext(msgid) != msgstr]
    assert stale == [], "run: make messages"
