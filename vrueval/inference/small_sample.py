"""The CR1 small-sample correction: one named rule for every design and power kernel.

The CR1 covariance is ``c * B (sum_g s_g s_g') B`` with ``c = G/(G-1) * (n-1)/(n-K)``. Software
agrees on ``G/(G-1)`` and disagrees on ``K``, the parameters counted, when fixed effects are
absorbed; the rule is chosen with ``small_sample=`` and recorded in the result's ``settings``:

========== ============================================= ===========================================
rule       K counts                                      meant to match
========== ============================================= ===========================================
"fixest"   the coefficients, the fixed effects *not*     R ``fixest::feols`` / ``fepois`` default
(default)  nested in the clusters (period effects less   (``ssc(adj = TRUE, fixef.K = "nested",
           one, ``T - 1``, with unit clusters) and one   cluster.adj = TRUE)``); pyfixest's
           level of the nested effects: ``T`` in all     default ``ssc()``
"stata"    every parameter, unit and period effects      Stata ``regress y D i.unit i.period,
           included (``N + T - 1`` plus coefficients)    vce(cluster unit)``; R ``lm`` (or ``glm``)
                                                         with unit dummies and
                                                         ``sandwich::vcovCL(type = "HC1")``;
                                                         ``estimatr::lm_robust(se_type = "stata")``
"plm"      the coefficients only (both effects           R ``plm::vcovHC(within_model,
           absorbed)                                     cluster = "group", type = "sss")``
"none"     nothing: ``c = 1`` (CR0)                      R ``plm::vcovHC(within_model,
                                                         cluster = "group")`` (its default HC0);
                                                         ``sandwich::vcovCL(type = "HC0",
                                                         cadjust = FALSE)``
========== ============================================= ===========================================

Two-way clustering (Cameron, Gelbach and Miller 2011) sums three CR1 parts, ``V_a + V_b - V_ab``,
and the rules also differ in the ``G`` of each part's factor. "fixest" gives every part one factor
with the smaller ``G``, ``min(G_a, G_b)``, and counts in ``K`` only the effects nested in *neither*
dimension (clustered by region and year, the unit effects are nested in the regions and the
period effects in the years, so ``K`` is the coefficients and one intercept), as fixest's
default ``ssc(cluster.df = "min", fixef.K = "nested")`` does; "stata", "plm" and "none" give
each part its own ``G/(G-1)``, as ``sandwich::vcovCL(cluster = ~ a + b)`` does. The t
reference is ``t(min(G_a, G_b) - 1)`` under every rule (fixest's ``t.df = "min"``).

With 40 forces and 20 years the "stata" factor is 5.3% larger than "fixest" (standard errors 2.6%
apart); with one-way clustering the t reference is ``t(G - 1)`` under every rule. The rules differ
only when ``n - K`` is small relative to ``n``, and none of them repairs CR1 with few (treated)
clusters: that is :mod:`vrueval.inference.few_clusters`'s job.

What is checked against what (tests/test_did_small_sample.py, on the real CSS panel: TWFE, 2x2,
event study, population-weighted TWFE and Poisson DiD, 40 forces):

- "stata", "plm" and "none": standard errors against the R packages in the table
  (tests/reference/did_small_sample_reference.R), 1e-10 relative (Poisson 1e-7). Standard errors
  only: plm and ``lm`` + ``vcovCL`` take p-values from t with the residual df ``n - K``; vrueval
  uses ``t(G - 1)`` (as fixest and Stata do), so its p-values are larger than theirs.
- "fixest": against pyfixest 0.60 (``feols`` / ``fepois`` with ``vcov={"CRV1": unit}`` and the
  default ``ssc()``; R's fixest was not installable; pyfixest is tested against it by its
  authors), tests/reference/did_small_sample_pyfixest.py: estimate, standard error, t and the
  df agree to 1e-10 (Poisson 1e-7); ``feols`` takes p from ``t(G - 1)`` as vrueval does, and
  those agree too; ``fepois`` takes p from the normal, so for the Poisson DiD only the estimate,
  SE and t are compared. (Until this check existed the rule counted ``T - 1``, one parameter
  fewer than fixest: the recorded CR1 numbers moved by 0.03-0.3% when it was corrected.)
- "fixest" two-way, against the same pyfixest (``vcov={"CRV1": "region+fy"}``, default
  ``ssc()``) in tests/test_did_complete.py: the DiD with a covariate clustered by region and
  year, by force and year, and by force and region (the year effects nested in neither, so
  counted in ``K``), the event study by force and year (pyfixest leaves its negative
  variances; repaired as vrueval repairs them, the matrices agree) and the Poisson DiD by region
  and year, at the same tolerances. (Until this check existed two-way "fixest" gave each part
  its own ``G`` and counted in ``K`` every effect not nested in both dimensions, i.e. equalled
  "stata": standard errors 4-7% wider than fixest's on those models.)

References
----------
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
*Journal of Human Resources* 50(2), 317-372 (section VI.B: the CR1 factor, and why fixed effects
nested in the clusters should not be counted in K).
Bergé, L. (2018). Efficient estimation of maximum likelihood models with multiple fixed-effects:
the R package FENmlm. CREA Discussion Paper 2018-13 (fixest's small-sample corrections).
Croissant, Y. and Millo, G. (2008). Panel data econometrics in R: the plm package. *Journal of
Statistical Software* 27(2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from vrueval.options import choice

SmallSample = Literal["fixest", "stata", "plm", "none"]
SMALL_SAMPLES: tuple[str, ...] = get_args(SmallSample)
DEFAULT_SMALL_SAMPLE: SmallSample = "fixest"

FloatArray = np.ndarray


@dataclass(frozen=True)
class ParamCount:
    """The parameters of a model with absorbed fixed effects, as the small-sample rules count them.

    Attributes
    ----------
    coefficients : estimated (not absorbed) coefficients, e.g. 1 for a DiD's ATT.
    nested_effects : fixed effects nested in the clusters (unit effects with unit clusters: N,
        the intercept included; with two-way clusters those nested in either dimension, N + T - 1
        where both are).
    other_effects : the other linearly independent fixed effects (period effects: T - 1).
    """

    coefficients: int | FloatArray
    nested_effects: int | FloatArray
    other_effects: int | FloatArray

    @classmethod
    def two_way(cls, n_units: int, n_periods: int, coefficients: int) -> ParamCount:
        """Unit and period effects, clusters by unit (the comparator designs)."""
        return cls(coefficients, n_units, n_periods - 1)


def check_small_sample(rule: object) -> SmallSample:
    """``rule`` if it names a small-sample rule, else a ValueError listing them."""
    choice(rule, SMALL_SAMPLES, "small_sample")
    return rule  # type: ignore[return-value]


def n_params(rule: SmallSample, count: ParamCount) -> FloatArray:
    """``K`` of the factor ``(n-1)/(n-K)`` under ``rule`` (element-wise for array counts)."""
    check_small_sample(rule)
    k = np.asarray(count.coefficients, dtype=float)
    nested = np.asarray(count.nested_effects, dtype=float)
    if rule in ("fixest", "stata"):
        k = k + np.asarray(count.other_effects, dtype=float)
    if rule == "fixest":
        # fixest drops the levels of an effect nested in the clusters but keeps one of them
        k = k + (nested > 0)
    if rule == "stata":
        k = k + nested
    return k


#: Rules that give every part of a multiway (CGM) sum one factor, with the smallest G.
SHARED_CLUSTER_FACTOR: frozenset[str] = frozenset({"fixest"})


def multiway_factors(
    rule: SmallSample,
    *,
    n_obs: float,
    n_clusters: Sequence[int],
    count: ParamCount,
) -> list[float]:
    """The CR1 factor of each part of a multiway sum ``V_a + V_b - V_ab``, under ``rule``.

    Parameters
    ----------
    rule : {"fixest", "stata", "plm", "none"}
        "fixest" gives each part ``min(G_a, G_b)`` (fixest's ``cluster.df = "min"``); the others
        give each part its own ``G`` (``sandwich::vcovCL``, fixest's ``"conventional"``).
    n_obs : observations ``n`` of the fitted model.
    n_clusters : the ``G`` of each part (the smallest is a one-way dimension's: the
        intersection has at least as many clusters as either).
    count : the model's parameters (:class:`ParamCount`), the same for every part.
    """
    sizes = list(n_clusters)
    if rule in SHARED_CLUSTER_FACTOR:
        sizes = [min(sizes)] * len(sizes)
    return [float(cr1_factor(rule, n_obs=n_obs, n_clusters=g, count=count)) for g in sizes]


def cr1_factor(
    rule: SmallSample,
    *,
    n_obs: float | FloatArray,
    n_clusters: float | FloatArray,
    count: ParamCount,
) -> FloatArray:
    """The CR1 factor ``G/(G-1) * (n-1)/(n-K)`` under ``rule`` (1 for "none"), element-wise.

    Parameters
    ----------
    rule : {"fixest", "stata", "plm", "none"}
        See the module's table.
    n_obs : observations ``n`` of the fitted model.
    n_clusters : clusters ``G`` (at least 2).
    count : the model's parameters (:class:`ParamCount`).
    """
    check_small_sample(rule)
    g = np.asarray(n_clusters, dtype=float)
    if np.any(g < 2):
        raise ValueError("cluster-robust errors need at least two clusters")
    if rule == "none":
        return np.ones_like(g)
    n = np.asarray(n_obs, dtype=float)
    k = n_params(rule, count)
    if np.any(n - k < 1):
        raise ValueError(
            f"small_sample={rule!r} counts K={np.max(k):.0f} parameters for n={np.min(n):.0f} "
            "observations: the factor (n-1)/(n-K) is undefined"
        )
    return g / (g - 1) * (n - 1) / (n - k)
