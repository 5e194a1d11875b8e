"""Draws on the real pre-period data: placebo dates, placebo treated sets, the AR sieve.

Power is simulated on the data an evaluation will use, not on an idealised model, so that its
autocorrelation, seasonality and cross-area variance carry into the answer:

* **placebo in time** - the intervention is pretended to start at a date when nothing started;
  every admissible window of the real series (or a random one per draw) is used;
* **placebo in space** - a random set of areas is pretended to be treated, the others serve as
  comparators;
* **AR sieve** (single-series designs, whose real series offers few placebo windows) - the real
  series' mean (trend and seasonality) is kept, and its residuals are regenerated from an
  autoregression fitted to them, driven by the real innovations resampled with replacement
  (Buhlmann, 1997). Several series (a comparative ITS) share resampled time points, so their
  cross-correlation carries through too.

Effects are then planted multiplicatively into the treated cells after the placebo start.

References
----------
Bertrand, M., Duflo, E. and Mullainathan, S. (2004). How much should we trust
differences-in-differences estimates? *Quarterly Journal of Economics* 119(1), 249-275
(placebo laws on real state panels).
Buhlmann, P. (1997). Sieve bootstrap for time series. *Bernoulli* 3(2), 123-148.
Burlig, F., Preonas, L. and Woerman, M. (2020). Panel data and experimental design. *Journal of
Development Economics* 144, 102458.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FloatArray = np.ndarray


# -- single series: the AR sieve ------------------------------------------------------------------
@dataclass(frozen=True)
class ARFit:
    """AR(p) coefficients of each series' residuals and the centred innovations (T - p, J)."""

    coef: FloatArray  # (J, p)
    innovations: FloatArray  # (T - p_max, J), rows are time points shared by the series
    order: tuple[int, ...]


def _ar_ols(e: FloatArray, p: int) -> tuple[FloatArray, FloatArray]:
    """OLS AR(p) without intercept (residuals are mean zero); coefficients and innovations."""
    if p == 0:
        return np.zeros(0), e.copy()
    lags = np.column_stack([e[p - j - 1 : len(e) - j - 1] for j in range(p)])
    coef, *_ = np.linalg.lstsq(lags, e[p:], rcond=None)
    return coef, e[p:] - lags @ coef


def _stationary(coef: FloatArray) -> bool:
    if len(coef) == 0:
        return True
    roots = np.roots(np.r_[1.0, -coef])
    return bool(np.all(np.abs(roots) < 1))


def fit_ar(resid: FloatArray, order: int | str = "aic", max_order: int = 4) -> ARFit:
    """Fit AR(p) by least squares to each column of ``resid`` (T x J).

    ``order="aic"`` chooses p in 0..``max_order`` for each series by AIC on a common sample (the
    first ``max_order`` points dropped). Non-stationary fits are shrunk toward zero until
    stationary, so simulated series do not explode.
    """
    e = np.asarray(resid, dtype=float)
    e = e[:, None] if e.ndim == 1 else e
    n, j = e.shape
    if isinstance(order, str):
        if order != "aic":
            raise ValueError(f"ar_order must be a non-negative integer or 'aic', got {order!r}")
        cap = min(max_order, max(0, n // 4))
        orders = []
        for col in range(j):
            x = e[:, col]
            best, best_aic = 0, np.inf
            for p in range(cap + 1):
                _, u = _ar_ols(x[cap - p :], p)
                aic = len(u) * np.log(np.mean(u**2)) + 2 * p
                if aic < best_aic - 1e-12:
                    best, best_aic = p, aic
            orders.append(best)
    else:
        if not isinstance(order, int) or order < 0:
            raise ValueError(f"ar_order must be a non-negative integer or 'aic', got {order!r}")
        orders = [order] * j
    p_max = max(orders)
    coefs = np.zeros((j, max(p_max, 1)))
    innov = np.empty((n - p_max, j))
    for col, p in enumerate(orders):
        c, _ = _ar_ols(e[:, col], p)
        while not _stationary(c):
            c = 0.95 * c
        coefs[col, :p] = c
        lags = (
            np.column_stack([e[p_max - k - 1 : n - k - 1, col] for k in range(p)])
            if p
            else np.zeros((n - p_max, 0))
        )
        innov[:, col] = e[p_max:, col] - lags @ c
    innov -= innov.mean(axis=0)
    return ARFit(coefs, innov, tuple(orders))


def sieve_errors(
    fit: ARFit, length: int, n_draws: int, rng: np.random.Generator, burn_in: int = 100
) -> FloatArray:
    """Simulated AR errors, shape (J, length, S), from innovations resampled by time point.

    One resampled time index drives every series at once, keeping their contemporaneous
    correlation; a burn-in makes the start stationary.
    """
    j, p = fit.coef.shape
    total = burn_in + length
    pick = rng.integers(0, fit.innovations.shape[0], size=(total, n_draws))
    eps = fit.innovations[pick]  # (total, S, J)
    out = np.zeros((total, n_draws, j))
    for t in range(total):
        acc = eps[t].copy()
        for k in range(p):
            if t - k - 1 >= 0:
                acc += fit.coef[:, k] * out[t - k - 1]
        out[t] = acc
    return np.transpose(out[burn_in:], (2, 0, 1))


def placebo_starts(n_periods: int, pre: int, post: int) -> np.ndarray:
    """Window start positions with ``pre`` periods before and ``post`` from a placebo start."""
    last = n_periods - pre - post
    if last < 0:
        raise ValueError(
            f"{pre} pre-periods and {post} post-periods need {pre + post} periods; the data have "
            f"{n_periods}"
        )
    return np.arange(last + 1)


# -- panels: placebo treated sets ---------------------------------------------------------------
COMPARATOR, LEFT_OUT = -1, -2  # labels of placebo_cohorts besides the cohort indices


def placebo_cohorts(
    n_pool: int,
    sizes: Sequence[int],
    n_comparators: int | None,
    n_draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Random disjoint cohorts and comparators, as (S, N) integer labels.

    Each draw permutes the pool once: the first ``sizes[0]`` units form cohort 0, the next
    ``sizes[1]`` cohort 1, and so on; the last ``n_comparators`` (all the others when None) are
    comparators (label ``COMPARATOR``); any left are out of the draw (``LEFT_OUT``). One cohort
    gives :func:`placebo_sets`'s draws; with the same seed, larger cohorts (comparators fixed)
    add units to the same sets: common random numbers across design sizes.
    """
    n_treated = int(sum(sizes))
    n_c = n_pool - n_treated if n_comparators is None else n_comparators
    if min(sizes, default=0) < 1 or n_c < 1 or n_treated + n_c > n_pool:
        raise ValueError(
            f"{n_treated} treated and {n_c} comparator units need {n_treated + n_c} units; the "
            f"pool has {n_pool} with complete data"
        )
    perm = np.argsort(rng.random((n_draws, n_pool)), axis=1)
    rows = np.arange(n_draws)[:, None]
    labels = np.full((n_draws, n_pool), LEFT_OUT, dtype=np.int64)
    edges = np.cumsum([0, *sizes])
    for c, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        labels[rows, perm[:, lo:hi]] = c
    labels[rows, perm[:, n_pool - n_c :]] = COMPARATOR
    return labels


def placebo_sets(
    n_pool: int,
    n_treated: int,
    n_comparators: int | None,
    n_draws: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Random disjoint treated and comparator sets, as (S, N) boolean masks.

    Each draw permutes the pool once: the first ``n_treated`` units are treated, the last
    ``n_comparators`` (all the others when None) are comparators. Draws with the same seed and
    pool are therefore nested: more treated units (with the comparators fixed) add units to the
    same sets, giving common random numbers for comparisons across design sizes.
    """
    labels = placebo_cohorts(n_pool, [n_treated], n_comparators, n_draws, rng)
    return labels == 0, labels == COMPARATOR
