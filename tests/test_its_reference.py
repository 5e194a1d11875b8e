"""ITS against R (lm + sandwich::NeweyWest, glm quasipoisson with offset, nlme::gls corAR1).

Reference values: tests/reference/its_reference.json, made by tests/reference/its_reference.R on
the real series (HES sharp-object admissions, West Midlands and London regions, monthly
2012-2022; West Midlands knife offences, quarterly 2008-2019). The cases, fits and tolerances
(estimates 1e-6, standard errors and AR(1) 1e-5, dispersion 1e-8, all relative) live in
vrueval.reporting.validation, which the Methods and validation report shows too.
"""

from __future__ import annotations

import pytest
from agreement import assert_agree

from vrueval.reporting import validation as v

FITS = [f.key for f in v.ITS_FITS]


@pytest.mark.parametrize("case", list(v.ITS_CASES))
@pytest.mark.parametrize("key", FITS)
def test_matches_r(case: str, key: str) -> None:
    rows = v.its_vs_r(cases=[case], fits=[key])
    expected = {"estimate", "std_error"}
    expected |= {"AR(1) phi", "GLS method (1 = same)"} if key.startswith("gls") else set()
    expected |= {"Pearson dispersion"} if key == "quasipoisson" else set()
    assert set(rows["quantity"]) == expected
    assert_agree(rows)


def test_hac_lag_rule_is_the_stated_one() -> None:
    rows = v.its_vs_r(fits=[v.ITS_LAG_CHECK])
    assert len(rows) == len(v.ITS_CASES)
    assert_agree(rows)


def test_plain_newey_west_options_are_explicit() -> None:
    """The R numbers must not move when the library's HAC defaults change."""
    assert {"hac_kernel", "hac_lag", "hac_fixed_b", "hac_adjust"} <= set(v.NEWEY_WEST)
