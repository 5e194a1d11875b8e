"""Existence of the maximum-likelihood estimates of a log-link count model (separation).

A Poisson, quasi-Poisson or negative binomial regression with log link has no finite estimate
when some rows with a zero outcome can be fitted exactly by sending their rate to zero without
touching the other rows: there is a direction ``g`` with ``x_i'g = 0`` wherever ``y_i > 0`` and
``x_i'g <= 0`` wherever ``y_i = 0``, strictly for at least one row (Santos Silva and Tenreyro
2010; Correia, Guimarães and Zylkin 2019, proposition 1). Along ``g`` the likelihood keeps rising,
so an iterative fit stops at an arbitrary point with rate ratios of 1e16 and tiny standard errors,
and R's ``glm`` only warns "fitted rates numerically 0 occurred". Typical causes: zeros before an
interruption and counts after it, or an all-zero treated post-period.

The rule, applied by every count model in the package (ITS, comparative ITS, Poisson DiD):

* an outcome that is zero in every fitted row is refused (no rate ratio is defined);
* the separated rows are found exactly by linear programming (below), with the columns whose
  coefficients are not identified once those rows are set aside (the columns in the null space
  of the remaining rows, found by :func:`vrueval.inference.rank.collinear_columns`);
* if any of those columns is an effect the user reads, the fit is refused, naming them: the
  effect is not estimable from the data, so the user decides (e.g. shorten the window, drop the
  term, pool the series);
* if they are all nuisance fixed effects (``nuisance``: e.g. the unit effect of a comparator
  whose count is zero in every period), the separated rows are returned to be dropped, as
  fixest and ppmlhdfe do. Those rows carry no information on the other coefficients: their
  fitted rate goes to zero along a direction that moves only the nuisance effects, and the
  estimates of the remaining coefficients on the other rows are the limit of the full-data
  maximum-likelihood path (Correia, Guimarães and Zylkin 2019, section 3). The caller reports
  what was dropped on the result.

The linear programme maximises ``-sum z_i`` over the zero rows subject to ``z = X g``, ``z_i = 0``
where ``y_i > 0`` and ``-1 <= z_i <= 0`` where ``y_i = 0``; a row with ``z_i < 0`` is separated.
It is repeated without the rows found until none is added, so every separated row is found (the
set of separating directions is a convex cone). A series with no zero is never separated and
costs nothing.

References
----------
Santos Silva, J. M. C. and Tenreyro, S. (2010). On the existence of the maximum likelihood
estimates in Poisson regression. *Economics Letters* 107(2), 310-312.
Correia, S., Guimarães, P. and Zylkin, T. (2019). Verifying the existence of maximum likelihood
estimates for generalized linear models. arXiv:1903.01633.
Kosmidis, I. and Schumacher, D. (2021). detectseparation: Detect and check for separation and
infinite maximum likelihood estimates. R package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, sparse

from vrueval.inference.rank import collinear_columns

FloatArray = np.ndarray
_TOL = 1e-6  # a row is separated when its z is below -_TOL (z is scaled to [-1, 0])


class SeparationError(ValueError):
    """A log-link count model has no finite estimate: an all-zero outcome or separation.

    ``rows`` are the positions of the separated rows (all rows for an all-zero outcome);
    ``columns`` the names of the coefficients that are not identified.
    """

    def __init__(self, message: str, rows: np.ndarray, columns: list[str]) -> None:
        super().__init__(message)
        self.rows = rows
        self.columns = columns


def _csr(X: Any) -> Any:
    """``X`` (dense or sparse) as a float CSR array (typed loosely: scipy's stubs are narrow)."""
    return sparse.csr_array(X).astype(float)


def separated_rows(X: Any, y: FloatArray) -> np.ndarray:
    """Boolean mask of the rows whose fitted rate can be sent to zero (see the module notes)."""
    y = np.asarray(y, dtype=float)
    found = np.zeros(len(y), dtype=bool)
    zero = y == 0
    if not zero.any() or zero.all():
        return found if not zero.all() else zero.copy()
    Xc = _csr(X)
    scale = np.sqrt(np.asarray(Xc.multiply(Xc).sum(axis=0))).ravel()
    scale[scale == 0] = 1.0
    Xc = _csr(Xc @ sparse.diags_array(1.0 / scale))
    positive = np.flatnonzero(~zero)
    a_eq = Xc[positive]
    while True:
        rows = np.flatnonzero(zero & ~found)
        if len(rows) == 0:
            break
        a_zero = Xc[rows]
        res: Any = optimize.linprog(
            c=np.asarray(a_zero.sum(axis=0)).ravel(),
            A_ub=sparse.vstack([a_zero, -a_zero]).tocsr(),
            b_ub=np.r_[np.zeros(len(rows)), np.ones(len(rows))],
            A_eq=a_eq,
            b_eq=np.zeros(len(positive)),
            bounds=(None, None),
            method="highs",
        )
        if res.status != 0:
            raise RuntimeError(f"the separation check's linear programme failed: {res.message}")
        z = a_zero @ res.x
        new = rows[z < -_TOL]
        if len(new) == 0:
            break
        found[new] = True
    return found


def check_separation(
    X: Any,
    y: FloatArray,
    names: Sequence[str],
    *,
    what: str,
    row_labels: Sequence[str] | None = None,
    first: Sequence[str] = (),
    nuisance: Sequence[str] = (),
) -> np.ndarray:
    """Refuse an all-zero outcome or a separated design, naming the columns involved; return
    the rows to drop when only nuisance fixed effects are involved (see the module notes).

    Parameters
    ----------
    X : array or sparse matrix (n, k)
        The full design, fixed effects included as dummy columns.
    y : array (n,)
        Non-negative counts.
    names : the k column names.
    what : what is being fitted, for the message (e.g. "the Poisson ITS of West Midlands").
    row_labels : optional label of each row (e.g. its period), shown for the separated rows.
    first : the terms the user reads (effects), named first among the columns involved.
    nuisance : fixed-effect columns whose separated rows may be dropped instead of refused.

    Returns
    -------
    array of bool (n,)
        The rows to drop (none when the design is not separated).

    Raises
    ------
    SeparationError
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n and np.all(y == 0):
        raise SeparationError(
            f"{what}: the outcome is zero in every one of the {n} fitted rows, so a log-link "
            "model has no finite estimate (every rate ratio is undefined); model a longer or "
            "larger series, or a linear model of the counts",
            np.arange(n),
            list(names),
        )
    rows = separated_rows(X, y)
    if not rows.any():
        return rows
    kept = _csr(X)[np.flatnonzero(~rows)].toarray()
    deps = collinear_columns(kept, names)
    involved = set(deps) | {c for v in deps.values() for c in v}
    if involved and involved <= set(nuisance):
        return rows
    columns = [c for c in first if c in involved] + [
        c for c in names if c in involved and c not in first
    ]
    shown = ", ".join(columns[:8]) + (f" and {len(columns) - 8} more" if len(columns) > 8 else "")
    where = ""
    if row_labels is not None:
        labels = [str(row_labels[int(i)]) for i in np.flatnonzero(rows)]
        where = " (" + ", ".join(labels[:6]) + (", ..." if len(labels) > 6 else "") + ")"
    raise SeparationError(
        f"{what}: separation -- the outcome is zero in {int(rows.sum())} rows{where} whose "
        "fitted rate the model can send to zero, so the maximum-likelihood estimates do not "
        "exist (rate ratios diverge towards 0 or infinity with meaningless intervals). "
        f"Coefficients not identified: {shown or 'none named'}. Shorten the "
        "window, remove these terms, or aggregate so that the zero rows carry information",
        np.flatnonzero(rows),
        columns,
    )
