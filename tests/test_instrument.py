"""The Digitaal DNA questionnaire and content as loaded from the repository's data files."""

import pytest
from django.db import transaction
from django.db.models import ProtectedError

from assessments.loader import load_questionnaire
from assessments.models import Option, Question, Questionnaire, ScoreBand
from assessments.scoring import score_participant
from content.loader import load_all
from content.models import Phase, PhaseItem
from tests.test_scoring import ALL_COMBINATIONS


def test_it_loads_the_questions_verbatim(questionnaire):
    texts = [q.text_nl for q in questionnaire.ordered_questions()]
    assert texts == [
        "Hoe vaak worden de begrippen ‘digitale innovatie’ en ‘digitaal verdienmodel’ in jouw "
        "organisatie gebruikt?",
        "Welke uitspraak hoor je vaak in jouw organisatie?",
        "In welk deel van de projecten in jouw organisatie speelt digitale innovatie een rol?",
        "Is er kennis en ervaring aanwezig in jouw organisatie op het gebied van digitale "
        "innovatie?",
    ]
    options = [
        [(o.label_nl, o.points) for o in q.options.all()] for q in questionnaire.ordered_questions()
    ]
    assert options == [
        [("Eigenlijk nooit", 0), ("Zelden", 1), ("Regelmatig", 2), ("Dagelijks", 3)],
        [
            ("“Digitale technologie gaat ten koste van de kwaliteit van de bezoekersbeleving”", 0),
            ("“Digitale technologie kan ons helpen de bezoekersbeleving te verbeteren”", 2),
        ],
        [("0 %", 0), ("1 tot 10%", 1), ("10 tot 30%", 2), ("30 tot 100%", 3)],
        [
            ("Er is heel weinig kennis en ervaring aanwezig.", 0),
            ("Er zijn enkele collega’s en/of afdelingen waar deze kennis aanwezig is.", 1),
            ("De meeste collega’s hebben kennis en ervaring op dit vlak.", 2),
        ],
    ]


def test_the_stored_instrument_scores_like_the_published_table(questionnaire):
    instrument = questionnaire.instrument()
    assert instrument.max_total == 10
    assert [(b.phase, b.low, b.high) for b in instrument.bands] == [
        ("ik-zie", 0, 1), ("ik-wil", 2, 3), ("ik-kan", 4, 6), ("ik-doe", 7, 10),
    ]
    for choices, total, phase, border_with in ALL_COMBINATIONS:
        pairs = zip(instrument.questions, choices, strict=True)
        answers = {q.key: q.option_order[int(c) - 1] for q, c in pairs}
        score = score_participant(instrument, answers)
        assert (score.total, score.phase, score.border_with) == (total, phase, border_with)


def test_the_questionnaire_loads_without_the_content(db):
    questionnaire = load_questionnaire()
    assert not Phase.objects.exists()
    assert [b.phase for b in questionnaire.ordered_bands()] == [
        "ik-zie", "ik-wil", "ik-kan", "ik-doe",
    ]
    assert load_questionnaire() == questionnaire


def test_it_loads_four_phases_with_all_their_parts(questionnaire):
    phases = list(Phase.objects.prefetch_related("items"))
    assert [(p.number, p.name_nl, p.subtitle_nl) for p in phases] == [
        (1, "Ik zie", "Bewustwording"),
        (2, "Ik wil", "Motivatie"),
        (3, "Ik kan", "Voorbereiding"),
        (4, "Ik doe", "Aanpakken"),
    ]
    for phase in phases:
        assert phase.summary_en and phase.statement_en and phase.story_en
        assert phase.story_video_url.startswith("https://www.youtube.com/")
        assert phase.signs and phase.tips and phase.tools and phase.links
        for item in phase.items.all():
            assert item.text_en or item.title_en, item


def test_loading_twice_changes_nothing(questionnaire):
    counts = (Questionnaire.objects.count(), Question.objects.count(), Option.objects.count(),
              Phase.objects.count(), PhaseItem.objects.count())
    load_all()
    assert counts == (Questionnaire.objects.count(), Question.objects.count(),
                      Option.objects.count(), Phase.objects.count(), PhaseItem.objects.count())
    assert counts[:3] == (1, 4, 13)


def test_it_keeps_admin_edits_unless_asked_to_update(questionnaire):
    Phase.objects.filter(slug="ik-zie").update(summary_nl="Aangepast in de admin")
    load_all()
    assert Phase.objects.get(slug="ik-zie").summary_nl == "Aangepast in de admin"
    load_all(update=True)
    assert Phase.objects.get(slug="ik-zie").summary_nl != "Aangepast in de admin"


def test_it_shows_english_texts_in_english(questionnaire):
    from django.utils import translation

    phase = Phase.objects.get(slug="ik-wil")
    with translation.override("en"):
        assert phase.name == "I want"
    with translation.override("nl"):
        assert phase.name == "Ik wil"


def test_an_edit_in_this_process_empties_the_cache(questionnaire):
    cached = Questionnaire.cached(questionnaire.pk)
    assert Questionnaire.cached(questionnaire.pk) is cached
    band = questionnaire.bands.get(low=0)
    band.outcome_nl = "Aangepast in de admin"
    band.save()
    assert Questionnaire.cached(questionnaire.pk) is not cached

    phases = Phase.by_slug()
    assert Phase.by_slug() is phases
    phases["ik-zie"].save()
    assert Phase.by_slug() is not phases


def test_a_phase_that_bands_use_keeps_its_slug_and_cannot_be_deleted(questionnaire, admin_client):
    phase = Phase.objects.get(slug="ik-wil")
    with pytest.raises(ProtectedError), transaction.atomic():
        phase.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Phase.objects.filter(slug="ik-wil").delete()
    r = admin_client.get(f"/admin/content/phase/{phase.pk}/change/")
    assert r.status_code == 200
    assert 'name="slug"' not in r.text and "/delete/" not in r.text
    assert admin_client.get(f"/admin/content/phase/{phase.pk}/delete/").status_code == 403

    ScoreBand.objects.filter(phase="ik-wil").delete()
    r = admin_client.get(f"/admin/content/phase/{phase.pk}/change/")
    assert 'name="slug"' in r.text
    phase.delete()
    assert not Phase.objects.filter(slug="ik-wil").exists()
