"""Coverage and size of ve.StaggeredSyntheticControl's jackknife interval by simulation.

Panels: 26 units over 16 periods, 14 never treated and three cohorts of 4 first treated in
periods 9, 11 and 13 (12 treated units); ``y_it = a_i + b_t + mu_i' f_t + e_it`` with two
smooth factors, ``e_it ~ N(0, 0.5^2)`` independent. Each treated unit's intercept and loadings
are a Dirichlet mix of the donors', so it lies inside the donors' convex hull and its
synthetic control can fit its pre-period up to the noise. The planted effect is constant
(``EFFECT``, or 0 for the size), so every average effect of the design equals it.

The interval checked is the overall ``att``'s 95% normal interval from the jackknife over
treated units (the default ``fit()``). That jackknife treats the treated units as
independent draws; the donors' noise, which every unit's synthetic control shares, is
outside its variance, so it may under-cover when the donors are few. Measured (slow study,
500 panels a case): the estimate is unbiased (mean 0.999 for an effect of 1) but the jackknife
se averages 0.84 of the estimates' sd, so the 95% interval covers 87.4% and the 5% test
rejects a true null 13.4% of the time: strict xfails carrying those rates. Monte Carlo error:
a rate r from R replicates has standard error sqrt(r (1 - r) / R) (1.5% here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vrueval as ve

EFFECT = 1.0
N_DONORS = 14
COHORTS = {9: 4, 11: 4, 13: 4}  # first treated period (0-based) -> units
PERIODS = 16
NOISE = 0.5


def panel(rng: np.random.Generator, effect: float) -> pd.DataFrame:
    """One long panel (unit, period, y, first) with a constant ``effect`` after adoption."""
    n1 = sum(COHORTS.values())
    t = np.arange(PERIODS)
    factors = np.vstack([np.sin(2 * np.pi * t / PERIODS), t / PERIODS - 0.5])  # 2 x T
    time_fx = 0.3 * t
    load0 = rng.normal(0.0, 1.5, size=(N_DONORS, 2))
    level0 = rng.normal(5.0, 1.0, size=N_DONORS)
    mix = rng.dirichlet(np.ones(N_DONORS), size=n1)
    load = np.vstack([load0, mix @ load0])
    level = np.concatenate([level0, mix @ level0])
    y = level[:, None] + time_fx[None, :] + load @ factors
    y = y + rng.normal(0.0, NOISE, size=y.shape)
    first = np.concatenate(
        [np.zeros(N_DONORS, dtype=int), *(np.full(m, s) for s, m in COHORTS.items())]
    )
    treated = (first[:, None] > 0) & (t[None, :] >= first[:, None])
    y = y + effect * treated
    n = N_DONORS + n1
    return pd.DataFrame(
        {
            "unit": np.repeat([f"u{i:02d}" for i in range(n)], PERIODS),
            "period": np.tile(t + 2000, n),
            "y": y.ravel(),
            "first": np.repeat(np.where(first > 0, first + 2000, 0), PERIODS),
        }
    )


def replicate(seed: int, effect: float) -> tuple[float, float, float, float]:
    """(estimate, se, lower, upper) of the overall ``att`` on one panel."""
    frame = panel(np.random.default_rng(seed), effect)
    res = ve.StaggeredSyntheticControl(
        frame, outcome="y", unit="unit", time="period", first_treated="first"
    ).fit()
    row = res.effects().set_index("term").loc["att"]
    return (
        float(row["estimate"]),
        float(row["std_error"]),
        float(row["conf_low"]),
        float(row["conf_high"]),
    )


def study(reps: int, seed: int, effect: float) -> dict[str, float]:
    """Mean estimate, mean se, sd of the estimates, and coverage of ``effect`` by the 95%
    interval (under ``effect = 0`` one minus it is the rejection rate at 5%)."""
    rows = np.array([replicate(seed * 100_000 + r, effect) for r in range(reps)])
    est, se, low, high = rows.T
    return {
        "mean": float(est.mean()),
        "sd": float(est.std(ddof=1)),
        "mean_se": float(se.mean()),
        "coverage": float(np.mean((low <= effect) & (effect <= high))),
    }


def test_panel_plants_the_effect_inside_the_hull():
    a = panel(np.random.default_rng(3), EFFECT)
    b = panel(np.random.default_rng(3), 0.0)
    post = (a["first"] > 0) & (a["period"] >= a["first"])
    np.testing.assert_allclose(a["y"] - b["y"], EFFECT * post, atol=1e-12)
    assert a["unit"].nunique() == 26 and int(post.groupby(a["unit"]).any().sum()) == 12
    res = ve.StaggeredSyntheticControl(
        a, outcome="y", unit="unit", time="period", first_treated="first"
    ).fit(inference="none")
    # inside the hull: pre-period imbalance at the noise level, no poor-fit warning
    assert not any("poor pre-period fit" in w for w in res.warnings)
    assert max(u["pre_rmse"] for u in res.diagnostics["by_unit"]) < 2 * NOISE


def test_jackknife_coverage_fast_version():
    # 20 panels (about 10 s): catches only a broken se. The slow study measures 87% coverage
    # and an se about 0.84 of the estimates' sd (0.20); 20 panels cover fewer than 12 times
    # with probability about 0.001 at 87%, and their mean lies within 0.15 (3.4 of its
    # standard errors) of the effect.
    got = study(20, 1, EFFECT)
    print("fast study:", got)
    assert abs(got["mean"] - EFFECT) < 0.15, got
    assert got["coverage"] >= 12 / 20, got
    assert 0.4 < got["mean_se"] / got["sd"] < 2.5, got


@pytest.mark.slow
@pytest.mark.parametrize(
    ("effect", "seed"),
    [
        pytest.param(
            EFFECT,
            20261204,
            marks=pytest.mark.xfail(
                strict=True,
                reason="measured 87.4% coverage in 500 panels (Monte Carlo se 1.5%): mean "
                "estimate 0.999, sd 0.198, mean jackknife se 0.168; the jackknife over 12 "
                "treated units leaves out the donors' noise their synthetic controls share "
                "(with noise-free donors: 90.0% in 150 panels)",
            ),
            id="coverage",
        ),
        pytest.param(
            0.0,
            20261205,
            marks=pytest.mark.xfail(
                strict=True,
                reason="measured 13.4% rejection at 5% in 500 null panels (Monte Carlo se "
                "1.5%): mean estimate -0.008, sd 0.197, mean jackknife se 0.161",
            ),
            id="size",
        ),
    ],
)
def test_jackknife_coverage_and_size_slow(effect: float, seed: int) -> None:
    """500 panels a case (about 4 CPU minutes each): the 95% interval of ``att`` covers
    the planted effect within three binomial Monte Carlo errors of 95% (under a zero
    effect: rejects within three errors of 5%)."""
    reps = 500
    got = study(reps, seed, effect)
    print(f"effect {effect}:", got)
    assert abs(got["mean"] - effect) < 3 * got["sd"] / np.sqrt(reps), got
    band = 3 * np.sqrt(0.95 * 0.05 / reps)
    assert abs(got["coverage"] - 0.95) <= band, got


def test_every_jackknife_fit_says_its_interval_is_too_narrow():
    # what the slow test measured reaches the user on the result, not only in the docstring
    from vrueval.designs.synthetic.multisynth import JACKKNIFE_WARNING

    design = ve.StaggeredSyntheticControl(
        panel(np.random.default_rng(3), EFFECT),
        outcome="y",
        unit="unit",
        time="period",
        first_treated="first",
    )
    assert JACKKNIFE_WARNING in design.fit().warnings
    assert JACKKNIFE_WARNING not in design.fit(inference="none").warnings
