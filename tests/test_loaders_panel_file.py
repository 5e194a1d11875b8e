"""`vrueval data load --out x.parquet` keeps the panel's provenance, and specs read it back."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from vrueval.analysis.runner import run_spec
from vrueval.analysis.spec import load_spec
from vrueval.cli import main
from vrueval.data import loaders, storage
from vrueval.data.panel import PanelError

KNIFE = "knife_quarterly_2008_2019/raw/knifecrime2.csv"

SPEC = """
[analysis]
name = "{name}"
title = "round trip"
design = "ITS"

[data]
files = ["{file}"]
format = "{format}"
outcome = "knife_offences"
units = ["West Midlands"]

[design]
interruptions = {{ svs = "2018Q2" }}
seasonality = "dummies"
model = "poisson"
response = "count"

[fit]
inference = "hac"
"""


@pytest.fixture(scope="module")
def written(raw_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("load") / "knife.parquet"
    assert (
        main(
            [
                "data",
                "load",
                "--format",
                "knife_quarterly",
                str(raw_data / KNIFE),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


def test_data_load_keeps_provenance(raw_data, written):
    direct = loaders.load("knife_quarterly", [raw_data / KNIFE])
    back = storage.read_panel(written)
    assert back.sources == direct.sources and len(back.sources) == 1
    assert back.sources[0].sha256 == loaders.provenance.sha256(raw_data / KNIFE)
    assert back.notes == direct.notes and back.notes
    assert (back.frequency, back.measure, back.geography, back.step) == (
        direct.frequency,
        direct.measure,
        direct.geography,
        direct.step,
    )
    pd.testing.assert_frame_equal(back.data, direct.data)
    # the provenance is in the file itself, readable without vrueval
    assert storage.METADATA_KEY in pq.read_schema(written).metadata


def test_spec_reads_the_panel_back_with_its_provenance(raw_data, written, tmp_path):
    docs = {}
    for fmt, file in (("vrueval-panel", written), ("knife_quarterly", raw_data / KNIFE)):
        path = tmp_path / f"{fmt}.toml"
        path.write_text(SPEC.format(name=fmt.replace("-", "_"), file=file.as_posix(), format=fmt))
        # absolute paths, allowed as on the command line (--allow-path)
        docs[fmt] = run_spec(load_spec(path, allowed_dirs=(written.parent, raw_data)))
    via_file, direct = docs["vrueval-panel"], docs["knife_quarterly"]
    assert via_file["provenance"]["data"]["sources"] == direct["provenance"]["data"]["sources"]
    assert via_file["provenance"]["data"]["notes"] == direct["provenance"]["data"]["notes"]
    assert (
        via_file["provenance"]["data"]["panel_sha256"]
        == direct["provenance"]["data"]["panel_sha256"]
    )
    assert via_file["effects"] == direct["effects"]


def test_a_parquet_without_provenance_is_refused(tmp_path):
    plain = tmp_path / "plain.parquet"
    pd.DataFrame(
        {"unit": ["Kent"], "period": ["2019-01"], "outcome": ["x"], "value": [1.0]}
    ).to_parquet(plain)
    with pytest.raises(PanelError, match="no vrueval panel metadata"):
        loaders.load("vrueval-panel", [plain])


def test_data_load_is_atomic_and_checks_out_first(raw_data, written, tmp_path, monkeypatch, capsys):
    before = written.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(storage.pq, "write_table", broken)
    # the CLI reports the failed write in one line and exits non-zero
    assert (
        main(
            [
                "data",
                "load",
                "--format",
                "knife_quarterly",
                str(raw_data / KNIFE),
                "--out",
                str(written),
            ]
        )
        == 1
    )
    assert "disk full" in capsys.readouterr().err
    assert written.read_bytes() == before
    assert [p.name for p in written.parent.iterdir()] == [written.name]
    # a folder or a non-parquet name is refused before anything is read
    assert (
        main(["data", "load", "--format", "knife_quarterly", "missing.csv", "--out", str(tmp_path)])
        != 0
    )


def test_a_damaged_period_label_is_refused(written, tmp_path):
    table = pq.read_table(written)
    frame = table.to_pandas()
    frame.loc[0, "period"] = "2019"  # a year where the file records quarters
    damaged = tmp_path / "damaged.parquet"
    storage.write_frame(
        frame, damaged, {storage.METADATA_KEY: table.schema.metadata[storage.METADATA_KEY]}
    )
    with pytest.raises(PanelError, match="not quarter periods as vrueval writes them"):
        storage.read_panel(damaged)
