"""Robust confidence sets by test inversion: the ARP conditional or hybrid test of each value
of the target over a grid, refined by bisection at the set's ends.

For ``Delta = {A delta <= d}`` and ``theta = l' tau_post``: ``delta = beta - (0, tau)``, so
``theta`` is consistent with the restriction when some ``tau`` with ``l'tau = theta`` has
``A beta - d - A_post tau <= 0``. Writing ``tau = Gamma^{-1} (theta, x)`` with ``Gamma``'s first
row ``l`` turns the other directions of ``tau`` into the nuisance ``x`` of
:mod:`vrueval.sensitivity.arp` (Rambachan & Roth 2023, section 3.2).

A union of polyhedra (the pieces of ``Delta^RM``) accepts ``theta`` when any piece does. The set
reported is the hull of the accepted values, as the R package reports the lowest and highest
accepted grid points; its ends are located to ``tol`` by bisection between the last rejected
and first accepted grid points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vrueval.sensitivity import arp
from vrueval.sensitivity.inputs import EventTimeEstimates
from vrueval.sensitivity.restrictions import post_rows


@dataclass(frozen=True)
class Piece:
    """One polyhedron's test: its moments and, for the hybrid, its least-favourable value."""

    moments: arp.Moments
    lf_cv: float | None
    vertices: np.ndarray | None


def target_basis(l_vec: np.ndarray) -> np.ndarray:
    """An invertible matrix whose first row is ``l`` and whose other rows span ``l``'s
    orthogonal complement."""
    _, _, vt = np.linalg.svd(l_vec[None, :])
    return np.vstack([l_vec, vt[1:]])


def moments(est: EventTimeEstimates, a: np.ndarray, d: np.ndarray) -> arp.Moments:
    """The moments ``A beta - d - A_post Gamma^{-1} (theta, x) <= 0`` for the rows that involve
    a post period."""
    rows = post_rows(a, est.n_pre)
    a = a[rows]
    d = d[rows]
    a_gamma = a[:, est.n_pre :] @ np.linalg.inv(target_basis(est.l_vec))
    return arp.Moments(
        y0=a @ est.beta - d,
        a=a_gamma[:, 0].copy(),
        x=a_gamma[:, 1:].copy(),
        sigma=a @ est.sigma @ a.T,
    )


def pieces(
    est: EventTimeEstimates,
    polyhedra: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    hybrid: bool,
    alpha: float,
    kappa: float,
    draws: int,
    seed: int | None,
) -> list[Piece]:
    """Each polyhedron's moments and dual vertices, and with ``hybrid`` its least-favourable
    critical value simulated from ``seed`` (which the hybrid needs)."""
    if hybrid and seed is None:
        raise ValueError("the hybrid's least-favourable critical value needs an explicit seed")
    out = []
    for a, d in polyhedra:
        m = moments(est, a, d)
        vertices = arp.dual_vertices(m.x, m.sd)
        cv = (
            arp.least_favourable_cv(m.x, m.sigma, kappa, draws, seed, vertices)
            if hybrid and seed is not None
            else None
        )
        out.append(Piece(m, cv, vertices))
    return out


def accepts(ps: Sequence[Piece], theta: float, alpha: float, kappa: float) -> bool:
    """True when some piece does not reject ``theta``."""
    return any(
        not arp.test(p.moments, theta, alpha, lf_cv=p.lf_cv, kappa=kappa, vertices=p.vertices)
        for p in ps
    )


def invert(
    accept: Callable[[float], bool],
    lo: float,
    hi: float,
    *,
    grid: int,
    tol: float,
) -> tuple[float, float]:
    """The hull of ``{theta : accept(theta)}``: a grid on ``[lo, hi]``, widened while its end
    points are accepted (an end accepted 2^12 grid widths out is infinite), then bisection.
    NaN, NaN when no grid point is accepted."""
    points = np.linspace(lo, hi, grid)
    ok = np.array([accept(float(t)) for t in points])
    if not ok.any():
        return np.nan, np.nan
    idx = np.flatnonzero(ok)
    width = hi - lo
    return (
        _end(accept, float(points[idx[0]]), idx[0], points, -1, width, tol),
        _end(accept, float(points[idx[-1]]), idx[-1], points, 1, width, tol),
    )


def _end(
    accept: Callable[[float], bool],
    inside: float,
    i: int,
    points: np.ndarray,
    direction: int,
    width: float,
    tol: float,
) -> float:
    j = i + direction
    if 0 <= j < len(points):
        outside = float(points[j])
    else:
        step = width
        outside = inside + direction * step
        while accept(outside):
            inside = outside
            step *= 2
            if step > 4096 * width:
                return direction * np.inf
            outside = inside + direction * step
    while abs(outside - inside) > tol:
        mid = (inside + outside) / 2
        if accept(mid):
            inside = mid
        else:
            outside = mid
    return (inside + outside) / 2
