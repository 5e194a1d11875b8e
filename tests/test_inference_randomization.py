"""Randomization inference: exact enumeration equals refitting, sampling is seeded, CI inverts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from did_helpers import css_panel

from vrueval.designs import DiD
from vrueval.designs.did.model import TwoWayFE, ols_absorbed
from vrueval.inference import cluster
from vrueval.inference.randomization import ClusterBlocks, assignments, permutation_test
from vrueval.inference.small_sample import ParamCount


def panel_arrays(seed=2, n_units=8, n_periods=6, n_treated=3):
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    after = period >= n_periods // 2
    treated = (np.arange(n_units) < n_treated).astype(float)
    y = rng.normal(size=n_units)[unit] + 0.2 * period + rng.normal(size=len(unit))
    y += 0.8 * treated[unit] * after
    return unit, period, after, treated, y


def q_and_gram(unit, period, after, y, weights=None, blocks=False):
    fe = TwoWayFE(unit, period, weights)
    cols = np.zeros((len(unit), unit.max() + 1))
    cols[np.arange(len(unit)), unit] = after
    q = fe.absorb_star(fe.sqrt_w[:, None] * cols)
    ys = fe.absorb_star(fe.sqrt_w * y)
    if blocks:
        return q.T @ ys, q.T @ q, fe, ClusterBlocks.from_columns(q, ys, unit)
    return q.T @ ys, q.T @ q, fe


def refit_t(fe, unit, y, d):
    """The CR1 t of a refitted TWFE regression (the brute-force studentised statistic)."""
    fit = ols_absorbed(fe, y, d)
    cov = cluster.cr1(
        fit.x * fit.resid[:, None],
        fit.xtx_inv,
        unit,
        n_obs=len(y),
        count=ParamCount.two_way(fe.n_units, fe.n_periods, 1),
        small_sample="stata",
    )
    return fit.coef[0] / np.sqrt(cov.vcov[0, 0])


@pytest.mark.parametrize("null", [0.0, 0.4])
def test_exact_enumeration_equals_refitting(null):
    unit, period, after, treated, y = panel_arrays()
    q, gram, fe = q_and_gram(unit, period, after, y)
    res = permutation_test(q, gram, treated, permutations=999, null=null)
    assert res.exact and res.assignments == 56
    obs = ols_absorbed(fe, y - null * treated[unit] * after, treated[unit] * after).coef[0]
    stats = []
    for idx in itertools.combinations(range(8), 3):
        t = np.zeros(8)
        t[list(idx)] = 1
        d_obs = treated[unit] * after
        stats.append(ols_absorbed(fe, y - null * d_obs, t[unit] * after).coef[0])
    expected = np.mean(np.abs(stats) >= abs(obs) - 1e-12)
    assert res.p_value == pytest.approx(expected, abs=1e-12)
    assert res.estimate == pytest.approx(ols_absorbed(fe, y, treated[unit] * after).coef[0])


@pytest.mark.parametrize("null", [0.0, 0.4, -1.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_studentised_exact_enumeration_equals_refitting(null, weighted):
    unit, period, after, treated, y = panel_arrays(seed=4)
    # heteroskedastic: the treated units are noisier, so t and coefficient rank differently
    y = y + 2.0 * treated[unit] * np.random.default_rng(9).normal(size=len(y))
    w = np.random.default_rng(3).uniform(1, 4, len(unit)) if weighted else None
    q, gram, fe, blocks = q_and_gram(unit, period, after, y, w, blocks=True)
    res = permutation_test(
        q, gram, treated, permutations=999, null=null, statistic="t", blocks=blocks
    )
    assert res.exact and res.assignments == 56 and res.statistic == "t"
    d_obs = treated[unit] * after
    obs = refit_t(fe, unit, y - null * d_obs, d_obs)
    stats = []
    for idx in itertools.combinations(range(8), 3):
        t = np.zeros(8)
        t[list(idx)] = 1
        stats.append(refit_t(fe, unit, y - null * d_obs, t[unit] * after))
    expected = np.mean(np.abs(stats) >= abs(obs) * (1 - 1e-10))
    assert res.p_value == pytest.approx(expected, abs=1e-12)
    coef = permutation_test(q, gram, treated, permutations=999, null=null, conf_int=False)
    assert coef.statistic == "coefficient"


def test_studentised_needs_blocks_and_a_known_statistic():
    unit, period, after, treated, y = panel_arrays()
    q, gram, _ = q_and_gram(unit, period, after, y)
    with pytest.raises(ValueError, match="cluster blocks"):
        permutation_test(q, gram, treated, statistic="t")
    with pytest.raises(ValueError, match="statistic must be one of"):
        permutation_test(q, gram, treated, statistic="beta")  # type: ignore[arg-type]


def test_studentised_interval_is_test_inversion():
    unit, period, after, treated, y = panel_arrays(n_units=12, n_treated=5)
    q, gram, _, blocks = q_and_gram(unit, period, after, y, blocks=True)
    kw = dict(permutations=2000, seed=3, statistic="t", blocks=blocks)
    res = permutation_test(q, gram, treated, level=0.9, **kw)
    assert res.conf_low < res.estimate < res.conf_high
    eps = 1e-5
    for bound, sign in ((res.conf_low, -1), (res.conf_high, 1)):
        inside = permutation_test(q, gram, treated, null=bound - sign * eps, conf_int=False, **kw)
        outside = permutation_test(q, gram, treated, null=bound + sign * eps, conf_int=False, **kw)
        assert inside.p_value >= 0.1 and outside.p_value < 0.1


def test_weighted_intensity_estimate_matches_ols():
    unit, period, after, _, y = panel_arrays(n_units=10)
    w = np.random.default_rng(1).uniform(1, 5, len(unit))
    dose = np.linspace(0, 1, 10)
    q, gram, fe = q_and_gram(unit, period, after, y, w)
    res = permutation_test(q, gram, dose, permutations=499, seed=1)
    assert not res.exact and res.assignments == 500
    assert res.estimate == pytest.approx(ols_absorbed(fe, y, dose[unit] * after).coef[0])


def test_sampled_assignments_are_seeded_permutations():
    obs = np.array([1.0] * 18 + [0.0] * 22)
    a, exact = assignments(obs, 300, np.random.default_rng(5))
    b, _ = assignments(obs, 300, np.random.default_rng(5))
    assert not exact and np.array_equal(a, b) and a.shape == (301, 40)
    assert np.all(a.sum(axis=1) == 18) and np.array_equal(a[0], obs)


def test_interval_is_test_inversion():
    unit, period, after, treated, y = panel_arrays(n_units=12, n_treated=5)
    q, gram, _ = q_and_gram(unit, period, after, y)
    res = permutation_test(q, gram, treated, permutations=2000, seed=3, level=0.9)
    assert res.conf_low < res.estimate < res.conf_high
    eps = 1e-5
    for bound, sign in ((res.conf_low, -1), (res.conf_high, 1)):
        kw = dict(permutations=2000, seed=3, conf_int=False)
        assert permutation_test(q, gram, treated, null=bound - sign * eps, **kw).p_value >= 0.1
        assert permutation_test(q, gram, treated, null=bound + sign * eps, **kw).p_value < 0.1


def test_css_randomization_recorded(raw_data):
    did = DiD(css_panel(raw_data), "css_robbery", start="2019/20")
    a = did.fit("randomization", seed=1, permutations=999)
    b = did.fit("randomization", seed=1, permutations=999)
    assert a.effects().equals(b.effects())
    assert a.settings["permutations"] == 999 and a.seed == 1
    assert a.diagnostics["permutation_assignments"] == 1000
    assert not a.diagnostics["permutation_exact"]
    eff = a.effects().iloc[0]
    assert eff["conf_low"] < eff["estimate"] < eff["conf_high"]
    # studentised by default; the coefficient version on request
    assert a.settings["ri_statistic"] == "t" and a.diagnostics["permutation_statistic"] == "t"
    c = did.fit("randomization", seed=1, permutations=999, ri_statistic="coefficient")
    assert c.settings["ri_statistic"] == "coefficient"
    assert c.effects()["estimate"].iloc[0] == eff["estimate"]
    with pytest.raises(ValueError, match="ri_statistic must be one of"):
        did.fit("randomization", ri_statistic="beta")  # type: ignore[arg-type]


# -- size of the two statistics when the treated units are noisier --------------------------------
def ri_rejections(
    reps, n_treated, seed, *, permutations=199, noisier=2.5, effect=0.0, rho=0.5, level=0.95
):
    """Rejection rates of RI-t and RI-coefficient at ``1 - level`` on the same simulated panels.

    43 units x 20 periods, the first ``n_treated`` treated from period 16, unit and period
    effects, AR(1) errors whose scale is ``noisier`` times larger in the treated units, and a
    true effect ``effect`` (0: size). The same panels and re-assignments serve both statistics.
    """
    n_units, n_periods, start = 43, 20, 16
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    after = (period >= start).astype(float)
    treated = (np.arange(n_units) < n_treated).astype(float)
    fe = TwoWayFE(unit, period)
    cols = np.zeros((len(unit), n_units))
    cols[np.arange(len(unit)), unit] = after
    q_cols = fe.absorb_star(cols)
    gram = q_cols.T @ q_cols
    scale = np.where(treated == 1, noisier, 1.0)[:, None]
    hits = {"t": 0, "coefficient": 0}
    for r in range(reps):
        e = np.empty((n_units, n_periods))
        e[:, 0] = rng.normal(size=n_units) / np.sqrt(1 - rho**2)
        for t in range(1, n_periods):
            e[:, t] = rho * e[:, t - 1] + rng.normal(size=n_units)
        y = rng.normal(size=n_units)[:, None] + np.linspace(0, 1, n_periods) + scale * e
        ys = fe.absorb_star(y.ravel() + effect * treated[unit] * after)
        blocks = ClusterBlocks.from_columns(q_cols, ys, unit)
        for stat in hits:
            res = permutation_test(
                q_cols.T @ ys,
                gram,
                treated,
                permutations=permutations,
                seed=seed * 10_000 + r,
                conf_int=False,
                statistic=stat,
                blocks=blocks,
            )
            # (R + 1) * 5% is an integer: p <= 5% is an exact 5% test under exchangeability
            hits[stat] += res.p_value <= 1 - level
    return {k: v / reps for k, v in hits.items()}


def test_studentised_size_fast_version():
    # 200 panels a case (a few seconds), so only gross failures are caught: a 5% test rejects
    # more than 10% of 200 times with probability < 0.002. Slow study (2,000 panels, 999
    # re-assignments): 18 treated t 4.9%, coefficient 8.4%; 3 treated t 9.6%, coefficient 36.8%.
    many = ri_rejections(200, 18, seed=1)
    few = ri_rejections(200, 3, seed=2)
    print("rejection rates at 5%, treated 2.5x noisier:", {"18 treated": many, "3 treated": few})
    assert many["t"] <= 0.10 and many["t"] <= many["coefficient"]
    assert few["t"] < few["coefficient"] / 2 and few["coefficient"] > 0.2


@pytest.mark.slow
def test_studentised_size_and_power_slow():
    """Size with 43 clusters and 18 or 3 treated units 2.5x noisier, and power when every unit is
    equally noisy (where both tests are exact), 2,000 / 1,000 panels, 999 re-assignments."""
    reps, r = 2000, 999
    size18 = ri_rejections(reps, 18, seed=7, permutations=r)
    size3 = ri_rejections(reps, 3, seed=8, permutations=r)
    homo18 = ri_rejections(reps, 18, seed=9, permutations=r, noisier=1.0)
    homo3 = ri_rejections(reps, 3, seed=10, permutations=r, noisier=1.0)
    power18 = ri_rejections(1000, 18, seed=11, permutations=r, noisier=1.0, effect=0.5)
    power3 = ri_rejections(1000, 3, seed=12, permutations=r, noisier=1.0, effect=1.0)
    print(
        "\nsize, treated 2.5x noisier: 18 treated",
        size18,
        "3 treated",
        size3,
        "\nsize, equal noise: 18 treated",
        homo18,
        "3 treated",
        homo3,
        "\npower, equal noise: 18 treated (effect 0.5)",
        power18,
        "3 treated (effect 1.0)",
        power3,
    )
    mc = 2.58 * np.sqrt(0.05 * 0.95 / reps)
    assert abs(size18["t"] - 0.05) < mc and size18["coefficient"] > 0.05 + mc
    assert size3["t"] < size3["coefficient"] / 2
    for rates in (homo18, homo3):
        assert all(abs(v - 0.05) < mc for v in rates.values()), rates
    assert power18["t"] > power18["coefficient"] - 0.03
