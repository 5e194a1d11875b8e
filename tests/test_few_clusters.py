"""The few-clusters rule itself (vrueval.inference.few_clusters.check), case by case."""

from __future__ import annotations

import numpy as np
import pytest

from vrueval.inference.few_clusters import (
    CLUSTER_INFERENCES,
    FEW_TREATED,
    ClusterCounts,
    TooFewClusters,
    check,
    distinct_assignments,
)


@pytest.mark.parametrize("inference", CLUSTER_INFERENCES)
def test_fewer_than_three_clusters_refused_for_every_method(inference: str) -> None:
    for counts in (ClusterCounts(2, 1, 1), ClusterCounts(2)):
        with pytest.raises(TooFewClusters, match="fewer than 3"):
            check(inference, counts)  # type: ignore[arg-type]


@pytest.mark.parametrize("inference", ["cr1", "cr2", "wild"])
def test_one_treated_or_one_untreated_refused(inference: str) -> None:
    cases = ((ClusterCounts(23, 1, 22), "treated"), (ClusterCounts(23, 22, 1), "untreated"))
    for counts, group in cases:
        with pytest.raises(TooFewClusters, match=f"one {group} cluster"):
            check(inference, counts)  # type: ignore[arg-type]


def test_influence_refuses_one_treated_and_one_never_treated() -> None:
    # one never-treated unit as Callaway-Sant'Anna's control group: the analytic test rejected a
    # true null in 62% of 200 simulated panels (the docstring's table)
    with pytest.raises(TooFewClusters, match="one treated cluster"):
        check("influence", ClusterCounts(23, 1, 22, "never-treated"))
    with pytest.raises(TooFewClusters, match=r"1 never-treated\).*one never-treated cluster"):
        check("influence", ClusterCounts(19, 18, 1, "never-treated"))


def test_messages_name_the_comparison_group() -> None:
    (warning,) = check("influence", ClusterCounts(18, 12, 6, "comparison"))
    assert warning.startswith("only 6 comparison clusters (18 clusters (12 treated, 6 comparison))")
    with pytest.raises(TooFewClusters, match="no comparison clusters"):
        check("influence", ClusterCounts(18, 18, 0, "comparison"))


def test_counts_come_from_the_fitted_treatment_column() -> None:
    unit = np.repeat(np.arange(4), 3)
    post = np.tile([0.0, 1.0, 1.0], 4)
    # an intensity in one unit is one treated cluster, as a binary treatment is
    assert ClusterCounts.from_treatment(unit, post * np.repeat([0.8, 0, 0, 0], 3)) == (
        ClusterCounts(4, 1, 3)
    )
    # a treated unit whose post cells are not observed (none of its fitted rows is treated)
    rows = ~((unit == 1) & (post == 1))
    d = (post * np.repeat([1.0, 1.0, 0, 0], 3))[rows]
    assert ClusterCounts.from_treatment(unit[rows], d) == ClusterCounts(4, 1, 3)
    # continuous only when every cluster is treated to some degree
    assert ClusterCounts.from_treatment(unit, post * np.repeat([0.2, 0.4, 0.6, 0.8], 3)) == (
        ClusterCounts(4)
    )
    # clusters wider than units: a cluster holding treated and comparison units counts in
    # both groups; one holding only comparison units adds to G0 alone (an audit found the
    # second case refused as "1 untreated cluster" while the first was allowed)
    region = np.repeat([0, 0, 1, 1, 2, 2], 3)
    units = np.repeat(np.arange(6), 3)
    post6 = np.tile([0.0, 1.0, 1.0], 6)
    mixed = post6 * np.repeat([1.0, 0, 1.0, 0, 1.0, 0], 3)
    assert ClusterCounts.from_treatment(region, mixed, units) == ClusterCounts(3, 3, 3)
    pure = post6 * np.repeat([1.0, 1.0, 1.0, 0, 0, 0], 3)  # region 1 mixed, region 2 comparison
    assert ClusterCounts.from_treatment(region, pure, units) == ClusterCounts(3, 2, 2)
    assert ClusterCounts.from_treatment(units, pure, units) == ClusterCounts(6, 3, 3)
    every = post6 * np.repeat([0.2, 0.4, 0.6, 0.8, 1.0, 1.2], 3)
    assert ClusterCounts.from_treatment(region, every, units) == ClusterCounts(3)
    # units not nested in the clusters (clusters by period): the old count, G0 the clusters
    # with no treated row (here the one pre-period), not every period
    period = np.tile([0, 1, 2], 6)
    assert ClusterCounts.from_treatment(period, pure, units) == ClusterCounts(3, 2, 1)
    with pytest.raises(TooFewClusters, match="one treated cluster"):
        check("cr1", ClusterCounts.from_treatment(np.repeat(np.arange(23), 3), np.repeat(
            np.r_[0.8, np.zeros(22)], 3)))  # fmt: skip


def test_distinct_assignments() -> None:
    assert distinct_assignments([1, 1, 0, 0, 0]) == 10
    assert distinct_assignments([0.8, 0.5, 0, 0, 0]) == 20
    assert distinct_assignments([0.1, 0.2, 0.3]) == 6


@pytest.mark.parametrize("inference", ["cr1", "cr2", "wild", "randomization", "influence"])
def test_warning_threshold_is_the_tables(inference: str) -> None:
    below = FEW_TREATED[inference] - 1
    assert check(inference, ClusterCounts(below + 22, below, 22))  # type: ignore[arg-type]
    assert not check(inference, ClusterCounts(below + 23, below + 1, 22))  # type: ignore[arg-type]


def test_randomization_warns_when_it_cannot_reject() -> None:
    # 3 against 3: 20 assignments, mirrored in pairs, so the smallest p-value is 0.1
    (warning,) = check("randomization", ClusterCounts(6, 3, 3))
    assert "cannot reject" in warning
    assert not any("cannot reject" in w for w in check("randomization", ClusterCounts(8, 4, 4)))
    # at the 80% level 20 assignments are enough
    assert not any(
        "cannot reject" in w for w in check("randomization", ClusterCounts(6, 3, 3), level=0.8)
    )


def test_continuous_treatment_checks_clusters_only() -> None:
    assert check("cr1", ClusterCounts(12)) == ()
    (warning,) = check("wild", ClusterCounts(9))
    assert "only 9 clusters" in warning


def test_one_never_treated_unit_is_refused_because_it_over_rejects() -> None:
    """The refusal's number: Callaway-Sant'Anna's analytic test with 18 treated forces against one
    never-treated force, run under the rule (the same steps as StaggeredDiD.fit), rejects a true
    null far above 5% (62% in 200 panels when the threshold was set; 60% in these 100)."""
    from cluster_panels import force_panel

    from vrueval import StaggeredDiD, areas
    from vrueval.designs.staggered.aggregate import AGGREGATIONS, aggregate
    from vrueval.designs.staggered.estimate import group_time_att
    from vrueval.designs.staggered.results import effects_table, families

    vru = list(areas.vru_2019())
    never = next(u for u in areas.comparators() if u != "E23000034")
    reps, hits = 100, 0
    for s in range(reps):
        p = force_panel(vru, 1, seed=1000 + s, units=[*vru, never])
        d = StaggeredDiD(p, outcome="y0", first_treated={u: "2019/20" for u in vru}).data
        gt = group_time_att(d, control_group="never_treated", method="dr", base_period="varying")
        aggs = {k: aggregate(gt, d.first, k) for k in AGGREGATIONS}  # type: ignore[arg-type]
        table, *_ = effects_table(families(gt, aggs, d.periods, "group"), level=0.95,
                                 inference="analytic")  # fmt: skip
        hits += int(table.loc[table["term"] == "att", "p_value"].item() < 0.05)
    assert hits / reps > 0.4  # 5% +- 3 Monte Carlo errors would be below 0.12
