"""How wrong could parallel trends be? Rambachan & Roth (2023) sensitivity analysis and
Roth (2022) pre-trend power for event studies.

>>> import vrueval as ve
>>> css = ve.datasets.crime_severity(vintage="2022")
>>> es = ve.EventStudy(css, outcome="css_robbery", start="2019/20", leads=8, reference=-1)
>>> res = ve.sensitivity.honest_did(es.fit(inference="cr2"), seed=0)
>>> res.effects()[["term", "bound", "conf_low", "conf_high"]].head(3).round(2)  # per Mbar
      term  bound  conf_low  conf_high
0  att:e=0    0.0     -0.11       0.08
1  att:e=0    0.2     -0.18       0.15
2  att:e=0    0.4     -0.26       0.23
>>> res.breakdown["note"]     # the largest Mbar at which the effect stays significant
'zero is in the set already at Mbar = 0'
>>> figure = res.plot()

Entry points: :func:`honest_did` (a fitted event study or staggered result),
:func:`honest_did_arrays` (coefficients and covariance); :func:`pretrend_power`;
:func:`trend_extrapolation` (the effects net of a linear pre-trend projected forward).
"""

from vrueval.sensitivity.extrapolation import trend_extrapolation, trend_extrapolation_arrays
from vrueval.sensitivity.extrapolation_result import TrendExtrapolationResult
from vrueval.sensitivity.honest import honest_did, honest_did_arrays
from vrueval.sensitivity.pretrend_power import PretrendPower, pretrend_power, pretrend_power_arrays
from vrueval.sensitivity.result import SensitivityResult

__all__ = [
    "PretrendPower",
    "SensitivityResult",
    "TrendExtrapolationResult",
    "honest_did",
    "honest_did_arrays",
    "pretrend_power",
    "pretrend_power_arrays",
    "trend_extrapolation",
    "trend_extrapolation_arrays",
]
