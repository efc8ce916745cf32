"""Random and hostile input to every form and endpoint: whatever comes in, the answer is never a
server error (5xx), and nothing saved is lost. Runs on PostgreSQL in CI, where a NUL byte in a
query is an error of the database's own. Derandomised, so a failure is the same on every run.
"""

import secrets

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import answer_all, join, move
from workshop.models import Answer, Session

HOSTILE = [
    "", "\x00", "a\x00b", "%00", "0", "-1", "99999999999999999999", "1e309", "NaN",
    "' OR 1=1 --", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
    "=HYPERLINK(\"http://x\",\"y\")", "../../etc/passwd", "\u202e\u0000\ud7ff", "𝕏" * 300,
    "x" * 5000, " ", "\r\n", "null", "[]", "{}",
]
texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=200))
path_parts = st.one_of(st.sampled_from(HOSTILE[:16]),
                       st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
FIELDS = ["code", "name", "discipline", "join_key", "option", "step", "kind", "text", "owner",
          "title", "organisation", "questionnaire", "disciplines", "auto_reveal", "action",
          "username", "password", "language", "next", "a", "b", "q1", "q2", "q3", "q4",
          "csrfmiddlewaretoken", "phase", "ask_recognition", "tool", "choice", "points", "part",
          "target_phase", "target_date", "owner", "due", "done"]
# What an HTTP header can carry: one byte per character (the test client's WSGI environ
# refuses anything else before the request reaches the app).
cookies = st.one_of(st.sampled_from([h for h in HOSTILE if max(h or "a") <= "\xff"]),
                    st.text(alphabet=st.characters(max_codepoint=255), max_size=100))
forms = st.dictionaries(st.sampled_from(FIELDS), texts, max_size=8)
FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Every URL pattern of the project, with {code} for a real session's code, {n} for a number,
# {token} for its share token and {slug} for its organisation; {x} is fuzzed.
FACILITATOR_URLS = [
    "/sessions/", "/sessions/new/", "/sessions/{code}/", "/sessions/{code}/step/",
    "/sessions/{code}/resend/", "/sessions/{code}/participants/{n}/remove/",
    "/sessions/{code}/notes/", "/sessions/{code}/projector/", "/sessions/{code}/report/",
    "/sessions/{code}/report.csv", "/sessions/{code}/share/", "/sessions/{code}/tool/",
    "/sessions/{code}/tool/open/", "/sessions/{code}/tool/plan/", "/sessions/{code}/tool/items/",
    "/sessions/{code}/target/", "/agreements/{n}/done/",
    "/organisations/{slug}/", "/organisations/{slug}/compare/",
    "/sessions/{x}/", "/sessions/{x}/step/", "/sessions/{x}/report.csv", "/sessions/{x}/delete/",
    "/organisations/{x}/", "/organisations/{x}/compare/",
]
PUBLIC_URLS = [
    "/", "/phases/", "/phases/{x}/", "/quiz/", "/join", "/j/{code}/", "/j/{code}/q/",
    "/j/{code}/q/{n}/", "/j/{x}/", "/j/{x}/q/", "/j/{x}/q/{n}/", "/r/{token}/", "/r/{x}/",
    "/j/{code}/recognise/", "/j/{code}/done/", "/j/{code}/tool/vote/", "/j/{code}/tool/suggest/",
    "/j/{x}/recognise/", "/j/{x}/done/",
    "/healthz", "/i18n/setlang/", "/login/", "/logout/",
]


@pytest.fixture
def running(workshop, phone, phone2):
    """A session in the middle of answering, with a share link and saved answers."""
    join(phone, workshop, "Marketing")
    join(phone2, workshop, "Directie")
    session = move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    Session.objects.filter(pk=session.pk).update(share_token=secrets.token_urlsafe(32))
    return Session.objects.get(pk=session.pk)


def fill(url: str, session: Session, x: str, n: int) -> str:
    return url.format(code=session.code, n=n, token=session.share_token,
                      slug=session.organisation.slug, x=x.replace("/", "_") or "_")


def assert_no_server_error(client: Client, method: str, url: str, data: dict,
                           htmx: bool) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    response = getattr(client, method)(url, data, headers=headers)
    assert response.status_code < 500, (method, url, data, response.status_code)


@pytest.mark.django_db
@FUZZ
@given(url=st.sampled_from(FACILITATOR_URLS), method=st.sampled_from(["get", "post"]),
       x=path_parts, n=st.integers(-2, 10**12), data=forms, htmx=st.booleans())
def test_the_facilitator_side_never_answers_with_a_server_error(
        running, alice, url, method, x, n, data, htmx):
    saved = Answer.objects.count()
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    if url == "/sessions/{code}/delete/" and method == "post":
        return  # deleting is the one write that is meant to lose what was saved
    assert_no_server_error(client, method, fill(url, running, x, n), data, htmx)
    assert Answer.objects.count() >= saved - 4 * 2  # only a removal of a phone deletes answers


@pytest.mark.django_db
@FUZZ
@given(url=st.sampled_from(PUBLIC_URLS), method=st.sampled_from(["get", "post"]), x=path_parts,
       n=st.integers(-2, 10**12), data=forms, htmx=st.booleans(), cookie=cookies,
       with_phone_cookie=st.booleans())
def test_the_public_side_never_answers_with_a_server_error(
        running, phone, url, method, x, n, data, htmx, cookie, with_phone_cookie):
    saved = Answer.objects.count()
    # A real phone (its cookie), or a stranger with a made-up participant cookie.
    client = phone if with_phone_cookie else Client()
    client.raise_request_exception = False
    if not with_phone_cookie:
        client.cookies[f"dna_p_{running.code}"] = cookie
        client.cookies["django_language"] = cookie
    assert_no_server_error(client, method, fill(url, running, x, n), data, htmx)
    assert Answer.objects.count() >= saved


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", HOSTILE[:16])
def test_every_url_takes_every_hostile_value_without_a_server_error(running, alice, hostile):
    """The hostile values, each in every place at once, on every URL: deterministic, so the
    known troublemakers (a NUL byte on PostgreSQL, say) are always tried."""
    facilitator = Client(raise_request_exception=False)
    facilitator.force_login(alice)
    stranger = Client(raise_request_exception=False)
    if max(hostile or "a") <= "\xff":
        stranger.cookies[f"dna_p_{running.code}"] = hostile
        stranger.cookies["sessionid"] = hostile
        stranger.cookies["csrftoken"] = hostile
    data = dict.fromkeys(FIELDS, hostile)
    for client, urls in ((facilitator, FACILITATOR_URLS), (stranger, PUBLIC_URLS)):
        for url in urls:
            for method in ("get", "post"):
                if url.endswith("/delete/") and method == "post":
                    continue
                assert_no_server_error(client, method, fill(url, running, hostile, 1), data,
                                       htmx=True)
