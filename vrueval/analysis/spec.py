"""Analysis specs: one TOML file an evaluation, validated before anything runs.

A spec names its data (a bundled dataset, or official files and the loader that reads them), the
selection (outcome, units, window), the design and its options, the fit options (inference,
level) and the seed. Unknown sections or keys are errors that list the allowed ones.

Example::

    [analysis]
    name = "its_hes_west_midlands"
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

    [sensitivity]       # event studies: vrueval.sensitivity.honest_did options
    restriction = "relative_magnitude"
    bounds = [0, 0.5, 1, 1.5, 2]

    [compute]           # optional: where parallel work runs (the command line overrides it)
    jobs = 4
    backend = "loky"    # or "dask" / "ray", with address = "tcp://scheduler:8786"

What a spec may do is decided here, once, before any data is read:

- ``[analysis] name`` is an identifier (letters, digits, ``_``, ``-``): it names files such as
  ``analyses/expected/<name>.json``, so it can never point elsewhere.
- ``[data] files`` are paths relative to the spec's folder that must lie, after following ``..``
  and symbolic links, inside the project (the folder holding ``analyses/``) or the spec's
  folder. Folders elsewhere are reachable only when the user names them on the command line
  (``vrueval run SPEC --allow-path DIR``), never by the spec alone.
- Each setting has one home: ``level`` and ``seed`` in ``[analysis]`` (recorded with the
  results), the outcome in ``[data]``. ``[design]`` and ``[fit]`` may not set them again.
- ``[design]`` and ``[fit]`` keys are the options of the design's constructor and of its
  ``.fit()``, read from the design's options table (``Design.OPTIONS``, see
  :mod:`vrueval.options`); anything else is an error listing the accepted ones. Deprecated
  names (ITS ``n_boot``, StaggeredDiD ``weights``) are accepted and warn when fitted.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import re
import tomllib
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrueval.compute.settings import KEYS as COMPUTE_KEYS
from vrueval.compute.settings import Compute
from vrueval.options import OptionsTable

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
        "fill_suppressed",
    },
    "design": None,  # free: validated by the design's constructor
    "fit": None,  # free: validated by .fit()
    "power": None,  # free: read by vrueval.power.from_spec
    # vrueval.sensitivity.honest_did's options (level and seed come from [analysis])
    "sensitivity": {
        "restriction",
        "bounds",
        "target",
        "method",
        "bias",
        "monotone",
        "draws",
        "breakdown",
        "pre_periods",
    },
    "compute": set(COMPUTE_KEYS),  # where parallel work runs; the command line overrides it
}


def _sensitivity_draws(options: dict[str, Any]) -> bool:
    """Whether the [sensitivity] section's method simulates (the C-LF hybrid)."""
    from vrueval.sensitivity.honest import DEFAULT_METHOD

    restriction = options.get("restriction", "relative_magnitude")
    return options.get("method", DEFAULT_METHOD.get(restriction)) == "c-lf"


#: Designs whose results the [sensitivity] section can analyse (event-time coefficients).
SENSITIVITY_DESIGNS = ("EventStudy", "StaggeredDiD", "CallawaySantAnna")


#: The folder of ``analyses/`` holding specs of data the project does not ship.
SUPPLIED = "supplied"

#: An analysis name: it becomes part of file names, so no separators, dots or spaces.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,79}")

#: Settings that live in one section only; another section repeating them could contradict it.
OWNED_ELSEWHERE = {
    ("fit", "level"): "[analysis] level",
    ("fit", "seed"): "[analysis] seed",
    ("design", "outcome"): "[data] outcome",
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
    power_options: dict[str, Any] = field(default_factory=dict)
    sensitivity_options: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    allowed_dirs: tuple[Path, ...] = ()
    compute: Compute = field(default_factory=Compute)
    #: The spec's own ``[data] files`` entries when the user's files replaced them
    #: (``--data FILE``); empty when the spec reads what it names.
    declared_files: tuple[str, ...] = ()

    @property
    def supplied(self) -> bool:
        """Whether the spec lives in ``analyses/supplied/``: data the project does not ship,
        run and verified only on the user's copy (``--data FILE``)."""
        return self.path.parent.name == SUPPLIED and self.path.parent.parent.name == "analyses"

    @property
    def files(self) -> list[Path]:
        """Data files named by the spec, resolved against the spec's folder.

        Raises :class:`SpecError` for a file outside the project, the spec's folder and
        :attr:`allowed_dirs` (see :func:`data_file`).
        """
        return [data_file(self.path, f, self.allowed_dirs) for f in self.data.get("files", [])]


def project_root(spec_path: Path) -> Path | None:
    """The project of a spec: the nearest folder at or above the spec's holding ``analyses/``."""
    folder = spec_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / "analyses").is_dir():
            return candidate
    return None


def data_file(spec_path: Path, entry: str, allowed_dirs: Sequence[Path] = ()) -> Path:
    """Resolve one ``[data] files`` entry of the spec at ``spec_path``, refusing escapes.

    The entry is read relative to the spec's folder. After following ``..`` and symbolic links
    it must lie inside the project, the spec's folder or one of ``allowed_dirs`` (folders the
    user named on the command line); an absolute entry is accepted only inside
    ``allowed_dirs``, since a spec holding one would depend on a single machine.
    """
    folder = spec_path.resolve().parent
    project = project_root(spec_path)
    allowed = [Path(d).resolve() for d in allowed_dirs]
    inside = [folder, *([project] if project else []), *allowed]
    target = (folder / entry).resolve()
    if Path(entry).is_absolute():
        if any(target.is_relative_to(d) for d in allowed):
            return target
        reason = "is an absolute path"
    elif any(target.is_relative_to(d) for d in inside):
        return target
    else:
        lexical = Path(os.path.normpath(folder / entry))
        reason = (
            f"is, or lies in, a symbolic link leading to {target}"
            if any(lexical.is_relative_to(d) for d in inside)
            else "leads outside with '..'"
        )
    where = f"the project ({project}) or " if project else ""
    raise SpecError(
        f"{spec_path}: [data] files: {entry!r} {reason}; data files must lie inside "
        f"{where}the spec's folder ({folder}), written relative to the spec. To read files "
        "elsewhere, name their folder on the command line: --allow-path DIR"
    )


def design_class(name: str) -> type:
    """The design class a spec names (one exported by vrueval with a ``fit`` method)."""
    import vrueval

    designs = sorted(
        n for n in getattr(vrueval, "__all__", []) if hasattr(getattr(vrueval, n, None), "fit")
    )
    cls = getattr(vrueval, name, None) if name in designs else None
    if not isinstance(cls, type):
        raise SpecError(f"unknown design {name!r}; available: {designs}")
    return cls


def accepted(cls: type, section: str) -> set[str] | None:
    """The keys ``[design]`` (``section="design"``) or ``[fit]`` may hold for the design ``cls``:
    the options in its table (``cls.OPTIONS``), or None when they cannot be known.

    A design without a table yet falls back to its signatures (:func:`keywords`); every design
    vrueval exports has one (tests/test_options_table.py).
    """
    table: OptionsTable | None = getattr(cls, "OPTIONS", None)
    if isinstance(table, OptionsTable):
        options = table.constructor if section == "design" else table.fit
        return {name for name, option in options.items() if not option.frame}
    func = getattr(cls, "__init__" if section == "design" else "fit")
    names = keywords(func)
    if names is None:
        return None
    return names - {next(iter(inspect.signature(cls).parameters))}  # the panel: the runner's


def keywords(func: Callable[..., Any]) -> set[str] | None:
    """The keyword arguments ``func`` accepts (expanding ``**options: Unpack[TypedDict]``), or
    None when it takes arbitrary ``**kwargs`` and the keys cannot be known."""
    names = set()
    params = list(inspect.signature(func).parameters.values())
    for param in params[1:] if params and params[0].name == "self" else params:
        if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            names.add(param.name)
        elif param.kind is param.VAR_KEYWORD:
            hint = typing.get_type_hints(func, include_extras=True).get(param.name)
            args = typing.get_args(hint) if typing.get_origin(hint) is typing.Unpack else ()
            if not args or not typing.is_typeddict(args[0]):
                return None
            names |= set(args[0].__required_keys__) | set(args[0].__optional_keys__)
    return names


def check_options(path: Path, design: str, sections: dict[str, dict[str, Any]]) -> None:
    """Refuse ``[design]``/``[fit]`` keys the design does not accept or that another section owns.

    The accepted keys are the design's options table (:func:`accepted`); the design's first
    argument (the panel) is supplied by the runner, never by a spec.
    """
    try:
        cls = design_class(design)
    except SpecError as err:
        raise SpecError(f"{path}: [analysis] design: {err}") from None
    for section, what in (("design", "constructor"), ("fit", ".fit()")):
        given = sections.get(section, {})
        for key in sorted(given):
            owner = OWNED_ELSEWHERE.get((section, key))
            if owner:
                raise SpecError(
                    f"{path}: [{section}] {key} = {given[key]!r}: set it once, as {owner} "
                    f"(recorded with the results), not in [{section}]"
                )
        keys = accepted(cls, section)
        if keys is None:  # arbitrary **kwargs: the design validates them itself
            continue
        allowed = sorted(keys - {k for s, k in OWNED_ELSEWHERE if s == section})
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            raise SpecError(
                f"{path}: unknown key(s) {unknown} in [{section}]: not accepted by {design}'s "
                f"{what}; allowed: {allowed}"
            )


def load_spec(path: Path, allowed_dirs: Sequence[Path] = (), files: Sequence[Path] = ()) -> Spec:
    """Read and validate one spec file.

    ``allowed_dirs`` are folders outside the project that the user allowed on the command
    line; ``[data] files`` may lie in them. ``files`` (``vrueval run --data FILE``) replace the
    spec's ``[data] files``: data the user holds and the project does not ship, read with the
    spec's ``format``; naming them on the command line allows their folders. The spec's own
    entries are kept as :attr:`Spec.declared_files`, so what verify records names the file the
    spec reads, not what the user's copy is called.
    """
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
    name = analysis["name"]
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise SpecError(
            f"{path}: [analysis] name = {name!r} is not an identifier: use a letter followed by "
            "letters, digits, '_' or '-' (at most 80), e.g. 'its_hes_west_midlands'"
        )
    data = raw["data"]
    if ("dataset" in data) == ("files" in data):
        raise SpecError(f"{path}: [data] needs exactly one of 'dataset' or 'files' (+ 'format')")
    if "files" in data and "format" not in data:
        raise SpecError(f"{path}: [data] with 'files' needs 'format' (see `vrueval data formats`)")
    if "outcome" not in data:
        raise SpecError(f"{path}: [data] needs 'outcome'")
    declared: tuple[str, ...] = ()
    if files:
        if "files" not in data:
            raise SpecError(f"{path}: --data replaces [data] files; this spec reads a dataset")
        declared = tuple(str(f) for f in data["files"]) if isinstance(data["files"], list) else ()
        given = [Path(f).resolve() for f in files]
        data["files"] = [str(f) for f in given]
        allowed_dirs = (*allowed_dirs, *(f.parent for f in given))
    files_ = data.get("files", [])
    if not isinstance(files_, list) or not all(isinstance(f, str) for f in files_):
        raise SpecError(f"{path}: [data] files must be a list of paths, got {files_!r}")
    check_options(path, str(analysis["design"]), raw)
    if "sensitivity" in raw and analysis["design"] not in SENSITIVITY_DESIGNS:
        raise SpecError(
            f"{path}: [sensitivity] needs event-time coefficients: design must be one of "
            f"{SENSITIVITY_DESIGNS}, got {analysis['design']!r}"
        )
    seed = analysis.get("seed")
    if seed is not None and not (isinstance(seed, int) and seed >= 0):
        raise SpecError(f"{path}: [analysis] seed must be a non-negative integer, got {seed!r}")
    sensitivity = raw.get("sensitivity", {})
    if sensitivity and seed is None and _sensitivity_draws(sensitivity):
        raise SpecError(
            f"{path}: [sensitivity] with the C-LF hybrid (the default for "
            "restriction = 'relative_magnitude') simulates its critical values: give [analysis] "
            "a seed (it is recorded), or choose method = 'conditional'"
        )
    level = analysis.get("level", 0.95)
    if not isinstance(level, float) or not 0.5 <= level < 1:
        raise SpecError(f"{path}: [analysis] level must be in [0.5, 1), got {level!r}")
    try:
        compute = Compute.from_table(dict(raw.get("compute", {})))
    except ValueError as err:
        raise SpecError(f"{path}: {err}") from None
    spec = Spec(
        path=path.resolve(),
        name=name,
        title=str(analysis.get("title", name)),
        design=str(analysis["design"]),
        seed=seed,
        level=level,
        data=dict(data),
        design_options=dict(raw.get("design", {})),
        fit_options=dict(raw.get("fit", {})),
        power_options=dict(raw.get("power", {})),
        sensitivity_options=dict(raw.get("sensitivity", {})),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        allowed_dirs=tuple(Path(d).resolve() for d in allowed_dirs),
        compute=compute,
        declared_files=declared,
    )
    spec.files  # noqa: B018 -- refuse escaping data paths now, before anything runs
    return spec


def find_specs(root: Path) -> list[Path]:
    """Every spec under ``root/analyses`` in name order (not those in ``analyses/supplied/``)."""
    folder = root / "analyses"
    if not folder.is_dir():
        raise SpecError(f"{root}: no analyses/ folder")
    return sorted(folder.glob("*.toml"))


def find_supplied_specs(root: Path) -> list[Path]:
    """Every spec under ``root/analyses/supplied`` in name order: analyses of data the project
    does not ship, each run on the user's copy (none when the folder is absent)."""
    return sorted((root / "analyses" / SUPPLIED).glob("*.toml"))
