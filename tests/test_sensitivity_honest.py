"""Rambachan & Roth robust sets: published numbers, the honestdid package, and properties that
must hold whatever the data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import vrueval as ve
from vrueval.sensitivity import arp, conditional, honest_did, honest_did_arrays, restrictions
from vrueval.sensitivity.inputs import check_estimates

REF = Path(__file__).parent / "reference"
INPUTS = json.loads((REF / "honestdid_inputs.json").read_text())
MEDICAID = INPUTS["medicaid"]


def _medicaid(**options):
    options.setdefault("seed", 0)
    return honest_did_arrays(
        MEDICAID["betahat"], MEDICAID["sigma"], MEDICAID["n_pre"], MEDICAID["n_post"], **options
    )


# -- the published example -------------------------------------------------------------------
# HonestDiD R README (github.com/asheshrambachan/HonestDiD, README.md, "Example usage - Medicaid
# expansions"): createSensitivityResults_relativeMagnitudes(..., Mbarvec = seq(0.5, 2, by = 0.5))
# and createSensitivityResults(..., Mvec = seq(0, 0.05, by = 0.01)), printed to 3 significant
# figures. The betahat and sigma are recomputed from the same data (honestdid_make_inputs.py).
README_RM = {  # Mbar: (lb, ub), C-LF
    0.5: (0.0240, 0.0672),
    1.0: (0.0170, 0.0720),
    1.5: (0.00824, 0.0797),
    2.0: (-0.000916, 0.0881),
}
README_SD = {  # M: (lb, ub), FLCI
    0.00: (0.0259, 0.0607),
    0.01: (0.0132, 0.0787),
    0.02: (0.00286, 0.0907),
    0.03: (-0.00714, 0.101),
    0.04: (-0.0171, 0.111),
    0.05: (-0.0271, 0.121),
}


def _printed_tolerance(value: float) -> float:
    """Half a unit in the third significant figure the README prints."""
    return 0.5 * 10 ** (np.floor(np.log10(abs(value))) - 2)


def test_relative_magnitudes_reproduce_the_readme():
    # R inverts the test on 1000 points over +-20 standard errors of theta: its ends can sit
    # one grid step (40 se / 999 = 3.7e-4 here) from the true ones, and its least-favourable
    # critical value is simulated with other draws; so: one grid step plus the printing.
    res = _medicaid(bounds=list(README_RM), breakdown=False)
    step = 40 * np.sqrt(MEDICAID["sigma"][5][5]) / 999
    for row in res.effects().itertuples():
        lb, ub = README_RM[row.bound]
        assert row.conf_low == pytest.approx(lb, abs=step + _printed_tolerance(lb))
        assert row.conf_high == pytest.approx(ub, abs=step + _printed_tolerance(ub))


def test_smoothness_flci_reproduces_the_readme():
    # The FLCI has no grid: printing (half a unit in the third figure) plus 5e-5 for R's
    # search over the estimator's standard deviation, which can stop short of the optimum.
    res = _medicaid(restriction="smoothness", bounds=list(README_SD), breakdown=False)
    for row in res.effects().itertuples():
        lb, ub = README_SD[row.bound]
        assert row.conf_low == pytest.approx(lb, abs=_printed_tolerance(lb) + 5e-5)
        assert row.conf_high == pytest.approx(ub, abs=_printed_tolerance(ub) + 5e-5)


def test_breakdown_values_match_the_readme_statements():
    # README: "the breakdown value for a significant effect is Mbar = 2" (its grid of 0.5:
    # significant at 1.5, not at 2) and "M ~ 0.03" for smoothness (significant at 0.02, not at
    # 0.03); ours are found by bisection and must lie in those brackets.
    rm = _medicaid(bounds=[1.5, 2.0]).breakdown
    sd = _medicaid(restriction="smoothness", bounds=[0.02, 0.03]).breakdown
    assert rm is not None and sd is not None
    assert 1.5 < rm["value"] < 2.0
    assert 0.02 < sd["value"] < 0.03


# -- properties --------------------------------------------------------------------------------
def _synthetic(n_pre: int, n_post: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n_pre + n_post, n_pre + n_post))
    sigma = (a @ a.T + np.eye(n_pre + n_post)) * 0.01
    beta = rng.normal(scale=0.1, size=n_pre + n_post)
    beta[n_pre:] += 0.3
    return beta, sigma


@pytest.mark.parametrize(("n_pre", "n_post", "target"), [(4, 1, 0), (3, 2, 0), (3, 2, "average")])
def test_conditional_set_at_mbar_zero_is_the_original_interval(n_pre, n_post, target):
    # Mbar = 0 forces every post-period change in the bias to zero, so delta_post = delta_0 = 0
    # and the identified set is the point l'beta_post. The moments are the two halves of
    # l'beta_post - theta = 0; the test conditions on which half binds, i.e. on the sign of
    # l'beta_hat - theta, so |l'beta_hat - theta| / se is a normal truncated to [0, inf) whose
    # 1 - alpha quantile is z_{1-alpha/2}: the conditional set is the original interval.
    beta, sigma = _synthetic(n_pre, n_post)
    res = honest_did_arrays(
        beta, sigma, n_pre, n_post, bounds=[0], target=target, method="conditional"
    )
    row = res.effects().iloc[0]
    tol = 1e-4 * res.original["std_error"]
    assert row["conf_low"] == pytest.approx(res.original["conf_low"], abs=tol)
    assert row["conf_high"] == pytest.approx(res.original["conf_high"], abs=tol)


def test_hybrid_at_mbar_zero_uses_its_simulated_first_stage():
    # The hybrid's second stage at size (alpha - kappa)/(1 - kappa), truncated above at the
    # first stage's critical value c, has the critical value
    # Phi^-1(1/2 + (1 - size)(Phi(c) - 1/2)); with the exact c = z_{1-kappa/2} that is
    # z_{1-alpha/2} again, with the simulated c (1000 draws) it differs by Monte Carlo error.
    beta, sigma = _synthetic(4, 1)
    res = honest_did_arrays(beta, sigma, 4, 1, bounds=[0], breakdown=False, seed=0)
    est = check_estimates(beta, sigma, 4, 1)
    pieces = conditional.pieces(
        est,
        [restrictions.relative_magnitudes(4, 1, 0.0, s, p) for s in (-3,) for p in (True,)],
        hybrid=True,
        alpha=0.05,
        kappa=0.005,
        draws=1000,
        seed=0,
    )
    c = pieces[0].lf_cv
    size = (0.05 - 0.005) / (1 - 0.005)
    crit = stats.norm.ppf(0.5 + (1 - size) * (stats.norm.cdf(c) - 0.5))
    row = res.effects().iloc[0]
    half = (row["conf_high"] - row["conf_low"]) / 2
    assert half == pytest.approx(crit * res.original["std_error"], rel=1e-4)
    assert abs(crit - stats.norm.ppf(0.975)) < 0.01


@pytest.mark.parametrize("method", ["c-lf", "conditional"])
def test_relative_magnitudes_sets_grow_with_mbar(method):
    # Delta^RM(Mbar) grows with Mbar, so do the identified sets; the sets reported must nest
    # (to the bisection tolerance, 1e-5 standard errors).
    beta, sigma = _synthetic(3, 2)
    res = honest_did_arrays(
        beta, sigma, 3, 2, bounds=[0, 0.25, 0.5, 1, 1.5, 2], method=method, breakdown=False, seed=0
    )
    t = res.effects()
    tol = 1e-4 * res.original["std_error"]
    assert np.all(np.diff(t["conf_low"]) <= tol)
    assert np.all(np.diff(t["conf_high"]) >= -tol)


def test_smoothness_sets_grow_with_m_and_cover_the_identified_set():
    beta, sigma = _synthetic(4, 2)
    res = honest_did_arrays(
        beta, sigma, 4, 2, restriction="smoothness", bounds=[0, 0.05, 0.1, 0.2], breakdown=False
    )
    t = res.effects()
    assert np.all(np.diff(t["conf_low"]) < 0)
    assert np.all(np.diff(t["conf_high"]) > 0)


def test_vertex_enumeration_agrees_with_the_linear_programs():
    # Two routes to the same test: the dual vertices enumerated once, or an LP per value of theta
    # with the closed-form or line-search truncation. They must give the same decisions.
    beta, sigma = _synthetic(3, 3)
    est = check_estimates(beta, sigma, 3, 3)
    for s in (-2, 0):
        a, d = restrictions.relative_magnitudes(3, 3, 1.0, s, True)
        m = conditional.moments(est, a, d)
        vertices = arp.dual_vertices(m.x, m.sd)
        assert vertices is not None and len(vertices) > 0
        cv = arp.least_favourable_cv(m.x, m.sigma, 0.005, 1000, 0, vertices)
        cv_lp = arp.least_favourable_cv(m.x, m.sigma, 0.005, 1000, 0, None)
        assert cv == pytest.approx(cv_lp, rel=1e-6)
        for theta in np.linspace(-1, 1.5, 11):
            for lf in (None, cv):
                by_vertex = arp.test(m, theta, 0.05, lf_cv=lf, kappa=0.005, vertices=vertices)
                by_lp = arp.test(m, theta, 0.05, lf_cv=lf, kappa=0.005, vertices=None)
                assert by_vertex == by_lp, (s, theta, lf)


@pytest.mark.parametrize(
    ("p", "lo", "hi"),
    [
        (0.95, 0, np.inf),
        (0.95, 0, 2.8),
        (0.9, -1, 3),
        (0.95, -np.inf, -2),
        (0.95, 5, 9),
        (0.95, 30, np.inf),
        (0.3, -0.5, 0.1),
    ],
)
def test_truncated_normal_quantile_matches_scipy(p, lo, hi):
    assert arp._truncnorm_quantile(p, lo, hi) == pytest.approx(
        stats.truncnorm.ppf(p, lo, hi), rel=1e-9, abs=1e-12
    )


def test_sign_and_monotone_restrictions_narrow_the_identified_set():
    # Intersecting Delta^RM with a sign or monotonicity restriction can only shrink the
    # identified set (a theorem); the robust set of the narrower restriction is a different
    # test's inversion, not a subset, but it must still cover the narrower identified set.
    from vrueval.sensitivity.honest import _Solver
    from vrueval.sensitivity.identified import identified_set

    beta, sigma = _synthetic(3, 2)
    est = check_estimates(beta, sigma, 3, 2)
    wide = identified_set(
        est, _Solver(est, "relative_magnitude", "c-lf", None, None, 0.05, 1000, 0).polyhedra(1.0)
    )
    for bias, monotone in (("positive", None), ("negative", None), (None, "increasing")):
        solver = _Solver(est, "relative_magnitude", "c-lf", bias, monotone, 0.05, 1000, 0)
        lo, hi = identified_set(est, solver.polyhedra(1.0))
        if np.isnan(lo):
            continue  # no bias of that shape fits the pre-periods
        assert wide[0] - 1e-9 <= lo <= hi <= wide[1] + 1e-9
        row = (
            honest_did_arrays(
                beta, sigma, 3, 2, bounds=[1], bias=bias, monotone=monotone, breakdown=False, seed=0
            )
            .effects()
            .iloc[0]
        )
        assert row["conf_low"] <= lo and hi <= row["conf_high"]


# -- invalid input -----------------------------------------------------------------------------
BETA, SIGMA = _synthetic(3, 2)


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        ((BETA, SIGMA[:4, :4], 3, 2), {}, "sigma must be 5 x 5"),
        ((BETA, -SIGMA, 3, 2), {}, "not positive semi-definite"),
        ((BETA, SIGMA + np.triu(np.ones((5, 5)), 1), 3, 2), {}, "not symmetric"),
        ((BETA[:4], SIGMA, 3, 2), {}, "beta must be a vector of n_pre \\+ n_post = 5"),
        ((BETA, SIGMA, 0, 5), {}, "n_pre must be at least 1"),
        ((BETA, SIGMA, 3, 2), {"bounds": [0.5, -1]}, "Mbar values must be finite and non-neg"),
        ((BETA, SIGMA, 3, 2), {"restriction": "smoothness", "bounds": [-0.1]}, "M values"),
        ((BETA, SIGMA, 3, 2), {"restriction": "linear"}, "restriction must be one of"),
        ((BETA, SIGMA, 3, 2), {"method": "flci"}, "method for restriction='relative_magn"),
        ((BETA, SIGMA, 3, 2), {"target": 2}, "target event time must be in 0..1"),
        ((BETA, SIGMA, 3, 2), {"level": 0.05}, "level must be a number in"),
        ((BETA, SIGMA, 3, 2), {"bias": "up"}, "bias must be one of"),
        (
            (BETA, SIGMA, 3, 2),
            {"restriction": "smoothness", "bias": "positive"},
            "the FLCI is optimal for smoothness alone",
        ),
        ((BETA, SIGMA, 3, 2), {"seed": None}, "random draws need an explicit seed"),
        ((BETA, SIGMA, 3, 2), {"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_invalid_input_is_refused_with_a_clear_error(args, options, message):
    with pytest.raises(ValueError, match=message):
        honest_did_arrays(*args, **{"seed": 0, **options})


def test_seed_is_required_only_where_draws_are_made_and_recorded_there():
    # the C-LF hybrid simulates its first stage; the conditional set and the FLCI draw nothing
    with pytest.raises(ValueError, match="explicit seed"):
        honest_did_arrays(BETA, SIGMA, 3, 2, bounds=[1], breakdown=False)
    clf = honest_did_arrays(BETA, SIGMA, 3, 2, bounds=[1], breakdown=False, seed=7)
    assert clf.seed == 7 and clf.to_dict()["seed"] == 7
    cond = honest_did_arrays(BETA, SIGMA, 3, 2, bounds=[1], method="conditional", breakdown=False)
    flci_res = honest_did_arrays(
        BETA, SIGMA, 3, 2, restriction="smoothness", bounds=[0.1], breakdown=False
    )
    assert cond.seed is None and flci_res.seed is None


def test_effects_carry_the_contract_columns_filled_honestly():
    from vrueval.sensitivity.flci import flci

    rm = honest_did_arrays(BETA, SIGMA, 3, 2, bounds=[0, 1], breakdown=False, seed=0).effects()
    assert list(rm.columns[:6]) == [
        "term", "estimate", "std_error", "conf_low", "conf_high", "p_value"
    ]  # fmt: skip
    # C-LF: the original estimate and its standard error on every row, no p-value
    np.testing.assert_array_equal(rm["estimate"], [BETA[3], BETA[3]])
    np.testing.assert_allclose(rm["std_error"], np.sqrt(SIGMA[3, 3]), rtol=1e-15)
    assert rm["p_value"].isna().all()
    # FLCI: the interval's own centre and standard deviation, which differ from the original
    sd = honest_did_arrays(
        BETA, SIGMA, 3, 2, restriction="smoothness", bounds=[0.0, 0.1], breakdown=False
    ).effects()
    est = check_estimates(BETA, SIGMA, 3, 2)
    for row in sd.itertuples():
        f = flci(est, row.bound, 0.05)
        assert row.estimate == pytest.approx((f.low + f.high) / 2, rel=1e-12)
        assert row.std_error == pytest.approx(f.sd, rel=1e-12)
        assert row.conf_high - row.estimate > stats.norm.ppf(0.975) * row.std_error * (1 - 1e-9)
    assert sd["p_value"].isna().all()


def test_zero_variance_reference_column_is_refused():
    sigma = SIGMA.copy()
    sigma[2, :] = sigma[:, 2] = 0
    with pytest.raises(ValueError, match="zero variance at positions \\[2\\]"):
        honest_did_arrays(BETA, sigma, 3, 2, seed=0)


# -- the result --------------------------------------------------------------------------------
def test_result_is_frozen_and_serialisable(tmp_path):
    res = honest_did_arrays(BETA, SIGMA, 3, 2, bounds=[0, 1], seed=0)
    with pytest.raises(AttributeError, match="read-only"):
        res.foo = 1  # type: ignore[attr-defined]
    table = res.effects()
    table.loc[0, "conf_low"] = 99.0
    assert res.effects().loc[0, "conf_low"] != 99.0
    with pytest.raises(TypeError):
        res.settings["method"] = "x"  # type: ignore[index]
    with pytest.raises(ValueError):
        res.estimates["beta"][0] = 1.0
    d = json.loads(res.to_json())
    assert [r["bound"] for r in d["effects"]] == [0.0, 1.0]
    assert list(d["effects"][0]) == [
        "term",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
        "bound",
        "method",
        "restriction",
    ]
    assert d["effects"][0]["p_value"] is None  # NaN, written as JSON null
    assert d["original"]["estimate"] == pytest.approx(BETA[3])
    assert "Breakdown Mbar" in res.summary()
    assert res.seed == 0 and d["settings"]["draws"] == 1000


def test_same_seed_same_numbers_and_the_plot_draws():
    import matplotlib

    matplotlib.use("Agg")
    a = honest_did_arrays(BETA, SIGMA, 3, 2, bounds=[0.5, 1], breakdown=False, seed=0)
    b = honest_did_arrays(BETA, SIGMA, 3, 2, bounds=[0.5, 1], breakdown=False, seed=0)
    assert a.effects().equals(b.effects())
    ax = a.plot()
    assert len(ax.collections) >= 2  # the original interval and the robust ones


def test_event_study_result_runs_the_sensitivity_after_the_fit():
    case = INPUTS["vru_violence"]
    spec = case["spec"]
    res = ve.EventStudy(
        ve.datasets.crime_severity(), spec["outcome"], start=spec["start"], leads=spec["leads"]
    ).fit(spec["inference"])
    vcov = res.event_vcov()
    assert vcov is not None
    # the inputs the reference used are this fit's (a drift here would void the reference)
    np.testing.assert_allclose(vcov.to_numpy(), case["sigma"], rtol=1e-10)
    sens = res.sensitivity("relative_magnitude", bounds=[0.5, 1], breakdown=False, seed=0)
    same = honest_did_arrays(
        case["betahat"],
        case["sigma"],
        case["n_pre"],
        case["n_post"],
        bounds=[0.5, 1],
        breakdown=False,
        seed=0,
    )
    np.testing.assert_allclose(
        sens.effects()[["conf_low", "conf_high"]], same.effects()[["conf_low", "conf_high"]]
    )
    assert any("bins every earlier period" in w for w in sens.warnings)
    assert "event_vcov" in res.to_dict()
    with pytest.raises(ValueError, match="reference=-1"):
        ve.EventStudy(
            ve.datasets.crime_severity(),
            spec["outcome"],
            start=spec["start"],
            leads=4,
            reference=-2,
        ).fit().sensitivity("relative_magnitude")


def test_pre_periods_keeps_the_leads_nearest_the_start():
    # dropping the earliest (binned) lead is the analysis of the remaining coefficients, whose
    # joint distribution is the sub-vector's and sub-matrix's
    case = INPUTS["vru_violence"]
    spec = case["spec"]
    res = ve.EventStudy(
        ve.datasets.crime_severity(), spec["outcome"], start=spec["start"], leads=spec["leads"]
    ).fit(spec["inference"])
    n_pre, n_post = case["n_pre"], case["n_post"]
    kept = honest_did(res, restriction="smoothness", bounds=[0, 0.1], pre_periods=n_pre - 1)
    beta = np.asarray(case["betahat"])[1:]
    sigma = np.asarray(case["sigma"])[1:, 1:]
    same = honest_did_arrays(
        beta, sigma, n_pre - 1, n_post, restriction="smoothness", bounds=[0, 0.1]
    )
    pd.testing.assert_frame_equal(kept.effects(), same.effects())
    assert list(kept.settings["event_times"])[0] == -(n_pre - 1) - 1
    assert any("left out (pre_periods=" in w for w in kept.warnings)
    assert not any("earliest lead" in w for w in kept.warnings)
    with pytest.raises(ValueError, match="pre_periods must be between 1 and"):
        honest_did(res, restriction="smoothness", pre_periods=n_pre + 1)
