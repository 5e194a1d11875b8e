"""Verification: rerun every analysis and compare with the numbers recorded in the repository.

``analyses/expected/<name>.json`` holds, beside the ``effects`` rows of a run, the tolerance
they are compared at (from :mod:`vrueval.analysis.tolerance`, recomputed at every verify, so
editing the file cannot loosen it) and the data they came from: the SHA-256 of each data file
the analysis reads and the hash of its canonical panel. A failure therefore says which data file
changed, or that the data are the same and the change is in the code.

Specs in ``analyses/supplied/`` read data the project does not ship. They are checked only when
named with the user's copy (``vrueval verify NAME --data FILE``), against
``analyses/supplied/expected/<name>.json``: when the copy's SHA-256 is not the one recorded it
is another edition of the data, so its numbers are not compared at all (neither a pass nor a
moved number); when it is, the numbers are compared as any other spec's. A plain ``vrueval
verify`` leaves them out and says so.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrueval import atomic
from vrueval.analysis.inputs import data_hashes
from vrueval.analysis.runner import run_spec
from vrueval.analysis.spec import (
    SUPPLIED,
    Spec,
    SpecError,
    find_specs,
    find_supplied_specs,
    load_spec,
)
from vrueval.analysis.tolerance import (
    SENSITIVITY_BREAKDOWN,
    SENSITIVITY_SET,
    Tolerance,
    row_scale,
    tolerance,
)
from vrueval.compute import pmap

COMPARED = ("estimate", "std_error", "conf_low", "conf_high", "p_value")


@dataclass
class Comparison:
    """Moved numbers of one analysis, how many were compared and the worst difference."""

    problems: list[str] = field(default_factory=list)
    numbers: int = 0
    worst: float = 0.0  # largest |difference| as a fraction of its tolerance
    worst_at: str = ""


def _same_non_finite(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return False
    return (math.isnan(a) and math.isnan(b)) or a == b


def compare(
    name: str, expected: list[dict[str, Any]], actual: list[dict[str, Any]], tol: Tolerance
) -> Comparison:
    """Compare recomputed ``effects`` rows with the recorded ones at the fitted method's
    tolerance (:func:`vrueval.analysis.tolerance.tolerance`): every moved number, named by
    analysis, term and column with its difference, and the worst difference found."""
    rtol = tol.rtol
    out = Comparison()
    got = {row["term"]: row for row in actual}
    for row in expected:
        term = row["term"]
        if term not in got:
            out.problems.append(f"{name}: term {term!r} is no longer produced")
            continue
        scale = row_scale(row)
        for column in COMPARED:
            a, b = row.get(column), got[term].get(column)
            if a is None and b is None:
                continue
            out.numbers += 1
            if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
                if not _same_non_finite(a, b):
                    out.problems.append(
                        f"{name}: {term} {column} moved from {a!r} to {b!r} "
                        f"(difference n/a, rtol {rtol:g})"
                    )
                continue
            # a p-value lives on [0, 1]; the others on the scale of their term
            size = max(abs(a), abs(b), 1.0 if column == "p_value" else scale)
            ratio = abs(b - a) / (rtol * size) if size > 0 else (0.0 if a == b else math.inf)
            if ratio > out.worst or not out.worst_at:
                out.worst, out.worst_at = ratio, f"{name} {term} {column}"
            if ratio > 1:
                out.problems.append(
                    f"{name}: {term} {column} moved from {a!r} to {b!r} "
                    f"(difference {b - a:+.3g}, rtol {rtol:g})"
                )
    extra = sorted(set(got) - {row["term"] for row in expected})
    if extra:
        out.problems.append(
            f"{name}: new term(s) {extra} not recorded; run `vrueval verify --record`"
        )
    return out


def sensitivity_rows(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]] | None:
    """The ``[sensitivity]`` numbers of a results document as rows :func:`compare` reads: one
    per bound (``sensitivity <term> Mbar=<bound>``) and the breakdown value as the estimate of
    one more; None when the spec has no such section."""
    sens = document.get("sensitivity")
    if sens is None:
        return None
    name = "Mbar" if sens["settings"]["restriction"] == "relative_magnitude" else "M"
    sets = [
        {**row, "term": f"sensitivity {row['term']} {name}={row['bound']:g}"}
        for row in sens["effects"]
    ]
    value = None if sens.get("breakdown") is None else sens["breakdown"].get("value")
    breakdown = [{"term": f"sensitivity {sens['term']} breakdown {name}", "estimate": value}]
    return {"sets": sets, "breakdown": breakdown if sens.get("breakdown") is not None else []}


def _compare_sensitivity(
    name: str, recorded: dict[str, Any] | None, document: dict[str, Any]
) -> Comparison:
    """The sensitivity numbers against the recorded ones, each kind at its own tolerance."""
    found = sensitivity_rows(document)
    out = Comparison()
    if recorded is None and found is None:
        return out
    if recorded is None:
        out.problems.append(
            f"{name}: its [sensitivity] numbers are not recorded; run `vrueval verify --record`"
        )
        return out
    if found is None:
        out.problems.append(f"{name}: sensitivity numbers are recorded but the spec has none")
        return out
    for key, tol in (("sets", SENSITIVITY_SET), ("breakdown", SENSITIVITY_BREAKDOWN)):
        part = compare(name, recorded.get(key, []), found[key], tol)
        out.problems += part.problems
        out.numbers += part.numbers
        if part.worst_at and (part.worst > out.worst or not out.worst_at):
            out.worst, out.worst_at = part.worst, part.worst_at
    return out


@dataclass
class Verification:
    """What ``vrueval verify`` found: failures, notes and the one-line summary."""

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    analyses: int = 0
    numbers: int = 0
    worst: float = 0.0
    worst_at: str = ""
    #: analyses given another edition of their data: why, one line each (nothing compared)
    incomparable: list[str] = field(default_factory=list)
    #: supplied analyses left out because no data were given
    skipped: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.incomparable

    def summary(self) -> str:
        if self.incomparable and not self.failures:
            return (
                f"verify not comparable: {len(self.incomparable)} analysis(es) given another "
                "edition of their data, so no numbers were compared"
            )
        verdict = "passed" if self.passed else f"FAILED ({len(self.failures)} problem(s))"
        worst = (
            f"worst difference {self.worst:.2g} of its tolerance ({self.worst_at})"
            if self.worst_at
            else "no differences"
        )
        return (
            f"verify {verdict}: {self.analyses} analyses checked, {self.numbers} numbers "
            f"compared, {worst}"
        )


def _tolerance(design: str, document: dict[str, Any]) -> Tolerance:
    result = document["result"]
    return tolerance(design, result["settings"], result.get("diagnostics"))


def skipped_note(names: Sequence[str]) -> str | None:
    """The one line saying which supplied analyses a run left out and why (None if none)."""
    if not names:
        return None
    return (
        f"skipped {len(names)} analysis(es) in analyses/{SUPPLIED}/ ({', '.join(names)}): no "
        "data given, and the project does not ship them; check one on your copy with "
        "`vrueval verify NAME --data FILE`"
    )


def expected_path(root: Path, name: str, supplied: bool = False) -> Path:
    """Where the numbers of analysis ``name`` are recorded: ``analyses/expected/<name>.json``,
    or ``analyses/supplied/expected/<name>.json`` for a spec of data the project does not
    ship."""
    folder = root / "analyses" / SUPPLIED if supplied else root / "analyses"
    folder = (folder / "expected").resolve()
    path = (folder / f"{name}.json").resolve()
    if path.parent != folder:  # a name with separators must not write elsewhere
        raise SpecError(f"analysis name {name!r} cannot be a recorded-numbers file name")
    return path


def _data_messages(
    name: str, recorded: dict[str, Any] | None, panel: str, files: dict[str, str]
) -> tuple[list[str], list[str]]:
    """(failures, notes) about the data: a changed panel fails, naming the changed files."""
    if not recorded:
        return [f"{name}: recorded without data hashes; run `vrueval verify --record {name}`"], []
    changed = _file_changes(recorded.get("files", {}), files, "now", "no longer read")
    if recorded.get("panel_sha256") != panel:
        where = (
            "data file(s) changed: " + "; ".join(changed)
            if changed
            else "data files unchanged, so the change is in how they are read or selected"
        )
        return [f"{name}: its data panel changed: {where}"], []
    if changed:  # the file changed outside what this analysis selects
        return [], [f"{name}: data file(s) changed but not its panel: " + "; ".join(changed)]
    return [], []


def _file_changes(old: dict[str, str], files: dict[str, str], now: str, absent: str) -> list[str]:
    """Each data file whose sha256 is not the recorded one ("<label>: sha256 <recorded>
    recorded, <now> <sha256>") and each recorded file not among ``files`` ("<label>:
    <absent>")."""
    out = [
        f"{label}: sha256 {old[label][:12]} recorded, {now} {sha[:12]}"
        if label in old
        else f"{label}: no sha256 recorded, {now} {sha[:12]}"
        for label, sha in files.items()
        if old.get(label) != sha
    ]
    return out + [f"{label}: {absent}" for label in old if label not in files]


def _other_edition(name: str, recorded: dict[str, Any] | None, files: dict[str, str]) -> str:
    """Why the user's data are not what the numbers were recorded from ("" when they are)."""
    if not recorded:
        return ""  # recorded without hashes: a failure of its own (_data_messages)
    differ = _file_changes(recorded.get("files", {}), files, "given", "recorded, not given")
    if not differ:
        return ""
    return (
        f"{name}: different edition: the data given are not the file(s) its numbers were "
        f"recorded from ({'; '.join(differ)}); numbers not comparable, none compared"
    )


def _specs(
    root: Path, names: list[str] | None, files: Sequence[Path] = ()
) -> tuple[list[Spec], list[str]]:
    """The specs to rerun, and the names of the supplied specs left out for want of data.

    Without names: every spec in ``analyses/``. Named specs may include those in
    ``analyses/supplied/``, which need the user's copy of their data (``files``, for one named
    analysis: it replaces that spec's ``[data] files``).
    """
    published = [load_spec(path) for path in find_specs(root)]
    supplied = [load_spec(path) for path in find_supplied_specs(root)]
    if files and (not names or len(set(names)) != 1):
        raise SpecError(
            "--data FILE replaces the data files of one analysis: name it, "
            "as in `vrueval verify NAME --data FILE`"
        )
    if not names:
        return published, [s.name for s in supplied]
    clash = sorted({s.name for s in published} & {s.name for s in supplied})
    if clash:
        raise SpecError(f"analyses {clash} are both in analyses/ and analyses/{SUPPLIED}/")
    specs = [s for s in (*published, *supplied) if s.name in names]
    unknown = sorted(set(names) - {s.name for s in specs})
    if unknown:
        raise SpecError(
            f"no analysis named {unknown} under {root / 'analyses'} "
            f"or {root / 'analyses' / SUPPLIED}"
        )
    needing = [s.name for s in specs if s.supplied and not files]
    if needing:
        raise SpecError(
            f"{needing} read data the project does not ship (analyses/{SUPPLIED}/): give your "
            "copy, as in `vrueval verify NAME --data FILE`"
        )
    if files:
        missing = [str(f) for f in files if not Path(f).is_file()]
        if missing:
            raise SpecError(f"--data: no such file(s): {missing}")
        specs = [load_spec(specs[0].path, files=files)]
    return specs, []


@dataclass(frozen=True)
class _Checked:
    """One analysis rerun and compared (what a worker sends back)."""

    failures: list[str]
    notes: list[str]
    found: Comparison | None
    tol: Tolerance | None
    incomparable: str = ""


def _check(spec: Spec, root: Path, compute: dict[str, Any]) -> _Checked:
    recorded_path = expected_path(root, spec.name, spec.supplied)
    if not recorded_path.exists():
        return _Checked([f"{spec.name}: no recorded numbers at {recorded_path}"], [], None, None)
    recorded = json.loads(recorded_path.read_text())
    files = data_hashes(spec, root)
    if spec.declared_files:  # the user's own copy: numbers compare only on the recorded edition
        other = _other_edition(spec.name, recorded.get("data"), files)
        if other:
            return _Checked([], [], None, None, incomparable=other)
    document = run_spec(spec, compute=compute)
    tol = _tolerance(spec.design, document)
    failures, notes = _data_messages(
        spec.name,
        recorded.get("data"),
        document["provenance"]["data"]["panel_sha256"],
        files,
    )
    found = compare(spec.name, recorded["effects"], document["effects"], tol)
    extra = _compare_sensitivity(spec.name, recorded.get("sensitivity"), document)
    found.problems += extra.problems
    found.numbers += extra.numbers
    if extra.worst > found.worst:
        found.worst, found.worst_at = extra.worst, extra.worst_at
    if recorded.get("tolerance", {}).get("rtol") not in (None, tol.rtol):
        notes.append(
            f"{spec.name}: compared at rtol {tol.rtol:g} ({tol.method}), not the "
            f"{recorded['tolerance']['rtol']:g} recorded beside the numbers"
        )
    return _Checked(failures + found.problems, notes, found, tol)


def _settings(jobs: int | None, backend: str | None, address: str | None) -> dict[str, Any]:
    given = {"jobs": jobs, "backend": backend, "address": address}
    return {k: v for k, v in given.items() if v is not None}


def verify(
    root: Path,
    names: list[str] | None = None,
    progress: bool = False,
    *,
    jobs: int | None = None,
    backend: str | None = None,
    address: str | None = None,
    files: Sequence[Path] = (),
) -> Verification:
    """Rerun the analyses under ``root/analyses`` and report every number or input that moved.

    The analyses are independent: with ``jobs`` > 1 (or a ``backend`` and ``address``) they run
    in parallel through :func:`vrueval.compute.pmap`, and the report is the same as a serial
    run's. Settings given here replace each spec's ``[compute]`` table.

    ``files`` (``--data FILE``) are the user's copy of the data of the one analysis named, for
    a spec in ``analyses/supplied/``: compared with the recorded numbers only when their
    SHA-256 are those recorded, else reported in :attr:`Verification.incomparable`. Without
    names, supplied specs are left out and listed in :attr:`Verification.skipped`.
    """
    compute = _settings(jobs, backend, address)
    specs, skipped = _specs(root, names, files)
    checked = pmap(
        functools.partial(_check, root=root, compute=compute),
        specs,
        progress=progress,
        label=lambda spec: spec.name,
        desc="analyses",
        **compute,
    )
    report = Verification(skipped=skipped)
    for one in checked:
        report.failures += one.failures
        report.notes += one.notes
        if one.incomparable:
            report.incomparable.append(one.incomparable)
        if one.found is None or one.tol is None:
            continue
        found, tol = one.found, one.tol
        report.analyses += 1
        report.numbers += found.numbers
        if found.worst_at and (found.worst > report.worst or not report.worst_at):
            report.worst, report.worst_at = found.worst, f"{found.worst_at}, rtol {tol.rtol:g}"
    return report


def _record_payload(spec: Spec, root: Path, compute: dict[str, Any]) -> dict[str, Any]:
    document = run_spec(spec, compute=compute)
    payload: dict[str, Any] = {
        "analysis": spec.name,
        "spec_sha256": spec.sha256,
        "tolerance": _tolerance(spec.design, document).to_dict(),
        "data": {
            "panel_sha256": document["provenance"]["data"]["panel_sha256"],
            "files": data_hashes(spec, root),
        },
        "effects": document["effects"],
    }
    sens = sensitivity_rows(document)
    if sens is not None:
        payload["sensitivity"] = {
            "tolerance": SENSITIVITY_SET.to_dict(),
            "breakdown_tolerance": SENSITIVITY_BREAKDOWN.to_dict(),
            **sens,
        }
    return payload


def record(
    root: Path,
    names: list[str] | None = None,
    progress: bool = False,
    *,
    jobs: int | None = None,
    backend: str | None = None,
    address: str | None = None,
    files: Sequence[Path] = (),
) -> list[Path]:
    """Write the current numbers of each analysis, with their tolerance and data hashes (run
    in parallel as for :func:`verify`; the files are written here, one by one).

    A spec in ``analyses/supplied/`` is recorded only when named with the user's copy of its
    data (``files``), into ``analyses/supplied/expected/<name>.json``, with the SHA-256 of that
    copy under the spec's own file names."""
    compute = _settings(jobs, backend, address)
    specs, _ = _specs(root, names, files)
    payloads = pmap(
        functools.partial(_record_payload, root=root, compute=compute),
        specs,
        progress=progress,
        label=lambda spec: spec.name,
        desc="analyses",
        **compute,
    )
    written = []
    for spec, payload in zip(specs, payloads, strict=True):
        target = expected_path(root, spec.name, spec.supplied)
        atomic.write_text(target, json.dumps(payload, indent=2) + "\n")
        written.append(target)
    return written
