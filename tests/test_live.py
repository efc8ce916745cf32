"""The live updates over WebSockets, through the real ASGI router, once on the in-memory channel
layer and once on Redis."""

import asyncio
import importlib
import threading
import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from tests.builders import answer, join, move
from tests.conftest import redis_url_or_skip
from workshop import groups
from workshop.models import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(params=["memory", "redis"], autouse=True)
def layer(request, settings):
    if request.param == "redis":
        url = redis_url_or_skip()
        settings.CHANNEL_LAYERS = {"default": {
            "BACKEND": "workshop.layers.WorkshopRedisPubSubChannelLayer",
            # A prefix of its own per test: nothing left over from another test arrives here.
            "CONFIG": {"hosts": [url], "prefix": f"test-{uuid.uuid4().hex[:8]}"},
        }}
    else:
        settings.CHANNEL_LAYERS = {"default": {
            "BACKEND": "workshop.layers.WorkshopInMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()


def socket(path: str, cookies: dict[str, str] | None = None, origin: str = "http://testserver"):
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if cookies:
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def phone_socket(session: Session, phone: Client, **cookies):
    return socket(f"/ws/p/{session.code}/", {**{k: v.value for k, v in phone.cookies.items()},
                                             **cookies})


def facilitator_socket(session: Session, client: Client, kind: str = "f"):
    return socket(f"/ws/{kind}/{session.code}/", {"sessionid": client.cookies["sessionid"].value})


async def receive_until(communicator, text: str, timeout: float = 3) -> str:
    """Messages until one contains `text`: later state replaces earlier state."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await communicator.receive_from(timeout=max(0.01, deadline - loop.time()))
        if text in message:
            return message


async def test_it_refuses_a_phone_socket_without_a_participant(workshop):
    communicator = socket(f"/ws/p/{workshop.code}/")
    connected, code = await communicator.connect()
    assert not connected and code == 4403


async def test_it_refuses_a_phone_socket_with_a_token_of_another_session(workshop, museum, phone):
    from workshop.services import create_session

    await database_sync_to_async(join)(phone, workshop, "Marketing")
    other = await database_sync_to_async(create_session)(museum, "Andere", ["Marketing"])
    token = phone.cookies[f"dna_p_{workshop.code}"].value
    communicator = socket(f"/ws/p/{other.code}/", {f"dna_p_{other.code}": token})
    connected, _ = await communicator.connect()
    assert not connected


async def test_it_sends_a_phone_the_current_stage_on_connect(workshop, phone):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    communicator = phone_socket(workshop, phone)
    connected, _ = await communicator.connect()
    assert connected
    message = await communicator.receive_from()
    assert 'id="stage"' in message and 'hx-swap-oob="true"' in message
    assert "Je doet mee!" in message
    await communicator.disconnect()


async def test_it_pushes_a_step_change_to_every_phone(workshop, phone, phone2, alice_client):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    await database_sync_to_async(join)(phone2, workshop, "Directie")
    phones = [phone_socket(workshop, phone), phone_socket(workshop, phone2)]
    for communicator in phones:
        assert (await communicator.connect())[0]
        await communicator.receive_from()  # the lobby
    r = await database_sync_to_async(alice_client.post)(
        f"/sessions/{workshop.code}/step/", {"step": "answering"}
    )
    assert r.status_code == 302
    for communicator in phones:
        message = await communicator.receive_from(timeout=2)
        assert 'data-step="answering"' in message
        # Question 1 comes with the push: no phone has to ask for it.
        assert "Vraag 1 van 4" in message and 'hx-trigger="load"' not in message
        await communicator.disconnect()


async def test_a_push_does_not_wait_for_the_thread_that_serves_requests(workshop, phone):
    # Every request's sync code runs in one shared thread (config/asgi.py). A push to a phone
    # or a console must not queue behind a backlog of answers there.
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    communicator = phone_socket(workshop, phone)
    assert (await communicator.connect())[0]
    await communicator.receive_from()  # the lobby
    busy = asyncio.ensure_future(sync_to_async(time.sleep)(1.5))  # the shared thread, busy
    await asyncio.sleep(0.05)
    await get_channel_layer().group_send(groups.participants(workshop.code), {
        "type": "stage.push", "html": {"nl": "<div id=stage>x</div>", "en": "x"}})
    assert await communicator.receive_from(timeout=0.7) == "<div id=stage>x</div>"
    assert not busy.done()
    await busy
    await communicator.disconnect()


async def test_a_reopened_session_lets_each_phone_load_its_own_question(
    workshop, phone, alice_client
):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    await database_sync_to_async(move)(workshop, Session.ANSWERING)
    await database_sync_to_async(answer)(phone, workshop, 1, 2)
    await database_sync_to_async(move)(workshop, Session.REVEALED)
    communicator = phone_socket(workshop, phone)
    await communicator.connect()
    await communicator.receive_from()
    await communicator.receive_nothing(timeout=0.2)
    await database_sync_to_async(alice_client.post)(f"/sessions/{workshop.code}/step/",
                                           {"step": "answering"})
    message = await communicator.receive_from(timeout=2)
    # Phones have answers now, each at another question: each loads its own.
    assert f'hx-get="/j/{workshop.code}/q/"' in message
    await communicator.disconnect()


async def test_the_reveal_sends_each_phone_its_own_result(
    workshop, phone, phone2, alice_client
):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    await database_sync_to_async(join)(phone2, workshop, "Marketing")
    await database_sync_to_async(move)(workshop, Session.ANSWERING)
    for number, option in enumerate([4, 2, 4, 3], start=1):  # 10 points
        await database_sync_to_async(answer)(phone, workshop, number, option)
    for number, option in enumerate([1, 1, 1, 1], start=1):  # 0 points
        await database_sync_to_async(answer)(phone2, workshop, number, option)
    sockets = [phone_socket(workshop, phone), phone_socket(workshop, phone2)]
    for communicator in sockets:
        await communicator.connect()
        await communicator.receive_from()
    await database_sync_to_async(alice_client.post)(f"/sessions/{workshop.code}/step/",
                                           {"step": "revealed"})
    for communicator, total, phase in [(sockets[0], 10, "Ik doe"), (sockets[1], 0, "Ik zie")]:
        message = await communicator.receive_from(timeout=2)
        stage, _, own = message.partition('<div id="my-result" data-hx-swap-oob="true">')
        assert 'data-step="revealed"' in stage and "<strong>5,0</strong>" in stage
        assert f"<strong>{total}</strong>" in own and phase in own
        await communicator.disconnect()


async def test_it_pushes_the_stage_in_the_phone_language(workshop, phone, alice_client):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    communicator = phone_socket(workshop, phone, django_language="en")
    await communicator.connect()
    assert "You're in!" in await communicator.receive_from()
    await database_sync_to_async(move)(workshop, Session.CLOSED)
    from workshop import broadcast

    session = await database_sync_to_async(Session.objects.get)()
    await database_sync_to_async(broadcast.step_changed)(session)
    assert "This session has ended" in await communicator.receive_from(timeout=2)
    await communicator.disconnect()


async def test_a_reconnecting_phone_gets_the_state_not_a_replay(workshop, phone):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    await database_sync_to_async(move)(
        workshop, Session.ANSWERING, Session.REVEALED, Session.DISCUSSION
    )
    communicator = phone_socket(workshop, phone)
    await communicator.connect()
    message = await communicator.receive_from()
    assert 'data-step="discussion"' in message
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_phones_coming_back_after_the_reveal_each_get_their_own_result(
        workshop, phone, phone2):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    await database_sync_to_async(join)(phone2, workshop, "Directie")
    await database_sync_to_async(move)(workshop, Session.ANSWERING)
    for number, (first, second) in enumerate(zip("4243", "1111", strict=True), start=1):
        await database_sync_to_async(answer)(phone, workshop, number, int(first))
        await database_sync_to_async(answer)(phone2, workshop, number, int(second))
    await database_sync_to_async(move)(workshop, Session.REVEALED, Session.DISCUSSION)
    sockets = [phone_socket(workshop, phone), phone_socket(workshop, phone2)]
    await asyncio.gather(*(communicator.connect() for communicator in sockets))
    for communicator, total in zip(sockets, [10, 0], strict=True):
        message = await communicator.receive_from()
        stage, _, own = message.partition('<div id="my-result" data-hx-swap-oob="true">')
        assert 'data-step="discussion"' in stage and f"<strong>{total}</strong>" in own
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()


async def test_a_phone_socket_cannot_trigger_anything(workshop, phone):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    communicator = phone_socket(workshop, phone)
    await communicator.connect()
    await communicator.receive_from()
    await communicator.send_to(text_data='{"step": "revealed", "type": "stage.push"}')
    assert await communicator.receive_nothing(timeout=0.3)
    assert (await database_sync_to_async(Session.objects.get)()).step == Session.LOBBY
    await communicator.disconnect()


async def test_it_refuses_a_console_socket_without_login(workshop):
    communicator = socket(f"/ws/f/{workshop.code}/")
    connected, code = await communicator.connect()
    assert not connected and code == 4403


@pytest.mark.parametrize("kind", ["f", "projector"])
async def test_it_refuses_a_console_socket_of_another_organisation(workshop, bob_client, kind):
    connected, _ = await facilitator_socket(workshop, bob_client, kind).connect()
    assert not connected


@pytest.mark.parametrize("origin,accepted", [
    ("http://testserver", True),
    ("http://evil.example", False),
])
async def test_it_checks_the_origin_against_allowed_hosts(
    workshop, alice_client, settings, origin, accepted
):
    # The router reads ALLOWED_HOSTS when it is built, as daphne does at start-up.
    settings.ALLOWED_HOSTS = ["testserver"]
    import config.asgi

    strict = importlib.reload(config.asgi).application
    headers = [(b"origin", origin.encode()),
               (b"cookie", f"sessionid={alice_client.cookies['sessionid'].value}".encode())]
    communicator = WebsocketCommunicator(strict, f"/ws/f/{workshop.code}/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected is accepted
    await communicator.disconnect()


async def test_the_console_updates_after_a_join_and_an_answer(workshop, alice_client, phone):
    console = facilitator_socket(workshop, alice_client)
    assert (await console.connect())[0]
    assert "Nog niemand doet mee." in await console.receive_from()
    await database_sync_to_async(join)(phone, workshop, "Marketing", "Ans")
    message = await receive_until(console, "Ans")
    assert 'id="console-live"' in message and "0 van de 1 klaar" in message
    await database_sync_to_async(move)(workshop, Session.ANSWERING)
    for number, option in enumerate([4, 2, 4, 3], start=1):
        r = await database_sync_to_async(answer)(phone, workshop, number, option)
        assert r.status_code == 200
    await receive_until(console, "1 van de 1 klaar")
    await console.disconnect()


async def test_the_projector_shows_the_count_and_never_names(workshop, alice_client, phone):
    projector = facilitator_socket(workshop, alice_client, "projector")
    assert (await projector.connect())[0]
    await projector.receive_from()
    await database_sync_to_async(join)(phone, workshop, "Marketing", "Annemarie")
    message = await receive_until(projector, "<strong>1</strong> doen mee")
    assert 'id="projector-live"' in message and "Annemarie" not in message
    await projector.disconnect()


async def dirty(session: Session, urgent: bool = False) -> None:
    await get_channel_layer().group_send(groups.facilitators(session.code),
                                         {"type": "state.dirty", "urgent": urgent})


# When a console re-renders is decided by workshop/coalesce.py, tested on a fake clock in
# tests/test_coalesce.py; here, that the consumers follow it on the real router.


async def test_a_burst_of_changes_ends_with_the_last_state_on_the_console(workshop, alice_client):
    console = facilitator_socket(workshop, alice_client)
    await console.connect()
    await console.receive_from()
    for _ in range(25):
        await dirty(workshop)
    await database_sync_to_async(alice_client.post)(f"/sessions/{workshop.code}/step/",
                                                    {"step": "answering"})
    await receive_until(console, 'class="current">Beantwoorden')
    await console.disconnect()


async def test_healthz_round_trips_through_the_layer(client, db):
    r = await database_sync_to_async(client.get)("/healthz")
    assert r.status_code == 200
    assert r.json()["checks"]["channel_layer"] == "ok"


async def test_the_facilitator_can_send_the_current_step_to_every_phone_again(
        workshop, phone, alice_client):
    await database_sync_to_async(join)(phone, workshop, "Marketing")
    communicator = phone_socket(workshop, phone)
    assert (await communicator.connect())[0]
    await communicator.receive_from()  # the lobby
    r = await database_sync_to_async(alice_client.post)(f"/sessions/{workshop.code}/resend/")
    assert r.status_code == 302
    assert 'data-step="lobby"' in await communicator.receive_from(timeout=2)
    await communicator.disconnect()


async def test_the_lobby_push_counts_who_joined_and_names_nobody(
        workshop, phone, phone2, alice_client):
    await database_sync_to_async(join)(phone, workshop, "Marketing", "Ans")
    await database_sync_to_async(join)(phone2, workshop, "Directie", "Bram")
    sockets = [phone_socket(workshop, phone), phone_socket(workshop, phone2)]
    for communicator in sockets:
        assert (await communicator.connect())[0]
        await communicator.receive_from()
    await database_sync_to_async(alice_client.post)(f"/sessions/{workshop.code}/resend/")
    for communicator in sockets:
        message = await communicator.receive_from(timeout=2)
        assert "Er doen tot nu toe 2 mensen mee." in message
        assert "Ans" not in message and "Bram" not in message
        await communicator.disconnect()


async def test_every_open_socket_re_sends_its_state_when_the_layer_is_back(
        workshop, phone, alice_client):
    from workshop.layers import layer_reconnected

    await database_sync_to_async(join)(phone, workshop, "Marketing")
    phone_ws, console = phone_socket(workshop, phone), facilitator_socket(workshop, alice_client)
    for communicator in (phone_ws, console):
        assert (await communicator.connect())[0]
        await communicator.receive_from()
    # A step that no push announced (as if it had been lost while Redis was away).
    await database_sync_to_async(Session.objects.filter(pk=workshop.pk).update)(
        step=Session.ANSWERING)
    layer_reconnected.send(sender=None)
    assert 'data-step="answering"' in await phone_ws.receive_from(timeout=2)
    assert 'class="current">Beantwoorden' in await console.receive_from(timeout=2)
    for communicator in (phone_ws, console):
        await communicator.disconnect()


async def test_a_follower_re_syncs_whatever_the_phones_are_shown_now(workshop, phone):
    from workshop.layers import layer_reconnected

    await database_sync_to_async(join)(phone, workshop, "Marketing")
    await database_sync_to_async(move)(workshop, Session.ANSWERING, Session.REVEALED)
    follower = socket(f"/ws/follow/{workshop.code}/")
    assert (await follower.connect())[0]
    assert 'data-step="revealed"' in await follower.receive_from()
    # Answering again, and no push announced it (lost while Redis was away).
    await database_sync_to_async(Session.objects.filter(pk=workshop.pk).update)(
        step=Session.ANSWERING)
    layer_reconnected.send(sender=None)
    assert 'data-step="answering"' in await follower.receive_from(timeout=2)
    await follower.disconnect()


async def test_a_push_during_a_resync_is_not_followed_by_the_older_state(
        workshop, phone, monkeypatch):
    from workshop.layers import layer_reconnected
    from workshop.screens import phone as phone_screen

    await database_sync_to_async(join)(phone, workshop, "Marketing")
    communicator = phone_socket(workshop, phone)
    assert (await communicator.connect())[0]
    await communicator.receive_from()
    real = phone_screen.render_current_stages
    read = threading.Event()

    def slow(people, language):
        stages = real(people, language)  # read now, sent after the push below
        read.set()
        time.sleep(0.4)
        return stages

    monkeypatch.setattr(phone_screen, "render_current_stages", slow)
    layer_reconnected.send(sender=None)
    assert await asyncio.get_running_loop().run_in_executor(None, read.wait, 5)
    await get_channel_layer().group_send(groups.participants(workshop.code), {
        "type": "stage.push", "html": {"nl": "<div id=stage>newer</div>", "en": "x"}})
    assert await communicator.receive_from(timeout=2) == "<div id=stage>newer</div>"
    assert await communicator.receive_nothing(timeout=0.8)
    await communicator.disconnect()


DUTCH_LABELS = ["Ik zie", "Ik wil", "Ik kan", "Ik doe", "Overige"]


async def _revealed_with_a_folded_discipline(workshop, phones: list[Client]) -> None:
    """Two of Marketing, one each of Directie and Collectie: those two are shown as "Overige"."""
    for client, discipline in zip(phones, ["Marketing", "Marketing", "Directie", "Collectie"],
                                  strict=True):
        await database_sync_to_async(join)(client, workshop, discipline)
    await database_sync_to_async(move)(workshop, Session.ANSWERING)
    for client, options in zip(phones, ["4243", "1111", "2222", "3132"], strict=True):
        for number, option in enumerate(options, start=1):
            await database_sync_to_async(answer)(client, workshop, number, int(option))


async def test_an_english_phone_gets_the_pushed_results_in_english(
        workshop, phone, phone2, alice_client):
    others = [Client(), Client()]
    await _revealed_with_a_folded_discipline(workshop, [phone, phone2, *others])
    english, dutch = phone_socket(workshop, phone, django_language="en"), phone_socket(
        workshop, phone2)
    for communicator in (english, dutch):
        assert (await communicator.connect())[0]
        await communicator.receive_from()
    await database_sync_to_async(alice_client.post)(f"/sessions/{workshop.code}/step/",
                                                    {"step": "revealed"})
    message = await english.receive_from(timeout=2)
    assert "Where each colleague places the organisation" in message
    for label in ["I see", "I want", "I can", "I do"]:
        assert f'<span class="bar-label">{label} <span class="you-marker">you</span>' in message
    assert [label for label in [*DUTCH_LABELS, "jij"] if label in message] == []
    # The same push, rendered once per language: the Dutch phone reads Dutch.
    message = await dutch.receive_from(timeout=2)
    assert '<span class="bar-label">Ik zie <span class="you-marker">jij</span>' in message
    assert "I want" not in message
    for communicator in (english, dutch):
        await communicator.disconnect()


async def test_an_english_console_names_the_folded_disciplines_in_english(
        workshop, phone, phone2, alice_client):
    await _revealed_with_a_folded_discipline(workshop, [phone, phone2, Client(), Client()])
    await database_sync_to_async(move)(workshop, Session.REVEALED)
    console = socket(f"/ws/f/{workshop.code}/", {
        "sessionid": alice_client.cookies["sessionid"].value, "django_language": "en"})
    assert (await console.connect())[0]
    message = await receive_until(console, "By discipline")
    assert "<th scope=\"row\">Other <span" in message
    assert [label for label in DUTCH_LABELS if label in message] == []
    await console.disconnect()


async def test_a_burst_of_answers_sends_spaced_notes_and_one_after_the_last(workshop,
                                                                          monkeypatch):
    """In the server, a saved change schedules a "dirty" note on the event loop without waiting
    for it (broadcast._deliver_soon); a session's notes go out at most every NOTE_SPACING, and
    the last change always has a note sent after it."""
    from workshop import broadcast

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(broadcast, "_server_loop", lambda: loop)
    sent = []  # when the loop sent a note (built its messages)
    build = broadcast.dirty_messages

    def building(session, *args):
        sent.append(loop.time())
        return build(session, *args)

    monkeypatch.setattr(broadcast, "dirty_messages", building)
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(groups.facilitators(workshop.code), channel)
    changed = sync_to_async(broadcast.state_changed, thread_sensitive=True)
    for _ in range(30):
        last_change = loop.time()
        await changed(workshop)
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.2)
    assert 2 <= len(sent) < 30
    assert sent[-1] >= last_change
    gaps = [later - earlier for earlier, later in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= broadcast.NOTE_SPACING * 0.99  # (the loop's clock rounds)
    message = await asyncio.wait_for(layer.receive(channel), timeout=5)
    assert message["type"] == "state.dirty"
    # No send left behind on this test's loop (the set is the process's: an earlier test's
    # loop may have closed with a send of its own still in it).
    await asyncio.gather(*(task for task in broadcast._in_flight if task.get_loop() is loop))
