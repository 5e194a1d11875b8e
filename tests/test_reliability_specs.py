"""Reliability matrix for specs and the command line (issue 11, "Specs and the CLI").

One row a case: how the input is prepared, the exit code and the message fragment expected on
stderr, and what must hold afterwards (nothing written outside the project, the previous results
intact, no partial files). Every row failed before the checks in vrueval.analysis.spec and
vrueval.analysis.output existed. Cases owned elsewhere have their rows beside their code:
``[verify]`` tolerances (analysis/verify.py) and ``data load`` provenance (the data loader).

Fitting is replaced by one real fit made once (``fitted``), so each row runs in milliseconds;
rows that must fail *before* fitting use a fit that fails the test if called.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vrueval.analysis import load_spec, runner
from vrueval.cli import main

ROOT = Path(__file__).resolve().parents[1]

SPEC = """
[analysis]
name = "wm"
design = "ITS"
seed = 20191003

[data]
{data}

[design]
interruptions = {{ vru = "2019-10" }}
seasonality = "dummies"
model = "poisson"
missing = "drop"
{design}
[fit]
inference = "hac"
{fit}
"""
DATASET = 'dataset = "hes_sharp_object"\noutcome = "admissions"\nunits = ["West Midlands"]'


def spec_text(data: str = DATASET, design: str = "", fit: str = "", name: str = "wm") -> str:
    text = SPEC.format(data=data, design=design, fit=fit)
    return text.replace('name = "wm"', f"name = {json.dumps(name)}")


def files_data(entry: str) -> str:
    return f'files = [{json.dumps(entry)}]\nformat = "hes_sharp_object"\noutcome = "admissions"'


@pytest.fixture(scope="module")
def fitted():
    """One real fit of the matrix's spec, reused by every row that gets as far as fitting."""
    project = ROOT / "analyses"
    spec = load_spec(project / "its_hes_west_midlands.toml")
    return runner.fit(spec)


@dataclass
class World:
    """The temporary project a row runs in: tmp/proj/analyses/wm.toml, --out tmp/out."""

    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    fitted: tuple
    fit_calls: list[str] = field(default_factory=list)

    @property
    def project(self) -> Path:
        return self.tmp / "proj"

    @property
    def spec(self) -> Path:
        return self.project / "analyses" / "wm.toml"

    @property
    def out(self) -> Path:
        return self.tmp / "out"

    def write_spec(self, text: str) -> Path:
        self.spec.parent.mkdir(parents=True, exist_ok=True)
        self.spec.write_text(text)
        return self.spec

    def stub_fit(self, action: Callable[[], object] | None = None) -> None:
        """Replace the fit by the precomputed one, running ``action`` first (e.g. raise)."""

        def fake_fit(spec, panel=None, compute=None):
            self.fit_calls.append(spec.name)
            if action is not None:
                action()
            return self.fitted

        self.monkeypatch.setattr(runner, "fit", fake_fit)

    def forbid_fit(self) -> None:
        def no_fit(spec, panel=None, compute=None):
            raise AssertionError("the spec or --out should have been refused before fitting")

        self.monkeypatch.setattr(runner, "fit", no_fit)

    def run(self, *extra: str) -> list[str]:
        return ["run", str(self.spec), "--out", str(self.out), "--quiet", *extra]

    def previous(self, name: str = "wm") -> str:
        """A results.json already in --out, from analysis ``name``; returns its text."""
        self.out.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"analysis": {"name": name}, "effects": []}, indent=2)
        (self.out / "results.json").write_text(text)
        return text


# -- the rows: each prepares its world and returns the argv ----------------------------------


def name_traversal_run(w: World) -> list[str]:
    w.write_spec(spec_text(name="../../../outside"))
    w.forbid_fit()
    return w.run()


def name_traversal_record(w: World) -> list[str]:
    # before: verify --record wrote analyses/expected/../../../outside.json, beside the project
    w.write_spec(spec_text(name="../../../outside"))
    w.stub_fit()
    return ["verify", "--record", "--root", str(w.project)]


def absolute_data_file(w: World) -> list[str]:
    w.write_spec(spec_text(data=files_data("/etc/passwd")))
    w.forbid_fit()
    return w.run()


def dotdot_data_file(w: World) -> list[str]:
    (w.tmp / "secret.xlsx").write_bytes(b"not for specs")
    w.write_spec(spec_text(data=files_data("../../secret.xlsx")))
    w.forbid_fit()
    return w.run()


def symlink_data_file(w: World) -> list[str]:
    (w.tmp / "secret.xlsx").write_bytes(b"not for specs")
    w.spec.parent.mkdir(parents=True)
    (w.spec.parent / "data.xlsx").symlink_to(w.tmp / "secret.xlsx")
    w.write_spec(spec_text(data=files_data("data.xlsx")))
    w.forbid_fit()
    return w.run()


def fit_level_contradicts(w: World) -> list[str]:
    # before: 50% intervals while results.json recorded analysis.level 0.95
    w.write_spec(spec_text(fit="level = 0.5"))
    w.stub_fit()
    return w.run()


def fit_seed_contradicts(w: World) -> list[str]:
    w.write_spec(spec_text(fit="seed = 7"))
    w.stub_fit()
    return w.run()


def unknown_design_key(w: World) -> list[str]:
    # before: a raw TypeError traceback from the constructor
    w.write_spec(spec_text(design='interuptions = { vru = "2019-10" }'))
    return w.run()


def unknown_fit_key(w: World) -> list[str]:
    w.write_spec(spec_text(fit="n_bootstrap = 99"))
    return w.run()


def design_outcome_contradicts(w: World) -> list[str]:
    w.write_spec(spec_text(design='outcome = "deaths"'))
    w.forbid_fit()
    return w.run()


def out_is_a_file(w: World) -> list[str]:
    # before: failed only after the whole fit
    w.write_spec(spec_text())
    w.out.write_text("a file")
    w.forbid_fit()
    return w.run()


def out_under_a_file(w: World) -> list[str]:
    w.write_spec(spec_text())
    (w.tmp / "file").write_text("a file")
    w.forbid_fit()
    return ["run", str(w.spec), "--out", str(w.tmp / "file" / "sub"), "--quiet"]


def out_holds_another_analysis(w: World) -> list[str]:
    w.write_spec(spec_text())
    w.previous(name="did_css_robbery")
    w.forbid_fit()
    return w.run()


def out_holds_foreign_file(w: World) -> list[str]:
    w.write_spec(spec_text())
    w.out.mkdir()
    (w.out / "results.json").write_text("my notes, not JSON")
    w.forbid_fit()
    return w.run()


def concurrent_run_same_out(w: World) -> list[str]:
    # The first run, while fitting, starts a second run to the same --out.
    w.write_spec(spec_text())
    second: list[int] = []
    w.stub_fit(lambda: second.append(main(w.run())))
    w.second = second  # type: ignore[attr-defined]
    return w.run()


def disk_full_while_writing(w: World) -> list[str]:
    # before: results.json was truncated to invalid JSON
    w.write_spec(spec_text())
    w.previous()
    w.stub_fit()
    real = Path.write_text

    def half_then_enospc(self, data, *args, **kwargs):
        real(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    w.monkeypatch.setattr(Path, "write_text", half_then_enospc)
    return w.run()


def ctrl_c_while_fitting(w: World) -> list[str]:
    w.write_spec(spec_text())

    def interrupt() -> None:
        raise KeyboardInterrupt

    w.stub_fit(interrupt)
    return w.run()


def ctrl_c_while_writing(w: World) -> list[str]:
    w.write_spec(spec_text())
    w.previous()
    w.stub_fit()
    real = Path.write_text

    def half_then_interrupt(self, data, *args, **kwargs):
        real(self, data[: len(data) // 2], *args, **kwargs)
        raise KeyboardInterrupt

    w.monkeypatch.setattr(Path, "write_text", half_then_interrupt)
    return w.run()


# -- what must hold afterwards -----------------------------------------------------------------


def nothing_outside(w: World) -> None:
    assert sorted(p.name for p in w.tmp.iterdir()) in (["proj"], ["proj", "secret.xlsx"])


def out_untouched_file(w: World) -> None:
    assert w.out.read_text() == "a file"


def previous_intact(w: World) -> None:
    document = json.loads((w.out / "results.json").read_text())  # still valid JSON
    assert document["effects"] == []  # the previous results, not half of the new ones
    assert sorted(os.listdir(w.out)) == ["results.json"]  # no temporary file left


def previous_of_other_analysis(w: World) -> None:
    document = json.loads((w.out / "results.json").read_text())
    assert document["analysis"]["name"] == "did_css_robbery"


def foreign_file_kept(w: World) -> None:
    assert (w.out / "results.json").read_text() == "my notes, not JSON"


def second_refused_first_complete(w: World) -> None:
    assert w.second == [1]  # type: ignore[attr-defined]
    assert json.loads((w.out / "results.json").read_text())["analysis"]["name"] == "wm"


def no_out_folder(w: World) -> None:
    assert not w.out.exists()


def nothing(w: World) -> None:
    pass


CASES = [
    # id, prepare, exit code, fragment on stderr, afterwards
    ("name-traversal-run", name_traversal_run, 1, "is not an identifier", nothing_outside),
    ("name-traversal-record", name_traversal_record, 1, "is not an identifier", nothing_outside),
    ("data-absolute-path", absolute_data_file, 1, "'/etc/passwd' is an absolute path", nothing),
    ("data-dotdot-escape", dotdot_data_file, 1, "leads outside with '..'", no_out_folder),
    ("data-symlink-escape", symlink_data_file, 1, "symbolic link leading to", no_out_folder),
    ("fit-level-vs-analysis", fit_level_contradicts, 1, "as [analysis] level", no_out_folder),
    ("fit-seed-vs-analysis", fit_seed_contradicts, 1, "as [analysis] seed", no_out_folder),
    ("design-outcome-vs-data", design_outcome_contradicts, 1, "as [data] outcome", nothing),
    (
        "unknown-design-key",
        unknown_design_key,
        1,
        "unknown key(s) ['interuptions'] in [design]: not accepted by ITS's constructor; "
        "allowed: ['arma', 'change', 'controls',",
        no_out_folder,
    ),
    (
        "unknown-fit-key",
        unknown_fit_key,
        1,
        "unknown key(s) ['n_bootstrap'] in [fit]: not accepted by ITS's .fit(); allowed: [",
        no_out_folder,
    ),
    ("out-is-a-file", out_is_a_file, 1, "is a file, not a folder", out_untouched_file),
    ("out-under-a-file", out_under_a_file, 1, "is a file, not a folder", nothing),
    (
        "out-holds-other-analysis",
        out_holds_another_analysis,
        1,
        "holds the results of analysis 'did_css_robbery', not 'wm'; choose another folder or "
        "pass --force",
        previous_of_other_analysis,
    ),
    ("out-holds-foreign-file", out_holds_foreign_file, 1, "--force", foreign_file_kept),
    (
        "concurrent-runs",
        concurrent_run_same_out,
        0,
        "another vrueval run is writing there",
        second_refused_first_complete,
    ),
    ("disk-full", disk_full_while_writing, 1, "No space left on device", previous_intact),
    ("ctrl-c-fitting", ctrl_c_while_fitting, 130, "vrueval: interrupted", no_out_folder),
    ("ctrl-c-writing", ctrl_c_while_writing, 130, "vrueval: interrupted", previous_intact),
]


@pytest.mark.parametrize(
    ("prepare", "code", "fragment", "afterwards"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_spec_and_cli_matrix(
    tmp_path, monkeypatch, capsys, fitted, prepare, code, fragment, afterwards
):
    world = World(tmp_path, monkeypatch, fitted)
    argv = prepare(world)
    assert main(argv) == code
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err
    if code == 130:
        assert err.strip() == "vrueval: interrupted"  # one line
    afterwards(world)


# -- what the user may still do ------------------------------------------------------------------


def test_run_prints_effects_and_warnings_after_writing(tmp_path, monkeypatch, capsys, fitted):
    world = World(tmp_path, monkeypatch, fitted)
    world.write_spec(spec_text())
    world.stub_fit()
    assert main(world.run()) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"wrote {world.out / 'results.json'}"
    header = lines[2].split()
    assert header == list(fitted[0].effects().columns)
    assert any(line.split()[0] == "level_change" for line in lines[3:])
    assert [line for line in lines if line.startswith("warning: ")] == [
        f"warning: {w}" for w in fitted[0].warnings
    ]
    # the same analysis again into the same folder: replaced without --force
    assert main(world.run()) == 0


def test_force_replaces_another_analysis(tmp_path, monkeypatch, fitted):
    world = World(tmp_path, monkeypatch, fitted)
    world.write_spec(spec_text())
    world.previous(name="did_css_robbery")
    world.stub_fit()
    assert main(world.run("--force")) == 0
    assert json.loads((world.out / "results.json").read_text())["analysis"]["name"] == "wm"


def test_allow_path_admits_data_outside_the_project(tmp_path, raw_data):
    workbook = (
        raw_data / "hes_sharp_object_region_2012_2022" / "raw" / "UK_Knife_Crime_Workbook.xlsx"
    )
    world = World(tmp_path, pytest.MonkeyPatch(), ())
    data = files_data(str(workbook)) + '\nunits = ["West Midlands"]'
    world.write_spec(spec_text(data=data))
    with pytest.raises(ValueError, match="is an absolute path"):
        load_spec(world.spec)
    spec = load_spec(world.spec, allowed_dirs=[workbook.parent])
    assert spec.files == [workbook.resolve()]
    # a relative path into the allowed folder is admitted too; the rest stays refused
    relative = os.path.relpath(workbook, world.spec.parent)
    world.write_spec(spec_text(data=files_data(relative)))
    assert load_spec(world.spec, allowed_dirs=[workbook.parent]).files == [workbook.resolve()]
    with pytest.raises(ValueError, match="leads outside with '..'"):
        load_spec(world.spec, allowed_dirs=[tmp_path / "elsewhere"])


def test_allow_path_on_the_command_line(tmp_path, raw_data, capsys):
    workbook = (
        raw_data / "hes_sharp_object_region_2012_2022" / "raw" / "UK_Knife_Crime_Workbook.xlsx"
    )
    world = World(tmp_path, pytest.MonkeyPatch(), ())
    data = files_data(str(workbook)) + '\nunits = ["West Midlands"]'
    # the raw workbook carries no population: counts, OLS
    world.write_spec(spec_text(data=data).replace('model = "poisson"', 'model = "ols"'))
    assert main(world.run()) == 1
    assert "--allow-path DIR" in capsys.readouterr().err
    assert main(world.run("--allow-path", str(workbook.parent))) == 0
    document = json.loads((world.out / "results.json").read_text())
    assert [s["sha256"] for s in document["provenance"]["data"]["sources"]]


def test_data_files_inside_the_project_are_read(tmp_path):
    world = World(tmp_path, pytest.MonkeyPatch(), ())
    (world.project / "data").mkdir(parents=True)
    (world.project / "data" / "x.xlsx").write_bytes(b"")
    world.write_spec(spec_text(data=files_data("../data/x.xlsx")))
    assert load_spec(world.spec).files == [(world.project / "data" / "x.xlsx").resolve()]


def test_power_out_checked_before_simulating(tmp_path, monkeypatch, capsys):
    import vrueval.power

    def no_simulation(*args, **kwargs):
        raise AssertionError("--out should have been refused before simulating")

    monkeypatch.setattr(vrueval.power, "from_spec", no_simulation)
    (tmp_path / "file").write_text("a file")
    spec = ROOT / "analyses" / "power" / "power_its_wm_knife.toml"
    assert main(["power", str(spec), "--out", str(tmp_path / "file")]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
