"""Sun-Abraham and imputation: the public contract, and where the three staggered estimators
must agree term for term (and where they must not).

Theory checked here, each to 1e-10:
- Sun & Abraham's saturated regression with never-treated controls gives, for every cohort and
  period, Callaway & Sant'Anna's never-treated, covariate-free ATT(g,t) with the universal base
  period (``g - 1 - anticipation``); the post-treatment cells also equal CS's varying-base ones.
  So every aggregate term (``att:e=<k>`` for k >= 0, ``att:g=``, ``att:t=``, ``att:simple`` ...)
  is the same number in both; their standard errors differ (CR1 against influence functions).
- With one pre-treatment period, the imputation estimator's untreated model is the 2x2
  comparison, so it equals both; with more, it pools the pre-periods and differs, and it
  differs from CS with not-yet-treated controls.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.designs.staggered.estimate import IdentificationError

EXACT = 1e-10
SIBLINGS = (ve.SunAbraham, ve.Imputation)


@pytest.fixture(scope="module")
def mpdta(raw_reference_mpdta: pd.DataFrame) -> pd.DataFrame:
    return raw_reference_mpdta


@pytest.fixture(scope="module")
def raw_reference_mpdta() -> pd.DataFrame:
    from pathlib import Path

    return pd.read_csv(Path(__file__).resolve().parent / "reference" / "mpdta.csv.gz")


ARGS = {"outcome": "lemp", "unit": "countyreal", "time": "year", "first_treated": "first.treat"}


def _eff(res: ve.Result) -> pd.DataFrame:
    return res.effects().set_index("term")


# -- contract ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", SIBLINGS)
def test_contract(cls: type, mpdta: pd.DataFrame) -> None:
    res = cls(mpdta, **ARGS).fit()
    eff = res.effects()
    assert {"term", "estimate", "std_error", "conf_low", "conf_high", "p_value"} <= set(eff)
    assert {"att", "att:simple", "att:e=0", "att:g=2004", "att:g=2004,t=2005"} <= set(eff.term)
    assert "Staggered DiD" in res.summary()
    json.dumps(res.to_dict())
    with pytest.raises((AttributeError, TypeError)):
        res.estimate = 1  # type: ignore[attr-defined]
    assert res.plot().get_xlabel() == "Years since first treated (event time)"
    assert res.seed is None


@pytest.mark.parametrize("cls", SIBLINGS)
def test_bootstrap_needs_a_seed_and_repeats_with_it(cls: type, mpdta: pd.DataFrame) -> None:
    design = cls(mpdta, **ARGS)
    with pytest.raises(ValueError, match="seed"):
        design.fit(inference="bootstrap")
    a = design.fit(inference="bootstrap", draws=199, seed=3).effects()
    b = design.fit(inference="bootstrap", draws=199, seed=3).effects()
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="draws"):
        design.fit(draws=199)


@pytest.mark.parametrize("cls", SIBLINGS)
def test_constructor_validates(cls: type, mpdta: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"\['lpop'\] are time-invariant"):
        cls(mpdta, **ARGS, covariates=["lpop"])
    with pytest.raises(ValueError, match="anticipation"):
        cls(mpdta, **ARGS, anticipation=-1)
    with pytest.raises(ValueError, match="anticipation"):
        cls(mpdta, **ARGS, anticipation=1.5)
    with pytest.raises(ValueError, match="overall"):
        cls(mpdta, **ARGS, overall="mean")
    with pytest.raises(ValueError, match="column"):
        cls(mpdta, **{**ARGS, "outcome": "y"})


def test_sun_abraham_options(mpdta: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="last_treated"):
        ve.SunAbraham(mpdta, **ARGS, control_group="not_yet_treated")
    with pytest.raises(ValueError, match="small_sample"):
        ve.SunAbraham(mpdta, **ARGS, small_sample="hc1")
    treated_only = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(IdentificationError, match="last_treated"):
        ve.SunAbraham(treated_only, **ARGS).fit()
    res = ve.SunAbraham(treated_only, **ARGS, control_group="last_treated").fit()
    assert any("last cohort (2007) is the control" in w for w in res.warnings)
    # the last cohort's anticipation window cuts the periods before any other cohort starts
    # (2003-2005 kept, 2006 the only cohort left): refused, not an empty aggregation
    with pytest.raises(IdentificationError, match="no cohort is treated before 2006"):
        ve.SunAbraham(mpdta, **ARGS, control_group="last_treated", anticipation=1).fit()
    # CR1 with a t(G - 1) reference, as the package's other CR1 errors
    eff = _eff(ve.SunAbraham(mpdta, **ARGS).fit())
    row = eff.loc["att:e=0"]
    from scipy import stats

    q = stats.t.ppf(0.975, 500 - 1)
    assert row["conf_high"] == pytest.approx(row["estimate"] + q * row["std_error"], rel=1e-12)


def test_anticipation_drops_early_cohorts_and_says_so(mpdta: pd.DataFrame) -> None:
    for cls in (ve.StaggeredDiD, *SIBLINGS):
        res = cls(mpdta, **ARGS, anticipation=1).fit()
        assert any("first treated within 1 period(s) of the start" in w for w in res.warnings)
        assert "att:g=2004" not in set(res.effects().term)
        assert "att:e=-1" in set(res.effects().term)


# -- agreement --------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [0, 1])
def test_sun_abraham_equals_callaway_santanna_never_treated(mpdta: pd.DataFrame, k: int) -> None:
    sa = _eff(ve.SunAbraham(mpdta, **ARGS, anticipation=k).fit())
    cs = _eff(ve.StaggeredDiD(mpdta, **ARGS, base_period="universal", anticipation=k).fit())
    assert set(sa.index) == set(cs.index)
    terms = [t for t in cs.index if t != "att"]  # "att" is each one's chosen summary
    np.testing.assert_allclose(sa.loc[terms, "estimate"], cs.loc[terms, "estimate"], atol=EXACT)
    # post-treatment cells do not depend on the base period choice
    varying = _eff(ve.StaggeredDiD(mpdta, **ARGS, anticipation=k).fit())
    post = [t for t in terms if t.startswith("att:e=") and int(t.split("=")[1]) >= 0]
    post += [t for t in terms if t.startswith(("att:g=", "att:t=")) and "," not in t]
    post += ["att:simple", "att:group", "att:calendar"]
    np.testing.assert_allclose(sa.loc[post, "estimate"], varying.loc[post, "estimate"], atol=EXACT)
    # the standard errors are different estimators (CR1 with fixed shares, influence functions
    # with estimated shares): close, not equal
    ratio = sa.loc[post, "std_error"] / cs.loc[post, "std_error"]
    assert ((ratio > 0.8) & (ratio < 1.25)).all()
    assert not np.allclose(ratio, 1, atol=1e-6)


def test_imputation_equals_the_others_with_one_pre_period(mpdta: pd.DataFrame) -> None:
    # years 2006-2007 and the 2007 cohort vs never treated: one pre-period, one post
    two = mpdta[mpdta["year"] >= 2006]
    two = two[two["first.treat"].isin([0, 2007])]
    terms = ["att:simple", "att:e=0", "att:g=2007", "att:g=2007,t=2007"]
    values = [
        _eff(cls(two, **ARGS).fit()).loc[terms, "estimate"].to_numpy()
        for cls in (ve.StaggeredDiD, ve.SunAbraham, ve.Imputation)
    ]
    np.testing.assert_allclose(values[1], values[0], atol=EXACT)
    np.testing.assert_allclose(values[2], values[0], atol=EXACT)


def test_imputation_differs_where_theory_says(mpdta: pd.DataFrame) -> None:
    bjs = _eff(ve.Imputation(mpdta, **ARGS).fit())
    for cs_design in (
        ve.StaggeredDiD(mpdta, **ARGS),
        ve.StaggeredDiD(mpdta, **ARGS, control_group="not_yet_treated"),
    ):
        cs = _eff(cs_design.fit())
        gap = np.abs(bjs.loc["att:e=0", "estimate"] - cs.loc["att:e=0", "estimate"])
        assert gap > 1e-3
    # and it is more precise under homoskedastic-looking data (the efficiency argument)
    assert bjs.loc["att:simple", "std_error"] < cs.loc["att:simple", "std_error"] * 1.2


def test_event_time_terms_are_cohort_share_averages_for_every_estimator(
    mpdta: pd.DataFrame,
) -> None:
    for cls in (ve.StaggeredDiD, *SIBLINGS):
        res = cls(mpdta, **ARGS).fit()
        cells = res.group_time()
        eff = _eff(res)
        for e, part in cells[cells["post"]].groupby("event_time"):
            w = part["n_treated"] / part["n_treated"].sum()
            assert eff.loc[f"att:e={e}", "estimate"] == pytest.approx(
                float(part["estimate"] @ w), abs=EXACT
            )


# -- Callaway-Sant'Anna options ---------------------------------------------------------------
def test_ipw_warns_on_poor_overlap_naming_the_cell() -> None:
    rng = np.random.default_rng(4)
    n, years = 300, range(2001, 2006)
    x = rng.normal(size=n)
    cohort = np.where(rng.random(n) < 0.4, 2004, 0)
    # comparison units with large x look almost certainly treated: a few get scores >= 0.995
    x = np.where(cohort == 2004, x + 3.0, x)
    frame = pd.DataFrame(
        [
            {
                "id": i,
                "year": t,
                "y": x[i] * 0.1 * (t - 2000) + rng.normal(),
                "g": cohort[i],
                "x": x[i],
            }
            for i in range(n)
            for t in years
        ]
    )
    args = {"outcome": "y", "unit": "id", "time": "year", "first_treated": "g"}
    for method in ("ipw", "dr"):
        res = ve.StaggeredDiD(frame, **args, covariates=["x"], method=method).fit()
        overlap = [w for w in res.warnings if "poor overlap" in w]
        assert overlap and "cohort 2004 in 2004" in overlap[0]
    plain = ve.StaggeredDiD(frame, **args, covariates=["x"], method="reg").fit()
    assert not [w for w in plain.warnings if "poor overlap" in w]


def test_ipw_refuses_without_any_overlap() -> None:
    n, years = 60, range(2001, 2005)
    cohort = np.where(np.arange(n) < 30, 2003, 0)
    x = np.where(cohort > 0, 1.0, 0.0) + np.linspace(0, 0.01, n)
    frame = pd.DataFrame(
        [
            {"id": i, "year": t, "y": float(i % 7 + t), "g": cohort[i], "x": x[i]}
            for i in range(n)
            for t in years
        ]
    )
    design = ve.StaggeredDiD(
        frame,
        outcome="y",
        unit="id",
        time="year",
        first_treated="g",
        covariates=["x"],
        method="ipw",
    )
    with pytest.raises(IdentificationError, match="overlap"):
        design.fit()


def test_frame_errors_name_the_rows(mpdta: pd.DataFrame) -> None:
    varying = mpdta.copy()
    varying.loc[3, "first.treat"] = 2006
    with pytest.raises(ValueError, match=r"constant within a unit; it varies for \['8001'\]"):
        ve.SunAbraham(varying, **ARGS)
    repeated = pd.concat([mpdta, mpdta.iloc[:3]])
    with pytest.raises(ValueError, match=r"6 rows share a \(unit, period, outcome\) key"):
        ve.Imputation(repeated, **ARGS)


def test_the_three_estimators_side_by_side(mpdta: pd.DataFrame) -> None:
    """One event-study table from the three estimators on the same data: the same ``att:e=<k>``
    names for every post-treatment event time, and before treatment the same base period
    wherever there are pre-treatment terms (Sun & Abraham and Callaway & Sant'Anna with
    ``base_period="universal"``: against ``g - 1``, whose own term is the reference 0; the
    imputation estimator has none). Each result says its base period in its settings."""
    fits = {
        "cs": ve.StaggeredDiD(mpdta, **ARGS, base_period="universal").fit(),
        "sa": ve.SunAbraham(mpdta, **ARGS).fit(),
        "bjs": ve.Imputation(mpdta, **ARGS).fit(),
    }
    table = pd.concat(
        {k: r.event_study().set_index("term")[["estimate", "std_error"]] for k, r in fits.items()},
        axis=1,
    )
    post = [f"att:e={e}" for e in range(4)]
    assert table.loc[post].notna().all().all()  # every estimator has every post term
    pre = [t for t in table.index if int(t.split("=")[1]) < 0]
    assert pre == ["att:e=-4", "att:e=-3", "att:e=-2", "att:e=-1"]
    np.testing.assert_allclose(
        table.loc[pre, ("sa", "estimate")], table.loc[pre, ("cs", "estimate")], atol=EXACT
    )
    assert table.loc["att:e=-1", ("sa", "estimate")] == 0.0
    assert table.loc["att:e=-1", ("cs", "estimate")] == 0.0
    assert table.loc[pre, ("bjs", "estimate")].isna().all()
    assert [r.settings["base_period"] for r in fits.values()] == ["universal", "universal", "none"]
    # post-treatment: SA and CS the same number, the imputation estimator its own
    np.testing.assert_allclose(
        table.loc[post, ("sa", "estimate")], table.loc[post, ("cs", "estimate")], atol=EXACT
    )
    assert (
        table.loc[post, ("bjs", "estimate")] - table.loc[post, ("cs", "estimate")]
    ).abs().max() > 1e-3


def test_a_cohort_cut_to_its_leads_enters_no_post_treatment_average() -> None:
    """Years 1-8, cohorts 3, 6, 7 and never treated; the last cohort (7) as control with one
    period of anticipation keeps years 1-5, where cohort 6 has leads only: it gets no cohort
    effect (was 0 with a NaN error, halving ``att:group``) and the result says so."""
    rng = np.random.default_rng(3)
    first = np.repeat([3, 6, 7, 0], [10, 10, 10, 15])
    rows = [
        (u, t, g, a + 0.1 * t + (0.5 if g and t >= g else 0) + rng.normal(scale=0.3))
        for u, (g, a) in enumerate(zip(first, rng.normal(size=len(first)), strict=True))
        for t in range(1, 9)
    ]
    df = pd.DataFrame(rows, columns=["id", "year", "g", "y"])
    res = ve.SunAbraham(
        df, outcome="y", unit="id", time="year", first_treated="g",
        control_group="last_treated", anticipation=1,
    ).fit()  # fmt: skip
    eff = _eff(res)
    assert "att:g=6" not in eff.index and "att:g=6,t=3" in eff.index
    for term in ("att:group", "att:simple"):
        assert eff.loc[term, "estimate"] == pytest.approx(eff.loc["att:g=3", "estimate"], rel=1e-12)
    assert any("cohort(s) 6 start(s) after the kept periods" in w for w in res.warnings)
