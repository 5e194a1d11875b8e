"""vrueval: evaluation designs for Violence Reduction Units, with honest inference.

>>> import vrueval as ve
>>> panel = ve.datasets.knife_quarterly()
"""

from importlib import metadata

from vrueval import areas
from vrueval.data import Panel, PanelError, Source, datasets
from vrueval.results import Result

try:
    __version__ = metadata.version("vrueval")
except metadata.PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Panel", "PanelError", "Result", "Source", "__version__", "areas", "datasets"]
