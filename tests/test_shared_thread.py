"""The shared-thread ASGI handler (config/shared_thread.py): Django's test client bypasses it,
so these tests go through it, once in-process over the ASGI interface and once over real HTTP
against daphne."""

import asyncio
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.db import connections

from bench.servers import Cluster, manage, prepare, server_env
from config.shared_thread import SharedThreadASGIHandler


def http_scope(path: str) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 1), "server": ("testserver", 80)}


async def get(handler, path: str) -> int:
    communicator = ApplicationCommunicator(handler, http_scope(path))
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=5)
    await communicator.receive_output(timeout=5)  # the body
    return start["status"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_every_request_runs_in_one_shared_thread_outside_the_event_loop():
    handler = SharedThreadASGIHandler()
    threads = []
    original = handler.get_response

    def recording_get_response(request):
        threads.append(threading.get_ident())
        return original(request)

    handler.get_response = recording_get_response
    assert [await get(handler, "/join"), await get(handler, "/phases/")] == [200, 200]
    assert len(set(threads)) == 1 and threads[0] != threading.get_ident()
    # The shared thread keeps its connection; PostgreSQL will not drop a test database in use.
    await sync_to_async(connections.close_all, thread_sensitive=True)()


def test_the_middleware_chain_is_loaded_for_one_sync_call():
    # In async mode every middleware made for both modes would hop threads per hook.
    handler = SharedThreadASGIHandler()
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)


def test_a_phone_joins_and_answers_over_real_http(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'http.sqlite3'}", debug=True)
    code = prepare(env)
    with Cluster(env, log_dir=tmp_path) as cluster:
        base = cluster.bases[0]
        phone = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with phone.open(f"{base}/j/{code.lower()}/") as page:  # the code as typed
            assert page.status == 200 and page.url.endswith(f"/j/{code}/")
            assert page.headers["Content-Language"] == "nl"  # the middleware chain ran
            html = page.read().decode()
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        key = html.split('name="join_key" value="', 1)[1].split('"', 1)[0]
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "name": "", "join_key": key,
                                       "discipline": "Marketing"}).encode()
        with phone.open(f"{base}/j/{code}/", data=body) as joined:
            assert joined.status == 200 and "Je doet mee!" in joined.read().decode()
        # Without the CSRF token the same post is refused: the chain's CSRF check runs.
        stranger = urllib.request.build_opener()
        with pytest.raises(urllib.error.HTTPError) as refused:
            stranger.open(f"{base}/j/{code}/", data=b"discipline=Marketing")
        assert refused.value.code == 403
        with urllib.request.urlopen(f"{base}/healthz") as health:
            assert json.load(health)["status"] == "ok"
    assert manage(env, "shell", "-c", "from workshop.models import Participant;"
                  "print(Participant.objects.count())").splitlines()[-1] == "1"


async def post_answer(handler, path: str, headers: list, body: bytes) -> tuple[int, dict]:
    scope = http_scope(path) | {"method": "POST", "headers": [
        (b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
        *headers]}
    communicator = ApplicationCommunicator(handler, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(timeout=5)
    content = await communicator.receive_output(timeout=5)
    return start["status"], {"body": content.get("body", b""), **{
        name.decode().lower(): value.decode() for name, value in start["headers"]}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_answer_on_the_short_chain_still_needs_its_csrf_token(workshop):
    """The phone's answers skip the middleware they do not need (PHONE_ANSWER_MIDDLEWARE), not
    the CSRF check: without the token, or from another origin, the answer is refused."""
    from django.middleware.csrf import _get_new_csrf_string

    from workshop import services
    from workshop.identity import participant_cookie
    from workshop.models import Participant, Session

    def prepare():
        participant = Participant.objects.create(session=workshop, number=1, name="A",
                                                 discipline="Marketing")
        services.move_to(workshop, Session.ANSWERING)
        question = workshop.questionnaire.ordered_questions()[0]
        return participant, question.options.first().pk

    participant, option = await sync_to_async(prepare, thread_sensitive=True)()
    handler = SharedThreadASGIHandler()
    path = f"/j/{workshop.code}/q/1/"
    secret = _get_new_csrf_string()
    cookies = f"{participant_cookie(workshop.code)}={participant.token}; csrftoken={secret}"
    body = f"option={option}".encode()
    refused = [
        await post_answer(handler, path, [(b"cookie", cookies.encode())], body),
        await post_answer(handler, path, [(b"cookie", cookies.encode()),
                                          (b"x-csrftoken", secret.encode()),
                                          (b"origin", b"http://evil.example")], body),
    ]
    assert [status for status, _ in refused] == [403, 403]
    status, content = await post_answer(handler, path, [(b"cookie", cookies.encode()),
                                                         (b"x-csrftoken", secret.encode()),
                                                         (b"origin", b"http://testserver")],
                                        body)
    assert status == 200 and b"Vraag 2 van 4" in content["body"]
    # On the short chain: no page policy for a fragment, the security headers all the same.
    assert "content-security-policy" not in content
    assert content["x-frame-options"] == "DENY" and "x-content-type-options" in content
    # Bad input on the short chain: the phone's message and a 4xx, as on the full chain.
    good = [(b"cookie", cookies.encode()), (b"x-csrftoken", secret.encode())]
    status, content = await post_answer(handler, path, good, b"option=abc")
    assert status == 400 and b"phone-error" in content["body"]
    status, _ = await post_answer(handler, f"/j/{workshop.code}/q/9/", good, body)
    assert status == 404
    saved = await sync_to_async(
        lambda: list(participant.answers.values_list("option_id", flat=True)),
        thread_sensitive=True)()
    assert saved == [option]
    await sync_to_async(connections.close_all, thread_sensitive=True)()
