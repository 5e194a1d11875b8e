"""Callaway-Sant'Anna on mpdta against R ``did`` (printed) and its Python ports (to 1e-7).

Reference files in tests/reference/:
- mpdta.csv.gz: R ``did::mpdta`` (2,500 rows), as shipped in the moderndid 0.2.0 wheel (MIT);
  its ATT(g,t) reproduce the R README to every printed digit.
- cs_mpdta_published.json: the R ``did`` README's printed tables (4 decimals; bootstrap SEs from
  one unseeded run of 1,000 draws).
- cs_mpdta_peers.json: csdid 0.4.3 over 12 option combinations, differences 0.3.0 and diff-diff
  3.13.0 for the default ones, made by cs_mpdta_peers.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve

REF = Path(__file__).resolve().parent / "reference"
PEERS = json.loads((REF / "cs_mpdta_peers.json").read_text())
PUBLISHED = json.loads((REF / "cs_mpdta_published.json").read_text())
TOL = 1e-7  # analytic estimates and standard errors against csdid / differences
PRINTED = 5e-5 + 1e-12  # half a unit in the 4th decimal
CONTROL = {"nevertreated": "never_treated", "notyettreated": "not_yet_treated"}
PREFIX = {"dynamic": "e", "group": "g", "calendar": "t"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "mpdta.csv.gz")


def _fit(mpdta: pd.DataFrame, key: str, **fit: object) -> ve.Result:
    control, formula, method, base = key.split("|")
    return ve.StaggeredDiD(
        mpdta,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        covariates=[] if formula == "~1" else ["lpop"],
        control_group=CONTROL[control],  # type: ignore[arg-type]
        method=method,  # type: ignore[arg-type]
        base_period=base,  # type: ignore[arg-type]
    ).fit(**fit)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", sorted(PEERS["csdid"]))
def test_matches_csdid(mpdta: pd.DataFrame, key: str) -> None:
    ref = PEERS["csdid"][key]
    res = _fit(mpdta, key)
    gt = res.group_time()
    assert gt["group"].tolist() == [int(g) for g in ref["group"]]
    assert gt["time"].tolist() == [int(t) for t in ref["time"]]
    np.testing.assert_allclose(gt["estimate"], ref["att"], rtol=0, atol=TOL)
    # csdid reports NaN for the universal base period's reference cell; so do we
    np.testing.assert_allclose(gt["std_error"], ref["se"], rtol=0, atol=TOL)
    eff = res.effects().set_index("term")
    for kind in ("simple", "dynamic", "group", "calendar"):
        agg = ref[f"agg_{kind}"]
        assert eff.loc[f"att:{kind}", "estimate"] == pytest.approx(agg["overall_att"], abs=TOL)
        assert eff.loc[f"att:{kind}", "std_error"] == pytest.approx(agg["overall_se"], abs=TOL)
        if agg["keys"] is not None:
            terms = [f"att:{PREFIX[kind]}={int(k)}" for k in agg["keys"]]
            np.testing.assert_allclose(eff.loc[terms, "estimate"], agg["att"], atol=TOL)
            np.testing.assert_allclose(eff.loc[terms, "std_error"], agg["se"], atol=TOL)
    # csdid rounds the pre-test p-value to 5 decimals, as R did
    p = res.diagnostics["pretest_p_value"]
    assert p == pytest.approx(ref["pretest_p_value_rounded5"], abs=5e-6)


@pytest.mark.parametrize("peer", ["differences", "diff_diff"])
@pytest.mark.parametrize("formula", ["~1", "lemp~lpop"])
def test_matches_other_ports(mpdta: pd.DataFrame, peer: str, formula: str) -> None:
    key = f"nevertreated|{formula}|dr|varying"
    ref = PEERS[peer][key]
    # diff-diff's doubly robust fit differs from R/csdid/differences by up to 7e-6 (its own
    # logit; the cause is not established), so it is held to 1e-5 with covariates.
    tol = 1e-5 if (peer == "diff_diff" and formula != "~1") else TOL
    res = _fit(mpdta, key)
    gt = res.group_time()
    np.testing.assert_allclose(gt["estimate"], ref["att"], atol=tol)
    np.testing.assert_allclose(gt["std_error"], ref["se"], atol=tol)
    eff = res.effects().set_index("term")
    assert eff.loc["att:simple", "estimate"] == pytest.approx(ref["simple"]["overall_att"], abs=tol)
    assert eff.loc["att:simple", "std_error"] == pytest.approx(ref["simple"]["overall_se"], abs=tol)


def test_published_point_estimates(mpdta: pd.DataFrame) -> None:
    res = _fit(mpdta, "nevertreated|~1|dr|varying")
    gt = res.group_time()
    rows = np.array(PUBLISHED["group_time"]["rows"])
    assert gt["group"].tolist() == rows[:, 0].astype(int).tolist()
    assert np.max(np.abs(gt["estimate"].to_numpy() - rows[:, 2])) <= PRINTED
    eff = res.effects().set_index("term")
    dyn = np.array(PUBLISHED["dynamic"]["rows"])
    terms = [f"att:e={int(e)}" for e in dyn[:, 0]]
    assert np.max(np.abs(eff.loc[terms, "estimate"].to_numpy() - dyn[:, 1])) <= PRINTED
    assert (
        abs(eff.loc["att:dynamic", "estimate"] - PUBLISHED["dynamic"]["overall"]["att"]) <= PRINTED
    )
    grp = np.array(PUBLISHED["group"]["rows"])
    terms = [f"att:g={int(g)}" for g in grp[:, 0]]
    assert np.max(np.abs(eff.loc[terms, "estimate"].to_numpy() - grp[:, 1])) <= PRINTED
    # printed as -0.031 (three decimals)
    assert abs(eff.loc["att:group", "estimate"] - PUBLISHED["group"]["overall"]["att"]) <= 5e-4
    assert eff.loc["att", "estimate"] == eff.loc["att:group", "estimate"]
    assert round(res.diagnostics["pretest_p_value"], 5) == PUBLISHED["pretest_p_value"]


def test_published_bootstrap_within_monte_carlo_error(mpdta: pd.DataFrame) -> None:
    """R's printed SEs come from one run of 1,000 Mammen draws: the IQR-based SE has a relative
    Monte Carlo s.d. of about 1.17/sqrt(1000) = 3.7%; with 5,000 draws of ours the difference
    has s.d. about 4%, so 15% is a 4-sigma tolerance per term."""
    res = _fit(mpdta, "nevertreated|~1|dr|varying", inference="bootstrap", draws=5000, seed=11)
    gt = res.group_time()
    rows = np.array(PUBLISHED["group_time"]["rows"])
    rel = np.abs(gt["std_error"].to_numpy() / rows[:, 3] - 1)
    assert rel.max() < 0.15
    eff = res.effects().set_index("term")
    dyn = np.array(PUBLISHED["dynamic"]["rows"])
    terms = [f"att:e={int(e)}" for e in dyn[:, 0]]
    assert np.max(np.abs(eff.loc[terms, "std_error"].to_numpy() / dyn[:, 2] - 1)) < 0.15
    assert eff.loc["att:dynamic", "std_error"] == pytest.approx(0.0196, rel=0.15)
    assert eff.loc["att:group", "std_error"] == pytest.approx(0.0123, rel=0.15)
    # R's band half-width / SE gives its critical value, 2.67 for the 12 ATT(g,t)
    r_crit = np.median((rows[:, 2] - rows[:, 4]) / rows[:, 3])
    assert res.critical_values["group_time"] == pytest.approx(r_crit, abs=0.3)
    assert np.all(gt["band_low"] < gt["conf_low"])


def test_bootstrap_close_to_analytic(mpdta: pd.DataFrame) -> None:
    analytic = _fit(mpdta, "nevertreated|lemp~lpop|dr|varying").effects()
    boot = _fit(
        mpdta, "nevertreated|lemp~lpop|dr|varying", inference="bootstrap", draws=4000, seed=5
    ).effects()
    np.testing.assert_array_equal(analytic["estimate"], boot["estimate"])
    ratio = boot["std_error"] / analytic["std_error"]
    assert ratio.between(0.85, 1.15).all()
