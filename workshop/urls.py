from django.urls import path

from workshop.views import facilitator, participant

urlpatterns = [
    # Facilitators
    path("sessions/", facilitator.dashboard, name="dashboard"),
    path("sessions/new/", facilitator.session_new, name="session_new"),
    path("sessions/<str:code>/", facilitator.console, name="console"),
    path("sessions/<str:code>/step/", facilitator.change_step, name="change_step"),
    path("sessions/<str:code>/notes/", facilitator.add_note, name="add_note"),
    path("sessions/<str:code>/projector/", facilitator.projector, name="projector"),
    # Participants
    path("join", participant.join_with_code, name="join"),
    path("j/<str:code>/", participant.join_session, name="join_session"),
    path("j/<str:code>/q/", participant.question, name="first_open_question"),
    path("j/<str:code>/q/<int:number>/", participant.question, name="question"),
    path("j/<str:code>/me/", participant.my_result, name="my_result"),
]
