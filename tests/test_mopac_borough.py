"""The MOPAC borough monthly loader and its spec, on a synthetic workbook in the published
layout (the real workbook is not shipped: its licence is unconfirmed, analyses/supplied/).

The synthetic counts follow the spec's model exactly (borough effects, a trend, month effects
and a level change of 0.8 from October 2019), rounded from values near 1,000, so the pooled ITS
must recover 0.8 to rounding error; the lockdown months carry a tenfold drop the spec must
exclude.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrueval import areas
from vrueval.analysis.runner import fit
from vrueval.analysis.spec import SpecError, load_spec
from vrueval.cli import main
from vrueval.data import loaders
from vrueval.data.loaders import mopac_borough
from vrueval.data.loaders.common import LayoutError

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "analyses" / "supplied" / "its_mopac_knife_victims_u25.toml"
# The published header (first two keys, then the 41 measures), as in the workbook.
HEADER = [
    "OCU Name", "Month-Year", "11 Violence Against the Person Offs", "12 Sexual Offences Offs",
    "13 Robbery Offs", "14 Burglary Offs", "15 Vehicle Offs", "16 Theft Offs",
    "17 Arson and Criminal Damage Offs", "18 Drug Offs", "19 Possession of Weapons Offs",
    "TNO Offs", "Homicide Offs", "Violence with Injury Offs", "Violence without Injury Offs",
    "Rape Offs", "Other Sexual Offences Offs", "Robbery of Business Property Offs",
    "Robbery of Personal Property Offs", "Burglary - Residential Offs",
    "Burglary - Business and Community Offs", "Aggravated Vehicle Taking Offs",
    "Theft from MV Offs", "Theft or Taking of MV Offs", "Theft from Person Offs",
    "Bicycle Theft Offs", "Shoplifting Offs", "Other Theft Offs", "Drug Trafficking Offs",
    "Poss Drugs Offs", "Poss Article Blade or Point Offs", "Domestic Abuse Hate Crime Offs",
    "Domestic Abuse Homicide Offs", "Domestic Abuse Incidents", "Youth Homicide Offs",
    "Serious Youth Violence", "Youth Violence", "Knife Crime Offs", "Knife Crime With Injury Offs",
    "Knife Crime with Injury Pers Robb Offs", "Knife Crime Injury Victims 1-24",
    "Knife Crime Injury Victims Not DA 1-24", "Knife Possession Offs",
]  # fmt: skip
# Met OCU names as the workbook spells them.
OCUS = [
    "Barking & Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon", "Ealing",
    "Enfield", "Greenwich", "Hackney", "Hammersmith & Fulham", "Haringey", "Harrow", "Havering",
    "Heathrow Airport", "Hillingdon", "Hounslow", "Islington", "Kensington & Chelsea",
    "Kingston upon Thames", "Lambeth", "Lewisham", "Merton", "Newham", "Redbridge",
    "Richmond upon Thames", "Southwark", "Sutton", "Tower Hamlets", "Waltham Forest",
    "Wandsworth", "Westminster",
]  # fmt: skip
VICTIMS = HEADER.index("Knife Crime Injury Victims Not DA 1-24")
MONTHS = pd.period_range("2018-01", "2020-12", freq="M")


def expected_victims(b: int, month: pd.Period) -> int:
    t = (month - MONTHS[0]).n
    season = 0.1 * np.sin(2 * np.pi * month.month / 12)
    post = 1.0 if month >= pd.Period("2019-10", "M") else 0.0
    lockdown = np.log(0.1) if month >= pd.Period("2020-03", "M") else 0.0
    log_mu = np.log(1000) + 0.02 * b + 0.002 * t + season + np.log(0.8) * post + lockdown
    return int(round(float(np.exp(log_mu))))


def write_workbook(path: Path, ocus=OCUS, header=HEADER, blank=None) -> Path:  # type: ignore[no-untyped-def]
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(header)
    for b, ocu in enumerate(ocus):
        for month in MONTHS:
            row: list[object] = [ocu, datetime(month.year, month.month, 1)]
            row += [(b + 1) * 10 + month.month for _ in header[2:]]
            row[VICTIMS] = expected_victims(b, month) if ocu != "Heathrow Airport" else 1
            if blank == (ocu, str(month)):
                row[VICTIMS] = None
            sheet.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("mopac") / "Borough Monthly 2018-20.xlsx")


def test_ocu_names_become_london_borough_codes(workbook: Path) -> None:
    panel = loaders.load("mopac_borough", [workbook])
    assert panel.geography == "london_borough"
    boroughs = {a.code for a in areas.london_boroughs()} - {areas.resolve("City of London", "lad")}
    assert set(panel.units) == boroughs and len(panel.units) == 32
    assert len(panel.periods) == 36 and len(panel.outcomes) == 41
    assert mopac_borough.KNIFE_VICTIMS_U25 in panel.outcomes
    data = panel.data.set_index(["unit", "period", "outcome"])["value"]
    southwark = areas.resolve("Southwark", "london_borough")
    b = OCUS.index("Southwark")
    key = (southwark, pd.Period("2019-06", "M"), mopac_borough.KNIFE_VICTIMS_U25)
    assert data[key] == expected_victims(b, pd.Period("2019-06", "M"))
    assert any("Heathrow Airport" in n and "left out" in n for n in panel.notes)


def test_heathrow_added_to_hillingdon_on_request(workbook: Path) -> None:
    drop = loaders.load("mopac_borough", [workbook]).data
    add = loaders.load("mopac_borough", [workbook], heathrow="hillingdon").data
    hillingdon = areas.resolve("Hillingdon", "london_borough")
    one = (drop["unit"] == hillingdon) & (drop["outcome"] == "tno_offs")
    two = (add["unit"] == hillingdon) & (add["outcome"] == "tno_offs")
    heathrow = (OCUS.index("Heathrow Airport") + 1) * 10
    gained = add.loc[two, "value"].to_numpy() - drop.loc[one, "value"].to_numpy()
    np.testing.assert_array_equal(gained, heathrow + np.tile(np.arange(1, 13), 3))
    with pytest.raises(ValueError, match="heathrow"):
        loaders.load("mopac_borough", [workbook], heathrow="keep")


def test_an_empty_cell_is_missing_never_zero(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "b.xlsx", blank=("Heathrow Airport", "2019-02"))
    panel = loaders.load("mopac_borough", [path], heathrow="hillingdon")
    data = panel.data.set_index(["unit", "period", "outcome"])["value"]
    key = (areas.resolve("Hillingdon", "lad"), pd.Period("2019-02", "M"))
    assert np.isnan(data[(*key, mopac_borough.KNIFE_VICTIMS_U25)])  # a sum with a missing part
    assert any("1 empty cell(s) are missing" in n for n in panel.notes)


def test_unknown_ocu_and_wrong_layout_are_refused(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "c.xlsx", ocus=["Westminister"])
    with pytest.raises(areas.UnknownAreaError, match="Did you mean 'Westminster'"):
        loaders.load("mopac_borough", [path])
    path = write_workbook(tmp_path / "d.xlsx", header=["Borough", *HEADER[1:]])
    with pytest.raises(LayoutError, match="OCU Name"):
        loaders.load("mopac_borough", [path])


def test_spec_needs_the_users_file(workbook: Path) -> None:
    spec = load_spec(SPEC)
    with pytest.raises(SpecError, match="--data FILE"):
        fit(spec)
    with pytest.raises(SpecError, match="reads a dataset"):
        load_spec(ROOT / "analyses" / "its_hes_london.toml", files=[workbook])


def test_spec_recovers_the_synthetic_level_change(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", str(SPEC), "--data", str(workbook), "--out", str(out), "--quiet"]) == 0
    document = json.loads((out / "results.json").read_text())
    row = {r["term"]: r for r in document["effects"]}["level_change"]
    assert row["estimate"] == pytest.approx(0.8, abs=2e-3)  # rounding to whole counts only
    assert len(document["provenance"]["data"]["units"]) == 32
    assert document["provenance"]["data"]["sources"][0]["file"] == workbook.name


# -- recorded for `vrueval verify --data FILE NAME`: checked on the user's own copy ----------

NAME = SPEC.stem
LABEL = "data/mopac_london_borough_monthly_2018_2020/raw/borough_monthly_2018_20.xlsx"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project holding the supplied spec only (the record is written there, not in the repo)."""
    import shutil

    supplied = tmp_path / "project" / "analyses" / "supplied"
    supplied.mkdir(parents=True)
    shutil.copy(SPEC, supplied)
    return tmp_path / "project"


def _verify(project: Path, *extra: str) -> list[str]:
    return ["verify", "--root", str(project), *extra]


def test_record_then_verify_on_a_copy_with_another_name(
    workbook: Path,
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib
    import shutil

    from vrueval.data.loaders.provenance import sha256

    verify_module = importlib.import_module("vrueval.analysis.verify")

    assert main(_verify(project, "--record", NAME, "--data", str(workbook))) == 0
    path = project / "analyses" / "supplied" / "expected" / f"{NAME}.json"
    assert capsys.readouterr().out.strip() == f"recorded {path}"
    recorded = json.loads(path.read_text())
    # the copy is recorded under the file the spec names, whatever the user called it
    assert recorded["data"]["files"] == {LABEL: sha256(workbook)}
    assert recorded["tolerance"]["method"] == "IRLS"
    assert [row["term"] for row in recorded["effects"]] == ["level_change"]

    # the verify below refits; the one after it compares the same numbers with one changed, so
    # it reuses that fit (a fit of this spec takes 20 s, most of it its fixed-b path bands)
    fitted: list[dict[str, object]] = []
    refit = verify_module.run_spec

    def fit_once(spec: object, compute: object = None) -> dict[str, object]:
        if not fitted:
            fitted.append(refit(spec, compute=compute))
        return fitted[0]

    monkeypatch.setattr(verify_module, "run_spec", fit_once)
    copy = shutil.copy(workbook, tmp_path / "my copy.xlsx")
    assert main(_verify(project, NAME, "--data", str(copy))) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("verify passed: 1 analyses checked, 5 numbers compared, worst")

    recorded["effects"][0]["estimate"] *= 1 + 1e-6  # far outside IRLS's rtol 1e-9
    path.write_text(json.dumps(recorded))
    assert main(_verify(project, NAME, "--data", str(copy))) == 1
    captured = capsys.readouterr()
    assert f"{NAME}: level_change estimate moved from" in captured.err
    assert captured.out.strip().startswith("verify FAILED (1 problem(s))")


def test_another_edition_is_not_compared(
    workbook: Path,
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    from vrueval.data.loaders.provenance import sha256

    verify_module = importlib.import_module("vrueval.analysis.verify")  # not the function

    expected = project / "analyses" / "supplied" / "expected"
    expected.mkdir()
    recorded = {
        "analysis": NAME,
        "data": {"panel_sha256": "0" * 64, "files": {LABEL: sha256(workbook)}},
        "effects": [{"term": "level_change", "estimate": 0.8}],
    }
    (expected / f"{NAME}.json").write_text(json.dumps(recorded))
    other = write_workbook(tmp_path / "other.xlsx", blank=("Barnet", "2019-02"))

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("another edition must not be fitted")

    monkeypatch.setattr(verify_module, "run_spec", no_fit)
    assert main(_verify(project, NAME, "--data", str(other))) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == (
        f"{NAME}: different edition: the data given are not the file(s) its numbers were "
        f"recorded from ({LABEL}: sha256 {sha256(workbook)[:12]} recorded, given "
        f"{sha256(other)[:12]}); numbers not comparable, none compared"
    )
    assert captured.out.strip() == (
        "verify not comparable: 1 analysis(es) given another edition of their data, so no "
        "numbers were compared"
    )
    report = verify_module.verify(project, [NAME], files=[other])
    assert not report.passed and not report.failures and report.numbers == 0


def test_plain_verify_skips_supplied_specs_and_says_why(
    workbook: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_verify(project)) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        f"skipped 1 analysis(es) in analyses/supplied/ ({NAME}): no data given, and the project "
        "does not ship them; check one on your copy with `vrueval verify NAME --data FILE`",
        "verify passed: 0 analyses checked, 0 numbers compared, no differences",
    ]
    assert main(_verify(project, "--record")) == 0  # records nothing of a supplied spec
    assert capsys.readouterr().out.startswith("skipped 1 analysis(es) in analyses/supplied/")
    assert not (project / "analyses" / "supplied" / "expected").exists()
    # named without its data, or data without one name: refused, saying what to give
    assert main(_verify(project, NAME)) == 1
    assert "give your copy, as in `vrueval verify NAME --data FILE`" in capsys.readouterr().err
    assert main(_verify(project, "--data", str(workbook))) == 1
    assert "replaces the data files of one analysis: name it" in capsys.readouterr().err
