"""vrueval.compute.pmap sends tasks in batches: any chunking, on any backend, gives the serial
bytes, because a task's stream is fixed by its index, not by its batch or worker."""

from __future__ import annotations

import importlib
import importlib.util
import os
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vrueval.compute import pmap
from vrueval.compute.pmap import BATCHES_PER_WORKER, chunk_size, worth_starting

PMAP = importlib.import_module("vrueval.compute.pmap")

HERE = Path(__file__).resolve().parent
N = 11  # prime: batches of 3 leave a short last batch


def _draw(task: int, rng: np.random.Generator) -> tuple[int, float, float]:
    return task, float(rng.normal()), float(rng.random())


def _pid(task: int) -> tuple[int, int]:
    return task, os.getpid()


def _slow_pid(task: int) -> tuple[int, int]:
    time.sleep(0.4)
    return task, os.getpid()


def _fail_on_four(task: int) -> int:
    if task == 4:
        raise ValueError("four is not allowed")
    return task


@pytest.fixture
def start_workers_for_any_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PMAP, "START_SECONDS", 0.0)


@pytest.fixture(scope="module", params=["loky", "dask", "ray"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Two workers: local processes, a Dask LocalCluster, a local Ray instance (if installed)."""
    if request.param == "loky":
        yield "loky"
    elif request.param == "dask":
        distributed = pytest.importorskip("distributed")
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster),
        ):
            yield "dask"
    else:
        if importlib.util.find_spec("ray") is None:
            pytest.skip("ray is not installed (pip install 'vrueval[ray]')")
        import ray

        # Ray's workers import this module's task functions by name: put tests/ on their path
        path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": path}},
        )
        try:
            yield "ray"
        finally:
            ray.shutdown()


def test_chunk_size_is_about_four_batches_a_worker() -> None:
    assert BATCHES_PER_WORKER == 4
    assert chunk_size(67, 2) == 9  # the HES placebo study: 8 batches of <= 9 refits
    assert chunk_size(6, 2) == 1  # the power study's 6 long blocks stay one a batch
    assert chunk_size(1, 8) == 1
    assert chunk_size(1000, 8) == 32
    for n in range(1, 200, 7):
        for workers in (1, 2, 3, 8):
            size = chunk_size(n, workers)
            # the smallest batch that keeps to 4 batches a worker
            assert -(-n // size) <= BATCHES_PER_WORKER * workers
            assert size == 1 or -(-n // (size - 1)) > BATCHES_PER_WORKER * workers


def test_serial_stream_is_the_tasks_own_spawned_child() -> None:
    children = np.random.SeedSequence(5).spawn(N)
    expected = []
    for i, child in enumerate(children):
        rng = np.random.default_rng(child)
        expected.append((i, float(rng.normal()), float(rng.random())))
    assert pmap(_draw, list(range(N)), seed=5, jobs=1) == expected


@pytest.mark.parametrize("chunk", [1, 3, N, None])
def test_any_chunking_on_any_backend_gives_the_serial_bytes(
    backend: str, chunk: int | None, start_workers_for_any_task: None
) -> None:
    serial = pmap(_draw, list(range(N)), seed=5, backend="sequential")
    parallel = pmap(_draw, list(range(N)), seed=5, jobs=2, backend=backend, chunk=chunk)
    assert pickle.dumps(parallel) == pickle.dumps(serial)


def test_a_batch_is_one_worker_call(start_workers_for_any_task: None) -> None:
    # 8 tasks in batches of 4: tasks 0-3 share a worker process, and 4-7 do
    got = pmap(_pid, list(range(8)), jobs=2, chunk=4)
    assert [t for t, _ in got] == list(range(8))
    pids = [p for _, p in got]
    assert len(set(pids[:4])) == 1 and len(set(pids[4:])) == 1
    assert os.getpid() not in pids
    # one batch of everything: one worker runs it all
    assert len({p for _, p in pmap(_pid, list(range(8)), jobs=2, chunk=8)}) == 1


@pytest.mark.parametrize("chunk", [1, 3, 8])
def test_a_failure_inside_a_batch_names_its_own_task(
    chunk: int, start_workers_for_any_task: None
) -> None:
    with pytest.raises(ValueError, match="four is not allowed") as info:
        pmap(_fail_on_four, list(range(8)), jobs=2, chunk=chunk, label=lambda t: f"item {t}")
    assert any("task 4 of 8 (item 4)" in note for note in info.value.__notes__)


@pytest.mark.parametrize("chunk", [0, -1, 1.5, True])
def test_a_bad_chunk_is_refused(chunk: object) -> None:
    with pytest.raises(ValueError, match="chunk must be a positive integer, got"):
        pmap(abs, [1, 2], jobs=2, chunk=chunk)  # type: ignore[arg-type]


def test_workers_start_only_when_they_save_more_than_their_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert PMAP.START_SECONDS == 2.0
    # 1.3 s of work (the HES placebo study quiet): 2 workers would save 0.65 s, not 2 s
    assert not worth_starting(1.3, 2) and worth_starting(4.1, 2) and worth_starting(2.7, 4)
    assert not worth_starting(100.0, 1)
    monkeypatch.setattr(PMAP, "_pools", {})  # no pool ran lately: the workers are cold
    # tiny tasks, cold workers: the first task is timed here and the rest follow it here
    tiny = pmap(_pid, list(range(8)), jobs=2)
    assert tiny == [(t, os.getpid()) for t in range(8)] and PMAP._pools == {}
    serial = pmap(_draw, list(range(N)), seed=5, backend="sequential")
    assert pmap(_draw, list(range(N)), seed=5, jobs=2) == serial
    # tasks of 0.4 s: the 7 after the first take 2.8 s here, 2 workers save 1.4 s; with a
    # start-up of 1 s they pay, and task 0 (timed here) is followed by the others there
    monkeypatch.setattr(PMAP, "START_SECONDS", 1.0)
    slow = pmap(_slow_pid, list(range(8)), jobs=2)
    assert [t for t, _ in slow] == list(range(8))
    assert slow[0][1] == os.getpid() and os.getpid() not in {p for _, p in slow[1:]}
    assert 2 in PMAP._pools
    # the pool is now running: even tiny tasks go to it, in batches
    monkeypatch.setattr(PMAP, "START_SECONDS", 2.0)
    assert os.getpid() not in {p for _, p in pmap(_pid, list(range(8)), jobs=2)}
    assert pmap(_draw, list(range(N)), seed=5, jobs=2) == serial
    # probe=False: no task runs here, the workers start at once
    monkeypatch.setattr(PMAP, "_pools", {})
    assert os.getpid() not in {p for _, p in pmap(_pid, list(range(8)), jobs=2, probe=False)}
