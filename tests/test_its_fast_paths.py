"""The shortcuts that keep ``ITS.fit`` cheap give exactly what the plain computations give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import linalg, stats

import vrueval as ve
from vrueval.designs.its.design import season_position
from vrueval.inference import hac
from vrueval.inference.arma_gls import solve_triangular
from vrueval.inference.intervals import wald_table
from vrueval.results import Result

LOCK = ("2020-03", "2020-06")


@pytest.fixture(scope="module")
def hes() -> ve.Panel:
    return ve.datasets.hes_sharp_object()


def _its(hes: ve.Panel, unit: str = "West Midlands", **options: object) -> ve.ITS:
    base: dict[str, object] = {"unit": unit, "outcome": "admissions", "seasonality": "dummies"}
    base.update(options)
    return ve.ITS(hes, {"vru": "2019-10"}, **base)  # type: ignore[arg-type]


def test_diagnostics_and_warnings_are_computed_once_on_access(hes: ve.Panel) -> None:
    res = _its(hes, lockdown=LOCK, model="ols").fit(inference="classical")
    assert res._checked == {}  # nothing computed yet
    diag = res.diagnostics
    assert {"durbin_watson", "ljung_box_p", "breusch_godfrey_p", "residual_acf"} <= set(diag)
    assert res.diagnostics is diag and res._checked["warnings"] is res.warnings
    # The same numbers in every view, whichever is asked for first.
    again = _its(hes, lockdown=LOCK, model="ols").fit(inference="classical")
    doc = again.to_dict()
    assert doc["diagnostics"]["durbin_watson"] == diag["durbin_watson"]
    assert doc["warnings"] == list(res.warnings)
    assert "Diagnostics:" in again.summary()
    with pytest.raises(AttributeError):
        res._checked = {}  # type: ignore[misc]


def test_effects_table_matches_wald_table(hes: ve.Panel) -> None:
    for model, fit in (("ols", {"inference": "classical"}), ("poisson", {"hac_fixed_b": False})):
        res = _its(hes, lockdown=LOCK, model=model).fit(**fit)  # type: ignore[arg-type]
        eff = res.effects()
        log = model == "poisson"
        ref = wald_table(
            list(eff["term"]),
            np.log(eff["estimate"]) if log else eff["estimate"],
            eff["std_error"],
            df=None if log else float(eff["df"].iloc[0]),
            log_link=log,
        )
        cols = ["estimate", "std_error", "conf_low", "conf_high", "p_value", "statistic"]
        np.testing.assert_allclose(eff[cols], ref[cols], rtol=1e-13)


def test_fixed_b_effects_use_the_t_distribution(hes: ve.Panel) -> None:
    eff = _its(hes, lockdown=LOCK, model="poisson").fit().effects()
    np.testing.assert_allclose(
        eff["statistic"], np.log(eff["estimate"]) / eff["std_error"], rtol=1e-12
    )
    p = 2 * stats.t.sf(np.abs(eff["statistic"]), eff["df"])
    np.testing.assert_array_equal(eff["p_value"], p)


def test_lazy_effects_table_is_checked() -> None:
    res = Result(design="x", effects=lambda: pd.DataFrame({"term": ["a"]}), settings={}, level=0.95)
    with pytest.raises(ValueError, match="lacks columns"):
        res.effects()


def test_effects_read_first_are_a_fresh_table_that_cannot_change_the_result(
    hes: ve.Panel,
) -> None:
    """Before any other view is read, ``effects()`` hands out a table built for the call (no
    copy of a kept one): changing it changes neither later tables nor the result's record."""
    res = _its(hes, lockdown=LOCK, model="poisson").fit()
    first = res.effects()
    kept = first.copy()
    first.loc[:, "estimate"] = -1.0
    first.loc[0, "term"] = "tampered"
    pd.testing.assert_frame_equal(res.effects(), kept)
    assert res.effects() is not res.effects()
    doc = res.to_dict()["effects"]
    assert [row["estimate"] for row in doc] == kept["estimate"].tolist()
    pd.testing.assert_frame_equal(res.effects(), kept)  # after the kept table is built too


def test_series_on_one_window_share_a_read_only_layout(hes: ve.Panel) -> None:
    wm = _its(hes, lockdown=LOCK, lockdown_handling="exclude")
    ldn = _its(hes, "London", lockdown=LOCK, lockdown_handling="exclude")
    a, b = wm._design(0), ldn._design(0)
    assert a.X is b.X and not a.X.flags.writeable
    assert not np.array_equal(a.y, b.y)
    # Missing months are the series' own: a gap in one does not leak into the shared layout.
    sw = _its(hes, "South West", lockdown=LOCK, lockdown_handling="exclude", missing="drop")
    c = sw._design(0)
    assert c.X is a.X
    assert (c.excluded_reason == "missing").sum() == 2
    assert (a.excluded_reason == "missing").sum() == 0
    assert a.in_fit.sum() == c.in_fit.sum() + 2
    assert wm.fit().diagnostics["n_obs"] == int(a.in_fit.sum())


def test_season_position_from_ordinals() -> None:
    for freq, field in (("M", "month"), ("Q", "quarter")):
        periods = pd.period_range("1969-01", "2031-12", freq=freq)
        kind = "month" if freq == "M" else "quarter"
        np.testing.assert_array_equal(
            season_position(periods, kind), np.asarray(getattr(periods, field))
        )
    fiscal = pd.period_range("2010Q1", "2020Q4", freq="Q-MAR")
    np.testing.assert_array_equal(season_position(fiscal, "quarter"), fiscal.quarter)


def test_solve_triangular_is_scipys_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    _, r = np.linalg.qr(rng.normal(size=(60, 9)))
    low = np.tril(rng.normal(size=(30, 30))) + 6 * np.eye(30)
    cases = [
        (r, rng.normal(size=9), False),
        (r, np.eye(9), False),
        (low, rng.normal(size=(30, 4)), True),
        (np.asfortranarray(low), rng.normal(size=30), True),
    ]
    for a, b, lower in cases:
        expected = linalg.solve_triangular(a, b, lower=lower)
        assert solve_triangular(a, b, lower=lower).tobytes() == expected.tobytes()
    with pytest.raises(linalg.LinAlgError):
        solve_triangular(np.zeros((3, 3)), np.ones(3))


def test_long_run_scores_shortcuts_equal_adding_to_zeros() -> None:
    rng = np.random.default_rng(2)
    for time in (np.arange(40), np.r_[0:10, 13:30], np.r_[2:25], np.r_[0:20, 0:20]):
        scores = rng.normal(size=(len(time), 3))
        scores[0, 0] = -0.0
        expected = np.zeros((int(time.max()) + 1, 3))
        np.add.at(expected, time, scores)
        assert hac.long_run_scores(scores, time).tobytes() == expected.tobytes()
