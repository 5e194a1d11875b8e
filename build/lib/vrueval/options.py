"""The options vocabulary of the designs: one check of a choice, the options table, old names.

Every design describes its options once, as a table of :class:`Option` rows (name, type,
allowed values, default, the inference methods that read it). The fit-option check
(:mod:`vrueval.designs.fit_options`), the spec runner (:mod:`vrueval.analysis.spec`) and the
power studies read the table, so a default or an allowed value is written in one place and a
new design needs no validation code beyond its own table.

>>> from vrueval.options import choice
>>> choice("webb", ("webb", "rademacher"), "boot_weights")
>>> choice("mammen", ("webb", "rademacher"), "boot_weights")
Traceback (most recent call last):
...
ValueError: boot_weights must be one of ('webb', 'rademacher'), got 'mammen'
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

T = TypeVar("T")

#: The applies-to value of an option every inference method reads (level, seed, ...).
EVERY_METHOD = None


def choice(value: Any, allowed: tuple[str, ...], what: str) -> None:
    """Refuse ``value`` unless it is one of ``allowed``, naming ``what`` and listing them."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {value!r}")


@dataclass(frozen=True)
class Option:
    """One option of a design's constructor or ``fit()``.

    Parameters
    ----------
    name : str
        The keyword argument.
    kind : str
        Its type as a user writes it ("int", "float", "bool", "str", "period", "areas", ...).
    default : object
        Its default (``None`` where the design resolves it from other options; ``doc`` says
        how).
    allowed : tuple of str, optional
        The values a string option may take.
    applies_to : tuple of str, optional
        ``fit()`` options only: the inference methods that read it; ``None`` for every method.
        Set away from its default for another method, it is an error naming these.
    doc : str
        One line for the reader of the table (e.g. what a method name means in this design).
    required : bool
        The option has no default.
    frame : bool
        A column role of a DataFrame given instead of a Panel
        (:mod:`vrueval.data.design_input`): meaningless for a Panel, so never a spec key.
    """

    name: str
    kind: str
    default: Any = None
    allowed: tuple[str, ...] | None = None
    applies_to: tuple[str, ...] | None = EVERY_METHOD
    doc: str = ""
    required: bool = False
    frame: bool = False


@dataclass(frozen=True)
class OptionsTable:
    """A design's options: its constructor's and its ``fit()``'s, and the deprecated names.

    ``renamed`` maps an old ``fit()`` keyword to its new name; the old one is accepted for one
    release with a :class:`DeprecationWarning` (see :func:`renamed`).
    """

    design: str
    constructor: Mapping[str, Option]
    fit: Mapping[str, Option]
    renamed: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        design: str,
        constructor: Iterable[Option],
        fit: Iterable[Option],
        renamed: Mapping[str, str] | None = None,
    ) -> OptionsTable:
        return cls(
            design,
            MappingProxyType({o.name: o for o in constructor}),
            MappingProxyType({o.name: o for o in fit}),
            MappingProxyType(dict(renamed or {})),
        )

    def default(self, name: str) -> Any:
        """The default of a constructor or ``fit()`` option named ``name``."""
        found = self.fit.get(name) or self.constructor.get(name)
        if found is None:
            raise KeyError(f"{self.design} has no option {name!r}")
        return found.default

    def defaults(self) -> Mapping[str, Any]:
        """Every option's default by name (``fit()``'s where both have one; read-only)."""
        merged = {o.name: o.default for o in (*self.constructor.values(), *self.fit.values())}
        return MappingProxyType(merged)

    def methods(self) -> tuple[str, ...]:
        """The inference methods of ``fit()`` (the allowed values of its ``inference``)."""
        return self.fit["inference"].allowed or ()


def renamed(old: str, old_value: T | None, new: str, new_value: T, new_default: T) -> T:
    """The value of an option given under its deprecated name ``old`` or its name ``new``.

    ``old_value`` is None when the old name was not used. Using it warns
    (:class:`DeprecationWarning`: the old name goes in the next release); giving both, with
    the new one away from its default, is an error.
    """
    if old_value is None:
        return new_value
    warnings.warn(
        f"{old}= is deprecated and will be removed in the next release; use {new}=",
        DeprecationWarning,
        stacklevel=3,
    )
    if new_value != new_default:
        raise ValueError(f"give {new}= only ({old}= is its deprecated name), not both")
    return old_value
