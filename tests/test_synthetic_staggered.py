"""Synthetic DiD for staggered adoption (ve.StaggeredSyntheticDiD) against its references.

References (scripts in tests/reference/):

* ``synthdid`` 0.10.1 (PyPI; d2cml-ai's port of Stata ``sdid``, ``sdid_staggered_synthdid.py``):
  each cohort's estimate, weights and aggregation share on mpdta (without the 2004 cohort) and
  ehec. Tolerance 1e-9 relative for the estimates and 1e-9 absolute for the weights (the same
  Frank-Wolfe iterations and stopping rule; the numbers agree to about 1e-14); the package's
  ``att`` is rounded to 5 decimals by the package, so it is held to 5e-6.
* Base R with the R ``synthdid`` source (``sdid_staggered_reference.R``, this project's own
  reimplementation of Stata sdid's cohort aggregation, jackknife, placebo and bootstrap): the
  overall and cohort estimates, the jackknife standard errors, and the placebo and bootstrap
  standard errors on the very draws vrueval makes with the seed
  (``sdid_staggered_make_inputs.py``). Tolerance 1e-8 relative (solver rounding).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.designs.synthetic.data import SyntheticDataError

REF = Path(__file__).resolve().parent / "reference"
ROOT = REF.parent.parent
PEER = json.loads((REF / "sdid_staggered_synthdid.json").read_text())
R = json.loads((REF / "sdid_staggered_reference.json").read_text())
INPUTS = json.loads((REF / "sdid_staggered_inputs.json").read_text())


def _mpdta() -> pd.DataFrame:
    m = pd.read_csv(ROOT / "data" / "mpdta" / "mpdta.csv.gz")
    return m[m["first.treat"] != 2004]


def _ehec(cohorts: tuple[int, ...] | None = None) -> pd.DataFrame:
    e = pd.read_csv(REF / "ehec_data.csv")
    e["g"] = e["yexp2"].fillna(0).astype(int)
    if cohorts is not None:
        e = e[e["g"].isin((0, *cohorts))]
    return e


def _design(name: str) -> ve.StaggeredSyntheticDiD:
    if name == "mpdta":
        return ve.StaggeredSyntheticDiD(
            _mpdta(), outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
        )
    cohorts = {"ehec": (2014, 2015, 2016, 2019), "ehec_small": (2015, 2016, 2019)}[name]
    return ve.StaggeredSyntheticDiD(
        _ehec(cohorts), outcome="dins", unit="stfips", time="year", first_treated="g"
    )


@pytest.fixture(scope="module")
def mpdta_jackknife() -> ve.Result:
    return _design("mpdta").fit(inference="jackknife")


def test_cohort_estimates_and_weights_match_synthdid_package(mpdta_jackknife: ve.Result) -> None:
    res = mpdta_jackknife
    peer = PEER["mpdta"]
    eff = res.effects().set_index("term")
    for g, c in peer["cohorts"].items():
        assert eff.loc[f"att:cohort={g}", "estimate"] == pytest.approx(c["estimate"], rel=1e-9)
        w = res.weights()
        w = w[w["cohort"] == g].set_index("unit")["weight"]
        np.testing.assert_allclose(w.loc[c["controls"]].to_numpy(), c["omega"], atol=1e-9)
        lam = res.time_weights()
        np.testing.assert_allclose(lam[lam["cohort"] == g]["weight"], c["lambda"], atol=1e-9)
        share = next(d for d in res.diagnostics["by_cohort"] if d["cohort"] == g)["share"]
        assert share == pytest.approx(c["share"], rel=1e-12)
    assert eff.loc["att", "estimate"] == pytest.approx(peer["att_rounded_5"], abs=5e-6)


def test_ehec_five_cohorts_match_synthdid_package() -> None:
    """Five cohorts, one of a single state (2017): point estimates need no variance."""
    design = ve.StaggeredSyntheticDiD(
        _ehec(), outcome="dins", unit="stfips", time="year", first_treated="g"
    )
    eff = design.fit(inference="none").effects().set_index("term")
    peer = PEER["ehec"]
    for g, c in peer["cohorts"].items():
        assert eff.loc[f"att:cohort={g}", "estimate"] == pytest.approx(c["estimate"], rel=1e-9)
    assert eff.loc["att", "estimate"] == pytest.approx(peer["att_rounded_5"], abs=5e-6)
    # the overall effect is the share-weighted mean of the cohorts' (not their plain mean)
    taus = np.array([c["estimate"] for c in peer["cohorts"].values()])
    shares = np.array([c["share"] for c in peer["cohorts"].values()])
    assert eff.loc["att", "estimate"] == pytest.approx(shares @ taus, rel=1e-12)
    assert abs(eff.loc["att", "estimate"] - taus.mean()) > 1e-3


def test_jackknife_matches_r_reimplementation(mpdta_jackknife: ve.Result) -> None:
    r = R["mpdta"]
    eff = mpdta_jackknife.effects()
    np.testing.assert_allclose(eff["estimate"][:3], [r["att"], *r["tau"]], rtol=1e-9)
    np.testing.assert_allclose(eff["std_error"][:3], r["jackknife_se"], rtol=1e-8)
    assert np.isnan(eff["std_error"][3:]).all()  # unit effects: point estimates only


@pytest.mark.parametrize("name", ["ehec", "ehec_small"])
def test_jackknife_placebo_bootstrap_match_r_on_the_same_draws(name: str) -> None:
    r, draws = R[name], INPUTS[name]["draws"]
    design = _design(name)
    n_terms = 1 + len(r["tau"])
    jk = design.fit(inference="jackknife").effects()
    np.testing.assert_allclose(jk["estimate"][:n_terms], [r["att"], *r["tau"]], rtol=1e-9)
    np.testing.assert_allclose(jk["std_error"][:n_terms], r["jackknife_se"], rtol=1e-8)
    boot = design.fit(inference="bootstrap", draws=len(draws["rows"]), seed=draws["seed"])
    np.testing.assert_allclose(boot.effects()["std_error"][:n_terms], r["bootstrap_se"], rtol=1e-8)
    assert boot.diagnostics["redrawn"] == draws["redrawn"]
    if "placebo_se" in r:
        pl = design.fit(inference="placebo", draws=len(draws["orders"]), seed=draws["seed"])
        np.testing.assert_allclose(pl.effects()["std_error"][:n_terms], r["placebo_se"], rtol=1e-8)


@pytest.mark.parametrize("inference", ["none", "jackknife", "placebo", "bootstrap"])
def test_one_cohort_is_the_simultaneous_sdid_exactly(inference: str) -> None:
    frame = _ehec((2015,))
    kw = {"draws": 39, "seed": 7} if inference in ("placebo", "bootstrap") else {}
    stag = ve.StaggeredSyntheticDiD(
        frame, outcome="dins", unit="stfips", time="year", first_treated="g"
    ).fit(inference=inference, **kw)
    simul = ve.SyntheticDiD(
        frame, outcome="dins", unit="stfips", time="year", first_treated="g"
    ).fit(inference=inference, **kw)
    a, b = stag.effects().set_index("term"), simul.effects().set_index("term")
    cols = ["estimate", "std_error", "conf_low", "conf_high", "p_value"]
    assert a.loc["att", cols].equals(b.loc["att", cols])
    assert a.loc["att:cohort=2015", cols].equals(b.loc["att", cols])
    units = [t for t in b.index if t.startswith("att:unit=")]
    assert len(units) == 3
    assert a.loc[units, "estimate"].equals(b.loc[units, "estimate"])
    sw = simul.weights().set_index("unit")["weight"]
    stw = stag.weights().set_index("unit")["weight"]
    assert stw.loc[sw.index].equals(sw)


def test_refusals_name_the_cohort_and_the_rule() -> None:
    full = ve.StaggeredSyntheticDiD(
        _ehec(), outcome="dins", unit="stfips", time="year", first_treated="g"
    )
    with pytest.raises(ValueError, match=r"two treated units in every cohort.*\['2017'\]"):
        full.fit(inference="jackknife")
    with pytest.raises(ValueError, match="more never-treated than treated units .16 never"):
        full.fit(inference="placebo", seed=1, draws=39)
    with pytest.raises(ValueError, match="random draws need an explicit seed"):
        full.fit(inference="bootstrap")


def test_input_checks() -> None:
    e = _ehec((2015, 2016))
    early = e.assign(g=np.where(e["g"] == 2015, 2009, e["g"]))
    with pytest.raises(SyntheticDataError, match="first treated at 2009, leaving 1 pre-treat"):
        ve.StaggeredSyntheticDiD(
            early, outcome="dins", unit="stfips", time="year", first_treated="g"
        )
    holed = e.copy()
    holed.loc[holed.index[5], "dins"] = np.nan
    with pytest.raises(SyntheticDataError, match="1 missing cell"):
        ve.StaggeredSyntheticDiD(
            holed, outcome="dins", unit="stfips", time="year", first_treated="g"
        )
    # a 0/1 treatment column gives the same cohorts as first_treated=
    flag = e.assign(d=((e["g"] > 0) & (e["year"] >= e["g"])).astype(int))
    by_flag = ve.StaggeredSyntheticDiD(
        flag, outcome="dins", unit="stfips", time="year", treated="d"
    )
    by_first = ve.StaggeredSyntheticDiD(
        e, outcome="dins", unit="stfips", time="year", first_treated="g"
    )
    assert by_flag.settings["cohorts"] == by_first.settings["cohorts"]
    pd.testing.assert_frame_equal(
        by_flag.fit(inference="none").effects(), by_first.fit(inference="none").effects()
    )
    # a unit whose first treated period is after the data is a control, and the result says so
    late = e.assign(g=np.where(e["g"] == 2016, 2030, e["g"]))
    res = ve.StaggeredSyntheticDiD(
        late, outcome="dins", unit="stfips", time="year", first_treated="g"
    ).fit(inference="none")
    assert res.diagnostics["controls"] == 18 and any(
        "after the last period" in w for w in res.warnings
    )


def test_result_contract(mpdta_jackknife: ve.Result) -> None:
    res = mpdta_jackknife
    d = res.to_dict()
    json.dumps(d)
    assert d["settings"]["cohorts"].keys() == {"2006", "2007"}
    assert res.path().groupby("cohort")["post"].sum().to_dict() == {"2006": 2, "2007": 1}
    # each cohort's post-period gaps average to its effect
    p = res.path()
    eff = res.effects().set_index("term")["estimate"]
    for g, rows in p[p["post"]].groupby("cohort"):
        assert rows["gap"].mean() == pytest.approx(eff[f"att:cohort={g}"], rel=1e-10)
    assert "Staggered Synthetic DiD" in res.summary()


def test_panel_input_takes_the_vru_registry_cohorts_and_refuses_missing_cells() -> None:
    knife = ve.datasets.load("knife_offences_annual", per_100k=True, comparable_only=True)
    outcome = "knife_offences_per_100k"
    window = knife.select(outcome=outcome, start="2017/18")
    # Greater Manchester is not published for FY2022/23-FY2023/24: refused, never filled
    with pytest.raises(SyntheticDataError, match=r"3 missing cell\(s\).*E23000005"):
        ve.StaggeredSyntheticDiD(window, outcome=outcome)
    units = [u for u in window.units if u not in ("E23000005", "E23000034")]
    panel = window.select(outcome=outcome, units=units)
    design = ve.StaggeredSyntheticDiD(panel, outcome=outcome)
    cohorts = design.settings["cohorts"]
    # cohorts named as a reader writes financial years (data.periods.display)
    assert {g: len(u) for g, u in cohorts.items()} == {"2019/20": 17, "2022/23": 2}
    assert set(cohorts["2022/23"]) == {"E23000012", "E23000013"}  # Cleveland, Humberside
    assert len(design.settings["controls"]) == 22
    # an explicit mapping naming the same forces gives the same numbers
    mapping = {u: g for g, members in cohorts.items() for u in members}
    explicit = ve.StaggeredSyntheticDiD(panel, outcome=outcome, first_treated=mapping)
    pd.testing.assert_frame_equal(
        design.fit(inference="none").effects(), explicit.fit(inference="none").effects()
    )


def test_plots_draw_each_cohorts_gap_and_the_estimates(mpdta_jackknife: ve.Result) -> None:
    pytest.importorskip("matplotlib").use("Agg")
    ax = mpdta_jackknife.plot()
    assert sorted(
        line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")
    ) == ["2006", "2007"]
    ax = mpdta_jackknife.plot(kind="effects")
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == [
        "att",
        "att:cohort=2006",
        "att:cohort=2007",
    ]
    with pytest.raises(ValueError, match="kind must be one of"):
        mpdta_jackknife.plot(kind="weights")
