"""Synthetic force panels with a known (zero or planted) effect, shaped like the CSS panel.

The 43 police force areas, 20 financial years FY2002/03-FY2021/22, treatment from FY2019/20
(three post years); each outcome is one independent draw of unit effects, a common trend and
AR(1) errors (rho 0.5) whose scale varies across forces (uniform 0.5-2), with ``effect`` added
to the treated forces' post years. City of London is dropped by the design's comparator rule,
so "never_funded" gives the 22 comparators of the real analysis.

:func:`count_panel` is the same shape for counts (Poisson DiD) and :func:`staggered_frame` the
same rollout as a long frame for the Callaway-Sant'Anna estimator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel

FIRST_FY_END, N_YEARS, START = 2003, 20, "2019/20"
RHO = 0.5


def force_panel(
    treated: Sequence[str],
    n_outcomes: int,
    seed: int,
    *,
    effect: float = 0.0,
    units: Sequence[str] | None = None,
    noisier_treated: float = 1.0,
) -> Panel:
    """A score panel of ``n_outcomes`` independent outcomes ``y0, y1, ...`` for ``units`` (every
    force by default); ``noisier_treated`` multiplies the treated forces' error scale."""
    rng = np.random.default_rng(seed)
    codes = list(units) if units is not None else [a.code for a in areas.forces()]
    n, t = len(codes), N_YEARS
    is_treated = np.isin(codes, list(treated))
    post = np.arange(t) >= t - 3
    frames = []
    for r in range(n_outcomes):
        e = np.empty((n, t))
        e[:, 0] = rng.normal(size=n) / np.sqrt(1 - RHO**2)
        for j in range(1, t):
            e[:, j] = RHO * e[:, j - 1] + rng.normal(size=n)
        scale = rng.uniform(0.5, 2.0, n) * np.where(is_treated, noisier_treated, 1.0)
        y = (
            10
            + rng.normal(size=n)[:, None]
            + np.linspace(0, 1, t)
            + scale[:, None] * e
            + effect * (is_treated[:, None] & post[None, :])
        )
        frames.append(
            pd.DataFrame(
                {
                    "unit": np.repeat(codes, t),
                    "period": _fy_periods(n),
                    "outcome": f"y{r}",
                    "value": y.ravel(),
                }
            )
        )
    return Panel.from_frame(
        pd.concat(frames, ignore_index=True), frequency="financial_year", measure="score"
    )


def _fy_periods(n_units: int) -> np.ndarray:
    # financial years as Periods: a bare year is ambiguous
    years = [pd.Period(year=y, freq="Y-MAR") for y in range(FIRST_FY_END, FIRST_FY_END + N_YEARS)]
    return np.tile(np.array(years, dtype=object), n_units)


def count_panel(n_outcomes: int, seed: int, *, effect: float = 0.0) -> Panel:
    """A count panel of ``n_outcomes`` independent outcomes ``y0, y1, ...`` for every force
    (:func:`draw_counts`), the mean times ``exp(effect)`` in the VRU 2019 forces' post years."""
    rng = np.random.default_rng(seed)
    codes = [a.code for a in areas.forces()]
    n, t = len(codes), N_YEARS
    is_treated = np.isin(codes, list(areas.vru_2019()))
    shift = effect * (is_treated[:, None] & (np.arange(t) >= t - 3)[None, :])
    frames = [
        pd.DataFrame(
            {
                "unit": np.repeat(codes, t),
                "period": _fy_periods(n),
                "outcome": f"y{r}",
                "value": draw_counts(n, rng, shift).ravel(),
            }
        )
        for r in range(n_outcomes)
    ]
    return Panel.from_frame(
        pd.concat(frames, ignore_index=True), frequency="financial_year", measure="count"
    )


def staggered_frame(y: np.ndarray, n_treated: int) -> pd.DataFrame:
    """A long frame for :class:`vrueval.StaggeredDiD` from an (N x T) outcome array whose first
    ``n_treated`` rows are first treated in FY2019/20 (fy_end_year 2020), the rest never."""
    n, t = y.shape
    first = np.where(np.arange(n) < n_treated, FIRST_FY_END + t - 3, 0)
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), t),
            "fy_end_year": np.tile(np.arange(FIRST_FY_END, FIRST_FY_END + t), n),
            "y": y.ravel(),
            "first": np.repeat(first, t),
        }
    )


# -- the same test on arrays, for size simulations -------------------------------------------------
def draw_outcomes(
    n_units: int, treated: np.ndarray, rng: np.random.Generator, noisier_treated: float = 1.0
) -> np.ndarray:
    """One (N x T) draw of :func:`force_panel`'s model with no effect."""
    t = N_YEARS
    e = np.empty((n_units, t))
    e[:, 0] = rng.normal(size=n_units) / np.sqrt(1 - RHO**2)
    for j in range(1, t):
        e[:, j] = RHO * e[:, j - 1] + rng.normal(size=n_units)
    scale = rng.uniform(0.5, 2.0, n_units) * np.where(treated, noisier_treated, 1.0)
    return 10 + rng.normal(size=n_units)[:, None] + np.linspace(0, 1, t) + scale[:, None] * e


def draw_counts(
    n_units: int, rng: np.random.Generator, shift: np.ndarray | None = None
) -> np.ndarray:
    """One (N x T) draw of counts: Poisson with log mean = force level (about 30 to 1,500 a
    year) + common trend + AR(1) noise (rho 0.5, scale 0.05-0.2 by force: overdispersed and
    serially correlated) + ``shift``."""
    t = N_YEARS
    e = np.empty((n_units, t))
    e[:, 0] = rng.normal(size=n_units) / np.sqrt(1 - RHO**2)
    for j in range(1, t):
        e[:, j] = RHO * e[:, j - 1] + rng.normal(size=n_units)
    log_mu = (
        rng.normal(np.log(200), 0.8, n_units)[:, None]
        + np.linspace(0, 0.3, t)
        + rng.uniform(0.05, 0.2, n_units)[:, None] * e
    )
    if shift is not None:
        log_mu = log_mu + shift
    return rng.poisson(np.exp(log_mu)).astype(float)


class ArrayDiD:
    """:class:`vrueval.DiD`'s TWFE and its tests on an (N x T) outcome array, through the same
    functions (:mod:`vrueval.designs.did.inference`), without building a Panel per draw."""

    def __init__(self, treated: np.ndarray) -> None:
        from vrueval.designs.did.model import TwoWayFE

        self.treated = np.asarray(treated, dtype=float)
        n, t = len(treated), N_YEARS
        self.unit = np.repeat(np.arange(n), t)
        self.period = np.tile(np.arange(t), n)
        self.after = self.period >= t - 3
        self.d = self.treated[self.unit] * self.after
        self.fe = TwoWayFE(self.unit, self.period)

    def p_value(self, y: np.ndarray, inference: str, seed: int = 0) -> float:
        from scipy import stats

        from vrueval.designs.did import inference as inf
        from vrueval.designs.did.model import ols_absorbed

        fit = ols_absorbed(self.fe, np.asarray(y, dtype=float).ravel(), self.d)
        if inference in ("cr1", "cr2"):
            cov = inf.covariance(fit, self.fe, self.unit, inference)
            t = fit.coef[0] / np.sqrt(cov.vcov[0, 0])
            return float(2 * stats.t.sf(abs(t), cov.df[0]))
        if inference == "wild":
            table, _, _ = inf.wild_table(
                ["att"], fit, self.fe, self.unit, level=0.95, seed=seed, draws=399, weights="webb"
            )
        else:
            table, _, _ = inf.randomization_table(
                "att",
                fit,
                self.fe,
                self.unit,
                self.unit,
                self.after,
                self.treated,
                level=0.95,
                seed=seed,
                permutations=399,
            )
        return float(table["p_value"].iloc[0])


class ArrayPoissonDiD:
    """:class:`vrueval.DiD`'s Poisson PML DiD and its CR1 test (t with G - 1 df) on an (N x T)
    count array, through the same functions, without building a Panel per draw."""

    def __init__(self, treated: np.ndarray) -> None:
        n, t = len(treated), N_YEARS
        self.unit = np.repeat(np.arange(n), t)
        self.period = np.tile(np.arange(t), n)
        self.d = np.asarray(treated, dtype=float)[self.unit] * (self.period >= t - 3)

    def p_value(self, y: np.ndarray) -> float:
        from scipy import stats

        from vrueval.designs.did.model import poisson_absorbed
        from vrueval.inference import cluster
        from vrueval.inference.small_sample import ParamCount

        n, t = np.shape(y)
        fit = poisson_absorbed(self.unit, self.period, np.asarray(y, dtype=float).ravel(), self.d)
        cov = cluster.cr1(
            fit.x_tilde * fit.score_resid[:, None],
            fit.hessian_inv,
            self.unit,
            n_obs=n * t,
            count=ParamCount.two_way(n, t, 1),
        )
        stat = fit.coef[0] / np.sqrt(cov.vcov[0, 0])
        return float(2 * stats.t.sf(abs(stat), cov.df[0]))


def rejection_rate(
    n_treated: int,
    n_comparators: int,
    inference: str,
    reps: int,
    seed: int,
    *,
    noisier_treated: float = 1.0,
) -> float:
    """Share of ``reps`` null panels whose test rejects at 5%.

    ``inference`` is a :class:`ArrayDiD` method, ``"poisson"`` (:class:`ArrayPoissonDiD` on
    :func:`draw_counts`) or ``"influence"`` (:class:`vrueval.StaggeredDiD`'s analytic
    influence-function test of the overall ATT on :func:`staggered_frame`).
    """
    from vrueval import StaggeredDiD

    rng = np.random.default_rng(seed)
    treated = np.r_[np.ones(n_treated, bool), np.zeros(n_comparators, bool)]
    n = len(treated)
    did = ArrayDiD(treated)
    poisson = ArrayPoissonDiD(treated)
    hits = 0
    for r in range(reps):
        if inference == "poisson":
            p = poisson.p_value(draw_counts(n, rng))
        elif inference == "influence":
            frame = staggered_frame(draw_outcomes(n, treated, rng, noisier_treated), n_treated)
            fit = StaggeredDiD(
                frame, outcome="y", unit="unit", time="fy_end_year", first_treated="first"
            ).fit()
            p = float(fit.effects().set_index("term").loc["att", "p_value"])
        else:
            p = did.p_value(draw_outcomes(n, treated, rng, noisier_treated), inference, seed=r)
        hits += p < 0.05
    return hits / reps


def mc_band(rate: float, reps: int, k: float = 3.0) -> tuple[float, float]:
    """``rate`` +- ``k`` binomial Monte Carlo standard errors."""
    se = float(np.sqrt(rate * (1 - rate) / reps))
    return rate - k * se, rate + k * se
