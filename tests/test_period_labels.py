"""Periods in term names, tables and figures are written as a reader writes them.

Every design names periods through :func:`vrueval.data.periods.display`: on a financial-year
panel the FY2019/20 cohort is ``att:g=2019/20`` (not pandas' ``2020``, the year the financial
year ends in), while monthly, quarterly and annual labels stay as pandas writes them. The
panels are simulated (labels only: no estimate is checked here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.data.periods import display

FIRST_FY, N_PERIODS = 2012, 12  # FY2011/12 .. FY2022/23 (pandas: 2012 .. 2023)
COHORTS = {7: 8, 10: 6}  # period position of first treatment -> number of units
N_NEVER = 10


def _frame(periods: pd.PeriodIndex) -> tuple[pd.DataFrame, dict[str, pd.Period]]:
    """A balanced panel of custom units: two cohorts and never-treated units."""
    rng = np.random.default_rng(20191003)
    firsts: dict[str, pd.Period | None] = {}
    for position, size in COHORTS.items():
        firsts |= {f"u{len(firsts) + i:02d}": periods[position] for i in range(size)}
    firsts |= {f"u{len(firsts) + i:02d}": None for i in range(N_NEVER)}
    rows = []
    for j, (u, g) in enumerate(firsts.items()):
        for t, p in enumerate(periods):
            effect = -2.0 if g is not None and p >= g else 0.0
            rows.append((u, p, 50 + j + 0.5 * t + effect + rng.normal(0, 1)))
    frame = pd.DataFrame(rows, columns=["unit", "time", "y"])
    return frame, {u: g for u, g in firsts.items() if g is not None}


def _panel(periods: pd.PeriodIndex, frequency: str) -> tuple[ve.Panel, dict[str, str]]:
    frame, firsts = _frame(periods)
    panel = ve.Panel.from_frame(
        frame,
        unit="unit",
        time="time",
        outcome="y",
        geography="custom",
        frequency=frequency,
        measure="score",
    )
    return panel, {u: display(g, frequency) for u, g in firsts.items()}


FY = pd.period_range(start=str(FIRST_FY), periods=N_PERIODS, freq="Y-MAR")
MONTHS = pd.period_range(start="2019-01", periods=N_PERIODS, freq="M")


@pytest.fixture(scope="module")
def fy() -> tuple[ve.Panel, dict[str, str]]:
    return _panel(FY, "financial_year")


@pytest.fixture(scope="module")
def monthly() -> tuple[ve.Panel, dict[str, str]]:
    return _panel(MONTHS, "month")


def test_display_writes_financial_years_and_leaves_others() -> None:
    assert display(pd.Period("2020", "Y-MAR"), "financial_year") == "2019/20"
    assert display(pd.Period("2020", "Y-MAR")) == "2019/20"
    assert display(pd.Period("2019-10", "M"), "month") == "2019-10"
    assert display(pd.Period("2019Q4", "Q-DEC"), "quarter") == "2019Q4"
    assert display(pd.Period("2019", "Y-DEC"), "year") == "2019"
    assert display(7, "index") == "7"


# StaggeredDiD is CallawaySantAnna under its older name: one entry when they are one class
STAGGERED = list(
    dict.fromkeys([ve.CallawaySantAnna, ve.StaggeredDiD, ve.SunAbraham, ve.Imputation])
)


@pytest.mark.parametrize("design", STAGGERED, ids=lambda d: d.__name__)
def test_staggered_designs_name_financial_years_as_readers_do(fy, design) -> None:
    panel, firsts = fy
    res = design(panel, outcome="y", first_treated=firsts).fit()
    terms = set(res.effects()["term"])
    assert {"att:g=2018/19", "att:g=2021/22"} <= terms
    assert "att:g=2018/19,t=2019/20" in terms
    if design is not ve.SunAbraham:  # its cells are cohort x event time; no calendar terms
        assert "att:t=2021/22" in terms
    assert not any(t.startswith(("att:g=2019", "att:g=2022")) for t in terms)
    # lookups by the new names, and the cell views built from the same labels
    eff = res.effects().set_index("term")
    assert np.isfinite(eff.loc["att:g=2018/19", "estimate"])
    cells = res.group_time()
    assert cells["term"].str.contains(r"^att:g=\d{4}/\d{2},t=\d{4}/\d{2}$").all()
    assert set(cells["group"]) == {FY[7], FY[10]}
    assert list(res.influence().columns) == list(cells["term"])
    assert "2018/19" in res.diagnostics["cohorts"]


def test_rebootstrap_keeps_the_labels(fy) -> None:
    panel, firsts = fy
    res = ve.StaggeredDiD(panel, outcome="y", first_treated=firsts).fit()
    again = res.rebootstrap(draws=99, seed=1)
    assert list(again.effects()["term"]) == list(res.effects()["term"])


def test_staggered_frame_door_names_financial_years_too() -> None:
    frame, firsts = _frame(FY)
    frame = frame.assign(
        time=[display(p) for p in frame["time"]],
        g=[display(firsts[u]) if u in firsts else None for u in frame["unit"]],
    )
    res = ve.StaggeredDiD(frame, outcome="y", unit="unit", time="time", first_treated="g").fit()
    assert {"att:g=2018/19", "att:g=2021/22", "att:t=2021/22"} <= set(res.effects()["term"])


@pytest.mark.parametrize(
    "design", [ve.StaggeredSyntheticDiD, ve.StaggeredSyntheticControl], ids=lambda d: d.__name__
)
def test_staggered_synthetic_designs_name_cohorts_as_readers_do(fy, design) -> None:
    panel, firsts = fy
    res = design(panel, outcome="y", first_treated=firsts).fit(inference="none")
    terms = set(res.effects()["term"])
    assert {"att:cohort=2018/19", "att:cohort=2021/22"} <= terms
    assert set(res.path()["period"]) == {display(p, "financial_year") for p in FY}


def test_synthetic_designs_name_post_periods_as_readers_do(fy) -> None:
    panel, firsts = fy
    treated = [u for u, g in firsts.items() if g == "2018/19"]
    for design, units in ((ve.SyntheticDiD, treated), (ve.SyntheticControl, treated[:1])):
        res = design(panel, outcome="y", treated=units, start="2018/19").fit(inference="none")
        terms = list(res.effects()["term"])
        assert terms[1:3] == ["att:t=2018/19", "att:t=2019/20"], design.__name__
        assert res.path()["period"].iloc[0] == "2011/12"


def test_monthly_labels_are_pandas_as_before(monthly) -> None:
    panel, firsts = monthly
    res = ve.StaggeredDiD(panel, outcome="y", first_treated=firsts).fit()
    terms = set(res.effects()["term"])
    g1, g2, t = str(MONTHS[7]), str(MONTHS[10]), str(MONTHS[11])
    assert (g1, g2) == ("2019-08", "2019-11")
    assert {f"att:g={g1}", f"att:g={g2}", f"att:t={t}", f"att:g={g1},t={t}"} <= terms
    syn = ve.StaggeredSyntheticDiD(panel, outcome="y", first_treated=firsts).fit(inference="none")
    assert {f"att:cohort={g1}", f"att:cohort={g2}"} <= set(syn.effects()["term"])
    assert list(syn.path()["period"].unique()) == [str(p) for p in MONTHS]
