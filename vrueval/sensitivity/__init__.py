"""How wrong could parallel trends be? Rambachan & Roth (2023) sensitivity analysis and
Roth (2022) pre-trend power for event studies.

>>> import vrueval as ve
>>> res = ve.sensitivity.honest_did_arrays(beta, sigma, n_pre=4, n_post=4)  # doctest: +SKIP
>>> res.effects()     # one robust interval per Mbar
>>> res.breakdown     # the largest Mbar at which the effect stays significant
>>> res.plot()

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
