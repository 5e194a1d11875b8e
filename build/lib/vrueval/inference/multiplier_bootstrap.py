"""Multiplier bootstrap of estimators with known influence functions.

Draw ``B`` vectors of i.i.d. mean-zero, unit-variance multipliers ``v`` (one per cluster) and
perturb the estimates by ``v' psi / n``: no refitting, so thousands of draws cost one matrix
product. Standard errors are the bootstrap interquartile range over that of the normal (robust
to a few wild draws), and the simultaneous band's critical value is the 1 - alpha quantile of the
largest studentised deviation over a family of estimates (Callaway & Sant'Anna 2021, sec. 4;
Mammen 1993 for the two-point weights).

Pointwise intervals use the normal quantile; simultaneous bands use ``crit``: the two are kept
apart on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from scipy import stats

from vrueval.inference.draws import bootstrap_se_p_warnings, check_draws
from vrueval.options import choice

MultiplierWeights = Literal["mammen", "rademacher"]
MULTIPLIER_WEIGHTS: tuple[str, ...] = get_args(MultiplierWeights)

_SQRT5 = np.sqrt(5.0)
_MAMMEN_LOW, _MAMMEN_HIGH = (1 - _SQRT5) / 2, (1 + _SQRT5) / 2
_MAMMEN_P_LOW = (_SQRT5 + 1) / (2 * _SQRT5)
_DEGENERATE = np.sqrt(np.finfo(float).eps) * 10
_IQR_NORMAL = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)


def _two_points(weights: str) -> tuple[float, float, float]:
    """(low value, high value, probability of low) of a two-point multiplier distribution."""
    choice(weights, MULTIPLIER_WEIGHTS, "weights")
    if weights == "mammen":
        return _MAMMEN_LOW, _MAMMEN_HIGH, _MAMMEN_P_LOW
    return -1.0, 1.0, 0.5


def _high_indicator(n: int, draws: int, weights: str, rng: np.random.Generator) -> np.ndarray:
    """A draws x n float 0/1 matrix: 1 where the multiplier takes its high value."""
    _, _, p_low = _two_points(weights)
    if weights == "rademacher":
        bits = np.unpackbits(np.frombuffer(rng.bytes((draws * n + 7) // 8), dtype=np.uint8))
        return bits[: draws * n].reshape(draws, n).astype(float)
    # single-precision uniforms: the probability is exact to 1e-7 and they draw 2x faster
    u = rng.random((draws, n), dtype=np.float32)
    return (u >= np.float32(p_low)).astype(float)


def multipliers(
    n: int, draws: int, weights: MultiplierWeights, rng: np.random.Generator
) -> np.ndarray:
    """A ``draws x n`` matrix of multipliers (mean 0, variance 1).

    Mammen's two-point weights take (1 - sqrt 5)/2 with probability (sqrt 5 + 1)/(2 sqrt 5)
    and (1 + sqrt 5)/2 otherwise (third moment 1); Rademacher weights are +-1 with equal
    probability.
    """
    low, high, _ = _two_points(weights)
    return low + (high - low) * _high_indicator(n, draws, weights, rng)


def deviations(
    inf: np.ndarray, draws: int, weights: MultiplierWeights, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap deviations sqrt(n) (theta* - theta) = v' psi / sqrt(n), one row per draw.

    Same numbers as ``perturb(inf, multipliers(...))`` with the same generator state, computed
    as ``low * sum(psi) + (high - low) * b' psi`` from the 0/1 indicator ``b``: exact, and it
    never materialises the multipliers.
    """
    low, high, _ = _two_points(weights)
    b = _high_indicator(inf.shape[0], draws, weights, rng)
    return (low * inf.sum(axis=0) + (high - low) * (b @ inf)) / np.sqrt(inf.shape[0])


@dataclass(frozen=True)
class BootstrapFamily:
    """Bootstrap inference for one family of estimates (e.g. all event-time effects).

    ``std_error`` is NaN for degenerate columns (a reference cell fixed at 0). ``crit`` is the
    simultaneous critical value over the family's non-degenerate columns; never below the
    pointwise normal quantile. ``warnings``: the terms whose Wald p-value could cross
    ``1 - level`` within the Monte Carlo error of their bootstrap standard error.
    """

    std_error: np.ndarray
    crit: float
    pointwise_crit: float
    warnings: tuple[str, ...] = ()


def cluster_influence(inf: np.ndarray, cluster: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Average the rows of ``inf`` within clusters (rows are units when ``cluster`` is None)."""
    if cluster is None:
        return inf, inf.shape[0]
    codes, index = np.unique(cluster, return_inverse=True)
    sums = np.zeros((len(codes), inf.shape[1]))
    np.add.at(sums, index, inf)
    counts = np.bincount(index).astype(float)
    return sums / counts[:, None], len(codes)


def perturb(inf: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Bootstrap deviations sqrt(n) (theta* - theta) = v' psi / sqrt(n), one row per draw.

    ``inf`` is (n, m), one column per estimate (rows: clusters); ``v`` is (B, n).
    """
    return (v @ inf) / np.sqrt(inf.shape[0])


def bootstrap_family(
    boot: np.ndarray,
    n: int,
    *,
    level: float = 0.95,
    estimate: np.ndarray | None = None,
    terms: list[str] | None = None,
) -> BootstrapFamily:
    """Standard errors and the sup-t critical value of one family from its deviations.

    Parameters
    ----------
    boot : (B, m) deviations from :func:`perturb` for the family's m estimates.
    n : number of clusters behind the influence functions.
    level : confidence level of the bands; the number of draws B follows
        :func:`vrueval.inference.draws.check_draws`.
    estimate, terms : the family's m estimates and their names; given, the result carries the
        Monte Carlo warnings of their normal Wald p-values
        (:func:`vrueval.inference.draws.bootstrap_se_p_warning`, interquartile-range spread).
    """
    check_draws(boot.shape[0], level, "draws")
    q75 = np.quantile(boot, 0.75, axis=0, method="inverted_cdf")
    q25 = np.quantile(boot, 0.25, axis=0, method="inverted_cdf")
    sigma = (q75 - q25) / _IQR_NORMAL
    ok = np.isfinite(sigma) & (sigma > _DEGENERATE)
    se = np.where(ok, sigma / np.sqrt(n), np.nan)
    pointwise = float(stats.norm.ppf(0.5 + level / 2))
    warnings: tuple[str, ...] = ()
    if estimate is not None and terms is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.asarray(estimate, dtype=float) / se
        warnings = tuple(bootstrap_se_p_warnings(terms, t, boot.shape[0], level, spread="iqr"))
    if not ok.any():
        return BootstrapFamily(se, np.nan, pointwise, warnings)
    t_max = np.max(np.abs(boot[:, ok] / sigma[ok]), axis=1)
    crit = float(np.quantile(t_max, level, method="inverted_cdf"))
    # A band narrower than the pointwise interval only happens by Monte Carlo noise.
    return BootstrapFamily(se, max(crit, pointwise), pointwise, warnings)
