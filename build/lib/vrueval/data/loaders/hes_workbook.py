"""NHS Digital HES tabulation: hospital admissions for assault by a sharp object (ICD-10 X99).

The workbook NHS Digital produced for the Home Office (a "non-DARS tabulation") has one sheet per
breakdown: ``GOR-Data-Totals`` (month x region of residence) and ``GOR-Data-Age-Group`` (month x
age band x region), each with a pair of columns (FAEs = finished admission episodes, FCEs =
finished consultant episodes) per region. Regional counts are rounded to the nearest 5; counts of
1-7 are printed '*' (suppressed: missing here, flagged); empty cells mean the band was not listed.
The latest financial year is provisional (the title says which).

Sheets are found by their titles and header rows ('Year', 'Month'[, 'Age group']), not by
position. :func:`select_ages` builds an age range from the published ten-year bands and refuses
(or warns, if asked) when the bands cannot give it exactly: "under 25" is not available, 10-19 plus
20-29 is 10-29.

Reference: NHS Digital, Hospital Episode Statistics, Admitted Patient Care; ICD-10 X99.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.loaders import common, provenance
from vrueval.data.loaders.common import LayoutError, squash
from vrueval.data.panel import Panel

PUBLISHER = "NHS Digital"
TITLE = "Hospital Episode Statistics: admissions with external cause X99 (assault by sharp object)"

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_AGE_LABELS = {
    "under 10": "0-9",
    "80 and over": "80+",
    "unknown age": "Unknown",
    "unknown": "Unknown",
}
#: The 9 English regions and England; the residual categories ('Foreign', 'Unknown', ...) are
#: kept in the tidy frames but not in panels.
GEOGRAPHIC = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
    "England",
)


def _age_label(text: object) -> str:
    s = squash(text)
    low = s.lower()
    if low in _AGE_LABELS:
        return _AGE_LABELS[low]
    m = re.match(r"^(\d+)\s*(?:to|-)\s*(\d+)$", s)
    if m:
        return f"{int(m.group(1))}-{int(m.group(2))}"
    m = re.match(r"^(\d+)\s*(?:\+|and over)$", s)
    if m:
        return f"{int(m.group(1))}+"
    return s


def _find(
    sheets: dict[str, list[tuple[Any, ...]]], path: Path, by_age: bool
) -> list[tuple[Any, ...]]:
    want = ("year", "month", "age group") if by_age else ("year", "month")
    for rows in sheets.values():
        title = " ".join(squash(c) for r in rows[:3] for c in r if isinstance(c, str)).lower()
        if "x99" not in title or "region of residence" not in title:
            continue
        for r in rows[:10]:
            head = tuple(squash(c).lower() for c in r[: len(want) + 1] if c is not None)
            if head[: len(want)] == want and (by_age or len(head) < 3 or head[2] == "faes"):
                return rows
    what = "month x age group x region" if by_age else "month x region"
    raise LayoutError(
        path,
        "a NHS Digital HES X99 workbook with a sheet titled '... X99 ... by government office "
        f"region "
        f"of residence' whose header row is {' | '.join(w.title() for w in want)} | FAEs | FCEs "
        f"({what})",
        f"sheets {list(sheets)}",
    )


def _provisional_year(sheets: dict[str, list[tuple[Any, ...]]]) -> str | None:
    for rows in sheets.values():
        for r in rows[:3]:
            for c in r:
                m = re.search(r"(\d{4})-(\d{2})\s*\(provisional", str(c or ""), re.IGNORECASE)
                if m:
                    return f"{m.group(1)}/{m.group(2)}"
    return None


def read(file: Path | str, by_age: bool = False) -> pd.DataFrame:
    """The workbook's region (x age group) sheet as a tidy frame.

    Columns: region, fin_year ('2012/13'), month (as printed), period_start, [age_group,] fae,
    fce, fae_suppressed_1to7, fce_suppressed_1to7; sorted by region, month (and age band).
    """
    path = Path(file)
    rows = _find(common.read_xlsx(path), path, by_age)
    head = next(i for i, r in enumerate(rows) if r and squash(r[0] or "").lower() == "year")
    width = max(len(r) for r in rows)
    above = list(rows[head - 1]) + [None] * width
    header = [squash(c).lower() if c is not None else "" for c in list(rows[head]) + [None] * width]
    regions: list[tuple[str, int]] = []
    current = ""
    for j in range(width):
        if above[j] is not None and str(above[j]).strip():
            current = squash(above[j])
        if header[j] == "faes" and current:
            regions.append((current, j))
    if not regions:
        raise LayoutError(path, "a row of region names above FAEs/FCEs column pairs")
    first = 3 if by_age else 2
    year = month = None
    records = []
    for r in rows[head + 1 :]:
        r = tuple(r) + (None,) * (width - len(r))
        if r[0] is not None and str(r[0]).strip():
            text = squash(r[0])
            if not re.match(r"^\d{4}-\d{2}$", text):
                continue  # 'YYYY-YY Total' rows and the source line
            year = text
            month = None
        label = squash(r[1]) if r[1] is not None and squash(r[1]) not in ("", "-") else None
        if label:
            month = label
        if year is None or month is None or all(c is None for c in r[first:]):
            continue
        start_year = int(year[:4])
        mon = _MONTHS[month[:3].lower()]
        period = pd.Timestamp(start_year + (mon < 4), mon, 1).strftime("%Y-%m-%d")
        fin_year = f"{year[:4]}/{year[5:7]}"
        age = _age_label(r[2]) if by_age else None
        for region, j in regions:
            fae, fae_s = _count(r[j], path)
            fce, fce_s = _count(r[j + 1], path)
            rec: list[object] = [region, fin_year, month, period]
            if by_age:
                rec.append(age)
            records.append((*rec, fae, fce, int(fae_s), int(fce_s)))
    cols = ["region", "fin_year", "month", "period_start"]
    if by_age:
        cols.append("age_group")
    out = pd.DataFrame(
        records, columns=[*cols, "fae", "fce", "fae_suppressed_1to7", "fce_suppressed_1to7"]
    )
    keys = ["region", "period_start", "age_group"] if by_age else ["region", "period_start"]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _count(cell: object, path: Path) -> tuple[float, bool]:
    """A HES cell as (value, suppressed): HES withholds 1-7 as '*' and marks nothing else."""
    value, suppressed, unavailable = common.parse_value(cell)
    if unavailable:
        raise LayoutError(path, "counts or '*' (1-7 withheld) in the region columns", repr(cell))
    return value, suppressed


def panel(files: Sequence[Path | str], by_age: bool = False) -> Panel:
    """Monthly admissions (``admissions`` = FAEs, ``episodes`` = FCEs) by region of residence.

    With ``by_age`` one outcome per published band (``admissions_age_10-19`` ...); bands the
    sheet does not list for a month are missing, never zero. Geography "region".
    """
    if len(files) != 1:
        raise ValueError(f"the HES loader reads one workbook, got {len(files)} files")
    path = Path(files[0])
    sheets = common.read_xlsx(path)
    tidy = read(path, by_age=by_age)
    provisional = _provisional_year(sheets)
    d = tidy.loc[tidy["region"].isin(GEOGRAPHIC)]
    units = d["region"].map(lambda r: areas.resolve(r, "region"))
    parts = []
    for col, outcome in (("fae", "admissions"), ("fce", "episodes")):
        name = outcome + "_age_" + d["age_group"] if by_age else outcome
        parts.append(
            pd.DataFrame(
                {
                    "unit": units,
                    "period": pd.PeriodIndex(pd.to_datetime(d["period_start"]), freq="M"),
                    "outcome": name,
                    "value": d[col].astype(float),
                    "suppressed": d[f"{col}_suppressed_1to7"].astype(bool),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    if by_age:
        frame = common.complete_grid(frame, sorted(frame["period"].unique()))

    def fin_year(p: pd.Period) -> str:
        start = p.year if p.month >= 4 else p.year - 1
        return f"{start}/{str(start + 1)[2:]}"

    frame["provisional"] = frame["period"].map(fin_year) == provisional if provisional else False
    src = provenance.source(
        path,
        PUBLISHER,
        TITLE,
        "Non-DARS tabulation for the Home Office"
        + (f", {provisional} provisional" if provisional else ""),
    )
    notes = [
        "admissions = finished admission episodes (FAEs); episodes = finished consultant episodes.",
        "Region of residence of the patient, not where the assault happened.",
        "Regional counts rounded to the nearest 5 at source; 1-7 printed '*' are missing and "
        "flagged suppressed; England totals are unrounded.",
    ]
    if provisional:
        notes.append(f"{provisional} is provisional (flagged).")
    if by_age:
        notes.append(
            "Age bands not listed for a month are missing, never zero; use "
            "select_ages() to build an age range from the bands."
        )
    return Panel.from_frame(
        frame, frequency="month", geography="region", sources=[src], notes=notes
    )


OnInexact = Literal["raise", "widen", "narrow"]


def _bounds(band: str) -> tuple[float, float] | None:
    m = re.match(r"^(\d+)-(\d+)$", band)
    if m:
        return float(m.group(1)), float(m.group(2))
    m = re.match(r"^(\d+)\+$", band)
    return (float(m.group(1)), np.inf) if m else None


def select_ages(
    panel: Panel,
    low: int = 0,
    high: int | None = None,
    measure: str = "admissions",
    on_inexact: OnInexact = "raise",
) -> Panel:
    """Sum published age bands into one age range, e.g. ``high=24`` for "under 25".

    The published bands are ten years wide (0-9, 10-19, 20-29, ...). A range that does not start
    and end on band edges cannot be built exactly: ``on_inexact="raise"`` (default) refuses,
    naming the nearest ranges that can; ``"widen"`` uses every band overlapping the range and
    ``"narrow"`` only the bands inside it, each with a warning naming the range actually used.
    A month where any chosen band is suppressed or missing is missing (flagged suppressed when a
    band was suppressed); the new outcome is flagged derived.

    Returns a panel with the one outcome ``<measure>_age_<a>-<b>``.
    """
    if on_inexact not in ("raise", "widen", "narrow"):
        raise ValueError(
            f"on_inexact must be one of ('raise', 'widen', 'narrow'), got {on_inexact!r}"
        )
    top = np.inf if high is None else float(high)
    prefix = f"{measure}_age_"
    bands: dict[str, tuple[float, float]] = {}
    for o in panel.outcomes:
        bound = _bounds(o[len(prefix) :]) if o.startswith(prefix) else None
        if bound is not None:
            bands[o[len(prefix) :]] = bound
    if not bands:
        raise ValueError(f"no '{prefix}<band>' outcomes in this panel; load it with by_age=True")
    inside = [k for k, (a, b) in bands.items() if a >= low and b <= top]
    overlap = [k for k, (a, b) in bands.items() if b >= low and a <= top]
    wanted = f"{low}-{'' if high is None else high}"
    if set(inside) != set(overlap) or not inside:

        def span(keys: list[str]) -> str:
            if not keys:
                return "nothing"
            a = min(bands[k][0] for k in keys)
            b = max(bands[k][1] for k in keys)
            return f"{int(a)}-{'' if b == np.inf else int(b)}"

        message = (
            f"the published age bands {sorted(bands, key=lambda k: bands[k][0])} cannot give ages "
            f"{wanted} exactly: the bands inside it give {span(inside)}, the bands overlapping it "
            f"give {span(overlap)} ({' + '.join(sorted(overlap, key=lambda k: bands[k][0]))})"
        )
        if on_inexact == "raise":
            raise ValueError(message + "; pass on_inexact='widen' or 'narrow' to accept one")
        chosen = overlap if on_inexact == "widen" else inside
        if not chosen:
            raise ValueError(message)
        warnings.warn(message + f"; using {span(chosen)}", UserWarning, stacklevel=2)
    else:
        chosen = inside
    chosen = sorted(chosen, key=lambda k: bands[k][0])
    a = int(bands[chosen[0]][0])
    b = bands[chosen[-1]][1]
    name = f"{prefix}{a}-{'' if b == np.inf else int(b)}"
    d = panel.select(outcome=[prefix + k for k in chosen]).data
    g = d.groupby(["unit", "period"], sort=True)
    frame = pd.DataFrame(
        {
            "value": g["value"].sum(min_count=1).where(~g["value"].apply(lambda s: s.isna().any())),
            "suppressed": g["suppressed"].any(),
            "unavailable": g["unavailable"].any() & ~g["suppressed"].any(),
            "provisional": g["provisional"].any(),
            "population": g["population"].first(),
        }
    ).reset_index()
    frame["outcome"] = name
    frame["derived"] = True
    return Panel.from_frame(
        frame,
        frequency=panel.frequency,
        measure=panel.measure,
        geography=panel.geography,
        sources=panel.sources,
        notes=[*panel.notes, f"{name} is the sum of the published bands {', '.join(chosen)}."],
    )
