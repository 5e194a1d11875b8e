"""How many clusters, and treated clusters, each cluster-based inference needs: one rule.

Every design that clusters (:class:`vrueval.DiD`, :class:`vrueval.EventStudy`,
:class:`vrueval.StaggeredDiD`, and the DiD power studies that simulate their tests) asks
:func:`check` before reporting; it raises :class:`TooFewClusters` where the inference cannot hold
and returns the warnings the result must carry where it may not.

What matters is not only ``G``, the clusters, but the smaller of ``G1`` (treated clusters) and
``G0`` (untreated ones): a DiD's estimate is a difference of the two groups' means, and each
group's share of the cluster-robust variance is estimated from that group's own clusters. With
``G1 = 1`` the treated cluster's score is zero by construction (its residuals sum to zero before
and after the start: its unit effect and the treatment absorb both means), so CR1 and CR2 see
only the comparators' variance and the t test rejects a true null far too often (Conley and
Taber 2011; MacKinnon and Webb 2017, 2018).

``G1`` and ``G0`` are read from the treatment column actually fitted
(:meth:`ClusterCounts.from_treatment`): ``G1`` counts the clusters with a non-zero treatment in some
fitted row, ``G0``, where units are nested in the clusters, the clusters holding a comparison unit
(one with no treated row): with clusters wider than units (local authorities clustered by force) a
cluster mixing treated and comparison units counts in both, as in the staggered designs; where
clusters cut across units (clustering by period), the clusters with no treated row. An intensity
given to one unit against untreated comparators is therefore one treated cluster, as a binary
treatment is (its intensity only rescales the same column), and a treated unit none of whose
post-start cells is observed counts as untreated (it contributes nothing to the treatment column).
Only when every unit has some treatment (``G0 = 0``: intensities varying across all units) is the
treatment continuous, its leverage spread over every cluster, and only ``G`` checked. Designs whose
comparison group is named (Callaway-Sant'Anna's never-treated or not-yet-treated units) say so, and
the messages use that name.

The thresholds below come from the literature and from simulating the model of
``tests/cluster_panels.py`` (AR(1) panels of 20 periods, the last three treated, force-specific
error scales, shaped like the crime severity panel; 1,000 replicates a case, 4,000 for CR1
alone; rejection rates of a true null at 5%, Monte Carlo standard errors 0.7 and 0.35 points;
``G1/G0`` treated/comparators). ``tests/test_did_size.py`` reruns the key cases (a fast version
in the normal suite, the rest marked slow):

=============== ======================================= =========================================
inference       refused                                 warned
=============== ======================================= =========================================
every one       ``G < 3`` (with 1/1, CR1 and CR2        -
                reject 100%, the wild bootstrap 21%)
"cr1"           ``min(G1, G0) = 1`` (64% with 1/22,     ``min(G1, G0) < 10``: 22% with 2/22, 15%
                61% with 22/1)                          3/22, 10% 4/22, 8% 5/22, 7% 6-8/22, 5.6%
                                                        9/22; 5.1% 10/22, 4.5-5.2% 18/22
"cr2"           ``min(G1, G0) = 1`` (64%)               ``min(G1, G0) < 6``: Bell-McCaffrey df
                                                        make it conservative (0.3% with 2/22, 2%
                                                        3/22, 2.6% 4/22, 4.6% 6/22)
"wild"          ``min(G1, G0) = 1``: no rejection in    ``min(G1, G0) < 4`` (no rejection in
                1,000 null panels, and p-values above   1,000 with 2/22, 1.7% with 3/22; 5.4%
                0.35 with an effect of 3.5 error        4/22); ``G < 10`` (8% with 3/3, 6% 5/5)
                standard deviations: it cannot reject
"randomization" -                                       no p-value below alpha attainable (too
                                                        few re-assignments); ``min(G1, G0) <
                                                        10``: exact only if the treated units are
                                                        exchangeable with the comparators (4.8%
                                                        with 1/22 when they are; with treated
                                                        units 3 times noisier, 36% with 1/22,
                                                        15% 2/22, 8% 4/22 and 6/22)
"influence"     ``min(G1, G0) = 1`` (18 treated against ``min(G1, G0) < 10``: Callaway-Sant'Anna's
                one never-treated unit, the control     analytic test rejected 27% with 2/22, 16%
                group: the analytic test rejected       3/22, 9.5% 6/22, 6.5% 10/22 and 18/22
                61.5%, the multiplier bootstrap 62%;    (400 replicates, standard error 1.2)
                two cohorts of 9, 48.5% and 49%; 200
                replicates, standard error 3.5)
=============== ======================================= =========================================

A continuous treatment (``G0 = 0``) is checked on ``G`` alone: refused below 3, warned below 10.

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

import numpy as np
import numpy.typing as npt

from vrueval.inference.cluster import nested
from vrueval.inference.draws import attainable_p_warning
from vrueval.options import choice

ClusterInference = Literal["cr1", "cr2", "wild", "randomization", "influence"]
CLUSTER_INFERENCES: tuple[str, ...] = get_args(ClusterInference)

MIN_CLUSTERS = 3  # below: refused for every method
# min(G1, G0) below which each method's result carries a warning (the table above)
FEW_TREATED: dict[str, int] = {"cr1": 10, "cr2": 6, "wild": 4, "randomization": 10, "influence": 10}
FEW_CLUSTERS = 10  # G below: a warning for the wild bootstrap and for a continuous treatment
# Callaway-Sant'Anna, 18 treated units against one never-treated unit (control_group
# "never_treated"): rejection of a true null at 5% in 200 simulated panels (the table above)
REJECT_ONE_NEVER = "62%"

ALTERNATIVES = (
    "randomization inference (inference='randomization'; exact if the treated unit is "
    "exchangeable with the comparators) or a synthetic control"
)
# Callaway-Sant'Anna has no randomization inference of its own
INFLUENCE_ALTERNATIVES = (
    "vrueval.DiD with inference='randomization' (exact if the treated units are exchangeable "
    "with the comparators), more comparison units (control_group='not_yet_treated' where later "
    "cohorts exist) or a synthetic control"
)


class TooFewClusters(ValueError):
    """The clusters cannot support the requested inference."""


@dataclass(frozen=True)
class ClusterCounts:
    """Clusters of a fit: all of them, and unless the treatment is continuous the treated
    (``G1``) and the untreated or comparison ones (``G0``).

    ``treated`` and ``untreated`` are None for a continuous treatment (every cluster treated to
    some degree). ``untreated_name`` names the comparison group in messages ("untreated",
    "never-treated", ...).
    """

    clusters: int
    treated: int | None = None
    untreated: int | None = None
    untreated_name: str = "untreated"

    @classmethod
    def from_treatment(
        cls,
        clusters: npt.ArrayLike,
        treatment: npt.ArrayLike,
        units: npt.ArrayLike | None = None,
    ) -> ClusterCounts:
        """Counts from the treatment column actually fitted, one entry a fitted row.

        ``G1`` is the number of clusters with a non-zero treatment in some row. With
        ``units`` (each row's unit) nested in the clusters, ``G0`` is the number holding a
        comparison unit, one whose every fitted row has zero treatment, so a cluster mixing
        treated and comparison units counts in both; otherwise (no ``units``, or clusters that
        cut across units, as periods do) ``G0`` is the clusters with no treated row. With
        ``G0 = 0`` the treatment is continuous (only ``G`` is known).
        """
        codes = np.asarray(clusters)
        d = np.asarray(treatment, dtype=float)
        if codes.shape != d.shape:
            raise ValueError(f"clusters {codes.shape} and treatment {d.shape} differ in shape")
        g = len(np.unique(codes))
        treated_rows = d != 0
        g1 = len(np.unique(codes[treated_rows]))
        unit = None if units is None else np.asarray(units)
        if unit is not None and unit.shape != d.shape:
            raise ValueError(f"units {unit.shape} and treatment {d.shape} differ in shape")
        if unit is None or not nested(unit, codes):
            return cls(g) if g1 == g else cls(g, g1, g - g1)
        comparison = ~np.isin(unit, unit[treated_rows])
        g0 = len(np.unique(codes[comparison]))
        return cls(g) if g0 == 0 else cls(g, g1, g0)

    @property
    def smaller_group(self) -> int | None:
        """``min(G1, G0)``, or None for a continuous treatment."""
        if self.treated is None or self.untreated is None:
            return None
        return min(self.treated, self.untreated)

    @property
    def smaller_name(self) -> str:
        """The name of the smaller group ("treated" on a tie)."""
        return "treated" if self.treated == self.smaller_group else self.untreated_name

    def describe(self) -> str:
        if self.treated is None:
            return f"{self.clusters} clusters"
        return (
            f"{self.clusters} clusters ({self.treated} treated, {self.untreated} "
            f"{self.untreated_name})"
        )


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
    choice(inference, CLUSTER_INFERENCES, "inference")
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
    group = counts.smaller_name
    alternatives = INFLUENCE_ALTERNATIVES if inference == "influence" else ALTERNATIVES
    if small == 0:
        raise TooFewClusters(f"{what}: no {group} clusters, so nothing to compare with")
    if small == 1:
        why = {
            "cr1": "CR1 sees only the other group's variance and rejects a true null in about "
            "64% of simulated panels at 5%",
            "cr2": "CR2 sees only the other group's variance and rejects a true null in about "
            "64% of simulated panels at 5%",
            "wild": "the wild cluster restricted bootstrap cannot reject (no rejection in 1,000 "
            "simulated null panels, p-values above 0.35 with an effect of 3.5 error standard "
            "deviations) and its interval is uninformative",
            "influence": "the influence-function standard error sees only the other group's "
            "variance (with 18 treated units against one never-treated unit the analytic test "
            f"rejected a true null in {REJECT_ONE_NEVER} of simulated panels at 5%)",
        }[inference]
        raise TooFewClusters(
            f"{what}: with one {group} cluster {why} (Conley and Taber 2011; MacKinnon and Webb "
            f"2018). Use {alternatives}"
        )
    warnings: list[str] = []
    if small is not None and small < FEW_TREATED[inference]:
        scheme = {
            "cr1": "CR1 over-rejects (22% at 5% with 2 of 24, 10% with 4 of 26, 7% with 6 of 28 "
            "in simulation)",
            "cr2": "CR2 with Bell-McCaffrey df is conservative (0.3% at 5% with 2 of 24, 2.6% "
            "with 4 of 26 in simulation) and loses power",
            "wild": "the wild cluster restricted bootstrap under-rejects (no rejection at 5% in "
            "1,000 simulated panels with 2 of 24) and has little power",
            "influence": f"the standard error rests on few {group} units and is too small",
        }[inference]
        warnings.append(
            f"only {small} {group} clusters ({what}): {scheme} (MacKinnon and Webb 2017, 2018); "
            f"check against {alternatives}"
        )
    if (inference == "wild" or small is None) and g < FEW_CLUSTERS:
        warnings.append(
            f"only {g} clusters: cluster-robust inference rests on few clusters and its size "
            "is approximate (the wild bootstrap rejected 6-8% at 5% with 6-10 clusters in "
            "simulation; Cameron, Gelbach and Miller 2008)"
        )
    return tuple(warnings)


def distinct_assignments(assignment: npt.ArrayLike) -> int:
    """Distinct re-orderings of a unit-level assignment (``C(G, G1)`` for a binary one)."""
    _, repeats = np.unique(np.asarray(assignment, dtype=float), return_counts=True)
    count = math.factorial(int(repeats.sum()))
    for r in repeats:
        count //= math.factorial(int(r))
    return count


def _randomization(counts: ClusterCounts, level: float, assignments: int | None) -> tuple[str, ...]:
    g, small = counts.clusters, counts.smaller_group
    if assignments is None:
        assignments = (
            math.comb(g, counts.treated) if counts.treated is not None else math.factorial(g)
        )
    warnings: list[str] = []
    # a balanced binary split pairs every assignment with its mirror image (the same |t|)
    smallest = 2 if counts.treated is not None and counts.treated == counts.untreated else 1
    what = f"{counts.describe()} allow {assignments} re-assignments"
    floor = attainable_p_warning(smallest, assignments, level, what)
    if floor is not None:
        warnings.append(floor)
    elif small is not None and small < FEW_TREATED["randomization"]:
        warnings.append(
            f"randomization inference with {small} {counts.smaller_name} clusters is exact "
            "only if "
            "the treated units are exchangeable with the comparators; with treated units three "
            "times noisier it rejected a true null 36% (1 treated), 15% (2) and 8% (4-6) at 5% "
            "in simulation (MacKinnon and Webb 2020)"
        )
    return tuple(warnings)
