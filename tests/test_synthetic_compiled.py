"""The compiled Frank-Wolfe loop (numba) against the numpy loop it replaces: the same weights,
objective values and convergence flags, bit for bit (tolerance zero: every floating-point
operation is the same one in the same order, so any difference is a bug, not rounding).

Both paths are run in this process by switching ``compiled.AVAILABLE``; where numba is not
installed the compiled half is skipped and the numpy loop is what runs everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest

from vrueval.designs.synthetic import compiled, variance
from vrueval.designs.synthetic import estimators as est
from vrueval.designs.synthetic import weights as w

needs_numba = pytest.mark.skipif(
    not compiled.AVAILABLE, reason="numba not installed (or switched off)"
)


def _both(monkeypatch: pytest.MonkeyPatch, run):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(compiled, "AVAILABLE", True)
    fast = run()
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    slow = run()
    return fast, slow


def _panel(n: int, t: int, n1: int, t0: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    factors = np.cumsum(rng.normal(size=(2, t)), axis=1)
    y = rng.uniform(0.5, 1.5, (n, 2)) @ factors + rng.normal(0, 3, n)[:, None]
    y = y + 0.5 * rng.normal(size=(n, t)) + 50
    y[n - n1 :, t0:] += 1.0
    return y


@needs_numba
@pytest.mark.parametrize(
    ("shape", "start"),
    [
        ((5, 7, 39), None),
        ((200, 38, 8), None),
        ((3, 20, 3), "sparse"),
        ((1, 9, 43), "sparse"),
        ((2, 81, 300), None),  # more than 128 donors: numpy's halved pairwise sums
    ],
)
def test_frank_wolfe_bit_identical(monkeypatch, shape, start):
    rng = np.random.default_rng(sum(shape))
    y = rng.normal(size=shape).cumsum(axis=1)
    x0 = None
    if start == "sparse":
        x0 = rng.random((shape[0], shape[2] - 1))
        x0[:, ::2] = 0.0  # starts with zero weights, as after sparsify; one at a vertex
        x0[0] = 0.0
        x0[0, 1] = 1.0
        x0 = x0 / x0.sum(axis=1, keepdims=True)
    for intercept in (True, False):
        fast, slow = _both(
            monkeypatch,
            lambda intercept=intercept: w.sdid_weights(
                y, 0.3, intercept=intercept, start=x0, min_decrease=1e-5, max_iter=2000
            ),
        )
        assert np.array_equal(fast.weights, slow.weights)
        assert np.array_equal(fast.values, slow.values)
        assert np.array_equal(fast.converged, slow.converged)


@needs_numba
def test_frank_wolfe_single_problem_and_iteration_limit(monkeypatch):
    y = np.random.default_rng(3).normal(size=(9, 43)).cumsum(axis=0)
    fast, slow = _both(
        monkeypatch,
        lambda: w.frank_wolfe(y, 1e-6, intercept=True, start=None, min_decrease=1e-12, max_iter=5),
    )
    assert fast.weights.shape == (42,)
    assert not fast.converged[0]  # stopped by the limit, as the numpy loop
    assert np.array_equal(fast.weights, slow.weights)
    assert np.array_equal(fast.values, slow.values)


@needs_numba
@pytest.mark.parametrize(("n", "t", "n1", "t0"), [(43, 14, 1, 9), (43, 56, 18, 38)])
def test_placebo_variance_bit_identical(monkeypatch, n, t, n1, t0):
    """The benchmark's panels: the point estimate and all 200 placebo replications (the
    batched solve the compiled loop exists for), including the memory order the numpy loop
    leaves its weights in, which the next stage's Gram product depends on."""
    y = _panel(n, t, n1, t0, 20261203)
    n0 = n - n1

    def run():  # type: ignore[no-untyped-def]
        fitted = est.fit(y, n0, t0, "sdid")
        rng = np.random.default_rng(1)
        reps = variance.placebo(y, n0, t0, fitted, (rng.permutation(n0) for _ in range(200)))
        return fitted, reps

    (f1, r1), (f2, r2) = _both(monkeypatch, run)
    assert f1.tau == f2.tau
    assert np.array_equal(f1.omega, f2.omega) and np.array_equal(f1.lam, f2.lam)
    assert np.array_equal(r1.values, r2.values)
    assert np.array_equal(r1.unit_values, r2.unit_values)


@needs_numba
def test_pairwise_sum_is_numpys():
    if not compiled._COMPILED:
        compiled._compile()
    v = np.random.default_rng(0).normal(size=1000)
    for n in (0, 1, 7, 8, 9, 127, 128, 129, 256, 257, 999, 1000):
        assert compiled._sum_of(v[:n], n) == v[:n].sum()


def test_numpy_loop_runs_without_numba(monkeypatch):
    """The fallback: with the compiled loop switched off the numpy loop gives the paper's
    weights on its own (Prop 99 values are checked against R elsewhere; here, that it runs
    and meets its stopping rule)."""
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    y = _panel(20, 12, 2, 8, 5)
    fitted = est.fit(y, 18, 8, "sdid")
    assert fitted.converged.all()
    assert np.isclose(fitted.omega.sum(), 1.0) and np.isclose(fitted.lam.sum(), 1.0)
