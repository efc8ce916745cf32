from channels.auth import AuthMiddlewareStack
from channels.sessions import CookieMiddleware
from django.urls import path

from workshop import consumers, converters, sockets  # noqa: F401 (registers the code converter)


def phones(consumer):
    """A phone's socket reads only its cookies (its participant token and its language). The
    session and the user are for the facilitator's screens: on a phone's socket the session
    wrapper looked at the (unused) session before every frame, a twentieth of a push's CPU."""
    return CookieMiddleware(consumer.as_asgi())


def facilitators(consumer):
    """A console or projector: the logged-in user, from Django's session."""
    return AuthMiddlewareStack(consumer.as_asgi())


websocket_urlpatterns = [
    path(f"{sockets.PHONE}<code:code>/", phones(consumers.ParticipantConsumer)),
    path(f"{sockets.FOLLOW}<code:code>/", phones(consumers.FollowerConsumer)),
    path(f"{sockets.CONSOLE}<code:code>/", facilitators(consumers.ConsoleConsumer)),
    path(f"{sockets.PROJECTOR}<code:code>/", facilitators(consumers.ProjectorConsumer)),
]
