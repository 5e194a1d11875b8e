"""Reliability matrix for the data layer: one row a case of issue 11 about data validation.

Each row is (case, what is tried, the fragment the error must contain, or None when the input is
valid and must be accepted). The rules behind the rows live in one place each:
:mod:`vrueval.data.periods` (period labels), :func:`vrueval.data.panel.Panel.from_frame`
(values, counts, flags), :func:`vrueval.areas.resolve` (names) and
:func:`vrueval.data.rates.per_population` (rates).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval import areas
from vrueval.analysis.runner import load_panel
from vrueval.analysis.spec import load_spec
from vrueval.data import loaders
from vrueval.data.panel import Panel

FORCES = ["West Midlands", "Kent", "Essex", "Surrey", "Norfolk", "Greater Manchester"]
FYS = [f"{y}/{str(y + 1)[2:]}" for y in range(2013, 2022)]


def _frame(frequency: str = "month", **columns: object) -> pd.DataFrame:
    """One force, eight periods of counts; ``columns`` overrides entries by position."""
    periods = {
        "month": [f"2019-{m:02d}" for m in range(1, 9)],
        "quarter": [f"2018Q{q}" for q in range(1, 5)] + [f"2019Q{q}" for q in range(1, 5)],
        "financial_year": FYS[:8],
    }[frequency]
    d = pd.DataFrame(
        {
            "unit": "Kent",
            "period": periods,
            "outcome": "x",
            "value": np.arange(1.0, 9.0),
            "population": 1_000.0,
        }
    ).astype({"period": object, "value": object, "population": object})
    for column, (i, v) in columns.items():
        if column not in d:
            d[column] = False
        d.at[i, column] = v
    return d


def _panel(frequency: str = "month", measure: str = "count", **columns: object) -> Panel:
    return Panel.from_frame(_frame(frequency, **columns), frequency=frequency, measure=measure)  # type: ignore[arg-type]


def _fy_panel(population: dict[tuple[str, str], float] | None = None) -> Panel:
    """Five forces' counts by financial year with populations (some may be overridden)."""
    rng = np.random.default_rng(1)
    rows = []
    for force in FORCES:
        for fy in FYS:
            pop = (population or {}).get((force, fy), 1_000_000.0)
            rows.append((force, fy, "x", float(rng.poisson(500)), pop))
    frame = pd.DataFrame(rows, columns=["unit", "period", "outcome", "value", "population"])
    return Panel.from_frame(frame, frequency="financial_year")


def _did(panel: Panel, **kw: object) -> object:
    opts: dict[str, object] = {
        "start": "2019/20",
        # two treated: one treated force would be refused by the cluster rule before the data
        "treated": ["West Midlands", "Greater Manchester"],
        "comparators": FORCES[1:-1],
    }
    opts.update(kw)
    return ve.DiD(panel, "x", **opts).fit()  # type: ignore[arg-type]


def _its(**columns: object) -> object:
    frame = _frame("month", **columns)
    return ve.ITS(Panel.from_frame(frame, frequency="month"), {"x": "2019-05"}, missing="error")


def _spec_start(tmp: Path, start: str) -> object:
    spec = tmp / "s.toml"
    spec.write_text(
        '[analysis]\nname = "s"\ntitle = "t"\ndesign = "DiD"\n'
        '[data]\ndataset = "crime_severity"\noutcome = "css_robbery"\n'
        f'start = {start}\n[design]\nstart = "2019/20"\n'
    )
    return load_panel(load_spec(spec))


CASES: list[tuple[str, Callable[[Path], object], str | None]] = [
    # non-finite values are refused at validation, before any design can drop them
    ("inf count", lambda t: _panel(value=(2, np.inf)), "non-finite"),
    ("-inf count", lambda t: _panel(value=(2, -np.inf)), "non-finite"),
    ("inf given as text", lambda t: _panel(value=(2, "inf")), "non-finite"),
    ("inf population", lambda t: _panel(population=(2, np.inf)), "column 'population'"),
    ("inf reaching ITS", lambda t: _its(value=(5, np.inf)), "non-finite"),
    ("NaN stays missing", lambda t: _panel(value=(2, np.nan)), None),
    # counts are non-negative whole numbers unless the measure is a rate or a score
    ("fractional count", lambda t: _panel(value=(2, 2.5)), "fractional count"),
    ("fractional rate", lambda t: _panel(measure="rate", value=(2, 2.5)), None),
    ("fractional score", lambda t: _panel(measure="score", value=(2, 2.5)), None),
    ("negative count", lambda t: _panel(value=(2, -1.0)), "negative count"),
    ("boolean count", lambda t: _panel(value=(2, True)), "boolean"),
    (
        "boolean column",
        lambda t: Panel.from_frame(_frame().assign(value=[True, False] * 4), frequency="month"),
        "boolean",
    ),
    ("integer-valued float count", lambda t: _panel(value=(2, 3.0)), None),
    (
        "fractional fill of suppressed counts",
        lambda t: _panel(value=(2, np.nan), suppressed=(2, True)).fill_suppressed(2.5),
        "whole count",
    ),
    # periods: one rule, a label must lie inside one period of the panel's frequency
    ("bare year in monthly data", lambda t: _panel(period=(0, "2019")), "ambiguous"),
    ("bare year in quarterly data", lambda t: _panel("quarter", period=(0, "2017")), "ambiguous"),
    ("quarter in monthly data", lambda t: _panel(period=(0, "2018Q4")), "ambiguous"),
    ("bare year selecting months", lambda t: _panel().select(start="2019"), "ambiguous"),
    ("integer year selecting months", lambda t: _panel().select(end=2019), "ambiguous"),
    (
        "yearly Period selecting months",
        lambda t: _panel().select(start=pd.Period("2019", "Y")),
        "ambiguous",
    ),
    ("month selecting quarters", lambda t: _panel("quarter").select(start="2019-02"), None),
    ("date selecting months", lambda t: _panel().select(start="2019-03-15"), None),
    ("start=2019 on financial years", lambda t: _panel("financial_year").period(2019), "ambiguous"),
    ("'2019' on financial years", lambda t: _panel("financial_year").period("2019"), "ambiguous"),
    ("FY written 2019/20", lambda t: _panel("financial_year").period("2019/20"), None),
    ("FY written FY2019/20", lambda t: _panel("financial_year").period("FY2019/20"), None),
    (
        "FY years not consecutive",
        lambda t: _panel("financial_year").period("2019/21"),
        "consecutive",
    ),
    (
        "bare year in financial-year data",
        lambda t: _panel("financial_year", period=(0, 2014)),
        "ambiguous",
    ),
    ("unreadable label", lambda t: _panel().period("Oct 2019"), "cannot read"),
    ("boolean period", lambda t: _panel().period(True), "boolean"),
    ("DiD start=2019 on financial years", lambda t: _did(_fy_panel(), start=2019), "ambiguous"),
    (
        "DiD window bare year on financial years",
        lambda t: _did(_fy_panel(), window=("2014", None)),
        "ambiguous",
    ),
    (
        "ITS interruption year in monthly data",
        lambda t: ve.ITS(_panel(), {"x": "2019"}),
        "ambiguous",
    ),
    ("spec [data] start = 2019", lambda t: _spec_start(t, "2019"), "ambiguous"),
    ("spec [data] start = '2015/16'", lambda t: _spec_start(t, '"2015/16"'), None),
    # area names: exact official names, aliases or codes only
    (
        "qualified area name",
        lambda t: areas.resolve("Avon and Somerset (excluding Bristol)"),
        "unknown police force area",
    ),
    (
        "qualified area name in a panel",
        lambda t: Panel.from_frame(
            _frame().assign(unit="Avon and Somerset (excluding Bristol)"), frequency="month"
        ),
        "unknown unit",
    ),
    ("footnote mark on a name", lambda t: areas.resolve("Avon and Somerset (3)"), None),
    ("misspelt area", lambda t: areas.resolve("West Midland"), "Did you mean 'West Midlands'"),
    # rates need a positive population wherever a value is used
    (
        "zero population in a comparator (DiD rates)",
        lambda t: _did(_fy_panel({("Kent", "2016/17"): 0.0}), scale="rate"),
        "zero or negative population for Kent (E23000032) in 1 period(s): 2016/17",
    ),
    (
        "missing population in a comparator (DiD rates)",
        lambda t: _did(_fy_panel({("Essex", "2020/21"): np.nan}), scale="rate"),
        "missing population for Essex",
    ),
    ("DiD rates with valid populations", lambda t: _did(_fy_panel(), scale="rate"), None),
    (
        "zero population in a comparator (Poisson DiD, log-population offset)",
        lambda t: _did(_fy_panel({("Norfolk", "2020/21"): 0.0}), scale="rate", estimator="poisson"),
        "zero or negative population for Norfolk (E23000024) in 1 period(s): 2020/21",
    ),
    (
        "Poisson DiD with valid populations",
        lambda t: _did(_fy_panel(), scale="rate", estimator="poisson"),
        None,
    ),
    (
        "zero population in a power study on rates",
        lambda t: ve.power.did(
            _fy_panel({("Kent", "2016/17"): 0.0}),
            "x",
            treated=["West Midlands"],
            comparators=FORCES[1:],
            placebo="time",
            pre=3,
            post=2,
            scale="rate",
            start="2014/15",
        ),  # fmt: skip
        "zero or negative population for Kent",
    ),
    (
        "zero population (ITS rates)",
        lambda t: ve.ITS(
            _panel(population=(6, 0.0)), {"x": "2019-05"}, model="poisson", response="rate"
        ).fit(),
        # the shared rule's wording (vrueval.data.rates): unit by name and code, periods shown
        "zero or negative population for Kent (E23000032) in 1 period(s): 2019-07",
    ),
    # data load output without provenance is not a panel file
    (
        "parquet without provenance",
        lambda t: loaders.load("vrueval-panel", [_plain_parquet(t)]),
        "no vrueval panel metadata",
    ),
]


def _plain_parquet(tmp: Path) -> Path:
    path = tmp / "plain.parquet"
    _frame().to_parquet(path)
    return path


@pytest.mark.parametrize(("case", "attempt", "expected"), CASES, ids=[c[0] for c in CASES])
def test_data_reliability(case, attempt, expected, tmp_path):
    if expected is None:
        attempt(tmp_path)
        return
    with pytest.raises((ValueError, KeyError)) as info:
        attempt(tmp_path)
    assert expected in str(info.value), f"{case}: {info.value}"
