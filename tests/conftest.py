import gc
import os
import uuid

import pytest
from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connections

from content.loader import load_all


def pytest_configure(config):
    # Consumers query from worker threads; with kept connections those would still be open
    # when the test database is dropped at the end (PostgreSQL refuses while in use).
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    if os.environ.get("SQLITE_TEST_FILE") and "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        # A test database in a file, where writers wait for each other as they do in
        # production, instead of the in-memory one that answers "table is locked" at once.
        import tempfile

        test = settings.DATABASES["default"].setdefault("TEST", {})
        test["NAME"] = os.path.join(tempfile.mkdtemp(), "test.sqlite3")
    if os.environ.get("REQUIRE_SERVICES"):
        # In CI the suite must run on PostgreSQL and Redis, not quietly on the defaults.
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError("REQUIRE_SERVICES is set but DATABASE_URL is not PostgreSQL")
        if not os.environ.get("REDIS_URL"):
            raise pytest.UsageError("REQUIRE_SERVICES is set but REDIS_URL is not")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's, and then no connection left open: PostgreSQL drops the test database
    at the end only if none is. Django closes the main thread's; the async tests' calls
    through asgiref (sync_to_async, in the one thread it keeps for thread-sensitive work)
    leave theirs open, and the pool threads of the tests' event loops end with them, their
    connections closed only once collected."""
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)
    gc.collect()


def redis_url_or_skip() -> str:
    """REDIS_URL for the tests that run on Redis: skipped without it, failed in CI."""
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("REDIS_URL is required for the Redis tests")
        pytest.skip("REDIS_URL is not set")
    return url


@pytest.fixture
def questionnaire(db):
    """The Digitaal DNA content and questionnaire, loaded from the repository's data files."""
    return load_all()


# Personas: alice runs workshops for the museum; bob for a theatre (another organisation);
# phones join without an account.


@pytest.fixture
def museum(db):
    from workshop.models import Organisation

    return Organisation.objects.create(name="Museum Noord", slug="museum-noord")


@pytest.fixture
def theatre(db):
    from workshop.models import Organisation

    return Organisation.objects.create(name="Theater Zuid", slug="theater-zuid")


@pytest.fixture
def alice(museum, django_user_model):
    user = django_user_model.objects.create_user("alice", password="alice-password")
    museum.members.add(user)
    return user


@pytest.fixture
def bob(theatre, django_user_model):
    user = django_user_model.objects.create_user("bob", password="bob-password")
    theatre.members.add(user)
    return user


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    from django.test import Client

    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def workshop(questionnaire, museum, alice):
    """A session of alice's museum, in the lobby, that asks the four questions only (the
    recognition question has tests of its own: `recognising_workshop`)."""
    from workshop.services import create_session

    return create_session(
        museum, "Digitaal DNA met het hele team", ["Marketing", "Collectie", "Directie"],
        created_by=alice, ask_recognition=False,
    )


@pytest.fixture
def recognising_workshop(questionnaire, museum, alice):
    """A session as a facilitator creates it by default: after the questions, each phone
    picks the phase description it recognises."""
    from workshop.services import create_session

    return create_session(museum, "Met herkenning", ["Marketing", "Collectie", "Directie"],
                          created_by=alice)


@pytest.fixture
def phone():
    """A participant's phone: its own cookie jar, no account."""
    from django.test import Client

    return Client()


@pytest.fixture
def phone2():
    from django.test import Client

    return Client()


@pytest.fixture(autouse=True)
def empty_cache():
    """The per-process cache of questionnaires and phases must not outlive a test's database."""
    from assessments import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def no_kept_pages():
    """A page kept in one test (workshop/screens/kept.py) must not be served in the next."""
    from workshop.screens import kept

    kept.forget()
    yield
    kept.forget()


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """What one test counted in Django's cache (failed logins, wrong codes) must not throttle the
    next: each test gets a key prefix of its own. Not cache.clear(): on Redis that would empty a
    database that others share."""
    from axes.handlers.proxy import AxesProxyHandler

    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }
    AxesProxyHandler.get_implementation(force=True)  # it keeps the cache it was made with
    from workshop import throttle

    throttle._read.clear()  # what this process last read of the counters
