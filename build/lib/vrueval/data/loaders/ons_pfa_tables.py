"""ONS "Crime in England and Wales: Police Force Area data tables" (xlsx workbooks, CSV sheets).

Each quarterly edition is a workbook whose tables move between sheets and change number (the
knife table is P4 in 2018-19 and P6 later), whose labels carry footnote marks ("Sussex8,9",
"Homicide5,6", "[note 4]") and whose cells use markers ('..', '[x]', '[c]', ':', 'NA') for figures
that are not published. The readers here find each table by its title and header, never by sheet
position, and return tidy long frames; the ``*_panel`` functions turn those into validated
:class:`~vrueval.data.panel.Panel` objects.

Tables read
-----------
- offence groups, number of offences (P1): :func:`offence_groups` — rolling 12 months to the
  edition's month; also the CSV export of one sheet (YE Jun 2025 Table P1).
- knife or sharp instrument offences by type (P4 in 2018-19): :func:`knife_by_type`.
- knife offences over financial years (P5 in 2018-19): :func:`knife_series`; later editions revise
  earlier years, so the newest edition given wins and the panel notes how many values it revised.
- mid-year population (P9 and the population column of P3): :func:`population`.
- headline offences by community safety partnership (C2, CSV): :func:`csp_offences`.

Reference: ONS, Crime in England and Wales: Police Force Area data tables, user guide section 3.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrueval.data.loaders import common, provenance
from vrueval.data.loaders.common import LayoutError, clean_label, squash
from vrueval.data.panel import Panel, Source

PUBLISHER = "Office for National Statistics"
TITLE = "Crime in England and Wales: Police Force Area data tables"

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_YEAR_ENDING = re.compile(
    r"year ending\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+((?:19|20)\d\d)",
    re.IGNORECASE,
)
_SPAN = re.compile(r"^([A-Za-z]{3})\s*'(\d\d)\s+to\s+([A-Za-z]{3})\s*'(\d\d)")

#: Offence-group labels harmonised across editions (printed label -> label in the tidy frames).
OFFENCE_ALIASES = {
    "Miscellaneous crimes": "Miscellaneous crimes against society",
    "Non-residential  burglary": "Non-residential burglary",
}

#: Outcome names shared by every loader, so panels from different publishers line up.
OUTCOME_NAMES = {
    "Total recorded crime (excluding fraud)": "total_recorded_crime_excluding_fraud",
    "Possession of weapons offences": "possession_of_weapons",
    "Death or serious injury - unlawful driving": "death_or_serious_injury_unlawful_driving",
    "Death or serious injury caused by illegal driving": "death_or_serious_injury_unlawful_driving",
    "Miscellaneous crimes": "miscellaneous_crimes_against_society",
    "All other theft offences": "other_theft_offences",
}

KNIFE_OUTCOMES = {
    "Total of selected serious offences": "knife_offences",
    "Attempted murder": "knife_attempted_murder",
    "Threats to kill": "knife_threats_to_kill",
    "Assault with injury and assault with intent to cause serious harm": (
        "knife_assault_with_injury"
    ),
    "Robbery": "knife_robbery",
    "Rape and sexual assault": "knife_rape_and_sexual_assault",
    "Homicide": "knife_homicide",
}


def outcome_name(label: str) -> str:
    """The panel outcome for a printed offence label: 'Violence with injury' ->
    'violence_with_injury'."""
    return OUTCOME_NAMES.get(label, common.slug(label))


# -- workbook structure -----------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """One table of an edition: its sheet, title and rows."""

    file: Path
    sheet: str
    title: str
    rows: list[tuple[Any, ...]]

    @property
    def number(self) -> str:
        """'P1', 'C2' ... as the title prints it."""
        m = re.match(r"table\s+([A-Z]+\d+)", self.title, re.IGNORECASE)
        return m.group(1).upper() if m else self.sheet.strip()


@dataclass(frozen=True)
class Edition:
    """A workbook (or a CSV export of one of its sheets) and the edition it belongs to."""

    file: Path
    end: pd.Period  # month the edition's rolling year ends in
    tables: tuple[Table, ...]

    @property
    def label(self) -> str:
        return f"YE {self.end.strftime('%b %Y')}"

    def find(self, pattern: str, exclude: str | None = None) -> list[Table]:
        found = [
            t
            for t in self.tables
            if re.search(pattern, t.title, re.IGNORECASE)
            and not (exclude and re.search(exclude, t.title, re.IGNORECASE))
        ]
        return found

    def one(self, pattern: str, what: str, exclude: str | None = None) -> Table:
        found = self.find(pattern, exclude)
        if not found:
            titles = "; ".join(f"{t.sheet.strip()}: {t.title[:70]}" for t in self.tables)
            raise LayoutError(self.file, f"a table titled like {what!r}", f"tables [{titles}]")
        return found[0]


def _title(rows: list[tuple[Any, ...]]) -> str:
    for row in rows[:4]:
        for cell in row:
            if isinstance(cell, str) and cell.strip():
                return squash(cell)
    return ""


def _read_csv_rows(path: Path) -> list[tuple[Any, ...]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [tuple(None if c == "" else c for c in row) for row in csv.reader(fh)]


def _edition_month(path: Path, titles: Sequence[str]) -> pd.Period:
    for t in titles:  # the Notes sheet names the edition plainly
        if re.search(r"PFA tables|police force area tables", t, re.IGNORECASE):
            m = _YEAR_ENDING.search(t)
            if m:
                return pd.Period(f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}", freq="M")
    votes: Counter[pd.Period] = Counter()
    for t in titles:
        matches = _YEAR_ENDING.findall(t)
        if matches:
            mon, year = matches[-1]
            votes[pd.Period(f"{year}-{MONTHS[mon.lower()]:02d}", freq="M")] += 1
    if not votes:
        raise LayoutError(
            path, "an ONS PFA data tables edition whose titles say 'year ending <Month> <YYYY>'"
        )
    return votes.most_common(1)[0][0]


def open_edition(path: Path | str) -> Edition:
    """Read an ONS PFA tables workbook (.xlsx) or a CSV export of one of its sheets."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(p)
    if p.suffix.lower() == ".csv":
        rows = _read_csv_rows(p)
        sheets = {p.stem: rows}
    elif p.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = common.read_xlsx(p)
    else:
        raise LayoutError(p, "an ONS PFA data tables workbook (.xlsx) or a CSV export of one sheet")
    tables = tuple(Table(p, name, _title(rows), rows) for name, rows in sheets.items())
    end = _edition_month(p, [t.title for t in tables])
    return Edition(p, end, tables)


def _source(ed: Edition, tables: str) -> Source:
    return provenance.source(ed.file, PUBLISHER, f"{TITLE}, {tables}", ed.label)


# -- the grid inside one table ----------------------------------------------------------------
@dataclass(frozen=True)
class _Grid:
    groups: list[str]  # label above each column, carried right across merged cells
    above: list[str]  # the label printed exactly above each column ('' if none)
    columns: list[str]  # the column's own header
    data: list[tuple[Any, ...]]  # area rows: code, name, values...


def _grid(table: Table) -> _Grid:
    rows = table.rows
    head = next(
        (
            i
            for i, r in enumerate(rows)
            if r and isinstance(r[0], str) and squash(r[0]).lower() in ("area code", "area codes")
        ),
        None,
    )
    if (
        head is None
        or len(rows[head]) < 2
        or not str(rows[head][1] or "").lower().startswith("area")
    ):
        raise LayoutError(
            table.file,
            f"table {table.number} to have a header row starting 'Area Code', 'Area Name'",
            f"no such row in sheet {table.sheet.strip()!r}",
        )
    width = max(len(r) for r in rows)
    above = list(rows[head - 1]) + [None] * width if head > 0 else [None] * width
    groups: list[str] = []
    exact: list[str] = []
    current = ""
    for j in range(width):
        cell = above[j]
        label = clean_label(cell) if j >= 2 and cell is not None and str(cell).strip() else ""
        current = label or current
        groups.append(current if j >= 2 else "")
        exact.append(label)
    header = list(rows[head]) + [None] * width
    columns = [clean_label(header[j]) if header[j] is not None else "" for j in range(width)]
    data = []
    for r in rows[head + 1 :]:
        first = r[0] if r else None
        if isinstance(first, str) and re.match(r"^\s*(source|\d+\s*\.|note)", first, re.IGNORECASE):
            break
        name = r[1] if len(r) > 1 else None
        if name is None or not str(name).strip():
            continue
        data.append(tuple(r) + (None,) * (width - len(r)))
    if not data:
        raise LayoutError(table.file, f"area rows under the header of table {table.number}")
    return _Grid(groups, exact, columns, data)


def _area(row: tuple[Any, ...]) -> tuple[str, str, str]:
    code = "" if row[0] is None else str(row[0]).strip()
    name = clean_label(row[1])
    return code, name, common.geo_level(code)


def _year_window(end: pd.Period) -> tuple[str, str]:
    start = (end - 11).to_timestamp(how="start")
    return start.strftime("%Y-%m-%d"), end.to_timestamp(how="end").strftime("%Y-%m-%d")


def _by_edition(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-edition frames in date order."""
    ordered = sorted(parts, key=lambda d: str(d["period_end"].iloc[0]))
    return pd.concat(ordered, ignore_index=True)


# -- P1: offences by offence group ------------------------------------------------------------
_P1 = r"police recorded crime by offence group .*number of offences"


def offence_groups(files: Sequence[Path | str], harmonise: bool = True) -> pd.DataFrame:
    """Table P1 of each edition as a tidy frame, editions in date order.

    Columns: edition, period_start, period_end, area_code, area_name, geo_level, offence_group,
    offences, suppressed, raw_value (the cell as printed). With ``harmonise`` the offence labels
    that vary between editions are given one spelling (:data:`OFFENCE_ALIASES`); the panel
    outcome names are harmonised either way.
    """
    parts = [_offence_groups(open_edition(f), harmonise) for f in files]
    return _by_edition(parts)


def _offence_groups(ed: Edition, harmonise: bool = True) -> pd.DataFrame:
    aliases = OFFENCE_ALIASES if harmonise else {}
    table = ed.one(_P1, "Table P1: Police recorded crime by offence group ... number of offences")
    grid = _grid(table)
    # A column's own header names it; the total's name sits in the row above. Spacer columns
    # (no label, or no figure in any row) are skipped.
    cols = [
        (j, aliases.get(c or g, c or g))
        for j, (g, c) in enumerate(zip(grid.above, grid.columns, strict=True))
        if j >= 2 and (c or g) and any(row[j] is not None for row in grid.data)
    ]
    start, end = _year_window(ed.end)
    records = []
    for row in grid.data:
        code, name, level = _area(row)
        for j, label in cols:
            value, suppressed, unavailable = common.parse_value(row[j])
            raw = "" if row[j] is None else str(row[j])
            flags = (suppressed, unavailable)
            records.append((ed.label, start, end, code, name, level, label, value, *flags, raw))
    return pd.DataFrame(
        records,
        columns=[
            "edition",
            "period_start",
            "period_end",
            "area_code",
            "area_name",
            "geo_level",
            "offence_group",
            "offences",
            "suppressed",
            "unavailable",
            "raw_value",
        ],
    )


def offence_groups_panel(
    files: Sequence[Path | str], geography: str = "force", offences: Sequence[str] | None = None
) -> Panel:
    """Table P1 of one or more editions as a rolling 12-month panel (period = end month).

    Consecutive editions' years overlap by nine months: designs must use
    :meth:`Panel.non_overlapping`. Periods between editions that were not given stay missing.
    """
    eds = [open_edition(f) for f in files]
    tidy = pd.concat([_offence_groups(e) for e in eds], ignore_index=True)
    tidy["outcome"] = tidy["offence_group"].map(outcome_name)
    if offences is not None:
        tidy = _select(tidy, offences)
    notes = [
        "Rolling 12-month totals labelled by the month they end in; consecutive quarterly "
        "editions overlap by 9 months and are not independent observations.",
        "British Transport Police and the 'excluding Greater Manchester' aggregates are dropped.",
    ]
    return _rolling_panel(tidy, "offences", eds, geography, "Table P1 (offences by group)", notes)


def _select(tidy: pd.DataFrame, offences: Sequence[str]) -> pd.DataFrame:
    wanted = {outcome_name(o) if o not in set(tidy["outcome"]) else o for o in offences}
    unknown = sorted(wanted - set(tidy["outcome"]))
    if unknown:
        raise ValueError(f"unknown offence(s) {unknown}; available: {sorted(set(tidy['outcome']))}")
    return tidy.loc[tidy["outcome"].isin(wanted)]


def _rolling_panel(
    tidy: pd.DataFrame,
    value: str,
    eds: Sequence[Edition],
    geography: str,
    tables: str,
    notes: list[str],
) -> Panel:
    keep = (
        tidy["geo_level"].eq("pfa")
        if geography == "force"
        else tidy["geo_level"].isin(["region", "country"])
    )
    d = tidy.loc[keep]
    frame = pd.DataFrame(
        {
            "unit": d["area_code"].to_numpy(),
            "period": [pd.Period(e[:7], freq="M") for e in d["period_end"]],
            "outcome": d["outcome"].to_numpy(),
            "value": d[value].to_numpy(dtype=float),
            "suppressed": d["suppressed"].to_numpy(dtype=bool),
            "unavailable": d["unavailable"].to_numpy(dtype=bool),
        }
    )
    frame, revised = _latest_wins(frame, d["edition"].map(_edition_rank).to_numpy())
    step = 3 if all(p.month % 3 == 0 for p in frame["period"]) else 1
    frame = common.complete_grid(frame, common.period_range(frame["period"], step))
    if revised:
        notes = [*notes, f"{revised} value(s) published in more than one edition: newest kept."]
    notes = [
        *notes,
        "Editions read: " + ", ".join(e.label for e in sorted(eds, key=lambda e: e.end)),
    ]
    missing = int(frame["value"].isna().sum())
    if missing:
        notes.append(
            f"{missing} cell(s) not published (markers such as '..') or between "
            "editions: missing, never zero."
        )
    return Panel.from_frame(
        frame,
        frequency="rolling_12m",
        measure="count",
        geography="force" if geography == "force" else "region",
        sources=[_source(e, tables) for e in sorted(eds, key=lambda e: e.end)],
        notes=notes,
    )


def _edition_rank(label: str) -> int:
    p = pd.Period(pd.Timestamp(label.removeprefix("YE ")), freq="M")
    return int(p.ordinal)


def _latest_wins(frame: pd.DataFrame, rank: np.ndarray) -> tuple[pd.DataFrame, int]:
    """Keep the newest edition's figure where editions overlap; count the values it revised."""
    f = frame.assign(_rank=rank).sort_values("_rank")
    dup = f.duplicated(["unit", "period", "outcome"], keep=False)
    revised = 0
    if dup.any():
        g = f.loc[dup].groupby(["unit", "period", "outcome"])["value"]
        revised = int((g.nunique(dropna=False) > 1).sum())
    f = f.drop_duplicates(["unit", "period", "outcome"], keep="last").drop(columns="_rank")
    return f.reset_index(drop=True), revised


# -- P4: knife offences by offence type -------------------------------------------------------
_KNIFE = r"knife (and|or) sharp instrument offences"


def _knife_tables(ed: Edition) -> tuple[Table | None, Table | None]:
    """(by-type table, financial-year series table) of an edition, told apart by their headers."""
    by_type = series = None
    for t in ed.find(_KNIFE, exclude=r"\brates?\b"):
        groups = {g for g in _grid(t).groups if g}
        if any(_SPAN.match(g) for g in groups):
            series = series or t
        elif "Total of selected serious offences" in groups:
            by_type = by_type or t
    return by_type, series


def knife_by_type(files: Sequence[Path | str]) -> pd.DataFrame:
    """The knife table by offence type (P4 in 2018-19) of each edition, editions in date order.

    Columns: edition, period_start, period_end, area_code, area_name, geo_level, offence_type,
    knife_offences, pct_involving_knife, suppressed.
    """
    parts = [_knife_by_type(open_edition(f)) for f in files]
    return _by_edition(parts)


def _knife_by_type(ed: Edition) -> pd.DataFrame:
    table, _ = _knife_tables(ed)
    if table is None:
        raise LayoutError(
            ed.file,
            "a table titled 'Knife and sharp instrument offences recorded by the police for "
            "selected offences' with one column pair per offence type",
        )
    grid = _grid(table)
    start, end = _year_window(ed.end)
    records = []
    for row in grid.data:
        code, name, level = _area(row)
        for j, (group, column) in enumerate(zip(grid.groups, grid.columns, strict=True)):
            if j < 2 or not column.lower().startswith("number"):
                continue
            count, suppressed, unavailable = common.parse_value(row[j])
            pct = common.parse_value(row[j + 1]).value
            flags = (suppressed, unavailable)
            records.append((ed.label, start, end, code, name, level, group, count, pct, *flags))
    return pd.DataFrame(
        records,
        columns=[
            "edition",
            "period_start",
            "period_end",
            "area_code",
            "area_name",
            "geo_level",
            "offence_type",
            "knife_offences",
            "pct_involving_knife",
            "suppressed",
            "unavailable",
        ],
    )


def knife_by_type_panel(files: Sequence[Path | str], geography: str = "force") -> Panel:
    """Knife or sharp instrument offences by type, one rolling 12-month period per edition.

    Outcomes: ``knife_offences`` (total of selected serious offences) and ``knife_<type>``.
    """
    eds = [open_edition(f) for f in files]
    tidy = pd.concat([_knife_by_type(e) for e in eds], ignore_index=True)
    tidy["outcome"] = tidy["offence_type"].map(
        lambda t: KNIFE_OUTCOMES.get(t, "knife_" + common.slug(t))
    )
    notes = [
        "Selected serious offences involving a knife or sharp instrument (special collection); "
        "homicide from the Homicide Index as at each edition.",
        "Rolling 12-month totals labelled by the month they end in; they overlap by 9 months.",
        "Greater Manchester: no data Jul-Dec 2019 (new IT system) and knife figures under-counted "
        "before its Dec 2017 review: missing cells stay missing.",
        "Surrey includes unbroken bottle and glass offences; Sussex and Surrey revised their "
        "figures from YE Mar 2019.",
    ]
    return _rolling_panel(tidy, "knife_offences", eds, geography, "knife offences by type", notes)


# -- P5: knife offences over financial years --------------------------------------------------
def knife_series(file: Path | str) -> pd.DataFrame:
    """The knife offences time series table (P5 in 2018-19) of one edition.

    Columns: area_code, area_name, geo_level, period_label, period_type (financial_year,
    calendar_year or rolling_year), period_start, period_end, knife_offences,
    pct_involving_knife, suppressed. Percentage-change columns are not read.
    """
    ed = open_edition(file)
    _, table = _knife_tables(ed)
    if table is None:
        raise LayoutError(
            ed.file,
            "a knife or sharp instrument offences table with one column pair per period "
            "(\"Apr '10 to Mar '11\" ...)",
        )
    grid = _grid(table)
    spans = []
    for j, (group, column) in enumerate(zip(grid.groups, grid.columns, strict=True)):
        m = _SPAN.match(group)
        if j >= 2 and m and column.lower().startswith("number"):
            spans.append((j, group, *_span(m)))
    records = []
    for row in grid.data:
        code, name, level = _area(row)
        for j, label, kind, start, end in spans:
            count, suppressed, unavailable = common.parse_value(row[j])
            pct = common.parse_value(row[j + 1]).value
            records.append(
                (code, name, level, label, kind, start, end, count, pct, suppressed, unavailable)
            )
    return pd.DataFrame(
        records,
        columns=[
            "area_code",
            "area_name",
            "geo_level",
            "period_label",
            "period_type",
            "period_start",
            "period_end",
            "knife_offences",
            "pct_involving_knife",
            "suppressed",
            "unavailable",
        ],
    )


def _span(m: re.Match[str]) -> tuple[str, str, str]:
    m1, y1, m2, y2 = m.groups()
    start = pd.Period(f"20{y1}-{MONTHS[m1.lower()]:02d}", freq="M")
    end = pd.Period(f"20{y2}-{MONTHS[m2.lower()]:02d}", freq="M")
    kind = {4: "financial_year", 1: "calendar_year"}.get(start.month, "rolling_year")
    if (end - start).n != 11:
        kind = "other"
    return (
        kind,
        start.to_timestamp(how="start").strftime("%Y-%m-%d"),
        end.to_timestamp(how="end").strftime("%Y-%m-%d"),
    )


def knife_series_panel(files: Sequence[Path | str], geography: str = "force") -> Panel:
    """Knife offences by financial year (``knife_offences``); the newest edition's figures win."""
    eds = sorted((open_edition(f) for f in files), key=lambda e: e.end)
    parts = []
    for ed in eds:
        t = knife_series(ed.file)
        t["edition"] = ed.label
        parts.append(t.loc[t["period_type"] == "financial_year"])
    tidy = pd.concat(parts, ignore_index=True)
    keep = (
        tidy["geo_level"].eq("pfa")
        if geography == "force"
        else tidy["geo_level"].isin(["region", "country"])
    )
    d = tidy.loc[keep]
    frame = pd.DataFrame(
        {
            "unit": d["area_code"].to_numpy(),
            "period": [pd.Period(e[:4], freq="Y-MAR") for e in d["period_end"]],
            "outcome": "knife_offences",
            "value": d["knife_offences"].to_numpy(dtype=float),
            "suppressed": d["suppressed"].to_numpy(dtype=bool),
            "unavailable": d["unavailable"].to_numpy(dtype=bool),
        }
    )
    frame, revised = _latest_wins(frame, d["edition"].map(_edition_rank).to_numpy())
    notes = [
        "Selected serious offences involving a knife or sharp instrument, financial years "
        "(labelled by the year they end in).",
        "Greater Manchester under-counted until its Dec 2017 review: FY2017/18 on is published "
        "as not available and stays missing.",
        "Editions read: " + ", ".join(e.label for e in eds),
    ]
    if revised:
        notes.append(f"{revised} value(s) revised between editions: newest edition kept.")
    return Panel.from_frame(
        frame,
        frequency="financial_year",
        geography="force" if geography == "force" else "region",
        sources=[_source(e, "knife offences time series") for e in eds],
        notes=notes,
    )


# -- population (P9, P3) ----------------------------------------------------------------------
def population(files: Sequence[Path | str]) -> pd.DataFrame:
    """Mid-year population by area from the PFA tables (old, pre-Census-2021 basis).

    Table P9 ("Mid-year population estimates ...") gives a run of years; the population column of
    P3 gives the latest mid-year. Each mid-year comes from the earliest edition that published
    it (P9 before P3). Columns: area_code, area_name, geo_level, mid_year, population,
    source_table.
    """
    eds = sorted((open_edition(f) for f in files), key=lambda e: e.end)
    seen: set[int] = set()
    parts = []
    for ed in eds:
        for table, years in _population_tables(ed):
            new = [y for y in years if y[1] not in seen]
            if not new:
                continue
            grid = _grid(table)
            recs = []
            for row in grid.data:
                code, name, level = _area(row)
                if level == "other":
                    continue
                for j, year in new:
                    value = common.parse_value(row[j]).value
                    recs.append(
                        (code, name, level, year, value, f"{ed.label} Table {table.number}")
                    )
            parts.append(
                pd.DataFrame(
                    recs,
                    columns=[
                        "area_code",
                        "area_name",
                        "geo_level",
                        "mid_year",
                        "population",
                        "source_table",
                    ],
                )
            )
            seen.update(y for _, y in new)
    if not parts:
        raise LayoutError(
            eds[0].file if eds else "?",
            "a mid-year population table (P9) or a 'Population figures (mid-YYYY)' column (P3)",
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["area_code", "mid_year"], kind="stable").reset_index(drop=True)


def _population_tables(ed: Edition) -> list[tuple[Table, list[tuple[int, int]]]]:
    found = []
    for t in ed.find(r"mid-year population estimates"):
        grid = _grid(t)
        years = [(j, int(c)) for j, c in enumerate(grid.columns) if j >= 2 and c.isdigit()]
        found.append((t, years))
    for t in ed.find(r"rate of offences"):
        grid = _grid(t)
        for j, c in enumerate(grid.columns):
            m = re.match(r"population figures \(mid-(\d{4})\)", c, re.IGNORECASE)
            if m:
                found.append((t, [(j, int(m.group(1)))]))
    return found


def population_panel(files: Sequence[Path | str]) -> Panel:
    """Old-basis (pre-Census-2021) mid-year population by force (``population_old_basis``)."""
    eds = sorted((open_edition(f) for f in files), key=lambda e: e.end)
    d = population([e.file for e in eds])
    d = d.loc[d["geo_level"] == "pfa"]
    frame = pd.DataFrame(
        {
            "unit": d["area_code"],
            "period": d["mid_year"],
            "outcome": "population_old_basis",
            "value": d["population"],
        }
    )
    return Panel.from_frame(
        frame,
        frequency="year",
        sources=[_source(e, "mid-year population (P9/P3)") for e in eds],
        notes=[
            "ONS mid-year estimates on the pre-Census-2021 basis, rounded to 100; the rebased "
            "mid-2011 to mid-2023 series differs by up to 3%: never splice the two.",
            "Each mid-year from the earliest edition that published it.",
        ],
    )


# -- C2: headline offences by community safety partnership (CSV export) -----------------------
def csp_offences(file: Path | str) -> pd.DataFrame:
    """Table C2 (offences by community safety partnership) from its CSV export.

    Columns: pfa_code, pfa_name, csp_code, csp_name, la_code, la_name, row_level (pfa_total, csp,
    unassigned), period_start, period_end, offence_group, offences, raw_value. Names are kept as
    printed (the force total rows carry their note marks).
    """
    ed = open_edition(file)
    table = ed.one(r"community safety partnership", "Table C2: ... by Community Safety Partnership")
    rows = table.rows
    head = next(
        (
            i
            for i, r in enumerate(rows)
            if r and r[0] and squash(r[0]).lower().startswith("police force area code")
        ),
        None,
    )
    if head is None:
        raise LayoutError(
            ed.file,
            "a header row starting 'Police Force Area code', "
            "'Police Force Area name', 'Community Safety Partnership code'",
        )
    header = [clean_label(c) if c else "" for c in rows[head]]
    first = next(j for j, h in enumerate(header) if h.lower().startswith("total recorded crime"))
    start, end = _year_window(ed.end)
    records = []
    for j in range(first, len(header)):
        for r in rows[head + 1 :]:
            if not r or r[0] is None and r[1] is None:
                continue
            cells = [None if c is None else str(c) for c in r]
            csp_code, csp_name = cells[2] or "", cells[3] or ""
            # As printed: 'Unassigned <force>' rows; the one lower-case 'unassigned Surrey' row
            # (blank, and coded E23000032) is kept as a CSP row, like the ONS-derived extract.
            unassigned = csp_name.strip().startswith("Unassigned")
            level = "unassigned" if unassigned else ("csp" if csp_code or csp_name else "pfa_total")
            raw = cells[j] if j < len(cells) else None
            value = common.parse_value(raw).value
            records.append(
                (
                    (cells[0] or "").strip(),
                    (cells[1] or "").strip(),
                    csp_code.strip(),
                    csp_name.strip(),
                    (cells[4] or "").strip(),
                    (cells[5] or "").strip(),
                    level,
                    start,
                    end,
                    header[j],
                    value,
                    raw or "",
                )
            )
    return pd.DataFrame(
        records,
        columns=[
            "pfa_code",
            "pfa_name",
            "csp_code",
            "csp_name",
            "la_code",
            "la_name",
            "row_level",
            "period_start",
            "period_end",
            "offence_group",
            "offences",
            "raw_value",
        ],
    )


def csp_force_panel(file: Path | str) -> Panel:
    """The force-total rows of Table C2 as a one-period rolling 12-month panel."""
    ed = open_edition(file)
    d = csp_offences(file)
    d = d.loc[d["row_level"] == "pfa_total"]
    frame = pd.DataFrame(
        {
            "unit": d["pfa_code"],
            "period": ed.end,
            "outcome": d["offence_group"].map(outcome_name),
            "value": d["offences"],
        }
    )
    return Panel.from_frame(
        frame,
        frequency="rolling_12m",
        sources=[_source(ed, "Table C2 (CSP)")],
        notes=[
            "Force totals of Table C2; CSP rows are in vrueval.data.loaders.ons_pfa_tables."
            "csp_offences()."
        ],
    )
