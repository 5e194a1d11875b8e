"""Wald tables: estimates and standard errors to intervals and p-values, on either scale."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special

EFFECT_COLUMNS = ["term", "estimate", "std_error", "conf_low", "conf_high", "p_value"]


def check_level(level: float) -> float:
    """Validate a confidence level (the contract says ``level``, never ``alpha``)."""
    if not isinstance(level, int | float) or not 0.5 <= float(level) < 1:
        raise ValueError(f"level must be a number in [0.5, 1), e.g. 0.95; got {level!r}")
    return float(level)


def critical_value(level: float, df: float | None = None) -> float:
    """The two-sided ``level`` critical value of the normal (``df`` None) or Student's t.

    What ``scipy.stats.norm.ppf`` / ``t.ppf`` return (the same special functions, bit for bit),
    without the distribution objects' argument handling, which cost more than a DiD fit's
    arithmetic.
    """
    q = 0.5 + level / 2
    return float(special.ndtri(q) if df is None else special.stdtrit(df, q))


def two_sided_p(stat: np.ndarray | float, df: float | None = None) -> np.ndarray:
    """Two-sided p-values of ``stat`` against the normal (``df`` None) or Student's t:
    ``2 * scipy.stats.norm.sf(|stat|)`` / ``2 * t.sf(|stat|, df)``, bit for bit."""
    minus = -np.abs(np.asarray(stat, dtype=float))
    return 2 * (special.ndtr(minus) if df is None else special.stdtr(df, minus))


def wald_table(
    terms: Sequence[str],
    estimate: Sequence[float] | np.ndarray,
    std_error: Sequence[float] | np.ndarray,
    *,
    level: float = 0.95,
    df: float | None = None,
    log_link: bool = False,
    constant: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Effects table from point estimates and standard errors.

    Parameters
    ----------
    terms, estimate, std_error
        Term names, estimates and standard errors on the linear-predictor scale.
    level : float
        Confidence level of the two-sided interval.
    df : float, optional
        Degrees of freedom of a t reference distribution; the normal when None.
    log_link : bool
        When True the estimates are log rate ratios: ``estimate``, ``conf_low`` and
        ``conf_high`` are exponentiated (``scale == "ratio"``) while ``std_error`` stays on the
        log scale, as the result contract says.
    constant : mapping, optional
        Further columns, each holding one value on every row (e.g. ``{"inference": "cr1"}``).

    Returns
    -------
    DataFrame with columns term, estimate, std_error, conf_low, conf_high, p_value, statistic,
    df (NaN for the normal) and scale ("difference" or "ratio").
    """
    level = check_level(level)
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    crit = critical_value(level, df)
    p = two_sided_p(stat, df)
    low, high = est - crit * se, est + crit * se
    if log_link:
        est, low, high = np.exp(est), np.exp(low), np.exp(high)
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": est,
            "std_error": se,
            "conf_low": low,
            "conf_high": high,
            "p_value": p,
            "statistic": stat,
            "df": np.nan if df is None else float(df),
            "scale": "ratio" if log_link else "difference",
            **(constant or {}),
        }
    )
