"""Power of a Poisson ITS: batched refits must be the fits :class:`vrueval.ITS` makes.

The independent check is ``ve.ITS(model="poisson")`` itself, fitted on the real series with the
effect planted: the batched IRLS, the HAC (plain and fixed-b) and the quasi-Poisson variance must
reproduce its estimate, standard error and degrees of freedom.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.inference.hac import fixed_b_adjustment, hac_lag, kernel_matrix
from vrueval.power import its_study
from vrueval.power.glm_kernel import GLMOptions, GLMPlanted, fixed_b_single

CASES = [("hac", True), ("hac", False), ("classical", True)]


def _window(panel: ve.Panel, units: list[str], outcome: str, pre: int, post: int, spec_args):
    codes = [ve.areas.resolve(u, panel.geography) for u in units]
    series = [panel.series(c, outcome) for c in codes]
    periods = pd.PeriodIndex(series[0].index)[: pre + post]
    spec = its_study._Spec(*spec_args, codes)
    X, time, col, post_rows, _ = its_study.window_design(spec, periods, pre)
    y = np.concatenate([s["value"].to_numpy()[: pre + post] for s in series])
    pop = np.concatenate([s["population"].to_numpy()[: pre + post] for s in series])
    return periods, X, time, col, post_rows, y, np.log(pop)


def _its_effect(panel, units, outcome, periods, pre, delta, inference, fixed_b, season):
    frame = panel.data
    frame = frame[frame["period"].isin(periods)].copy()
    treated = ve.areas.resolve(units[0], panel.geography)
    rows = (frame["unit"] == treated) & (frame["period"] >= periods[pre])
    frame.loc[rows, "value"] *= 1 + delta
    # planted values are expected counts, not whole numbers: a rate-like measure
    planted = ve.Panel.from_frame(
        frame, frequency=panel.frequency, geography=panel.geography, measure="rate"
    )
    its = ve.ITS(
        planted,
        unit=units[0],
        outcome=outcome,
        controls=units[1:],
        interruptions={"x": str(periods[pre])},
        seasonality=season[2],
        fourier_k=season[4] if season[2] == "fourier" else "aic",
        model="poisson",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = its.fit(inference, hac_fixed_b=fixed_b) if inference == "hac" else its.fit(inference)
    e = fit.effects().set_index("term").loc["level_change"]
    return np.log(e["estimate"]), e["std_error"], e["df"]


@pytest.mark.parametrize(
    ("dataset", "units", "outcome", "pre", "post", "season"),
    [
        ("knife", ["West Midlands"], "knife_offences", 16, 8, ("quarter", 1, "dummies", 4, 1)),
        ("hes", ["London"], "admissions", 60, 24, ("month", 1, "dummies", 12, 1)),
        (
            "hes",
            ["West Midlands", "South West"],
            "admissions",
            48,
            12,
            ("month", 1, "fourier", 12, 2),
        ),
    ],
)
def test_batched_fits_equal_its(dataset, units, outcome, pre, post, season) -> None:
    panel = ve.datasets.knife_quarterly() if dataset == "knife" else ve.datasets.hes_sharp_object()
    periods, X, time, col, post_rows, y, off = _window(
        panel,
        units,
        outcome,
        pre,
        post,
        (*season, "hac", "bartlett", "llsw", True, True, "level_change"),
    )
    n_time = pre + post
    lag = hac_lag(n_time, "llsw", "bartlett")
    for inference, fixed_b in CASES:
        planted = GLMPlanted.build(
            X,
            col,
            y[:, None],
            (y * post_rows)[:, None],
            off,
            time,
            GLMOptions(inference, "bartlett", lag, True, fixed_b),
        )
        for delta in (0.0, -0.2):
            est, se, df = _its_effect(
                panel, units, outcome, periods, pre, delta, inference, fixed_b, season
            )
            assert planted.estimate(delta)[0] == pytest.approx(est, rel=1e-8, abs=1e-10)
            assert planted.std_error(delta)[0] == pytest.approx(se, rel=1e-7)
            got_df = planted.degrees_of_freedom(delta)[0]
            if np.isfinite(got_df):
                assert got_df == pytest.approx(df, rel=1e-7)
            else:
                assert not np.isfinite(df)  # the normal reference


def test_fixed_b_single_equals_the_shared_adjustment() -> None:
    rng = np.random.default_rng(3)
    n, k, S = 40, 6, 5
    K = kernel_matrix(np.arange(n), "bartlett", 9)
    Q = np.stack([np.linalg.qr(rng.normal(size=(n, k)))[0] for _ in range(S)])
    g = rng.normal(size=(S, n))
    factor, df = fixed_b_single(K, Q, g)
    for s in range(S):
        f, d = fixed_b_adjustment(K, Q[s], g[s][:, None])
        assert factor[s] == pytest.approx(f[0], rel=1e-12)
        assert df[s] == pytest.approx(d[0], rel=1e-12)


@pytest.fixture(scope="module")
def wm_knife() -> dict[int, ve.power.PowerResult]:
    knife = ve.datasets.knife_quarterly()
    return {
        post: ve.power.its(
            knife,
            unit="West Midlands",
            outcome="knife_offences",
            post=post,
            start="2014Q2",
            end="2019Q3",
            seed=1,
            model="poisson",
            seasonality="dummies",
            n_sims=300,
        )
        for post in (8, 12)
    }


def test_poisson_power_on_real_series(wm_knife: dict[int, ve.power.PowerResult]) -> None:
    res = wm_knife[8]
    assert res.settings["model"] == "poisson" and res.settings["response"] == "rate"
    size = res.size["rejection_rate"]
    # fixed-b is conservative on a 22-quarter pre-period; it must not over-reject
    assert size <= 0.05 + 2.58 * np.sqrt(0.05 * 0.95 / 300)
    table = res.table().set_index("effect")
    assert table.loc[-0.25, "power"] > 0.95 and table.loc[-0.05, "power"] < 0.6
    draws = res.draws(-0.1)
    assert {"estimate", "std_error", "reject"} <= set(draws.columns)
    assert np.isnan(draws["critical"]).all()
    # more post-periods, same seed: never less power
    longer = wm_knife[12].table().set_index("effect")["power"]
    assert (
        longer.loc[[-0.25, -0.2, -0.15, -0.1]] >= table.loc[[-0.25, -0.2, -0.15, -0.1], "power"]
    ).all()


def test_poisson_options_checked() -> None:
    knife = ve.datasets.knife_quarterly()
    base = dict(unit="West Midlands", outcome="knife_offences", post=8, start="2014Q2", seed=1)
    with pytest.raises(ValueError, match="method='sieve'"):
        ve.power.its(knife, model="poisson", method="placebo", **base)
    with pytest.raises(ValueError, match="model='ols' and model='poisson'"):
        ve.power.its(knife, model="negbin", **base)  # type: ignore[arg-type]


def test_draw_without_a_finite_fit_never_rejects_and_stops_nothing() -> None:
    knife = ve.datasets.knife_quarterly()
    periods, X, time, col, post_rows, y, off = _window(
        knife,
        ["West Midlands"],
        "knife_offences",
        16,
        8,
        ("quarter", 1, "dummies", 4, 1, "hac", "bartlett", "llsw", True, True, "level_change"),
    )
    Y = np.column_stack([y, np.where(post_rows, 0.0, y), y * 1.1])  # draw 1: no events after
    planted = GLMPlanted.build(
        X, col, Y, Y * post_rows[:, None], off, time, GLMOptions("hac", "bartlett", 7, True, True)
    )
    est = planted.estimate(0.0)
    assert np.isfinite(est[[0, 2]]).all() and np.isnan(est[1])
    assert not planted.rejects(0.0, 0.95)[1] and not planted.rejects(-0.5, 0.95)[1]


def test_whole_series_study_survives_poor_fits() -> None:
    knife = ve.datasets.knife_quarterly()
    res = ve.power.its(
        knife,
        post=8,
        unit="West Midlands",
        outcome="knife_offences",
        model="poisson",
        seasonality="dummies",
        seed=20191003,
        n_sims=1000,
        effects=[-0.3, 0.0],
    )  # 2008-2019: falls then rises, a poor fit for one trend; some draws have no finite fit
    assert res.diagnostics["negative_draws_set_to_zero"] > 0
    assert res.n_draws <= 1000


def test_excluded_window_equals_its_lockdown_exclusion() -> None:
    hes = ve.datasets.hes_sharp_object()
    code = ve.areas.resolve("West Midlands", "region")
    s = hes.series(code, "admissions")
    pre, post, gap = 60, 30, (5, 17)
    periods = pd.PeriodIndex(s.index)[: pre + post]
    spec = its_study._Spec(
        "month",
        1,
        "dummies",
        12,
        1,
        "hac",
        "bartlett",
        "llsw",
        True,
        True,
        "level_change",
        [code],
        "poisson",
        None,
        gap,
    )
    X, time, col, post_rows, fitted = its_study.window_design(spec, periods, pre)
    assert fitted.sum() == pre + post - (gap[1] - gap[0] + 1)
    y = s["value"].to_numpy()[: pre + post][fitted]
    off = np.log(s["population"].to_numpy()[: pre + post][fitted])
    lag = hac_lag(len(np.unique(time)), "llsw", "bartlett")
    planted = GLMPlanted.build(
        X,
        col,
        y[:, None],
        (y * post_rows)[:, None],
        off,
        time,
        GLMOptions("hac", "bartlett", lag, True, True),
    )
    sub = hes.select(outcome="admissions", units=[code], start=periods[0], end=periods[-1])
    lockdown = (str(periods[pre + gap[0]]), str(periods[pre + gap[1]]))
    fit = ve.ITS(
        sub,
        unit=code,
        interruptions={"x": str(periods[pre])},
        seasonality="dummies",
        model="poisson",
        lockdown=lockdown,
        lockdown_handling="exclude",
    ).fit()
    e = fit.effects().set_index("term").loc["level_change"]
    assert planted.estimate(0.0)[0] == pytest.approx(np.log(e["estimate"]), rel=1e-8)
    assert planted.std_error(0.0)[0] == pytest.approx(e["std_error"], rel=1e-7)
    assert planted.degrees_of_freedom(0.0)[0] == pytest.approx(e["df"], rel=1e-7)


def test_exclude_option_checked() -> None:
    knife = ve.datasets.knife_quarterly()
    base = dict(unit="West Midlands", outcome="knife_offences", post=8, start="2014Q2", seed=1)
    with pytest.raises(ValueError, match="exclude must be"):
        ve.power.its(knife, exclude=(3, 9), **base)
    with pytest.raises(ValueError, match="exclude must be"):
        ve.power.its(knife, exclude=(0, 7), **base)
    res = ve.power.its(knife, exclude=(2, 4), n_sims=50, **base)
    assert res.settings["exclude"] == (2, 4)
