"""Interrupted time series: single-series and comparative ITS.

``estimator`` holds :class:`ITS`; ``data`` extracts the series, ``design`` builds the segmented
design, ``models`` fits it, ``inference`` gives the covariance; ``effects``, ``tables`` and
``diagnostics`` turn the fit into tables, ``checks`` refuses degenerate fits, ``placebo`` runs
in-time placebos and ``results`` freezes the result.
"""

from vrueval.designs.its.estimator import ITS

__all__ = ["ITS"]
