"""Pool several areas' estimates of one effect: random-effects meta-analysis.

>>> from vrueval import pooling
>>> res = pooling.random_effects([-3.0, 1.0, 4.0, -1.0], [1.0, 1.5, 2.0, 1.2], method="DL")
>>> round(res.estimate, 3), round(res.tau2, 3), round(res.q_p_value, 3)
(-0.107, 5.435, 0.007)

Entry point: :func:`random_effects` (DerSimonian–Laird or REML between-area variance,
Cochran's Q, I², a prediction interval), returning a frozen :class:`PooledEstimate`.
"""

from vrueval.pooling.random_effects import TAU2_METHODS, PooledEstimate, random_effects

__all__ = ["TAU2_METHODS", "PooledEstimate", "random_effects"]
