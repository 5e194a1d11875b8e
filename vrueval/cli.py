"""The ``vrueval`` command line: areas, datasets, validate, data load, run, render, verify.

Exit codes: 0 success, 1 the input or a check failed (the message says which), 2 usage errors,
130 interrupted (Ctrl-C: one line, no traceback; files are written atomically, so none is left
half-written). Results go to stdout, errors to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from vrueval import areas
from vrueval.analysis.output import OutputError
from vrueval.compute import TaskError
from vrueval.data import datasets
from vrueval.data.panel import FREQUENCIES, GEOGRAPHIES, MEASURES, Panel, PanelError
from vrueval.options import parse_assignments

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A failure to report on stderr with exit code 1."""


def _print_table(frame: pd.DataFrame) -> None:
    with pd.option_context(
        "display.max_rows", None, "display.width", 200, "display.max_colwidth", 80
    ):
        print(frame.to_string(index=False))


def cmd_areas(args: argparse.Namespace) -> int:
    if args.resolve:
        for name in args.resolve:
            print(f"{areas.resolve(name, args.kind)}\t{name}")
        return 0
    table = areas.table(args.kind)
    if args.cohort == "2019":
        table = table[table["code"].isin(areas.vru_2019())]
    elif args.cohort == "2022":
        table = table[table["code"].isin(areas.vru_2022())]
    elif args.cohort == "comparators":
        table = table[table["code"].isin(areas.comparators())]
    if args.csv:
        table.to_csv(sys.stdout, index=False)
    else:
        _print_table(table)
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    if args.name:
        meta = datasets.manifest().get(args.name)
        if meta is None:
            raise CommandError(
                f"unknown dataset {args.name!r}; bundled: {sorted(datasets.manifest())}"
            )
        print(f"{args.name}: {meta['description']}")
        for source in meta["sources"]:
            print(f"  source: {source['publisher']}, {source['title']} ({source['edition']})")
            print(f"          {source['file']} sha256={source['sha256']}")
        for note in meta["notes"]:
            print(f"  note: {note}")
        return 0
    _print_table(datasets.catalogue())
    return 0


def read_table(path: Path) -> pd.DataFrame:
    """Read a long panel file (.csv, .csv.gz or .parquet) without interpreting its values."""
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith(".parquet"):
        return pd.read_parquet(path)
    if suffixes.endswith((".csv", ".csv.gz")):
        # Read as text so '..', '[x]' and friends reach the validator unaltered.
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    raise CommandError(f"{path}: expected a .csv, .csv.gz or .parquet file")


def cmd_validate(args: argparse.Namespace) -> int:
    frame = read_table(Path(args.file))
    panel = Panel.from_frame(
        frame, frequency=args.frequency, measure=args.measure, geography=args.geography
    )
    print(f"{args.file}: valid — {panel!r}")
    cover = panel.coverage()
    _print_table(cover)
    missing = panel.missing()
    if len(missing):
        print(f"\n{len(missing)} missing cell(s) kept missing (never zero):")
        _print_table(missing.head(20))
    return 0


def cmd_data_load(args: argparse.Namespace) -> int:
    from vrueval.data import loaders
    from vrueval.data.storage import write_panel

    out = Path(args.out)
    if out.is_dir() or out.suffix.lower() != ".parquet":
        raise CommandError(f"--out {out}: give the path of a .parquet file to write")
    panel = loaders.load(args.format, [Path(f) for f in args.files])
    write_panel(panel, out)
    print(f"wrote {out}: {panel!r} with {len(panel.sources)} source(s) and their SHA-256")
    print(f'read it back in a spec: files = [{str(out)!r}], format = "vrueval-panel"')
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from vrueval import analysis

    path, result = analysis.run_file(
        Path(args.spec),
        Path(args.out),
        progress=not args.quiet,
        force=args.force,
        allowed_dirs=[Path(d) for d in args.allow_path or []],
        compute=_compute(args),
        files=[Path(f) for f in args.data or []],
    )
    print(f"wrote {path}\n")
    _print_table(result.effects())
    for warning in result.warnings:
        print(f"warning: {warning}")
    return 0


def _allow_path_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-path",
        action="append",
        metavar="DIR",
        help="let the spec read data files under DIR, outside the project (repeatable)",
    )


def _compute_options(parser: argparse.ArgumentParser, what: str) -> None:
    from vrueval.compute import BACKENDS

    group = parser.add_argument_group(
        "parallel work", f"{what}; these replace a spec's [compute] table, never the numbers"
    )
    group.add_argument(
        "--jobs", type=int, metavar="N", help="workers: local processes, or Dask/Ray workers"
    )
    group.add_argument("--backend", choices=BACKENDS, help="engine (default loky: processes)")
    group.add_argument(
        "--address", help="a running Dask scheduler (tcp://host:8786) or Ray head to use"
    )


def _compute(args: argparse.Namespace) -> dict[str, object]:
    given = {"jobs": args.jobs, "backend": args.backend, "address": args.address}
    return {k: v for k, v in given.items() if v is not None}


def cmd_power(args: argparse.Namespace) -> int:
    import json

    from vrueval.analysis.output import check_writable
    from vrueval.power import from_spec
    from vrueval.results import to_jsonable

    if args.out:
        check_writable(Path(args.out))  # before the simulations, not after
    allowed = [Path(d) for d in args.allow_path or []]
    overrides = parse_assignments(args.set or [], "--set")
    result = from_spec(Path(args.spec), allowed, compute=_compute(args), **overrides)
    print(result.summary())
    if args.out:
        from vrueval import atomic

        out = Path(args.out)
        atomic.write_text(
            out / "power.json", json.dumps(to_jsonable(result.to_dict()), indent=2) + "\n"
        )
        import matplotlib

        matplotlib.use("Agg")
        ax = result.plot()
        with atomic.writing(out / "power_curve.png") as tmp:
            ax.figure.savefig(tmp, format="png", dpi=144, bbox_inches="tight")
        print(f"wrote {out / 'power.json'} and {out / 'power_curve.png'}")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    import os

    from vrueval.compute.settings import ENVIRONMENT, current
    from vrueval.render import render_project
    from vrueval.render.params import ParameterError, parse_assignments
    from vrueval.render.project import RenderError

    # the reports' kernels are other processes: they read the settings from the environment
    settings = current().override(**_compute(args)).to_dict()  # type: ignore[arg-type]
    for key, var in ENVIRONMENT.items():
        if settings[key] is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = str(settings[key])
    try:
        outputs = render_project(
            Path(args.root),
            Path(args.out),
            formats=tuple(args.format),
            force=args.force,
            reports=args.reports or None,
            params=parse_assignments(args.param),
        )
    except (RenderError, ParameterError) as err:
        print(f"vrueval render: {err}", file=sys.stderr)
        return 1
    for path in outputs:
        print(path)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from vrueval import analysis
    from vrueval.analysis.spec import find_supplied_specs, load_spec
    from vrueval.analysis.verify import skipped_note

    compute: dict[str, Any] = _compute(args)
    names = args.analyses or None
    root = Path(args.root)
    files = [Path(f) for f in args.data or []]
    if args.record:
        for path in analysis.record(root, names=names, progress=True, files=files, **compute):
            print(f"recorded {path}")
        if not names:
            skipped = [load_spec(p).name for p in find_supplied_specs(root)]
            note = skipped_note(skipped)
            if note:
                print(note)
        return 0
    report = analysis.verify(root, names=names, progress=True, files=files, **compute)
    for line in report.notes:
        print(f"note: {line}", file=sys.stderr)
    for failure in report.failures:
        print(failure, file=sys.stderr)
    for line in report.incomparable:
        print(line, file=sys.stderr)
    note = skipped_note(report.skipped)
    if note:
        print(note)
    print(report.summary())
    return 0 if report.passed else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vrueval",
        description="Evaluation designs for Violence Reduction Units, with honest inference.",
    )
    parser.add_argument("--version", action="version", version=f"vrueval {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "areas", help="list a registered geography (forces, regions, LADs, CSPs), or resolve names"
    )
    p.add_argument("--kind", choices=areas.KINDS, default="force")
    p.add_argument("--cohort", choices=["2019", "2022", "comparators"], help="filter by VRU cohort")
    p.add_argument("--resolve", nargs="+", metavar="NAME", help="print the ONS code of each NAME")
    p.add_argument("--csv", action="store_true", help="CSV output")
    p.set_defaults(handler=cmd_areas)

    p = sub.add_parser("datasets", help="list the bundled real datasets with coverage and source")
    p.add_argument("name", nargs="?", help="show one dataset's sources and notes")
    p.set_defaults(handler=cmd_datasets)

    p = sub.add_parser("validate", help="check a long panel file against the canonical schema")
    p.add_argument("file", help="CSV or parquet with unit, period, outcome, value columns")
    p.add_argument("--frequency", choices=FREQUENCIES, required=True)
    p.add_argument("--measure", choices=MEASURES, default="count")
    p.add_argument("--geography", choices=GEOGRAPHIES, default="force")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("data", help="read official files into the canonical panel")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    q = data_sub.add_parser("load", help="load official files of one format into a parquet panel")
    q.add_argument("--format", required=True, help="file format (see `vrueval data formats`)")
    q.add_argument("files", nargs="+", help="the official files")
    q.add_argument(
        "--out", required=True, help="output .parquet (the panel with its sources, hashes, notes)"
    )
    q.set_defaults(handler=cmd_data_load)
    q = data_sub.add_parser("formats", help="list the official formats the loaders read")
    q.set_defaults(handler=cmd_data_formats)

    p = sub.add_parser("run", help="run one analysis spec and write DIR/results.json")
    p.add_argument("spec", help="analysis TOML file")
    p.add_argument("--out", required=True, help="output directory (checked before the fit)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--force", action="store_true", help="replace the results of another analysis in --out"
    )
    p.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="read FILE instead of the spec's [data] files (data the project does not ship; "
        "repeatable)",
    )
    _allow_path_option(p)
    _compute_options(p, "placebo refits and other independent fits inside the analysis")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("power", help="power and minimum detectable effects of a planned analysis")
    p.add_argument("spec", help="analysis TOML file, optionally with a [power] section")
    p.add_argument("--out", help="directory for power.json and power_curve.png")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="replace a [power] option, e.g. --set inference=cr1 --set n_sims=2000 (repeatable)",
    )
    _allow_path_option(p)
    _compute_options(p, "the simulation's independent blocks")
    p.set_defaults(handler=cmd_power)

    p = sub.add_parser("render", help="render the reports (Quarto when on PATH, else built in)")
    p.add_argument("reports", nargs="*", help="report files (default: all in _quarto.yml)")
    p.add_argument("--root", default=".", help="project root holding _quarto.yml")
    p.add_argument("--out", default="_site", help="output directory")
    p.add_argument("--format", action="append", choices=["html", "pdf"], default=None)
    p.add_argument("--force", action="store_true", help="re-execute even when cached")
    p.add_argument(
        "--param",
        "-P",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help='set a parameter of the named report, e.g. --param area="Merseyside" (repeatable)',
    )
    _compute_options(
        p, "documents side by side, and the work inside each (its kernel reads VRUEVAL_JOBS)"
    )
    p.set_defaults(handler=cmd_render)

    p = sub.add_parser("verify", help="rerun every analysis and compare with the recorded numbers")
    p.add_argument("analyses", nargs="*", help="analysis names (default: all)")
    p.add_argument("--root", default=".", help="project root holding analyses/")
    p.add_argument("--record", action="store_true", help="record the current numbers instead")
    p.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="your copy of the data of the one analysis named, for a spec in analyses/supplied/ "
        "(data the project does not ship; compared only if its sha256 is the one recorded; "
        "repeatable)",
    )
    _compute_options(p, "the analyses, run side by side")
    p.set_defaults(handler=cmd_verify)
    return parser


def cmd_data_formats(args: argparse.Namespace) -> int:
    from vrueval.data import loaders

    for name, description in loaders.FORMATS.items():
        print(f"{name}\t{description}")
    return 0


def _version() -> str:
    from vrueval import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "render" and args.format is None:
        args.format = ["html", "pdf"]
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("vrueval: interrupted", file=sys.stderr)
        return 130
    except (CommandError, PanelError, areas.UnknownAreaError, OutputError, KeyError) as err:
        print(f"vrueval: error: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"vrueval: error: {err}", file=sys.stderr)
        return 1
    except (TaskError, ImportError) as err:  # a task's unpicklable error; an engine not installed
        print(f"vrueval: error: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `vrueval areas | head`
        return 0
    except OSError as err:  # a missing or unreadable file, a full disk
        print(f"vrueval: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
