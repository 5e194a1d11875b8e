"""Parallel work for the whole package: one map on joblib, local processes, Dask or Ray.

>>> from vrueval.compute import pmap
>>> pmap(abs, [-1, 2, -3], jobs=2)
[1, 2, 3]

:func:`pmap` is the only place vrueval runs tasks in parallel; :class:`Compute` carries where
they run (``jobs``, ``backend``, ``address``) from a spec's ``[compute]`` table or the command
line to it. Results never depend on where they ran.
"""

from vrueval.compute.pmap import TaskError, pmap, streams
from vrueval.compute.settings import BACKENDS, Compute, current, using

__all__ = ["BACKENDS", "Compute", "TaskError", "current", "pmap", "streams", "using"]
