"""A parquet cache for slow readers (.ods above all), keyed on the source file's SHA-256.

The cache lives under ``$VRUEVAL_CACHE_DIR`` or, by default, the user cache directory
(``$XDG_CACHE_HOME/vrueval`` or ``~/.cache/vrueval``; ``%LOCALAPPDATA%\\vrueval\\Cache`` on
Windows) — never inside the installed package. A changed file has a new hash and so a new entry;
entries are never trusted across reader versions.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from vrueval.atomic import writing
from vrueval.data.loaders.provenance import sha256


def default_dir() -> Path:
    """Where the cache lives unless a directory is passed."""
    env = os.environ.get("VRUEVAL_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "vrueval" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "vrueval"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vrueval"


def cached(
    path: Path | str,
    reader: Callable[[Path], pd.DataFrame],
    key: str,
    cache_dir: Path | str | None = None,
    use_cache: bool = True,
) -> pd.DataFrame:
    """``reader(path)``, or its stored parquet copy when this exact file was read before.

    ``key`` names the reader and its version, so a changed reader does not reuse old entries.
    """
    p = Path(path)
    if not use_cache:
        return reader(p)
    folder = Path(cache_dir) if cache_dir is not None else default_dir()
    entry = folder / f"{key}-{sha256(p)}.parquet"
    if entry.exists():
        return pd.read_parquet(entry)
    frame = reader(p)
    # Write then rename, so a concurrent reader never sees half a file.
    with writing(entry) as tmp:
        frame.to_parquet(tmp, index=False)
    return frame
