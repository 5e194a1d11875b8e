"""Provenance of a loaded file: its name, SHA-256, publisher, title and edition.

Every loader records one :class:`~vrueval.data.panel.Source` per file it read, so a panel (and any
result fitted on it) says exactly which vintage of which official file its numbers came from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from vrueval.data.panel import Source

OGL = "Open Government Licence v3.0"


def sha256(path: Path | str) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source(path: Path | str, publisher: str, title: str, edition: str, note: str = OGL) -> Source:
    """A :class:`Source` for ``path`` (file name only, so panels do not leak local paths)."""
    p = Path(path)
    return Source(
        publisher=publisher, title=title, edition=edition, file=p.name, sha256=sha256(p), note=note
    )
