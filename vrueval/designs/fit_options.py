"""Which ``fit()`` options each inference method uses, and the refusal of those it does not.

A design's ``fit()`` takes options that only some inference methods read (bootstrap draws,
permutations, multiplier weights). Each is checked only for the method that uses it, so an
unused default never fails (``DiD.fit("cr1", level=0.9999)`` does not trip over the default
``draws``), and one given for a method that ignores it is an error naming the methods it
applies to, instead of being dropped silently. An option left at its default is never an error:
the default is what every method receives when nothing is given.

>>> from vrueval.designs.fit_options import check_applies
>>> def fit(inference="cr1", *, draws=9999): ...
>>> check_applies(fit, "cr1", {"draws": 9999}, {"draws": ("wild",)})
>>> check_applies(fit, "cr1", {"draws": 999}, {"draws": ("wild",)})
Traceback (most recent call last):
...
ValueError: draws=999 applies to inference 'wild' only, not 'cr1'; leave it out
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any


def check_applies(
    fit: Callable[..., Any],
    method: str,
    given: Mapping[str, object],
    applies_to: Mapping[str, tuple[str, ...]],
) -> None:
    """Refuse an option set away from its default for a method that does not use it.

    Parameters
    ----------
    fit : callable
        The ``fit`` method whose signature holds the defaults.
    method : str
        The chosen inference method.
    given : mapping name -> value
        The values ``fit`` received, for every option named in ``applies_to``.
    applies_to : mapping name -> methods
        The inference methods that read each option (empty: none of this design's).
    """
    defaults = _parameters(fit)
    for name, methods in applies_to.items():
        value = given[name]
        if method in methods or _same(value, defaults[name].default):
            continue
        if methods:
            uses = " or ".join(repr(m) for m in methods)
            raise ValueError(
                f"{name}={value!r} applies to inference {uses} only, not {method!r}; leave it out"
            )
        raise ValueError(f"{name}={value!r} is not used by any inference method here; leave it out")


@functools.lru_cache(maxsize=64)
def _parameters(fit: Callable[..., Any]) -> Mapping[str, inspect.Parameter]:
    """A function's parameters (its signature is read once: this runs on every fit)."""
    return inspect.signature(fit).parameters


def _same(value: object, default: object) -> bool:
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # e.g. an array compared elementwise
        return False
