"""ONS PFA data tables from YE Mar 2021 on: knife offences and homicide by financial year.

From the YE Mar 2021 edition the knife or sharp instrument series is counted by the National
Data Quality Improvement Service (NDQIS) and back-cast to FY2010/11; editions up to YE Dec 2019
used each force's own flagging (West Midlands FY2018/19: 3,428 old, 4,951 new). The two methods
are never spliced: :func:`knife_panel` takes the whole series from exactly one NDQIS edition
(Table P6 of YE Mar 2024 is the longest, FY2010/11-FY2023/24) and refuses a force-flagging
edition or a second edition.

Homicide by force is one column of the offence-group tables: P1 (the edition's year) and P4 (the
previous year) of each YE March edition. :func:`homicide_panel` reads both from every edition
given, labels each by the financial year its title names, and keeps the newest publication of a
year (the Homicide Index revises counts as cases are re-classified).

Traps handled here, each a test in ``tests/test_loaders_ons_pfa_annual.py``:

- cells printed as '[x]', '', '..' (Greater Manchester FY2022/23-FY2023/24 in YE Mar 2024;
  Devon and Cornwall FY2019/20-FY2022/23 in YE Mar 2023) are missing and flagged, never zero;
- header labels carry notes ('Apr 2011 to\\n Mar 2012\\n[note 10]') and the older two-row layout
  ("Apr '10 to Mar '11" above 'Number of ...');
- force names carry note marks and vary ('Greater Manchester3', 'Sussex [note 11][note 12]');
  each printed name is resolved through :func:`vrueval.areas.resolve` and must agree with the
  printed code; a row without a code is a force only if its name resolves to one;
- 'West Midlands' is both a region (E12000005) and a force (E23000014) in the same table: the
  code decides;
- aggregates ('England and Wales (exc. Greater Manchester Police)', British Transport Police)
  are dropped from force panels;
- breaks inside the one-method series: the edition's notes say which forces' earlier years are
  "not comparable" (Avon and Somerset, Essex, Norfolk, Suffolk before YE Mar 2018; Northumbria,
  Surrey before YE Mar 2017; Thames Valley before YE Mar 2016; Sussex before YE Mar 2015;
  Greater Manchester under-counted until its December 2017 review). :func:`comparability_breaks`
  reads them from the workbook and :func:`knife_panel` with ``comparable_only=True`` leaves the
  earlier years missing (flagged unavailable), never spliced into a trend.

Reference: ONS, Crime in England and Wales: Police Force Area data tables, YE Mar 2021-2024,
Notes sheets (NDQIS method, exclusions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from vrueval import areas
from vrueval.areas import UnknownAreaError
from vrueval.data.loaders import common, ons_pfa_tables
from vrueval.data.loaders.common import LayoutError, squash
from vrueval.data.loaders.ons_pfa_tables import Edition, Table
from vrueval.data.panel import Panel

#: The first edition on the NDQIS knife method (earlier editions use each force's own flagging).
NDQIS_FROM = pd.Period("2021-03", freq="M")

_NOTE = re.compile(r"\s*\[note[^\]]*\]", re.IGNORECASE)
_SPAN4 = re.compile(r"^([A-Za-z]{3})[a-z]*\s+(\d{4})\s+to\s+([A-Za-z]{3})[a-z]*\s+(\d{4})$")
_SPAN2 = re.compile(r"^([A-Za-z]{3})\s*'(\d\d)\s+to\s+([A-Za-z]{3})\s*'(\d\d)$")
_KNIFE_SERIES = r"knife (and|or) sharp instrument offences"
_YEAR_END = re.compile(r"year ending\s+([A-Za-z]+)\s+((?:19|20)\d\d)", re.IGNORECASE)


def _label(cell: object) -> str:
    """A header cell without its '[note N]' marks, whitespace squashed."""
    return "" if cell is None else squash(_NOTE.sub("", str(cell)))


def _fy_of(m: re.Match[str], four_digit: bool) -> int | None:
    """The year a financial year (April to March) ends in, or None for any other span."""
    m1, y1, m2, y2 = m.groups()
    start = int(y1) if four_digit else 2000 + int(y1)
    end = int(y2) if four_digit else 2000 + int(y2)
    if m1.lower() == "apr" and m2.lower() == "mar" and end == start + 1:
        return end
    return None


#: The columns every record starts with (one area row of one table) and ends with (its cell's
#: flags and printed text).
_AREA = ["edition", "table", "area_code", "area_name", "geo_level", "force_code"]
_FLAGS = ["suppressed", "unavailable", "raw_value"]


def _area_rows(
    ed: Edition, table: Table, head: int
) -> Iterator[tuple[Sequence[Any], tuple[Any, ...]]]:
    """Each area row below the header row ``head``, up to the source/notes lines, with its
    ``_AREA`` values: the force code where the printed code and name are a force's."""
    for row in table.rows[head + 1 :]:
        if not row or len(row) < 2 or row[1] is None or not str(row[1]).strip():
            continue
        first = row[0]
        if isinstance(first, str) and re.match(r"^\s*(source|note)", first, re.IGNORECASE):
            break
        code = "" if first is None else str(first).strip()
        name = squash(row[1])
        force = _force_code(code, name, ed.file)
        level = "pfa" if force else common.geo_level(code)
        yield row, (ed.label, table.number, code, name, level, force)


def _force_code(code: str, name: str, file: Path) -> str | None:
    """The force code of an area row, or None for a region, country or aggregate.

    The printed name must resolve to the printed code (a force's name varies between editions;
    the code does not); a row with no code is a force only if its name resolves to one.
    """
    level = common.geo_level(code)
    if level in ("region", "country"):
        return None
    label = common.clean_label(name)
    try:
        by_name = areas.resolve(label, "force")
    except UnknownAreaError:
        by_name = None
    if level == "pfa":
        if by_name is not None and by_name != code:
            raise LayoutError(
                file,
                f"row {name!r} to carry the code of the force its name names ({by_name})",
                f"code {code}",
            )
        return code
    # No code printed: an aggregate such as 'England and Wales (exc. Greater Manchester
    # Police)'; accept it as a force only on an exact registered name or alias.
    return by_name if by_name is not None and not code else None


def _series_columns(table: Table, head: int) -> list[tuple[int, int]]:
    """(column, financial year) of every count column of a knife time-series table."""
    header = table.rows[head]
    above = table.rows[head - 1] if head > 0 else ()
    cols = []
    group = ""
    for j, cell in enumerate(header):
        if j < 2:
            continue
        if j < len(above) and above[j] is not None and _label(above[j]):
            group = _label(above[j])
        own = _label(cell)
        m4 = _SPAN4.match(own)
        if m4:
            fy = _fy_of(m4, four_digit=True)
        else:
            m2 = _SPAN2.match(group)
            fy = _fy_of(m2, four_digit=False) if m2 and own.lower().startswith("number") else None
        if fy is not None:
            cols.append((j, fy))
    return cols


def _header_row(table: Table) -> int:
    for i, row in enumerate(table.rows):
        if (
            row
            and isinstance(row[0], str)
            and squash(row[0]).lower() in ("area code", "area codes")
        ):
            return i
    raise LayoutError(table.file, f"a header row starting 'Area Codes' in table {table.number}")


def _knife_table(ed: Edition) -> Table:
    for t in ed.find(_KNIFE_SERIES, exclude=r"\brates?\b|comparison"):
        if len(_series_columns(t, _header_row(t))) >= 2:
            return t
    raise LayoutError(
        ed.file,
        "a knife or sharp instrument offences table with one count column per financial year "
        "('Apr 2010 to Mar 2011', ...)",
        "tables [" + "; ".join(t.title[:60] for t in ed.tables) + "]",
    )


def knife_financial_years(file: Path | str) -> pd.DataFrame:
    """The knife offences time series of one edition, financial years only, all areas.

    Columns: edition, table, area_code, area_name, geo_level, force_code (None unless a force),
    fy_end (the year the financial year ends in), knife_offences, pct_involving_knife,
    suppressed, unavailable, raw_value (the count cell as printed).
    """
    ed = ons_pfa_tables.open_edition(file)
    table = _knife_table(ed)
    head = _header_row(table)
    cols = _series_columns(table, head)
    records: list[tuple[Any, ...]] = []
    for row, area in _area_rows(ed, table, head):
        for j, fy in cols:
            cell = row[j] if j < len(row) else None
            count = common.parse_value(cell)
            pct = common.parse_value(row[j + 1] if j + 1 < len(row) else None).value
            raw = "" if cell is None else str(cell)
            records.append((*area, fy, count.value, pct, count.suppressed, count.unavailable, raw))
    return pd.DataFrame(
        records,
        columns=[*_AREA, "fy_end", "knife_offences", "pct_involving_knife", *_FLAGS],
    )


def _fy_period(fy_end: int) -> pd.Period:
    return pd.Period(str(fy_end), freq="Y-MAR")


_NOT_COMPARABLE = re.compile(
    r"^\s*(?P<forces>[A-Z][^;]+?);\s*data for recent years are not comparable prior to the "
    r"year ending March (?P<year>\d{4})",
    re.IGNORECASE,
)
_GMP_REVIEW = re.compile(
    r"Greater Manchester police reviewed their recording of knife or sharp instrument offences "
    r"in December (?P<year>\d{4})",
    re.IGNORECASE,
)


def _force_list(text: str, file: Path) -> list[str]:
    """'Avon and Somerset, Essex, Norfolk and Suffolk' -> four force codes ('and' joins names
    and is part of one)."""
    codes = []
    for part in (p.strip() for p in text.split(",")):
        try:
            codes.append(areas.resolve(part, "force"))
            continue
        except UnknownAreaError:
            pass
        pieces = [q.strip() for q in part.split(" and ")]
        try:
            codes.extend(areas.resolve(q, "force") for q in pieces)
        except UnknownAreaError as err:
            raise LayoutError(file, f"force names in the comparability note, got {part!r}") from err
    return codes


def comparability_breaks(file: Path | str) -> dict[str, int]:
    """Force code -> first financial year (end year) comparable with the edition's latest.

    Read from the edition's own notes: "<forces>; data for recent years are not comparable prior
    to the year ending March <YYYY>" gives FY ending YYYY; Greater Manchester's December <YYYY>
    review of its knife recording gives the first full financial year after it (FY ending
    YYYY + 2), as the note says earlier data were not revised and are not comparable.
    """
    ed = ons_pfa_tables.open_edition(file)
    breaks: dict[str, int] = {}
    for table in ed.tables:
        for row in table.rows:
            for cell in row:
                if not isinstance(cell, str) or "comparable" not in cell and "review" not in cell:
                    continue
                for line in cell.splitlines():
                    m = _NOT_COMPARABLE.match(line)
                    if m:
                        for code in _force_list(m.group("forces"), ed.file):
                            breaks[code] = max(breaks.get(code, 0), int(m.group("year")))
                gmp = _GMP_REVIEW.search(cell)
                if gmp:
                    code = areas.resolve("Greater Manchester", "force")
                    breaks[code] = max(breaks.get(code, 0), int(gmp.group("year")) + 2)
    return dict(sorted(breaks.items()))


def mask_before_breaks(frame: pd.DataFrame, breaks: dict[str, int]) -> pd.DataFrame:
    """A copy of a long frame (unit, period as financial years, value, unavailable) with each
    unit's years before its first comparable year missing and flagged unavailable."""
    out = frame.copy()
    first = out["unit"].map(breaks).fillna(0).to_numpy()
    before = [p.year < f for p, f in zip(out["period"], first, strict=True)]
    out.loc[before, "value"] = float("nan")
    out.loc[before, "unavailable"] = True
    return out


def knife_panel(files: Sequence[Path | str], comparable_only: bool = False) -> Panel:
    """Knife or sharp instrument offences by force and financial year from one NDQIS edition.

    Parameters
    ----------
    files : one path
        One PFA tables workbook from YE Mar 2021 on (YE Mar 2024 for FY2010/11-FY2023/24).
    comparable_only : bool
        Leave missing (flagged unavailable) each force's years before the break its edition's
        notes name (:func:`comparability_breaks`); the notes list the breaks either way.

    Raises
    ------
    ValueError
        Given more than one file (editions are never spliced: each back-casts the whole
        series) or an edition before YE Mar 2021 (force-flagging method).
    """
    if len(files) != 1:
        raise ValueError(
            f"knife offences by financial year are read from one edition, got {len(files)}: each "
            "NDQIS edition back-casts the whole series, and splicing editions mixes vintages"
        )
    ed = ons_pfa_tables.open_edition(files[0])
    if ed.end < NDQIS_FROM:
        raise ValueError(
            f"{Path(files[0]).name} is the {ed.label} edition, on each force's own knife flagging; "
            f"this series is on the NDQIS method from the YE Mar 2021 edition on: never splice "
            "the two methods (use ons_pfa_knife_annual for the old method)"
        )
    tidy = knife_financial_years(ed.file)
    d = tidy.loc[tidy["force_code"].notna()]
    frame = pd.DataFrame(
        {
            "unit": d["force_code"].to_numpy(),
            "period": [_fy_period(y) for y in d["fy_end"]],
            "outcome": "knife_offences",
            "value": d["knife_offences"].to_numpy(dtype=float),
            "suppressed": d["suppressed"].to_numpy(dtype=bool),
            "unavailable": d["unavailable"].to_numpy(dtype=bool),
        }
    )
    breaks = comparability_breaks(ed.file)
    listed_breaks = "; ".join(
        f"{areas.name(c)} from FY{y - 1}/{y % 100:02d}" for c, y in breaks.items()
    )
    if comparable_only:
        frame = mask_before_breaks(frame, breaks)
    gaps = tidy.loc[tidy["force_code"].notna() & tidy["knife_offences"].isna()]
    notes = [
        "Selected serious offences involving a knife or sharp instrument (homicide, attempted "
        "murder, threats to kill, assault with injury or intent, robbery, rape, sexual assault), "
        "financial years labelled by the year they end in.",
        f"NDQIS method, the whole series from one edition ({ed.label}, {tidy['table'].iloc[0]}); "
        "not comparable with editions up to YE Dec 2019 (each force's own flagging).",
    ]
    if len(gaps):
        listed = sorted({f"{areas.name(c)} FY{y - 1}/{str(y)[2:]}" for c, y in _pairs(gaps)})
        notes.append(
            f"{len(gaps)} force-year(s) not published ('[x]' or blank): missing, never zero: "
            + ", ".join(listed)
            + "."
        )
    if breaks:
        notes.append(
            "The edition's notes say earlier years are not comparable for: "
            + listed_breaks
            + (
                "; those earlier years are left missing here (comparable_only)."
                if comparable_only
                else "; the values are as published (comparable_only=True leaves them missing)."
            )
        )
    return Panel.from_frame(
        frame,
        frequency="financial_year",
        measure="count",
        geography="force",
        sources=[ons_pfa_tables._source(ed, f"Table {tidy['table'].iloc[0]} (knife offences)")],
        notes=notes,
    )


def _pairs(d: pd.DataFrame) -> list[tuple[str, int]]:
    return list(zip(d["force_code"], d["fy_end"].astype(int), strict=True))


# -- homicide: the Homicide column of P1 (this year) and P4 (previous year) ------------------
_OFFENCE_TABLE = r"police recorded crime by offence group .*number of offences"


def _year_table_fy(table: Table) -> int | None:
    """The financial year (end year) a whole-year offence table covers, from its title."""
    if re.search(r"jan\s*-\s*mar|\(jan", table.title, re.IGNORECASE):
        return None  # the quarter tables (P1a)
    found = _YEAR_END.findall(table.title)
    if not found:
        return None
    month, year = found[-1]
    return int(year) if month.lower().startswith("mar") else None


def homicide_financial_years(files: Sequence[Path | str]) -> pd.DataFrame:
    """Homicide by area and financial year from P1 and P4 of each YE March edition given.

    Columns: edition, table, area_code, area_name, geo_level, force_code, fy_end, homicide,
    suppressed, unavailable, raw_value. Every publication of a year is a row (revisions are
    visible); :func:`homicide_panel` keeps the newest.
    """
    parts = []
    for f in files:
        ed = ons_pfa_tables.open_edition(f)
        if ed.end.month != 3:
            raise ValueError(
                f"{Path(f).name} is the {ed.label} edition: homicide by financial year needs the "
                "YE March editions (others are rolling years ending in other months)"
            )
        tables: list[tuple[Table, int]] = []
        for t in ed.find(_OFFENCE_TABLE):
            year = _year_table_fy(t)
            if year is not None:
                tables.append((t, year))
        if not tables:
            raise LayoutError(
                ed.file, "a whole-year offence-group table (P1) for year ending March"
            )
        for t, fy in tables:
            parts.append(_homicide_column(ed, t, fy))
    if not parts:
        raise ValueError("no files given")
    return pd.concat(parts, ignore_index=True)


def _homicide_column(ed: Edition, table: Table, fy: int) -> pd.DataFrame:
    head = _header_row(table)
    header = [common.clean_label(c) if c is not None else "" for c in table.rows[head]]
    cols = [j for j, h in enumerate(header) if h.lower() == "homicide"]
    if len(cols) != 1:
        raise LayoutError(ed.file, f"one 'Homicide' column in table {table.number}", str(header))
    j = cols[0]
    records = []
    for row, area in _area_rows(ed, table, head):
        cell = row[j] if j < len(row) else None
        value = common.parse_value(cell)
        raw = "" if cell is None else str(cell)
        records.append((*area, fy, value.value, value.suppressed, value.unavailable, raw))
    return pd.DataFrame(records, columns=[*_AREA, "fy_end", "homicide", *_FLAGS])


def homicide_panel(files: Sequence[Path | str]) -> Panel:
    """Police recorded homicide by force and financial year, newest publication of each year.

    Parameters
    ----------
    files : paths
        YE March editions of the PFA tables (YE Mar 2021-2024 give FY2019/20-FY2023/24: each
        edition's P1 and its previous-year P4).
    """
    eds = sorted((ons_pfa_tables.open_edition(f) for f in files), key=lambda e: e.end)
    tidy = homicide_financial_years([e.file for e in eds])
    d = tidy.loc[tidy["force_code"].notna()]
    frame = pd.DataFrame(
        {
            "unit": d["force_code"].to_numpy(),
            "period": [_fy_period(y) for y in d["fy_end"]],
            "outcome": "homicide",
            "value": d["homicide"].to_numpy(dtype=float),
            "suppressed": d["suppressed"].to_numpy(dtype=bool),
            "unavailable": d["unavailable"].to_numpy(dtype=bool),
        }
    )
    rank = d["edition"].map(ons_pfa_tables._edition_rank).to_numpy()
    frame, revised = ons_pfa_tables._latest_wins(frame, rank)
    notes = [
        "Police recorded homicide (all ages; no domestic/non-domestic split), financial years "
        "labelled by the year they end in.",
        "Each year from the newest edition publishing it (P4, 'previous year', of the next "
        "edition; P1 of the last): " + ", ".join(e.label for e in eds) + ".",
    ]
    if revised:
        notes.append(f"{revised} force-year(s) revised between editions: newest kept.")
    return Panel.from_frame(
        frame,
        frequency="financial_year",
        measure="count",
        geography="force",
        sources=[ons_pfa_tables._source(e, "Tables P1 and P4 (homicide)") for e in eds],
        notes=notes,
    )
