"""Every bundled dataset validates and reproduces its source file's totals."""

import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import vrueval as ve
from vrueval.areas import build as registry_build
from vrueval.data import bundle, datasets

BUNDLED = Path(datasets.__file__).parent / "bundled"


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_sources_match_the_raw_files(raw_data):
    for name, meta in datasets.manifest().items():
        for source in meta["sources"]:
            path = raw_data / source["file"]
            assert path.exists(), (name, source["file"])
            assert sha256(path) == source["sha256"], f"{name}: {source['file']} changed"


def test_manifest_hashes_the_shipped_files(raw_data):
    shipped = {p.name for p in BUNDLED.iterdir()}
    listed = {meta["file"] for meta in datasets.manifest().values()}
    registries = set(registry_build.files(raw_data))
    assert shipped == listed | {"manifest.json"} | registries
    for name, meta in datasets.manifest().items():
        assert sha256(BUNDLED / meta["file"]) == meta["sha256"], name
    registry = BUNDLED / "police_force_areas.csv"
    assert registry.read_bytes() == (raw_data / bundle.REGISTRY).read_bytes()
    for name, content in registry_build.files(raw_data).items():
        assert (BUNDLED / name).read_bytes() == content, name


def _why_different(name: str, shipped: Path, rebuilt: Path) -> str:
    """Say whether the numbers or only the writer changed, so a failure is actionable."""
    if name.endswith(".parquet"):
        same = pd.read_parquet(shipped).equals(pd.read_parquet(rebuilt))
        writers = [pq.ParquetFile(p).metadata.created_by for p in (shipped, rebuilt)]
        return (
            f"{name}: bytes differ; data {'equal' if same else 'DIFFERENT'}; written by "
            f"{writers[0]!r}, rebuilt with {writers[1]!r} (use the locked environment)"
        )
    return f"{name}: bytes differ"


def test_make_bundle_reproduces_the_shipped_files(raw_data, tmp_path):
    """`make bundle` from data/ gives every shipped file byte for byte (about 20-45 s)."""
    started = time.perf_counter()
    bundle.build(raw_data, tmp_path)
    elapsed = time.perf_counter() - started
    rebuilt = {p.name for p in tmp_path.iterdir()}
    assert rebuilt == {p.name for p in BUNDLED.iterdir()}, "no temporary file may be left"
    problems = [
        _why_different(name, BUNDLED / name, tmp_path / name)
        for name in sorted(rebuilt)
        if (BUNDLED / name).read_bytes() != (tmp_path / name).read_bytes()
    ]
    assert not problems, "\n".join(problems)
    print(f"bundle rebuilt in {elapsed:.1f} s")


def test_knife_quarterly_totals(raw_data):
    panel = ve.datasets.knife_quarterly()
    assert panel.frequency == "quarter" and len(panel.units) == 42
    src = pd.read_csv(
        raw_data / "knife_quarterly_2008_2019/knife_offences_by_pfa_quarterly_2008q2_2019q1.csv"
    )
    totals = panel.data.groupby("outcome")["value"].sum()
    assert totals["knife_offences"] == src["knife_offences"].sum()
    # the six published -1 component cells are missing, not counted
    negative = (src["component_knife_enabled"] < 0).sum() + (
        src["component_homicide_and_serious_injury"] < 0
    ).sum()
    assert negative == 6
    assert len(panel.missing()) == 6
    assert totals["knife_enabled"] == src["component_knife_enabled"].clip(lower=0).sum()
    wm = panel.series("West Midlands", "knife_offences")
    assert (
        wm.loc["2008Q2", "value"] == src.query("area_code=='E23000014'")["knife_offences"].iloc[0]
    )
    assert wm["population"].notna().all()


def test_crime_severity_totals(raw_data):
    src = pd.read_csv(raw_data / "css_pfa_2003_2022/css_by_offence_group_pfa_fy2003_2022.csv")
    for vintage in ("2022", "2020"):
        panel = ve.datasets.crime_severity(vintage)
        sub = src[
            (src["vintage"] == f"CSS data tool, YE Mar {vintage} edition")
            & (src.geo_level == "pfa")
        ]
        assert np.isclose(panel.data["value"].sum(), sub["css"].sum(), rtol=1e-12)
        assert len(panel.units) == 43
        city = panel.select(units=["City of London"]).data
        assert city["value"].isna().all()  # ':' at source: missing, never zero
    wm = ve.datasets.crime_severity().series("West Midlands", "css_robbery")
    assert wm.loc[ve.datasets.crime_severity().period("2019/20"), "value"] == pytest.approx(
        2.80, abs=0.01
    )


def test_hes_totals_and_flags(raw_data):
    panel = ve.datasets.hes_sharp_object()
    assert panel.geography == "region" and panel.frequency == "month"
    assert len(panel.periods) == 120 and len(panel.units) == 10
    folder = raw_data / "hes_sharp_object_region_2012_2022"
    src = pd.read_csv(folder / "hes_x99_sharp_object_admissions_by_region_monthly_2012_2022.csv")
    england = panel.series("England", "admissions")
    assert england["value"].sum() == src.loc[src.region == "England", "fae"].sum()
    # published annual England FAE totals (PROVENANCE.md)
    fy = (
        england["value"]
        .groupby(lambda p: p.qyear if False else (p.year if p.month >= 4 else p.year - 1))
        .sum()
    )
    assert fy[2018] == 5069 and fy[2012] == 3849 and fy[2021] == 4049
    wm = panel.series(ve.areas.resolve("West Midlands", "region"), "admissions")
    assert wm["value"].groupby(lambda p: p.year if p.month >= 4 else p.year - 1).sum()[2019] == 555
    missing = panel.missing()
    assert (
        missing["suppressed"].all()
        and len(missing)
        == src[src.region.isin([a.name for a in ve.areas.regions()])]["fae"].isna().sum()
        + src[src.region.isin([a.name for a in ve.areas.regions()])]["fce"].isna().sum()
    )
    assert panel.data.query("period >= '2021-04'")["provisional"].all()
    assert panel.data["population"].notna().all()


def test_hes_by_age_keeps_absent_bands_missing():
    panel = ve.datasets.hes_sharp_object(by_age=True)
    assert "admissions_age_10-19" in panel.outcomes
    missing = panel.missing()
    # absent bands are missing but not flagged suppressed; '*' cells are flagged
    assert (~missing["suppressed"]).any() and missing["suppressed"].any()


def test_population_bases_are_separate(raw_data):
    new = ve.datasets.population()
    old = ve.datasets.population("mid2002_2018")
    assert [str(new.periods[0]), str(new.periods[-1])] == ["2011", "2023"]
    assert [str(old.periods[0]), str(old.periods[-1])] == ["2002", "2018"]
    wm = new.series("West Midlands", "population")["value"]
    assert wm.loc[pd.Period("2011", "Y-DEC")] == 2_739_733
    assert wm.loc[pd.Period("2023", "Y-DEC")] == 2_980_936
    data = new.data
    total_2023 = data.loc[data["period"] == pd.Period("2023", "Y-DEC"), "value"].sum()
    assert total_2023 == 60_854_727
    with pytest.raises(ValueError, match="basis must be one of"):
        ve.datasets.population("spliced")  # type: ignore[arg-type]


def test_offences_rolling_traps():
    panel = ve.datasets.offences_rolling()
    assert panel.frequency == "rolling_12m" and panel.overlapping
    gmp = panel.series("Greater Manchester", "robbery")["value"]
    assert np.isnan(gmp.loc[pd.Period("2019-09", "M")]) and np.isnan(
        gmp.loc[pd.Period("2019-12", "M")]
    )
    assert gmp.loc[pd.Period("2019-06", "M")] > 0
    annual = panel.non_overlapping(6)
    assert not annual.overlapping
    yj = annual.select(start="2019-06", end="2025-06").data
    assert yj.query("period == '2025-06'")["value"].notna().all()
    assert yj.query("period == '2022-06'")["value"].isna().all()


def test_policy_dates_have_vru_and_lockdown():
    dates = ve.datasets.policy_dates()
    assert dates.set_index("name").loc["covid_england_lockdown_1", "start"] == pd.Timestamp(
        "2020-03-23"
    )
    assert dates.set_index("name").loc["vru_launch_2019", "start"] == pd.Timestamp("2019-10-03")


def test_catalogue_lists_every_dataset():
    cat = ve.datasets.catalogue()
    assert set(cat["name"]) == set(datasets.manifest())
    with pytest.raises(KeyError, match="unknown dataset"):
        datasets.load("knife_monthly")
