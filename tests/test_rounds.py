"""Before and after: "Klinkt dit bekend?" beside the quiz, and a second round after the
discussion. The pure figures first, then every surface: phones, console, projector, report,
CSV, history."""

import csv
import io

import pytest
from django.test import Client

from assessments import scoring
from content.models import Phase
from tests.builders import answer, answer_all, join, move, option_id
from workshop import reports, services
from workshop.models import Answer, Participant, Session
from workshop.results import build_progress, build_results
from workshop.screens import phone as phone_screen
from workshop.screens import slides

BANDS = (
    scoring.Band("ik-zie", 0, 1, 2),
    scoring.Band("ik-wil", 2, 3, 4),
    scoring.Band("ik-kan", 4, 6, 7),
    scoring.Band("ik-doe", 7, 10, 10),
)
INSTRUMENT = scoring.Instrument(
    questions=(scoring.Question(1, {10: 0, 11: 1, 12: 2, 13: 3}),
               scoring.Question(2, {20: 0, 21: 2}),
               scoring.Question(3, {30: 0, 31: 1, 32: 2, 33: 3}),
               scoring.Question(4, {40: 0, 41: 1, 42: 2})),
    bands=BANDS,
)
LOW = {1: 10, 2: 20, 3: 30, 4: 40}  # 0: ik-zie
HIGH = {1: 13, 2: 21, 3: 33, 4: 42}  # 10: ik-doe
MIDDLE = {1: 11, 2: 21, 3: 31, 4: 40}  # 4: ik-kan (on the border with ik-wil)


# The pure figures

def test_the_recognition_table_counts_recognised_against_measured():
    table = scoring.recognition_table(INSTRUMENT, [
        ("ik-zie", LOW), ("ik-doe", LOW), ("ik-doe", HIGH), ("ik-kan", MIDDLE),
        ("", HIGH),  # recognised nothing: not counted
        ("ik-wil", {1: 10}),  # no complete answer set: no measured phase
        ("no-such-phase", HIGH),
    ])
    assert table.participants == 4
    assert table.matching == 3
    assert table.share_matching == 0.75
    assert table.count("ik-doe", "ik-zie") == 1
    assert table.count("ik-doe", "ik-doe") == 1
    assert sum(table.count(r, m) for r in table.phases for m in table.phases) == 4


def test_an_empty_recognition_table_has_no_share():
    assert scoring.recognition_table(INSTRUMENT, []).share_matching is None


def test_the_shift_counts_who_changed_and_how_the_answers_moved():
    before = {1: LOW, 2: LOW, 3: HIGH, 4: {1: 10}}
    after = {1: LOW, 2: HIGH, 3: HIGH, 5: MIDDLE}
    shift = scoring.round_shift(INSTRUMENT, before, after)
    assert shift.compared == 3  # 4 is incomplete before, 5 was not there before
    assert shift.changed == 1
    assert shift.before.mean == pytest.approx(10 / 3)
    assert shift.after.mean == pytest.approx(24 / 4)
    first = shift.questions[0]
    assert dict(first.before.counts) == {10: 3, 11: 0, 12: 0, 13: 1}
    assert dict(first.after.counts) == {10: 1, 11: 1, 12: 0, 13: 2}
    assert shift.mean_agreement_before is not None
    assert shift.mean_agreement_after is not None


# Recognition on the phone

def finish(phone: Client, session: Session, discipline: str, choices: str) -> Participant:
    participant = join(phone, session, discipline)
    answer_all(phone, session, choices)
    return participant


def test_after_the_questions_the_phone_asks_which_description_fits(recognising_workshop):
    session = move(recognising_workshop, Session.ANSWERING)
    phone = Client()
    participant = join(phone, session, "Marketing")
    for number, choice in enumerate("424", start=1):
        answer(phone, session, number, int(choice))
    last = answer(phone, session, 4, 3)
    html = last.content.decode()
    assert "Klinkt dit bekend?" in html
    # Four descriptions, lettered, with the phases' signs and without their names.
    for phase in Phase.by_slug().values():
        assert phase.signs[0].text_nl in html
        assert str(phase.name_nl) not in html
        assert f'value="{phase.slug}"' in html
    assert html.count("Beschrijving ") == 4
    # The page the phone reloads shows the same question.
    assert "Klinkt dit bekend?" in phone.get(f"/j/{session.code}/").content.decode()
    assert build_progress(session).finished == 0
    assert build_progress(session).rows[0].answered == 4 == participant.answers.count()


def test_each_phone_has_its_own_order_of_the_descriptions(recognising_workshop):
    slugs = list(Phase.by_slug())
    orders = {tuple(phone_screen.description_order(Participant(token=f"t{i}"), slugs))
              for i in range(40)}
    assert len(orders) > 5
    same = Participant(token="same")
    assert (phone_screen.description_order(same, slugs)
            == phone_screen.description_order(same, slugs))


def test_choosing_a_description_finishes_the_phone_and_shows_the_overview(recognising_workshop):
    session = move(recognising_workshop, Session.ANSWERING)
    phone = Client()
    participant = finish(phone, session, "Marketing", "4243")
    r = phone.post(f"/j/{session.code}/recognise/", {"phase": "ik-wil"},
                   headers={"HX-Request": "true"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Klaar! We wachten op de anderen." in html
    letter = phone_screen.recognition_choice(participant).chosen_letter
    assert f"Beschrijving {letter}" in html
    participant.refresh_from_db()
    assert participant.recognised == "ik-wil"
    progress = build_progress(session)
    assert progress.finished == 1 and progress.questions == 5


@pytest.mark.parametrize("phase", ["", "ik-niets", "<script>"])
def test_a_description_that_is_not_offered_is_refused(recognising_workshop, phase):
    session = move(recognising_workshop, Session.ANSWERING)
    phone = Client()
    participant = finish(phone, session, "Marketing", "4243")
    r = phone.post(f"/j/{session.code}/recognise/", {"phase": phase},
                   headers={"HX-Request": "true"})
    assert r.status_code == 400
    assert "Kies een van de beschrijvingen." in r.content.decode()
    participant.refresh_from_db()
    assert participant.recognised == "" and participant.answers.count() == 4


def test_recognition_is_refused_when_answering_is_closed_or_not_asked(recognising_workshop,
                                                                      workshop):
    phone = Client()
    join(phone, recognising_workshop, "Marketing")
    r = phone.post(f"/j/{recognising_workshop.code}/recognise/", {"phase": "ik-wil"})
    assert r.status_code == 409
    move(workshop, Session.ANSWERING)
    other = Client()
    join(other, workshop, "Marketing")
    r = other.post(f"/j/{workshop.code}/recognise/", {"phase": "ik-wil"})
    assert r.status_code == 409
    assert Participant.objects.exclude(recognised="").count() == 0


# The auto-reveal follows the commit of the last answer (services._progress_made).
@pytest.mark.django_db(transaction=True)
def test_auto_reveal_waits_for_the_recognition_question(questionnaire, museum, alice):
    session = services.create_session(museum, "Auto", ["Marketing"], auto_reveal=True)
    move(session, Session.ANSWERING)
    phone = Client()
    finish(phone, session, "Marketing", "4243")
    session.refresh_from_db()
    assert session.step == Session.ANSWERING
    phone.post(f"/j/{session.code}/recognise/", {"phase": "ik-doe"})
    session.refresh_from_db()
    assert session.step == Session.REVEALED


def test_a_session_without_the_recognition_question_finishes_after_the_questions(workshop):
    session = move(workshop, Session.ANSWERING)
    phone = Client()
    finish(phone, session, "Marketing", "4243")
    assert build_progress(session).finished == 1
    html = phone.get(f"/j/{session.code}/q/").content.decode()
    assert "Klaar! We wachten op de anderen." in html and "Klinkt dit bekend?" not in html


def test_the_facilitator_can_switch_the_recognition_question_off(alice_client, museum,
                                                                questionnaire):
    form = {"title": "Zonder", "organisation": museum.pk, "disciplines": "Marketing",
            "questionnaire": questionnaire.pk}
    alice_client.post("/sessions/new/", form)
    alice_client.post("/sessions/new/", form | {"title": "Met", "ask_recognition": "on"})
    assert dict(Session.objects.values_list("title", "ask_recognition")) == {
        "Zonder": False, "Met": True}
    page = alice_client.get("/sessions/new/").content.decode()
    assert 'name="ask_recognition"' in page and "checked" in page


# Recognition at the reveal

@pytest.fixture
def recognised(recognising_workshop):
    """Four colleagues: three recognise another phase than their answers give."""
    session = move(recognising_workshop, Session.ANSWERING)
    phones = []
    for discipline, choices, phase in [("Marketing", "4243", "ik-doe"),  # 10: ik-doe
                                       ("Marketing", "1111", "ik-kan"),  # 0: ik-zie
                                       ("Collectie", "2121", "ik-zie"),  # 2: ik-wil
                                       ("Collectie", "2222", "ik-zie")]:  # 6: ik-kan
        phone = Client()
        finish(phone, session, discipline, choices)
        phone.post(f"/j/{session.code}/recognise/", {"phase": phase})
        phones.append(phone)
    return session, phones


def test_recognised_phases_stay_hidden_until_the_reveal(recognised, alice_client):
    session, _phones = recognised
    console = alice_client.get(f"/sessions/{session.code}/").content.decode()
    assert "recognition-table" not in console
    assert "herkend" not in reports.report_csv(session)
    assert "recognition-table" not in alice_client.get(
        f"/sessions/{session.code}/report/").content.decode()


def test_the_reveal_sets_recognised_beside_measured_on_every_surface(recognised, alice_client):
    session, phones = recognised
    session = move(session, Session.REVEALED)
    results = build_results(session)
    assert results.recognition.participants == 4
    assert results.recognition.matching == 1
    # The discussion starts with it too.
    assert any(prompt.recognition for prompt in results.prompts)

    console = alice_client.get(f"/sessions/{session.code}/").content.decode()
    assert "recognition-table" in console
    assert "De fase die de quiz geeft, wordt herkend door 1 van 4 collega’s (25%)." in console
    report = alice_client.get(f"/sessions/{session.code}/report/").content.decode()
    assert "recognition-table" in report

    keys = [slide.key for slide in slides.deck(session, results, False).slides]
    assert keys[:3] == ["group", "spread", "recognition"]
    session.slide = 2
    session.save()
    projector = alice_client.get(f"/sessions/{session.code}/projector/").content.decode()
    assert "slide-recognition" in projector
    session.slide = 0
    session.save()
    projector = alice_client.get(f"/sessions/{session.code}/projector/").content.decode()
    assert "slide-group" in projector and "Tweede ronde</p>" not in projector
    # In the discussion, the difference is one of the prompts.
    move(session, Session.DISCUSSION)
    console = alice_client.get(f"/sessions/{session.code}/").content.decode()
    assert "Niet iedereen herkent de fase die de quiz geeft (3 van 4" in console

    # Each phone its own: what it recognised beside what its answers give.
    first = phones[0].get(f"/j/{session.code}/").content.decode()
    assert "Jij herkent ook ‘Ik doe’" in first
    second = phones[1].get(f"/j/{session.code}/").content.decode()
    assert "Jij herkent ‘Ik kan’; de quiz zegt ‘Ik zie’." in second
    assert "recognition-table" not in second


def test_the_csv_and_the_pdf_contain_the_recognised_phases(recognised, alice_client):
    session, _phones = recognised
    session = move(session, Session.REVEALED)
    rows = list(csv.reader(io.StringIO(reports.report_csv(session).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][-1] == "herkende fase"
    assert [row[-1] for row in rows[1:]] == ["Ik doe", "Ik kan", "Ik zie", "Ik zie"]
    if not reports.pdf_available():
        pytest.skip("WeasyPrint is not installed")
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(reports.write_pdf(reports.report_pdf_html(session))))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "wordt herkend door 1 van 4 collega’s (25%)." in text


def test_the_csv_keeps_the_small_group_rule_for_the_recognised_phase(recognising_workshop):
    session = move(recognising_workshop, Session.ANSWERING)
    for discipline in ["Marketing", "Marketing", "Directie"]:
        phone = Client()
        finish(phone, session, discipline, "2222")
        phone.post(f"/j/{session.code}/recognise/", {"phase": "ik-wil"})
    move(session, Session.REVEALED)
    rows = list(csv.reader(io.StringIO(reports.report_csv(session).lstrip("\ufeff")),
                           delimiter=";"))[1:]
    assert [row[1] for row in rows] == ["Marketing", "Marketing", ""]


# The second round

@pytest.fixture
def discussed(workshop):
    """Three colleagues answered and the group discussed the results."""
    session = move(workshop, Session.ANSWERING)
    phones = []
    for discipline, choices in [("Marketing", "1111"), ("Marketing", "2121"),
                                ("Collectie", "4243")]:
        phone = Client()
        finish(phone, session, discipline, choices)
        phones.append(phone)
    return move(session, Session.REVEALED, Session.DISCUSSION), phones


def test_a_second_round_starts_from_the_first_rounds_answers(discussed, alice_client):
    session, phones = discussed
    r = alice_client.post(f"/sessions/{session.code}/step/", {"step": "second-round"},
                          headers={"HX-Request": "true"})
    assert r.status_code == 200
    session.refresh_from_db()
    assert (session.step, session.round, session.revealed_round) == (Session.ANSWERING, 2, 1)
    assert Answer.objects.filter(round=2).count() == Answer.objects.filter(round=1).count() == 12
    assert "Tweede ronde" in r.content.decode()
    # Nothing is finished until each phone says so.
    assert build_progress(session).finished == 0
    # The phone shows every question with its first answer marked, and "done".
    html = phones[0].get(f"/j/{session.code}/").content.decode()
    assert "Na het gesprek: hoe zie je het nu?" in html
    assert html.count('aria-pressed="true"') == 4
    # Only once.
    session = move(session, Session.REVEALED)
    with pytest.raises(services.WorkshopError):
        services.open_second_round(session)


def test_a_second_round_cannot_be_opened_before_the_reveal(workshop, alice_client):
    r = alice_client.post(f"/sessions/{workshop.code}/step/", {"step": "second-round"},
                          headers={"HX-Request": "true"})
    assert r.status_code == 409
    workshop.refresh_from_db()
    assert workshop.round == 1


def test_changing_an_answer_in_the_second_round_is_one_tap(discussed):
    session, phones = discussed
    session = services.open_second_round(session)
    r = phones[0].post(f"/j/{session.code}/q/1/",
                       {"option": option_id(session, 1, 3), "from": "review"},
                       headers={"HX-Request": "true"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Na het gesprek" in html and "je eerste antwoord" in html
    participant = Participant.objects.get(number=1, session=session)
    assert dict(participant.answers.filter(round=1).values_list("question__order", "option"))[
        1] == option_id(session, 1, 1)
    assert participant.answers.get(round=2, question__order=1).option_id == option_id(
        session, 1, 3)
    r = phones[0].post(f"/j/{session.code}/done/", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "Klaar! We wachten op de anderen." in r.content.decode()
    assert build_progress(session).finished == 1


def test_the_second_round_stays_hidden_until_its_reveal(discussed, alice_client):
    session, phones = discussed
    session = services.open_second_round(session)
    phones[1].post(f"/j/{session.code}/q/2/", {"option": option_id(session, 2, 1),
                                                "from": "review"})
    # While answering, no results anywhere; when the session is closed without the second
    # reveal, the first round's figures are what is shown.
    report = alice_client.get(f"/sessions/{session.code}/report/").content.decode()
    assert "De resultaten verschijnen hier" in report
    session = move(session, Session.CLOSED)
    assert build_results(session).round == 1
    assert build_results(session).shift is None
    rows = list(csv.reader(io.StringIO(reports.report_csv(session).lstrip("\ufeff")),
                           delimiter=";"))[1:]
    assert {row[2] for row in rows} == {"1"}


def test_the_second_reveal_shows_how_the_group_moved(discussed, alice_client):
    session, phones = discussed
    session = services.open_second_round(session)
    # Two colleagues change an answer; all three say they are done.
    phones[0].post(f"/j/{session.code}/q/1/", {"option": option_id(session, 1, 4),
                                                "from": "review"})
    phones[1].post(f"/j/{session.code}/q/3/", {"option": option_id(session, 3, 4),
                                                "from": "review"})
    for phone in phones:
        assert phone.post(f"/j/{session.code}/done/").status_code == 200
    session = move(session, Session.REVEALED)
    assert session.revealed_round == 2
    results = build_results(session)
    assert results.round == 2
    shift = results.shift.shift
    assert (shift.compared, shift.changed) == (3, 2)
    assert shift.before.mean == pytest.approx((0 + 2 + 10) / 3)
    assert shift.after.mean == pytest.approx((3 + 4 + 10) / 3)

    keys = [slide.key for slide in slides.deck(session, results, False).slides]
    assert keys[:3] == ["group", "spread", "shift"]
    assert "change-1" in keys
    # The room can tell the second round's slides from the first's.
    kicker = '<p class="slide-kicker">Tweede ronde</p>'
    for key in ("group", "spread", "disciplines"):
        Session.objects.filter(pk=session.pk).update(slide=keys.index(key))
        projector = alice_client.get(f"/sessions/{session.code}/projector/").content.decode()
        assert f"slide-{key}" in projector and kicker in projector, key

    console = alice_client.get(f"/sessions/{session.code}/").content.decode()
    assert "Op minstens één vraag een ander antwoord: <strong>2</strong> van 3" in console
    phone = phones[0].get(f"/j/{session.code}/").content.decode()
    assert "In de eerste ronde: 0 (‘Ik zie’)." in phone

    rows = list(csv.reader(io.StringIO(reports.report_csv(session).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][2] == "ronde"
    assert [(row[0], row[2], row[7]) for row in rows[1:]] == [
        ("1", "1", "0"), ("1", "2", "3"), ("2", "1", "2"), ("2", "2", "4"),
        ("3", "1", "10"), ("3", "2", "10")]

    history = reports.organisation_history(session.organisation)
    assert history.rows[0].summary.mean == pytest.approx(17 / 3)  # the last round

    if not reports.pdf_available():
        pytest.skip("WeasyPrint is not installed")
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(reports.write_pdf(reports.report_pdf_html(session))))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Tweede ronde: hoe het gesprek de groep bewoog" in text
    assert "Eerste ronde" in text


def test_done_needs_every_question_answered_in_the_second_round(discussed):
    session, _phones = discussed
    session = services.open_second_round(session)
    latecomer = Client()
    join(latecomer, session, "Collectie")
    html = latecomer.get(f"/j/{session.code}/").content.decode()
    assert "Na het gesprek" in html and "disabled" in html
    r = latecomer.post(f"/j/{session.code}/done/", headers={"HX-Request": "true"})
    assert r.status_code == 400
    assert "Beantwoord eerst elke vraag." in r.content.decode()


def test_done_is_refused_in_the_first_round(workshop):
    move(workshop, Session.ANSWERING)
    phone = Client()
    finish(phone, workshop, "Marketing", "4243")
    assert phone.post(f"/j/{workshop.code}/done/").status_code == 409


def test_nobody_is_taken_out_of_the_first_rounds_results_in_the_second(discussed, alice_client):
    session, _phones = discussed
    session = services.open_second_round(session)
    r = alice_client.post(f"/sessions/{session.code}/participants/1/remove/",
                          headers={"HX-Request": "true"})
    assert r.status_code == 409
    assert session.participants.count() == 3
    console = alice_client.get(f"/sessions/{session.code}/").content.decode()
    assert 'class="remove"' not in console


def test_the_demo_session_with_both_rounds_prints_on_four_pages(db):
    """Recognition, the shift and the phase's own page still fit the board's four pages."""
    from django.core.management import call_command

    from tests.test_reports import pdf_pages

    if not reports.pdf_available():
        pytest.skip("WeasyPrint is not installed")
    call_command("demo_session")
    latest = Session.objects.filter(organisation__slug="demo").order_by("-created_at").first()
    assert latest.revealed_round == 2
    pages = pdf_pages(latest, artifacts="report-demo-both-rounds")
    assert len(pages) <= 4
    text = " ".join(pages)
    assert "Tweede ronde: hoe het gesprek de groep bewoog" in text
    assert "wordt herkend door" in text
