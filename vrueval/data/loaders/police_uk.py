"""data.police.uk street-level crime archive, aggregated with DuckDB (embedded, no server).

The monthly archive holds one CSV per force and month, ``YYYY-MM/YYYY-MM-<force>-street.csv``,
with the columns :data:`COLUMNS`. A decade of files is tens of millions of rows; DuckDB streams
them with a memory limit and aggregates to force x month (or LSOA x month) counts by crime type
without loading the rows into pandas.

A force-month with a file but no row of some crime type recorded none (0); a force-month with no
rows at all (no file, e.g. Greater Manchester from mid-2019) is missing, never zero.

Reference: data.police.uk, "About": street-level crime data and its anonymisation.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from vrueval import areas, atomic
from vrueval.data.loaders import common, provenance
from vrueval.data.loaders.common import LayoutError
from vrueval.data.panel import Panel

COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
Level = Literal["force", "lsoa"]


def _files(files: Sequence[Path | str]) -> list[Path]:
    out: list[Path] = []
    for f in files:
        p = Path(f)
        out.extend(sorted(p.rglob("*-street.csv")) if p.is_dir() else [p])
    if not out:
        raise LayoutError(
            files[0] if files else "?",
            "data.police.uk street-level CSVs "
            "(YYYY-MM-<force>-street.csv) or a folder holding them",
        )
    return out


def _check_header(path: Path) -> None:
    with path.open(encoding="utf-8-sig") as fh:
        header = [c.strip() for c in fh.readline().rstrip("\r\n").split(",")]
    if header != list(COLUMNS):
        raise LayoutError(
            path,
            f"a data.police.uk street-level CSV with columns {list(COLUMNS)}",
            f"columns {header}",
        )


_MONTH_FILE = re.compile(r"^(\d{4}-(?:0[1-9]|1[0-2]))-.+-street\.csv$")


def _by_month(paths: Sequence[Path]) -> dict[str, list[Path]]:
    """The files grouped by the month in their names (``YYYY-MM-<force>-street.csv``), in order."""
    groups: dict[str, list[Path]] = {}
    for p in paths:
        m = _MONTH_FILE.match(p.name)
        if m is None:
            raise LayoutError(
                p,
                "a data.police.uk street-level CSV named YYYY-MM-<force>-street.csv "
                "(the month is read from the name)",
                f"the name {p.name!r}",
            )
        groups.setdefault(m.group(1), []).append(p)
    return dict(sorted(groups.items()))


def aggregate(
    files: Sequence[Path | str],
    level: Level = "force",
    memory_limit: str = "1GB",
    threads: int | None = None,
    out: Path | str | None = None,
    temp_directory: Path | str | None = None,
) -> pd.DataFrame | Path:
    """Counts of rows by (force name or LSOA code) x month x crime type.

    Columns: ``falls_within`` (or ``lsoa_code``; records without a location have no LSOA code
    and are counted under a missing one), ``month`` ('YYYY-MM'), ``crime_type``, ``count``.
    Every file's header is checked first.

    The archive is partitioned by month (``YYYY-MM-<force>-street.csv``) and no count spans two
    months, so DuckDB aggregates one month's files at a time, each file read once: memory is one
    month's rows and cells whatever the number of months (about 450 MB for a national month
    of 500,000 records), never the whole archive's. ``memory_limit`` caps DuckDB within a
    month (spilling to ``temp_directory``, default a temporary folder removed afterwards).
    Every row of a file must be of the month in its name; a file named otherwise, or holding
    rows of another month, is refused naming the file.

    With ``out`` (a .parquet path) the counts are written there month by month, never held in
    pandas -- the national archive at LSOA level is tens of millions of cells -- sorted by
    month, then the key and crime type (one row group a month), written atomically (a failure
    leaves no partial file and any earlier file intact), and the path is returned. Otherwise the
    counts come back as a DataFrame sorted by the key, month and crime type.
    """
    import duckdb

    if level not in ("force", "lsoa"):
        raise ValueError(f"level must be one of ('force', 'lsoa'), got {level!r}")
    if out is not None and Path(out).suffix.lower() != ".parquet":
        raise ValueError(f"out must be a .parquet path, got {str(out)!r}")
    paths = _files(files)
    for p in paths:
        _check_header(p)
    months = _by_month(paths)
    key = '"Falls within"' if level == "force" else '"LSOA code"'
    name = "falls_within" if level == "force" else "lsoa_code"
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS)
    reader = f"read_csv(?, header = true, columns = {{{types}}}, quote = '\"', escape = '\"'"
    query = f"""
        SELECT {key} AS {name}, "Month" AS month, "Crime type" AS crime_type,
               count(*) AS count
        FROM {reader}, union_by_name = false)
        GROUP BY ALL ORDER BY 1, 2, 3
    """
    # Only on the error path: which file holds rows of another month.
    stray = f"""
        SELECT filename, "Month", count(*) FROM {reader}, filename = true)
        WHERE "Month" IS DISTINCT FROM ? GROUP BY ALL ORDER BY 1, 2 LIMIT 1
    """

    def month_counts(
        con: duckdb.DuckDBPyConnection, month: str, group: list[Path], arrow: bool
    ) -> Any:
        result = con.sql(query, params=[[str(p) for p in group]])
        counts = result.to_arrow_table() if arrow else result.df()  # .df(): types as before
        found = counts.column("month").to_pylist() if arrow else counts["month"]
        if set(found) - {month}:
            path, found, n = con.execute(stray, [[str(p) for p in group], month]).fetchone()  # type: ignore[misc]
            raise LayoutError(
                Path(path),
                f"rows of month {month} only (the month in the file's name)",
                f"{n} row(s) of month {found!r}",
            )
        return counts

    with tempfile.TemporaryDirectory(prefix="vrueval-duckdb-") as spill:
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": memory_limit,
            "temp_directory": str(temp_directory or spill),
            "preserve_insertion_order": False,  # lets large reads stream; ORDER BY still holds
        }
        con = duckdb.connect(config=config)
        try:
            if threads is not None:
                con.execute(f"SET threads = {int(threads)}")
            if out is None:
                parts = [month_counts(con, m, g, arrow=False) for m, g in months.items()]
                frame = pd.concat(parts, ignore_index=True)
                # DuckDB's order across months: NULL keys last, strings by code point
                return frame.sort_values(
                    [name, "month", "crime_type"], na_position="last", ignore_index=True
                )
            import pyarrow.parquet as pq

            target = Path(out)
            with atomic.writing(target) as tmp:
                writer: pq.ParquetWriter | None = None
                try:
                    for m, g in months.items():
                        table = month_counts(con, m, g, arrow=True)
                        if writer is None:
                            writer = pq.ParquetWriter(tmp, table.schema)
                        writer.write_table(table)
                finally:
                    if writer is not None:
                        writer.close()
            return target
        finally:
            con.close()


def panel(
    files: Sequence[Path | str], memory_limit: str = "1GB", threads: int | None = None
) -> Panel:
    """Monthly counts by force, one outcome per crime type (``violence_and_sexual_offences``...)."""
    paths = _files(files)
    counts = aggregate(paths, "force", memory_limit, threads)
    assert isinstance(counts, pd.DataFrame)
    memo: dict[str, str] = {}
    unknown = []
    for force in counts["falls_within"].unique():
        try:
            memo[force] = areas.resolve(force)
        except areas.UnknownAreaError:
            unknown.append(force)  # British Transport Police, Police Service of Northern Ireland
    counts = counts.loc[counts["falls_within"].isin(list(memo))]
    frame = pd.DataFrame(
        {
            "unit": counts["falls_within"].map(memo),
            "period": pd.PeriodIndex(counts["month"], freq="M"),
            "outcome": counts["crime_type"].map(common.slug),
            "value": counts["count"].astype(float),
        }
    )
    reported = frame[["unit", "period"]].drop_duplicates()
    outcomes = pd.DataFrame({"outcome": frame["outcome"].unique()})
    full = reported.merge(outcomes, how="cross").merge(
        frame, how="left", on=["unit", "period", "outcome"]
    )
    full["value"] = full["value"].fillna(0.0)  # a reported force-month without that crime type
    full = common.complete_grid(full, common.period_range(full["period"], 1))
    missing = int(full["value"].isna().sum())
    notes = [
        "Counts of street-level crime records (anonymised locations) by the force they fall "
        "within.",
        "A force-month with no records at all is missing, never zero.",
        f"{len(paths)} file(s) read.",
    ]
    if unknown:
        notes.append(f"Not territorial force areas, dropped: {', '.join(sorted(unknown))}.")
    if missing:
        notes.append(f"{missing} force-month cell(s) with no records are missing.")
    months = sorted(counts["month"].unique())
    edition = f"{months[0]} to {months[-1]}" if months else "empty"
    sources = (
        [
            provenance.source(p, "data.police.uk (Home Office)", "Street-level crime data", edition)
            for p in paths
        ]
        if len(paths) <= 50
        else [
            provenance.source(
                paths[0],
                "data.police.uk (Home Office)",
                "Street-level crime data",
                f"{edition}; {len(paths)} files, first shown",
            )
        ]
    )
    return Panel.from_frame(full, frequency="month", sources=sources, notes=notes)


#: The derived outcome of :func:`lsoa_panel`: every crime type but anti-social behaviour.
ALL_CRIME = "all_crime_excl_asb"
_ASB = "Anti-social behaviour"


def lsoa_panel(
    files: Sequence[Path | str], memory_limit: str = "1GB", threads: int | None = None
) -> Panel:
    """Monthly counts by LSOA (geography ``"lsoa"``), one outcome per crime type, plus
    ``all_crime_excl_asb`` (every crime type but anti-social behaviour, flagged derived).

    The LSOA is the one police.uk snapped the anonymised location to, which can lie outside the
    force's own area (a City of London record near the boundary falls in a Westminster or Tower
    Hamlets LSOA): select the LSOAs a design needs. Records without a location (no LSOA code)
    cannot enter an LSOA panel; how many were left out is in the notes. A month in which the
    files hold some record is reported: an LSOA without a record of a crime type that month
    recorded none (0). A month with no record at all (no file) is missing, never zero.
    """
    paths = _files(files)
    counts = aggregate(paths, "lsoa", memory_limit, threads)
    assert isinstance(counts, pd.DataFrame)
    located = counts["lsoa_code"].notna()
    unlocated = int(counts.loc[~located, "count"].sum())
    counts = counts.loc[located]
    frame = pd.DataFrame(
        {
            "unit": counts["lsoa_code"].astype(str),
            "period": pd.PeriodIndex(counts["month"], freq="M"),
            "outcome": counts["crime_type"].map(common.slug),
            "value": counts["count"].astype(float),
        }
    )
    crimes = frame.loc[counts["crime_type"].to_numpy() != _ASB]
    total = crimes.groupby(["unit", "period"], as_index=False)["value"].sum()
    total["outcome"] = ALL_CRIME
    frame = pd.concat([frame, total[frame.columns]], ignore_index=True)
    units = pd.DataFrame({"unit": frame["unit"].unique()})
    months = pd.DataFrame({"period": frame["period"].unique()})
    outcomes = pd.DataFrame({"outcome": frame["outcome"].unique()})
    full = (
        units.merge(months, how="cross")
        .merge(outcomes, how="cross")
        .merge(frame, how="left", on=["unit", "period", "outcome"])
    )
    full["value"] = full["value"].fillna(0.0)  # a reported month without such a record
    full["derived"] = full["outcome"] == ALL_CRIME
    full = common.complete_grid(full, common.period_range(full["period"], 1))
    missing = int(full["value"].isna().sum())
    notes = [
        "Counts of street-level crime records by the LSOA police.uk snapped each anonymised "
        "location to (which may lie outside the force's area).",
        f"{unlocated} record(s) without a location (no LSOA code) are not in the panel.",
        f"{ALL_CRIME}: every crime type but anti-social behaviour (derived).",
        "A month with no records at all is missing, never zero.",
        f"{len(paths)} file(s) read.",
    ]
    if missing:
        notes.append(f"{missing} LSOA-month cell(s) in months with no records are missing.")
    found = sorted(counts["month"].unique())
    edition = f"{found[0]} to {found[-1]}" if found else "empty"
    sources = [
        provenance.source(p, "data.police.uk (Home Office)", "Street-level crime data", edition)
        for p in paths[:50]
    ]
    if len(paths) > 50:
        notes.append(f"{len(paths)} files read; the first 50 are listed as sources.")
    return Panel.from_frame(full, frequency="month", geography="lsoa", sources=sources, notes=notes)
