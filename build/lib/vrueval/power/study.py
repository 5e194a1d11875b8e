"""Shared steps of every power study: option checks, and turning draws into a PowerResult."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from vrueval.data.panel import Source
from vrueval.inference.intervals import check_level
from vrueval.inference.seeds import check_seed  # noqa: F401 (re-exported for the studies)
from vrueval.options import choice
from vrueval.power.analytic import Analytic
from vrueval.power.kernels import Planted
from vrueval.power.results import PowerResult
from vrueval.power.scales import Baseline
from vrueval.power.search import Search

Direction = Literal["decrease", "increase"]
Critical = Literal["nominal", "calibrated"]
DEFAULT_EFFECTS: tuple[float, ...] = (-0.25, -0.2, -0.15, -0.1, -0.05, 0.0)
MIN_DRAWS_FOR_MDE = 10
VRU_START = pd.Timestamp("2019-10-01")  # West Midlands, the first VRU (3 Oct 2019)


@dataclass(frozen=True)
class Common:
    """The options every study shares, validated: what :func:`assemble` needs besides the draws."""

    effects: np.ndarray  # relative effects at which to report power
    level: float
    power: float  # target power of the MDE
    direction: str
    critical: str


def check_common(
    effects: Sequence[float],
    level: float,
    power: float,
    n_sims: int,
    direction: str,
    critical: str,
) -> Common:
    """Validate the options every study shares."""
    level = check_level(level)
    if not isinstance(power, float | int) or not 0 < float(power) < 1:
        raise ValueError(f"power must be a number in (0, 1), e.g. 0.8; got {power!r}")
    if not isinstance(n_sims, int) or isinstance(n_sims, bool) or n_sims < 10:
        raise ValueError(f"n_sims must be an integer >= 10, got {n_sims!r}")
    choice(direction, get_args(Direction), "direction")
    choice(critical, get_args(Critical), "critical")
    eff = np.asarray(list(effects), dtype=float)
    if eff.ndim != 1 or len(eff) == 0 or not np.all(np.isfinite(eff)) or np.any(eff <= -1):
        raise ValueError(
            "effects must be relative changes greater than -1, e.g. [-0.2, -0.1, 0.0] for 20% "
            f"and 10% falls and no change; got {effects!r}"
        )
    return Common(eff, level, float(power), direction, critical)


def post_vru_warning(last: pd.Period) -> list[str]:
    if last.end_time >= VRU_START:
        return [
            f"the data run to {last}, past the first VRU start (October 2019) and into COVID-19: "
            "power should be simulated on pre-intervention data only; pass end=..."
        ]
    return []


def assemble(
    common: Common,
    *,
    design: str,
    planted: Planted,
    analytic: Mapping[str, Analytic],
    baseline: Baseline,
    settings: Mapping[str, Any],
    seed: int | None,
    diagnostics: Mapping[str, Any],
    warnings: Sequence[str],
    sources: Sequence[Source],
    draw_info: pd.DataFrame | None = None,
) -> PowerResult:
    """Power curve, MDE (simulated and analytic) and size, on every user scale."""
    effects, level, power = common.effects, common.level, common.power
    direction, critical = common.direction, common.critical
    keep = np.isfinite(planted.e0) & np.isfinite(planted.a)
    if not keep.all():
        planted = planted.select(keep)
        if draw_info is not None:
            draw_info = draw_info.loc[keep]
    search = Search.build(planted, level, calibrate=critical == "calibrated")
    p = search.power(effects)
    curve = baseline.frame(effects)
    curve["power"] = p
    curve["mc_se"] = search.mc_se(p)
    first = next(iter(analytic.values()), None)
    curve["power_analytic"] = (
        first.power(effects, level) if first is not None else np.full(len(effects), np.nan)
    )
    sign = -1.0 if direction == "decrease" else 1.0
    warns = list(warnings)
    if planted.n_draws >= MIN_DRAWS_FOR_MDE:
        mde, near, far = search.mde(power, sign)
    else:
        mde = near = far = float("nan")
        warns.append(
            f"{planted.n_draws} draw(s) cannot locate an MDE (at least {MIN_DRAWS_FOR_MDE} needed)"
        )
    rows = baseline.frame(np.array([mde]))
    rows.insert(0, "method", "simulation")
    rows["mc_low"] = near
    rows["mc_high"] = far
    for name, closed in analytic.items():
        a = baseline.frame(np.array([closed.mde(level, power, sign)]))
        a.insert(0, "method", name)
        a["mc_low"] = np.nan
        a["mc_high"] = np.nan
        rows = pd.concat([rows, a], ignore_index=True)
    size, size_se = search.size()
    nominal = 1 - level
    if critical == "nominal" and abs(size - nominal) > 2.58 * np.sqrt(
        nominal * (1 - nominal) / planted.n_draws
    ):
        warns.append(
            f"at no effect the test rejected in {size:.1%} of draws, not the nominal "
            f"{nominal:.0%} (beyond Monte Carlo error): its nominal power is "
            f"{'inflated' if size > nominal else 'conservative'}; critical='calibrated' gives "
            "size-adjusted power"
        )
    if not np.isfinite(mde) and planted.n_draws >= MIN_DRAWS_FOR_MDE:
        best, where = search.highest(sign)
        # The closed forms hold the estimate's variance fixed as the effect grows; the
        # simulation does not, so when power plateaus they can report an MDE the test never has.
        warns.append(
            f"power never reaches {power:g} for effects up to {sign * search.grid(sign)[-1]:+.0%}"
            f" (the search limit): the simulated MDE is NaN; the highest simulated power is "
            f"{best:.2f}, at {where:+.0%}. The analytic rows hold the estimate's standard error "
            "fixed as the effect grows and do not show this plateau"
        )
    diag = {**dict(diagnostics), "n_draws_used": int(planted.n_draws)}
    for name, closed in analytic.items():
        diag[name] = {"se": closed.se, "shift": closed.shift, "df": closed.df, **closed.inputs}
    return PowerResult(
        design=design,
        curve=curve,
        mde=rows,
        size={"rejection_rate": size, "mc_se": size_se, "nominal": nominal},
        baseline=baseline,
        settings={**dict(settings), "critical": critical, "direction": direction},
        level=level,
        power=float(power),
        seed=seed,
        n_draws=int(planted.n_draws),
        diagnostics=diag,
        warnings=tuple(warns),
        provenance={"sources": [s.to_dict() for s in sources]},
        planted=planted,
        critical=search.critical,
        draw_info=draw_info,
    )
