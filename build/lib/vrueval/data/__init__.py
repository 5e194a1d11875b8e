"""Data: the canonical panel, loaders for official formats, and the bundled real datasets."""

from vrueval.data import datasets
from vrueval.data.panel import FREQUENCIES, Panel, PanelError, Source

__all__ = ["FREQUENCIES", "Panel", "PanelError", "Source", "datasets"]
