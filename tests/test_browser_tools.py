"""The phase's tool in headless Chromium: several phones take part in the Ik wil focus vote,
the facilitator records a voorlopig plan and a target, and the report (PDF and CSV) and the
organisation page carry them; then the other three tools on the beamer. Screenshots at the
phone's, the console's and two beamer sizes go to test-artifacts/tool-*.png."""

import csv
import io

import pytest
from pypdf import PdfReader

from tests.test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    browser,
    choose,
    e2e_server,
    join_as,
    log_in,
    phone_page,
    shoot,
)

pytestmark = pytest.mark.browser

BEAMERS = [(1920, 1080), (1280, 720)]


def slide_fits(page) -> bool:
    return page.evaluate("""() => {
        const slide = document.querySelector('#projector-live .slide');
        return slide.scrollHeight <= slide.clientHeight + 1
               && slide.scrollWidth <= slide.clientWidth + 1
               && document.documentElement.scrollWidth <= window.innerWidth;
    }""")


def test_the_room_fills_in_the_tool_and_sets_a_target(e2e_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    expect.set_options(timeout=8000)
    server = e2e_server.base
    console = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(console, server)
    console.goto(server + "/sessions/new/")
    console.fill("input[name=title]", "Teamdag: waar innoveren we?")
    console.uncheck("input[name=ask_recognition]")  # the tools are what this test is about
    console.click("button:has-text('Open de sessie')")
    code = console.locator(".join-box .code").inner_text().strip()
    live = console.locator("#console-live")

    beamers = {}
    for width, height in BEAMERS:
        page = browser.new_context(viewport={"width": width, "height": height},
                                   storage_state=console.context.storage_state()).new_page()
        page.goto(f"{server}/sessions/{code}/projector/")
        beamers[(width, height)] = page

    people = [("Ans", "Marketing & communicatie"), ("Bram", "Marketing & communicatie"),
              ("Cas", "Publiek & educatie"), ("Dewi", "Publiek & educatie"),
              ("Eli", "Directie/management")]
    phones = []
    for name, discipline in people:
        page = phone_page(browser, server)
        join_as(page, server, code, name, discipline)
        phones.append(page)
    live.locator("button", has_text="Start het beantwoorden").click()
    for page in phones:
        for label in ["Regelmatig", "kan ons helpen", "10 tot 30%", "enkele collega"]:
            choose(page, label)
        expect(page.locator("#quiz")).to_contain_text("Klaar!")
    live.locator("button", has_text="Sluiten en onthullen").click()
    live.locator("button", has_text="Start de bespreking").click()
    expect(live).to_contain_text("Bespreking:")

    # The facilitator opens Ik wil's tool: the beamer and the phones go to the vote.
    editor = console.locator("#tool-editor")
    editor.locator("button[value=ik-wil]").click()
    expect(editor.locator("button[value=ik-wil]")).to_have_attribute("aria-pressed", "true")
    for page in beamers.values():
        expect(page.locator(".slide-vote")).to_be_visible()
    votes = {"Ans": {"bereik": 2, "aanbod": 1}, "Bram": {"bereik": 3},
             "Cas": {"impact": 2, "bereik": 1}, "Dewi": {"impact": 3},
             "Eli": {"inkomsten": 3}}
    for (name, _discipline), page in zip(people, phones, strict=True):
        vote = page.locator("#tool-vote")
        expect(vote).to_be_visible()
        for choice, points in votes[name].items():
            for _ in range(points):
                before = vote.locator(f"li[data-choice={choice}] output").inner_text()
                vote.locator(f"li[data-choice={choice}] button[value='{int(before) + 1}']").click()
                expect(vote.locator(f"li[data-choice={choice}] output")).to_have_text(
                    str(int(before) + 1))
        expect(vote.locator(".vote-left")).to_have_attribute("data-left", "0")
        # No points left: every + is disabled.
        expect(vote.locator("button:has-text('+'):enabled")).to_have_count(0)
    shoot(phones[0], "tool-phone-ik-wil-vote")
    # A reload brings the phone back to its own vote.
    phones[0].reload()
    expect(phones[0].locator("li[data-choice=bereik] output")).to_have_text("2")

    big = beamers[(1920, 1080)]
    expect(big.locator(".slide-vote .bar-row").first).to_contain_text("Bereik")
    expect(big.locator(".slide-vote .bar-row").first.locator(".bar-value")).to_have_text("6")
    table = big.locator(".slide-vote table")
    expect(table).to_contain_text("Marketing & communicatie")
    expect(table).not_to_contain_text("Directie")  # one voter: counted in the total only
    expect(live.locator(".tool-live")).to_contain_text("5")
    for (width, height), page in beamers.items():
        assert slide_fits(page), (width, height)
        shoot(page, f"tool-projector-{width}x{height}-ik-wil-vote")

    # The voorlopig plan, recorded in the console; the beamer shows it on the next slide.
    plan = {"richten": "Bereik: jongeren en gezinnen online",
            "doen": "Een pilot met korte video's achter de schermen",
            "opleveren": "Nieuw publiek onder de 30 en meer terugkerende bezoekers",
            "financieren": "Uit het marketingbudget, aangevuld met een fondsaanvraag"}
    for name, text in plan.items():
        editor.locator(f"textarea[name={name}]").fill(text)
    editor.locator(".tool-plan button").click()
    expect(editor.locator("textarea[name=richten]")).to_have_value(plan["richten"])
    live.locator("button[data-slide=next]").click()
    for (width, height), page in beamers.items():
        expect(page.locator(".slide-plan")).to_contain_text("Een pilot met korte video")
        assert slide_fits(page), (width, height)
        shoot(page, f"tool-projector-{width}x{height}-ik-wil-plan")
    expect(phones[1].locator(".phone-tool")).to_contain_text("Hoe financieren we dat?")
    shoot(phones[1], "tool-phone-ik-wil-plan")

    # An agreement, and the target: in twelve months, Ik kan.
    console.fill("#notes textarea[name=text]", "Pilot bespreken met de directie")
    console.select_option("#notes select[name=kind]", "agreement")
    console.fill("#notes input[name=owner]", "Bram")
    console.locator("#notes button").last.click()
    expect(console.locator("#notes")).to_contain_text("Pilot bespreken")
    editor.locator("select[name=phase]").select_option("ik-kan")
    editor.locator("input[name=date]").fill("2027-06-01")
    editor.locator(".tool-target button").click()
    expect(editor.locator(".target-now")).to_contain_text("Ik kan")
    # The console's deck gains the target's slide (meaning ... prompts, vote, plan, notes).
    expect(live.locator(".deck-nav ol li")).to_have_count(10)
    live.locator(".deck-nav ol button").last.click()
    for (width, height), page in beamers.items():
        expect(page.locator(".slide-target")).to_contain_text("Ik kan")
        assert slide_fits(page), (width, height)
        shoot(page, f"tool-projector-{width}x{height}-target")
    expect(phones[2].locator(".phone-follow")).to_contain_text("Ik kan")
    shoot(phones[2], "tool-phone-target")
    console.evaluate("window.scrollTo(0, 0)")
    shoot(console, "tool-console-ik-wil")

    # The other tools. Ik zie: phones mark two themes at most.
    editor.locator("button[value=ik-zie]").click()
    for page, themes in zip(phones, [["datagedreven", "kunstmatige-intelligentie"],
                                     ["datagedreven"], ["social-engagement", "datagedreven"],
                                     ["online-personalisatie"], ["datagedreven"]], strict=True):
        vote = page.locator("#tool-vote")
        for theme in themes:
            vote.locator(f"li[data-choice={theme}] button").click()
            expect(vote.locator(f"li[data-choice={theme}] button")).to_have_attribute(
                "aria-pressed", "true")
    expect(phones[0].locator("li[data-choice=contentcuratie] button")).to_be_disabled()
    shoot(phones[0], "tool-phone-ik-zie-vote")
    expect(big.locator(".slide-vote .bar-row").first).to_contain_text("Datagedreven")
    for (width, height), page in beamers.items():
        assert slide_fits(page), (width, height)
        shoot(page, f"tool-projector-{width}x{height}-ik-zie-vote")

    # Ik kan: a phone suggests an activity, the facilitator takes it in and gives it an owner.
    editor.locator("button[value=ik-kan]").click()
    suggest = phones[3].locator("#tool-suggest")
    suggest.locator("input[value=activiteiten]").check()
    suggest.locator("textarea").fill("Publieksonderzoek onder jongeren")
    suggest.locator("button").click()
    expect(phones[3].locator("#tool-suggest .saved")).to_be_visible()
    shoot(phones[3], "tool-phone-ik-kan-suggest")
    live.locator(".suggestions button.button").first.click()
    expect(editor).to_contain_text("Publieksonderzoek onder jongeren")
    for part, text in [("scope", "Online bereik van jongeren; de zaalprogrammering niet"),
                       ("resultaat", "Een proef met 3 video's en een meting van het bereik"),
                       ("middelen", "Twee collega's een dag per week; 5.000 euro")]:
        form = editor.locator(f".tool-add:has(input[name=part][value={part}])")
        form.locator("input[name=text]").fill(text)
        form.locator("button").click()
        expect(editor).to_contain_text(text)
    form = editor.locator(".tool-add:has(input[name=part][value=activiteiten])")
    form.locator("input[name=text]").fill("Video's maken met het publieksteam")
    form.locator("input[name=owner]").fill("Cas")
    form.locator("input[name=due]").fill("2026-10-01")
    form.locator("button").click()
    expect(editor).to_contain_text("Video's maken met het publieksteam")
    for (width, height), page in beamers.items():
        expect(page.locator(".slide-plan")).to_contain_text("Publieksonderzoek")
        assert slide_fits(page), (width, height)
        shoot(page, f"tool-projector-{width}x{height}-ik-kan-plan")
    shoot(console, "tool-console-ik-kan")

    # Ik doe: a KPI with how and when, activities predictable or to learn.
    editor.locator("button[value=ik-doe]").click()
    form = editor.locator(".tool-add:has(input[name=part][value=kpis])")
    form.locator("input[name=text]").fill("500 nieuwe volgers onder de 30")
    form.locator("input[name=how]").fill("Statistieken van de kanalen")
    form.locator("input[name=when]").fill("Elk kwartaal")
    form.locator("button").click()
    expect(editor).to_contain_text("Statistieken van de kanalen")
    for text, mode in [("Nieuwsbrief elke maand", "predictable"), ("Proef met AR", "learn")]:
        form = editor.locator(".tool-add:has(input[name=part][value=activiteiten])")
        form.locator("input[name=text]").fill(text)
        form.locator("select[name=mode]").select_option(mode)
        form.locator("button").click()
        expect(editor).to_contain_text(text)
    form = editor.locator(".tool-add:has(input[name=part][value=leerinzichten])")
    form.locator("input[name=text]").fill("Kleine proeven leren ons meer dan één groot plan")
    form.locator("button").click()
    expect(editor).to_contain_text("Kleine proeven")
    for (width, height), page in beamers.items():
        expect(page.locator(".slide-plan")).to_contain_text("Elk kwartaal")
        assert slide_fits(page), (width, height)
        shoot(page, f"tool-projector-{width}x{height}-ik-doe-plan")

    # Back to Ik wil, the group's choice, and close: the report carries it.
    editor.locator("button[value=ik-wil]").click()
    live.locator("button", has_text="Beëindig de sessie").click()
    expect(live).to_contain_text("Deze sessie is afgesloten.")
    console.goto(f"{server}/sessions/{code}/report/")
    report = console.locator(".report")
    expect(report.locator(".report-tool")).to_contain_text("Een pilot met korte video")
    expect(report.locator(".report-tool")).to_contain_text("Ik kan")
    shoot(console, "tool-report")
    pdf = console.request.get(f"{server}/sessions/{code}/report.pdf")
    assert pdf.ok
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages]
    tool_page = next(text for text in pages if "Hoe financieren we dat?" in text)
    assert "Uit het marketingbudget" in tool_page and "Ik kan" in tool_page
    body = console.request.get(f"{server}/sessions/{code}/report.csv").text()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert any(row[1:3] == ["Bereik", "6"] for row in rows)
    assert any("Een pilot met korte video" in cell for row in rows for cell in row)
    assert rows[-1][1:] == ["Ik kan", "2027-06-01"]

    # The organisation page: the target on the timeline, the open agreement with its owner.
    console.goto(f"{server}/organisations/museum-e2e/")
    expect(console.locator("svg.timeline .target-line")).to_contain_text("Ik kan")
    agreement = console.locator(".org-agreements li", has_text="Pilot bespreken")
    expect(agreement).to_contain_text("Bram")
    agreement.locator("button.toggle").click()
    expect(console.locator(".org-agreements li", has_text="Pilot bespreken")).to_have_class(
        "agreement-row done")
    agreement = console.locator(".org-agreements li", has_text="Pilot bespreken")
    agreement.locator("button.toggle").click()
    expect(agreement).not_to_have_class("agreement-row done")
    shoot(console, "tool-organisation")

    # The next session of the organisation begins by going through them.
    console.goto(server + "/sessions/new/")
    console.fill("input[name=title]", "Teamdag: een jaar later")
    console.click("button:has-text('Open de sessie')")
    expect(console.locator("#tool-editor .tool-review")).to_contain_text("Pilot bespreken")
    console.wait_for_load_state("load")
    console.locator("#console-live button[data-slide=next]").click()
    expect(console.locator("#console-live .deck-nav button[aria-current]")).to_contain_text("2.")
    next_code = console.locator(".join-box .code").inner_text().strip()
    for (width, height), page in beamers.items():
        page.goto(f"{server}/sessions/{next_code}/projector/")
        expect(page.locator(".slide-review")).to_contain_text("Pilot bespreken")
        shoot(page, f"tool-projector-{width}x{height}-review")
    for page in [*phones, *beamers.values()]:
        page.context.close()
