"""``comparators="synthetic"`` for the DiD designs: the synthetic control weights of the treated
units' mean choose the comparator set (issue 13 item 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from did_helpers import css_panel

import vrueval as ve
from vrueval.designs.synthetic.weights import simplex_least_squares

ROB = "css_robbery"
#: Four VRU forces whose mean lies inside the never-funded forces' hull (the 18 together lie
#: outside it: their synthetic control is one force, and one comparator is refused by the
#: few-clusters rule).
TREATED = ["Avon and Somerset", "Essex", "Kent", "Sussex"]


@pytest.fixture(scope="module")
def panel(raw_data):
    return css_panel(raw_data)


def test_synthetic_comparators_are_the_weighted_donors(panel):
    res = ve.DiD(panel, ROB, start="2019/20", treated=TREATED, comparators="synthetic").fit("cr2")
    chosen = list(res.settings["comparators"])
    table = res.comparators()
    treated = table.query("role == 'treated'")["unit"].tolist()
    dropped = table.query("role == 'dropped'")
    pool = [*chosen, *dropped[dropped["reason"].str.contains("synthetic")]["unit"]]
    # the weights recomputed from the panel's own pre-period table pick the same units
    wide = panel.wide(ROB) if hasattr(panel, "wide") else None
    if wide is None:
        data = panel.data if hasattr(panel, "data") else panel._data
        long = data[data["outcome"] == ROB]
        wide = long.pivot(index="period", columns="unit", values="value")
    pre = wide.loc[[p for p in wide.index if str(p) < "2019/20"]]
    w = simplex_least_squares(pre[pool].to_numpy(float), pre[treated].mean(axis=1).to_numpy(float))
    expected = sorted(u for u, x in zip(pool, w, strict=True) if x > 1e-6)
    assert sorted(chosen) == expected
    assert 1 <= len(chosen) < len(pool)
    assert "synthetic control of the treated units' mean" in res.settings["comparator_rule"]
    assert not any("poor pre-period fit" in m for m in res.warnings)  # inside the hull
    # the same estimate as naming those comparators
    named = ve.DiD(panel, ROB, start="2019/20", treated=TREATED, comparators=chosen).fit("cr2")
    np.testing.assert_allclose(
        res.effects()["estimate"].to_numpy(), named.effects()["estimate"].to_numpy(), rtol=1e-12
    )
    assert isinstance(table, pd.DataFrame)


def test_all_vru_forces_lie_outside_the_hull(panel):
    """The 18 VRU forces' mean is matched by one never-funded force: too few comparators for
    cluster inference, which says so."""
    design = ve.DiD(panel, ROB, start="2019/20", comparators="synthetic")
    # the set was chosen from a fit that cannot reach the treated mean: said before any fit
    (note,) = [m for m in design._prepare().messages if "chose from a poor pre-period fit" in m]
    assert "lies above every candidate in" in note
    with pytest.raises(ValueError, match="1 untreated"):
        design.fit("cr2")
