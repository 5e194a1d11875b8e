"""Randomization inference: exact enumeration equals refitting, sampling is seeded, CI inverts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from did_helpers import css_panel

from vrueval.designs import DiD
from vrueval.designs.did_model import TwoWayFE, ols_absorbed
from vrueval.inference.randomization import assignments, permutation_test


def panel_arrays(seed=2, n_units=8, n_periods=6, n_treated=3):
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    after = period >= n_periods // 2
    treated = (np.arange(n_units) < n_treated).astype(float)
    y = rng.normal(size=n_units)[unit] + 0.2 * period + rng.normal(size=len(unit))
    y += 0.8 * treated[unit] * after
    return unit, period, after, treated, y


def q_and_gram(unit, period, after, y, weights=None):
    fe = TwoWayFE(unit, period, weights)
    cols = np.zeros((len(unit), unit.max() + 1))
    cols[np.arange(len(unit)), unit] = after
    q = fe.absorb_star(fe.sqrt_w[:, None] * cols)
    ys = fe.absorb_star(fe.sqrt_w * y)
    return q.T @ ys, q.T @ q, fe


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


def test_css_randomization_recorded(shared_data):
    did = DiD(css_panel(shared_data), "css_robbery", start="2019/20")
    a = did.fit("randomization", seed=1, permutations=999)
    b = did.fit("randomization", seed=1, permutations=999)
    assert a.effects().equals(b.effects())
    assert a.settings["permutations"] == 999 and a.seed == 1
    assert a.diagnostics["permutation_assignments"] == 1000
    assert not a.diagnostics["permutation_exact"]
    eff = a.effects().iloc[0]
    assert eff["conf_low"] < eff["estimate"] < eff["conf_high"]
