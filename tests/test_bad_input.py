"""Bad input gets a 400 or 404, never a 500: NUL bytes (which PostgreSQL refuses in text) in
paths, query strings, cookies and form fields, and bodies over the size limit."""

import logging

import pytest

from assessments.models import Questionnaire
from tests.builders import join, move
from workshop.identity import participant_cookie
from workshop.models import Note, Participant, Session


@pytest.mark.parametrize("path", [
    "/r/%00/",
    "/r/%00/report.pdf",
    "/j/%00/",
    "/j/%00/q/",
    "/j/AB%00CD/",
    "/phases/%00/",
    "/organisations/%00/",
    "/?next=%00",
    "/join?code=%00",
    "/static/css/app.css%00",
])
def test_a_nul_byte_in_the_address_is_a_bad_request(client, workshop, path):
    r = client.get(path)
    assert r.status_code in (400, 404)


@pytest.mark.parametrize("path", [
    "/sessions/%00/",
    "/sessions/%00/report/",
    "/sessions/%00/report.csv",
    "/sessions/?a=%00",
    "/organisations/museum-noord/compare/?a=%00&b=x",
])
def test_a_nul_byte_in_a_facilitator_address_is_a_bad_request(alice_client, workshop, path):
    assert alice_client.get(path).status_code in (400, 404)


def test_a_nul_byte_in_the_participant_cookie_is_a_bad_request(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    phone.cookies[participant_cookie(workshop.code)] = "token\x00"
    assert phone.get(f"/j/{workshop.code}/").status_code == 400
    r = phone.post(f"/j/{workshop.code}/q/1/", {"option": "1"}, headers={"HX-Request": "true"})
    assert r.status_code == 400


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "django_language"])
def test_a_nul_byte_in_any_cookie_is_a_bad_request(alice_client, workshop, cookie):
    alice_client.cookies[cookie] = "x" * 10 + "\x00"
    assert alice_client.get(f"/sessions/{workshop.code}/").status_code == 400


def test_a_nul_byte_in_a_name_is_refused_by_the_form(phone, workshop):
    r = phone.post(f"/j/{workshop.code}/", {"name": "Ans\x00", "discipline": "Marketing"})
    assert r.status_code == 400
    assert not Participant.objects.exists()


def test_a_nul_byte_in_a_typed_code_is_refused_by_the_form(phone, workshop):
    assert phone.post("/join", {"code": workshop.code + "\x00"}).status_code == 400


def test_a_nul_byte_in_an_answer_is_refused(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    r = phone.post(f"/j/{workshop.code}/q/1/", {"option": "1\x00"}, headers={"HX-Request": "true"})
    assert r.status_code == 400


def test_a_nul_byte_in_a_note_is_refused_by_the_form(alice_client, workshop):
    r = alice_client.post(f"/sessions/{workshop.code}/notes/",
                          {"kind": "note", "text": "Plan\x00", "owner": "Ans\x00"})
    assert r.status_code < 500
    assert not Note.objects.exists()


def test_a_nul_byte_in_a_new_session_is_refused_by_the_form(alice_client, museum, questionnaire):
    r = alice_client.post("/sessions/new/", {
        "title": "Teamdag\x00", "organisation": museum.pk,
        "questionnaire": Questionnaire.get_default().pk,
        "disciplines": "Marketing\x00",
    })
    assert r.status_code < 500
    assert not Session.objects.exists()


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_nul_byte_in_the_login_is_refused_by_the_form(client, alice, field):
    data = {"username": "alice", "password": "alice-password"} | {field: "alice\x00"}
    r = client.post("/login/", data)
    assert r.status_code < 500
    assert "_auth_user_id" not in client.session


def test_a_nul_byte_in_the_share_form_is_refused(alice_client, workshop):
    r = alice_client.post(f"/sessions/{workshop.code}/share/", {"action": "create\x00"})
    assert r.status_code == 400


def test_a_nul_byte_in_a_quiz_answer_is_refused(client, questionnaire):
    r = client.post("/quiz/", {"q1": "1\x00"})
    assert r.status_code < 500


@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=BoUnDaRy"])
def test_an_over_large_body_is_a_bad_request_without_a_traceback(
    phone, workshop, caplog, content_type
):
    if content_type.startswith("multipart"):
        body = (b"--BoUnDaRy\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n"
                + b"x" * 300_000 + b"\r\n--BoUnDaRy--\r\n")
    else:
        body = b"name=" + b"x" * 300_000
    with caplog.at_level(logging.INFO):
        r = phone.generic("POST", f"/j/{workshop.code}/", body, content_type=content_type)
    assert r.status_code == 400
    assert caplog.records, "the refusal is logged"
    assert not [record for record in caplog.records if record.exc_info or record.exc_text]
