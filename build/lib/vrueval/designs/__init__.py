"""Evaluation designs: one subpackage a family (``its``, ``did``, ``staggered``).

Modules shared by several families (``fit_options``) stay at this level.
"""

from vrueval.designs.did import DiD, EventStudy, bacon_decomposition
from vrueval.designs.its import ITS
from vrueval.designs.staggered import CallawaySantAnna, StaggeredDiD

__all__ = ["CallawaySantAnna", "DiD", "EventStudy", "ITS", "StaggeredDiD", "bacon_decomposition"]
