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


def test_intensity_shares_match_the_population_data():
    spec = tomllib.loads((ROOT / "analyses" / "did_hes_intensity.toml").read_text())
    shares = vru_population_share(2019)["share"]
    for code, value in spec["design"]["intensity"].items():
        assert value == pytest.approx(shares[code], abs=5e-5), code


def test_verify_reproduces_every_published_number():
    failures = verify(ROOT)
    assert failures == [], "\n".join(failures)


def test_verify_names_the_analysis_term_and_difference(tmp_path):
    import json
    import shutil

    (tmp_path / "analyses" / "expected").mkdir(parents=True)
    shutil.copy(ROOT / "analyses" / "did_css_robbery.toml", tmp_path / "analyses")
    recorded = json.loads((ROOT / "analyses" / "expected" / "did_css_robbery.json").read_text())
    recorded["effects"][0]["estimate"] += 0.01
    (tmp_path / "analyses" / "expected" / "did_css_robbery.json").write_text(json.dumps(recorded))
    failures = verify(tmp_path)
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
