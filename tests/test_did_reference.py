"""DiD estimates and clustered errors against R (estimatr, plm, sandwich) on the real CSS panel.

Reference values: tests/reference/did_css_reference.R -> did_css_reference.json. The checks and
tolerances (estimates 1e-6, standard errors and CR2 df 1e-5, relative) live in
vrueval.reporting.validation, which the Methods and validation report shows too.

The CR2 degrees of freedom of linear contrasts (the event study's ``att``) are checked against
clubSandwich (tests/reference/did_cr2_contrast_reference.R -> did_cr2_contrast_reference.json),
1e-6 relative on estimate, standard error, df and p-value.

Unbalanced panels (``missing="unbalanced"``: keep the unit, leave out only its missing cells) are
checked against lm() with explicit unit and period dummies on the observed cells, sandwich's
vcovCL (CR0), clubSandwich (CR2, Satterthwaite df) and estimatr (CR2), on the real HES regional
panel of the intensity analysis and the knife homicide-and-serious-injury panel
(tests/reference/did_unbalanced_reference.R -> did_unbalanced_reference.json), 1e-6 relative.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from agreement import assert_agree
from scipy import stats

from vrueval.data import datasets
from vrueval.designs import DiD, EventStudy
from vrueval.designs.did_data import prepare
from vrueval.designs.did_inference import covariance, cr1_factor
from vrueval.designs.did_model import TwoWayFE, ols_absorbed
from vrueval.designs.event_study import event_dummies
from vrueval.reporting import validation as v
from vrueval.results import Result

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
CONTRAST_RTOL = 1e-6  # relative, on estimate, std_error, df and p_value
ES_DESIGNS = ("event_study", "weighted_event_study", "staggered_event_study")


def _event_study(outcome: str, design: str, early: list[str]) -> EventStudy:
    if design == "event_study":
        return EventStudy(v.css_panel(), outcome, start="2019/20", leads=6)
    if design == "weighted_event_study":
        return EventStudy(
            v.css_panel(True), outcome, start="2019/20", leads=5, weights="population"
        )
    treated = v.load_reference("did_css_reference.json")["data"]["treated"]
    start = {u: ("2016/17" if u in early else "2019/20") for u in treated}
    return EventStudy(v.css_panel(), outcome, start=start, leads=6)


def _r_term(name: str) -> str:
    return f"att:e={-int(name[2:]) if name.startswith('em') else int(name[1:])}"


def _close(ours: float, theirs: float, what: str) -> None:
    assert ours == pytest.approx(theirs, rel=CONTRAST_RTOL), (what, ours, theirs)


@pytest.mark.parametrize("outcome", v.DID_OUTCOMES)
@pytest.mark.parametrize("design", ES_DESIGNS)
def test_event_study_contrast_df_matches_clubsandwich(outcome: str, design: str) -> None:
    ref_all = v.load_reference("did_cr2_contrast_reference.json")
    ref = ref_all[outcome][design]
    es = _event_study(outcome, design, ref_all["data"]["early_fy2016_17"])
    res = es.fit("cr2")
    eff = res.effects().set_index("term")
    assert res.diagnostics["n_obs"] == ref["n_obs"]
    for name, r in ref["coefficients"].items():
        row = eff.loc[_r_term(name)]
        for key in ("estimate", "std_error", "df", "p_value"):
            _close(row[key], r[key], f"{design} {name} {key}")
    # the mean post-period effect: its own Bell-McCaffrey df, not the minimum of the terms'
    for source, r in ref["att"].items():
        for key in ("estimate", "std_error", "df", "p_value"):
            _close(eff.loc["att", key], r[key], f"{design} att {key} vs {source}")
    # an unequal contrast through the shared function
    data = es._prepare()
    f = data.frame
    x, times = event_dummies(f["event"].to_numpy(), es.leads, es.lags, es.reference)
    fe = TwoWayFE(data.unit_code, data.period_code, f["weight"].to_numpy(dtype=float))
    fit = ols_absorbed(fe, f["y"].to_numpy(dtype=float), x)
    cov = covariance(fit, fe, data.unit_code, "cr2")
    c = np.zeros(len(times))
    c[[times.index(-3), times.index(-2)]] = 0.5
    c[times.index(0)] = -1.0
    se = float(np.sqrt(c @ cov.vcov @ c))
    df = float(cov.contrast_df(c)[0])
    p = float(2 * stats.t.sf(abs(c @ fit.coef / se), df))
    for source, r in ref["leads_minus_e0"].items():
        for key, ours in (("estimate", float(c @ fit.coef)), ("std_error", se), ("df", df)):
            _close(ours, r[key], f"{design} leads - e0 {key} vs {source}")
        _close(p, r["p_value"], f"{design} leads - e0 p_value vs {source}")
    # single coefficients are the unit-vector case of the same function
    np.testing.assert_allclose(cov.contrast_df(np.eye(len(times))), cov.df, rtol=1e-12)


def test_att_df_differs_from_the_minimum_when_timing_is_staggered() -> None:
    ref_all = v.load_reference("did_cr2_contrast_reference.json")
    res = _event_study("css_robbery", "staggered_event_study", ref_all["data"]["early_fy2016_17"])
    eff = res.fit("cr2").effects().set_index("term")
    post = [t for t in eff.index if t.startswith("att:e=") and int(t[6:]) >= 0]
    assert eff.loc["att", "df"] > 2 * eff.loc[post, "df"].min()
    # CR1: every contrast has G - 1
    cr1 = res.fit("cr1").effects().set_index("term")
    assert cr1.loc["att", "df"] == 39


# -- unbalanced panels (missing="unbalanced") against lm() with dummies --------------------------
UNBALANCED_RTOL = 1e-6  # relative, on estimate, standard errors, df and p-value
HES_SPEC = Path(__file__).resolve().parents[1] / "analyses" / "did_hes_intensity.toml"


def _att(result: Result) -> pd.Series:
    return result.effects().set_index("term").loc["att"]


def _unbalanced_designs() -> dict[str, DiD]:
    spec = tomllib.loads(HES_SPEC.read_text())
    intensity = spec["design"]["intensity"]
    hes = datasets.hes_sharp_object().select(outcome="admissions", units=list(intensity))
    knife = datasets.knife_quarterly()
    return {
        "hes_intensity": DiD(
            hes,
            "admissions",
            start="2019-10",
            scale="rate",
            intensity=intensity,
            missing="unbalanced",
        ),
        "knife_hsi": DiD(
            knife, "homicide_and_serious_injury", start="2016Q2", missing="unbalanced"
        ),
    }


@pytest.mark.parametrize("case", ["hes_intensity", "knife_hsi"])
def test_unbalanced_twfe_matches_lm_with_dummies(case: str) -> None:
    ref = v.load_reference("did_unbalanced_reference.json")[case]
    did = _unbalanced_designs()[case]
    cr1, cr2 = did.fit("cr1"), did.fit("cr2")
    d = ref["twfe"]
    assert (
        cr1.diagnostics["n_obs"] == d["n_obs"] and cr1.diagnostics["n_clusters"] == d["n_clusters"]
    )
    assert cr1.diagnostics["n_missing_cells"] == ref["n_missing"]
    assert sum("only those cells are left out" in w for w in cr1.warnings) >= 1
    a1, a2 = _att(cr1), _att(cr2)
    factor = cr1_factor(d["n_obs"], d["n_periods"], d["n_clusters"])  # K = (T - 1) + 1
    pairs = [
        ("estimate", a1["estimate"], d["estimate"]),
        ("std_error CR0", a1["std_error"] / np.sqrt(factor), d["se_cr0"]),
        ("std_error CR2", a2["std_error"], d["se_cr2"]),
        ("df CR2", a2["df"], d["df_cr2"]),
        ("p_value CR2", a2["p_value"], d["p_cr2"]),
        ("std_error CR2 estimatr", a2["std_error"], d["estimatr_se_cr2"]),
        ("df CR2 estimatr", a2["df"], d["estimatr_df_cr2"]),
    ]
    for what, ours, theirs in pairs:
        assert ours == pytest.approx(theirs, rel=UNBALANCED_RTOL), (case, what, ours, theirs)
    assert a1["df"] == d["n_clusters"] - 1


def test_unbalanced_event_study_matches_lm_with_dummies() -> None:
    ref = v.load_reference("did_unbalanced_reference.json")["knife_hsi"]["event_study"]
    knife = datasets.knife_quarterly()
    es = EventStudy(
        knife, "homicide_and_serious_injury", start="2016Q2", leads=4, lags=3, missing="unbalanced"
    )
    eff = es.fit("cr2").effects().set_index("term")
    cr1 = es.fit("cr1")
    n = cr1.diagnostics["n_obs"]
    factor = cr1_factor(n, cr1.diagnostics["n_periods"] - 1 + 7, cr1.diagnostics["n_clusters"])
    for name, r in ref["coefficients"].items():
        term = _r_term(name)
        for key in ("estimate", "std_error", "df", "p_value"):
            _close(eff.loc[term, key], r[key], f"unbalanced ES {name} {key}")
        se0 = cr1.effects().set_index("term").loc[term, "std_error"] / np.sqrt(factor)
        _close(se0, ref["se_cr0"][name], f"unbalanced ES {name} CR0")
    for key in ("estimate", "std_error", "df", "p_value"):
        _close(eff.loc["att", key], ref["att"][key], f"unbalanced ES att {key}")


def test_unbalanced_is_balanced_when_nothing_is_missing() -> None:
    panel = v.css_panel()
    a = _att(DiD(panel, "css_robbery", start="2019/20").fit("cr2"))
    b = _att(DiD(panel, "css_robbery", start="2019/20", missing="unbalanced").fit("cr2"))
    for key in ("estimate", "std_error", "df", "p_value"):
        assert a[key] == b[key]
