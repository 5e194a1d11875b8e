"""Cluster-robust covariance for linear models: CR1 (with a named small-sample rule) and CR2.

Inputs are the regressors with every absorbed effect already partialled out (Frisch-Waugh-Lovell)
and, for weighted least squares, scaled by ``sqrt(w)``; the coefficient block of the full model's
sandwich is then the sandwich of the absorbed model.

References
----------
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
*Journal of Human Resources* 50(2), 317-372.
Bell, R. M. and McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
with multi-stage samples. *Survey Methodology* 28(2), 169-181.
Imbens, G. W. and Kolesár, M. (2016). Robust standard errors in small samples: some practical
advice. *Review of Economics and Statistics* 98(4), 701-712 (the CR2 degrees of freedom).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vrueval.inference.small_sample import (
    DEFAULT_SMALL_SAMPLE,
    ParamCount,
    SmallSample,
    cr1_factor,
    multiway_factors,
)

FloatArray = np.ndarray


@dataclass(frozen=True)
class ClusterCovariance:
    """A covariance matrix with the degrees of freedom of its reference t distribution.

    ``df`` holds one value per coefficient; :meth:`contrast_df` gives the degrees of freedom of
    any linear combination ``c'beta`` under the same rule (``G - 1`` for CR1, the contrast's own
    Bell-McCaffrey/Satterthwaite value for CR2), of which ``df`` is the unit-vector case.
    """

    vcov: FloatArray
    df: FloatArray  # one per coefficient
    kind: str
    n_clusters: int
    df_of: Callable[[FloatArray], FloatArray] | None = field(
        default=None, repr=False, compare=False
    )
    small_sample: str | None = None  # the CR1 rule (vrueval.inference.small_sample); None for CR2
    psd_fixed: bool = False  # two-way: negative eigenvalues set to zero (see cr1_multiway)

    def contrast_df(self, contrasts: FloatArray) -> FloatArray:
        """Degrees of freedom of the t test of each contrast ``c'beta``.

        Parameters
        ----------
        contrasts : array (k,) or (k, m)
            One contrast vector, or m of them as columns.

        Returns
        -------
        array (m,)
        """
        c = np.asarray(contrasts, dtype=float)
        c = c[:, None] if c.ndim == 1 else c
        if c.shape[0] != self.vcov.shape[0]:
            raise ValueError(f"contrasts need {self.vcov.shape[0]} rows, got {c.shape[0]}")
        if self.df_of is None:
            return np.full(c.shape[1], self.n_clusters - 1.0)
        return self.df_of(c)


def group_sums(values: FloatArray, codes: np.ndarray, n_groups: int) -> FloatArray:
    """Column sums of ``values`` (n x k) within groups 0..n_groups-1 (n_groups x k)."""
    v = values[:, None] if values.ndim == 1 else values
    return np.column_stack([np.bincount(codes, v[:, j], n_groups) for j in range(v.shape[1])])


def cluster_codes(clusters: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 for cluster labels, and G."""
    labels = np.asarray(clusters)
    # codes already (a design's unit codes): every code 0..G-1 used is what unique would
    # return, without its sort and its three n-row temporaries
    if labels.dtype.kind == "i" and len(labels) and 0 <= labels.min() <= labels.max() < len(labels):
        counts = np.bincount(labels)
        if counts.all():
            return labels, len(counts)
    _, codes = np.unique(labels, return_inverse=True)
    return codes, int(codes.max()) + 1


def nested(owners: np.ndarray, clusters: np.ndarray) -> bool:
    """Whether every owner's rows (a unit's, a period's) lie in one cluster."""
    owner, n_owners = cluster_codes(owners)
    cluster, _ = cluster_codes(clusters)
    # each row's cluster equals the cluster some row of its owner has
    first = np.zeros(n_owners if len(owner) else 0, dtype=np.int64)
    first[owner] = cluster
    return bool(np.array_equal(first[owner], cluster))


def _cluster_meat(scores: FloatArray, clusters: np.ndarray) -> tuple[FloatArray, int]:
    """``sum_g s_g s_g'`` of the scores summed within clusters, and the number of clusters."""
    codes, g = cluster_codes(clusters)
    s = group_sums(scores, codes, g)
    return s.T @ s, g


def cr1(
    scores: FloatArray,
    bread: FloatArray,
    clusters: np.ndarray,
    *,
    n_obs: int,
    count: ParamCount,
    small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
) -> ClusterCovariance:
    """CR1: ``c * B (sum_g s_g s_g') B`` with df ``G - 1`` and ``c`` the small-sample factor.

    Parameters
    ----------
    scores : n x k
        Observation scores ``x_i e_i`` (star space for weighted fits).
    bread : k x k
        Inverse Hessian ``(X'X)^-1`` of the absorbed regressors.
    clusters : array (n,)
        Cluster labels.
    n_obs : int
        Observations of the full model.
    count : ParamCount
        The full model's coefficients and fixed effects; which of them enter ``K`` in
        ``c = G/(G-1) * (n-1)/(n-K)`` is the ``small_sample`` rule's choice
        (:mod:`vrueval.inference.small_sample`; fixest's, counting only the effects not nested in
        the clusters, by default).
    small_sample : {"fixest", "stata", "plm", "none"}
        The rule, recorded on the result as ``small_sample``.
    """
    meat, g = _cluster_meat(scores, clusters)
    if g < 2:
        raise ValueError("cluster-robust errors need at least two clusters")
    c = float(cr1_factor(small_sample, n_obs=n_obs, n_clusters=g, count=count))
    v = c * bread @ meat @ bread
    return ClusterCovariance(v, np.full(v.shape[0], g - 1.0), "CR1", g, small_sample=small_sample)


def cr1_multiway(
    scores: FloatArray,
    bread: FloatArray,
    clusters: Sequence[np.ndarray],
    *,
    n_obs: int,
    count: ParamCount,
    small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
) -> ClusterCovariance:
    """Two-way cluster-robust covariance (Cameron, Gelbach and Miller 2011), or CR1 for one.

    ``V = V_a + V_b - V_ab``: the CR1 covariance clustered by each dimension, less the one
    clustered by their intersection, each with the factor ``G/(G-1) (n-1)/(n-K)`` that
    ``small_sample`` gives it (:func:`~vrueval.inference.small_sample.multiway_factors`:
    "fixest" one factor with ``min(G_a, G_b)`` for all three, as fixest's default; the other
    rules each part's own ``G``, as ``sandwich::vcovCL(cluster = ~ a + b, type = "HC1")``). The
    difference need not be positive semi-definite; where it is not, its negative eigenvalues
    are set to zero (``vcovCL(fix = TRUE)``; CGM 2011, section 2.3) and ``psd_fixed`` says so
    (fixest repairs only a matrix with a negative variance, raising its eigenvalues to 1e-10;
    pyfixest not at all).
    The reference t has ``min(G_a, G_b) - 1`` degrees of freedom (CGM's suggestion, fixest's
    default), and ``n_clusters`` is that smaller G.

    References
    ----------
    Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2011). Robust inference with multiway
    clustering. *Journal of Business & Economic Statistics* 29(2), 238-249.
    """
    if len(clusters) == 1:
        return cr1(scores, bread, clusters[0], n_obs=n_obs, count=count, small_sample=small_sample)
    if len(clusters) != 2:
        raise ValueError(f"one- or two-way clustering only, got {len(clusters)} dimensions")
    a, b = (cluster_codes(c)[0] for c in clusters)
    meats, sizes = zip(
        *(_cluster_meat(scores, c) for c in (a, b, a * (int(b.max()) + 1) + b)),  # a, b, both
        strict=True,
    )
    fa, fb, fab = multiway_factors(small_sample, n_obs=n_obs, n_clusters=sizes, count=count)
    # each part as cr1 forms it, so a rule with per-part factors gives cr1's numbers exactly
    v = fa * bread @ meats[0] @ bread + fb * bread @ meats[1] @ bread
    v = v - fab * bread @ meats[2] @ bread
    v = (v + v.T) / 2
    vals, vecs = np.linalg.eigh(v)
    if vals.min() < 0:  # repaired as sandwich::vcovCL(fix = TRUE) does
        v = (vecs * np.maximum(vals, 0.0)) @ vecs.T
    # ... but said on the result only beyond rounding, where the repair changes a number
    fixed = bool(vals.min() < -1e-12 * max(float(np.abs(vals).max()), np.finfo(float).tiny))
    g = min(sizes[:2])
    return ClusterCovariance(
        v,
        np.full(v.shape[0], g - 1.0),
        "CR1 (two-way)",
        g,
        small_sample=small_sample,
        psd_fixed=fixed,
    )


def _inv_sqrt_psd(a: FloatArray) -> FloatArray:
    """Symmetric inverse square root on the range of a PSD matrix (pseudo-inverse on its kernel)."""
    vals, vecs = np.linalg.eigh((a + a.T) / 2)
    keep = vals > 1e-12 * max(vals.max(), 1.0)
    inv = np.zeros_like(vals)
    inv[keep] = 1 / np.sqrt(vals[keep])
    return (vecs * inv) @ vecs.T


def cr2(
    x: FloatArray,
    resid: FloatArray,
    clusters: np.ndarray,
    absorb: Callable[[FloatArray], FloatArray],
    weights: FloatArray | None = None,
) -> ClusterCovariance:
    """CR2 (Bell-McCaffrey) with Satterthwaite degrees of freedom per coefficient and contrast.

    ``V = B sum_g X_g' W_g A_g e_g e_g' A_g W_g X_g B`` where ``A_g`` is the inverse symmetric
    square root of ``[(I - H) (I - H)']_gg`` and ``H = Z (Z'WZ)^-1 Z'W`` is the hat matrix of the
    *full* model (absorbed effects included), as ``clubSandwich`` and ``estimatr`` define it with
    an identity working covariance; unweighted this is ``(I - H_gg)^(-1/2)``. The absorbed
    effects enter through ``absorb``, their residual maker in sqrt(w)-scaled space, applied to the
    cluster's unit vectors. The degrees of freedom are Bell and McCaffrey's under the same
    working model (Imbens and Kolesár's formula, :func:`bell_mccaffrey_df`); the result's
    ``contrast_df`` gives them for any linear combination of the coefficients.

    Parameters
    ----------
    x, resid : absorbed regressors and residuals, sqrt(w)-scaled.
    weights : the analytic weights w (None for OLS).

    Cost grows with n^2 (one absorption per observation); meant for panels of force areas.
    """
    codes, g = cluster_codes(clusters)
    n, k = x.shape
    if n > 30_000:
        raise ValueError("CR2 needs O(n^2) work; use CR1 or the wild bootstrap for n > 30,000")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    sw = np.sqrt(w)
    bread = np.linalg.inv(x.T @ x)

    def resid_full(v: FloatArray) -> FloatArray:  # residual maker of the full model, star space
        m = absorb(v)
        return m - x @ (bread @ (x.T @ m))

    rows = [np.flatnonzero(codes == j) for j in range(g)]
    adj_x = np.zeros((g, k))
    wx_blocks: list[FloatArray] = []  # A_g W_g X_g B, for the degrees of freedom
    for j, r in enumerate(rows):
        unit_vecs = np.zeros((n, len(r)))
        unit_vecs[r, np.arange(len(r))] = 1.0
        hat_cols = unit_vecs - resid_full(unit_vecs)  # columns g of the star-space hat matrix
        scale = sw[r]
        h = hat_cols[r] / scale[:, None] * scale[None, :]  # H_gg on the original scale
        hh = (hat_cols.T @ (w[:, None] * hat_cols)) / np.outer(scale, scale)
        a = _inv_sqrt_psd(np.eye(len(r)) - h - h.T + hh)
        wx = x[r] * scale[:, None]  # W_g X_g on the original scale
        adj_x[j] = wx.T @ (a @ (resid[r] / scale))
        wx_blocks.append(a @ wx @ bread)
    vcov = bread @ (adj_x.T @ adj_x) @ bread

    def df_of(contrasts: FloatArray) -> FloatArray:
        return bell_mccaffrey_df(contrasts, wx_blocks, rows, resid_full, sw)

    return ClusterCovariance(vcov, df_of(np.eye(k)), "CR2", g, df_of)


def bell_mccaffrey_df(
    contrasts: FloatArray,
    adjusted: list[FloatArray],
    rows: list[np.ndarray],
    resid_full: Callable[[FloatArray], FloatArray],
    sqrt_w: FloatArray,
) -> FloatArray:
    """Bell-McCaffrey (Satterthwaite) degrees of freedom of the CR2 t test of each ``c'beta``.

    The CR2 variance of ``c'beta`` is ``sum_g (p_g' e_g)^2`` with ``p_g = A_g W_g X_g B c``.
    Under the working model (independent, homoskedastic errors) it is a quadratic form
    ``e'P P'e`` in the residuals ``e = (I - H) u``, so it is distributed as ``sum_j l_j chi2_1``
    with ``l_j`` the eigenvalues of ``G'G``, ``G = (I - H)' P`` (n x G, one column a cluster).
    Matching two moments gives ``df = (sum l)^2 / sum l^2 = tr(G'G)^2 / ||G'G||_F^2``, the
    formula of Bell and McCaffrey (2002) as Imbens and Kolesár (2016) write it, and the
    "Satterthwaite" df of ``clubSandwich``'s ``coef_test``/``linear_contrast``. A single
    coefficient is the contrast ``e_j``.

    Parameters
    ----------
    contrasts : array (k, m)
        Contrast vectors as columns.
    adjusted : one (n_g x k) array per cluster
        ``A_g W_g X_g B`` on the original scale.
    rows : one index array per cluster (its observations).
    resid_full : the full model's residual maker in sqrt(w)-scaled space.
    sqrt_w : square roots of the analytic weights.
    """
    c = np.asarray(contrasts, dtype=float)
    c = c[:, None] if c.ndim == 1 else c
    n, g = len(sqrt_w), len(rows)
    out = np.empty(c.shape[1])
    for m in range(c.shape[1]):
        cols = np.zeros((n, g))
        for j, r in enumerate(rows):
            cols[r, j] = (adjusted[j] @ c[:, m]) / sqrt_w[r]
        gmat = sqrt_w[:, None] * resid_full(cols)  # (I - H)' P, original scale
        gtg = gmat.T @ gmat
        out[m] = np.trace(gtg) ** 2 / np.sum(gtg * gtg)
    return out
