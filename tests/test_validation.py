"""Every agreement row of vrueval.validation passes, and a moved reference fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from agreement import assert_agree

from vrueval import validation as v

REFERENCE = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return v.all_checks(REFERENCE)


def test_every_agreement_row_passes(rows: pd.DataFrame) -> None:
    assert list(rows.columns) == v.COLUMNS
    assert set(rows["family"]) == set(v.FAMILIES)
    assert_agree(rows)


def test_rows_name_existing_reference_scripts(rows: pd.DataFrame) -> None:
    root = REFERENCE.parents[1]
    for script in rows["script"].unique():
        assert (root / script).is_file(), script
    assert set(rows["criterion"]) <= {"relative", "absolute"}
    assert (rows["tolerance"] >= 0).all()


def test_summary_has_a_line_per_family(rows: pd.DataFrame) -> None:
    table = v.summary(rows)
    assert table["rows"].sum() == len(rows)
    assert list(table["family"]) == list(v.FAMILIES)
    assert table["n_compared"].sum() == rows["n_compared"].sum()
    assert table["passed"].all()
    assert (table["worst_share_of_tolerance"] <= 1).all()


def test_default_folder_is_the_projects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REFERENCE.parents[1] / "reports")
    assert v.reference_dir() == REFERENCE
    with pytest.raises(FileNotFoundError, match="does not exist"):
        v.reference_dir(REFERENCE / "nowhere")


def test_a_moved_reference_number_fails(tmp_path: Path) -> None:
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE, folder)
    path = folder / "its_reference.json"
    ref = json.loads(path.read_text())
    ref["hes_london"]["ols_hac_adjust"]["se_level_change"] *= 1 + 2e-5  # twice the tolerance
    path.write_text(json.dumps(ref))
    rows = v.its_vs_r(folder, cases=["hes_london"], fits=["ols_hac_adjust"]).set_index("quantity")
    assert not rows.loc["std_error", "passed"]
    assert rows.loc["std_error", "max_rel_diff"] == pytest.approx(2e-5, rel=1e-3)
    assert rows.loc["estimate", "passed"]


def test_compare_handles_missing_and_shape() -> None:
    both_nan = v.compare("f", "c", "r", "s", "q", [1.0, np.nan], [1.0, np.nan], 0.0)
    assert both_nan["passed"] and both_nan["n_compared"] == 2
    one_nan = v.compare("f", "c", "r", "s", "q", [1.0, np.nan], [1.0, 2.0], 1.0, "absolute")
    assert not one_nan["passed"] and one_nan["max_abs_diff"] == np.inf
    shape = v.compare("f", "c", "r", "s", "q", [1.0], [1.0, 2.0], 1.0)
    assert not shape["passed"]
    rel = v.compare("f", "c", "r", "s", "q", 1.01, 1.0, 0.02)
    assert rel["passed"] and rel["max_rel_diff"] == pytest.approx(0.01)
    assert rel["script"] == "tests/reference/s"


def test_did_family_has_every_did_reference(rows: pd.DataFrame) -> None:
    scripts = set(rows.loc[rows["family"] == v.DID_FAMILY, "script"])
    assert scripts == {
        f"tests/reference/{name}.R"
        for name in ("did_css_reference", "did_cr2_contrast_reference", "did_unbalanced_reference")
    }
    assert len(rows.loc[rows["family"] == v.DID_FAMILY]) == len(v.did_all_vs_r(REFERENCE))


def test_provenance_lists_every_reference_the_rows_use(rows: pd.DataFrame) -> None:
    files = set(v.provenance(REFERENCE)["file"])
    for script in rows["script"].unique():
        stem = script.rsplit(".", 1)[0]
        assert f"{stem}.json" in files, script


def test_a_moved_contrast_df_fails(tmp_path: Path) -> None:
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE, folder)
    path = folder / "did_cr2_contrast_reference.json"
    ref = json.loads(path.read_text())
    ref["css_robbery"]["staggered_event_study"]["att"]["linear_contrast"]["df"] *= 1 + 2e-6
    path.write_text(json.dumps(ref))
    rows = v.did_contrast_vs_r(folder, outcomes=["css_robbery"], designs=["staggered_event_study"])
    failed = rows.loc[~rows["passed"]]
    assert list(failed["quantity"]) == ["contrast df CR2"]
    assert "linear_contrast" in failed["reference"].iloc[0]
    assert failed["max_rel_diff"].iloc[0] == pytest.approx(2e-6, rel=1e-3)
