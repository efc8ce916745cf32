import socket
import subprocess

from django.core.management.base import BaseCommand


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


class Command(BaseCommand):
    help = "Print the addresses at which the app will be reachable, for phones and this machine."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options):
        addresses = lan_addresses()
        self.stdout.write(f"Open on this machine: http://127.0.0.1:{port}/")
        if addresses:
            for address in addresses:
                self.stdout.write(self.style.SUCCESS(
                    f"Phones on the same network: http://{address}:{port}/"
                ))
        else:
            self.stdout.write("No network address found: phones cannot reach this machine.")
