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
