"""HAC covariance of regression scores: Newey-West (Bartlett) and equal-weighted cosine (EWC).

The long-run variance of the scores is estimated over time *positions*, not row order: rows
dropped from a fit (a washout, an excluded lockdown, a missing month) leave a gap rather than
making non-adjacent periods neighbours, and several series stacked on one time axis have their
scores summed by period first (Driscoll and Kraay, 1998), which reduces to the single-series
estimator.

Small-sample ("fixed-b") inference. With the bandwidth a fixed fraction b of the sample, the HAC
t statistic is not normal: its limit depends on the kernel, b and -- with deterministic
regressors such as a trend, a step and a broken trend -- on the regressors themselves (Kiefer and
Vogelsang, 2005; Bunzel and Vogelsang, 2005). Segmented regression is exactly that case: the
residuals are orthogonal to low-frequency shapes, so the HAC estimate of a level change's
variance is strongly biased down and Kiefer-Vogelsang's tabulated critical values (derived
without such regressors) do not fix it. :func:`fixed_b_adjustment` computes, for each contrast and
the actual design, the mean and variance of the HAC variance estimate under the fixed-b reference
model (independent errors, the working GLM variance), rescales the estimate to be unbiased there
and gives it Satterthwaite (1946) degrees of freedom -- the design-specific fixed-b t
approximation, as Bell and McCaffrey (2002) and Imbens and Kolesar (2016) do for clustered
errors. For the location model it reproduces the Kiefer-Vogelsang (2005) Bartlett critical values
to within 1% for b <= 0.1 and 2% at b = 0.2 (tests/test_its_hac.py).

References
----------
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
autocorrelation consistent covariance matrix. *Econometrica* 55(3), 703-708.
Newey, W. K. and West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
*Review of Economic Studies* 61(4), 631-653.
Kiefer, N. M. and Vogelsang, T. J. (2005). A new asymptotic theory for
heteroskedasticity-autocorrelation robust tests. *Econometric Theory* 21(6), 1130-1164.
Bunzel, H. and Vogelsang, T. J. (2005). Powerful trend function tests that are robust to strong
serial correlation. *Journal of Business & Economic Statistics* 23(4), 381-394.
Lazarus, E., Lewis, D. J., Stock, J. H. and Watson, M. W. (2018). HAR inference:
recommendations for practice. *Journal of Business & Economic Statistics* 36(4), 541-559.
Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance components.
*Biometrics Bulletin* 2(6), 110-114.
Bell, R. M. and McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
with multi-stage samples. *Survey Methodology* 28(2), 169-181.
Imbens, G. W. and Kolesar, M. (2016). Robust standard errors in small samples: some practical
advice. *Review of Economics and Statistics* 98(4), 701-712.
Driscoll, J. C. and Kraay, A. C. (1998). Consistent covariance matrix estimation with spatially
dependent panel data. *Review of Economics and Statistics* 80(4), 549-560.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

import numpy as np

FloatArray = np.ndarray
LagRule = Literal["nw1994", "stock_watson", "llsw"]
LAG_RULES: tuple[str, ...] = get_args(LagRule)
Kernel = Literal["bartlett", "ewc"]
KERNELS: tuple[str, ...] = get_args(Kernel)


def hac_lag(n: int, rule: LagRule | int, kernel: Kernel = "bartlett") -> int:
    """Bartlett truncation lag, or the number B of cosine terms for EWC, for ``n`` time points.

    Bartlett: ``"nw1994"`` floor(4 (n/100)^(2/9)) (Newey and West, 1994; statsmodels' and
    sandwich's usual choice), ``"stock_watson"`` floor(0.75 n^(1/3)), ``"llsw"``
    ceil(1.3 n^(1/2)) (Lazarus et al., 2018, for use with fixed-b critical values).
    EWC: ``"llsw"`` B = max(2, round(0.4 n^(2/3))) (Lazarus et al., 2018). An integer is used
    as given (B >= 1 for EWC).
    """
    allowed = LAG_RULES if kernel == "bartlett" else ("llsw",)
    what = "hac_lag" if kernel == "bartlett" else "hac_lag (EWC cosine terms B)"
    if isinstance(rule, bool) or not isinstance(rule, int | np.integer | str):
        raise ValueError(f"{what} must be an integer or one of {allowed}, got {rule!r}")
    if isinstance(rule, int | np.integer):
        low = 0 if kernel == "bartlett" else 1
        if rule < low:
            raise ValueError(f"{what} must be >= {low}, got {rule}")
        return int(rule)
    if rule not in allowed:
        raise ValueError(f"{what} must be an integer or one of {allowed}, got {rule!r}")
    if kernel == "ewc":
        return max(2, int(round(0.4 * n ** (2 / 3))))
    if rule == "nw1994":
        return int(math.floor(4 * (n / 100) ** (2 / 9)))
    if rule == "stock_watson":
        return int(math.floor(0.75 * n ** (1 / 3)))
    return int(math.ceil(1.3 * math.sqrt(n)))


def _cosines(time: np.ndarray, n_terms: int, length: int) -> FloatArray:
    """EWC basis: sqrt(2) cos(pi j (t + 1/2) / T) for j = 1..B at integer positions ``time``."""
    j = np.arange(1, n_terms + 1)
    return np.sqrt(2.0) * np.cos(np.pi * np.outer(np.asarray(time) + 0.5, j) / length)


def kernel_matrix(time: np.ndarray, kernel: Kernel, lag: int) -> FloatArray:
    """Row-by-row weights K with ``meat = sum_ij K_ij s_i s_j'`` for scores at ``time``."""
    t = np.asarray(time, dtype=np.int64)
    if kernel == "bartlett":
        d = np.abs(t[:, None] - t[None, :])
        return np.maximum(0.0, 1.0 - d / (lag + 1.0))
    phi = _cosines(t, lag, int(t.max()) + 1)
    return (phi @ phi.T) / lag


def ewc_meat(scores: FloatArray, time: np.ndarray, n_terms: int) -> FloatArray:
    """Equal-weighted cosine long-run covariance of the scores, un-normalised like
    :func:`newey_west_meat`: ``(1/B) sum_j L_j L_j'`` with ``L_j = sum_t sqrt(2) cos(pi j (t +
    1/2) / T) s_t`` over time positions t = 0..T-1 (Lazarus et al., 2018, eq. 11)."""
    s = long_run_scores(scores, time)
    lam = _cosines(np.arange(s.shape[0]), n_terms, s.shape[0]).T @ s
    return (lam.T @ lam) / n_terms


def fixed_b_adjustment(
    K: FloatArray, Q: FloatArray, G: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Bias factor and Satterthwaite degrees of freedom of HAC variances of contrasts.

    Parameters
    ----------
    K : (n, n) array
        Kernel weights of the meat (:func:`kernel_matrix`).
    Q : (n, k) array
        Orthonormal basis of the (weight-standardised) design, so that the residuals are
        ``(I - Q Q') e`` for standardised independent errors ``e``.
    G : (n, m) array
        For each contrast c, the standardised influence vector g with ``c' b_hat - c' b =
        g' e`` (OLS: ``X (X'X)^-1 c``).

    Returns
    -------
    factor, df : (m,) arrays
        ``factor = g'g / E[v]`` with v the un-normalised HAC variance of the contrast under
        independent errors, and ``df = E[v]^2 / (Var[v] / 2)``; the interval is
        ``c' b_hat +- t_df sqrt(factor v)``.

    See Also
    --------
    FixedBReference : the same numbers for many contrast sets of one design, each distinct
        contrast's costly terms computed once.
    """
    G = np.asarray(G, dtype=float)
    KH = K * (Q @ Q.T)
    mean, p2, gg = _quadratic_terms(K, KH, K * K, G)
    pq2, qpq2 = _quartic_terms(K, Q, G)
    return _factor_df(mean, p2, pq2, qpq2, gg)


def _quadratic_terms(
    K: FloatArray, KH: FloatArray, KK: FloatArray, G: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``E[v] = tr(P M)``, ``||P||_F^2`` and ``g'g`` per column of G (``P = K o g g'``,
    ``M = I - Q Q'``, ``KH = K o Q Q'``, ``KK = K o K``): O(n^2) a contrast."""
    mean = np.diag(K) @ (G * G) - np.sum(G * (KH @ G), axis=0)
    G2 = G * G
    p2 = np.sum(G2 * (KK @ G2), axis=0)
    return mean, p2, np.sum(G2, axis=0)


def _quartic_terms(K: FloatArray, Q: FloatArray, G: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``||P Q||_F^2`` and ``||Q' P Q||_F^2`` per column of G: O(n^2 k) a contrast, the cost of
    :func:`fixed_b_adjustment`."""
    n, m = G.shape
    k = Q.shape[1]
    Z = (K @ (G[:, :, None] * Q[:, None, :]).reshape(n, m * k)).reshape(n, m, k)
    PQ = G[:, :, None] * Z  # P Q for each contrast
    pq2 = np.sum(PQ * PQ, axis=(0, 2))
    qpq = np.einsum("il,icj->clj", Q, PQ)
    return pq2, np.sum(qpq * qpq, axis=(1, 2))


def _factor_df(
    mean: FloatArray, p2: FloatArray, pq2: FloatArray, qpq2: FloatArray, gg: FloatArray
) -> tuple[FloatArray, FloatArray]:
    second = p2 - 2.0 * pq2 + qpq2  # tr((P M)^2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return gg / mean, mean * mean / second


class FixedBReference:
    """:func:`fixed_b_adjustment` for one design ``(K, Q)`` and many sets of contrasts.

    A result asks for the adjustment of several sets that share contrasts (the effects, every
    coefficient, the fitted and counterfactual paths, their differences and ratios, the impact
    sums), and most of the cost is the O(n^2 k) terms of each contrast. Those are kept per
    distinct influence vector (its exact bytes) and computed once, in blocks; a zero vector (a
    path point before the interruption) needs none. The O(n^2) terms are recomputed on each
    set as :func:`fixed_b_adjustment` does.

    Every number equals a direct call's on the same set to rounding (bit for bit where BLAS
    picks its kernels as on the machines this was written on; tests hold it to 1e-13). The
    block layout below is what keeps it so: computed in whatever blocks the first request
    formed, a contrast's last bits would depend on which views of a result were read first
    (a report reading the impact before the paths would print other last digits than the
    spec's ``results.json``). The costly product
    ``K @ B`` has ``B`` with ``m k`` columns, and BLAS computes the last ``m k mod 4`` of them
    with other kernels (different rounding) than the rest: a contrast reaching into that tail
    is computed again at the tail of a block with the same remainder; all others in blocks
    without one. A single contrast is passed to :func:`fixed_b_adjustment` unchanged (NumPy
    sums one column along another path).

    Parameters
    ----------
    K, Q : arrays
        As in :func:`fixed_b_adjustment`.
    block : int
        Contrasts computed together (a multiple of 4; bounds the memory, n x block x k).

    Attributes
    ----------
    computed : int
        How many contrasts' O(n^2 k) terms have been computed so far.
    """

    _TAIL = 4  # BLAS computes the columns of K @ B in groups of 4; a remainder differs

    def __init__(self, K: FloatArray, Q: FloatArray, block: int = 64) -> None:
        if block < self._TAIL or block % self._TAIL:
            raise ValueError(f"block must be a positive multiple of {self._TAIL}, got {block}")
        self.K, self.Q, self.block = K, Q, block
        self.computed = 0
        self._KH = K * (Q @ Q.T)
        self._KK = K * K
        self._quartic: dict[object, tuple[float, float]] = {}

    def __call__(self, G: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Factor and df for each column of ``G`` (n x m), as :func:`fixed_b_adjustment`."""
        G = np.asarray(G, dtype=float)
        m = G.shape[1]
        if m < 2:  # the direct call, whose single-column sums this must match
            self.computed += m
            return fixed_b_adjustment(self.K, self.Q, G)
        k = self.Q.shape[1]
        mean, p2, gg = _quadratic_terms(self.K, self._KH, self._KK, G)
        cols = np.ascontiguousarray(G.T)
        nonzero = np.any(G != 0, axis=0)
        rest = (m * k) % self._TAIL
        first_tail = (m * k - rest) // k if rest else m  # contrasts reaching into the tail
        keys: list[object] = [c.tobytes() for c in cols[:first_tail]]
        todo = {key: j for j, key in enumerate(keys) if nonzero[j] and key not in self._quartic}
        self._compute_full([*todo.values()], cols)
        if first_tail < m:
            tail = (rest, cols[first_tail:].tobytes())
            keys += [(tail, j) for j in range(m - first_tail)]
            if (tail, 0) not in self._quartic:
                self._compute_tail(tail, cols[first_tail:], rest)
        pq2, qpq2 = np.zeros(m), np.zeros(m)  # exactly what the direct call gives g = 0
        for j, key in enumerate(keys):
            if nonzero[j]:
                pq2[j], qpq2[j] = self._quartic[key]
        return _factor_df(mean, p2, pq2, qpq2, gg)

    def _terms(self, cols: FloatArray) -> tuple[FloatArray, FloatArray]:
        return _quartic_terms(self.K, self.Q, np.ascontiguousarray(cols.T))

    def _compute_full(self, index: list[int], cols: FloatArray) -> None:
        """Contrasts away from any tail: blocks padded (with copies) to a multiple of 4."""
        for start in range(0, len(index), self.block):
            part = index[start : start + self.block]
            pad = -len(part) % self._TAIL
            pq2, qpq2 = self._terms(cols[part + part[:1] * pad])
            for i, j in enumerate(part):
                self._quartic[cols[j].tobytes()] = (float(pq2[i]), float(qpq2[i]))
            self.computed += len(part)

    def _compute_tail(self, key: object, tail: FloatArray, rest: int) -> None:
        """The last contrasts of a set whose ``m k`` leaves ``rest`` columns: at the end of a
        block (copies of the first in front) whose column count leaves the same remainder."""
        k = self.Q.shape[1]
        size = max(2, len(tail))
        while (size * k) % self._TAIL != rest:
            size += 1
        block = np.concatenate([np.repeat(tail[:1], size - len(tail), axis=0), tail])
        pq2, qpq2 = self._terms(block)
        for j in range(len(tail)):
            i = size - len(tail) + j
            self._quartic[(key, j)] = (float(pq2[i]), float(qpq2[i]))
        self.computed += len(tail)


def long_run_scores(scores: FloatArray, time: np.ndarray) -> FloatArray:
    """Sum scores (n x k) by integer time position 0..T-1 into a T x k array (gaps stay 0)."""
    t = np.asarray(time, dtype=np.int64)
    steps = np.diff(t)
    if len(t) and t[0] == 0 and (steps == 1).all():
        return scores + 0.0  # one row a position: what adding to zeros gives (-0.0 -> 0.0)
    out = np.zeros((int(t.max()) + 1, scores.shape[1]))
    if (steps > 0).all():  # distinct positions, some missing
        out[t] += scores
    else:
        np.add.at(out, t, scores)
    return out


def newey_west_meat(scores: FloatArray, time: np.ndarray, lag: int) -> FloatArray:
    """Bartlett-weighted long-run covariance of the scores, sum over lags |j| <= ``lag``.

    Returns the un-normalised meat ``sum_t s_t s_t' + sum_j w_j (G_j + G_j')`` with
    ``w_j = 1 - j / (lag + 1)`` (no division by n), matching ``sandwich::NeweyWest`` with
    ``prewhite = FALSE`` up to the sandwich's own 1/n scaling.
    """
    s = long_run_scores(scores, time)
    meat = s.T @ s
    for j in range(1, min(lag, s.shape[0] - 1) + 1):
        gamma = s[j:].T @ s[:-j]
        meat += (1 - j / (lag + 1)) * (gamma + gamma.T)
    return meat


def newey_west(
    bread: FloatArray,
    scores: FloatArray,
    time: np.ndarray,
    lag: int,
    *,
    adjust: bool = True,
) -> FloatArray:
    """Newey-West sandwich ``bread @ meat @ bread``.

    Parameters
    ----------
    bread : (k, k) array
        Inverse Hessian, e.g. ``(X'X)^-1`` for OLS, ``(X'WX)^-1`` for a GLM with canonical link.
    scores : (n, k) array
        Per-observation scores, ``x_i * u_i`` (OLS residual, or ``y - mu`` for Poisson).
    time : (n,) integer array
        Time position of each row; rows sharing a position are summed first.
    lag : int
        Bartlett truncation lag.
    adjust : bool
        Multiply by ``n / (n - k)`` (``sandwich``'s ``adjust = TRUE``, statsmodels'
        ``use_correction``), a small-sample degrees-of-freedom correction.
    """
    n, k = scores.shape
    cov = bread @ newey_west_meat(scores, time, lag) @ bread
    if adjust:
        cov *= n / (n - k)
    return 0.5 * (cov + cov.T)
