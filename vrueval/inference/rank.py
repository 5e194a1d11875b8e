"""Rank of a design matrix, with the collinear columns named.

One rule for every design: a column whose pivoted-QR diagonal falls below ``RANK_TOL`` times the
largest (after scaling every column to unit length) is linearly dependent on the columns pivoted
before it. The error names each dependent column and the columns it is a combination of, so the
user can see which terms to drop (e.g. a lockdown indicator covering the whole post-period, or an
interruption with no observed period after it). Nothing is solved by a pseudo-inverse.

Columns from which fixed effects have been absorbed (``M x``) are judged against their length
*before* absorption (``before``): the rank of ``[effects | X]`` with every column at unit length.
A column the effects absorb entirely keeps only rounding noise after absorption; scaled to unit
length on its own it would look like a valid regressor, so a column with
``||M x|| <= RANK_TOL * ||x||`` is named as absorbed by the effects (e.g. a treatment that every
unit receives at the same time is the period effects).

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


def collinear_columns(
    X: FloatArray,
    names: Sequence[str],
    *,
    before: FloatArray | None = None,
    effects: str = "the fixed effects",
) -> dict[str, list[str]]:
    """Each linearly dependent column of ``X`` and the columns it is a combination of.

    Empty when ``X`` has full column rank. Columns that are zero in every row depend on nothing
    (an empty list).

    Parameters
    ----------
    X : array (n, k)
    names : the k column names.
    before : array (n, k), optional
        The columns before fixed effects were absorbed from them (``X`` is then ``M before``).
        Each column is judged against its length here (see the module notes); a column absorbed
        by the effects maps to ``[effects]``.
    effects : how the absorbed effects are named.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(names):
        raise ValueError(f"{len(names)} names for a design with shape {X.shape}")
    norms = np.sqrt(np.sum(X * X, axis=0))
    if before is None:
        zero = norms == 0
        scale, absorbed = norms, np.zeros(len(norms), dtype=bool)
    else:
        scale = np.sqrt(np.sum(np.asarray(before, dtype=float) ** 2, axis=0))
        zero = scale == 0
        absorbed = ~zero & (norms <= RANK_TOL * np.where(zero, 1.0, scale))
    out: dict[str, list[str]] = {names[int(j)]: [] for j in np.flatnonzero(zero)}
    out |= {names[int(j)]: [effects] for j in np.flatnonzero(absorbed)}
    live = np.flatnonzero(~zero & ~absorbed)
    if len(live) <= 1:  # one live column is independent: its R diagonal is its own length
        return out
    Xs = X[:, live] / scale[live]
    _, r, piv = linalg.qr(Xs, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    # with ``before`` every column had unit length before absorption, as in [effects | X]
    rank = int(np.sum(diag > RANK_TOL * (diag[0] if before is None else 1.0)))
    if rank == len(live):
        return out
    # Dependent column j = R11^-1 R12 combination of the independent ones.
    coef = linalg.solve_triangular(r[:rank, :rank], r[:rank, rank:])
    for pos, j in enumerate(piv[rank:]):
        c = coef[:, pos]
        used = np.abs(c) > 1e-8 * max(1.0, float(np.max(np.abs(c))))
        out[names[int(live[j])]] = [names[int(live[piv[i]])] for i in np.flatnonzero(used)]
    return out


def require_full_rank(
    X: FloatArray,
    names: Sequence[str],
    what: str,
    *,
    before: FloatArray | None = None,
    effects: str = "the fixed effects",
) -> None:
    """Raise :class:`RankDeficientError` naming the collinear columns when ``X`` is not of full
    column rank.

    Parameters
    ----------
    X : array (n, k)
    names : the k column names.
    what : what the matrix is, for the message (e.g. "the ITS design").
    before, effects : for columns with fixed effects absorbed, as in :func:`collinear_columns`.
    """
    n, k = np.shape(X)
    if n < k:
        raise RankDeficientError(
            f"{what} has {n} rows for {k} columns: the coefficients are not identified", {}
        )
    deps = collinear_columns(X, names, before=before, effects=effects)
    if not deps:
        return
    parts = []
    for col, others in deps.items():
        if others == [effects] and before is not None:
            parts.append(f"{col!r} is absorbed by {effects}")
        elif others:
            parts.append(f"{col!r} is collinear with {', '.join(map(repr, others))}")
        else:
            parts.append(f"{col!r} is zero in every fitted row")
    raise RankDeficientError(
        f"{what} is rank deficient: " + "; ".join(parts) + ". Remove or redefine these terms.",
        deps,
    )
