"""Where parallel work runs: the number of workers, the engine and the cluster address, checked.

One frozen record, :class:`Compute`, carries the three settings from wherever they are given (an
analysis spec's ``[compute]`` table, the command line, a keyword argument) to :func:`pmap`; the
rules for what is allowed live here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

import numpy as np

Backend = Literal["loky", "dask", "ray", "sequential"]
BACKENDS: tuple[str, ...] = get_args(Backend)
"""The engines ``pmap`` runs on: local processes (loky), Dask, Ray, or one process in turn."""
#: The pip extra that installs each cluster engine (the others need nothing beyond vrueval).
EXTRAS = {"dask": "dask", "ray": "ray"}
KEYS = ("jobs", "backend", "address")


def check_jobs(jobs: object, name: str = "jobs") -> int:
    """``jobs`` (or another count called ``name``) as a positive integer, or a ValueError
    naming what was given."""
    if isinstance(jobs, bool) or not isinstance(jobs, int | np.integer) or jobs < 1:
        hint = " (1 runs in this process)" if name == "jobs" else ""
        raise ValueError(f"{name} must be a positive integer{hint}, got {jobs!r}")
    return int(jobs)


def check_backend(backend: object) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    return str(backend)


@dataclass(frozen=True)
class Compute:
    """How to run independent tasks.

    Parameters
    ----------
    jobs : int
        Workers: local processes for ``"loky"``, Dask workers of a ``LocalCluster`` or CPUs of a
        local Ray instance when no ``address`` is given. 1 runs every task in this process.
    backend : {"loky", "dask", "ray", "sequential"}
        ``"loky"`` (joblib's process pool, the default: nothing to set up), ``"dask"`` (Dask
        distributed; ``pip install 'vrueval[dask]'``), ``"ray"`` (``pip install 'vrueval[ray]'``)
        or ``"sequential"`` (a plain loop, whatever ``jobs`` says).
    address : str, optional
        A running cluster to use: a Dask scheduler (``"tcp://host:8786"``) or a Ray head
        (``"ray://host:10001"`` or ``"auto"``). Only with ``backend="dask"`` or ``"ray"``.

    The numbers a task returns never depend on these settings (see :func:`vrueval.compute.pmap`).
    """

    jobs: int = 1
    backend: str = "loky"
    address: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "jobs", check_jobs(self.jobs))
        object.__setattr__(self, "backend", check_backend(self.backend))
        if self.address is not None:
            if not isinstance(self.address, str) or not self.address:
                raise ValueError(f"address must be a non-empty string, got {self.address!r}")
            if self.backend not in EXTRAS:
                raise ValueError(
                    f"address is a cluster to connect to and needs backend='dask' or 'ray', "
                    f"not {self.backend!r}"
                )

    @classmethod
    def from_table(cls, table: dict[str, Any], where: str = "[compute]") -> Compute:
        """From a spec's ``[compute]`` table; unknown keys are errors listing the allowed ones."""
        unknown = sorted(set(table) - set(KEYS))
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown}; allowed: {list(KEYS)}")
        try:
            return cls(**table)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    def override(
        self, jobs: int | None = None, backend: str | None = None, address: str | None = None
    ) -> Compute:
        """These settings with the ones given (not None) replacing them: the command line over a
        spec. A new backend without a new address drops an address meant for the old one."""
        changes: dict[str, Any] = {}
        if jobs is not None:
            changes["jobs"] = jobs
        if backend is not None and backend != self.backend:
            changes["backend"] = backend
            changes["address"] = None
        if address is not None:
            changes["address"] = address
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {"jobs": self.jobs, "backend": self.backend, "address": self.address}


_current: ContextVar[Compute | None] = ContextVar("vrueval_compute", default=None)


#: Environment variables giving the settings outside any :func:`using` block: how
#: ``vrueval render --jobs N`` reaches the report kernels it starts.
ENVIRONMENT = {"jobs": "VRUEVAL_JOBS", "backend": "VRUEVAL_BACKEND", "address": "VRUEVAL_ADDRESS"}


def from_environment() -> Compute:
    """The settings in :data:`ENVIRONMENT` (unset: one job in this process)."""
    given = {key: os.environ.get(var) for key, var in ENVIRONMENT.items()}
    if not any(given.values()):
        return Compute()
    try:
        jobs = int(given["jobs"]) if given["jobs"] else 1
    except ValueError:
        raise ValueError(
            f"VRUEVAL_JOBS must be a positive integer, got {given['jobs']!r}"
        ) from None
    try:
        return Compute(jobs, given["backend"] or "loky", given["address"] or None)
    except ValueError as exc:
        raise ValueError(f"the VRUEVAL_* environment variables: {exc}") from None


def current() -> Compute:
    """The settings :func:`vrueval.compute.pmap` uses when its call gives none: those of the
    innermost :func:`using` block, else those of the environment (:data:`ENVIRONMENT`), else
    one job in this process."""
    return _current.get() or from_environment()


@contextmanager
def using(
    compute: Compute | None = None,
    *,
    jobs: int | None = None,
    backend: str | None = None,
    address: str | None = None,
) -> Iterator[Compute]:
    """Run the parallel work inside the block (placebo refits, power blocks, calibration
    replicates) as ``compute``, or the current settings with those given replacing them.

    >>> import vrueval as ve
    >>> with ve.compute.using(jobs=2):  # e.g. around ITS(...).fit(placebo=True)
    ...     ve.compute.current().jobs
    2
    """
    settings = (compute or current()).override(jobs, backend, address)
    token = _current.set(settings)
    try:
        yield settings
    finally:
        _current.reset(token)
