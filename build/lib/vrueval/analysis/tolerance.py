"""How closely a recomputed number must agree with its recorded value: one rule per way of
computing, chosen from the fitted result's own settings.

A number is only as reproducible as the computation behind it. Linear algebra (least squares,
sandwich covariances, their bootstrap and permutation distributions under a fixed seed) differs
between machines, BLAS builds and thread counts by rounding alone, about 1e-15 relative; an
iterative fit stops somewhere inside its convergence tolerance, and a different machine may stop
one iteration earlier or later. Each rule states the convergence of the code it covers, and its
``rtol`` leaves a wide margin above what that allows but stays far below any change a reader
could see. Specs cannot change these (``[verify]`` is not a spec section): a tolerance that
could be loosened per analysis would let a data change pass unnoticed.

Differences are measured against the size of the row they belong to (the largest absolute
estimate, standard error or bound of the term; 1 for a p-value), so that a number near zero is
judged on the scale of its term and not on its own, arbitrarily small, size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tolerance:
    """The relative tolerance of one analysis's numbers and why."""

    rtol: float
    method: str  # how the numbers are computed
    basis: str  # why this tolerance

    def to_dict(self) -> dict[str, Any]:
        return {"rtol": self.rtol, "method": self.method, "basis": self.basis}


CLOSED_FORM = Tolerance(
    1e-10,
    "closed form",
    "least squares by QR, sandwich covariances and, under a fixed seed, their bootstrap and "
    "permutation distributions: machines differ by rounding only (about 1e-15)",
)
IRLS = Tolerance(
    1e-9,
    "IRLS",
    "iteratively reweighted least squares stopping when the relative change in deviance is "
    "below 1e-12 (Poisson/quasi-Poisson GLM, Poisson PML, the propensity logit); convergence "
    "is quadratic, so one iteration more or less moves the estimates by about 1e-12",
)
NEGATIVE_BINOMIAL = Tolerance(
    1e-6,
    "IRLS alternating with the ML shape theta",
    "the alternation between IRLS and theta stops when theta changes by less than 1e-8 "
    "relative (as MASS::glm.nb); it converges linearly, so the coefficients are settled to "
    "about 1e-8, with a margin of 100",
)
GLS_ONE_PARAMETER = Tolerance(
    1e-10,
    "GLS with AR(1) or MA(1) errors, (RE)ML profile",
    "the profile optimum is polished to the root of the analytic score by Brent's method to "
    "machine precision: across OpenBLAS kernels and thread counts the estimates agree to 2e-15",
)
GLS_ONE_PARAMETER_UNPOLISHED = Tolerance(
    1e-6,
    "GLS with AR(1) or MA(1) errors, (RE)ML profile, not polished",
    "the polish to the root of the score found no sign change (an optimum at the stationarity "
    "boundary) or could not evaluate it, so the estimate is Brent's bounded search on the "
    "objective, settled to about sqrt(machine epsilon) (1.5e-8), with a margin of 100",
)
GLS_ARMA = Tolerance(
    1e-6,
    "GLS with ARMA(p, q) errors, (RE)ML profile by BFGS",
    "BFGS on finite-difference gradients locates the optimum to about sqrt(machine epsilon) "
    "(1.5e-8) in the ARMA parameters, with a margin of 100 for their effect on the estimates",
)

FRANK_WOLFE = Tolerance(
    1e-8,
    "Frank-Wolfe on the simplex (synthetic DiD weights)",
    "a fixed sequence of exact line-search steps stopped by R synthdid's rule (or at 10,000 "
    "iterations): vrueval and R synthdid agree to 1e-11 on Prop 99; a near-tie in the vertex "
    "choice could order the steps differently on another machine, with a margin of 1000",
)
SIMPLEX_EXACT = Tolerance(
    1e-10,
    "simplex least squares, exact active set (synthetic control weights, V fixed)",
    "non-negative least squares finds the support and the weights on it solve a linear system: "
    "machines differ by rounding only",
)
NESTED_V = Tolerance(
    1e-6,
    "nested V by Nelder-Mead (synthetic control predictor weights)",
    "Nelder-Mead stops at a simplex of size 1e-8 in V; the weights it induces are settled to "
    "about that, with a margin of 100",
)

#: A ``[sensitivity]`` analysis's robust sets (vrueval.sensitivity.honest_did).
SENSITIVITY_SET = Tolerance(
    1e-4,
    "robust confidence sets by test inversion (grid, then bisection), FLCI by a smooth optimiser",
    "each end of a C-LF or conditional set is located by bisection to 1e-5 of the target's "
    "standard error under a fixed seed; a rounding difference at a tested point can send the "
    "bisection the other way, moving an end by up to that, and the FLCI's half-length is "
    "settled to 1e-10: at most 1e-5 of the row's scale, with a margin of 10",
)
SENSITIVITY_BREAKDOWN = Tolerance(
    2e-3,
    "breakdown value by bisection on the bound",
    "the bisection stops when its bracket is narrower than 1e-3 of its top; a decision flipped "
    "by rounding at a tested bound moves the value within that bracket, with a margin of 2",
)


def tolerance(
    design: str, settings: Mapping[str, Any], diagnostics: Mapping[str, Any] | None = None
) -> Tolerance:
    """The tolerance of a fitted analysis, from its design name and its result's settings and
    diagnostics (``document["result"]["settings"]`` and ``["diagnostics"]`` of
    ``results.json``): a one-parameter GLS fit is held to 1e-10 only when its diagnostics
    record that the polish succeeded (``polished``).

    Raises
    ------
    ValueError
        For a design or model with no rule here: a new estimator must state its tolerance.
    """
    if design == "ITS":
        model = settings.get("model")
        if model == "ols":
            return CLOSED_FORM
        if model == "poisson":
            return IRLS
        if model == "negbin":
            return NEGATIVE_BINOMIAL
        if model == "gls":
            p, q = settings.get("arma") or (1, 0)
            if p + q != 1:
                return GLS_ARMA
            polished = bool((diagnostics or {}).get("polished", False))
            return GLS_ONE_PARAMETER if polished else GLS_ONE_PARAMETER_UNPOLISHED
        raise ValueError(f"no verify tolerance for ITS model {model!r}")
    if design in ("DiD", "EventStudy"):
        estimator = settings.get("estimator")
        if estimator == "poisson":
            return IRLS
        if estimator in ("twfe", "2x2", "event_study"):
            return CLOSED_FORM
        raise ValueError(f"no verify tolerance for {design} estimator {estimator!r}")
    if design in ("StaggeredDiD", "CallawaySantAnna"):
        covariates = settings.get("covariates") or []
        if settings.get("method") in ("dr", "ipw") and covariates:
            return IRLS
        return CLOSED_FORM
    if design in ("SunAbraham", "Imputation"):
        return CLOSED_FORM
    if design in ("SyntheticDiD", "StaggeredSyntheticDiD"):
        return FRANK_WOLFE
    if design == "SyntheticControl":
        return NESTED_V if settings.get("v") == "nested" else SIMPLEX_EXACT
    raise ValueError(
        f"no verify tolerance for design {design!r}: add a rule to vrueval.analysis.tolerance"
    )


def row_scale(row: Mapping[str, Any]) -> float:
    """The size of a term's numbers: what a difference in its estimate or bounds is relative to."""
    sizes = [
        abs(float(row[c]))
        for c in ("estimate", "std_error", "conf_low", "conf_high")
        if isinstance(row.get(c), int | float)
    ]
    return max(sizes, default=0.0)
