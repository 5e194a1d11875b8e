"""Where `make report`'s time goes: wall and CPU time per document of `vrueval render`.

Renders the project's documents one after another (every one forced, as from a clean clone)
into a scratch site and prints, per document and variant, the wall time, the CPU time of this
process and its children (the Jupyter kernel, pandoc, typst) and the part of both spent
executing the document's code (kernel start-up included). Serial on purpose: side by side
(`make report JOBS=2`) the wall time is shared, the CPU time is not.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/profile_render.py \
        [--only area.qmd ...] [--out /tmp/profile-site]

The machine is shared: the load average is printed before and after, and CPU time is the
figure to compare between runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vrueval.render import params as params_mod
from vrueval.render import project, qmd, reference

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn: Callable[..., Any], into: list[tuple[float, float]]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), _cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            into.append((time.perf_counter() - wall, _cpu() - cpu))

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=None, help="document file names to profile")
    parser.add_argument("--out", type=Path, default=None, help="scratch site (default: a temp dir)")
    args = parser.parse_args()
    os.environ.setdefault("VRUEVAL_JOBS", "1")
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")

    config = project.load_project(ROOT)
    out = args.out or Path(tempfile.mkdtemp(prefix="vrueval-profile-"))
    rows: list[tuple[str, float, float, float, float]] = []
    if config.get("quartodoc") and not args.only:
        wall, cpu = time.perf_counter(), _cpu()
        reference.build(ROOT, config["quartodoc"])
        rows.append(("(API reference pages)", time.perf_counter() - wall, _cpu() - cpu, 0.0, 0.0))

    executions: list[tuple[float, float]] = []
    project.execute = _timed(project.execute, executions)  # type: ignore[attr-defined]
    for path in project.report_files(ROOT, config):
        if args.only and path.name not in args.only:
            continue
        for variant in params_mod.each(qmd.read(path).front_matter):
            executions.clear()
            wall, cpu = time.perf_counter(), _cpu()
            project.render_document(
                path,
                out / path.parent.relative_to(ROOT),
                force=True,
                project=config,
                cache_dir=out,
                params=variant,
                log=False,
            )
            ex_wall = sum(w for w, _ in executions)
            ex_cpu = sum(c for _, c in executions)
            label = path.relative_to(ROOT).as_posix() + (
                f" [{', '.join(map(str, variant.values()))}]" if variant else ""
            )
            rows.append((label, time.perf_counter() - wall, _cpu() - cpu, ex_wall, ex_cpu))
            print(f"  {label}: {rows[-1][1]:.1f}s wall, {rows[-1][2]:.1f}s CPU", flush=True)

    width = max(len(r[0]) for r in rows)
    heads = f"{'wall s':>7}  {'CPU s':>7}  {'exec wall':>9}  {'exec CPU':>8}"
    print(f"\n{'document':<{width}}  {heads}")
    for label, wall, cpu, ex_wall, ex_cpu in sorted(rows, key=lambda r: -r[2]):
        print(f"{label:<{width}}  {wall:7.1f}  {cpu:7.1f}  {ex_wall:9.1f}  {ex_cpu:8.1f}")
    total_wall, total_cpu = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'total':<{width}}  {total_wall:7.1f}  {total_cpu:7.1f}")
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


if __name__ == "__main__":
    main()
