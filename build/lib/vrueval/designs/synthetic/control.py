"""Synthetic control (Abadie, Diamond and Hainmueller 2010; Abadie 2021): donor weights on the
simplex matching the treated unit's predictors, with predictor weights V supplied or chosen by
the nested optimisation. Arrays only.

With predictors ``X`` (k x units), the weights solve

    w(V) = argmin_{w >= 0, sum w = 1} (X1 - X0 w)' V (X1 - X0 w),

the predictors first divided by their standard deviation over all units (as R ``Synth`` does),
and V diagonal, non-negative, summing to one. The nested optimisation picks V to minimise the
pre-period mean squared prediction error of the outcome, ``mean((Z1 - Z0 w(V))^2)``, by
Nelder-Mead over ``|v| / sum |v|`` from equal weights and from the start of an outcome
regression (``Synth``'s two starts), each restarted from its optimum until it stops
improving, keeping the better. Without predictors the
pre-period outcomes themselves are matched with equal V.

A :class:`Rule` says which weights: these (``method="synth"``), penalised by Abadie and
L'Hour (2021)'s ``penalty`` times each donor's own distance from the treated unit
(:func:`~vrueval.designs.synthetic.weights.penalized_simplex`), or moved by the ridge
correction of Ben-Michael, Feller and Rothstein (2021) (``method="augmented"``,
:mod:`~vrueval.designs.synthetic.augmented`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from vrueval.designs.synthetic import augmented as aug
from vrueval.designs.synthetic.weights import penalized_simplex

#: At most this many Nelder-Mead runs from one start (each from the last one's optimum).
RESTARTS = 10


@dataclass(frozen=True)
class Rule:
    """How the weights are fitted: predictor weights ``v`` (None: nested, or equal when
    matching outcomes), Abadie-L'Hour ``penalty``, ``method`` ("synth" or "augmented") and
    the ridge penalty of the augmented method (None: cross-validated)."""

    v: np.ndarray | None = None
    penalty: float = 0.0
    method: str = "synth"
    ridge: float | None = None


@dataclass(frozen=True)
class ControlFit:
    """Donor weights, predictor weights and the fit; for the augmented method also the
    synthetic control weights it started from, the ridge penalty and its cross-validation."""

    w: np.ndarray
    v: np.ndarray
    gap: np.ndarray
    pre_rmspe: float
    post_rmspe: float
    v_loss: float
    sc_w: np.ndarray | None = None
    ridge: float = float("nan")
    cv: aug.RidgeCV | None = None


def scaled(x: np.ndarray) -> np.ndarray:
    """Predictors (units x k) divided by each one's standard deviation over the units; a
    constant predictor is left as it is (it cannot tell units apart)."""
    sd = x.std(axis=0, ddof=1)
    return x / np.where(sd > 0, sd, 1.0)


def weights_given_v(
    x0: np.ndarray, x1: np.ndarray, v: np.ndarray, penalty: float = 0.0
) -> np.ndarray:
    """``argmin (x1 - x0' w)' diag(v) (x1 - x0' w)`` on the simplex (plus Abadie-L'Hour's
    ``penalty * sum_j w_j |x1 - x0_j|_v^2``); ``x0`` is donors x k."""
    root = np.sqrt(np.maximum(v, 0.0))
    return penalized_simplex((x0 * root).T, x1 * root, penalty)


def _v_from(p: np.ndarray) -> np.ndarray:
    a = np.abs(p)
    total = a.sum()
    return a / total if total > 0 else np.full(len(p), 1.0 / len(p))


def nested_v(
    x0: np.ndarray, x1: np.ndarray, z0: np.ndarray, z1: np.ndarray, penalty: float = 0.0
) -> tuple[np.ndarray, float]:
    """Predictor weights minimising the pre-period outcome MSPE of the weights they induce.

    ``x0`` donors x k predictors, ``x1`` k; ``z0`` donors x T0 outcomes, ``z1`` T0.
    """
    k = x0.shape[1]

    def loss(p: np.ndarray) -> float:
        w = weights_given_v(x0, x1, _v_from(p), penalty)
        r = z1 - w @ z0
        return float(r @ r / len(r))

    starts = [np.full(k, 1.0 / k)]
    # Synth's second start: the squared coefficients of a regression of the outcomes on the
    # predictors across units, normalised (predictors that explain the outcome weigh more)
    design = np.column_stack([np.ones(x0.shape[0] + 1), np.vstack([x0, x1])])
    target = np.vstack([z0, z1])
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    reg = (coef[1:] ** 2).sum(axis=1)
    if reg.sum() > 0:
        starts.append(reg / reg.sum())
    best: tuple[np.ndarray, float] | None = None
    for s in starts:
        v, val = _restarted_nelder_mead(loss, s, k)
        if best is None or val < best[1]:
            best = (v, val)
    assert best is not None
    return best


def _restarted_nelder_mead(
    loss: Callable[[np.ndarray], float], start: np.ndarray, k: int
) -> tuple[np.ndarray, float]:
    """Nelder-Mead restarted from its own optimum (a fresh simplex) until a restart no longer
    improves the loss by 1e-10 relative: one run often stalls on the flat V landscape."""
    point, value = _v_from(start), loss(_v_from(start))
    for _ in range(RESTARTS):
        res = minimize(
            loss,
            point,
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 400 * k, "maxfev": 400 * k},
        )
        v = _v_from(res.x)
        new = loss(v)
        improved = new < value - 1e-10 * abs(value)
        if new < value:
            point, value = v, new
        if not improved:
            break
    return point, value


def outcome_weights(rule: Rule, ridge: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The weights ``rule`` fits to outcomes ``a`` (periods x donors) and ``b`` (periods), the
    augmented method's ridge penalty held at ``ridge`` (refits in conformal inference, as the
    authors' package holds it)."""
    if rule.method == "augmented":

        def augmented(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            w = penalized_simplex(a, b, rule.penalty)
            zc, z1c = aug.centred(a.T, b)
            return w + aug.correction(zc, z1c, w, ridge)

        return augmented
    return lambda a, b: penalized_simplex(a, b, rule.penalty)


def synthetic_control(
    y: np.ndarray,
    t0: int,
    treated: int,
    donors: np.ndarray,
    x: np.ndarray,
    rule: Rule,
) -> ControlFit:
    """Fit unit ``treated`` (a row of ``y``) from the rows ``donors`` by ``rule``.

    ``x`` is units x k predictors (k = 0: match the pre-period outcomes).
    """
    z0, z1 = y[donors, :t0], y[treated, :t0]
    sc_w, ridge, cv = None, float("nan"), None
    if x.shape[1] == 0:
        w = penalized_simplex(z0.T, z1, rule.penalty)
        vv, v_loss = np.full(t0, 1.0 / t0), float("nan")
        if rule.method == "augmented":
            sc_w = w
            w, ridge, cv = aug.augment(
                z0, z1, w, rule.ridge, lambda a, b: penalized_simplex(a, b, rule.penalty)
            )
    else:
        if rule.method == "augmented":
            raise ValueError("the augmented method balances the pre-period outcomes only")
        xs = scaled(x[np.append(donors, treated)])
        x0, x1 = xs[:-1], xs[-1]
        if rule.v is None:
            vv, v_loss = nested_v(x0, x1, z0, z1, rule.penalty)
        else:
            vv, v_loss = np.asarray(rule.v, dtype=float) / np.sum(rule.v), float("nan")
        w = weights_given_v(x0, x1, vv, rule.penalty)
    gap = y[treated] - w @ y[donors]
    pre = float(np.sqrt(np.mean(gap[:t0] ** 2)))
    post = float(np.sqrt(np.mean(gap[t0:] ** 2)))
    return ControlFit(w, vv, gap, pre, post, v_loss, sc_w, ridge, cv)
