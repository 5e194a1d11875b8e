"""Staggered adoption: group-time effects and their aggregations, by three estimators.

``estimator`` holds :class:`StaggeredDiD` (alias :class:`CallawaySantAnna`), ``sun_abraham``
:class:`SunAbraham` and ``imputation`` :class:`Imputation` (Borusyak, Jaravel & Spiess). Each
turns the data (``data``) into cohort x period cells with influence functions; ``pipeline``
takes the cells through the one ``aggregate`` module and the inference to the frozen result
(``results``), so their terms mean the same thing.
"""

from vrueval.designs.staggered.estimator import CallawaySantAnna, StaggeredDiD
from vrueval.designs.staggered.imputation import Imputation
from vrueval.designs.staggered.sun_abraham import SunAbraham

__all__ = ["CallawaySantAnna", "Imputation", "StaggeredDiD", "SunAbraham"]
