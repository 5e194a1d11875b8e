"""Closed-form power and minimum detectable effects, to set beside the simulations.

Two designs have a textbook closed form:

* **Segmented regression with AR(1) errors.** The OLS level (or slope) change is ``h'y`` with
  ``h`` the coefficient's row of ``(X'X)^-1 X'``. With errors of variance ``sigma^2`` and
  autocorrelation ``rho^|s-t|`` its variance is ``sigma^2 h' R(rho) h``, and a multiplicative
  effect ``delta`` planted from the interruption moves it by ``delta * h'(mu * post)``, with
  ``mu`` the series' expected level. The MDE is ``(t_{1-a/2} + t_power) sd / |h'(mu post)|``
  (McLeod and Vingilis, 2005, for the AR(1) segmented regression; Zhang, Wagner and
  Ross-Degnan, 2011, by simulation).
* **2x2 DiD with clustering by unit.** The estimate is the difference between the treated and
  comparator means of each unit's post-minus-pre contrast, so with contrast variances
  ``sigma_T^2`` and ``sigma_C^2`` across units its variance is ``sigma_T^2 / n_T +
  sigma_C^2 / n_C``, with ``G - 1`` degrees of freedom (Bloom, 1995; McKenzie, 2012; with serial
  correlation entering through the contrast variance, Burlig, Preonas and Woerman, 2020). The
  contrast variance is either measured on the real panel over placebo windows
  (``"empirical"``) or implied by an AR(1) model of the two-way demeaned residuals (``"ar1"``:
  ``sigma^2 a' R(rho) a`` for contrast weights ``a``).

Both assume the test statistic is t distributed with the stated degrees of freedom; the
simulations do not, which is why the two are compared.

References
----------
Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical power of
experimental designs. *Evaluation Review* 19(5), 547-556.
McKenzie, D. (2012). Beyond baseline and follow-up: the case for more T in experiments.
*Journal of Development Economics* 99(2), 210-221.
McLeod, A. I. and Vingilis, E. R. (2005). Power computations for intervention analysis.
*Technometrics* 47(2), 174-181.
Zhang, F., Wagner, A. K. and Ross-Degnan, D. (2011). Simulation-based power calculation for
designing interrupted time series analyses of health policy interventions. *Journal of Clinical
Epidemiology* 64(11), 1252-1261.
Burlig, F., Preonas, L. and Woerman, M. (2020). Panel data and experimental design. *Journal of
Development Economics* 144, 102458.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vrueval.power.search import t_mde, t_power

FloatArray = np.ndarray


@dataclass(frozen=True)
class Analytic:
    """A closed form: standard error of the estimate, its shift per unit of relative effect."""

    se: float
    shift: float  # expected change in the estimate per unit multiplicative effect
    df: float
    inputs: dict[str, float]

    def power(self, effects: FloatArray, level: float) -> FloatArray:
        return t_power(np.asarray(effects, dtype=float) * self.shift, self.se, self.df, level)

    def mde(self, level: float, power: float, sign: float) -> float:
        """The relative effect (signed) detectable with ``power`` at ``level`` (NaN: none)."""
        if self.shift == 0:
            return float("nan")
        return float(sign * t_mde(self.se, self.df, level, power) / abs(self.shift))


def ar1_correlation(time: np.ndarray, rho: float) -> FloatArray:
    """``rho^|t_s - t_t|`` for integer time positions."""
    t = np.asarray(time, dtype=float)
    return rho ** np.abs(t[:, None] - t[None, :])


def ar1_moments(resid: FloatArray, n_params: int = 0) -> tuple[float, float]:
    """Variance (residual df ``n - n_params``) and lag-1 autocorrelation of a residual series."""
    e = np.asarray(resid, dtype=float)
    e = e - e.mean()
    var = float(e @ e) / max(len(e) - n_params, 1)
    rho = float(e[1:] @ e[:-1]) / float(e @ e)
    return var, float(np.clip(rho, -0.99, 0.99))


def segmented_ar1(
    X: FloatArray,
    column: int,
    signal: FloatArray,
    time: np.ndarray,
    sigma2: float,
    rho: float,
    df: float | None = None,
) -> Analytic:
    """Closed form for one coefficient of a segmented regression with AR(1) errors.

    Parameters
    ----------
    X : (n, k) design of the planned analysis; ``column`` the tested coefficient.
    signal : (n,) expected outcome in the post-period rows (zero before), i.e. the change a
        +100% effect would make.
    time : (n,) time positions; ``sigma2``, ``rho`` the error variance and autocorrelation.
    df : degrees of freedom of the test's t reference (default ``n - k``; a fixed-b HAC test
        has fewer, and pays for them in power).
    """
    n, k = X.shape
    h = np.linalg.solve(X.T @ X, X.T)[column]
    var = sigma2 * float(h @ ar1_correlation(time, rho) @ h)
    return Analytic(
        se=float(np.sqrt(var)),
        shift=float(h @ signal),
        df=float(n - k) if df is None else float(df),
        inputs={"sigma2": sigma2, "rho": rho},
    )


def did_clustered(
    var_treated: float,
    var_control: float,
    n_treated: int,
    n_control: int,
    shift: float,
    inputs: dict[str, float] | None = None,
) -> Analytic:
    """Closed form of the 2x2 (or TWFE) DiD with unit clusters, ``G - 1`` degrees of freedom.

    ``var_*`` are the cross-unit variances of the per-unit contrasts (post mean minus pre mean);
    ``shift`` the treated units' mean post-period level (the change a +100% effect makes).
    """
    se = float(np.sqrt(var_treated / n_treated + var_control / n_control))
    return Analytic(
        se=se,
        shift=float(shift),
        df=float(n_treated + n_control - 1),
        inputs={
            "contrast_var_treated": var_treated,
            "contrast_var_comparators": var_control,
            **(inputs or {}),
        },
    )


def contrast_var_ar1(weights: FloatArray, sigma2: float, rho: float) -> float:
    """Variance ``sigma^2 a' R(rho) a`` of a contrast of an AR(1) series with weights ``a``."""
    a = np.asarray(weights, dtype=float)
    return float(sigma2 * a @ ar1_correlation(np.arange(len(a)), rho) @ a)


def panel_ar1(resid: FloatArray) -> tuple[float, float]:
    """Pooled variance and lag-1 autocorrelation of two-way demeaned panel residuals (N x T)."""
    r = np.asarray(resid, dtype=float)
    var = float(np.mean(r * r))
    rho = float(np.sum(r[:, 1:] * r[:, :-1]) / np.sum(r[:, :-1] ** 2))
    return var, float(np.clip(rho, -0.99, 0.99))
