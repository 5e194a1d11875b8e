"""Size and coverage of the synthetic designs' inference by simulation on panels shaped like the
VRU force panels (43 units, 14 years, AR(1) errors, unit and time effects; one or 18 treated):
vrueval.validation.synthetic_calibration. The recorded long run is
``reference/synthetic_calibration.json`` (``reference/synthetic_calibration.py``); these slow
tests rerun fewer replicates with the same seeds and assert the rates within three binomial
standard errors of what theory gives, where theory says it should hold:

* the in-space placebo test (RMSPE-ratio rank) is exact when treatment falls on a unit drawn
  like the others: rejection at 10% is 4/43;
* the SDiD placebo interval (homoskedastic units, as here) covers at about 95%, with one
  treated unit and with 18; the jackknife with 18 treated covers at least about 95% (it is
  known to be conservative); with one treated unit it is refused, not returned;
* the conformal set for a constant effect can reject only when its statistic ranks first of
  14 cyclic shifts, so it covers at least 13/14; the pointwise sets for one year (10 shifts)
  can never reject at 10% and are unbounded, as the design warns.
"""

from __future__ import annotations

import numpy as np
import pytest

import vrueval as ve
from vrueval.validation import synthetic_calibration as cal


def test_panel_shape_and_planted_effect():
    rng = np.random.default_rng(1)
    frame = cal.panel(rng, 18, 2.5)
    assert frame["unit"].nunique() == 43 and frame["year"].nunique() == 14
    treated = frame.groupby("unit")["treated"].max()
    assert int(treated.sum()) == 18 and list(treated.index[treated == 1])[0] == "u25"
    assert int(frame.loc[frame["unit"] == "u42", "treated"].sum()) == 14 - cal.PRE
    again = cal.panel(np.random.default_rng(1), 18, 0.0)
    diff = frame["y"].to_numpy() - again["y"].to_numpy()
    np.testing.assert_allclose(diff, 2.5 * frame["treated"].to_numpy(), atol=1e-12)


def test_jackknife_with_one_treated_unit_is_refused():
    frame = cal.panel(np.random.default_rng(2), 1, 1.0)
    design = ve.SyntheticDiD(frame, unit="unit", time="year", outcome="y", treated="treated")
    with pytest.raises(ValueError, match="not defined with a single treated unit"):
        design.fit(inference="jackknife")


@pytest.mark.slow
def test_sc_placebo_test_is_exact():
    reps = 300
    got = cal.sc_placebo_size(reps, 20261301)["rejection_at_0.10"]
    low, high = cal.band(4 / 43, reps)
    assert low <= got <= high, got


@pytest.mark.slow
def test_sdid_placebo_and_jackknife_cover_with_eighteen_treated():
    reps = 60
    got = cal.sdid_coverage(reps, 20261303, 18, draws=100)
    low, _ = cal.band(0.95, reps)
    assert got["placebo"] >= low, got
    assert got["jackknife"] >= low, got
    # the 18 units of a panel share its draws: the band of one panel a replicate (wider)
    assert got["placebo_unit"] >= low, got


@pytest.mark.slow
def test_sdid_placebo_covers_with_one_treated():
    reps = 60
    got = cal.sdid_coverage(reps, 20261302, 1, draws=100)
    low, _ = cal.band(0.95, reps)
    assert got["placebo"] >= low, got


@pytest.mark.slow
def test_conformal_constant_effect_covers_and_yearly_sets_are_unbounded():
    reps = 60
    got = cal.conformal_coverage(reps, 20261304)
    assert got["att"] >= cal.band(13 / 14, reps)[0], got
    assert got["pointwise_unbounded"] == 1.0, got


def test_recorded_long_run_matches_theory():
    """The recorded run (reference/synthetic_calibration.json) within three binomial standard
    errors of what theory gives, where it gives something: exact placebo size 4/43, conformal
    coverage at least 13/14, placebo coverage 0.95. The jackknife is held to the lower band
    only (recorded: 0.91 with 18 treated, AR(1) errors and 9 pre-periods, slightly below the
    nominal 0.95 that the paper's 'conservative' would suggest)."""
    import json
    from pathlib import Path

    rec = json.loads(
        (Path(__file__).parent / "reference" / "synthetic_calibration.json").read_text()
    )
    sc = rec["sc_placebo_size"]
    low, high = cal.band(4 / 43, sc["reps"])
    assert low <= sc["rejection_at_0.10"] <= high
    conf = rec["conformal"]
    assert conf["att"] >= cal.band(13 / 14, conf["reps"])[0]
    assert conf["pointwise_unbounded"] == 1.0
    for key in ("sdid_eighteen_treated", "sdid_one_treated"):
        study = rec[key]
        low, high = cal.band(0.95, study["reps"])
        assert low <= study["placebo"] <= min(high, 1.0), (key, study)
    eighteen = rec["sdid_eighteen_treated"]
    assert eighteen["jackknife"] >= cal.band(0.95, eighteen["reps"])[0]
    assert "jackknife" not in rec["sdid_one_treated"]  # refused with one treated unit
