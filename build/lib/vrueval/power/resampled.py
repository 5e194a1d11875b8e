"""Power of resampling tests of a DiD: wild cluster bootstrap and randomization inference.

:class:`vrueval.DiD` can test its ATT with the wild cluster restricted (WCR) bootstrap or by
randomization inference (RI) instead of the CR1 t reference; with few or unequal clusters these
are the honest choices, and power should be simulated for the test that will be run. A naive
simulation nests a resampling loop (B bootstrap draws or R re-assignments) inside the
simulation loop and refits the model B x S times per effect size. Here neither loop refits.

With one common start and a balanced panel, the TWFE and 2x2 estimates are differences between
the treated and comparator means of per-unit contrasts ``c_i = sum_t a_t y_it``
(:mod:`vrueval.power.kernels`), and a planted multiplicative effect ``delta`` moves each treated
contrast by ``delta v_i``. Then:

* **WCR bootstrap.** The model restricted to ``ATT = 0`` fits every unit's contrast by the pool
  mean ``cbar``, so a bootstrap sample with cluster weights ``w`` has contrasts
  ``cbar + w_i (c_i - cbar)``; its estimate and CR1 variance are sums over the treated and the
  comparator units of ``w_i d_i`` and ``w_i^2 d_i^2`` with ``d = c - cbar``. Those sums are
  polynomials in ``delta`` whose coefficients are a few (B x N) @ (N x S) products, computed
  once; each effect size then costs O(B S).
* **Randomization inference.** Every re-assignment of the treated labels among a draw's units
  gives the estimate (and its CR1 t) from sums of ``c`` and ``c^2`` over the re-assigned treated
  set: again products of an (R x m) assignment matrix with the draws' contrasts, linear and
  quadratic in ``delta``.

* **Multiplier bootstrap** (:class:`vrueval.StaggeredDiD`'s ``inference="bootstrap"``). The
  overall ATT's influence function is linear in the outcomes, so each bootstrap draw's deviation
  ``v_b' psi / sqrt(n)`` is ``dev0 + delta dev1``: one (B x n) @ (n x 2S) product. The standard
  error is an interquartile range, not polynomial in ``delta``: it is taken for each evaluated
  effect, over all draws at once (:func:`multiplier_bootstrap`).

The bootstrap weights and re-assignments are drawn once and shared by every simulated dataset
and effect size (common random numbers), so the power curve is smooth in ``delta``.

Decision rules, as :class:`vrueval.DiD` reports them: the WCR p-value is the share of bootstrap
``|t*|`` at least ``|t|`` and the test rejects when it is below ``1 - level``; the RI p-value
counts the observed assignment, ``(1 + #{|s_r| >= |s|}) / (R + 1)``, and rejects when it is at
most ``1 - level`` (exact size when ``(R + 1)(1 - level)`` is an integer).

References
----------
Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. *Review of Economics and Statistics* 90(3), 414-427.
MacKinnon, J. G. and Webb, M. D. (2020). Randomization inference for difference-in-differences
with few treated clusters. *Journal of Econometrics* 218(2), 435-450.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal, cast

import numpy as np
from scipy import stats

from vrueval.inference.multiplier_bootstrap import MultiplierWeights, deviations
from vrueval.inference.randomization import assignments
from vrueval.inference.wild_bootstrap import BootWeights, draw_weights
from vrueval.power.kernels import Planted, per_effect

FloatArray = np.ndarray
Statistic = Literal["t", "coefficient"]
_TOL = 1e-12  # ties: |s*| >= |s| up to rounding, as the designs' own p-values
# as vrueval.inference.multiplier_bootstrap: the normal's interquartile range, and the spread
# below which a bootstrap standard error is reported as degenerate (NaN)
_IQR_NORMAL = float(stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
_DEGENERATE = float(np.sqrt(np.finfo(float).eps) * 10)


@dataclass(frozen=True)
class Resampled(Planted):
    """A :class:`Planted` statistic whose test is decided by resampling, not a critical value.

    ``p_values(delta)`` gives each draw's p-value; ``rejects`` compares it with ``1 - level``.
    The per-draw critical value is undefined (NaN).
    """

    # each evaluation costs O(resamples x draws): the MDE search scans a coarser grid first
    # and bisects to 1e-4 (see :meth:`vrueval.power.search.Search.crossing`)
    search_stride = 10
    search_tolerance = 1e-4

    kind: str = field(default="")
    # each resample's estimate E0 + delta E1 and variance V0 + delta V1 + delta^2 V2, (R, S)
    poly: dict[str, FloatArray] = field(default_factory=dict)
    statistic_kind: str = "t"

    @property
    def resamples(self) -> int:
        return int(self.poly["E0"].shape[0])

    def critical(self, level: float) -> FloatArray:
        return np.full(self.n_draws, np.nan)

    def rejects(
        self, delta: float | FloatArray, level: float, critical: FloatArray | None = None
    ) -> FloatArray:
        """Boolean rejections (``(len(delta), S)`` or ``(S,)``) at ``level``."""
        p = self.p_values(delta)
        alpha = 1 - level
        if self.kind == "randomization":
            return p <= alpha * (1 + 1e-12)
        return p < alpha

    def p_values(self, delta: float | FloatArray) -> FloatArray:
        """Each draw's p-value with ``delta`` planted (``(len(delta), S)`` or ``(S,)``)."""
        return per_effect(self._p_value, delta)

    def _p_value(self, delta: float) -> FloatArray:
        # |E/sqrt(V)| >= |t| compared as E^2 >= t^2 V: no square roots or divisions
        q = self.poly
        est = q["E1"] * delta
        est += q["E0"]
        np.square(est, out=est)
        if self.statistic_kind == "coefficient":
            scale = np.ones_like(est)
        else:
            scale = q["V2"] * delta
            scale += q["V1"]
            scale *= delta
            scale += q["V0"]
            np.maximum(scale, 0.0, out=scale)
        if self.kind == "randomization":
            # row 0 is the observed assignment, which always counts: est_r^2 V_0 >= est_0^2 V_r
            hits = est[1:] * scale[0] >= (est[0] * (1 - _TOL) ** 2) * scale[1:]
            return (1.0 + hits.sum(axis=0)) / self.resamples
        with np.errstate(invalid="ignore", divide="ignore"):
            observed = self.statistic(delta) ** 2 * (1 - _TOL) ** 2
        scale *= observed
        return (est >= scale).sum(axis=0) / self.resamples

    def select(self, keep: np.ndarray) -> Resampled:
        base = {f.name: getattr(self, f.name)[keep] for f in fields(Planted)}
        return Resampled(
            **base,
            kind=self.kind,
            poly={k: v[:, keep] for k, v in self.poly.items()},
            statistic_kind=self.statistic_kind,
        )


def _expand(
    weights: FloatArray, squares: FloatArray, d0: FloatArray, d1: FloatArray, mask: FloatArray
) -> dict[str, FloatArray]:
    """Sums over the units in ``mask`` of w d and w^2 d^2 as polynomials in delta (R x S)."""
    m0, m1 = mask * d0, mask * d1
    return {
        "0": weights @ m0.T,
        "1": weights @ m1.T,
        "s0": squares @ (m0 * d0).T,
        "s1": squares @ (2 * m0 * d1).T,
        "s2": squares @ (m1 * d1).T,
    }


def _pack(treated: dict[str, FloatArray], control: dict[str, FloatArray]) -> dict[str, FloatArray]:
    return {
        "t0": treated["0"],
        "t1": treated["1"],
        "tt0": treated["s0"],
        "tt1": treated["s1"],
        "tt2": treated["s2"],
        "c0": control["0"],
        "c1": control["1"],
        "cc0": control["s0"],
        "cc1": control["s1"],
        "cc2": control["s2"],
    }


def wild_cluster(
    observed: Planted,
    C: FloatArray,
    V: FloatArray,
    treated: np.ndarray,
    control: np.ndarray,
    factor: FloatArray,
    weights: FloatArray,
) -> Resampled:
    """WCR bootstrap test of ``ATT = 0`` for every draw, from the per-unit contrasts.

    Parameters
    ----------
    observed : Planted
        The draws' CR1 statistic (:func:`vrueval.power.kernels.contrast_difference`).
    C, V : (S, N) arrays
        Contrasts without effect, and their change per unit of planted effect (treated only).
    treated, control : (S, N) boolean arrays
        Each draw's treated and comparator units.
    factor : (S,) array
        The CR1 factor of the observed statistic (bootstrap t uses the same).
    weights : (B, N) array
        Bootstrap weights, one column per unit of the pool (cluster = unit).
    """
    t = treated.astype(float)
    k = control.astype(float)
    pool = t + k
    m = pool.sum(axis=1, keepdims=True)
    c1 = V * t
    d0 = pool * (C - (pool * C).sum(axis=1, keepdims=True) / m)
    d1 = pool * (c1 - (pool * c1).sum(axis=1, keepdims=True) / m)
    squares = weights**2
    sums = _pack(_expand(weights, squares, d0, d1, t), _expand(weights, squares, d0, d1, k))
    return _resampled(observed, "wild", sums, t, k, factor, "t")


def randomization(
    observed: Planted,
    C: FloatArray,
    V: FloatArray,
    treated: np.ndarray,
    control: np.ndarray,
    assignments: FloatArray,
    statistic: Statistic = "t",
) -> Resampled:
    """Randomization test of no effect for every draw: the treated labels re-assigned among the
    draw's treated and comparator units.

    ``assignments`` is an (R, m) 0/1 matrix over a draw's m = n_T + n_C units in a fixed order
    (the draw's treated units first, then its comparators), each row with n_T ones and row 0
    the observed assignment, as :func:`vrueval.inference.randomization.assignments` returns
    them; the same re-assignments serve every draw (all draws must have the same n_T and n_C).
    ``statistic`` "t" compares the CR1 t (studentised), "coefficient" the estimate.
    """
    t = treated.astype(float)
    n_t = t.sum(axis=1)
    n_c = control.sum(axis=1)
    if np.ptp(n_t) > 0 or np.ptp(n_c) > 0:
        raise ValueError("randomization power needs the same numbers treated and compared")
    units = np.where(control, 1, 0) + 2 * treated  # 2 treated, 1 control, 0 out
    order = np.argsort(-units, axis=1, kind="stable")[:, : int(n_t[0] + n_c[0])]
    c0 = np.take_along_axis(C, order, axis=1)
    c1 = np.take_along_axis(V * t, order, axis=1)
    a = np.asarray(assignments, dtype=float)
    rest = 1.0 - a
    ones = np.ones_like(c0)
    sums = _pack(_expand(a, a, c0, c1, ones), _expand(rest, rest, c0, c1, ones))
    factor = np.ones(len(n_t))  # a common factor cancels between observed and re-assigned t
    return _resampled(observed, "randomization", sums, t, control.astype(float), factor, statistic)


def _resampled(
    observed: Planted,
    kind: str,
    sums: dict[str, FloatArray],
    t: FloatArray,
    k: FloatArray,
    factor: FloatArray,
    statistic: str,
) -> Resampled:
    """Turn the treated and comparator sums into each resample's estimate and CR1 variance."""
    nt, nc, f = t.sum(axis=1), k.sum(axis=1), np.asarray(factor, dtype=float)
    s = sums
    poly = {
        "E0": s["t0"] / nt - s["c0"] / nc,
        "E1": s["t1"] / nt - s["c1"] / nc,
        "V0": f * ((s["tt0"] - s["t0"] ** 2 / nt) / nt**2 + (s["cc0"] - s["c0"] ** 2 / nc) / nc**2),
        "V1": f
        * (
            (s["tt1"] - 2 * s["t0"] * s["t1"] / nt) / nt**2
            + (s["cc1"] - 2 * s["c0"] * s["c1"] / nc) / nc**2
        ),
        "V2": f * ((s["tt2"] - s["t1"] ** 2 / nt) / nt**2 + (s["cc2"] - s["c1"] ** 2 / nc) / nc**2),
    }
    base = {f.name: getattr(observed, f.name) for f in fields(Planted)}
    return Resampled(**base, kind=kind, poly=poly, statistic_kind=statistic)


def for_did(
    inference: str,
    observed: Planted,
    C: FloatArray,
    V: FloatArray,
    treated: np.ndarray,
    control: np.ndarray,
    factor: FloatArray,
    *,
    draws: int,
    boot_weights: str,
    permutations: int,
    rng: np.random.Generator,
    ri_statistic: str = "t",
) -> Resampled:
    """The DiD's ``inference`` ("wild" or "randomization") for every draw, resamples drawn once
    as :class:`vrueval.DiD` draws them (Rademacher sign patterns enumerated when few, every
    re-assignment when few)."""
    if inference == "wild":
        weights, _ = draw_weights(C.shape[1], draws, cast(BootWeights, boot_weights), rng)
        return wild_cluster(observed, C, V, treated, control, factor, weights)
    if inference == "randomization":
        n_t, n_c = int(treated[0].sum()), int(control[0].sum())
        observed_assignment = np.r_[np.ones(n_t), np.zeros(n_c)]
        matrix, _ = assignments(observed_assignment, permutations, rng)
        if ri_statistic not in ("t", "coefficient"):
            raise ValueError(f"ri_statistic must be 't' or 'coefficient', got {ri_statistic!r}")
        return randomization(
            observed, C, V, treated, control, matrix, cast(Statistic, ri_statistic)
        )
    raise ValueError(f"inference must be 'wild' or 'randomization', got {inference!r}")


# -- multiplier bootstrap of an influence function (Callaway & Sant'Anna) -------------------------
@dataclass(frozen=True)
class MultiplierBootstrapped(Planted):
    """A :class:`Planted` estimate tested with its multiplier-bootstrap standard error.

    :class:`vrueval.StaggeredDiD` with ``inference="bootstrap"`` perturbs the influence function
    ``psi`` of its overall ATT by ``B`` multiplier vectors, takes the standard error from the
    interquartile range of the deviations ``v_b' psi / sqrt(n)`` (over that of the normal,
    divided by ``sqrt(n)``) and tests with the normal quantile. ``psi`` is linear in the planted
    effect, so each draw's deviations are ``dev0 + delta * dev1`` (``(B, S)`` arrays, computed
    once); the quantiles are not polynomial in ``delta`` and are taken for each evaluated effect,
    vectorised over the draws. Estimates and the analytic variance polynomial are inherited.
    """

    # each evaluation takes two quantiles of a (B, S) array: the MDE search scans a coarser
    # grid first and bisects to 1e-4 (see :meth:`vrueval.power.search.Search.crossing`)
    search_stride = 10
    search_tolerance = 1e-4

    dev0: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    dev1: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    n_units: FloatArray = field(default_factory=lambda: np.zeros(0))  # n of each draw's fit

    @property
    def resamples(self) -> int:
        return int(self.dev0.shape[0])

    def std_error(self, delta: float | FloatArray) -> FloatArray:
        """Bootstrap standard errors (``(len(delta), S)`` or ``(S,)``); NaN when degenerate."""
        return per_effect(self._std_error, delta)

    def _std_error(self, delta: float) -> FloatArray:
        dev = self.dev1 * delta
        dev += self.dev0
        q25, q75 = np.quantile(dev, [0.25, 0.75], axis=0, method="inverted_cdf")
        sigma = (q75 - q25) / _IQR_NORMAL
        ok = np.isfinite(sigma) & (sigma > _DEGENERATE)
        return np.where(ok, sigma / np.sqrt(self.n_units), np.nan)

    def select(self, keep: np.ndarray) -> MultiplierBootstrapped:
        base = {f.name: getattr(self, f.name)[keep] for f in fields(Planted)}
        return MultiplierBootstrapped(
            **base, dev0=self.dev0[:, keep], dev1=self.dev1[:, keep], n_units=self.n_units[keep]
        )


def multiplier_bootstrap(
    observed: Planted,
    psi0: FloatArray,
    psi1: FloatArray,
    analysed: np.ndarray,
    *,
    draws: int,
    weights: MultiplierWeights,
    seed: int,
) -> MultiplierBootstrapped:
    """Multiplier-bootstrap test of ``observed`` for every draw, from its influence functions.

    Parameters
    ----------
    observed : Planted
        The draws' estimates (and analytic variances, kept for reference).
    psi0, psi1 : (S, N) arrays
        Each pool unit's influence function of the estimate divided by ``n`` (so that the
        analytic variance is ``sum_i psi_i^2``) without effect, and its change per unit of
        planted effect; zero for units out of the draw.
    analysed : (S, N) boolean array
        The units each draw's analysis holds (its treated and comparison units); every draw
        must hold the same number ``n``.
    draws, weights, seed :
        As :meth:`vrueval.StaggeredDiD.fit`: the multipliers are drawn from
        ``numpy.random.default_rng(seed)`` for the ``n`` analysed units in pool order, exactly
        as the fit draws them for a panel of those units, and shared by every draw (common
        random numbers).
    """
    counts = analysed.sum(axis=1)
    if np.ptp(counts) > 0:
        raise ValueError("the multiplier bootstrap power needs the same number of units per draw")
    n = int(counts[0])
    # each draw's analysed units in pool order take the multiplier columns 0..n-1
    order = np.argsort(~analysed, axis=1, kind="stable")[:, :n]
    s = psi0.shape[0]
    inf = np.concatenate(
        [np.take_along_axis(psi0, order, axis=1), np.take_along_axis(psi1, order, axis=1)]
    ).T * float(n)  # the design's scale: psi_i = n * (influence / n)
    dev = deviations(inf, draws, weights, np.random.default_rng(seed))
    base = {f.name: getattr(observed, f.name) for f in fields(Planted)}
    return MultiplierBootstrapped(
        **base, dev0=dev[:, :s], dev1=dev[:, s:], n_units=np.full(s, float(n))
    )
