"""Newey-West heteroskedasticity and autocorrelation consistent (HAC) covariance.

The long-run variance of the scores is estimated with the Bartlett kernel over time *positions*,
not row order: rows dropped from a fit (a washout, an excluded lockdown, a missing month) leave a
gap rather than making non-adjacent periods neighbours, and several series stacked on one time
axis have their scores summed by period first (Driscoll and Kraay, 1998), which reduces to the
Newey-West estimator for a single series.

References
----------
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
autocorrelation consistent covariance matrix. *Econometrica* 55(3), 703-708.
Newey, W. K. and West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
*Review of Economic Studies* 61(4), 631-653.
Lazarus, E., Lewis, D. J., Stock, J. H. and Watson, M. W. (2018). HAR inference:
recommendations for practice. *Journal of Business & Economic Statistics* 36(4), 541-559.
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


def hac_lag(n: int, rule: LagRule | int) -> int:
    """Bartlett truncation lag for ``n`` time points.

    ``"nw1994"``: floor(4 (n/100)^(2/9)), Newey and West (1994), statsmodels' default.
    ``"stock_watson"``: floor(0.75 n^(1/3)), Stock and Watson's textbook rule.
    ``"llsw"``: ceil(1.3 n^(1/2)), Lazarus et al. (2018), for size control with persistent
    regressors (a step or a trend), paired with fixed-b critical values (:func:`fixed_b_df`).
    An integer is used as given.
    """
    if isinstance(rule, bool):
        raise ValueError(f"hac_lag must be an integer >= 0 or one of {LAG_RULES}, got {rule!r}")
    if isinstance(rule, int | np.integer):
        if rule < 0:
            raise ValueError(f"hac_lag must be >= 0, got {rule}")
        return int(rule)
    if rule == "nw1994":
        return int(math.floor(4 * (n / 100) ** (2 / 9)))
    if rule == "stock_watson":
        return int(math.floor(0.75 * n ** (1 / 3)))
    if rule == "llsw":
        return int(math.ceil(1.3 * math.sqrt(n)))
    raise ValueError(f"hac_lag must be an integer >= 0 or one of {LAG_RULES}, got {rule!r}")


def fixed_b_df(n: int, lag: int) -> float:
    """Degrees of freedom of the t approximation to the Bartlett fixed-b distribution.

    Lazarus et al. (2018, eq. 8) approximate Kiefer-Vogelsang fixed-b critical values for the
    Newey-West t statistic by Student t with ``1.5 n / S`` degrees of freedom, S = lag + 1 the
    bandwidth; this keeps the test's size close to nominal when S is large relative to n.
    """
    return max(1.0, 1.5 * n / (lag + 1))


def long_run_scores(scores: FloatArray, time: np.ndarray) -> FloatArray:
    """Sum scores (n x k) by integer time position 0..T-1 into a T x k array (gaps stay 0)."""
    t = np.asarray(time, dtype=np.int64)
    out = np.zeros((int(t.max()) + 1, scores.shape[1]))
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
