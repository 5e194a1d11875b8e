"""Suppressed cells: what a source withholds, and the checks a sensitivity fill must pass.

A suppressed cell (HES prints ``*``) holds a count the source knows but withholds because it is
small: it is missing, never zero, and its value lies in a published range (HES: 1-7). Designs
leave such cells out; a sensitivity analysis may set them to a value in that range
(:meth:`vrueval.data.panel.Panel.fill_suppressed`). The checks here keep such a fill honest:
only suppressed cells are filled (cells the source marks unavailable, or that are simply absent,
stay missing), never with zero, and, where the source's range is known, only with a value in it.

>>> from vrueval.data.suppression import check_fill_value, withheld_range
>>> withheld_range("hes_sharp_object")
(1.0, 7.0)
>>> check_fill_value(7, measure="count", withheld=(1.0, 7.0))
7.0
>>> check_fill_value(0, measure="count", withheld=(1.0, 7.0))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: a suppressed cell holds a withheld value, never zero: ...
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

#: Bundled datasets whose suppressed cells hold a known range: dataset name -> (low, high).
#: HES (hospital admissions for assault by a sharp object) prints 1-7 as ``*``.
WITHHELD: Mapping[str, tuple[float, float]] = MappingProxyType({"hes_sharp_object": (1.0, 7.0)})


def withheld_range(dataset: str | None) -> tuple[float, float] | None:
    """The range a bundled dataset's suppressed cells lie in, or None when not known."""
    return None if dataset is None else WITHHELD.get(dataset)


def check_fill_value(
    value: object, measure: str, withheld: tuple[float, float] | None = None, where: str = ""
) -> float:
    """The fill ``value`` as a float, after refusing what a suppressed cell cannot hold.

    Parameters
    ----------
    value : number
        The value every filled cell is set to.
    measure : str
        The panel's measure: a ``"count"`` fill must be a whole number.
    withheld : (low, high), optional
        The source's withheld range (e.g. HES 1-7); the fill must lie in it.
    where : str
        Where the fill was asked for, prefixed to the error (a spec path).

    Raises
    ------
    ValueError
        When ``value`` is not a finite number, is zero (a withheld value is not zero, and filling
        with zero would treat missing as zero), is negative or fractional for a count, or lies
        outside ``withheld``.
    """
    at = f"{where}: " if where else ""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{at}the fill value must be a number, got {value!r}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{at}the fill value must be a finite number, got {value!r}")
    if withheld is not None:
        low, high = withheld
        span = f"the source's withheld range {low:g} to {high:g}"
    else:
        span = "the range the source withholds"
    if number == 0:
        raise ValueError(
            f"{at}a suppressed cell holds a withheld value, never zero: fill it with a value in "
            f"{span}, got {value!r}"
        )
    if measure == "count" and (number < 0 or number != np.floor(number)):
        raise ValueError(f"{at}the fill value must be a non-negative whole count, got {value!r}")
    if withheld is not None and not withheld[0] <= number <= withheld[1]:
        raise ValueError(f"{at}the fill value must lie in {span}, got {value!r}")
    return number


__all__ = ["WITHHELD", "check_fill_value", "withheld_range"]
