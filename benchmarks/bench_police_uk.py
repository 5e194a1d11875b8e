"""Benchmark: aggregate data.police.uk street-level CSVs to force x month x crime type.

Writes N rows (default 10 million) in the real archive layout
(``YYYY-MM/YYYY-MM-<force>-street.csv`` with the 12 published columns; 43 forces x 12 months)
to a temporary folder, then times
``vrueval.data.loaders.police_uk.aggregate`` (DuckDB, 2 threads, 1 GB memory limit) and a plain
pandas read-and-groupby of the same files (``read_csv`` of the three grouping columns, concat,
``groupby().size()``), each in its own process so peak memory (max RSS) is measured apart.
Targets (issue 3): under 30 s and under 2 GB peak on 2 cores.

    python benchmarks/bench_police_uk.py [--rows 10000000] [--keep DIR]
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

FORCES = [
    "avon-and-somerset",
    "bedfordshire",
    "cambridgeshire",
    "cheshire",
    "city-of-london",
    "cleveland",
    "cumbria",
    "derbyshire",
    "devon-and-cornwall",
    "dorset",
    "durham",
    "dyfed-powys",
    "essex",
    "gloucestershire",
    "greater-manchester",
    "gwent",
    "hampshire",
    "hertfordshire",
    "humberside",
    "kent",
    "lancashire",
    "leicestershire",
    "lincolnshire",
    "merseyside",
    "metropolitan",
    "norfolk",
    "north-wales",
    "north-yorkshire",
    "northamptonshire",
    "northumbria",
    "nottinghamshire",
    "south-wales",
    "south-yorkshire",
    "staffordshire",
    "suffolk",
    "surrey",
    "sussex",
    "thames-valley",
    "warwickshire",
    "west-mercia",
    "west-midlands",
    "west-yorkshire",
    "wiltshire",
]
CRIME_TYPES = [
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
]
MONTHS = [f"2019-{m:02d}" for m in range(1, 13)]


def generate(root: Path, rows: int) -> int:
    import duckdb

    per_file = rows // (len(FORCES) * len(MONTHS))
    types = "[" + ", ".join(f"'{t}'" for t in CRIME_TYPES) + "]"
    con = duckdb.connect()
    written = 0
    for month in MONTHS:
        (root / month).mkdir(parents=True, exist_ok=True)
        for slug in FORCES:
            falls = slug.replace("-", " ").title() + " Police"
            out = root / month / f"{month}-{slug}-street.csv"
            con.execute(f"""
                COPY (
                  SELECT md5(i::VARCHAR || '{month}{slug}') AS "Crime ID", '{month}' AS "Month",
                         '{falls}' AS "Reported by", '{falls}' AS "Falls within",
                         round(-2 + random(), 6) AS "Longitude",
                         round(52 + random(), 6) AS "Latitude",
                         'On or near Station Road' AS "Location",
                         'E0100' || lpad((i % 5000)::VARCHAR, 4, '0') AS "LSOA code",
                         'Area ' || (i % 5000)::VARCHAR || 'A' AS "LSOA name",
                         {types}[1 + (hash(i) % {len(CRIME_TYPES)})::INTEGER] AS "Crime type",
                         'Investigation complete; no suspect identified' AS "Last outcome category",
                         '' AS "Context"
                  FROM range({per_file}) t(i)
                ) TO '{out}' (HEADER, DELIMITER ',')
            """)
            written += per_file
    con.close()
    return written


def worker(kind: str, root: str) -> None:
    start = time.perf_counter()
    if kind == "duckdb":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from vrueval.data.loaders import police_uk

        out = police_uk.aggregate([Path(root)], level="force", memory_limit="1GB", threads=2)
        groups = len(out)
    else:
        import pandas as pd

        files = sorted(Path(root).rglob("*-street.csv"))
        frame = pd.concat(
            (pd.read_csv(f, usecols=["Month", "Falls within", "Crime type"]) for f in files),
            ignore_index=True,
        )
        groups = len(frame.groupby(["Falls within", "Month", "Crime type"]).size())
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "groups": groups}))


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
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "ROOT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="police_uk_bench_"))
    try:
        t0 = time.perf_counter()
        rows = generate(root, args.rows)
        size = sum(f.stat().st_size for f in root.rglob("*.csv")) / 1e9
        print(
            f"wrote {rows:,} rows in {len(FORCES) * len(MONTHS)} files ({size:.2f} GB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        ours = run("duckdb", root)
        peer = run("pandas", root)
        assert ours["groups"] == peer["groups"], (ours, peer)
        print(
            f"vrueval (DuckDB, 2 threads): {ours['seconds']:.1f} s, "
            f"{rows / ours['seconds'] / 1e6:.2f} M rows/s, peak {ours['peak_mb']:.0f} MB"
        )
        print(
            f"pandas read_csv + groupby:   {peer['seconds']:.1f} s, "
            f"{rows / peer['seconds'] / 1e6:.2f} M rows/s, peak {peer['peak_mb']:.0f} MB"
        )
        print(
            f"time ratio vrueval/pandas: {ours['seconds'] / peer['seconds']:.2f}; "
            f"memory ratio: {ours['peak_mb'] / peer['peak_mb']:.2f}; "
            f"targets <30 s: {ours['seconds'] < 30}, <2 GB: {ours['peak_mb'] < 2048}"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
