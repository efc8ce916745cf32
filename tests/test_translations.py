"""Dutch is the first language: every interface text has a Dutch translation, the catalogue
holds exactly the texts the code and templates ask for, and the compiled catalogue that Django
reads is up to date with the source catalogue."""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
LINE = re.compile(r'^(msgctxt|msgid|msgstr|msgid_plural|msgstr\[\d\])\s+(".*")$')
# What `make messages` leaves out of the extraction (its --ignore options), and what is no
# source at all.
NOT_EXTRACTED = (".venv", "bench", ".git", "test-artifacts", "staticfiles", "__pycache__",
                 "*.sqlite3", ".pytest_cache", ".ruff_cache", "*.egg-info", "node_modules")


def entries(po: Path = PO) -> dict[tuple[str, str], tuple[str, bool]]:
    """(msgctxt, msgid) -> (msgstr, fuzzy) for every live entry of a catalogue: the header and
    the obsolete (#~) entries left out. A plural's key is its singular msgid."""
    found = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
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
            msgstr = parts.get("msgstr", parts.get("msgstr[0]", ""))
            if "msgid_plural" in parts and not parts.get("msgstr[1]"):
                msgstr = ""  # a plural without its plural form is not translated
            found[(parts.get("msgctxt", ""), parts["msgid"])] = (msgstr, fuzzy)
    return found


def test_every_interface_text_is_translated_to_dutch():
    untranslated = [msgid for (_, msgid), (msgstr, fuzzy) in entries().items()
                    if not msgstr or fuzzy]
    assert untranslated == []


def test_the_compiled_catalogue_matches_its_source():
    with PO.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [
        msgid for (context, msgid), (msgstr, _) in entries().items()
        if (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)) != msgstr
    ]
    assert stale == [], "run: make messages"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[tuple[str, str], tuple[str, bool]]:
    """The catalogue as `make messages` would make it from the code and templates as they are
    now: Django's own makemessages, run on a copy of the repository, so that the real
    catalogue is never written to."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("GNU gettext (xgettext, msgmerge) is needed to check the catalogue")
        pytest.skip("GNU gettext is not installed")
    copy = tmp_path_factory.mktemp("messages") / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_EXTRACTED))
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    environment.pop("DATABASE_URL", None)  # makemessages needs no database
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "nl", "--no-obsolete",
         "--ignore=.venv", "--ignore=bench"],
        cwd=copy, env=environment, check=True, capture_output=True,
    )
    return entries(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po")


def test_every_text_the_code_asks_for_is_in_the_catalogue(extracted):
    # A new or changed {% translate %} or gettext() whose text is not in django.po: the page
    # shows it in English to a Dutch reader.
    catalogue = entries()
    missing = sorted(msgid for context, msgid in extracted if (context, msgid) not in catalogue)
    assert missing == [], "run: make messages, and translate the new texts"


def test_the_catalogue_holds_no_text_the_code_no_longer_asks_for(extracted):
    # A text changed in the code leaves its old translation behind: a stale entry that nobody
    # reads, and that hides that the new text is not translated yet.
    stale = sorted(msgid for context, msgid in entries() if (context, msgid) not in extracted)
    assert stale == [], "run: make messages (it drops the texts no longer used)"
