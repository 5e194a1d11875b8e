"""Classic published studies, reproduced through the public API on their own units: the
replications gallery (docs/replications/), whose published numbers, citations and tolerances are
kept once in docs/replications/published.toml and read both here and by the gallery's pages.
Every row a gallery page shows (docs/replications/gallery.py builds the tables) is asserted to
agree here.

Each study's data are in data/ with their licence (PROVENANCE.md there); each design is given a
DataFrame with the study's own identifiers (US state names, county numbers), never renamed to
force codes, and the results name those units back. Published numbers and tolerances:

1. Arkhangelsky, Athey, Hirshberg, Imbens and Wager (2021), "Synthetic Difference-in-
   Differences", AER 111(12), Table 1, California Proposition 99 (data/california_prop99,
   BSD-3): estimates SDiD -15.6, SC -19.6, DiD -27.3, printed to one decimal (tolerance: half a
   unit, 0.05); placebo standard errors 8.4, 9.9, 17.7, each from 200 placebo draws in the paper
   and here (Monte Carlo s.d. about 5% of each, 7% of the difference: tolerance 20%).
2. Abadie, Diamond and Hainmueller (2010), "Synthetic Control Methods for Comparative Case
   Studies", JASA 105(490), Table 2 (state weights), same data with ADH's predictors
   (data/california_prop99/adh_smoking.csv, MIT): Utah 0.334, Nevada 0.234, Montana 0.199,
   Colorado 0.164, Connecticut 0.069, and no other state above 0.01 (tolerance 0.005: the
   nested optimisation's optimum is flat in V).
3. Callaway and Sant'Anna (2021), "Difference-in-Differences with multiple time periods",
   J. Econometrics 225(2), the R ``did`` README's printed ``att_gt``/``aggte`` on mpdta
   (data/mpdta, MIT/GPL-2; transcribed in tests/reference/cs_mpdta_published.json): the 12
   ATT(g,t), the event-time and group aggregates, printed to 4 decimals (tolerance: half a unit,
   5e-5); the overall group ATT printed to 3 (5e-4).
4. Ben-Michael, Feller and Rothstein (2021), the R ``augsynth`` single-outcome vignette, Kansas
   tax cuts (data/augsynth_kansas, MIT): synth and ridge-ASCM average ATT (4 decimals, 5e-5),
   L2 imbalance, estimated bias and donor weights (3 decimals, 5e-4), % improvement (1, 0.05).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve

GALLERY = Path(__file__).resolve().parents[1] / "docs" / "replications"
sys.path.insert(0, str(GALLERY))
import gallery  # noqa: E402  (docs/replications/gallery.py: the pages' tables)

PUBLISHED = gallery.published()
TABLE_1 = {
    k: (v["estimate"], v["std_error"]) for k, v in PUBLISHED["sdid2021"]["estimates"].items()
}
ADH_2010 = PUBLISHED["adh2010"]["weights"]
ADH_PREDICTORS = gallery.ADH_PREDICTORS


def test_the_gallery_has_a_page_for_every_published_study() -> None:
    pages = {p.stem for p in GALLERY.glob("*.qmd")} - {"index"}
    cited = {page.split("-")[0] for page in pages}
    assert cited == set(PUBLISHED), (cited, set(PUBLISHED))
    index = (GALLERY / "index.qmd").read_text(encoding="utf-8")
    for page in pages:
        assert f"({page}.qmd)" in index, page
    for key, study in PUBLISHED.items():
        assert study["citation"] and (gallery.ROOT / study["data"]).is_file(), key
        assert (gallery.ROOT / study["data"]).parent.joinpath("PROVENANCE.md").is_file(), key


def _agrees(table: pd.DataFrame) -> None:
    assert len(table) > 0
    bad = table[~table["agrees"]]
    assert bad.empty, f"gallery rows that disagree with the published numbers:\n{bad}"


@pytest.fixture(scope="module")
def prop99(raw_data: Path) -> pd.DataFrame:
    return pd.read_csv(raw_data / "california_prop99" / "california_prop99.csv", sep=";")


@pytest.fixture(scope="module")
def table_1(prop99: pd.DataFrame) -> dict:
    study = PUBLISHED["sdid2021"]
    return {
        estimator: ve.SyntheticDiD(
            prop99,
            unit="State",
            time="Year",
            outcome="PacksPerCapita",
            treated="treated",
            estimator=estimator,
        ).fit(inference="placebo", seed=study["seed"], draws=study["placebo_draws"])
        for estimator in TABLE_1
    }


@pytest.mark.parametrize("estimator", list(TABLE_1))
def test_sdid_table_1(table_1: dict, estimator: str) -> None:
    estimate, se = TABLE_1[estimator]
    res = table_1[estimator]
    att = res.effects().set_index("term").loc["att"]
    assert abs(att["estimate"] - estimate) <= PUBLISHED["sdid2021"]["estimate_tolerance"]
    assert att["std_error"] == pytest.approx(se, rel=PUBLISHED["sdid2021"]["se_rel_tolerance"])
    if estimator != "did":  # DiD weights every donor alike
        weights = res.weights().set_index("unit")["weight"]
        assert "California" not in weights.index and "Nevada" in weights.index


def test_sdid_gallery_page_agrees(table_1: dict) -> None:
    effects = {k: r.effects().set_index("term").loc["att"] for k, r in table_1.items()}
    table = gallery.sdid2021_table(effects)
    assert len(table) == 2 * len(TABLE_1)
    _agrees(table)


def test_adh_2010_weights(raw_data: Path) -> None:
    adh = pd.read_csv(raw_data / "california_prop99" / "adh_smoking.csv")
    res = ve.SyntheticControl(
        adh.assign(year=adh["year"].astype(int)),
        unit="state",
        time="year",
        outcome="cigsale",
        treated=["California"],
        start=1989,
        predictors=ADH_PREDICTORS,
    ).fit(inference="none")
    w = res.weights().set_index("unit")["weight"]
    assert list(w[w > 0.01].index) == list(ADH_2010)
    for state, published in ADH_2010.items():
        assert abs(w[state] - published) <= 0.005, (state, w[state], published)
    _agrees(gallery.adh2010_table(w))


@pytest.fixture(scope="module")
def mpdta_result(raw_data: Path):  # type: ignore[no-untyped-def]
    frame = pd.read_csv(raw_data / "mpdta" / "mpdta.csv.gz")
    return ve.StaggeredDiD(
        frame, unit="countyreal", time="year", outcome="lemp", first_treated="first.treat"
    ).fit()


def test_callaway_santanna_readme(mpdta_result) -> None:  # type: ignore[no-untyped-def]
    pub = gallery.cs2021_numbers()
    gt = mpdta_result.group_time()
    printed = np.array(pub["group_time"]["rows"])
    np.testing.assert_array_equal(gt["group"], printed[:, 0])
    np.testing.assert_array_equal(gt["time"], printed[:, 1])
    np.testing.assert_allclose(gt["estimate"], printed[:, 2], atol=5e-5)
    effects = mpdta_result.effects().set_index("term")["estimate"]
    for e, att, *_ in pub["dynamic"]["rows"]:
        assert abs(effects[f"att:e={int(e)}"] - att) <= 5e-5
    for g, att, *_ in pub["group"]["rows"]:
        assert abs(effects[f"att:g={int(g)}"] - att) <= 5e-5
    assert abs(effects["att:dynamic"] - pub["dynamic"]["overall"]["att"]) <= 5e-5
    assert abs(effects["att:group"] - pub["group"]["overall"]["att"]) <= 5e-4
    table = gallery.cs2021_table(mpdta_result)
    assert len(table) == 12 + 7 + 1 + 3 + 1
    _agrees(table)


def test_mpdta_units_are_the_counties_own_numbers(  # type: ignore[no-untyped-def]
    mpdta_result, raw_data: Path
) -> None:
    counties = pd.read_csv(raw_data / "mpdta" / "mpdta.csv.gz")["countyreal"].unique()
    influence = mpdta_result.influence()  # one row a unit, named as the data name it
    assert sorted(influence.index) == sorted(counties.tolist())
    assert mpdta_result.diagnostics["units"] == 500


def test_augsynth_kansas_gallery_page_agrees(raw_data: Path) -> None:
    kansas = pd.read_csv(raw_data / "augsynth_kansas" / "kansas_lngdpcapita.csv")
    columns = dict(unit="state", time="year_qtr", outcome="lngdpcapita", treated="treated")
    synth = ve.SyntheticControl(kansas, **columns).fit(inference="none")
    ridge = ve.SyntheticControl(kansas, method="augmented", **columns).fit(inference="none")
    table = gallery.augsynth2021_table(synth, ridge, kansas)
    assert len(table) == 10
    _agrees(table)


def test_gallery_tables_can_disagree() -> None:
    """The agreement column is computed, not assumed: a number off by more than its tolerance
    is flagged."""
    off = pd.Series({**ADH_2010, "Utah": ADH_2010["Utah"] + 0.02, "Texas": 0.05})
    table = gallery.adh2010_table(off).set_index("quantity")["agrees"]
    assert not table["weight: Utah"] and table["weight: Nevada"]
    assert not table["largest other weight (Texas)"]
    wrong = {
        k: pd.Series({"estimate": v[0] + 0.2, "std_error": v[1] * 1.5}) for k, v in TABLE_1.items()
    }
    assert not gallery.sdid2021_table(wrong)["agrees"].any()
