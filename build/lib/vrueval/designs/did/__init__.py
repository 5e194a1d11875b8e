"""Difference-in-differences: two-way fixed effects, 2x2, the event study and Goodman-Bacon.

``estimator`` holds :class:`DiD`, ``event_study`` :class:`EventStudy`; ``data`` builds the panel
frame, ``comparators`` chooses the comparison units, ``model`` fits the absorbed regressions,
``inference`` gives standard errors and p-values, ``results`` freezes the result and ``bacon``
decomposes the TWFE estimate.
"""

from vrueval.designs.did.bacon import bacon_decomposition
from vrueval.designs.did.estimator import DiD
from vrueval.designs.did.event_study import EventStudy

__all__ = ["DiD", "EventStudy", "bacon_decomposition"]
