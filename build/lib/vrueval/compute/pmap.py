"""One parallel map for the whole package, deterministic wherever it runs.

Determinism: task ``i`` of ``n`` draws its random numbers from
``numpy.random.default_rng(numpy.random.SeedSequence(seed).spawn(n)[i])``, a stream fixed by the
seed and the task's index alone, and results come back in task order. Serial, local processes,
Dask and Ray therefore return the same bytes; only the wall-clock time depends on where the work
ran. (Spawned streams are statistically independent of one another: O'Neill 2015; the NumPy
documentation on parallel random number generation.)

Batching: tasks travel to the workers in batches of consecutive indexes (``chunk`` tasks each;
by default about :data:`BATCHES_PER_WORKER` batches a worker, see :func:`chunk_size`), so a map
of many millisecond tasks pays the cost of shipping the function and its inputs once a batch,
not once a task. A task keeps its own index, hence its own stream, in whatever batch it lands:
the chunking changes the wall-clock time, never the results.

Cold workers: local worker processes must start and import vrueval and its stack before their
first task (about 2 s on a quiet machine, tens of seconds on a loaded one). When no pool of the
same size ran in the last few minutes, :func:`pmap` runs the first task here and times it; if
the rest would take less on one process than starting the workers costs
(:data:`START_SECONDS`, against what the extra workers save), it finishes here. Where tasks
ran never changes what they return.

Nesting: a task that itself calls :func:`pmap` runs the inner map in its own worker, serially,
so a parallel ``verify`` does not start workers inside workers.

References
----------
O'Neill, M. E. (2015). PCG: a family of simple fast space-efficient statistically good
algorithms for random number generation. Harvey Mudd College, HMC-CS-2014-0905.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from vrueval.compute.engines import engine
from vrueval.compute.settings import Compute, check_jobs, current
from vrueval.inference.seeds import check_seed

T = TypeVar("T")
R = TypeVar("R")

_running_task = False  # True inside a task: inner maps then run serially in that worker

#: Batches a worker gets by default. Several, not one, so that tasks of uneven length still
#: balance (a worker that drew short tasks takes the next batch; the idle tail at the end is
#: about a quarter of a worker's share), and few, so the per-batch cost (pickling the function
#: with what it closes over, one round trip to the worker) is paid 4 x workers times, not once
#: a task.
BATCHES_PER_WORKER = 4


#: What starting local workers costs before their first task, in seconds (a quiet machine; a
#: loaded one takes longer, so the rule errs towards starting them).
START_SECONDS = 2.0
#: Seconds joblib's local workers stay alive idle (loky's default): a pool used within this
#: is taken as running.
WORKER_IDLE_SECONDS = 300.0
_pools: dict[int, float] = {}  # local pool size -> when a map on it last ended (monotonic)


def worth_starting(seconds: float, workers: int) -> bool:
    """Whether ``workers`` cold local workers finish ``seconds`` of serial work sooner than
    this process alone: the time they save, ``seconds * (1 - 1 / workers)``, beats
    :data:`START_SECONDS`.

    >>> worth_starting(1.3, 2), worth_starting(20.0, 2)
    (False, True)
    """
    return workers > 1 and seconds * (1 - 1 / workers) > START_SECONDS


def chunk_size(n: int, workers: int) -> int:
    """Tasks a batch for ``n`` tasks on ``workers`` workers: ``ceil(n / (4 * workers))``.

    >>> chunk_size(67, 2), chunk_size(6, 2), chunk_size(1000, 8)
    (9, 1, 32)
    """
    return max(1, math.ceil(n / (BATCHES_PER_WORKER * max(1, workers))))


class TaskError(RuntimeError):
    """A task raised an exception that could not be carried back from its worker (it does not
    pickle); the message names the task and gives the worker's traceback."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class _Failure:
    index: int
    error: str
    trace: str
    exception: BaseException | None


@dataclass(frozen=True)
class _Call:
    """What a worker runs: one task, with its index and (when seeded) its own stream."""

    func: Callable[..., Any]
    seeded: bool
    remote: bool  # in a worker: the exception must pickle to travel back

    def __call__(self, index: int, task: Any, stream: np.random.SeedSequence | None) -> Any:
        global _running_task
        outer, _running_task = _running_task, True
        try:
            if self.seeded:
                return index, self.func(task, np.random.default_rng(stream))
            return index, self.func(task)
        except Exception as exc:  # carried back to name the task; re-raised by pmap
            trace = traceback.format_exc()
            carried = _portable(exc) if self.remote else exc
            return index, _Failure(index, f"{type(exc).__name__}: {exc}", trace, carried)
        finally:
            _running_task = outer


@dataclass(frozen=True)
class _Batch:
    """Consecutive tasks run in one worker call; stops at the first failure, as a loop would."""

    call: _Call

    def __call__(
        self, part: list[tuple[int, Any, np.random.SeedSequence | None]]
    ) -> list[tuple[int, Any]]:
        done = []
        for index, task, stream in part:
            done.append(self.call(index, task, stream))
            if isinstance(done[-1][1], _Failure):
                break
        return done


def _portable(exc: BaseException) -> BaseException | None:
    """The exception if it survives pickling (to chain it in the parent), else None."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    return exc


def streams(seed: int, n: int) -> list[np.random.SeedSequence]:
    """The ``n`` task streams of ``seed``: ``SeedSequence(seed).spawn(n)``, one a task index."""
    return list(np.random.SeedSequence(seed).spawn(n))


def pmap(
    func: Callable[..., R],
    tasks: Sequence[T],
    *,
    jobs: int | None = None,
    backend: str | None = None,
    seed: int | None = None,
    progress: bool = False,
    address: str | None = None,
    label: Callable[[T], str] | None = None,
    desc: str = "tasks",
    chunk: int | None = None,
    probe: bool = True,
) -> list[R]:
    """``[func(task) for task in tasks]`` (or ``func(task, rng)`` with ``seed``), in parallel.

    Parameters
    ----------
    func : callable
        Applied to each task; with ``seed`` it is called as ``func(task, rng)`` where ``rng``
        is the task's own ``numpy.random.Generator``. It and the tasks must pickle (joblib uses
        cloudpickle, so closures and lambdas do) unless the map runs in this process.
    tasks : sequence
        The independent pieces of work.
    jobs : int, optional
        Workers (1: in this process). See :class:`vrueval.compute.Compute`. Default: the
        current settings (:func:`vrueval.compute.using`; one job outside any).
    backend : {"loky", "dask", "ray", "sequential"}, optional
        The engine; see :class:`vrueval.compute.Compute`. Default: the current settings.
    seed : int, optional
        Gives task ``i`` the stream ``SeedSequence(seed).spawn(len(tasks))[i]``.
    progress : bool
        A bar on standard error (on a terminal) counting finished tasks across workers.
    address : str, optional
        A running Dask scheduler or Ray head to use.
    label : callable, optional
        Names a task in an error message (default: its index only).
    chunk : int, optional
        Tasks sent to a worker at a time (consecutive indexes). Default: :func:`chunk_size` of
        the task count and the workers. Results are the same for any value.
    probe : bool
        When local workers would have to start (``backend="loky"``, no pool of this size in
        the last :data:`WORKER_IDLE_SECONDS`): run the first task here, time it, and finish
        here unless :func:`worth_starting` says the workers pay for their start-up. False
        starts them at once (tasks known to be long, such as whole documents).

    Returns
    -------
    list
        The results in task order, the same whatever ``jobs``, ``backend`` and ``address``.

    Raises
    ------
    ValueError
        ``jobs`` or ``chunk`` not a positive integer, an unknown backend, a bad seed.
    ImportError
        The backend's engine is not installed (the message names the pip extra).
    Exception
        A task's own exception, re-raised with a note naming the task's index and label (and,
        from a worker, its traceback); :class:`TaskError` when it could not be carried back.
    """
    compute = current().override(jobs, backend, address)
    check_seed(seed, needed=False)
    if chunk is not None:
        check_jobs(chunk, "chunk")
    items = list(tasks)
    n = len(items)
    seeds: list[np.random.SeedSequence | None] = (
        list(streams(int(seed), n)) if seed is not None else [None] * n
    )
    serial = compute.backend == "sequential" or _running_task or n <= 1
    serial = serial or (compute.jobs == 1 and compute.address is None)
    results: list[Any] = [None] * n
    bar = _bar(n, desc) if progress else None
    here = _Call(func, seed is not None, remote=False)

    def run_here(indexes: range) -> None:
        outcomes = (here(i, items[i], seeds[i]) for i in indexes)
        _collect(outcomes, results, items, label, bar, remote=False)

    try:
        begin = 0  # the tasks before it have run here
        if serial:
            run_here(range(n))
            begin = n
        elif probe and _cold(compute):
            started = time.perf_counter()
            run_here(range(1))
            rest = (time.perf_counter() - started) * (n - 1)  # the others, here, one by one
            begin = 1
            if not worth_starting(rest, min(compute.jobs, n - 1)):
                run_here(range(1, n))
                begin = n
        if begin < n:
            call = _Call(func, seed is not None, remote=True)
            todo = range(begin, n)
            with engine(compute) as (name, n_jobs):
                size = chunk or chunk_size(len(todo), n_jobs)
                outcomes = _parallel(call, items, seeds, todo, name, n_jobs, size)
                _collect(outcomes, results, items, label, bar, remote=True)
            if name == "loky":
                _pools[n_jobs] = time.monotonic()
    finally:
        if bar is not None:
            bar.close()
    return results


def _cold(compute: Compute) -> bool:
    """Local workers that would have to start: no pool of this size ran lately."""
    if compute.backend != "loky" or compute.address is not None:
        return False  # a cluster's workers are running; one we start is asked for by name
    last = _pools.get(compute.jobs)
    return last is None or time.monotonic() - last > WORKER_IDLE_SECONDS


def _parallel(
    call: _Call,
    items: list[Any],
    seeds: list[np.random.SeedSequence | None],
    todo: range,
    name: str,
    n_jobs: int,
    size: int,
) -> Iterator[tuple[int, Any]]:
    from joblib import Parallel, delayed, parallel_config

    # results as they finish (a truthful progress count) where the engine allows it; Ray's
    # joblib backend returns the whole list only
    order = "list" if name == "ray" else "generator_unordered"
    batch = _Batch(call)
    parts = (
        [(i, items[i], seeds[i]) for i in range(s, min(s + size, todo.stop))]
        for s in range(todo.start, todo.stop, size)
    )
    # batch_size=1: the batches are ours; joblib's own timing-driven grouping stays out of it
    with parallel_config(backend=name, n_jobs=n_jobs):
        runner = Parallel(return_as=order, batch_size=1)
        for done in runner(delayed(batch)(part) for part in parts):
            yield from done


def _collect(
    outcomes: Iterator[tuple[int, Any]],
    results: list[Any],
    items: list[Any],
    label: Callable[[Any], str] | None,
    bar: Any,
    remote: bool,
) -> None:
    for index, value in outcomes:
        if isinstance(value, _Failure):
            raise _named(value, len(items), label(items[index]) if label else None, remote)
        results[index] = value
        if bar is not None:
            bar.update(1)


def _named(failure: _Failure, n: int, name: str | None, remote: bool) -> BaseException:
    """The task's own exception (its type kept, so callers catch what they always caught) with
    a note naming the task; a :class:`TaskError` when the exception could not travel."""
    where = f"task {failure.index} of {n}" + (f" ({name})" if name else "")
    exc = failure.exception
    if exc is None:
        return TaskError(
            f"{where} failed: {failure.error}\nworker traceback:\n{failure.trace}", failure.index
        )
    exc.add_note(f"raised by {where} in vrueval.compute.pmap")
    if remote:  # the traceback stayed in the worker
        exc.add_note(f"worker traceback:\n{failure.trace}")
    return exc


def _bar(total: int, desc: str) -> Any:
    from tqdm import tqdm

    # disable=None: a bar on a terminal, silence in logs
    return tqdm(total=total, desc=desc, unit="task", disable=None)
