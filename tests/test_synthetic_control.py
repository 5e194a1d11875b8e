"""ve.SyntheticControl: simplex weights, a planted effect, placebo inference and its warnings,
refusals, frozen results, and a synthetic West Midlands on the bundled crime severity panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval import areas
from vrueval.designs.synthetic.data import SyntheticDataError
from vrueval.designs.synthetic.weights import simplex_least_squares


def convex_panel(effect: float = 10.0, n0: int = 15, t0: int = 15, t1: int = 5, seed: int = 2):
    """The treated unit is a known mix of three donors plus small noise: inside the hull."""
    rng = np.random.default_rng(seed)
    t = t0 + t1
    donors = 50 + np.cumsum(rng.normal(size=(n0, t)), axis=1) + rng.normal(size=(n0, 1)) * 5
    truth = np.zeros(n0)
    truth[[0, 3, 7]] = [0.5, 0.3, 0.2]
    treated = truth @ donors + rng.normal(scale=0.05, size=t)
    treated[t0:] += effect
    y = np.vstack([donors, treated])
    rows = [
        {
            "unit": f"s{i:02d}" if i < n0 else "T",
            "year": 1990 + j,
            "y": y[i, j],
            "x": y[i, :t0].mean() / 10 + rng.normal(scale=0.01),
        }
        for i in range(n0 + 1)
        for j in range(t)
    ]
    return pd.DataFrame(rows), truth


def design(frame: pd.DataFrame, **kw) -> ve.SyntheticControl:
    return ve.SyntheticControl(
        frame, unit="unit", time="year", outcome="y", treated=["T"], start=2005, **kw
    )


def test_recovers_weights_and_effect():
    frame, truth = convex_panel()
    res = design(frame).fit()
    w = res.weights().set_index("unit")["weight"]
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(w[[f"s{i:02d}" for i in range(15)]], truth, atol=0.03)
    eff = res.effects().set_index("term")
    assert eff.loc["att", "estimate"] == pytest.approx(10.0, abs=0.3)
    # the effect is the largest post/pre RMSPE ratio of all 16 units: p = 1/16
    assert eff.loc["att", "p_value"] == pytest.approx(1 / 16)
    assert res.diagnostics["pre_rmspe"] < 0.2
    assert not any("poor pre-period fit" in w for w in res.warnings)
    # 16 units: the smallest attainable p-value, 1/16, is not below 0.05, and the result says so
    assert any("smallest attainable p-value, 1/16" in w for w in res.warnings)
    path = res.path()
    assert path["gap"][path["post"]].mean() == pytest.approx(eff.loc["att", "estimate"])


def test_no_effect_is_not_significant():
    frame, _ = convex_panel(effect=0.0)
    res = design(frame).fit()
    assert res.effects().loc[0, "p_value"] > 0.05


def test_predictors_with_supplied_and_nested_v():
    frame, _ = convex_panel()
    nested = design(frame, predictors=["x", ("y", [2000, 2004])]).fit(inference="none")
    assert nested.settings["v"] == "nested"
    given = design(frame, predictors=["x", ("y", [2000, 2004])], v=[1, 3]).fit(inference="none")
    assert given.settings["v"] == "supplied"
    for res in (nested, given):
        w = res.weights()["weight"]
        assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    assert "y[2000..2004]" in nested.settings["predictors"]


def test_poor_fit_and_hull_are_warned():
    frame, _ = convex_panel()
    frame.loc[(frame["unit"] == "T") & (frame["year"] < 2005), "y"] += 200.0
    res = design(frame).fit()
    text = " ".join(res.warnings)
    assert "above every donor's" in text
    assert "poor pre-period fit" in text
    assert "Warnings" in res.summary()


def test_drop_poor_fit_leaves_placebos_out():
    frame, _ = convex_panel()
    res = design(frame).fit(drop_poor_fit=1.0)
    assert res.diagnostics["placebos_dropped_poor_fit"] > 0
    assert res.placebos()["kept"].sum() == res.diagnostics["placebos"]


def test_few_placebos_warn_about_attainable_p():
    frame, _ = convex_panel(n0=8)
    res = design(frame).fit()
    assert any("smallest attainable p-value" in w for w in res.warnings)


def test_refusals():
    frame, _ = convex_panel()
    with pytest.raises(SyntheticDataError, match="one treated unit"):
        ve.SyntheticControl(
            frame, unit="unit", time="year", outcome="y", treated=["T", "s01"], start=2005
        )
    with pytest.raises(SyntheticDataError, match="give predictors"):
        design(frame, v=[1.0])
    with pytest.raises(SyntheticDataError, match="non-negative numbers"):
        design(frame, predictors=["x"], v=[-1.0])
    with pytest.raises(SyntheticDataError, match="not pre-treatment periods"):
        design(frame, predictors=[("x", [2006])])
    # nothing random in the placebos (every one is run): a seed is not recorded
    assert design(frame).fit(inference="none", seed=1).seed is None
    with pytest.raises(ValueError, match="applies to inference"):
        design(frame).fit(inference="none", drop_poor_fit=2.0)
    with pytest.raises(SyntheticDataError, match="at least 2"):
        ve.SyntheticControl(
            frame[frame["unit"].isin(["T", "s01"])],
            unit="unit",
            time="year",
            outcome="y",
            treated=["T"],
            start=2005,
        )


def test_frozen_and_serialisable():
    frame, _ = convex_panel()
    res = design(frame).fit()
    with pytest.raises(AttributeError, match="read-only"):
        res.level = 0.5  # type: ignore[misc]
    out = res.to_dict()
    assert {"weights", "path", "placebos"} <= set(out)
    assert out["effects"][0]["term"] == "att"
    # deterministic: fitting again gives the same numbers
    pd.testing.assert_frame_equal(res.effects(), design(frame).fit().effects())


def test_plots():
    import matplotlib

    matplotlib.use("Agg")
    frame, _ = convex_panel()
    res = design(frame).fit(inference="none")
    for kind in ("path", "gap", "weights"):
        assert res.plot(kind=kind) is not None
    with pytest.raises(ValueError, match="kind must be one of"):
        res.plot(kind="spaghetti")
    with pytest.raises(ValueError, match="no placebos"):
        res.plot(kind="placebos")
    with_placebos = design(frame).fit()
    ax = with_placebos.plot(kind="placebos")
    assert len(ax.lines) == 15 + 3  # one a placebo, the treated gap, zero, the start
    assert with_placebos.placebos().filter(like="gap:").shape == (15, 20)
    # the treated gap is drawn on top, in black, through the result's own numbers
    treated = [line for line in ax.lines if line.get_color() == "black"]
    np.testing.assert_allclose(treated[0].get_ydata(), with_placebos.path()["gap"])


def test_gap_band_and_weights_plot():
    """The gap figure shades the per-period interval of the inference (conformal here); the
    weights figure draws one bar a donor used, negative ones in red (augmented)."""
    import matplotlib

    matplotlib.use("Agg")
    frame, _ = convex_panel()
    res = design(frame).fit(inference="conformal", level=0.8)
    ax = res.plot(kind="gap")
    assert len(ax.collections) == 1  # the band
    band = ax.collections[0].get_paths()[0].vertices
    rows = res.effects().iloc[1:]
    assert band[:, 1].min() == pytest.approx(rows["conf_low"].min())
    assert band[:, 1].max() == pytest.approx(rows["conf_high"].max())
    assert len(design(frame).fit(inference="none").plot(kind="gap").collections) == 0
    aug = design(frame, method="augmented", ridge=1.0).fit(inference="none")
    bars = aug.plot(kind="weights").patches
    w = aug.weights()
    assert len(bars) == int((w["weight"].abs() > 1e-6).sum())
    negative = [b for b in bars if b.get_width() < 0]
    assert len(negative) == int((w["weight"] < -1e-6).sum()) > 0


def test_simplex_least_squares_kkt():
    """KKT at the solution: the gradient is equal on the support and no smaller off it."""
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(12, 9)), rng.normal(size=12)
    x = simplex_least_squares(a, b)
    g = a.T @ (a @ x - b)
    on = x > 1e-10
    assert x.sum() == pytest.approx(1.0) and (x >= 0).all()
    assert np.ptp(g[on]) < 1e-8
    assert (g[~on] >= g[on].mean() - 1e-8).all()


def test_synthetic_west_midlands_on_the_crime_severity_panel():
    """West Midlands' violence severity score against the never-funded forces: it runs, and it
    says what it cannot do -- West Midlands lies above every donor, so no convex combination
    fits it and the warnings say so."""
    panel = ve.datasets.crime_severity()
    outcome = "css_violence_against_the_person"
    donors = [
        u
        for u in panel.units
        if areas.get(u, "force").vru_cohort is None and u != "E23000034"  # City of London: no score
    ]
    wm = areas.resolve("West Midlands", "force")
    res = ve.SyntheticControl(
        panel.select(outcome=outcome, units=[*donors, wm]),
        outcome=outcome,
        treated=["West Midlands"],
        start="2019/20",
    ).fit()
    assert res.diagnostics["donors"] == len(donors) == 22
    assert res.weights()["weight"].sum() == pytest.approx(1.0)
    assert any("above every donor's" in w for w in res.warnings)
    assert np.isfinite(res.effects().loc[0, "estimate"])
