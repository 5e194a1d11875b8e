"""A page's downloads: each table as CSV, each analysis's effects as XLSX, beside the page.

The files go to ``<page stem>_files/`` next to the page (the folder Quarto uses for a page's
support files), written atomically; the page links them under each table and in its header.
Workbooks are written with fixed time stamps so the same numbers give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrueval import atomic

#: The folder of a page's downloads, relative to the page.
FOLDER_SUFFIX = "_files"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_FIXED_STAMP = "2000-01-01T00:00:00Z"
_CORE_PROPERTIES = "docProps/core.xml"


def safe_name(text: str) -> str:
    """A file-name-safe form of ``text`` (letters, digits, ``-``, ``_``, ``.``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    if not name:
        raise ValueError(f"no file name can be made from {text!r}")
    return name


@dataclass
class Downloads:
    """The downloads of one page, collected while the page is built (name -> bytes)."""

    folder: str  # relative to the page, e.g. "before_the_vru_files"
    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, stem: str, suffix: str, payload: bytes) -> str:
        """Register a file; returns its link (relative to the page). Names stay unique."""
        base = safe_name(stem)
        name, k = f"{base}.{suffix}", 2
        while name in self.files and self.files[name] != payload:
            name, k = f"{base}-{k}.{suffix}", k + 1
        self.files[name] = payload
        return f"{self.folder}/{name}"

    def write(self, page_dir: Path) -> list[Path]:
        """Write every file atomically into ``page_dir/<folder>``; return their paths."""
        written = []
        for name, payload in sorted(self.files.items()):
            path = page_dir / self.folder / name
            atomic.write_bytes(path, payload)
            written.append(path)
        return written


def effects_xlsx(records: Sequence[Mapping[str, Any]], sheet: str = "effects") -> bytes:
    """An effects table (rows of ``term, estimate, ...``) as an XLSX workbook, byte-stable."""
    import pandas as pd

    frame = pd.DataFrame(list(records))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
        props = writer.book.properties
        props.creator = "vrueval"
        props.created = pd.Timestamp("2000-01-01").to_pydatetime()
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(payload: bytes) -> bytes:
    """The same zip with every time stamp fixed.

    openpyxl stamps the clock time twice: on each zip member and, on saving, in the workbook's
    ``modified`` property (whatever the caller set), so both are overwritten here.
    """
    source = zipfile.ZipFile(io.BytesIO(payload))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            content = source.read(info.filename)
            if info.filename == _CORE_PROPERTIES:
                content = _fixed_modified(content)
            target.writestr(member, content)
    return out.getvalue()


def _fixed_modified(core: bytes) -> bytes:
    """The core properties with the ``dcterms:modified`` stamp set to the fixed time."""
    fixed, count = re.subn(
        rb"(<dcterms:modified\b[^>]*>)[^<]*(</dcterms:modified>)",
        rb"\g<1>" + _FIXED_STAMP.encode() + rb"\g<2>",
        core,
    )
    if count != 1:
        raise RuntimeError(f"{_CORE_PROPERTIES} has {count} modified stamps, expected one")
    return fixed
