"""Benchmark: police.uk street-level archive to LSOA x month x crime-type counts at national scale.

Writes synthetic files in the archive's layout (``YYYY-MM/YYYY-MM-<force>-street.csv``, the 12
published columns, a 64-hex crime ID as published) at the national density of about 6 M records a
year: 43 forces, each with its own 800 LSOA codes (34,400 in all, about England and Wales'
count), 14 crime types, about 3% of records with no location (no LSOA code) and anti-social
behaviour with no crime ID. Months are added one at a time (one DuckDB ``COPY`` per file, so the
generator's memory is one file's) until each size in ``--rows`` is reached, then the
aggregation is timed on the files written so far:

* ``lsoa-parquet``: ``police_uk.aggregate(level="lsoa", out=...parquet)``, the national path:
  DuckDB aggregates one month at a time and each month's counts go straight to the parquet
  file, never through pandas (the cells grow with the rows: tens of millions at 120 M records);
* ``force``: ``police_uk.aggregate(level="force")`` into a DataFrame (43 x months x 14 cells).

Each run is a child process (DuckDB, 2 threads, ``memory_limit="1GB"``, spilling beyond it to a
temporary folder). Peak memory is the child process tree's resident set, sampled every 50 ms with
psutil (and the child's own VmHWM, exact for the one process). Goal (issue 17): peak flat in the
row count and under 2 GB. The files are deleted afterwards unless ``--keep DIR``; a kept folder's
complete months are reused by later runs (each size reads only the months it needs).

    python benchmarks/bench_police_uk_scale.py [--rows 10000000 60000000 120000000]
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_police_uk import CRIME_TYPES, FORCES  # noqa: E402

PER_MONTH = 500_000  # about 6 M records a year, England and Wales
LSOAS_PER_FORCE = 800
MEMORY_LIMIT = "1GB"
THREADS = 2


def month_name(index: int) -> str:
    return f"{2005 + index // 12}-{index % 12 + 1:02d}"


def write_month(con: object, root: Path, index: int) -> int:
    """One month of files, one per force; returns the records written."""
    month = month_name(index)
    (root / month).mkdir(parents=True, exist_ok=True)
    per_file = PER_MONTH // len(FORCES)
    types = "[" + ", ".join(f"'{t}'" for t in CRIME_TYPES) + "]"
    for f, slug in enumerate(FORCES):
        falls = slug.replace("-", " ").title() + " Police"
        out = root / month / f"{month}-{slug}-street.csv"
        # r: one uniform draw per record, split into the crime type, the LSOA and the missing
        # location; hash() keeps every (month, force) file distinct and the run reproducible.
        con.execute(  # type: ignore[attr-defined]
            f"""
            COPY (
              WITH rows AS (
                SELECT i, hash(i, '{month}', {f}) AS h FROM range({per_file}) t(i)
              ), drawn AS (
                SELECT i, h, {types}[1 + (h % {len(CRIME_TYPES)})::INTEGER] AS crime_type,
                       ((h // 16) % {LSOAS_PER_FORCE})::INTEGER AS lsoa,
                       (h // 65536) % 100 < 3 AS nowhere
                FROM rows
              )
              SELECT CASE WHEN crime_type = 'Anti-social behaviour' THEN ''
                          ELSE sha256(h::VARCHAR) END AS "Crime ID",
                     '{month}' AS "Month", '{falls}' AS "Reported by", '{falls}' AS "Falls within",
                     CASE WHEN nowhere THEN NULL ELSE round(-2 - (h % 1000) / 1e4, 6) END
                       AS "Longitude",
                     CASE WHEN nowhere THEN NULL ELSE round(52 + (h % 997) / 1e4, 6) END
                       AS "Latitude",
                     CASE WHEN nowhere THEN 'No Location' ELSE 'On or near Station Road' END
                       AS "Location",
                     CASE WHEN nowhere THEN NULL
                          ELSE 'E01' || lpad(({f} * {LSOAS_PER_FORCE} + lsoa)::VARCHAR, 6, '0')
                     END AS "LSOA code",
                     CASE WHEN nowhere THEN NULL
                          ELSE '{falls[:-7]} ' || lpad(lsoa::VARCHAR, 3, '0') || 'A' END
                       AS "LSOA name",
                     crime_type AS "Crime type",
                     CASE WHEN crime_type = 'Anti-social behaviour' THEN ''
                          ELSE 'Investigation complete; no suspect identified' END
                       AS "Last outcome category",
                     '' AS "Context"
              FROM drawn
            ) TO '{out}' (HEADER, DELIMITER ',')
            """
        )
    return per_file * len(FORCES)


def worker(kind: str, listing: str) -> None:
    from vrueval.data.loaders import police_uk

    folders = [Path(p) for p in Path(listing).read_text().split("\n") if p]
    start = time.perf_counter()
    if kind == "lsoa-parquet":
        out = Path(listing).with_suffix(".parquet")
        got = police_uk.aggregate(
            folders, level="lsoa", memory_limit=MEMORY_LIMIT, threads=THREADS, out=out
        )
        seconds = time.perf_counter() - start
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        assert isinstance(got, Path)
        # the check streams the counts (one row group, a month, at a time): read whole, tens of
        # millions of counts would themselves set the peak (1,128 MB at 60 M rows)
        counts = pq.ParquetFile(got)
        cells = counts.metadata.num_rows
        total = sum(
            int(pc.sum(b.column(0)).as_py() or 0) for b in counts.iter_batches(columns=["count"])
        )
        got.unlink()
    else:
        frame = police_uk.aggregate(
            folders, level="force", memory_limit=MEMORY_LIMIT, threads=THREADS
        )
        seconds = time.perf_counter() - start
        assert not isinstance(frame, Path)
        cells, total = len(frame), int(frame["count"].sum())
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "hwm_mb": hwm, "cells": cells, "rows": total}))


def run(kind: str, listing: Path) -> dict[str, float]:
    """The worker in a child process; its tree's peak resident memory sampled every 50 ms."""
    import psutil

    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", kind, str(listing)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parent = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{kind} worker failed:\n{err}")
    got = json.loads(out.strip().splitlines()[-1])
    got["tree_peak_mb"] = peak / 2**20
    return got  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000_000, 60_000_000, 120_000_000])
    ap.add_argument("--kinds", nargs="+", default=["lsoa-parquet", "force"])
    ap.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "LISTING"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    import duckdb

    root = args.keep or Path(tempfile.mkdtemp(prefix="police_uk_scale_"))
    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"threads": THREADS})
    per_month = (PER_MONTH // len(FORCES)) * len(FORCES)
    # --keep on a folder of an earlier run: reuse its complete months (every force's file) from
    # the first on; the rest are (re)written. Each size reads the months it needs, no more.
    complete = 0
    while len(list((root / month_name(complete)).glob("*-street.csv"))) == len(FORCES):
        complete += 1
    complete = max(0, complete - 1)  # the last may have been cut short mid-file: rewritten
    generating = 0.0
    print(
        f"DuckDB {duckdb.__version__}, {THREADS} threads, memory_limit {MEMORY_LIMIT}; peak = "
        "child tree RSS sampled every 50 ms (VmHWM of the child beside it)"
    )
    try:
        for target in sorted(args.rows):
            months = -(-target // per_month)
            t0 = time.perf_counter()
            while complete < months:
                write_month(con, root, complete)
                complete += 1
            generating += time.perf_counter() - t0
            written = months * per_month
            folders = [root / month_name(i) for i in range(months)]
            listing = root.parent / f"{root.name}-{target}.txt"
            listing.write_text("\n".join(str(f) for f in folders))
            size = sum(f.stat().st_size for d in folders for f in d.iterdir()) / 1e9
            print(
                f"\n{written:,} rows, {months} months x {len(FORCES)} forces = "
                f"{months * len(FORCES):,} files, {size:.1f} GB (written in {generating:.0f} s)"
            )
            for kind in args.kinds:
                r = run(kind, listing)
                assert r["rows"] == written, (kind, r, written)
                print(
                    f"  {kind:13s} {r['seconds']:7.1f} s  {written / r['seconds'] / 1e6:5.2f} M "
                    f"rows/s  peak {r['tree_peak_mb']:6.0f} MB (VmHWM {r['hwm_mb']:6.0f} MB)  "
                    f"{r['cells']:,} cells",
                    flush=True,
                )
            listing.unlink()
    finally:
        con.close()
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
