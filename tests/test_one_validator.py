"""One validator for every design's DataFrame: the integer "index" frequency, the same errors
for the same bad input in ITS, DiD, the event study and each staggered estimator, and the
frame path giving the Panel path's numbers for each design."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.data.panel import Panel, PanelError
from vrueval.data.periods import PeriodLabelError, infer_frequency, parse_period, parse_periods

N_UNITS, N_T = 24, 8
TREATED = [f"s{i}" for i in range(8)]


def _frame(seed: int = 3) -> pd.DataFrame:
    """Custom units ("s0".."s23") over integer time 1..8; cohorts first treated in 5 and 7,
    the rest never (g = 0); a true effect of 1."""
    rng = np.random.default_rng(seed)
    unit = np.repeat([f"s{i}" for i in range(N_UNITS)], N_T)
    t = np.tile(np.arange(1, N_T + 1), N_UNITS)
    cohort = np.where(np.arange(N_UNITS) < 8, 5, np.where(np.arange(N_UNITS) < 14, 7, 0))
    g = np.repeat(cohort, N_T)
    x = rng.normal(size=len(t))
    y = 2.0 + 0.1 * t + 0.5 * x + np.where((g > 0) & (t >= g), 1.0, 0.0) + rng.normal(size=len(t))
    return pd.DataFrame({"id": unit, "t": t, "y": y, "x": x, "g": g})


# -- the integer index --------------------------------------------------------------------------


def test_index_periods_are_whole_numbers() -> None:
    assert parse_period(7, "index") == 7
    assert parse_period("12", "index") == 12
    assert parse_period(3.0, "index") == 3
    for bad in (2.5, "x", True, pd.Period("2019-10", "M")):
        with pytest.raises(PeriodLabelError, match="not a whole number|boolean"):
            parse_period(bad, "index")
    with pytest.raises(PeriodLabelError, match="missing period"):
        parse_period(None, "index")
    column = pd.Series([3, 1, 2, 3], dtype=object)
    assert parse_periods(column, "index").tolist() == [3, 1, 2, 3]
    with pytest.raises(PeriodLabelError, match=r"2 period label\(s\) cannot be read") as err:
        parse_periods(pd.Series([1, "a", 2, "a"], dtype=object), "index")
    assert err.value.bad is not None and err.value.bad.tolist() == [False, True, False, True]


def test_integers_are_an_index_unless_they_are_years() -> None:
    assert infer_frequency(pd.Series([1, 2, 3])) == "index"
    assert infer_frequency(pd.Series([0, 50, 4000])) == "index"
    assert infer_frequency(pd.Series([2003, 2004, 2005])) == "year"


def test_an_index_panel() -> None:
    d = _frame().drop(columns=["g", "x"])
    panel = Panel.from_frame(
        d, unit="id", time="t", outcome="y", geography="custom", measure="rate"
    )
    assert panel.frequency == "index"
    assert panel.periods.tolist() == list(range(1, N_T + 1))
    assert panel.select(start=3, end=5).periods.tolist() == [3, 4, 5]
    wide = panel.wide("y")
    assert wide.index.tolist() == list(range(1, N_T + 1)) and wide.shape == (N_T, N_UNITS)
    assert wide.loc[4, "s2"] == d.loc[(d["id"] == "s2") & (d["t"] == 4), "y"].item()
    gap = d.drop(index=d.index[(d["id"] == "s1") & (d["t"] == 4)])
    with pytest.raises(PanelError, match="irregular series") as err:
        Panel.from_frame(gap, unit="id", time="t", outcome="y", geography="custom", measure="rate")
    assert "1 missing period(s): 4" in err.value.rows.to_string()  # type: ignore[union-attr]


# -- the same bad input, the same error, in every design ------------------------------------


def _designs() -> dict[str, Callable[[pd.DataFrame], Any]]:
    common = {"unit": "id", "time": "t", "geography": "custom"}
    return {
        "ITS": lambda d: ve.ITS(d.drop(columns=["g", "x"]), 5, outcome="y", treated="s0", **common),
        "DiD": lambda d: ve.DiD(
            d.drop(columns=["g", "x"]), "y", treated=TREATED, start=5, **common
        ),
        "EventStudy": lambda d: ve.EventStudy(
            d.drop(columns=["g", "x"]), "y", treated=TREATED, start=5, **common
        ),
        **{
            name: (lambda d, cls=cls: cls(d, outcome="y", unit="id", time="t", first_treated="g"))
            for name, cls in (
                ("StaggeredDiD", ve.StaggeredDiD),
                ("SunAbraham", ve.SunAbraham),
                ("Imputation", ve.Imputation),
            )
        },
    }


def _bad_inputs() -> dict[str, pd.DataFrame]:
    d = _frame()
    text = d.astype({"y": object})
    text.loc[9, "y"] = "n/a"
    boolean = d.astype({"y": object})
    boolean.loc[9, "y"] = True
    infinite = d.copy()
    infinite.loc[9, "y"] = np.inf
    repeated = pd.concat([d, d.iloc[[9, 10]]])
    gap = d.drop(index=[11])
    label = d.astype({"t": object})
    label.loc[9, "t"] = "x"
    fraction = d.astype({"t": float})
    fraction.loc[9, "t"] = 2.5
    no_unit = d.astype({"id": object})
    no_unit.loc[9, "id"] = None
    return {
        "text outcome": text,
        "boolean outcome": boolean,
        "infinite outcome": infinite,
        "repeated rows": repeated,
        "a gap": gap,
        "unreadable period": label,
        "fractional period": fraction.astype({"t": object}),
        "missing unit": no_unit,
    }


@pytest.mark.parametrize("case", list(_bad_inputs()))
def test_the_same_bad_input_gives_the_same_error_in_every_design(case: str) -> None:
    frame = _bad_inputs()[case]
    messages = {}
    for name, build in _designs().items():
        with pytest.raises(PanelError) as err:
            build(frame)
        messages[name] = str(err.value)
    assert len(set(messages.values())) == 1, messages


def test_errors_name_the_users_columns() -> None:
    text = _bad_inputs()["text outcome"]
    with pytest.raises(PanelError, match="column 'y': non-numeric y entries such as 'n/a'"):
        ve.StaggeredDiD(text, outcome="y", unit="id", time="t", first_treated="g")
    with pytest.raises(PanelError, match="column 't': 1 period label.* as index periods"):
        ve.DiD(
            _bad_inputs()["unreadable period"].drop(columns=["g", "x"]),
            "y",
            unit="id",
            time="t",
            treated=TREATED,
            start=5,
            frequency="index",
        )


def test_its_refuses_plain_integer_time_after_validating_it() -> None:
    with pytest.raises(ValueError, match="ITS needs calendar periods"):
        ve.ITS(_frame().drop(columns=["g", "x"]), 5, outcome="y", unit="id", time="t", treated="s0")


# -- the DataFrame path gives the Panel path's numbers ------------------------------------------


def _monthly(d: pd.DataFrame) -> pd.DataFrame:
    months = pd.period_range("2018-01", periods=N_T, freq="M").astype(str)
    return d.assign(t=months[d["t"].to_numpy() - 1])


def test_frame_and_panel_paths_agree_for_its_did_and_the_event_study() -> None:
    d = _monthly(_frame()).drop(columns=["g", "x"])
    panel = Panel.from_frame(
        d, unit="id", time="t", outcome="y", geography="custom", measure="rate"
    )
    cases = {
        "ITS": (
            ve.ITS(d, "2018-05", outcome="y", unit="id", time="t", treated="s0"),
            ve.ITS(panel, "2018-05", outcome="y", unit="s0"),
        ),
        "DiD": (
            ve.DiD(d, "y", unit="id", time="t", treated=TREATED, start="2018-05"),
            ve.DiD(panel, "y", treated=TREATED, start="2018-05"),
        ),
        "EventStudy": (
            ve.EventStudy(d, "y", unit="id", time="t", treated=TREATED, start="2018-05"),
            ve.EventStudy(panel, "y", treated=TREATED, start="2018-05"),
        ),
    }
    for name, (by_frame, by_panel) in cases.items():
        a, b = by_frame.fit().effects(), by_panel.fit().effects()
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)


@pytest.mark.parametrize("cls", [ve.StaggeredDiD, ve.SunAbraham, ve.Imputation])
@pytest.mark.parametrize("time", ["index", "month"])
def test_frame_and_panel_paths_agree_for_each_staggered_estimator(cls: type, time: str) -> None:
    d = _frame()
    if time == "month":
        d = _monthly(d)
        months = pd.period_range("2018-01", periods=N_T, freq="M").astype(str)
        d["g"] = d["g"].map(lambda g: months[g - 1] if g else None)
    panel = Panel.from_frame(
        d.drop(columns=["g"]),
        unit="id",
        time="t",
        outcome="y",
        covariates=["x"],
        geography="custom",
        measure="rate",
    )
    first = d.groupby("id")["g"].first()
    starts = {u: g for u, g in first.items() if pd.notna(g) and g != 0}
    by_frame = cls(d, outcome="y", unit="id", time="t", first_treated="g", covariates=["x"])
    by_panel = cls(panel, outcome="y", first_treated=starts, covariates=["x"])
    a, b = by_frame.fit().effects(), by_panel.fit().effects()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert {"att:e=0", "att:e=1"} <= set(a["term"])
