"""Pre-trend extrapolation: against an independent numpy/statsmodels computation (slope by least
squares, standard errors by a numerical Jacobian), against the FLCI at M = 0 where theory says
they coincide, and by coverage under a planted linear violation, on coefficients and on a
simulated panel fitted by the event study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import vrueval as ve
from vrueval.sensitivity import trend_extrapolation, trend_extrapolation_arrays
from vrueval.sensitivity.extrapolation import extrapolation_matrix
from vrueval.sensitivity.flci import flci
from vrueval.sensitivity.inputs import check_estimates

N_PRE, N_POST = 5, 3
TIMES = [-6, -5, -4, -3, -2, 0, 1, 2]


def _sigma(seed: int = 4, block: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = N_PRE + N_POST
    a = rng.normal(size=(k, k))
    s = (a @ a.T + k * np.eye(k)) * 1e-3
    if block:
        s[:N_PRE, N_PRE:] = s[N_PRE:, :N_PRE] = 0.0
    return s


SIGMA = _sigma()
BETA = np.array([-0.25, -0.2, -0.16, -0.1, -0.04, 0.45, 0.52, 0.6])


def _reference(beta: np.ndarray, sigma: np.ndarray, leads: list[int], weighting: str):
    """The estimator written independently: the slope by statsmodels (OLS or GLS through the
    origin on t = e + 1), the effects by subtraction, their covariance by a numerical Jacobian
    (central differences; the map is linear, so they are exact up to rounding)."""
    times = np.asarray(TIMES)
    pos = [TIMES.index(e) for e in leads]
    t = np.asarray(leads, dtype=float) + 1

    def estimate(b: np.ndarray) -> np.ndarray:
        y = b[pos]
        if weighting == "ols":
            slope = sm.OLS(y, t[:, None]).fit().params[0]
        else:
            slope = sm.GLS(y, t[:, None], sigma=sigma[np.ix_(pos, pos)]).fit().params[0]
        tau = b[N_PRE:] - slope * (times[N_PRE:] + 1)
        return np.r_[tau, tau.mean()]

    h = 1e-4
    jac = np.column_stack(
        [(estimate(beta + h * e) - estimate(beta - h * e)) / (2 * h) for e in np.eye(len(beta))]
    )
    return estimate(beta), np.sqrt(np.diag(jac @ sigma @ jac.T))


@pytest.mark.parametrize("weighting", ["ols", "gls"])
@pytest.mark.parametrize("leads", [None, [-5, -4, -3, -2], [-2]])
def test_matches_an_independent_computation(weighting, leads):
    res = trend_extrapolation_arrays(
        BETA, SIGMA, N_PRE, N_POST, event_times=TIMES, leads=leads, weighting=weighting
    )
    used = leads or TIMES[:N_PRE]
    est, se = _reference(BETA, SIGMA, used, weighting)
    eff = res.effects().set_index("term").loc[["att:e=0", "att:e=1", "att:e=2", "att"]]
    np.testing.assert_allclose(eff["estimate"], est, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(eff["std_error"], se, rtol=1e-7)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(eff["conf_low"], est - z * se, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(eff["p_value"], 2 * stats.norm.sf(np.abs(est / se)), rtol=1e-6)
    assert list(res.effects().columns[:6]) == [
        "term", "estimate", "std_error", "conf_low", "conf_high", "p_value"
    ]  # fmt: skip
    assert res.original["att:e=0"] == BETA[N_PRE]
    assert list(res.settings["leads"]) == sorted(used)
    # one lead: the slope is that lead's coefficient over its distance from the reference
    if leads == [-2]:
        assert res.slope["estimate"] == pytest.approx(BETA[4] / -1)
        assert any("one lead" in w for w in res.warnings)


def test_gls_is_the_flci_at_m_zero_when_pre_and_post_are_uncorrelated():
    # Delta^SD(0) is a linear violation through zero at e = -1; with pre- and post-period
    # coefficients uncorrelated the best linear unbiased estimator of tau_0 is beta_0 minus
    # the GLS slope's projection, which the FLCI at M = 0 (zero worst-case bias) centres on.
    sigma = _sigma(block=True)
    res = trend_extrapolation_arrays(BETA, sigma, N_PRE, N_POST, event_times=TIMES, weighting="gls")
    row = res.effects().set_index("term").loc["att:e=0"]
    f = flci(check_estimates(BETA, sigma, N_PRE, N_POST, 0, event_times=TIMES), 0.0, 0.05)
    assert row["estimate"] == pytest.approx((f.low + f.high) / 2, rel=1e-6)
    assert row["std_error"] == pytest.approx(f.sd, rel=1e-6)
    assert f.max_bias == pytest.approx(0.0, abs=1e-12)


def test_coverage_under_a_planted_linear_violation_on_coefficients():
    # beta ~ N(gamma (e + 1) + tau 1{e >= 0}, Sigma): the extrapolated intervals cover tau at
    # their level, the event study's own intervals do not (they carry the trend as effect).
    # The estimator is linear, so the draws go through its matrix at once; the first draw
    # through the public function checks the matrix is what it applies.
    rng = np.random.default_rng(20231)
    times = np.asarray(TIMES, dtype=float)
    tau = np.array([0.3, 0.35, 0.4])
    mean = 0.2 * (times + 1) + np.r_[np.zeros(N_PRE), tau]
    reps = 20_000
    draws = rng.multivariate_normal(mean, SIGMA, size=reps)
    _, a = extrapolation_matrix(TIMES, TIMES[:N_PRE], SIGMA)
    first = trend_extrapolation_arrays(draws[0], SIGMA, N_PRE, N_POST, event_times=TIMES)
    eff = first.effects().set_index("term").loc[["att:e=0", "att:e=1", "att:e=2", "att"]]
    np.testing.assert_allclose(eff["estimate"], a @ draws[0], rtol=1e-12)
    se = eff["std_error"].to_numpy()
    truth = np.r_[tau, tau.mean()]
    z = stats.norm.ppf(0.975)
    covered = (np.abs(draws @ a.T - truth) <= z * se).mean(axis=0)
    mc = 3 * np.sqrt(0.95 * 0.05 / reps)
    np.testing.assert_allclose(covered, 0.95, atol=mc)
    last = N_PRE + N_POST - 1
    naive = (np.abs(draws[:, last] - tau[-1]) <= z * np.sqrt(SIGMA[last, last])).mean()
    assert naive < 0.5


def _panel(seed: int, slope: float, effect: float, n: int = 30, periods: int = 14) -> pd.DataFrame:
    """Units with their own level and common period shocks; the first half treated from
    period 8 and drifting away from the rest by ``slope`` a period throughout."""
    rng = np.random.default_rng(seed)
    months = [str(p) for p in pd.period_range("2018-01", periods=periods, freq="M")]
    start = 8
    treated = np.arange(n) < n // 2
    rows = []
    shocks = rng.normal(scale=1.0, size=periods)
    for i in range(n):
        level = rng.normal(scale=3.0)
        for t in range(periods):
            y = level + shocks[t] + rng.normal(scale=1.0)
            if treated[i]:
                y += slope * (t - start + 1) + (effect if t >= start else 0.0)
            rows.append((f"u{i}", months[t], y, int(treated[i] and t >= start)))
    return pd.DataFrame(rows, columns=["unit", "month", "y", "D"])


@pytest.mark.slow
def test_coverage_on_a_simulated_panel_fitted_by_the_event_study():
    # the whole path: a panel with a planted linear violation (slope 0.4 a period) and a
    # constant effect of 1, fitted by ve.EventStudy with CR1 by unit, then extrapolated
    reps, covered, naive = 300, 0, 0
    for r in range(reps):
        df = _panel(r, slope=0.4, effect=1.0)
        res = ve.EventStudy(
            df, "y", treated="D", unit="unit", time="month", geography="custom"
        ).fit("cr1")
        att = trend_extrapolation(res).effects().set_index("term").loc["att"]
        covered += att["conf_low"] <= 1.0 <= att["conf_high"]
        plain = res.effects().set_index("term").loc["att"]
        naive += plain["conf_low"] <= 1.0 <= plain["conf_high"]
    # CR1 with 30 clusters is a little liberal; allow Monte Carlo error plus 0.03
    assert covered / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps) - 0.03
    assert naive / reps < 0.2


def test_a_simulated_panel_recovers_the_planted_effect():
    # one panel without noise beyond the unit levels and shocks: the event study's leads are
    # the trend exactly, so the extrapolated effects are the planted one to rounding
    df = _panel(1, slope=0.4, effect=1.0)
    df["y"] = df["y"].round(12)
    res = ve.EventStudy(df, "y", treated="D", unit="unit", time="month", geography="custom").fit()
    ext = trend_extrapolation(res)
    att = ext.effects().set_index("term").loc["att"]
    assert abs(att["estimate"] - 1.0) < 4 * att["std_error"]
    assert ext.slope["estimate"] == pytest.approx(0.4, abs=4 * ext.slope["std_error"])
    plain = res.effects().set_index("term").loc["att"]
    assert plain["estimate"] > 1.5  # the event study mistakes the trend for effect


def test_binned_earliest_lead_is_left_out_of_the_trend():
    knife = ve.datasets.knife_quarterly()
    res = ve.EventStudy(knife, "knife_offences", start="2016Q2", leads=6, lags=6).fit()
    ext = trend_extrapolation(res)
    assert list(ext.settings["leads"]) == [-5, -4, -3, -2]
    assert any("left out of the trend" in w for w in ext.warnings)
    assert not any("restrictions treat it" in w for w in ext.warnings)
    assert any("last lag (e=6)" in w and "projected to it" in w for w in ext.warnings)
    by_hand = trend_extrapolation(res, leads=[-6, -5, -4, -3, -2])
    assert any("as if it were that one period" in w for w in by_hand.warnings)
    d = ext.to_dict()
    assert [r["term"] for r in d["effects"]][0] == "att"
    assert d["seed"] is None and "by_time" in d


def test_staggered_universal_base_gives_its_event_times(tmp_path):
    from pathlib import Path

    mpdta = pd.read_csv(Path(__file__).parent / "reference" / "mpdta.csv.gz")
    res = ve.StaggeredDiD(
        mpdta,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        base_period="universal",
    ).fit()
    ext = trend_extrapolation(res)
    assert list(ext.settings["leads"]) == [-4, -3, -2]
    assert set(ext.effects()["term"]) == {"att", "att:e=0", "att:e=1", "att:e=2", "att:e=3"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"weighting": "wls"}, "weighting must be one of"),
        ({"leads": [-7]}, "leads must be event times of the leads"),
        ({"leads": []}, "leads must be event times of the leads"),
        ({"leads": [-2, -2]}, "leads are repeated"),
        ({"level": 0.05}, "level must be a number in"),
        ({"df": 0}, "df must be a positive number"),
    ],
)
def test_invalid_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        trend_extrapolation_arrays(BETA, SIGMA, N_PRE, N_POST, event_times=TIMES, **options)


def test_result_is_frozen_and_plots():
    import matplotlib

    matplotlib.use("Agg")
    res = trend_extrapolation_arrays(BETA, SIGMA, N_PRE, N_POST, event_times=TIMES)
    with pytest.raises(AttributeError, match="read-only"):
        res.foo = 1  # type: ignore[attr-defined]
    assert res.vcov().shape == (4, 4)
    ax = res.plot()
    assert len(ax.lines) >= 3
