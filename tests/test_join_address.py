"""The join link and QR on the console and projector: an address phones in the room can open,
or a warning that says they cannot."""

import pytest

from workshop import network

WARNING = 'class="join-warning" role="alert"'


@pytest.fixture
def lan(monkeypatch):
    """This machine's network addresses, as `network.lan_addresses` would find them."""
    found: list[str] = []
    monkeypatch.setattr(network, "lan_addresses", lambda: found)
    return found


def console(client, workshop, host: str):
    r = client.get(f"/sessions/{workshop.code}/", headers={"host": host})
    assert r.status_code == 200
    return r


def projector(client, workshop, host: str):
    r = client.get(f"/sessions/{workshop.code}/projector/", headers={"host": host})
    assert r.status_code == 200
    return r


def test_it_builds_the_join_link_from_the_public_url_when_set(alice_client, workshop, settings,
                                                              lan):
    settings.PUBLIC_URL = "https://dna.example.org"
    lan.append("192.168.1.20")
    for page in (console, projector):
        r = page(alice_client, workshop, "127.0.0.1:8000")
        # The console prints the whole link; the projector the short address to type.
        assert r.context["join_url"] == f"https://dna.example.org/j/{workshop.code}/"
        assert "dna.example.org/j" in r.text or "dna.example.org/join" in r.text
        assert r.context["join_host"] == "dna.example.org"
        assert "127.0.0.1" not in r.context["join_url"] and WARNING not in r.text


def test_it_uses_the_network_address_when_the_console_is_opened_on_loopback(
        alice_client, workshop, lan):
    lan.extend(["192.168.1.20", "10.0.0.5"])
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "0.0.0.0:8000"):
        for page in (console, projector):
            r = page(alice_client, workshop, host)
            assert r.context["join_url"] == f"http://192.168.1.20:8000/j/{workshop.code}/"
            assert r.context["join_host"] == "192.168.1.20:8000"
            assert WARNING not in r.text


def test_it_keeps_the_qr_code_on_the_same_address_as_the_link(alice_client, workshop, lan):
    import segno

    lan.append("192.168.1.20")
    r = console(alice_client, workshop, "127.0.0.1:8000")
    expected = segno.make(f"http://192.168.1.20:8000/j/{workshop.code}/", error="m").svg_inline(
        scale=8, border=2, dark="#1d1d2b", omitsize=True)
    assert str(r.context["qr_svg"]) == expected


def test_it_warns_when_the_join_address_only_works_on_this_computer(alice_client, workshop, lan):
    for page in (console, projector):
        r = page(alice_client, workshop, "127.0.0.1:8000")
        assert r.context["join_url"] == f"http://127.0.0.1:8000/j/{workshop.code}/"
        assert r.text.count(WARNING) == 1 and "PUBLIC_URL" in r.text


def test_it_skips_a_network_address_that_allowed_hosts_refuses(alice_client, workshop, lan,
                                                               settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    lan.append("192.168.1.20")
    r = console(alice_client, workshop, "127.0.0.1:8000")
    assert r.context["join_url"] == f"http://127.0.0.1:8000/j/{workshop.code}/"
    assert WARNING in r.text and "(192.168.1.20)" in r.text and "ALLOWED_HOSTS" in r.text


def test_it_keeps_the_address_of_a_request_from_the_network(alice_client, workshop, lan):
    lan.append("192.168.1.20")
    for host, base in [("192.168.1.99:8000", "http://192.168.1.99:8000"),
                       ("dna.museum.nl", "http://dna.museum.nl")]:
        for page in (console, projector):
            r = page(alice_client, workshop, host)
            assert r.context["join_url"] == f"{base}/j/{workshop.code}/"
            assert r.context["join_host"] == host
            assert WARNING not in r.text


def test_it_refuses_to_start_with_a_public_url_that_is_not_an_address(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import config.settings

    for wrong in ("dna.example.org", "ftp://dna.example.org", "https://dna.example.org/join"):
        monkeypatch.setenv("PUBLIC_URL", wrong)
        with pytest.raises(ImproperlyConfigured, match="PUBLIC_URL"):
            importlib.reload(config.settings)
    monkeypatch.setenv("PUBLIC_URL", "https://dna.example.org/")
    assert importlib.reload(config.settings).PUBLIC_URL == "https://dna.example.org"
    monkeypatch.delenv("PUBLIC_URL")
    importlib.reload(config.settings)


@pytest.mark.parametrize("host,loopback", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LOCALHOST", True), ("app.localhost", True), ("0.0.0.0", True),
    ("192.168.1.20", False), ("dna.example.org", False), ("fe80::1", False),
])
def test_it_knows_which_addresses_reach_only_this_machine(host, loopback):
    assert network.is_loopback(host) is loopback


def test_serve_info_still_prints_the_addresses_for_phones(monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from workshop.management.commands import serve_info

    monkeypatch.setattr(serve_info, "lan_addresses", lambda: ["192.168.1.20"])
    out = StringIO()
    call_command("serve_info", "--port", "8001", stdout=out)
    assert "http://192.168.1.20:8001/" in out.getvalue()
