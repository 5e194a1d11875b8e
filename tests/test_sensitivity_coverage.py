"""Coverage of the robust sets by simulation, with the bias inside the restriction set and on
its boundary (where coverage is hardest to keep)."""

from __future__ import annotations

import numpy as np
import pytest

from vrueval.sensitivity import conditional, restrictions
from vrueval.sensitivity.flci import flci
from vrueval.sensitivity.inputs import check_estimates

N_PRE, N_POST = 3, 2
TAU = np.array([0.5, 0.5])


def _sigma() -> np.ndarray:
    rng = np.random.default_rng(5)
    a = rng.normal(size=(5, 5))
    return (a @ a.T / 5 + np.eye(5)) * 0.01


SIGMA = _sigma()


def _mc_floor(n: int) -> float:
    """The lowest share that is still consistent with 95% coverage: four standard errors."""
    return 0.95 - 4 * np.sqrt(0.95 * 0.05 / n)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["c-lf", "conditional"])
def test_relative_magnitudes_cover_under_a_boundary_violation(method):
    # pre-period changes of 0.1 each (the largest is 0.1), post-period changes of 0.1 = Mbar * 0.1
    # with Mbar = 1: delta is on the boundary of Delta^RM(1)
    delta = np.array([-0.3, -0.2, -0.1, 0.1, 0.2])
    mean = delta + np.r_[np.zeros(N_PRE), TAU]
    n = 400
    draws = np.random.default_rng(21).multivariate_normal(mean, SIGMA, size=n)
    polyhedra = [
        restrictions.relative_magnitudes(N_PRE, N_POST, 1.0, s, positive)
        for s in range(-N_PRE + 1, 1)
        for positive in (True, False)
    ]
    covered = 0
    for beta in draws:
        est = check_estimates(beta, SIGMA, N_PRE, N_POST)
        pieces = conditional.pieces(
            est, polyhedra, hybrid=method == "c-lf", alpha=0.05, kappa=0.005, draws=1000, seed=0
        )
        covered += conditional.accepts(pieces, float(TAU[0]), 0.05, 0.005)
    assert covered / n >= _mc_floor(n)


def test_smoothness_flci_covers_under_a_boundary_violation():
    # a linear trend plus second differences of exactly +-M: delta on the boundary of SD(M)
    m = 0.05
    t = np.array([-3, -2, -1, 1, 2], dtype=float)
    delta = 0.1 * t + np.array([0.0, 0.0, 0.0, m, 3 * m])
    est0 = check_estimates(delta, SIGMA, N_PRE, N_POST)
    a, d = restrictions.smoothness(N_PRE, N_POST, m)
    assert np.all(a @ delta <= d + 1e-12)
    f = flci(est0, m, 0.05)
    v = np.r_[f.weights_pre, 1.0, 0.0]  # the FLCI's weights do not depend on beta_hat
    half = (f.high - f.low) / 2
    n = 20_000
    draws = np.random.default_rng(22).multivariate_normal(
        delta + np.r_[np.zeros(N_PRE), TAU], SIGMA, size=n
    )
    covered = np.abs(draws @ v - TAU[0]) <= half
    assert covered.mean() >= _mc_floor(n)
