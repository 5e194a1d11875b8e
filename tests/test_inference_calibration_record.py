"""The Methods report's short Monte Carlo run is recorded, not re-simulated on every render.

``tests/reference/inference_calibration.py short_run`` records it (the settings the report
shows: 200 ITS series and 1,000 DiD panels, seed 1) in ``inference_calibration.json``. The slow
test re-simulates it and requires the same rates exactly: the simulation is deterministic for a
seed whatever the number of processes (vrueval.compute), so any difference means the estimators
or the simulation changed and the record (and the report) must be re-made. The fast test checks
the record is complete and states what the report quotes.
"""

from __future__ import annotations

import pytest

from vrueval.validation import calibration


def _short() -> dict:
    return calibration.recorded()["short_run"]


def test_short_run_record_is_complete() -> None:
    short = _short()
    assert (short["its_reps"], short["did_reps"], short["seed"]) == (200, 1000, 1)
    assert set(short["its_coverage"]) == set(calibration.ITS_LABELS)
    assert set(short["did_size"]) == set(calibration.DID_LABELS)
    assert short["seconds"] > 0 and short["recorded"]["date"]
    for rate in [*short["its_coverage"].values(), *short["did_size"].values()]:
        assert 0.0 <= rate <= 1.0


@pytest.mark.slow
def test_short_run_record_matches_a_fresh_run() -> None:
    short = _short()
    its = calibration.its_coverage(short["its_reps"], short["seed"])
    did = calibration.did_size(short["did_reps"], short["seed"])
    # exact: the same seed gives the same replicates; a rate is a count over reps
    assert its == short["its_coverage"]
    assert did == short["did_size"]
