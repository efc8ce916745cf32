"""The projector as a presentation, in headless Chromium at the beamer sizes people use: every
slide of every step fits one screen with nothing to scroll, the comparison by discipline shows
all its columns, and the projector follows the console's slide buttons and a clicker's keys.
Screenshots of every slide go to test-artifacts/projector-<size>-<step>-<n>.png."""

import re

import pytest

from bench.servers import manage
from tests.test_browser import ARTIFACTS, browser, e2e_server, log_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1280, 720), (1920, 1200)]  # 16:9 at two sizes, and 16:10
DISCIPLINES = ["Directie/management", "Marketing & communicatie", "Publiek & educatie",
               "Collectie & programmering", "Digitaal/ICT", "Bedrijfsvoering & financiën"]

# The second round: a third of the colleagues change an answer, then everyone is done.
SECOND_ROUND = """
import random
from workshop.models import Answer, Participant, Session
session = Session.objects.get(code={code!r})
rng = random.Random(4)
for answer in Answer.objects.filter(participant__session=session, round=2)[::3]:
    answer.option = rng.choice(list(answer.question.options.all()))
    answer.save()
Participant.objects.filter(session=session).update(confirmed_round=2)
"""

SEED = """
import random
from django.contrib.auth.models import User
from workshop.models import Answer, Organisation
from workshop.services import create_session
org = Organisation.objects.get(slug='museum-e2e')
session = create_session(org, 'Beamertest: een lange titel voor een middag met het hele team',
                         {disciplines!r}, created_by=User.objects.get(username='facil'))
rng = random.Random(3)
disciplines = {disciplines!r}
questions = session.questionnaire.ordered_questions()
phases = ['ik-zie', 'ik-wil', 'ik-kan', 'ik-doe']
for number in range(1, 25):
    participant = session.participants.create(number=number, name='P%d' % number,
                                              discipline=disciplines[number % len(disciplines)],
                                              recognised=rng.choice(phases))
    for question in questions:
        Answer.objects.create(participant=participant, question=question,
                              option=rng.choice(list(question.options.all())))
print(session.code)
"""


def fits(page) -> dict:
    """Whether the page and its slide fit the screen, and the table's columns too."""
    return page.evaluate("""() => {
        const slide = document.querySelector('#projector-live .slide');
        const table = document.querySelector('#projector-live .slide-table');
        const cells = table ? [...table.querySelectorAll('th, td')] : [];
        const join = [...document.querySelectorAll('.projector-join > *')]
            .map(e => e.getBoundingClientRect()).filter(r => r.height > 0);
        return {
          join: join.every(r => r.top >= 0 && r.bottom <= window.innerHeight
                                && r.right <= window.innerWidth),
          qr: Math.min(...join.slice(0, 1).map(r => r.height)),
          page: document.documentElement.scrollHeight <= window.innerHeight
                && document.documentElement.scrollWidth <= window.innerWidth,
          slide: slide.scrollHeight <= slide.clientHeight + 1
                 && slide.scrollWidth <= slide.clientWidth + 1,
          columns: cells.every(c => c.getBoundingClientRect().right <= window.innerWidth
                                    && c.getBoundingClientRect().bottom <= window.innerHeight),
          body: parseFloat(getComputedStyle(slide).fontSize),
        };
    }""")


def test_every_slide_fits_the_beamer_and_follows_the_console(e2e_server, browser):  # noqa: F811
    server = e2e_server
    from playwright.sync_api import expect

    expect.set_options(timeout=5000)
    env = server.env
    code = manage(env, "shell", "-c", SEED.format(disciplines=DISCIPLINES)).strip().splitlines()[-1]
    console = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(console, server.base)
    console.goto(f"{server.base}/sessions/{code}/")
    projectors = {}
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      storage_state=console.context.storage_state())
        page = context.new_page()
        page.goto(f"{server.base}/sessions/{code}/projector/")
        projectors[(width, height)] = page
    ARTIFACTS.mkdir(exist_ok=True)
    shots = []

    def check_all(step: str, number: int, total: int) -> None:
        for (width, height), page in projectors.items():
            expect(page.locator(".slide-bar")).to_contain_text(f"{number} / {total}")
            page.wait_for_timeout(300)  # the fade-in
            found = fits(page)
            where = f"{step} slide {number} at {width}x{height}"
            assert found["page"], f"the page scrolls: {where}"
            assert found["slide"], f"the slide overflows: {where}"
            assert found["columns"], f"a column of the table is cut off: {where}"
            assert found["join"], f"the join box runs off the screen: {where}"
            if step == "lobby":  # scanned from the back of the room
                assert found["qr"] >= height / 3, f"QR code {found['qr']} px: {where}"
            if height == 1080:
                assert found["body"] >= 32, f"body text {found['body']} px: {where}"
            name = f"projector-{width}x{height}-{step}-{number}.png"
            page.screenshot(path=str(ARTIFACTS / name))
            shots.append(name)

    def walk(step: str, name: str = "") -> None:
        for page in projectors.values():
            expect(page.locator(f'#projector-live[data-step="{step}"]')).to_have_count(1)
        total = int(projectors[SIZES[0]].locator(".slide-bar span").last.inner_text()
                    .split("/")[1])
        for number in range(1, total + 1):
            check_all(name or step, number, total)
            if number == 2:  # the console as the facilitator sees it, with the next slide
                expect(console.locator("#deck-title")).to_contain_text(f"dia 2 van {total}")
                console.locator("#deck-title").scroll_into_view_if_needed()
                console.screenshot(path=str(ARTIFACTS / f"console-{step}-1366x768.png"))
            if number < total:
                if number % 2:
                    console.locator("#console-live button", has_text="Volgende dia").click()
                else:  # a clicker on the projector's page sends PageDown
                    projectors[SIZES[0]].keyboard.press("PageDown")

    walk("lobby")
    console.locator("button", has_text="Start het beantwoorden").click()
    walk("answering")
    console.locator("button", has_text="Sluiten en onthullen").click()
    walk("revealed")
    # The discipline table: every column of every discipline on the 720p beamer too.
    console.locator("button", has_text="Start de bespreking").click()
    console.fill("#notes textarea[name=text]", "Een inspiratiesessie plannen met alle afdelingen")
    console.select_option("#notes select[name=kind]", "agreement")
    console.fill("#notes input[name=owner]", "Directie")
    console.locator("#notes button", has_text="Opslaan").click()
    walk("discussion")
    # Back with the arrow key, on the console this time.
    console.locator("body").press("ArrowLeft")
    total = int(projectors[SIZES[0]].locator(".slide-bar span").last.inner_text().split("/")[1])
    expect(projectors[SIZES[0]].locator(".slide-bar")).to_contain_text(f"{total - 1} / {total}")
    # A second round, and its reveal: how the discussion moved the group.
    console.locator("button", has_text="Open een tweede ronde").click()
    walk("answering", "second-round")
    manage(env, "shell", "-c", SECOND_ROUND.format(code=code))
    console.locator("button", has_text="Sluiten en onthullen").click()
    walk("revealed", "second-reveal")
    console.locator("button", has_text="Beëindig de sessie").click()
    walk("closed")
    console.screenshot(path=str(ARTIFACTS / "console-slides-1366x768.png"), full_page=True)
    assert len(shots) >= 3 * 15

    beamer = projectors[SIZES[0]]
    # A dark theme for a dark room, kept across reloads; full screen from a button.
    beamer.locator("[data-theme-toggle]").click()
    beamer.reload()
    expect(beamer.locator("body")).to_have_class(re.compile(r"\bdark\b"))
    beamer.wait_for_timeout(400)  # the fade-in
    beamer.screenshot(path=str(ARTIFACTS / "projector-1920x1080-dark.png"))
    expect(beamer.locator("[data-fullscreen]")).to_be_visible()
    # After a restart of the server the screens reconnect within seconds, not htmx's 64 s.
    assert beamer.evaluate("htmx.config.wsReconnectDelay(10)") <= 3000
    # No fading in for those who asked their system for less motion.
    beamer.emulate_media(reduced_motion="reduce")
    beamer.reload()
    assert beamer.evaluate(
        "getComputedStyle(document.querySelector('.slide')).animationName") == "none"
