"""The event-time estimates a sensitivity analysis starts from, validated once.

Rambachan & Roth's analysis needs only the event-study coefficients ``beta`` (the pre-period
ones first, then the post-period ones, the reference period left out), their covariance
``sigma``, how many are pre-period, and the weights ``l`` that make the target
``theta = l' tau_post`` (one post period, or their average).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Relative tolerance on the smallest eigenvalue of ``sigma`` (a covariance estimated from
#: clusters is PSD up to rounding; anything more negative is not a covariance).
PSD_TOLERANCE = 1e-8


@dataclass(frozen=True)
class EventTimeEstimates:
    """Validated inputs: ``beta`` (pre then post), ``sigma``, ``n_pre``, ``l_vec`` (post weights)
    and the event times the coefficients belong to (pre negative, post non-negative)."""

    beta: np.ndarray
    sigma: np.ndarray
    n_pre: int
    l_vec: np.ndarray
    event_times: tuple[int, ...]

    @property
    def n_post(self) -> int:
        return len(self.beta) - self.n_pre

    @property
    def beta_post(self) -> np.ndarray:
        return self.beta[self.n_pre :]

    @property
    def theta_hat(self) -> float:
        """The target's estimate under parallel trends, ``l' beta_post``."""
        return float(self.l_vec @ self.beta_post)

    @property
    def theta_se(self) -> float:
        post = self.sigma[self.n_pre :, self.n_pre :]
        return float(np.sqrt(max(self.l_vec @ post @ self.l_vec, 0.0)))


def target_weights(target: str | int | Sequence[float], n_post: int) -> np.ndarray:
    """``l_vec`` from ``target``: "average" (mean of the post periods), an int ``k`` (event time
    ``k`` after the start: 0 is the first post period) or explicit weights."""
    if isinstance(target, str):
        if target != "average":
            raise ValueError(
                f"target must be 'average', a post event time (int) or weights, got {target!r}"
            )
        return np.full(n_post, 1.0 / n_post)
    if isinstance(target, int | np.integer) and not isinstance(target, bool):
        if not 0 <= int(target) < n_post:
            raise ValueError(f"target event time must be in 0..{n_post - 1}, got {target}")
        out = np.zeros(n_post)
        out[int(target)] = 1.0
        return out
    w = np.asarray(target, dtype=float)
    if w.shape != (n_post,) or not np.all(np.isfinite(w)) or not np.any(w != 0):
        raise ValueError(
            f"target weights must be {n_post} finite numbers, not all zero (one per post "
            f"period); got {target!r}"
        )
    return w


def check_estimates(
    beta: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    target: str | int | Sequence[float] = 0,
    *,
    min_pre: int = 1,
    event_times: Sequence[int] | None = None,
) -> EventTimeEstimates:
    """Validate the inputs of a sensitivity analysis; raise ValueError naming what is wrong.

    ``min_pre`` is the fewest pre-period coefficients the restriction needs (relative
    magnitudes and smoothness compare post-period violations with pre-period ones: 1).
    """
    for name, v in (("n_pre", n_pre), ("n_post", n_post)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ValueError(f"{name} must be an integer, got {v!r}")
    if n_pre < min_pre:
        raise ValueError(
            f"n_pre must be at least {min_pre}: the restriction bounds post-period violations "
            f"by pre-period ones, and there are {n_pre} pre-period coefficients"
        )
    if n_post < 1:
        raise ValueError(f"n_post must be at least 1, got {n_post}")
    b = np.asarray(beta, dtype=float)
    k = int(n_pre) + int(n_post)
    if b.ndim != 1 or len(b) != k:
        raise ValueError(
            f"beta must be a vector of n_pre + n_post = {k} coefficients, got shape {b.shape}"
        )
    if not np.all(np.isfinite(b)):
        raise ValueError(
            f"beta has non-finite entries at positions {np.flatnonzero(~np.isfinite(b)).tolist()}"
        )
    s = np.asarray(sigma, dtype=float)
    if s.shape != (k, k):
        raise ValueError(f"sigma must be {k} x {k} (one row per coefficient), got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("sigma has non-finite entries")
    scale = max(float(np.max(np.abs(np.diag(s)))), np.finfo(float).tiny)
    if not np.allclose(s, s.T, rtol=1e-7, atol=1e-10 * scale):
        worst = np.unravel_index(np.argmax(np.abs(s - s.T)), s.shape)
        raise ValueError(
            f"sigma is not symmetric (entry {tuple(int(i) for i in worst)} differs from its "
            "transpose)"
        )
    s = (s + s.T) / 2
    low = float(np.linalg.eigvalsh(s)[0])
    if low < -PSD_TOLERANCE * scale:
        raise ValueError(
            f"sigma is not positive semi-definite: its smallest eigenvalue is {low:.3g} "
            f"(largest variance {scale:.3g})"
        )
    if np.any(np.diag(s) <= 0):
        zero = np.flatnonzero(np.diag(s) <= 0).tolist()
        raise ValueError(
            f"sigma has zero variance at positions {zero}: drop the reference period (its "
            "coefficient is fixed at zero) before the analysis"
        )
    times = (
        tuple(range(-int(n_pre), 0)) + tuple(range(int(n_post)))
        if event_times is None
        else tuple(int(t) for t in event_times)
    )
    if len(times) != k:
        raise ValueError(f"event_times must have {k} entries, got {len(times)}")
    l_vec = target_weights(target, int(n_post))
    b, s = b.copy(), s.copy()
    for arr in (b, s, l_vec):
        arr.flags.writeable = False
    return EventTimeEstimates(b, s, int(n_pre), l_vec, times)
