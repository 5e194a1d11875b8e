"""Rank of a design matrix, with the collinear columns named.

One rule for every design: a column whose pivoted-QR diagonal falls below ``RANK_TOL`` times the
largest (after scaling every column to unit length) is linearly dependent on the columns pivoted
before it. The error names each dependent column and the columns it is a combination of, so the
user can see which terms to drop (e.g. a lockdown indicator covering the whole post-period, or an
interruption with no observed period after it). Nothing is solved by a pseudo-inverse.

References
----------
Golub, G. H. and Van Loan, C. F. (2013). *Matrix Computations*, 4th ed., section 5.4.2 (QR with
column pivoting as a rank-revealing factorisation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg

FloatArray = np.ndarray
RANK_TOL = 1e-10


class RankDeficientError(np.linalg.LinAlgError):
    """The design matrix is rank deficient; ``dependencies`` maps each dependent column to the
    columns it is a linear combination of. A ``LinAlgError`` (and so a ``ValueError``)."""

    def __init__(self, message: str, dependencies: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.dependencies = dependencies


def collinear_columns(X: FloatArray, names: Sequence[str]) -> dict[str, list[str]]:
    """Each linearly dependent column of ``X`` and the columns it is a combination of.

    Empty when ``X`` has full column rank. Columns that are zero in every row depend on nothing
    (an empty list).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(names):
        raise ValueError(f"{len(names)} names for a design with shape {X.shape}")
    norms = np.sqrt(np.sum(X * X, axis=0))
    zero = norms == 0
    out: dict[str, list[str]] = {names[int(j)]: [] for j in np.flatnonzero(zero)}
    live = np.flatnonzero(~zero)
    if len(live) == 0:
        return out
    Xs = X[:, live] / norms[live]
    _, r, piv = linalg.qr(Xs, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > RANK_TOL * diag[0]))
    if rank == len(live):
        return out
    # Dependent column j = R11^-1 R12 combination of the independent ones.
    coef = linalg.solve_triangular(r[:rank, :rank], r[:rank, rank:])
    for pos, j in enumerate(piv[rank:]):
        c = coef[:, pos]
        used = np.abs(c) > 1e-8 * max(1.0, float(np.max(np.abs(c))))
        out[names[int(live[j])]] = [names[int(live[piv[i]])] for i in np.flatnonzero(used)]
    return out


def require_full_rank(X: FloatArray, names: Sequence[str], what: str) -> None:
    """Raise :class:`RankDeficientError` naming the collinear columns when ``X`` is not of full
    column rank.

    Parameters
    ----------
    X : array (n, k)
    names : the k column names.
    what : what the matrix is, for the message (e.g. "the ITS design").
    """
    n, k = np.shape(X)
    if n < k:
        raise RankDeficientError(
            f"{what} has {n} rows for {k} columns: the coefficients are not identified", {}
        )
    deps = collinear_columns(X, names)
    if not deps:
        return
    parts = []
    for col, others in deps.items():
        if others:
            parts.append(f"{col!r} is collinear with {', '.join(map(repr, others))}")
        else:
            parts.append(f"{col!r} is zero in every fitted row")
    raise RankDeficientError(
        f"{what} is rank deficient: " + "; ".join(parts) + ". Remove or redefine these terms.",
        deps,
    )
