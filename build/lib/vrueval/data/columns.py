"""Column roles: how a user's frame maps onto the canonical long panel.

:meth:`Panel.from_frame <vrueval.data.panel.Panel.from_frame>` reads two layouts, and both end
in the one validator of :mod:`vrueval.data.panel`:

- the canonical long layout, columns named ``unit``, ``period``, ``outcome``, ``value`` (and
  optionally ``population`` and the flags), as loaders write it;
- a user's frame with its columns named by role, as R ``did`` and fixest take it: ``unit=``,
  ``time=``, ``outcome=`` (one column, or several: one outcome each), ``population=``,
  ``weights=``, ``cluster=``, ``covariates=``.

Every other column must be named by a role or left out of the frame: an unnamed column is
refused, never dropped silently. Weights, cluster and covariates travel on the panel under the
names ``weights``, ``cluster`` and the covariates' own names, for the designs that use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

KEY = ["unit", "period", "outcome"]
FLAGS = ["suppressed", "unavailable", "provisional", "derived"]
COLUMNS = [*KEY, "value", "population", *FLAGS]
#: Columns a panel may carry beside the canonical ones (covariates keep their own names).
CARRIED = ["weights", "cluster"]
RESERVED = frozenset([*COLUMNS, *CARRIED])
_ROLES = "population=, weights=, cluster= or covariates="


class ColumnError(ValueError):
    """A frame whose columns cannot be read by role (turned into a PanelError by the caller)."""


@dataclass(frozen=True)
class Roles:
    """The columns a frame's roles name (None: not given)."""

    unit: str | None = None
    time: str | None = None
    outcome: tuple[str, ...] = ()
    population: str | None = None
    weights: str | None = None
    cluster: str | None = None
    covariates: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        unit: str | None = None,
        time: str | None = None,
        outcome: str | Sequence[str] | None = None,
        population: str | None = None,
        weights: str | None = None,
        cluster: str | None = None,
        covariates: str | Sequence[str] = (),
    ) -> Roles:
        def names(value: str | Sequence[str] | None) -> tuple[str, ...]:
            if value is None:
                return ()
            return (value,) if isinstance(value, str) else tuple(value)

        return cls(
            unit=unit,
            time=time,
            outcome=names(outcome),
            population=population,
            weights=weights,
            cluster=cluster,
            covariates=names(covariates),
        )

    @property
    def names(self) -> dict[str, str]:
        """The user's column behind each canonical column (named layout, one outcome column):
        what errors call them."""
        if self.layout != "named":
            return {}
        out = {
            "unit": self.unit,
            "period": self.time,
            "value": self.outcome[0] if len(self.outcome) == 1 else None,
            "population": self.population,
            "weights": self.weights,
            "cluster": self.cluster,
        }
        return {k: v for k, v in out.items() if v is not None}

    @property
    def layout(self) -> str:
        """ "named" when the frame's key columns are named by role, else "canonical"."""
        named = [self.unit is not None, self.time is not None, bool(self.outcome)]
        if any(named) and not all(named):
            raise ColumnError(
                "name the unit, time and outcome columns together (unit=, time=, outcome=), or "
                "none of them for a frame with columns unit, period, outcome, value"
            )
        return "named" if all(named) else "canonical"


def canonical(frame: pd.DataFrame, roles: Roles) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The frame in canonical column names, and the covariates it carries.

    The caller's frame is not changed. In the named layout with one outcome column the rows
    keep their positions (so errors can show the user's own rows); several outcome columns are
    stacked, one block of rows an outcome.

    Raises
    ------
    ColumnError
        Naming the problem: a role naming a column the frame does not have, a column named in
        two roles, a covariate with a reserved name, a column no role names.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ColumnError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    layout = roles.layout
    extras = {
        "population": roles.population,
        "weights": roles.weights,
        "cluster": roles.cluster,
    }
    keys = [roles.unit, roles.time, *roles.outcome] if layout == "named" else []
    named: list[str] = [
        *[c for c in keys if c is not None],
        *[c for c in extras.values() if c is not None],
        *roles.covariates,
    ]
    absent = [c for c in named if c not in frame.columns]
    if absent:
        raise ColumnError(f"column(s) {absent} not in the frame; it has {list(frame.columns)}")
    twice = sorted({c for c in named if named.count(c) > 1})
    if twice:
        raise ColumnError(f"column(s) {twice} are named in two roles")
    clash = [c for c in roles.covariates if c in RESERVED]
    if clash:
        raise ColumnError(
            f"covariate(s) {clash} have reserved names; rename them (reserved: {sorted(RESERVED)})"
        )
    renamed = {c: role for role, c in extras.items() if c is not None and c != role}
    if layout == "canonical":
        missing = [c for c in ("unit", "period", "outcome", "value") if c not in frame.columns]
        if missing:
            raise ColumnError(
                f"missing column(s) {missing}; a panel needs unit, period, outcome, value "
                f"(optional: population, {', '.join(FLAGS)}), or name your columns with "
                f"unit=, time=, outcome=; got {list(frame.columns)}"
            )
        taken = [role for role in renamed.values() if role in frame.columns]
        if taken:
            raise ColumnError(
                f"the frame already has column(s) {taken}: name the role with that column "
                "or drop it"
            )
        allowed = {*COLUMNS, *named}
        _refuse_unnamed([c for c in frame.columns if c not in allowed], allowed)
        return frame.rename(columns=renamed), roles.covariates

    allowed = set(named)
    _refuse_unnamed([c for c in frame.columns if c not in allowed], allowed)
    assert roles.unit is not None and roles.time is not None
    carried = {
        **{role: frame[c] for role, c in extras.items() if c is not None},
        **{c: frame[c] for c in roles.covariates},
    }
    blocks = [
        pd.DataFrame(
            {
                "unit": frame[roles.unit],
                "period": frame[roles.time],
                # one label for every row: a categorical costs no per-row string
                "outcome": pd.Categorical.from_codes(
                    np.zeros(len(frame), dtype=np.int8), dtype=pd.CategoricalDtype([name])
                ),
                "value": frame[name],
                **carried,
            },
            index=frame.index,
        )
        for name in roles.outcome
    ]
    out = blocks[0] if len(blocks) == 1 else pd.concat(blocks, ignore_index=True)
    return out, roles.covariates


def _refuse_unnamed(unnamed: list[object], allowed: set[str]) -> None:
    if unnamed:
        raise ColumnError(
            f"unexpected column(s) {unnamed}: name each with {_ROLES} (or leave it out of the "
            f"frame); allowed: {sorted(allowed)}"
        )
