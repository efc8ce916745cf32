"""The projector's slides: which there are per step, moving through them from the console, and
the phones and latecomers following the discussion."""

import pytest
from channels.db import database_sync_to_async

from tests.builders import answer_all, join, move
from tests.test_live import facilitator_socket, receive_until, socket
from workshop.models import Note, Session
from workshop.results import build_results
from workshop.screens import slides


@pytest.fixture
def revealed(workshop, phone, phone2):
    join(phone, workshop, "Marketing")
    join(phone2, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    answer_all(phone2, workshop, "1111")
    return move(Session.objects.get(), Session.REVEALED)


def keys(session: Session, discussion: bool = False) -> list[str]:
    session = Session.objects.get(pk=session.pk)
    results = build_results(session) if session.results_visible else None
    return [slide.key for slide in slides.deck(session, results, discussion).slides]


def test_each_step_has_its_slides(museum, revealed):
    from workshop.services import create_session

    lobby = create_session(museum, "Nog in de wachtruimte", ["Marketing"])
    assert keys(lobby) == ["join"]
    assert keys(move(lobby, Session.ANSWERING)) == ["progress"]
    assert keys(revealed)[:2] == ["group", "spread"]
    # Each question, least agreed first, then the comparison (one discipline: no differences).
    assert sorted(keys(revealed)[2:6]) == [f"question-{n}" for n in range(1, 5)]
    assert keys(revealed)[6:] == ["disciplines"]
    discussion = move(revealed, Session.DISCUSSION)
    assert keys(discussion, discussion=True) == [
        "meaning", "signs", "story", "tips", "tools", "prompts", "notes"]


def test_the_console_moves_the_deck_and_clamps_at_its_ends(alice_client, revealed):
    url = f"/sessions/{revealed.code}/slide/"
    assert alice_client.post(url, {"to": "next"}).status_code == 302
    assert Session.objects.get().slide == 1
    alice_client.post(url, {"to": "previous"})
    alice_client.post(url, {"to": "previous"})
    assert Session.objects.get().slide == 0
    alice_client.post(url, {"to": "99"})
    assert Session.objects.get().slide == len(keys(revealed)) - 1
    r = alice_client.post(url, {"to": "1"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "dia 1 van" in r.text  # the console's live part, moved
    r = alice_client.post(url, {"to": "next"}, headers={"HX-Request": "true"})
    assert "dia 2 van" in r.text and 'aria-current="true">2.' in r.text
    r = alice_client.post(url, {"to": "sideways"}, headers={"HX-Request": "true"})
    assert r.status_code == 400


def test_a_step_change_starts_at_the_first_slide(alice_client, revealed):
    alice_client.post(f"/sessions/{revealed.code}/slide/", {"to": "3"})
    move(Session.objects.get(), Session.DISCUSSION)
    assert Session.objects.get().slide == 0


def test_another_organisation_cannot_move_the_deck(bob_client, revealed):
    assert bob_client.post(f"/sessions/{revealed.code}/slide/", {"to": "next"}).status_code == 404
    assert Session.objects.get().slide == 0


def test_the_phone_follows_the_discussion_at_the_top(alice_client, revealed, phone):
    session = move(revealed, Session.DISCUSSION)
    alice_client.post(f"/sessions/{session.code}/notes/",
                      {"kind": "agreement", "text": "Een inspiratiesessie plannen", "owner": "Ans"})
    alice_client.post(f"/sessions/{session.code}/slide/", {"to": "6"})  # the prompts
    page = phone.get(f"/j/{session.code}/").text
    follow = page.index('class="phone-follow')
    assert follow < page.index('id="my-result"')
    assert "Praat over de verschillen" in page and "Een inspiratiesessie plannen" in page
    assert "Welke kenmerken van deze fase herken je" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_projector_and_the_phones_follow_a_slide_change(revealed, alice_client, phone):
    from tests.test_live import phone_socket

    session = await database_sync_to_async(move)(revealed, Session.DISCUSSION)
    projector = facilitator_socket(session, alice_client, "projector")
    phone_ws = phone_socket(session, phone)
    for communicator in (projector, phone_ws):
        assert (await communicator.connect())[0]
        await communicator.receive_from()
    await database_sync_to_async(alice_client.post)(f"/sessions/{session.code}/slide/",
                                                    {"to": "next"})
    assert "2 / 7" in await receive_until(projector, "2 / 7")
    assert "Klinkt dit bekend?" in await receive_until(phone_ws, "phone-follow")
    for communicator in (projector, phone_ws):
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_latecomer_follows_after_the_reveal_but_not_before(workshop, revealed):
    communicator = socket(f"/ws/follow/{revealed.code}/")
    assert (await communicator.connect())[0]
    assert 'data-step="revealed"' in await communicator.receive_from()
    await communicator.disconnect()
    early = await database_sync_to_async(
        lambda: Session.objects.create(organisation=workshop.organisation, title="Nog niet",
                                       questionnaire=workshop.questionnaire))()
    refused = socket(f"/ws/follow/{early.code}/")
    connected, code = await refused.connect()
    assert not connected and code == 4403


def test_the_notes_slide_shows_agreements_first_and_only_what_fits(revealed):
    for number in range(8):
        Note.objects.create(session=revealed, kind=Note.NOTE, text=f"Notitie {number}")
    Note.objects.create(session=revealed, kind=Note.AGREEMENT, text="Afspraak")
    shown = slides.notes_for_slides(revealed)
    assert len(shown["slide_notes"]) == slides.NOTES_ON_A_SLIDE and shown["more_notes"]
    assert shown["slide_notes"][0].text == "Afspraak"
