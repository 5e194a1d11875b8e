"""A frozen power study: the power curve, the minimum detectable effect, the size at no effect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from vrueval.power.kernels import Planted
from vrueval.power.scales import Baseline
from vrueval.results import FrozenRecord, frozen, to_jsonable


class PowerResult(FrozenRecord):
    """Result of a power study (read-only; run the study again to change it).

    Views
    -----
    table() : the power curve, one row an effect size, on every user scale, with its Monte
        Carlo standard error and, where a closed form exists, the analytic power.
    mde() : the minimum detectable effect by simulation (with its Monte Carlo band) and
        analytically, on every user scale.
    size : the simulated rejection rate at no effect (nominal: ``1 - level``).
    """

    _change_hint = "run the study again"

    def __init__(
        self,
        *,
        design: str,
        curve: pd.DataFrame,
        mde: pd.DataFrame,
        size: Mapping[str, float],
        baseline: Baseline,
        settings: Mapping[str, Any],
        level: float,
        power: float,
        seed: int | None,
        n_draws: int,
        diagnostics: Mapping[str, Any] | None = None,
        warnings: tuple[str, ...] = (),
        provenance: Mapping[str, Any] | None = None,
        planted: Planted | None = None,
        critical: np.ndarray | None = None,
        draw_info: pd.DataFrame | None = None,
    ) -> None:
        self._planted = planted
        self._critical = critical
        self._draw_info = None if draw_info is None else draw_info.reset_index(drop=True).copy()
        self._curve = curve.reset_index(drop=True).copy()
        self._mde = mde.reset_index(drop=True).copy()
        self._size = frozen(size)
        self._baseline = baseline
        self._power = power
        self._n_draws = n_draws
        self._record(
            design=design,
            settings=settings,
            level=level,
            seed=seed,
            provenance=provenance,
            diagnostics=diagnostics,
            warnings=warnings,
        )
        self._freeze()

    # -- views ------------------------------------------------------------------------------------
    @property
    def target_power(self) -> float:
        return self._power

    @property
    def n_draws(self) -> int:
        return self._n_draws

    @property
    def size(self) -> Mapping[str, float]:
        return self._size

    @property
    def baseline(self) -> Baseline:
        return self._baseline

    def table(self) -> pd.DataFrame:
        """Power curve: effect, pct_change, prevented_per_year, rate_change_per_100k, power,
        mc_se, power_analytic."""
        return self._curve.copy()

    def mde(self) -> pd.DataFrame:
        """MDE rows (``method`` simulation / analytic) on every scale, with the MC band."""
        return self._mde.copy()

    def mde_effect(self, method: str = "simulation") -> float:
        """The relative MDE (e.g. -0.12 for a 12% fall) by ``method``."""
        rows = self._mde.loc[self._mde["method"] == method, "effect"]
        if rows.empty:
            raise KeyError(f"no {method!r} MDE; methods: {list(self._mde['method'])}")
        return float(rows.iloc[0])

    def draws(self, effect: float = 0.0) -> pd.DataFrame:
        """Each draw's test with ``effect`` planted: estimate, std_error, statistic, df,
        critical value and rejection (plus what identifies the draw, e.g. its placebo start).

        At ``effect=0`` these are the placebo estimates on the real data, worth reading in
        themselves: a spread far from zero says the design's assumptions fail on this data.
        """
        if self._planted is None:
            raise ValueError("this result holds no draws")
        p, crit = self._planted, self._critical
        est, se = p.estimate(float(effect)), p.std_error(float(effect))
        df = p.degrees_of_freedom(float(effect))
        out = pd.DataFrame({"estimate": est, "std_error": se, "df": df})
        out["statistic"] = est / se
        out["critical"] = crit if crit is not None else p.critical(self._level)
        out["p_value"] = p.p_values(float(effect))
        out["reject"] = p.rejects(float(effect), self._level, out["critical"].to_numpy())
        if self._draw_info is not None and len(self._draw_info) == len(out):
            out = pd.concat([self._draw_info, out], axis=1)
        return out

    # -- presentation ---------------------------------------------------------------------------
    def summary(self) -> str:
        pct = int(round(self._level * 100))
        lines = [
            f"Power study: {self._design} ({pct}% level, target power {self._power:g}, "
            f"{self._n_draws:,} simulated evaluations)"
        ]
        lines += [_count_line(line) for line in self._settings_lines()]
        b = self._baseline
        lines.append(
            f"  baseline ({b.first_period}..{b.last_period}, {b.n_units} unit(s)): "
            f"{b.per_year:.6g} a year, population {b.population:.6g}"
        )
        lines.append(
            f"  size at no effect: {self._size['rejection_rate']:.3f} "
            f"(MC s.e. {self._size['mc_se']:.3f}; nominal {1 - self._level:.3f})"
        )
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            fmt = "{:.4g}".format
            lines += [
                "",
                "Minimum detectable effect:",
                self._mde.to_string(index=False, float_format=fmt),
            ]
            lines += ["", "Power curve:", self._curve.to_string(index=False, float_format=fmt)]
        lines += self._warning_lines()
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        fmt = "{:.4g}".format
        return self._html(
            f"Power: {self._design}",
            self._mde.to_html(index=False, float_format=fmt),
            self._curve.to_html(index=False, float_format=fmt),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: design, settings, seed, level, target power, curve, MDE, size, baseline."""
        body = {
            "curve": self._curve,
            "mde": self._mde,
            "size": dict(self._size),
            "baseline": self._baseline.to_dict(),
        }
        return to_jsonable(
            self._as_dict(
                body,
                after_level={"target_power": self._power},
                after_seed={"n_draws": self._n_draws},
            )
        )

    def plot(self, ax: Any = None, scale: str = "pct_change") -> Any:
        """Power curve (simulated with a Monte Carlo band; analytic dashed) and the MDE.

        ``scale``: the x axis, one of ``pct_change``, ``prevented_per_year`` or
        ``rate_change_per_100k``. Returns the matplotlib Axes.
        """
        import matplotlib.pyplot as plt

        allowed = ("pct_change", "prevented_per_year", "rate_change_per_100k")
        if scale not in allowed:
            raise ValueError(f"scale must be one of {allowed}, got {scale!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.0))
        c = self._curve.sort_values("effect")
        x = c[scale].to_numpy()
        p = c["power"].to_numpy()
        band = 1.96 * c["mc_se"].to_numpy()
        ax.plot(x, p, marker="o", color="C0", label="simulated")
        ax.fill_between(
            x, np.clip(p - band, 0, 1), np.clip(p + band, 0, 1), color="C0", alpha=0.2, lw=0
        )
        if c["power_analytic"].notna().any():
            ax.plot(x, c["power_analytic"], ls="--", color="C1", label="analytic")
        ax.axhline(self._power, color="grey", lw=0.8, ls=":")
        ax.axhline(1 - self._level, color="grey", lw=0.8, ls=":")
        sim = self._mde.loc[self._mde["method"] == "simulation"]
        if not sim.empty and np.isfinite(sim[scale].iloc[0]):
            ax.axvline(float(sim[scale].iloc[0]), color="C0", lw=0.8, ls="--")
        labels = {
            "pct_change": "effect (% change)",
            "prevented_per_year": "offences prevented a year",
            "rate_change_per_100k": "change in annual rate per 100,000",
        }
        ax.set_xlabel(labels[scale])
        ax.set_ylabel(f"power ({int(round(self._level * 100))}% two-sided test)")
        ax.set_ylim(0, 1)
        ax.set_title(self._design)
        ax.legend(loc="best", frameon=False)
        return ax


#: Settings that count resamples inside each simulated evaluation, and what they count.
_INNER_COUNTS = {
    "draws": "bootstrap draws in each simulated evaluation",
    "permutations": "re-assignments in each simulated evaluation",
    "n_sims": "simulated evaluations requested",
}


def _count_line(line: str) -> str:
    """A settings line with its count said in words and printed with separators, so the
    header's evaluations and a setting's draws are not read as one number."""
    key, sep, value = line.strip().partition(": ")
    if sep and key in _INNER_COUNTS and value.isdigit():
        return f"  {key}: {int(value):,} ({_INNER_COUNTS[key]})"
    return line
