"""The GLS REML/ML profile is solved to machine precision: the analytic score matches finite
differences of the objective, vanishes at the fitted coefficient, and the answer does not depend
on where the optimiser stopped."""

from __future__ import annotations

import numpy as np
import pytest

from vrueval.inference import arma_gls


def _series(n: int = 108, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(n), np.arange(n) / n, rng.normal(size=(n, 4))]
    e = np.zeros(n)
    for t in range(1, n):
        e[t] = 0.5 * e[t - 1] + rng.normal()
    return X @ np.ones(X.shape[1]) + e, X


def _objective(y, X, time, coef, kind, method):
    ar, ma = (np.array([coef]), np.zeros(0)) if kind == "ar" else (np.zeros(0), np.array([coef]))
    fast = kind == "ar" and bool(np.all(np.diff(time) == 1))
    return arma_gls._profile(y, X, ar, ma, time, fast, method)[0]


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize(
    ("kind", "gaps"), [("ar", False), ("ar", True), ("ma", False), ("ma", True)]
)
def test_score_is_the_derivative_of_the_profile_objective(method, kind, gaps):
    y, X = _series()
    time = np.r_[np.arange(50), np.arange(62, 120)] if gaps else np.arange(len(y))
    for coef in (-0.6, 0.3, 0.8):
        h = 1e-5
        numeric = (
            _objective(y, X, time, coef + h, kind, method)
            - _objective(y, X, time, coef - h, kind, method)
        ) / (2 * h)
        analytic = arma_gls.profile_score(y, X, time, coef, kind, method)
        assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_fast_and_matrix_scores_agree():
    y, X = _series()
    time = np.arange(len(y))
    for method in ("REML", "ML"):
        fast = arma_gls._prais_winsten_score(y, X, 0.4, method)
        explicit = arma_gls._matrix_score(y, X, time, 0.4, "ar", method)
        assert fast == pytest.approx(explicit, rel=1e-10)


@pytest.mark.parametrize(("p", "q"), [(1, 0), (0, 1)])
def test_polished_fit_sits_on_the_root_and_ignores_the_starting_point(p, q):
    y, X = _series()
    time = np.arange(len(y))
    fit = arma_gls.fit_arma_gls(y, X, time, p, q)
    kind = "ar" if p else "ma"
    coef = float(fit.ar[0] if p else fit.ma[0])
    assert abs(arma_gls.profile_score(y, X, time, coef, kind, "REML")) < 1e-9
    # an optimiser stopping 1e-6 away (100x worse than Brent's) reaches the same root
    for start in (coef - 1e-6, coef + 1e-6):
        again, polished = arma_gls.polish_one_parameter(y, X, time, start, kind, "REML")
        assert polished and again == pytest.approx(coef, rel=1e-13, abs=1e-15)
    assert fit.polished


@pytest.mark.parametrize(("p", "q"), [(1, 0), (0, 1)])
def test_an_optimum_on_the_boundary_is_reported_unpolished(p, q):
    # a doubly integrated series: the profile optimum sits at the stationarity bound, where the
    # score has no root to polish to, and the fit says so instead of claiming machine precision
    n = 60
    y = np.cumsum(np.cumsum(np.random.default_rng(2).normal(size=n)))
    fit = arma_gls.fit_arma_gls(y, np.ones((n, 1)), np.arange(n), p, q)
    assert abs(float(fit.ar[0] if p else fit.ma[0])) > 0.99999
    assert not fit.polished
