"""Sun-Abraham and imputation with time-varying covariates, against peer packages.

Reference values: tests/reference/staggered_covariates_peers.json, made by
staggered_covariates_peers.py (pyfixest 0.60 ``feols`` with the covariates beside the saturated
cohort x relative-period dummies; diff-diff 3.13 ``ImputationDiD(covariates=...)``; pyfixest
``did2s`` with the covariates in its first stage) on the bundled crime severity scores by force
(robbery, with theft as the covariate: staggered_css_robbery.csv) and a simulated panel with two
time-varying covariates whose paths differ by cohort (staggered_sim_tv.csv).

Tolerances (relative, absolute floor 1e-12):
- Sun & Abraham: 1e-8 on every interaction coefficient, its CR1 error, the covariate slopes
  and the interaction-weighted event-time estimates and errors (closed forms / direct solves
  on both sides).
- imputation against diff-diff: 1e-8 on the overall ATT, event-time and cohort effects and
  their Theorem 3 standard errors.
- imputation against pyfixest ``did2s``: 1e-5 on the event-time estimates (pyfixest demeans the
  fixed effects iteratively; its runs differ from each other near 1e-6).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.designs.staggered.estimate import IdentificationError

REF = Path(__file__).resolve().parent / "reference"
PEERS = json.loads((REF / "staggered_covariates_peers.json").read_text())
TOL = 1e-8
DID2S_TOL = 1e-5


def _data(name: str) -> tuple[pd.DataFrame, dict, list[str]]:
    if name == "css":
        args = {"outcome": "robbery", "unit": "unit_id", "time": "year", "first_treated": "g"}
        return pd.read_csv(REF / "staggered_css_robbery.csv"), args, ["theft"]
    args = {"outcome": "y", "unit": "id", "time": "year", "first_treated": "g"}
    return pd.read_csv(REF / "staggered_sim_tv.csv"), args, ["x1", "x2"]


def _close(ours: object, ref: object, tol: float, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(ours, dtype=float),
        np.asarray(ref, dtype=float),
        rtol=tol,
        atol=1e-12,
        err_msg=what,
    )


@pytest.mark.parametrize("key", sorted(PEERS["sunab"]))
def test_sun_abraham_with_covariates_matches_pyfixest(key: str) -> None:
    name, control, k = key.split("|")
    ref = PEERS["sunab"][key]
    frame, args, covariates = _data(name)
    res = ve.SunAbraham(
        frame,
        **args,
        covariates=covariates,
        control_group="never_treated" if control == "never" else "last_treated",
        anticipation=int(k[1:]),
    ).fit()
    eff = res.effects().set_index("term")
    terms = [
        f"att:g={int(g)},t={int(g + e)}" for g, e in zip(ref["cohort"], ref["rel"], strict=True)
    ]
    cells = res.group_time()
    assert sorted(cells.loc[cells["std_error"].notna(), "term"]) == sorted(terms)
    _close(eff.loc[terms, "estimate"], ref["estimate"], TOL, f"{key} coefficients")
    _close(eff.loc[terms, "std_error"], ref["se"], TOL, f"{key} CR1 SE")
    dyn = [f"att:e={e}" for e in ref["dynamic"]["keys"]]
    _close(eff.loc[dyn, "estimate"], ref["dynamic"]["att"], TOL, f"{key} IW estimates")
    _close(eff.loc[dyn, "std_error"], ref["dynamic"]["se"], TOL, f"{key} IW SE")
    slopes = res.diagnostics["covariate_slopes"]
    _close([slopes[c] for c in covariates], [ref["slopes"][c] for c in covariates], TOL, key)


@pytest.mark.parametrize("key", sorted(PEERS["imputation"]))
def test_imputation_with_covariates_matches_diff_diff(key: str) -> None:
    name, k_text = key.split("|")
    k = int(k_text[1:])
    ref = PEERS["imputation"][key]
    frame, args, covariates = _data(name)
    res = ve.Imputation(frame, **args, covariates=covariates, anticipation=k).fit()
    eff = res.effects().set_index("term")
    dyn = [f"att:e={int(e)}" for e in ref["dynamic"]["keys"]]
    _close(eff.loc[dyn, "estimate"], ref["dynamic"]["att"], TOL, f"{key} event time")
    _close(eff.loc[dyn, "std_error"], ref["dynamic"]["se"], TOL, f"{key} event time SE")
    if k == 0:  # with anticipation diff-diff also averages the anticipation periods
        _close(eff.loc["att:simple", "estimate"], ref["overall_att"], TOL, f"{key} overall")
        _close(eff.loc["att:simple", "std_error"], ref["overall_se"], TOL, f"{key} overall SE")
        grp = [f"att:g={int(g)}" for g in ref["group"]["keys"]]
        _close(eff.loc[grp, "estimate"], ref["group"]["att"], TOL, f"{key} cohorts")
        _close(eff.loc[grp, "std_error"], ref["group"]["se"], TOL, f"{key} cohorts SE")


@pytest.mark.parametrize("name", sorted(PEERS["pyfixest_did2s"]))
def test_imputation_with_covariates_matches_did2s_points(name: str) -> None:
    ref = PEERS["pyfixest_did2s"][name]
    frame, args, covariates = _data(name)
    eff = ve.Imputation(frame, **args, covariates=covariates).fit().effects().set_index("term")
    dyn = [f"att:e={int(e)}" for e in ref["keys"]]
    _close(eff.loc[dyn, "estimate"], ref["att"], DID2S_TOL, f"{name} did2s")


def test_covariates_move_the_estimates_towards_the_truth() -> None:
    """In the simulation the treated units' covariate drifts up with a slope of 0.8 on the
    outcome: without it the estimates are biased; with it they recover the true effects
    (0.5 + 0.1 e, less 0.2 for the 2006 cohort) within four standard errors, where the
    covariate-free estimate three periods on is more than four away."""
    frame, args, covariates = _data("sim_tv")
    size = frame[frame["year"] == 2001].groupby("g").size().drop(0)
    for cls in (ve.SunAbraham, ve.Imputation):
        plain = cls(frame, **args).fit().effects().set_index("term")
        adjusted = cls(frame, **args, covariates=covariates).fit().effects().set_index("term")
        for e in range(4):
            cohorts = [g for g in size.index if g + e <= 2008]
            w = size.loc[cohorts] / size.loc[cohorts].sum()
            truth = float(sum(w[g] * (0.5 + 0.1 * e - 0.2 * (g == 2006)) for g in cohorts))
            got = adjusted.loc[f"att:e={e}"]
            assert abs(got["estimate"] - truth) < 4 * got["std_error"], (cls, e)
            naive = plain.loc[f"att:e={e}"]
            if e == 3:  # the drift's bias grows with the distance from the base period
                assert abs(naive["estimate"] - truth) > 4 * naive["std_error"], (cls, e)


@pytest.mark.parametrize("cls", [ve.SunAbraham, ve.Imputation])
def test_time_invariant_covariates_are_refused(cls: type) -> None:
    mpdta = pd.read_csv(REF / "mpdta.csv.gz")
    args = {"outcome": "lemp", "unit": "countyreal", "time": "year", "first_treated": "first.treat"}
    with pytest.raises(ValueError, match=r"\['lpop'\] are time-invariant"):
        cls(mpdta, **args, covariates=["lpop"])
    # varying only with the period effects: absorbed too, refused at the fit
    common = mpdta.assign(trend=mpdta["year"] - 2003.0)
    with pytest.raises(
        IdentificationError, match=r"\['trend'\] vary only as the unit and period effects do"
    ):
        cls(common, **args, covariates=["trend"]).fit()


def test_collinear_covariates_are_refused() -> None:
    frame, args, _ = _data("sim_tv")
    frame = frame.assign(x3=2 * frame["x1"] - frame["x2"])
    for cls in (ve.SunAbraham, ve.Imputation):
        with pytest.raises(IdentificationError, match="collinear"):
            cls(frame, **args, covariates=["x1", "x2", "x3"]).fit()


def test_covariates_are_recorded_and_missing_values_drop_units() -> None:
    frame, args, covariates = _data("sim_tv")
    frame = frame.copy()
    frame.loc[(frame["id"] == 7) & (frame["year"] == 2004), "x1"] = np.nan
    res = ve.Imputation(frame, **args, covariates=covariates).fit()
    assert list(res.settings["covariates"]) == covariates
    assert res.diagnostics["units"] == 299
    assert any("missing outcome or covariate" in w and "7" in w for w in res.warnings)
