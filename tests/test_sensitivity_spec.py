"""A spec can ask for the sensitivity analysis of its event study; results.json carries it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vrueval.analysis.runner import run_spec
from vrueval.analysis.spec import SpecError, load_spec

SPEC = """
[analysis]
name = "es_violence_sensitivity"
design = "EventStudy"
level = 0.95
seed = 11

[data]
dataset = "crime_severity"
outcome = "css_violence_against_the_person"

[design]
start = "2019/20"
leads = 4

[fit]
inference = "cr2"

[sensitivity]
restriction = "relative_magnitude"
bounds = [0.5, 1]
breakdown = false
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "analyses").mkdir(exist_ok=True)
    path = tmp_path / "analyses" / "spec.toml"
    path.write_text(text)
    return path


def test_spec_sensitivity_is_run_and_recorded(tmp_path):
    doc = run_spec(load_spec(_write(tmp_path, SPEC)))
    sens = doc["sensitivity"]
    assert [r["bound"] for r in sens["effects"]] == [0.5, 1.0]
    assert sens["settings"]["method"] == "c-lf"
    assert sens["term"] == "att:e=0"
    assert sens["seed"] == 11  # the spec's seed, recorded with the sensitivity


def test_spec_sensitivity_keys_are_checked(tmp_path):
    with pytest.raises(SpecError, match="unknown key\\(s\\) \\['mbar'\\] in \\[sensitivity\\]"):
        load_spec(_write(tmp_path, SPEC.replace("bounds = [0.5, 1]", "mbar = [0.5, 1]")))
    its = SPEC.replace('design = "EventStudy"', 'design = "DiD"').replace("leads = 4\n", "")
    with pytest.raises(SpecError, match="\\[sensitivity\\] needs event-time coefficients"):
        load_spec(_write(tmp_path, its))


def test_spec_sensitivity_that_draws_needs_a_seed(tmp_path):
    unseeded = SPEC.replace("seed = 11\n", "")
    with pytest.raises(SpecError, match="\\[sensitivity\\] with the C-LF hybrid"):
        load_spec(_write(tmp_path, unseeded))
    # the conditional test and the FLCI draw nothing: no seed needed
    load_spec(_write(tmp_path, unseeded + 'method = "conditional"\n'))
    smooth = unseeded.replace('"relative_magnitude"', '"smoothness"')
    load_spec(_write(tmp_path, smooth))


def test_verify_compares_the_recorded_sensitivity_numbers():
    import copy

    from vrueval.analysis.verify import _compare_sensitivity, sensitivity_rows
    from vrueval.sensitivity import honest_did_arrays

    res = honest_did_arrays(
        [0.1, -0.05, 0.3, 0.35],
        [[0.01, 0.002, 0.002, 0.002], [0.002, 0.01, 0.002, 0.002]]
        + [[0.002, 0.002, 0.01, 0.002], [0.002, 0.002, 0.002, 0.01]],
        2,
        2,
        bounds=[0, 0.5],
        method="conditional",
    )
    document = {"sensitivity": res.to_dict()}
    recorded = sensitivity_rows(document)
    assert recorded is not None
    assert [r["term"] for r in recorded["sets"]] == [
        "sensitivity att:e=0 Mbar=0",
        "sensitivity att:e=0 Mbar=0.5",
    ]
    same = _compare_sensitivity("x", copy.deepcopy(recorded), document)
    assert not same.problems and same.numbers == 2 * 4 + 1  # p_value NaN on both: compared
    moved = copy.deepcopy(recorded)
    moved["sets"][1]["conf_high"] *= 1 + 1e-3
    moved["breakdown"][0]["estimate"] *= 1 + 1e-2
    found = _compare_sensitivity("x", moved, document)
    assert any("Mbar=0.5 conf_high moved" in p for p in found.problems)
    assert any("breakdown Mbar estimate moved" in p for p in found.problems)
    missing = _compare_sensitivity("x", None, document)
    assert any("not recorded" in p for p in missing.problems)


def test_report_run_carries_the_sensitivity_and_its_seed():
    from vrueval import reporting as rp

    root = Path(__file__).resolve().parents[1]
    run = rp.run("es_css_violence", root)
    assert run.sensitivity is not None
    assert run.document["sensitivity"]["effects"] == run.sensitivity.to_dict()["effects"]
    table = rp.provenance_table(run).set_index("Item")["Value"]
    assert table["Seed"] == "none (deterministic)"  # the CR2 fit draws nothing
    assert table["Sensitivity analysis seed"] == str(run.spec.seed)
