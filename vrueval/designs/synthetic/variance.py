"""Variance of synthetic DiD (and its SC and DiD special cases): the placebo, bootstrap and
fixed-weights jackknife of Arkhangelsky et al. (2021), Algorithms 2-4, as R ``synthdid``'s
``vcov`` runs them.

Each returns the replicate values of every term (the overall effect and the effect in each
post-period), so one resampling gives all their standard errors. Arrays only.

* **placebo** (Algorithm 4): permute the controls, call the last ``N1`` of them treated, and
  re-estimate (weights refitted from the original ones, same regularisation). Needs more
  controls than treated units and homoskedastic errors across units; the only one of the three
  that works with a single treated unit.
* **bootstrap** (Algorithm 2): resample all units with replacement, skipping draws with no
  treated or no control unit, and re-estimate. Needs many treated units.
* **jackknife** (Algorithm 3): drop one unit at a time, keeping the weights fixed
  (renormalised). Undefined with one treated unit, or one control of non-zero weight; known to
  be conservative.

Standard errors are ``sqrt((B - 1) / B) * sd`` of the replicates (R: the population standard
deviation) and ``sqrt((n - 1)^2 / n * var)`` for the jackknife.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vrueval.designs.synthetic.estimators import (
    Estimate,
    Options,
    effect_path,
    estimate,
    fixed,
)

Variance = Literal["placebo", "bootstrap", "jackknife"]
VARIANCES: tuple[str, ...] = ("placebo", "bootstrap", "jackknife")


@dataclass(frozen=True)
class Replicates:
    """Replicate values: column 0 the overall effect, then one a post-period; for the placebo,
    also each pseudo-treated unit's own effect in each replication (replications x N1)."""

    values: np.ndarray
    kind: Variance
    unit_values: np.ndarray | None = None

    @property
    def unit_std_error(self) -> float:
        """Standard error of one treated unit's effect (``att:unit``), from the placebo: the
        spread (population standard deviation, as R's placebo SE) of the pseudo-treated units'
        own effects against the synthetic control fitted to their group, pooled over units and
        replications. It is Algorithm 4 applied to a one-unit effect, and rests on what the
        placebo variance rests on (errors homoskedastic across units), so every unit gets the
        same standard error. NaN for the other variances (see ``unit_rows_note``)."""
        if self.unit_values is None:
            return float("nan")
        return float(np.std(self.unit_values, ddof=0))

    @property
    def std_errors(self) -> np.ndarray:
        return replicate_std_errors(self.values, self.kind)


def replicate_std_errors(values: np.ndarray, kind: Variance) -> np.ndarray:
    """Each column's standard error from its replicates (rows): the jackknife's
    ``sqrt((n - 1)/n sum (theta_(-i) - mean)^2)``, else their population standard deviation
    (placebo and bootstrap, as R ``synthdid``)."""
    n = values.shape[0]
    if kind == "jackknife":
        return np.sqrt((n - 1) ** 2 / n * values.var(axis=0, ddof=1))
    return np.asarray(values.std(axis=0, ddof=0))


def _terms(y: np.ndarray, n0: int, t0: int, est: Estimate) -> np.ndarray:
    return np.concatenate([[est.tau], effect_path(y, n0, t0, est.omega, est.lam)])


def _starts(kept: np.ndarray) -> np.ndarray:
    """The fitted unit weights of the controls a replicate keeps, renormalised row by row as
    starting values (uniform where they are all zero: R ``sum_normalize``)."""
    totals = kept.sum(axis=1, keepdims=True)
    safe = np.where(totals != 0, totals, 1.0)
    return np.where(totals != 0, kept / safe, 1.0 / kept.shape[1])


def placebo(
    y: np.ndarray, n0: int, t0: int, fitted: Estimate, orders: Iterable[np.ndarray]
) -> Replicates:
    """Algorithm 4: the controls in each order of ``orders`` (permutations of ``range(n0)``,
    e.g. ``rng.permutation(n0)`` draws), the last ``N1`` of them as pseudo-treated."""
    n1 = y.shape[0] - n0
    new_n0 = n0 - n1
    order = np.asarray(list(orders))
    ys = y[order]
    omega = _starts(fitted.omega[order[:, :new_n0]])
    est = estimate(ys, new_n0, t0, fitted.options, omega, fitted.lam)
    path = effect_path(ys, new_n0, t0, est.omega, est.lam)
    units = unit_effects_batch(ys, new_n0, t0, est.omega, est.lam)
    return Replicates(np.column_stack([est.tau, path]), "placebo", units)


def unit_effects_batch(
    y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray
) -> np.ndarray:
    """Each treated unit's effect against its problem's synthetic control, for a batch
    ``y`` (B, N, T) with ``omega`` (B, n0) and ``lam`` (B, t0): (B, N1)."""
    gap = y[:, n0:, :] - np.einsum("bn,bnt->bt", omega, y[:, :n0, :])[:, None, :]
    return gap[..., t0:].mean(axis=-1) - np.einsum("but,bt->bu", gap[..., :t0], lam)


def unit_rows_note(kind: Variance) -> str:
    """Why ``att:unit`` rows have no standard error under ``kind`` (not the placebo)."""
    return (
        f"att:unit rows carry no standard error under the {kind} variance: it learns the "
        "spread of the average from the differences between treated units, which a single "
        "unit's effect cannot use (Arkhangelsky et al. 2021, section 5); inference='placebo' "
        "gives them one"
    )


def bootstrap(
    y: np.ndarray, n0: int, t0: int, fitted: Estimate, draws: int, rng: np.random.Generator
) -> Replicates:
    """Algorithm 2: units resampled with replacement; draws without both groups are redrawn.

    The draws are made first, then solved in batches of equal control count."""
    n = y.shape[0]
    draws_rows: list[np.ndarray] = []
    while len(draws_rows) < draws:
        rows = np.sort(rng.integers(0, n, size=n))
        n_controls = int((rows < n0).sum())
        if 0 < n_controls < n:
            draws_rows.append(rows)
    all_rows = np.asarray(draws_rows)
    counts = (all_rows < n0).sum(axis=1)
    out = np.empty((draws, 1 + y.shape[1] - t0))
    for k in np.unique(counts):
        which = np.flatnonzero(counts == k)
        rows = all_rows[which]
        ys = y[rows]
        omega = _starts(fitted.omega[rows[:, :k]])
        est = estimate(ys, int(k), t0, fitted.options, omega, fitted.lam)
        out[which] = np.column_stack([est.tau, effect_path(ys, int(k), t0, est.omega, est.lam)])
    return Replicates(out, "bootstrap")


def jackknife(y: np.ndarray, n0: int, t0: int, fitted: Estimate) -> Replicates:
    """Algorithm 3: each unit left out in turn, the weights held (renormalised)."""
    n = y.shape[0]
    options: Options = fixed(fitted.options)
    out = np.empty((n, 1 + y.shape[1] - t0))
    for i in range(n):
        keep = np.delete(np.arange(n), i)
        controls = keep[keep < n0]
        omega = fitted.omega[controls]
        total = omega.sum()
        # leaving out the only control of positive weight leaves no synthetic control
        omega = omega / total if total > 0 else np.full(len(controls), np.nan)
        est = estimate(y[keep], len(controls), t0, options, omega, fitted.lam)
        out[i] = _terms(y[keep], len(controls), t0, est)
    return Replicates(out, "jackknife")


def refusal(kind: Variance, n0: int, n1: int, omega: np.ndarray) -> str | None:
    """Why ``kind`` cannot be computed here (None when it can), as the paper and R decide."""
    if kind == "placebo" and n0 <= n1:
        return (
            f"the placebo variance needs more controls than treated units ({n0} controls, "
            f"{n1} treated)"
        )
    if kind in ("jackknife", "bootstrap") and n1 == 1:
        return (
            f"the {kind} variance is not defined with a single treated unit (Arkhangelsky et "
            "al. 2021, section 5): use inference='placebo'"
        )
    if kind == "jackknife" and int((omega != 0).sum()) == 1:
        return "the fixed-weights jackknife is not defined when one control carries all the weight"
    return None
