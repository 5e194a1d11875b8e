"""Power of the staggered (Callaway & Sant'Anna) DiD: the kernel tests what the design tests,
the honesty checks of issue 5 on the real knife-crime panel, and bad input.

1. For individual draws, the kernel's estimate and standard error equal what
   ``ve.CallawaySantAnna(...).fit()`` reports for ``att`` on the same data with the effect
   planted (relative 1e-10): both aggregations, both control groups, placebo in time and a
   placebo set on rates. With ``inference="bootstrap"`` the draws' multiplier-bootstrap SE,
   p-value and decision equal ``fit(inference="bootstrap", seed=..., draws=...)``'s (the study
   draws the fit's multipliers from the same seed), Mammen and Rademacher weights.
2. At no effect the simulated rejection rate is near the nominal 5%; the analytic influence-
   function SE has no small-sample correction and a normal reference, so on 20 treated and 22
   comparison forces it rejects about 6.5% of the time: the study reports that, and
   ``critical="calibrated"`` gives size-adjusted power.
3. Analytic and simulated MDEs agree within 10% (rates).
4. More treated areas never lower power (common random numbers). More post-periods never
   lower it when errors are independent (synthetic panel, the known truth), but they do on the
   real knife rates beyond about six quarters, and the closed form agrees: documented.
5. Bad input fails clearly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import vrueval as ve
from vrueval.analysis.spec import SpecError

ROOT = Path(__file__).resolve().parents[1]
RTOL = 1e-10
SEED = 20191003
NOMINAL = 0.05
ROLLOUT = {"2019Q2": 18, "2022Q2": 2}  # the VRU cohorts' sizes, 12 quarters apart


@pytest.fixture(scope="module")
def knife() -> ve.Panel:
    return ve.datasets.knife_quarterly()


def _panel(
    knife: ve.Panel, starts: dict[str, list[str]], first: str, last: str, effect: float, rate: bool
) -> ve.Panel:
    """Knife offences (or rates per 100,000) of the units in ``starts`` and the comparators,
    ``first``..``last``, with ``effect`` planted into each cohort from its start."""
    frame = knife.select(outcome="knife_offences", start=first, end=last).data
    if rate:
        frame["value"] = frame["value"] / frame["population"] * 1e5
    for start, units in starts.items():
        hit = frame["unit"].isin(units) & (frame["period"] >= knife.period(start))
        frame.loc[hit, "value"] = frame.loc[hit, "value"] * (1 + effect)
    return ve.Panel.from_frame(
        # planted values are expected counts, not whole numbers: a rate-like measure
        frame,
        frequency="quarter",
        measure="rate",
        geography="force",
    )


def _att(panel: ve.Panel, units: list[str], first_treated: dict[str, str], **kw: str) -> pd.Series:
    sub = panel.select(units=units)
    fit = ve.CallawaySantAnna(sub, outcome="knife_offences", first_treated=first_treated, **kw)
    return fit.fit().effects().set_index("term").loc["att"]


# -- 1. the kernel reproduces the design's fit ------------------------------------------------
@pytest.mark.parametrize("overall", ["group", "simple"])
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_time_draws_equal_callaway_santanna_fit(
    knife: ve.Panel, overall: str, control_group: str
) -> None:
    early, late = list(ve.areas.vru_2019())[:6], list(ve.areas.vru_2022())
    comparators = [u for u in ve.areas.comparators() if u in knife.units][:10]
    res = ve.power.staggered(
        knife, "knife_offences", cohorts={"2019Q2": early, "2020Q4": late},
        comparators=comparators, placebo="time", pre=3, post=8, control_group=control_group,
        overall=overall,
    )  # fmt: skip
    assert res.n_draws == 44 - 3 - 8 + 1  # every admissible placebo date
    for effect in (0.0, -0.2):
        draws = res.draws(effect)
        for i in (0, 17, len(draws) - 1):
            s1, s2 = draws["placebo_start"][i], draws["start:2020Q4"][i]
            assert pd.Period(s2, "Q") - pd.Period(s1, "Q") == 6 * pd.Period(s1, "Q").freq
            first, last = str(pd.Period(s1, "Q") - 3), str(pd.Period(s1, "Q") + 7)
            panel = _panel(knife, {s1: early, s2: late}, first, last, effect, rate=False)
            row = _att(
                panel, early + late + comparators, {**dict.fromkeys(early, s1),
                **dict.fromkeys(late, s2)}, control_group=control_group, overall=overall,
            )  # fmt: skip
            assert draws["estimate"][i] == pytest.approx(row["estimate"], rel=RTOL)
            assert draws["std_error"][i] == pytest.approx(row["std_error"], rel=RTOL)
            assert draws["critical"][i] == pytest.approx(stats.norm.ppf(0.975), rel=1e-12)
            assert draws["reject"][i] == (row["p_value"] < NOMINAL)


def test_placebo_set_draw_on_rates_equals_fit(knife: ve.Panel) -> None:
    res = ve.power.staggered(
        knife, "knife_offences", cohorts=ROLLOUT, post=16, scale="rate", n_sims=20, seed=SEED,
    )  # fmt: skip
    pool = res.settings["pool"]
    for effect in (0.0, -0.15):
        draws = res.draws(effect)
        for i in (2, 13):
            d = draws.iloc[i]
            early, late = d["units:2019Q2"].split(), d["units:2022Q2"].split()
            s1, s2 = d["placebo_start"], d["start:2022Q2"]
            last = str(pd.Period(s1, "Q") + 15)
            panel = _panel(knife, {s1: early, s2: late}, str(pd.Period(s1, "Q") - 1), last,
                           effect, rate=True)  # fmt: skip
            ft = {**dict.fromkeys(early, s1), **dict.fromkeys(late, s2)}
            row = _att(panel, pool, ft)
            assert d["estimate"] == pytest.approx(row["estimate"], rel=RTOL)
            assert d["std_error"] == pytest.approx(row["std_error"], rel=RTOL)


# -- 1b. the multiplier bootstrap: the same test as fit(inference="bootstrap") ------------------
BOOT = 199  # bootstrap draws of the exactness checks (the estimator's minimum is 99)


@pytest.mark.parametrize(
    ("overall", "control_group", "weights"),
    [("group", "never_treated", "mammen"), ("simple", "not_yet_treated", "rademacher")],
)
def test_bootstrap_time_draws_equal_fit(
    knife: ve.Panel, overall: str, control_group: str, weights: str
) -> None:
    """Each draw's bootstrap SE, p-value and decision are those of
    ``fit(inference="bootstrap", seed=SEED, draws=BOOT, boot_weights=...)`` on that draw's data with
    the effect planted: the study draws the multipliers from the fit's seed, for the units in
    the fit's order (relative 1e-10)."""
    early, late = list(ve.areas.vru_2019())[:6], list(ve.areas.vru_2022())
    comparators = [u for u in ve.areas.comparators() if u in knife.units][:10]
    res = ve.power.staggered(
        knife, "knife_offences", cohorts={"2019Q2": early, "2020Q4": late},
        comparators=comparators, placebo="time", pre=1, post=8, control_group=control_group,
        overall=overall, inference="bootstrap", draws=BOOT, boot_weights=weights, seed=SEED,
    )  # fmt: skip
    assert res.seed == SEED and res.settings["draws"] == BOOT
    assert not any("multiplier-bootstrap" in w for w in res.warnings)
    for effect in (0.0, -0.3):
        draws = res.draws(effect)
        for i in (0, 21):
            s1, s2 = draws["placebo_start"][i], draws["start:2020Q4"][i]
            first, last = str(pd.Period(s1, "Q") - 1), str(pd.Period(s1, "Q") + 7)
            panel = _panel(knife, {s1: early, s2: late}, first, last, effect, rate=False)
            sub = panel.select(units=early + late + comparators)
            ft = {**dict.fromkeys(early, s1), **dict.fromkeys(late, s2)}
            design = ve.CallawaySantAnna(
                sub, outcome="knife_offences", first_treated=ft, control_group=control_group,
                overall=overall,
            )  # fmt: skip
            fit = design.fit(inference="bootstrap", seed=SEED, draws=BOOT, boot_weights=weights)
            row = fit.effects().set_index("term").loc["att"]
            assert draws["estimate"][i] == pytest.approx(row["estimate"], rel=RTOL)
            assert draws["std_error"][i] == pytest.approx(row["std_error"], rel=RTOL)
            assert draws["p_value"][i] == pytest.approx(row["p_value"], rel=1e-8)
            assert draws["reject"][i] == (row["p_value"] < NOMINAL)


def test_bootstrap_placebo_set_draw_with_left_out_units_equals_fit(knife: ve.Panel) -> None:
    """Placebo sets with only some of the pool as comparators: each draw's analysed units take
    the multipliers in the fit's (sorted) order, whatever their place in the pool."""
    from vrueval.power import simulate as sim

    sizes, n_c, n_sims = {"2019Q2": 6, "2022Q2": 2}, 12, 20
    res = ve.power.staggered(
        knife, "knife_offences", cohorts=sizes, post=16, n_comparators=n_c, scale="rate",
        n_sims=n_sims, seed=SEED, inference="bootstrap", draws=BOOT,
    )  # fmt: skip
    pool = res.settings["pool"]
    labels = sim.placebo_cohorts(len(pool), [6, 2], n_c, n_sims, np.random.default_rng(SEED))
    for effect in (0.0, -0.25):
        draws = res.draws(effect)
        for i in (3, 11):
            d = draws.iloc[i]
            early, late = d["units:2019Q2"].split(), d["units:2022Q2"].split()
            comparators = [u for u, c in zip(pool, labels[i], strict=True) if c == sim.COMPARATOR]
            s1, s2 = d["placebo_start"], d["start:2022Q2"]
            panel = _panel(knife, {s1: early, s2: late}, str(pd.Period(s1, "Q") - 1),
                           str(pd.Period(s1, "Q") + 15), effect, rate=True)  # fmt: skip
            sub = panel.select(units=early + late + comparators)
            ft = {**dict.fromkeys(early, s1), **dict.fromkeys(late, s2)}
            fit = ve.CallawaySantAnna(sub, outcome="knife_offences", first_treated=ft).fit(
                inference="bootstrap", seed=SEED, draws=BOOT
            )
            row = fit.effects().set_index("term").loc["att"]
            assert d["estimate"] == pytest.approx(row["estimate"], rel=RTOL)
            assert d["std_error"] == pytest.approx(row["std_error"], rel=RTOL)
            assert d["reject"] == (row["p_value"] < NOMINAL)


def test_bootstrap_size_on_the_real_knife_panel(knife: ve.Panel) -> None:
    """At no effect on the real rates (placebo VRU rollouts, 20 treated and 22 comparison
    forces) the bootstrap test rejects about as often as the analytic one (measured 6.2% and
    6.1% of 1,000 draws, seed 1; MC s.e. 0.8%): slightly liberal, and reported so when beyond
    Monte Carlo error. Same placebo draws, so the two are paired."""
    boot = _study(knife, 1000, inference="bootstrap", draws=499, effects=[-0.2, 0.0])
    analytic = _study(knife, 1000, effects=[-0.2, 0.0])
    pd.testing.assert_frame_equal(
        boot.draws()[["placebo_start", "estimate"]], analytic.draws()[["placebo_start", "estimate"]]
    )
    mc = np.sqrt(NOMINAL * (1 - NOMINAL) / boot.n_draws)
    size = boot.size["rejection_rate"]
    assert NOMINAL - 3 * mc <= size <= 0.08, size
    assert abs(size - analytic.size["rejection_rate"]) <= 0.015, (size, analytic.size)
    ratio = boot.mde_effect() / analytic.mde_effect()
    assert abs(ratio - 1) <= 0.10, ratio
    se = boot.draws()["std_error"] / analytic.draws()["std_error"]
    assert 0.9 < se.mean() < 1.15, se.mean()  # on rates the two SEs agree on average


def test_bootstrap_standard_error_against_the_analytic_one(knife: ve.Panel) -> None:
    """The multiplier bootstrap's (interquartile-range) SE agrees with the analytic one on rates
    within ~10%, but on counts, where a few big forces dominate the influence function, it is
    larger (1.37 on the real cohorts in this window). The study simulates the bootstrap's, so
    its draws on counts show a gap too: smaller on average over placebo sets and windows
    (measured 1.06-1.07 for random sets, 1.10 for the real cohorts in time) than this one."""
    early, late = list(ve.areas.vru_2019()), list(ve.areas.vru_2022())
    ft = {**dict.fromkeys(early, "2016Q1"), **dict.fromkeys(late, "2018Q1")}
    ratios = {}
    for rate in (True, False):
        panel = _panel(knife, {}, "2014Q1", "2019Q1", 0.0, rate=rate)
        design = ve.CallawaySantAnna(panel, outcome="knife_offences", first_treated=ft)
        analytic = design.fit().effects().set_index("term").loc["att", "std_error"]
        boot = [
            design.fit(inference="bootstrap", seed=s, draws=999).effects().set_index("term")
            for s in range(4)
        ]
        ratios[rate] = np.mean([b.loc["att", "std_error"] / analytic for b in boot])
    assert abs(ratios[True] - 1) < 0.10, ratios  # measured 1.01
    assert ratios[False] > 1.15, ratios  # measured 1.37 on counts: reported, not hidden
    kw: dict[str, object] = {"cohorts": ROLLOUT, "post": 16, "n_sims": 100, "seed": 1}
    boot = ve.power.staggered(knife, "knife_offences", inference="bootstrap", **kw)  # type: ignore[arg-type]
    analytic = ve.power.staggered(knife, "knife_offences", **kw)  # type: ignore[arg-type]
    gap = (boot.draws()["std_error"] / analytic.draws()["std_error"]).mean()
    assert gap > 1.03, gap  # measured 1.063
    assert not any("multiplier-bootstrap" in w for w in boot.warnings)


# -- 2./3. size and analytic against simulated MDE ----------------------------------------------
def _study(knife: ve.Panel, n: int, **kw: object) -> ve.power.PowerResult:
    opts: dict[str, object] = {
        "cohorts": ROLLOUT, "post": 16, "seed": SEED, "scale": "rate", "n_sims": n,
        "effects": [0.0],
    }  # fmt: skip
    opts.update(kw)
    return ve.power.staggered(knife, "knife_offences", **opts)  # type: ignore[arg-type]


PLANS = [
    {"placebo": "both"},
    {"placebo": "space"},
    {"placebo": "both", "overall": "simple"},
    {"placebo": "both", "control_group": "not_yet_treated"},
]


FAST = 2000  # draws of the fast honesty checks; the slow ones use 40,000


@pytest.fixture(scope="module")
def plans(knife: ve.Panel) -> list[ve.power.PowerResult]:
    return [_study(knife, FAST, **plan) for plan in PLANS]


def _check_size(res: ve.power.PowerResult) -> None:
    mc = np.sqrt(NOMINAL * (1 - NOMINAL) / res.n_draws)
    size = res.size["rejection_rate"]
    # slightly liberal (measured 6.1-6.8%): no small-sample factor, normal reference
    assert NOMINAL - 3 * mc <= size <= 0.08, (res.settings, size)
    if size - NOMINAL > 2.58 * mc:
        assert any("not the nominal" in w and "inflated" in w for w in res.warnings)


def _check_mde(res: ve.power.PowerResult) -> None:
    ratio = res.mde_effect("simulation") / res.mde_effect("analytic")
    assert abs(ratio - 1) <= 0.10, (res.settings, ratio)  # measured 0.93-0.99


def test_size_is_reported_and_calibration_restores_it(
    knife: ve.Panel, plans: list[ve.power.PowerResult]
) -> None:
    for res in plans:
        _check_size(res)
    calibrated = _study(knife, FAST, critical="calibrated")
    mc = np.sqrt(NOMINAL * (1 - NOMINAL) / FAST)
    assert abs(calibrated.size["rejection_rate"] - NOMINAL) <= 3 * mc
    assert abs(calibrated.mde_effect()) >= abs(plans[0].mde_effect())


def test_analytic_and_simulated_mde_agree(plans: list[ve.power.PowerResult]) -> None:
    for res in plans:
        _check_mde(res)


@pytest.mark.slow
def test_size_and_mde_with_many_draws(knife: ve.Panel) -> None:
    for plan in PLANS:
        res = _study(knife, 40_000, **plan)
        _check_size(res)
        _check_mde(res)


def test_real_vru_cohorts_in_time_over_reject(knife: ve.Panel) -> None:
    """The real VRU forces' knife offences drifted from the comparators' before 2019: placebo
    dates on the real cohorts reject far too often, and the study says so."""
    cohorts = {"2019Q2": list(ve.areas.vru_2019()), "2022Q2": list(ve.areas.vru_2022())}
    res = ve.power.staggered(
        knife, "knife_offences", cohorts=cohorts, post=16, placebo="time", scale="rate"
    )
    assert res.seed is None and res.n_draws == 28
    assert res.size["rejection_rate"] > 0.2
    assert any("not the nominal" in w for w in res.warnings)


def test_one_cohort_analytic_is_the_two_sample_form(knife: ve.Panel) -> None:
    """One cohort, never-treated comparators, placebo sets: the closed form's variance at no
    effect is ``s^2 (1/n_T + 1/n_C)`` with ``s^2`` the pool's variance of the contrast (post
    mean minus the period before the start), as :func:`vrueval.power.analytic.did_clustered`."""
    res = _study(knife, 50, cohorts={"2019Q2": 15}, post=6, placebo="space")
    rates = knife.wide("knife_offences") / knife.wide("knife_offences", "population") * 1e5
    y = rates.to_numpy()
    contrast = y[-6:].mean(axis=0) - y[-7]
    expected = ve.power.analytic.did_clustered(
        contrast.var(ddof=1), contrast.var(ddof=1), 15, 42 - 15, y[-6:].mean()
    )
    closed = res.diagnostics["analytic"]
    assert closed["se"] == pytest.approx(expected.se, rel=1e-12)
    assert closed["shift"] == pytest.approx(expected.shift, rel=1e-12)


# -- 4. monotonicity with common random numbers -------------------------------------------------
EFFECTS = [-0.3, -0.2, -0.1]


def _never_lower(studies: list[ve.power.PowerResult]) -> None:
    """Paired over the same draws: power never falls beyond 2.58 paired standard errors."""
    for small, big in zip(studies[:-1], studies[1:], strict=True):
        for effect in EFFECTS:
            d = big.draws(effect)["reject"].to_numpy(float)
            d -= small.draws(effect)["reject"].to_numpy(float)
            assert d.mean() >= -2.58 * d.std() / np.sqrt(len(d)), (effect, d.mean())
    mdes = [abs(s.mde_effect()) for s in studies]
    assert np.all(np.diff(mdes) <= 0.005), mdes


def test_more_treated_areas_never_lower_power(knife: ve.Panel) -> None:
    studies = [
        _study(knife, 1000, cohorts={"2019Q2": n, "2022Q2": 2}, n_comparators=18,
               effects=EFFECTS)
        for n in (6, 12, 18)
    ]  # fmt: skip
    powers = np.array([s.table()["power"] for s in studies])
    assert np.all(np.diff(powers, axis=0) >= 0), powers
    _never_lower(studies)


def _white_noise_panel(seed: int = 3) -> ve.Panel:
    """42 forces x 44 quarters: unit and period effects plus independent noise (known truth:
    the long difference's variance ``sigma^2 (1 + 1/P)`` falls with P post-periods)."""
    rng = np.random.default_rng(seed)
    codes = [a.code for a in ve.areas.forces()][:42]
    periods = pd.period_range("2008Q2", periods=44, freq="Q")
    y = rng.uniform(200, 400, (42, 1)) + rng.normal(0, 10, (1, 44)) + rng.normal(0, 25, (42, 44))
    frame = pd.DataFrame({
        "unit": np.repeat(codes, 44), "period": np.tile(periods.astype(str), 42),
        "outcome": "knife_offences", "value": np.round(y.ravel()), "population": 1e6,
    })  # fmt: skip
    return ve.Panel.from_frame(frame, frequency="quarter", measure="count")


def test_more_post_periods_never_lower_power_when_errors_are_independent() -> None:
    panel = _white_noise_panel()
    starts = [str(p) for p in panel.periods[1:26]]
    studies = [
        _study(panel, 1000, cohorts={"2019Q2": 18, "2020Q2": 2}, post=post, starts=starts,
               effects=EFFECTS, scale="value")
        for post in (6, 8, 12, 16)
    ]  # fmt: skip
    first = studies[0].draws()[["placebo_start", "units:2019Q2"]]
    assert all(s.draws()[["placebo_start", "units:2019Q2"]].equals(first) for s in studies)
    _never_lower(studies)


def test_more_post_periods_lower_power_on_real_knife_rates(knife: ve.Panel) -> None:
    """Documented, not hidden: every ATT(g,t) is a long difference from the one period before
    the start, and forces' knife-offence rates drift apart over the years, so the spread of the
    estimate grows with the horizon faster than averaging more post quarters shrinks it. Beyond
    about six quarters more post-periods lower the power; the closed form (no simulation)
    agrees, so it is the data and the estimator, not the draws."""
    starts = [str(p) for p in knife.periods[1:26]]
    studies = [
        _study(knife, 2000, post=post, starts=starts, cohorts={"2019Q2": 18, "2020Q2": 2},
               effects=EFFECTS)
        for post in (6, 10, 16)
    ]  # fmt: skip
    for method in ("simulation", "analytic"):
        mdes = [abs(s.mde_effect(method)) for s in studies]
        assert np.all(np.diff(mdes) > 0.01), (method, mdes)  # measured -0.20, -0.22, -0.25


# -- contract, spec, CLI --------------------------------------------------------------------------
def test_same_seed_same_numbers_and_json(knife: ve.Panel) -> None:
    a = _study(knife, 200, effects=[-0.2, 0.0])
    b = _study(knife, 200, effects=[-0.2, 0.0])
    c = _study(knife, 200, effects=[-0.2, 0.0], seed=1)
    pd.testing.assert_frame_equal(a.table(), b.table())
    pd.testing.assert_frame_equal(a.mde(), b.mde())
    assert not a.draws().equals(c.draws())
    d = json.loads(a.to_json())
    assert d["seed"] == SEED and d["settings"]["cohorts"] == ROLLOUT
    assert list(a.mde()["method"]) == ["simulation", "analytic", "analytic_ar1"]
    assert a.design == "Staggered DiD (Callaway & Sant'Anna)"
    table = ve.power.mde("staggered", knife, "knife_offences", cohorts=ROLLOUT, post=16,
                         n_sims=200, seed=1, scale="rate")  # fmt: skip
    assert -1 < table["effect"].iloc[0] < 0


def test_power_spec_of_the_real_rollout() -> None:
    res = ve.power.from_spec(ROOT / "analyses" / "power" / "power_staggered_knife.toml", n_sims=200)
    s = res.settings
    assert s["cohorts"] == {"2019Q2": 18, "2022Q2": 2} and s["cohort_offsets"] == (0, 12)
    assert s["data_end"] == "2019Q1" and s["post"] == 16 and s["scale"] == "rate"
    assert s["overall"] == "group" and s["control_group"] == "never_treated"
    assert not any("past the first VRU" in w for w in res.warnings)


def test_spec_of_the_published_staggered_analysis(tmp_path: Path) -> None:
    """cs_css_robbery: financial years to 2021/22, bootstrap SE; the 2022 cohort starts after
    the data end, so it is left untreated (a comparison group), as the design treats it."""
    text = (ROOT / "analyses" / "cs_css_robbery.toml").read_text()
    path = tmp_path / "power.toml"
    path.write_text(text + "\n[power]\nn_sims = 100\n")
    res = ve.power.from_spec(path)
    assert res.settings["post"] == 3 and res.settings["n_treated"] == 18
    assert res.settings["inference"] == "bootstrap"
    assert res.settings["draws"] == 999 and res.settings["boot_weights"] == "mammen"
    assert res.settings["standard_error"].startswith("multiplier bootstrap")
    assert any("after the planned data end" in w for w in res.warnings)
    path.write_text(text.replace('overall = "group"', 'overall = "dynamic"'))
    with pytest.raises(SpecError, match="'group' or 'simple'"):
        ve.power.from_spec(path)
    path.write_text(text.replace('method = "dr"', 'covariates = ["population"]'))
    with pytest.raises(SpecError, match="covariates"):
        ve.power.from_spec(path)


# -- 5. bad input -------------------------------------------------------------------------------
def test_bad_input(knife: ve.Panel) -> None:
    kw: dict[str, object] = {"post": 16, "seed": 1, "n_sims": 20}

    def run(**extra: object) -> None:
        ve.power.staggered(knife, "knife_offences", **{**kw, **extra})  # type: ignore[arg-type]

    with pytest.raises(ValueError, match="pool has 42"):
        run(cohorts={"2019Q2": 40, "2022Q2": 5}, n_comparators=5)
    with pytest.raises(ValueError, match="no never-treated units left"):
        run(cohorts={"2019Q2": 40, "2022Q2": 2})
    with pytest.raises(ValueError, match="no never-treated units left"):
        run(cohorts={"2019Q2": list(knife.units)}, placebo="time")
    with pytest.raises(ValueError, match="placebo starts"):
        run(cohorts=ROLLOUT, starts=["2030Q1"])
    with pytest.raises(ValueError, match="placebo starts"):
        run(cohorts=ROLLOUT, starts=["2016Q1"])  # 16 post quarters run past 2019Q1
    with pytest.raises(ValueError, match="explicit seed"):
        ve.power.staggered(knife, "knife_offences", cohorts=ROLLOUT, post=16)
    with pytest.raises(ValueError, match="keeps the real cohorts"):
        run(cohorts=ROLLOUT, placebo="time")
    with pytest.raises(ValueError, match="cohorts must be a mapping"):
        run(cohorts=18)
    with pytest.raises(ValueError, match="at least one unit"):
        run(cohorts={"2019Q2": 0})
    with pytest.raises(ValueError, match="in two cohorts"):
        run(cohorts={"2019Q2": ["Kent", "Essex"], "2020Q2": ["Kent"]})
    with pytest.raises(ValueError, match="every cohort as units"):
        run(cohorts={"2019Q2": ["Kent", "Essex"], "2020Q2": 3})
    with pytest.raises(ValueError, match="same period"):
        run(cohorts={"2019Q2": 3, "2019-05": 2})
    with pytest.raises(ValueError, match="cannot read"):
        run(cohorts={"soon": 18})
    with pytest.raises(ValueError, match="overall must be one of"):
        run(cohorts=ROLLOUT, overall="dynamic")
    with pytest.raises(ValueError, match="control_group must be one of"):
        run(cohorts=ROLLOUT, control_group="later")
    with pytest.raises(ValueError, match="post must be a positive integer"):
        run(cohorts=ROLLOUT, post=0)
    with pytest.raises(ValueError, match="both treated and comparator"):
        run(cohorts={"2019Q2": ["Kent"]}, comparators=["Kent", "Essex"], placebo="time")
