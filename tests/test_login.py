"""The facilitators' login: throttled per account and per address, and its password hashing kept
off the shared thread that serves the phones' answers."""

import threading
from urllib.parse import urlencode

import django.contrib.auth.forms
import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.test.signals import template_rendered

LIMIT = 10  # AXES_FAILURE_LIMIT


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # A real hasher takes a few hundred milliseconds per attempt, and these tests make dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address)


def test_a_wrong_password_is_answered_with_the_form_again(client, alice):
    r = log_in(client, "alice", "wrong")
    assert r.status_code == 200
    assert "Inloggen" in r.text


def test_it_locks_an_account_out_after_repeated_wrong_passwords(client, alice, bob):
    for attempt in range(LIMIT):
        log_in(client, "alice", f"guess-{attempt}", address=f"10.0.0.{attempt}")
    # Even the right password, from yet another address, is refused for a while...
    r = log_in(client, "alice", "alice-password", address="10.0.1.1")
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session
    # ...while other accounts log in as usual.
    assert log_in(client, "bob", "bob-password", address="10.0.1.2").status_code == 302


def test_it_locks_an_address_out_after_repeated_wrong_passwords(client, alice):
    for attempt in range(LIMIT):
        log_in(client, f"someone-{attempt}", "guess", address="10.0.0.9")
    r = log_in(client, "alice", "alice-password", address="10.0.0.9")
    assert r.status_code == 429
    assert log_in(client, "alice", "alice-password", address="10.0.0.10").status_code == 302


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_lockout_page_says_how_long_to_wait(client, alice, language):
    client.cookies["django_language"] = language
    for attempt in range(LIMIT):
        log_in(client, "alice", f"guess-{attempt}")
    r = log_in(client, "alice", "alice-password")
    assert r.status_code == 429
    alert = r.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert " 15 " in alert
    if language == "en":
        assert "Too many failed login attempts" in alert


def test_a_locked_out_attempt_does_not_check_the_password(client, alice, monkeypatch):
    for attempt in range(LIMIT):
        log_in(client, "alice", f"guess-{attempt}")
    checked = []
    monkeypatch.setattr("django.contrib.auth.models.AbstractBaseUser.check_password",
                        lambda user, password: checked.append(password) or False)
    assert log_in(client, "alice", "alice-password").status_code == 429
    assert checked == []


def test_a_successful_login_clears_earlier_failures(client, alice):
    for attempt in range(LIMIT - 1):
        log_in(client, "alice", f"guess-{attempt}")
    assert log_in(client, "alice", "alice-password").status_code == 302
    client.post("/logout/")
    for attempt in range(LIMIT - 1):
        log_in(client, "alice", f"guess-{attempt}")
    assert log_in(client, "alice", "alice-password").status_code == 302


CSRF = "a" * 32  # an unmasked CSRF secret: valid as both the cookie and the form field


async def post_through_the_server(path: str, data: dict) -> dict:
    """A POST through the real ASGI application (config/asgi.py), as daphne sends it."""
    from config.asgi import application

    body = urlencode({**data, "csrfmiddlewaretoken": CSRF}).encode()
    communicator = HttpCommunicator(application, "POST", path, body=body, headers=[
        (b"host", b"testserver"),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"cookie", f"csrftoken={CSRF}".encode()),
    ])
    return await communicator.get_response(timeout=10)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_it_checks_passwords_outside_the_shared_request_thread(alice, monkeypatch):
    # The shared thread serves every phone's request (config/shared_thread.py): hashing a
    # password takes a few hundred milliseconds, and a flood of logins must not queue the
    # answers behind it.
    threads = []
    authenticate = django.contrib.auth.forms.authenticate

    def recording_authenticate(*args, **kwargs):
        threads.append(threading.current_thread())
        return authenticate(*args, **kwargs)

    monkeypatch.setattr(django.contrib.auth.forms, "authenticate", recording_authenticate)
    response = await post_through_the_server(
        "/login/", {"username": "alice", "password": "alice-password"})
    assert response["status"] == 302
    shared_thread = await sync_to_async(threading.current_thread)()
    assert threads and threads[0] is not shared_thread


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_login_page_itself_is_served_from_the_shared_thread():
    from config.asgi import application

    threads = []

    def record(**kwargs):
        threads.append(threading.current_thread())

    template_rendered.connect(record)
    try:
        communicator = HttpCommunicator(application, "GET", "/login/",
                                        headers=[(b"host", b"testserver")])
        response = await communicator.get_response(timeout=10)
    finally:
        template_rendered.disconnect(record)
    assert response["status"] == 200
    assert threads and set(threads) == {await sync_to_async(threading.current_thread)()}
