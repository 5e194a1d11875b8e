"""Execution cache: a report re-executes only when its inputs change.

The key covers the document source, every analysis spec of the project (``analyses/*.toml``: a
report may build spec names at run time, so all count), the data those specs read (the
bundled-data manifest, which records each dataset's SHA-256, and the SHA-256 of any spec data
files), the vrueval version and the execution options. The cache lives in the output folder, so
deleting the site clears it.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vrueval.render.execute import Executed
from vrueval.render.qmd import Document

CACHE_DIR = ".vrueval-cache"
_RUN_CALL = re.compile(r"\brun\(\s*[\"']([A-Za-z0-9_.\-]+)[\"']")
_RENDER_DIR = Path(__file__).resolve().parent


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _spec_inputs(spec_path: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {"spec": sha256_file(spec_path)}
    try:
        from vrueval.analysis.spec import load_spec

        spec = load_spec(spec_path)
        entry["files"] = {str(f): sha256_file(f) for f in spec.files if f.exists()}
    except Exception as err:  # an invalid spec fails at execution, with its own message
        entry["unreadable"] = str(err)
    return entry


def _bundled_manifest() -> str:
    path = Path(__file__).resolve().parents[1] / "data" / "bundled" / "manifest.json"
    return sha256_file(path) if path.exists() else "none"


def renderer_digest(files: Iterable[Path] | None = None) -> str:
    """Hash of the renderer's own source: a change to it re-renders (but does not re-execute)."""
    digest = hashlib.sha256()
    for path in sorted(files or _RENDER_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def execution_key(document: Document, defaults: Mapping[str, Any]) -> str:
    """The key under which a document's execution is cached."""
    from vrueval import __version__

    parts: dict[str, Any] = {
        "source": sha256_bytes(document.source.encode("utf-8")),
        "defaults": {k: defaults[k] for k in sorted(defaults)},
        "vrueval": __version__,
        "python": sys.version.split()[0],
        "data": _bundled_manifest(),
        "specs": {},
    }
    root = find_analyses_root(document.path.resolve().parent)
    # Every spec of the project counts, not only those named literally: a report may build names
    # (run(f"ld_{outcome}")), and a missed dependency would serve stale numbers.
    specs = sorted((root / "analyses").glob("*.toml")) if root else []
    for path in specs:
        parts["specs"][path.stem] = _spec_inputs(path)
    for name in analyses_used(document):
        parts["specs"].setdefault(name, "missing")
    return sha256_bytes(json.dumps(parts, sort_keys=True, default=str).encode())


class Cache:
    """Executions and output stamps kept under ``<out>/.vrueval-cache``."""

    def __init__(self, out: Path) -> None:
        self.folder = out / CACHE_DIR

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
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {"key": key, "executed": executed.to_json()}
        self._path(name, "exec").write_text(json.dumps(payload), encoding="utf-8")

    def outputs_current(self, name: str, key: str, outputs: Iterable[Path]) -> bool:
        path = self._path(name, "out")
        if not path.exists() or not all(p.exists() for p in outputs):
            return False
        try:
            return bool(json.loads(path.read_text(encoding="utf-8")).get("key") == key)
        except ValueError:
            return False

    def store_outputs(self, name: str, key: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._path(name, "out").write_text(json.dumps({"key": key}), encoding="utf-8")
