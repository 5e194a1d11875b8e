"""The sentence a report prints about a sensitivity analysis follows its numbers."""

from __future__ import annotations

import numpy as np

from vrueval.reporting.sensitivity_text import sensitivity_sentence, sensitivity_table
from vrueval.sensitivity import honest_did_arrays

SIGMA = np.diag([0.01, 0.01, 0.01, 0.01]) + 0.002
FLAT = np.array([0.02, -0.03, 0.01, 0.0])


def _rm(beta: np.ndarray, bounds: list[float]):
    return honest_did_arrays(beta, SIGMA, 2, 2, bounds=bounds, method="conditional")


def test_significant_effect_names_its_breakdown_and_what_it_means():
    res = _rm(FLAT + np.r_[0, 0, 0.5, 0.5], [0, 1, 2])
    value = res.breakdown["value"]
    text = sensitivity_sentence(res, what="the effect", units="points")
    assert f"M̄ = {value:.2g}" in text
    assert "distinguishable from zero" in text
    expected = "survives violations as large" if value >= 1 else "does not survive"
    assert expected in text
    table = sensitivity_table(res)
    assert list(table["M̄"])[1:] == ["0", "1", "2"]
    assert table["excludes zero"].iloc[0] == "yes"


def test_small_breakdown_says_the_evidence_does_not_survive_pre_period_sized_violations():
    res = _rm(np.array([0.3, -0.3, 0.35, 0.35]), [0, 0.5, 1])
    value = res.breakdown["value"]
    assert value is not None and value < 1
    text = sensitivity_sentence(res, what="the effect")
    assert "does not survive violations of parallel trends as large as the pre-period's" in text


def test_insignificant_effect_claims_nothing():
    res = _rm(FLAT, [0, 1])
    assert res.breakdown["value"] is None
    text = sensitivity_sentence(res, what="the effect")
    assert "already indistinguishable from zero" in text
    assert "cannot rule out effects of either sign" in text
    placebo = sensitivity_sentence(res, what="the placebo", placebo=True)
    assert "cannot tell parallel trends from violations" in placebo


def test_significant_placebo_is_read_as_a_violation():
    res = _rm(np.array([0.3, -0.3, 0.35, 0.35]), [0, 0.5])
    text = sensitivity_sentence(res, what="the placebo 'effect'", placebo=True)
    assert "although nothing started" in text
    assert "smaller than the changes already seen before the fake start" in text
