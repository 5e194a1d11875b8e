"""Sun-Abraham, imputation and Callaway-Sant'Anna (ipw, anticipation) against peer packages.

Reference values: tests/reference/staggered_peers.json, made by staggered_peers.py (pyfixest
0.60 ``feols`` for Sun & Abraham, diff-diff 3.13 ``ImputationDiD`` for Borusyak, Jaravel &
Spiess, csdid 0.4.3 for Callaway & Sant'Anna) on R ``did``'s mpdta, the simulated panel
staggered_sim.csv and the bundled crime severity scores by force with the VRU cohort
(staggered_css_robbery.csv, checked against data/ below), all written by the script.

Tolerances (relative, with an absolute floor of 1e-12 for zeros):
- Sun & Abraham: 1e-8 on every coefficient, CR1 standard error and interaction-weighted
  event-time estimate and standard error (closed forms on both sides).
- imputation: 1e-8 on the overall ATT, event-time and cohort effects and their Theorem 3
  standard errors.
- csdid: 1e-7 on ATT(g,t), their standard errors and the four aggregations (a logit fitted by
  Newton's method on both sides, as for the existing mpdta checks).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve

REF = Path(__file__).resolve().parent / "reference"
PEERS = json.loads((REF / "staggered_peers.json").read_text())
SA_TOL = IMPUTATION_TOL = 1e-8
CS_TOL = 1e-7


def _data(name: str) -> tuple[pd.DataFrame, dict[str, str]]:
    if name == "css":
        cols = {"unit": "unit_id", "time": "year", "y": "robbery", "g": "g", "x": "theft"}
        return pd.read_csv(REF / "staggered_css_robbery.csv"), cols
    if name == "mpdta":
        cols = {"unit": "countyreal", "time": "year", "y": "lemp", "g": "first.treat", "x": "lpop"}
        return pd.read_csv(REF / "mpdta.csv.gz"), cols
    sim = pd.read_csv(REF / "staggered_sim.csv")
    cols = {"unit": "id", "time": "year", "y": "y", "g": "g", "x": "x"}
    return (sim[sim["g"] > 0].reset_index(drop=True) if name == "sim_nonever" else sim), cols


def test_css_frame_is_the_bundled_data(raw_data: Path) -> None:
    """The force x year frame the peers ran on holds the bundled crime severity scores and the
    registry's VRU cohort (so the references cannot drift from the data)."""
    frame = pd.read_csv(REF / "staggered_css_robbery.csv")
    raw = pd.read_csv(raw_data / "css_pfa_2003_2022" / "css_by_offence_group_pfa_fy2003_2022.csv")
    raw = raw[
        (raw["vintage"] == "CSS data tool, YE Mar 2022 edition") & (raw["geo_level"] == "pfa")
    ]
    for column, group in (("robbery", "Robbery"), ("theft", "Theft offences")):
        part = raw[raw["offence_group"] == group].set_index(["area_code", "fy_end_year"])["css"]
        values = part.reindex(pd.MultiIndex.from_arrays([frame["area"], frame["year"]]))
        np.testing.assert_array_equal(values.to_numpy(), frame[column].to_numpy())
    treated = set(frame.loc[frame["g"] == 2020, "area"])
    assert treated == {
        a for a in frame["area"].unique() if ve.areas.get(a, "force").vru_cohort == 2019
    }
    assert len(treated) == 18 and frame["area"].nunique() == 42


def _args(cols: dict[str, str]) -> dict[str, str]:
    return {
        "outcome": cols["y"],
        "unit": cols["unit"],
        "time": cols["time"],
        "first_treated": cols["g"],
    }


def _close(ours: object, ref: object, tol: float, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(ours, dtype=float),
        np.asarray(ref, dtype=float),
        rtol=tol,
        atol=1e-12,
        err_msg=what,
    )


@pytest.mark.parametrize("key", sorted(PEERS["sunab"]))
def test_sun_abraham_matches_pyfixest(key: str) -> None:
    name, control, k = key.split("|")
    ref = PEERS["sunab"][key]
    frame, cols = _data(name)
    res = ve.SunAbraham(
        frame,
        **_args(cols),
        control_group="never_treated" if control == "never" else "last_treated",
        anticipation=int(k[1:]),
    ).fit()
    eff = res.effects().set_index("term")
    terms = [
        f"att:g={int(g)},t={int(g + e)}" for g, e in zip(ref["cohort"], ref["rel"], strict=True)
    ]
    # every pyfixest coefficient is one of ours, and we have no other non-reference cell
    cells = res.group_time()
    assert sorted(cells.loc[cells["std_error"].notna(), "term"]) == sorted(terms)
    _close(eff.loc[terms, "estimate"], ref["estimate"], SA_TOL, f"{key} coefficients")
    _close(eff.loc[terms, "std_error"], ref["se"], SA_TOL, f"{key} CR1 SE")
    dyn = [f"att:e={e}" for e in ref["dynamic"]["keys"]]
    _close(eff.loc[dyn, "estimate"], ref["dynamic"]["att"], SA_TOL, f"{key} IW estimates")
    _close(eff.loc[dyn, "std_error"], ref["dynamic"]["se"], SA_TOL, f"{key} IW SE")


def test_sun_abraham_matches_pyfixest_saturated_aggregate() -> None:
    ref = PEERS["pyfixest_saturated_aggregate_mpdta"]
    frame, cols = _data("mpdta")
    eff = ve.SunAbraham(frame, **_args(cols)).fit().effects().set_index("term")
    dyn = [f"att:e={int(e)}" for e in ref["keys"]]
    _close(eff.loc[dyn, "estimate"], ref["att"], SA_TOL, "SaturatedEventStudy.aggregate")
    _close(eff.loc[dyn, "std_error"], ref["se"], SA_TOL, "SaturatedEventStudy.aggregate SE")


@pytest.mark.parametrize("key", sorted(PEERS["imputation"]))
def test_imputation_matches_diff_diff(key: str) -> None:
    """diff-diff reports NaN for the terms whose period effects no untreated unit identifies
    (after the last cohort starts, without never-treated units) or whose cohort has no
    untreated period; vrueval reports no such term. With anticipation, diff-diff (like Stata's
    ``did_imputation, shift()``) averages the anticipation periods into its overall and cohort
    effects, while vrueval's ``att:simple`` and ``att:g=`` average post-treatment periods only,
    as R ``did`` does, so the staggered estimators' terms mean one thing; its overall number is
    then checked against the same average of vrueval's cells and their influence functions."""
    name, k_text = key.split("|")
    k = int(k_text[1:])
    ref = PEERS["imputation"][key]
    frame, cols = _data(name)
    res = ve.Imputation(frame, **_args(cols), anticipation=k).fit()
    eff = res.effects().set_index("term")
    if k == 0:
        _close(eff.loc["att:simple", "estimate"], ref["overall_att"], IMPUTATION_TOL, key)
        _close(eff.loc["att:simple", "std_error"], ref["overall_se"], IMPUTATION_TOL, key)
    else:
        cells = res.group_time()
        w = cells["n_treated"].to_numpy(dtype=float)
        w /= w.sum()
        inf = res.influence()[cells["term"]].to_numpy()
        _close(cells["estimate"].to_numpy() @ w, ref["overall_att"], IMPUTATION_TOL, key)
        se = np.sqrt(np.sum((inf @ w) ** 2)) / len(inf)
        _close(se, ref["overall_se"], IMPUTATION_TOL, key)
    for family, prefix in (("dynamic", "e"), ("group", "g")):
        part = ref[family]
        shown = np.isfinite(np.asarray(part["att"], dtype=float))
        rows = [f"att:{prefix}={int(e)}" for e, s in zip(part["keys"], shown, strict=True) if s]
        assert sorted(eff.index[eff["family"] == family]) == sorted(rows)
        if family == "group" and k > 0:
            continue  # diff-diff's cohort effects include the anticipation periods
        _close(eff.loc[rows, "estimate"], np.asarray(part["att"])[shown], IMPUTATION_TOL, key)
        _close(eff.loc[rows, "std_error"], np.asarray(part["se"])[shown], IMPUTATION_TOL, key)


@pytest.mark.parametrize("key", sorted(PEERS["csdid"]))
def test_callaway_santanna_ipw_and_anticipation_match_csdid(key: str) -> None:
    name, control, covariates, method, base, k = key.split("|")
    ref = PEERS["csdid"][key]
    frame, cols = _data(name)
    res = ve.StaggeredDiD(
        frame,
        **_args(cols),
        covariates=[cols["x"]] if covariates == "x" else [],
        control_group="never_treated" if control == "nevertreated" else "not_yet_treated",
        method=method,
        base_period=base,
        anticipation=int(k[1:]),
    ).fit()
    eff = res.effects().set_index("term")
    terms = [f"att:g={int(g)},t={int(t)}" for g, t in zip(ref["group"], ref["time"], strict=True)]
    _close(eff.loc[terms, "estimate"], ref["att"], CS_TOL, f"{key} ATT(g,t)")
    ref_se = np.asarray(ref["se"], dtype=float)
    ours_se = eff.loc[terms, "std_error"].to_numpy()
    shown = np.isfinite(ref_se) & (ref_se > 0)
    assert np.isnan(ours_se[~shown]).all()
    _close(ours_se[shown], ref_se[shown], CS_TOL, f"{key} SE(g,t)")
    for kind in ("simple", "dynamic", "group", "calendar"):
        agg = ref[f"agg_{kind}"]
        _close(eff.loc[f"att:{kind}", "estimate"], agg["overall_att"], CS_TOL, f"{key} {kind}")
        _close(eff.loc[f"att:{kind}", "std_error"], agg["overall_se"], CS_TOL, f"{key} {kind}")
        if agg["keys"] is None:
            continue
        prefix = {"dynamic": "e", "group": "g", "calendar": "t"}[kind]
        rows = [f"att:{prefix}={int(e)}" for e in agg["keys"]]
        _close(eff.loc[rows, "estimate"], agg["att"], CS_TOL, f"{key} {kind} terms")
        se = np.asarray(agg["se"], dtype=float)
        ok = np.isfinite(se) & (se > 0)
        _close(eff.loc[rows, "std_error"].to_numpy()[ok], se[ok], CS_TOL, f"{key} {kind} SE")
