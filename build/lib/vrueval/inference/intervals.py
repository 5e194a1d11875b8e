"""Wald tables: estimates and standard errors to intervals and p-values, on either scale."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

EFFECT_COLUMNS = ["term", "estimate", "std_error", "conf_low", "conf_high", "p_value"]


def check_level(level: float) -> float:
    """Validate a confidence level (the contract says ``level``, never ``alpha``)."""
    if not isinstance(level, int | float) or not 0.5 <= float(level) < 1:
        raise ValueError(f"level must be a number in [0.5, 1), e.g. 0.95; got {level!r}")
    return float(level)


def wald_table(
    terms: Sequence[str],
    estimate: Sequence[float] | np.ndarray,
    std_error: Sequence[float] | np.ndarray,
    *,
    level: float = 0.95,
    df: float | None = None,
    log_link: bool = False,
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
    if df is None:
        crit = stats.norm.ppf(0.5 + level / 2)
        p = 2 * stats.norm.sf(np.abs(stat))
    else:
        crit = stats.t.ppf(0.5 + level / 2, df)
        p = 2 * stats.t.sf(np.abs(stat), df)
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
        }
    )
