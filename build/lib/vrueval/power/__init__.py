"""Power and minimum detectable effects of planned evaluations, simulated on real data.

>>> import vrueval as ve
>>> knife = ve.datasets.knife_quarterly()
>>> res = ve.power.its(knife, unit="West Midlands", outcome="knife_offences", post=8,
...                    start="2014Q2", seasonality="dummies", seed=1)
>>> res.mde()[["method", "effect"]].round(3)  # detectable with 80% power at the 5% level
       method  effect
0  simulation  -0.102
1    analytic  -0.109
>>> figure = res.plot()      # the power curve

Designs: :func:`its` (ITS and comparative ITS), :func:`did` (TWFE or 2x2 DiD),
:func:`event_study`, :func:`staggered` (Callaway & Sant'Anna); :func:`mde` returns just the MDE
table; :func:`from_spec` runs the study an analysis spec with a ``[power]`` section describes.
Closed forms are in :mod:`vrueval.power.analytic`.
"""

from vrueval.power.api import mde
from vrueval.power.did_study import did, event_study
from vrueval.power.its_study import its
from vrueval.power.results import PowerResult
from vrueval.power.spec import from_spec
from vrueval.power.staggered_study import staggered

__all__ = ["PowerResult", "did", "event_study", "from_spec", "its", "mde", "staggered"]
