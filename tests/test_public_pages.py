"""The public pages: introduction, phases and the quiz for one person on their own."""

import pytest

from assessments.answers import field_name


def choose(questionnaire, choices: str) -> dict[str, str]:
    """Form data for options by position, e.g. '4243'."""
    data = {}
    for question, c in zip(questionnaire.ordered_questions(), choices, strict=True):
        data[field_name(question.pk)] = str(list(question.options.all())[int(c) - 1].pk)
    return data


def test_it_shows_the_introduction_in_dutch_by_default(client, questionnaire):
    r = client.get("/")
    assert r.status_code == 200
    assert 'lang="nl"' in r.text
    assert "Hoe digitaal volwassen is jouw organisatie?" in r.text
    for name in ["Ik zie", "Ik wil", "Ik kan", "Ik doe"]:
        assert name in r.text
    assert "Digitaal verdienmodel" in r.text


def test_it_switches_to_english(client, questionnaire):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/phases/"})
    assert r.status_code == 302
    r = client.get("/phases/")
    assert 'lang="en"' in r.text
    assert "The four phases" in r.text
    assert "I see" in r.text


@pytest.mark.parametrize("slug", ["ik-zie", "ik-wil", "ik-kan", "ik-doe"])
def test_it_shows_every_part_of_a_phase(client, questionnaire, slug):
    r = client.get(f"/phases/{slug}/")
    assert r.status_code == 200
    for heading in ["Zo herken je het", "Aan de slag", "Tools", "Uit de sector", "Links"]:
        assert heading in r.text


def test_it_answers_404_for_an_unknown_phase(client, questionnaire):
    assert client.get("/phases/ik-twijfel/").status_code == 404


def test_it_scores_the_quiz_and_shows_the_phase_advice(client, questionnaire):
    r = client.post("/quiz/", choose(questionnaire, "3222"))  # 2 + 2 + 1 + 1 = 6
    assert r.status_code == 200
    assert "<strong>6</strong> / 10" in r.text
    assert "Ik kan" in r.text
    assert "Plan van Aanpak" in r.text
    assert "op de grens" not in r.text


def test_it_flags_a_total_on_the_border(client, questionnaire):
    r = client.post("/quiz/", choose(questionnaire, "3122"))  # 2 + 0 + 1 + 1 = 4
    assert "<strong>4</strong> / 10" in r.text
    assert "op de grens met ‘Ik wil’" in r.text


def test_it_asks_for_missing_answers_with_a_400(client, questionnaire):
    data = choose(questionnaire, "3222")
    data.pop(next(iter(data)))
    r = client.post("/quiz/", data)
    assert r.status_code == 400
    assert "Beantwoord alle vragen" in r.text


def test_it_rejects_a_tampered_option_with_a_400(client, questionnaire):
    data = choose(questionnaire, "3222")
    first, second = list(data)[:2]
    data[first] = data[second]  # an option of another question
    r = client.post("/quiz/", data)
    assert r.status_code == 400


def test_it_rejects_a_huge_payload_with_a_400(client, questionnaire):
    data = {f"x{i}": "y" for i in range(1000)}
    r = client.post("/quiz/", data)
    assert r.status_code == 400


def test_it_stays_dutch_for_a_browser_set_to_english(client, questionnaire):
    r = client.get("/phases/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="nl"' in r.text
    assert "De vier fasen" in r.text


def test_browsers_find_the_favicon(client, db):
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r["Location"].endswith("favicon.svg")
    assert 'rel="icon"' in client.get("/").text
