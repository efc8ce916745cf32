from django.urls import path

from workshop import consumers

websocket_urlpatterns = [
    path("ws/p/<str:code>/", consumers.ParticipantConsumer.as_asgi()),
    path("ws/f/<str:code>/", consumers.FacilitatorConsumer.as_asgi()),
    path("ws/projector/<str:code>/", consumers.ProjectorConsumer.as_asgi()),
]
