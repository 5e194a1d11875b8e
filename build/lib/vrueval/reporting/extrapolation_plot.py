"""The pre-trend extrapolation figure: coefficients, the projected trend, the effects net of it."""

from __future__ import annotations

from typing import Any

import numpy as np

from vrueval.reporting import labels as names
from vrueval.results import register_plot


def plot_extrapolation(result: Any, ax: Any = None) -> Any:
    """Event-study coefficients (grey), the linear trend fitted to the leads and carried into the
    post period (dashed), and the post-period effects net of the trend with their intervals."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    t = result.by_time()
    times = t["event_time"].to_numpy(dtype=float)
    line = np.r_[times.min(), -1.0, times.max()]
    slope = result.slope["estimate"]
    ax.plot(times, t["coefficient"], "o", color="grey", ms=4, label="event study")
    used = t["used_for_trend"].to_numpy(dtype=bool)
    ax.plot(times[used], t.loc[used, "coefficient"], "o", mfc="none", mec="black", ms=7,
            label="leads fitting the trend")  # fmt: skip
    ax.plot(line, slope * (line + 1), "--", color="tab:red", lw=1, label="linear pre-trend")
    eff = result.effects()
    post = eff[eff["term"].str.startswith("att:e=")]
    e = post["term"].str.slice(6).astype(int).to_numpy(dtype=float) + 0.15
    ax.vlines(e, post["conf_low"], post["conf_high"], color="tab:blue", lw=2)
    ax.plot(e, post["estimate"], "s", color="tab:blue", ms=4, label="net of the trend")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", lw=0.6, ls=":")
    ax.set_xlabel("Event time (periods since the start)")
    ax.set_ylabel(f"Effect ({int(round(result.level * 100))}% interval)")
    names.integer_ticks(ax)
    ax.legend(frameon=False, fontsize="small")
    return ax


register_plot("trend_extrapolation", plot_extrapolation)
