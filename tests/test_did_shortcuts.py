"""Shortcuts of the large DiD fit that must not move a number.

With unit weights :class:`~vrueval.designs.did.model.TwoWayFE` skips every ``sqrt(w)`` scaling
and ``w`` product (identities in floating point), and
:func:`~vrueval.inference.cluster.cluster_codes` takes labels that are already codes 0..G-1 as
they are. Both are checked against the general path with tolerance zero.
"""

from __future__ import annotations

import numpy as np
import pytest

from vrueval.designs.did import inference as inf
from vrueval.designs.did.model import TwoWayFE, ols_absorbed
from vrueval.inference.cluster import cluster_codes


def _panel(unbalanced: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    n_units, n_periods = 9, 7
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    keep = rng.random(len(unit)) > (0.15 if unbalanced else 0.0)
    keep[:n_periods] = True  # every period present
    unit, period = unit[keep], period[keep]
    d = ((unit < 4) & (period >= 4)).astype(float)
    y = rng.poisson(20, len(unit)) + 0.5 * unit + 0.3 * period + 2.0 * d
    return unit, period, y, d


def _general(unit: np.ndarray, period: np.ndarray) -> TwoWayFE:
    """The absorber with unit weights sent down the weighted path (the shortcut switched off)."""
    fe = TwoWayFE(unit, period, np.ones(len(unit)))
    fe.unweighted = False
    fe.sqrt_w = np.sqrt(fe.weights)
    return fe


@pytest.mark.parametrize("unbalanced", [False, True])
def test_unit_weights_give_the_weighted_path_numbers(unbalanced: bool) -> None:
    unit, period, y, d = _panel(unbalanced)
    fast = TwoWayFE(unit, period, np.ones(len(unit)))
    assert fast.unweighted and fast.sqrt_w is fast.weights
    slow = _general(unit, period)
    for a, b in ((fast, slow), (TwoWayFE(unit, period), slow)):
        fit_a, fit_b = ols_absorbed(a, y, d), ols_absorbed(b, y, d)
        for field in ("coef", "x", "y", "resid", "xtx_inv"):
            np.testing.assert_array_equal(getattr(fit_a, field), getattr(fit_b, field))
        np.testing.assert_array_equal(a.residualize(y), b.residualize(y))
        cov_a = inf.covariance(fit_a, a, unit, "cr1").vcov
        np.testing.assert_array_equal(cov_a, inf.covariance(fit_b, b, unit, "cr1").vcov)
    assert not TwoWayFE(unit, period, np.full(len(unit), 2.0)).unweighted


def test_cluster_codes_taken_as_they_are_only_when_they_are_codes() -> None:
    codes = np.array([2, 0, 1, 1, 2, 0])
    got, g = cluster_codes(codes)
    assert got is codes and g == 3
    for labels in (
        np.array([5, 0, 5, 9]),  # gaps
        np.array([-1, 0, 1, 1]),  # negative
        np.array([0, 7, 7, 7]),  # beyond the row count
        np.array(["b", "a", "b"]),
        np.array([1.0, 0.0, 1.0]),
    ):
        got, g = cluster_codes(labels)
        _, expected = np.unique(labels, return_inverse=True)
        np.testing.assert_array_equal(got, expected)
        assert g == len(np.unique(labels))
