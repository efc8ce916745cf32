"""Writes to a workshop session. Each write is one call that saves in a transaction and then
announces the change to the open screens once the transaction has committed
(`transaction.on_commit`), so a push never announces what the database does not have. Views
parse, call a service and render; they never broadcast themselves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db import IntegrityError, connections, router, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Questionnaire
from workshop import broadcast, results, tools
from workshop.models import Answer, Note, Organisation, Participant, Session, ToolItem, ToolVote
from workshop.screens import slides


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


def _answering_closed() -> WorkshopError:
    """An answer, a recognition or a "done" that comes after the lock: nothing is saved."""
    return WorkshopError(_("Answering is closed; your saved answers still count."))


def announce(push: Callable[[Session], object], session: Session) -> None:
    """Push a change to the session's screens once what it announces is committed. Outside a
    transaction (a view in autocommit) that is at once. A push that fails is logged (and the
    broadcast tries again): it never fails what was committed."""
    transaction.on_commit(lambda: push(session), robust=True)


def _progress_made(session: Session) -> None:
    """A participant got further (an answer, a recognition, "done", one taken out): announce
    it, and run the auto-reveal's check, both once it is committed. Inside a batch of answers
    (config/phone_answers.py) the check must see the whole batch, and another process's batch
    committed meanwhile, and must not take the session's lock inside the batch."""
    announce(broadcast.state_changed, session)
    announce(reveal_if_everyone_finished, session)


def join(session: Session, name: str, discipline: str, join_key: str) -> Participant:
    """Join the session, once per join form: `join_key` comes with the form, so a double tap
    or a resent form brings back the participant it made instead of making another.

    One statement on the way in: the insert numbers the participant itself (the highest
    number so far, plus one). Numbers are pseudonyms for reports; two phones joining at once
    may pick the same one, and a form sent twice meets its own key: either way the insert
    fails on a unique constraint, and only then is the form's earlier participant looked up
    (before: a lookup, an aggregate and an insert on every join). The insert also checks
    that the session still accepts joins, so a join cannot slip in after the lock."""
    if not session.accepts_joins:
        raise _joins_closed()
    if discipline not in session.disciplines:
        raise WorkshopError(_("Choose one of the disciplines in the list."), status=400)
    for _attempt in range(20):
        participant = Participant(session=session, name=name, discipline=discipline,
                                  join_key=join_key)
        try:
            inserted = _insert_numbered(participant)
        except IntegrityError:  # a number taken meanwhile, or this form's own key
            inserted = None
        if inserted:
            announce(broadcast.state_changed, session)
            return participant
        # A form sent again brings back the participant it made, after the lock too. The same
        # condition as the partial unique index, so that SQLite uses it.
        earlier = session.participants.filter(join_key=join_key).exclude(join_key="").first()
        if earlier is not None:
            return earlier
        if inserted is False:
            raise _joins_closed()
    raise WorkshopError(_("The session is busy; please try again."), status=503)


def _joins_closed() -> WorkshopError:
    return WorkshopError(_("This session no longer accepts new participants."), status=403)


@cache
def _insert_numbered_sql(vendor: str) -> tuple[str, tuple]:
    """INSERT ... SELECT of every column of Participant but its id and number, which the
    statement takes as the session's highest number plus one; it returns both. It inserts
    nothing once the session is past the steps that accept joins (or gone): on PostgreSQL
    the session's row is locked FOR SHARE, so the lock's SELECT ... FOR UPDATE (move_to) and
    a join wait for each other, as with the answers' upsert (_upsert_answer_sql); on SQLite
    the transaction holds the database's write lock."""
    meta = Participant._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key and f.name != "number")
    number = meta.get_field("number").column
    session = meta.get_field("session").column
    columns = ", ".join(f'"{f.column}"' for f in fields)
    values = ", ".join("%s" for _field in fields)
    steps = ", ".join("%s" for _step in Session.JOINABLE)
    lock = " FOR SHARE OF s" if vendor == "postgresql" else ""
    sql = (f'INSERT INTO "{meta.db_table}" ({columns}, "{number}") '
           f'SELECT {values}, (SELECT COALESCE(MAX("{number}"), 0) + 1 '
           f'FROM "{meta.db_table}" WHERE "{session}" = s.id) '
           f'FROM "{Session._meta.db_table}" s WHERE s.id = %s AND s.step IN ({steps}){lock} '
           f'RETURNING "{meta.pk.column}", "{number}"')
    return sql, fields


def _insert_numbered(participant: Participant) -> bool:
    """Insert `participant` with the next number, as Model.save() would insert it: each
    field's value through its pre_save (defaults, and any auto_now_add), and post_save sent
    (results.forget_results listens). False if the session no longer accepts joins."""
    db = router.db_for_write(Participant)
    connection = connections[db]
    sql, fields = _insert_numbered_sql(connection.vendor)
    with transaction.atomic(using=db), connection.cursor() as cursor:
        params = [f.get_db_prep_save(f.pre_save(participant, add=True), connection)
                  for f in fields]
        cursor.execute(sql, [*params, participant.session_id, *Session.JOINABLE])
        row = cursor.fetchone()
        if row is None:
            return False
        participant.pk, participant.number = row
        participant._state.adding = False
        participant._state.db = db
        post_save.send(sender=Participant, instance=participant, created=True,
                       update_fields=None, raw=False, using=db)
    return True


def _upsert_answer_sql(vendor: str) -> str:
    """One statement that saves (or changes) an answer only while the session is answering,
    in the session's current round, and returns that round (no row: answering is closed).

    The step is checked inside the write, so nothing else is read on an answer's way: on
    SQLite the transaction holds the database's single write lock from BEGIN IMMEDIATE, so a
    step change cannot come between the check and the write; on PostgreSQL FOR SHARE locks the
    session row until commit (of the answer endpoint's batch, when the answer is in one), so
    the lock's SELECT ... FOR UPDATE (move_to) waits for answers in flight, and an answer that
    waited for the lock sees the new step and saves nothing. Answers share the row lock, so
    they do not wait for each other.
    """
    answer, session = Answer._meta.db_table, Session._meta.db_table
    participant = Participant._meta.db_table
    lock = " FOR SHARE OF s" if vendor == "postgresql" else ""
    # Joined with the participant's row: a participant taken out meanwhile saves nothing.
    return (
        f'INSERT INTO "{answer}" (participant_id, question_id, option_id, round, updated_at) '
        f'SELECT p.id, %s, %s, s.round, %s FROM "{session}" s '
        f'JOIN "{participant}" p ON p.session_id = s.id '
        f"WHERE p.id = %s AND s.id = %s AND s.step = %s{lock} "
        f"ON CONFLICT (participant_id, question_id, round) "
        f"DO UPDATE SET option_id = excluded.option_id, updated_at = excluded.updated_at "
        f"RETURNING round"
    )


def _round_answers_sql() -> str:
    return (f'SELECT question_id, option_id FROM "{Answer._meta.db_table}" '
            f"WHERE participant_id = %s AND round = %s")


@dataclass(frozen=True)
class SavedAnswer:
    """An answer as saved, with the phone's answers of that round (the next screen needs them)."""

    question_id: int
    option_id: int
    round: int
    answers: dict[int, int]


def save_answer(participant: Participant, question_id: int, option_id: int) -> SavedAnswer:
    """Save (or change) one answer, announce it, and reveal the results if that was the last
    answer a session with auto-reveal waited for. Returns once the answer is committed (in
    the answer endpoint's batch: once it is written; the batch commits before any phone hears
    back, and the announcement and the auto-reveal wait for that commit).

    This runs for every tap of every phone: two statements in one transaction (the upsert that
    checks the step, and the phone's answers of the round), written in SQL because compiling
    them through the ORM cost more than running them."""
    session = participant.session
    points = session.cached_questionnaire.instrument().question(question_id).points
    if option_id not in points:
        raise WorkshopError(_("That answer is not one of this question's options."), 400)
    connection = connections[Answer.objects.db]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # No savepoint: inside the answer endpoint's batch (config/phone_answers.py) a savepoint
    # would be two more statements per answer, and a failure there retries the whole batch.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_upsert_answer_sql(connection.vendor),
                       [question_id, option_id, now, participant.pk, session.pk,
                        Session.ANSWERING])
        row = cursor.fetchone()
        if row is not None:
            cursor.execute(_round_answers_sql(), [participant.pk, row[0]])
            answers = dict(cursor.fetchall())
    if row is None:
        # Locked (or not yet open): an answer racing the lock is refused, nothing saved.
        # (Raised outside the transaction, which stays good for the rest of a batch.)
        raise _answering_closed()
    round_ = row[0]
    _progress_made(session)
    return SavedAnswer(question_id, option_id, round_, answers)


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
        if locked.step == Session.ANSWERING:
            locked.results_version += 1
        locked.step = step
        locked.slide = 0
        now = timezone.now()
        if step == Session.REVEALED:
            locked.revealed_at = locked.revealed_at or now
            locked.revealed_round = locked.round
        if step == Session.CLOSED:
            locked.closed_at = now
        locked.save(update_fields=["step", "slide", "revealed_at", "revealed_round",
                                   "closed_at", "results_version"])
    announce(broadcast.step_changed, locked)
    return locked


def _lock_for_answering(participant: Participant) -> Session:
    """The participant's session, locked, while answering is open (else a WorkshopError)."""
    session = Session.objects.select_for_update().get(pk=participant.session_id)
    if session.step != Session.ANSWERING:
        raise _answering_closed()
    return session


def _recognise_sql(vendor: str) -> str:
    """Record the recognised phase only while the session is answering its first round (the
    same lock as the answers' upsert, _upsert_answer_sql)."""
    participant, session = Participant._meta.db_table, Session._meta.db_table
    lock = " FOR SHARE" if vendor == "postgresql" else ""
    return (f'UPDATE "{participant}" SET recognised = %s WHERE id = %s AND session_id IN '
            f'(SELECT id FROM "{session}" WHERE id = %s AND step = %s AND round = 1{lock})')


def recognise(participant: Participant, phase: str) -> dict[int, int]:
    """"Klinkt dit bekend?": the phase description the participant finds fits best (a phase
    slug; the phone shows the descriptions without their names). Returns the phone's answers
    of the round, for the overview it goes to."""
    session = participant.session
    if not session.asks_recognition or (
            phase not in session.cached_questionnaire.instrument().phases):
        return _refuse_recognition(participant, phase)
    connection = connections[Participant.objects.db]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_recognise_sql(connection.vendor),
                       [phase, participant.pk, session.pk, Session.ANSWERING])
        saved = cursor.rowcount == 1
        if saved:
            cursor.execute(_round_answers_sql(), [participant.pk, 1])
            answers = dict(cursor.fetchall())
    if not saved:  # as save_answer
        raise _answering_closed()
    participant.recognised = phase
    _progress_made(session)
    return answers


def _refuse_recognition(participant: Participant, phase: str):
    """Why a recognition is refused, in the order a phone should hear it."""
    with transaction.atomic():
        session = _lock_for_answering(participant)
        if not session.asks_recognition:
            raise WorkshopError(_("This session does not ask which description fits."))
        raise WorkshopError(_("Choose one of the descriptions."), status=400)


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
    _progress_made(session)


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
    _progress_made(session)


def add_note(session: Session, kind: str, text: str, owner: str = "") -> Note:
    note = Note.objects.create(session=session, kind=kind, text=text, owner=owner)
    announce(broadcast.notes_changed, session)
    return note


# The phase's own tool and the target (workshop/tools.py). The facilitator's writes stay open
# after the session: the organisation's facilitators keep the result up to date.


def _spec(slug: str) -> tools.Spec:
    spec = tools.SPECS.get(slug)
    if spec is None:
        raise WorkshopError(_("There is no tool for that phase."), status=400)
    return spec


def open_tool(session: Session, slug: str) -> Session:
    """Open the tool of phase `slug`; in the discussion the projector (and so the phones) go to
    its first slide at once."""
    _spec(slug)
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        locked.tool = slug
        if locked.step == Session.DISCUSSION:
            locked.slide = slides.TOOL_SLIDE_INDEX
        locked.save(update_fields=["tool", "slide"])
    announce(broadcast.slide_changed, locked)
    return locked


def cast_vote(participant: Participant, slug: str, choice: str, points: int) -> dict[str, int]:
    """Give `points` to `choice` in the tool's vote (0 takes them back). The phone sends the
    number it wants, not a change, so a double tap or a resent request changes nothing more.
    Returns the phone's votes as saved."""
    session = participant.session
    spec = _spec(slug)
    choices = [c.slug for c in tools.choices_for(spec)]
    with transaction.atomic():
        # The participant's row serialises one phone's taps; the step is read in the same
        # transaction, so a vote racing the end of the discussion is refused.
        Participant.objects.select_for_update().filter(pk=participant.pk).exists()
        step, current_tool = Session.objects.values_list("step", "tool").get(pk=session.pk)
        if step != Session.DISCUSSION or current_tool != slug:
            raise WorkshopError(_("This vote is closed."))
        current = tools.own_votes(participant, slug)
        problem = tools.validate_vote(spec, choices, current, choice, points)
        if problem:
            raise WorkshopError(problem, status=400)
        if points:
            ToolVote.objects.update_or_create(participant=participant, tool=slug, choice=choice,
                                              defaults={"points": points})
            current[choice] = points
        else:
            participant.votes.filter(tool=slug, choice=choice).delete()
            current.pop(choice, None)
    announce(broadcast.state_changed, session)
    return current


def save_plan(session: Session, slug: str, texts: dict[str, str]) -> None:
    """The tool's single texts (the voorlopig plan's four questions): an empty one is cleared."""
    spec = _spec(slug)
    with transaction.atomic():
        for part_slug, text in texts.items():
            part = spec.part(part_slug)
            if part is None or part.many:
                raise WorkshopError(_("That is not a part of this tool."), status=400)
            items = session.tool_items.filter(tool=slug, field=part_slug, suggested=False)
            if not text:
                items.delete()
            elif not items.update(text=text):
                ToolItem.objects.create(session=session, tool=slug, field=part_slug, text=text)
    announce(broadcast.tool_changed, session)


def add_item(session: Session, slug: str, part_slug: str, text: str, **extras) -> ToolItem:
    """An item of one of the tool's lists; extras the part does not carry are left out."""
    part = _list_part(slug, part_slug)
    allowed = {"owner": part.owner, "due": part.due, "how": part.measure,
               "when": part.measure, "mode": part.mode}
    values = {key: value for key, value in extras.items() if allowed.get(key) and value}
    item = ToolItem.objects.create(session=session, tool=slug, field=part_slug, text=text,
                                   **values)
    announce(broadcast.tool_changed, session)
    return item


def _list_part(slug: str, part_slug: str) -> tools.Part:
    part = _spec(slug).part(part_slug)
    if part is None or not part.many:
        raise WorkshopError(_("That is not a list of this tool."), status=400)
    return part


def remove_item(session: Session, item_id: int) -> None:
    deleted, _counts = session.tool_items.filter(pk=item_id).delete()
    if not deleted:
        raise WorkshopError(_("That item is no longer there."), status=404)
    announce(broadcast.tool_changed, session)


def accept_suggestion(session: Session, item_id: int) -> None:
    if not session.tool_items.filter(pk=item_id, suggested=True).update(suggested=False):
        raise WorkshopError(_("That suggestion is no longer there."), status=404)
    announce(broadcast.tool_changed, session)


# Suggestions wait for the facilitator; a room cannot flood the console with more than these.
MAX_WAITING_SUGGESTIONS = 50


def suggest_item(participant: Participant, part_slug: str, text: str) -> ToolItem:
    """A phone's suggestion for the open tool's plan, anonymous: it does not say whose it is."""
    session = Session.objects.get(pk=participant.session_id)
    if session.step != Session.DISCUSSION or not session.tool:
        raise WorkshopError(_("Suggestions are closed."))
    if not _spec(session.tool).suggestions:
        raise WorkshopError(_("This tool takes no suggestions."), status=400)
    _list_part(session.tool, part_slug)
    if session.tool_items.filter(suggested=True).count() >= MAX_WAITING_SUGGESTIONS:
        raise WorkshopError(_("Many suggestions are waiting; try again in a moment."), 429)
    item = ToolItem.objects.create(session=session, tool=session.tool, field=part_slug,
                                   text=text, suggested=True)
    announce(broadcast.state_changed, session)
    return item


def set_target(session: Session, phase: str, date) -> Session:
    """Where the group wants to be by `date`; an empty phase clears the target."""
    session.target_phase = phase
    session.target_date = date if phase else None
    Session.objects.filter(pk=session.pk).update(target_phase=session.target_phase,
                                                 target_date=session.target_date)
    announce(broadcast.tool_changed, session)
    return session


def set_agreement_done(note: Note, done: bool) -> Note:
    """Mark an agreement of an earlier session done, or open again."""
    if note.kind != Note.AGREEMENT:
        raise WorkshopError(_("Only an agreement can be marked done."), status=400)
    note.done = done
    note.save(update_fields=["done"])
    announce(broadcast.notes_changed, note.session)
    return note
