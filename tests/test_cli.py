import subprocess
import sys

import pandas as pd
import pytest

from vrueval.cli import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "vrueval.cli", *args], capture_output=True, text=True, check=False
    )


def test_help_on_every_command():
    for cmd in (
        [],
        ["areas"],
        ["datasets"],
        ["validate"],
        ["data", "load"],
        ["run"],
        ["render"],
        ["verify"],
    ):
        out = run(*cmd, "--help")
        assert out.returncode == 0, cmd
        assert "usage: vrueval" in out.stdout


def test_areas_and_resolve(capsys):
    assert main(["areas", "--cohort", "2019"]) == 0
    assert capsys.readouterr().out.count("\n") == 19  # header + 18
    assert main(["areas", "--resolve", "Devon & Cornwall"]) == 0
    assert capsys.readouterr().out.startswith("E23000035")


def test_unknown_area_goes_to_stderr_with_exit_1():
    out = run("areas", "--resolve", "Nothumbria")
    assert out.returncode == 1 and out.stdout == ""
    assert "Did you mean 'Northumbria'" in out.stderr


def test_datasets_lists_real_data(capsys):
    assert main(["datasets"]) == 0
    text = capsys.readouterr().out
    for name in (
        "knife_quarterly",
        "crime_severity_2022",
        "hes_sharp_object",
        "population_mid2011_2023",
    ):
        assert name in text
    assert main(["datasets", "hes_sharp_object"]) == 0
    assert "sha256=" in capsys.readouterr().out


def test_validate_good_and_bad_files(tmp_path):
    good = tmp_path / "good.csv"
    pd.DataFrame(
        {
            "unit": ["Kent"] * 3,
            "period": ["2019-01", "2019-02", "2019-03"],
            "outcome": "x",
            "value": [1, "", 3],
        }
    ).to_csv(good, index=False)
    out = run("validate", str(good), "--frequency", "month")
    assert out.returncode == 0, out.stderr
    assert "1 missing cell" in out.stdout
    bad = tmp_path / "bad.csv"
    pd.DataFrame(
        {
            "unit": ["Kent"] * 3,
            "period": ["2019-01", "2019-02", "2019-03"],
            "outcome": "x",
            "value": [1, "..", 3],
        }
    ).to_csv(bad, index=False)
    out = run("validate", str(bad), "--frequency", "month")
    assert out.returncode == 1 and "non-numeric value" in out.stderr
    out = run("validate", str(tmp_path / "nope.csv"), "--frequency", "month")
    assert out.returncode == 1 and "no such file" in out.stderr
    out = run("validate", str(good))
    assert out.returncode == 2  # usage error: --frequency is required


def test_power_command(tmp_path):
    from pathlib import Path

    spec = Path(__file__).resolve().parents[1] / "analyses" / "power" / "power_its_wm_knife.toml"
    out = run("power", str(spec), "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "power" in out.stdout.splitlines()[0]
    assert (tmp_path / "power.json").exists() and (tmp_path / "power_curve.png").exists()
    assert run("power", str(tmp_path / "none.toml")).returncode == 1
    out = run(
        "power", str(spec), "--set", "model=ols", "--set", "n_sims=50", "--out", str(tmp_path)
    )
    assert out.returncode == 0, out.stderr
    import json

    saved = json.loads((tmp_path / "power.json").read_text())
    assert saved["settings"]["model"] == "ols" and saved["settings"]["n_sims"] == 50
    bad = run("power", str(spec), "--set", "n_simz=50")
    assert bad.returncode == 1 and "n_simz" in bad.stderr


def test_key_value_options_have_one_parser() -> None:
    """``power --set`` and ``render --param`` read KEY=VALUE through vrueval.options."""
    from vrueval.options import parse_assignments
    from vrueval.render import params

    got = parse_assignments(["n_treated=10", "effects=[-0.1, 0.0]", "inference=cr1"])
    assert got == {"n_treated": 10, "effects": [-0.1, 0.0], "inference": "cr1"}
    with pytest.raises(ValueError, match=r"--set takes KEY=VALUE, got 'n_sims'"):
        parse_assignments(["n_sims"])
    with pytest.raises(ValueError, match="--set n_sims is given twice"):
        parse_assignments(["n_sims=10", "n_sims=20"])
    with pytest.raises(params.ParameterError, match="--param takes KEY=VALUE"):
        params.parse_assignments(["area"])
    assert params.parse_assignments(['area="Kent"']) == parse_assignments(['area="Kent"'])
