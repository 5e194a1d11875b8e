"""The restriction sets on the bias ``delta`` as polyhedra ``A delta <= d``.

``delta`` holds the violations of parallel trends at the pre- and post-period event times, the
reference period (normalised to 0) left out, in the order of ``beta``. Rows are written on the
full vector with the reference period in it, then its column is dropped.

- Smoothness ``Delta^SD(M)``: every second difference of ``delta`` (through the reference
  period) lies in ``[-M, M]``; ``M = 0`` is a linear trend (Rambachan & Roth 2023, eq. 2.6).
- Relative magnitudes ``Delta^RM(Mbar)``: every post-period first difference is at most
  ``Mbar`` times the largest pre-period first difference in absolute value (eq. 2.5). It is a
  union of polyhedra, one for each pre-period difference ``s`` that is the largest and each
  sign it has; :func:`relative_magnitudes` returns one piece.
- Sign (``bias="positive"``: every post-period ``delta >= 0``) and monotonicity
  (``monotone="increasing"``: ``delta`` non-decreasing through all periods) intersect either.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Bias = Literal["positive", "negative"]
Monotone = Literal["increasing", "decreasing"]


def _first_differences(n_pre: int, n_post: int) -> np.ndarray:
    """Rows ``delta_{t+1} - delta_t`` over the full vector (reference period included)."""
    n = n_pre + n_post
    out = np.zeros((n, n + 1))
    for r in range(n):
        out[r, r], out[r, r + 1] = -1.0, 1.0
    return out


def _drop_reference(a: np.ndarray, n_pre: int) -> np.ndarray:
    return np.delete(a, n_pre, axis=1)


def smoothness(n_pre: int, n_post: int, m: float) -> tuple[np.ndarray, np.ndarray]:
    """``Delta^SD(M)``: ``|delta_{t+1} - 2 delta_t + delta_{t-1}| <= M`` for every interior t."""
    n = n_pre + n_post
    second = np.zeros((n - 1, n + 1))
    for r in range(n - 1):
        second[r, r : r + 3] = (1.0, -2.0, 1.0)
    a = _drop_reference(np.vstack([second, -second]), n_pre)
    return a, np.full(a.shape[0], float(m))


def relative_magnitudes(
    n_pre: int, n_post: int, mbar: float, s: int, positive: bool
) -> tuple[np.ndarray, np.ndarray]:
    """One piece of ``Delta^RM(Mbar)``: the pre-period difference ending at event time ``s``
    (``s`` in ``-n_pre+1 .. 0``; ``s = 0`` is ``delta_0 - delta_{-1}``) is the largest in
    absolute value, with sign + (``positive``) or -, and bounds the post-period differences
    by ``Mbar`` times itself."""
    if not -n_pre + 1 <= s <= 0:
        raise ValueError(f"s must be in {-n_pre + 1}..0, got {s}")
    diff = _first_differences(n_pre, n_post)
    largest = np.zeros(n_pre + n_post + 1)
    largest[n_pre + s - 1], largest[n_pre + s] = -1.0, 1.0
    if not positive:
        largest = -largest
    bound = np.vstack([np.tile(largest, (n_pre, 1)), np.tile(mbar * largest, (n_post, 1))])
    a = np.vstack([diff - bound, -diff - bound])
    a = a[np.einsum("ij,ij->i", a, a) > 1e-20]  # the piece's own row s against itself
    a = _drop_reference(a, n_pre)
    return a, np.zeros(a.shape[0])


def sign(n_pre: int, n_post: int, bias: Bias) -> tuple[np.ndarray, np.ndarray]:
    """Post-period bias of one sign: ``delta_post >= 0`` ("positive") or ``<= 0``."""
    a = np.hstack([np.zeros((n_post, n_pre)), np.eye(n_post)])
    a = -a if bias == "positive" else a
    return a, np.zeros(n_post)


def monotone(n_pre: int, n_post: int, direction: Monotone) -> tuple[np.ndarray, np.ndarray]:
    """``delta`` monotone through every period, the reference period included."""
    a = -_first_differences(n_pre, n_post)
    a = a if direction == "increasing" else -a
    a = _drop_reference(a, n_pre)
    return a, np.zeros(a.shape[0])


def intersect(*pieces: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The intersection of polyhedra: their rows stacked."""
    return np.vstack([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])


def post_rows(a: np.ndarray, n_pre: int) -> np.ndarray:
    """Rows that involve a post-period ``delta``. The others bind the pre-period violations
    only, which the data pin down (``delta_pre = beta_pre``): they say nothing about the
    target, and the package's default (``postPeriodMomentsOnly``) leaves them out of the test."""
    return np.flatnonzero(np.any(a[:, n_pre:] != 0, axis=1))
