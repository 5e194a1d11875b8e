"""Evaluation designs: one module a design."""

from vrueval.designs.bacon import bacon_decomposition
from vrueval.designs.did import DiD
from vrueval.designs.event_study import EventStudy
from vrueval.designs.its import ITS
from vrueval.designs.staggered import CallawaySantAnna, StaggeredDiD

__all__ = ["CallawaySantAnna", "DiD", "EventStudy", "ITS", "StaggeredDiD", "bacon_decomposition"]
