"""Synthetic DiD and its two special cases, synthetic control and DiD, as one weighted
double difference (Arkhangelsky et al. 2021, eq. 1-4; R ``synthdid``'s ``synthdid_estimate``,
``sc_estimate`` and ``did_estimate``).

Arrays only. ``y`` is (N, T) with the ``n0`` control units first and the ``t0`` pre-periods
first. The estimate is

    tau = (mean_treated - omega' Y_co)(post mean - lambda' pre)

that is ``[-omega, 1/N1]' Y [-lambda, 1/T1]``, with

* unit weights omega on the simplex fitted to the treated units' average pre-period path, with
  an intercept and the ridge penalty ``zeta_omega = (N1 T1)^(1/4) sigma``, where ``sigma`` is the
  standard deviation of the controls' first differences in the pre-period;
* time weights lambda on the simplex fitting the controls' post-period average by their
  pre-period outcomes, with an intercept and the small ridge ``zeta_lambda = 1e-6 sigma``.

Synthetic control is omega fitted without intercept and with ``zeta = 1e-6 sigma``, lambda = 0;
DiD is uniform omega and lambda.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from vrueval.designs.synthetic.weights import sdid_weights

Estimator = Literal["sdid", "sc", "did"]
ESTIMATORS: tuple[str, ...] = ("sdid", "sc", "did")
MAX_ITER = 10_000


@dataclass(frozen=True)
class Options:
    """The regularisation and solver settings an estimate was fitted with (kept for refits)."""

    zeta_omega: float
    zeta_lambda: float
    omega_intercept: bool
    lambda_intercept: bool
    update_omega: bool
    update_lambda: bool
    min_decrease: float
    max_iter: int = MAX_ITER


@dataclass(frozen=True)
class Estimate:
    """One weighted double difference and the weights behind it."""

    tau: float
    omega: np.ndarray
    lam: np.ndarray
    options: Options
    converged: np.ndarray


def noise_level(y: np.ndarray, n0: int, t0: int) -> float:
    """Standard deviation (n - 1) of the controls' first differences over the pre-period."""
    diffs = np.diff(y[:n0, :t0], axis=1)
    return float(np.std(diffs, ddof=1))


def default_options(y: np.ndarray, n0: int, t0: int, estimator: Estimator) -> Options:
    """The paper's regularisation for ``estimator`` (R ``synthdid`` defaults)."""
    n1, t1 = y.shape[0] - n0, y.shape[1] - t0
    sigma = noise_level(y, n0, t0)
    if estimator == "sdid":
        eta_omega = (n1 * t1) ** 0.25
        return Options(eta_omega * sigma, 1e-6 * sigma, True, True, True, True, 1e-5 * sigma)
    if estimator == "sc":
        return Options(1e-6 * sigma, 1e-6 * sigma, False, True, True, False, 1e-5 * sigma)
    return Options(0.0, 0.0, True, True, False, False, 1e-5 * sigma)


def initial_weights(
    n0: int, t0: int, estimator: Estimator
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Starting (or fixed) omega and lambda: fixed lambda 0 for SC, uniform both for DiD."""
    if estimator == "sc":
        return None, np.zeros(t0)
    if estimator == "did":
        return np.full(n0, 1.0 / n0), np.full(t0, 1.0 / t0)
    return None, None


def collapsed(y: np.ndarray, n0: int, t0: int) -> np.ndarray:
    """The (n0 + 1) x (t0 + 1) matrix of controls and the treated average, pre-periods and the
    post-period average (R ``collapsed.form``); ``y`` may carry leading batch axes."""
    top = np.concatenate([y[..., :n0, :t0], y[..., :n0, t0:].mean(axis=-1, keepdims=True)], -1)
    treated = y[..., n0:, :]
    bottom = np.concatenate(
        [treated[..., :t0].mean(axis=-2), treated[..., t0:].mean(axis=(-2, -1))[..., None]], -1
    )
    return np.concatenate([top, bottom[..., None, :]], axis=-2)


def estimate(
    y: np.ndarray,
    n0: int,
    t0: int,
    options: Options,
    omega: np.ndarray | None = None,
    lam: np.ndarray | None = None,
) -> Estimate:
    """Fit the weights (those ``options`` update, from ``omega``/``lam`` as starting values) and
    return the weighted double difference.

    ``y`` may be a batch, (B, N, T) with ``omega`` (B, n0) and ``lam`` (B, t0) or (t0,): every
    problem is solved in one Frank-Wolfe loop (the placebo replications), and the fields of
    the result gain the batch axis.
    """
    batch = y.shape[:-2]
    converged = np.ones(batch, dtype=bool)
    yc = collapsed(y, n0, t0) if (options.update_lambda or options.update_omega) else None
    if lam is not None and batch and lam.ndim == 1:
        lam = np.broadcast_to(lam, (*batch, t0))
    if options.update_lambda:
        assert yc is not None
        fit = sdid_weights(
            yc[..., :n0, :],
            options.zeta_lambda,
            intercept=options.lambda_intercept,
            start=lam,
            min_decrease=options.min_decrease,
            max_iter=options.max_iter,
        )
        lam, converged = fit.weights, converged & fit.converged.reshape(batch)
    if options.update_omega:
        assert yc is not None
        fit = sdid_weights(
            np.swapaxes(yc[..., :, :t0], -1, -2),
            options.zeta_omega,
            intercept=options.omega_intercept,
            start=omega,
            min_decrease=options.min_decrease,
            max_iter=options.max_iter,
        )
        omega, converged = fit.weights, converged & fit.converged.reshape(batch)
    assert omega is not None and lam is not None
    tau = double_difference(y, n0, t0, omega, lam)
    return Estimate(tau, omega, lam, options, converged)  # type: ignore[arg-type]


def _unit_weights(omega: np.ndarray, n1: int) -> np.ndarray:
    treated = np.full((*omega.shape[:-1], n1), 1.0 / n1)
    return np.concatenate([-omega, treated], axis=-1)


def double_difference(
    y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray
) -> float | np.ndarray:
    """``[-omega, 1/N1]' Y [-lambda, 1/T1]`` (one a problem for a batch)."""
    n1, t1 = y.shape[-2] - n0, y.shape[-1] - t0
    unit = _unit_weights(omega, n1)
    time = np.concatenate([-lam, np.full((*lam.shape[:-1], t1), 1.0 / t1)], axis=-1)
    out = np.einsum("...n,...nt,...t->...", unit, y, time)
    return float(out) if out.ndim == 0 else out


def fit(y: np.ndarray, n0: int, t0: int, estimator: Estimator) -> Estimate:
    """SDiD, SC or DiD with the paper's defaults."""
    omega, lam = initial_weights(n0, t0, estimator)
    return estimate(y, n0, t0, default_options(y, n0, t0, estimator), omega, lam)


def effect_path(y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The effect in each post-period: treated average minus synthetic control, less their
    lambda-weighted pre-period difference (R ``synthdid_effect_curve``); averages to tau.
    Batched like :func:`estimate`."""
    diff = np.einsum("...n,...nt->...t", _unit_weights(omega, y.shape[-2] - n0), y)
    return diff[..., t0:] - np.einsum("...t,...t->...", diff[..., :t0], lam)[..., None]


def unit_effects(y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Each treated unit's effect against the same synthetic control; their mean is tau."""
    gap = y[n0:] - omega @ y[:n0]
    return gap[:, t0:].mean(axis=1) - gap[:, :t0] @ lam


def fixed(options: Options) -> Options:
    """The same options with both weights held (the fixed-weights jackknife)."""
    return replace(options, update_omega=False, update_lambda=False)
