"""From simulated test statistics to power curves and minimum detectable effects.

Power at effect ``delta`` is the share of draws whose test rejects; its Monte Carlo standard
error is ``sqrt(p (1 - p) / S)``. The minimum detectable effect (MDE) is the smallest effect in
the chosen direction at which simulated power reaches the target: found on a fine grid and then
refined by bisection. Its Monte Carlo band is where the power curve crosses the target plus or
minus 1.96 Monte Carlo standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from vrueval.power.kernels import Planted

FloatArray = np.ndarray
MAX_INCREASE = 5.0  # +500%: beyond this an effect is not "detectable" in any useful sense
MAX_FALL = 0.99  # -99%: a fall cannot exceed -100%


@dataclass(frozen=True)
class Search:
    """Power of one simulated test: draws, level and the critical values used."""

    planted: Planted
    level: float
    critical: FloatArray

    @classmethod
    def build(cls, planted: Planted, level: float, calibrate: bool) -> Search:
        """Nominal critical values, or (``calibrate``) the level-quantile of |t| at no effect.

        Calibration gives size-adjusted power: the test's own null distribution on the real
        data replaces the t reference, so a test that over-rejects is not credited with power
        it only has because it rejects too often.
        """
        if calibrate:
            t0 = np.abs(planted.statistic(0.0))
            t0 = t0[np.isfinite(t0)]
            crit = np.full(planted.n_draws, float(np.quantile(t0, level, method="higher")))
        else:
            crit = planted.critical(level)
        return cls(planted, level, crit)

    def power(self, effects: FloatArray) -> FloatArray:
        """Rejection rate at each effect."""
        d = np.atleast_1d(np.asarray(effects, dtype=float))
        return self.planted.rejects(d, self.level, self.critical).mean(axis=1)

    def mc_se(self, p: FloatArray) -> FloatArray:
        return np.sqrt(p * (1 - p) / self.planted.n_draws)

    def crossing(self, target: float, sign: float) -> float:
        """Smallest |delta| along ``sign`` at which power reaches ``target`` (NaN: never)."""
        grid = self.grid(sign)
        # a test costly to evaluate (resampling) scans a coarse grid first, then the fine one
        # within the first coarse bracket that reaches the target, and bisects to a tolerance
        stride, tolerance = self.planted.search_stride, self.planted.search_tolerance
        coarse = np.unique(np.r_[np.arange(stride - 1, len(grid), stride), len(grid) - 1])
        hit = np.flatnonzero(self.power(sign * grid[coarse]) >= target)
        if len(hit) == 0:
            return float("nan")
        i = int(coarse[hit[0]])  # index in the fine grid
        if stride > 1:
            below = int(coarse[hit[0] - 1]) + 1 if hit[0] > 0 else 0
            fine = grid[below : i + 1]
            i = below + int(np.flatnonzero(self.power(sign * fine) >= target)[0])
        lo, hi = (0.0 if i == 0 else grid[i - 1]), grid[i]
        for _ in range(40):
            if hi - lo <= tolerance:
                break
            mid = 0.5 * (lo + hi)
            if self.power(np.array([sign * mid]))[0] >= target:
                hi = mid
            else:
                lo = mid
        return float(sign * hi)

    @staticmethod
    def grid(sign: float) -> FloatArray:
        """The |effects| searched along ``sign``: up to -99% or +500% (:data:`MAX_INCREASE`)."""
        top = MAX_FALL if sign < 0 else MAX_INCREASE
        return np.linspace(0.0, top, 199)[1:]

    def highest(self, sign: float) -> tuple[float, float]:
        """The highest power on the search grid along ``sign`` and the effect reaching it."""
        effects = sign * self.grid(sign)
        p = self.power(effects)
        i = int(np.argmax(p))
        return float(p[i]), float(effects[i])

    def mde(self, target: float, sign: float) -> tuple[float, float, float]:
        """MDE and its Monte Carlo band (the crossings of target -/+ 1.96 MC standard errors)."""
        half = 1.96 * float(np.sqrt(target * (1 - target) / self.planted.n_draws))
        mde = self.crossing(target, sign)
        near = self.crossing(max(target - half, 1e-9), sign)
        far = self.crossing(min(target + half, 1.0), sign)
        return mde, near, far

    def size(self) -> tuple[float, float]:
        """Rejection rate at no effect and its Monte Carlo standard error."""
        p = float(self.power(np.array([0.0]))[0])
        return p, float(self.mc_se(np.array(p)))


def t_power(effect: FloatArray, se: float, df: float, level: float) -> FloatArray:
    """Two-sided t test power ``F(-c + |d|/se) + F(-c - |d|/se)`` (shifted-t approximation)."""
    dist = stats.norm if not np.isfinite(df) else stats.t(df)
    crit = dist.ppf(0.5 + level / 2)
    lam = np.abs(np.asarray(effect, dtype=float)) / se
    return np.asarray(dist.cdf(-crit + lam) + dist.cdf(-crit - lam))


def t_mde(se: float, df: float, level: float, power: float) -> float:
    """Closed-form MDE ``(t_{1-a/2} + t_power) * se`` (Bloom, 1995), in the estimate's units."""
    dist = stats.norm if not np.isfinite(df) else stats.t(df)
    return float((dist.ppf(0.5 + level / 2) + dist.ppf(power)) * se)
