"""The staggered estimators' cluster column and rates per population.

Cluster references: tests/reference/staggered_covariates_peers.json (``clusters``), made by
staggered_covariates_peers.py: mpdta clustered by state (``countyreal // 1000``, 29 states) and
the simulated panel with covariates clustered in blocks of ten units. Tolerances (relative):
Sun & Abraham against pyfixest CRV1 by the cluster, 1e-8; imputation against diff-diff
``ImputationDiD(cluster=)``, 1e-8; Callaway & Sant'Anna against diff-diff
``CallawaySantAnna(cluster=)`` (influence functions summed within clusters, times G/(G-1)),
1e-7 (its logit-free covariate-less fit: closed forms on both sides, but diff-diff's
aggregation runs through its own weights).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve

REF = Path(__file__).resolve().parent / "reference"
PEERS = json.loads((REF / "staggered_covariates_peers.json").read_text())["clusters"]
MP = {"outcome": "lemp", "unit": "countyreal", "time": "year", "first_treated": "first.treat"}
SIM = {"outcome": "y", "unit": "id", "time": "year", "first_treated": "g"}
TOL = 1e-8


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    mp = pd.read_csv(REF / "mpdta.csv.gz")
    return mp.assign(state=mp["countyreal"] // 1000)


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    d = pd.read_csv(REF / "staggered_sim_tv.csv")
    return d.assign(block=(d["id"] - 1) // 10)


def _close(ours: object, ref: object, tol: float, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(ours, dtype=float),
        np.asarray(ref, dtype=float),
        rtol=tol,
        atol=1e-12,
        err_msg=what,
    )


def _case(name: str, mpdta: pd.DataFrame, sim: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    if name == "mpdta":
        return mpdta, {**MP, "cluster": "state"}
    return sim, {**SIM, "cluster": "block", "covariates": ["x1", "x2"]}


@pytest.mark.parametrize("name", ["mpdta", "sim_tv"])
def test_sun_abraham_clustered_matches_pyfixest(
    name: str, mpdta: pd.DataFrame, sim: pd.DataFrame
) -> None:
    frame, args = _case(name, mpdta, sim)
    ref = PEERS[f"sunab|{name}"]
    res = ve.SunAbraham(frame, **args).fit()
    eff = res.effects().set_index("term")
    terms = [
        f"att:g={int(g)},t={int(g + e)}" for g, e in zip(ref["cohort"], ref["rel"], strict=True)
    ]
    _close(eff.loc[terms, "estimate"], ref["estimate"], TOL, name)
    _close(eff.loc[terms, "std_error"], ref["se"], TOL, f"{name} CR1 by cluster")
    dyn = [f"att:e={e}" for e in ref["dynamic"]["keys"]]
    _close(eff.loc[dyn, "std_error"], ref["dynamic"]["se"], TOL, f"{name} IW SE")
    assert res.settings["cluster"] == args["cluster"]
    assert res.diagnostics["clusters"] == frame[args["cluster"]].nunique()


@pytest.mark.parametrize("name", ["mpdta", "sim_tv"])
def test_imputation_clustered_matches_diff_diff(
    name: str, mpdta: pd.DataFrame, sim: pd.DataFrame
) -> None:
    frame, args = _case(name, mpdta, sim)
    ref = PEERS[f"imputation|{name}"]
    eff = ve.Imputation(frame, **args).fit().effects().set_index("term")
    _close(eff.loc["att:simple", "estimate"], ref["overall_att"], TOL, name)
    _close(eff.loc["att:simple", "std_error"], ref["overall_se"], TOL, f"{name} clustered")
    dyn = [f"att:e={int(e)}" for e in ref["dynamic"]["keys"]]
    _close(eff.loc[dyn, "std_error"], ref["dynamic"]["se"], TOL, f"{name} event time")


def test_callaway_santanna_clustered_matches_diff_diff(mpdta: pd.DataFrame) -> None:
    ref = PEERS["cs|mpdta"]
    res = ve.StaggeredDiD(mpdta, **MP, cluster="state").fit()
    eff = res.effects().set_index("term")
    terms = [f"att:g={int(g)},t={int(t)}" for g, t in zip(ref["group"], ref["time"], strict=True)]
    _close(eff.loc[terms, "estimate"], ref["att"], 1e-7, "ATT(g,t)")
    _close(eff.loc[terms, "std_error"], ref["se"], 1e-7, "ATT(g,t) clustered SE")
    _close(eff.loc["att:simple", "std_error"], ref["overall_se"], 1e-7, "simple clustered SE")


@pytest.mark.parametrize("cls", [ve.StaggeredDiD, ve.SunAbraham, ve.Imputation])
def test_cluster_column_rules(cls: type, mpdta: pd.DataFrame) -> None:
    """The unit column as cluster is the default; clusters of one unit each give the unit
    standard errors (times G/(G-1) for Callaway & Sant'Anna); a label varying within a unit
    or missing is refused; the bootstrap draws one multiplier per cluster, seeded."""
    plain = cls(mpdta, **MP).fit().effects()
    same = cls(mpdta, **MP, cluster="countyreal").fit().effects()
    pd.testing.assert_frame_equal(plain, same)
    singletons = cls(mpdta.assign(c=mpdta["countyreal"].astype(str)), **MP, cluster="c").fit()
    ratio = singletons.effects()["std_error"] / plain["std_error"]
    n = mpdta["countyreal"].nunique()
    expected = np.sqrt(n / (n - 1)) if cls is ve.StaggeredDiD else 1.0
    np.testing.assert_allclose(ratio.dropna(), expected, rtol=1e-10)
    varying = mpdta.copy()
    varying.loc[0, "state"] = 99
    with pytest.raises(ValueError, match=r"constant within a unit .* varies for \['8001'\]"):
        cls(varying, **MP, cluster="state")
    missing = mpdta.astype({"state": float})
    missing.loc[5, "state"] = np.nan
    with pytest.raises(ValueError, match="column 'state': 1 missing cluster label"):
        cls(missing, **MP, cluster="state")
    boot = cls(mpdta, **MP, cluster="state").fit(inference="bootstrap", draws=199, seed=3)
    again = cls(mpdta, **MP, cluster="state").fit(inference="bootstrap", draws=199, seed=3)
    pd.testing.assert_frame_equal(boot.effects(), again.effects())
    assert boot.settings["cluster"] == "state"
    analytic = cls(mpdta, **MP, cluster="state").fit().effects().set_index("term")
    se = boot.effects().set_index("term").loc["att:simple", "std_error"]
    assert 0.75 < se / analytic.loc["att:simple", "std_error"] < 1.33


@pytest.mark.parametrize("cls", [ve.StaggeredDiD, ve.SunAbraham, ve.Imputation])
def test_rates_per_population(cls: type, mpdta: pd.DataFrame) -> None:
    """scale='rate' fits the outcome per `per` of the population column: the same numbers as
    the rate computed by hand; population is refused without it and a rate without it."""
    frame = mpdta.assign(pop=np.exp(mpdta["lpop"]) * 1000, count=np.exp(mpdta["lemp"]))
    args = {**MP, "outcome": "count"}
    res = cls(frame, **args, population="pop", scale="rate", per=1000).fit()
    by_hand = cls(
        frame.assign(rate=frame["count"] / frame["pop"] * 1000), **{**MP, "outcome": "rate"}
    )
    pd.testing.assert_frame_equal(res.effects(), by_hand.fit().effects())
    assert res.settings["scale"] == "rate" and res.settings["per"] == 1000.0
    with pytest.raises(ValueError, match="read only with scale='rate'"):
        cls(frame, **args, population="pop")
    with pytest.raises(ValueError, match="scale='rate' needs population="):
        cls(frame, **args, scale="rate")
    with pytest.raises(ValueError, match="scale must be one of"):
        cls(frame, **args, population="pop", scale="per_capita")
    zero = frame.copy()
    zero.loc[4, "pop"] = 0.0
    with pytest.raises(ValueError, match=r"zero or negative for unit\(s\) \['8001'\]"):
        cls(zero, **args, population="pop", scale="rate")
    gap = frame.copy()
    gap.loc[4, "pop"] = np.nan
    dropped = cls(gap, **args, population="pop", scale="rate").fit()
    assert dropped.diagnostics["units"] == 499
    assert any("8001" in w and "missing" in w for w in dropped.warnings)


def test_rates_on_a_panel_use_its_population(mpdta: pd.DataFrame) -> None:
    """A Panel's rate is per its population column: the same numbers as the frame's."""
    frame = mpdta.assign(pop=np.exp(mpdta["lpop"]) * 1000, count=np.exp(mpdta["lemp"]))
    panel = ve.Panel.from_frame(
        frame[["countyreal", "year", "count", "pop"]],
        unit="countyreal",
        time="year",
        outcome="count",
        population="pop",
        geography="custom",
        measure="rate",
    )
    starts = frame.groupby("countyreal")["first.treat"].first()
    first = {str(u): int(g) for u, g in starts.items() if g > 0}
    on_panel = ve.StaggeredDiD(panel, outcome="count", first_treated=first, scale="rate").fit()
    on_frame = ve.StaggeredDiD(
        frame, **{**MP, "outcome": "count"}, population="pop", scale="rate"
    ).fit()
    np.testing.assert_allclose(
        on_panel.effects()["estimate"], on_frame.effects()["estimate"], rtol=1e-12
    )
    with pytest.raises(ValueError, match="options of a DataFrame"):
        ve.StaggeredDiD(panel, outcome="count", first_treated=first, cluster="state")


@pytest.mark.parametrize("cls", [ve.StaggeredDiD, ve.SunAbraham, ve.Imputation])
def test_non_numeric_values_are_refused_as_the_panel_refuses_them(
    cls: type, mpdta: pd.DataFrame
) -> None:
    """The frame's numbers pass the Panel validator's rule: a typo is an error showing its
    row, not a unit dropped as missing."""
    typo = mpdta.astype({"lemp": object})
    typo.loc[7, "lemp"] = "n/a"
    with pytest.raises(ve.PanelError, match="column 'lemp': non-numeric lemp entries"):
        cls(typo, **MP)
    flags = mpdta.assign(big=mpdta["lpop"] > 3)
    with pytest.raises(ve.PanelError, match="True is not 1"):
        cls(flags, **MP, covariates=["big"])


@pytest.mark.parametrize("cls", [ve.StaggeredDiD, ve.SunAbraham, ve.Imputation])
def test_rebootstrap_keeps_the_clusters(cls: type, sim: pd.DataFrame) -> None:
    design = cls(sim, **SIM, cluster="block", covariates=["x1"])
    again = design.fit().rebootstrap(draws=199, seed=1)
    direct = design.fit(inference="bootstrap", draws=199, seed=1)
    pd.testing.assert_series_equal(again.effects()["std_error"], direct.effects()["std_error"])
    assert again.settings["cluster"] == direct.settings["cluster"] == "block"
    json.dumps(again.to_dict())


@pytest.mark.parametrize("cls", [ve.StaggeredDiD, ve.SunAbraham, ve.Imputation])
def test_geography_resolves_units_as_in_every_design(cls: type, sim: pd.DataFrame) -> None:
    """``geography=`` as the other designs take it: LAD names resolved (the result names the
    units as the frame does, numbers as with the identifiers taken as given), and a malformed
    LSOA code refused naming the rows."""
    ids = sorted(sim["id"].unique())
    names = [a.name for a in ve.areas.lads()[: len(ids)]]
    lad = sim.assign(id=sim["id"].map(dict(zip(ids, names, strict=True))))
    args = {**SIM, "covariates": ["x1"]}
    custom = cls(lad, **args).fit()
    resolved = cls(lad, **args, geography="lad").fit()
    pd.testing.assert_frame_equal(custom.effects(), resolved.effects())
    lsoa = sim.assign(id=sim["id"].map(lambda i: f"E0100{i:04d}"))
    lsoa.loc[lsoa["id"] == "E01000003", "id"] = "E0100003"
    with pytest.raises(ve.PanelError, match="E0100003"):
        cls(lsoa, **args, geography="lsoa")
    with pytest.raises(ValueError, match="geography=: options of a DataFrame"):
        cls(ve.datasets.crime_severity(), outcome="css_robbery", geography="force")


def test_unreadable_first_treated_label_names_the_column_and_units(mpdta: pd.DataFrame) -> None:
    frame = mpdta.assign(g=mpdta["first.treat"].astype(str))
    frame.loc[frame["countyreal"] == 8001, "g"] = "soon"
    with pytest.raises(ve.PanelError, match=r"column 'g', unit\(s\) \['8001'\]: 'soon'"):
        ve.StaggeredDiD(frame, **{**MP, "first_treated": "g"})
