"""Which ``fit()`` options each inference method uses, and the refusal of those it does not.

A design's ``fit()`` takes options that only some inference methods read (bootstrap draws,
permutations, multiplier weights). Its options table (:mod:`vrueval.options`) says which: each
option is checked only for the methods that use it, so an unused default never fails
(``DiD.fit("cr1", level=0.9999)`` does not trip over the default ``draws``), and one given for a
method that ignores it is an error naming the methods it applies to, instead of being dropped
silently. An option left at its default is never an error: the default is what every method
receives when nothing is given.

>>> from vrueval.options import Option
>>> table = {"draws": Option("draws", "int", 9999, applies_to=("wild",))}
>>> check_applies(table, "cr1", {"draws": 9999})
>>> check_applies(table, "cr1", {"draws": 999})
Traceback (most recent call last):
...
ValueError: draws=999 applies to inference 'wild' only, not 'cr1'; leave it out
"""

from __future__ import annotations

from collections.abc import Mapping

from vrueval.options import Option


def check_applies(
    options: Mapping[str, Option],
    method: str,
    given: Mapping[str, object],
    kind: str = "inference",
) -> None:
    """Refuse an option set away from its default for a method that does not use it.

    Parameters
    ----------
    options : mapping name -> Option
        The design's ``fit()`` options table (``OptionsTable.fit``): each option's default and
        the inference methods that read it (``applies_to``; None: every method).
    method : str
        The chosen inference method.
    given : mapping name -> value
        The values ``fit`` received for the options to check.
    kind : str
        What ``method`` chooses, for the message: "inference" for ``fit()`` options; a
        constructor option read only under some ``model`` (say) is checked the same way with
        ``applies_to`` naming those models and ``kind="model"``.
    """
    for name, value in given.items():
        option = options[name]
        methods = option.applies_to
        if methods is None or method in methods or _same(value, option.default):
            continue
        if methods:
            uses = " or ".join(repr(m) for m in methods)
            raise ValueError(
                f"{name}={value!r} applies to {kind} {uses} only, not {method!r}; leave it out"
            )
        what = "inference method" if kind == "inference" else kind
        raise ValueError(f"{name}={value!r} is not used by any {what} here; leave it out")


def _same(value: object, default: object) -> bool:
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # e.g. an array compared elementwise
        return False
