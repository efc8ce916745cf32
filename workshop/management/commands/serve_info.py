from django.core.management.base import BaseCommand

from workshop.network import lan_addresses


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
