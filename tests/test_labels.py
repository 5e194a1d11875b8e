"""Human labels: every term, column and axis in words with units, from one mapping, and
integer ticks on event-time axes."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

from vrueval import reporting as rp
from vrueval.reporting import labels

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
RAW = re.compile(r"level_change|slope_change|\batt\b|css_|knife_offences|_")


def test_term_labels():
    assert labels.term_label("level_change") == "Change in level"
    assert labels.term_label("slope_change") == "Change in slope (per period)"
    assert labels.term_label("att") == "Average effect on the treated"
    assert labels.term_label("att:e=-3") == "Effect at event time \u22123"
    assert labels.term_label("att:g=2020,t=2022") == "Effect on cohort 2020 in 2022"
    assert labels.term_label("att:g=2023") == "Effect on cohort 2023"
    assert labels.term_label("att:t=2021Q1") == "Effect in 2021Q1"
    assert labels.term_label("att:g=2019/20,t=2021/22") == "Effect on cohort 2019/20 in 2021/22"
    assert labels.term_label("att:cohort=2019/20") == "Effect on cohort 2019/20"
    assert labels.term_label("level_change:covid") == "Change in level at covid"


def test_outcome_labels_carry_units():
    assert (
        labels.outcome_label("knife_offences", rate=True, period="quarter")
        == "Knife or sharp instrument offences per 100,000 residents a quarter"
    )
    assert labels.outcome_label("css_robbery") == "Robbery crime severity score (points)"
    assert labels.outcome_label("homicide", period="year") == "Homicides a year"
    assert labels.period_word(None, "2016Q2") == "quarter"
    assert labels.period_word(None, "2020") == "year"
    assert labels.period_word("month", None) == "month"


def test_effects_table_terms_in_words():
    table = rp.effects_table(rp.run("ld_homicide", ROOT).result)
    assert list(table["Term"]) == ["Average effect on the treated"]
    assert not any(RAW.search(str(c)) for c in table.columns)


@pytest.mark.parametrize(
    ("analysis", "y_words"),
    [
        ("placebo_es_knife", "Difference in knife or sharp instrument offences per 100,000"),
        ("es_css_robbery", "Difference in robbery crime severity score (points)"),
    ],
)
def test_event_study_axes_in_words_with_integer_ticks(analysis, y_words):
    import matplotlib.pyplot as plt

    result = rp.run(analysis, ROOT).result
    ax = result.plot()
    ax.figure.canvas.draw()
    assert ax.get_ylabel().startswith(y_words)
    assert "since the start (event time)" in ax.get_xlabel()
    assert ax.get_title() == ""
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    for text in (ax.get_xlabel(), ax.get_ylabel()):
        assert not RAW.search(text), text
    plt.close(ax.figure)


def test_its_plot_has_no_raw_title():
    import matplotlib.pyplot as plt

    ax = rp.run("its_knife_west_midlands", ROOT).result.plot()
    assert ax.get_title() == ""
    # a Poisson ITS with a population offset draws counts, so the axis says counts
    assert ax.get_ylabel() == "Knife or sharp instrument offences a quarter"
    plt.close(ax.figure)
