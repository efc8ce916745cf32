"""Guessing session codes: wrong codes are counted per address, and an address that guessed
wrong too often is refused for a while; a room of phones behind one address joins freely."""

import time
import urllib.error
import urllib.request
import uuid

from django.test import Client, RequestFactory

from bench.servers import Cluster, manage, server_env
from tests.builders import answer, join, move
from tests.conftest import redis_url_or_skip
from workshop import throttle
from workshop.models import Session

LIMIT = throttle.WRONG_CODE_LIMIT
ROOM = "192.0.2.10"  # the address a whole room of phones shares (one NAT)


def request_from(address: str):
    return RequestFactory().get("/join", REMOTE_ADDR=address)


def wrong_codes(client: Client, count: int, address: str = ROOM) -> None:
    for number in range(count):
        r = client.post("/join", {"code": f"WRONG{number:02d}"}, REMOTE_ADDR=address)
        assert r.status_code == 400


# The counter


def test_a_fresh_address_has_not_guessed_too_often(db):
    assert not throttle.guessed_too_often(request_from(ROOM))


def test_it_refuses_an_address_once_it_reached_the_limit(db):
    for _ in range(LIMIT - 1):
        throttle.wrong_code(request_from(ROOM))
    assert not throttle.guessed_too_often(request_from(ROOM))
    throttle.wrong_code(request_from(ROOM))
    assert throttle.guessed_too_often(request_from(ROOM))
    assert not throttle.guessed_too_often(request_from("192.0.2.11"))


def test_an_ipv6_client_counts_as_its_whole_64_network(db):
    for number in range(LIMIT):
        throttle.wrong_code(request_from(f"2001:db8:1:2::{number + 1:x}"))
    assert throttle.guessed_too_often(request_from("2001:db8:1:2:ffff::1"))
    assert not throttle.guessed_too_often(request_from("2001:db8:1:3::1"))


def test_ipv4_clients_seen_as_ipv6_count_one_by_one(db):
    for _ in range(LIMIT):
        throttle.wrong_code(request_from("::ffff:192.0.2.1"))
    assert throttle.guessed_too_often(request_from("192.0.2.1"))
    assert not throttle.guessed_too_often(request_from("::ffff:192.0.2.2"))


def test_the_count_ends_with_its_window(db, monkeypatch):
    monkeypatch.setattr(throttle, "WRONG_CODE_WINDOW", 1)
    for _ in range(LIMIT):
        throttle.wrong_code(request_from(ROOM))
    assert throttle.guessed_too_often(request_from(ROOM))
    time.sleep(1.5)
    assert not throttle.guessed_too_often(request_from(ROOM))


def test_a_broken_cache_lets_everyone_join(db, monkeypatch):
    class BrokenCache:
        def __getattr__(self, name):
            raise ConnectionError("the cache is down")

    monkeypatch.setattr(throttle, "cache", BrokenCache())
    throttle.wrong_code(request_from(ROOM))
    assert not throttle.guessed_too_often(request_from(ROOM))


# The join pages


def test_a_room_behind_one_address_joins_freely(workshop):
    client = Client()
    wrong_codes(client, LIMIT - 1)  # typos happen
    for _ in range(200):
        r = client.post("/join", {"code": workshop.code.lower()}, REMOTE_ADDR=ROOM)
        assert r.status_code == 302
        assert client.get(f"/j/{workshop.code}/", REMOTE_ADDR=ROOM).status_code == 200


def test_it_refuses_every_code_from_an_address_that_guessed_wrong_too_often(workshop):
    client = Client()
    wrong_codes(client, LIMIT)
    # The right code too: otherwise the answer would still tell a guesser which code is right.
    r = client.post("/join", {"code": workshop.code}, REMOTE_ADDR=ROOM)
    assert r.status_code == 429
    assert client.get(f"/j/{workshop.code}/", REMOTE_ADDR=ROOM).status_code == 429
    assert client.get("/j/WRONG99/", REMOTE_ADDR=ROOM).status_code == 429
    # Another address is not affected.
    assert client.post("/join", {"code": workshop.code}).status_code == 302


def test_the_refusal_says_what_happened(workshop):
    client = Client()
    client.cookies["django_language"] = "en"
    wrong_codes(client, LIMIT)
    r = client.get(f"/j/{workshop.code}/", REMOTE_ADDR=ROOM)
    assert r.status_code == 429
    assert "Too many wrong codes" in r.text
    assert r["Retry-After"] == str(throttle.WRONG_CODE_WINDOW)


def test_wrong_codes_in_links_count_too(workshop):
    client = Client()
    for number in range(LIMIT):
        assert client.get(f"/j/WRONG{number:02d}/", REMOTE_ADDR=ROOM).status_code == 404
    assert client.get(f"/j/{workshop.code}/", REMOTE_ADDR=ROOM).status_code == 429


def test_wrong_codes_asking_for_questions_count_too(workshop):
    client = Client()
    for number in range(LIMIT):
        r = client.get(f"/j/WRONG{number:02d}/q/", REMOTE_ADDR=ROOM,
                       headers={"HX-Request": "true"})
        assert r.status_code == 404
    # Unknown and existing codes now get the same answer.
    for code in ["WRONG99", workshop.code]:
        r = client.get(f"/j/{code}/q/", REMOTE_ADDR=ROOM, headers={"HX-Request": "true"})
        assert r.status_code == 429


def test_phones_that_joined_keep_going_from_a_refused_address(workshop, phone):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    wrong_codes(Client(), LIMIT)  # someone else in the room, guessing
    phone.defaults["REMOTE_ADDR"] = ROOM
    assert phone.get(f"/j/{workshop.code}/").status_code == 200
    assert answer(phone, workshop, 1, 2).status_code == 200


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_counts_hold_across_processes_on_redis(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", redis_url=redis_url_or_skip(),
                     debug=True)
    env["CACHE_KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"  # nothing shared with anyone else
    manage(env, "migrate", "-v0")
    with Cluster(env, processes=2, log_dir=tmp_path) as cluster:
        first, second = cluster.bases
        for number in range(LIMIT):
            assert status_of(f"{first}/j/WRONG{number:02d}/") == 404
        assert status_of(f"{second}/j/WRONG99/") == 429
