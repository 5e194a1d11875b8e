"""Shared reading helpers: cell values, footnote marks, layout errors, regular period grids."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

#: Markers official tables print instead of a number. Every one becomes NaN, flagged by why:
#: withheld for disclosure control or smallness (``suppressed``: '[c]', 'c', '*' for small counts,
#: '[low]' below half the unit, '-' and '–' base too small), or not there to publish
#: (``unavailable``: '..', '.', 'NA', 'n/a', '[x]', 'x' not available, ':' not published, '[z]' not
#: applicable, '[u]' too unreliable to show).
SUPPRESSION_MARKERS = frozenset({"[c]", "c", "*", "[low]", "-", "–"})
UNAVAILABLE_MARKERS = frozenset({"..", ".", "[x]", "x", "[z]", "[u]", ":", "na", "n/a"})
MARKERS = SUPPRESSION_MARKERS | UNAVAILABLE_MARKERS

ONS_CODE = re.compile(r"^[EWKSN]\d{8}$")
_TRAILING_NOTE = re.compile(r"(?:\s*\[note\s*\d+\])+\s*$", re.IGNORECASE)
_TRAILING_MARK = re.compile(r"(?<=[A-Za-z)])\s*\d+(?:\s*,\s*\d+)*\s*$")
_INNER_MARK = re.compile(r"(?<=[a-z])\d+(?:,\d+)*(?=\))")


class LayoutError(ValueError):
    """A file whose layout is not the one a loader expects; the message says what was expected."""

    def __init__(self, path: Path | str, expected: str, found: str = "") -> None:
        found_text = f"; found {found}" if found else ""
        super().__init__(
            f"{Path(path).name}: not the expected layout. Expected {expected}{found_text}"
        )


def squash(text: object) -> str:
    """Collapse runs of whitespace (including line breaks inside header cells) to one space."""
    return re.sub(r"\s+", " ", str(text)).strip()


def clean_label(text: object) -> str:
    """A printed label without footnote marks: 'Sussex8,9' -> 'Sussex', 'Homicide5,6' ->
    'Homicide', 'Total recorded crime (excluding fraud3)' -> '... (excluding fraud)',
    'ENGLAND AND WALES [note 3]' -> 'ENGLAND AND WALES'."""
    s = squash(text)
    s = _TRAILING_NOTE.sub("", s)
    s = _INNER_MARK.sub("", s)
    s = _TRAILING_MARK.sub("", s)
    return s.strip()


class Cell(NamedTuple):
    """One published cell: its number (NaN when none) and why it is missing, if marked."""

    value: float
    suppressed: bool  # withheld: disclosure control, small counts
    unavailable: bool  # not there to publish: not collected, not applicable, unreliable


def parse_value(cell: object) -> Cell:
    """One published cell as a :class:`Cell` (value, suppressed, unavailable).

    Numbers (also text such as '5,287,312 ') are returned as floats; a marker gives NaN flagged
    ``suppressed`` ('[c]', '*', ...) or ``unavailable`` ('..', '[x]', ':', ...); an empty cell
    gives NaN with neither flag. Anything else raises ``ValueError``: an unknown marker must not
    be silently read as missing.
    """
    if cell is None:
        return Cell(np.nan, False, False)
    if isinstance(cell, bool):
        raise ValueError(f"unexpected boolean cell {cell!r}")
    if isinstance(cell, int | float | np.integer | np.floating):
        value = float(cell)
        return Cell(value, False, False)
    text = str(cell).strip()
    if not text:
        return Cell(np.nan, False, False)
    marker = text.lower()
    if marker in MARKERS:
        return Cell(np.nan, marker in SUPPRESSION_MARKERS, marker in UNAVAILABLE_MARKERS)
    try:
        return Cell(float(text.replace(",", "")), False, False)
    except ValueError:
        raise ValueError(f"cannot read cell {cell!r} as a number or a known marker") from None


def parse_values(cells: Iterable[object]) -> tuple[list[float], list[bool], list[bool]]:
    """Values, ``suppressed`` flags and ``unavailable`` flags of a column of cells."""
    parsed = [parse_value(cell) for cell in cells]
    return (
        [c.value for c in parsed],
        [c.suppressed for c in parsed],
        [c.unavailable for c in parsed],
    )


def geo_level(code: object) -> str:
    """'country', 'region', 'pfa' or 'other' (no code: British Transport Police, aggregates)."""
    c = "" if code is None else str(code).strip()
    if c.startswith(("K04", "E92", "W92")):
        return "country"
    if c.startswith("E12"):
        return "region"
    if c.startswith(("E23", "W15")):
        return "pfa"
    return "other"


def read_xlsx(path: Path | str) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet of an .xlsx workbook as a list of row tuples (values, not formulas)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises several types for a non-workbook
        raise LayoutError(
            path, "an .xlsx workbook", f"a file openpyxl cannot open ({err})"
        ) from err
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()


def slug(text: str) -> str:
    """'Violence with injury' -> 'violence_with_injury'."""
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def complete_grid(frame: pd.DataFrame, periods: Sequence[pd.Period]) -> pd.DataFrame:
    """Add a missing (NaN, unflagged) row for every (unit, outcome) x period not published.

    Panels must be regular; a period nobody published stays missing, never zero.
    """
    keys = frame[["unit", "outcome"]].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"period": list(periods)}), how="cross")
    full = grid.merge(frame, on=["unit", "outcome", "period"], how="left")
    for flag in ("suppressed", "unavailable", "provisional", "derived"):
        if flag in full:
            full[flag] = full[flag].astype("boolean").fillna(False).astype(bool)
    return full


def period_range(periods: Iterable[pd.Period], step: int) -> list[pd.Period]:
    """Every ``step``-th period from the first to the last of ``periods``."""
    ps = sorted(set(periods))
    if not ps:
        return []
    freq = ps[0].freqstr
    out = []
    p = ps[0]
    while p <= ps[-1]:
        out.append(p)
        p = p + step
    assert all(q.freqstr == freq for q in out)
    return out
