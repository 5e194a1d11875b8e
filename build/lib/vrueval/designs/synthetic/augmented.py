"""Ridge-augmented synthetic control (Ben-Michael, Feller and Rothstein 2021). Arrays only.

The synthetic control weights ``w`` (on the simplex, matching the pre-period outcomes) leave
an imbalance ``z1 - Z0' w``. A ridge regression of the donors' outcomes on their pre-period
outcomes estimates the bias that imbalance causes, and correcting the estimate by it is the
same as moving the weights to

    w_aug = w + Zc (Zc' Zc + lambda I)^{-1} (z1c - Zc' w),

``Zc`` the donors' pre-period outcomes centred on the donor mean of each period (so the
correction sums to zero and ``w_aug`` to one; it may be negative: the ridge extrapolates
beyond the donors' hull, by as much as ``lambda`` allows).

The penalty is chosen by the paper's cross-validation rule (as the authors' R package
``augsynth`` applies it): each pre-period but the last is held out in turn, the synthetic
control refitted on the others, and the squared error of the augmented weights predicting the
held-out period recorded for each ``lambda`` on a grid of 21 values from the largest squared
singular value of ``Zc`` down by a factor 1e-8 (evenly on the log scale). The chosen
``lambda`` is the largest whose mean error is within one standard error (over the held-out
periods) of the smallest mean error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: The grid of the cross-validation: 21 values over eight orders of magnitude.
GRID_SIZE = 20
GRID_RATIO = 1e-8

Weights = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class RidgeCV:
    """The cross-validation: each ``lambda`` with its mean held-out squared error and that
    mean's standard error, and the value chosen."""

    lambdas: np.ndarray
    errors: np.ndarray
    std_errors: np.ndarray
    chosen: float


def centred(z0: np.ndarray, z1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Donors (donors x periods) and the treated unit minus the donor mean of each period."""
    mean = z0.mean(axis=0)
    return z0 - mean, z1 - mean


def lambda_grid(zc: np.ndarray) -> np.ndarray:
    """The penalties tried, largest first: ``s_max^2 * GRID_RATIO^(k / GRID_SIZE)``."""
    top = float(np.linalg.svd(zc, compute_uv=False)[0]) ** 2
    return top * GRID_RATIO ** (np.arange(GRID_SIZE + 1) / GRID_SIZE)


def correction(zc: np.ndarray, z1c: np.ndarray, w: np.ndarray, lam: float) -> np.ndarray:
    """``Zc (Zc' Zc + lam I)^{-1} (z1c - Zc' w)``, the ridge move of the weights."""
    return _corrections(zc, z1c - w @ zc, np.array([lam]))[0]


def _corrections(zc: np.ndarray, residual: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """The correction for each penalty at once (one row a penalty), through the SVD
    ``Zc = U S V'``: ``U diag(s / (s^2 + lam)) V' r``."""
    u, s, vt = np.linalg.svd(zc, full_matrices=False)
    proj = vt @ residual
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(s > 0, s / (s**2 + lambdas[:, None]), 0.0)
    return (shrink * proj) @ u.T


def cross_validate(z0: np.ndarray, z1: np.ndarray, weights: Weights) -> RidgeCV:
    """The paper's leave-one-period-out rule; ``weights(a, b)`` refits synthetic control
    (``a`` periods x donors) on the periods kept."""
    zc, z1c = centred(z0, z1)
    lambdas = lambda_grid(zc)
    t0 = zc.shape[1]
    if t0 < 3:
        raise ValueError(
            f"the ridge penalty's cross-validation holds out pre-periods one at a time: it "
            f"needs at least 3, got {t0}; give ridge= instead"
        )
    errors = np.empty((t0 - 1, len(lambdas)))
    for i in range(t0 - 1):
        keep = np.arange(t0) != i
        a, b = zc[:, keep], z1c[keep]
        w = weights(a.T, b)
        moved = w + _corrections(a, b - w @ a, lambdas)
        errors[i] = (z1c[i] - moved @ zc[:, i]) ** 2
    mean = errors.mean(axis=0)
    se = errors.std(axis=0, ddof=1) / np.sqrt(t0 - 1)
    best = int(np.argmin(mean))
    chosen = float(lambdas[mean <= mean[best] + se[best]].max())
    return RidgeCV(lambdas, mean, se, chosen)


def augment(
    z0: np.ndarray, z1: np.ndarray, w: np.ndarray, ridge: float | None, weights: Weights
) -> tuple[np.ndarray, float, RidgeCV | None]:
    """The augmented weights of synthetic control weights ``w``, with ``ridge`` or (None)
    the penalty the cross-validation chooses; returns them, the penalty and the CV."""
    cv = None
    if ridge is None:
        cv = cross_validate(z0, z1, weights)
        ridge = cv.chosen
    zc, z1c = centred(z0, z1)
    return w + correction(zc, z1c, w, ridge), float(ridge), cv
