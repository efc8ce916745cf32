"""The phase's own tool, filled in together in the discussion (Ik zie's themes, Ik wil's focus
vote and voorlopig plan, Ik kan's Plan van Aanpak, Ik doe's leren en meten), the group's target,
and the follow-up of agreements on the organisation page and in the next session."""

import csv
import datetime
import io

import pytest
from django.test import Client
from pypdf import PdfReader

from assessments import scoring
from tests.builders import answer_all, join, move
from tests.test_reports import streamed
from workshop import reports, services
from workshop.models import Note, Session, ToolItem, ToolVote
from workshop.screens import console, phone, projector, slides


def discussion_with(session: Session, *phones_and_disciplines) -> Session:
    """Every phone joins in its discipline and answers, and the discussion begins."""
    for client, discipline in phones_and_disciplines:
        join(client, session, discipline)
    move(session, Session.ANSWERING)
    for client, _discipline in phones_and_disciplines:
        answer_all(client, session, "2222")
    return move(Session.objects.get(pk=session.pk), Session.REVEALED, Session.DISCUSSION)


@pytest.fixture
def phones():
    return [Client() for _ in range(5)]


@pytest.fixture
def discussion(workshop, phones):
    return discussion_with(workshop, (phones[0], "Marketing"), (phones[1], "Marketing"),
                           (phones[2], "Collectie"), (phones[3], "Collectie"),
                           (phones[4], "Directie"))


def vote(client: Client, session: Session, choice: str, points: int):
    return client.post(f"/j/{session.code}/tool/vote/", {"choice": choice, "points": points},
                       headers={"HX-Request": "true"})


def open_tool(client: Client, session: Session, tool: str):
    return client.post(f"/sessions/{session.code}/tool/open/", {"tool": tool},
                       headers={"HX-Request": "true"})


def csv_rows(session: Session) -> list[list[str]]:
    return list(csv.reader(io.StringIO(reports.report_csv(session).lstrip("\ufeff")),
                           delimiter=";"))


# The arithmetic, without a database.


def test_it_tallies_points_per_choice_and_per_discipline_with_the_small_group_rule():
    ballots = [("Marketing", {"aanbod": 2, "bereik": 1}), ("Marketing", {"bereik": 3}),
               ("Collectie", {"impact": 3}), ("Directie", {"inkomsten": 3}),
               ("Collectie", {"impact": 1, "aanbod": 2}), ("ICT", {}),
               ("Marketing", {"stale-choice": 3})]
    tally = scoring.tally_votes(["aanbod", "bereik", "impact", "inkomsten"], ballots)
    assert tally.totals == {"aanbod": 4, "bereik": 4, "impact": 4, "inkomsten": 3}
    assert tally.voters == 5  # no points, or only points for a choice not offered: no vote
    assert tally.ranked[0] == ("aanbod", 4)  # ties in the order offered
    assert [(d.name, d.voters) for d in tally.disciplines] == [("Collectie", 2),
                                                               ("Marketing", 2)]
    assert tally.hidden == 1  # Directie alone: not even "Overige" can hide one voter


def test_lone_voters_are_shown_together_as_other_when_there_are_two():
    tally = scoring.tally_votes(["a", "b"], [("X", {"a": 1}), ("Y", {"b": 1}),
                                             ("Z", {"a": 1}), ("Z", {"a": 1})])
    assert [(d.name, d.voters, d.points) for d in tally.disciplines] == [
        ("Z", 2, {"a": 2, "b": 0}), (scoring.OTHER_DISCIPLINE, 2, {"a": 1, "b": 1})]
    assert tally.hidden == 0


# Ik wil: the focus vote and the voorlopig plan.


def test_opening_a_tool_puts_its_slides_on_the_beamer(alice_client, discussion):
    keys = [s.key for s in slides.deck(discussion, None, discussion=True).slides]
    assert "vote" not in keys and "plan" not in keys
    r = open_tool(alice_client, discussion, "ik-wil")
    assert r.status_code == 200 and 'id="tool-editor"' in r.text
    session = Session.objects.get()
    assert session.tool == "ik-wil" and session.slide == slides.TOOL_SLIDE_INDEX
    context = projector.live_context(session)
    assert context["deck"].current.key == "vote"
    assert [s.key for s in context["deck"].slides][6:] == ["vote", "plan", "notes"]
    # The phones follow: the prompt, and a place that loads each phone's own vote.
    stage = phone.render_stage(session, "nl", phone.stage_context(session))
    assert "Verdeel 3 punten over aanbod, bereik, impact en inkomsten" in stage
    assert f"/j/{session.code}/tool/vote/" in stage
    assert open_tool(alice_client, discussion, "ik-weet-niet").status_code == 400


def test_phones_spread_three_points_and_the_projector_adds_them_up(alice_client, discussion,
                                                                   phones):
    open_tool(alice_client, discussion, "ik-wil")
    session = Session.objects.get()
    r = vote(phones[0], session, "bereik", 2)
    assert r.status_code == 200 and 'data-left="1"' in r.text
    assert vote(phones[0], session, "aanbod", 1).status_code == 200
    # No points left: a fourth is refused with a message, and nothing changes.
    r = vote(phones[0], session, "impact", 1)
    assert r.status_code == 400 and 'class="phone-error"' in r.text
    assert r["HX-Retarget"] == "#phone-alert"
    # The phone sends the number it wants: sent twice, it counts once.
    for client in phones[1:4]:
        assert vote(client, session, "bereik", 3).status_code == 200
        assert vote(client, session, "bereik", 3).status_code == 200
    vote(phones[4], session, "inkomsten", 3)
    assert vote(phones[0], session, "bereik", 1).status_code == 200  # taken back to one
    tool = projector.live_context(session)["tool"]
    assert tool.tally.totals == {"aanbod": 1, "bereik": 10, "impact": 0, "inkomsten": 3}
    assert tool.tally.voters == 5
    # Per discipline: Marketing and Collectie have two voters each; Directie's one is hidden.
    assert [(row.name, row.cells) for row in tool.discipline_rows] == [
        ("Collectie", [0, 6, 0, 0]), ("Marketing", [1, 4, 0, 0])]
    html = projector.render_live(session.code, "nl")
    assert "Bereik" in html and "Collectie" in html and "Directie" not in html
    assert tool.tally.hidden == 1


def test_a_phone_sees_its_own_vote_when_it_comes_back(alice_client, discussion, phones):
    open_tool(alice_client, discussion, "ik-wil")
    session = Session.objects.get()
    vote(phones[0], session, "impact", 3)
    r = phones[0].get(f"/j/{session.code}/tool/vote/", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert '>3</output>' in r.text and 'data-left="0"' in r.text


@pytest.mark.parametrize("data, status", [
    ({"choice": "bereik", "points": "veel"}, 400),
    ({"choice": "bereik", "points": "4"}, 400),
    ({"choice": "bereik", "points": "-1"}, 400),
    ({"choice": "winst", "points": "1"}, 400),
    ({}, 400),
])
def test_bad_votes_get_a_clear_message(alice_client, discussion, phones, data, status):
    open_tool(alice_client, discussion, "ik-wil")
    r = phones[0].post(f"/j/{discussion.code}/tool/vote/", data, headers={"HX-Request": "true"})
    assert r.status_code == status
    assert 'class="phone-error"' in r.text
    assert not ToolVote.objects.exists()


def test_votes_close_with_the_discussion_and_need_a_participant(alice_client, discussion,
                                                                phones):
    open_tool(alice_client, discussion, "ik-wil")
    assert Client().post(f"/j/{discussion.code}/tool/vote/",
                         {"choice": "bereik", "points": 1}).status_code == 403
    move(Session.objects.get(), Session.CLOSED)
    assert vote(phones[0], discussion, "bereik", 1).status_code == 409
    assert not ToolVote.objects.exists()


def test_the_facilitator_records_the_voorlopig_plan(alice_client, discussion):
    open_tool(alice_client, discussion, "ik-wil")
    plan = {"tool": "ik-wil", "richten": "Bereik: jongeren online",
            "doen": "Een pilot met korte video's", "opleveren": "Nieuw publiek onder de 30",
            "financieren": "Uit het marketingbudget en een fondsaanvraag"}
    r = alice_client.post(f"/sessions/{discussion.code}/tool/plan/", plan,
                          headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Een pilot met korte video" in r.text
    # Saved again with one text changed and one emptied: one item per question.
    alice_client.post(f"/sessions/{discussion.code}/tool/plan/",
                      plan | {"doen": "Twee pilots", "opleveren": ""})
    texts = dict(ToolItem.objects.values_list("field", "text"))
    assert texts == {"richten": "Bereik: jongeren online", "doen": "Twee pilots",
                     "financieren": "Uit het marketingbudget en een fondsaanvraag"}
    session = Session.objects.get()
    services.show_slide(session, slides.TOOL_SLIDE_INDEX + 1, 99)
    html = projector.render_live(session.code, "nl")
    assert "Voorlopig plan" in html and "Twee pilots" in html
    assert "Hoe financieren we dat?" in html


def test_a_plan_for_no_known_tool_is_refused_with_its_reason(alice_client, discussion):
    r = alice_client.post(f"/sessions/{discussion.code}/tool/plan/",
                          {"tool": "ik-niets", "richten": "x"}, headers={"HX-Request": "true"})
    assert r.status_code == 400
    assert "Voor die fase is er geen tool." in r.text
    assert not ToolItem.objects.exists()


def test_other_organisations_cannot_touch_the_tool(bob_client, discussion, phones):
    assert open_tool(bob_client, discussion, "ik-wil").status_code == 404
    assert bob_client.post(f"/sessions/{discussion.code}/tool/plan/",
                           {"tool": "ik-wil", "doen": "x"}).status_code == 404
    assert bob_client.get(f"/sessions/{discussion.code}/tool/").status_code == 404


# Ik zie: the inspiration themes.


def test_phones_mark_two_themes_at_most_and_the_projector_ranks_them(alice_client, discussion,
                                                                     phones):
    open_tool(alice_client, discussion, "ik-zie")
    session = Session.objects.get()
    assert vote(phones[0], session, "datagedreven", 1).status_code == 200
    assert vote(phones[0], session, "social-engagement", 1).status_code == 200
    r = vote(phones[0], session, "contentcuratie", 1)
    assert r.status_code == 400 and 'class="phone-error"' in r.text
    assert vote(phones[0], session, "social-engagement", 0).status_code == 200  # unmarked
    for client in phones[1:]:
        vote(client, session, "datagedreven", 1)
    tool = projector.live_context(session)["tool"]
    assert [(bar.choice.slug, bar.points) for bar in tool.ranking][:2] == [
        ("datagedreven", 5), ("online-personalisatie", 0)]
    # The result: who explores which theme.
    r = alice_client.post(f"/sessions/{session.code}/tool/items/",
                          {"tool": "ik-zie", "part": "verkennen", "text": "Datagedreven werken",
                           "owner": "Ans"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Datagedreven werken" in r.text and "Ans" in r.text


# Ik kan: the Plan van Aanpak, with suggestions from the phones.


def test_phones_suggest_and_the_facilitator_takes_them_into_the_plan(alice_client, discussion,
                                                                     phones):
    open_tool(alice_client, discussion, "ik-kan")
    session = Session.objects.get()
    assert projector.live_context(session)["deck"].current.key == "plan"
    stage = phone.render_stage(session, "nl", phone.stage_context(session))
    assert "Stel een punt voor" in stage and 'name="part" value="activiteiten"' in stage
    r = phones[0].post(f"/j/{session.code}/tool/suggest/",
                       {"part": "activiteiten", "text": "Publieksonderzoek onder jongeren"},
                       headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'id="tool-suggest"' in r.text
    suggestion = ToolItem.objects.get()
    assert suggestion.suggested
    # Waiting: on the console, not yet on the projector.
    assert "Publieksonderzoek" in console.render_live(session.code, "nl")
    assert "Publieksonderzoek" not in projector.render_live(session.code, "nl")
    r = alice_client.post(f"/sessions/{session.code}/tool/items/{suggestion.pk}/accept/",
                          headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "Publieksonderzoek" in projector.render_live(session.code, "nl")
    # An activity with an owner and a date.
    alice_client.post(f"/sessions/{session.code}/tool/items/",
                      {"tool": "ik-kan", "part": "activiteiten", "text": "Pilot met de app",
                       "owner": "Bram", "due": "2026-09-01"})
    item = ToolItem.objects.get(text="Pilot met de app")
    assert (item.owner, item.due) == ("Bram", datetime.date(2026, 9, 1))
    assert "Bram" in projector.render_live(session.code, "nl")


@pytest.mark.parametrize("data", [
    {"part": "activiteiten", "text": ""},
    {"part": "activiteiten", "text": "x" * 501},
    {"part": "begroting", "text": "Een post"},
])
def test_bad_suggestions_get_a_clear_message(alice_client, discussion, phones, data):
    open_tool(alice_client, discussion, "ik-kan")
    r = phones[0].post(f"/j/{discussion.code}/tool/suggest/", data,
                       headers={"HX-Request": "true"})
    assert r.status_code == 400 and 'class="phone-error"' in r.text
    assert not ToolItem.objects.exists()


def test_a_tool_without_suggestions_refuses_them(alice_client, discussion, phones):
    open_tool(alice_client, discussion, "ik-wil")
    r = phones[0].post(f"/j/{discussion.code}/tool/suggest/",
                       {"part": "doen", "text": "Iets"}, headers={"HX-Request": "true"})
    assert r.status_code == 400


# Ik doe: leren en meten.


def test_kpis_get_how_and_when_and_activities_their_kind(alice_client, discussion):
    open_tool(alice_client, discussion, "ik-doe")
    url = f"/sessions/{discussion.code}/tool/items/"
    alice_client.post(url, {"tool": "ik-doe", "part": "kpis", "text": "500 abonnees",
                            "how": "Telling in het ticketsysteem", "when": "Elk kwartaal"})
    alice_client.post(url, {"tool": "ik-doe", "part": "activiteiten", "text": "Nieuwsbrief",
                            "mode": "predictable"})
    alice_client.post(url, {"tool": "ik-doe", "part": "activiteiten", "text": "AR-proef",
                            "mode": "learn"})
    alice_client.post(url, {"tool": "ik-doe", "part": "leerinzichten",
                            "text": "Kleine proeven leren ons meer dan één groot plan",
                            "owner": "wordt genegeerd"})
    kpi = ToolItem.objects.get(field="kpis")
    assert (kpi.how, kpi.when) == ("Telling in het ticketsysteem", "Elk kwartaal")
    assert ToolItem.objects.get(field="leerinzichten").owner == ""  # not a part of insights
    html = projector.render_live(discussion.code, "nl")
    assert "om te leren" in html and "voorspelbaar" in html
    assert "Elk kwartaal" in html
    r = alice_client.post(url, {"tool": "ik-doe", "part": "activiteiten", "text": "x",
                                "mode": "misschien"}, headers={"HX-Request": "true"})
    assert r.status_code == 400
    r = alice_client.post(url, {"tool": "ik-doe", "part": "richten", "text": "x"},
                          headers={"HX-Request": "true"})
    assert r.status_code == 400 and "role=\"alert\"" in r.text


# The result in the report, after the session too.


@pytest.fixture
def recorded(alice_client, discussion, phones):
    """Ik wil with votes, a voorlopig plan and a target, closed."""
    open_tool(alice_client, discussion, "ik-wil")
    for client in phones:
        vote(client, discussion, "bereik", 2)
        vote(client, discussion, "inkomsten", 1)
    alice_client.post(f"/sessions/{discussion.code}/tool/plan/",
                      {"tool": "ik-wil", "richten": "Bereik onder jongeren",
                       "financieren": "Fondsaanvraag bij het stadsfonds"})
    alice_client.post(f"/sessions/{discussion.code}/target/",
                      {"phase": "ik-kan", "date": "2027-06-01"})
    return move(Session.objects.get(), Session.CLOSED)


def test_the_report_pdf_and_csv_carry_the_tool_and_the_target(alice_client, recorded):
    r = alice_client.get(f"/sessions/{recorded.code}/report/")
    assert "Bereik onder jongeren" in r.text and "Voorlopig plan" in r.text
    assert f"/sessions/{recorded.code}/tool/" in r.text  # editable after the session
    reader = PdfReader(io.BytesIO(streamed(alice_client.get(
        f"/sessions/{recorded.code}/report.pdf"))))
    pages = [page.extract_text() for page in reader.pages]
    tool_pages = [text for text in pages if "Voorlopig plan" in text]
    assert tool_pages, pages
    assert "Fondsaanvraag bij het stadsfonds" in tool_pages[0]
    assert "Ik kan" in tool_pages[0] and "2027" in tool_pages[0]
    # A page of its own: the tool's page does not carry the group's results.
    assert "Waar plaatst ieder de organisatie" not in tool_pages[0]
    rows = csv_rows(recorded)
    assert len(rows[0]) > 2 and rows[6] == []  # five participants, then an empty row
    tail = rows[7:]
    assert ["Bereik", "10"] in [row[1:3] for row in tail]
    assert any(row[:2] == ["Hoe financieren we dat?", "Fondsaanvraag bij het stadsfonds"]
               for row in tail)
    assert tail[-1][1:] == ["Ik kan", "2027-06-01"]


def test_the_result_stays_editable_after_the_session(alice_client, recorded):
    assert alice_client.get(f"/sessions/{recorded.code}/tool/").status_code == 200
    r = alice_client.post(f"/sessions/{recorded.code}/tool/plan/",
                          {"tool": "ik-wil", "doen": "Drie pilots, één per seizoen"})
    assert r.status_code == 302
    assert "Drie pilots" in alice_client.get(f"/sessions/{recorded.code}/report/").text


def test_an_empty_tool_and_no_target_leave_the_csv_as_it_was(alice_client, discussion):
    open_tool(alice_client, discussion, "ik-kan")
    rows = csv_rows(Session.objects.get())
    assert len(rows) == 6 and [] not in rows


# The target and the follow-up.


def test_a_target_needs_a_date_and_a_known_phase(alice_client, discussion):
    url = f"/sessions/{discussion.code}/target/"
    r = alice_client.post(url, {"phase": "ik-kan"}, headers={"HX-Request": "true"})
    assert r.status_code == 400 and 'role="alert"' in r.text
    assert alice_client.post(url, {"phase": "ik-vlieg", "date": "2027-01-01"}).status_code == 400
    assert alice_client.post(url, {"phase": "ik-kan", "date": "morgen"}).status_code == 400
    assert Session.objects.get().target_phase == ""
    assert alice_client.post(url, {"phase": "ik-kan", "date": "2027-01-01"}).status_code == 302
    session = Session.objects.get()
    assert (session.target_phase, session.target_date) == ("ik-kan", datetime.date(2027, 1, 1))
    keys = [s.key for s in projector.live_context(session)["deck"].slides]
    assert keys[-1] == "target"


def test_the_organisation_page_shows_the_target_and_how_far_the_next_session_went(
        alice_client, recorded, museum, alice):
    later = services.create_session(museum, "Een jaar later", ["Marketing"], created_by=alice)
    later.created_at = recorded.created_at + datetime.timedelta(days=300)
    later.save()
    a, b = Client(), Client()
    join(a, later, "Marketing")
    join(b, later, "Marketing")
    move(later, Session.ANSWERING)
    answer_all(a, later, "4243")
    answer_all(b, later, "4243")
    move(Session.objects.get(pk=later.pk), Session.REVEALED)
    history = reports.organisation_history(museum)
    target = history.targets[0]
    assert target.phase.slug == "ik-kan" and target.next_session.pk == later.pk
    assert target.start is not None and target.now > target.start
    assert history.chart.target is not None
    r = alice_client.get(f"/organisations/{museum.slug}/")
    assert 'class="target-line"' in r.text
    assert "Ik kan" in r.text and "1-6-2027" in r.text or "01-06-2027" in r.text


def test_agreements_of_earlier_sessions_are_followed_up(alice_client, bob_client, discussion,
                                                       museum, alice):
    agreement = services.add_note(discussion, Note.AGREEMENT, "Inspiratiesessie plannen", "Ans")
    services.add_note(discussion, Note.NOTE, "Een losse notitie")
    r = alice_client.get(f"/organisations/{museum.slug}/")
    assert "Inspiratiesessie plannen" in r.text and "Een losse notitie" not in r.text
    # The next session begins with the open ones: a slide in the lobby, a list in the console.
    later = services.create_session(museum, "Vervolg", ["Marketing"], created_by=alice)
    context = projector.live_context(later)
    assert [s.key for s in context["deck"].slides] == ["join", "review"]
    services.show_slide(later, 1, 2)
    assert "Inspiratiesessie plannen" in projector.render_live(later.code, "nl")
    assert "Inspiratiesessie plannen" in alice_client.get(f"/sessions/{later.code}/").text
    # Marked done (from either page): no longer open, no review slide.
    url = f"/agreements/{agreement.pk}/done/"
    assert bob_client.post(url, {"done": "1"}).status_code == 404
    r = alice_client.post(url, {"done": "1"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'aria-pressed="true"' in r.text
    assert Note.objects.get(pk=agreement.pk).done
    assert [s.key for s in projector.live_context(later)["deck"].slides] == ["join"]
    alice_client.post(url, {"done": "0"})
    assert not Note.objects.get(pk=agreement.pk).done
    note = Note.objects.get(kind=Note.NOTE)
    assert alice_client.post(f"/agreements/{note.pk}/done/", {"done": "1"}).status_code == 404


def test_the_pages_with_a_tool_are_valid_html(alice_client, recorded, phones, tmp_path):
    import json
    import shutil
    import subprocess

    from tests.test_html_validity import vnu_jar

    if shutil.which("java") is None:
        pytest.skip("the Nu validator needs Java")
    code = recorded.code
    Session.objects.filter(pk=recorded.pk).update(step=Session.DISCUSSION,
                                                  slide=slides.TOOL_SLIDE_INDEX)
    pages = {"console": (alice_client, f"/sessions/{code}/"),
             "projector": (alice_client, f"/sessions/{code}/projector/"),
             "phone": (phones[0], f"/j/{code}/"),
             "tool page": (alice_client, f"/sessions/{code}/tool/"),
             "report": (alice_client, f"/sessions/{code}/report/"),
             "organisation": (alice_client, f"/organisations/{recorded.organisation.slug}/")}
    files = {}
    for name, (client, url) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        path = tmp_path / f"{name.replace(' ', '-')}.html"
        path.write_text(response.text, encoding="utf-8")
        files[str(path)] = name
    result = subprocess.run(["java", "-jar", str(vnu_jar()), "--errors-only", "--format", "json",
                             *files], capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = sorted({(files.get(m.get("url", "").removeprefix("file:")), m.get("message"))
                     for m in messages})
    assert errors == []
