"""The few-clusters rule itself (vrueval.inference.few_clusters.check), case by case."""

from __future__ import annotations

import pytest

from vrueval.inference.few_clusters import (
    CLUSTER_INFERENCES,
    FEW_TREATED,
    ClusterCounts,
    TooFewClusters,
    check,
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


def test_influence_refuses_one_treated_but_warns_of_one_never_treated() -> None:
    with pytest.raises(TooFewClusters):
        check("influence", ClusterCounts(23, 1, 22))
    (warning,) = check("influence", ClusterCounts(23, 22, 1))
    assert "only 1 untreated" in warning


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
