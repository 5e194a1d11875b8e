"""What an ``ITS`` fit refuses, before and after fitting, by the package's shared rules.

Before: a rank-deficient design (:mod:`vrueval.inference.rank`), a constant outcome
(:mod:`vrueval.inference.degenerate`) and, for count models, an all-zero outcome or separation
(:mod:`vrueval.inference.separation`). After: residuals that are all zero -- for a comparative
ITS, the treated residuals minus the controls' at each period, the contrast the difference terms
are identified from, on the model's scale (working residuals ``(y - mu) / mu`` for a log link,
so a control proportional to the treated series is caught as well as one shifted from it).
"""

from __future__ import annotations

import weakref

import numpy as np

from vrueval.designs.its.design import ITSDesign
from vrueval.designs.its.models import ModelFit
from vrueval.inference.degenerate import require_residual_variation, require_variation
from vrueval.inference.rank import require_full_rank
from vrueval.inference.separation import check_separation

FloatArray = np.ndarray


def before_fit(d: ITSDesign, y: FloatArray, count_model: bool, what: str) -> None:
    """Refuse a design or outcome the model cannot be fitted to meaningfully.

    ``y`` is the fitted rows' outcome on the modelled scale (counts for a count model).
    """
    m = d.in_fit
    X = d.X[m]
    _full_rank(d, X, what)
    if count_model:
        labels = [
            str(p) if t else f"{u} {p}"
            for u, p, t in zip(d.unit[m], d.periods[m], d.treated[m], strict=True)
        ]
        effects = [d.names[j] for j in d.effect_cols.values()]
        check_separation(X, y, d.names, what=what, row_labels=labels, first=effects)
    require_variation(y, f"the outcome of {what}")


_FULL_RANK: set[tuple[int, bytes]] = set()


def _full_rank(d: ITSDesign, X: FloatArray, what: str) -> None:
    """:func:`require_full_rank` on the fitted rows, once per shared layout and rows fitted.

    Many series fitted over the same window share one read-only design matrix
    (:func:`~vrueval.designs.its.design.build_design`); its rank on the same rows is the same
    for all of them, so it is checked once. A deficient design is never remembered: it raises
    every time, naming the series.
    """
    if d.X.flags.writeable:  # a design of its own
        require_full_rank(X, d.names, f"the design of {what}")
        return
    key = (id(d.X), d.in_fit.tobytes())
    if key in _FULL_RANK:
        return
    require_full_rank(X, d.names, f"the design of {what}")
    _FULL_RANK.add(key)
    weakref.finalize(d.X, _FULL_RANK.discard, key)


def after_fit(d: ITSDesign, fit: ModelFit, y: FloatArray, what: str) -> None:
    """Refuse a fit with no residual variation in what its effects are identified from."""
    m = d.in_fit
    treated = d.treated[m]
    if treated.all():
        require_residual_variation(fit.resid, y, what)
        return
    time = d.time[m] - d.time[m].min()
    # On the model's scale: a log-link control that is a multiple of the treated series differs
    # from it by a constant on the log scale, so its working residuals (y - mu) / mu match the
    # treated ones while the response-scale residuals do not.
    resid, scale = (fit.resid / fit.mu, np.ones(1)) if fit.link == "log" else (fit.resid, y)
    # mean control residual at each period, against the treated residual of that period
    t_c = time[~treated]
    size = int(time.max()) + 1
    counts = np.bincount(t_c, minlength=size)
    sums = np.bincount(t_c, weights=resid[~treated], minlength=size)
    t_t = time[treated]
    shared = counts[t_t] > 0
    differ = "factor (a constant on the log scale)" if fit.link == "log" else "amount"
    diff = resid[treated][shared] - sums[t_t[shared]] / counts[t_t[shared]]
    require_residual_variation(
        diff,
        scale,
        f"the treated-minus-control difference series of {what} (a control equal to the "
        f"treated series, or differing from it by a constant {differ}, leaves nothing to "
        "compare)",
    )
