"""Suppressed cells (HES prints 1-7 as '*'): a sensitivity fill touches only suppressed cells of
the analysed outcome, units and window, never with zero and only inside the withheld range, and
missing cells that are not suppressed stay missing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrueval import Panel
from vrueval.analysis import load_spec
from vrueval.analysis.runner import load_panel
from vrueval.analysis.spec import SpecError
from vrueval.data import suppression

ROOT = Path(__file__).resolve().parents[1]


def _panel() -> Panel:
    """Two units, six months: one suppressed and one unavailable cell each, the rest counts."""
    rows = []
    for unit in ("Kent", "Essex"):
        for i, period in enumerate(pd.period_range("2019-07", periods=6, freq="M")):
            rows.append(
                {
                    "unit": unit,
                    "period": str(period),
                    "outcome": "admissions",
                    "value": np.nan if i in (1, 4) else 20.0 + i,
                    "population": 1e6,
                    "suppressed": i == 1,
                    "unavailable": i == 4,
                }
            )
    return Panel.from_frame(pd.DataFrame(rows), frequency="month")


def test_fill_sets_only_suppressed_cells_and_leaves_unavailable_ones_missing() -> None:
    panel = _panel()
    filled = panel.fill_suppressed(3, withheld=(1, 7)).data
    was = panel.data
    assert filled.loc[was["suppressed"], "value"].eq(3.0).all()
    assert filled.loc[was["unavailable"], "value"].isna().all()  # missing is never filled
    kept = ~was["suppressed"]
    pd.testing.assert_series_equal(filled.loc[kept, "value"], was.loc[kept, "value"])
    assert filled["derived"].sum() == 2 and not filled["suppressed"].any()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "never zero"),
        (0.0, "never zero"),
        (8, "withheld range 1 to 7"),
        (-1, "withheld range 1 to 7|non-negative"),
        (2.5, "whole count"),
        (float("nan"), "finite"),
        (True, "must be a number"),
        ("7", "must be a number"),
    ],
)
def test_a_fill_a_suppressed_cell_cannot_hold_is_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _panel().fill_suppressed(value, withheld=(1, 7))  # type: ignore[arg-type]


def test_zero_is_refused_even_without_a_known_range() -> None:
    with pytest.raises(ValueError, match="never zero: fill it with a value in the range"):
        _panel().fill_suppressed(0)


def test_hes_withheld_range_is_registered() -> None:
    assert suppression.withheld_range("hes_sharp_object") == (1.0, 7.0)
    assert suppression.withheld_range("knife_offences_annual") is None
    assert suppression.withheld_range(None) is None


def _variant(tmp_path: Path, source: str, name: str, **subs: str) -> Path:
    text = (ROOT / "analyses" / f"{source}.toml").read_text()
    text = text.replace(f'name = "{source}"', f'name = "{name}"')
    for pattern, replacement in subs.items():
        text = re.sub(pattern.replace("__", " "), replacement, text)
    (tmp_path / "analyses").mkdir(exist_ok=True)
    path = tmp_path / "analyses" / f"{name}.toml"
    path.write_text(text)
    return path


def test_spec_fill_outside_the_range_names_the_spec(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "its_hes_age_20_29_west_midlands_fill7",
        "fill_zero",
        **{r"fill_suppressed__=__7": "fill_suppressed = 0"},
    )
    with pytest.raises(SpecError, match=r"fill_zero\.toml: \[data\] fill_suppressed .*never zero"):
        load_panel(load_spec(path))
    path = _variant(
        tmp_path,
        "its_hes_age_20_29_west_midlands_fill7",
        "fill_eight",
        **{r"fill_suppressed__=__7": "fill_suppressed = 8"},
    )
    with pytest.raises(SpecError, match="withheld range 1 to 7"):
        load_panel(load_spec(path))


def test_spec_fill_that_matches_no_suppressed_cell_is_refused(tmp_path: Path) -> None:
    # the all-ages West Midlands series has no suppressed month
    path = _variant(
        tmp_path,
        "its_hes_west_midlands",
        "fill_nothing",
        **{r"\[data\]\n": "[data]\nfill_suppressed = 1\n"},
    )
    with pytest.raises(SpecError, match="matched no suppressed cell"):
        load_panel(load_spec(path))


def test_spec_fill_covers_only_the_analysed_units() -> None:
    spec = load_spec(ROOT / "analyses" / "its_hes_age_10_19_london_fill1.toml")
    panel = load_panel(spec)
    assert panel.units == ("E12000007",) or list(panel.units) == ["E12000007"]
    assert int(panel.data["derived"].sum()) == 1
    assert panel.notes[-1] == "1 suppressed cell(s) set to 1 for a sensitivity analysis."


def test_intensity_fill_specs_fill_the_main_analysis_missing_months() -> None:
    main = load_panel(load_spec(ROOT / "analyses" / "did_hes_intensity.toml"))
    for value in (1, 7):
        filled = load_panel(load_spec(ROOT / "analyses" / f"did_hes_intensity_fill{value}.toml"))
        was = main.data["suppressed"].to_numpy()
        assert was.sum() > 0
        np.testing.assert_array_equal(filled.data["value"].to_numpy()[was], float(value))
        np.testing.assert_array_equal(
            filled.data["value"].to_numpy()[~was], main.data["value"].to_numpy()[~was]
        )
