from django.core.management.base import BaseCommand

from content.loader import load_all


class Command(BaseCommand):
    help = "Load the Digitaal DNA phases, definitions and questionnaire from the repository."

    def add_arguments(self, parser):
        parser.add_argument(
            "--update", action="store_true",
            help="Overwrite texts edited in the admin with those from the data files.",
        )

    def handle(self, *args, update: bool = False, **options):
        questionnaire = load_all(update=update)
        self.stdout.write(f"Content loaded; questionnaire: {questionnaire}")
