"""Coefficient covariance for ``ITS`` fits: classical, HAC (plain or fixed-b), block bootstrap.

GLS-ARMA fits carry their own model-based covariance and are not handled here. A covariance
answers :meth:`Covariance.contrasts`: for rows of gradients (effects, points of the
counterfactual path, impact sums) the factor their plain variance is multiplied by and the
degrees of freedom of their t reference (infinite: normal). Only fixed-b HAC makes these differ
between contrasts.

References
----------
Newey and West (1987); Kiefer and Vogelsang (2005); Lazarus et al. (2018); Politis and Romano
(1992); see :mod:`vrueval.inference.hac` and :mod:`vrueval.inference.block_bootstrap`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vrueval.designs.its.models import ModelFit
from vrueval.inference.block_bootstrap import circular_block_indices, default_block_length
from vrueval.inference.cluster import cr1
from vrueval.inference.hac import (
    FixedBReference,
    Kernel,
    ewc_meat,
    kernel_matrix,
    newey_west_meat,
)
from vrueval.inference.small_sample import ParamCount, SmallSample

FloatArray = np.ndarray


@dataclass(frozen=True)
class FixedB:
    """What :func:`~vrueval.inference.hac.fixed_b_adjustment` needs for any contrast."""

    reference: FixedBReference  # kernel weights and design basis; keeps each contrast's terms
    L: FloatArray  # standardised influence of each coefficient: sqrt(w) X bread
    scale: float  # small-sample factor already applied to the covariance


@dataclass(frozen=True)
class Covariance:
    """A coefficient covariance and the reference distribution's df (None: normal).

    With ``fixed_b`` set (fixed-b HAC), ``df`` is None and each contrast gets its own variance
    factor and degrees of freedom from :meth:`contrasts`.
    """

    cov: FloatArray
    df: float | None
    detail: dict[str, object]
    fixed_b: FixedB | None = None

    def contrasts(self, C: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Variance factor and df (``inf``: normal) for each row of ``C`` (m x k)."""
        C = np.atleast_2d(C)
        m = C.shape[0]
        if self.fixed_b is None:
            return np.ones(m), np.full(m, np.inf if self.df is None else self.df)
        fb = self.fixed_b
        factor, df = fb.reference(fb.L @ C.T)
        # A zero contrast (before the interruption) has no variance; keep it finite.
        zero = ~np.isfinite(factor) | ~np.isfinite(df)
        return np.where(zero, 1.0, factor / fb.scale), np.where(zero, np.inf, df)


def classical(fit: ModelFit, quasi: bool) -> Covariance:
    """Model-based covariance: t(n - k) when the scale is estimated, else the normal."""
    estimated_scale = fit.link == "identity" or quasi
    return Covariance(fit.cov_model, float(fit.df_resid) if estimated_scale else None, {})


def clustered(
    fit: ModelFit, clusters: np.ndarray, n_unit_effects: int, small_sample: SmallSample
) -> Covariance:
    """CR1 by unit for a pooled ITS (:func:`vrueval.inference.cluster.cr1`), t(G - 1).

    The unit effects (intercept and unit dummies, ``n_unit_effects`` = G columns) are nested in
    the clusters; the small-sample rule decides how many of them ``K`` counts
    (:mod:`vrueval.inference.small_sample`: "fixest" one, "stata" all G, as ``lm`` with unit
    dummies and ``sandwich::vcovCL(type = "HC1")``). For a GLM the scores and bread are the
    likelihood's, so the quasi-likelihood dispersion cancels.
    """
    n, k = fit.scores.shape
    count = ParamCount(k - n_unit_effects, n_unit_effects, 0)
    cc = cr1(fit.scores, fit.bread, clusters, n_obs=n, count=count, small_sample=small_sample)
    cov = 0.5 * (cc.vcov + cc.vcov.T)
    detail: dict[str, object] = {
        "cluster": "unit",
        "n_clusters": cc.n_clusters,
        "small_sample": small_sample,
    }
    return Covariance(cov, float(cc.n_clusters - 1), detail)


def hac(
    fit: ModelFit,
    X: FloatArray,
    time: np.ndarray,
    kernel: Kernel,
    lag: int,
    adjust: bool,
    fixed_b: bool,
) -> Covariance:
    """HAC sandwich with the Bartlett (Newey-West) or EWC kernel.

    ``fixed_b=False``: the plain estimator with a t(n - k) reference for linear models and the
    normal for GLMs (``sandwich::NeweyWest``, statsmodels). ``fixed_b=True``: per contrast, the
    variance is made unbiased under the fixed-b reference model and given Satterthwaite df
    (:func:`~vrueval.inference.hac.fixed_b_adjustment`); the small-sample factor
    ``n / (n - k)`` then cancels.
    """
    n, k = fit.scores.shape
    if kernel == "bartlett":
        meat = newey_west_meat(fit.scores, time, lag)
    else:
        meat = ewc_meat(fit.scores, time, lag)
    scale = n / (n - k) if adjust else 1.0
    cov = fit.bread @ meat @ fit.bread * scale
    cov = 0.5 * (cov + cov.T)
    detail: dict[str, object] = {
        "hac_kernel": kernel,
        "hac_lag": lag,
        "hac_adjust": adjust,
        "hac_fixed_b": fixed_b,
    }
    if not fixed_b:
        df = float(fit.df_resid) if fit.link == "identity" else None
        return Covariance(cov, df, detail)
    Xs = X if fit.weights is None else X * np.sqrt(fit.weights)[:, None]
    Q, _ = np.linalg.qr(Xs)
    fb = FixedB(FixedBReference(kernel_matrix(time, kernel, lag), Q), Xs @ fit.bread, scale)
    return Covariance(cov, None, detail, fb)


def block_bootstrap(
    fit: ModelFit,
    refit: Callable[[FloatArray], FloatArray],
    time_order: np.ndarray,
    n_draws: int,
    block_length: int | None,
    seed: int,
) -> Covariance:
    """Covariance of the coefficients over circular-block residual bootstrap replicates.

    Linear models resample raw residuals, ``y* = mu + u*``; count models resample Pearson
    residuals, ``y* = max(0, mu + sqrt(V(mu)) r*)`` (non-integer y* is fine for the
    quasi-likelihood score equations). Blocks follow time order, so short-range serial
    dependence is kept within blocks.
    """
    n = len(fit.mu)
    length = block_length or default_block_length(n)
    rng = np.random.default_rng(seed)
    order = np.argsort(time_order, kind="stable")
    if fit.link == "identity":
        base = fit.resid[order]
        scale = np.ones(n)
    else:
        base = fit.pearson[order]
        alpha = 1.0 / float(fit.extra["theta"]) if "theta" in fit.extra else 0.0
        scale = np.sqrt(fit.mu + alpha * fit.mu**2)[order]
    draws = np.empty((n_draws, len(fit.beta)))
    for b in range(n_draws):
        idx = circular_block_indices(n, length, rng)
        y_star = np.empty(n)
        y_star[order] = fit.mu[order] + scale * base[idx]
        if fit.link != "identity":
            y_star = np.maximum(y_star, 0.0)
        draws[b] = refit(y_star)
    cov = np.cov(draws, rowvar=False)
    return Covariance(
        cov,
        float(fit.df_resid) if fit.link == "identity" else None,
        {"draws": n_draws, "block_length": length, "bootstrap": "circular block, residual"},
    )
