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

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

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
    and are counted under a missing one), ``month`` ('YYYY-MM'), ``crime_type``, ``count``,
    sorted by the first three. Every file's header is checked first; DuckDB reads them all in
    one streaming query.

    Memory is bounded whatever the number of files: DuckDB keeps to ``memory_limit`` and spills
    the grouping and sorting beyond it to ``temp_directory`` (default: a temporary folder,
    removed afterwards). With ``out`` (a .parquet path) the counts are written there by DuckDB,
    never held in pandas -- the national archive at LSOA level is millions of cells -- and the
    path is returned; otherwise the counts come back as a DataFrame.
    """
    import duckdb

    if level not in ("force", "lsoa"):
        raise ValueError(f"level must be one of ('force', 'lsoa'), got {level!r}")
    if out is not None and Path(out).suffix.lower() != ".parquet":
        raise ValueError(f"out must be a .parquet path, got {str(out)!r}")
    paths = _files(files)
    for p in paths:
        _check_header(p)
    key = '"Falls within"' if level == "force" else '"LSOA code"'
    name = "falls_within" if level == "force" else "lsoa_code"
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS)
    query = f"""
        SELECT {key} AS {name}, "Month" AS month, "Crime type" AS crime_type,
               count(*) AS count
        FROM read_csv(?, header = true, columns = {{{types}}}, quote = '"', escape = '"',
                      union_by_name = false)
        GROUP BY ALL ORDER BY 1, 2, 3
    """
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
            args = [[str(p) for p in paths]]
            if out is None:
                return con.execute(query, args).df()
            target = Path(out)
            with atomic.writing(target) as tmp:
                quoted = str(tmp).replace("'", "''")
                con.execute(f"COPY ({query}) TO '{quoted}' (FORMAT parquet)", args)
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
