"""Synthetic DiD for staggered adoption, arrays only: one SDiD a cohort against the never-treated
units, aggregated by the cohorts' treated unit x post-period counts, and its placebo, bootstrap
and jackknife replicates (Arkhangelsky et al. 2021, appendix; Clarke, Pailañir, Athey and Imbens
2023, the rule of Stata ``sdid``).

Cohort ``c`` (first treated in column ``s_c``, ``m_c`` units) is estimated on the never-treated
units and its own units over every period: ``s_c`` pre-periods and ``T1_c = T - s_c``
post-periods, with the regularisation the paper sets for that panel. The overall effect is

    att = sum_c m_c T1_c tau_c / sum_c m_c T1_c.

Replicates (each column 0 the overall effect, then one a cohort; NaN where a replicate has no
unit of the cohort):

* **placebo**: permute the never-treated units, give the last ``sum m_c`` of them the cohorts'
  adoption dates (the real cohort sizes, in cohort order) and re-estimate on the never-treated
  units alone. Needs more never-treated than treated units (Stata refuses otherwise).
* **bootstrap**: resample all units with replacement; a draw with no never-treated or no
  treated unit is redrawn (and counted); the cohorts present are re-estimated and aggregated
  with the drawn sizes.
* **jackknife**: leave each unit out in turn, holding every cohort's weights (omega
  renormalised over the controls kept) and re-aggregating with the sizes left; undefined when a
  cohort has a single unit (Stata refuses).

Weights are refitted in the placebo and bootstrap from the fitted ones, with each cohort's
fitted regularisation (as R ``synthdid``'s ``vcov``; Stata recomputes the noise level in each
draw). With a single cohort every number equals :mod:`vrueval.designs.synthetic.variance`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vrueval.designs.synthetic import estimators as est
from vrueval.designs.synthetic.cohorts import CohortData
from vrueval.designs.synthetic.variance import Variance, _starts, replicate_std_errors


@dataclass(frozen=True)
class CohortFit:
    """Each cohort's SDiD and their aggregate."""

    estimates: tuple[est.Estimate, ...]
    taus: np.ndarray
    shares: np.ndarray  # each cohort's share of the treated unit x post-periods
    att: float


def post_periods(d: CohortData) -> np.ndarray:
    return np.array([d.y.shape[1] - s for s in d.starts], dtype=float)


def aggregate(taus: np.ndarray, sizes: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """``sum m T1 tau / sum m T1`` along the last axis; cohorts of size 0 drop out."""
    cells = sizes * t1
    # shares first: with one cohort the share is exactly 1 and the aggregate is tau itself
    shares = cells / cells.sum(axis=-1, keepdims=True)
    safe = np.where(cells > 0, taus, 0.0)
    return np.asarray(np.einsum("...c,...c->...", shares, safe))


def fit(d: CohortData, estimator: est.Estimator) -> CohortFit:
    """Every cohort's SDiD (or SC, DiD) with the paper's defaults, and the overall effect."""
    fits = tuple(est.fit(d.cohort_matrix(c), d.n0, s, estimator) for c, s in enumerate(d.starts))
    taus = np.array([f.tau for f in fits])
    cells = np.array(d.sizes, dtype=float) * post_periods(d)
    shares = cells / cells.sum()
    return CohortFit(fits, taus, shares, float(shares @ taus))


@dataclass(frozen=True)
class CohortReplicates:
    """Replicate values (column 0 the overall effect, then one a cohort) and how many draws
    were redrawn for want of a treated or a control unit (bootstrap)."""

    values: np.ndarray
    kind: Variance
    redrawn: int = 0

    @property
    def std_errors(self) -> np.ndarray:
        v = self.values
        out = replicate_std_errors(v, self.kind)
        if self.kind == "jackknife":
            return out
        for j in np.flatnonzero(~np.isfinite(v).all(axis=0)):
            col = v[:, j][np.isfinite(v[:, j])]
            out[j] = col.std(ddof=0) if len(col) > 1 else np.nan
        return out

    @property
    def present(self) -> np.ndarray:
        """The number of replicates each column has a value in."""
        return np.isfinite(self.values).sum(axis=0)


def placebo(d: CohortData, fitted: CohortFit, orders: Iterable[np.ndarray]) -> CohortReplicates:
    """The never-treated units in each order of ``orders`` (permutations of ``range(n0)``),
    the last ``n1`` of them pseudo-treated with the cohorts' adoption dates."""
    order = np.asarray(list(orders))
    n0, n1 = d.n0, d.n1
    new_n0 = n0 - n1
    t1 = post_periods(d)
    taus = np.empty((len(order), len(d.starts)))
    first = new_n0
    for c, s in enumerate(d.starts):
        rows = np.concatenate([order[:, :new_n0], order[:, first : first + d.sizes[c]]], axis=1)
        first += d.sizes[c]
        fc = fitted.estimates[c]
        ys = d.y[rows]
        omega = _starts(fc.omega[order[:, :new_n0]])
        taus[:, c] = np.asarray(est.estimate(ys, new_n0, s, fc.options, omega, fc.lam).tau)
    overall = aggregate(taus, np.array(d.sizes, dtype=float), t1)
    return CohortReplicates(np.column_stack([overall, taus]), "placebo")


def bootstrap(
    d: CohortData, fitted: CohortFit, draws: int, rng: np.random.Generator
) -> CohortReplicates:
    """Units resampled with replacement; draws with no never-treated or no treated unit are
    redrawn. Each cohort present is solved in batches of equal control and cohort counts."""
    n, n0 = d.y.shape[0], d.n0
    kept: list[np.ndarray] = []
    redrawn = 0
    while len(kept) < draws:
        rows = np.sort(rng.integers(0, n, size=n))
        n_controls = int((rows < n0).sum())
        if 0 < n_controls < n:
            kept.append(rows)
        else:
            redrawn += 1
    all_rows = np.asarray(kept)
    k = (all_rows < n0).sum(axis=1)
    cohort_of = np.full(n, -1)
    for c in range(len(d.starts)):
        cohort_of[d.cohort_rows(c)] = c
    taus = np.full((draws, len(d.starts)), np.nan)
    sizes = np.zeros((draws, len(d.starts)))
    for c, s in enumerate(d.starts):
        member = cohort_of[all_rows] == c
        m = member.sum(axis=1)
        sizes[:, c] = m
        fc = fitted.estimates[c]
        for kk, mm in sorted({(int(a), int(b)) for a, b in zip(k, m, strict=True) if b > 0}):
            which = np.flatnonzero((k == kk) & (m == mm))
            rows = np.stack(
                [
                    np.concatenate([r[:kk], r[member[w]]])
                    for w, r in zip(which, all_rows[which], strict=True)
                ]
            )
            omega = _starts(fc.omega[rows[:, :kk]])
            fit_b = est.estimate(d.y[rows], kk, s, fc.options, omega, fc.lam)
            taus[which, c] = np.asarray(fit_b.tau)
    overall = aggregate(taus, sizes, post_periods(d))
    return CohortReplicates(np.column_stack([overall, taus]), "bootstrap", redrawn)


def jackknife(d: CohortData, fitted: CohortFit) -> CohortReplicates:
    """Each unit left out in turn, every cohort's weights held (omega renormalised)."""
    n, n0 = d.y.shape[0], d.n0
    t1 = post_periods(d)
    out = np.empty((n, 1 + len(d.starts)))
    base_sizes = np.array(d.sizes, dtype=float)
    for i in range(n):
        taus = fitted.taus.copy()
        sizes = base_sizes.copy()
        controls = np.delete(np.arange(n0), i) if i < n0 else np.arange(n0)
        for c, s in enumerate(d.starts):
            rows = d.cohort_rows(c)
            if i >= n0 and i not in rows:
                continue
            members = rows[rows != i]
            sizes[c] = len(members)
            fc = fitted.estimates[c]
            omega = fc.omega[controls] if i < n0 else fc.omega
            total = omega.sum()
            # leaving out the only control of positive weight leaves no synthetic control
            omega = omega / total if total > 0 else np.full(len(controls), np.nan)
            ys = d.y[np.concatenate([controls, members])]
            taus[c] = float(est.double_difference(ys, len(controls), s, omega, fc.lam))
        out[i, 0] = float(aggregate(taus, sizes, t1))
        out[i, 1:] = taus
    return CohortReplicates(out, "jackknife")


def refusal(kind: Variance, d: CohortData, fitted: CohortFit) -> str | None:
    """Why ``kind`` cannot be computed here (None when it can), as Stata ``sdid`` decides."""
    if kind == "placebo" and d.n0 <= d.n1:
        return (
            f"the placebo variance needs more never-treated than treated units ({d.n0} "
            f"never-treated, {d.n1} treated across the cohorts)"
        )
    if kind == "bootstrap" and d.n1 == 1:
        return (
            "the bootstrap variance is not defined with a single treated unit (Arkhangelsky et "
            "al. 2021, section 5): use inference='placebo'"
        )
    if kind == "jackknife":
        single = [lab for lab, m in zip(d.cohort_labels, d.sizes, strict=True) if m == 1]
        if single:
            return (
                f"the jackknife needs at least two treated units in every cohort; the cohort(s) "
                f"first treated in {single} have one (leaving it out removes the cohort): use "
                "inference='placebo' or 'bootstrap'"
            )
        for lab, f in zip(d.cohort_labels, fitted.estimates, strict=True):
            if int((f.omega != 0).sum()) == 1:
                return (
                    "the fixed-weights jackknife is not defined when one control carries all "
                    f"the weight (cohort {lab})"
                )
    return None


def cohort_terms(labels: Sequence[str]) -> list[str]:
    return ["att", *[f"att:cohort={g}" for g in labels]]
