"""This machine on the local network: the addresses at which phones in the same room can reach
it. `manage.py serve_info` prints them when the app starts; the console and the projector use
them for the join link when the facilitator opened them on this machine itself (127.0.0.1)."""

from __future__ import annotations

import ipaddress
import socket
import subprocess


def _usable(addresses: list[str]) -> list[str]:
    found = []
    for address in addresses:
        if "." in address and not address.startswith("127.") and address not in found:
            found.append(address)
    return found


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, as phones on the network see it."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    found = _usable([info[4][0] for info in infos])
    if found:
        return found
    # The host name often resolves to loopback only; ask the interfaces instead.
    try:
        output = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return []
    return _usable(output.stdout.split())


def is_loopback(host: str) -> bool:
    """Whether a host name or address (without port) reaches only this machine itself."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    # 0.0.0.0 (where `make run` listens) opens this machine in a browser on it, and nowhere else.
    return address.is_loopback or address.is_unspecified
