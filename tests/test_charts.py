"""Chart geometry, without a database."""

from pathlib import Path

from assessments.scoring import Band
from workshop import colors
from workshop.charts import timeline

BANDS = (Band("ik-zie", 0, 1, 1), Band("ik-wil", 2, 3, 4), Band("ik-kan", 4, 6, 7),
         Band("ik-doe", 7, 10, 11))


def test_it_draws_the_bands_on_the_continuous_scale():
    chart = timeline(["a"], {"Groep": [5]}, BANDS, 10, width=140, height=152)
    # The plot is 100 high (152 - 12 - 40): one point per 10 px; y grows downwards.
    assert [(b.phase, b.y, b.height) for b in chart.bands] == [
        ("ik-zie", 92.0, 20.0), ("ik-wil", 72.0, 20.0), ("ik-kan", 42.0, 30.0),
        ("ik-doe", 12.0, 30.0),
    ]


def test_it_spaces_sessions_evenly_and_centres_a_single_one():
    chart = timeline(["a", "b", "c"], {"Groep": [0, 5, 10]}, BANDS, 10, width=140, height=152)
    assert chart.series[0].segments == ("40.0,112.0 82.0,62.0 124.0,12.0",)
    single = timeline(["a"], {"Groep": [10]}, BANDS, 10, width=140, height=152)
    assert single.series[0].segments == ("82.0,12.0",)


def test_it_breaks_a_line_where_a_value_is_missing():
    chart = timeline(["a", "b", "c", "d"], {"Marketing": [2, None, 4, 6]}, BANDS, 10,
                     width=136, height=152)
    assert chart.series[0].segments == ("40.0,92.0", "93.3,72.0 120.0,52.0")
    assert [d[2] for d in chart.series[0].dots] == [2, 4, 6]


def test_the_css_colours_match_the_chart_colours():
    # SVG fills come from workshop/colors.py (the PDF renderer ignores CSS fills); the CSS
    # declares the same colours for everything else.
    css = (Path(__file__).parent.parent / "static" / "css" / "app.css").read_text()
    assert f"--accent: {colors.ACCENT};" in css
    for number, color in colors.PHASE_COLORS.items():
        assert f"--phase-{number}: {color};" in css
