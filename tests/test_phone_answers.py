"""The phone's answer endpoint (config/phone_answers.py) against Django's view.

Every request here is sent twice: to the endpoint in front of Django (as config/asgi.py serves
it) and to Django's handler alone. What the endpoint serves itself must be what Django serves,
status, headers and bytes; what it hands over (a refused CSRF check, a phone that has not
joined, bad input, a closed session) is answered by Django, and saves nothing the endpoint did
not check.
"""

import asyncio
import threading

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.db import connections
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

from config import phone_answers
from config.phone_answers import PhoneAnswers
from config.shared_thread import SharedThreadASGIHandler
from workshop import services
from workshop.identity import participant_cookie
from workshop.models import Answer, Participant, Session
from workshop.views import participant as participant_views

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

HOST = b"testserver"


HANDED_OVER = 599


async def refuse(scope, receive, send):
    """In place of Django: a request the endpoint hands over is answered 599."""
    await send({"type": "http.response.start", "status": HANDED_OVER, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def scope_for(path: str, headers: list, scheme: str = "http", query: bytes = b"") -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": scheme, "path": path, "raw_path": path.encode(), "query_string": query,
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
            "server": ("testserver", 80)}


async def post(app, scope: dict, body: bytes) -> tuple[int, dict, bytes]:
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(timeout=5)
    content = await communicator.receive_output(timeout=5)
    await communicator.wait(timeout=5)
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    return start["status"], headers, content.get("body", b"")


class Phone:
    """A joined phone's cookies and the headers its htmx requests carry."""

    def __init__(self, session: Session, participant: Participant, language: str = ""):
        self.code = session.code
        self.secret = _get_new_csrf_string()
        self.cookies = (f"{participant_cookie(session.code)}={participant.token}; "
                        f"csrftoken={self.secret}")
        if language:
            self.cookies += f"; django_language={language}"

    def headers(self, origin: bytes | None = b"http://testserver", token: str | None = None,
                content_type: bytes = b"application/x-www-form-urlencoded",
                host: bytes = HOST, cookies: str | None = None) -> list:
        headers = [(b"host", host), (b"content-type", content_type),
                   (b"cookie", (self.cookies if cookies is None else cookies).encode()),
                   (b"hx-request", b"true"),
                   (b"x-csrftoken", (self.secret if token is None else token).encode())]
        if origin is not None:
            headers.append((b"origin", origin))
        return headers


@pytest.fixture
def django_app():
    return SharedThreadASGIHandler()


async def in_db(function, *args):
    return await sync_to_async(function, thread_sensitive=True)(*args)


@pytest_asyncio.fixture
async def close_connections():
    yield
    # The shared thread keeps its connection; PostgreSQL will not drop a test database in use.
    await sync_to_async(connections.close_all, thread_sensitive=True)()


def joined(session: Session, n: int = 1) -> list[Participant]:
    participants = [Participant.objects.create(session=session, number=i + 1, name=f"P{i}",
                                               discipline="Marketing") for i in range(n)]
    services.move_to(session, Session.ANSWERING)
    return participants


def options(session: Session) -> list[list[int]]:
    return [[o.pk for o in q.options.all()] for q in session.questionnaire.ordered_questions()]


def saved(participant: Participant) -> list[tuple[int, int]]:
    return sorted(Answer.objects.filter(participant=participant)
                  .values_list("round", "option_id"))


async def served_like_django(django_app, path: str, headers: list, body: bytes,
                             scheme: str = "http") -> tuple[int, dict, bytes]:
    """Served by the endpoint without Django (in place of which `refuse` answers), then the
    same request to Django alone (the answer is saved again, with the same result): the same
    response."""
    fast = await post(PhoneAnswers(refuse), scope_for(path, headers, scheme), body)
    slow = await post(django_app, scope_for(path, headers, scheme), body)
    assert fast == slow
    return fast


async def handed_to_django(django_app, path: str, headers: list, body: bytes,
                           scheme: str = "http", query: bytes = b"") -> tuple[int, dict, bytes]:
    """Not served by the endpoint: Django answers, as it answers the request alone."""
    status, _, _ = await post(PhoneAnswers(refuse), scope_for(path, headers, scheme, query), body)
    assert status == HANDED_OVER
    through = await post(PhoneAnswers(django_app), scope_for(path, headers, scheme, query), body)
    alone = await post(django_app, scope_for(path, headers, scheme, query), body)
    assert through[0] == alone[0] and through[2] == alone[2]
    return through


async def test_every_answering_screen_is_served_as_django_serves_it(
        recognising_workshop, django_app, close_connections):
    session = recognising_workshop
    participant, = await in_db(joined, session)
    phone = Phone(session, participant)
    choices = await in_db(options, session)
    steps = [f"/j/{session.code}/q/{n}/" for n in (1, 2, 3, 4)]
    screens = []
    for number, path in enumerate(steps, start=1):
        status, headers, body = await served_like_django(
            django_app, path, phone.headers(), f"option={choices[number - 1][1]}".encode())
        assert status == 200
        screens.append(body.decode())
    assert "Vraag 2 van 4" in screens[0] and "Vraag 4 van 4" in screens[2]
    assert 'recognise' in screens[3]  # after the last question: "Klinkt dit bekend?"
    assert headers["content-language"] == "nl" and headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in headers  # a fragment of a page that has it

    phase = await in_db(lambda: next(iter(session.questionnaire.instrument().phases)))
    status, _, body = await served_like_django(
        django_app, f"/j/{session.code}/recognise/", phone.headers(), f"phase={phase}".encode())
    assert status == 200 and "phone-summary" in body.decode()
    # Changing an answer from the overview goes back to the overview.
    status, _, body = await served_like_django(
        django_app, steps[1], phone.headers(), f"option={choices[1][-1]}&from=overview".encode())
    assert status == 200 and "phone-summary" in body.decode()
    assert await in_db(saved, participant) == sorted(
        [(1, choices[0][1]), (1, choices[1][-1]), (1, choices[2][1]), (1, choices[3][1])])


async def test_the_last_answer_without_recognition_the_english_screen_and_https(
        workshop, django_app, close_connections, settings):
    participant, = await in_db(joined, workshop)
    choices = await in_db(options, workshop)
    english = Phone(workshop, participant, language="en")
    status, headers, body = await served_like_django(
        django_app, f"/j/{workshop.code}/q/1/", english.headers(),
        f"option={choices[0][0]}".encode())
    assert status == 200 and "Question 2 of 4" in body.decode()
    assert headers["content-language"] == "en"
    for number in (2, 3, 4):
        status, _, body = await served_like_django(
            django_app, f"/j/{workshop.code}/q/{number}/", english.headers(),
            f"option={choices[number - 1][0]}".encode())
    assert status == 200 and "phone-summary" in body.decode()  # no recognition asked

    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Middleware reads its settings when it is made: a new handler, and new headers.
    django_app = SharedThreadASGIHandler()
    phone_answers._response_headers.cache_clear()
    secure = english.headers(origin=b"https://testserver") + [(b"x-forwarded-proto", b"https")]
    status, headers, _ = await served_like_django(
        django_app, f"/j/{workshop.code}/q/2/", secure, f"option={choices[1][0]}".encode())
    assert status == 200 and headers["strict-transport-security"] == "max-age=3600"
    # Over HTTPS an Origin of plain HTTP is another origin: Django refuses it.
    status, _, _ = await handed_to_django(
        django_app, f"/j/{workshop.code}/q/2/",
        english.headers() + [(b"x-forwarded-proto", b"https")], f"option={choices[1][1]}".encode())
    assert status == 403


async def test_the_second_rounds_review_is_served_as_django_serves_it(
        workshop, django_app, close_connections):
    participant, = await in_db(joined, workshop)
    choices = await in_db(options, workshop)
    phone = Phone(workshop, participant)

    def first_round_then_second():
        questions = workshop.questionnaire.ordered_questions()
        for question, option in zip(questions, choices, strict=True):
            services.save_answer(Participant.objects.get(pk=participant.pk), question.pk,
                                 option[0])
        services.move_to(workshop, Session.REVEALED)
        services.open_second_round(Session.objects.get(pk=workshop.pk))

    await in_db(first_round_then_second)
    status, _, body = await served_like_django(
        django_app, f"/j/{workshop.code}/q/3/", phone.headers(),
        f"option={choices[2][-1]}&from=review".encode())
    assert status == 200 and "review" in body.decode()
    assert (2, choices[2][-1]) in await in_db(saved, participant)


async def test_what_the_endpoint_does_not_check_itself_django_answers(
        workshop, django_app, close_connections, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    participant, stranger = await in_db(joined, workshop, 2)
    choices = await in_db(options, workshop)
    phone = Phone(workshop, participant)
    path = f"/j/{workshop.code}/q/1/"
    body = f"option={choices[0][0]}".encode()
    # Django accepts these, with checks of its own: no Origin header over HTTP, a token masked
    # as a form field, a lower-case code.
    assert (await handed_to_django(django_app, path, phone.headers(origin=None), body))[0] == 200
    masked = _mask_cipher_secret(phone.secret)
    assert (await served_like_django(django_app, path, phone.headers(token=masked), body))[0] == 200
    status, _, _ = await handed_to_django(
        django_app, path.lower(), phone.headers(), f"option={choices[0][1]}".encode())
    assert status == 200
    assert await in_db(saved, participant) == [(1, choices[0][1])]

    # Django refuses these, and nothing is saved.
    body = f"option={choices[0][2]}".encode()
    no_cookie = f"{participant_cookie(workshop.code)}={participant.token}"
    refused = {
        "another origin": (path, phone.headers(origin=b"http://evil.example"), body, 403),
        "another host": (path, phone.headers(host=b"evil.example",
                                             origin=b"http://evil.example"), body, 403),
        "no CSRF token": (path, phone.headers(token=""), body, 403),
        "a wrong token": (path, phone.headers(token=_get_new_csrf_string()), body, 403),
        "no CSRF cookie": (path, phone.headers(cookies=no_cookie), body, 403),
        "not joined": (path, phone.headers(cookies=f"csrftoken={phone.secret}"), body, 403),
        "an unknown code": ("/j/ZZZZZZ/q/1/", phone.headers(), body, 404),
        "no such question": (f"/j/{workshop.code}/q/9/", phone.headers(), body, 404),
        "question 0": (f"/j/{workshop.code}/q/0/", phone.headers(), body, 404),
        "not a number": (path, phone.headers(), b"option=abc", 400),
        "another question's option": (path, phone.headers(), f"option={choices[1][0]}".encode(),
                                      400),
        "a NUL byte": (path, phone.headers(), b"option=%00", 400),
        "not a form": (path, phone.headers(content_type=b"application/json"),
                       b'{"option": 1}', 400),
    }
    for name, (where, headers, content, expected) in refused.items():
        status, _, _ = await handed_to_django(django_app, where, headers, content)
        assert status == expected, name
    status, _, _ = await handed_to_django(django_app, path, phone.headers(), body,
                                          query=b"from=overview")
    assert await in_db(saved, participant) == [(1, choices[0][2])]  # the query string: Django's
    assert await in_db(saved, stranger) == []

    # A locked session: the answer is refused with Django's message, the saved one kept.
    await in_db(services.move_to, workshop, Session.REVEALED)
    status, _, content = await handed_to_django(
        django_app, path, phone.headers(), f"option={choices[0][-1]}".encode())
    assert status == 409 and b"phone-error" in content
    assert await in_db(saved, participant) == [(1, choices[0][2])]


async def test_a_failure_after_the_answer_was_saved_is_served_by_django(
        workshop, django_app, close_connections, monkeypatch):
    participant, = await in_db(joined, workshop)
    choices = await in_db(options, workshop)
    phone = Phone(workshop, participant)
    real = phone_answers._response_headers
    calls = []

    def failing(*args):
        calls.append(args)
        raise RuntimeError("a bug after the save")

    monkeypatch.setattr(phone_answers, "_response_headers", failing)
    status, _, body = await post(PhoneAnswers(django_app),
                                 scope_for(f"/j/{workshop.code}/q/1/", phone.headers()),
                                 f"option={choices[0][1]}".encode())
    assert calls and status == 200 and "Vraag 2 van 4" in body.decode()
    assert await in_db(saved, participant) == [(1, choices[0][1])]  # saved once, not twice
    monkeypatch.setattr(phone_answers, "_response_headers", real)


async def test_a_body_longer_than_an_answer_is_read_by_django(
        workshop, django_app, close_connections):
    participant, = await in_db(joined, workshop)
    choices = await in_db(options, workshop)
    phone = Phone(workshop, participant)
    scope = scope_for(f"/j/{workshop.code}/q/1/", phone.headers())
    communicator = ApplicationCommunicator(PhoneAnswers(django_app), scope)
    padding = "x" * 3000
    await communicator.send_input({"type": "http.request", "more_body": True,
                                   "body": f"option={choices[0][1]}&pad=".encode()})
    await communicator.send_input({"type": "http.request", "body": padding.encode()})
    start = await communicator.receive_output(timeout=5)
    await communicator.receive_output(timeout=5)
    assert start["status"] == 200
    assert await in_db(saved, participant) == [(1, choices[0][1])]


async def answers_in_batches(requests: list[tuple[str, list, bytes]],
                             monkeypatch) -> tuple[list, list[int]]:
    """Posts the first of `requests` to one endpoint while the shared thread is busy, then the
    others while that one waits there: they wait for it, and go together as the next batch.
    Returns the responses and the sizes of the batches served."""
    endpoint = PhoneAnswers(refuse)
    sizes = []
    real = phone_answers.respond_all

    def spy(batch):
        sizes.append(len(batch))
        return real(batch)

    monkeypatch.setattr(endpoint.batches, "respond_all", sync_to_async(spy, thread_sensitive=True))
    busy, free = threading.Event(), threading.Event()

    def hold():
        busy.set()
        free.wait(timeout=10)

    holding = asyncio.ensure_future(in_db(hold))
    await asyncio.get_running_loop().run_in_executor(None, busy.wait, 10)

    def posting(request):
        path, headers, body = request
        return asyncio.ensure_future(post(endpoint, scope_for(path, headers), body))

    posts = [posting(requests[0])]
    await asyncio.sleep(0.05)  # its batch of one is on its way to the shared thread
    posts += [posting(request) for request in requests[1:]]
    await asyncio.sleep(0.05)  # every other request read, and waiting for the next batch
    free.set()
    await holding
    return await asyncio.gather(*posts), sizes


async def test_answers_that_arrive_together_are_saved_together_and_served_as_django_serves_them(
        workshop, django_app, close_connections, monkeypatch):
    participants = await in_db(joined, workshop, 4)
    choices = await in_db(options, workshop)
    phones = [Phone(workshop, p) for p in participants]
    requests = [(f"/j/{workshop.code}/q/1/", phone.headers(), f"option={choices[0][i]}".encode())
                for i, phone in enumerate(phones)]
    # The first phone's second answer in the same batch, and a phone that has not joined.
    requests.append((f"/j/{workshop.code}/q/2/", phones[0].headers(),
                     f"option={choices[1][1]}".encode()))
    stranger = Phone(workshop, participants[0])
    stranger.cookies = f"csrftoken={stranger.secret}"
    requests.append((f"/j/{workshop.code}/q/1/", stranger.headers(), b"option=1"))
    responses, sizes = await answers_in_batches(requests, monkeypatch)
    assert sizes == [1, len(requests) - 1]
    assert [status for status, _, _ in responses] == [200] * 5 + [HANDED_OVER]
    # As Django serves the same requests now (the first phone's first answer is left out: its
    # next screen has question 2 answered by now).
    for (path, headers, body), response in list(zip(requests, responses, strict=True))[1:5]:
        assert response == await post(django_app, scope_for(path, headers), body)
    assert "Vraag 2 van 4" in responses[0][2].decode()
    assert await in_db(saved, participants[0]) == sorted([(1, choices[0][0]), (1, choices[1][1])])
    for i, participant in enumerate(participants[1:], start=1):
        assert await in_db(saved, participant) == [(1, choices[0][i])]


@pytest.mark.parametrize("failing", ["saving", "rendering"])
async def test_an_answer_that_fails_in_a_batch_is_served_by_django_and_the_others_are_kept(
        workshop, close_connections, monkeypatch, failing):
    participants = await in_db(joined, workshop, 3)
    choices = await in_db(options, workshop)
    phones = [Phone(workshop, p) for p in participants]
    real = participant_views.save_phone_answer

    def failing_for_the_second(participant, *args):
        screen = real(participant, *args)
        if participant.pk != participants[1].pk:
            return screen
        if failing == "saving":
            raise RuntimeError("a bug after the save, in the batch's transaction")

        def broken(*args):
            raise RuntimeError("a bug in the screen, after the batch was committed")

        return broken

    monkeypatch.setattr(participant_views, "save_phone_answer", failing_for_the_second)
    requests = [(f"/j/{workshop.code}/q/1/", phone.headers(), f"option={choices[0][0]}".encode())
                for phone in phones]
    responses, sizes = await answers_in_batches(requests, monkeypatch)
    assert sizes == [1, 2]
    # Saving: the batch was rolled back and each of its answers served again on its own, the
    # failing one by Django (saved by its own attempt). Rendering: the batch was committed, and
    # Django serves the failing one again (saving the same answer).
    assert [status for status, _, _ in responses] == [200, HANDED_OVER, 200]
    for participant in participants:
        assert await in_db(saved, participant) == [(1, choices[0][0])]


async def test_the_last_answers_of_an_auto_reveal_session_in_one_batch_reveal_it(
        workshop, close_connections, monkeypatch):
    def auto_reveal():
        Session.objects.filter(pk=workshop.pk).update(auto_reveal=True)
        return joined(Session.objects.get(pk=workshop.pk), 3)

    participants = await in_db(auto_reveal)
    choices = await in_db(options, workshop)
    questions = await in_db(lambda: list(workshop.questionnaire.ordered_questions()))

    def all_but_the_last():
        for participant in participants:
            for question, option in zip(questions[:-1], choices, strict=False):
                services.save_answer(Participant.objects.get(pk=participant.pk), question.pk,
                                     option[0])

    await in_db(all_but_the_last)
    requests = [(f"/j/{workshop.code}/q/4/", Phone(workshop, p).headers(),
                 f"option={choices[3][0]}".encode()) for p in participants]
    responses, sizes = await answers_in_batches(requests, monkeypatch)
    assert sizes == [1, 2]
    assert [status for status, _, _ in responses] == [200, 200, 200]
    assert await in_db(lambda: Session.objects.get(pk=workshop.pk).step) == Session.REVEALED
