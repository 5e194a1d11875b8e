"""Published analyses: every spec is valid, and rerunning each reproduces its recorded numbers."""

import tomllib
from pathlib import Path

import pytest

from vrueval.analysis import find_specs, load_spec, verify
from vrueval.data.coverage import vru_population_share

ROOT = Path(__file__).resolve().parents[1]


def test_every_spec_is_valid_and_recorded():
    specs = find_specs(ROOT)
    assert specs, "no analyses"
    for path in specs:
        spec = load_spec(path)
        assert spec.name == path.stem, f"{path.name}: name must match the file name"
        assert (ROOT / "analyses" / "expected" / f"{spec.name}.json").exists(), spec.name


def test_every_supplied_spec_is_recorded_with_the_hash_of_its_data():
    """Specs of data the project does not ship are recorded from the user's copy
    (`vrueval verify --record NAME --data FILE`), with its SHA-256 under the spec's file name."""
    import json

    from vrueval.analysis.inputs import label
    from vrueval.analysis.spec import find_supplied_specs

    specs = find_supplied_specs(ROOT)
    assert specs, "no supplied analyses"
    for path in specs:
        spec = load_spec(path)
        assert spec.supplied and spec.name == path.stem
        recorded = json.loads(
            (ROOT / "analyses" / "supplied" / "expected" / f"{spec.name}.json").read_text()
        )
        assert set(recorded) >= {"tolerance", "data", "effects"}, path.name
        files = recorded["data"]["files"]
        assert set(files) == {label(f, ROOT) for f in spec.files}, path.name
        assert all(len(sha) == 64 for sha in files.values())


def test_intensity_shares_match_the_population_data():
    spec = tomllib.loads((ROOT / "analyses" / "did_hes_intensity.toml").read_text())
    shares = vru_population_share(2019)["share"]
    for code, value in spec["design"]["intensity"].items():
        assert value == pytest.approx(shares[code], abs=5e-5), code


def test_verify_reproduces_every_published_number():
    report = verify(ROOT)
    assert report.passed, "\n".join(report.failures)
    assert report.analyses == len(find_specs(ROOT)) and report.numbers > 500
    assert report.skipped == ["its_mopac_knife_victims_u25"]  # no data given: not shipped
    assert report.worst <= 1
    assert report.summary().startswith(
        f"verify passed: {report.analyses} analyses checked, {report.numbers} numbers compared, "
        "worst difference "
    )


def test_verify_names_the_analysis_term_and_difference(tmp_path):
    import json
    import shutil

    (tmp_path / "analyses" / "expected").mkdir(parents=True)
    shutil.copy(ROOT / "analyses" / "did_css_robbery.toml", tmp_path / "analyses")
    recorded = json.loads((ROOT / "analyses" / "expected" / "did_css_robbery.json").read_text())
    recorded["effects"][0]["estimate"] += 0.01
    (tmp_path / "analyses" / "expected" / "did_css_robbery.json").write_text(json.dumps(recorded))
    failures = verify(tmp_path).failures
    assert len(failures) == 1
    assert failures[0].startswith("did_css_robbery: att estimate moved from")


def test_run_writes_results_json_with_effects_and_provenance(tmp_path):
    import json

    from vrueval.cli import main

    assert (
        main(
            [
                "run",
                str(ROOT / "analyses" / "did_css_robbery.toml"),
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["effects"][0]["term"] == "att"
    prov = document["provenance"]
    assert len(prov["data"]["panel_sha256"]) == 64
    assert all(len(s["sha256"]) == 64 for s in prov["data"]["sources"])
    assert prov["versions"]["vrueval"] and prov["git_commit"]
    assert document["result"]["seed"] == 20191003
    # same spec, same seed: the same numbers byte for byte
    main(
        [
            "run",
            str(ROOT / "analyses" / "did_css_robbery.toml"),
            "--out",
            str(tmp_path / "b"),
            "--quiet",
        ]
    )
    again = json.loads((tmp_path / "b" / "results.json").read_text())
    assert again["effects"] == document["effects"]


GLS = "its_hes_west_midlands_gls"


@pytest.fixture
def bundle_copy(tmp_path, monkeypatch):
    """Point the bundled datasets at a copy of the bundle (edits never touch the package)."""
    import shutil

    from vrueval.data import datasets

    copy = tmp_path / "bundled"
    shutil.copytree(Path(str(datasets._BUNDLE)), copy)
    monkeypatch.setattr(datasets, "_BUNDLE", copy)
    datasets._panel.cache_clear()
    datasets.manifest.cache_clear()
    yield copy
    monkeypatch.undo()
    datasets._panel.cache_clear()
    datasets.manifest.cache_clear()


def test_verify_passes_on_an_unchanged_copy_of_the_bundle(bundle_copy, capsys):
    from vrueval.cli import main

    assert main(["verify", GLS, "--root", str(ROOT)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("verify passed: 1 analyses checked, 10 numbers compared, worst")


def test_verify_names_the_data_file_after_one_bundled_value_changes(bundle_copy, capsys):
    import pandas as pd

    from vrueval.cli import main

    path = bundle_copy / "hes_sharp_object.parquet"
    frame = pd.read_parquet(path)
    row = frame.index[
        (frame["unit"] == "E12000005")
        & (frame["outcome"] == "admissions")
        & (frame["period"].astype(str) == "2015-06")
    ]
    assert len(row) == 1
    frame.loc[row, "value"] += 5
    frame.to_parquet(path)

    report = verify(ROOT, names=[GLS])
    assert not report.passed
    assert report.failures[0].startswith(
        f"{GLS}: its data panel changed: data file(s) changed: "
        "vrueval/data/bundled/hes_sharp_object.parquet: sha256 "
    )
    assert any("level_change estimate moved" in f for f in report.failures)
    assert main(["verify", GLS, "--root", str(ROOT)]) == 1
    captured = capsys.readouterr()
    assert "hes_sharp_object.parquet" in captured.err
    assert captured.out.strip().startswith("verify FAILED")


def test_recorded_tolerance_cannot_loosen_verify(tmp_path):
    import json
    import shutil

    (tmp_path / "analyses" / "expected").mkdir(parents=True)
    shutil.copy(ROOT / "analyses" / f"{GLS}.toml", tmp_path / "analyses")
    recorded = json.loads((ROOT / "analyses" / "expected" / f"{GLS}.json").read_text())
    recorded["tolerance"]["rtol"] = 0.5
    recorded["effects"][0]["estimate"] *= 1 + 1e-6
    (tmp_path / "analyses" / "expected" / f"{GLS}.json").write_text(json.dumps(recorded))
    report = verify(tmp_path)
    assert [f.split(" moved")[0] for f in report.failures] == [f"{GLS}: level_change estimate"]
    assert "rtol 1e-10" in report.failures[0]
    assert any("not the 0.5 recorded" in n for n in report.notes)


def test_specs_cannot_set_verify_tolerances(tmp_path):
    from vrueval.analysis import SpecError

    text = (ROOT / "analyses" / f"{GLS}.toml").read_text() + "\n[verify]\nrtol = 0.5\n"
    (tmp_path / f"{GLS}.toml").write_text(text)
    with pytest.raises(SpecError, match=r"unknown section\(s\) \['verify'\]"):
        load_spec(tmp_path / f"{GLS}.toml")


def test_tolerance_follows_how_the_numbers_are_computed():
    from vrueval.analysis import tolerance as tol

    assert tol.tolerance("ITS", {"model": "ols"}) is tol.CLOSED_FORM
    assert tol.tolerance("ITS", {"model": "poisson"}) is tol.IRLS
    assert tol.tolerance("ITS", {"model": "negbin"}) is tol.NEGATIVE_BINOMIAL
    gls = {"model": "gls", "arma": [1, 0]}
    assert tol.tolerance("ITS", gls, {"polished": True}) is tol.GLS_ONE_PARAMETER
    assert tol.tolerance("ITS", gls, {"polished": False}) is tol.GLS_ONE_PARAMETER_UNPOLISHED
    assert tol.tolerance("ITS", gls) is tol.GLS_ONE_PARAMETER_UNPOLISHED  # not recorded: unsure
    assert tol.tolerance("ITS", {"model": "gls", "arma": [2, 1]}) is tol.GLS_ARMA
    assert tol.tolerance("DiD", {"estimator": "poisson"}) is tol.IRLS
    assert tol.tolerance("EventStudy", {"estimator": "event_study"}) is tol.CLOSED_FORM
    assert tol.tolerance("StaggeredDiD", {"method": "dr", "covariates": ["x"]}) is tol.IRLS
    assert tol.tolerance("StaggeredDiD", {"method": "dr", "covariates": []}) is tol.CLOSED_FORM
    with pytest.raises(ValueError, match="no verify tolerance for design 'Synthetic'"):
        tol.tolerance("Synthetic", {})
    for path in (ROOT / "analyses" / "expected").glob("*.json"):
        import json

        recorded = json.loads(path.read_text())
        assert set(recorded) >= {"tolerance", "data", "effects"}, path.name
        assert len(recorded["data"]["panel_sha256"]) == 64
        assert all(len(sha) == 64 for sha in recorded["data"]["files"].values())


def test_a_changed_file_outside_the_analysed_panel_is_a_note_not_a_failure(bundle_copy):
    import pandas as pd

    path = bundle_copy / "hes_sharp_object.parquet"
    frame = pd.read_parquet(path)
    london = (frame["unit"] == "E12000007") & (frame["outcome"] == "admissions")
    frame.loc[frame.index[london][:1], "value"] += 5
    frame.to_parquet(path)

    report = verify(ROOT, names=[GLS])  # West Midlands only: its panel is unchanged
    assert report.passed, report.failures
    assert len(report.notes) == 1
    assert report.notes[0].startswith(
        f"{GLS}: data file(s) changed but not its panel: "
        "vrueval/data/bundled/hes_sharp_object.parquet: sha256 "
    )


def test_changed_file_messages_say_what_was_recorded() -> None:
    from vrueval.analysis.verify import _file_changes

    old = {"a.csv": "1" * 64, "gone.csv": "3" * 64}
    assert _file_changes(old, {"a.csv": "2" * 64, "new.csv": "4" * 64}, "given", "not given") == [
        "a.csv: sha256 111111111111 recorded, given 222222222222",
        "new.csv: no sha256 recorded, given 444444444444",
        "gone.csv: not given",
    ]
