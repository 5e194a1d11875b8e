"""DiD estimates and clustered errors against R (estimatr, plm, sandwich) on the real CSS panel.

Reference values: tests/reference/did_css_reference.R -> did_css_reference.json. The checks and
tolerances (estimates 1e-6, standard errors and CR2 df 1e-5, relative) live in
vrueval.reporting.validation, which the Methods and validation report shows too.
"""

from __future__ import annotations

import numpy as np
import pytest
from agreement import assert_agree

from vrueval.designs import DiD
from vrueval.designs.did_data import prepare
from vrueval.reporting import validation as v

CHECKS = [c for c in v.DID_CHECKS if c != "sample"]


def test_reference_sample_matches() -> None:
    assert_agree(v.did_vs_r(outcomes=[], checks=["sample"]))
    res = DiD(v.css_panel(), "css_robbery", start="2019/20").fit()
    assert any("City of London" in w for w in res.warnings)


@pytest.mark.parametrize("outcome", v.DID_OUTCOMES)
@pytest.mark.parametrize("check", CHECKS)
def test_matches_r(outcome: str, check: str) -> None:
    rows = v.did_vs_r(outcomes=[outcome], checks=[check])
    assert_agree(rows)


def test_every_check_compares_estimates_and_errors() -> None:
    rows = v.did_vs_r(outcomes=["css_robbery"])
    for check in ("twfe", "two_by_two", "event_study", "poisson", "population-weighted twfe"):
        quantities = set(rows.loc[rows["check"] == f"css_robbery: {check}", "quantity"])
        assert any(q.startswith(("estimate", "log rate")) for q in quantities), check
        assert any(q.startswith("std_error") for q in quantities), check


def test_prepare_is_unit_major() -> None:
    panel = v.css_panel()
    data = prepare(
        panel,
        "css_robbery",
        treated=v.load_reference("did_css_reference.json")["data"]["treated"],
        start=panel.period("2019/20"),
        comparators="never_funded",
        exclude=(),
        n_similar=12,
        scale="value",
        per=1e5,
        window=(None, None),
        intensity=None,
        weights="none",
    )
    assert np.all(np.diff(data.unit_code) >= 0)
