"""The figures of the synthetic designs (SyntheticControl, SyntheticDiD), drawn through the
results plotting hook: treated against synthetic, the gap with its band, the placebo
"spaghetti" with the treated gap on top, and the donor weights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vrueval.reporting import labels as names
from vrueval.results import register_plot

if TYPE_CHECKING:
    from vrueval.designs.synthetic.results import SyntheticResult

KINDS = ("path", "gap", "placebos", "weights")


def plot_synthetic(result: SyntheticResult, ax: Any = None, kind: str = "path") -> Any:
    """Draw ``kind`` of ``result`` on ``ax`` (a new figure when None) and return the axes.

    ``"path"``: the treated outcome and the synthetic control's; ``"gap"``: their difference,
    with the per-period interval of the result's inference shaded over the post-period where
    it has one; ``"placebos"``: every placebo unit's gap in grey (fainter for those left out
    of the p-values) and the treated unit's in black; ``"weights"``: the donors' weights
    (negative ones, from the augmented method's extrapolation, in another colour).
    """
    import matplotlib.pyplot as plt

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    placebos = result.placebos()
    if kind == "placebos" and placebos.empty:
        raise ValueError("this result has no placebos: fit with inference='placebo'")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    if kind == "weights":
        return _weights(result, ax)
    p = result.path()
    labels = p["period"].astype(str).tolist()
    x = np.arange(len(labels))
    post = p["post"].to_numpy(dtype=bool)
    if kind == "placebos":
        cols = [c for c in placebos.columns if c.startswith("gap:")]
        for _, row in placebos.iterrows():
            ax.plot(
                x,
                row[cols].to_numpy(dtype=float),
                color="grey",
                lw=0.6,
                alpha=0.8 if row["kept"] else 0.3,
            )
        ax.plot(x, p["gap"], color="black", lw=2, label=f"treated ({result.settings['treated']})")
        ax.axhline(0, color="grey", lw=1)
        ax.legend(frameon=False)
    elif kind == "path":
        ax.plot(x, p["treated"], label="treated", color="black")
        ax.plot(x, p["synthetic"], label="synthetic", ls="--")
        ax.legend(frameon=False)
    else:
        ax.axhline(0, color="grey", lw=1)
        ax.plot(x, p["gap"], marker="o", ms=3, color="C0", label="gap")
        low, high = _band(result, int(post.sum()))
        if low is not None and high is not None:
            pct = int(round(result.level * 100))
            ax.fill_between(
                x[post],
                low,
                high,
                color="C0",
                alpha=0.2,
                lw=0,
                label=f"{pct}% interval ({result.settings['inference']})",
            )
            ax.legend(frameon=False)
    if post.any():
        ax.axvline(x[post][0], color="grey", ls=":", lw=1)
    step = max(1, len(labels) // 20)
    ax.set_xticks(x[::step], labels[::step], rotation=90)
    ax.set_ylabel(names.result_outcome(result), wrap=True)
    return ax


def _band(result: SyntheticResult, t1: int) -> tuple[Any, Any]:
    """The per-period interval (``att:t=`` rows) when the inference gave a finite one."""
    eff = result.effects()
    rows = eff[eff["term"].str.startswith("att:t=")]
    if len(rows) != t1:
        return None, None
    low, high = rows["conf_low"].to_numpy(float), rows["conf_high"].to_numpy(float)
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        return None, None
    return low, high


def _weights(result: SyntheticResult, ax: Any) -> Any:
    w = result.weights()
    w = w[np.abs(w["weight"]) > 1e-6]
    colours = ["C3" if v < 0 else "C0" for v in w["weight"]]
    ax.barh(w["unit"].astype(str), w["weight"], color=colours)
    ax.axvline(0, color="grey", lw=1)
    ax.invert_yaxis()
    ax.set_xlabel("Donor weight")
    return ax


register_plot("synthetic", plot_synthetic)
