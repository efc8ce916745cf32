from django.urls import path

from workshop.views import facilitator, participant, reports

urlpatterns = [
    # Facilitators
    path("sessions/", facilitator.dashboard, name="dashboard"),
    path("sessions/new/", facilitator.session_new, name="session_new"),
    path("sessions/<str:code>/", facilitator.console, name="console"),
    path("sessions/<str:code>/step/", facilitator.change_step, name="change_step"),
    path("sessions/<str:code>/notes/", facilitator.add_note, name="add_note"),
    path("sessions/<str:code>/projector/", facilitator.projector, name="projector"),
    # Reports and history
    path("sessions/<str:code>/report/", reports.report, name="report"),
    path("sessions/<str:code>/report.pdf", reports.report_pdf, name="report_pdf"),
    path("sessions/<str:code>/report.csv", reports.report_csv, name="report_csv"),
    path("sessions/<str:code>/share/", reports.share, name="share"),
    path("sessions/<str:code>/delete/", reports.delete_session, name="delete_session"),
    path("r/<str:token>/", reports.shared_report, name="shared_report"),
    path("r/<str:token>/report.pdf", reports.shared_report_pdf, name="shared_report_pdf"),
    path("organisations/<slug:slug>/", reports.organisation, name="organisation"),
    path("organisations/<slug:slug>/compare/", reports.compare, name="compare"),
    # Participants
    path("join", participant.join_with_code, name="join"),
    path("j/<str:code>/", participant.join_session, name="join_session"),
    path("j/<str:code>/q/", participant.question, name="first_open_question"),
    path("j/<str:code>/q/<int:number>/", participant.question, name="question"),
]
