"""The complete ITS (issue 12, item 3): level-only / slope-only changes, time-varying covariates,
forecast mode, pooled multi-series ITS; against R and against each other.

Reference: tests/reference/its_extended_reference.json, written by its_extended_reference.R
(glm quasipoisson, lm + sandwich::NeweyWest / vcovCL / vcovPL, predict.lm prediction
intervals, nlme::gls) from its_extended_inputs.csv (HES sharp-object admissions of the nine
English regions, monthly 2012-04..2022-03, the bundled data). Tolerances, relative to the
largest absolute value of the compared vector: least squares and sandwiches 1e-10
(:data:`vrueval.analysis.tolerance.CLOSED_FORM`), IRLS 1e-9
(:data:`~vrueval.analysis.tolerance.IRLS`; glm run to epsilon 1e-14), GLS-AR(1) 1e-6 (nlme's own
optimiser stops at its tolerance; the AR(1) parameter agrees to about 1e-7).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.analysis.tolerance import CLOSED_FORM, IRLS
from vrueval.inference.few_clusters import TooFewClusters

REF = json.loads((Path(__file__).parent / "reference" / "its_extended_reference.json").read_text())
LOCK = ("2020-03", "2020-06")
VRU = {"vru": "2019-10"}
WM = "West Midlands"
GLS_RTOL = 1e-6


@pytest.fixture(scope="module")
def hes() -> ve.Panel:
    return ve.datasets.hes_sharp_object().select(outcome="admissions")


@pytest.fixture(scope="module")
def regions(hes: ve.Panel) -> list[str]:
    return sorted(u for u in hes.units if u.startswith("E12"))


def _r_name(name: str) -> str:
    """vrueval's coefficient name as R's formula names it in the reference script."""
    fixed = {
        "intercept": "(Intercept)",
        "time": "t",
        "lockdown": "lockdown",
        "level_change:vru": "level",
        "slope_change:vru": "slope",
    }
    if name in fixed:
        return fixed[name]
    kind, _, rest = name.partition(":")
    if kind == "season":
        return f"season{rest}"
    if kind in ("fourier", "covariate"):
        return rest
    if kind == "unit":
        code, _, trend = rest.partition(":")
        return f"unit{code}:t" if trend else f"unit{code}"
    raise AssertionError(name)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _agree(coefs: pd.DataFrame, ref: dict, rtol: float) -> tuple[float, float]:
    """Estimates and standard errors of every coefficient, matched by name."""
    r = pd.DataFrame({"term": ref["term"], "est": ref["estimate"], "se": ref["std_error"]})
    mine = coefs.assign(term=coefs["term"].map(_r_name)).set_index("term")
    assert sorted(mine.index) == sorted(r["term"])
    mine = mine.loc[r["term"]]
    d_est, d_se = _rel(mine["estimate"], r["est"]), _rel(mine["std_error"], r["se"])
    assert d_est <= rtol and d_se <= rtol, (d_est, d_se)
    return d_est, d_se


# -- level-only and slope-only changes --
def test_level_only_quasi_poisson_with_harmonics_matches_glm(hes: ve.Panel) -> None:
    """The classic model of Bernal, Cummins and Gasparrini (2017): quasi-Poisson, offset,
    Fourier harmonics, a level change only."""
    its = ve.ITS(
        hes, VRU, unit=WM, model="poisson", seasonality="fourier", fourier_k=2,
        lockdown=LOCK, change="level",
    )  # fmt: skip
    res = its.fit(inference="classical")
    assert list(res.effects()["term"]) == ["level_change"]
    assert "slope_change:vru" not in set(res.coefficients()["term"])
    _agree(res.coefficients(), REF["level_qp_fourier"], IRLS.rtol)
    assert res.diagnostics["pearson_dispersion"] == pytest.approx(
        REF["level_qp_fourier"]["dispersion"], rel=IRLS.rtol
    )
    ref = REF["level_qp_fourier"]
    level = ref["estimate"][ref["term"].index("level")]
    assert res.effects()["estimate"].iloc[0] == pytest.approx(np.exp(level), rel=IRLS.rtol)


def test_slope_only_ols_matches_lm(hes: ve.Panel) -> None:
    res = ve.ITS(
        hes, VRU, unit=WM, seasonality="dummies", lockdown=LOCK, change={"vru": "slope"}
    ).fit(inference="classical")
    assert list(res.effects()["term"]) == ["slope_change"]
    _agree(res.coefficients(), REF["slope_ols"], CLOSED_FORM.rtol)


def test_change_per_interruption_and_refusals(hes: ve.Panel) -> None:
    its = ve.ITS(
        hes, {"a": "2016-04", "b": "2019-10"}, unit=WM, change={"a": "level", "b": "slope"}
    )
    res = its.fit(inference="classical")
    assert list(res.effects()["term"]) == ["level_change:a", "slope_change:b"]
    assert res.settings["change"] == {"a": "level", "b": "slope"}
    with pytest.raises(ValueError, match="unknown interruption"):
        ve.ITS(hes, VRU, unit=WM, change={"vr": "level"})
    with pytest.raises(ValueError, match="change of interruption 'vru'"):
        ve.ITS(hes, VRU, unit=WM, change="step")
    with pytest.raises(ValueError, match="'lockdown' is reserved"):
        ve.ITS(hes, {"lockdown": "2020-03"}, unit=WM)


def test_slope_only_placebo_ranks_the_slope_change(hes: ve.Panel) -> None:
    res = ve.ITS(hes, VRU, unit=WM, end="2020-02", change="slope").fit("classical", placebo=True)
    real = res.placebo().loc[lambda p: p["real"]].iloc[0]
    assert real["statistic"] == pytest.approx(float(res.effects()["statistic"].iloc[0]))


# -- covariates --
def _london(hes: ve.Panel) -> pd.DataFrame:
    s = hes.series("London", "admissions")
    return pd.DataFrame({"london": s["value"].to_numpy()}, index=s.index)


def test_covariate_ols_newey_west_matches_sandwich(hes: ve.Panel) -> None:
    its = ve.ITS(hes, VRU, unit=WM, seasonality="dummies", lockdown=LOCK, covariates=_london(hes))
    res = its.fit(inference="hac", hac_lag=4, hac_fixed_b=False, hac_adjust=True)
    coefs = res.coefficients()
    assert "covariate:london" in set(coefs["term"])
    _agree(coefs, REF["covariate_ols_nw"], CLOSED_FORM.rtol)
    assert list(res.settings["covariates"]) == ["london"]
    # the effects are still the interruption terms only
    assert list(res.effects()["term"]) == ["level_change", "slope_change"]


def test_covariates_long_form_per_unit_equals_indexed(hes: ve.Panel) -> None:
    cov = _london(hes)
    long = cov.reset_index().assign(unit="West Midlands")
    a = ve.ITS(hes, VRU, unit=WM, covariates=cov).fit("classical").coefficients()
    b = ve.ITS(hes, VRU, unit=WM, covariates=long).fit("classical").coefficients()
    pd.testing.assert_frame_equal(a, b)


def test_missing_covariate_refused_naming_the_period(hes: ve.Panel) -> None:
    cov = _london(hes)
    cov.iloc[[7, 100], 0] = np.nan
    with pytest.raises(ValueError, match=r"missing at 2 period\(s\).*2012-11, 2020-08"):
        ve.ITS(hes, VRU, unit=WM, covariates=cov)
    short = _london(hes).iloc[:-3]
    with pytest.raises(ValueError, match="2022-01, 2022-02, 2022-03"):
        ve.ITS(hes, VRU, unit=WM, covariates=short)
    # shortening the window is the way out, never filling
    ve.ITS(hes, VRU, unit=WM, covariates=short, end="2021-12").fit("classical")


def test_covariate_refusals(hes: ve.Panel) -> None:
    cov = _london(hes)
    with pytest.raises(ValueError, match="numeric"):
        ve.ITS(hes, VRU, unit=WM, covariates=cov.assign(london="x"))
    with pytest.raises(ValueError, match="not controls"):
        ve.ITS(hes, VRU, unit=WM, controls=["East Midlands"], covariates=cov)
    with pytest.raises(TypeError, match="DataFrame"):
        ve.ITS(hes, VRU, unit=WM, covariates=cov["london"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rank"):
        ve.ITS(hes, VRU, unit=WM, covariates=cov.assign(copy=cov["london"] * 2)).fit()


# -- forecast mode --
def test_forecast_ols_matches_predict_lm(hes: ve.Panel) -> None:
    ref = REF["forecast_ols"]
    fc = ve.ITS(hes, VRU, unit=WM, seasonality="dummies").forecast()
    cf = fc.counterfactual()
    assert len(cf) == len(ref["fit"]) == 30
    assert _rel(fc.coefficients()["estimate"], ref["coef"]) <= CLOSED_FORM.rtol
    assert _rel(cf["counterfactual"], ref["fit"]) <= CLOSED_FORM.rtol
    assert _rel(cf["prediction_low"], ref["lwr"]) <= CLOSED_FORM.rtol
    assert _rel(cf["prediction_high"], ref["upr"]) <= CLOSED_FORM.rtol
    eff = fc.effects().set_index("term")
    assert eff.loc["mean_effect", "estimate"] == pytest.approx(ref["mean_gap"], rel=1e-10)
    assert eff.loc["mean_effect", "std_error"] == pytest.approx(ref["se_mean_gap"], rel=1e-10)
    assert eff.loc["cumulative_effect", "std_error"] == pytest.approx(
        ref["se_cumulative_gap"], rel=1e-10
    )
    assert eff.loc["mean_effect", "df"] == ref["df"]


def test_forecast_quasi_poisson_matches_predict_glm(hes: ve.Panel) -> None:
    ref = REF["forecast_qp"]
    its = ve.ITS(hes, VRU, unit=WM, model="poisson", seasonality="fourier", fourier_k=2)
    fc = its.forecast()
    cf = fc.counterfactual()
    assert _rel(fc.coefficients()["estimate"], ref["coef"]) <= IRLS.rtol
    assert _rel(cf["counterfactual"], ref["mu"]) <= IRLS.rtol
    assert _rel(cf["prediction_se"], ref["se_prediction"]) <= IRLS.rtol
    eff = fc.effects().set_index("term")
    assert eff.loc["mean_effect", "estimate"] == pytest.approx(ref["mean_gap"], rel=IRLS.rtol)
    assert eff.loc["mean_effect", "std_error"] == pytest.approx(ref["se_mean_gap"], rel=IRLS.rtol)


def test_forecast_gls_ar1_carries_serial_correlation(hes: ve.Panel) -> None:
    ref = REF["forecast_gls"]
    fc = ve.ITS(hes, VRU, unit=WM, model="gls", seasonality="dummies").forecast()
    cf = fc.counterfactual()
    assert _rel(fc.coefficients()["estimate"], ref["coef"]) <= GLS_RTOL
    assert _rel(cf["counterfactual"], ref["mean"]) <= GLS_RTOL
    assert _rel(cf["prediction_se"], ref["se_prediction"]) <= GLS_RTOL
    eff = fc.effects().set_index("term")
    assert eff.loc["mean_effect", "std_error"] == pytest.approx(ref["se_mean_gap"], rel=GLS_RTOL)
    # positively autocorrelated errors widen the mean gap's interval beyond OLS's s^2 / m
    ols = ve.ITS(hes, VRU, unit=WM, seasonality="dummies").forecast().effects()
    assert (
        eff.loc["mean_effect", "std_error"] > ols.set_index("term").loc["mean_effect", "std_error"]
    )


def test_forecast_agrees_with_segmented_model(hes: ve.Panel) -> None:
    """OLS, no seasonality, one interruption with level and slope change: the post-period is
    saturated by its own line, so the pre-period coefficients are the pre-period fit's and, over
    the whole post-period (where the segmented residuals sum to zero), the forecast's average
    gap is the segmented model's level + slope average effect."""
    its = ve.ITS(hes, VRU, unit=WM)
    seg = its.fit(inference="classical")
    fc = its.forecast()
    pre = fc.coefficients().set_index("term")["estimate"]
    full = seg.coefficients().set_index("term")["estimate"]
    assert np.allclose(pre, full[pre.index], rtol=1e-10, atol=0)
    imp = seg.impact().set_index("term")["estimate"]
    est = fc.effects().set_index("term")["estimate"]
    for term in ("mean_effect", "cumulative_effect", "relative_pct"):
        assert abs(est[term] - imp[term]) <= 1e-10 * abs(imp[term]), term
    # by hand: level + slope x mean time since the start, over the compared periods
    eff = seg.effects().set_index("term")["estimate"]
    m = 30
    assert est["mean_effect"] == pytest.approx(
        eff["level_change"] + eff["slope_change"] * (m - 1) / 2, rel=1e-10
    )


def test_forecast_and_segmented_differ_with_seasonality(hes: ve.Panel) -> None:
    """Where they should not agree they do not: seasonal terms are fitted on the post-period
    too by the segmented model, so the test above can fail."""
    its = ve.ITS(hes, VRU, unit=WM, seasonality="dummies")
    a = its.fit(inference="classical").impact().set_index("term").loc["mean_effect", "estimate"]
    b = its.forecast().effects().set_index("term").loc["mean_effect", "estimate"]
    assert abs(a - b) > 1e-3


def test_forecast_refusals(hes: ve.Panel, regions: list[str]) -> None:
    with pytest.raises(ValueError, match="lockdown_handling='exclude'"):
        ve.ITS(hes, VRU, unit=WM, lockdown=LOCK).forecast()
    ok = ve.ITS(hes, VRU, unit=WM, lockdown=LOCK, lockdown_handling="exclude").forecast()
    assert "2020-04" not in set(ok.counterfactual()["period"].astype(str))
    with pytest.raises(ValueError, match="comparative or pooled"):
        ve.ITS(hes, VRU, unit=WM, controls=["East Midlands"]).forecast()
    with pytest.raises(ValueError, match="forecast inference"):
        ve.ITS(hes, VRU, unit=WM).forecast("bootstrap")  # type: ignore[arg-type]
    res = ve.ITS(hes, VRU, unit=WM).forecast("hac")  # nw1994 lag of T = 90 pre-period months: 3
    assert res.settings["hac_lag"] == 3 and res.settings["mode"] == "forecast"
    json.dumps(res.to_dict())
    assert "mean_effect" in res.summary()


# -- pooled ITS --
def _pooled(hes: ve.Panel, regions: list[str], **options: object) -> ve.ITS:
    base: dict[str, object] = {
        "units": regions,
        "outcome": "admissions",
        "seasonality": "dummies",
        "lockdown": LOCK,
        "missing": "drop",
    }
    return ve.ITS(hes, VRU, **{**base, **options})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "options", "fit"),
    [
        ("pooled_ols_stata", {}, {"small_sample": "stata"}),
        ("pooled_ols_fixest", {}, {}),
        ("pooled_trends_stata", {"unit_trends": True}, {"small_sample": "stata"}),
        ("pooled_qp_stata", {"model": "poisson"}, {"small_sample": "stata"}),
    ],
)
def test_pooled_cr1_matches_vcovcl(
    hes: ve.Panel, regions: list[str], key: str, options: dict, fit: dict
) -> None:
    res = _pooled(hes, regions, **options).fit("cluster", **fit)
    rtol = IRLS.rtol if options.get("model") == "poisson" else CLOSED_FORM.rtol
    _agree(res.coefficients(), REF[key], rtol)
    eff = res.effects()
    assert (eff["df"] == REF["pooled_clusters"] - 1).all()
    assert res.provenance["n_obs"] == REF["pooled_n"]
    assert any("9 clusters" in w for w in res.warnings)


def test_pooled_driscoll_kraay_matches_vcovpl(hes: ve.Panel, regions: list[str]) -> None:
    res = _pooled(hes, regions).fit("hac", hac_lag=4, hac_fixed_b=False, hac_adjust=True)
    _agree(res.coefficients(), REF["pooled_ols_dk"], CLOSED_FORM.rtol)


def test_pooled_counterfactual_and_impact_per_unit(hes: ve.Panel, regions: list[str]) -> None:
    res = _pooled(hes, regions).fit(window=6)
    cf = res.counterfactual()
    assert set(cf["unit"]) == set(regions) and len(cf) == 9 * 120
    imp = res.impact().set_index("term")
    assert imp.loc["mean_effect", "periods"] == 9 * 6  # six periods of each unit
    post = cf.loc[cf["period"].astype(str).between("2019-10", "2020-03")]
    assert imp.loc["cumulative_effect", "estimate"] == pytest.approx(post["effect"].sum())
    with pytest.raises(NotImplementedError, match="pooled"):
        res.plot()


def test_pooled_refusals(hes: ve.Panel, regions: list[str]) -> None:
    with pytest.raises(TooFewClusters):
        _pooled(hes, regions[:2]).fit("cluster")
    _pooled(hes, regions[:2]).fit("hac")  # Driscoll-Kraay rests on the periods, not the units
    with pytest.raises(ValueError, match="neither unit= nor controls="):
        ve.ITS(hes, VRU, units=regions, unit=WM)
    with pytest.raises(ValueError, match="model='ols', 'poisson' or 'negbin'"):
        _pooled(hes, regions, model="gls")
    with pytest.raises(ValueError, match="at least two units"):
        _pooled(hes, regions[:1])
    with pytest.raises(ValueError, match="pooled ITS"):
        ve.ITS(hes, VRU, unit=WM, unit_trends=True)
    with pytest.raises(ValueError, match="inference for model"):
        _pooled(hes, regions).fit("bootstrap", seed=1)
    with pytest.raises(ValueError, match="placebo"):
        _pooled(hes, regions).fit(placebo=True)
    with pytest.raises(ValueError, match="small_sample"):
        _pooled(hes, regions).fit("hac", small_sample="stata")
    with pytest.raises(ValueError, match="inference for model"):
        ve.ITS(hes, VRU, unit=WM).fit("cluster")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"dispersion": "quasi"}, "dispersion='quasi' applies to model 'poisson' or 'negbin'"),
        ({"arma": (2, 0)}, r"arma=\(2, 0\) applies to model 'gls' only, not 'ols'"),
        ({"gls_method": "ML"}, "gls_method='ML' applies to model 'gls' only"),
        ({"fourier_k": 2}, "fourier_k=2 applies to seasonality 'fourier' only, not 'none'"),
        ({"lockdown_handling": "exclude"}, "lockdown_handling=.exclude. applies only with"),
    ],
)
def test_constructor_options_the_model_does_not_read_are_refused(options, message):
    """Once accepted and ignored: an OLS fit with dispersion/arma/gls_method, fourier_k without
    Fourier terms, a lockdown handling without a lockdown all gave the plain fit's numbers."""
    hes = ve.datasets.hes_sharp_object()
    with pytest.raises(ValueError, match=message):
        ve.ITS(hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions", **options)
