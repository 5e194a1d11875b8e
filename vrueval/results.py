"""Frozen results: the contract every design's ``.fit()`` returns.

A result carries its effects table, the settings and seed that produced it, the provenance of its
data, its diagnostics and warnings. It is read-only: re-running inference means fitting again,
never changing a result in place.
"""

from __future__ import annotations

import importlib
import json
import math
import platform
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from importlib import metadata
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from vrueval.inference.intervals import EFFECT_COLUMNS

_DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "linearmodels")

#: Computes a result's diagnostics and warnings on first access (see :meth:`FrozenRecord._record`).
Checks = Callable[[], tuple[Mapping[str, Any], Sequence[str]]]


def runtime_versions() -> dict[str, str]:
    """vrueval, Python and the numerical dependencies' versions, for provenance."""
    return dict(_runtime_versions())


@cache
def _runtime_versions() -> dict[str, str]:
    versions = {"vrueval": _version("vrueval"), "python": platform.python_version()}
    versions.update({name: _version(name) for name in _DEPENDENCIES})
    return versions


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def to_jsonable(obj: Any) -> Any:
    """Convert numbers, frames, periods and containers into JSON-safe values (NaN -> None)."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, pd.Period | pd.Timestamp | date | datetime):
        return str(obj)
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    if obj is pd.NaT or obj is pd.NA:
        return None
    return str(obj)


_IMMUTABLE = frozenset({str, int, float, bool, np.float64, np.int64, np.bool_})


def frozen(value: Any) -> Any:
    """A read-only copy of ``value`` all the way down: mappings become read-only mappings,
    lists and tuples tuples, sets frozensets, arrays read-only copies, frames and series copies
    (pandas has no read-only frame: the copy keeps the caller's object from reaching the result).
    """
    if value is None or type(value) in _IMMUTABLE:
        return value  # most settings: no ABC checks for them
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(frozen(v) for v in value)
    if isinstance(value, np.ndarray):
        out = value.copy()
        out.flags.writeable = False
        return out
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy()
    return value


def _short(value: Any, most: int = 8) -> str:
    """A setting as text, a long list or the lists in a mapping cut to their first items."""
    if isinstance(value, list | tuple) and len(value) > most:
        shown = ", ".join(str(v) for v in value[:most])
        return f"[{shown}, ... {len(value)} in all]"
    if isinstance(value, Mapping) and any(isinstance(v, list | tuple) for v in value.values()):
        return "{" + ", ".join(f"{k!r}: {_short(v, most)}" for k, v in value.items()) + "}"
    return str(value)


class FrozenRecord:
    """What every read-only result shares: design, settings, level, seed, provenance,
    diagnostics and warnings, frozen once built, with the pieces of its text, HTML and JSON forms.

    Subclasses store these with :meth:`_record`, set their own fields, then call
    :meth:`_freeze`; they implement :meth:`summary` and :meth:`to_dict`.
    """

    _frozen = False
    #: How to get a different result, quoted when someone tries to change this one.
    _change_hint = "fit again to change it"

    def _record(
        self,
        *,
        design: str,
        settings: Mapping[str, Any],
        level: float,
        seed: int | None,
        provenance: Mapping[str, Any] | None,
        diagnostics: Mapping[str, Any] | None,
        warnings: tuple[str, ...],
        checks: Checks | None = None,
    ) -> None:
        """Store the shared fields. With ``checks``, the diagnostics and warnings are what it
        returns, computed once on first access (a design fitting many series need not pay for
        residual tests nobody reads); ``diagnostics`` and ``warnings`` are then ignored."""
        self._design = design
        self._settings = frozen(settings)
        self._level = level
        self._seed = seed
        self._provenance = frozen({"versions": runtime_versions(), **dict(provenance or {})})
        # Filled once (eagerly, or by ``checks`` on first access) and never changed after.
        self._checked: dict[str, Any] = {}
        self._checks = checks
        if checks is None:
            self._checked["diagnostics"] = frozen(diagnostics or {})
            self._checked["warnings"] = tuple(warnings)

    @property
    def _diagnostics(self) -> Mapping[str, Any]:
        return self._run_checks()["diagnostics"]

    @property
    def _warnings(self) -> tuple[str, ...]:
        return self._run_checks()["warnings"]

    def _run_checks(self) -> dict[str, Any]:
        checked = self._checked
        if not checked and self._checks is not None:
            diagnostics, warnings = self._checks()
            checked["diagnostics"] = frozen(diagnostics)
            checked["warnings"] = tuple(warnings)
        return checked

    def _freeze(self) -> None:
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen:
            raise AttributeError(f"{type(self).__name__} is read-only; {self._change_hint}")
        super().__setattr__(name, value)

    # -- read-only views --------------------------------------------------------------------
    @property
    def design(self) -> str:
        return self._design

    @property
    def settings(self) -> Mapping[str, Any]:
        """The options that produced this result (inference method, comparators, dates, ...)."""
        return self._settings

    @property
    def level(self) -> float:
        return self._level

    @property
    def seed(self) -> int | None:
        """The seed of any randomness (bootstrap, permutation); None for deterministic fits."""
        return self._seed

    @property
    def provenance(self) -> Mapping[str, Any]:
        return self._provenance

    @property
    def diagnostics(self) -> Mapping[str, Any]:
        return self._diagnostics

    @property
    def warnings(self) -> tuple[str, ...]:
        return self._warnings

    # -- presentation -----------------------------------------------------------------------
    def summary(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.summary()

    def _settings_lines(self) -> list[str]:
        """One indented line a setting (long lists shortened; to_dict() has them whole), then
        the seed if there is one."""
        lines = [f"  {key}: {_short(value)}" for key, value in self._settings.items()]
        if self._seed is not None:
            lines.append(f"  seed: {self._seed}")
        return lines

    def _warning_lines(self) -> list[str]:
        if not self._warnings:
            return []
        return ["", "Warnings:"] + [f"  - {w}" for w in self._warnings]

    def _html(self, title: str, *tables: str) -> str:
        """A heading, the tables' HTML, then the warnings as a list."""
        warn = "".join(f"<li>{w}</li>" for w in self._warnings)
        return f"<h4>{title}</h4>" + "".join(tables) + (f"<ul>{warn}</ul>" if warn else "")

    def _as_dict(
        self,
        body: Mapping[str, Any],
        *,
        after_level: Mapping[str, Any] | None = None,
        after_seed: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The shared fields around a subclass's own (``body`` after the settings), in order."""
        return {
            "design": self._design,
            "level": self._level,
            **dict(after_level or {}),
            "seed": self._seed,
            **dict(after_seed or {}),
            "settings": dict(self._settings),
            **body,
            "diagnostics": dict(self._diagnostics),
            "warnings": list(self._warnings),
            "provenance": dict(self._provenance),
        }

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)


class Result(FrozenRecord):
    """Base class of every design's result.

    Subclasses add design-specific read-only views (``counterfactual()``, ``event_study()``) and
    ``plot()``. Attributes cannot be set after construction.
    """

    def __init__(
        self,
        *,
        design: str,
        effects: pd.DataFrame | Callable[[], pd.DataFrame],
        settings: Mapping[str, Any],
        level: float,
        seed: int | None = None,
        provenance: Mapping[str, Any] | None = None,
        diagnostics: Mapping[str, Any] | None = None,
        warnings: tuple[str, ...] = (),
        checks: Checks | None = None,
    ) -> None:
        # A callable builds the (fresh) table on first access: the numbers behind it are fixed
        # when the result is built, only the DataFrame is assembled later.
        self._effects_frame: list[pd.DataFrame] = []
        self._effects_source: Callable[[], pd.DataFrame] | None = None
        if isinstance(effects, pd.DataFrame):
            self._effects_frame.append(_checked_effects(effects).copy())
        else:
            self._effects_source = effects
        self._record(
            design=design,
            settings=settings,
            level=level,
            seed=seed,
            provenance=provenance,
            diagnostics=diagnostics,
            warnings=warnings,
            checks=checks,
        )
        self._freeze()

    @property
    def _effects(self) -> pd.DataFrame:
        if not self._effects_frame:
            assert self._effects_source is not None
            self._effects_frame.append(_checked_effects(self._effects_source()))
        return self._effects_frame[0]

    def effects(self) -> pd.DataFrame:
        """Tidy effects: term, estimate, std_error, conf_low, conf_high, p_value and more."""
        if not self._effects_frame and self._effects_source is not None:
            # the source builds a fresh table from the numbers fixed at fit: no copy needed
            return _checked_effects(self._effects_source())
        return self._effects.copy()

    # -- presentation -----------------------------------------------------------------------
    def summary(self) -> str:
        """A plain-text summary: design, settings, effects, diagnostics and warnings."""
        lines = [f"{self._design} ({int(round(self._level * 100))}% intervals)"]
        lines += self._settings_lines()
        cols = [c for c in [*EFFECT_COLUMNS, "scale"] if c in self._effects]
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            lines += ["", self._effects[cols].to_string(index=False, float_format="{:.4g}".format)]
        scalar_diag = {
            k: v for k, v in self._diagnostics.items() if isinstance(v, int | float | str)
        }
        if scalar_diag:
            lines += ["", "Diagnostics:"]
            lines += [f"  {k}: {_fmt(v)}" for k, v in scalar_diag.items()]
        lines += self._warning_lines()
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cols = [c for c in [*EFFECT_COLUMNS, "scale"] if c in self._effects]
        table = self._effects[cols].to_html(index=False, float_format="{:.4g}".format)
        return self._html(self._design, table)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: design, settings, seed, level, effects, diagnostics, provenance."""
        out = self._as_dict({"effects": self._effects})
        out.update(self._extra_dict())
        return to_jsonable(out)

    def _extra_dict(self) -> dict[str, Any]:
        """Design-specific frames to include in :meth:`to_dict` (counterfactual, event study)."""
        return {}

    def plot(self, ax: Any = None) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no plot")


# -- plotting hook -------------------------------------------------------------------------
# Designs never import reporting: a result's ``plot()`` looks its figure up here by kind, and
# vrueval.reporting registers its figures when imported (imported on first use if nothing is).
Plotter = Callable[..., Any]
_PLOTTERS: dict[str, Plotter] = {}


def register_plot(kind: str, draw: Plotter) -> None:
    """Make ``draw(result, ax=...)`` the figure of results of ``kind`` (e.g. ``"its"``)."""
    _PLOTTERS[kind] = draw


def plotter(kind: str) -> Plotter:
    """The figure registered for ``kind``; importing :mod:`vrueval.reporting` fills the registry."""
    if kind not in _PLOTTERS:
        importlib.import_module("vrueval.reporting")
    try:
        return _PLOTTERS[kind]
    except KeyError:
        raise NotImplementedError(f"no plot registered for {kind!r} results") from None


def _checked_effects(effects: pd.DataFrame) -> pd.DataFrame:
    present = set(effects.columns)
    missing = [c for c in EFFECT_COLUMNS if c not in present]
    if missing:
        raise ValueError(f"effects table lacks columns {missing}")
    index = effects.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return effects  # already 0..n-1: no copy needed
    return effects.reset_index(drop=True)


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
