"""Every page as a person with a screen reader or a keyboard meets it: axe-core finds no serious
or critical violation on the public pages, the phone, the console, the projector's slides, the
report and the organisation's history."""

import pytest

from bench.servers import manage
from tests.test_browser import PHONE, browser, e2e_server  # noqa: F401 (fixtures)
from tests.test_browser_projector import SEED

pytestmark = pytest.mark.browser


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page).response
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in response["violations"] if v["impact"] in ("serious", "critical")]


def test_no_page_has_a_serious_accessibility_violation(e2e_server, browser):  # noqa: F811
    base = e2e_server.base
    code = manage(e2e_server.env, "shell", "-c",
                  SEED.format(disciplines=["Marketing", "Directie", "Publiek"])).split()[-1]
    facilitator = browser.new_context(viewport={"width": 1366, "height": 768},
                                      bypass_csp=True).new_page()
    facilitator.goto(base + "/login/")
    facilitator.fill("input[name=username]", "facil")
    facilitator.fill("input[name=password]", "e2e-password")
    facilitator.click("button:has-text('Inloggen')")
    projector = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True,
                                    storage_state=facilitator.context.storage_state()).new_page()
    phone = browser.new_context(**PHONE, bypass_csp=True).new_page()
    found = {}

    def audit(page, url: str, name: str) -> None:
        page.goto(base + url)
        found[name] = serious_violations(page)

    for url in ["/", "/phases/", "/phases/ik-wil/", "/quiz/", "/join", "/login/"]:
        audit(phone, url, url)
    audit(phone, f"/j/{code}/", "join form")
    audit(facilitator, f"/sessions/{code}/", "console, lobby")
    audit(projector, f"/sessions/{code}/projector/", "projector, lobby")
    facilitator.goto(f"{base}/sessions/{code}/")
    for step in ["Start het beantwoorden", "Sluiten en onthullen", "Start de bespreking"]:
        facilitator.locator("button", has_text=step).click()
        facilitator.wait_for_timeout(300)
        audit(facilitator, f"/sessions/{code}/", f"console after {step}")
        audit(projector, f"/sessions/{code}/projector/", f"projector after {step}")
    audit(facilitator, f"/sessions/{code}/report/", "report")
    audit(facilitator, "/organisations/museum-e2e/", "organisation")
    audit(facilitator, "/sessions/", "dashboard")
    audit(facilitator, "/sessions/new/", "new session")
    assert {name: v for name, v in found.items() if v} == {}
