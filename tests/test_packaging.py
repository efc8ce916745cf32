"""Installs are reproducible: requirements.lock pins every dependency that pyproject.toml names,
and `make` installs from it."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
LOCKED = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)", re.MULTILINE)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, str]:
    lock = (ROOT / "requirements.lock").read_text()
    return {normalized(name): version for name, version in LOCKED.findall(lock)}


def test_the_lock_pins_every_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {normalized(re.match(r"[A-Za-z0-9._-]+", requirement)[0]) for requirement in wanted}
    assert sorted(names - set(locked_versions())) == []


def test_every_pin_has_a_hash():
    lock = (ROOT / "requirements.lock").read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", lock):
        if LOCKED.match(block):
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_daphne_is_past_its_known_vulnerabilities():
    version = tuple(int(part) for part in locked_versions()["daphne"].split(".")[:3])
    assert version >= (4, 2, 2)


def test_make_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements.lock" in makefile
