"""Refuse fits that leave no residual variation to estimate uncertainty from.

One rule for the regression designs: when the outcome is constant, or the model reproduces it
exactly (every residual zero to rounding), standard errors are zero or 0/0 and any p-value or
interval is meaningless, so the fit is refused with what is degenerate named. A comparative
design applies the rule to the series its effects are identified from (for a comparative ITS:
the treated residuals minus the controls', which are all zero when the control equals the
treated series or differs from it by a constant).

Applied by ITS and comparative ITS (:mod:`vrueval.designs.its.checks`) and by the two-way
fixed-effects fits behind DiD and EventStudy (:func:`vrueval.designs.did.model.ols_absorbed`:
e.g. treated and comparator units exactly parallel; the Poisson DiD on the log scale, where an
exact fit means ``log y - offset`` is fitted exactly). StaggeredDiD (Callaway-Sant'Anna) does not
apply it yet.
"""

from __future__ import annotations

import numpy as np

FloatArray = np.ndarray
_RTOL = 1e-10


class DegenerateFitError(ValueError):
    """The outcome (or the contrast the effects come from) has no residual variation."""


def require_variation(y: FloatArray, what: str) -> None:
    """Refuse an outcome that takes one value in every fitted row."""
    y = np.asarray(y, dtype=float)
    if len(y) and np.ptp(y) <= _RTOL * max(1.0, float(np.max(np.abs(y)))):
        raise DegenerateFitError(
            f"{what} is constant ({y[0]:g} in all {len(y)} fitted rows): there is nothing to "
            "estimate an effect or its uncertainty from"
        )


def require_residual_variation(resid: FloatArray, y: FloatArray, what: str) -> None:
    """Refuse a fit whose residuals are all zero relative to the outcome's size.

    Parameters
    ----------
    resid : residuals on the outcome's scale (or a contrast of them).
    y : the outcome, giving the scale rounding is judged against.
    what : what was fitted, for the message.
    """
    resid = np.asarray(resid, dtype=float)
    scale = max(1.0, float(np.max(np.abs(y)))) if len(y) else 1.0
    if len(resid) and float(np.max(np.abs(resid))) <= _RTOL * scale:
        raise DegenerateFitError(
            f"{what} is fitted exactly (every residual is zero): the variance of the effects "
            "cannot be estimated, so no standard error, interval or p-value would be valid"
        )
