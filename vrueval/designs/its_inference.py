"""Coefficient covariance for ``ITS`` fits: classical, Newey-West HAC, block bootstrap.

GLS-ARMA fits carry their own model-based covariance and are not handled here.

References
----------
Newey and West (1987); Politis and Romano (1992); see :mod:`vrueval.inference.hac` and
:mod:`vrueval.inference.block_bootstrap`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vrueval.designs.its_models import ModelFit
from vrueval.inference.block_bootstrap import circular_block_indices, default_block_length
from vrueval.inference.hac import newey_west

FloatArray = np.ndarray


@dataclass(frozen=True)
class Covariance:
    """A coefficient covariance and the reference distribution's df (None: normal)."""

    cov: FloatArray
    df: float | None
    detail: dict[str, object]


def classical(fit: ModelFit, quasi: bool) -> Covariance:
    """Model-based covariance: t(n - k) when the scale is estimated, else the normal."""
    estimated_scale = fit.link == "identity" or quasi
    return Covariance(fit.cov_model, float(fit.df_resid) if estimated_scale else None, {})


def hac(fit: ModelFit, time: np.ndarray, lag: int, adjust: bool) -> Covariance:
    """Newey-West covariance; t(n - k) reference for linear models, normal for GLMs."""
    cov = newey_west(fit.bread, fit.scores, time, lag, adjust=adjust)
    df = float(fit.df_resid) if fit.link == "identity" else None
    return Covariance(cov, df, {"hac_lag": lag, "hac_adjust": adjust, "kernel": "bartlett"})


def block_bootstrap(
    fit: ModelFit,
    refit: Callable[[FloatArray], FloatArray],
    time_order: np.ndarray,
    n_boot: int,
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
    draws = np.empty((n_boot, len(fit.beta)))
    for b in range(n_boot):
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
        {"n_boot": n_boot, "block_length": length, "bootstrap": "circular block, residual"},
    )
