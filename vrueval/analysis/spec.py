"""Analysis specs: one TOML file an evaluation, validated before anything runs.

A spec names its data (a bundled dataset, or official files and the loader that reads them), the
selection (outcome, units, window), the design and its options, the fit options (inference,
level) and the seed. Unknown sections or keys are errors that list the allowed ones.

Example::

    [analysis]
    name = "wm_hes_its"
    title = "West Midlands region: sharp-object hospital admissions"
    design = "ITS"
    seed = 20191003

    [data]
    dataset = "hes_sharp_object"
    outcome = "admissions"
    units = ["West Midlands"]

    [design]            # keyword arguments of the design's constructor
    interruptions = { vru = "2019-10" }

    [fit]               # keyword arguments of .fit()
    inference = "hac"
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECTIONS = {
    "analysis": {"name", "title", "design", "seed", "level", "description", "report"},
    "data": {
        "dataset",
        "dataset_options",
        "files",
        "format",
        "format_options",
        "outcome",
        "units",
        "start",
        "end",
        "non_overlapping_month",
        "periods",
    },
    "design": None,  # free: validated by the design's constructor
    "fit": None,  # free: validated by .fit()
    "power": None,  # free: read by vrueval.power.from_spec
}


class SpecError(ValueError):
    """An analysis spec that cannot run, with the file and the key at fault."""


@dataclass(frozen=True)
class Spec:
    """A validated analysis spec."""

    path: Path
    name: str
    title: str
    design: str
    seed: int | None
    level: float
    data: dict[str, Any]
    design_options: dict[str, Any] = field(default_factory=dict)
    fit_options: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""

    @property
    def files(self) -> list[Path]:
        """Data files named by the spec, resolved against the spec's folder."""
        return [(self.path.parent / f).resolve() for f in self.data.get("files", [])]


def load_spec(path: Path) -> Spec:
    """Read and validate one spec file."""
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file")
    raw_bytes = path.read_bytes()
    try:
        raw = tomllib.loads(raw_bytes.decode("utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML: {err}") from err
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise SpecError(f"{path}: unknown section(s) {unknown}; allowed: {sorted(SECTIONS)}")
    for section, keys in SECTIONS.items():
        if keys is None or section not in raw:
            continue
        extra = sorted(set(raw[section]) - keys)
        if extra:
            raise SpecError(
                f"{path}: unknown key(s) {extra} in [{section}]; allowed: {sorted(keys)}"
            )
    for section in ("analysis", "data"):
        if section not in raw:
            raise SpecError(f"{path}: missing [{section}] section")
    analysis = raw["analysis"]
    for key in ("name", "design"):
        if key not in analysis:
            raise SpecError(f"{path}: [analysis] needs '{key}'")
    data = raw["data"]
    if ("dataset" in data) == ("files" in data):
        raise SpecError(f"{path}: [data] needs exactly one of 'dataset' or 'files' (+ 'format')")
    if "files" in data and "format" not in data:
        raise SpecError(f"{path}: [data] with 'files' needs 'format' (see `vrueval data formats`)")
    if "outcome" not in data:
        raise SpecError(f"{path}: [data] needs 'outcome'")
    seed = analysis.get("seed")
    if seed is not None and not (isinstance(seed, int) and seed >= 0):
        raise SpecError(f"{path}: [analysis] seed must be a non-negative integer, got {seed!r}")
    level = analysis.get("level", 0.95)
    if not isinstance(level, float) or not 0.5 <= level < 1:
        raise SpecError(f"{path}: [analysis] level must be in [0.5, 1), got {level!r}")
    return Spec(
        path=path.resolve(),
        name=str(analysis["name"]),
        title=str(analysis.get("title", analysis["name"])),
        design=str(analysis["design"]),
        seed=seed,
        level=level,
        data=dict(data),
        design_options=dict(raw.get("design", {})),
        fit_options=dict(raw.get("fit", {})),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def find_specs(root: Path) -> list[Path]:
    """Every spec under ``root/analyses`` in name order."""
    folder = root / "analyses"
    if not folder.is_dir():
        raise SpecError(f"{root}: no analyses/ folder")
    return sorted(folder.glob("*.toml"))
