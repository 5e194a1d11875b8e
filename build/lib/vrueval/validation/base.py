"""Shared machinery of :mod:`vrueval.validation`: where references live, one agreement
row, and the row collector the families use."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from vrueval.reporting.report import project_root
from vrueval.results import Result

Criterion = Literal["relative", "absolute"]
COLUMNS = [
    "family",
    "check",
    "reference",
    "script",
    "quantity",
    "n_compared",
    "max_abs_diff",
    "max_rel_diff",
    "tolerance",
    "criterion",
    "passed",
]


def reference_dir(path: Path | str | None = None) -> Path:
    """The folder of stored reference values (default ``<project>/tests/reference``)."""
    folder = Path(path) if path is not None else project_root() / "tests" / "reference"
    if not folder.is_dir():
        raise FileNotFoundError(f"reference folder {folder} does not exist")
    return folder


def load_reference(name: str, folder: Path | str | None = None) -> dict[str, Any]:
    """One stored reference JSON file, e.g. ``load_reference("its_reference.json")``."""
    data: dict[str, Any] = json.loads((reference_dir(folder) / name).read_text())
    return data


def compare(
    family: str,
    check: str,
    reference: str,
    script: str,
    quantity: str,
    ours: Any,
    ref: Any,
    tolerance: float,
    criterion: Criterion = "relative",
) -> dict[str, Any]:
    """One agreement row: ours against the reference, elementwise.

    Two missing values agree; a missing value against a number is an infinite difference.
    """
    a = np.atleast_1d(np.asarray(ours, dtype=float)).ravel()
    b = np.atleast_1d(np.asarray(ref, dtype=float)).ravel()
    if a.shape != b.shape:
        abs_diff = rel_diff = np.array([np.inf])
    else:
        both_nan = np.isnan(a) & np.isnan(b)
        with np.errstate(invalid="ignore", divide="ignore"):
            abs_diff = np.where(both_nan, 0.0, np.abs(a - b))
            abs_diff = np.where(np.isnan(abs_diff), np.inf, abs_diff)
            rel_diff = np.where(abs_diff == 0, 0.0, abs_diff / np.abs(b))
            rel_diff = np.where(np.isnan(rel_diff), np.inf, rel_diff)
    max_abs = float(abs_diff.max()) if abs_diff.size else 0.0
    max_rel = float(rel_diff.max()) if rel_diff.size else 0.0
    worst = max_rel if criterion == "relative" else max_abs
    return {
        "family": family,
        "check": check,
        "reference": reference,
        "script": f"tests/reference/{script}",
        "quantity": quantity,
        "n_compared": int(b.size),
        "max_abs_diff": max_abs,
        "max_rel_diff": max_rel,
        "tolerance": float(tolerance),
        "criterion": criterion,
        "passed": bool(worst <= tolerance),
    }


def rows_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


def term_values(result: Result, terms: Sequence[str], column: str) -> np.ndarray:
    """Values of ``column`` for ``terms`` (NaN for a term the result lacks, so the row fails)."""
    eff = result.effects().set_index("term")
    return np.array([eff.loc[t, column] if t in eff.index else np.nan for t in terms], float)


def r_label(versions: dict[str, str]) -> str:
    """'R 4.2.2' from R.version.string."""
    return "R " + versions["R"].split()[2]


class Rows:
    """Collects the agreement rows of one family and one script."""

    def __init__(self, family: str, script: str) -> None:
        self.family, self.script = family, script
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        check: str,
        reference: str,
        quantity: str,
        ours: Any,
        theirs: Any,
        tolerance: float,
        criterion: Criterion = "relative",
    ) -> None:
        self.rows.append(
            compare(
                self.family, check, reference, self.script, quantity, ours, theirs, tolerance,
                criterion,
            )
        )  # fmt: skip

    def frame(self) -> pd.DataFrame:
        return rows_frame(self.rows)
