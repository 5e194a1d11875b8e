"""The frozen result of a sensitivity analysis: robust intervals against the bound, the
original interval beside them, and the breakdown value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vrueval.results import FrozenRecord, frozen, to_jsonable

#: Columns of :meth:`SensitivityResult.effects`: the contract's six, then the bound, how the
#: set was built and under which restriction.
SENSITIVITY_COLUMNS = [
    "term",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "bound",
    "method",
    "restriction",
]


class SensitivityResult(FrozenRecord):
    """Rambachan & Roth robust confidence sets, one row per bound (``Mbar`` or ``M``).

    Views
    -----
    effects() : one row per bound with the contract's columns (see :meth:`effects`), then
        bound, method and restriction.
    original : the interval under exact parallel trends (estimate, std_error, conf_low,
        conf_high), normal reference distribution.
    breakdown : the largest bound at which the robust set excludes zero (``value``; None when
        zero is in the set at bound 0), whether it was bracketed (``found``) and how (``note``).
    estimates : the coefficients, covariance and event times the analysis started from.
    plot() : the intervals against the bound, the original interval beside them.
    """

    _change_hint = "run the sensitivity analysis again"

    def __init__(
        self,
        *,
        term: str,
        table: pd.DataFrame,
        original: Mapping[str, float],
        breakdown: Mapping[str, Any] | None,
        estimates: Mapping[str, Any],
        settings: Mapping[str, Any],
        level: float,
        seed: int | None,
        provenance: Mapping[str, Any] | None = None,
        warnings: tuple[str, ...] = (),
    ) -> None:
        self._term = term
        self._table = table.assign(term=term)[SENSITIVITY_COLUMNS].reset_index(drop=True)
        self._original = frozen(dict(original))
        self._breakdown = frozen(dict(breakdown)) if breakdown is not None else None
        self._estimates = frozen(dict(estimates))
        restriction = str(settings["restriction"])
        diagnostics: dict[str, Any] = {
            "estimate": original["estimate"],
            "std_error": original["std_error"],
        }
        if breakdown is not None:
            diagnostics["breakdown"] = breakdown.get("value")
        self._record(
            design=f"Sensitivity to parallel trends ({restriction.replace('_', ' ')})",
            settings=settings,
            level=level,
            seed=seed,
            provenance=provenance,
            diagnostics=diagnostics,
            warnings=warnings,
        )
        self._freeze()

    # -- views ------------------------------------------------------------------------------
    @property
    def term(self) -> str:
        return self._term

    @property
    def bound_name(self) -> str:
        """``Mbar`` (relative magnitudes) or ``M`` (smoothness)."""
        return "Mbar" if self.settings["restriction"] == "relative_magnitude" else "M"

    def effects(self) -> pd.DataFrame:
        """One row per bound: term, estimate, std_error, conf_low, conf_high, p_value, bound,
        method, restriction.

        A robust set is not a point estimate plus or minus a multiple of a standard error, so
        two of the contract's columns mean what they can:

        - ``estimate`` and ``std_error``: for the C-LF and conditional sets, the original
          estimate ``l' beta_post`` and its standard error (the same on every row: the robust
          set widens the inference on that estimate, it does not move it). For the FLCI, the
          centre of the interval, the affine estimator ``w' beta_pre + l' beta_post`` that
          corrects for the pre-period trend, and its standard deviation; the interval is that
          centre plus or minus ``std_error`` times the folded-normal critical value of its
          worst-case bias, so it is wider than ``estimate +- z std_error``.
        - ``p_value``: NaN. The set inverts a test at the one level of the analysis (the
          hybrid's first stage is tuned to it), so no p-value under the restriction is
          computed; whether zero is excluded is read from the interval, and the largest bound
          at which it is, from :attr:`breakdown`.
        """
        return self._table.copy()

    @property
    def original(self) -> Mapping[str, float]:
        return self._original

    @property
    def breakdown(self) -> Mapping[str, Any] | None:
        return self._breakdown

    @property
    def estimates(self) -> Mapping[str, Any]:
        return self._estimates

    # -- presentation -----------------------------------------------------------------------
    def summary(self) -> str:
        pct = int(round(self.level * 100))
        o = self._original
        lines = [f"{self.design}: {self._term} ({pct}% robust intervals)"]
        lines += self._settings_lines()
        lines += [
            "",
            f"Original (parallel trends): {o['estimate']:.4g} [{o['conf_low']:.4g}, "
            f"{o['conf_high']:.4g}]",
            "",
            self._table.rename(columns={"bound": self.bound_name})
            .drop(columns=["term", "restriction"])
            .to_string(index=False, float_format="{:.4g}".format),
        ]
        if self._breakdown is not None:
            b = self._breakdown
            value = b["value"]
            shown = "none" if value is None else f"{value:.4g}"
            lines += ["", f"Breakdown {self.bound_name}: {shown} ({b['note']})"]
        lines += self._warning_lines()
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self._html(
            self.design, self._table.to_html(index=False, float_format="{:.4g}".format)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: settings, the intervals, the original interval, the breakdown value and
        the inputs (coefficients, covariance)."""
        body = {
            "term": self._term,
            "effects": self._table,
            "original": dict(self._original),
            "breakdown": None if self._breakdown is None else dict(self._breakdown),
            "estimates": {k: _plain(v) for k, v in self._estimates.items()},
        }
        return to_jsonable(self._as_dict(body))

    def plot(self, ax: Any = None) -> Any:
        """The robust intervals against the bound, the original interval to their left."""
        from vrueval.reporting.sensitivity_plot import plot_sensitivity

        return plot_sensitivity(self, ax)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value
