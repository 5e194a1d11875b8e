"""HAC pieces: EWC meat, kernel matrices, fixed-b adjustment against published values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from vrueval.inference import hac


@pytest.mark.parametrize("b", [0.05, 0.1, 0.2])
def test_fixed_b_matches_kiefer_vogelsang_bartlett(b: float) -> None:
    """Location model: t_df sqrt(factor) against Kiefer-Vogelsang (2005)'s Bartlett 97.5%
    critical value polynomial 1.96 + 2.9694 b + 0.4160 b^2 - 0.5324 b^3."""
    T = 400
    t = np.arange(T)
    K = hac.kernel_matrix(t, "bartlett", int(round(b * T)) - 1)
    Q = np.ones((T, 1)) / np.sqrt(T)
    factor, df = hac.fixed_b_adjustment(K, Q, np.ones((T, 1)) / T)
    ours = stats.t.ppf(0.975, df[0]) * np.sqrt(factor[0])
    kv = 1.96 + 2.9694 * b + 0.4160 * b**2 - 0.5324 * b**3
    assert ours == pytest.approx(kv, rel=0.025)


def test_kernel_matrix_reproduces_the_meats() -> None:
    rng = np.random.default_rng(3)
    time = np.r_[np.arange(40), np.arange(45, 90)]  # a gap, as an excluded window leaves
    s = rng.normal(size=(len(time), 3))
    for kernel, meat in (("bartlett", hac.newey_west_meat), ("ewc", hac.ewc_meat)):
        K = hac.kernel_matrix(time, kernel, 6)  # type: ignore[arg-type]
        np.testing.assert_allclose(s.T @ K @ s, meat(s, time, 6), rtol=1e-12)


def test_fixed_b_adjustment_equals_direct_traces() -> None:
    n = 60
    t = np.arange(n)
    X = np.column_stack([np.ones(n), t, t >= 30, np.maximum(0, t - 30)]).astype(float)
    Q, _ = np.linalg.qr(X)
    G = X @ np.linalg.inv(X.T @ X)[:, 2:]
    K = hac.kernel_matrix(t, "bartlett", 8)
    factor, df = hac.fixed_b_adjustment(K, Q, G)
    M = np.eye(n) - Q @ Q.T
    for j in range(2):
        A = M @ (K * np.outer(G[:, j], G[:, j])) @ M
        assert factor[j] == pytest.approx(G[:, j] @ G[:, j] / np.trace(A), rel=1e-10)
        assert df[j] == pytest.approx(np.trace(A) ** 2 / np.sum(A * A), rel=1e-10)


def test_lag_rules() -> None:
    assert hac.hac_lag(120, "llsw") == 15
    assert hac.hac_lag(120, "nw1994") == 4
    assert hac.hac_lag(120, "llsw", "ewc") == 10
    with pytest.raises(ValueError, match="EWC"):
        hac.hac_lag(120, "nw1994", "ewc")
