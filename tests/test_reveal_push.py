"""A phone's own result at the reveal is rendered in the event loop (workshop/screens/phone.py,
own_result_push): everything it needs must have been read in the database thread before."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from assessments import cache
from workshop import services
from workshop.models import Participant, Session
from workshop.screens import phone


def answered_and_revealed(session: Session) -> Participant:
    participant = Participant.objects.create(session=session, number=1, name="A",
                                             discipline="Marketing")
    services.move_to(session, Session.ANSWERING)
    for question in session.questionnaire.ordered_questions():
        services.save_answer(Participant.objects.get(pk=participant.pk), question.pk,
                             question.options.last().pk)
    services.move_to(session, Session.REVEALED)
    return participant


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_own_result_is_rendered_after_the_content_cache_expired(workshop):
    """The phases and the questionnaire are cached for a minute. A reveal whose fan-out crossed
    that minute rendered the rest of its phones' results from the event loop with the cache
    expired: the reload was a database query there, Django refused it, and every phone of the
    process after that moment lost its socket (1011) and its result."""
    participant = await sync_to_async(answered_and_revealed, thread_sensitive=True)(workshop)
    session = await sync_to_async(Session.objects.get, thread_sensitive=True)(pk=workshop.pk)
    # The process that announced the reveal: scores prepared in the database thread.
    await sync_to_async(phone.prepare_own_results, thread_sensitive=True)(session, "v1")
    cache.clear()  # a minute later
    html = await phone.own_result_push(session.code, "v1", participant.pk, "nl")
    assert 'id="my-result"' in html and "Jouw score" in html
    # Another process: the scores loaded on the first phone's push, the cache then expired.
    cache.clear()
    first = await phone.own_result_push(session.code, "v2", participant.pk, "en")
    cache.clear()
    other = await phone.own_result_push(session.code, "v2", participant.pk, "nl")
    assert "Your score" in first and "Jouw score" in other
    await sync_to_async(connections.close_all, thread_sensitive=True)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_phone_that_leaves_while_the_scores_load_does_not_cancel_them_for_the_others(
        workshop):
    """In another process than the one that revealed, the first phone's push loads the scores
    and the others wait for the same future; one whose socket closes meanwhile is cancelled."""
    import asyncio

    participant = await sync_to_async(answered_and_revealed, thread_sensitive=True)(workshop)
    leaving = asyncio.ensure_future(
        phone.own_result_push(workshop.code, "v3", participant.pk, "nl"))
    staying = asyncio.ensure_future(
        phone.own_result_push(workshop.code, "v3", participant.pk, "en"))
    await asyncio.sleep(0)
    leaving.cancel()
    assert "Your score" in await staying
    await sync_to_async(connections.close_all, thread_sensitive=True)()
