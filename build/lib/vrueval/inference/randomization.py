"""Randomization inference that re-assigns a unit-level treatment across units, vectorised.

Estimand and test: under the sharp null that treatment changed no unit's outcome by more than a
constant ``tau``, any permutation of the unit-level assignment (which units are treated, or which
unit gets which intensity) was as likely as the observed one, so a statistic computed on
``y - tau * D`` under every re-assignment gives its null distribution. Two statistics:

* ``"t"`` (studentised, the design default): the least-squares estimate divided by its
  cluster-robust (CR1) standard error, both recomputed under each re-assignment. When the treated
  units are noisier than the comparators the coefficient's spread depends on *which* units are
  treated, so the coefficient's permutation distribution is too narrow for the observed one;
  the t statistic is asymptotically pivotal and keeps the test's size far better (Canay, Romano
  and Shaikh 2017; Young 2019). With very few treated clusters neither is exact under
  heteroskedasticity (MacKinnon and Webb 2020).
* ``"coefficient"``: the estimate itself (Fisher's original, unstudentised test).

Why it is fast: the treatment regressor is ``D_it = T_i * post_t``, linear in the assignment
vector ``T``. With ``Q`` the absorbed columns of every unit's post-period indicator, the estimate
for any assignment is ``q'T / T'GT`` with ``q = Q'y`` and ``G = Q'Q``: R x N^2 work for R
re-assignments, and the null ``tau`` only shifts ``q`` (``q - tau G T_obs``), so inverting the
test for a confidence interval is cheap too. The CR1 score of cluster ``g`` is likewise
``T'q_g - beta T'G_g T`` with ``q_g = Q_g'y_g`` and ``G_g = Q_g'Q_g``, linear in ``tau``, so the
studentised statistic under every re-assignment and every ``tau`` costs R x G x N^2 once and
R x G per ``tau``.

References
----------
Fisher, R. A. (1935). *The Design of Experiments*. Oliver and Boyd.
Canay, I. A., Romano, J. P. and Shaikh, A. M. (2017). Randomization tests under an approximate
symmetry assumption. *Econometrica* 85(3), 1013-1030.
MacKinnon, J. G. and Webb, M. D. (2020). Randomization inference for difference-in-differences
with few treated clusters. *Journal of Econometrics* 218(2), 435-450.
Young, A. (2019). Channeling Fisher: randomization tests and the statistical insignificance of
seemingly significant experimental results. *Quarterly Journal of Economics* 134(2), 557-598.
Imbens, G. W. and Rubin, D. B. (2015). *Causal Inference*, ch. 5. Cambridge University Press.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from vrueval.inference.cluster import cluster_codes
from vrueval.inference.draws import check_draws
from vrueval.options import choice

FloatArray = np.ndarray
Statistic = Literal["t", "coefficient"]
STATISTICS: tuple[str, ...] = get_args(Statistic)
_CHUNK = 1024  # re-assignments a block: bounds the G x N x chunk work array


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
    statistic: str = "coefficient"


@dataclass(frozen=True)
class ClusterBlocks:
    """Per-cluster pieces of ``q = Q'y`` and ``G = Q'Q``: ``q_g = Q_g'y_g`` and ``G_g = Q_g'Q_g``.

    ``y`` must be the absorbed outcome (the cluster sums of scores are not invariant to what is
    partialled out, the full sums are).
    """

    q: FloatArray  # n_clusters x N
    gram: FloatArray  # n_clusters x N x N

    @classmethod
    def from_columns(
        cls, columns: FloatArray, y: FloatArray, clusters: np.ndarray
    ) -> ClusterBlocks:
        """From the absorbed unit post-period columns ``Q`` (n x N) and absorbed outcome."""
        q_cols = np.asarray(columns, dtype=float)
        codes, g = cluster_codes(clusters)
        q = np.zeros((g, q_cols.shape[1]))
        gram = np.zeros((g, q_cols.shape[1], q_cols.shape[1]))
        for j in range(g):
            rows = codes == j
            q[j] = q_cols[rows].T @ np.asarray(y, dtype=float)[rows]
            gram[j] = q_cols[rows].T @ q_cols[rows]
        return cls(q, gram)


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
    statistic: Statistic = "coefficient",
    blocks: ClusterBlocks | None = None,
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
    statistic : {"coefficient", "t"}
        Compare the estimate, or its CR1 t (standard error recomputed under each re-assignment,
        clustered as ``blocks``). :class:`vrueval.DiD` uses "t" by default.
    blocks : ClusterBlocks
        The per-cluster pieces of ``q`` and ``gram``; needed for ``statistic="t"``.
    permutations : int
        Random re-assignments, checked by :func:`vrueval.inference.draws.check_draws` (at least
        ``ceil(2 / (1 - level)) - 1``); all of them are enumerated instead when there are no
        more than ``permutations``.
    """
    permutations = check_draws(permutations, level, "permutations")
    choice(statistic, STATISTICS, "statistic")
    if statistic == "t" and blocks is None:
        raise ValueError("the studentised statistic needs the cluster blocks of q and gram")
    obs = np.asarray(observed, dtype=float)
    rng = np.random.default_rng(seed)
    assign, exact = assignments(obs, permutations, rng)
    den = np.einsum("rn,rn->r", assign @ gram, assign)
    valid = den > 1e-12 * float(obs @ gram @ obs)  # assignments that leave D identified
    assign, den = assign[valid], den[valid]
    num0 = assign @ q
    num1 = assign @ (gram @ obs)
    estimate = float(q @ obs / (obs @ gram @ obs))
    if statistic == "t":
        assert blocks is not None
        sums = _score_sums(assign, num0, num1, den, obs, blocks)
        # the observed assignment's own score sums (in exact enumeration it is not row 0)
        obs_num = np.array([q @ obs])
        obs_den = np.array([obs @ gram @ obs])
        obs_sums = _score_sums(obs[None, :], obs_num, obs_den, obs_den, obs, blocks)

        def stats_at(tau: float) -> tuple[FloatArray, float]:
            return _t(num0, num1, sums, tau), float(_t(obs_num, obs_den, obs_sums, tau)[0])

    else:

        def stats_at(tau: float) -> tuple[FloatArray, float]:
            return (num0 - tau * num1) / den, estimate - tau

    def p_value(tau: float) -> float:
        stat, observed_stat = stats_at(tau)
        hits = np.abs(stat) >= abs(observed_stat) * (1 - 1e-10) - 1e-14
        if exact:
            return float(np.mean(hits))
        # the observed assignment is row 0 and always counts
        return float((np.sum(hits[1:]) + 1) / len(hits))

    p = p_value(null)
    low = high = np.nan
    if conf_int:
        low, high = _invert(p_value, estimate, float(np.std(num0 / den)), 1 - level)
    return RandomizationResult(estimate, p, low, high, len(assign), exact, null, statistic)


def _score_sums(
    assign: FloatArray,
    num0: FloatArray,
    num1: FloatArray,
    den: FloatArray,
    obs: FloatArray,
    blocks: ClusterBlocks,
) -> FloatArray:
    """``S00, S01, S11`` (3 x R): the CR1 meat ``sum_g (s0_g - tau s1_g)^2`` as a quadratic in
    ``tau``, for every re-assignment.

    Cluster ``g``'s score at null ``tau`` is ``T'(q_g - tau G_g T_obs) - beta(tau) T'G_g T`` with
    ``beta(tau) = (num0 - tau num1) / den``.
    """
    g, n = blocks.q.shape
    u = assign @ blocks.q.T  # R x G: T'q_g
    v = assign @ (blocks.gram @ obs).T  # R x G: T'G_g T_obs
    flat = blocks.gram.reshape(g * n, n)
    w = np.empty_like(u)  # R x G: T'G_g T
    for lo in range(0, len(assign), _CHUNK):
        a = assign[lo : lo + _CHUNK]
        gt = (flat @ a.T).reshape(g, n, len(a))  # G_g T for every g and re-assignment
        w[lo : lo + _CHUNK] = np.einsum("gnr,rn->rg", gt, a)
    s0 = u - (num0 / den)[:, None] * w
    s1 = v - (num1 / den)[:, None] * w
    return np.stack([np.sum(s0 * s0, axis=1), np.sum(s0 * s1, axis=1), np.sum(s1 * s1, axis=1)])


def _t(num0: FloatArray, num1: FloatArray, sums: FloatArray, tau: float) -> FloatArray:
    """The t statistic under each re-assignment at null ``tau``, up to the common CR1 factor:
    ``beta / se = num / sqrt(meat)`` (the bread ``1/den`` cancels)."""
    meat = np.maximum(sums[0] - 2 * tau * sums[1] + tau * tau * sums[2], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (num0 - tau * num1) / np.sqrt(meat)


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
