"""Roth (2022) pre-trend power, checked by brute-force simulation of whole event studies."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import vrueval as ve
from vrueval.sensitivity import pretrend_power_arrays
from vrueval.sensitivity.pretrend_power import linear_violation, rectangle_power, wald_power

N_PRE, N_POST = 4, 3
TIMES = [-5, -4, -3, -2, 0, 1, 2]


def _sigma(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(7, 7))
    return (a @ a.T / 7 + np.eye(7)) * 0.04


SIGMA = _sigma()
BETA = np.zeros(7)


def _simulate(delta: np.ndarray, sigma: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """Whole event studies: beta_hat ~ N(delta, sigma) (tau = 0)."""
    return np.random.default_rng(seed).multivariate_normal(delta, sigma, size=draws)


def _passes_individually(b: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    se = np.sqrt(np.diag(sigma))[:N_PRE]
    return np.all(np.abs(b[:, :N_PRE] / se) <= stats.norm.ppf(0.975), axis=1)


def _passes_wald(b: np.ndarray, sigma: np.ndarray, clusters: int | None) -> np.ndarray:
    pre = b[:, :N_PRE]
    w = np.einsum("ij,ij->i", pre, np.linalg.solve(sigma[:N_PRE, :N_PRE], pre.T).T)
    if clusters is None:
        return w <= stats.chi2.ppf(0.95, N_PRE)
    f = w * (clusters - N_PRE) / (N_PRE * (clusters - 1))
    return f <= stats.f.ppf(0.95, N_PRE, clusters - N_PRE)


def _mc_tolerance(p: float, n: int) -> float:
    """Four Monte Carlo standard errors of a share."""
    return 4 * np.sqrt(p * (1 - p) / n)


def test_linear_violation_is_zero_at_the_reference_period():
    np.testing.assert_allclose(linear_violation(TIMES, 0.5), [-2, -1.5, -1, -0.5, 0.5, 1, 1.5])


def test_individual_rule_power_and_bias_match_brute_force_simulation():
    res = pretrend_power_arrays(BETA, SIGMA, N_PRE, N_POST, event_times=TIMES, seed=1)
    n = 200_000
    b = _simulate(linear_violation(TIMES, res.slope), SIGMA, n, seed=11)
    passed = _passes_individually(b, SIGMA)
    assert 1 - passed.mean() == pytest.approx(0.5, abs=_mc_tolerance(0.5, n) + 0.004)
    assert res.power == pytest.approx(0.5, abs=0.004)  # its own common draws (100,000)
    brute = b[passed, N_PRE:].mean(axis=0)
    brute_se = b[passed, N_PRE:].std(axis=0) / np.sqrt(passed.sum())
    table = res.table()
    tol = 4 * np.sqrt(brute_se**2 + table["mc_std_error"].to_numpy() ** 2)
    np.testing.assert_array_less(np.abs(table["bias_given_pass"] - brute), tol)
    # the slopes by Genz's algorithm, independent of both simulations
    for p, slope in res.slopes.items():
        genz = rectangle_power(
            linear_violation(TIMES, slope)[:N_PRE], SIGMA[:N_PRE, :N_PRE], level=0.95, seed=0
        )
        assert genz == pytest.approx(p, abs=0.005)


@pytest.mark.parametrize("clusters", [None, 40])
def test_wald_rule_is_exact_against_simulation(clusters):
    res = pretrend_power_arrays(
        BETA, SIGMA, N_PRE, N_POST, event_times=TIMES, rule="wald", clusters=clusters, seed=1
    )
    for p, slope in res.slopes.items():
        delta = linear_violation(TIMES, slope)
        assert wald_power(
            delta[:N_PRE], SIGMA[:N_PRE, :N_PRE], level=0.95, clusters=clusters
        ) == pytest.approx(p, abs=1e-9)
        if clusters is None:  # the chi-squared test is the simulation's own rule exactly
            n = 100_000
            b = _simulate(delta, SIGMA, n, seed=12)
            assert 1 - _passes_wald(b, SIGMA, None).mean() == pytest.approx(
                p, abs=_mc_tolerance(p, n)
            )
    assert res.slopes[0.8] > res.slopes[0.5] > 0


def test_the_bias_let_through_is_the_violation_when_pre_and_post_are_uncorrelated():
    # With Sigma block-diagonal, passing the pre-test says nothing about the post-period errors:
    # the bias among passing studies is the violation itself, up to Monte Carlo error.
    sigma = SIGMA.copy()
    sigma[:N_PRE, N_PRE:] = sigma[N_PRE:, :N_PRE] = 0
    res = pretrend_power_arrays(BETA, sigma, N_PRE, N_POST, event_times=TIMES, slope=0.05, seed=1)
    t = res.table()
    np.testing.assert_allclose(t["bias_given_pass"], t["bias"], atol=1e-12)


def test_event_study_default_is_the_printed_test():
    res = ve.EventStudy(
        ve.datasets.crime_severity(), "css_violence_against_the_person", start="2019/20", leads=4
    ).fit("cr2")
    power = ve.sensitivity.pretrend_power(res, draws=10_000, seed=1)
    test = res.pretrend_test
    assert test is not None
    assert power.settings["rule"] == "wald"
    assert power.settings["clusters"] == test["df1"] + test["df2"]
    assert power.power == pytest.approx(0.5, abs=1e-9)
    d = json.loads(power.to_json())
    assert set(d["slopes"]) == {"0.5", "0.8"}
    with pytest.raises(AttributeError, match="read-only"):
        power.foo = 1  # type: ignore[attr-defined]
    assert "slope detected with 80% power" in power.summary()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rule": "joint"}, "rule must be one of"),
        ({"powers": (0.01,)}, "powers must lie between"),
        ({"clusters": 3, "rule": "wald"}, "clusters applies to rule='wald' and must exceed"),
        ({"clusters": 40}, "clusters applies to rule='wald'"),
        ({"draws": 10}, "draws must be an integer of at least 1000"),
    ],
)
def test_invalid_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        pretrend_power_arrays(
            BETA, SIGMA, N_PRE, N_POST, event_times=TIMES, **{"seed": 1, **options}
        )
