"""Pages a room asks for at once, kept rendered (workshop/screens/kept.py): each phone gets the
page the template renders, with its own token and join key, and nothing kept that is not its."""

import re
import secrets

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory

from tests.builders import answer_all, join, move
from workshop import sockets
from workshop.models import Participant, Session
from workshop.screens import kept

TOKENS = [
    re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+'),
    re.compile(r'("X-CSRFToken": ")[^"]+'),
    re.compile(r'(name="join_key" value=")[^"]+'),
]


def without_tokens(html: str) -> str:
    for pattern in TOKENS:
        html = pattern.sub(r"\1<token>", html)
    return html


def page_values(html: str) -> tuple[str, ...]:
    return tuple(match.group(0) for pattern in TOKENS for match in pattern.finditer(html))


@pytest.fixture
def rendered(monkeypatch):
    """The join page as the template renders it, for a new phone, nothing kept."""

    def get(session: Session, language: str = "nl") -> str:
        with monkeypatch.context() as patch:
            patch.setattr(kept, "keepable", lambda request: False)
            client = Client()
            client.cookies["django_language"] = language
            response = client.get(f"/j/{session.code}/")
        assert response.status_code == 200
        return response.text

    return get


def new_phone(language: str = "nl") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_kept_join_page_is_the_page_the_template_renders(workshop, rendered, language):
    kept.forget()
    first = new_phone(language).get(f"/j/{workshop.code}/")  # rendered, and kept
    second = new_phone(language).get(f"/j/{workshop.code}/")  # the kept copy
    reference = rendered(workshop, language)
    for response in (first, second):
        assert response.status_code == 200
        assert without_tokens(response.text) == without_tokens(reference)
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response["Content-Language"] == language
    assert kept._MARK not in first.text and kept._MARK not in second.text


def test_each_phone_gets_its_own_token_and_join_key_and_can_join_with_them(workshop):
    kept.forget()
    phones = [new_phone(), new_phone()]
    pages = [phone.get(f"/j/{workshop.code}/") for phone in phones]
    values = [page_values(page.text) for page in pages]
    assert len(values[0]) == 4  # the token three times (header, two forms), the join key once
    assert set(values[0]).isdisjoint(values[1])
    for phone, page in zip(phones, pages, strict=True):
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)', page.text).group(1)
        key = re.search(r'name="join_key" value="([^"]+)', page.text).group(1)
        assert phone.cookies["csrftoken"].value  # the page set the phone's CSRF cookie
        phone.handler.enforce_csrf_checks = True
        response = phone.post(f"/j/{workshop.code}/", {
            "csrfmiddlewaretoken": token, "join_key": key, "discipline": "Marketing"})
        assert response.status_code == 200 and "Je doet mee!" in response.text
    assert Participant.objects.filter(session=workshop).count() == 2


def test_a_changed_title_or_list_of_disciplines_shows_at_once(workshop):
    kept.forget()
    assert "Digitaal DNA met het hele team" in new_phone().get(f"/j/{workshop.code}/").text
    Session.objects.filter(pk=workshop.pk).update(title="Nieuwe titel")
    page = new_phone().get(f"/j/{workshop.code}/").text
    assert "Nieuwe titel" in page and "Digitaal DNA met het hele team" not in page
    Session.objects.filter(pk=workshop.pk).update(disciplines=["Educatie", "Marketing"])
    page = new_phone().get(f"/j/{workshop.code}/").text
    assert 'value="Educatie"' in page and 'value="Collectie"' not in page


def test_sessions_and_languages_are_kept_apart(workshop, recognising_workshop):
    kept.forget()
    dutch = new_phone().get(f"/j/{workshop.code}/").text
    english = new_phone("en").get(f"/j/{workshop.code}/").text
    other = new_phone().get(f"/j/{recognising_workshop.code}/").text
    assert "Meedoen" in dutch and "Join" in english and "Meedoen" not in english
    assert "Met herkenning" in other and "Digitaal DNA met het hele team" not in other


def test_a_page_that_shows_more_than_its_key_is_rendered_for_its_request(workshop, alice):
    kept.forget()
    factory = RequestFactory()

    def request(path: str = f"/j/{workshop.code}/", user=None):
        made = factory.get(path)
        made.user = user or AnonymousUser()
        made._messages = CookieStorage(made)
        return made

    assert kept.keepable(request())
    assert not kept.keepable(request(f"/j/{workshop.code}/?next=/elsewhere"))
    with_message = request()
    messages.info(with_message, "Taal gewijzigd")
    assert not kept.keepable(with_message)
    assert not kept.keepable(request(user=alice))  # a facilitator's pages show the login


def test_a_page_asked_for_with_a_query_string_is_rendered_with_it(workshop, phone):
    new_phone().get(f"/j/{workshop.code}/")  # kept
    page = phone.get(f"/j/{workshop.code}/?via=qr").text
    assert f'name="next" value="/j/{workshop.code}/?via=qr"' in page  # the language switch
    join(phone, workshop, "Marketing", "Ans")
    page = phone.get(f"/j/{workshop.code}/?via=qr").text
    assert f'name="next" value="/j/{workshop.code}/?via=qr"' in page and "Ans" in page


def test_a_kept_page_refuses_a_value_that_would_need_escaping(workshop):
    request = RequestFactory().get(f"/j/{workshop.code}/")
    with pytest.raises(ValueError):
        kept.page(request, "workshop/join_session.html", {}, key=(), values={"join_key": "<b>"})
    with pytest.raises(ValueError):
        kept.page(request, "workshop/join_session.html", {}, key=(), values={"join_key": "k\n"})


def test_a_joined_phone_reloading_the_join_page_gets_its_own_page(phone, workshop):
    join(phone, workshop, "Marketing", "Ans")
    page = phone.get(f"/j/{workshop.code}/").text
    assert "Je doet mee!" in page and "Ans" in page


def join_page_of(phone: Client, session: Session, name: str, discipline: str = "Marketing"):
    response = phone.post(f"/j/{session.code}/", {"name": name, "discipline": discipline,
                                                  "join_key": secrets.token_urlsafe(24)})
    assert response.status_code == 200
    return response.text


def test_a_kept_lobby_page_is_the_page_the_template_renders(workshop, monkeypatch):
    kept.forget()
    first, second = new_phone(), new_phone()
    join_page_of(first, workshop, "Ans")  # rendered, and kept
    answered = join_page_of(second, workshop, "<b>Bert</b>", "Directie")  # the kept copy
    with monkeypatch.context() as patch:
        patch.setattr(kept, "keepable", lambda request: False)
        reference = second.get(f"/j/{workshop.code}/").text
    assert without_tokens(answered) == without_tokens(reference)
    assert kept._MARK not in answered
    assert "&lt;b&gt;Bert&lt;/b&gt;" in answered and "<b>Bert" not in answered


def test_each_phone_s_lobby_shows_its_own_name_and_the_count_when_it_joined(workshop):
    kept.forget()
    pages = [join_page_of(new_phone(), workshop, name) for name in ["Ans", "", "Cas"]]
    assert "Ans</strong>" in pages[0] and "1 persoon" in pages[0]
    assert "zonder naam" in pages[1] and "Ans" not in pages[1] and "2 mensen" in pages[1]
    assert "Cas</strong>" in pages[2] and "3 mensen" in pages[2]
    assert len({page_values(page) for page in pages}) == 3  # a token of its own each


def test_a_lobby_page_shows_a_changed_title_at_once(workshop, phone):
    kept.forget()
    join(phone, workshop, "Marketing", "Ans")
    Session.objects.filter(pk=workshop.pk).update(title="Nieuwe titel")
    page = phone.get(f"/j/{workshop.code}/").text
    assert "Nieuwe titel" in page and "Digitaal DNA met het hele team" not in page


@pytest.mark.parametrize("steps", [[], ["answering"], ["answering", "revealed"],
                                   ["answering", "revealed", "discussion"],
                                   ["answering", "revealed", "closed"]])
def test_a_kept_phone_page_is_the_rendered_page_in_every_step(workshop, monkeypatch, steps):
    kept.forget()
    phones = [new_phone(), new_phone()]
    for phone, name in zip(phones, ["Ans", "Bert"], strict=True):
        join_page_of(phone, workshop, name)
    if steps:
        move(workshop, steps[0])
        answer_all(phones[0], workshop, "1111")
        move(workshop, *steps[1:])
    for phone in phones:
        kept_page = phone.get(f"/j/{workshop.code}/").text
        with monkeypatch.context() as patch:
            patch.setattr(kept, "keepable", lambda request: False)
            reference = phone.get(f"/j/{workshop.code}/").text
        assert without_tokens(kept_page) == without_tokens(reference)


def test_a_latecomer_s_kept_page_is_the_rendered_page(workshop, monkeypatch):
    kept.forget()
    join_page_of(new_phone(), workshop, "Ans")
    move(workshop, "answering", "revealed")
    pages = [new_phone().get(f"/j/{workshop.code}/").text for _ in range(2)]
    with monkeypatch.context() as patch:
        patch.setattr(kept, "keepable", lambda request: False)
        reference = new_phone().get(f"/j/{workshop.code}/").text
    assert f'data-ws-connect="{sockets.follow(workshop.code)}"' in reference
    for page in pages:
        assert without_tokens(page) == without_tokens(reference)
