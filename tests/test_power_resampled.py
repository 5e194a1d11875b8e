"""Power of DiD tests decided by resampling: wild cluster bootstrap and randomization inference.

The independent check: with few clusters the Rademacher bootstrap enumerates every sign pattern
and randomization inference every re-assignment, so the vectorised p-values must equal those of
:class:`vrueval.DiD` refitted on the same data with the effect planted, exactly.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.inference.randomization import assignments
from vrueval.inference.small_sample import ParamCount, cr1_factor
from vrueval.inference.wild_bootstrap import draw_weights
from vrueval.power import resampled
from vrueval.power.did_study import contrast_weights
from vrueval.power.kernels import contrast_difference

TREATED = ["West Midlands", "Merseyside", "Essex"]
COMPARATORS = ["Kent", "Norfolk", "Suffolk", "Dorset", "Cumbria"]
PRE, POST = 10, 6


@pytest.fixture(scope="module")
def small() -> tuple[ve.Panel, list[str]]:
    codes = [ve.areas.resolve(u, "force") for u in TREATED + COMPARATORS]
    panel = ve.datasets.knife_quarterly().select(
        outcome="knife_offences", units=codes, start="2012Q2", end="2016Q1"
    )
    return panel, codes


def _tests(panel: ve.Panel, codes: list[str]) -> dict[str, resampled.Resampled]:
    Y = panel.wide("knife_offences")[codes].to_numpy(float)
    n_periods, n_units = Y.shape
    a, b = contrast_weights("twfe", "att", PRE, POST)
    C, V = (a @ Y)[None, :], (b @ Y)[None, :]
    treated = np.zeros((1, n_units), dtype=bool)
    treated[0, : len(TREATED)] = True
    count = ParamCount.two_way(n_units, n_periods, 1)
    factor = cr1_factor("fixest", n_obs=n_units * n_periods, n_clusters=n_units, count=count)
    factor = np.array([factor])
    observed = contrast_difference(C, V, treated, ~treated, factor)
    weights, enumerated = draw_weights(n_units, 999, "rademacher", np.random.default_rng(1))
    matrix, exact = assignments(
        np.r_[np.ones(len(TREATED)), np.zeros(len(COMPARATORS))], 999, np.random.default_rng(1)
    )
    assert enumerated and exact  # 2^8 sign patterns, C(8, 3) re-assignments
    return {
        "wild": resampled.wild_cluster(observed, C, V, treated, ~treated, factor, weights),
        "coefficient": resampled.randomization(
            observed, C, V, treated, ~treated, matrix, "coefficient"
        ),
        "t": resampled.randomization(observed, C, V, treated, ~treated, matrix, "t"),
    }


def _planted(panel: ve.Panel, codes: list[str], delta: float) -> tuple[ve.Panel, str]:
    start = panel.wide("knife_offences").index[PRE]
    frame = panel.data.copy()
    rows = frame["unit"].isin(codes[: len(TREATED)]) & (frame["period"] >= start)
    frame.loc[rows, "value"] *= 1 + delta
    # planted values are expected counts, not whole numbers: a rate-like measure
    return ve.Panel.from_frame(frame, frequency="quarter", measure="rate"), str(start)


@pytest.mark.parametrize("delta", [0.0, -0.1, -0.3])
def test_p_values_equal_refitted_did(small: tuple[ve.Panel, list[str]], delta: float) -> None:
    panel, codes = small
    tests = _tests(panel, codes)
    planted, start = _planted(panel, codes, delta)
    did = ve.DiD(planted, "knife_offences", start=start, treated=TREATED, comparators=COMPARATORS)
    wild = did.fit("wild", draws=999, boot_weights="rademacher", seed=1).effects()
    assert tests["wild"].p_values(delta)[0] == pytest.approx(wild["p_value"].iloc[0], abs=1e-12)
    ri = did.fit("randomization", permutations=999, seed=1, ri_statistic="coefficient").effects()
    assert tests["coefficient"].p_values(delta)[0] == pytest.approx(
        ri["p_value"].iloc[0], abs=1e-12
    )
    ri_t = did.fit("randomization", permutations=999, seed=1).effects()  # studentised default
    assert tests["t"].p_values(delta)[0] == pytest.approx(ri_t["p_value"].iloc[0], abs=1e-12)
    # studentised: brute force over every re-assignment, each a refitted CR1 t
    names = TREATED + COMPARATORS
    stats = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for chosen in itertools.combinations(range(len(names)), len(TREATED)):
            t_set = [names[i] for i in chosen]
            c_set = [n for n in names if n not in t_set]
            fit = ve.DiD(
                planted, "knife_offences", start=start, treated=t_set, comparators=c_set
            ).fit("cr1")
            e = fit.effects()
            stats.append(abs(e["estimate"].iloc[0] / e["std_error"].iloc[0]))
    brute = np.mean(np.asarray(stats) >= stats[0] * (1 - 1e-12))
    assert tests["t"].p_values(delta)[0] == pytest.approx(brute, abs=1e-12)


REAL = dict(
    post=8, n_treated=18, scale="rate", start="2012Q2", end="2019Q1", seed=5, n_sims=300,
    draws=999, permutations=999,  # the design defaults are 9,999 and 5,000: fewer, for speed
)  # fmt: skip


@pytest.fixture(scope="module")
def studies() -> dict[str, ve.power.PowerResult]:
    knife = ve.datasets.knife_quarterly()
    return {
        inference: ve.power.did(knife, "knife_offences", inference=inference, **REAL)
        for inference in ("cr1", "wild", "randomization")
    }


@pytest.mark.parametrize("inference", ["wild", "randomization"])
def test_size_on_real_panel_and_draws_table(
    studies: dict[str, ve.power.PowerResult], inference: str
) -> None:
    res = studies[inference]
    size = res.size["rejection_rate"]
    assert abs(size - 0.05) < 2.58 * np.sqrt(0.05 * 0.95 / REAL["n_sims"]), (inference, size)
    draws = res.draws(-0.15)
    assert np.isnan(draws["critical"]).all()
    p = draws["p_value"]
    expect = p <= 0.05 if inference == "randomization" else p < 0.05
    assert (draws["reject"] == expect).all()
    assert res.settings["inference"] == inference
    table = res.table()
    assert table.loc[table["effect"] == -0.25, "power"].item() > 0.8


def test_resampled_power_close_to_cr1_with_many_equal_clusters(
    studies: dict[str, ve.power.PowerResult],
) -> None:
    cr1 = studies["cr1"].table()["power"].to_numpy()
    for inference in ("wild", "randomization"):
        # 42 clusters: resampling and the t reference should nearly agree draw by draw
        other = studies[inference].table()["power"].to_numpy()
        assert np.max(np.abs(other - cr1)) < 0.06, inference


def test_same_seed_same_numbers() -> None:
    knife = ve.datasets.knife_quarterly()
    options = {**REAL, "n_sims": 40, "draws": 199}
    first = ve.power.did(knife, "knife_offences", inference="wild", **options)
    again = ve.power.did(knife, "knife_offences", inference="wild", **options)
    pd.testing.assert_frame_equal(first.table(), again.table(), check_exact=True)
    pd.testing.assert_frame_equal(first.mde(), again.mde(), check_exact=True)


def test_bad_options() -> None:
    knife = ve.datasets.knife_quarterly()
    base = dict(post=8, n_treated=18, start="2012Q2", end="2019Q1", seed=1, n_sims=50)
    with pytest.raises(ValueError, match="inference must be one of"):
        ve.power.did(knife, "knife_offences", inference="cr3", **base)
    with pytest.raises(ValueError, match="event study's power"):
        ve.power.event_study(knife, "knife_offences", inference="wild", **base)
    with pytest.raises(ValueError, match="calibrated by resampling"):
        ve.power.did(knife, "knife_offences", inference="wild", critical="calibrated", **base)
    with pytest.raises(ValueError, match="draws=10 is too few"):
        ve.power.did(knife, "knife_offences", inference="wild", draws=10, **base)
    with pytest.raises(ValueError, match="ri_statistic must be"):
        ve.power.did(knife, "knife_offences", inference="randomization", ri_statistic="z", **base)
    coef = ve.power.did(
        knife, "knife_offences", inference="randomization", ri_statistic="coefficient", **base
    )
    assert coef.settings["ri_statistic"] == "coefficient"
    with pytest.raises(ValueError, match="permutations=5 is too few"):
        ve.power.did(knife, "knife_offences", inference="randomization", permutations=5, **base)


def test_coarse_mde_search_matches_the_full_scan(studies: dict[str, ve.power.PowerResult]) -> None:
    from vrueval.power.search import Search

    planted = studies["wild"]._planted
    assert isinstance(planted, resampled.Resampled)
    fast = Search.build(planted, 0.95, calibrate=False)
    full_planted = planted.select(np.arange(planted.n_draws))
    object.__setattr__(full_planted, "search_stride", 1)
    object.__setattr__(full_planted, "search_tolerance", 0.0)
    full = Search.build(full_planted, 0.95, calibrate=False)
    for target in (0.5, 0.8, 0.9):
        assert fast.crossing(target, -1.0) == pytest.approx(full.crossing(target, -1.0), abs=1e-4)


def test_placebo_in_time_records_the_resampling_seed() -> None:
    knife = ve.datasets.knife_quarterly()
    options = dict(
        post=8,
        treated=ve.areas.vru_2019(),
        placebo="time",
        scale="rate",
        start="2012Q2",
        end="2019Q1",
        n_sims=10,
        draws=199,
    )
    cr1 = ve.power.did(knife, "knife_offences", **options)
    assert cr1.seed is None  # placebo dates only: deterministic
    wild = ve.power.did(knife, "knife_offences", inference="wild", seed=7, **options)
    assert wild.seed == 7
    with pytest.raises(ValueError, match="explicit seed"):
        ve.power.did(knife, "knife_offences", inference="wild", **options)
