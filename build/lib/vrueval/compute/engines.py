"""The cluster engines behind :func:`vrueval.compute.pmap`: joblib's backends, set up and torn down.

Each engine is a context manager yielding the joblib backend name and ``n_jobs`` to use. What an
engine starts (a Dask ``LocalCluster``, a local Ray instance) it stops; a cluster that was
already running (a Dask client made by the caller, ``ray.init`` called before, or an
``address``) is used and left running.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vrueval.compute.settings import EXTRAS, Compute


def require(backend: str, module: str) -> Any:
    """Import ``module`` of an optional engine, or say which pip extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"backend={backend!r} needs {module.split('.')[0]}, which is not installed: "
            f"pip install 'vrueval[{EXTRAS[backend]}]'"
        ) from exc


@contextmanager
def engine(compute: Compute) -> Iterator[tuple[str, int]]:
    """The joblib backend and ``n_jobs`` for ``compute`` (not used for "sequential")."""
    if compute.backend == "loky":
        yield "loky", compute.jobs
    elif compute.backend == "dask":
        with _dask(compute) as n_jobs:
            yield "dask", n_jobs
    elif compute.backend == "ray":
        with _ray(compute) as n_jobs:
            yield "ray", n_jobs
    else:  # pragma: no cover - pmap runs "sequential" without an engine
        raise ValueError(f"no joblib engine for backend {compute.backend!r}")


@contextmanager
def _dask(compute: Compute) -> Iterator[int]:
    distributed = require("dask", "distributed")
    if compute.address is not None:
        with distributed.Client(compute.address) as client:
            yield _dask_workers(client)
        return
    try:
        client = distributed.get_client()  # one the caller made: use it as it is
    except ValueError:
        client = None
    if client is not None:
        yield _dask_workers(client)
        return
    cluster = distributed.LocalCluster(
        n_workers=compute.jobs,
        threads_per_worker=1,  # a task is one core's work; threads would share the GIL
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    with cluster, distributed.Client(cluster) as client:
        yield compute.jobs


def _dask_workers(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


@contextmanager
def _ray(compute: Compute) -> Iterator[int]:
    ray = require("ray", "ray")
    ray_joblib = require("ray", "ray.util.joblib")
    ray_joblib.register_ray()
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
        }
        if compute.address is not None:
            ray.init(address=compute.address, **options)
        else:
            ray.init(num_cpus=compute.jobs, **options)
        started = True
    try:
        cpus = int(ray.cluster_resources().get("CPU", compute.jobs))
        yield max(1, cpus if compute.address is not None else compute.jobs)
    finally:
        if started:
            ray.shutdown()
