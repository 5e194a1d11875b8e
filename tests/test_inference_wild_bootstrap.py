"""Wild cluster restricted bootstrap: brute-force refits, wildboottest, seeds, inversion."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from agreement import assert_agree
from did_helpers import css_panel

from vrueval import validation as v
from vrueval.designs import DiD
from vrueval.designs.did.model import TwoWayFE, ols_absorbed
from vrueval.inference.wild_bootstrap import draw_weights, wild_cluster_bootstrap


def small_panel(seed=3, n_units=8, n_periods=6, n_treated=3):
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    d = ((unit < n_treated) & (period >= n_periods // 2)).astype(float)
    y = rng.normal(size=n_units)[unit] + 0.3 * period + 0.2 * d + rng.normal(size=len(unit))
    return unit, period, d, y


def dummies(unit, period, d):
    n_u, n_p = unit.max() + 1, period.max() + 1
    return np.column_stack([d, np.eye(n_u)[unit], np.eye(n_p)[period][:, 1:]])


def brute_force_p(unit, period, d, y, null):
    """Refit OLS with dummies for every Rademacher sign pattern (the definition)."""
    z = dummies(unit, period, d)
    g = unit.max() + 1
    restricted = np.linalg.lstsq(z[:, 1:], y - null * d, rcond=None)[0]
    fitted_r = z[:, 1:] @ restricted + null * d
    u = y - fitted_r

    def t_stat(yy):
        b, *_ = np.linalg.lstsq(z, yy, rcond=None)
        e = yy - z @ b
        bread = np.linalg.pinv(z.T @ z)
        s = np.array([z[unit == j].T @ e[unit == j] for j in range(g)])
        v = bread @ s.T @ s @ bread
        return (b[0] - null) / np.sqrt(v[0, 0])

    t0 = t_stat(y)
    ts = [
        t_stat(fitted_r + u * np.asarray(v)[unit]) for v in itertools.product((-1.0, 1.0), repeat=g)
    ]
    return float(np.mean(np.abs(ts) >= abs(t0) * (1 - 1e-12)))


@pytest.mark.parametrize("null", [0.0, 0.5])
def test_enumerated_rademacher_equals_refitting(null):
    unit, period, d, y = small_panel()
    fe = TwoWayFE(unit, period)
    fit = ols_absorbed(fe, y, d)
    res = wild_cluster_bootstrap(
        fit.x[:, 0], fit.y, unit, fe.absorb_star, draws=999, weights="rademacher", null=null
    )
    assert res.enumerated and res.draws == 2**8
    assert res.p_value == pytest.approx(brute_force_p(unit, period, d, y, null), abs=1e-12)


def test_interval_is_test_inversion():
    unit, period, d, y = small_panel(seed=5, n_units=12)
    fe = TwoWayFE(unit, period)
    fit = ols_absorbed(fe, y, d)
    kw = dict(draws=999, weights="webb", seed=11)
    res = wild_cluster_bootstrap(fit.x[:, 0], fit.y, unit, fe.absorb_star, level=0.9, **kw)
    assert res.conf_low < res.estimate < res.conf_high
    eps = 1e-4 * res.std_error
    for bound, sign in ((res.conf_low, -1), (res.conf_high, 1)):
        inside = wild_cluster_bootstrap(
            fit.x[:, 0], fit.y, unit, fe.absorb_star, null=bound - sign * eps, **kw
        )
        outside = wild_cluster_bootstrap(
            fit.x[:, 0], fit.y, unit, fe.absorb_star, null=bound + sign * eps, **kw
        )
        assert inside.p_value >= 0.1 > outside.p_value


def test_weights_have_the_right_moments():
    rng = np.random.default_rng(0)
    for kind in ("rademacher", "webb"):
        v, enumerated = draw_weights(43, 200_000 // 43, kind, rng)
        assert not enumerated
        assert abs(v.mean()) < 0.02 and abs((v**2).mean() - 1) < 0.02
    with pytest.raises(ValueError, match="rademacher"):
        draw_weights(5, 99, "mammen", rng)  # type: ignore[arg-type]


@pytest.mark.parametrize("outcome", v.DID_OUTCOMES)
@pytest.mark.parametrize("weights", v.WILD_WEIGHTS)
def test_agrees_with_wildboottest(outcome, weights):
    """p-values within 4 Monte Carlo s.e. of their difference; the statistic to 1e-8."""
    rows = v.wild_bootstrap_vs_wildboottest(outcomes=[outcome], weights=[weights])
    assert set(rows["quantity"]) == {"p-value", "t statistic (k = 60)"}
    assert_agree(rows)


def test_same_seed_same_numbers_and_seed_recorded(raw_data):
    did = DiD(css_panel(raw_data), "css_robbery", start="2019/20")
    a, b = did.fit("wild", seed=3, draws=999), did.fit("wild", seed=3, draws=999)
    c = did.fit("wild", seed=4, draws=999)
    assert a.effects().equals(b.effects())
    assert a.seed == 3 and a.settings["draws"] == 999 and a.settings["inference"] == "wild"
    assert not a.effects().equals(c.effects())
