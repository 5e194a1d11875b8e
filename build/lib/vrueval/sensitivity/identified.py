"""Identified sets: the values of the target the restriction allows at known ``beta``.

``theta = l' beta_post - l' delta_post`` over ``delta`` in ``{A delta <= d}`` with
``delta_pre = beta_pre`` (the pre-period coefficients are pure bias): two linear programs per
polyhedron, the union's hull over several (Rambachan & Roth 2023, section 2.4). The test
inversion centres its grid here, and tests check that the robust sets cover it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linprog

from vrueval.sensitivity.inputs import EventTimeEstimates


def identified_set(
    est: EventTimeEstimates, polyhedra: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[float, float]:
    """Hull of the identified set over the polyhedra (NaN, NaN when none is feasible)."""
    n = len(est.beta)
    n_pre = est.n_pre
    cost = np.r_[np.zeros(n_pre), est.l_vec]
    a_eq = np.hstack([np.eye(n_pre), np.zeros((n_pre, n - n_pre))])
    lows, highs = [], []
    for a, d in polyhedra:
        ends = []
        for sign in (1.0, -1.0):
            res = linprog(
                sign * cost,
                A_ub=a,
                b_ub=d,
                A_eq=a_eq,
                b_eq=est.beta[:n_pre],
                bounds=[(None, None)] * n,
                method="highs",
            )
            if res.status == 2:  # infeasible: this piece's pattern is not the data's
                break
            fun = res.fun
            ends.append(-np.inf if res.status == 3 or fun is None else sign * float(fun))
        if len(ends) == 2:
            lows.append(est.theta_hat - ends[1])  # the largest l'delta gives the lowest theta
            highs.append(est.theta_hat - ends[0])
    if not lows:
        return np.nan, np.nan
    return float(min(lows)), float(max(highs))
