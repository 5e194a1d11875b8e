"""Vectorised test statistics for power simulation: many simulated datasets, one design.

Power by simulation asks the same question thousands of times: would the test users run reject
on this dataset with this effect planted? Refitting the model from scratch each time wastes
almost all of the work, because the design matrix does not change between draws and a
multiplicative effect planted into the outcome enters the estimate linearly. Each kernel here
therefore returns a :class:`Planted` statistic, for every draw at once: the estimate
``e0 + delta * e1`` and its variance ``a + 2 b delta + c delta^2`` as functions of the planted
effect ``delta``, so a whole power curve, and the effect at which power reaches a target, cost a
few array operations.

Two kernels:

* :func:`ols_coefficient` - one coefficient of an OLS fit with a fixed design ``X`` and many
  outcome columns, with the classical or the HAC variance (Bartlett or EWC kernel, plain or
  fixed-b; scores summed by period for stacked series), as :class:`vrueval.ITS` computes them
  for ``model="ols"``.
* :func:`contrast_difference` - the two-way fixed-effects DiD, 2x2 DiD and event-study
  coefficients of a balanced panel with one common start, with the CR1 cluster-robust variance
  by unit, as :class:`vrueval.DiD` and :class:`vrueval.EventStudy` compute them. With common
  timing and a balanced panel each of these estimates is the difference between the treated and
  comparator means of a per-unit contrast ``c_i = sum_t a_t y_it`` (TWFE: the post-period mean
  minus the pre-period mean), and the unit-clustered sandwich reduces to
  ``factor * (SS_T / n_T^2 + SS_C / n_C^2)`` with ``SS`` the within-group sums of squared
  deviations of the contrasts (the two-sample form of the CR1 variance).
* :func:`group_time_mean` - the overall ATT of :class:`vrueval.StaggeredDiD` (Callaway and
  Sant'Anna) without covariates, ``"group"`` or ``"simple"`` aggregation, with its analytic
  influence-function variance. Each ATT(g,t) is a difference of treated and comparison means of
  the long differences ``y_t - y_{g-1}``, so the aggregate and its influence function are linear
  in the outcomes and the variance ``sum_i psi_i^2 / n^2`` is a quadratic form.

References
----------
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
autocorrelation consistent covariance matrix. *Econometrica* 55(3), 703-708.
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
*Journal of Human Resources* 50(2), 317-372.
Burlig, F., Preonas, L. and Woerman, M. (2020). Panel data and experimental design. *Journal of
Development Economics* 144, 102458 (power for panel DiD by simulation on real data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from vrueval.inference.hac import fixed_b_adjustment, kernel_matrix

FloatArray = np.ndarray


def per_effect(fn: Callable[[float], FloatArray], delta: float | FloatArray) -> FloatArray:
    """``fn`` at one effect (shape ``(S,)``), or stacked over an array of them (``(len, S)``)."""
    d = np.asarray(delta, dtype=float)
    if d.ndim == 0:
        return np.asarray(fn(float(d)))
    return np.stack([fn(float(x)) for x in d])


def t_critical(df: FloatArray, level: float) -> FloatArray:
    """Two-sided critical values of Student t with ``df`` (``inf``: the normal)."""
    q = 0.5 + level / 2
    return np.where(np.isinf(df), stats.norm.ppf(q), stats.t.ppf(q, df))


@dataclass(frozen=True)
class Planted:
    """A test statistic for ``S`` draws as a function of the planted effect ``delta``.

    ``estimate(delta) = e0 + delta * e1``; ``variance(delta) = a + 2 b delta + c delta^2``; the
    test rejects when ``|estimate| / sqrt(variance)`` exceeds the two-sided critical value of
    Student t with ``df`` degrees of freedom (one per draw; ``inf`` for the normal).

    Subclasses whose statistic needs work per effect size (a refit, a resampling test) set
    ``search_stride`` and ``search_tolerance``: the MDE search then scans a coarser grid and
    stops bisecting sooner (:meth:`vrueval.power.search.Search.crossing`).
    """

    search_stride = 1
    search_tolerance = 0.0

    e0: FloatArray
    e1: FloatArray
    a: FloatArray
    b: FloatArray
    c: FloatArray
    df: FloatArray

    @property
    def n_draws(self) -> int:
        return len(self.e0)

    def estimate(self, delta: float | FloatArray) -> FloatArray:
        """Estimates, shape ``(len(delta), S)`` for an array of effects, else ``(S,)``."""
        d = np.asarray(delta, dtype=float)
        return self.e0 + d[..., None] * self.e1 if d.ndim else self.e0 + float(d) * self.e1

    def std_error(self, delta: float | FloatArray) -> FloatArray:
        arr = np.asarray(delta, dtype=float)
        d = arr[..., None] if arr.ndim else arr
        var = self.a + 2 * self.b * d + self.c * d * d
        return np.sqrt(np.maximum(var, 0.0))

    def statistic(self, delta: float | FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.estimate(delta) / self.std_error(delta)

    def degrees_of_freedom(self, delta: float | FloatArray) -> FloatArray:
        """The t reference's df with ``delta`` planted (here the same for every effect)."""
        shape = np.shape(self.estimate(delta))
        return np.broadcast_to(self.df, shape)

    def p_values(self, delta: float | FloatArray) -> FloatArray:
        """Two-sided p-values of the test with ``delta`` planted."""
        stat = np.abs(self.statistic(delta))
        df = self.degrees_of_freedom(delta)
        with np.errstate(invalid="ignore"):
            return np.where(np.isinf(df), 2 * stats.norm.sf(stat), 2 * stats.t.sf(stat, df))

    def critical(self, level: float) -> FloatArray:
        """Two-sided critical values, one per draw."""
        return t_critical(self.df, level)

    def rejects(
        self, delta: float | FloatArray, level: float, critical: FloatArray | None = None
    ) -> FloatArray:
        """Boolean rejections (``(len(delta), S)`` or ``(S,)``) of the two-sided test."""
        crit = self.critical(level) if critical is None else critical
        return np.abs(self.statistic(delta)) > crit

    def select(self, keep: np.ndarray) -> Planted:
        """The draws in ``keep`` (a boolean mask or indices)."""
        return Planted(
            self.e0[keep], self.e1[keep], self.a[keep], self.b[keep], self.c[keep], self.df[keep]
        )


# -- OLS coefficient with fixed design ----------------------------------------------------------
def _time_sums(z: FloatArray, time: np.ndarray) -> FloatArray:
    """Sum rows of ``z`` (n x S) sharing a time position into a (T x S) array (gaps stay 0)."""
    t = np.asarray(time, dtype=np.int64)
    if len(np.unique(t)) == len(t) and np.all(np.diff(t) == 1) and t[0] == 0:
        return z
    out = np.zeros((int(t.max()) + 1, z.shape[1]))
    np.add.at(out, t, z)
    return out


def ols_coefficient(
    X: FloatArray,
    column: int,
    Y: FloatArray,
    P: FloatArray,
    *,
    time: np.ndarray,
    inference: str,
    kernel: str = "bartlett",
    lag: int = 0,
    adjust: bool = True,
    fixed_b: bool = False,
) -> Planted:
    """Coefficient ``column`` of OLS fits of ``Y + delta * P`` on the fixed design ``X``.

    Parameters
    ----------
    X : (n, k) array
        The design, identical for every draw.
    column : int
        The tested coefficient (e.g. the level change).
    Y, P : (n, S) arrays
        Simulated outcomes without effect, and the planted signal per unit effect (for a
        multiplicative effect, ``Y`` masked to the treated post-period rows).
    time : (n,) integer array
        Time positions; rows sharing one (stacked series) have their scores summed first.
    inference : {"classical", "hac"}
        ``s^2 (X'X)^-1`` with ``n - k`` degrees of freedom, or the HAC sandwich with the
        ``kernel`` ("bartlett" or "ewc") weights of :func:`vrueval.inference.hac.kernel_matrix`
        and ``lag`` (Bartlett lag or EWC terms): with ``fixed_b`` its variance is rescaled and
        given the design's fixed-b Satterthwaite degrees of freedom
        (:func:`vrueval.inference.hac.fixed_b_adjustment`, which depend on the design only);
        otherwise the factor ``n / (n - k)`` when ``adjust`` and ``n - k`` degrees of freedom.
        These are :class:`vrueval.ITS`'s choices for ``model="ols"``.
    """
    n, k = X.shape
    q, r = np.linalg.qr(X)
    rinv = np.linalg.solve(r, np.eye(k))
    h = (q @ rinv.T)[:, column]  # row `column` of (X'X)^-1 X'
    e0, e1 = h @ Y, h @ P
    # residual makers: M Y = Y - Q Q'Y
    r0 = Y - q @ (q.T @ Y)
    r1 = P - q @ (q.T @ P)
    df = np.full(Y.shape[1], float(n - k))
    if inference == "classical":
        xtx_jj = float(h @ h)
        s = xtx_jj / (n - k)
        a = s * np.einsum("ns,ns->s", r0, r0)
        b = s * np.einsum("ns,ns->s", r0, r1)
        c = s * np.einsum("ns,ns->s", r1, r1)
        return Planted(e0, e1, a, b, c, df)
    if inference != "hac":
        raise ValueError(f"inference must be one of ('hac', 'classical'), got {inference!r}")
    z0 = _time_sums(h[:, None] * r0, time)
    z1 = _time_sums(h[:, None] * r1, time)
    weights = kernel_matrix(np.arange(z0.shape[0]), kernel, lag)  # type: ignore[arg-type]
    if fixed_b:
        rows = kernel_matrix(np.asarray(time), kernel, lag)  # type: ignore[arg-type]
        factor, fb_df = fixed_b_adjustment(rows, q, h[:, None])
        f = float(factor[0])
        df = np.full(Y.shape[1], float(fb_df[0]))
    else:
        f = n / (n - k) if adjust else 1.0
    kz0, kz1 = weights @ z0, weights @ z1
    a = f * np.einsum("ts,ts->s", z0, kz0)
    b = f * np.einsum("ts,ts->s", z0, kz1)
    c = f * np.einsum("ts,ts->s", z1, kz1)
    return Planted(e0, e1, a, b, c, df)


# -- contrasts of a balanced panel (TWFE, 2x2, event study) --------------------------------------
def contrast_difference(
    C: FloatArray,
    V: FloatArray,
    treated: np.ndarray,
    control: np.ndarray,
    factor: FloatArray,
) -> Planted:
    """Treated-minus-comparator mean of per-unit contrasts, with its CR1 variance.

    Parameters
    ----------
    C : (S, N) array
        Each draw's contrast ``c_i = sum_t a_t y_it`` for every unit of the pool.
    V : (S, N) array
        The change in each contrast per unit of multiplicative effect planted into the treated
        post-period cells, ``sum_{t post} a_t y_it``.
    treated, control : (S, N) boolean arrays
        Each draw's treated and comparator units (disjoint; other units are left out).
    factor : (S,) array
        The CR1 small-sample factor of the full model each draw fits
        (:func:`vrueval.inference.small_sample.cr1_factor`, under the analysis' rule).

    Returns
    -------
    Planted with ``df = G - 1`` (the t reference of :class:`vrueval.DiD`'s CR1 inference).
    """
    t = treated.astype(float)
    k = control.astype(float)
    n_t = t.sum(axis=1)
    n_c = k.sum(axis=1)
    if np.any(n_t < 1) or np.any(n_c < 1):
        raise ValueError("every draw needs at least one treated and one comparator unit")
    mean_ct = (t * C).sum(axis=1) / n_t
    mean_vt = (t * V).sum(axis=1) / n_t
    mean_cc = (k * C).sum(axis=1) / n_c
    dc_t = t * (C - mean_ct[:, None])
    dv_t = t * (V - mean_vt[:, None])
    dc_c = k * (C - mean_cc[:, None])
    ss_c = np.einsum("sn,sn->s", dc_c, dc_c) / n_c**2
    a = factor * (np.einsum("sn,sn->s", dc_t, dc_t) / n_t**2 + ss_c)
    b = factor * np.einsum("sn,sn->s", dc_t, dv_t) / n_t**2
    c = factor * np.einsum("sn,sn->s", dv_t, dv_t) / n_t**2
    return Planted(mean_ct - mean_cc, mean_vt, a, b, c, n_t + n_c - 1.0)


# -- staggered adoption: aggregated group-time effects -------------------------------------------
def group_time_mean(
    D: FloatArray,
    L: FloatArray,
    treated: np.ndarray,
    control: np.ndarray,
    weights: FloatArray,
) -> Planted:
    """Weighted mean of group-time DiDs of long differences, with its influence-function variance.

    Parameters
    ----------
    D : (S, N, K) array (or (1, N, K), shared by every draw)
        Each draw's long difference ``y_{i,t_k} - y_{i,g_k - 1}`` of every pool unit for each
        post-treatment cell ``k = (g_k, t_k)``.
    L : (S, N, K) array (or (1, N, K))
        The level ``y_{i,t_k}``: the change in ``D`` per unit of multiplicative effect planted
        into a treated cell (the base period ``g_k - 1`` is untreated).
    treated, control : (S, N, K) boolean arrays
        Cell ``k``'s cohort ``g_k`` and its comparison units (disjoint within a cell).
    weights : (K,) array
        The aggregation's cell weights (sum 1): ``"group"`` ``n_g / (n_T L_g)`` for a cohort
        of ``n_g`` of the ``n_T`` treated units with ``L_g`` post cells; ``"simple"``
        ``n_g / sum_k n_{g_k}``.

    Notes
    -----
    With ``m0_k`` the comparison mean of cell ``k`` and ``A_ik = w_k (T_ik / n_Tk - C_ik / n_Ck)``
    the estimate is ``sum_ik A_ik D_ik`` and :func:`vrueval.designs.staggered.aggregate.
    aggregate`'s influence function, cohort-share term included, divided by ``n`` is ``psi_i =
    sum_k A_ik (D_ik - m0_k) - est * sum_k w_k T_ik / n_Tk``; the standard error is
    ``sqrt(sum_i psi_i^2)`` with a normal reference, as the design reports it.

    Returns
    -------
    Planted with ``df = inf``.
    """
    t = treated.astype(float)
    k = control.astype(float)
    n_t = t.sum(axis=1)  # (S, K)
    n_c = k.sum(axis=1)
    if np.any(n_t < 1) or np.any(n_c < 1):
        raise ValueError("every cell needs at least one treated and one comparison unit")
    w = np.asarray(weights, dtype=float)
    wt = w / n_t
    a = t * wt[:, None, :] - k * (w / n_c)[:, None, :]  # A_ik
    tau = np.einsum("snk,sk->sn", t, wt)  # each unit's total treated weight

    def parts(x: FloatArray, comparisons: bool) -> tuple[FloatArray, FloatArray]:
        x = np.broadcast_to(x, a.shape)
        psi = np.einsum("snk,snk->sn", a, x)
        est = psi.sum(axis=1)
        psi -= est[:, None] * tau
        if comparisons:  # the planted signal is zero in every comparison cell
            m0 = np.einsum("snk,snk->sk", k, x) / n_c
            psi -= np.einsum("snk,sk->sn", a, m0)
        return est, psi

    e0, psi0 = parts(D, True)
    e1, psi1 = parts(t * L, False)
    return Planted(
        e0,
        e1,
        np.einsum("sn,sn->s", psi0, psi0),
        np.einsum("sn,sn->s", psi0, psi1),
        np.einsum("sn,sn->s", psi1, psi1),
        np.full(len(e0), np.inf),
    )
