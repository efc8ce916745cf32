"""The facilitators' login: throttled per account and per address, and its password hashing kept
off the shared thread that serves the phones' answers."""

import pytest

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
