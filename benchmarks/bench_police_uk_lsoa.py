"""Benchmark: police.uk street-level CSVs to an LSOA x month x crime-type count table, out of core.

Scales the real City of London files in data/ (12 months, April 2019 - March 2020, 10,013
records) up to ``--rows`` records by replicating them as renamed forces ("Copy 0001 Police",
...), each copy with its own LSOA codes so the number of groups grows with the rows as it does
nationally. Then times, each in its own process so peak memory (max RSS) is measured apart:

* ``duckdb``: ``vrueval.data.loaders.police_uk.aggregate(level="lsoa")`` into a DataFrame
  (DuckDB, 2 threads, 1 GB memory limit, spilling beyond it);
* ``duckdb-parquet``: the same query written to parquet by DuckDB (``out=``), never in pandas:
  the national-scale path, whose peak should stay flat as the rows grow;
* ``pandas``: every file read with ``read_csv`` (the three grouping columns), concatenated and
  counted with ``groupby().size()``.

    python benchmarks/bench_police_uk_lsoa.py [--rows 6000000 1200000] [--keep DIR] [--skip-pandas]
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data" / "police_uk_street_city_of_london_fy2019_20" / "raw"
REAL_ROWS = 10_013


def generate(root: Path, rows: int) -> int:
    """Copies of the real files, renamed, until ``rows`` records; returns the records written."""
    import duckdb

    sys.path.insert(0, str(ROOT))
    from vrueval.data.loaders.police_uk import COLUMNS

    copies = max(1, round(rows / REAL_ROWS))
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS)
    con = duckdb.connect()
    files = [str(f) for f in sorted(REAL.glob("*-street.csv"))]
    con.execute(
        f"CREATE TABLE real AS SELECT * FROM read_csv(?, header = true, columns = {{{types}}})",
        [files],
    )
    force = "'Copy ' || lpad(k::VARCHAR, 4, '0') || ' Police'"
    renamed = {
        "Reported by": force,
        "Falls within": force,
        "LSOA code": "\"LSOA code\" || '-' || lpad(k::VARCHAR, 4, '0')",  # each copy its areas
    }
    select = ", ".join(f'{renamed.get(c, f"{chr(34)}{c}{chr(34)}")} AS "{c}"' for c in COLUMNS)
    staging = root / "staging"
    # one query writes every copy, one CSV a (month, copy); renamed below to the archive layout
    con.execute(
        f'COPY (SELECT {select}, "Month" AS part_month, k AS part_copy '
        f"FROM real CROSS JOIN range({copies}) t(k)) "
        f"TO '{staging}' (FORMAT csv, HEADER, PARTITION_BY (part_month, part_copy))"
    )
    for part in staging.glob("part_month=*/part_copy=*/*.csv"):
        month = part.parent.parent.name.split("=", 1)[1]
        k = int(part.parent.name.split("=", 1)[1])
        (root / month).mkdir(parents=True, exist_ok=True)
        part.rename(root / month / f"{month}-copy-{k:04d}-street.csv")
    shutil.rmtree(staging)
    con.close()
    return copies * REAL_ROWS


def worker(kind: str, root: str) -> None:
    start = time.perf_counter()
    if kind.startswith("duckdb"):
        sys.path.insert(0, str(ROOT))
        import pandas as pd

        from vrueval.data.loaders import police_uk

        out = Path(root).parent / f"{Path(root).name}-counts.parquet"
        got = police_uk.aggregate(
            [Path(root)],
            level="lsoa",
            memory_limit="1GB",
            threads=2,
            out=out if kind == "duckdb-parquet" else None,
        )
        if isinstance(got, pd.DataFrame):
            groups, total = len(got), int(got["count"].sum())
        else:
            import pyarrow.parquet as pq

            meta = pq.read_metadata(got)
            groups = meta.num_rows
            total = int(pq.read_table(got, columns=["count"]).column(0).to_numpy().sum())
            out.unlink()
    else:
        import pandas as pd

        files = sorted(Path(root).rglob("*-street.csv"))
        frame = pd.concat(
            (
                pd.read_csv(f, usecols=["Month", "LSOA code", "Crime type"], dtype=str)
                for f in files
            ),
            ignore_index=True,
        )
        sizes = frame.groupby(["LSOA code", "Month", "Crime type"], dropna=False).size()
        groups, total = len(sizes), int(sizes.sum())
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "groups": groups, "rows": total}))


def _peak_mb() -> float:
    """This process's peak resident memory: VmHWM, which (unlike ru_maxrss, kept across exec on
    Linux) does not inherit the parent's peak."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(kind: str, root: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[6_000_000])
    ap.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    ap.add_argument("--skip-pandas", action="store_true", help="time DuckDB only")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "ROOT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    for rows in args.rows:
        root = args.keep or Path(tempfile.mkdtemp(prefix="police_uk_lsoa_bench_"))
        try:
            t0 = time.perf_counter()
            kept = len(list(root.rglob("*-street.csv"))) // 12
            written = kept * REAL_ROWS if kept else generate(root, rows)  # --keep: reuse
            n_files = len(list(root.rglob("*.csv")))
            size = sum(f.stat().st_size for f in root.rglob("*.csv")) / 1e9
            print(
                f"\n{written:,} rows in {n_files} files ({size:.2f} GB), written in "
                f"{time.perf_counter() - t0:.1f} s"
            )
            kinds = ["duckdb-parquet", "duckdb"] + ([] if args.skip_pandas else ["pandas"])
            results = {kind: run(kind, root) for kind in kinds}
            for kind, r in results.items():
                assert r["rows"] == written, (kind, r)
                assert r["groups"] == results["duckdb-parquet"]["groups"], (kind, r)
                print(
                    f"  {kind:15s} {r['seconds']:6.1f} s  {written / r['seconds'] / 1e6:5.2f} M "
                    f"rows/s  peak {r['peak_mb']:6.0f} MB  ({r['groups']:,} LSOA-month-type cells)"
                )
        finally:
            if args.keep is None:
                shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
