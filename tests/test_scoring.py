"""The pure scoring functions, without a database.

The instrument below is the Digitaal DNA quiz as published: four questions, points per option
in option order, bands 0-1 Ik zie, 2-3 Ik wil, 4-6 Ik kan, 7-10 Ik doe, with 4 and 7 printed in
two bands.
"""

import random
import statistics

import pytest

from assessments.scoring import (
    Band,
    Instrument,
    Question,
    Scorer,
    compare_disciplines,
    discipline_labels,
    least_agreed_first,
    place,
    question_results,
    score_participant,
    summarize_group,
)

POINTS = [[0, 1, 2, 3], [0, 2], [0, 1, 2, 3], [0, 1, 2]]


def option_key(question: int, option: int) -> int:
    """Option keys unlike question keys, so that a mix-up cannot go unnoticed."""
    return 100 * question + option


DNA = Instrument(
    questions=tuple(
        Question(
            key=q,
            points={option_key(q, o): p for o, p in enumerate(points, start=1)},
            option_order=tuple(option_key(q, o) for o in range(1, len(points) + 1)),
        )
        for q, points in enumerate(POINTS, start=1)
    ),
    bands=(
        Band("ik-zie", 0, 1, 1),
        Band("ik-wil", 2, 3, 4),
        Band("ik-kan", 4, 6, 7),
        Band("ik-doe", 7, 10, 11),
    ),
)


def answers(choices: str) -> dict[int, int]:
    """'1423' -> question 1 option 1, question 2 option 4, ... ('-' leaves a question open)."""
    return {q: option_key(q, int(c)) for q, c in enumerate(choices, start=1) if c != "-"}


# Every one of the 4 x 2 x 4 x 3 = 96 ways to fill in the quiz: chosen options, total,
# phase, and the phase it borders on.
ALL_COMBINATIONS = [
    ("1111", 0, "ik-zie", None),
    ("1112", 1, "ik-zie", None),
    ("1113", 2, "ik-wil", None),
    ("1121", 1, "ik-zie", None),
    ("1122", 2, "ik-wil", None),
    ("1123", 3, "ik-wil", None),
    ("1131", 2, "ik-wil", None),
    ("1132", 3, "ik-wil", None),
    ("1133", 4, "ik-kan", 'ik-wil'),
    ("1141", 3, "ik-wil", None),
    ("1142", 4, "ik-kan", 'ik-wil'),
    ("1143", 5, "ik-kan", None),
    ("1211", 2, "ik-wil", None),
    ("1212", 3, "ik-wil", None),
    ("1213", 4, "ik-kan", 'ik-wil'),
    ("1221", 3, "ik-wil", None),
    ("1222", 4, "ik-kan", 'ik-wil'),
    ("1223", 5, "ik-kan", None),
    ("1231", 4, "ik-kan", 'ik-wil'),
    ("1232", 5, "ik-kan", None),
    ("1233", 6, "ik-kan", None),
    ("1241", 5, "ik-kan", None),
    ("1242", 6, "ik-kan", None),
    ("1243", 7, "ik-doe", 'ik-kan'),
    ("2111", 1, "ik-zie", None),
    ("2112", 2, "ik-wil", None),
    ("2113", 3, "ik-wil", None),
    ("2121", 2, "ik-wil", None),
    ("2122", 3, "ik-wil", None),
    ("2123", 4, "ik-kan", 'ik-wil'),
    ("2131", 3, "ik-wil", None),
    ("2132", 4, "ik-kan", 'ik-wil'),
    ("2133", 5, "ik-kan", None),
    ("2141", 4, "ik-kan", 'ik-wil'),
    ("2142", 5, "ik-kan", None),
    ("2143", 6, "ik-kan", None),
    ("2211", 3, "ik-wil", None),
    ("2212", 4, "ik-kan", 'ik-wil'),
    ("2213", 5, "ik-kan", None),
    ("2221", 4, "ik-kan", 'ik-wil'),
    ("2222", 5, "ik-kan", None),
    ("2223", 6, "ik-kan", None),
    ("2231", 5, "ik-kan", None),
    ("2232", 6, "ik-kan", None),
    ("2233", 7, "ik-doe", 'ik-kan'),
    ("2241", 6, "ik-kan", None),
    ("2242", 7, "ik-doe", 'ik-kan'),
    ("2243", 8, "ik-doe", None),
    ("3111", 2, "ik-wil", None),
    ("3112", 3, "ik-wil", None),
    ("3113", 4, "ik-kan", 'ik-wil'),
    ("3121", 3, "ik-wil", None),
    ("3122", 4, "ik-kan", 'ik-wil'),
    ("3123", 5, "ik-kan", None),
    ("3131", 4, "ik-kan", 'ik-wil'),
    ("3132", 5, "ik-kan", None),
    ("3133", 6, "ik-kan", None),
    ("3141", 5, "ik-kan", None),
    ("3142", 6, "ik-kan", None),
    ("3143", 7, "ik-doe", 'ik-kan'),
    ("3211", 4, "ik-kan", 'ik-wil'),
    ("3212", 5, "ik-kan", None),
    ("3213", 6, "ik-kan", None),
    ("3221", 5, "ik-kan", None),
    ("3222", 6, "ik-kan", None),
    ("3223", 7, "ik-doe", 'ik-kan'),
    ("3231", 6, "ik-kan", None),
    ("3232", 7, "ik-doe", 'ik-kan'),
    ("3233", 8, "ik-doe", None),
    ("3241", 7, "ik-doe", 'ik-kan'),
    ("3242", 8, "ik-doe", None),
    ("3243", 9, "ik-doe", None),
    ("4111", 3, "ik-wil", None),
    ("4112", 4, "ik-kan", 'ik-wil'),
    ("4113", 5, "ik-kan", None),
    ("4121", 4, "ik-kan", 'ik-wil'),
    ("4122", 5, "ik-kan", None),
    ("4123", 6, "ik-kan", None),
    ("4131", 5, "ik-kan", None),
    ("4132", 6, "ik-kan", None),
    ("4133", 7, "ik-doe", 'ik-kan'),
    ("4141", 6, "ik-kan", None),
    ("4142", 7, "ik-doe", 'ik-kan'),
    ("4143", 8, "ik-doe", None),
    ("4211", 5, "ik-kan", None),
    ("4212", 6, "ik-kan", None),
    ("4213", 7, "ik-doe", 'ik-kan'),
    ("4221", 6, "ik-kan", None),
    ("4222", 7, "ik-doe", 'ik-kan'),
    ("4223", 8, "ik-doe", None),
    ("4231", 7, "ik-doe", 'ik-kan'),
    ("4232", 8, "ik-doe", None),
    ("4233", 9, "ik-doe", None),
    ("4241", 8, "ik-doe", None),
    ("4242", 9, "ik-doe", None),
    ("4243", 10, "ik-doe", None),]


def test_the_table_covers_every_combination():
    assert len({row[0] for row in ALL_COMBINATIONS}) == 96


@pytest.mark.parametrize("choices,total,phase,border_with", ALL_COMBINATIONS)
def test_it_scores_every_combination(choices, total, phase, border_with):
    score = score_participant(DNA, answers(choices))
    assert (score.total, score.phase, score.border_with) == (total, phase, border_with)
    assert score.complete and score.answered == 4


def test_it_has_a_maximum_of_ten():
    assert DNA.max_total == 10


def test_it_gives_no_phase_without_answers():
    score = score_participant(DNA, {})
    assert score == score.__class__(0, 0, False, None, None)


def test_it_gives_no_phase_to_partial_answers():
    score = score_participant(DNA, answers("42--"))
    assert score.total == 5
    assert score.answered == 2
    assert not score.complete
    assert score.phase is None


def test_it_ignores_options_of_another_question():
    # Option 4 of question 1 handed in as the answer to question 2.
    score = score_participant(DNA, {1: option_key(1, 2), 2: option_key(1, 4)})
    assert score.answered == 1
    assert score.total == 1


def test_it_places_means_on_the_continuous_scale():
    assert place(1.5, DNA.bands).phase == "ik-zie"
    assert place(3.99, DNA.bands).phase == "ik-wil"
    assert place(4.0, DNA.bands).border_with == "ik-wil"
    assert place(6.5, DNA.bands).phase == "ik-kan"
    assert place(6.5, DNA.bands).border_with is None
    assert place(10, DNA.bands).phase == "ik-doe"


def test_a_scorer_scores_as_score_participant_once_per_distinct_answer_set():
    scorer = Scorer(DNA)
    sets = [answers(choices) for choices, *_ in ALL_COMBINATIONS]
    sets += [answers("22--"), {}, {1: option_key(2, 1), 2: 202, 3: 303, 4: 402}, {9: 1}]
    for each in sets + [dict(a) for a in sets]:  # the second time from the scorer's memory
        assert scorer(each) == score_participant(DNA, each)
    # The open and foreign ones differ as answers, not as what they choose of this quiz.
    assert len(scorer.scores) == len(ALL_COMBINATIONS) + 3


def test_the_means_are_the_floats_statistics_gives():
    """Group figures are exact means of whole numbers (points, totals), summed in Python
    instead of with math.fsum: the same floats to the last bit."""
    rng = random.Random(5)
    group = [answers("".join(str(rng.randint(1, n)) for n in (4, 2, 4, 3))) for _ in range(997)]
    entries = [(rng.choice("ABC"), a) for a in group]
    totals = [score_participant(DNA, a).total for a in group]
    assert summarize_group(DNA, group).mean == statistics.fmean(totals)
    for result in question_results(DNA, group):
        points = [DNA.questions[result.key - 1].points[a[result.key]] for a in group]
        assert result.mean_points == statistics.fmean(points)
    for discipline in compare_disciplines(DNA, entries).disciplines:
        members = [a for name, a in entries if name == discipline.name]
        assert discipline.total_mean == statistics.fmean(
            score_participant(DNA, a).total for a in members)
        for question in DNA.questions:
            assert discipline.question_means[question.key] == statistics.fmean(
                question.points[a[question.key]] for a in members)


def test_it_summarizes_an_empty_group():
    summary = summarize_group(DNA, [])
    assert summary.participants == 0
    assert summary.mean is None and summary.phase is None
    assert summary.phase_counts == (("ik-zie", 0), ("ik-wil", 0), ("ik-kan", 0), ("ik-doe", 0))


def test_it_summarizes_one_participant():
    summary = summarize_group(DNA, [answers("3222")])  # 2 + 2 + 1 + 1 = 6
    assert summary.participants == 1
    assert (summary.mean, summary.median, summary.minimum, summary.maximum) == (6, 6, 6, 6)
    assert summary.spread == 0
    assert summary.phase == "ik-kan"
    assert dict(summary.phase_counts)["ik-kan"] == 1


def test_it_summarizes_a_group_and_leaves_out_unfinished_participants():
    group = [answers("1111"), answers("3122"), answers("4243"), answers("22--")]
    summary = summarize_group(DNA, group)  # totals 0, 4, 10
    assert summary.participants == 3
    assert summary.mean == pytest.approx(14 / 3)
    assert summary.median == 4
    assert (summary.minimum, summary.maximum, summary.spread) == (0, 10, 10)
    assert summary.phase == "ik-kan"
    assert summary.phase_counts == (("ik-zie", 1), ("ik-wil", 0), ("ik-kan", 1), ("ik-doe", 1))


def test_it_counts_answers_per_question_and_their_agreement():
    group = [answers("1111"), answers("1222"), answers("1123"), answers("3---")]
    results = question_results(DNA, group)
    first = results[0]
    assert first.counts == ((101, 3), (102, 0), (103, 1), (104, 0))
    assert first.answered == 4
    assert first.modal_option == 101 and first.modal_count == 3
    assert first.agreement == 0.75
    assert first.mean_points == pytest.approx(0.5)
    second = results[1]
    assert second.answered == 3
    assert second.counts == ((201, 2), (202, 1))


def test_it_puts_the_least_agreed_questions_first():
    group = [answers("1111"), answers("1221"), answers("1132"), answers("1243")]
    results = question_results(DNA, group)
    ordered = [r.key for r in least_agreed_first(results)]
    # Q3: everyone differs (1/4); Q2: 2 v 2 (1/2); Q4: 2 of 4 agree (1/2); Q1: all agree.
    assert ordered == [3, 2, 4, 1]


def test_it_leaves_unanswered_questions_out_of_the_discussion_order():
    results = question_results(DNA, [answers("1---")])
    assert [r.key for r in least_agreed_first(results)] == [1]
    assert results[1].agreement is None


def test_it_compares_disciplines_and_folds_small_ones_into_other():
    entries = [
        ("Marketing", answers("4243")),
        ("Marketing", answers("4233")),
        ("Directie", answers("1111")),
        ("Directie", answers("2111")),
        ("ICT", answers("4242")),       # alone: folded
        ("Educatie", answers("3232")),  # alone: folded
    ]
    comparison = compare_disciplines(DNA, entries, other="Overige")
    names = [d.name for d in comparison.disciplines]
    assert names == ["Directie", "Marketing", "Overige"]
    marketing = comparison.disciplines[1]
    assert marketing.participants == 2
    assert marketing.question_means[3] == pytest.approx(2.5)
    assert marketing.total_mean == pytest.approx(9.5)
    assert marketing.phase == "ik-doe"
    other = comparison.disciplines[2]
    assert other.participants == 2
    assert comparison.hidden == 0
    # The largest gap, relative to what a question can score, is question 2 (2 points of 2)
    # between Marketing and Directie.
    top = comparison.gaps[0]
    assert (top.question_key, top.high, top.low, top.difference) == (2, "Marketing", "Directie", 2)


def test_it_hides_a_lone_participant_even_in_other():
    entries = [
        ("Marketing", answers("4243")),
        ("Marketing", answers("4233")),
        ("ICT", answers("1111")),
    ]
    comparison = compare_disciplines(DNA, entries)
    assert [d.name for d in comparison.disciplines] == ["Marketing"]
    assert comparison.hidden == 1
    assert comparison.gaps == ()


def test_it_compares_only_complete_answer_sets():
    entries = [("A", answers("4243")), ("A", answers("4---")), ("A", answers("1111"))]
    comparison = compare_disciplines(DNA, entries)
    assert comparison.disciplines[0].participants == 2


def test_it_labels_large_enough_disciplines_with_their_own_name():
    labels = discipline_labels({"Marketing": 3, "Directie": 2})
    assert labels == {"Marketing": "Marketing", "Directie": "Directie"}


def test_it_labels_small_disciplines_other_when_other_is_large_enough():
    labels = discipline_labels({"Marketing": 2, "ICT": 1, "Educatie": 1})
    assert labels == {"Marketing": "Marketing", "ICT": "Overige", "Educatie": "Overige"}


def test_it_hides_small_disciplines_when_even_other_is_too_small():
    labels = discipline_labels({"Marketing": 2, "ICT": 1, "Educatie": 0})
    assert labels == {"Marketing": "Marketing", "ICT": None, "Educatie": None}


def test_it_folds_a_discipline_called_other_with_the_small_ones():
    # A discipline that happens to be called "Overige" is not a group of its own.
    assert discipline_labels({"Overige": 1, "ICT": 1}) == {"Overige": "Overige", "ICT": "Overige"}
    assert discipline_labels({"Overige": 1, "ICT": 3}) == {"Overige": None, "ICT": "ICT"}


def test_it_takes_the_group_size_and_the_name_of_other_as_parameters():
    labels = discipline_labels({"A": 3, "B": 2, "C": 1}, min_group=3, other="Rest")
    assert labels == {"A": "A", "B": "Rest", "C": "Rest"}


@pytest.mark.parametrize("sizes", [
    {}, {"A": 1}, {"A": 0}, {"A": 1, "B": 1}, {"A": 2, "B": 1}, {"A": 1, "B": 0, "C": 0},
    {"A": 5, "B": 1, "C": 1, "D": 1}, {"Overige": 1}, {"Overige": 2, "A": 1},
])
def test_no_label_is_ever_shown_for_fewer_than_the_minimum(sizes):
    labels = discipline_labels(sizes)
    assert set(labels) == set(sizes)
    shown: dict[str, int] = {}
    for name, label in labels.items():
        if label is not None:
            shown[label] = shown.get(label, 0) + sizes[name]
    assert all(size >= 2 for size in shown.values())
