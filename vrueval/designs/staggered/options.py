"""The options of :class:`vrueval.StaggeredDiD` (``CallawaySantAnna``), :class:`vrueval.SunAbraham`
and :class:`vrueval.Imputation`: the tables every reader
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
from vrueval.inference.small_sample import DEFAULT_SMALL_SAMPLE, SMALL_SAMPLES
from vrueval.options import Option, OptionsTable

Inference = Literal["analytic", "bootstrap"]
SunAbrahamControl = Literal["never_treated", "last_treated"]
#: ``scale``: the outcome as given, or per ``per`` population (as :class:`vrueval.DiD`).
Scale = Literal["value", "rate"]
SCALES: tuple[str, ...] = get_args(Scale)

_BOOT = ("bootstrap",)

#: The constructor options every staggered estimator takes (the input door).
_INPUT = (
    Option("outcome", "str", required=True),
    Option("first_treated", "mapping | column", None, doc="None: the VRU registry cohorts"),
    Option("unit", "column", None, doc="DataFrame only"),
    Option("time", "column", None, doc="DataFrame only"),
    Option("covariates", "str list", ()),
    Option("anticipation", "int", 0, doc="periods of anticipation before the first treated"),
    Option("scale", "str", "value", SCALES, doc="'rate': the outcome per `per` population"),
    Option("per", "float", 100_000.0),
    Option("population", "column", None, frame=True, doc="DataFrame only; read with 'rate'"),
    Option(
        "cluster",
        "column",
        None,
        frame=True,
        doc="DataFrame only: clusters of units for the standard errors (None: the units)",
    ),
    Option("geography", "str", None, frame=True, doc='DataFrame only; None: "custom"'),
)

#: The ``fit()`` options every staggered estimator takes.
_FIT = (
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
)

TABLE = OptionsTable.of(
    "StaggeredDiD",
    constructor=[
        *_INPUT,
        Option("control_group", "str", "never_treated", get_args(ControlGroup)),
        Option("method", "str", "dr", get_args(Method)),
        Option("base_period", "str", "varying", get_args(BasePeriod)),
        Option("overall", "str", "group", AGGREGATIONS),
    ],
    fit=list(_FIT),
    renamed={"weights": "boot_weights"},
)

SUN_ABRAHAM = OptionsTable.of(
    "SunAbraham",
    constructor=[
        *_INPUT,
        Option("control_group", "str", "never_treated", get_args(SunAbrahamControl)),
        Option("overall", "str", "simple", AGGREGATIONS),
        Option("small_sample", "str", DEFAULT_SMALL_SAMPLE, SMALL_SAMPLES, doc="CR1 rule"),
    ],
    fit=list(_FIT),
    renamed={"weights": "boot_weights"},
)

IMPUTATION = OptionsTable.of(
    "Imputation",
    constructor=[*_INPUT, Option("overall", "str", "simple", AGGREGATIONS)],
    fit=list(_FIT),
    renamed={"weights": "boot_weights"},
)
