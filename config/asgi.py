"""ASGI entry point: HTTP goes to Django (a phone's answers to their own endpoint), WebSockets
to the workshop's consumers."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

# Every request leaves reference cycles behind (Django's template contexts, asgiref's thread
# hand-offs). Under load, with requests queued for seconds, Python's default thresholds
# (700, 10, 10) promote them to the oldest generation and then sweep the whole heap about once
# a second: with 2,000 phones each sweep took 200-400 ms, 13 s of a 70 s benchmark, during
# which nothing else ran. Larger young generations collect the cycles before they are
# promoted: 3 s of collections in the same run, and no pause longer than 0.4 s.
gc.set_threshold(20_000, 20, 100)

from config.phone_answers import PhoneAnswers  # noqa: E402
from config.shared_thread import SharedThreadASGIHandler  # noqa: E402
from config.static_files import CachedStaticFiles  # noqa: E402

django_asgi_app = SharedThreadASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config import server  # noqa: E402
from config.websocket import SameSiteOriginValidator  # noqa: E402
from workshop.routing import websocket_urlpatterns  # noqa: E402

server.install()  # what daphne's libraries do per request and socket, unused here, left undone

application = ProtocolTypeRouter(
    {
        # A phone's answers are served without Django's HTTP handler (config/phone_answers.py),
        # and static files from memory once Django has served them (config/static_files.py).
        "http": CachedStaticFiles(PhoneAnswers(django_asgi_app)),
        # Each audience's sockets with the middleware it needs (workshop/routing.py).
        "websocket": SameSiteOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
