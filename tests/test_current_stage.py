"""The state a (re)connecting phone is sent (workshop/screens/phone.py, current_stage): phones
that ask at about the same moment are served by one read and one render, each still with its
own screen or its own result, and never with a state older than its request."""

import asyncio
import time

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import mark_safe

from workshop import services
from workshop.models import Participant, Session
from workshop.screens import phone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

OWN = '<div id="my-result" data-hx-swap-oob="true">'


def in_db(function, *args, **kwargs):
    return sync_to_async(function, thread_sensitive=True)(*args, **kwargs)


def participants(session: Session, answers: list[str]) -> list[Participant]:
    """One participant per string of options chosen (1-based, in question order)."""
    people = [Participant.objects.create(session=session, number=n, discipline="Marketing")
              for n in range(1, len(answers) + 1)]
    services.move_to(session, Session.ANSWERING)
    questions = session.cached_questionnaire.ordered_questions()
    for person, chosen in zip(people, answers, strict=True):
        for question, option in zip(questions, chosen, strict=False):
            services.save_answer(person, question.pk, list(question.options.all())[
                int(option) - 1].pk)
    return [Participant.objects.select_related("session").get(pk=p.pk) for p in people]


@pytest.fixture
def renders(monkeypatch):
    """The batches render_current_stages was called with: (when it began, participant ids)."""
    calls = []
    real = phone.render_current_stages

    def counting(people, language):
        calls.append((time.monotonic(), [p.pk for p in people]))
        if len(calls) == 1:
            time.sleep(0.2)  # a render that takes a while
        return real(people, language)

    monkeypatch.setattr(phone, "render_current_stages", counting)
    return calls


@pytest_asyncio.fixture
async def close_connections():
    yield
    await in_db(connections.close_all)


async def test_phones_that_come_back_together_after_the_reveal_share_one_render(
        workshop, renders, close_connections):
    people = await in_db(participants, workshop, ["4243", "1111", "4243"])
    await in_db(services.move_to, workshop, Session.REVEALED)
    stages = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people))
    assert [ids for _, ids in renders] == [[p.pk for p in people]]
    for stage, total in zip(stages, [10, 0, 10], strict=True):
        shared, _, own = stage.partition(OWN)
        assert 'data-step="revealed"' in shared and "Jouw score" not in shared
        assert f"<strong>{total}</strong>" in own and "Jouw score" in own
    assert stages[0] == stages[2] != stages[1]
    # And in English, the same way.
    english = await phone.current_stage(people[1], "en")
    assert "Your score" in english and "<strong>0</strong>" in english.partition(OWN)[2]


async def test_a_phone_that_asks_during_a_render_is_served_by_the_next(
        workshop, renders, close_connections):
    people = await in_db(participants, workshop, ["4243", "1111"])
    await in_db(services.move_to, workshop, Session.REVEALED)
    first = asyncio.ensure_future(phone.current_stage(people[0], "nl"))
    await asyncio.sleep(0.1)  # the first render is under way
    asked = time.monotonic()
    second = await phone.current_stage(people[1], "nl")
    assert "<strong>10</strong>" in (await first).partition(OWN)[2]
    assert "<strong>0</strong>" in second.partition(OWN)[2]
    assert [ids for _, ids in renders] == [[people[0].pk], [people[1].pk]]
    assert renders[1][0] > asked  # read after it asked


async def test_while_answering_each_phone_gets_its_own_screen(workshop, close_connections):
    people = await in_db(participants, workshop, ["4", ""])
    stages = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people))
    assert "Vraag 2 van 4" in stages[0] and "Vraag 1 van 4" in stages[1]
    assert OWN not in stages[0]


def stages_one_by_one(session: Session, people: list[Participant]) -> list[str]:
    """Each phone's stage rendered for it alone, as its page renders it."""
    session = Session.objects.get(pk=session.pk)
    return [phone.render_stage(session, "nl", phone.stage_context(session, p)) for p in people]


def answering_room(session: Session) -> list[Participant]:
    """Phones all over the quiz: none answered, some, all (the recognition question next,
    or recognised: the overview), and one that skipped question 1."""
    people = participants(session, ["", "", "4", "42", "42", "424", "4243", "1111", "4243",
                                    "4243"])
    services.recognise(people[-1], "ik-doe")
    skipper = Participant.objects.create(session=session, number=99, discipline="Directie")
    question = session.cached_questionnaire.ordered_questions()[1]
    services.save_answer(skipper, question.pk, question.options.all()[0].pk)
    return [Participant.objects.select_related("session").get(pk=p.pk)
            for p in [*people, skipper]]


@pytest.fixture
def rendered(monkeypatch):
    """The stages render_stage rendered."""
    calls = []
    real = phone.render_stage

    def counting(*args):
        calls.append(real(*args))
        return calls[-1]

    monkeypatch.setattr(phone, "render_stage", counting)
    return calls


async def test_while_answering_each_distinct_screen_is_rendered_once(
        recognising_workshop, rendered, close_connections):
    people = await in_db(answering_room, recognising_workshop)
    expected = await in_db(stages_one_by_one, recognising_workshop, people)
    rendered.clear()
    stages = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people))
    assert stages == expected
    assert stages[0] == stages[1] and "Vraag 1 van 4" in stages[0]
    assert stages[3] == stages[4] and "Vraag 3 van 4" in stages[3]
    # The phone that answered question 2 only sees question 1 as a fresh phone does, but its
    # screen's context counts one answer: a different key, rendered on its own.
    assert stages[-1] == stages[0]
    assert len(rendered) == len(set(expected)) + 1 < len(people)


def second_round_room(session: Session) -> list[Participant]:
    """In the second round: two phones alike, one that changed an answer, and one whose
    answers are now the same as that one's but whose first round differed."""
    people = participants(session, ["4243", "4243", "4243", "1243", "1111"])
    services.move_to(session, Session.REVEALED)
    services.open_second_round(session)
    question = session.cached_questionnaire.ordered_questions()[0]
    services.save_answer(people[2], question.pk, question.options.all()[0].pk)
    services.confirm_round(people[4])
    return people


async def test_the_second_rounds_review_screens(workshop, rendered, close_connections):
    people = await in_db(second_round_room, workshop)
    expected = await in_db(stages_one_by_one, workshop, people)
    rendered.clear()
    stages = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people))
    assert stages == expected
    assert stages[0] == stages[1]
    assert stages[2] != stages[3]  # the same answers now, but not in the first round
    assert len(rendered) == len(set(expected)) == 4


@pytest.mark.parametrize("room", [answering_room, second_round_room])
async def test_while_answering_the_queries_do_not_grow_with_the_phones(recognising_workshop,
                                                                       room, close_connections):
    await in_db(queries_do_not_grow, recognising_workshop, room)


def queries_do_not_grow(recognising_workshop, room):
    people = room(recognising_workshop)

    def queries(phones: list[Participant]) -> int:
        with CaptureQueriesContext(connection) as captured:
            phone.render_current_stages(phones, "nl")
        return len(captured)

    queries(people)  # the phases and the questionnaire, read once per process
    assert queries(people[:2]) == queries(people) <= 3


async def test_a_screen_that_cannot_be_keyed_is_rendered_for_its_phone_alone(
        recognising_workshop, rendered, monkeypatch, close_connections):
    people = await in_db(answering_room, recognising_workshop)
    expected = await in_db(stages_one_by_one, recognising_workshop, people)

    def unkeyable(value):
        raise TypeError("not a plain value")

    monkeypatch.setattr(phone, "frozen", unkeyable)
    rendered.clear()
    stages = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people))
    assert stages == expected and len(rendered) == len(people)


async def test_keys_tell_apart_what_renders_differently():
    assert phone.frozen({"a": True}) != phone.frozen({"a": 1})
    assert phone.frozen("<b>") != phone.frozen(mark_safe("<b>"))
    assert phone.frozen([1, 2]) != phone.frozen((1, 2))
    with pytest.raises(TypeError):
        phone.frozen({"a": 1.5})


async def test_in_the_lobby_every_phone_gets_the_same_stage(workshop, renders,
                                                            close_connections):
    people = await in_db(lambda: [Participant.objects.create(
        session=workshop, number=n, discipline="Marketing") for n in (1, 2)])
    stages = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people))
    assert stages[0] == stages[1] and "Je doet mee!" in stages[0]
    assert len(renders) == 1


async def test_what_a_phone_is_sent_is_what_the_reveal_pushed_it(workshop, close_connections):
    people = await in_db(participants, workshop, ["4243", "1111"])
    await in_db(services.move_to, workshop, Session.REVEALED)
    session = await in_db(Session.objects.get, pk=workshop.pk)
    await in_db(phone.prepare_own_results, session, "v1")
    for person in people:
        pushed = await phone.own_result_push(workshop.code, "v1", person.pk, "nl")
        stage = await phone.current_stage(person, "nl")
        assert stage.endswith(pushed)


@pytest.mark.parametrize("revealed", [True, False])
async def test_a_closed_session(workshop, revealed, close_connections):
    people = await in_db(participants, workshop, ["4243"])
    steps = [Session.REVEALED, Session.CLOSED] if revealed else [Session.CLOSED]
    for step in steps:
        await in_db(services.move_to, workshop, step)
    stage = await phone.current_stage(people[0], "nl")
    assert 'data-step="closed"' in stage
    assert ("<strong>10</strong>" in stage.partition(OWN)[2]) is revealed
    assert (OWN in stage) is revealed


async def test_the_second_round(workshop, close_connections):
    people = await in_db(participants, workshop, ["4243", "1111"])
    await in_db(services.move_to, workshop, Session.REVEALED)
    await in_db(services.open_second_round, workshop)
    # Answering again: each phone its own review screen, its first answers marked.
    stages = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people))
    assert all('data-step="answering"' in stage and OWN not in stage for stage in stages)
    assert stages[0] != stages[1]
    question = (await in_db(lambda: workshop.cached_questionnaire.ordered_questions()))[0]
    await in_db(services.save_answer, people[1], question.pk,
                await in_db(lambda: list(question.options.all())[3].pk))
    await in_db(services.move_to, await in_db(Session.objects.get, pk=workshop.pk),
                Session.REVEALED)
    stages = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people))
    own = [stage.partition(OWN)[2] for stage in stages]
    assert "<strong>10</strong>" in own[0] and "In de eerste ronde: 10" in own[0]
    assert "<strong>3</strong>" in own[1] and "In de eerste ronde: 0" in own[1]


async def test_a_failed_render_reaches_every_phone_asking_and_the_next_one_renders(
        workshop, monkeypatch, close_connections):
    people = await in_db(participants, workshop, ["4243", "1111"])
    await in_db(services.move_to, workshop, Session.REVEALED)
    real = phone.render_current_stages

    def failing(people, language):
        raise RuntimeError("database away")

    monkeypatch.setattr(phone, "render_current_stages", failing)
    results = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people),
                                   return_exceptions=True)
    assert [type(result) for result in results] == [RuntimeError, RuntimeError]
    monkeypatch.setattr(phone, "render_current_stages", real)
    assert "Jouw score" in await phone.current_stage(people[0], "nl")


async def test_a_phone_whose_state_fails_does_not_cost_the_others_theirs(
        workshop, monkeypatch, close_connections):
    people = await in_db(participants, workshop, ["4243", "1111", "4243"])
    await in_db(services.move_to, workshop, Session.REVEALED)
    real = phone.render_current_stages

    def failing_for_the_second(people, language):
        if any(person.number == 2 for person in people):
            raise RuntimeError("this phone's state cannot be rendered")
        return real(people, language)

    monkeypatch.setattr(phone, "render_current_stages", failing_for_the_second)
    results = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people),
                                   return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    assert "<strong>10</strong>" in results[0] and results[0] == results[2]


@pytest.mark.parametrize("failure", [DatabaseError("the database is away"),
                                     LookupError("The session was deleted.")])
async def test_a_failure_of_the_database_or_the_session_is_not_tried_phone_by_phone(
        workshop, monkeypatch, failure, close_connections):
    people = await in_db(participants, workshop, ["4243", "1111", "4243"])
    calls = []

    def failing(people, language):
        calls.append(len(people))
        raise failure

    monkeypatch.setattr(phone, "render_current_stages", failing)
    results = await asyncio.gather(*(phone.current_stage(p, "nl") for p in people),
                                   return_exceptions=True)
    assert results == [failure] * 3
    assert calls == [3]  # not once more for each phone, holding up the shared thread


async def test_a_phone_that_leaves_while_waiting_does_not_hold_up_the_others(
        workshop, renders, close_connections):
    people = await in_db(participants, workshop, ["4243", "1111"])
    await in_db(services.move_to, workshop, Session.REVEALED)
    leaving = asyncio.ensure_future(phone.current_stage(people[0], "nl"))
    staying = asyncio.ensure_future(phone.current_stage(people[1], "nl"))
    await asyncio.sleep(0.05)
    leaving.cancel()
    assert "<strong>0</strong>" in (await staying).partition(OWN)[2]
    assert not phone._asking and not phone._serving
