"""Migrations keep existing databases working."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_KEYS = [("assessments", "0001_initial")]  # ScoreBand.phase: a foreign key to content.Phase


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_score_bands_keep_their_phase_when_it_becomes_a_key():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = migrate(BEFORE_KEYS)
        Phase = apps.get_model("content", "Phase")
        Questionnaire = apps.get_model("assessments", "Questionnaire")
        ScoreBand = apps.get_model("assessments", "ScoreBand")
        questionnaire = Questionnaire.objects.create(slug="digitaal-dna", title_nl="Quiz")
        for number, (slug, low, high) in enumerate([("ik-zie", 0, 1), ("ik-wil", 2, 10)], 1):
            phase = Phase.objects.create(slug=slug, number=number, name_nl=slug, subtitle_nl="",
                                         summary_nl="", statement_nl="")
            ScoreBand.objects.create(questionnaire=questionnaire, phase=phase, low=low, high=high,
                                     published_high=high)

        apps = migrate(latest)
        ScoreBand = apps.get_model("assessments", "ScoreBand")
        assert list(ScoreBand.objects.order_by("low").values_list("phase", "low", "high")) == [
            ("ik-zie", 0, 1), ("ik-wil", 2, 10),
        ]

        apps = migrate(BEFORE_KEYS)  # and back
        ScoreBand = apps.get_model("assessments", "ScoreBand")
        assert list(ScoreBand.objects.order_by("low").values_list("phase__slug", "low")) == [
            ("ik-zie", 0), ("ik-wil", 2),
        ]
    finally:
        migrate(latest)
