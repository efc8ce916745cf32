"""Static files kept in memory in front of Django (config/static_files.py): the kept response
is the one Django and WhiteNoise gave, and what depends on the request is asked of Django."""

import urllib.error
import urllib.request

import pytest
from asgiref.testing import ApplicationCommunicator

from bench.servers import Cluster, prepare, server_env
from config.static_files import CachedStaticFiles


def scope_for(path: str, headers: list, method: str = "GET", query: bytes = b"") -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query, "root_path": "", "headers": [(b"host", b"testserver"),
                                                                 *headers],
            "client": ("127.0.0.1", 1), "server": ("testserver", 80)}


class Django:
    """In place of Django: counts the requests it serves."""

    def __init__(self, status: int = 200, chunks: tuple[bytes, ...] = (b"body { }",)):
        self.status, self.chunks, self.served = status, chunks, 0

    async def __call__(self, scope, receive, send):
        self.served += 1
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"text/css"),
                                (b"x-served", str(self.served).encode())]})
        for index, chunk in enumerate(self.chunks):
            await send({"type": "http.response.body", "body": chunk,
                        "more_body": index < len(self.chunks) - 1})


async def get(app, scope: dict) -> tuple[int, dict, bytes]:
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=5)
    body = b""
    while True:
        message = await communicator.receive_output(timeout=5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    return start["status"], dict(start["headers"]), body


@pytest.fixture
def collected(settings):
    settings.DEBUG = False
    settings.WHITENOISE_USE_FINDERS = False


@pytest.mark.asyncio
async def test_a_file_is_served_from_memory_after_django_served_it_once(collected):
    django = Django(chunks=(b"body ", b"{ }"))
    app = CachedStaticFiles(django)
    gzip = [(b"accept-encoding", b"gzip, deflate, br")]
    first = await get(app, scope_for("/static/css/app.css", gzip))
    second = await get(app, scope_for("/static/css/app.css", gzip))
    assert first == second == (200, {b"content-type": b"text/css", b"x-served": b"1"},
                               b"body { }")
    assert django.served == 1
    # Another compression accepted, another host, a HEAD: each its own response from Django.
    await get(app, scope_for("/static/css/app.css", []))
    await get(app, scope_for("/static/css/app.css", gzip + [(b"x-forwarded-host", b"a.nl")]))
    await get(app, scope_for("/static/css/app.css", gzip, method="HEAD"))
    assert django.served == 4
    # Conditional and range requests, a query string, a NUL byte: always Django's.
    for headers in ([(b"if-none-match", b'"x"')], [(b"range", b"bytes=0-1")],
                    [(b"if-modified-since", b"Mon, 01 Jan 2024 00:00:00 GMT")],
                    [(b"cookie", b"a=\x00")]):
        await get(app, scope_for("/static/css/app.css", gzip + headers))
    await get(app, scope_for("/static/css/app.css", gzip, query=b"v=2"))
    await get(app, scope_for("/elsewhere/", gzip))
    assert django.served == 10


@pytest.mark.asyncio
async def test_only_a_complete_200_is_kept_and_nothing_with_debug_on(collected, settings):
    missing = Django(status=404)
    app = CachedStaticFiles(missing)
    for _ in range(2):
        assert (await get(app, scope_for("/static/nope.css", [])))[0] == 404
    assert missing.served == 2

    settings.DEBUG = True  # the files come from the source folders and may change
    django = Django()
    app = CachedStaticFiles(django)
    for _ in range(2):
        await get(app, scope_for("/static/css/app.css", []))
    assert django.served == 2


def test_the_kept_response_is_whitenoise_s_over_real_http(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'static.sqlite3'}")  # DEBUG off, collected files
    prepare(env)
    with Cluster(env, log_dir=tmp_path) as cluster:
        base = cluster.bases[0]
        html = urllib.request.urlopen(f"{base}/join").read().decode()
        css = html.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        assert css.startswith("/static/css/app.") and css != "/static/css/app.css"  # hashed

        def fetch(**headers):
            request = urllib.request.Request(base + css, headers=headers)
            with urllib.request.urlopen(request) as response:
                kept = {k.lower(): v for k, v in response.headers.items()
                        if k.lower() not in ("date", "server")}
                return response.status, kept, response.read()

        for encoding in ("gzip, deflate, br", "identity"):
            first, second = fetch(**{"Accept-Encoding": encoding}), fetch(
                **{"Accept-Encoding": encoding})
            assert first == second and first[0] == 200
            assert "immutable" in first[1]["cache-control"]  # far-future: hashed names
            assert first[1]["x-content-type-options"] == "nosniff"
        assert fetch(**{"Accept-Encoding": "gzip"})[1].get("content-encoding") == "gzip"
        # A browser that has it asks whether it changed: WhiteNoise answers 304, as before.
        etag = fetch()[1]["etag"]
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(urllib.request.Request(base + css,
                                                          headers={"If-None-Match": etag}))
        assert not_modified.value.code == 304
