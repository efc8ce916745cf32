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


# Inside workshop/, each module stands on the floors below it and never reaches up: the screens
# build what each audience sees, the services write and announce, views and consumers sit on
# top and never import each other.
WORKSHOP_FLOORS = [
    {"models", "groups", "sockets", "identity", "colors", "coalesce", "layers", "network", "apps",
     "admin", "migrations", "management"},
    {"access", "throttle", "converters", "results", "charts", "forms", "tools"},
    {"screens"},
    {"broadcast"},
    {"services", "reports", "health"},
    {"views", "consumers"},
    {"routing", "urls"},
]


def workshop_imports(path: Path) -> set[str]:
    """The workshop modules a file imports (`workshop.screens.phone` counts as `screens`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] == "workshop":
                found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("workshop."))
    return found


def floor_of(name: str) -> int:
    return next(i for i, floor in enumerate(WORKSHOP_FLOORS) if name in floor)


def test_no_import_inside_workshop_runs_back_up():
    upward = {}
    for path in sorted((ROOT / "workshop").rglob("*.py")):
        relative = path.relative_to(ROOT / "workshop")
        module = relative.parts[0].removesuffix(".py")
        if module == "__init__":
            continue
        for imported in workshop_imports(path) - {module}:
            if floor_of(imported) > floor_of(module) or (
                    floor_of(imported) == floor_of(module) == floor_of("views")):
                upward.setdefault(str(relative), []).append(imported)
    assert upward == {}
