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

    >>> ve.power.mde("did", knife, "knife_offences", n_treated=18, post=8, seed=1)
    """
    if design not in _DESIGNS:
        raise ValueError(f"design must be one of {tuple(_DESIGNS)}, got {design!r}")
    kwargs.setdefault("effects", [0.0])
    return _DESIGNS[design](*args, **kwargs).mde()
