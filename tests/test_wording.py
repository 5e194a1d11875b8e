"""Headline sentences: one rule for significance language, checked against p-value and interval."""

import itertools
import re

import pytest

from vrueval.reporting import fmt_number, fmt_percent_change, p_text
from vrueval.reporting.wording import evidence, headline_sentence

UNIT = "knife offences per 100,000 residents"


def expected_strength(p, low, high, null, alpha=0.05):
    excludes = low > null or high < null
    if p < alpha and excludes:
        return "clear"
    if p < 0.10 or excludes:
        return "weak"
    return "none"


GRID = list(
    itertools.product(
        [-12.4, -1.6, 0.0, 3.4],  # estimate
        [0.0004, 0.003, 0.049, 0.05, 0.06, 0.099, 0.10, 0.365, 0.9],  # p
        [(-20.2, -4.5), (-3.2, 0.1), (-4.1, 11.1), (0.5, 7.0)],  # interval
    )
)


@pytest.mark.parametrize(("estimate", "p", "interval"), GRID)
def test_wording_follows_the_p_value_and_the_interval(estimate, p, interval):
    low, high = interval
    text = headline_sentence(estimate, low, high, p, unit=UNIT)
    strength = expected_strength(p, low, high, 0.0)
    assert evidence(p, low, high) == strength
    # estimate, interval and p-value always together, formatted as the report formats them
    assert f"{fmt_number(abs(estimate))} " in text
    assert f"95% CI {fmt_number(low)} to {fmt_number(high)}" in text
    assert p_text(p) in text
    says_clear = bool(re.search(r"(?<!no )clear evidence", text))
    assert says_clear == (strength == "clear"), text
    assert ("weak evidence" in text) == (strength == "weak"), text
    assert ("no clear evidence of a change" in text) == (strength == "none"), text
    if strength != "none":
        assert ("of a fall" in text) == (estimate < 0), text
    # never causal or "significant" without the qualifier
    assert "reduced" not in text and "caused" not in text
    if "significant" in text:
        assert "not significant" in text


def test_home_office_ye_mar_2024_figure_is_weak_evidence():
    # 1.6 fewer sharp-object admissions per 100k, p = 0.06: not clear at 5%
    text = headline_sentence(-1.6, -3.3, 0.1, 0.06, unit="admissions per 100,000")
    assert "weak evidence of a fall, not significant at the 5% level" in text


def test_ratio_scale_reads_as_percentages():
    text = headline_sentence(1.5376, 1.3804, 1.7126, 2.5e-8, unit="homicide rate", scale="ratio")
    assert text.startswith("VRU areas: homicide rate 53.8% higher")
    assert f"95% CI {fmt_percent_change(1.3804)} to {fmt_percent_change(1.7126)}" in text
    assert "p < 0.001" in text and "clear evidence of a rise" in text
    assert evidence(0.2, 0.9, 1.1, "ratio") == "none"
    assert evidence(0.2, 1.01, 1.1, "ratio") == "weak"


def test_a_p_value_that_disagrees_with_its_interval_is_not_called_clear():
    text = headline_sentence(20.6, -15.6, 48.8, 0.03, unit=UNIT, subject="West Midlands")
    assert "weak evidence of a rise: the p-value and the interval disagree" in text


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((1.0, float("nan"), 2.0, 0.5), "finite interval"),
        ((1.0, 0.0, 2.0, None), "p-value"),
        ((1.0, 2.0, 0.0, 0.5), "above high"),
    ],
)
def test_a_headline_needs_all_three_numbers(args, match):
    with pytest.raises(ValueError, match=match):
        headline_sentence(*args, unit=UNIT)


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="scale must be one of"):
        evidence(0.5, -1, 1, scale="percent")
