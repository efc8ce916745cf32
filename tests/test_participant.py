"""Participants on their phones: join, answer, come back, see their result."""

import pytest

from tests.builders import answer, answer_all, join, move, option_id
from workshop.models import Answer, Participant, Session


def test_it_finds_a_session_by_a_typed_code(phone, workshop):
    typed = f" {workshop.code[:3].lower()}-{workshop.code[3:].lower()} "
    r = phone.post("/join", {"code": typed})
    assert r.status_code == 302
    assert r["Location"] == f"/j/{workshop.code}/"


def test_it_rejects_an_unknown_code_with_a_message(phone, workshop):
    r = phone.post("/join", {"code": "ZZZZZZ"})
    assert r.status_code == 400
    assert "Er is geen sessie met die code" in r.text
    r = phone.get("/j/ZZZZZZ/")
    assert r.status_code == 404
    assert "Er is geen sessie met die code" in r.text


def test_it_shows_the_join_form_with_the_session_disciplines(phone, workshop):
    r = phone.get(f"/j/{workshop.code}/")
    assert r.status_code == 200
    for discipline in ["Marketing", "Collectie", "Directie"]:
        assert f'value="{discipline}"' in r.text


def test_it_joins_and_waits_in_the_lobby(phone, workshop):
    participant = join(phone, workshop, "Marketing", "Ans")
    assert (participant.name, participant.discipline, participant.number) == ("Ans", "Marketing", 1)
    r = phone.get(f"/j/{workshop.code}/")
    assert "Je doet mee!" in r.text
    assert f'ws-connect="/ws/p/{workshop.code}/"' in r.text


def test_it_returns_the_same_participant_on_reload_and_replayed_join(phone, workshop):
    participant = join(phone, workshop, "Marketing")
    phone.get(f"/j/{workshop.code}/")
    r = phone.post(f"/j/{workshop.code}/", {"name": "again", "discipline": "Directie"})
    assert r.status_code == 200 and "Je doet mee!" in r.text
    assert list(Participant.objects.filter(session=workshop)) == [participant]


def test_two_phones_are_two_participants(phone, phone2, workshop):
    first = join(phone, workshop, "Marketing")
    second = join(phone2, workshop, "Marketing")
    assert first != second and second.number == 2


def test_it_rejects_a_discipline_outside_the_list(phone, workshop):
    r = phone.post(f"/j/{workshop.code}/", {"discipline": "Hackers"})
    assert r.status_code == 400
    assert not Participant.objects.exists()


def test_it_rejects_a_name_that_is_too_long(phone, workshop):
    r = phone.post(f"/j/{workshop.code}/", {"name": "x" * 500, "discipline": "Marketing"})
    assert r.status_code == 400
    assert not Participant.objects.exists()


def test_it_refuses_joining_after_the_lock_but_lets_a_latecomer_follow(phone, workshop):
    move(workshop, Session.ANSWERING)
    move(Session.objects.get(), Session.REVEALED)
    r = phone.get(f"/j/{workshop.code}/")
    assert r.status_code == 200
    assert "je volgt mee" in r.text and f'ws-connect="/ws/follow/{workshop.code}/"' in r.text
    r = phone.post(f"/j/{workshop.code}/", {"discipline": "Marketing"})
    assert r.status_code == 403
    assert "neemt geen nieuwe deelnemers meer aan" in r.text
    assert not Participant.objects.exists()


def test_a_closed_session_that_was_never_revealed_has_nothing_to_follow(phone, workshop):
    move(workshop, Session.CLOSED)
    r = phone.get(f"/j/{workshop.code}/")
    assert r.status_code == 403 and not Participant.objects.exists()


def test_it_lets_late_phones_join_while_answering(phone, workshop):
    move(workshop, Session.ANSWERING)
    assert join(phone, workshop, "Directie").number == 1


def test_it_refuses_answers_in_the_lobby(phone, workshop):
    join(phone, workshop, "Marketing")
    r = answer(phone, workshop, 1, 2)
    assert r.status_code == 409
    assert r["HX-Retarget"] == "#phone-alert"
    assert not Answer.objects.exists()


def test_it_saves_an_answer_and_shows_the_next_question(phone, workshop):
    participant = join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    r = answer(phone, workshop, 1, 3)
    assert r.status_code == 200
    assert "Antwoord 1 opgeslagen" in r.text
    assert "Vraag 2 van 4" in r.text
    saved = Answer.objects.get(participant=participant)
    assert saved.option_id == option_id(workshop, 1, 3)


def test_it_lets_a_participant_change_an_answer(phone, workshop):
    participant = join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer(phone, workshop, 1, 3)
    answer(phone, workshop, 1, 1)
    assert list(participant.answers.values_list("option_id", flat=True)) == [
        option_id(workshop, 1, 1)
    ]


def test_it_shows_the_overview_after_the_last_question(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    r = phone.get(f"/j/{workshop.code}/q/")
    assert "Klaar! We wachten op de anderen." in r.text
    assert "Dagelijks" in r.text


def test_it_opens_the_first_unanswered_question(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer(phone, workshop, 1, 1)
    r = phone.get(f"/j/{workshop.code}/q/")
    assert "Vraag 2 van 4" in r.text


@pytest.mark.parametrize("value", ["", "abc", "999999", "-1"])
def test_it_rejects_a_tampered_option(phone, workshop, value):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    r = phone.post(f"/j/{workshop.code}/q/1/", {"option": value})
    assert r.status_code == 400
    assert not Answer.objects.exists()


def test_it_rejects_an_option_of_another_question(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    r = phone.post(f"/j/{workshop.code}/q/1/", {"option": option_id(workshop, 2, 1)})
    assert r.status_code == 400


def test_it_rejects_a_question_that_does_not_exist(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    assert phone.post(f"/j/{workshop.code}/q/9/", {"option": "1"}).status_code == 404
    assert phone.post(f"/j/{workshop.code}/q/0/", {"option": "1"}).status_code == 404


def test_it_rejects_answers_after_the_lock_and_keeps_the_saved_ones(phone, workshop):
    participant = join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer(phone, workshop, 1, 3)
    move(workshop, Session.REVEALED)
    r = answer(phone, workshop, 1, 1)
    assert r.status_code == 409
    assert "Je opgeslagen antwoorden tellen mee" in r.text
    assert participant.answers.get().option_id == option_id(workshop, 1, 3)


def test_it_asks_a_phone_without_a_participant_to_join(phone, workshop):
    move(workshop, Session.ANSWERING)
    r = answer(phone, workshop, 1, 1)
    assert r.status_code == 403


def test_a_participant_of_one_session_cannot_answer_in_another(phone, workshop, museum):
    from workshop.services import create_session

    join(phone, workshop, "Marketing")
    other = create_session(museum, "Andere sessie", ["Marketing"])
    move(other, Session.ANSWERING)
    assert answer(phone, other, 1, 1).status_code == 403


def test_it_hides_the_own_result_until_the_reveal(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "3122")
    assert "Jouw score" not in phone.get(f"/j/{workshop.code}/").text
    move(workshop, Session.REVEALED)
    r = phone.get(f"/j/{workshop.code}/")
    assert r.status_code == 200
    assert "Jouw score" in r.text
    assert "<strong>4</strong>" in r.text
    assert "Ik kan" in r.text
    assert "Op de grens met ‘Ik wil’" in r.text


def test_a_reloaded_phone_opens_at_its_first_open_question(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer(phone, workshop, 1, 4)
    answer(phone, workshop, 2, 2)
    r = phone.get(f"/j/{workshop.code}/")
    assert "Vraag 3 van 4" in r.text
    assert 'hx-trigger="load"' not in r.text  # the question is in the page, no second request


def test_it_shows_the_group_result_on_the_phone_after_the_reveal(phone, phone2, workshop):
    join(phone, workshop, "Marketing")
    join(phone2, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")  # 10
    answer_all(phone2, workshop, "1111")  # 0
    move(workshop, Session.REVEALED)
    r = phone.get(f"/j/{workshop.code}/")
    assert "De groep" in r.text
    assert "<strong>5,0</strong>" in r.text
    assert "Jouw score" in r.text and "<strong>10</strong>" in r.text


def test_it_refuses_a_huge_payload(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    r = phone.post(f"/j/{workshop.code}/q/1/", {"option": "1" * 300_000})
    assert r.status_code == 400


def _join_form(phone, workshop) -> dict:
    page = phone.get(f"/j/{workshop.code}/").text
    key = page.split('name="join_key" value="', 1)[1].split('"', 1)[0]
    return {"name": "", "discipline": "Marketing", "join_key": key}


def test_a_double_tap_on_join_makes_one_participant(workshop):
    from django.test import Client

    form = _join_form(Client(), workshop)
    # The second tap arrives before the first answer set the cookie: two cookie-less posts.
    first, second = Client(), Client()
    r1 = first.post(f"/j/{workshop.code}/", form)
    r2 = second.post(f"/j/{workshop.code}/", form)
    assert r1.status_code == r2.status_code == 200
    cookie = f"dna_p_{workshop.code}"
    assert first.cookies[cookie].value == second.cookies[cookie].value
    assert Participant.objects.count() == 1


def _post_at_once(workshop, forms: list[dict]) -> list[int]:
    """Each form posted by a phone of its own, all at once; the statuses."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django.test import Client

    if connection.vendor == "sqlite":
        # The embedded default serves one request at a time (config/shared_thread.py); the
        # in-memory test database locks whole tables across threads. CI runs this on PostgreSQL.
        pytest.skip("parallel writes need PostgreSQL")

    def post(form):
        try:
            return Client().post(f"/j/{workshop.code}/", form).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        return list(pool.map(post, forms))


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_of_one_join_form_make_one_participant(workshop):
    from django.test import Client

    form = _join_form(Client(), workshop)
    assert set(_post_at_once(workshop, [form] * 20)) == {200}  # each answered with the lobby
    assert Participant.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_phones_joining_at_once_get_twenty_numbers(workshop):
    """The insert numbers the participant itself: phones that pick the same number meet the
    unique constraint and try again, so every phone joins, each with a number of its own."""
    from django.test import Client

    forms = [_join_form(Client(), workshop) for _ in range(20)]
    assert set(_post_at_once(workshop, forms)) == {200}
    numbers = sorted(Participant.objects.filter(session=workshop).values_list("number", flat=True))
    assert numbers == list(range(1, 21))


def test_a_join_is_one_statement_and_stores_what_the_orm_would(workshop):
    """services.join writes the participant in one INSERT ... SELECT (no lookup, no separate
    count); what it returns and what it stored are the model's fields with their defaults."""
    from django.db import connection
    from django.db.models.signals import post_save
    from django.test.utils import CaptureQueriesContext

    from workshop import services

    services.join(workshop, "Ans", "Marketing", "k" * 24)
    saved = []

    def receiver(sender, instance, created, **kwargs):
        saved.append((instance.pk, created, kwargs["using"]))

    post_save.connect(receiver, sender=Participant)
    try:
        with CaptureQueriesContext(connection) as queries:
            participant = services.join(workshop, "Bo", "Directie", "l" * 24)
    finally:
        post_save.disconnect(receiver, sender=Participant)
    writes = [q["sql"] for q in queries.captured_queries
              if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    assert len(writes) == 1 and writes[0].startswith("INSERT"), writes
    # As Model.save() would: post_save sent (results.forget_results listens), state set.
    assert saved == [(participant.pk, True, "default")]
    assert participant._state.db == "default"
    stored = Participant.objects.get(pk=participant.pk)
    for field in Participant._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(participant, field.attname), field.name
    assert (stored.number, stored.name, stored.discipline, stored.recognised,
            stored.confirmed_round) == (2, "Bo", "Directie", "", 0)
    assert stored.token and stored.token != Participant.objects.get(number=1).token
    assert participant._state.adding is False
    # The same form again brings back that participant; a new form takes the next number.
    assert services.join(workshop, "Bo", "Directie", "l" * 24).pk == participant.pk
    assert services.join(workshop, "Cas", "Directie", "m" * 24).number == 3


def test_a_join_that_comes_after_the_lock_is_refused_by_its_insert(workshop):
    """A phone read the session while it still accepted joins, and the facilitator locked it
    before the phone's insert: the insert checks the step itself, so nobody joins a revealed
    (or closed) session. A session gone meanwhile is refused the same way."""
    from workshop import services
    from workshop.services import WorkshopError

    services.join(workshop, "Ans", "Marketing", "a" * 24)
    for step in (Session.REVEALED, Session.DISCUSSION, Session.CLOSED):
        Session.objects.filter(pk=workshop.pk).update(step=step)
        assert workshop.accepts_joins  # what the phone read
        with pytest.raises(WorkshopError) as refused:
            services.join(workshop, "Bo", "Directie", "b" * 24)
        assert refused.value.status == 403
        assert Participant.objects.filter(session=workshop).count() == 1
    Session.objects.filter(pk=workshop.pk).update(step=Session.ANSWERING)
    assert services.join(workshop, "Bo", "Directie", "b" * 24).number == 2
    # A second tap of that form after the lock brings back its participant, as before it.
    Session.objects.filter(pk=workshop.pk).update(step=Session.REVEALED)
    assert services.join(workshop, "Bo", "Directie", "b" * 24).number == 2
    assert Participant.objects.filter(session=workshop).count() == 2
    gone = Session.objects.get(pk=workshop.pk)
    Session.objects.filter(pk=workshop.pk).update(step=Session.LOBBY)
    workshop.delete()
    with pytest.raises(WorkshopError) as refused:
        services.join(gone, "Cas", "Directie", "c" * 24)
    assert refused.value.status == 403


def _waits_for_a_lock(seconds: float = 5) -> bool:
    """Whether another connection to this database waits for a lock (PostgreSQL), within
    `seconds`."""
    import time

    from django.db import connection

    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the statistics are a snapshot: a fresh one each time.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database() AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_join_waits_for_the_lock_and_then_is_refused(workshop):
    """PostgreSQL: the lock (move_to's SELECT ... FOR UPDATE) and a join's insert wait for
    each other; a join that waited sees the new step and inserts nothing."""
    import threading

    from django.db import connection, transaction

    from workshop import services
    from workshop.services import WorkshopError

    if connection.vendor == "sqlite":
        pytest.skip("row locks need PostgreSQL")
    locked, outcome = threading.Event(), []

    def join_meanwhile():
        locked.wait(5)
        try:
            services.join(workshop, "Bo", "Directie", "b" * 24)
            outcome.append("joined")
        except WorkshopError as error:
            outcome.append(error.status)
        finally:
            connection.close()

    phone = threading.Thread(target=join_meanwhile)
    phone.start()
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=workshop.pk)
        locked.set()
        assert _waits_for_a_lock(), "the join did not wait for the lock's transaction"
        assert phone.is_alive()
        session.step = Session.REVEALED
        session.save(update_fields=["step"])
    phone.join(5)
    assert outcome == [403]
    assert not Participant.objects.filter(session=workshop).exists()


def test_a_join_form_without_its_key_is_sent_again_with_a_fresh_one(phone, workshop):
    r = phone.post(f"/j/{workshop.code}/", {"discipline": "Marketing"})
    assert r.status_code == 400
    assert "De pagina was verouderd" in r.text and 'name="join_key" value="' in r.text
    assert not Participant.objects.exists()


def test_it_gives_the_phone_pages_the_slim_header(phone, workshop):
    join_form = phone.get(f"/j/{workshop.code}/").text
    for page in (join_form, phone.get("/join").text, phone.get("/j/ZZZZZZ/").text):
        assert 'class="phone-header"' in page and 'class="site-nav"' not in page
    assert "Digitaal DNA met het hele team" in join_form.split("</header>")[0]


def test_a_saved_answer_clears_the_alert_but_keeps_its_texts(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    for r in (answer(phone, workshop, 1, 3), phone.get(f"/j/{workshop.code}/q/2/"),
              phone.get(f"/j/{workshop.code}/q/0/")):
        # Only the content: #phone-alert keeps role=alert and the offline/server error texts.
        assert '<div id="phone-alert" data-hx-swap-oob="innerHTML"></div>' in r.text
        assert 'hx-swap-oob="true"' not in r.text


def test_it_disables_every_option_while_saving(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    page = phone.get(f"/j/{workshop.code}/q/1/").text
    assert 'hx-disabled-elt="find fieldset"' in page
    fieldset = page.split('<fieldset class="choices">', 1)[1].split("</fieldset>", 1)[0]
    assert fieldset.count('class="choice') == 4


def test_a_changed_answer_goes_back_to_the_overview(phone, workshop):
    participant = join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")
    overview = phone.get(f"/j/{workshop.code}/q/0/").text
    assert f'hx-get="/j/{workshop.code}/q/2/?from=overview"' in overview
    page = phone.get(f"/j/{workshop.code}/q/2/?from=overview").text
    assert '<input type="hidden" name="from" value="overview">' in page
    r = phone.post(f"/j/{workshop.code}/q/2/",
                   {"option": option_id(workshop, 2, 1), "from": "overview"},
                   headers={"HX-Request": "true"})
    assert "Antwoord 2 opgeslagen" in r.text and "Klaar! We wachten op de anderen." in r.text
    assert "Vraag 3 van 4" not in r.text
    assert participant.answers.get(question__order=2).option_id == option_id(workshop, 2, 1)


def test_without_the_overview_an_answer_moves_on_to_the_next_question(phone, workshop):
    join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    page = phone.get(f"/j/{workshop.code}/q/2/").text
    assert 'name="from"' not in page
    r = phone.post(f"/j/{workshop.code}/q/2/", {"option": option_id(workshop, 2, 1),
                                                "from": "elsewhere"},
                   headers={"HX-Request": "true"})
    assert "Vraag 3 van 4" in r.text


def test_the_lobby_shows_who_you_joined_as_and_how_many_joined(phone, phone2, workshop):
    join(phone, workshop, "Marketing", "Ans")
    join(phone2, workshop, "Directie")
    page = phone.get(f"/j/{workshop.code}/").text
    assert "Er doen tot nu toe 2 mensen mee." in page
    assert "Je doet mee als <strong>Ans</strong> (Marketing)." in page
    # Who you are is outside the stage, which is pushed to every phone alike.
    assert "Ans" not in page.split('id="stage"', 1)[1].split('class="me"', 1)[0]
    assert "Je doet mee zonder naam (Directie)." in phone2.get(f"/j/{workshop.code}/").text


def test_the_lobby_escapes_the_name_you_joined_with(phone, workshop):
    join(phone, workshop, "Marketing", "<i>Cas</i>")
    page = phone.get(f"/j/{workshop.code}/").text
    assert "Je doet mee als <strong>&lt;i&gt;Cas&lt;/i&gt;</strong> (Marketing)." in page


def test_the_phase_chart_marks_the_phase_of_your_own_answer(phone, phone2, workshop,
                                                            alice_client):
    join(phone, workshop, "Marketing")
    join(phone2, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    answer_all(phone, workshop, "4243")  # 10: Ik doe
    answer_all(phone2, workshop, "1111")  # 0: Ik zie
    move(workshop, Session.REVEALED)
    page = phone.get(f"/j/{workshop.code}/").text
    assert '<section class="my-result phase-4" data-phase="4">' in page
    for number in range(1, 5):
        assert f'<li class="bar-row" data-phase="{number}">' in page
    assert page.count('<span class="you-marker">jij</span>') == 4  # CSS shows the own one
    assert "you-marker" not in alice_client.get(f"/sessions/{workshop.code}/").text


@pytest.mark.django_db(transaction=True)
def test_an_answer_racing_the_lock_waits_for_it_and_is_refused(workshop):
    """The lock (move_to, SELECT ... FOR UPDATE of the session row) and an answer in flight:
    the answer waits for the lock's transaction, then sees the new step and saves nothing.
    On SQLite the database's write lock orders them, on PostgreSQL the row lock (the answer's
    upsert reads the step FOR SHARE). SQLite's in-memory test database answers "table is
    locked" at once instead of waiting: run with SQLITE_TEST_FILE=1 (tests/conftest.py)."""
    import threading

    from django.db import connection, transaction
    from django.test import Client

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("a race on SQLite needs a database file: SQLITE_TEST_FILE=1")

    phone = Client()
    participant = join(phone, workshop, "Marketing")
    move(workshop, Session.ANSWERING)
    assert answer(phone, workshop, 1, 3).status_code == 200
    locked, release = threading.Event(), threading.Event()

    def lock() -> None:
        try:
            with transaction.atomic():
                session = Session.objects.select_for_update().get(pk=workshop.pk)
                session.step = Session.REVEALED
                session.save(update_fields=["step"])
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    responses = []

    def post() -> None:
        try:
            responses.append(answer(phone, workshop, 1, 1))
        finally:
            connection.close()

    locker = threading.Thread(target=lock)
    locker.start()
    assert locked.wait(10)
    poster = threading.Thread(target=post)
    poster.start()
    poster.join(0.5)
    assert poster.is_alive(), "the answer did not wait for the lock's transaction"
    release.set()
    locker.join(10)
    poster.join(10)
    assert responses[0].status_code == 409
    assert participant.answers.get().option_id == option_id(workshop, 1, 3)


def test_the_phone_s_participant_is_read_with_every_field_as_the_orm_reads_it(phone, workshop):
    from workshop import access
    from workshop.identity import participant_cookie

    participant = join(phone, workshop, "Marketing", name="Ada")
    move(workshop, Session.ANSWERING, Session.REVEALED)
    token = phone.cookies[participant_cookie(workshop.code)].value
    found = access.find_participant(workshop.code, token)
    expected = Participant.objects.select_related("session").get(pk=participant.pk)
    for field in Participant._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for field in Session._meta.concrete_fields:
        assert getattr(found.session, field.attname) == getattr(expected.session,
                                                                 field.attname), field.name
    assert found.session.revealed_at is not None and found.session.disciplines
    assert access.find_participant(workshop.code, token + "x") is None
    assert access.find_participant("ZZZZZZ", token) is None
    # The session alone, by its code, read the same way.
    session = access.find_session(workshop.code)
    for field in Session._meta.concrete_fields:
        assert getattr(session, field.attname) == getattr(expected.session,
                                                          field.attname), field.name
    assert access.find_session("ZZZZZZ") is None


@pytest.mark.parametrize("number", [1, 3, 4])
def test_a_cached_answer_screen_is_the_screen_the_view_renders(phone, phone2,
                                                              recognising_workshop, monkeypatch,
                                                              number):
    """After an answer the next question (or, after the last, the recognition question) comes
    from a per-process cache: byte for byte what the view renders without it, for a phone
    whose descriptions come in another order too."""
    from workshop.screens import phone as screens

    session = recognising_workshop
    join(phone, session, "Marketing")
    join(phone2, session, "Marketing")
    move(session, Session.ANSWERING)
    for client in (phone, phone2):
        for earlier in range(1, number):
            answer(client, session, earlier, 2)
    screens._answer_screens.clear()
    with monkeypatch.context() as patched:
        patched.setattr(screens, "cached_answer_screen", lambda *args: None)
        uncached = [answer(client, session, number, 1).text for client in (phone, phone2)]
    cached = [answer(client, session, number, 1).text for client in (phone, phone2)]
    assert cached == uncached
    assert len(screens._answer_screens) >= 1


def test_a_joined_phone_s_page_reads_its_participant_and_session_in_one_query(phone, workshop):
    """A reload (and the join's redirect) finds the participant with its session in one query;
    the session is read on its own only for a phone that has not joined."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    join(phone, workshop, "Marketing", "Ans")
    table = f'"{Session._meta.db_table}"'
    with CaptureQueriesContext(connection) as queries:
        page = phone.get(f"/j/{workshop.code}/")
    assert page.status_code == 200 and "Ans" in page.text
    assert sum(f"FROM {table}" in q["sql"] or f"JOIN {table}" in q["sql"]
               for q in queries.captured_queries) == 1, queries.captured_queries
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(f"/j/{workshop.code}/").status_code == 200
    assert sum(f"FROM {table}" in q["sql"] for q in queries.captured_queries) == 1


def test_a_joined_phone_on_a_typed_address_is_sent_to_the_session_s_own(phone, workshop):
    participant = join(phone, workshop, "Marketing", "Ans")
    typed = f"/j/{workshop.code[:3].lower()}-{workshop.code[3:].lower()}/"
    r = phone.get(typed)
    assert r.status_code == 302 and r["Location"] == f"/j/{workshop.code}/"
    assert "Ans" in phone.get(r["Location"]).text
    assert Participant.objects.get() == participant


def test_a_phone_taken_out_gets_the_join_form_again(phone, workshop):
    taken_out = join(phone, workshop, "Marketing", "Ans").pk
    Participant.objects.filter(pk=taken_out).delete()
    page = phone.get(f"/j/{workshop.code}/")
    assert page.status_code == 200 and 'name="join_key"' in page.text
    assert join(phone, workshop, "Directie", "Ans").pk != taken_out
