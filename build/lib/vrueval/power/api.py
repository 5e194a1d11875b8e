"""``mde``: the minimum detectable effect table of any design, in one call."""

from __future__ import annotations

import warnings
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
    skipped (``effects=[0.0]``). The study's warnings travel with the table
    (``table.attrs["warnings"]``); when the simulated MDE is NaN (the test never reaches the
    target power within the search limit) they are also raised as a :class:`UserWarning`, so a
    NaN is never unexplained.

    >>> import vrueval as ve
    >>> knife = ve.datasets.knife_quarterly()
    >>> table = ve.power.mde("its", knife, unit="West Midlands", outcome="knife_offences",
    ...                      post=8, start="2014Q2", seasonality="dummies", seed=1)
    >>> table[["method", "effect"]].round(3)
           method  effect
    0  simulation  -0.102
    1    analytic  -0.109

    A DiD of 18 forces against the rest, on rates per 100,000 residents (on raw counts a
    proportional effect in forces of very different size caps the unweighted DiD's power below
    80%, and the simulated MDE is NaN with a warning saying so):

    >>> did = ve.power.mde("did", knife, "knife_offences", n_treated=18, post=8, scale="rate",
    ...                    seed=1)
    >>> did[["method", "effect"]].round(3)
             method  effect
    0    simulation  -0.222
    1      analytic  -0.203
    2  analytic_ar1  -0.165
    """
    if design not in _DESIGNS:
        raise ValueError(f"design must be one of {tuple(_DESIGNS)}, got {design!r}")
    kwargs.setdefault("effects", [0.0])
    result = _DESIGNS[design](*args, **kwargs)
    table = result.mde()
    table.attrs["warnings"] = list(result.warnings)
    simulated = table.loc[table["method"] == "simulation", "effect"]
    if simulated.isna().any():
        for message in result.warnings:
            warnings.warn(f"power.mde({design!r}): {message}", UserWarning, stacklevel=2)
    return table
