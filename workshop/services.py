"""Writes to a workshop session. Each write is one call that saves in a transaction and then
announces the change to the open screens once the transaction has committed
(`transaction.on_commit`), so a push never announces what the database does not have. Views
parse, call a service and render; they never broadcast themselves."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Questionnaire
from workshop import broadcast, results
from workshop.models import Answer, Note, Organisation, Participant, Session


class WorkshopError(Exception):
    """A request that cannot be carried out in the session's current state (an HTTP 4xx)."""

    status = 409

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


def create_session(
    organisation: Organisation,
    title: str,
    disciplines: list[str],
    created_by=None,
    auto_reveal: bool = False,
    questionnaire: Questionnaire | None = None,
    ask_recognition: bool = True,
) -> Session:
    questionnaire = questionnaire or Questionnaire.get_default()
    # A clash of random codes is rare but possible; try again with a fresh code.
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return Session.objects.create(
                    organisation=organisation,
                    questionnaire=questionnaire,
                    title=title,
                    disciplines=disciplines,
                    created_by=created_by,
                    auto_reveal=auto_reveal,
                    ask_recognition=ask_recognition,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free session code")


def announce(push: Callable[[Session], None], session: Session) -> None:
    """Push a change to the session's screens once what it announces is committed. Outside a
    transaction (a view in autocommit) that is at once."""
    transaction.on_commit(lambda: push(session))


def join(session: Session, name: str, discipline: str, join_key: str) -> Participant:
    """Join the session, once per join form: `join_key` comes with the form, so a double tap
    or a resent form brings back the participant it made instead of making another."""
    if not session.accepts_joins:
        raise WorkshopError(_("This session no longer accepts new participants."), status=403)
    if discipline not in session.disciplines:
        raise WorkshopError(_("Choose one of the disciplines in the list."), status=400)
    # Numbers are pseudonyms for reports; two phones joining at once may pick the same one,
    # so retry on the unique constraint.
    for _attempt in range(20):
        # The same condition as the partial unique index, so that SQLite uses it.
        earlier = session.participants.filter(join_key=join_key).exclude(join_key="").first()
        if earlier is not None:
            return earlier
        try:
            with transaction.atomic():
                highest = session.participants.aggregate(n=Max("number"))["n"] or 0
                participant = Participant.objects.create(
                    session=session, number=highest + 1, name=name, discipline=discipline,
                    join_key=join_key,
                )
        except IntegrityError:
            continue
        announce(broadcast.state_changed, session)
        return participant
    raise WorkshopError(_("The session is busy; please try again."), status=503)


def save_answer(participant: Participant, question_id: int, option_id: int) -> Answer:
    """Save (or change) one answer, announce it, and reveal the results if that was the last
    answer a session with auto-reveal waited for. Returns the answer once it is saved."""
    session = participant.session
    points = session.cached_questionnaire.instrument().question(question_id).points
    if option_id not in points:
        raise WorkshopError(_("That answer is not one of this question's options."), 400)
    with transaction.atomic():
        # Read the step inside the transaction: an answer racing the lock is refused.
        step, round_ = Session.objects.select_for_update().values_list("step", "round").get(
            pk=session.pk
        )
        if step != Session.ANSWERING:
            raise WorkshopError(_("Answering is closed; your saved answers still count."))
        answer = Answer(participant=participant, question_id=question_id, option_id=option_id,
                        round=round_, updated_at=timezone.now())
        # One statement whether the answer is new or changed (INSERT ... ON CONFLICT UPDATE).
        Answer.objects.bulk_create(
            [answer], update_conflicts=True,
            unique_fields=["participant", "question", "round"],
            update_fields=["option", "updated_at"],
        )
    announce(broadcast.state_changed, session)
    reveal_if_everyone_finished(session)
    return answer


def everyone_finished(session: Session) -> bool:
    """Has everyone who joined finished the round (and has anyone joined)?"""
    participants = results.with_steps_done(session.participants.all(), session)
    return (participants.exists()
            and not participants.filter(done__lt=results.steps_to_finish(session)).exists())


def move_to(session: Session, step: str) -> Session:
    """Move the session to another step, if the facilitator may go there from here."""
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if not locked.can_move_to(step):
            raise WorkshopError(
                _("The session cannot go from “%(current)s” to that step.")
                % {"current": locked.step_label()}
            )
        locked.step = step
        locked.slide = 0
        now = timezone.now()
        if step == Session.REVEALED:
            locked.revealed_at = locked.revealed_at or now
            locked.revealed_round = locked.round
        if step == Session.CLOSED:
            locked.closed_at = now
        locked.save(update_fields=["step", "slide", "revealed_at", "revealed_round",
                                   "closed_at"])
    announce(broadcast.step_changed, locked)
    return locked


def _lock_for_answering(participant: Participant) -> Session:
    """The participant's session, locked, while answering is open (else a WorkshopError)."""
    session = Session.objects.select_for_update().get(pk=participant.session_id)
    if session.step != Session.ANSWERING:
        raise WorkshopError(_("Answering is closed; your saved answers still count."))
    return session


def recognise(participant: Participant, phase: str) -> None:
    """"Klinkt dit bekend?": the phase description the participant finds fits best (a phase
    slug; the phone shows the descriptions without their names)."""
    with transaction.atomic():
        session = _lock_for_answering(participant)
        if not session.asks_recognition:
            raise WorkshopError(_("This session does not ask which description fits."))
        if phase not in session.cached_questionnaire.instrument().phases:
            raise WorkshopError(_("Choose one of the descriptions."), status=400)
        Participant.objects.filter(pk=participant.pk).update(recognised=phase)
        participant.recognised = phase
    announce(broadcast.state_changed, session)
    reveal_if_everyone_finished(session)


def confirm_round(participant: Participant) -> None:
    """The participant is done with the second round (which starts from their first answers,
    so nothing else tells that they looked at them again)."""
    with transaction.atomic():
        session = _lock_for_answering(participant)
        if session.round < 2:
            raise WorkshopError(_("There is nothing to confirm in this round."))
        answered = participant.answers.filter(round=session.round).count()
        if answered < len(session.cached_questionnaire.ordered_questions()):
            raise WorkshopError(_("Answer every question first."), status=400)
        Participant.objects.filter(pk=participant.pk).update(confirmed_round=session.round)
        participant.confirmed_round = session.round
    announce(broadcast.state_changed, session)
    reveal_if_everyone_finished(session)


def open_second_round(session: Session) -> Session:
    """After the discussion, everyone answers again, starting from their first-round answers
    (copied in bulk), so that changing a mind is one tap. The first round is kept."""
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if not locked.can_open_second_round:
            raise WorkshopError(_("A second round can be opened once, after the reveal."))
        now = timezone.now()
        Answer.objects.bulk_create([
            Answer(participant_id=pid, question_id=qid, option_id=oid, round=2, updated_at=now)
            for pid, qid, oid in Answer.objects.filter(
                participant__session=locked, round=1
            ).values_list("participant_id", "question_id", "option_id")
        ], batch_size=500)
        locked.round = 2
        locked.step = Session.ANSWERING
        locked.slide = 0
        locked.save(update_fields=["round", "step", "slide"])
    announce(broadcast.step_changed, locked)
    return locked


def reveal_if_everyone_finished(session: Session) -> bool:
    """The auto-reveal option: reveal once every participant has answered every question."""
    if not session.auto_reveal or not everyone_finished(session):
        return False
    try:
        move_to(session, Session.REVEALED)
    except WorkshopError:
        return False  # someone else revealed or closed it first
    return True


def show_slide(session: Session, index: int, count: int) -> Session:
    """Put slide `index` of the step's `count` slides on the projector (the phones follow in
    the discussion). Out of range is clamped: a clicker pressed once too often stays put."""
    index = max(0, min(index, count - 1))
    updated = Session.objects.filter(pk=session.pk, step=session.step).update(slide=index)
    if not updated:
        raise WorkshopError(_("The session has moved on to another step; look again."))
    session.slide = index
    announce(broadcast.slide_changed, session)
    return session


def resend_step(session: Session) -> None:
    """Push the current step to every screen again: after an outage a facilitator need not
    wait for the screens to converge by themselves."""
    announce(broadcast.step_changed, session)


def remove_participant(session: Session, number: int) -> None:
    """Take a participant out before the reveal (a phone that joined and left): their answers
    go with them, and auto-reveal no longer waits for them."""
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if not locked.can_remove_participants:
            raise WorkshopError(_("After the reveal nobody can be taken out of the results."))
        deleted, _counts = session.participants.filter(number=number).delete()
        if not deleted:
            raise WorkshopError(_("That participant is no longer in the session."), status=404)
    announce(broadcast.state_changed, session)
    reveal_if_everyone_finished(session)


def add_note(session: Session, kind: str, text: str, owner: str = "") -> Note:
    note = Note.objects.create(session=session, kind=kind, text=text, owner=owner)
    announce(broadcast.notes_changed, session)
    return note
