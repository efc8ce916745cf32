"""A database host that accepts connections but never answers: the server says so within seconds
(503) instead of hanging, and keeps serving what needs no database."""

import ast
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connection

from bench.servers import Cluster, server_env

ENGLISH = {"Cookie": "django_language=en"}


@pytest.fixture
def silent_database_port():
    """A listener on a spare loopback port: the kernel accepts connections into its backlog,
    and nothing ever reads from them or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def get(url: str, timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=ENGLISH)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_silent_database_gets_503s_not_a_hung_server(silent_database_port, tmp_path):
    env = server_env(f"postgres://x@127.0.0.1:{silent_database_port}/x", debug=True)
    with Cluster(env, log_dir=tmp_path, ready_path="/static/css/app.css") as cluster:
        base = cluster.bases[0]
        with ThreadPoolExecutor(2) as pool:
            started = time.monotonic()
            health = pool.submit(get, base + "/healthz", timeout=10)
            static = pool.submit(get, base + "/static/js/live.js", timeout=10)
            status, body = health.result()
            assert status == 503, body
            assert json.loads(body)["down"] == ["database"]
            assert time.monotonic() - started < 8  # a generous bound: the timeout is 3 s
            assert static.result()[0] == 200
        status, body = get(base + "/j/ABCDEF/", timeout=10)
        assert status == 503
        assert "cannot reach its database" in body
        assert get(base + "/static/css/app.css", timeout=10)[0] == 200


def test_a_page_that_needs_the_database_answers_503_while_it_is_down(client, db, monkeypatch):
    def unreachable():
        raise OperationalError("connection timeout expired")

    client.cookies["django_language"] = "en"
    with monkeypatch.context() as patch:
        patch.setattr(connection, "ensure_connection", unreachable)
        r = client.get("/j/ABCDEF/")
    assert r.status_code == 503
    assert "cannot reach its database" in r.text


def database_options(env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         "print(repr(settings.DATABASES['default'].get('OPTIONS', {})))"],
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True, text=True, check=True,
    )
    return ast.literal_eval(result.stdout.strip())


def test_postgresql_connections_give_up_after_a_few_seconds():
    options = database_options({"DATABASE_URL": "postgres://dna@db.example/dna"})
    assert options == {"connect_timeout": 3, "options": "-c statement_timeout=10000"}
    options = database_options({"DATABASE_URL": "postgres://dna@db.example/dna",
                                "DATABASE_CONNECT_TIMEOUT": "5", "DATABASE_STATEMENT_TIMEOUT": "0"})
    assert options == {"connect_timeout": 5}
