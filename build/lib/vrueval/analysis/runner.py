"""Run a spec: load its data, set up its design, fit, and write results.json with provenance."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vrueval import atomic
from vrueval.analysis.output import RESULTS, claimed
from vrueval.analysis.spec import Spec, SpecError, accepted, design_class, load_spec
from vrueval.compute import using
from vrueval.data import datasets
from vrueval.data.panel import Panel
from vrueval.results import Result, runtime_versions, to_jsonable

if TYPE_CHECKING:
    from vrueval.sensitivity.result import SensitivityResult


def load_panel(spec: Spec) -> Panel:
    """The spec's data as a validated panel, narrowed to its outcome, units and window."""
    data = spec.data
    if "dataset" in data:
        panel = datasets.load(data["dataset"], **data.get("dataset_options", {}))
    else:
        from vrueval.data import loaders

        missing = [str(f) for f in spec.files if not f.exists()]
        if missing:
            raise SpecError(
                f"{spec.path}: data file(s) not found: {missing}; a file the project does not "
                "ship is given on the command line: vrueval run SPEC --data FILE"
            )
        panel = loaders.load(data["format"], spec.files, **data.get("format_options", {}))
    if "fill_suppressed" in data:
        for fill in suppressed_fills(spec):
            panel = panel.fill_suppressed(outcome=data["outcome"], **fill)
    if "non_overlapping_month" in data:
        panel = panel.non_overlapping(int(data["non_overlapping_month"]))
    if "periods" in data:
        panel = panel.at(data["periods"])
    return panel.select(
        outcome=data["outcome"],
        units=data.get("units"),
        start=data.get("start"),
        end=data.get("end"),
    )


def suppressed_fills(spec: Spec) -> list[dict[str, Any]]:
    """The spec's ``[data] fill_suppressed`` as a list of ``{value, start, end}`` fills.

    A number fills every suppressed cell of the outcome with it; a table ``{ value = 7, end =
    "2019-09" }`` (or a list of them) fills only the cells in its periods. A sensitivity
    analysis of censored cells (HES withholds 1-7): the main analysis leaves them missing.
    """
    given = spec.data["fill_suppressed"]
    items = given if isinstance(given, list) else [given]
    fills: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = {"value": item}
        if (
            not isinstance(item, dict)
            or "value" not in item
            or set(item) - {"value", "start", "end"}
        ):
            raise SpecError(
                f"{spec.path}: [data] fill_suppressed must be a number, a table "
                f"{{ value = N, start = PERIOD, end = PERIOD }} or a list of such tables, got "
                f"{given!r}"
            )
        fills.append(dict(item))
    return fills


def panel_sha256(panel: Panel) -> str:
    """Hash of the panel's canonical content: changes whenever any number or flag changes."""
    frame = panel.data
    frame["period"] = frame["period"].astype(str)
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def git_commit(path: Path) -> str:
    """The commit of the repository holding ``path`` (with '+dirty' for local changes)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def fit(
    spec: Spec, panel: Panel | None = None, compute: Mapping[str, Any] | None = None
) -> tuple[Result, Panel]:
    """Fit the spec's design on its data (or on ``panel``, e.g. a sensitivity variant of it);
    returns the frozen result and the panel used.

    Parallel work inside the fit (placebo refits) runs as the spec's ``[compute]`` table says,
    with the settings in ``compute`` (jobs, backend, address: the command line's) replacing it.
    """
    panel = load_panel(spec) if panel is None else panel
    cls = design_class(spec.design)
    options = dict(spec.design_options)
    if "outcome" in (accepted(cls, "design") or ()):
        options.setdefault("outcome", spec.data["outcome"])
    design = cls(panel, **options)
    fit_options: dict[str, Any] = dict(spec.fit_options)
    fit_options.setdefault("level", spec.level)
    if spec.seed is not None and "seed" in (accepted(cls, "fit") or ()):
        fit_options.setdefault("seed", spec.seed)
    with using(spec.compute.override(**(compute or {}))):
        result = design.fit(**fit_options)
    return result, panel


def run_spec(spec: Spec, compute: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run one spec and return the results document (what results.json holds); ``compute``
    as for :func:`fit`."""
    result, panel = fit(spec, compute=compute)
    return build_document(spec, result, panel)


def sensitivity(spec: Spec, result: Result) -> SensitivityResult | None:
    """The spec's ``[sensitivity]`` analysis of a fitted result (None without the section):
    :func:`vrueval.sensitivity.honest_did` with the section's options and the spec's level and
    seed."""
    if not spec.sensitivity_options:
        return None
    from vrueval.sensitivity import honest_did

    options = {**spec.sensitivity_options, "level": spec.level}
    if spec.seed is not None:
        options["seed"] = spec.seed
    return honest_did(result, **options)


def build_document(
    spec: Spec,
    result: Result,
    panel: Panel,
    sensitivity_result: SensitivityResult | None = None,
) -> dict[str, Any]:
    """The results document of a fitted spec: effects, the result's views, provenance, and the
    ``[sensitivity]`` analysis (``sensitivity_result`` when the caller has already run it)."""
    body = result.to_dict()
    document = {
        "analysis": {
            "name": spec.name,
            "title": spec.title,
            "design": spec.design,
            "spec_file": spec.path.name,
            "spec_sha256": spec.sha256,
            "seed": spec.seed,
            "level": spec.level,
        },
        "effects": body.pop("effects"),
        "result": body,
        "provenance": {
            "data": {
                "panel_sha256": panel_sha256(panel),
                "frequency": panel.frequency,
                "units": list(panel.units),
                "periods": [str(panel.periods[0]), str(panel.periods[-1])],
                "sources": [s.to_dict() for s in panel.sources],
                "notes": list(panel.notes),
            },
            "versions": runtime_versions(),
            "git_commit": git_commit(spec.path.parent),
        },
    }
    if spec.sensitivity_options:
        sens = sensitivity_result or sensitivity(spec, result)
        assert sens is not None
        document["sensitivity"] = sens.to_dict()
    out: dict[str, Any] = to_jsonable(document)
    return out


def write_results(document: dict[str, Any], out: Path) -> Path:
    """Write ``out/results.json`` atomically (the previous file stays whole until replaced)."""
    path = out / RESULTS
    atomic.write_text(path, json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path


def run_file(
    spec_path: Path,
    out: Path,
    progress: bool = False,
    force: bool = False,
    allowed_dirs: Sequence[Path] = (),
    compute: Mapping[str, Any] | None = None,
    files: Sequence[Path] = (),
) -> tuple[Path, Result]:
    """``vrueval run SPEC --out DIR``: run and write ``DIR/results.json``.

    The spec and ``out`` are checked, and ``out`` locked, before the fit (see
    :mod:`vrueval.analysis.output`); ``force`` allows replacing another analysis's results;
    ``allowed_dirs`` are folders outside the project the spec's data files may come from;
    ``compute`` replaces the spec's ``[compute]`` settings (see :func:`fit`); ``files`` replace
    its ``[data] files`` (see :func:`~vrueval.analysis.spec.load_spec`).
    Returns the path written and the fitted result.
    """
    spec = load_spec(spec_path, allowed_dirs=allowed_dirs, files=files)
    with claimed(out, spec.name, force=force):
        if progress:
            from tqdm import tqdm

            with tqdm(total=1, desc=spec.name, unit="analysis", leave=False) as bar:
                result, panel = fit(spec, compute=compute)
                bar.update()
        else:
            result, panel = fit(spec, compute=compute)
        path = write_results(build_document(spec, result, panel), out)
    return path, result
