"""Synthetic designs: synthetic DiD (with SC and DiD as its special cases) and synthetic control.

One job a module: ``data`` (the validated outcome matrix), ``inputs`` (the shared constructor
arguments), ``weights`` (simplex solvers), ``estimators`` (the weighted double difference),
``variance`` (placebo, bootstrap, jackknife of SDiD), ``control`` (synthetic control weights
and V), ``augmented`` (the ridge correction and its cross-validation), ``placebo`` (in-space
placebos), ``conformal`` (Chernozhukov-Wüthrich-Zhu tests), ``sc_inference`` (synthetic
control's inference methods), ``design`` (what the designs share: settings, the checks ``fit()``
starts with), ``sdid`` and ``sc`` (the designs), ``results``.

Staggered adoption: ``cohorts`` (the cohort matrix), ``sdid_cohorts`` (SDiD by cohort and its
variance), ``sdid_staggered`` (the design), ``pooling`` (partially pooled synthetic control
weights), ``multisynth`` (that design), ``staggered_results``.
"""

from vrueval.designs.synthetic.multisynth import StaggeredSyntheticControl
from vrueval.designs.synthetic.sc import SyntheticControl
from vrueval.designs.synthetic.sdid import SyntheticDiD
from vrueval.designs.synthetic.sdid_staggered import StaggeredSyntheticDiD

__all__ = ["StaggeredSyntheticControl", "StaggeredSyntheticDiD", "SyntheticControl", "SyntheticDiD"]
