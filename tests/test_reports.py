"""Reports (web, PDF, CSV), the share link, the organisation's history and deleting a session."""

import csv
import io
import re
import secrets
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.utils import timezone, translation
from pypdf import PdfReader

from tests.builders import answer_all, join, move
from workshop import reports, services
from workshop.models import Answer, Note, Participant, Session
from workshop.results import build_results
from workshop.services import add_note, create_session


@pytest.fixture
def revealed(workshop, phone, phone2):
    """Two marketing colleagues and one director answered; the results are revealed."""
    from django.test import Client

    join(phone, workshop, "Marketing", "Ans")
    join(phone2, workshop, "Marketing", "Bram")
    director = Client()
    join(director, workshop, "Directie", "Cas")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")  # 3 + 2 + 3 + 2 = 10
    answer_all(phone2, workshop, "3232")  # 2 + 2 + 2 + 1 = 7
    answer_all(director, workshop, "21")  # 1 + 0: not finished
    add_note(workshop, "agreement", "Plan van Aanpak schrijven", "Ans")
    return move(workshop, Session.REVEALED)


def test_the_report_shows_everything_a_board_needs(alice_client, revealed):
    r = alice_client.get(f"/sessions/{revealed.code}/report/")
    assert r.status_code == 200
    text = r.text
    assert revealed.title in text and "Museum Noord" in text and "alice" in text
    assert "Marketing 2" in text and "Directie 1" in text
    assert "<strong>8,5</strong>" in text and "Ik doe" in text  # (10 + 7) / 2
    assert "kozen hetzelfde antwoord" in text
    assert "Plan van Aanpak schrijven" in text
    assert "Aanbevolen voor de fase ‘Ik doe’ (Aanpakken)" in text
    assert "Beproefde methodes" in text  # a tool of the phase
    for name in ["Ans", "Bram", "Cas"]:
        assert f">{name}<" not in text  # names are not in the report (the note's owner aside)


def test_the_report_waits_for_the_reveal(alice_client, workshop, phone):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    r = alice_client.get(f"/sessions/{workshop.code}/report/")
    assert r.status_code == 200
    assert "verschijnen hier zodra" in r.text
    assert "Fase van de groep" not in r.text


PHASE_NAMES = ["Ik zie", "Ik wil", "Ik kan", "Ik doe"]


@pytest.fixture(params=["answering", "reopened", "closed"])
def unrevealed(request, workshop, phone, phone2):
    """The answers of the `revealed` fixture, but the results are not (or no longer) revealed:
    still answering, answering again after a reveal, or closed without a reveal."""
    from django.test import Client

    join(phone, workshop, "Marketing", "Ans")
    join(phone2, workshop, "Marketing", "Bram")
    director = Client()
    join(director, workshop, "Directie", "Cas")
    session = move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    answer_all(phone2, workshop, "3232")
    answer_all(director, workshop, "21")
    if request.param == "reopened":
        session = move(session, Session.REVEALED, Session.ANSWERING)
    elif request.param == "closed":
        session = move(session, Session.CLOSED)
    assert not session.results_visible
    return session


def assert_no_results(text: str) -> None:
    assert "8,5" not in text and "8.5" not in text  # the group total
    for phase in PHASE_NAMES:
        assert phase not in text
    assert "kozen hetzelfde antwoord" not in text
    assert "Aanbevolen voor de fase" not in text


def test_the_web_report_shows_no_results_before_the_reveal(alice_client, unrevealed):
    r = alice_client.get(f"/sessions/{unrevealed.code}/report/")
    assert r.status_code == 200
    assert "verschijnen hier zodra" in r.text
    assert_no_results(r.text)
    assert r.context["results"] is None and r.context["phase"] is None


def test_the_shared_report_shows_no_results_before_the_reveal(alice_client, client, unrevealed):
    alice_client.post(f"/sessions/{unrevealed.code}/share/", {"action": "create"})
    token = Session.objects.get().share_token
    r = client.get(f"/r/{token}/")
    assert r.status_code == 200
    assert "verschijnen hier zodra" in r.text
    assert_no_results(r.text)
    assert r.context["results"] is None and r.context["phase"] is None


def test_the_pdf_shows_no_results_before_the_reveal(unrevealed):
    html = reports.report_pdf_html(unrevealed)
    assert unrevealed.title in html and "verschijnen hier zodra" in html
    assert_no_results(html)


def test_the_csv_lists_who_joined_but_no_results_before_the_reveal(alice_client, unrevealed):
    r = alice_client.get(f"/sessions/{unrevealed.code}/report.csv")
    assert r.status_code == 200
    body = r.content.decode("utf-8")
    assert body.startswith("\ufeff") and "\r\n" in body
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    # Only the participants' numbers and disciplines: no answer, total or phase columns, so
    # that an empty cell cannot be read as "not answered".
    assert rows[0] == ["deelnemer", "discipline"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    assert all(len(row) == 2 for row in rows)
    for phase in PHASE_NAMES:
        assert phase not in body


def streamed(response) -> bytes:
    """The body of a response streamed from an async iterator (the PDF), as the server sends it."""

    async def collect() -> bytes:
        return b"".join([part async for part in response])

    return async_to_sync(collect)()


def test_the_pdf_has_the_report_in_it(alice_client, revealed):
    r = alice_client.get(f"/sessions/{revealed.code}/report.pdf")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(streamed(r)))
    assert 2 <= len(reader.pages) <= 4
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert revealed.title in text
    assert "Ik doe" in text
    assert "Welke uitspraak hoor je vaak in jouw organisatie?" in text
    assert "1 / " in text and "Museum Noord" in text  # page numbers and the header


ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


def pdf_pages(session: Session, artifacts: str = "") -> list[str]:
    """The text of each page of the session's PDF, its whitespace (no-break spaces too) made
    single spaces. With `artifacts`, the pages are also drawn as PNGs in test-artifacts/, to
    look at as a reader would (when poppler's pdftoppm is installed)."""
    pdf = reports.write_pdf(reports.report_pdf_html(session))
    if artifacts and shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-", str(ARTIFACTS / artifacts)],
                       input=pdf, check=True)
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def number(text: str) -> float:
    return float(text.replace(",", "."))


def test_the_first_page_sums_the_session_up_in_numbers_that_match(revealed):
    from workshop.results import build_results

    results = build_results(revealed)
    cover = pdf_pages(revealed)[0]

    found = re.search(r"Met gemiddeld (\d+,\d) van de (\d+) punten staat (.+?) in de fase "
                      r"‘(.+?)’ \((.+?)\)\.", cover)
    assert found, cover
    mean, most, organisation, phase, subtitle = found.groups()
    assert number(mean) == round(results.summary.mean, 1) == 8.5
    assert int(most) == results.max_total == 10
    assert organisation == "Museum Noord"
    assert (phase, subtitle) == (results.phase.name, results.phase.subtitle) == ("Ik doe",
                                                                                "Aanpakken")
    # What the phase means, in the publication's words.
    assert "De organisatie is volop bezig digitale verdienmodellen te ontdekken" in cover

    found = re.search(r"(\d+) van de (\d+) collega’s plaats(?:t|en) de organisatie zelf ook in "
                      r"deze fase\.", cover)
    assert found, cover
    assert (int(found[1]), int(found[2])) == (dict(results.summary.phase_counts)["ik-doe"],
                                              results.summary.participants) == (2, 2)

    found = re.search(r"Het minst eens waren ze het over vraag (\d) \((.+?)\): (\d+) van de "
                      r"(\d+) (?:koos|kozen) hetzelfde antwoord\.", cover)
    assert found, cover
    least = results.least_agreed[0]
    assert int(found[1]) == least.number
    assert found[2].casefold() == str(least.question.short).casefold()
    assert (int(found[3]), int(found[4])) == (least.result.modal_count, least.result.answered)

    # One discipline of two complete answer sets: nothing to compare.
    assert "te weinig collega’s per discipline" in cover
    found = re.search(r"De groep maakte (\d+) afspra(?:ak|ken): (.+?) \(Ans\)", cover)
    assert found, cover
    assert (int(found[1]), found[2]) == (1, "Plan van Aanpak schrijven")


def test_the_summary_names_the_largest_difference_between_disciplines(questionnaire, museum):
    from workshop.results import build_results

    session = _revealed_with(museum, [
        ("Marketing", "4243"), ("Marketing", "3232"), ("ICT", "1111"), ("ICT", "2111"),
    ])
    results = build_results(session)
    cover = pdf_pages(session)[0]
    found = re.search(r"Het grootste verschil tussen disciplines zit (?:bij vraag (\d) \((.+?)\)"
                      r"|in het totaal): (.+?) scoort gemiddeld (\d+,\d) en (.+?) (\d+,\d)\.",
                      cover)
    assert found, cover
    gap = results.gaps[0]
    assert (int(found[1]) if found[1] else None) == (gap.question.number if gap.question
                                                      else None)
    assert (found[3], found[5]) == (gap.high, gap.low)
    assert number(found[4]) == round(gap.result.high_mean, 1)
    assert number(found[6]) == round(gap.result.low_mean, 1)
    assert "Er zijn geen afspraken vastgelegd." in cover


# Answer sets around each phase's band (totals 0/1, 3/1, 5/6 and 10/7), so that the colleagues
# do not all agree, as in a real session.
AROUND_PHASE = {"ik-zie": ("1111", "2111"), "ik-wil": ("2211", "2111"),
                "ik-kan": ("2222", "3222"), "ik-doe": ("4243", "3232")}


def _demo_session(organisation, participants: int, phase: str) -> Session:
    """A closed session as `manage.py demo_session` makes them: six disciplines, a note and
    two agreements, and `participants` complete answer sets around `phase`."""
    from assessments.models import Questionnaire
    from workshop.management.commands.demo_session import DISCIPLINES, NOTES

    questionnaire = Questionnaire.get_default()
    session = Session.objects.create(
        organisation=organisation, questionnaire=questionnaire, title="Jaarlijkse meting",
        disciplines=DISCIPLINES, step=Session.CLOSED, revealed_at=timezone.now(),
        closed_at=timezone.now(),
    )
    questions = [(q, list(q.options.all())) for q in questionnaire.ordered_questions()]
    answers = []
    for number_ in range(1, participants + 1):
        participant = Participant.objects.create(
            session=session, number=number_, discipline=DISCIPLINES[number_ % len(DISCIPLINES)])
        choices = AROUND_PHASE[phase][number_ % 3 == 0]
        answers += [Answer(participant=participant, question=question,
                           option=options[int(choice) - 1])
                    for (question, options), choice in zip(questions, choices, strict=True)]
    Answer.objects.bulk_create(answers)
    for kind, text, owner in NOTES:
        Note.objects.create(session=session, kind=kind, text=text, owner=owner)
    return session


@pytest.mark.parametrize("phase", list(AROUND_PHASE))
def test_a_demo_session_of_fifty_fits_on_four_pages(questionnaire, museum, phase):
    from workshop.results import build_results

    session = _demo_session(museum, 50, phase)
    assert build_results(session).phase.slug == phase
    pages = pdf_pages(session, artifacts=f"report-50-{phase}")
    assert len(pages) <= 4
    assert "Verslag van de Digitaal DNA-workshop Jaarlijkse meting" in pages[0]
    assert "Samenvatting Met gemiddeld" in pages[0]
    # The phase's tips and tools open a page of their own, and end on it.
    starts = [i for i, page in enumerate(pages) if "Aanbevolen voor de fase" in page]
    assert len(starts) == 1 and starts[0] >= 1
    assert "Aanbevolen voor de fase" not in pages[starts[0] - 1]
    assert pages[starts[0]].startswith("Aanbevolen voor de fase")
    assert starts[0] == len(pages) - 1


def test_the_pdf_is_tagged_for_screen_readers_with_its_language_and_title(alice_client,
                                                                           revealed):
    reader = PdfReader(io.BytesIO(streamed(alice_client.get(
        f"/sessions/{revealed.code}/report.pdf"))))
    catalog = reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in catalog  # PDF/UA-1
    assert catalog["/Lang"] == "nl"
    assert reader.metadata.title == revealed.title


def test_the_csv_has_one_row_per_participant_and_no_names(alice_client, revealed):
    r = alice_client.get(f"/sessions/{revealed.code}/report.csv")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r["Content-Disposition"]
    body = r.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["deelnemer", "discipline", "ronde", "V1", "V2", "V3", "V4", "totaal",
                       "fase", "op de grens met"]
    assert rows[1:] == [
        ["1", "Marketing", "1", "3", "2", "3", "2", "10", "Ik doe", ""],
        ["2", "Marketing", "1", "2", "2", "2", "1", "7", "Ik doe", "Ik kan"],
        # The only director: no complete answer set in "Directie", nor in "Overige", so the
        # discipline is left out rather than point at one person.
        ["3", "", "1", "1", "0", "", "", "", "", ""],
    ]
    for name in ["Ans", "Bram", "Cas"]:
        assert name not in body


def _revealed_with(organisation, entries: list[tuple[str, str]]) -> Session:
    """A revealed session in which a phone joins per (discipline, choices); '' answers nothing."""
    from django.test import Client

    session = create_session(organisation, "Klein team",
                             ["Marketing", "Directie", "ICT", "Educatie", "Overige"])
    move(session, Session.ANSWERING)
    for discipline, choices in entries:
        phone = Client()
        join(phone, session, discipline)
        answer_all(phone, session, choices)
    return move(session, Session.REVEALED)


def _csv_rows(session: Session) -> list[list[str]]:
    body = reports.report_csv(session).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body), delimiter=";"))[1:]


def test_the_csv_folds_lone_disciplines_into_other(questionnaire, museum):
    session = _revealed_with(museum, [
        ("Marketing", "4243"), ("Marketing", "3232"), ("ICT", "1111"), ("Educatie", "2222"),
    ])
    assert [row[:2] for row in _csv_rows(session)] == [
        ["1", "Marketing"], ["2", "Marketing"], ["3", "Overige"], ["4", "Overige"],
    ]


def test_the_csv_leaves_out_a_discipline_that_even_other_cannot_hide(questionnaire, museum):
    session = _revealed_with(museum, [
        ("Marketing", "4243"), ("Marketing", "3232"), ("Directie", "1111"),
    ])
    rows = _csv_rows(session)
    assert [row[:2] for row in rows] == [["1", "Marketing"], ["2", "Marketing"], ["3", ""]]
    assert rows[2][3:8] == ["0", "0", "0", "0", "0"]  # the answers stay, not whose they are
    assert "Directie" not in reports.report_csv(session)


def test_the_csv_counts_complete_answer_sets_for_the_group_size(questionnaire, museum):
    # Three in Marketing, but only one finished: his answers would be "Marketing's" answers.
    session = _revealed_with(museum, [
        ("Marketing", "4243"), ("Marketing", ""), ("Marketing", "21"),
        ("ICT", "1111"), ("ICT", "2222"),
    ])
    assert [row[:2] for row in _csv_rows(session)] == [
        ["1", ""], ["2", ""], ["3", ""], ["4", "ICT"], ["5", "ICT"],
    ]


@pytest.mark.parametrize("entries", [
    [("Marketing", "4243"), ("Marketing", "3232"), ("Directie", "21")],
    [("Marketing", "4243"), ("ICT", "1111"), ("Educatie", "2222"), ("Directie", "")],
    [("Marketing", "4243"), ("Marketing", "3232"), ("Overige", "1111"), ("ICT", "2222")],
    [("Overige", "1111"), ("Directie", "2222"), ("Directie", "3232"), ("ICT", "4")],
    [("ICT", "4243")],
])
def test_the_csv_shows_the_disciplines_the_screens_show(questionnaire, museum, entries):
    from workshop.results import build_results

    session = _revealed_with(museum, entries)
    rows = _csv_rows(session)
    complete: dict[str, int] = {}
    for row in rows:
        if row[6]:  # a total: a complete answer set
            complete[row[1]] = complete.get(row[1], 0) + 1
    results = build_results(session)
    assert {k: v for k, v in complete.items() if k} == {
        d.result.name: d.result.participants for d in results.disciplines
    }
    assert complete.get("", 0) == results.hidden
    # No discipline is ever shown next to one person alone.
    shown = [row[1] for row in rows if row[1]]
    assert all(shown.count(name) >= 2 for name in shown)


def test_the_csv_hides_lone_disciplines_before_the_reveal_too(alice_client, unrevealed):
    body = alice_client.get(f"/sessions/{unrevealed.code}/report.csv").content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[1:] == [["1", "Marketing"], ["2", "Marketing"], ["3", ""]]


FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd",
            "\tx", "\rx"]


@pytest.mark.parametrize("visible", [True, False], ids=["revealed", "before the reveal"])
def test_the_csv_neutralises_formulas_in_text_cells(questionnaire, museum, visible):
    from assessments.models import Option
    from tests.builders import option_id
    from workshop import services

    # Facilitators type the disciplines; a spreadsheet would run these as formulas.
    session = create_session(museum, "Formules", FORMULAS)
    move(session, Session.ANSWERING)
    for discipline in FORMULAS:
        for _ in range(2):  # two of each, so that every discipline is shown
            participant = services.join(session, "", discipline, secrets.token_urlsafe(24))
            for number, choice in enumerate("4243", start=1):
                option = Option.objects.get(pk=option_id(session, number, int(choice)))
                Answer.objects.create(participant=participant, question=option.question,
                                      option=option)
    if visible:
        session = move(session, Session.REVEALED)
    body = reports.report_csv(session)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    disciplines = [row[1] for row in rows[1:]]
    assert disciplines == ["'" + formula for formula in FORMULAS for _ in range(2)]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    if visible:
        # Numbers stay numbers.
        assert all(row[3:8] == ["3", "2", "3", "2", "10"] for row in rows[1:])
        assert all(row[0].isdigit() for row in rows[1:])


@pytest.mark.parametrize("value,expected", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("-2+3+cmd", "'-2+3+cmd"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("Marketing", "Marketing"),
    ("a=b", "a=b"),
    ("", ""),
    (-2, -2),
    (10, 10),
])
def test_spreadsheet_safe_prefixes_only_text_that_a_spreadsheet_would_run(value, expected):
    assert reports.spreadsheet_safe(value) == expected


def test_the_csv_numbers_match_the_stored_answers(alice_client, revealed):
    body = alice_client.get(f"/sessions/{revealed.code}/report.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    for row in rows:
        participant = Participant.objects.get(session=revealed, number=int(row["deelnemer"]))
        stored = sum(a.option.points for a in Answer.objects.filter(participant=participant))
        given = sum(int(row[f"V{i}"]) for i in range(1, 5) if row[f"V{i}"])
        assert given == stored


REPORT_URLS = [
    ("get", "/sessions/{code}/report/"),
    ("get", "/sessions/{code}/report.pdf"),
    ("get", "/sessions/{code}/report.csv"),
    ("post", "/sessions/{code}/share/"),
    ("get", "/sessions/{code}/delete/"),
    ("post", "/sessions/{code}/delete/"),
]


@pytest.mark.parametrize("method,path", REPORT_URLS)
def test_another_organisation_gets_404_on_every_report_url(bob_client, revealed, method, path):
    r = getattr(bob_client, method)(path.format(code=revealed.code), {"action": "create"}
                                    if method == "post" else None)
    assert r.status_code == 404
    assert Session.objects.filter(pk=revealed.pk, share_token__isnull=True).exists()


@pytest.mark.parametrize("method,path", REPORT_URLS)
def test_anonymous_visitors_are_sent_to_the_login(client, revealed, method, path):
    r = getattr(client, method)(path.format(code=revealed.code))
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_it_lays_the_pdf_out_outside_the_request_thread(alice_client, revealed, monkeypatch):
    # The shared thread serves every phone's request (config/asgi.py): a layout of a few
    # hundred milliseconds must not hold it up.
    threads = []
    write_pdf = reports.write_pdf

    def recording_write_pdf(html: str) -> bytes:
        threads.append(threading.current_thread())
        return write_pdf(html)

    monkeypatch.setattr(reports, "write_pdf", recording_write_pdf)
    r = alice_client.get(f"/sessions/{revealed.code}/report.pdf")
    assert threads == []  # the view has returned without laying anything out
    assert streamed(r).startswith(b"%PDF")
    assert threads and threads[0] is not threading.current_thread()


def test_it_answers_503_when_the_pdf_cannot_be_made(alice_client, revealed, monkeypatch):
    monkeypatch.setattr(reports, "pdf_available", lambda: False)
    r = alice_client.get(f"/sessions/{revealed.code}/report.pdf")
    assert r.status_code == 503
    assert "WeasyPrint" in r.text


def test_a_share_link_shows_the_report_until_it_is_revoked(alice_client, client, revealed):
    alice_client.post(f"/sessions/{revealed.code}/share/", {"action": "create"})
    token = Session.objects.get().share_token
    assert token and len(token) >= 40
    page = alice_client.get(f"/sessions/{revealed.code}/report/")
    assert f"http://testserver/r/{token}/" in page.text

    r = client.get(f"/r/{token}/")
    assert r.status_code == 200
    assert revealed.title in r.text and "Deel een link" not in r.text
    assert client.get(f"/r/{token}/report.pdf").status_code == 200

    alice_client.post(f"/sessions/{revealed.code}/share/", {"action": "revoke"})
    assert client.get(f"/r/{token}/").status_code == 404
    assert client.get(f"/r/{token}/report.pdf").status_code == 404


@pytest.fixture(params=["username only", "full name"])
def shared(request, alice, alice_client, revealed):
    """The revealed session with a share link; the report names alice by username or by her
    full name."""
    if request.param == "full name":
        alice.first_name, alice.last_name = "Alice", "de Vries"
        alice.save()
    alice_client.post(f"/sessions/{revealed.code}/share/", {"action": "create"})
    return Session.objects.get(pk=revealed.pk)


def test_the_shared_report_does_not_name_the_facilitator(client, shared):
    r = client.get(f"/r/{shared.share_token}/")
    assert r.status_code == 200
    assert shared.title in r.text
    assert "alice" not in r.text.lower() and "de Vries" not in r.text
    assert ">Begeleider<" not in r.text


def test_the_shared_pdf_does_not_name_the_facilitator(client, shared):
    r = client.get(f"/r/{shared.share_token}/report.pdf")
    assert r.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(streamed(r))).pages)
    assert shared.title in text
    assert "alice" not in text.lower() and "Vries" not in text


def test_the_facilitator_still_sees_her_name_in_her_own_report(alice, alice_client, shared):
    name = alice.get_full_name() or alice.username
    assert f"<dd>{name}</dd>" in alice_client.get(f"/sessions/{shared.code}/report/").text
    assert f"<dd>{name}</dd>" in reports.report_pdf_html(shared, show_facilitator=True)
    assert f"<dd>{name}</dd>" not in reports.report_pdf_html(shared)


def test_a_guessed_share_token_answers_404(client, revealed):
    assert client.get("/r/not-a-token/").status_code == 404


def test_an_unknown_share_action_is_a_400(alice_client, revealed):
    r = alice_client.post(f"/sessions/{revealed.code}/share/", {"action": "publish"})
    assert r.status_code == 400


def test_deleting_a_session_leaves_nothing_behind(alice_client, revealed):
    r = alice_client.get(f"/sessions/{revealed.code}/delete/")
    assert "kan niet ongedaan worden gemaakt" in r.text
    assert Session.objects.exists()  # a GET only asks
    r = alice_client.post(f"/sessions/{revealed.code}/delete/")
    assert r.status_code == 302 and r["Location"] == "/organisations/museum-noord/"
    assert not Session.objects.exists()
    assert not Participant.objects.exists()
    assert not Answer.objects.exists()
    assert not Note.objects.exists()


def _closed_session(organisation, title: str, days_ago: int, answer_sets: list[tuple[str, str]]):
    """A closed session with complete answer sets given as (discipline, choices)."""
    from django.test import Client

    session = create_session(organisation, title, ["Marketing", "Directie", "ICT"])
    Session.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago))
    move(session, Session.ANSWERING)
    for discipline, choices in answer_sets:
        phone = Client()
        join(phone, session, discipline)
        answer_all(phone, session, choices)
    return move(session, Session.REVEALED, Session.CLOSED)


@pytest.fixture
def history(questionnaire, museum):
    first = _closed_session(museum, "Nulmeting", 400, [
        ("Marketing", "2111"), ("Marketing", "2211"), ("Directie", "1111"), ("ICT", "4243"),
    ])  # totals 1, 3, 0, 10: mean 3.5
    second = _closed_session(museum, "Een jaar later", 30, [
        ("Marketing", "3232"), ("Marketing", "4243"), ("Directie", "2222"), ("Directie", "3222"),
    ])  # totals 7, 10, 5, 6: mean 7
    return first, second


def test_the_organisation_page_lists_sessions_newest_first(alice_client, history):
    r = alice_client.get("/organisations/museum-noord/")
    assert r.status_code == 200
    assert r.text.index("Een jaar later") < r.text.index("Nulmeting")
    assert "3,5" in r.text and "7,0" in r.text
    assert '<svg class="timeline"' in r.text
    assert "Hele groep" in r.text and "Marketing" in r.text
    assert r.text.count("<polyline") >= 3  # the group, Marketing, and Directie (second session)
    assert "Vergelijk A en B" in r.text


def test_another_organisation_gets_404_on_the_history(bob_client, history):
    assert bob_client.get("/organisations/museum-noord/").status_code == 404
    first, second = history
    url = f"/organisations/museum-noord/compare/?a={first.code}&b={second.code}"
    assert bob_client.get(url).status_code == 404


def test_it_compares_two_sessions(alice_client, history):
    first, second = history
    r = alice_client.get(f"/organisations/museum-noord/compare/?a={second.code}&b={first.code}")
    assert r.status_code == 200
    # Earlier first, whatever the order asked for.
    assert r.text.index("Nulmeting") < r.text.index("Een jaar later")
    assert "+3,5" in r.text  # the total: 3.5 -> 7.0
    assert "Ik wil" in r.text and "Ik doe" in r.text
    # Marketing: (1 + 3) / 2 = 2 -> (7 + 10) / 2 = 8.5.
    assert "+6,5" in r.text


def test_it_refuses_to_compare_sessions_of_another_organisation(alice_client, history, theatre):
    other = create_session(theatre, "Elders", ["Marketing"])
    first, _ = history
    r = alice_client.get(f"/organisations/museum-noord/compare/?a={first.code}&b={other.code}")
    assert r.status_code == 302


@pytest.fixture
def not_revealed_yet(questionnaire, museum):
    """The newest session of the museum: two ICT colleagues answered, no reveal yet."""
    from django.test import Client

    session = create_session(museum, "Nog bezig", ["ICT"])
    move(session, Session.ANSWERING)
    for _ in range(2):
        phone = Client()
        join(phone, session, "ICT")
        answer_all(phone, session, "4243")  # 10 each: mean 10.0, Ik doe
    return Session.objects.get(pk=session.pk)


def nl(text: str) -> str:
    """A text as the Dutch interface shows it (also before its translation is in the
    catalogue)."""
    with translation.override("nl"):
        return translation.gettext(text)


NOT_REVEALED = "Not revealed yet"


def _row(html: str, title: str) -> str:
    """The table row of the session called `title` on the organisation page."""
    start = html.index(title)
    return html[html.rindex("<tr>", 0, start):html.index("</tr>", start)]


def test_the_history_shows_an_unrevealed_session_without_its_figures(
    alice_client, history, not_revealed_yet
):
    r = alice_client.get("/organisations/museum-noord/")
    assert r.status_code == 200
    row = _row(r.text, "Nog bezig")
    assert nl(NOT_REVEALED) in row
    assert ">2<" in row  # who joined is no result
    assert "10,0" not in row and "Ik doe" not in row
    assert 'name="a"' not in row and 'name="b"' not in row  # it cannot be compared
    # The revealed sessions keep their figures, and are the ones compared by default.
    first, second = history
    assert "3,5" in _row(r.text, "Nulmeting") and "7,0" in _row(r.text, "Een jaar later")
    assert f'value="{second.code}" checked' in _row(r.text, "Een jaar later")
    chart = r.context["history"].chart
    assert len(chart.x_labels) == 2  # the unrevealed session is left out of the chart
    assert "ICT" not in [series.name for series in chart.series]
    assert all(len(series.dots) <= 2 for series in chart.series)


def test_the_history_has_no_chart_and_no_comparison_without_a_reveal(
    alice_client, not_revealed_yet, workshop
):
    r = alice_client.get("/organisations/museum-noord/")
    assert r.status_code == 200
    assert r.context["history"].chart is None
    assert '<svg class="timeline"' not in r.text
    assert r.text.count(nl(NOT_REVEALED)) == 2
    assert "Vergelijk A en B" not in r.text and 'name="a"' not in r.text


@pytest.mark.parametrize("order", ["unrevealed first", "unrevealed second"])
def test_it_refuses_to_compare_an_unrevealed_session(alice_client, history, not_revealed_yet,
                                                     order):
    _, second = history
    a, b = (not_revealed_yet, second) if order == "unrevealed first" else (second,
                                                                            not_revealed_yet)
    url = f"/organisations/museum-noord/compare/?a={a.code}&b={b.code}"
    r = alice_client.get(url)
    assert r.status_code == 302 and r["Location"] == "/organisations/museum-noord/"
    page = alice_client.get(r["Location"])
    message = nl("“%(title)s” has not been revealed yet, so it cannot be compared.")
    assert message % {"title": "Nog bezig"} in page.text
    with pytest.raises(ValueError):
        reports.compare_sessions(a, b)


def test_the_demo_command_makes_closed_sessions_with_answers(db):
    call_command("demo_session")
    sessions = Session.objects.filter(organisation__slug="demo")
    assert sessions.count() == 4
    assert all(s.step == Session.CLOSED for s in sessions)
    assert Answer.objects.filter(participant__session__in=sessions).count() > 4 * 10 * 4
    # Each with the phases colleagues recognised; the latest with a second round.
    latest = sessions.order_by("-created_at").first()
    assert build_results(latest).shift.shift.changed > 0
    assert all(build_results(s).recognition.participants == s.participants.count()
               for s in sessions)
    call_command("demo_session", "--if-empty")
    assert Session.objects.filter(organisation__slug="demo").count() == 4


def test_it_offers_a_comparison_only_with_two_sessions(alice_client, revealed):
    r = alice_client.get("/organisations/museum-noord/")
    assert 'name="a"' not in r.text and "Vergelijk A en B" not in r.text


def test_a_change_that_rounds_to_nothing_is_no_decline():
    from workshop.reports import Movement

    assert Movement("x", 5.0, 4.96).direction == "same"
    assert Movement("x", 5.0, 4.9).direction == "down"
    assert Movement("x", 4.0, 4.2).direction == "up"
    assert Movement("x", None, 4.2).direction is None


def test_the_timeline_keeps_its_first_and_last_dates_inside_its_box():
    from assessments.scoring import Band
    from workshop.charts import timeline

    bands = (Band("ik-zie", 0, 1, 1), Band("ik-doe", 2, 10, 10))
    chart = timeline(["01-01-2026", "01-06-2026", "24-11-2026"], {"groep": [3, 4, 5]}, bands, 10)
    assert [anchor for _x, _label, anchor in chart.x_labels] == ["start", "middle", "end"]


def test_results_are_computed_once_per_process_while_answering_is_closed(
        revealed, django_assert_num_queries):
    first = build_results(revealed)
    # Another request's object (a phone that reconnects, the console, the projector).
    other = Session.objects.get(pk=revealed.pk)
    with django_assert_num_queries(0):
        assert build_results(other) is first
    # The discussion shows the same data.
    assert build_results(move(other, Session.DISCUSSION)) is first


@pytest.fixture
def another_process():
    """This process as another one sees it: no signal tells it of a save made elsewhere."""
    from django.db.models.signals import post_delete, post_save

    from workshop.results import forget_results

    receivers = [(signal, model, f"forget-results-{signal is post_save}-{model.__name__}")
                 for signal in (post_save, post_delete) for model in (Session, Participant)]
    try:
        for signal, model, uid in receivers:
            assert signal.disconnect(forget_results, sender=model, dispatch_uid=uid)
        yield
    finally:
        for signal, model, uid in receivers:
            signal.connect(forget_results, sender=model, dispatch_uid=uid)


@pytest.mark.parametrize("reopened_from", [Session.REVEALED, Session.DISCUSSION])
def test_answering_again_in_the_same_round_is_never_shown_the_old_results(
        revealed, phone, another_process, reopened_from):
    first = build_results(move(revealed, Session.DISCUSSION)
                          if reopened_from == Session.DISCUSSION else revealed)
    assert first.summary.participants == 2
    session = move(Session.objects.get(pk=revealed.pk), Session.ANSWERING)
    from django.test import Client

    late = Client()
    join(late, session, "Collectie", "Dirk")
    answer_all(late, session, "1111")
    answer_all(phone, session, "1111")  # changes an answer of the same round
    again = build_results(move(Session.objects.get(pk=revealed.pk), Session.REVEALED))
    assert again.summary.participants == 3
    assert again.summary != first.summary
    # Closed straight from answering: the answers of that round are the ones shown.
    session = move(Session.objects.get(pk=revealed.pk), Session.ANSWERING)
    answer_all(phone, session, "4243")
    closed = build_results(move(session, Session.CLOSED))
    assert closed.summary != again.summary


def test_a_second_round_is_shown_with_its_own_results(revealed, phone, another_process):
    first = build_results(revealed)
    session = services.open_second_round(revealed)
    answer_all(phone, session, "1111")
    second = build_results(move(Session.objects.get(pk=revealed.pk), Session.REVEALED))
    assert second.round == 2 and second.summary != first.summary
    assert build_results(Session.objects.get(pk=revealed.pk)) is second


def test_an_edit_in_the_admin_shows_at_once_in_its_process_and_within_a_minute_in_others(
        revealed, monkeypatch, django_capture_on_commit_callbacks):
    from workshop import results

    first = build_results(revealed)
    with django_capture_on_commit_callbacks(execute=True):
        Participant.objects.get(session=revealed, name="Bram").delete()  # as the admin does
        # Not before it is committed: a screen would keep what it read before.
        assert build_results(Session.objects.get(pk=revealed.pk)) is first
    after_delete = build_results(Session.objects.get(pk=revealed.pk))
    assert after_delete.summary.participants == 1
    # Another process (no signal) was still showing them: a minute later it computes again.
    Answer.objects.filter(participant__session=revealed).update(
        option=Answer.objects.filter(participant__session=revealed).first().option)
    assert build_results(Session.objects.get(pk=revealed.pk)) is after_delete
    clock = results.time.monotonic() + results.RESULTS_SECONDS + 1
    monkeypatch.setattr(results.time, "monotonic", lambda: clock)
    assert build_results(Session.objects.get(pk=revealed.pk)) is not after_delete
    assert first is not after_delete


def test_results_read_while_an_edit_was_committed_are_not_kept(
        revealed, monkeypatch, django_capture_on_commit_callbacks):
    from workshop import results

    real = results._build_results

    def while_an_edit_commits(session):
        read = real(session)
        with django_capture_on_commit_callbacks(execute=True):
            participant = Participant.objects.get(session=revealed, name="Bram")
            participant.discipline = "Directie"
            participant.save()
        return read

    monkeypatch.setattr(results, "_build_results", while_an_edit_commits)
    first = build_results(revealed)
    monkeypatch.setattr(results, "_build_results", real)
    again = build_results(Session.objects.get(pk=revealed.pk))
    assert again is not first
    assert build_results(Session.objects.get(pk=revealed.pk)) is again


def test_deleting_a_session_does_not_read_its_answers(revealed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        revealed.delete()
    assert not Answer.objects.exists()
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith("SELECT") and "workshop_answer" in q["sql"]]
    assert reads == []


def test_new_questionnaire_or_phase_texts_are_computed_with(revealed):
    from assessments import cache

    first = build_results(revealed)
    cache.clear()  # what saving a phase or a score band does
    assert build_results(Session.objects.get(pk=revealed.pk)) is not first


def test_kept_results_are_bounded(revealed, monkeypatch):
    from workshop import results

    monkeypatch.setattr(results, "RESULTS_KEPT", 2)
    first = build_results(revealed)
    for version in (1, 2):
        Session.objects.filter(pk=revealed.pk).update(results_version=version)
        build_results(Session.objects.get(pk=revealed.pk))
    assert len(results._kept) == 2
    Session.objects.filter(pk=revealed.pk).update(results_version=0)  # the oldest, dropped
    assert build_results(Session.objects.get(pk=revealed.pk)) is not first
