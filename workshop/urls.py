from django.urls import path

from workshop import converters  # noqa: F401 (registers the `code` converter)
from workshop.views import facilitator, participant, reports, tools

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
    # The phase's tool and the target
    path("sessions/<code:code>/tool/", tools.tool_page, name="tool_page"),
    path("sessions/<code:code>/tool/open/", tools.open_tool, name="open_tool"),
    path("sessions/<code:code>/tool/plan/", tools.save_plan, name="save_plan"),
    path("sessions/<code:code>/tool/items/", tools.add_item, name="add_tool_item"),
    path("sessions/<code:code>/tool/items/<int:item>/remove/", tools.remove_item,
         name="remove_tool_item"),
    path("sessions/<code:code>/tool/items/<int:item>/accept/", tools.accept_suggestion,
         name="accept_suggestion"),
    path("sessions/<code:code>/target/", tools.set_target, name="set_target"),
    path("agreements/<int:note>/done/", tools.agreement_done, name="agreement_done"),
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
    path("j/<code:code>/tool/vote/", participant.tool_vote, name="tool_vote"),
    path("j/<code:code>/tool/suggest/", participant.tool_suggest, name="tool_suggest"),
]
