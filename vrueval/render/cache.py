"""Execution cache: a report re-executes only when something that determines its output changes.

The key covers the document source; every analysis spec of the project (``analyses/*.toml``: a
report may build spec names at run time, so all count) with the content hash of each data file
it reads; the files the document declares in its front matter (``inputs:``, globs relative to
the document, for data it reads without a spec); the package itself (every ``vrueval/**/*.py``
and every bundled data file, so any estimator or data change counts); the lock file
(``requirements.lock`` at the project root, when present); the Python version and the execution
options. Everything is hashed by content, never by time stamp.

An output counts as current only if its stamp names the current key and the file's own SHA-256:
a truncated, edited or half-written page is re-rendered. The cache lives beside the site, in
``<site's parent>/.vrueval-cache/<site's name>`` (:func:`cache_folder`), never inside it: the
published folder holds the reports and their assets only.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vrueval import atomic
from vrueval.data.loaders.provenance import sha256 as _sha256
from vrueval.render.execute import Executed
from vrueval.render.qmd import Document

CACHE_DIR = ".vrueval-cache"
LOCK_FILE = "requirements.lock"
_RUN_CALL = re.compile(r"\brun\(\s*[\"']([A-Za-z0-9_.\-]+)[\"']")
_RENDER_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = _RENDER_DIR.parent  # vrueval/


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Every document's keys hash the same package, bundled data and lock, and a render looks at
# each document twice (is it current? then render it): each file is read once per process and
# hashed again only when its stat changes (a file edited in place gets a new mtime and ctime).
_DIGESTS: dict[tuple[str, int, int, int, int], str] = {}


def sha256_file(path: Path | str) -> str:
    """SHA-256 of a file's bytes, remembered while the file's stat is unchanged."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    digest = _DIGESTS.get(key)
    if digest is None:
        digest = _DIGESTS[key] = _sha256(path)
    return digest


def analyses_used(document: Document) -> list[str]:
    """Names of the analysis specs a document runs, in first-use order."""
    names: list[str] = []
    declared = document.front_matter.get("analyses") or []
    if isinstance(declared, str):
        declared = [declared]
    for name in [*declared, *(m for c in document.chunks for m in _RUN_CALL.findall(c.code))]:
        if name not in names:
            names.append(str(name))
    return names


def find_analyses_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "analyses").is_dir():
            return folder
    return None


def _stat(path: Path | str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


#: spec path and stat -> (its inputs, the stats of the data files it reads)
_SPEC_INPUTS: dict[tuple[str, Any], tuple[dict[str, Any], tuple[tuple[str, Any], ...]]] = {}


def _spec_inputs(spec_path: Path) -> dict[str, Any]:
    """The spec's hash and its data files' hashes, remembered while neither the spec's nor those
    files' stats change: every document's key reads every spec (80 specs x 136 documents parsed
    the TOML 11,000 times, most of a cached re-render)."""
    key = (os.path.abspath(spec_path), _stat(spec_path))
    memo = _SPEC_INPUTS.get(key)
    if memo is not None and all(_stat(path) == stat for path, stat in memo[1]):
        return memo[0]
    entry: dict[str, Any] = {"spec": sha256_file(spec_path)}
    files: list[Path] = []
    try:
        from vrueval.analysis.inputs import data_files, data_hashes
        from vrueval.analysis.spec import load_spec

        spec = load_spec(spec_path)
        files = data_files(spec)
        entry["files"] = data_hashes(spec, spec_path.parent.parent)
    except Exception as err:  # an invalid spec fails at execution, with its own message
        entry["unreadable"] = str(err)
    _SPEC_INPUTS[key] = (entry, tuple((str(path), _stat(path)) for path in files))
    return entry


def _digest_files(files: Iterable[Path], base: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def package_digest(folder: Path | None = None) -> str:
    """Hash of the package's source and bundled data: every ``*.py`` and every file under
    ``data/bundled`` (a change to any estimator, the renderer or a dataset re-executes)."""
    folder = folder or PACKAGE_DIR
    files = [p for p in folder.rglob("*.py") if "__pycache__" not in p.parts]
    bundled = folder / "data" / "bundled"
    if bundled.is_dir():
        files += [p for p in bundled.rglob("*") if p.is_file()]
    return _digest_files(files, folder)


def declared_inputs(document: Document) -> dict[str, str]:
    """``{path: SHA-256}`` of the files the front matter's ``inputs:`` globs name (relative to
    the document); a glob matching nothing is recorded as such, so adding a file counts."""
    declared = document.front_matter.get("inputs") or []
    if isinstance(declared, str):
        declared = [declared]
    folder = document.path.resolve().parent
    out: dict[str, str] = {}
    for pattern in declared:
        matches = sorted(Path(p) for p in glob.glob(str(folder / str(pattern)), recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            out[str(pattern)] = "no match"
        for path in files:
            out[Path(os.path.relpath(path.resolve(), folder)).as_posix()] = sha256_file(path)
    return out


def lock_digest(root: Path | None) -> str:
    """Hash of the project's lock file: the exact dependency versions the output came from."""
    path = root / LOCK_FILE if root else None
    return sha256_file(path) if path and path.is_file() else "absent"


def renderer_digest(files: Iterable[Path] | None = None) -> str:
    """Hash of the renderer's own source: a change to it re-renders."""
    digest = hashlib.sha256()
    for path in sorted(files or _RENDER_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def execution_key(document: Document, defaults: Mapping[str, Any]) -> str:
    """The key under which a document's execution is cached."""
    root = find_analyses_root(document.path.resolve().parent)
    parts: dict[str, Any] = {
        "source": sha256_bytes(document.source.encode("utf-8")),
        "defaults": {k: defaults[k] for k in sorted(defaults)},
        "python": sys.version.split()[0],
        "package": package_digest(),
        "lock": lock_digest(root),
        "inputs": declared_inputs(document),
        "specs": {},
    }
    # Every spec of the project counts, not only those named literally: a report may build names
    # (run(f"ld_{outcome}")), and a missed dependency would serve stale numbers.
    specs = sorted((root / "analyses").glob("*.toml")) if root else []
    for path in specs:
        parts["specs"][path.stem] = _spec_inputs(path)
    for name in analyses_used(document):
        parts["specs"].setdefault(name, "missing")
    return sha256_bytes(json.dumps(parts, sort_keys=True, default=str).encode())


def cache_folder(site: Path) -> Path:
    """Where the cache of the site ``site`` lives: beside it, so it is never published."""
    site = Path(site).resolve()
    return site.parent / CACHE_DIR / site.name


class Cache:
    """Executions and output stamps of the site ``site``, kept in :func:`cache_folder`."""

    def __init__(self, site: Path) -> None:
        self.folder = cache_folder(site)

    def _path(self, name: str, kind: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        return self.folder / f"{safe}.{kind}.json"

    def load_execution(self, name: str, key: str) -> Executed | None:
        path = self._path(name, "exec")
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Executed.from_json(data["executed"]) if data.get("key") == key else None
        except (ValueError, KeyError):
            return None

    def store_execution(self, name: str, key: str, executed: Executed) -> None:
        payload = {"key": key, "executed": executed.to_json()}
        atomic.write_text(self._path(name, "exec"), json.dumps(payload))

    def outputs_current(self, name: str, key: str, outputs: Iterable[Path]) -> bool:
        """Whether every output exists, was written under ``key`` and is byte for byte the
        file written then (a truncated or edited page is not current)."""
        path = self._path(name, "out")
        if not path.exists():
            return False
        try:
            stamp = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return False
        if stamp.get("key") != key:
            return False
        recorded = stamp.get("files") or {}
        for output in outputs:
            if not output.is_file() or recorded.get(output.name) != sha256_file(output):
                return False
        return True

    def store_outputs(self, name: str, key: str, outputs: Iterable[Path]) -> None:
        files = {p.name: sha256_file(p) for p in outputs}
        atomic.write_text(self._path(name, "out"), json.dumps({"key": key, "files": files}))

    def recorded_files(self, name: str) -> list[str]:
        """The file names the stamp of ``name`` records (e.g. a page and its downloads)."""
        path = self._path(name, "out")
        try:
            stamp = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return sorted(stamp.get("files") or {})

    def forget_outputs(self, name: str, outputs: Iterable[Path]) -> None:
        """Remove outputs that a failed render left stale, and their stamp."""
        for path in [*outputs, self._path(name, "out")]:
            path.unlink(missing_ok=True)
