"""The apps stand on each other in one direction: workshop on content, content on assessments.

assessments is the ground floor (the instrument and its scoring) and imports none of the others;
content (the phases and public pages) imports assessments but not workshop; config, the project,
sits on top of all of them.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FORBIDDEN = {
    "assessments": {"content", "workshop", "config"},
    "content": {"workshop", "config"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages that a Python file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_does_not_import_the_apps_above_it(app):
    files = sorted((ROOT / app).rglob("*.py"))
    assert files
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[app])
        for path in files
    }
    assert {path: packages for path, packages in wrong.items() if packages} == {}


def test_it_sees_every_kind_of_import(tmp_path):
    source = tmp_path / "example.py"
    source.write_text(
        "import content.models\n"
        "from workshop import services\n"
        "from . import sibling\n"
        "def later():\n"
        "    from config.settings import DEBUG\n"
    )
    assert imported_packages(source) == {"content", "workshop", "config"}
