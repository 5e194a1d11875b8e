"""Verification: rerun every analysis and compare with the numbers recorded in the repository.

Recorded numbers live in ``analyses/expected/<name>.json`` (the ``effects`` rows of a run).
Deterministic estimators must agree to floating-point noise (default ``rtol=1e-9``); bootstrap
and permutation results are identical given their seed, so the same tolerance applies.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vrueval.analysis.runner import run_spec
from vrueval.analysis.spec import find_specs, load_spec

COMPARED = ("estimate", "std_error", "conf_low", "conf_high", "p_value")
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12


def expected_path(root: Path, name: str) -> Path:
    return root / "analyses" / "expected" / f"{name}.json"


def compare(
    name: str,
    expected: list[dict[str, Any]],
    actual: list[dict[str, Any]],
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> list[str]:
    """Messages naming the analysis, the term and the difference for every moved number."""
    problems = []
    got = {row["term"]: row for row in actual}
    for row in expected:
        term = row["term"]
        if term not in got:
            problems.append(f"{name}: term {term!r} is no longer produced")
            continue
        for column in COMPARED:
            a, b = row.get(column), got[term].get(column)
            if a is None and b is None:
                continue
            if a is None or b is None or not math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
                diff = "n/a" if a is None or b is None else f"{b - a:+.3g}"
                problems.append(
                    f"{name}: {term} {column} moved from {a!r} to {b!r} (difference {diff}, "
                    f"rtol {rtol:g})"
                )
    extra = sorted(set(got) - {row["term"] for row in expected})
    if extra:
        problems.append(f"{name}: new term(s) {extra} not recorded; run `vrueval verify --record`")
    return problems


def _specs(root: Path, progress: bool) -> Iterable[Path]:
    paths = find_specs(root)
    if not progress:
        return paths
    from tqdm import tqdm

    # disable=None: a bar on a terminal, silence in logs
    return tqdm(paths, desc="analyses", unit="analysis", disable=None)


def verify(root: Path, names: list[str] | None = None, progress: bool = False) -> list[str]:
    """Rerun the analyses under ``root/analyses`` and list every number that moved."""
    failures: list[str] = []
    for path in _specs(root, progress):
        spec = load_spec(path)
        if names and spec.name not in names:
            continue
        recorded = expected_path(root, spec.name)
        if not recorded.exists():
            failures.append(f"{spec.name}: no recorded numbers at {recorded}")
            continue
        expected = json.loads(recorded.read_text())["effects"]
        document = run_spec(spec)
        failures += compare(
            spec.name,
            expected,
            document["effects"],
            rtol=spec.verify.get("rtol", DEFAULT_RTOL),
            atol=spec.verify.get("atol", DEFAULT_ATOL),
        )
    return failures


def record(root: Path, names: list[str] | None = None, progress: bool = False) -> list[Path]:
    """Write the current numbers of each analysis as the recorded ones."""
    written = []
    for path in _specs(root, progress):
        spec = load_spec(path)
        if names and spec.name not in names:
            continue
        document = run_spec(spec)
        target = expected_path(root, spec.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "analysis": spec.name,
            "spec_sha256": spec.sha256,
            "effects": document["effects"],
        }
        target.write_text(json.dumps(payload, indent=2) + "\n")
        written.append(target)
    return written
