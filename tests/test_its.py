"""ITS behaviour on the real data: contract, options, counterfactual, comparative ITS, bad input."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.data.panel import PanelError

matplotlib.use("Agg")

LOCK = ("2020-03", "2020-06")


@pytest.fixture(scope="module")
def hes() -> ve.Panel:
    return ve.datasets.hes_sharp_object()


@pytest.fixture(scope="module")
def knife() -> ve.Panel:
    return ve.datasets.knife_quarterly()


def _wm(hes: ve.Panel, **options: object) -> ve.ITS:
    base: dict[str, object] = {
        "unit": "West Midlands",
        "outcome": "admissions",
        "lockdown": LOCK,
        "seasonality": "dummies",
    }
    base.update(options)
    return ve.ITS(hes, {"vru": "2019-10"}, **base)  # type: ignore[arg-type]


def test_result_contract(hes: ve.Panel) -> None:
    res = _wm(hes, model="poisson").fit()
    eff = res.effects()
    assert list(eff["term"]) == ["level_change", "slope_change"]
    for col in ("term", "estimate", "std_error", "conf_low", "conf_high", "p_value"):
        assert col in eff
    assert (eff["scale"] == "ratio").all()
    assert (eff["conf_low"] < eff["estimate"]).all() and (eff["estimate"] < eff["conf_high"]).all()
    doc = res.to_dict()
    json.dumps(doc)
    assert {"counterfactual", "impact", "coefficients"} <= set(doc)
    assert "level_change" in res.summary() and "Impact over" in res.summary()
    with pytest.raises(AttributeError):
        res._level = 0.9  # type: ignore[misc]
    ax = res.plot()
    assert ax.get_title() == ""  # the caption names place and model; no raw names on the axes
    assert ax.get_ylabel().startswith("Hospital admissions for assault by a sharp object")


def test_counterfactual_frame(hes: ve.Panel) -> None:
    res = _wm(hes, model="ols").fit(inference="hac", window=24)
    cf = res.counterfactual()
    assert len(cf) == 120
    np.testing.assert_allclose(cf["effect"], cf["fitted"] - cf["counterfactual"], atol=1e-12)
    pre = cf["period"] < pd.Period("2019-10", "M")
    assert np.allclose(cf.loc[pre, "effect"], 0) and np.allclose(
        cf.loc[pre, "fitted"], cf.loc[pre, "counterfactual"]
    )
    post = cf.loc[~pre]
    assert (post["counterfactual_low"] < post["counterfactual"]).all()
    assert (post["effect_low"] < post["effect"]).all()
    imp = res.impact().set_index("term")
    np.testing.assert_allclose(
        imp.loc["cumulative_effect", "estimate"], post["effect"].iloc[:24].sum(), rtol=1e-12
    )
    assert imp.loc["cumulative_effect", "periods"] == 24
    assert imp.loc["relative_pct", "scale"] == "percent"
    # Intervals propagate the chosen covariance: the pointwise effect SE equals the Wald one.
    v = res.vcov().to_numpy()
    names = list(res.vcov().index)
    d = np.zeros(len(names))
    d[names.index("level_change:vru")] = 1
    se = np.sqrt(d @ v @ d)
    first = post.iloc[0]
    crit = (first["effect_high"] - first["effect"]) / se
    eff = res.effects().set_index("term").loc["level_change"]
    np.testing.assert_allclose(crit * se, eff["conf_high"] - eff["estimate"], rtol=1e-10)


def test_rate_model_counts_events(hes: ve.Panel) -> None:
    res = _wm(hes, model="ols", response="rate").fit()
    cf = res.counterfactual()
    assert cf["observed"].max() < 5  # admissions per 100,000 a month
    imp = res.impact().set_index("term")
    assert abs(imp.loc["cumulative_effect", "estimate"]) > 50  # events, not rate units


def test_lockdown_as_interruption_and_excluded(hes: ve.Panel) -> None:
    res = _wm(hes, lockdown_handling="interruption").fit()
    eff = res.effects().set_index("term")
    assert {"level_change:vru", "slope_change:vru", "level_change:lockdown"} <= set(eff.index)
    assert eff.loc["level_change:lockdown", "nuisance"]
    cf = res.counterfactual()
    lock = cf["period"] >= pd.Period("2020-03", "M")
    # The counterfactual keeps the lockdown: it differs from fitted only by the VRU terms.
    assert not np.allclose(cf.loc[lock, "counterfactual"], cf.loc[lock, "fitted"])
    res_x = _wm(hes, lockdown_handling="exclude").fit()
    cf_x = res_x.counterfactual()
    window = (cf_x["period"] >= pd.Period("2020-03", "M")) & (
        cf_x["period"] <= pd.Period("2020-06", "M")
    )
    assert (cf_x.loc[window, "excluded_reason"] == "excluded").all()
    assert not cf_x.loc[window, "in_fit"].any()
    assert res_x.diagnostics["n_obs"] == 116


def test_lag_and_washout(hes: ve.Panel) -> None:
    res = _wm(hes, lag=3, washout=2).fit()
    cf = res.counterfactual()
    oct19 = int(np.flatnonzero(cf["period"] == pd.Period("2019-10", "M"))[0])
    assert list(cf["excluded_reason"].iloc[oct19 : oct19 + 3]) == ["washout", "washout", ""]
    assert np.allclose(cf["effect"].iloc[: oct19 + 3], 0)
    assert not np.isclose(cf["effect"].iloc[oct19 + 3], 0)
    assert res.settings["lag"] == {"vru": 3}


def test_fourier_aic_choice_reported(hes: ve.Panel) -> None:
    res = _wm(hes, seasonality="fourier", fourier_k="aic").fit()
    table = res.fourier_aic()
    assert table is not None and list(table["k"]) == list(range(7))
    assert res.settings["fourier_k"] == int(table.loc[table["aic"].idxmin(), "k"])
    fixed = _wm(hes, seasonality="fourier", fourier_k=2).fit()
    assert fixed.settings["fourier_k"] == 2 and fixed.fourier_aic() is None


def test_negbin_and_gls_arma(hes: ve.Panel) -> None:
    nb = _wm(hes, model="negbin").fit()
    assert nb.diagnostics["theta"] > 0 and (nb.effects()["scale"] == "ratio").all()
    g = _wm(hes, model="gls", arma=(1, 1)).fit()
    assert len(g.diagnostics["ar"]) == 1 and len(g.diagnostics["ma"]) == 1
    with pytest.raises(ValueError, match="inference for model='gls'"):
        _wm(hes, model="gls").fit(inference="hac")


def test_comparative_its_equals_difference_of_separate_fits(hes: ve.Panel) -> None:
    """Fully interacted OLS: the treated-minus-control changes equal the separate fits' gap."""
    opts: dict[str, object] = {"model": "ols", "lockdown": LOCK, "seasonality": "dummies"}
    cits = ve.ITS(
        hes,
        {"vru": "2019-10"},
        unit="West Midlands",
        outcome="admissions",
        controls=["East Midlands"],
        **opts,  # type: ignore[arg-type]
    ).fit(inference="classical")
    eff = cits.effects().set_index("term")
    wm = _wm(hes).fit(inference="classical").effects().set_index("term")
    em = (
        ve.ITS(
            hes,
            {"vru": "2019-10"},
            unit="East Midlands",
            outcome="admissions",
            **opts,  # type: ignore[arg-type]
        )
        .fit(inference="classical")
        .effects()
        .set_index("term")
    )
    for term in ("level_change", "slope_change"):
        np.testing.assert_allclose(
            eff.loc[term, "estimate"],
            wm.loc[term, "estimate"] - em.loc[term, "estimate"],
            rtol=1e-9,
        )
        np.testing.assert_allclose(
            eff.loc[f"control:{term}", "estimate"], em.loc[term, "estimate"], rtol=1e-9
        )
    several = ve.ITS(
        hes,
        {"vru": "2019-10"},
        unit="London",
        outcome="admissions",
        controls=["East Midlands", "South West"],
        model="poisson",
        lockdown=LOCK,
        missing="drop",
    ).fit(inference="hac")
    assert {"level_change", "control:level_change"} <= set(several.effects()["term"])


def test_bootstrap_is_seeded(hes: ve.Panel) -> None:
    its = _wm(hes)
    a = its.fit(inference="bootstrap", seed=7, draws=99)
    b = its.fit(inference="bootstrap", seed=7, draws=99)
    c = its.fit(inference="bootstrap", seed=8, draws=99)
    pd.testing.assert_frame_equal(a.effects(), b.effects())
    assert not np.allclose(a.effects()["std_error"], c.effects()["std_error"])
    assert a.seed == 7 and a.settings["block_length"] == 5
    with pytest.raises(ValueError, match="seed"):
        its.fit(inference="bootstrap")
    pois = _wm(hes, model="poisson").fit(inference="bootstrap", seed=1, draws=49)
    assert (pois.effects()["std_error"] > 0).all()


def test_placebo_in_time_on_knife_quarterly(knife: ve.Panel) -> None:
    res = ve.ITS(
        knife,
        {"svs": "2014Q3"},
        unit="West Midlands",
        outcome="knife_offences",
        seasonality="dummies",
        model="poisson",
    ).fit(placebo=True, min_segment=6)
    table = res.placebo()
    assert table["real"].sum() == 1
    n_pre = 25  # 2008Q2 .. 2014Q2
    assert (~table["real"]).sum() == n_pre - 2 * 6 + 1
    assert 1 <= res.diagnostics["placebo_rank"] <= len(table)
    assert res.diagnostics["placebo_p"] == res.diagnostics["placebo_rank"] / len(table)


def test_diagnostics_and_warnings(knife: ve.Panel, hes: ve.Panel) -> None:
    res = _wm(hes, unit="London", seasonality="none").fit(inference="classical")
    d = res.diagnostics
    for key in ("durbin_watson", "ljung_box_p", "breusch_godfrey_p", "residual_acf"):
        assert key in d
    assert any("residual seasonality" in w for w in res.warnings)
    short = ve.ITS(
        knife,
        {"x": "2009Q4"},
        unit="West Midlands",
        outcome="knife_offences",
        seasonality="dummies",
    ).fit()
    assert any("short pre-period" in w for w in short.warnings)
    big = _wm(hes).fit(hac_lag=40, hac_fixed_b=False)
    assert any("HAC lag 40 is large" in w for w in big.warnings)
    # Fixed-b critical values are made for large bandwidths: no warning then.
    assert not any("HAC lag" in w for w in _wm(hes).fit(hac_lag=40).warnings)
    fixed = _wm(hes, model="poisson", dispersion="model").fit(inference="classical")
    assert any("overdispersion" in w for w in fixed.warnings)


# -- bad input ---------------------------------------------------------------------------------
def test_interruption_outside_data(hes: ve.Panel) -> None:
    with pytest.raises(ValueError, match="outside the data"):
        ve.ITS(hes, {"vru": "2023-01"}, unit="West Midlands", outcome="admissions")
    with pytest.raises(ValueError, match="outside the data"):
        ve.ITS(hes, "2012-04", unit="West Midlands", outcome="admissions")


def test_too_few_pre_periods(hes: ve.Panel) -> None:
    with pytest.raises(ValueError, match="too few pre-interruption periods"):
        ve.ITS(hes, "2012-06", unit="West Midlands", outcome="admissions")


def test_missing_values_error_or_drop(hes: ve.Panel) -> None:
    # South West: two suppressed months (1-7 admissions), missing in the panel.
    with pytest.raises(ValueError, match="never treated as zero"):
        ve.ITS(hes, "2019-10", unit="South West", outcome="admissions")
    res = ve.ITS(hes, "2019-10", unit="South West", outcome="admissions", missing="drop").fit()
    cf = res.counterfactual()
    gaps = cf["observed"].isna()
    assert gaps.sum() == 2
    assert (cf.loc[gaps, "excluded_reason"] == "missing").all()
    assert res.diagnostics["n_obs"] == int((~gaps).sum())


def test_rolling_12m_refused_until_subsampled() -> None:
    rolling = ve.datasets.offences_rolling()
    with pytest.raises(PanelError, match="not independent observations.*non_overlapping"):
        ve.ITS(rolling, "2012-03", unit="West Midlands", outcome="robbery")
    annual = rolling.non_overlapping(3)
    res = ve.ITS(annual, "2012-03", unit="West Midlands", outcome="robbery", end="2019-03").fit(
        inference="classical"
    )
    assert res.diagnostics["n_obs"] == len(res.counterfactual())


def test_options_checked_at_the_boundary(hes: ve.Panel) -> None:
    with pytest.raises(ValueError, match=r"model must be one of \('ols', 'poisson'"):
        _wm(hes, model="arima")
    with pytest.raises(ValueError, match="seasonality must be one of"):
        _wm(hes, seasonality="monthly")
    with pytest.raises(ValueError, match="level must be"):
        _wm(hes).fit(level=0.05)
    with pytest.raises(ValueError, match="inference for model='ols' must be one of"):
        _wm(hes).fit(inference="robust")
    with pytest.raises(ValueError, match="hac_lag"):
        _wm(hes).fit(hac_lag="auto")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a window"):
        _wm(hes, lockdown="2020-03")
    with pytest.raises(ValueError, match="several outcomes"):
        ve.ITS(hes, "2019-10", unit="West Midlands")
    with pytest.raises(TypeError, match="Panel or a DataFrame"):
        ve.ITS({"unit": []}, "2019-10")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time= and outcome="):
        ve.ITS(pd.DataFrame(), "2019-10")


def test_never_mutates_caller_data(raw_data: object) -> None:
    frame = pd.DataFrame(
        {
            "unit": "West Midlands",
            "period": pd.period_range("2015-01", periods=48, freq="M").astype(str),
            "outcome": "x",
            "value": np.arange(48, dtype=float) + 10 + np.arange(48) % 3,  # not an exact fit
        }
    )
    before = frame.copy()
    panel = ve.Panel.from_frame(frame, frequency="month", geography="region")
    ve.ITS(panel, "2017-01").fit()
    pd.testing.assert_frame_equal(frame, before)
