"""Aggregations of ATT(g,t): simple, dynamic (event time), group and calendar.

Each aggregate is a weighted average of group-time effects with weights proportional to cohort
size, and its influence function is the same average of the cells' influence functions plus a
term for having estimated the cohort shares (Callaway & Sant'Anna 2021, section 3 and
appendix). Overall summaries: ``simple`` averages all post-treatment cells; ``group`` averages
the cohort effects; ``dynamic`` averages the non-negative event times; ``calendar`` averages the
calendar-period effects.

This module is the one event-time aggregation of every staggered estimator (Callaway &
Sant'Anna, Sun & Abraham's interaction-weighted estimator, Borusyak, Jaravel & Spiess's
imputation estimator): each delivers cohort x period cells with influence functions, so
``att:e=<k>`` is the same cohort-size-weighted average of the cells at event time k whichever
estimator made them. Sun & Abraham's weights (cohort shares among the cohorts observed at k) and
Borusyak et al.'s (every treated observation at k equally) are exactly these. The estimators
differ only in whether the variance adds the estimation of the shares (``share_variance``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from vrueval.designs.staggered.estimate import GroupTime

Aggregation = Literal["simple", "dynamic", "group", "calendar"]
AGGREGATIONS: tuple[str, ...] = ("simple", "dynamic", "group", "calendar")


@dataclass(frozen=True)
class Aggregate:
    """One aggregation: its components (``keys``: event time, cohort or period position) and
    its overall summary, each with an n-vector (or n x m matrix) influence function."""

    kind: str
    keys: np.ndarray
    att: np.ndarray
    inf: np.ndarray
    overall: float
    overall_inf: np.ndarray


def cohort_shares(first: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Share of all units in each cohort, P(G = g)."""
    return np.array([np.mean(first == g) for g in groups])


def aggregate(gt: GroupTime, first: np.ndarray, kind: Aggregation) -> Aggregate:
    """Aggregate group-time effects; ``first`` holds each unit's cohort position (inf: never)."""
    groups = np.unique(gt.group)
    pgg = cohort_shares(first, groups)
    pg = pgg[np.searchsorted(groups, gt.group)]
    post = gt.group <= gt.time

    if kind == "simple":
        keep = np.flatnonzero(post)
        est, inf = _weighted(gt, keep, pg, first, with_wif=True)
        return Aggregate(
            kind, np.empty(0, dtype=int), np.empty(0), np.empty((len(first), 0)), est, inf
        )

    if kind == "group":
        # the cohorts with a post-treatment cell (a Sun-Abraham cut at the last cohort's
        # anticipation window can leave a cohort only its leads)
        treated = np.flatnonzero(np.isin(groups, gt.group[post]))
        att_g, inf_g = [], []
        for g in groups[treated]:
            keep = np.flatnonzero((gt.group == g) & post)
            est, inf = _weighted(gt, keep, pg, first, with_wif=False)
            att_g.append(est)
            inf_g.append(inf)
        att_arr, inf_mat = np.array(att_g), np.array(inf_g).T
        w = pgg[treated] / pgg[treated].sum()
        overall_inf = inf_mat @ w
        if gt.share_variance:
            overall_inf = overall_inf + _wif(treated, pgg, groups, first) @ att_arr
        return Aggregate(kind, groups[treated], att_arr, inf_mat, float(att_arr @ w), overall_inf)

    if kind == "dynamic":
        event = gt.time - gt.group
        keys = np.unique(event)
        parts = [_weighted(gt, np.flatnonzero(event == e), pg, first, with_wif=True) for e in keys]
        return _mean_of(kind, keys, parts, keys >= 0)

    if kind == "calendar":
        keys = np.unique(gt.time[gt.time >= gt.group.min()])
        parts = [
            _weighted(gt, np.flatnonzero((gt.time == t) & post), pg, first, with_wif=True)
            for t in keys
        ]
        return _mean_of(kind, keys, parts, np.ones(len(keys), dtype=bool))

    raise ValueError(f"kind must be one of {AGGREGATIONS}, got {kind!r}")


def _mean_of(
    kind: str, keys: np.ndarray, parts: list[tuple[float, np.ndarray]], use: np.ndarray
) -> Aggregate:
    att = np.array([p[0] for p in parts])
    inf = np.array([p[1] for p in parts]).T  # column-major n x m, no copy
    return Aggregate(kind, keys, att, inf, float(att[use].mean()), inf[:, use].mean(axis=1))


def _weighted(
    gt: GroupTime, keep: np.ndarray, pg: np.ndarray, first: np.ndarray, *, with_wif: bool
) -> tuple[float, np.ndarray]:
    if not len(keep):  # an average over no cell would read as an effect of zero
        raise ValueError("no group-time cell to average")
    w = pg[keep] / pg[keep].sum()
    est = float(gt.att[keep] @ w)
    inf = gt.inf[:, keep] @ w
    if with_wif and gt.share_variance:
        inf = inf + _wif(keep, pg, gt.group, first) @ gt.att[keep]
    return est, inf


def _wif(keep: np.ndarray, pg: np.ndarray, group: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Influence of estimating the cohort-share weights pg[keep] / sum(pg[keep])."""
    member = (first[:, None] == group[keep][None, :]).astype(float) - pg[keep][None, :]
    total = pg[keep].sum()
    return member / total - member.sum(axis=1, keepdims=True) * (pg[keep] / total**2)[None, :]


def analytic_se(inf: np.ndarray) -> np.ndarray:
    """Standard error from an influence function: sqrt(mean(psi^2) / n), column-wise."""
    n = inf.shape[0]
    return np.sqrt(np.mean(inf**2, axis=0) / n)


def pretest(gt: GroupTime) -> tuple[float, int, float, float] | None:
    """Wald pre-test that all pre-treatment ATT(g,t) are zero: (W, q, p-value, chi-squared p).

    Pre-treatment means before any anticipation window (``t < g - anticipation``).

    The p-value uses Hotelling's scaling ``F = W (n-q) / (q (n-1))`` on (q, n-q) rather than
    chi-squared(q): with q of about 16 cells and 40 units the chi-squared reference rejects a true
    null more than half the time in simulation, the scaled F about 5-10%. The chi-squared p-value
    (what R ``did`` prints) is returned too, for comparison. None when there are no
    pre-treatment cells, their covariance is singular or n <= q.
    """
    from scipy import stats

    pre = np.flatnonzero((gt.group - gt.anticipation > gt.time) & ~gt.reference)
    if len(pre) == 0:
        return None
    n = gt.inf.shape[0]
    v = gt.inf[:, pre].T @ gt.inf[:, pre] / n
    if np.linalg.matrix_rank(v) < len(pre):
        return None
    a = gt.att[pre]
    q = len(pre)
    if n <= q:
        return None
    w = float(n * a @ np.linalg.solve(v, a))
    p_f = float(stats.f.sf(w * (n - q) / (q * (n - 1)), q, n - q))
    return w, q, p_f, float(stats.chi2.sf(w, q))
