"""The faster data-preparation paths give exactly what the plain pandas forms they replace gave."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel, _sort_order
from vrueval.designs.its.tables import Effects, _template


def _panel() -> Panel:
    rng = np.random.default_rng(5)
    units = [f"u{i}" for i in range(7)]
    months = pd.period_range("2019-01", periods=9, freq="M").astype(str)
    d = pd.DataFrame(
        {
            "unit": np.repeat(units, len(months)),
            "month": np.tile(months, len(units)),
            "y": rng.poisson(20, len(units) * len(months)).astype(float),
            "pop": 1000.0,
        }
    )
    d.loc[4, "y"] = np.nan
    d = d.drop(index=[0, 1, len(d) - 1])  # a unit starting late, one ending early
    return Panel.from_frame(
        d, unit="unit", time="month", outcome="y", population="pop", geography="custom"
    )


def test_wide_is_the_pivot() -> None:
    panel = _panel()
    for column in ("value", "population"):
        fast = panel.wide("y", column)
        slow = panel.select(outcome="y").data.pivot(index="period", columns="unit", values=column)
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        assert fast.index.dtype == slow.index.dtype and fast.columns.dtype == slow.columns.dtype


def test_sort_order_is_the_lexsort() -> None:
    rng = np.random.default_rng(1)
    ordinals = rng.integers(600, 700, 5000)
    unit_rank = rng.integers(0, 40, 5000)
    outcome_rank = rng.integers(0, 3, 5000)
    np.testing.assert_array_equal(
        _sort_order(ordinals, unit_rank, outcome_rank),
        np.lexsort((ordinals, unit_rank, outcome_rank)),
    )


def test_effects_frame_is_the_template_filled_in() -> None:
    numbers = np.arange(21, dtype=float).reshape(7, 3) / 7
    effects = Effects(
        ("level_change:a", "slope_change:a", "level_change:b"),
        *numbers,
        scale="difference",
        interruption=("a", "a", "b"),
        nuisance=(False, False, True),
    )
    frame = effects.frame()
    expected = _template(effects.terms, "difference", ("a", "a", "b"), (False, False, True)).copy()
    expected.iloc[:, 1:8] = numbers.T
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    # the cached template stays empty: every table is a fresh copy
    assert (
        _template(effects.terms, "difference", ("a", "a", "b"), (False, False, True))
        .iloc[:, 1:8]
        .isna()
        .all(axis=None)
    )
    frame.iloc[0, 1] = -99.0
    assert effects.frame().iloc[0, 1] == numbers[0, 0]
