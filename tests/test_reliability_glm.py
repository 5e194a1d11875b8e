"""Reliability matrix for count models and resampling: one row a case, input -> error or warning.

The rules under test live in one place each: separation and all-zero outcomes
(:mod:`vrueval.inference.separation`), degenerate fits (:mod:`vrueval.inference.degenerate`),
rank deficiency (:mod:`vrueval.inference.rank`) and the minimum number of random draws
(:mod:`vrueval.inference.draws`). Separation verdicts are checked against R's ``glm``
(tests/reference/separation_reference.R) and, on simulated thinned copies of the real HES
series, against statsmodels' GLM; the real HES and knife series raise no false alarm.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.analysis import tolerance as tol
from vrueval.designs.did.model import TwoWayFE, ols_absorbed, poisson_absorbed
from vrueval.inference import draws as draws_rule
from vrueval.inference.multiplier_bootstrap import bootstrap_family
from vrueval.inference.randomization import permutation_test
from vrueval.inference.separation import SeparationError, check_separation, separated_rows
from vrueval.inference.wild_bootstrap import wild_cluster_bootstrap

REF = Path(__file__).parent / "reference"
PERIODS = pd.period_range("2015-01", periods=48, freq="M").astype(str)
UNITS = ("West Midlands", "London", "North West")


def _series(*values: np.ndarray) -> ve.Panel:
    rows = [
        pd.DataFrame({"unit": u, "period": PERIODS, "outcome": "x", "value": v, "population": 1e6})
        for u, v in zip(UNITS, values, strict=False)
    ]
    return ve.Panel.from_frame(pd.concat(rows), frequency="month", geography="region")


_RNG = np.random.default_rng(7)
COUNTS = _RNG.poisson(20, 48).astype(float)
OTHER = _RNG.poisson(25, 48).astype(float)
STEP = np.r_[np.zeros(24), _RNG.poisson(6, 24) + 1.0]
ZEROS = np.zeros(48)


def _its(values: np.ndarray, **kw: Any) -> Callable[[], Any]:
    return lambda: ve.ITS(_series(values), "2017-01", **kw).fit()


def _cits(treated: np.ndarray, control: np.ndarray, **kw: Any) -> Callable[[], Any]:
    panel = _series(treated, control)
    return lambda: ve.ITS(panel, "2017-01", unit=UNITS[0], controls=[UNITS[1]], **kw).fit()


def _boot(n_boot: Any, level: float = 0.95) -> Callable[[], Any]:
    panel = _series(COUNTS)
    return lambda: ve.ITS(panel, "2017-01", model="poisson").fit(
        inference="bootstrap", draws=n_boot, seed=1, level=level
    )


def _knife_did(edit: Callable[[pd.DataFrame, np.ndarray], pd.Series] | None) -> Callable[[], Any]:
    def run() -> Any:
        knife = ve.datasets.knife_quarterly()
        frame = knife.data
        if edit is not None:
            post = pd.PeriodIndex(frame["period"].astype(str), freq="Q") >= pd.Period("2016Q2")
            rows = edit(frame, np.asarray(post)) & (frame["outcome"] == "knife_offences")
            frame.loc[rows, "value"] = 0.0
            knife = ve.Panel.from_frame(frame, frequency="quarter", geography=knife.geography)
        window = ("2012Q1", "2019Q1")
        did = ve.DiD(
            knife, "knife_offences", start="2016Q2", estimator="poisson", scale="rate",
            window=window,
        )  # fmt: skip
        return did.fit()

    return run


def _vru(frame: pd.DataFrame) -> pd.Series:
    return frame["unit"].isin(ve.areas.vru_2019())


def _collinear_did() -> Any:
    unit = np.repeat(np.arange(4), 6)
    period = np.tile(np.arange(6), 4)
    y = np.random.default_rng(1).normal(size=24)
    return ols_absorbed(TwoWayFE(unit, period), y, (unit == 0).astype(float))


VRU3 = list(ve.areas.vru_2019()[:3])
NEVER5 = [u for u in ve.areas.comparators() if u != "E23000034"][:5]


def _fy_panel(value: Callable[[str, int], float], measure: str = "score") -> ve.Panel:
    """3 treated forces and 5 comparators over FY2002/03-FY2021/22, ``value(unit, year)``."""
    rows = [
        {"unit": u, "period": pd.Period(year=y, freq="Y-MAR"), "outcome": "z",
         "value": value(u, y)}
        for u in VRU3 + NEVER5 for y in range(2003, 2023)
    ]  # fmt: skip
    return ve.Panel.from_frame(pd.DataFrame(rows), frequency="financial_year", measure=measure)


def _parallel(u: str, y: int) -> float:
    return float(y) + (5.0 if u in VRU3 else 0.0)


def _fy_did(value: Callable[[str, int], float], measure: str = "score", design: Any = None,
            **kw: Any) -> Callable[[], Any]:  # fmt: skip
    return lambda: (design or ve.DiD)(
        _fy_panel(value, measure), "z", start="2019/20", treated=VRU3, **kw
    ).fit()


def _intensity_everyone() -> Any:
    """Every unit at intensity 0.5 from one period, no comparators: D is the period effects
    (the referee's ATT 1.38 with SE 6.7e14, no error)."""
    noise = dict(zip(VRU3 + NEVER5, np.random.default_rng(5).normal(size=(8, 20)), strict=True))
    panel = _fy_panel(lambda u, y: float(noise[u][y - 2003]))
    return ve.DiD(panel, "z", start="2019/20", intensity={u: 0.5 for u in VRU3 + NEVER5},
                  comparators=[]).fit()  # fmt: skip


def _nearly_absorbed_did() -> Any:
    """The rank rule's accepting side: 1e-6 of the treatment's length is left after the effects
    are absorbed (above the 1e-10 tolerance), so it is identified, if weakly."""
    unit, period = np.repeat(np.arange(6), 8), np.tile(np.arange(8), 6)
    y = np.random.default_rng(0).normal(size=48)
    post = (period >= 5).astype(float)
    return ols_absorbed(TwoWayFE(unit, period), y, post * (1 + 1e-6 * (unit == 0)))


def _poisson_post_indicator() -> Any:
    unit, period = np.repeat(np.arange(6), 8), np.tile(np.arange(8), 6)
    y = np.random.default_rng(0).poisson(10, 48).astype(float)
    return poisson_absorbed(unit, period, y, (period >= 5).astype(float))


def _count_panel(zero: Callable[[str, int], bool]) -> ve.Panel:
    """Poisson counts for 6 treated forces and 10 comparators, FY2002/03-FY2021/22, with the
    cells where ``zero(unit, year)`` set to 0 (year = the financial year's end)."""
    rng = np.random.default_rng(0)
    units = VRU6 + NEVER10
    lam = dict(zip(units, rng.uniform(5, 30, len(units)), strict=True))
    rows = [
        {"unit": u, "period": pd.Period(year=y, freq="Y-MAR"), "outcome": "k",
         "value": 0.0 if zero(u, y) else float(rng.poisson(lam[u]))}
        for u in units for y in range(2003, 2023)
    ]  # fmt: skip
    return ve.Panel.from_frame(pd.DataFrame(rows), frequency="financial_year", measure="count")


VRU6 = list(ve.areas.vru_2019()[:6])
NEVER10 = [u for u in ve.areas.comparators() if u != "E23000034"][:10]


def _poisson_did(zero: Callable[[str, int], bool], **fit: Any) -> Any:
    panel = _count_panel(zero)
    did = ve.DiD(panel, "k", start="2019/20", treated=VRU6, comparators=NEVER10,
                 estimator="poisson")  # fmt: skip
    return did.fit(**fit)


def _wild(draws: int) -> Callable[[], Any]:
    rng = np.random.default_rng(2)
    unit = np.repeat(np.arange(12), 5)
    fe = TwoWayFE(unit, np.tile(np.arange(5), 12))
    x, y = fe.absorb_star(rng.normal(size=60)), fe.absorb_star(rng.normal(size=60))
    return lambda: wild_cluster_bootstrap(x, y, unit, fe.absorb_star, draws=draws, seed=1)


def _permutation(permutations: int) -> Callable[[], Any]:
    rng = np.random.default_rng(3)
    q, gram = rng.normal(size=30), np.eye(30)
    treated = np.r_[np.ones(5), np.zeros(25)]
    return lambda: permutation_test(q, gram, treated, permutations=permutations, seed=1)


def _did_fit(**kw: Any) -> Callable[[], Any]:
    def run() -> Any:
        knife = ve.datasets.knife_quarterly()
        did = ve.DiD(knife, "knife_offences", start="2016Q2", window=("2012Q1", "2019Q1"))
        return did.fit(seed=1, **kw)

    return run


def _mpdta_fit(draws: int) -> Callable[[], Any]:
    def run() -> Any:
        frame = pd.read_csv(REF / "mpdta.csv.gz")
        design = ve.StaggeredDiD(
            frame, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
        )
        return design.fit(inference="bootstrap", draws=draws, seed=1)

    return run


def _power_did(**kw: Any) -> Callable[[], Any]:
    def run() -> Any:
        knife = ve.datasets.knife_quarterly()
        return ve.power.did(
            knife, "knife_offences", post=8, n_treated=18, start="2012Q2", end="2019Q1", seed=1,
            n_sims=20, **kw,
        )  # fmt: skip

    return run


def _power_staggered(draws: int) -> Callable[[], Any]:
    def run() -> Any:
        knife = ve.datasets.knife_quarterly()
        return ve.power.staggered(
            knife, "knife_offences", cohorts={"2016Q2": 6}, post=4, pre=2, seed=1, n_sims=10,
            inference="bootstrap", draws=draws,
        )  # fmt: skip

    return run


# (case id, what is run, expected error type or None, fragment of the message)
ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    # separation and all-zero outcomes, every count model
    ("its-poisson-quasi-zeros-before", _its(STEP, model="poisson"), SeparationError,
     "separation -- the outcome is zero in 24 rows"),
    ("its-poisson-model-zeros-before",
     _its(STEP, model="poisson", dispersion="model"), SeparationError, "level_change"),
    ("its-negbin-zeros-before", _its(STEP, model="negbin"), SeparationError, "slope_change"),
    ("its-poisson-zeros-after", _its(STEP[::-1].copy(), model="poisson"), SeparationError,
     "level_change"),
    ("its-poisson-all-zero", _its(ZEROS, model="poisson"), SeparationError,
     "zero in every one of the 48"),
    ("its-negbin-all-zero", _its(ZEROS, model="negbin"), SeparationError, "zero in every one"),
    ("cits-poisson-treated-zeros-before", _cits(STEP, COUNTS, model="poisson"),
     SeparationError, "separation"),
    ("cits-negbin-all-zero", _cits(ZEROS, ZEROS, model="negbin"), SeparationError,
     "zero in every one"),
    ("did-poisson-all-zero", _knife_did(lambda f, post: f["unit"].notna()), SeparationError,
     "zero in every one of the 1160"),
    ("did-poisson-treated-post-zero", _knife_did(lambda f, post: _vru(f) & post),
     SeparationError, "not identified: att"),
    ("did-poisson-treated-pre-zero", _knife_did(lambda f, post: _vru(f) & ~post),
     SeparationError, "att"),
    ("did-poisson-treated-post-zero-financial-years",
     lambda: _poisson_did(lambda u, y: u in VRU6 and y >= 2020), SeparationError,
     f"{VRU6[0]} 2019/20, "),
    # degenerate outcomes and fits
    ("its-ols-all-zero", _its(ZEROS, model="ols"), ValueError, "is constant (0 in all 48"),
    ("its-gls-all-zero", _its(ZEROS, model="gls"), ValueError, "is constant"),
    ("its-ols-exact-step", _its(np.r_[np.full(24, 3.0), np.full(24, 8.0)], model="ols"),
     ValueError, "fitted exactly"),
    ("cits-ols-control-equals-treated", _cits(COUNTS, COUNTS, model="ols"), ValueError,
     "difference series"),
    ("cits-ols-control-shifted", _cits(COUNTS, COUNTS + 5, model="ols"), ValueError,
     "difference series"),
    ("cits-poisson-control-equals-treated", _cits(COUNTS, COUNTS, model="poisson"),
     ValueError, "difference series"),
    ("cits-negbin-control-equals-treated", _cits(COUNTS, COUNTS, model="negbin"), ValueError,
     "difference series"),
    ("did-twfe-exactly-parallel", _fy_did(_parallel), ValueError, "fitted exactly"),
    ("did-2x2-exactly-parallel", _fy_did(_parallel, estimator="2x2"), ValueError,
     "fitted exactly"),
    ("did-twfe-all-zero", _fy_did(lambda u, y: 0.0, "count"), ValueError,
     "is constant (0 in all 160"),
    ("event-study-exactly-parallel", _fy_did(_parallel, design=ve.EventStudy), ValueError,
     "fitted exactly"),
    ("did-poisson-constant", _fy_did(lambda u, y: 7.0, "count", estimator="poisson"),
     ValueError, "is constant (7 in all 160"),
    ("did-poisson-multiplicatively-parallel",
     _fy_did(lambda u, y: (3.0 if u in VRU3 else 1.0) * (y - 2000), "count",
             estimator="poisson"), ValueError, "on the log scale is fitted exactly"),
    # a log-link control proportional to the treated series: judged on the working residuals
    ("cits-poisson-control-doubled", _cits(COUNTS, 2 * COUNTS, model="poisson"), ValueError,
     "by a constant factor (a constant on the log scale)"),
    ("cits-poisson-model-control-tripled",
     _cits(COUNTS, 3 * COUNTS, model="poisson", dispersion="model"), ValueError,
     "difference series"),
    # rank deficiency, named
    ("its-lockdown-equals-level", _its(COUNTS, lockdown=("2017-01", "2018-12")),
     np.linalg.LinAlgError, "'level_change:intervention' is collinear with 'lockdown'"),
    ("its-poisson-lockdown-equals-level",
     _its(COUNTS, model="poisson", lockdown=("2017-01", "2018-12")), ValueError,
     "rank deficient"),
    ("did-treatment-collinear-with-unit-effects", _collinear_did, ValueError,
     "'att' is absorbed by the unit and period effects"),
    ("did-intensity-everyone-from-one-period", _intensity_everyone, ValueError,
     "'att' is absorbed by the unit and period effects"),
    ("poisson-did-treatment-is-post", _poisson_post_indicator, ValueError,
     "'att' is absorbed by the unit and period effects"),
    # minimum draws, every random method
    ("its-bootstrap-0", _boot(0), ValueError, "at least 39 are needed"),
    ("its-bootstrap-1", _boot(1), ValueError, "draws=1 is too few"),
    ("its-bootstrap-2", _boot(2), ValueError, "draws=2 is too few"),
    ("its-bootstrap-38", _boot(38), ValueError, "at least 39"),
    ("its-bootstrap-100-at-99pct", _boot(100, 0.99), ValueError, "at least 199"),
    ("its-bootstrap-bool", _boot(True), ValueError, "must be an integer"),
    # the shared seed rule (vrueval.inference.seeds), as for every other design
    ("its-bootstrap-no-seed", lambda: ve.ITS(_series(COUNTS), "2017-01").fit(
        inference="bootstrap", draws=39), ValueError, "random draws need an explicit seed"),
    ("its-bootstrap-negative-seed", lambda: ve.ITS(_series(COUNTS), "2017-01").fit(
        inference="bootstrap", draws=39, seed=-1), ValueError,
     "seed must be a non-negative integer, got -1"),
    ("its-hac-fractional-seed", lambda: ve.ITS(_series(COUNTS), "2017-01").fit(seed=1.5),
     ValueError, "seed must be a non-negative integer, got 1.5"),
    ("wild-bootstrap-38", _wild(38), ValueError, "draws=38 is too few"),
    ("randomization-38", _permutation(38), ValueError, "permutations=38 is too few"),
    ("multiplier-family-20", lambda: bootstrap_family(np.zeros((20, 2)), 10), ValueError,
     "draws=20 is too few"),
    ("did-wild-20", _did_fit(inference="wild", draws=20), ValueError, "draws=20"),
    ("did-randomization-20", _did_fit(inference="randomization", permutations=20),
     ValueError, "permutations=20"),
    ("staggered-bootstrap-20", _mpdta_fit(20), ValueError, "draws=20 is too few"),
    ("power-did-wild-20", _power_did(inference="wild", draws=20), ValueError, "draws=20"),
    ("power-did-randomization-20", _power_did(inference="randomization", permutations=20),
     ValueError, "permutations=20"),
    ("power-staggered-bootstrap-20", _power_staggered(20), ValueError, "draws=20"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "run", "error", "fragment"), ERRORS, ids=[e[0] for e in ERRORS])
def test_refused(case: str, run: Callable[[], Any], error: type[Exception], fragment: str) -> None:
    with pytest.raises(error) as info:
        run()
    assert fragment in str(info.value), str(info.value)


# cases that must go through: the boundary of each rule, from the accepting side
ACCEPTED: list[tuple[str, Callable[[], Any]]] = [
    ("its-poisson-counts", _its(COUNTS, model="poisson")),
    ("its-ols-counts", _its(COUNTS, model="ols")),
    ("cits-poisson-different-control", _cits(COUNTS, OTHER, model="poisson")),
    ("its-bootstrap-39", _boot(39)),
    ("its-poisson-one-zero-in-middle",
     _its(np.r_[COUNTS[:10], 0.0, COUNTS[11:]], model="poisson")),
    ("did-poisson-knife", _knife_did(None)),
    ("did-treatment-mostly-period-effect-but-identified", _nearly_absorbed_did),
    ("wild-bootstrap-39", _wild(39)),
    ("randomization-39", _permutation(39)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "run"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted(case: str, run: Callable[[], Any]) -> None:
    out = run()
    if hasattr(out, "effects"):
        eff = out.effects()
        assert np.isfinite(eff[["estimate", "std_error", "p_value"]].to_numpy(float)).all()


# -- warnings: Monte Carlo error that could flip a conclusion -------------------------------
WARNINGS: list[tuple[str, str | None, str | None]] = [
    ("counted-p-at-threshold", draws_rule.counted_p_warning(0.05, 999, 0.95, "att"),
     "within Monte Carlo error of 0.05"),
    ("counted-p-near-threshold-few-draws",
     draws_rule.counted_p_warning(0.08, 99, 0.95, "att"), "+-0.044 with 99 draws"),
    ("counted-p-far-below", draws_rule.counted_p_warning(0.001, 999, 0.95, "att"), None),
    ("counted-p-near-threshold-many-draws",
     draws_rule.counted_p_warning(0.058, 99_999, 0.95, "att"), None),
    ("bootstrap-se-t-1.96", draws_rule.bootstrap_se_p_warning(1.96, None, 99, 0.95, "lc"),
     "uncertain by about +-7%"),
    ("bootstrap-se-t-2.2-few-draws",
     draws_rule.bootstrap_se_p_warning(2.2, 50.0, 39, 0.95, "lc"), "p = 0.0325"),
    ("bootstrap-se-t-4", draws_rule.bootstrap_se_p_warning(4.0, None, 39, 0.95, "lc"), None),
    ("bootstrap-se-t-2.2-many-draws",
     draws_rule.bootstrap_se_p_warning(2.2, None, 9999, 0.95, "lc"), None),
    # the multiplier bootstrap's interquartile-range standard error is noisier than an SD
    ("bootstrap-iqr-se-t-2.2",
     draws_rule.bootstrap_se_p_warning(2.2, None, 199, 0.95, "att", spread="iqr"),
     "uncertain by about +-8%"),
    ("bootstrap-sd-se-t-2.2", draws_rule.bootstrap_se_p_warning(2.2, None, 199, 0.95, "att"),
     None),
    # one floor for every enumerated scheme: 2 of 32 sign patterns cannot reach 0.05, 2 of 64 can
    ("attainable-2-of-32", draws_rule.attainable_p_warning(2, 32, 0.95, "5 clusters allow 32"),
     "5 clusters allow 32: the smallest attainable p-value, 2/32, is not below 0.05"),
    ("attainable-2-of-64", draws_rule.attainable_p_warning(2, 64, 0.95, "6 clusters"), None),
    ("attainable-1-of-20", draws_rule.attainable_p_warning(1, 20, 0.95, "20"), "1/20"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "message", "fragment"), WARNINGS, ids=[w[0] for w in WARNINGS])
def test_monte_carlo_warning(case: str, message: str | None, fragment: str | None) -> None:
    if fragment is None:
        assert message is None
    else:
        assert message is not None and fragment in message, message


FIT_WARNINGS: list[tuple[str, Callable[[], Any], str | None]] = [
    ("did-wild-39", _did_fit(inference="wild", draws=39),
     "att: p = 0 is within Monte Carlo error of 0.05 (+-0.07 with 39 draws)"),
    ("did-randomization-39", _did_fit(inference="randomization", permutations=39),
     "att: p = 0.025 is within Monte Carlo error"),
    ("did-wild-999", _did_fit(inference="wild", draws=999), None),
    ("did-randomization-999", _did_fit(inference="randomization", permutations=999), None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "run", "fragment"), FIT_WARNINGS, ids=[w[0] for w in FIT_WARNINGS]
)
def test_fit_carries_monte_carlo_warning(
    case: str, run: Callable[[], Any], fragment: str | None
) -> None:
    res = run()
    found = [w for w in res.warnings if "Monte Carlo error" in w]
    if fragment is None:
        assert found == []
    else:
        assert len(found) == 1 and fragment in found[0], found
        assert fragment in res.summary()


def _monte_carlo(res: Any) -> list[str]:
    return [w for w in res.warnings if draws_rule.MONTE_CARLO in w]


def test_event_study_wild_carries_the_monte_carlo_warning() -> None:
    knife = ve.datasets.knife_quarterly()
    study = ve.EventStudy(
        knife, "knife_offences", start="2016Q2", window=("2012Q1", "2019Q1"), leads=2, lags=3
    )
    few = study.fit("wild", seed=1, draws=39)  # att:e=2 has p = 0.103, att:e=3 p = 0
    assert [w.split(" is ")[0] for w in _monte_carlo(few)] == [
        "att:e=2: p = 0.103",
        "att:e=3: p = 0",
    ]
    assert "(+-0.07 with 39 draws)" in few.summary()
    assert _monte_carlo(study.fit("wild", seed=1, draws=999)) == []


def test_staggered_bootstrap_carries_the_monte_carlo_warning() -> None:
    few = _mpdta_fit(39)()
    found = _monte_carlo(few)
    assert found[0].startswith("att: p = 0.0377 is within Monte Carlo error of 0.05") and (
        "from 39 draws is uncertain by about +-19%" in found[0]
    ), found
    assert found[0] in few.summary()
    many = _mpdta_fit(999)()
    assert len(_monte_carlo(many)) < len(found)
    # a new bootstrap replaces the old draws' warnings instead of adding to them
    again = few.rebootstrap(draws=999, seed=1)
    assert _monte_carlo(again) == _monte_carlo(many)
    assert [w for w in again.warnings if w not in found] == list(_monte_carlo(many))


def test_minimum_draws_rule() -> None:
    assert [draws_rule.minimum_draws(lv) for lv in (0.8, 0.9, 0.95, 0.99)] == [9, 19, 39, 199]
    # the rule's reason: at B_min the smallest p-value 1/(B+1) reaches (1 - level) / 2
    for lv in (0.9, 0.95, 0.99):
        b = draws_rule.minimum_draws(lv)
        assert 1 / (b + 1) <= (1 - lv) / 2 + 1e-12 < 1 / b


def test_its_bootstrap_carries_the_monte_carlo_warning() -> None:
    # a series whose slope change sits near the 5% boundary (p = 0.079 with 39 draws, 0.10 with
    # 4999): 39 draws cannot settle it and the result says so; 4999 can
    t = np.arange(48)
    y = np.random.default_rng(0).poisson(40 * np.exp(0.18 * (t >= 24)), 48).astype(float)
    panel = _series(y)
    found = {}
    for n_boot in (39, 4999):
        res = ve.ITS(panel, "2017-01", model="poisson").fit(
            inference="bootstrap", draws=n_boot, seed=3
        )
        p = res.effects().set_index("term")["p_value"]
        found[n_boot] = [w for w in res.warnings if "Monte Carlo error" in w]
        assert 0.05 < p["slope_change"] < 0.15 and p["level_change"] > 0.3
    assert len(found[39]) == 1 and found[39][0].startswith("slope_change: p = 0.0794")
    assert found[4999] == []
    assert (
        "slope_change: p = 0.0794"
        in ve.ITS(panel, "2017-01", model="poisson")
        .fit(inference="bootstrap", draws=39, seed=3)
        .summary()
    )


# -- separation against independent references ----------------------------------------------
def _reference_cases() -> dict[str, dict[str, Any]]:
    return dict(json.loads((REF / "separation_reference.json").read_text())["cases"])


@pytest.mark.parametrize("name", sorted(_reference_cases()))
def test_separation_matches_r(name: str) -> None:
    """Our verdict equals R's glm: separated exactly where R's coefficients diverge as the fit is
    tightened (tolerance: a change above 1 on the log scale between epsilon 1e-8 and 1e-15), and
    every diverging coefficient is among the columns we name."""
    case = _reference_cases()[name]
    X, y = np.asarray(case["X"], dtype=float), np.asarray(case["y"], dtype=float)
    try:
        check_separation(X, y, case["columns"], what=name)
        named: list[str] | None = None
    except SeparationError as err:
        named = err.columns
    assert (named is not None) == case["diverges"]
    if named is not None:
        change = np.abs(np.subtract(case["coef_tight"], case["coef_default"]))
        diverged = {c for c, d in zip(case["columns"], change, strict=True) if d > 1}
        assert diverged and diverged <= set(named), (diverged, named)
        warns = case["warnings"] if isinstance(case["warnings"], list) else [case["warnings"]]
        assert any("fitted rates numerically 0" in w for w in warns)


def _diverges_statsmodels(X: np.ndarray, y: np.ndarray) -> bool:
    """statsmodels' Poisson GLM by IRLS: coefficients still moving by more than 1 between 25 and
    400 iterations at a tight tolerance means the MLE does not exist."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(y, X, family=sm.families.Poisson())
        short = model.fit(maxiter=25, tol=1e-8).params
        long = model.fit(maxiter=400, tol=1e-15).params
    return bool(np.max(np.abs(long - short)) > 1)


def _segmented(n: int, t0: int, period: int) -> np.ndarray:
    t = np.arange(n, dtype=float)
    season = np.arange(n) % period
    dummies = [(season == j).astype(float) for j in range(1, period)]
    return np.column_stack([np.ones(n), t, t >= t0, np.maximum(0, t - t0), *dummies])


def test_no_false_alarm_on_real_series() -> None:
    """Every real HES series (monthly, by region) and knife series (quarterly, by force and
    outcome) passes the check with the ITS design; a Poisson ITS fits each of them."""
    checked = 0
    for panel, period, t0 in (
        (ve.datasets.hes_sharp_object(), 12, 57),
        (ve.datasets.knife_quarterly(), 4, 29),
    ):
        wide_all = panel.data
        for outcome in panel.outcomes:
            wide = wide_all[wide_all["outcome"] == outcome].pivot(
                index="period", columns="unit", values="value"
            )
            for unit in wide.columns:
                y = wide[unit].dropna().to_numpy(dtype=float)
                X = _segmented(len(y), min(t0, len(y) - 4), period)
                assert not separated_rows(X, y).any(), (outcome, unit)
                checked += 1
    assert checked > 100


def test_thinned_hes_agrees_with_statsmodels() -> None:
    """Small simulation: Poisson series at the real West Midlands HES path thinned to a mean of
    about 0.6 a month (zeros common, separation now and then). The check flags a series exactly
    when statsmodels' estimates diverge: no false alarms and no misses."""
    hes = ve.datasets.hes_sharp_object().data
    wm = hes[(hes["unit"] == "E12000005") & (hes["outcome"] == "admissions")]
    path = wm["value"].to_numpy(dtype=float)
    path = path / path.mean() * 0.6
    X = _segmented(len(path), 57, 12)
    rng = np.random.default_rng(2026)
    flagged = diverged = agree = 0
    for _ in range(80):
        y = rng.poisson(path).astype(float)
        ours = bool(separated_rows(X, y).any())
        theirs = _diverges_statsmodels(X, y)
        flagged += ours
        diverged += theirs
        agree += ours == theirs
    assert agree == 80, (flagged, diverged)
    assert 0 < flagged < 80  # both verdicts occur: the comparison can fail either way


# -- Poisson DiD: rows separated by the fixed effects alone are dropped, as fixest does ----------
DROPPED: list[tuple[str, Callable[[str, int], bool], str]] = [
    ("one-all-zero-comparator", lambda u, y: u == NEVER10[0],
     f"dropped 20 of 320 rows whose zero count only the unit and period effects can fit "
     f"(separation not involving the ATT; their fitted rate goes to zero without informing the "
     f"ATT, and fixest and ppmlhdfe drop them too): {ve.areas.name(NEVER10[0])} ({NEVER10[0]}) "
     f"in every period."),
    ("one-all-zero-treated-unit", lambda u, y: u == VRU6[0], f"({VRU6[0]}) in every period"),
    ("a-year-with-no-count-anywhere", lambda u, y: y == 2011, "2010/11 for every unit"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "zero", "fragment"), DROPPED, ids=[d[0] for d in DROPPED])
def test_poisson_did_drops_rows_separated_by_effects_only(
    case: str, zero: Callable[[str, int], bool], fragment: str
) -> None:
    """The fit goes through with a warning naming the dropped rows (financial years as
    2019/20), and its ATT and CR1 standard error ("stata" rule: every parameter counted) equal
    statsmodels' Poisson GLM with unit and period dummies on the kept rows, clustered by unit
    (tolerance 1e-8 relative: both are IRLS converged far tighter)."""
    import statsmodels.api as sm

    res = _poisson_did(zero, small_sample="stata")
    found = [w for w in res.warnings if w.startswith("Poisson DiD: dropped")]
    assert len(found) == 1 and fragment in found[0], res.warnings
    assert found[0] in res.summary()
    frame = _count_panel(zero).data
    frame = frame[frame["unit"].isin(VRU6 + NEVER10)].reset_index(drop=True)
    unit_all_zero = frame.groupby("unit")["value"].transform("sum") == 0
    period_all_zero = frame.groupby("period")["value"].transform("sum") == 0
    kept = frame[~unit_all_zero & ~period_all_zero]
    d = kept["unit"].isin(VRU6) & (kept["period"] >= pd.Period(year=2020, freq="Y-MAR"))
    X = pd.concat(
        [
            d.astype(float).rename("att"),
            pd.get_dummies(kept["unit"].astype(str), dtype=float),
            pd.get_dummies(kept["period"].astype(str), drop_first=True, dtype=float),
        ],
        axis=1,
    )
    ref = sm.GLM(kept["value"].to_numpy(float), X.to_numpy(), family=sm.families.Poisson()).fit(
        tol=1e-13, maxiter=200, cov_type="cluster",
        cov_kwds={"groups": pd.factorize(kept["unit"])[0]},
    )  # fmt: skip
    eff = res.effects().iloc[0]
    assert np.log(eff["estimate"]) == pytest.approx(ref.params[0], rel=1e-8, abs=1e-10)
    assert eff["std_error"] == pytest.approx(ref.bse[0], rel=1e-8)
    assert res.diagnostics["n_obs"] == len(kept)
    roles = res.comparators().set_index("unit")["role"]
    assert all(roles[u] == "dropped" for u in frame.loc[unit_all_zero, "unit"].unique())


# -- verify tolerance of a GLS ITS: 1e-10 only when the polish to the score's root succeeded --


def _drift(seed: int) -> np.ndarray:
    """A doubly integrated series (counts): its ARMA optimum can sit on the stationarity bound."""
    d = np.round(np.cumsum(np.cumsum(np.random.default_rng(seed).normal(size=48))) * 3)
    return d - d.min() + 100


GLS_TOLERANCE: list[tuple[str, np.ndarray, tuple[int, int], bool, float]] = [
    ("ar1-interior-optimum", COUNTS, (1, 0), True, 1e-10),
    ("ma1-interior-optimum", COUNTS, (0, 1), True, 1e-10),
    ("ar1-optimum-on-the-boundary", _drift(3), (1, 0), False, 1e-6),
    ("ma1-optimum-on-the-boundary", _drift(0), (0, 1), False, 1e-6),
]


@pytest.mark.parametrize(
    ("case", "values", "arma", "polished", "rtol"), GLS_TOLERANCE, ids=[g[0] for g in GLS_TOLERANCE]
)
def test_gls_tolerance_follows_the_polish(
    case: str, values: np.ndarray, arma: tuple[int, int], polished: bool, rtol: float
) -> None:
    res = ve.ITS(_series(values), "2017-01", model="gls", arma=arma).fit()
    assert res.diagnostics["polished"] is polished
    assert tol.tolerance("ITS", res.settings, res.diagnostics).rtol == rtol


@pytest.mark.parametrize(
    ("inference", "option", "applies"),
    [
        ("classical", {"hac_lag": 3}, "hac"),
        ("classical", {"hac_fixed_b": False}, "hac"),
        ("hac", {"draws": 199}, "bootstrap"),
        ("hac", {"block_length": 4}, "bootstrap"),
    ],
)
def test_its_refuses_an_option_its_inference_does_not_read(
    inference: str, option: dict[str, Any], applies: str
) -> None:
    """Once dropped silently (``fit("classical", hac_lag=3)`` recorded ``hac_lag: None``)."""
    design = ve.ITS(
        ve.datasets.hes_sharp_object(), {"vru": "2019-10"}, unit="West Midlands",
        outcome="admissions",
    )  # fmt: skip
    with pytest.raises(ValueError, match=f"applies to inference '{applies}' only"):
        design.fit(inference, **option)  # type: ignore[arg-type]
