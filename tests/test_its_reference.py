"""ITS against R: lm + sandwich::NeweyWest, glm quasipoisson with offset, nlme::gls corAR1,
MASS::glm.nb, the fixed-b default, and the comparative ITS (stacked lm/glm + sandwich::vcovPL).

Reference values: tests/reference/its_reference.json (its_reference.R), its_negbin_reference.json
(its_negbin_reference.R), its_fixed_b_reference.json (its_fixed_b_reference.R) and
its_comparative_reference.json (its_comparative_reference.R), on the real series (HES
sharp-object admissions, West Midlands and London regions, monthly 2012-2022, against South West
and East Midlands for the comparative ITS; West Midlands knife offences, quarterly 2008-2019,
against Staffordshire). The cases, fits and tolerances (estimates 1e-6, standard errors, fixed-b
df and AR(1) 1e-5, dispersion 1e-8, NB theta 1e-6, all relative) live in
vrueval.validation, which the Methods and validation report shows too.
"""

from __future__ import annotations

import pytest
from agreement import assert_agree

from vrueval import validation as v
from vrueval.validation.base import load_reference

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


# -- negative binomial against MASS::glm.nb --------------------------------------------------------
@pytest.mark.parametrize("case", list(v.ITS_CASES))
def test_negbin_matches_glm_nb(case: str) -> None:
    rows = v.its_negbin_vs_r(cases=[case])
    assert len(rows.loc[rows["quantity"] == "std_error"]) == len(v.NB_FITS)
    assert {"theta (ML shape)", "AIC", "Pearson dispersion", "HAC lag"} <= set(rows["quantity"])
    assert_agree(rows)


def test_negbin_theta_is_the_root_of_the_score() -> None:
    """A bounded search alone stopped 5.6e-7 from glm.nb's theta (the likelihood is flat near
    its top); Newton steps on the score, as MASS::theta.ml takes, meet it to 1e-8."""
    rows = v.its_negbin_vs_r(fits=["negbin_model"])
    theta = rows.loc[rows["quantity"] == "theta (ML shape)"]
    assert (theta["max_rel_diff"] <= 1e-8).all(), theta[["check", "max_rel_diff"]]


def test_glm_nb_theta_is_a_root_of_the_score() -> None:
    """The reference itself is converged: glm.nb's theta solves the score equation."""
    ref = load_reference("its_negbin_reference.json")
    for case in v.ITS_CASES:
        assert abs(ref[case]["negbin_model"]["theta_score"]) < 1e-10


# -- the default fixed-b HAC and EWC (formula re-implemented in R) ---------------------------------
@pytest.mark.parametrize("case", list(v.ITS_CASES))
def test_fixed_b_matches_r_formula(case: str) -> None:
    rows = v.its_fixed_b_vs_r(cases=[case])
    assert len(rows.loc[rows["quantity"] == "fixed-b df"]) == 6  # 3 models x 2 kernels
    assert_agree(rows)


def test_fixed_b_options_are_the_defaults_spelled_out() -> None:
    """The checked fixed-b settings are the library's default inference for OLS and GLMs."""
    res = v.its_design("hes_london", "ols").fit()
    fb = v.its_fixed_b_vs_r(cases=["hes_london"], fits=["ols_fixed_b_bartlett"])
    default = res.effects().set_index("term")
    ref = load_reference("its_fixed_b_reference.json")["hes_london"]["ols_fixed_b_bartlett"]
    assert default.loc["level_change", "std_error"] == pytest.approx(ref["se_level_change"], 1e-9)
    assert default.loc["slope_change", "df"] == pytest.approx(ref["df_slope_change"], 1e-9)
    assert_agree(fb)


# -- comparative ITS against the stacked regression + sandwich::vcovPL -----------------------------
@pytest.mark.parametrize("case", list(v.CITS_CASES))
def test_comparative_matches_r(case: str) -> None:
    rows = v.its_comparative_vs_r(cases=[case])
    assert (rows.loc[rows["quantity"] == "estimate", "n_compared"] == 4).all()
    assert len(rows.loc[rows["quantity"] == "std_error"]) == len(v.CITS_FITS)
    assert_agree(rows)


def test_comparative_gap_case_is_not_vcovpl() -> None:
    """An excluded lockdown leaves a gap: the reference is the kernel over calendar positions."""
    ref = load_reference("its_comparative_reference.json")
    gaps = [c for c in v.CITS_CASES if ref[c]["hac_reference"] != "sandwich::vcovPL"]
    assert gaps == ["hes_wm_vs_south_west_lockdown_excluded"]
    assert ref[gaps[0]]["n_time"] == 120 - 13  # the 13 months Mar 2020 - Mar 2021 left out
    rows = v.its_comparative_vs_r(cases=gaps, fits=["ols_hac_adjust"])
    se = rows.loc[rows["quantity"] == "std_error", "reference"]
    assert se.str.contains("calendar positions").all() and not se.str.contains("vcovPL").any()
