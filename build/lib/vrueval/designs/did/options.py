"""The options of :class:`vrueval.DiD` and :class:`vrueval.EventStudy`: the tables every
reader shares (see :mod:`vrueval.options`).

Both designs take the comparator options (:data:`COMPARATOR`); each adds its own and its own
``fit()`` options. ``weights`` is the population weighting of the OLS estimators; the wild
bootstrap's weight distribution is ``boot_weights``, the name :meth:`vrueval.StaggeredDiD.fit`
uses for its multipliers. tests/test_options_table.py holds the tables equal to the signatures.
"""

from __future__ import annotations

from typing import Literal, get_args

from vrueval.data.design_input import FRAME_OPTIONS
from vrueval.designs.did.comparators import COMPARATOR_RULES
from vrueval.designs.did.data import CLUSTER_DIMENSIONS, MISSINGS
from vrueval.designs.did.inference import INFERENCES
from vrueval.inference.randomization import STATISTICS
from vrueval.inference.small_sample import DEFAULT_SMALL_SAMPLE, SMALL_SAMPLES
from vrueval.inference.wild_bootstrap import BOOT_WEIGHTS
from vrueval.options import Option, OptionsTable

Estimator = Literal["twfe", "2x2", "poisson", "dr"]
Scale = Literal["value", "rate"]
Weighting = Literal["none", "population", "panel"]
ESTIMATORS: tuple[str, ...] = get_args(Estimator)
SCALES: tuple[str, ...] = get_args(Scale)
WEIGHTINGS: tuple[str, ...] = get_args(Weighting)

#: The constructor options DiD and EventStudy share (``comparators`` also takes a unit list).
COMPARATOR: tuple[Option, ...] = (
    Option("outcome", "str", required=True),
    Option("start", "period | mapping unit -> period", required=True),
    Option("treated", "areas", None, doc="None: the 2019 VRU forces"),
    Option("comparators", "str | areas", "never_funded", COMPARATOR_RULES),
    Option("exclude", "areas", ()),
    Option("n_similar", "int", 12),
    Option("scale", "str", "value", SCALES),
    Option(
        "weights",
        "str | column",
        "none",
        WEIGHTINGS,
        doc="population, or the panel's weights ('panel'; a DataFrame: a column); not bootstrap",
    ),
    Option("window", "(period, period)", (None, None)),
    Option("per", "float", 100_000.0),
    Option("missing", "str", "drop_units", MISSINGS),
    Option("unit", "column", None, frame=True, doc="the unit column of a DataFrame"),
    *FRAME_OPTIONS,
    # rows after the frame roles replace theirs: these apply to a Panel too
    Option(
        "covariates",
        "names | columns",
        (),
        doc="time-varying covariates: the panel's carried ones, 'population' or other outcomes",
    ),
    Option(
        "cluster",
        "str | (str, str)",
        "unit",
        CLUSTER_DIMENSIONS,
        doc="'unit', 'period', the panel's 'cluster' column (a DataFrame: columns); two: CGM",
    ),
    Option("anticipation", "int", 0, doc="periods before the start kept out of the baseline"),
    Option("unit_trends", "bool", False, doc="unit-specific linear trends (warned about)"),
)

_WILD = ("wild",)
_CR1 = ("cr1", "wild", "randomization")  # the methods that report the CR1 standard error


def _fit(methods: tuple[str, ...]) -> list[Option]:
    """The ``fit()`` options of a design offering ``methods``; each applies to those it has."""

    def has(wanted: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(m for m in wanted if m in methods)

    return [
        Option("inference", "str", "cr1", methods),
        Option("level", "float", 0.95),
        Option("seed", "int", None, doc="required for 'wild' and 'randomization'"),
        Option("draws", "int", 9999, applies_to=has(_WILD), doc="wild bootstrap draws"),
        Option("boot_weights", "str", "webb", BOOT_WEIGHTS, has(_WILD)),
        Option("permutations", "int", 5000, applies_to=has(("randomization",))),
        Option(
            "small_sample",
            "str",
            DEFAULT_SMALL_SAMPLE,
            SMALL_SAMPLES,
            has(_CR1),
            doc="the CR1 rule, recorded in settings",
        ),
    ]


DID = OptionsTable.of(
    "DiD",
    constructor=[
        *COMPARATOR,
        Option("estimator", "str", "twfe", ESTIMATORS),
        Option("intensity", "mapping area -> float", None),
    ],
    fit=[
        *_fit(INFERENCES),
        Option("ri_statistic", "str", "t", STATISTICS, ("randomization",)),
    ],
)

EVENT_STUDY = OptionsTable.of(
    "EventStudy",
    constructor=[
        *COMPARATOR,
        Option("leads", "int", None),
        Option("lags", "int", None),
        Option("reference", "int", None, doc="None: -1 - anticipation"),
    ],
    fit=_fit(("cr1", "cr2", "wild")),
)
