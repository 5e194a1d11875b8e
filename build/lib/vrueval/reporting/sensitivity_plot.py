"""The sensitivity plot: robust intervals against ``Mbar`` or ``M``, the original beside them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vrueval.reporting import labels as names

if TYPE_CHECKING:
    from vrueval.sensitivity.result import SensitivityResult


def plot_sensitivity(result: SensitivityResult, ax: Any = None) -> Any:
    """Intervals as vertical bars at each bound; the original interval at the left, in grey."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    table = result.effects()
    bounds = table["bound"].to_numpy(dtype=float)
    step = float(np.min(np.diff(np.unique(bounds)))) if len(np.unique(bounds)) > 1 else 1.0
    o = result.original
    left = bounds.min() - step
    ax.vlines(left, o["conf_low"], o["conf_high"], color="grey", lw=3, label="original")
    lows = table["conf_low"].to_numpy(dtype=float)
    highs = table["conf_high"].to_numpy(dtype=float)
    finite = np.isfinite(lows) & np.isfinite(highs)
    method = str(table["method"].iloc[0]) if len(table) else ""
    ax.vlines(bounds[finite], lows[finite], highs[finite], color="tab:blue", lw=3, label=method)
    ax.axhline(0, color="black", lw=0.8)
    b = result.breakdown
    if b is not None and b.get("value") is not None and b.get("found"):
        ax.axvline(b["value"], color="tab:red", ls="--", lw=1, label="breakdown")
    name = "$\\bar{M}$" if result.bound_name == "Mbar" else "$M$"
    ax.set_xlabel(name)
    ax.set_ylabel(
        f"{names.term_label(result.term)} ({int(round(result.level * 100))}% interval)", wrap=True
    )
    ax.set_title(
        f"Sensitivity to parallel trends: {result.settings['restriction'].replace('_', ' ')}"
    )
    ax.legend(frameon=False)
    return ax
