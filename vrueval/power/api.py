"""``mde``: the minimum detectable effect table of any design, in one call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from vrueval.power.did_study import did, event_study
from vrueval.power.its_study import its
from vrueval.power.results import PowerResult
from vrueval.power.staggered_study import staggered

_DESIGNS: dict[str, Callable[..., PowerResult]] = {
    "its": its,
    "did": did,
    "event_study": event_study,
    "staggered": staggered,
}


def mde(design: str, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """MDE rows (simulation, analytic) of ``design`` ("its", "did", "event_study", "staggered").

    Arguments are those of :func:`vrueval.power.its`, :func:`~vrueval.power.did`,
    :func:`~vrueval.power.event_study` or :func:`~vrueval.power.staggered`; the power curve is
    skipped (``effects=[0.0]``).

    >>> import vrueval as ve
    >>> knife = ve.datasets.knife_quarterly()
    >>> table = ve.power.mde("its", knife, unit="West Midlands", outcome="knife_offences",
    ...                      post=8, start="2014Q2", seasonality="dummies", seed=1)
    >>> table[["method", "effect"]].round(3)
           method  effect
    0  simulation  -0.102
    1    analytic  -0.109
    """
    if design not in _DESIGNS:
        raise ValueError(f"design must be one of {tuple(_DESIGNS)}, got {design!r}")
    kwargs.setdefault("effects", [0.0])
    return _DESIGNS[design](*args, **kwargs).mde()
