"""Metropolitan Police / MOPAC borough monthly recorded crime (the crime-dashboard workbook).

One sheet, one row per OCU (borough command) and month: ``OCU Name``, ``Month-Year`` (a date,
the first of the month), then one column per measure: offence groups (``11 Violence Against the
Person Offs`` ... ``TNO Offs``), offences (``Homicide Offs``, ``Knife Crime Offs``), victims
(``Knife Crime Injury Victims Not DA 1-24``: knife-injury victims aged 1-24, not domestic
abuse) and incidents. Each column becomes an outcome named by its header in lower case with
words joined by ``_`` (``knife_crime_injury_victims_not_da_1_24``).

OCU names are the Met's borough names ("Barking & Dagenham", "Kingston upon Thames"); each is
resolved to its London borough's GSS code through the shipped registry (geography
``"london_borough"``), never matched fuzzily: an unknown name is an error naming the nearest
borough. "Heathrow Airport" is an OCU of its own inside the London Borough of Hillingdon:
``heathrow="drop"`` (default) leaves it out, ``heathrow="hillingdon"`` adds its counts to
Hillingdon's; the notes say which and how much. The City of London has its own force and is
not in these files. An empty cell is missing, never zero.

Reference: Mayor's Office for Policing and Crime, crime dashboard; Metropolitan Police Service,
monthly crime data by borough (London Datastore).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.loaders import common, provenance
from vrueval.data.loaders.common import LayoutError
from vrueval.data.panel import Panel
from vrueval.options import choice

Heathrow = Literal["drop", "hillingdon"]
HEATHROW_OPTIONS: tuple[str, ...] = ("drop", "hillingdon")
#: The OCU that is no borough, and the borough it lies in.
HEATHROW = "Heathrow Airport"
HEATHROW_BOROUGH = "Hillingdon"
KEYS = ("OCU Name", "Month-Year")
#: The measure every analysis of the Home Office's under-25 focus reads.
KNIFE_VICTIMS_U25 = "knife_crime_injury_victims_not_da_1_24"


def _month(cell: object, path: Path, row: int) -> pd.Period:
    if isinstance(cell, datetime | date):
        return pd.Period(cell, freq="M")
    try:
        return pd.Period(str(cell).strip(), freq="M")
    except (ValueError, TypeError):
        raise LayoutError(
            path, "a month (a date) in column 'Month-Year'", f"{cell!r} in row {row}"
        ) from None


def _sum_or_missing(values: pd.Series) -> float:
    """The sum of a borough's parts, missing when any part is (never a partial total)."""
    return float(values.sum(min_count=len(values)))


def read(path: Path | str) -> pd.DataFrame:
    """The workbook as published: columns ``ocu``, ``period`` and one per measure (floats, NaN
    for an empty cell), one row per OCU and month. Checks the layout."""
    path = Path(path)
    sheets = common.read_xlsx(path)
    if len(sheets) != 1:
        raise LayoutError(path, "one sheet (the borough monthly table)", f"{list(sheets)}")
    rows = next(iter(sheets.values()))
    if not rows:
        raise LayoutError(path, "a header row", "an empty sheet")
    header = [common.squash(c) if c is not None else "" for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    if tuple(header[:2]) != KEYS or len(header) < 3 or "" in header:
        raise LayoutError(
            path,
            f"a header row starting {list(KEYS)} followed by named measure columns",
            f"{header[:5]}",
        )
    measures = header[2:]
    slugs = [common.slug(m) for m in measures]
    if len(set(slugs)) != len(slugs):
        raise LayoutError(path, "distinct measure columns", f"{measures}")
    records: list[dict[str, object]] = []
    for i, raw in enumerate(rows[1:], start=2):
        cells = list(raw[: len(header)]) + [None] * max(0, len(header) - len(raw))
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        if cells[0] is None or not str(cells[0]).strip():
            raise LayoutError(path, "an OCU name in every row", f"none in row {i}")
        record: dict[str, object] = {
            "ocu": str(cells[0]).strip(),
            "period": _month(cells[1], path, i),
        }
        for name, cell in zip(slugs, cells[2:], strict=True):
            try:
                parsed = common.parse_value(cell)
            except ValueError as err:
                raise LayoutError(path, "numbers", f"{err} in row {i}") from None
            record[name] = parsed.value
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    dup = frame.duplicated(["ocu", "period"], keep=False)
    if dup.any():
        raise LayoutError(path, "one row per OCU and month", f"repeats: {frame.loc[dup].head()}")
    return frame


def panel(files: Sequence[Path | str], heathrow: Heathrow = "drop") -> Panel:
    """Monthly counts by London borough (geography ``"london_borough"``), one outcome per
    measure column. See the module docstring for names, Heathrow and missing cells.

    Raises
    ------
    LayoutError
        For a workbook not in the published layout.
    vrueval.areas.UnknownAreaError
        For an OCU name that is no London borough (other than Heathrow Airport).
    """
    choice(heathrow, HEATHROW_OPTIONS, "heathrow")
    if len(files) != 1:
        raise ValueError(f"format 'mopac_borough' reads one workbook, got {len(files)}")
    path = Path(files[0])
    wide = read(path)
    measures = [c for c in wide.columns if c not in ("ocu", "period")]
    airport = wide["ocu"] == HEATHROW
    codes = {
        name: areas.resolve(name, "london_borough") for name in wide.loc[~airport, "ocu"].unique()
    }
    if len(set(codes.values())) != len(codes):
        raise LayoutError(path, "one OCU per borough", f"names resolving alike: {codes}")
    notes = ["OCU names resolved to London borough GSS codes; the City of London is not here."]
    wide = wide.assign(unit=wide["ocu"].map(codes))
    if airport.any():
        total = wide.loc[airport, KNIFE_VICTIMS_U25].sum() if KNIFE_VICTIMS_U25 in wide else None
        shown = f" ({total:.0f} knife-injury victims aged 1-24 in all)" if total is not None else ""
        if heathrow == "drop":
            notes.append(f"{HEATHROW} (an OCU inside Hillingdon) left out{shown}.")
            wide = wide.loc[~airport]
        else:
            hillingdon = areas.resolve(HEATHROW_BOROUGH, "london_borough")
            notes.append(f"{HEATHROW} counts added to {HEATHROW_BOROUGH} ({hillingdon}){shown}.")
            wide.loc[airport, "unit"] = hillingdon
            # a sum is missing when any part is: min_count keeps NaN from turning into 0
            wide = wide.groupby(["unit", "period"], as_index=False)[measures].agg(_sum_or_missing)
    long = wide.melt(
        id_vars=["unit", "period"], value_vars=measures, var_name="outcome", value_name="value"
    )
    long["value"] = long["value"].astype(float)
    missing = int(np.isnan(long["value"].to_numpy()).sum())
    if missing:
        notes.append(f"{missing} empty cell(s) are missing, never zero.")
    long = common.complete_grid(long, common.period_range(long["period"], 1))
    months = sorted(long["period"].unique())
    edition = f"{months[0]} to {months[-1]}"
    sources = [
        provenance.source(
            path,
            "Metropolitan Police Service / MOPAC",
            "Borough monthly recorded crime",
            edition,
            note="licence as the user's copy states (not confirmed by vrueval; not shipped)",
        )
    ]
    return Panel.from_frame(
        long, frequency="month", geography="london_borough", sources=sources, notes=notes
    )
