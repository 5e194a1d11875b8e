"""Randomization inference that re-assigns a unit-level treatment across units, vectorised.

Estimand and test: under the sharp null that treatment changed no unit's outcome by more than a
constant ``tau``, any permutation of the unit-level assignment (which units are treated, or which
unit gets which intensity) was as likely as the observed one, so the least-squares estimate
computed on ``y - tau * D`` under every re-assignment gives the null distribution.

Why it is fast: the treatment regressor is ``D_it = T_i * post_t``, linear in the assignment
vector ``T``. With ``Q`` the absorbed columns of every unit's post-period indicator, the estimate
for any assignment is ``q'T / T'GT`` with ``q = Q'y`` and ``G = Q'Q``: R x N^2 work for R
re-assignments, and the null ``tau`` only shifts ``q`` (``q - tau G T_obs``), so inverting the
test for a confidence interval is cheap too.

References
----------
Fisher, R. A. (1935). *The Design of Experiments*. Oliver and Boyd.
MacKinnon, J. G. and Webb, M. D. (2020). Randomization inference for difference-in-differences
with few treated clusters. *Journal of Econometrics* 218(2), 435-450.
Imbens, G. W. and Rubin, D. B. (2015). *Causal Inference*, ch. 5. Cambridge University Press.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FloatArray = np.ndarray


@dataclass(frozen=True)
class RandomizationResult:
    """Two-sided randomization p-value, its test-inversion interval, and how it was computed."""

    estimate: float
    p_value: float
    conf_low: float
    conf_high: float
    assignments: int
    exact: bool
    null: float


def assignments(
    observed: FloatArray, permutations: int, rng: np.random.Generator
) -> tuple[FloatArray, bool]:
    """Re-assignments of ``observed`` across units: all of them when few, sampled otherwise.

    A binary assignment with ``C(N, N1) <= permutations`` is enumerated exactly (the observed one
    included); otherwise ``permutations`` uniformly random permutations of the vector are drawn
    and the observed assignment is added as the first row.
    """
    obs = np.asarray(observed, dtype=float)
    values = np.unique(obs)
    n = len(obs)
    if len(values) == 2 and set(values) <= {0.0, 1.0}:
        n1 = int(obs.sum())
        if math.comb(n, n1) <= permutations:
            combos = np.zeros((math.comb(n, n1), n))
            for i, idx in enumerate(itertools.combinations(range(n), n1)):
                combos[i, list(idx)] = 1.0
            return combos, True
    order = np.argsort(rng.random((permutations, n)), axis=1)
    return np.vstack([obs, obs[order]]), False


def permutation_test(
    q: FloatArray,
    gram: FloatArray,
    observed: FloatArray,
    *,
    permutations: int = 5000,
    seed: int | None = None,
    level: float = 0.95,
    null: float = 0.0,
    conf_int: bool = True,
) -> RandomizationResult:
    """Randomization test of ``tau = null`` for a TWFE treatment coefficient.

    Parameters
    ----------
    q : array (N,)
        ``Q'y``: each unit's absorbed post-period column against the absorbed outcome.
    gram : array (N, N)
        ``Q'Q``.
    observed : array (N,)
        The observed unit-level assignment (0/1, or intensities).
    """
    if permutations < 99:
        raise ValueError(f"permutations must be at least 99, got {permutations}")
    obs = np.asarray(observed, dtype=float)
    rng = np.random.default_rng(seed)
    assign, exact = assignments(obs, permutations, rng)
    den = np.einsum("rn,rn->r", assign @ gram, assign)
    valid = den > 1e-12 * float(obs @ gram @ obs)  # assignments that leave D identified
    assign, den = assign[valid], den[valid]
    num0 = assign @ q
    num1 = assign @ (gram @ obs)
    estimate = float(q @ obs / (obs @ gram @ obs))

    def p_value(tau: float) -> float:
        stat = (num0 - tau * num1) / den
        hits = np.abs(stat) >= abs(estimate - tau) * (1 - 1e-10) - 1e-14
        if exact:
            return float(np.mean(hits))
        # the observed assignment is row 0 and always counts
        return float((np.sum(hits[1:]) + 1) / len(hits))

    p = p_value(null)
    low = high = np.nan
    if conf_int:
        low, high = _invert(p_value, estimate, float(np.std(num0 / den)), 1 - level)
    return RandomizationResult(estimate, p, low, high, len(assign), exact, null)


def _invert(
    p_value: Callable[[float], float], estimate: float, scale: float, alpha: float
) -> tuple[float, float]:
    """Where the randomization p-value crosses alpha on each side of the estimate."""
    scale = scale if scale > 0 else max(abs(estimate), 1.0)
    out = []
    for sign in (-1.0, 1.0):
        inner, step = estimate, 2 * scale
        outer = estimate + sign * step
        tries = 0
        while p_value(outer) >= alpha:
            inner, step = outer, 2 * step
            outer = estimate + sign * step
            tries += 1
            if tries > 40:
                return -np.inf, np.inf
        for _ in range(60):
            mid = (inner + outer) / 2
            if p_value(mid) < alpha:
                outer = mid
            else:
                inner = mid
            if abs(outer - inner) < 1e-7 * scale:
                break
        out.append((inner + outer) / 2)
    return out[0], out[1]
