"""Who may open a WebSocket, through the real router (config.asgi.application): pages of this
site only, whatever ALLOWED_HOSTS says, and never with a NUL byte in the address or a cookie."""

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.builders import join

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def phone_socket(path: str, host: str | None, origin: str | None, cookie: str = ""):
    headers = []
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


@pytest.fixture
def joined(workshop, phone):
    """A phone that joined: the path of its socket and its cookies."""
    join(phone, workshop, "Marketing")
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in phone.cookies.items())
    return f"/ws/p/{workshop.code}/", cookie


async def connects(path: str, host: str | None, origin: str | None, cookie: str) -> bool:
    communicator = phone_socket(path, host, origin, cookie)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.parametrize("host,origin,accepted", [
    ("192.168.1.20:8000", "http://192.168.1.20:8000", True),  # the page's own host and port
    ("192.168.1.20:8000", "https://192.168.1.20:8000", True),
    ("192.168.1.20", "http://192.168.1.20", True),
    ("192.168.1.20:80", "http://192.168.1.20", True),  # the default port, said or not
    ("Laptop.local:8000", "http://laptop.local:8000", True),
    ("192.168.1.20:8000", "http://evil.example", False),
    ("192.168.1.20:8000", "http://192.168.1.20:9999", False),  # another port: another site
    ("192.168.1.20:8000", "http://192.168.1.20.evil.example:8000", False),
    ("192.168.1.20:8000", "null", False),
    ("192.168.1.20:8000", None, False),  # browsers always send an Origin
    (None, "http://192.168.1.20:8000", False),
])
async def test_under_any_host_it_accepts_only_the_pages_own_origin(
    joined, settings, host, origin, accepted
):
    settings.ALLOWED_HOSTS = ["*"]
    path, cookie = joined
    assert await connects(path, host, origin, cookie) is accepted


@pytest.mark.parametrize("host,origin,accepted", [
    ("dna.example.org", "https://dna.example.org", True),
    ("127.0.0.1:8001", "https://dna.example.org", True),  # a proxy that does not pass Host on
    ("dna.example.org", "https://evil.example", False),
    # A rebound name: the page and the socket agree, but the host is not this site's.
    ("evil.example", "http://evil.example", False),
])
async def test_with_allowed_hosts_it_accepts_their_origins(
    joined, settings, host, origin, accepted
):
    settings.ALLOWED_HOSTS = ["dna.example.org", "127.0.0.1"]
    path, cookie = joined
    assert await connects(path, host, origin, cookie) is accepted


@pytest.mark.parametrize("where", ["path", "cookie", "session cookie"])
async def test_it_refuses_a_nul_byte_in_the_address_or_a_cookie(joined, settings, where):
    settings.ALLOWED_HOSTS = ["*"]
    path, cookie = joined
    if where == "path":
        path = path.replace("/p/", "/p/\x00")
    elif where == "cookie":
        cookie = cookie.replace("=", "=\x00", 1)
    else:
        cookie += "; sessionid=abcdefgh\x00"
    assert await connects(path, "testserver", "http://testserver", cookie) is False
