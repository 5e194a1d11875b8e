"""DiD estimates and clustered errors against R (estimatr, plm, sandwich) on the real CSS panel.

Reference values: tests/reference/did_css_reference.R -> did_css_reference.json. The checks and
tolerances (estimates 1e-6, standard errors and CR2 df 1e-5, relative) live in
vrueval.validation, which the Methods and validation report shows too.

The CR2 degrees of freedom of linear contrasts (the event study's ``att``) are checked against
clubSandwich (tests/reference/did_cr2_contrast_reference.R -> did_cr2_contrast_reference.json),
1e-6 relative on estimate, standard error, df and p-value.

Unbalanced panels (``missing="unbalanced"``: keep the unit, leave out only its missing cells) are
checked against lm() with explicit unit and period dummies on the observed cells, sandwich's
vcovCL (CR0), clubSandwich (CR2, Satterthwaite df) and estimatr (CR2), on the real HES regional
panel of the intensity analysis and the knife homicide-and-serious-injury panel
(tests/reference/did_unbalanced_reference.R -> did_unbalanced_reference.json), 1e-6 relative.

Both sets of rows come from vrueval.validation.did (the report's DiD table shows them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from agreement import assert_agree

from vrueval import validation as v
from vrueval.designs import DiD
from vrueval.designs.did.data import prepare
from vrueval.results import Result
from vrueval.validation import did as vd

CHECKS = [c for c in v.DID_CHECKS if c != "sample"]


def test_reference_sample_matches() -> None:
    assert_agree(v.did_vs_r(outcomes=[], checks=["sample"]))
    res = DiD(v.css_panel(), "css_robbery", start="2019/20").fit()
    assert any("City of London" in w for w in res.warnings)


@pytest.mark.parametrize("outcome", v.DID_OUTCOMES)
@pytest.mark.parametrize("check", CHECKS)
def test_matches_r(outcome: str, check: str) -> None:
    rows = v.did_vs_r(outcomes=[outcome], checks=[check])
    assert_agree(rows)


def test_every_check_compares_estimates_and_errors() -> None:
    rows = v.did_vs_r(outcomes=["css_robbery"])
    for check in ("twfe", "two_by_two", "event_study", "poisson", "population-weighted twfe"):
        quantities = set(rows.loc[rows["check"] == f"css_robbery: {check}", "quantity"])
        assert any(q.startswith(("estimate", "log rate")) for q in quantities), check
        assert any(q.startswith("std_error") for q in quantities), check


def test_prepare_is_unit_major() -> None:
    panel = v.css_panel()
    data = prepare(
        panel,
        "css_robbery",
        treated=v.load_reference("did_css_reference.json")["data"]["treated"],
        start=panel.period("2019/20"),
        comparators="never_funded",
        exclude=(),
        n_similar=12,
        scale="value",
        per=1e5,
        window=(None, None),
        intensity=None,
        weights="none",
    )
    assert np.all(np.diff(data.unit_code) >= 0)


# -- CR2 degrees of freedom of a contrast (the event study's "att") against clubSandwich ---------
@pytest.mark.parametrize("outcome", v.DID_OUTCOMES)
@pytest.mark.parametrize("design", v.CONTRAST_DESIGNS)
def test_event_study_contrast_df_matches_clubsandwich(outcome: str, design: str) -> None:
    ref_all = v.load_reference("did_cr2_contrast_reference.json")
    ref = ref_all[outcome][design]
    rows = v.did_contrast_vs_r(outcomes=[outcome], designs=[design])
    assert_agree(rows)
    # every coefficient; the mean post-period effect (its own Bell-McCaffrey df, not the minimum
    # of the terms') and an unequal contrast, each against every R route recorded
    coefficients = rows.loc[rows["check"] == f"{outcome}: {design}"]
    assert set(coefficients["quantity"]) == {
        "observations", "estimates", "std_errors CR2", "df CR2", "p_values CR2"
    }  # fmt: skip
    assert (coefficients.loc[coefficients["quantity"] == "df CR2", "n_compared"] == len(
        ref["coefficients"])).all()  # fmt: skip
    for contrast, key in (("att", "att"), ("(e-3 + e-2)/2 - e0", "leads_minus_e0")):
        part = rows.loc[rows["check"] == f"{outcome}: {design}, {contrast}"]
        assert len(part) == 4 * len(ref[key]), (contrast, len(part))
        assert set(part["quantity"]) == {
            f"contrast {q}" for q in ("estimate", "std_error CR2", "df CR2", "p_value CR2")
        }
    # single coefficients are the unit-vector case of the same function
    es = vd.contrast_event_study(outcome, design, ref_all["data"]["early_fy2016_17"])
    fit = vd.event_study_fit(es, "cr2")
    np.testing.assert_allclose(fit.cov.contrast_df(np.eye(len(fit.times))), fit.cov.df, rtol=1e-12)


def test_att_df_differs_from_the_minimum_when_timing_is_staggered() -> None:
    ref_all = v.load_reference("did_cr2_contrast_reference.json")
    early = ref_all["data"]["early_fy2016_17"]
    res = vd.contrast_event_study("css_robbery", "staggered_event_study", early)
    eff = res.fit("cr2").effects().set_index("term")
    post = [t for t in eff.index if t.startswith("att:e=") and int(t[6:]) >= 0]
    assert eff.loc["att", "df"] > 2 * eff.loc[post, "df"].min()
    # CR1: every contrast has G - 1
    cr1 = res.fit("cr1").effects().set_index("term")
    assert cr1.loc["att", "df"] == 39


# -- unbalanced panels (missing="unbalanced") against lm() with dummies --------------------------
UNBALANCED_TWFE = {
    "observations", "clusters", "missing cells left out", "warns of left-out cells (1 = yes)",
    "estimate", "std_error CR0", "std_error CR2", "df CR2", "p_value CR2", "df CR1",
}  # fmt: skip


@pytest.mark.parametrize("case", v.UNBALANCED_CASES)
def test_unbalanced_twfe_matches_lm_with_dummies(case: str) -> None:
    rows = v.did_unbalanced_vs_r(cases=[case], event_study=False)
    assert_agree(rows)
    assert set(rows["quantity"]) == UNBALANCED_TWFE
    # CR2 against both clubSandwich and estimatr
    cr2 = rows.loc[rows["quantity"] == "std_error CR2", "reference"]
    assert cr2.str.contains("clubSandwich").any() and cr2.str.contains("estimatr").any()


def test_unbalanced_event_study_matches_lm_with_dummies() -> None:
    ref = v.load_reference("did_unbalanced_reference.json")["knife_hsi"]["event_study"]
    rows = v.did_unbalanced_vs_r(cases=[], event_study=True)
    assert_agree(rows)
    coef = rows.loc[~rows["quantity"].str.startswith("contrast")]
    assert set(coef["quantity"]) == {
        "estimates", "std_errors CR2", "df CR2", "p_values CR2", "std_errors CR0"
    }  # fmt: skip
    assert (coef["n_compared"] == len(ref["coefficients"])).all()
    att = rows.loc[rows["check"] == "knife_hsi: unbalanced event_study, att"]
    assert len(att) == 4


def test_unbalanced_is_balanced_when_nothing_is_missing() -> None:
    panel = v.css_panel()
    a = _att(DiD(panel, "css_robbery", start="2019/20").fit("cr2"))
    b = _att(DiD(panel, "css_robbery", start="2019/20", missing="unbalanced").fit("cr2"))
    for key in ("estimate", "std_error", "df", "p_value"):
        assert a[key] == b[key]


def _att(result: Result) -> pd.Series:
    return result.effects().set_index("term").loc["att"]
