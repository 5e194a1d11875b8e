"""The options of :class:`vrueval.StaggeredDiD` (``CallawaySantAnna``): the table every reader
shares (see :mod:`vrueval.options`).

``inference="bootstrap"`` here is the *multiplier* bootstrap of the influence functions
(clustered by unit, R ``did``'s); in :class:`vrueval.ITS` the same word is a circular block
bootstrap of one series' residuals. Its weight distribution is ``boot_weights``, as in
:meth:`vrueval.DiD.fit` (``weights``, its old name here, means population weights there).
tests/test_options_table.py holds the table equal to the signatures.
"""

from __future__ import annotations

from typing import Literal, get_args

from vrueval.designs.staggered.aggregate import AGGREGATIONS
from vrueval.designs.staggered.estimate import BasePeriod, ControlGroup, Method
from vrueval.inference.multiplier_bootstrap import MULTIPLIER_WEIGHTS
from vrueval.options import Option, OptionsTable

Inference = Literal["analytic", "bootstrap"]

_BOOT = ("bootstrap",)

TABLE = OptionsTable.of(
    "StaggeredDiD",
    constructor=[
        Option("outcome", "str", required=True),
        Option("first_treated", "mapping | column", None, doc="None: the VRU registry cohorts"),
        Option("unit", "column", None, doc="DataFrame only"),
        Option("time", "column", None, doc="DataFrame only"),
        Option("covariates", "str list", ()),
        Option("control_group", "str", "never_treated", get_args(ControlGroup)),
        Option("method", "str", "dr", get_args(Method)),
        Option("base_period", "str", "varying", get_args(BasePeriod)),
        Option("overall", "str", "group", AGGREGATIONS),
    ],
    fit=[
        Option(
            "inference",
            "str",
            "analytic",
            get_args(Inference),
            doc="'bootstrap' is the multiplier bootstrap of the influence functions",
        ),
        Option("draws", "int", 999, applies_to=_BOOT),
        Option("boot_weights", "str", "mammen", MULTIPLIER_WEIGHTS, _BOOT),
        Option("seed", "int", None, doc="required for 'bootstrap'"),
        Option("level", "float", 0.95),
        Option("weights", "str", None, MULTIPLIER_WEIGHTS, _BOOT, "deprecated: boot_weights"),
    ],
    renamed={"weights": "boot_weights"},
)
