"""Hospital admissions (Home Office measure 1): the HES age bands against the workbook's own
printed totals, censored (1-7) cells never becoming zero, the report's headline sentences against
the one significance rule, and the trend split against an independent statsmodels fit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import statsmodels.api as sm

from vrueval import reporting as rp
from vrueval.analysis import load_spec
from vrueval.analysis.runner import load_panel
from vrueval.analysis.spec import SpecError
from vrueval.data import datasets
from vrueval.data.coverage import vru_population_share
from vrueval.data.loaders import hes_workbook
from vrueval.reporting import hospital as hosp
from vrueval.reporting.wording import evidence

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = (
    ROOT / "data" / "hes_sharp_object_region_2012_2022" / "raw" / "UK_Knife_Crime_Workbook.xlsx"
)
REGIONS = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)


@pytest.fixture(scope="module")
def tidy_age() -> pd.DataFrame:
    return hes_workbook.read(WORKBOOK, by_age=True)


@pytest.fixture(scope="module")
def printed_totals() -> dict[tuple[str, str], float]:
    """The age sheet's own 'YYYY-YY Total' rows, read with openpyxl alone: (region, fin_year)
    -> printed FAE total (regions rounded to 5; England unrounded)."""
    book = openpyxl.load_workbook(WORKBOOK, read_only=True, data_only=True)
    rows = [tuple(r) for r in book["GOR-Data-Age-Group"].iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Year")
    names: dict[int, str] = {}
    current = None
    for j, (above, label) in enumerate(zip(rows[head - 1], rows[head], strict=False)):
        current = str(above).strip() if above else current
        if label == "FAEs" and current:
            names[j] = current
    out = {}
    for r in rows[head + 1 :]:
        m = re.match(r"^(\d{4})-(\d{2}) total$", str(r[0] or "").strip(), re.IGNORECASE)
        if m:
            for j, name in names.items():
                if name in (*REGIONS, "England"):  # residual categories may print '*' here
                    out[(name, f"{m.group(1)}/{m.group(2)}")] = float(r[j])
    return out


def test_age_bands_add_up_to_the_printed_annual_totals(tidy_age, printed_totals) -> None:
    """Every region-year's bands, each published count within rounding (±2) and each withheld
    cell within 1-7, bracket the workbook's printed total (itself rounded, ±2); England's counts
    are unrounded, so its bracket is the withheld cells' alone."""
    assert {r for r, _ in printed_totals} >= set(REGIONS) | {"England"}
    checked = 0
    for (region, year), total in printed_totals.items():
        if region not in (*REGIONS, "England"):
            continue
        cells = tidy_age.loc[(tidy_age["region"] == region) & (tidy_age["fin_year"] == year)]
        assert len(cells) > 0, (region, year)
        fae = cells["fae"]
        withheld = int(cells["fae_suppressed_1to7"].sum())
        assert withheld == int(
            fae.isna().sum() - (fae.isna() & ~cells["fae_suppressed_1to7"].astype(bool)).sum()
        )
        published = fae.dropna()
        slack = 0 if region == "England" else 2
        low = float((published - slack * (published > 0)).sum()) + 1 * withheld - slack
        high = float((published + slack * (published > 0)).sum()) + 7 * withheld + slack
        assert low <= total <= high, (region, year, low, total, high)
        checked += 1
    assert checked == 10 * 10  # 9 regions and England, 10 financial years


def test_england_bands_bracket_the_monthly_totals_sheet() -> None:
    """England's age bands (unrounded) against the Totals sheet's England column, month by
    month: published bands + 1..7 per withheld band bracket the total exactly."""
    ages = datasets.hes_sharp_object(by_age=True)
    bands = [o for o in ages.outcomes if o.startswith("admissions_age_")]
    d = ages.select(outcome=bands, units=["E92000001"]).data
    g = d.groupby("period").agg(
        published=("value", lambda v: v.fillna(0).sum()), withheld=("suppressed", "sum")
    )
    total = datasets.hes_sharp_object().series("England", "admissions")["value"]
    g = g.join(total.rename("total"))
    assert len(g) == 120 and g["total"].notna().all()
    assert (g["published"] + g["withheld"] <= g["total"]).all()
    assert (g["total"] <= g["published"] + 7 * g["withheld"]).all()


def test_withheld_cells_are_missing_never_zero(tidy_age) -> None:
    raw = openpyxl.load_workbook(WORKBOOK, read_only=True, data_only=True)
    # every '*' in the month rows (the printed annual totals of residual categories have some)
    stars = sum(
        1
        for r in raw["GOR-Data-Age-Group"].iter_rows(values_only=True)
        if "total" not in str(r[0] or "").lower()
        for c in r
        if isinstance(c, str) and c.strip() == "*"
    )
    flagged = int(tidy_age["fae_suppressed_1to7"].sum() + tidy_age["fce_suppressed_1to7"].sum())
    assert flagged == stars > 0
    panel = datasets.hes_sharp_object(by_age=True)
    d = panel.data
    assert d.loc[d["suppressed"], "value"].isna().all()
    # a month with one withheld band is missing in a summed range, not the sum of the others
    ten_29 = hes_workbook.select_ages(panel, 10, 29).data
    wm = ten_29.loc[ten_29["unit"] == "E12000005"].set_index("period")
    band = panel.series("West Midlands", "admissions_age_10-19")
    assert band["suppressed"].any()
    assert wm.loc[band.index[band["suppressed"]], "value"].isna().all()


def test_fill_suppressed_by_period_fills_only_those_cells() -> None:
    panel = datasets.hes_sharp_object(by_age=True).select(outcome="admissions_age_20-29")
    before = panel.series("West Midlands", "admissions_age_20-29")
    cut = pd.Period("2019-10", "M")
    filled = panel.fill_suppressed(7, end="2019-09").fill_suppressed(1, start="2019-10")
    after = filled.series("West Midlands", "admissions_age_20-29")
    was = before["suppressed"]
    assert was.sum() == 8
    assert (after.loc[was & (after.index < cut), "value"] == 7).all()
    assert (after.loc[was & (after.index >= cut), "value"] == 1).all()
    assert after.loc[was, "derived"].all() and not after["suppressed"].any()
    pd.testing.assert_series_equal(after.loc[~was, "value"], before.loc[~was, "value"])


def test_spec_fill_suppressed_reaches_the_panel_and_refuses_bad_shapes(tmp_path) -> None:
    spec = load_spec(ROOT / "analyses" / "its_hes_age_20_29_west_midlands_fall.toml")
    series = load_panel(spec).series("West Midlands", "admissions_age_20-29")
    assert series["value"].notna().all() and series["derived"].sum() == 8
    main = load_panel(load_spec(ROOT / "analyses" / "its_hes_age_20_29_west_midlands.toml"))
    assert main.series("West Midlands", "admissions_age_20-29")["value"].isna().sum() == 8
    text = (ROOT / "analyses" / "its_hes_age_20_29_west_midlands_fall.toml").read_text()
    (tmp_path / "analyses").mkdir()
    bad = tmp_path / "analyses" / "bad.toml"
    bad.write_text(
        re.sub(r"fill_suppressed = .*", "fill_suppressed = { fill = 7 }", text).replace(
            'name = "its_hes_age_20_29_west_midlands_fall"', 'name = "bad"'
        )
    )
    with pytest.raises(SpecError, match="fill_suppressed must be a number"):
        load_panel(load_spec(bad))


def test_every_age_series_and_fill_is_a_recorded_analysis() -> None:
    panel = datasets.hes_sharp_object(by_age=True)
    for band, region, name in hosp.AGE_SERIES:
        withheld = int(panel.series(region, f"admissions_age_{band}")["suppressed"].sum())
        assert withheld <= hosp.MAX_SUPPRESSED_SHARE * 120
        for suffix in hosp.FILLS:
            spec = ROOT / "analyses" / f"{name}{suffix}.toml"
            expected = ROOT / "analyses" / "expected" / f"{name}{suffix}.json"
            assert spec.exists() == expected.exists() == (suffix == "" or withheld > 0), spec


# -- the headline sentences against the one rule ----------------------------------------------


def _verdict_matches(text: str, p: float, low: float, high: float, scale: str) -> None:
    strength = evidence(p, low, high, scale)  # type: ignore[arg-type]
    assert rp.p_text(p) in text
    if strength == "clear":
        assert "clear evidence of a" in text and "no clear" not in text and "weak" not in text
    elif strength == "weak":
        assert "weak evidence" in text and "clear evidence of a" not in text.replace("no clear", "")
    else:
        assert "no clear evidence of a change" in text
    # the rule itself, restated: clear only with p < 0.05 and an interval excluding no change
    null = 1.0 if scale == "ratio" else 0.0
    assert (strength == "clear") == (p < 0.05 and (low > null or high < null))


@pytest.fixture(scope="module")
def wm_runs() -> dict[str, rp.Run]:
    names = ["its_hes_west_midlands", "its_hes_wm_vs_south_west", "its_hes_west_midlands_from_2017"]
    return {n: rp.run(n, ROOT) for n in names}


def test_cumulative_headlines_follow_the_rule(wm_runs) -> None:
    for run in wm_runs.values():
        row = run.result.impact().set_index("term").loc["cumulative_effect"]
        text = hosp.cumulative_sentence(row, "X")
        _verdict_matches(text, row["p_value"], row["conf_low"], row["conf_high"], "difference")
        assert f"{abs(row['estimate']):,.0f} fewer admissions" in text
    main = wm_runs["its_hes_west_midlands"].result.impact().set_index("term")
    text = hosp.cumulative_sentence(main.loc["cumulative_effect"], hosp.wm_subject())
    # the numbers, now with the p-value beside them and the dilution named
    assert text.startswith("West Midlands region (49% of residents in the VRU area): 295 fewer")
    assert "(95% CI −545 to −45; p = 0.027), clear evidence of a fall" in text


def test_ratio_phrases_and_the_control_comparison_follow_the_rule(wm_runs) -> None:
    wm, cits = wm_runs["its_hes_west_midlands"], wm_runs["its_hes_wm_vs_south_west"]
    for term in ("level_change", "slope_change"):
        row = cits.effect(term)
        _verdict_matches(
            hosp.ratio_phrase(row), row["p_value"], row["conf_low"], row["conf_high"], "ratio"
        )
    text = hosp.control_comparison(
        wm.effect("level_change"),
        wm.effect("slope_change"),
        cits.effect("level_change"),
        cits.effect("slope_change"),
    )
    # what holds: the trend change is shared, the level drop relative to the South West is not
    assert "the level change is not shared" in text
    assert "the monthly trend change is largely shared" in text
    own, rel = wm.effect("level_change")["estimate"], cits.effect("level_change")["estimate"]
    assert abs(np.log(rel)) > abs(np.log(own))


@pytest.mark.parametrize("band,region,name", hosp.AGE_SERIES)
def test_age_band_phrases_follow_the_rule(band, region, name) -> None:
    row = hosp.relative_row(rp.run(name, ROOT).result)
    text = hosp.ratio_phrase(row)
    _verdict_matches(text, row["p_value"], row["conf_low"], row["conf_high"], "ratio")


def test_fill_range_says_when_the_verdict_moves() -> None:
    rows = [
        {"estimate": 0.8, "conf_low": 0.6, "conf_high": 0.95, "p_value": 0.02},
        {"estimate": 0.85, "conf_low": 0.6, "conf_high": 1.1, "p_value": 0.2},
    ]
    out = hosp.fill_range(rows)
    assert not out["robust"] and out["verdicts"] == ["clear", "none"]
    assert out["estimate_min"] == 0.8 and out["p_max"] == 0.2
    assert hosp.fill_range(rows[:1])["robust"]


def test_findings_for_the_index_read_results_json(wm_runs) -> None:
    documents = {n: r.document for n, r in wm_runs.items()}
    found = hosp.findings(documents)
    row = next(
        r
        for r in documents["its_hes_west_midlands"]["result"]["impact"]
        if r["term"] == "cumulative_effect"
    )
    assert found["estimate"] == row["estimate"] and found["p_value"] == row["p_value"]
    assert found["evidence"] == evidence(row["p_value"], row["conf_low"], row["conf_high"])
    assert found["sentence"] == hosp.cumulative_sentence(row, hosp.wm_subject())
    assert "p = 0.321" in found["comparison_sentence"]
    assert found["home_office"] == "1.6 fewer sharp-object admissions per 100,000 (p = 0.06)"


def test_title_names_the_dilution_computed_from_the_population() -> None:
    share = vru_population_share(2019).loc[hosp.WEST_MIDLANDS, "share"]
    head = (ROOT / "reports" / "west_midlands_hes.qmd").read_text().split("---")[1]
    title = next(line for line in head.splitlines() if line.startswith("title:"))
    assert f"({share:.0%} of its residents in the VRU area)" in title
    assert "West Midlands VRU" not in title


# -- the trend split against an independent statsmodels fit ------------------------------------


def test_trend_split_matches_statsmodels(wm_runs) -> None:
    """The same Poisson model refitted with statsmodels' GLM (month dummies, trend, level and
    slope change, log population offset, lockdown months and missing left out); the flat
    counterfactual predicted with time held at September 2019."""
    result = wm_runs["its_hes_west_midlands"].result
    s = datasets.hes_sharp_object().series("West Midlands", "admissions")
    t = np.arange(len(s), dtype=float)
    cut = int(np.flatnonzero(s.index == pd.Period("2019-10", "M"))[0])
    post = (t >= cut).astype(float)
    month = np.asarray([p.month for p in s.index])
    season = pd.get_dummies(month, prefix="m", drop_first=True).to_numpy(float)
    X = np.column_stack([np.ones_like(t), t, season, post, post * (t - cut)])
    lockdown = (s.index >= pd.Period("2020-03", "M")) & (s.index <= pd.Period("2021-03", "M"))
    keep = ~lockdown & s["value"].notna().to_numpy()
    offset = np.log(s["population"].to_numpy(float))
    fit = sm.GLM(
        s["value"].to_numpy()[keep], X[keep], family=sm.families.Poisson(), offset=offset[keep]
    ).fit(tol=1e-12)
    window = keep & (t >= cut)
    mu = np.exp(X[window] @ fit.params + offset[window])
    cf_X = X[window].copy()
    cf_X[:, -2:] = 0
    cf = np.exp(cf_X @ fit.params + offset[window])
    flat_X = cf_X.copy()
    flat_X[:, 1] = cut - 1
    flat = np.exp(flat_X @ fit.params + offset[window])
    got = hosp.trend_split(result)
    np.testing.assert_allclose(got["relative_pct"], 100 * (mu.sum() / cf.sum() - 1), rtol=1e-6)
    np.testing.assert_allclose(
        got["against_flat_pct"], 100 * (mu.sum() / flat.sum() - 1), rtol=1e-6
    )
    np.testing.assert_allclose(got["trend_pct"], 100 * (cf.sum() / flat.sum() - 1), rtol=1e-6)
    np.testing.assert_allclose(
        got["trend_annual_pct"], 100 * np.expm1(12 * fit.params[1]), rtol=1e-6
    )
    assert got["months"] == window.sum() == 17
    # F / C = (F / B) / (C / B): the change against the flat level over the projected rise
    total = (1 + got["against_flat_pct"] / 100) / (1 + got["trend_pct"] / 100)
    np.testing.assert_allclose(1 + got["relative_pct"] / 100, total, rtol=1e-12)
    # and matches the result's own impact table
    own = result.impact().set_index("term").loc["relative_pct", "estimate"]
    np.testing.assert_allclose(got["relative_pct"], own, rtol=1e-8)
