"""Random-effects meta-analysis of per-area estimates (DerSimonian–Laird and REML).

Each area :math:`i = 1..k` contributes an estimate :math:`y_i` with within-area variance
:math:`v_i`. The model is :math:`y_i = \\mu + u_i + e_i`, :math:`u_i \\sim N(0, \\tau^2)`,
:math:`e_i \\sim N(0, v_i)`, independent. The pooled estimate is the inverse-variance weighted
mean with weights :math:`w_i = 1 / (v_i + \\hat\\tau^2)`; its standard error is
:math:`(\\sum w_i)^{-1/2}`, and its interval and p-value are normal (Wald).

- DerSimonian–Laird: :math:`\\hat\\tau^2 = \\max\\{0, (Q - (k-1)) / (S_1 - S_2/S_1)\\}`
  with the fixed-effect weights' sums :math:`S_r = \\sum v_i^{-r}`.
- REML: the root of the restricted likelihood's score, found by the fixed-point iteration
  :math:`\\tau^2 \\leftarrow \\sum w_i^2((y_i - \\hat\\mu)^2 - v_i) / \\sum w_i^2 + 1/\\sum w_i`,
  truncated at zero (Viechtbauer 2005).
- Cochran's :math:`Q = \\sum v_i^{-1} (y_i - \\hat\\mu_{FE})^2`, referred to
  :math:`\\chi^2_{k-1}`.
- :math:`I^2 = \\hat\\tau^2 / (\\hat\\tau^2 + s^2)` with the typical within-area variance
  :math:`s^2 = (k-1) S_1 / (S_1^2 - S_2)` (Higgins & Thompson 2002); for DerSimonian–Laird
  this equals :math:`(Q - (k-1))/Q` floored at zero. This is metafor's definition.

References
----------
DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled Clinical
Trials* 7, 177–188. Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance
estimators in the random-effects model. *JEBS* 30, 261–293. Higgins, J. & Thompson, S. (2002).
Quantifying heterogeneity in a meta-analysis. *Statistics in Medicine* 21, 1539–1558.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

Tau2Method = Literal["DL", "REML"]
TAU2_METHODS: tuple[str, ...] = ("DL", "REML")
"""The estimators of the between-area variance :func:`random_effects` takes as ``method``."""

_REML_TOL = 1e-12
_REML_MAX_ITER = 10_000


@dataclass(frozen=True)
class PooledEstimate:
    """The pooled effect and the heterogeneity between areas (read-only).

    Attributes
    ----------
    estimate, std_error, conf_low, conf_high, p_value : float
        The random-effects mean :math:`\\hat\\mu`, its standard error, Wald interval at
        ``level`` and two-sided p-value against zero.
    tau2 : float
        Between-area variance :math:`\\hat\\tau^2` by ``method``.
    i2 : float
        Share of the total variance that is between areas, in [0, 1].
    q, q_df, q_p_value : float, int, float
        Cochran's Q, its degrees of freedom (k - 1) and its chi-squared p-value.
    prediction_low, prediction_high : float
        Where a new area's effect is expected to fall (normal, :math:`\\hat\\mu \\pm z
        \\sqrt{SE^2 + \\hat\\tau^2}`), at ``level``.
    weights : tuple of float
        Each area's share of the pooled estimate (sums to 1), in input order.
    correlation : float
        The correlation between areas' estimation errors the standard error allows for.
    """

    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    p_value: float
    tau2: float
    i2: float
    q: float
    q_df: int
    q_p_value: float
    prediction_low: float
    prediction_high: float
    weights: tuple[float, ...]
    labels: tuple[str, ...]
    method: str
    level: float
    k: int
    correlation: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe copy."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["weights"] = list(self.weights)
        out["labels"] = list(self.labels)
        return out


def _check(
    estimates: Sequence[float], std_errors: Sequence[float], labels: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    y = np.asarray(estimates, dtype=float)
    se = np.asarray(std_errors, dtype=float)
    names = tuple(str(x) for x in labels) if labels is not None else tuple(map(str, range(len(y))))
    if y.ndim != 1 or y.shape != se.shape or len(names) != len(y):
        raise ValueError(
            f"estimates, std_errors and labels must be 1-D and of one length, got "
            f"{y.shape}, {se.shape} and {len(names)}"
        )
    if len(y) < 2:
        raise ValueError(f"pooling needs at least 2 estimates, got {len(y)}")
    bad = [names[i] for i in range(len(y)) if not (math.isfinite(y[i]) and math.isfinite(se[i]))]
    if bad:
        raise ValueError(f"missing or infinite estimate or standard error for: {bad}")
    nonpositive = [names[i] for i in range(len(y)) if se[i] <= 0]
    if nonpositive:
        raise ValueError(f"standard errors must be positive; not for: {nonpositive}")
    return y, se, names


def tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    """DerSimonian–Laird moment estimate of :math:`\\tau^2` (floored at zero)."""
    w = 1.0 / v
    mu = float(w @ y / w.sum())
    q = float(w @ (y - mu) ** 2)
    denom = w.sum() - (w @ w) / w.sum()
    return max(0.0, (q - (len(y) - 1)) / denom)


def tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    """REML estimate of :math:`\\tau^2`, by fixed-point iteration from the DL value.

    Raises
    ------
    RuntimeError
        When the iteration has not settled to within 1e-12 after 10,000 steps.
    """
    tau2 = tau2_dl(y, v)
    for _ in range(_REML_MAX_ITER):
        w = 1.0 / (v + tau2)
        mu = float(w @ y / w.sum())
        new = max(0.0, float((w**2) @ ((y - mu) ** 2 - v) / (w @ w) + 1.0 / w.sum()))
        if abs(new - tau2) <= _REML_TOL * max(1.0, tau2):
            return new
        tau2 = new
    raise RuntimeError(f"REML tau^2 did not converge in {_REML_MAX_ITER} iterations")


def random_effects(
    estimates: Sequence[float],
    std_errors: Sequence[float],
    *,
    method: Tau2Method = "REML",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
    correlation: float = 0.0,
) -> PooledEstimate:
    """Pool per-area estimates with a random-effects model.

    Parameters
    ----------
    estimates, std_errors : sequence of float
        One estimate and its within-area standard error per area (all finite, SE > 0).
    method : {"REML", "DL"}
        Estimator of the between-area variance :math:`\\tau^2`.
    level : float
        Coverage of the pooled and prediction intervals.
    labels : sequence of str, optional
        Area names, carried to the result and used in error messages.
    correlation : float
        Correlation :math:`\\rho` in [0, 1) between any two areas' estimation errors, as when
        every area is compared with the same comparators: one-area DiDs against the same
        :math:`N_0` comparator units share the comparators' mean, so
        :math:`\\rho \\approx 1/(N_0 + 1)` when the units' noise is alike. The weights, τ², Q
        and I² are those of the independent model; the standard error, the interval, the
        p-value and the prediction interval add the covariance
        :math:`\\rho \\sum_{i \\ne j} w_i w_j \\sqrt{v_i v_j}` (weights normalised to one).

    Returns
    -------
    PooledEstimate

    Notes
    -----
    Estimand: the mean of the distribution of area effects, :math:`\\mu`. Assumes the areas'
    estimation errors are independent with known variances, unless ``correlation`` says how
    they are related; estimates that share comparators are positively correlated, and with
    ``correlation=0`` the pooled interval is then too narrow (Q, built from the differences
    between estimates, is free of a shift common to all of them).
    The Wald interval ignores the uncertainty in :math:`\\hat\\tau^2` (as metafor's default).
    """
    if method not in TAU2_METHODS:
        raise ValueError(f"method must be one of {TAU2_METHODS}, got {method!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if not (isinstance(correlation, (int, float)) and 0.0 <= correlation < 1.0):
        raise ValueError(f"correlation must be in [0, 1), got {correlation!r}")
    y, se, names = _check(estimates, std_errors, labels)
    v = se**2
    k = len(y)
    w_fe = 1.0 / v
    mu_fe = float(w_fe @ y / w_fe.sum())
    q = float(w_fe @ (y - mu_fe) ** 2)
    tau2 = tau2_dl(y, v) if method == "DL" else tau2_reml(y, v)
    w = 1.0 / (v + tau2)
    mu = float(w @ y / w.sum())
    shares = w / w.sum()
    shared = float((shares * se).sum() ** 2 - (shares**2 * v).sum())  # sum over i != j
    std_error = float(math.sqrt(1.0 / w.sum() + correlation * shared))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    s1, s2 = float(w_fe.sum()), float(w_fe @ w_fe)
    typical = (k - 1) * s1 / (s1**2 - s2)
    spread = math.sqrt(std_error**2 + tau2)
    return PooledEstimate(
        estimate=mu,
        std_error=std_error,
        conf_low=mu - z * std_error,
        conf_high=mu + z * std_error,
        p_value=float(2.0 * stats.norm.sf(abs(mu) / std_error)),
        tau2=float(tau2),
        i2=float(tau2 / (tau2 + typical)),
        q=q,
        q_df=k - 1,
        q_p_value=float(stats.chi2.sf(q, k - 1)),
        prediction_low=mu - z * spread,
        prediction_high=mu + z * spread,
        weights=tuple(float(x) for x in shares),
        labels=names,
        method=method,
        level=level,
        k=k,
        correlation=float(correlation),
    )


__all__ = ["TAU2_METHODS", "PooledEstimate", "Tau2Method", "random_effects"]
