"""The data files an analysis reads, and their content hashes.

Shared by ``verify`` (the recorded numbers carry the hashes, so a failure names the file that
changed) and by the render cache (a report re-executes when a file it depends on changes).
"""

from __future__ import annotations

from pathlib import Path

from vrueval.analysis.spec import Spec
from vrueval.data import datasets
from vrueval.data.loaders.provenance import sha256 as sha256_file

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding vrueval/


def data_files(spec: Spec) -> list[Path]:
    """The files the spec's data come from: its bundled dataset's file, or its own files."""
    if "dataset" in spec.data:
        options = dict(spec.data.get("dataset_options", {}))
        return [datasets.bundled_file(spec.data["dataset"], **options)]
    return list(spec.files)


def label(path: Path, root: Path) -> str:
    """A machine-independent name for ``path``: relative to the project, else to the package
    (bundled data), else the file name."""
    path = Path(path).resolve()
    bundled = Path(str(datasets._BUNDLE)).resolve()
    if path.is_relative_to(bundled):
        return f"vrueval/data/bundled/{path.relative_to(bundled).as_posix()}"
    for base in (root.resolve(), PACKAGE_ROOT):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return path.name


def data_hashes(spec: Spec, root: Path) -> dict[str, str]:
    """``{label: SHA-256}`` of every data file the spec reads ("missing" for absent files).

    Files the user supplied in place of the spec's (``--data FILE``, one for each entry) are
    labelled by the entry they stand in for, so a record made from one copy of a workbook and a
    check on another compare the same label whatever each copy is called.
    """
    paths = data_files(spec)
    labels = [label(path, root) for path in paths]
    if spec.declared_files and len(spec.declared_files) == len(paths):
        labels = [label(spec.path.parent / entry, root) for entry in spec.declared_files]
    return {
        name: sha256_file(path) if path.is_file() else "missing"
        for name, path in zip(labels, paths, strict=True)
    }
