"""A whole workshop in headless Chromium: a facilitator and three phones, against a real daphne
server; then the phone's screens one by one at 390x844 (join, lobby, a failed and a slow save,
changing an answer, an English phone's results). Screenshots go to test-artifacts/."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.servers import Cluster, manage, server_env

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
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


def log_in(page, server: str) -> None:
    """The e2e facilitator logs in on `page`; confirm dialogs are accepted."""
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(server + "/login/")
    page.fill("input[name=username]", "facil")
    page.fill("input[name=password]", "e2e-password")
    page.click("button:has-text('Inloggen')")
    page.wait_for_url("**/sessions/")


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
    log_in(facilitator, server)
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
    # "Klinkt dit bekend?": four descriptions without the phases' names.
    expect(ans.locator("#quiz")).to_contain_text("Klinkt dit bekend?")
    assert ans.locator("button.description").count() == 4
    for phase in ["Ik zie", "Ik wil", "Ik kan", "Ik doe"]:
        assert phase not in ans.locator("#quiz").inner_text()
    assert no_horizontal_scroll(ans)
    shoot(ans, "phone-recognition")
    ans.locator("button.description[value=ik-kan]").click()
    expect(ans.locator("#quiz")).to_contain_text("Klaar! We wachten op de anderen.")
    expect(ans.locator("#quiz")).to_contain_text("Dagelijks")
    assert no_horizontal_scroll(ans)

    for page, labels, recognised in [
        (bram, ["Regelmatig", "kan ons helpen", "10 tot 30%", "enkele collega"], "ik-kan"),
        (cas, ["Zelden", "ten koste van", "1 tot 10%", "heel weinig"], "ik-zie"),
    ]:
        for label in labels:
            choose(page, label)
        page.locator(f"button.description[value={recognised}]").click()
        expect(page.locator("#quiz")).to_contain_text("Klaar!")

    expect(console).to_contain_text("3 van de 3 klaar")
    shoot(facilitator, "console-answering")

    console.locator("button", has_text="Sluiten en onthullen").click()
    expect(console).to_contain_text("Fase van de groep")
    for page in phones:
        expect(page.locator("#my-result")).to_contain_text("Jouw score")
        expect(page.locator("#stage")).to_contain_text("De groep")
    expect(ans.locator("#my-result")).to_contain_text("Ik doe")  # 3 + 2 + 3 + 2 = 10
    expect(ans.locator("#my-result")).to_contain_text(
        "Jij herkent ‘Ik kan’; de quiz zegt ‘Ik doe’.")
    expect(console.locator(".recognition-table")).to_be_visible()
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
    # The phones follow the discussion at the top, with the agreements as they are made.
    expect(ans.locator(".phone-follow")).to_contain_text("Inspiratiesessie met de directie")
    shoot(ans, "phone-discussion")
    shoot(facilitator, "console-discussion")
    shoot(projector, "projector-discussion")

    # A second round: every phone starts from its first answers; two change one.
    console.locator("button", has_text="Open een tweede ronde").click()
    expect(console).to_contain_text("Tweede ronde")
    for page in phones:
        expect(page.locator("#quiz")).to_contain_text("Na het gesprek: hoe zie je het nu?")
        assert page.locator("button.choice[aria-pressed=true]").count() == 4
    cas.locator(".review-question").nth(1).locator(
        "button.choice", has_text="kan ons helpen").click()
    expect(cas.locator("#quiz")).to_contain_text("je eerste antwoord")
    assert no_horizontal_scroll(cas)
    shoot(cas, "phone-second-round")
    bram.locator(".review-question").nth(0).locator("button.choice", has_text="Dagelijks").click()
    expect(bram.locator("#quiz")).to_contain_text("Antwoord 1 opgeslagen")
    for page in phones:
        page.locator("button.confirm").click()
        expect(page.locator("#quiz")).to_contain_text("Klaar! We wachten op de anderen.")
    expect(console).to_contain_text("3 van de 3 klaar")
    console.locator("button", has_text="Sluiten en onthullen").click()
    expect(console.locator(".shift-results")).to_contain_text("2 van 3")
    expect(cas.locator("#my-result")).to_contain_text("In de eerste ronde:")
    # The projector presents the shift after the group and the spread.
    projector.keyboard.press("ArrowRight")
    projector.keyboard.press("ArrowRight")
    expect(projector.locator(".slide-shift")).to_contain_text("Hoe het gesprek de groep bewoog")
    shoot(projector, "projector-shift")
    shoot(facilitator, "console-second-reveal")

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


# The phone's screens, one by one, at 390x844.

DUTCH_PHASES = ["Ik zie", "Ik wil", "Ik kan", "Ik doe"]


@pytest.fixture(scope="module")
def facilitator(server, browser):
    """A logged-in facilitator's page; `open_session` opens a session on it."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, server)
    yield page
    page.context.close()


def open_session(facilitator, server, title: str, recognition: bool = False) -> str:
    """A new session with the default (seven) disciplines; the console stays open on it.
    Without the recognition question unless asked: these tests are about other screens."""
    facilitator.goto(server + "/sessions/new/")
    facilitator.fill("input[name=title]", title)
    if not recognition:
        facilitator.uncheck("input[name=ask_recognition]")
    facilitator.click("button:has-text('Open de sessie')")
    return facilitator.locator(".join-box .code").inner_text().strip()


def step(facilitator, label: str) -> None:
    facilitator.locator("#console-live button", has_text=label).click()


def phone_page(browser, server, language: str = "nl"):
    context = browser.new_context(**PHONE)
    if language != "nl":
        context.add_cookies([{"name": "django_language", "value": language, "url": server}])
    return context.new_page()


def join_as(page, server, code: str, name: str, discipline: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/j/{code}/")
    page.fill("input[name=name]", name)
    page.locator("label.option", has_text=discipline).click()
    page.locator("form.join-form button.primary").click()
    expect(page.locator("#stage")).to_have_attribute("data-step", "lobby")


def answering_phone(facilitator, browser, server, title: str, name: str, discipline: str):
    """A phone in a new session of its own, at question 1."""
    code = open_session(facilitator, server, title)
    phone = phone_page(browser, server)
    join_as(phone, server, code, name, discipline)
    step(facilitator, "Start het beantwoorden")
    return phone


def choose(page, label: str) -> None:
    page.locator("button.choice", has_text=label).first.click()


def test_it_fits_the_join_form_on_a_phone_screen(server, browser, facilitator):
    from playwright.sync_api import expect

    expect.set_options(timeout=5000)
    # A title on two lines, as many are.
    code = open_session(facilitator, server, "Teamdag digitale koers van Museum Noord")
    phone = phone_page(browser, server)
    phone.goto(f"{server}/j/{code}/")
    # The slim phone header, not the site's navigation.
    expect(phone.locator(".phone-header")).to_contain_text("Teamdag digitale koers")
    expect(phone.locator(".site-nav")).to_have_count(0)
    options = phone.locator("label.option")
    expect(options).to_have_count(7)
    for i in range(7):
        radio = options.nth(i).locator("input").bounding_box()
        text = options.nth(i).locator("span").bounding_box()
        # On one line: the radio beside its label, vertically centred on it.
        assert radio["x"] + radio["width"] <= text["x"]
        assert abs((radio["y"] + radio["height"] / 2) - (text["y"] + text["height"] / 2)) < 4
    button = phone.locator("form.join-form button.primary").bounding_box()
    assert button["y"] + button["height"] <= PHONE["viewport"]["height"], button
    assert no_horizontal_scroll(phone)
    shoot(phone, "phone-join")

    phone.goto(f"{server}/join")
    expect(phone.locator(".site-nav")).to_have_count(0)
    expect(phone.locator(".phone-header")).to_be_visible()
    shoot(phone, "phone-join-code")
    phone.goto(f"{server}/j/ZZZZZZ/")
    expect(phone.locator(".site-nav")).to_have_count(0)
    expect(phone.locator(".phone-header")).to_be_visible()
    phone.context.close()


def test_the_lobby_shows_who_you_joined_as_and_how_many_joined(server, browser, facilitator):
    from playwright.sync_api import expect

    code = open_session(facilitator, server, "Teamdag in de lobby")
    first = phone_page(browser, server)
    join_as(first, server, code, "Ans", "Marketing & communicatie")
    second = phone_page(browser, server)
    join_as(second, server, code, "", "Publiek & educatie")
    expect(second.locator("#stage")).to_contain_text("Er doen tot nu toe 2 mensen mee.")
    expect(second.locator(".me")).to_contain_text("Je doet mee zonder naam (Publiek & educatie)")
    expect(first.locator(".me")).to_contain_text("Je doet mee als Ans (Marketing & communicatie)")
    shoot(second, "phone-lobby")
    # A push replaces the stage for every phone alike; who this phone is stays.
    facilitator.locator("#console-live button", has_text="Stuur deze stap").click()
    expect(first.locator("#stage")).to_contain_text("Er doen tot nu toe 2 mensen mee.")
    expect(first.locator(".me")).to_contain_text("Ans")
    step(facilitator, "Start het beantwoorden")
    expect(first.locator("#quiz")).to_contain_text("Vraag 1 van 4")
    expect(first.locator(".me")).to_be_hidden()
    for page in (first, second):
        page.context.close()


def test_a_reload_after_joining_asks_for_the_page_and_never_sends_the_form_again(
        server, browser, facilitator):
    """The join's POST is answered with the lobby itself (no redirect); live.js replaces that
    history entry, so a reload (or a tab restored after sleep) is a plain GET: no "confirm
    form resubmission", no second join."""
    from playwright.sync_api import expect

    code = open_session(facilitator, server, "Teamdag herladen")
    phone = phone_page(browser, server)
    documents = []
    phone.on("request", lambda request: documents.append((request.method, request.url))
             if request.resource_type == "document" else None)
    join_as(phone, server, code, "Ans", "Marketing & communicatie")
    assert documents == [("GET", f"{server}/j/{code}/"), ("POST", f"{server}/j/{code}/")]
    # The lobby is on the screen as soon as it is parsed; live.js (deferred) runs just after.
    # A reload in between would still send the form, as without JavaScript: the join key
    # brings back the same participant then.
    phone.wait_for_load_state("load")
    phone.reload()
    expect(phone.locator(".me")).to_contain_text("Je doet mee als Ans")
    assert documents[2:] == [("GET", f"{server}/j/{code}/")]
    # Away and back again: the page is asked for, the form is not sent.
    phone.goto(f"{server}/join")
    phone.go_back()
    expect(phone.locator(".me")).to_contain_text("Je doet mee als Ans")
    assert [method for method, _url in documents[3:]] == ["GET", "GET"]
    expect(facilitator.locator("#console-live")).to_contain_text("0 van de 1 klaar")
    phone.context.close()


def test_a_phone_says_why_a_save_failed_and_how_to_retry(server, browser, facilitator):
    from playwright.sync_api import expect

    phone = answering_phone(facilitator, browser, server, "Teamdag met storingen", "Bo",
                            "Digitaal/ICT")
    choose(phone, "Dagelijks")
    choose(phone, "kan ons helpen")
    quiz, alert = phone.locator("#quiz"), phone.locator("#phone-alert")
    expect(quiz).to_contain_text("Antwoord 2 opgeslagen")

    # The server fails (5xx): the message says so, and how to retry.
    phone.route("**/q/3/", lambda route: route.fulfill(status=500, body="boom"))
    choose(phone, "30 tot 100%")
    expect(alert).to_have_text(
        "Niet opgeslagen: de server had een probleem. Tik je antwoord opnieuw aan.")
    expect(alert).to_have_attribute("role", "alert")
    expect(quiz.locator(".saved")).to_be_hidden()  # no "answer 2 saved" under "not saved"
    expect(quiz).to_contain_text("Vraag 3 van 4")
    shoot(phone, "phone-failed-save")

    # No connection at all.
    phone.unroute("**/q/3/")
    phone.route("**/q/3/", lambda route: route.abort("internetdisconnected"))
    choose(phone, "30 tot 100%")
    expect(alert).to_contain_text("Niet opgeslagen: geen verbinding.")
    phone.unroute("**/q/3/")

    # A 4xx from the server carries its own message.
    phone.evaluate("document.querySelector('button.choice').value = 'not-an-option'")
    phone.locator("button.choice").first.click()
    expect(alert).to_have_text("Kies een van de antwoorden.")

    # A 4xx page that is not one of the phone's messages (a proxy's, say) stays out of the quiz.
    phone.route("**/q/3/", lambda route: route.fulfill(
        status=403, content_type="text/html", body="<h1>Forbidden (403)</h1>"))
    choose(phone, "30 tot 100%")
    expect(alert).to_have_text(
        "Niet opgeslagen: de server had een probleem. Tik je antwoord opnieuw aan.")
    expect(quiz).not_to_contain_text("Forbidden")
    expect(quiz).to_contain_text("Vraag 3 van 4")
    phone.unroute("**/q/3/")

    # Tapping again once the server is back saves it, and clears the message.
    choose(phone, "30 tot 100%")
    expect(quiz).to_contain_text("Antwoord 3 opgeslagen")
    expect(quiz).to_contain_text("Vraag 4 van 4")
    expect(alert).to_be_empty()
    expect(alert).to_have_attribute("data-offline", re.compile("geen verbinding"))
    phone.context.close()


def test_a_phone_shows_which_answer_it_is_saving(server, browser, facilitator):
    from playwright.sync_api import expect

    phone = answering_phone(facilitator, browser, server, "Teamdag met trage wifi", "Cas",
                            "Anders")
    held = []
    phone.route("**/q/1/", lambda route: held.append(route))
    choose(phone, "Regelmatig")
    tapped = phone.locator("button.choice", has_text="Regelmatig")
    expect(tapped).to_have_class(re.compile(r"\bsaving\b"))
    expect(tapped).to_have_attribute("aria-busy", "true")
    for label in ["Eigenlijk nooit", "Zelden", "Dagelijks"]:
        expect(phone.locator("button.choice", has_text=label)).to_be_disabled()
    expect(phone.locator(".saving-note")).to_be_visible()
    shoot(phone, "phone-saving")
    assert len(held) == 1
    held[0].continue_()
    expect(phone.locator("#quiz")).to_contain_text("Antwoord 1 opgeslagen")
    expect(phone.locator("button.choice.saving")).to_have_count(0)
    phone.unroute("**/q/1/")
    phone.context.close()


def test_a_changed_answer_goes_back_to_the_overview(server, browser, facilitator):
    from playwright.sync_api import expect

    phone = answering_phone(facilitator, browser, server, "Teamdag op herhaling", "Dee",
                            "Anders")
    for label in ["Zelden", "kan ons helpen", "1 tot 10%", "heel weinig"]:
        choose(phone, label)
    quiz = phone.locator("#quiz")
    expect(quiz).to_contain_text("Klaar! We wachten op de anderen.")
    quiz.locator(".answer-overview button.link").nth(1).click()
    expect(quiz).to_contain_text("Vraag 2 van 4")
    choose(phone, "ten koste van")
    expect(quiz).to_contain_text("Antwoord 2 opgeslagen")
    expect(quiz).to_contain_text("Klaar! We wachten op de anderen.")
    expect(quiz.locator(".answer-overview")).to_contain_text("ten koste van")
    shoot(phone, "phone-overview")
    phone.context.close()


def test_an_english_phone_reads_the_pushed_results_in_english(server, browser, facilitator):
    from playwright.sync_api import expect

    code = open_session(facilitator, server, "Teamdag in twee talen")
    english = phone_page(browser, server, "en")
    join_as(english, server, code, "Eve", "Digitaal/ICT")
    expect(english.locator("#stage")).to_contain_text("You're in!")
    dutch = phone_page(browser, server)
    join_as(dutch, server, code, "Fay", "Anders")
    step(facilitator, "Start het beantwoorden")
    for page, labels in [(english, ["Rarely", "help us", "1 to 10%", "very little"]),
                         (dutch, ["Dagelijks", "kan ons helpen", "30 tot 100%", "De meeste"])]:
        for label in labels:
            choose(page, label)
    expect(english.locator("#quiz")).to_contain_text("Done!")
    step(facilitator, "Sluiten en onthullen")
    stage = english.locator("#stage")
    expect(stage).to_contain_text("Where each colleague places the organisation")
    expect(english.locator("#my-result")).to_contain_text("Your score")
    text = stage.inner_text()
    assert [label for label in [*DUTCH_PHASES, "Overige"] if label in text] == []
    for label in ["I see", "I want", "I can", "I do"]:
        expect(stage.locator(".bar-label", has_text=label)).to_have_count(1)
    # "you" marks the phase this phone chose (1 + 2 + 1 + 0 = 4 points: I can).
    expect(english.locator("#my-result")).to_contain_text("I can")
    marked = stage.locator(".bar-row:has(.you-marker:visible)")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text("I can")
    expect(marked.locator(".you-marker")).to_have_text("you")
    shoot(english, "phone-revealed-en")
    expect(dutch.locator(".bar-row:has(.you-marker:visible)")).to_contain_text("Ik doe")
    for page in (english, dutch):
        page.context.close()
