"""vrueval: evaluation designs for Violence Reduction Units, with honest inference.

>>> import vrueval as ve
>>> panel = ve.datasets.knife_quarterly()
"""

from importlib import metadata

from vrueval import areas, compute, pooling, power, sensitivity
from vrueval.data import Panel, PanelError, Source, datasets
from vrueval.designs.did import DiD, EventStudy
from vrueval.designs.its import ITS
from vrueval.designs.staggered import CallawaySantAnna, Imputation, StaggeredDiD, SunAbraham
from vrueval.designs.synthetic import StaggeredSyntheticDiD, SyntheticControl, SyntheticDiD
from vrueval.results import Result

try:
    __version__ = metadata.version("vrueval")
except metadata.PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = [
    "CallawaySantAnna",
    "DiD",
    "EventStudy",
    "ITS",
    "Imputation",
    "StaggeredDiD",
    "StaggeredSyntheticDiD",
    "SunAbraham",
    "SyntheticControl",
    "SyntheticDiD",
    "Panel",
    "PanelError",
    "Result",
    "Source",
    "__version__",
    "areas",
    "compute",
    "datasets",
    "pooling",
    "power",
    "sensitivity",
]
