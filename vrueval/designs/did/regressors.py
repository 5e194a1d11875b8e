"""What a comparator fit regresses on beyond the treatment, and what it clusters by.

One job: from the prepared :class:`~vrueval.designs.did.data.DiDData` to the arrays the model
and the inference read: covariate columns (reported as ``covariate:<name>`` terms), the
anticipation column (``anticipation``), unit-specific linear trends (nuisance columns partialled
out with the effects) and the cluster codes with how the effects nest in them (which the CR1
small-sample rules count).

References
----------
Wolfers, J. (2006). Did unilateral divorce laws raise divorce rates? A reconciliation and new
results. *American Economic Review* 96(5), 1802-1820 (unit trends absorb dynamic effects).
Borusyak, K., Jaravel, X. and Spiess, J. (2024). Revisiting event-study designs: robust and
efficient estimation. *Review of Economic Studies* 91(6), 3253-3285 (section 4.4: trends and
the dynamic effects they absorb).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vrueval.designs.did.data import DiDData
from vrueval.designs.did.model import TwoWayFE
from vrueval.inference.cluster import nested
from vrueval.inference.small_sample import ParamCount

#: The term of a covariate's coefficient.
COVARIATE_TERM = "covariate:"
#: The term of the pooled anticipation periods (DiD with ``anticipation``).
ANTICIPATION_TERM = "anticipation"

TRENDS_WARNING = (
    "unit-specific linear trends: each unit's trend is fitted on all its periods, post-treatment "
    "ones included, so an effect that grows or fades after the start is partly absorbed into "
    "the treated units' trends and the post-period estimates are biased towards a level shift "
    "(Wolfers 2006; Borusyak, Jaravel and Spiess 2024). Read them beside the fit without trends; "
    "the trends also use up the pre-period variation the leads would test"
)


def covariate_matrix(data: DiDData) -> np.ndarray:
    """The covariates, one column each (n x k, k may be 0)."""
    cols = data.covariate_columns
    if not cols:
        return np.empty((len(data.frame), 0))
    return data.frame[cols].to_numpy(dtype=float)


def covariate_terms(data: DiDData) -> list[str]:
    return [COVARIATE_TERM + c for c in data.covariates]


def anticipation_column(data: DiDData) -> np.ndarray:
    """Treatment intensity in each treated unit's anticipation periods (0 elsewhere)."""
    f = data.frame
    return (f["intensity"] * f["anticipating"]).to_numpy(dtype=float)


def unit_trends(data: DiDData) -> np.ndarray:
    """Unit-specific linear trends, one column a unit but the first (its trend, and the sum of
    the others', lie in the span of the period effects): ``1{unit = i} * t`` with ``t`` the
    period's position in the window, centred."""
    t = data.period_code.astype(float)
    t = t - t.mean()
    n_units = len(data.units)
    z = np.zeros((len(t), n_units))
    z[np.arange(len(t)), data.unit_code] = t
    return z[:, 1:]


@dataclass(frozen=True)
class Clustering:
    """The cluster codes of a fit, one array a dimension, and how the effects nest in them."""

    dims: tuple[str, ...]
    codes: tuple[np.ndarray, ...]
    units_nested: bool  # every unit lies in one cluster of some dimension
    periods_nested: bool  # every period lies in one cluster of some dimension

    @property
    def one_way(self) -> np.ndarray:
        if len(self.codes) != 1:
            raise ValueError("this inference clusters one way only")
        return self.codes[0]

    @property
    def two_way(self) -> bool:
        return len(self.codes) > 1

    def count(self, fe: TwoWayFE, k: int) -> ParamCount:
        """The fit's parameters as the small-sample rules count them: the effects nested in
        the clusters apart, the others (period effects, trends) counted. An effect nested in
        either of two dimensions counts as nested, as fixest counts it (its ``fixef.K =
        "nested"``: region and year clusters nest both the unit and the period effects)."""
        extra = fe.n_extra
        if self.units_nested and self.periods_nested:
            return ParamCount(k, fe.n_units + fe.n_periods - 1, extra)
        if self.units_nested:
            return ParamCount(k, fe.n_units, fe.n_periods - 1 + extra)
        if self.periods_nested:
            return ParamCount(k, fe.n_periods, fe.n_units - 1 + extra)
        return ParamCount(k, 0, fe.n_units + fe.n_periods - 1 + extra)

    def sizes(self) -> list[int]:
        return [int(len(np.unique(c))) for c in self.codes]


def clustering(data: DiDData, dims: Sequence[str]) -> Clustering:
    """Cluster codes for ``dims`` (each "unit", "period" or "cluster") of the data's rows."""
    codes: list[np.ndarray] = []
    for d in dims:
        if d == "unit":
            codes.append(np.asarray(data.unit_code))
        elif d == "period":
            codes.append(np.asarray(data.period_code))
        else:
            codes.append(pd.factorize(data.frame["cluster"])[0])

    def in_some(owner: np.ndarray) -> bool:
        return any(nested(owner, c) for c in codes)

    return Clustering(tuple(dims), tuple(codes), in_some(data.unit_code), in_some(data.period_code))
