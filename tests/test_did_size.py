"""Size of the DiD tests under a true null on synthetic force panels (tests/cluster_panels.py).

Shaped like the real crime severity analysis: 20 financial years, treatment in the last three,
AR(1) errors with force-specific scale, 22 never-funded comparators. The default test
(``DiD.fit()``: CR1, t with G - 1 df) must hold 5% where :mod:`vrueval.inference.few_clusters`
accepts it without a warning, and reject far more where it refuses (one treated cluster) or warns
(few treated). The simulated test is the package's own (:class:`cluster_panels.ArrayDiD` calls
:mod:`vrueval.designs.did.inference`); the first test shows it gives ``DiD.fit``'s p-values.

The same is checked for the other default tests at 18 treated / 22 never-treated forces: the
Callaway-Sant'Anna analytic (influence-function, z) test of the overall ATT
(:class:`vrueval.StaggeredDiD`, one cohort first treated in FY2019/20, on the same outcome model
as a long frame) and the Poisson PML DiD's CR1 test (t with G - 1 df) on synthetic counts
(:func:`cluster_panels.draw_counts`: force sizes about 30 to 1,500 a year, overdispersed AR(1)
noise; :class:`cluster_panels.ArrayPoissonDiD` gives ``DiD(estimator="poisson").fit()``'s p).

Monte Carlo error: a rate r from R replicates has standard error sqrt(r (1 - r) / R); the bands
are 5% +- 3 such errors (fast: R = 1,000, [2.9%, 7.1%]; R = 500, [2.1%, 7.9%]; R = 400,
[1.7%, 8.3%]; slow: R = 4,000, [3.97%, 6.03%]; 1,000 for the slower methods). The fast rows with
a few hundred replicates only catch gross failures; the slow rows measure the size. A default
test that does not hold 5% is a strict xfail carrying the measured rate, never a wider band.
"""

from __future__ import annotations

import numpy as np
import pytest
from cluster_panels import (
    START,
    ArrayDiD,
    ArrayPoissonDiD,
    count_panel,
    draw_outcomes,
    force_panel,
    mc_band,
    rejection_rate,
    staggered_frame,
)

import vrueval as ve
from vrueval import areas

NOMINAL = 0.05


def test_array_version_is_the_did_test() -> None:
    treated = list(areas.vru_2019()[:3])
    panel = force_panel(treated, 2, seed=11)
    for r in range(2):
        did = ve.DiD(panel, f"y{r}", start=START, treated=treated)
        for inference in ("cr1", "cr2", "wild", "randomization"):
            draws = {"wild": {"draws": 399}, "randomization": {"permutations": 399}}
            res = did.fit(inference, seed=5, **draws.get(inference, {}))
            units = [*res.settings["treated"], *res.settings["comparators"]]
            y = panel.wide(f"y{r}")[units].to_numpy().T
            is_treated = np.isin(units, res.settings["treated"])
            ours = ArrayDiD(is_treated).p_value(y, inference, seed=5)
            assert res.effects()["p_value"].iloc[0] == pytest.approx(ours, rel=1e-10), inference


def test_array_poisson_is_the_poisson_did_test() -> None:
    panel = count_panel(2, seed=12)
    for r in range(2):
        res = ve.DiD(panel, f"y{r}", start=START, estimator="poisson").fit()
        units = [*res.settings["treated"], *res.settings["comparators"]]
        y = panel.wide(f"y{r}")[units].to_numpy().T
        ours = ArrayPoissonDiD(np.isin(units, res.settings["treated"])).p_value(y)
        assert res.effects()["p_value"].iloc[0] == pytest.approx(ours, rel=1e-10)


def test_staggered_frame_is_the_rollout() -> None:
    """18 forces first treated in FY2019/20 (three post years of 20), 22 never treated."""
    treated = np.r_[np.ones(18, bool), np.zeros(22, bool)]
    y = draw_outcomes(40, treated, np.random.default_rng(3))
    fit = ve.StaggeredDiD(
        staggered_frame(y, 18), outcome="y", unit="unit", time="fy_end_year", first_treated="first"
    ).fit()
    assert fit.diagnostics["treated_units"] == 18
    assert fit.diagnostics["never_treated_units"] == 22
    assert fit.diagnostics["cohorts"] == "2020"
    assert fit.effects()["df"].isna().all()  # the analytic test is a z test


@pytest.mark.parametrize("n_treated", [18, 10])
def test_default_cr1_holds_5_percent_where_accepted(n_treated: int) -> None:
    reps = 1000
    rate = rejection_rate(n_treated, 22, "cr1", reps, seed=100 + n_treated)
    low, high = mc_band(NOMINAL, reps)
    assert low <= rate <= high, rate


@pytest.mark.parametrize(
    ("inference", "reps", "seed"),
    [("influence", 400, 400), ("poisson", 500, 500)],
)
def test_cs_analytic_and_poisson_cr1_hold_5_percent(inference: str, reps: int, seed: int) -> None:
    """18 treated / 22 never treated (fast: 400 panels ~30 s, 500 ~15 s on one core)."""
    rate = rejection_rate(18, 22, inference, reps, seed=seed)
    low, high = mc_band(NOMINAL, reps)
    assert low <= rate <= high, rate


@pytest.mark.parametrize(
    ("n_treated", "n_comparators", "inference"),
    [(1, 22, "cr1"), (22, 1, "cr1"), (1, 22, "cr2")],
)
def test_refused_cases_over_reject(n_treated: int, n_comparators: int, inference: str) -> None:
    """The issue's 67%: one treated (or one comparator) cluster, CR1 or CR2."""
    reps = 100
    rate = rejection_rate(n_treated, n_comparators, inference, reps, seed=7)
    assert rate > 0.35, rate  # about 0.6-0.65 in 1,000 panels


def test_warned_case_over_rejects() -> None:
    """Three treated of 25: CR1 rejects about 15% (the warning says so)."""
    reps = 1000
    rate = rejection_rate(3, 22, "cr1", reps, seed=8)
    assert rate > mc_band(NOMINAL, reps)[1], rate


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n_treated", "inference", "reps"),
    [(18, "cr1", 4000), (10, "cr1", 4000), (12, "cr1", 4000), (18, "cr2", 1000),
     (18, "wild", 1000), (18, "randomization", 1000), (4, "wild", 1000)],
)  # fmt: skip
def test_size_where_accepted_slow(n_treated: int, inference: str, reps: int) -> None:
    rate = rejection_rate(n_treated, 22, inference, reps, seed=2000 + n_treated)
    low, high = mc_band(NOMINAL, reps)
    print(f"{inference} {n_treated}/22: {rate:.4f} (band {low:.4f}-{high:.4f})")
    assert low <= rate <= high, rate


@pytest.mark.slow
@pytest.mark.parametrize(
    ("inference", "seed"),
    [
        pytest.param(
            "influence",
            79,
            marks=pytest.mark.xfail(
                strict=True,
                reason="measured 6.50% in 4,000 panels (6.45% in 2,000, seed 78): the analytic "
                "influence-function z test over-rejects with 40 clusters",
            ),
        ),
        pytest.param(
            "poisson",
            77,
            marks=pytest.mark.xfail(
                strict=True,
                reason="measured 7.40% in 4,000 panels (8.03% with seed 81); 4.8% when every "
                "force has the same size: Poisson weights put the score on the few large forces",
            ),
        ),
    ],
)
def test_cs_analytic_and_poisson_cr1_size_slow(inference: str, seed: int) -> None:
    reps = 4000
    rate = rejection_rate(18, 22, inference, reps, seed=seed)
    low, high = mc_band(NOMINAL, reps)
    print(f"{inference} 18/22: {rate:.4f} (band {low:.4f}-{high:.4f})")
    assert low <= rate <= high, rate


@pytest.mark.slow
def test_wild_bootstrap_cannot_reject_with_one_treated_cluster() -> None:
    """Why "wild" is refused with one treated cluster: no rejection even with a large effect."""
    rng = np.random.default_rng(9)
    treated = np.r_[True, np.zeros(22, bool)]
    did = ArrayDiD(treated)
    p = []
    for r in range(200):
        y = draw_outcomes(23, treated, rng)
        y[0, -3:] += 5.0  # about 3.5 error standard deviations
        p.append(did.p_value(y, "wild", seed=r))
    assert np.mean(np.array(p) < NOMINAL) < 0.02
