"""Monte Carlo coverage of the ITS level and slope changes under AR(1) errors (n = 120).

Truth: y_t = 10 + 0.05 t - 2 L_t + 0.02 S_t + e_t, e AR(1) with rho = 0.5 (and 0.8 for the
slope-change study), interruption at t = 60. The simulation is
vrueval.validation.calibration.its_coverage / its_coverage_by_term (the report runs it too); the
2000-replicate runs are recorded with the command and date in
tests/reference/inference_calibration.json (MEASURED and SLOPE_MEASURED below). Methods: naive OLS,
plain Newey-West (nw1994 lag 4, t(n - k), as sandwich/statsmodels), the default HAC (Bartlett,
lag ceil(1.3 sqrt(T)) = 15, design-specific fixed-b t), EWC (B = 10, fixed-b) and GLS-AR(1) REML.

What is honest (2000 replicates, Monte Carlo s.e. about 0.005 near 0.95, 0.008 near 0.85):
at rho = 0.5 the default HAC, EWC and GLS cover both the level and the slope change within
[0.93, 0.97]; at rho = 0.8 none reaches the target - GLS and EWC come closest (slope 0.92 and
0.90, level 0.93 both), the default Bartlett HAC covers the slope change 0.855 and the level 0.90,
and plain Newey-West and naive OLS fall to 0.68 and 0.47 on the slope. The slow tests assert
those bounds; nothing is tuned to pass them.
"""

from __future__ import annotations

import pytest

from vrueval.validation.calibration import (
    ITS_LABELS,
    its_coverage_by_term,
    its_slope_coverage_table,
    recorded,
)
from vrueval.validation.calibration import its_coverage as coverage

# 2000 replicates, seed 20240601 (coverage of the 95% interval of the level change, rho = 0.5).
MEASURED = {"naive": 0.745, "nw_plain": 0.858, "hac": 0.937, "ewc": 0.952, "gls": 0.9345}
# 2000 replicates, seeds 20240601 (rho 0.5; its level row is MEASURED) and 20240602 (rho 0.8).
SLOPE_MEASURED = {
    0.5: {
        "slope_change": {"naive": 0.729, "nw_plain": 0.847, "hac": 0.9365, "ewc": 0.9535,
                         "gls": 0.9455},
    },
    0.8: {
        "level_change": {"naive": 0.488, "nw_plain": 0.7235, "hac": 0.9125, "ewc": 0.946,
                         "gls": 0.9355},
        "slope_change": {"naive": 0.473, "nw_plain": 0.6945, "hac": 0.867, "ewc": 0.9095,
                         "gls": 0.9235},
    },
}  # fmt: skip
SLOPE_SEEDS = {0.5: 20240601, 0.8: 20240602}


def check_honest_bounds(cov: dict[float, dict[str, dict[str, float]]]) -> None:
    """The claims of the module docstring, for a 2000-replicate study."""
    for term in ("level_change", "slope_change"):
        for key in ("hac", "ewc", "gls"):
            assert 0.93 <= cov[0.5][term][key] <= 0.97, (0.5, term, key)
    slope, level = cov[0.8]["slope_change"], cov[0.8]["level_change"]
    assert slope["gls"] >= 0.90 and slope["ewc"] >= 0.88 and slope["hac"] >= 0.83, slope
    assert level["gls"] >= 0.92 and level["ewc"] >= 0.92 and level["hac"] >= 0.88, level
    for by in (slope, level):
        assert by["naive"] < 0.6 and by["nw_plain"] < 0.76, by
        assert by["naive"] < by["nw_plain"] < by["hac"] <= by["ewc"], by
    # stronger autocorrelation: never better, beyond the Monte Carlo error of two independent
    # 2000-replicate runs (GLS stays near nominal at both, so its two rates differ by noise:
    # se of the difference about 0.0075)
    for term in ("level_change", "slope_change"):
        for key in ITS_LABELS:
            assert cov[0.8][term][key] <= cov[0.5][term][key] + 0.01, (term, key)


def test_coverage_fast() -> None:
    """A few replicates: fixed-b HAC and GLS near nominal, plain NW and naive OLS below."""
    cov = coverage(150, seed=1)
    assert 0.88 <= cov["hac"] <= 0.99
    assert 0.88 <= cov["gls"] <= 0.99
    assert cov["naive"] < 0.85
    assert cov["naive"] < cov["nw_plain"] < cov["hac"]


def test_slope_coverage_fast() -> None:
    """Strong autocorrelation (rho = 0.8), few replicates: the ranking of the long run."""
    slope = its_coverage_by_term(100, seed=2, rho=0.8)["slope_change"]
    assert slope["gls"] >= 0.84 and slope["ewc"] >= 0.82
    assert slope["naive"] < 0.65 and slope["nw_plain"] < 0.8
    assert slope["naive"] < slope["nw_plain"] < slope["hac"]


def test_recorded_long_runs_are_the_stated_ones() -> None:
    """inference_calibration.json holds the numbers quoted here, and they meet the claims."""
    rec = recorded()
    assert rec["its_coverage"]["coverage"] == pytest.approx(MEASURED)
    slope = rec["its_slope_coverage"]
    assert slope["reps"] == 2000
    assert {float(r): s for r, s in slope["seeds"].items()} == SLOPE_SEEDS
    cov = {float(r): by for r, by in slope["coverage"].items()}
    assert cov[0.5]["level_change"] == pytest.approx(MEASURED)
    for rho, by_term in SLOPE_MEASURED.items():
        for term, rates in by_term.items():
            assert cov[rho][term] == pytest.approx(rates), (rho, term)
    check_honest_bounds(cov)
    table = its_slope_coverage_table(cov, slope["reps"])
    assert len(table) == 2 * len(ITS_LABELS)
    assert set(table["rho"]) == {0.5, 0.8}
    assert (table["slope_change_mc_se"] < 0.012).all()


@pytest.mark.slow
def test_coverage_monte_carlo() -> None:
    cov = coverage(2000, seed=20240601)
    print(cov)
    for key in ("hac", "ewc", "gls"):
        assert 0.93 <= cov[key] <= 0.97, (key, cov[key])
    assert cov["naive"] < 0.85
    assert cov["nw_plain"] < 0.9  # plain Newey-West under-covers (reported, not a target)


@pytest.mark.slow
def test_slope_coverage_monte_carlo() -> None:
    """The recorded 2000-replicate study (about two minutes): level and slope, rho 0.5 and 0.8."""
    cov = {rho: its_coverage_by_term(2000, seed, rho) for rho, seed in SLOPE_SEEDS.items()}
    print(cov)
    check_honest_bounds(cov)
