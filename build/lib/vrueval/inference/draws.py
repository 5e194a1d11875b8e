"""How many random draws a resampling method needs: one rule for every bootstrap and permutation.

The rule (used by the ITS block bootstrap, the wild cluster bootstrap, the multiplier bootstrap,
randomization inference and the power studies that run them):

* **Refused** -- fewer than ``B_min = ceil(2 / (1 - level)) - 1`` draws (39 at level 0.95, 199 at
  0.99). A Monte Carlo p-value from ``B`` draws moves in steps of about ``1 / B``, and an interval
  at ``level`` needs at least one draw beyond each of its two limits, i.e.
  ``(B + 1)(1 - level) / 2 >= 1``. With fewer draws the level asked for cannot be attained: the
  interval's ends are set by the extreme draws alone and the p-value cannot resolve the threshold
  (Davidson and MacKinnon 2000). Draws must be a positive integer (booleans are refused).
  The two counted p-values differ at the bottom: randomization inference counts the observed
  assignment among its ``B + 1`` (``p = (k + 1) / (B + 1)``, never below ``1 / (B + 1)``); the
  wild cluster bootstrap reports the share of its ``B`` draws at least as extreme, ``k / B``, as
  ``boottest`` does (Roodman et al. 2019), which is 0 when no draw is -- read it as "below
  ``1 / B``".
* **Warned** -- when Monte Carlo error could change the conclusion at ``level``: the p-value lies
  within two Monte Carlo standard errors of ``1 - level`` (for a p-value counted over draws the
  error at the threshold is ``sqrt(a (1 - a) / B)``, ``a = 1 - level``; for a Wald p-value from a
  bootstrap standard error, the standard error itself is uncertain by a factor
  ``1 / sqrt(2 (B - 1))`` for a standard deviation, ``1.166 / sqrt(B)`` for the normalised
  interquartile range of the multiplier bootstrap). More draws then settle it.

Exhaustive enumerations (every sign pattern, every re-assignment) have no Monte Carlo error and
are not subject to the rule. Their p-values are multiples of ``1 / M`` over the ``M`` patterns,
with a floor (the observed pattern, and for symmetric schemes its mirror image, always count):
when that smallest attainable p-value is not below ``1 - level`` the test cannot reject, which
:func:`attainable_p_warning` says for every such scheme (the wild bootstrap's Rademacher
enumeration with 5 or fewer clusters; randomization inference with few re-assignments).

References
----------
Davidson, R. and MacKinnon, J. G. (2000). Bootstrap tests: how many bootstraps? *Econometric
Reviews* 19(1), 55-68.
Roodman, D., MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2019). Fast and wild: bootstrap
inference in Stata using boottest. *Stata Journal* 19(1), 4-60.
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 6 and 19
(Monte Carlo error of bootstrap standard errors). Chapman & Hall.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import stats

RECOMMENDED = 999
MONTE_CARLO = "is within Monte Carlo error of"  # in every Monte Carlo warning, to find them
# relative standard error times sqrt(B) of the normalised interquartile range of normal draws:
# sqrt(var(q75 - q25)) / (q75 - q25) with var from the quantiles' asymptotic covariance
_IQR_REL = 1.166


def minimum_draws(level: float) -> int:
    """``ceil(2 / (1 - level)) - 1``: the fewest draws with which ``level`` is attainable."""
    return max(1, math.ceil(2.0 / (1.0 - level) - 1.0 - 1e-9))


def check_draws(draws: object, level: float, name: str = "draws") -> int:
    """Validate a number of random draws against the rule in the module notes; return it.

    Raises
    ------
    ValueError
        Not an integer, or fewer than :func:`minimum_draws` for ``level``.
    """
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {draws!r}")
    need = minimum_draws(level)
    if draws < need:
        raise ValueError(
            f"{name}={int(draws)} is too few for level {level:g}: a Monte Carlo p-value "
            f"cannot be smaller than 1/({name} + 1) and an interval at level {level:g} needs a "
            f"draw beyond each of its limits, so at least {need} are needed "
            f"({RECOMMENDED} or more recommended)"
        )
    return int(draws)


def counted_p_warning(p_value: float, draws: int, level: float, term: str) -> str | None:
    """A warning when a p-value counted over ``draws`` is within Monte Carlo error of
    ``1 - level`` (two standard errors of a proportion at that threshold)."""
    if draws < 1:
        return None
    alpha = 1.0 - level
    half = 2.0 * math.sqrt(alpha * (1.0 - alpha) / draws)
    if not (np.isfinite(p_value) and abs(p_value - alpha) < half):
        return None
    return (
        f"{term}: p = {p_value:.3g} {MONTE_CARLO} {alpha:g} "
        f"(+-{half:.2g} with {draws} draws); whether it is significant at level {level:g} "
        "depends on the draws: use more"
    )


def counted_p_warnings(
    terms: Iterable[str], p_values: Iterable[float], draws: int, level: float
) -> list[str]:
    """:func:`counted_p_warning` for each term of a table (the ones that apply)."""
    out = []
    for term, p in zip(terms, p_values, strict=True):
        msg = counted_p_warning(float(p), draws, level, str(term))
        if msg is not None:
            out.append(msg)
    return out


def bootstrap_se_p_warning(
    statistic: float,
    df: float | None,
    draws: int,
    level: float,
    term: str,
    *,
    spread: str = "sd",
) -> str | None:
    """A warning when a Wald p-value whose standard error comes from ``draws`` bootstrap
    replicates could cross ``1 - level`` within two Monte Carlo errors of that standard error.

    ``spread`` is how the standard error was taken from the draws: "sd" (their standard
    deviation) or "iqr" (their interquartile range over the normal's, which is noisier).
    """
    if not np.isfinite(statistic) or draws < 2:
        return None
    alpha = 1.0 - level
    if spread == "iqr":
        rel = 2.0 * _IQR_REL / math.sqrt(draws)
    else:
        rel = 2.0 / math.sqrt(2.0 * (draws - 1))
    dist = stats.norm if df is None or not np.isfinite(df) else stats.t(df)
    t = abs(statistic)
    # a larger SE gives a smaller |t| and a larger p
    p_high = 2 * float(dist.sf(t / (1 + rel)))
    p_low = 2 * float(dist.sf(t / max(1 - rel, 1e-12)))
    if not p_low < alpha <= p_high:
        return None
    p = 2 * float(dist.sf(t))
    return (
        f"{term}: p = {p:.3g} {MONTE_CARLO} {alpha:g} (the bootstrap "
        f"standard error from {draws} draws is uncertain by about +-{100 * rel / 2:.0f}%); "
        f"whether it is significant at level {level:g} depends on the draws: use more"
    )


def bootstrap_se_p_warnings(
    terms: Iterable[str],
    statistics: Iterable[float],
    draws: int,
    level: float,
    *,
    spread: str = "sd",
) -> list[str]:
    """:func:`bootstrap_se_p_warning` (normal reference) for each term (the ones that apply)."""
    out = []
    for term, t in zip(terms, statistics, strict=True):
        msg = bootstrap_se_p_warning(float(t), None, draws, level, str(term), spread=spread)
        if msg is not None:
            out.append(msg)
    return out


def attainable_p_warning(smallest: int, patterns: int, level: float, what: str) -> str | None:
    """A warning when an enumerated test's smallest attainable p-value is not below ``1 - level``.

    Parameters
    ----------
    smallest : how many of the patterns always count as at least as extreme as the observed one
        (1, or 2 when every pattern has a mirror image with the same statistic).
    patterns : how many patterns are enumerated.
    what : what allows the patterns, e.g. "6 clusters (3 treated, 3 untreated) allow 20
        re-assignments".
    """
    alpha = 1.0 - level
    if smallest / patterns < alpha - 1e-12:  # 1/20 at level 0.95 is not below 0.05
        return None
    return (
        f"{what}: the smallest attainable p-value, {smallest}/{patterns}, is not below "
        f"{alpha:g}, so the test cannot reject at this level and the interval is unbounded"
    )
