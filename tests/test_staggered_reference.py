"""Callaway-Sant'Anna on mpdta against R ``did`` (printed) and its Python ports (to 1e-7).

Reference files in tests/reference/:
- mpdta.csv.gz: R ``did::mpdta`` (2,500 rows), as shipped in the moderndid 0.2.0 wheel (MIT);
  its ATT(g,t) reproduce the R README to every printed digit.
- cs_mpdta_published.json: the R ``did`` README's printed tables (4 decimals; bootstrap SEs from
  one unseeded run of 1,000 draws).
- cs_mpdta_peers.json: csdid 0.4.3 over 12 option combinations, differences 0.3.0 and diff-diff
  3.13.0 for the default ones, made by cs_mpdta_peers.py.

The comparisons and tolerances live in vrueval.validation (cs_vs_ports,
cs_vs_published), which the Methods and validation report shows too.
"""

from __future__ import annotations

import numpy as np
import pytest
from agreement import assert_agree

from vrueval import validation as v

CSDID_QUANTITIES = {
    "(g,t) cells",
    "ATT(g,t)",
    "SE(g,t)",
    "aggregated ATT (4 kinds)",
    "aggregated SE (4 kinds)",
    "pre-test p-value (5 dp)",
}


@pytest.mark.parametrize("key", v.cs_keys())
def test_matches_csdid(key: str) -> None:
    rows = v.cs_vs_ports(keys=[key], peers=["csdid"])
    assert set(rows["quantity"]) == CSDID_QUANTITIES
    assert_agree(rows)


@pytest.mark.parametrize("peer", ["differences", "diff_diff"])
@pytest.mark.parametrize("formula", ["~1", "lemp~lpop"])
def test_matches_other_ports(peer: str, formula: str) -> None:
    key = f"nevertreated|{formula}|dr|varying"
    rows = v.cs_vs_ports(keys=[key], peers=[peer])
    assert len(rows) == 4
    # diff-diff's doubly robust fit differs from R/csdid/differences by up to 7e-6 (its own
    # logit; the cause is not established), so it is held to 1e-5 with covariates.
    expected = 1e-5 if (peer == "diff_diff" and formula != "~1") else 1e-7
    assert (rows["tolerance"] == expected).all()
    assert_agree(rows)


@pytest.fixture(scope="module")
def published():
    return v.cs_vs_published()


def test_published_point_estimates(published) -> None:
    rows = published[~published["quantity"].str.startswith(("bootstrap", "simultaneous"))]
    assert len(rows) == 7
    assert_agree(rows)
    eff = v.cs_fit(None, v.CS_DEFAULT).effects().set_index("term")
    assert eff.loc["att", "estimate"] == eff.loc["att:group", "estimate"]


def test_published_bootstrap_within_monte_carlo_error(published) -> None:
    """R's printed SEs come from one run of 1,000 Mammen draws: the IQR-based SE has a relative
    Monte Carlo s.d. of about 1.17/sqrt(1000) = 3.7%; with 5,000 draws of ours the difference
    has s.d. about 4%, so 15% is a 4-sigma tolerance per term."""
    rows = published[published["quantity"].str.startswith(("bootstrap", "simultaneous"))]
    assert len(rows) == 5
    assert_agree(rows)
    gt = v.cs_fit(None, v.CS_DEFAULT, inference="bootstrap", draws=5000, seed=11).group_time()
    assert np.all(gt["band_low"] < gt["conf_low"])


def test_bootstrap_close_to_analytic() -> None:
    key = "nevertreated|lemp~lpop|dr|varying"
    analytic = v.cs_fit(None, key).effects()
    boot = v.cs_fit(None, key, inference="bootstrap", draws=4000, seed=5).effects()
    np.testing.assert_array_equal(analytic["estimate"], boot["estimate"])
    ratio = boot["std_error"] / analytic["std_error"]
    assert ratio.between(0.85, 1.15).all()
