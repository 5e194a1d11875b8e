"""Parquet files vrueval writes: one writer with fixed settings, and panels with provenance.

:func:`write_frame` pins every parquet writer setting (zstd level 1, format 2.6, dictionary
encoding, statistics, page and row-group sizes), so the same frame gives the same bytes under the
same pyarrow; the bundled datasets are built with it and ``make bundle`` reproduces them byte for
byte. (The file also records the pyarrow and pandas versions that wrote it; the lock file pins
those.)

:func:`write_panel` stores a :class:`~vrueval.data.panel.Panel` with everything that makes it
citable, in the file's key-value metadata under ``vrueval.panel``: frequency, measure, geography,
sources (publisher, edition, file, SHA-256), notes, and the covariates a panel carries (its
weights and cluster columns are stored as columns). :func:`read_panel` reads it back and
validates it again, so a spec can analyse ``vrueval data load`` output (format ``vrueval-panel``)
with its provenance intact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vrueval.atomic import writing
from vrueval.data.panel import Frequency, Geography, Measure, Panel, PanelError, Source
from vrueval.data.periods import PeriodLabelError, stored_periods

#: Writer settings, all explicit so a pyarrow default changing cannot change the bytes.
WRITER: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,
    "version": "2.6",
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_size": 1 << 20,
    "data_page_version": "1.0",
    "row_group_size": 1 << 20,
}

METADATA_KEY = b"vrueval.panel"
#: Version of the ``vrueval.panel`` metadata layout; readers refuse layouts they do not know.
LAYOUT = 1


def write_frame(
    frame: pd.DataFrame, path: Path | str, metadata: dict[bytes, bytes] | None = None
) -> None:
    """Write ``frame`` (without its index) to ``path`` atomically with the pinned settings.

    ``metadata`` is added to the file's key-value metadata beside pandas' own.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    with writing(path) as tmp:
        pq.write_table(table, tmp, **WRITER)


def panel_metadata(panel: Panel) -> dict[str, Any]:
    """The panel's provenance and shape as stored under ``vrueval.panel``.

    ``covariates`` is written only for a panel that carries some, so a panel without them is
    stored exactly as before it existed; a reader of this layout takes its absence as none.
    """
    meta: dict[str, Any] = {
        "layout": LAYOUT,
        "frequency": panel.frequency,
        "measure": panel.measure,
        "geography": panel.geography,
        "sources": [s.to_dict() for s in panel.sources],
        "notes": list(panel.notes),
    }
    if panel.covariates:
        meta["covariates"] = list(panel.covariates)
    return meta


def write_panel(panel: Panel, path: Path | str) -> None:
    """Write ``panel`` with its provenance to a parquet file, atomically.

    Periods are stored as text (``str(period)``; a financial year as the year it ends in), the
    flags as boolean columns; the metadata says how to read them back.
    """
    frame = panel.data
    frame["period"] = frame["period"].astype(str)
    meta = json.dumps(panel_metadata(panel), sort_keys=True).encode()
    write_frame(frame, path, {METADATA_KEY: meta})


def read_panel(path: Path | str) -> Panel:
    """Read a panel written by :func:`write_panel`, provenance included, and validate it.

    Raises
    ------
    PanelError
        When the file carries no vrueval panel metadata (not written by ``vrueval data load``),
        a layout this version does not know, or data that no longer validate.
    """
    p = Path(path)
    schema = pq.read_schema(p)
    raw = (schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise PanelError(
            f"{p.name} has no vrueval panel metadata: it was not written by `vrueval data load` "
            "(read official files with their own format instead)"
        )
    meta = json.loads(raw)
    if meta.get("layout") != LAYOUT:
        raise PanelError(
            f"{p.name}: panel metadata layout {meta.get('layout')!r} is not {LAYOUT}; "
            "write the file again with this version of vrueval"
        )
    frame = pd.read_parquet(p)
    try:
        frame["period"] = stored_periods(frame["period"], meta["frequency"])
    except PeriodLabelError as err:
        raise PanelError(f"{p.name}: {err}") from None
    return Panel.from_frame(
        frame,
        frequency=cast(Frequency, meta["frequency"]),
        measure=cast(Measure, meta["measure"]),
        geography=cast(Geography, meta.get("geography", "force")),
        sources=[Source(**s) for s in meta["sources"]],
        notes=meta["notes"],
        weights="weights" if "weights" in frame.columns else None,
        cluster="cluster" if "cluster" in frame.columns else None,
        covariates=meta.get("covariates", ()),
    )


__all__ = ["LAYOUT", "METADATA_KEY", "WRITER", "read_panel", "write_frame", "write_panel"]
