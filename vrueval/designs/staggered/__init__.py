"""Staggered adoption: Callaway and Sant'Anna's group-time effects and their aggregations.

``estimator`` holds :class:`StaggeredDiD` (alias :class:`CallawaySantAnna`); ``data`` builds the
cohorts, ``estimate`` the group-time effects, ``aggregate`` their aggregations and
``results`` freezes the result.
"""

from vrueval.designs.staggered.estimator import CallawaySantAnna, StaggeredDiD

__all__ = ["CallawaySantAnna", "StaggeredDiD"]
