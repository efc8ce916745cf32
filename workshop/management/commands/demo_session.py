"""A demo organisation with a few closed sessions spread over time, so that a newcomer sees the
reports and the history at once."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from assessments import scoring
from assessments.models import Questionnaire
from content.loader import load_all
from workshop.management.commands.demo_facilitator import on_embedded_default
from workshop.models import Answer, Note, Organisation, Participant, Session

DISCIPLINES = [
    "Directie/management", "Marketing & communicatie", "Publiek & educatie",
    "Collectie & programmering", "Digitaal/ICT", "Bedrijfsvoering & financiën",
]
# Each session of the demo a little further along, months apart, as a museum might be.
SESSIONS = [
    ("Nulmeting digitaal DNA", 540, 14, 0.15),
    ("Na de inspiratiesessie", 360, 18, 0.35),
    ("Voortgang plan van aanpak", 180, 22, 0.55),
    ("Jaarlijkse meting", 30, 25, 0.7),
]
# Some disciplines see more than others, which is what the comparison is for.
DISCIPLINE_LEAN = {"Digitaal/ICT": 0.2, "Marketing & communicatie": 0.1,
                   "Collectie & programmering": -0.15, "Bedrijfsvoering & financiën": -0.1}
# The latest session went on with a second round: after the discussion some colleagues saw
# the organisation a little further along (or less far) than they first said.
SECOND_ROUND_CHANGES = 0.3
NOTES = [
    ("note", "Marketing en ICT zien veel meer digitale projecten dan de collectieafdeling.", ""),
    ("agreement", "Inspiratiesessie met directie en Raad van Toezicht plannen", "Directeur"),
    ("agreement", "Plan van Aanpak voor een online collectie schrijven", "Hoofd collectie"),
]


def simulated_recognition(rng: random.Random, phases: tuple[str, ...], measured: str) -> str:
    """The phase whose description a colleague recognises: mostly the quiz's, sometimes a
    neighbour."""
    index = phases.index(measured) + rng.choice([-1, 0, 0, 0, 1])
    return phases[min(max(index, 0), len(phases) - 1)]


def simulated_option(rng: random.Random, options: list, level: float) -> object:
    """An option near `level` (0 = lowest, 1 = highest) with some spread between people."""
    position = min(max(rng.gauss(level, 0.25), 0), 0.999)
    return options[int(position * len(options))]


class Command(BaseCommand):
    help = "Create a demo organisation with closed sessions over time (for the reports)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the demo organisation already has sessions.")
        parser.add_argument("--embedded-only", action="store_true",
                            help="Do nothing unless the database is the embedded SQLite default.")
        parser.add_argument("--seed", type=int, default=2021)

    @transaction.atomic
    def handle(self, *args, if_empty=False, embedded_only=False, seed=2021, **options):
        if embedded_only and not on_embedded_default():
            self.stdout.write("Not on the embedded default database: no demo sessions created.")
            return
        questionnaire = Questionnaire.get_default() or load_all()
        organisation, _ = Organisation.objects.get_or_create(
            slug="demo", defaults={"name": "Demo-organisatie"}
        )
        if if_empty and organisation.sessions.exists():
            self.stdout.write("The demo organisation has sessions already.")
            return
        demo_user = get_user_model().objects.filter(username="demo").first()
        rng = random.Random(seed)
        questions = [(q, list(q.options.all())) for q in questionnaire.ordered_questions()]
        instrument = questionnaire.instrument()
        now = timezone.now()
        for title, days_ago, size, level in SESSIONS:
            created = now - timedelta(days=days_ago)
            session = Session.objects.create(
                organisation=organisation, questionnaire=questionnaire, title=title,
                disciplines=DISCIPLINES, step=Session.CLOSED, created_by=demo_user,
                created_at=created, revealed_at=created + timedelta(minutes=40),
                closed_at=created + timedelta(minutes=75),
            )
            if second_round := days_ago == SESSIONS[-1][1]:
                session.round = session.revealed_round = 2
            else:
                session.revealed_round = 1
            session.save(update_fields=["round", "revealed_round"])
            answers = []
            for number in range(1, size + 1):
                discipline = rng.choice(DISCIPLINES)
                lean = DISCIPLINE_LEAN.get(discipline, 0)
                chosen = {question.pk: simulated_option(rng, options, level + lean)
                          for question, options in questions}
                measured = scoring.score_participant(
                    instrument, {key: option.pk for key, option in chosen.items()}).phase
                participant = Participant.objects.create(
                    session=session, number=number, discipline=discipline,
                    joined_at=created + timedelta(minutes=rng.randint(1, 10)),
                    recognised=simulated_recognition(rng, instrument.phases, measured),
                    confirmed_round=2 if second_round else 0,
                )
                answers += [Answer(participant=participant, question_id=key, option=option,
                                   updated_at=created) for key, option in chosen.items()]
                if second_round:
                    again = dict(chosen)
                    if rng.random() < SECOND_ROUND_CHANGES:
                        question, options = rng.choice(questions)
                        again[question.pk] = simulated_option(rng, options, level + lean + 0.2)
                    answers += [Answer(participant=participant, question_id=key, option=option,
                                       round=2, updated_at=created)
                                for key, option in again.items()]
            Answer.objects.bulk_create(answers)
            for kind, text, owner in NOTES:
                Note.objects.create(session=session, kind=kind, text=text, owner=owner,
                                    created_at=created + timedelta(minutes=70))
        self.stdout.write(self.style.SUCCESS(
            f"Demo organisation '{organisation.name}' has {len(SESSIONS)} closed sessions: "
            f"see /organisations/{organisation.slug}/"
        ))
