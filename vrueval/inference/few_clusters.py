"""How many clusters, and treated clusters, each cluster-based inference needs: one rule.

Every design that clusters (:class:`vrueval.DiD`, :class:`vrueval.EventStudy`,
:class:`vrueval.StaggeredDiD`, and the DiD power studies that simulate their tests) asks
:func:`check` before reporting; it raises :class:`TooFewClusters` where the inference cannot hold
and returns the warnings the result must carry where it may not.

What matters is not only ``G``, the clusters, but the smaller of ``G1`` (treated clusters) and
``G0`` (untreated ones): a DiD's estimate is a difference of the two groups' means, and each
group's share of the cluster-robust variance is estimated from that group's own clusters. With
``G1 = 1`` the treated cluster's residuals are zero by construction (its unit effect absorbs its
own mean change), so CR1 and CR2 see only the comparators' variance and the t test rejects a
true null far too often (Conley and Taber 2011; MacKinnon and Webb 2017, 2018). A continuous
treatment (intensity) spreads leverage over every cluster; only ``G`` is checked there.

The thresholds below come from the literature and from this package's own size simulation
(``tests/test_reliability_inference.py``: AR(1) panels of 20 periods shaped like the crime
severity panel, 1,000 replicates a case, rejection rates of a true null at 5%):

=============== ======================================= =========================================
inference       refused                                 warned
=============== ======================================= =========================================
all             ``G < 3``                               -
"cr1", "cr2"    ``min(G1, G0) = 1`` (CR1 rejects 64%,   ``min(G1, G0) < 6`` (CR1 22% at 2, 11% at
                CR2 64% with 1 treated of 23)           3, 8% at 4; CR2 far below 5% at 2-3);
                                                        ``G < 10`` overall
"wild"          ``min(G1, G0) = 1`` (the restricted     ``min(G1, G0) < 6`` (it under-rejects:
                bootstrap never rejected in 1,000       no rejection in 1,000 at 2); ``G < 10``
                panels: it cannot reject, and its
                interval is uninformative)
"randomization" -                                       fewer re-assignments than ``1/alpha``
                                                        (no p-value below alpha is attainable);
                                                        ``min(G1, G0) < 6``: exact only if the
                                                        treated units are exchangeable with the
                                                        comparators (not if noisier)
"influence"     ``G1 = 1``                              ``G1 < 6``
=============== ======================================= =========================================

References
----------
Conley, T. G. and Taber, C. R. (2011). Inference with "difference in differences" with a small
number of policy changes. *Review of Economics and Statistics* 93(1), 113-125.
MacKinnon, J. G. and Webb, M. D. (2017). Wild bootstrap inference for wildly different cluster
sizes. *Journal of Applied Econometrics* 32(2), 233-254.
MacKinnon, J. G. and Webb, M. D. (2018). The wild bootstrap for few (treated) clusters.
*Econometrics Journal* 21(2), 114-135.
MacKinnon, J. G. and Webb, M. D. (2020). Randomization inference for difference-in-differences
with few treated clusters. *Journal of Econometrics* 218(2), 435-450.
Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. *Review of Economics and Statistics* 90(3), 414-427.
Ferman, B. and Pinto, C. (2019). Inference in differences-in-differences with few treated groups
and heteroskedasticity. *Review of Economics and Statistics* 101(3), 452-467.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

ClusterInference = Literal["cr1", "cr2", "wild", "randomization", "influence"]
CLUSTER_INFERENCES: tuple[str, ...] = get_args(ClusterInference)

MIN_CLUSTERS = 3  # below: refused for every method
FEW_TREATED = 6  # min(G1, G0) below: a warning
FEW_CLUSTERS = 10  # G below: a warning for CR1, CR2 and the wild bootstrap

ALTERNATIVES = (
    "randomization inference (inference='randomization'; exact if the treated unit is "
    "exchangeable with the comparators) or a synthetic control"
)


class TooFewClusters(ValueError):
    """The clusters cannot support the requested inference."""


@dataclass(frozen=True)
class ClusterCounts:
    """Clusters of a fit: all of them, and for a binary treatment the treated and untreated.

    ``treated`` and ``untreated`` are None for a continuous treatment (intensity).
    """

    clusters: int
    treated: int | None = None
    untreated: int | None = None

    @property
    def smaller_group(self) -> int | None:
        """``min(G1, G0)``, or None for a continuous treatment."""
        if self.treated is None or self.untreated is None:
            return None
        return min(self.treated, self.untreated)

    def describe(self) -> str:
        if self.treated is None:
            return f"{self.clusters} clusters"
        return f"{self.clusters} clusters ({self.treated} treated, {self.untreated} untreated)"


def check(
    inference: ClusterInference,
    counts: ClusterCounts,
    *,
    level: float = 0.95,
    assignments: int | None = None,
) -> tuple[str, ...]:
    """Refuse (:class:`TooFewClusters`) or warn about ``inference`` with these clusters.

    Parameters
    ----------
    inference : {"cr1", "cr2", "wild", "randomization", "influence"}
        The covariance or resampling scheme ("influence": the analytic or multiplier-bootstrap
        standard errors of influence functions clustered by unit, as Callaway-Sant'Anna's).
    counts : ClusterCounts
    level : float
        Confidence level (the randomization test's attainable p-values are compared with
        ``1 - level``).
    assignments : int, optional
        Distinct re-assignments of a randomization test (by default ``C(G, G1)`` for a binary
        treatment, ``G!`` otherwise).

    Returns
    -------
    The warnings the result must carry (empty when none).
    """
    if inference not in CLUSTER_INFERENCES:
        raise ValueError(f"inference must be one of {CLUSTER_INFERENCES}, got {inference!r}")
    g, small = counts.clusters, counts.smaller_group
    what = counts.describe()
    if g < MIN_CLUSTERS:
        raise TooFewClusters(
            f"{what}: no cluster-based inference ({inference!r}) is possible with fewer than "
            f"{MIN_CLUSTERS} clusters (with two, the cluster scores sum to zero and CR1's "
            "standard error collapses towards 0); compare the units descriptively instead"
        )
    if inference == "randomization":
        return _randomization(counts, level, assignments)
    group = "treated" if counts.treated == small else "untreated"
    if small == 1:
        if inference == "influence" and counts.treated != 1:
            return ()
        why = {
            "cr1": "CR1 sees only the other group's variance and rejects a true null in about "
            "64% of simulated panels at 5%",
            "cr2": "CR2 sees only the other group's variance and rejects a true null in about "
            "64% of simulated panels at 5%",
            "wild": "the wild cluster restricted bootstrap cannot reject (no rejection in 1,000 "
            "simulated panels, with or without an effect) and its interval is uninformative",
            "influence": "the influence-function standard error sees only the comparison "
            "units' variance",
        }[inference]
        raise TooFewClusters(
            f"{what}: with one {group} cluster {why} (Conley and Taber 2011; MacKinnon and Webb "
            f"2018). Use {ALTERNATIVES}"
        )
    warnings: list[str] = []
    if small is not None and small < FEW_TREATED:
        scheme = {
            "cr1": "CR1 over-rejects (22% at 5% with 2, 11% with 3 in simulation)",
            "cr2": "CR2 with Bell-McCaffrey df is far from exact (under 1% at 5% with 2)",
            "wild": "the wild cluster restricted bootstrap under-rejects and has little power",
            "influence": "the standard error rests on few treated units and is unreliable",
        }[inference]
        warnings.append(
            f"only {small} {group} clusters ({what}): {scheme} (MacKinnon and Webb 2017, 2018); "
            f"check against {ALTERNATIVES}"
        )
    if inference != "influence" and g < FEW_CLUSTERS:
        warnings.append(
            f"only {g} clusters: cluster-robust inference rests on few clusters and its size "
            "is approximate (Cameron, Gelbach and Miller 2008)"
        )
    return tuple(warnings)


def _randomization(counts: ClusterCounts, level: float, assignments: int | None) -> tuple[str, ...]:
    g, small = counts.clusters, counts.smaller_group
    if assignments is None:
        assignments = (
            math.comb(g, counts.treated) if counts.treated is not None else math.factorial(g)
        )
    warnings: list[str] = []
    alpha = 1 - level
    if assignments * alpha < 1:
        warnings.append(
            f"{counts.describe()} allow {assignments} re-assignments: the smallest attainable "
            f"p-value, 1/{assignments}, is above {alpha:g}, so the test cannot reject at this "
            "level and the interval is unbounded"
        )
    elif small is not None and small < FEW_TREATED:
        warnings.append(
            f"randomization inference with {small} "
            f"{'treated' if counts.treated == small else 'untreated'} clusters is exact only if "
            "the treated units are exchangeable with the comparators; it over- or "
            "under-rejects when they are noisier or larger (MacKinnon and Webb 2020)"
        )
    return tuple(warnings)
