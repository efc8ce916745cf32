"""Facilitators: open a session, run it step by step, record notes; only their organisation's."""

import pytest

from tests.builders import answer_all, join, move
from workshop.models import DEFAULT_DISCIPLINES, Note, Session


def test_it_sends_anonymous_visitors_to_the_login(client, workshop):
    r = client.get(f"/sessions/{workshop.code}/")
    assert r.status_code == 302
    assert r["Location"].startswith("/login/")


def test_it_prefills_the_disciplines(alice_client, questionnaire):
    r = alice_client.get("/sessions/new/")
    assert r.status_code == 200
    for discipline in DEFAULT_DISCIPLINES:
        assert discipline.replace("&", "&amp;") in r.text


def test_it_creates_a_session(alice_client, museum, questionnaire):
    r = alice_client.post("/sessions/new/", {
        "title": "Teamdag", "organisation": museum.pk, "questionnaire": questionnaire.pk,
        "disciplines": "Marketing\n\n  Directie \nMarketing\nICT", "auto_reveal": "on",
    })
    session = Session.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/sessions/{session.code}/"
    assert session.disciplines == ["Marketing", "Directie", "ICT"]
    assert session.auto_reveal and session.step == Session.LOBBY
    assert session.questionnaire == questionnaire
    assert len(session.code) == 6 and not set(session.code) & set("0O1IL")


def test_it_refuses_a_session_for_another_organisation(alice_client, theatre, questionnaire):
    r = alice_client.post("/sessions/new/", {
        "title": "Overname", "organisation": theatre.pk, "disciplines": "Marketing",
        "questionnaire": questionnaire.pk,
    })
    assert r.status_code == 400
    assert not Session.objects.exists()


def test_the_console_shows_code_link_and_qr(alice_client, workshop):
    r = alice_client.get(f"/sessions/{workshop.code}/")
    assert r.status_code == 200
    assert workshop.code in r.text
    assert f"http://testserver/j/{workshop.code}/" in r.text
    assert "<svg" in r.text and "<path" in r.text  # the QR code
    assert f'ws-connect="/ws/f/{workshop.code}/"' in r.text


def test_the_console_shows_progress_but_not_answers(alice_client, workshop, phone, phone2):
    join(phone, workshop, "Marketing", "Ans")
    join(phone2, workshop, "Directie", "<b>Bram</b>")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    r = alice_client.get(f"/sessions/{workshop.code}/")
    assert "1 van de 2 klaar" in r.text
    assert "Ans" in r.text
    assert "&lt;b&gt;Bram&lt;/b&gt;" in r.text and "<b>Bram</b>" not in r.text
    assert "Dagelijks" not in r.text  # no answers before the reveal
    assert "Fase van de groep" not in r.text


def test_the_console_lists_the_latest_phones_with_their_own_progress(workshop):
    """Only the latest `limit` phones are listed by name, each with how far it is; the counts
    (joined, finished, by discipline) are everyone's."""
    from django.test import Client

    from tests.builders import answer
    from workshop.results import build_progress

    phones = [Client() for _ in range(5)]
    for i, phone in enumerate(phones):
        join(phone, workshop, "Marketing" if i % 2 else "Directie", f"P{i + 1}")
    session = move(workshop, Session.ANSWERING)
    answer_all(phones[0], session, "1111")  # the first phone finished, but is not listed
    for i, phone in enumerate(phones[2:], start=2):
        for question in range(1, i):  # P3 one answer, P4 two, P5 three
            assert answer(phone, session, question, 1).status_code == 200
    progress = build_progress(session, limit=3)
    assert [(row.participant.name, row.answered) for row in progress.rows] == [
        ("P5", 3), ("P4", 2), ("P3", 1)]
    assert (progress.joined, progress.finished, progress.not_listed) == (5, 1, 2)
    assert dict(progress.by_discipline) == {"Marketing": 2, "Directie": 3}
    assert build_progress(session, limit=0).rows == []


def test_the_lobby_s_progress_reads_no_answers(workshop, phone, phone2):
    """Nobody can have answered in the lobby (answering has not started, and no step leads
    back to it): the console's and projector's renders there count no answers."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workshop.models import Answer
    from workshop.results import build_progress

    join(phone, workshop, "Marketing", "Ans")
    join(phone2, workshop, "Directie", "Bram")
    build_progress(workshop)  # the questionnaire is read once per process, then kept
    with CaptureQueriesContext(connection) as queries:
        progress = build_progress(workshop)
    assert not any(Answer._meta.db_table in q["sql"] for q in queries.captured_queries)
    assert len(queries.captured_queries) == 2  # the counts by discipline, the names listed
    assert [(row.participant.name, row.answered, row.finished) for row in progress.rows] == [
        ("Bram", 0, False), ("Ans", 0, False)]
    assert (progress.joined, progress.finished) == (2, 0)


def _rows_rendered(monkeypatch) -> list[str]:
    """The labels of the console rows rendered from here on (kept rows are not rendered)."""
    from workshop.screens import console

    rendered = []
    render_row = console._render_row

    def counting(row, *args, **kwargs):
        rendered.append(row.label)
        return render_row(row, *args, **kwargs)

    monkeypatch.setattr(console, "_render_row", counting)
    return rendered


def test_a_pushed_console_renders_only_the_rows_that_changed(workshop, phone, phone2,
                                                             monkeypatch):
    """While a room joins or answers the console is pushed a few times a second; a row is
    rendered once for what it shows, and a change (an answer, a join) shows in the next push."""
    from tests.builders import answer
    from workshop.screens import console

    join(phone, workshop, "Marketing", "Ans")
    join(phone2, workshop, "Directie", "<b>Bram</b>")
    rendered = _rows_rendered(monkeypatch)
    first = console.render_live(workshop.code, "nl")
    assert sorted(rendered) == ["<b>Bram</b>", "Ans"]
    assert "&lt;b&gt;Bram&lt;/b&gt;" in first and "<b>Bram</b>" not in first
    assert "Ans uit de sessie halen" in first and "0/4" in first

    rendered.clear()
    assert console.render_live(workshop.code, "nl") == first
    assert rendered == []  # nothing changed: every row was kept

    session = move(workshop, Session.ANSWERING)
    answer(phone, session, 1, 1)
    pushed = console.render_live(workshop.code, "nl")
    assert rendered == ["Ans"] and "1/4" in pushed and "0/4" in pushed

    english = console.render_live(workshop.code, "en")
    assert "Remove Ans" in english and "uit de sessie halen" not in english

    rendered.clear()
    answer_all(phone, session, "1111")
    pushed = console.render_live(workshop.code, "nl")
    # Finished: the bar is full and the remove button is gone.
    assert rendered == ["Ans"] and "4/4" in pushed and "Ans uit de sessie halen" not in pushed
    assert 'class="finished"' in pushed


def test_no_request_s_csrf_token_is_kept_in_a_console_row(alice_client, workshop, phone):
    """The page renders its rows with the request (the remove form's token, for a browser
    without JavaScript); a pushed row, kept for every later push, never carries one."""
    from workshop.screens import console

    join(phone, workshop, "Marketing", "Ans")
    page = alice_client.get(f"/sessions/{workshop.code}/").text
    form = page[page.index('<form class="remove"'):]
    assert 'name="csrfmiddlewaretoken"' in form[:form.index("</form>")]
    pushed = console.render_live(workshop.code, "nl")
    assert "Ans uit de sessie halen" in pushed and "csrfmiddlewaretoken" not in pushed


@pytest.mark.parametrize("steps", [
    [Session.ANSWERING],
    [Session.ANSWERING, Session.REVEALED],
    [Session.ANSWERING, Session.REVEALED, Session.DISCUSSION],
    [Session.ANSWERING, Session.REVEALED, Session.ANSWERING],
    [Session.ANSWERING, Session.REVEALED, Session.DISCUSSION, Session.REVEALED],
    [Session.ANSWERING, Session.REVEALED, Session.DISCUSSION, Session.CLOSED],
    [Session.CLOSED],
])
def test_it_moves_through_the_steps(alice_client, workshop, steps):
    for step in steps:
        r = alice_client.post(f"/sessions/{workshop.code}/step/", {"step": step},
                              headers={"HX-Request": "true"})
        assert r.status_code == 200
        assert 'id="console-live"' in r.text
    workshop.refresh_from_db()
    assert workshop.step == steps[-1]


@pytest.mark.parametrize("start,target", [
    ([], Session.REVEALED),
    ([], Session.DISCUSSION),
    ([Session.ANSWERING], Session.DISCUSSION),
    ([Session.CLOSED], Session.ANSWERING),
    ([], "bogus"),
])
def test_it_refuses_a_step_it_cannot_take(alice_client, workshop, start, target):
    move(workshop, *start)
    r = alice_client.post(f"/sessions/{workshop.code}/step/", {"step": target},
                          headers={"HX-Request": "true"})
    assert r.status_code == 409
    assert "De sessie kan niet van" in r.text
    workshop.refresh_from_db()
    assert workshop.step == (start[-1] if start else Session.LOBBY)


def test_a_replayed_reveal_changes_nothing(alice_client, workshop):
    move(workshop, Session.ANSWERING)
    url = f"/sessions/{workshop.code}/step/"
    assert alice_client.post(url, {"step": Session.REVEALED}).status_code == 302
    revealed_at = Session.objects.get().revealed_at
    assert alice_client.post(url, {"step": Session.REVEALED}).status_code == 409
    assert Session.objects.get().revealed_at == revealed_at


def test_it_shows_the_results_after_the_reveal(alice_client, workshop, phone, phone2):
    join(phone, workshop, "Marketing")
    join(phone2, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    answer_all(phone2, workshop, "3232")
    move(workshop, Session.REVEALED)
    r = alice_client.get(f"/sessions/{workshop.code}/")
    assert "Fase van de groep" in r.text
    assert "Ik doe" in r.text  # mean (10 + 7) / 2 = 8.5
    assert "<strong>8,5</strong>" in r.text
    assert "1 van de 2 koos hetzelfde antwoord." in r.text


def test_it_shows_the_phase_content_in_the_discussion(alice_client, workshop, phone, phone2):
    join(phone, workshop, "Marketing")
    join(phone2, workshop, "Directie")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "1111")
    answer_all(phone2, workshop, "2111")
    move(workshop, Session.REVEALED, Session.DISCUSSION)
    r = alice_client.get(f"/sessions/{workshop.code}/")
    assert "Bespreking: Ik zie" in r.text
    assert "Inspiratieposters" in r.text  # the phase's tool
    assert "Noorderkerkconcerten" in r.text  # its sector story
    assert "Aan het eind van deze fase kan de organisatie zeggen" in r.text


# The auto-reveal follows the commit of the last answer (services._progress_made).
@pytest.mark.django_db(transaction=True)
def test_it_reveals_automatically_when_everyone_has_finished(workshop, phone, phone2):
    Session.objects.filter(pk=workshop.pk).update(auto_reveal=True)
    join(phone, workshop, "Marketing")
    join(phone2, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    assert Session.objects.get().step == Session.ANSWERING
    answer_all(phone2, workshop, "4243")
    assert Session.objects.get().step == Session.REVEALED


def test_it_does_not_reveal_automatically_unless_asked(workshop, phone):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    assert Session.objects.get().step == Session.ANSWERING


def test_it_records_notes_and_agreements(alice_client, workshop):
    url = f"/sessions/{workshop.code}/notes/"
    r = alice_client.post(url, {"kind": "note", "text": "Marketing ziet meer projecten"},
                          headers={"HX-Request": "true"})
    assert r.status_code == 200
    r = alice_client.post(url, {"kind": "agreement", "text": "Inspiratiesessie plannen",
                                "owner": "Ans"}, headers={"HX-Request": "true"})
    assert "Inspiratiesessie plannen" in r.text and "Ans" in r.text
    assert list(workshop.notes.values_list("kind", "text", "owner")) == [
        ("note", "Marketing ziet meer projecten", ""),
        ("agreement", "Inspiratiesessie plannen", "Ans"),
    ]


def test_it_rejects_an_empty_or_huge_note(alice_client, workshop):
    url = f"/sessions/{workshop.code}/notes/"
    assert alice_client.post(url, {"kind": "note", "text": ""}).status_code == 400
    assert alice_client.post(url, {"kind": "note", "text": "x" * 5000}).status_code == 400
    assert alice_client.post(url, {"kind": "gossip", "text": "x"}).status_code == 400
    assert not Note.objects.exists()


def test_the_projector_never_shows_names(alice_client, workshop, phone, phone2):
    join(phone, workshop, "Marketing", "Annemarie")
    join(phone2, workshop, "Marketing", "Bartholomeus")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    answer_all(phone2, workshop, "1111")
    for step in [Session.ANSWERING, Session.REVEALED, Session.DISCUSSION]:
        Session.objects.filter(pk=workshop.pk).update(step=step)
        r = alice_client.get(f"/sessions/{workshop.code}/projector/")
        assert r.status_code == 200
        assert "Annemarie" not in r.text and "Bartholomeus" not in r.text
        assert workshop.code in r.text


@pytest.mark.parametrize("method,path", [
    ("get", "/sessions/{code}/"),
    ("get", "/sessions/{code}/projector/"),
    ("post", "/sessions/{code}/step/"),
    ("post", "/sessions/{code}/notes/"),
])
def test_another_organisation_gets_404_on_every_session_url(bob_client, workshop, method, path):
    url = path.format(code=workshop.code)
    r = getattr(bob_client, method)(url, {"step": "answering", "kind": "note", "text": "x"}
                                    if method == "post" else None)
    assert r.status_code == 404
    workshop.refresh_from_db()
    assert workshop.step == Session.LOBBY and not workshop.notes.exists()


def test_the_dashboard_lists_only_own_sessions(alice_client, bob_client, workshop):
    assert workshop.title in alice_client.get("/sessions/").text
    assert workshop.title not in bob_client.get("/sessions/").text


def test_step_changes_need_post(alice_client, workshop):
    assert alice_client.get(f"/sessions/{workshop.code}/step/").status_code == 405


# The auto-reveal follows the commit of the last answer (services._progress_made).
@pytest.mark.django_db(transaction=True)
def test_a_removed_phone_no_longer_holds_up_the_auto_reveal(alice_client, workshop, phone,
                                                             phone2):
    Session.objects.filter(pk=workshop.pk).update(auto_reveal=True)
    join(phone, workshop, "Marketing")
    gone = join(phone2, workshop, "Directie")  # joins, then leaves without answering
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    assert Session.objects.get().step == Session.ANSWERING
    r = alice_client.post(f"/sessions/{workshop.code}/participants/{gone.number}/remove/",
                          headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert Session.objects.get().step == Session.REVEALED
    assert list(workshop.participants.values_list("discipline", flat=True)) == ["Marketing"]


def test_the_console_offers_to_remove_only_unfinished_phones_before_the_reveal(
        alice_client, workshop, phone, phone2):
    done = join(phone, workshop, "Marketing", "Klaar")
    gone = join(phone2, workshop, "Directie", "<b>Weg</b>")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    page = alice_client.get(f"/sessions/{workshop.code}/").text
    assert "&lt;b&gt;Weg&lt;/b&gt; verwijderen" in page and "Klaar verwijderen" not in page
    assert "<b>Weg" not in page
    address = f"/sessions/{workshop.code}/participants/{gone.number}/remove/"
    assert (f'action="{address}" data-hx-post="{address}"' in page
            and 'data-hx-confirm="&lt;b&gt;Weg&lt;/b&gt; uit de sessie halen? De antwoorden '
                'worden verwijderd en niemand wacht nog op deze deelnemer."' in page)
    move(Session.objects.get(), Session.REVEALED)
    assert "verwijderen" not in alice_client.get(f"/sessions/{workshop.code}/").text
    r = alice_client.post(f"/sessions/{workshop.code}/participants/{done.number}/remove/")
    assert r.status_code == 409 and workshop.participants.count() == 2


def test_removing_a_participant_who_is_gone_answers_404(alice_client, workshop):
    r = alice_client.post(f"/sessions/{workshop.code}/participants/99/remove/")
    assert r.status_code == 404


def test_another_organisation_cannot_remove_or_resend(bob_client, workshop, phone):
    someone = join(phone, workshop, "Marketing")
    for url in (f"/sessions/{workshop.code}/participants/{someone.number}/remove/",
                f"/sessions/{workshop.code}/resend/"):
        assert bob_client.post(url).status_code == 404
    assert workshop.participants.count() == 1
