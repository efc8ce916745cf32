from django.urls import path

from workshop import converters  # noqa: F401 (registers the `code` converter)
from workshop.views import facilitator, participant, reports

urlpatterns = [
    # Facilitators
    path("sessions/", facilitator.dashboard, name="dashboard"),
    path("sessions/new/", facilitator.session_new, name="session_new"),
    path("sessions/<code:code>/", facilitator.console, name="console"),
    path("sessions/<code:code>/step/", facilitator.change_step, name="change_step"),
    path("sessions/<code:code>/slide/", facilitator.show_slide, name="show_slide"),
    path("sessions/<code:code>/resend/", facilitator.resend_step, name="resend_step"),
    path("sessions/<code:code>/participants/<int:number>/remove/",
         facilitator.remove_participant, name="remove_participant"),
    path("sessions/<code:code>/notes/", facilitator.add_note, name="add_note"),
    path("sessions/<code:code>/projector/", facilitator.projector, name="projector"),
    # Reports and history
    path("sessions/<code:code>/report/", reports.report, name="report"),
    path("sessions/<code:code>/report.pdf", reports.report_pdf, name="report_pdf"),
    path("sessions/<code:code>/report.csv", reports.report_csv, name="report_csv"),
    path("sessions/<code:code>/share/", reports.share, name="share"),
    path("sessions/<code:code>/delete/", reports.delete_session, name="delete_session"),
    path("r/<str:token>/", reports.shared_report, name="shared_report"),
    path("r/<str:token>/report.pdf", reports.shared_report_pdf, name="shared_report_pdf"),
    path("organisations/<slug:slug>/", reports.organisation, name="organisation"),
    path("organisations/<slug:slug>/compare/", reports.compare, name="compare"),
    # Participants
    path("join", participant.join_with_code, name="join"),
    path("j/<code:code>/", participant.join_session, name="join_session"),
    path("j/<code:code>/q/", participant.question, name="first_open_question"),
    path("j/<code:code>/q/<int:number>/", participant.question, name="question"),
    path("j/<code:code>/recognise/", participant.recognise, name="recognise"),
    path("j/<code:code>/done/", participant.confirm_round, name="confirm_round"),
]
