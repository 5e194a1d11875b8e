"""Every parallel path gives the serial bytes: verify, an ITS placebo study and power studies,
run in this process, on two local processes, on a Dask LocalCluster of two worker processes and
on a local Ray instance of two CPUs (when ray is installed)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import vrueval as ve
from vrueval.analysis import verify
from vrueval.compute import using
from vrueval.validation import calibration

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["loky", "dask", "ray"]


@pytest.fixture(autouse=True)
def start_workers_for_any_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the parallel paths: tiny tasks must still go to the workers
    (pmap would otherwise finish them here, see START_SECONDS)."""
    monkeypatch.setattr(importlib.import_module("vrueval.compute.pmap"), "START_SECONDS", 0.0)


@pytest.fixture(scope="module")
def knife() -> ve.Panel:
    return ve.datasets.knife_quarterly()


@pytest.fixture(scope="module", params=PATHS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """A backend with two workers, started once for the module (pmap uses a running cluster)."""
    name = request.param
    if name == "loky":
        yield name
    elif name == "dask":
        distributed = pytest.importorskip("distributed")
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster),
        ):
            yield name
    else:
        if importlib.util.find_spec("ray") is None:
            pytest.skip("ray is not installed (pip install 'vrueval[ray]')")
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield name
        finally:
            ray.shutdown()


def _placebo(knife: ve.Panel) -> bytes:
    res = ve.ITS(
        knife,
        {"svs": "2014Q3"},
        unit="West Midlands",
        outcome="knife_offences",
        seasonality="dummies",
    ).fit(placebo=True, min_segment=6)
    return pickle.dumps((res.placebo(), res.effects(), res.diagnostics["placebo_rank"]))


def _power(knife: ve.Panel) -> bytes:
    stag = ve.power.staggered(
        knife, "knife_offences", cohorts={"2019Q2": 10, "2022Q2": 2}, post=8, scale="rate",
        n_sims=2500, seed=7,
    )  # fmt: skip  # 2500 draws: two blocks of the kernel
    its = ve.power.its(
        knife, unit="West Midlands", outcome="knife_offences", post=8, pre=20, method="placebo",
    )  # fmt: skip
    return pickle.dumps([(r.table(), r.mde(), r.draws(-0.1)) for r in (stag, its)])


def _verify() -> bytes:
    report = verify(ROOT)
    assert report.passed, report.failures
    return pickle.dumps(report)


def _calibration(knife: ve.Panel) -> str:  # the same call as the others
    its = calibration.its_coverage_by_term(6, 5)
    did = calibration.did_size(4, 5, draws=39, permutations=39)
    return json.dumps([its, did])


WORK = {"placebo": _placebo, "power": _power, "calibration": _calibration}


@pytest.fixture(scope="module")
def serial(knife: ve.Panel) -> dict[str, Any]:
    with using(backend="sequential"):
        out = {name: run(knife) for name, run in WORK.items()}
        out["verify"] = _verify()
    return out


@pytest.mark.parametrize("work", sorted(WORK))
def test_parallel_paths_give_the_serial_bytes(
    backend: str, work: str, serial: dict[str, Any], knife: ve.Panel
) -> None:
    with using(jobs=2, backend=backend):
        assert WORK[work](knife) == serial[work]


def test_verify_on_every_path_gives_the_serial_report(backend: str, serial: dict) -> None:
    report = verify(ROOT, jobs=2, backend=backend)
    assert pickle.dumps(report) == serial["verify"]
