import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from workshop.models import Organisation

USERNAME = "demo"


def on_embedded_default() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


class Command(BaseCommand):
    help = "On the embedded default (SQLite), create a demo facilitator; print its password once."

    @transaction.atomic
    def handle(self, *args, **options):
        if not on_embedded_default():
            # A known account on a shared production database would be a back door.
            self.stdout.write("Not on the embedded default database: no demo facilitator created.")
            return
        User = get_user_model()
        if User.objects.filter(username=USERNAME).exists():
            self.stdout.write(
                f"Demo facilitator '{USERNAME}' exists (its password was printed when it was "
                "created; reset it with: .venv/bin/python manage.py changepassword demo)."
            )
            return
        password = secrets.token_urlsafe(9)
        user = User.objects.create_user(USERNAME, password=password, is_staff=True)
        organisation, _ = Organisation.objects.get_or_create(
            slug="demo", defaults={"name": "Demo-organisatie"}
        )
        organisation.members.add(user)
        self.stdout.write(self.style.SUCCESS(
            f"Demo facilitator created. Log in with username '{USERNAME}' and password "
            f"'{password}' (shown only this once)."
        ))
