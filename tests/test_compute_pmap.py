"""vrueval.compute.pmap: task order, per-task streams, settings and the errors it gives."""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path

import numpy as np
import pytest

import vrueval as ve
from vrueval.analysis.spec import SpecError, load_spec
from vrueval.compute import Compute, TaskError, current, pmap, streams, using


@pytest.fixture(autouse=True)
def start_workers_for_any_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the parallel paths: tiny tasks must still go to the workers
    (pmap would otherwise finish them here, see START_SECONDS)."""
    monkeypatch.setattr(importlib.import_module("vrueval.compute.pmap"), "START_SECONDS", 0.0)


def _draw(task: int, rng: np.random.Generator) -> tuple[int, float]:
    return task, float(rng.normal())


def _fail_on_two(task: int) -> int:
    if task == 2:
        raise ValueError("two is not allowed")
    return task


class _Unpicklable(Exception):
    def __reduce__(self):  # type: ignore[override]
        raise TypeError("cannot pickle this error")


def _fail_unpicklable(task: int) -> int:
    if task == 1:
        raise _Unpicklable("lost on the way")
    return task


def test_results_in_task_order_with_each_tasks_own_stream() -> None:
    out = pmap(_draw, list(range(5)), seed=11)
    children = np.random.SeedSequence(11).spawn(5)
    assert [t for t, _ in out] == list(range(5))
    assert [x for _, x in out] == [float(np.random.default_rng(c).normal()) for c in children]
    assert [s.spawn_key for s in streams(11, 5)] == [c.spawn_key for c in children]
    # a task's stream depends on its index, not on how many tasks run before it on a worker
    assert pmap(_draw, list(range(3)), seed=11) == out[:3]


def test_local_processes_give_the_serial_bytes() -> None:
    serial = pmap(_draw, list(range(7)), seed=3)
    parallel = pmap(_draw, list(range(7)), seed=3, jobs=2, progress=True)
    assert pickle.dumps(parallel) == pickle.dumps(serial)
    assert pmap(abs, [-1, 2, -3], jobs=2) == [1, 2, 3]  # no seed: func(task)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"jobs": 0}, "jobs must be a positive integer"),
        ({"jobs": 1.5}, "jobs must be a positive integer"),
        ({"jobs": True}, "jobs must be a positive integer"),
        ({"backend": "spark"}, r"backend must be one of \('loky', 'dask', 'ray', 'sequential'\)"),
        ({"address": "tcp://x:8786"}, "address is a cluster to connect to and needs backend"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_settings_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pmap(abs, [1, 2], **options)


def test_a_missing_engine_names_the_pip_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    # None in sys.modules makes the import fail, as when the package is not installed
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'vrueval\[dask\]'"):
        pmap(abs, [1, 2], jobs=2, backend="dask")
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"pip install 'vrueval\[ray\]'"):
        pmap(abs, [1, 2], jobs=2, backend="ray")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_task_is_named_and_keeps_its_type(jobs: int) -> None:
    with pytest.raises(ValueError, match="two is not allowed") as info:
        pmap(_fail_on_two, list(range(4)), jobs=jobs, label=lambda t: f"item {t}")
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "task 2 of 4 (item 2)" in notes
    if jobs > 1:
        assert "worker traceback" in notes and "_fail_on_two" in notes


def test_an_error_that_cannot_travel_becomes_a_task_error() -> None:
    with pytest.raises(TaskError, match=r"task 1 of 3 failed: _Unpicklable: lost on the way"):
        pmap(_fail_unpicklable, list(range(3)), jobs=2)


def test_settings_blocks_and_overrides() -> None:
    assert current() == Compute()
    with using(jobs=2) as outer:
        assert current() == outer == Compute(jobs=2)
        with using(backend="sequential"):
            assert current() == Compute(jobs=2, backend="sequential")
        assert current() == Compute(jobs=2)
    assert current() == Compute()
    dask = Compute(jobs=4, backend="dask", address="tcp://h:8786")
    assert dask.override(jobs=2) == Compute(jobs=2, backend="dask", address="tcp://h:8786")
    assert dask.override(backend="loky") == Compute(jobs=4)  # the address was dask's
    assert ve.compute.pmap is pmap


def test_spec_compute_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    head = (
        '[analysis]\nname = "x"\ndesign = "ITS"\n[data]\ndataset = "knife_quarterly"\n'
        'outcome = "knife_offences"\n'
    )
    path = tmp_path / "x.toml"
    path.write_text(head + '[compute]\njobs = 3\nbackend = "dask"\naddress = "tcp://h:1"\n')
    assert load_spec(path).compute == Compute(jobs=3, backend="dask", address="tcp://h:1")
    path.write_text(head)
    assert load_spec(path).compute == Compute()
    path.write_text(head + "[compute]\nworkers = 3\n")
    with pytest.raises(SpecError, match=r"unknown key\(s\) \['workers'\] in \[compute\]"):
        load_spec(path)
    path.write_text(head + "[compute]\njobs = 0\n")
    with pytest.raises(SpecError, match=r"\[compute\]: jobs must be a positive integer"):
        load_spec(path)


def test_cli_takes_jobs_and_refuses_bad_ones(capsys: pytest.CaptureFixture[str]) -> None:
    from vrueval.cli import main

    root = str(Path(__file__).resolve().parents[1])
    names = ["its_hes_london", "its_hes_south_west"]
    assert main(["verify", "--root", root, *names, "--jobs", "2"]) == 0
    assert "verify passed: 2 analyses checked" in capsys.readouterr().out
    assert main(["verify", "--root", root, *names, "--jobs", "0"]) == 1
    assert "jobs must be a positive integer" in capsys.readouterr().err
    assert main(["verify", "--root", root, *names, "--address", "tcp://h:1"]) == 1
    assert "needs backend='dask' or 'ray'" in capsys.readouterr().err


def test_environment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRUEVAL_JOBS", "3")
    assert current() == Compute(jobs=3)
    with using(jobs=1):
        assert current() == Compute(jobs=1)
    monkeypatch.setenv("VRUEVAL_JOBS", "many")
    with pytest.raises(ValueError, match="VRUEVAL_JOBS must be a positive integer"):
        current()
