"""A whole workshop in headless Chromium: a facilitator and three phones, against a real daphne
server. Screenshots of the console, projector and a phone go to test-artifacts/."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.servers import Cluster, manage, server_env

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}

pytestmark = pytest.mark.browser


def _require_chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") or os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(f"{CHROMIUM} is missing; `make test` installs it as root")
        pytest.skip(f"{CHROMIUM} is not installed")


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:<port>
    env: dict  # for manage.py against the same database


@pytest.fixture(scope="module")
def e2e_server(tmp_path_factory):
    """daphne on a fresh SQLite database, with content and a facilitator (facil / e2e-password)."""
    _require_chromium()
    tmp = tmp_path_factory.mktemp("e2e")
    env = server_env(f"sqlite:///{tmp / 'e2e.sqlite3'}", debug=True)
    manage(env, "migrate", "-v0")
    manage(env, "load_content")
    manage(env, "shell", "-c", (
        "from django.contrib.auth.models import User; from workshop.models import Organisation;"
        "u = User.objects.create_user('facil', password='e2e-password');"
        "Organisation.objects.create(name='Museum E2E', slug='museum-e2e').members.add(u)"
    ))
    with Cluster(env, log_dir=tmp) as cluster:
        yield Server(cluster.bases[0], env)


@pytest.fixture(scope="module")
def server(e2e_server):
    return e2e_server.base


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def watch_for_csp_violations(page, violations: list[str]):
    """Chromium reports what the Content-Security-Policy blocked on the console."""
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    return page


def test_a_whole_workshop(server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=5000)
    violations = []
    facilitator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch_for_csp_violations(facilitator, violations)
    facilitator.on("dialog", lambda dialog: dialog.accept())
    facilitator.goto(server + "/login/")
    facilitator.fill("input[name=username]", "facil")
    facilitator.fill("input[name=password]", "e2e-password")
    facilitator.click("button:has-text('Inloggen')")
    facilitator.goto(server + "/sessions/new/")
    facilitator.fill("input[name=title]", "Teamdag digitaal")
    facilitator.click("button:has-text('Open de sessie')")
    code = facilitator.locator(".join-box .code").inner_text().strip()
    assert len(code) == 6
    console = facilitator.locator("#console-live")

    projector = browser.new_context(viewport={"width": 1280, "height": 800},
                                    storage_state=facilitator.context.storage_state()).new_page()
    watch_for_csp_violations(projector, violations)
    projector.goto(f"{server}/sessions/{code}/projector/")

    phones = []
    for name, discipline in [("Ans", "Marketing & communicatie"),
                             ("Bram", "Marketing & communicatie"),
                             ("<i>Cas</i>", "Directie/management")]:
        page = watch_for_csp_violations(browser.new_context(**PHONE).new_page(), violations)
        page.goto(f"{server}/j/{code}/")
        page.fill("input[name=name]", name)
        page.locator("label.option", has_text=discipline).click()
        page.click("button:has-text('Meedoen')")
        expect(page.locator("#stage")).to_contain_text("Je doet mee!")
        assert no_horizontal_scroll(page)
        phones.append(page)

    # The console and projector follow without a reload.
    expect(console).to_contain_text("0 van de 3 klaar")
    expect(console).to_contain_text("<i>Cas</i>")
    expect(projector.locator(".slide-count")).to_contain_text("3")

    console.locator("button", has_text="Start het beantwoorden").click()
    for page in phones:
        expect(page.locator("#quiz")).to_contain_text("Vraag 1 van 4")

    def choose(page, label: str):
        page.locator("button.choice", has_text=label).first.click()

    ans, bram, cas = phones
    choose(ans, "Dagelijks")
    expect(ans.locator("#quiz")).to_contain_text("Antwoord 1 opgeslagen")
    choose(ans, "kan ons helpen")
    expect(ans.locator("#quiz")).to_contain_text("Vraag 3 van 4")
    shoot(ans, "phone-question")
    # A reload in the middle keeps the answers and opens the first open question.
    ans.reload()
    expect(ans.locator("#quiz")).to_contain_text("Vraag 3 van 4")
    choose(ans, "30 tot 100%")
    choose(ans, "De meeste collega")
    expect(ans.locator("#quiz")).to_contain_text("Klaar! We wachten op de anderen.")
    expect(ans.locator("#quiz")).to_contain_text("Dagelijks")
    assert no_horizontal_scroll(ans)

    for page, labels in [(bram, ["Regelmatig", "kan ons helpen", "10 tot 30%", "enkele collega"]),
                         (cas, ["Zelden", "ten koste van", "1 tot 10%", "heel weinig"])]:
        for label in labels:
            choose(page, label)
        expect(page.locator("#quiz")).to_contain_text("Klaar!")

    expect(console).to_contain_text("3 van de 3 klaar")
    shoot(facilitator, "console-answering")

    console.locator("button", has_text="Sluiten en onthullen").click()
    expect(console).to_contain_text("Fase van de groep")
    for page in phones:
        expect(page.locator("#my-result")).to_contain_text("Jouw antwoord")
        expect(page.locator("#stage")).to_contain_text("De groep")
    expect(ans.locator("#my-result")).to_contain_text("Ik doe")  # 3 + 2 + 3 + 2 = 10
    expect(projector.locator("#projector-live")).to_contain_text("De groep")
    assert "Ans" not in projector.locator("#projector-live").inner_text()
    shoot(ans, "phone-revealed")
    shoot(projector, "projector-revealed")

    console.locator("button", has_text="Start de bespreking").click()
    expect(console).to_contain_text("Bespreking:")
    expect(ans.locator(".phone-follow")).to_contain_text("Wat deze fase inhoudt")
    facilitator.fill("#notes textarea[name=text]", "Inspiratiesessie met de directie plannen")
    facilitator.select_option("#notes select[name=kind]", "agreement")
    facilitator.fill("#notes input[name=owner]", "Ans")
    facilitator.locator("#notes button", has_text="Opslaan").click()
    expect(facilitator.locator("#notes")).to_contain_text("Inspiratiesessie met de directie")
    shoot(facilitator, "console-discussion")
    shoot(projector, "projector-discussion")

    console.locator("button", has_text="Beëindig de sessie").click()
    expect(console).to_contain_text("Deze sessie is afgesloten.")
    expect(cas.locator("#stage")).to_contain_text("Deze sessie is afgelopen")
    shoot(cas, "phone-closed")

    # The report of the session, with the agreement from the discussion.
    facilitator.locator(".join-box a", has_text="Verslag").click()
    expect(facilitator.locator("h1")).to_contain_text("Teamdag digitaal")
    expect(facilitator.locator(".report")).to_contain_text("Fase van de groep")
    expect(facilitator.locator(".report")).to_contain_text("Inspiratiesessie met de directie")
    shoot(facilitator, "report")
    # The share link is selected with one click (static/js/report.js, not an inline handler).
    facilitator.locator("button", has_text="Maak een link").click()
    facilitator.locator("input.share-url").click()
    assert facilitator.evaluate(
        "document.activeElement.selectionEnd - document.activeElement.selectionStart"
        " === document.activeElement.value.length")
    facilitator.locator("a", has_text="Alle sessies van").click()
    expect(facilitator.locator("svg.timeline")).to_be_visible()
    shoot(facilitator, "organisation")
    assert violations == []
