"""Sant'Anna and Zhao's doubly robust 2x2 DiD with covariates (``DiD(estimator="dr")``).

Estimand: the ATT of the treated units over the post-period (each unit's mean change from its
pre-period mean), under parallel trends conditional on the covariates: the comparison units'
mean change, reweighted by a logit propensity score and adjusted by a linear regression of the
change on the covariates among them, stands for the treated units' untreated change. Either
model being right identifies the ATT (Sant'Anna and Zhao 2020, eq. 3.1). The covariates enter
at their pre-period means (the baseline), as the estimator conditions on pre-treatment
characteristics.

The cell estimator is the one :class:`vrueval.StaggeredDiD` uses for its doubly robust
group-time effects (:mod:`vrueval.designs.staggered.estimate`), so the two designs agree cell
for cell; this module only lays the DiD's data out for it and turns its influence function into
a clustered standard error (:func:`clustered_std_error`) with a normal reference, as
``DRDID``; the clusters are the units by default.

References
----------
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences estimators.
*Journal of Econometrics* 219(1), 101-122.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vrueval.designs.did.data import DiDData
from vrueval.designs.staggered.estimate import PS_TRIM, _weighted_panel


@dataclass(frozen=True)
class DoublyRobust:
    """The ATT, its influence function (one value a unit, in ``units`` order) and any overlap
    problem (``""`` when none)."""

    att: float
    influence: np.ndarray
    units: tuple[str, ...]
    overlap: str


def unit_changes(collapsed: DiDData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each unit's change in mean outcome, its treatment (0/1) and its baseline covariates with
    an intercept, from the 2x2 collapse (:func:`vrueval.designs.did.data.collapse_two_periods`)."""
    f = collapsed.frame
    before = f[~f["after"]].set_index("unit").loc[list(collapsed.units)]
    after = f[f["after"]].set_index("unit").loc[list(collapsed.units)]
    dy = after["y"].to_numpy(dtype=float) - before["y"].to_numpy(dtype=float)
    d = before["treated"].to_numpy(dtype=float)
    x = before[collapsed.covariate_columns].to_numpy(dtype=float)
    return dy, d, np.column_stack([np.ones(len(dy)), x])


def doubly_robust(collapsed: DiDData) -> DoublyRobust:
    """Sant'Anna and Zhao's doubly robust ATT on the collapsed data (one row a unit and half)."""
    dy, d, x = unit_changes(collapsed)
    att, psi, overlap = _weighted_panel(dy, d, x, outcome_model=True)
    return DoublyRobust(att, psi, collapsed.units, overlap)


def clustered_std_error(fit: DoublyRobust, clusters: np.ndarray) -> tuple[float, int]:
    """``sqrt(G/(G-1) sum_g S_g^2) / n``, ``S_g`` the cluster sums of the centred influence
    function (``clusters`` one label a unit), and G. With one unit a cluster this is
    ``sd(psi) / sqrt(n)``, DRDID's analytic standard error."""
    psi = fit.influence - fit.influence.mean()
    sums = pd.Series(psi).groupby(np.asarray(clusters)).sum().to_numpy()
    g = len(sums)
    return float(np.sqrt(g / (g - 1) * np.sum(sums**2)) / len(psi)), g


OVERLAP_WARNING = (
    f"poor overlap (propensity scores of {PS_TRIM} or more): comparison units that high are "
    "trimmed (as DRDID does), and treated units that high have no comparable comparison unit, "
    "so the ATT rests on the propensity model's extrapolation: "
)
