from django.urls import path

from workshop import consumers, converters, sockets  # noqa: F401 (registers the code converter)

websocket_urlpatterns = [
    path(f"{sockets.PHONE}<code:code>/", consumers.ParticipantConsumer.as_asgi()),
    path(f"{sockets.CONSOLE}<code:code>/", consumers.ConsoleConsumer.as_asgi()),
    path(f"{sockets.PROJECTOR}<code:code>/", consumers.ProjectorConsumer.as_asgi()),
]
