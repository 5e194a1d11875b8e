"""StaggeredDiD: contract, validation, known truth, bootstrap and the real VRU use."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.designs.staggered.data import registry_first_treated
from vrueval.inference.multiplier_bootstrap import multipliers

REF = Path(__file__).resolve().parent / "reference"
DATA = Path(__file__).resolve().parents[1] / "data"
CSS = DATA / "css_pfa_2003_2022" / "css_by_offence_group_pfa_fy2003_2022.csv"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "mpdta.csv.gz")


def _mp(frame: pd.DataFrame, **kw: object) -> ve.StaggeredDiD:
    return ve.StaggeredDiD(
        frame,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        **kw,  # type: ignore[arg-type]
    )


# -- result contract ------------------------------------------------------------------------
def test_contract(mpdta: pd.DataFrame) -> None:
    before = mpdta.copy()
    res = _mp(mpdta).fit(inference="bootstrap", draws=199, seed=3)
    pd.testing.assert_frame_equal(mpdta, before)  # caller's data untouched
    eff = res.effects()
    for col in ["term", "estimate", "std_error", "conf_low", "conf_high", "p_value"]:
        assert col in eff
    terms = set(eff["term"])
    assert {"att", "att:simple", "att:e=0", "att:e=-3", "att:g=2004", "att:t=2007"} <= terms
    assert "att:g=2004,t=2006" in terms
    assert res.seed == 3 and res.settings["inference"] == "bootstrap"
    json.dumps(res.to_dict())
    with pytest.raises(AttributeError):
        res.seed = 4  # type: ignore[misc]
    assert ve.CallawaySantAnna is ve.StaggeredDiD
    assert "pretest_p_value" in res.summary()


def test_same_seed_same_numbers_and_seed_required(mpdta: pd.DataFrame) -> None:
    design = _mp(mpdta, covariates=["lpop"])
    a = design.fit(inference="bootstrap", draws=199, seed=8).effects()
    b = design.fit(inference="bootstrap", draws=199, seed=8).effects()
    c = design.fit(inference="bootstrap", draws=199, seed=9).effects()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["std_error"], c["std_error"])
    with pytest.raises(ValueError, match="seed"):
        design.fit(inference="bootstrap")


def test_pointwise_and_simultaneous_kept_apart(mpdta: pd.DataFrame) -> None:
    analytic = _mp(mpdta).fit()
    assert analytic.effects()["band_low"].isna().all()
    res = _mp(mpdta).fit(inference="bootstrap", draws=999, seed=1, boot_weights="rademacher")
    es = res.event_study()
    assert (es["band_low"] <= es["conf_low"]).all() and (es["band_high"] >= es["conf_high"]).all()
    assert set(res.critical_values) == {"dynamic", "group", "calendar", "group_time"}
    assert all(c >= 1.959 for c in res.critical_values.values())


def test_rebootstrap_is_a_new_result(mpdta: pd.DataFrame) -> None:
    res = _mp(mpdta).fit()
    boot = res.rebootstrap(draws=199, seed=2)
    assert res.settings["inference"] == "analytic" and res.seed is None
    assert boot.settings["inference"] == "bootstrap" and boot.seed == 2
    np.testing.assert_array_equal(res.effects()["estimate"], boot.effects()["estimate"])
    direct = _mp(mpdta).fit(inference="bootstrap", draws=199, seed=2)
    pd.testing.assert_frame_equal(boot.effects(), direct.effects())


def test_aggregation_after_the_fact(mpdta: pd.DataFrame) -> None:
    res = _mp(mpdta).fit()
    inf = res.influence()
    assert inf.shape == (500, 12)
    dyn = res.aggregate("dynamic")
    eff = res.effects().set_index("term")
    assert dyn.overall == pytest.approx(eff.loc["att:dynamic", "estimate"], abs=1e-15)
    se = np.sqrt(np.mean(dyn.overall_inf**2) / 500)
    assert se == pytest.approx(eff.loc["att:dynamic", "std_error"], abs=1e-15)


def test_multipliers_have_unit_variance() -> None:
    rng = np.random.default_rng(0)
    for w in ("mammen", "rademacher"):
        v = multipliers(2000, 100, w, rng)  # type: ignore[arg-type]
        assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.01
    with pytest.raises(ValueError, match="mammen"):
        multipliers(3, 3, "webb", rng)  # type: ignore[arg-type]


def test_plot(mpdta: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    ax = _mp(mpdta).fit(inference="bootstrap", draws=199, seed=1).plot()
    assert ax.get_xlabel() == "Years since first treated (event time)"


# -- validation -----------------------------------------------------------------------------
def test_unknown_options_rejected_with_allowed(mpdta: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not_yet_treated"):
        _mp(mpdta, control_group="notyet")
    with pytest.raises(ValueError, match="'dr', 'ipw', 'reg'"):
        _mp(mpdta, method="ols")
    with pytest.raises(ValueError, match="universal"):
        _mp(mpdta, base_period="fixed")
    with pytest.raises(ValueError, match="level"):
        _mp(mpdta).fit(level=95)
    with pytest.raises(ValueError, match="column"):
        ve.StaggeredDiD(mpdta, outcome="y", unit="countyreal", time="year", first_treated="g")


def test_no_never_treated(mpdta: pd.DataFrame) -> None:
    treated = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(ValueError, match="not_yet_treated"):
        _mp(treated).fit()
    res = _mp(treated, control_group="not_yet_treated").fit()
    assert any("no never-treated" in w for w in res.warnings)
    gt = res.group_time()
    assert set(gt["group"]) == {2004, 2006} and gt["time"].max() == 2006
    same = treated[treated["first.treat"] == 2007]
    with pytest.raises(ValueError, match="no never-treated and no not-yet-treated"):
        _mp(same, control_group="not_yet_treated").fit()


def test_units_treated_in_first_period_dropped(mpdta: pd.DataFrame) -> None:
    d = mpdta.copy()
    d.loc[d["countyreal"] == 8001, "first.treat"] = 2003
    res = _mp(d).fit()
    assert res.diagnostics["units"] == 499
    assert any("treated in or before the first period" in w and "8001" in w for w in res.warnings)


def test_missing_outcome_drops_unit_with_message(mpdta: pd.DataFrame) -> None:
    d = mpdta.copy()
    d.loc[(d["countyreal"] == 13013) & (d["year"] == 2005), "lemp"] = np.nan
    res = _mp(d).fit()
    assert res.diagnostics["units"] == 499
    assert any("missing outcome" in w and "13013" in w for w in res.warnings)


def test_first_treated_must_be_a_period(mpdta: pd.DataFrame) -> None:
    d = mpdta.astype({"first.treat": float})
    d.loc[d["countyreal"] == 8001, "first.treat"] = 2004.5
    with pytest.raises(ValueError, match=r"2004\.5.* is not a whole number"):
        _mp(d)


# -- known truth ----------------------------------------------------------------------------
def test_doubly_robust_recovers_truth_when_trends_depend_on_a_covariate() -> None:
    """Trends rise with x and treated units have larger x: the unconditional DiD is biased,
    the doubly robust and regression estimators are not. True ATT is 1 in every post cell."""
    rng = np.random.default_rng(20)
    n, periods = 6000, 4
    x = rng.normal(size=n)
    cohort = np.where(rng.random(n) < 1 / (1 + np.exp(-x)), rng.choice([2, 3], n), 0)
    rows = []
    for t in range(periods):
        effect = np.where((cohort > 0) & (t >= cohort), 1.0, 0.0)
        y = 2 * x + t * (0.5 + x) + effect + rng.normal(scale=0.5, size=n)
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "y": y, "g": cohort, "x": x}))
    frame = pd.concat(rows, ignore_index=True)

    def fit(**kw: object) -> pd.DataFrame:
        res = ve.StaggeredDiD(
            frame,
            outcome="y",
            unit="id",
            time="t",
            first_treated="g",
            **kw,  # type: ignore[arg-type]
        ).fit()
        gt = res.group_time()
        return gt[gt["post"]]

    for method in ("dr", "reg"):
        post = fit(covariates=["x"], method=method)
        assert np.all(np.abs(post["estimate"] - 1) < 4 * post["std_error"])
    naive = fit()
    assert np.all(np.abs(naive["estimate"] - 1) > 4 * naive["std_error"])


# -- real use -------------------------------------------------------------------------------
def _css_robbery() -> ve.Panel:
    raw = pd.read_csv(CSS)
    keep = (
        (raw["vintage"] == "CSS data tool, YE Mar 2022 edition")
        & (raw["geo_level"] == "pfa")
        & (raw["offence_group"] == "Robbery")
    )
    s = raw[keep]
    frame = pd.DataFrame(
        {
            "unit": s["area_code"],
            "period": [pd.Period(year=int(y), freq="Y-MAR") for y in s["fy_end_year"]],
            "outcome": "css_robbery",
            "value": s["css"],
        }
    )
    return ve.Panel.from_frame(frame, frequency="financial_year", measure="score")


def test_vru_cohorts_on_robbery_severity() -> None:
    panel = _css_robbery()
    first = registry_first_treated(panel)
    assert len(first) == 20
    assert str(first[ve.areas.resolve("West Midlands")]) == str(panel.period("2019/20"))
    assert first[ve.areas.resolve("Cleveland")] == panel.period("2022/23")
    res = ve.StaggeredDiD(panel, outcome="css_robbery", control_group="not_yet_treated").fit(
        inference="bootstrap", draws=999, seed=2019
    )
    text = " ".join(res.warnings)
    assert "E23000034" in text  # City of London: blank, dropped with a message
    assert "after the last period" in text and "E23000012" in text and "E23000013" in text
    d = res.diagnostics
    assert d["units"] == 42 and d["treated_units"] == 18 and d["treated_after_window_units"] == 2
    eff = res.effects().set_index("term")
    assert list(res.group_time()["group"].unique()) == [panel.period("2019/20")]
    assert np.isfinite(eff.loc["att", "estimate"]) and eff.loc["att", "std_error"] > 0
    assert {"att:e=0", "att:e=1", "att:e=2"} <= set(eff.index)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        json.dumps(res.to_dict())


def test_deviations_equal_explicit_multipliers() -> None:
    from vrueval.inference.multiplier_bootstrap import deviations, perturb

    inf = np.random.default_rng(1).normal(size=(300, 4))
    for w in ("mammen", "rademacher"):
        fast = deviations(inf, 50, w, np.random.default_rng(7))  # type: ignore[arg-type]
        slow = perturb(inf, multipliers(300, 50, w, np.random.default_rng(7)))  # type: ignore[arg-type]
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
