"""``vrueval.power.from_spec``: a power study from an analysis spec with a [power] section."""

from __future__ import annotations

from pathlib import Path

import pytest

import vrueval as ve
from vrueval.analysis.spec import SpecError

ROOT = Path(__file__).resolve().parents[1]

ITS_SPEC = """
[analysis]
name = "power_wm_hes"
design = "ITS"
seed = 20191003

[data]
dataset = "hes_sharp_object"
outcome = "admissions"
units = ["West Midlands"]

[design]
interruptions = { vru = "2019-10" }
lockdown = ["2020-03", "2021-03"]
lockdown_handling = "exclude"
seasonality = "dummies"
model = "poisson"

[fit]
inference = "hac"

[power]
model = "ols"
n_sims = 200
effects = [-0.2, -0.1, 0.0]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "power.toml"
    path.write_text(text)
    return path


def test_its_spec_uses_the_pre_period_and_the_planned_post_period(tmp_path: Path) -> None:
    res = ve.power.from_spec(_write(tmp_path, ITS_SPEC))
    assert res.design == "ITS"
    assert res.settings["data_end"] == "2019-09"  # the month before the VRU start
    assert res.settings["post"] == 30  # Oct 2019 - Mar 2022, as the data hold
    assert res.seed == 20191003
    again = ve.power.from_spec(_write(tmp_path, ITS_SPEC))
    assert res.table().equals(again.table())


def test_its_spec_simulates_the_analysis_model(tmp_path: Path) -> None:
    text = ITS_SPEC.replace('model = "ols"\nn_sims = 200', "n_sims = 100")
    res = ve.power.from_spec(_write(tmp_path, text))
    assert res.settings["model"] == "poisson" and res.settings["response"] == "rate"
    assert res.settings["hac_fixed_b"] is True
    negbin = text.replace('model = "poisson"', 'model = "negbin"')
    with pytest.raises(SpecError, match="model='ols' and model='poisson'"):
        ve.power.from_spec(_write(tmp_path, negbin))


def test_did_spec_simulates_the_analysis_inference(tmp_path: Path) -> None:
    text = (ROOT / "analyses" / "did_css_robbery.toml").read_text()  # wild bootstrap, Webb
    res = ve.power.from_spec(_write(tmp_path, text + "\n[power]\nn_sims = 100\ndraws = 199\n"))
    assert res.design == "DiD (TWFE)"
    assert res.settings["inference"] == "wild" and res.settings["boot_weights"] == "webb"
    assert res.settings["draws"] == 199  # [power] overrides [fit]
    assert res.settings["post"] == 3  # 2019/20 - 2021/22
    assert res.settings["n_treated"] == 18


def test_event_study_spec_must_accept_cr1(tmp_path: Path) -> None:
    text = (ROOT / "analyses" / "es_css_robbery.toml").read_text()  # CR2
    with pytest.raises(SpecError, match="simulate cr1"):
        ve.power.from_spec(_write(tmp_path, text))
    res = ve.power.from_spec(
        _write(tmp_path, text + '\n[power]\ninference = "cr1"\nn_sims = 100\nseed = 1\n')
    )
    assert res.settings["inference"] == "cr1"


def test_bad_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="unknown section"):
        ve.power.from_spec(_write(tmp_path, ITS_SPEC + "\n[extra]\na = 1\n"))
    with pytest.raises(SpecError, match="no such spec"):
        ve.power.from_spec(tmp_path / "absent.toml")
    bad = ITS_SPEC.replace('design = "ITS"', 'design = "Oracle"')
    with pytest.raises(SpecError, match="unknown design 'Oracle'"):
        ve.power.from_spec(_write(tmp_path, bad))
    # read by the same loader as `vrueval run`: names, [fit] keys and data paths checked alike
    with pytest.raises(SpecError, match="not an identifier"):
        ve.power.from_spec(_write(tmp_path, ITS_SPEC.replace('name = "', 'name = "../', 1)))
    with pytest.raises(SpecError, match="set it once"):
        ve.power.from_spec(_write(tmp_path, ITS_SPEC.replace("[fit]\n", "[fit]\nlevel = 0.5\n")))


def test_weighted_did_spec_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "analyses" / "did_css_robbery.toml").read_text()
    weighted = text.replace("[design]\n", '[design]\nweights = "population"\n', 1)
    with pytest.raises(SpecError, match="unweighted estimator"):
        ve.power.from_spec(_write(tmp_path, weighted))


def test_its_spec_simulates_the_excluded_lockdown(tmp_path: Path) -> None:
    text = ITS_SPEC.replace("n_sims = 200", "n_sims = 50")
    res = ve.power.from_spec(_write(tmp_path, text))
    assert res.settings["exclude"] == (5, 17)  # Mar 2020 - Mar 2021, from an Oct 2019 start
    indicator = text.replace('lockdown_handling = "exclude"', 'lockdown_handling = "indicator"')
    with pytest.raises(SpecError, match="excluded window"):
        ve.power.from_spec(_write(tmp_path, indicator))


def test_n_treated_override_changes_the_baseline_too(tmp_path: Path) -> None:
    """``--set n_treated=10`` plans 10 treated areas: the baseline (offences a year, population)
    is 10 of the real treated areas' average, not the 18 areas' total (issue 15, item 6)."""
    spec = ROOT / "analyses" / "power" / "power_did_knife.toml"
    few = {"n_sims": 40, "draws": 99, "effects": [-0.2, 0.0]}
    real = ve.power.from_spec(spec, **few)
    ten = ve.power.from_spec(spec, n_treated=10, **few)
    assert real.settings["n_treated"] == 18 and ten.settings["n_treated"] == 10
    # the header must not list the 18 real areas as the 10 treated: they only give the baseline
    assert len(real.settings["treated"]) == 18 and real.settings["baseline_from"] is None
    assert ten.settings["treated"] is None and len(ten.settings["baseline_from"]) == 18
    assert ten.baseline.per_year == pytest.approx(real.baseline.per_year / 18 * 10, rel=1e-12)
    assert ten.baseline.population == pytest.approx(real.baseline.population / 18 * 10)
    prevented = ten.table().set_index("effect")["prevented_per_year"]
    assert prevented[-0.2] == pytest.approx(0.2 * ten.baseline.per_year)
