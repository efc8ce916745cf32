import os

import pytest
from django.conf import settings

from content.loader import load_all


def pytest_configure(config):
    if os.environ.get("REQUIRE_SERVICES"):
        # In CI the suite must run on PostgreSQL and Redis, not quietly on the defaults.
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError("REQUIRE_SERVICES is set but DATABASE_URL is not PostgreSQL")
        if not os.environ.get("REDIS_URL"):
            raise pytest.UsageError("REQUIRE_SERVICES is set but REDIS_URL is not")


@pytest.fixture
def questionnaire(db):
    """The Digitaal DNA content and questionnaire, loaded from the repository's data files."""
    return load_all()
