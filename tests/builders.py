"""Plain builder functions for the workshop tests."""

import secrets

from django.test import Client

from workshop import services
from workshop.identity import participant_cookie
from workshop.models import Participant, Session


def join(phone: Client, session: Session, discipline: str, name: str = "") -> Participant:
    response = phone.post(f"/j/{session.code}/", {"name": name, "discipline": discipline,
                                                  "join_key": secrets.token_urlsafe(24)})
    # The join is answered with the participant's page itself, not a redirect to it.
    assert response.status_code == 200 and b"ws-connect" in response.content, response.content
    token = phone.cookies[participant_cookie(session.code)].value
    return Participant.objects.get(token=token)


def option_id(session: Session, question_number: int, option_number: int) -> int:
    question = session.questionnaire.ordered_questions()[question_number - 1]
    return list(question.options.all())[option_number - 1].pk


def answer(phone: Client, session: Session, question_number: int, option_number: int):
    return phone.post(
        f"/j/{session.code}/q/{question_number}/",
        {"option": option_id(session, question_number, option_number)},
        headers={"HX-Request": "true"},
    )


def answer_all(phone: Client, session: Session, choices: str) -> None:
    """Answer by option position, e.g. '4243'."""
    for number, choice in enumerate(choices, start=1):
        response = answer(phone, session, number, int(choice))
        assert response.status_code == 200, response.content


def move(session: Session, *steps: str) -> Session:
    for step in steps:
        session = services.move_to(session, step)
    return session
