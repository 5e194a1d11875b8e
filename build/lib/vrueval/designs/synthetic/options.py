"""The options of :class:`vrueval.SyntheticControl` and :class:`vrueval.SyntheticDiD`: the
tables every reader shares (see :mod:`vrueval.options`).

SyntheticControl's "conformal" is Chernozhukov, Wuthrich and Zhu (2021) (random only with
``permutations="iid"``), "in_time" refits on the pre-period with a placebo start, and
"leave_one_out" refits without each donor the weights use.

``inference="placebo"`` is, in SyntheticDiD, the paper's placebo variance (donors drawn as
pseudo-treated, ``draws`` times, with a seed); in SyntheticControl every donor is a placebo once
(ADH 2010), so nothing is random there. tests/test_options_table.py holds the tables equal to the
signatures.
"""

from __future__ import annotations

from typing import Literal, get_args

from vrueval.designs.synthetic.estimators import ESTIMATORS
from vrueval.options import Option, OptionsTable

SCInference = Literal["placebo", "conformal", "in_time", "leave_one_out", "none"]
SCPermutations = Literal["moving_block", "iid"]
SCMethod = Literal["synth", "augmented"]
SDiDInference = Literal["placebo", "bootstrap", "jackknife", "none"]

#: The input door both designs share.
_INPUT = (
    Option("outcome", "str", required=True),
    Option("treated", "units | column", None),
    Option("start", "period", None),
    Option("first_treated", "column", None, doc="DataFrame only"),
    Option("unit", "column", None, doc="DataFrame only"),
    Option("time", "column", None, doc="DataFrame only"),
)

SYNTHETIC_CONTROL = OptionsTable.of(
    "SyntheticControl",
    constructor=[
        *_INPUT,
        Option("predictors", "list", (), doc="none: match the pre-period outcomes"),
        Option("v", "floats", None, doc="None: nested optimisation (with predictors)"),
        Option(
            "method",
            "str",
            "synth",
            get_args(SCMethod),
            doc="augmented: ridge bias correction (Ben-Michael, Feller and Rothstein 2021)",
        ),
        Option(
            "penalty",
            "float",
            0.0,
            applies_to=("synth",),
            doc="Abadie-L'Hour (2021) pairwise-discrepancy penalty; 0: ADH",
        ),
        Option(
            "ridge",
            "float",
            None,
            applies_to=("augmented",),
            doc="None: the paper's cross-validation (largest within one SE of the best)",
        ),
    ],
    fit=[
        Option("inference", "str", "placebo", get_args(SCInference)),
        Option("drop_poor_fit", "float", None, applies_to=("placebo", "in_time")),
        Option(
            "permutations",
            "str",
            "moving_block",
            get_args(SCPermutations),
            applies_to=("conformal",),
            doc="moving_block: every cyclic shift of time (no randomness); iid: seeded draws",
        ),
        Option(
            "draws",
            "int",
            999,
            applies_to=("conformal",),
            doc="random permutations (permutations='iid' only)",
        ),
        Option("seed", "int", None, doc="required for conformal with permutations='iid'"),
        Option(
            "placebo_start",
            "period",
            None,
            applies_to=("in_time",),
            doc="None: the middle pre-period",
        ),
        Option("level", "float", 0.95),
    ],
)

SYNTHETIC_DID = OptionsTable.of(
    "SyntheticDiD",
    constructor=[*_INPUT, Option("estimator", "str", "sdid", ESTIMATORS)],
    fit=[
        Option("inference", "str", "placebo", get_args(SDiDInference)),
        Option("draws", "int", 200, applies_to=("placebo", "bootstrap")),
        Option("seed", "int", None, doc="required for 'placebo' and 'bootstrap'"),
        Option("level", "float", 0.95),
    ],
)

#: Staggered adoption: a Panel takes a mapping unit -> first treated period (None: the VRU
#: registry cohorts); a frame a first_treated column or a 0/1 treated column.
_STAGGERED_INPUT = (
    Option("outcome", "str", required=True),
    Option("first_treated", "mapping | column", None, doc="None: the VRU registry cohorts (Panel)"),
    Option("treated", "column", None, doc="DataFrame only: a 0/1 column, 1 from the start on"),
    Option("unit", "column", None, doc="DataFrame only"),
    Option("time", "column", None, doc="DataFrame only"),
)

STAGGERED_SYNTHETIC_DID = OptionsTable.of(
    "StaggeredSyntheticDiD",
    constructor=[*_STAGGERED_INPUT, Option("estimator", "str", "sdid", ESTIMATORS)],
    fit=[
        Option("inference", "str", "placebo", get_args(SDiDInference)),
        Option("draws", "int", 200, applies_to=("placebo", "bootstrap")),
        Option("seed", "int", None, doc="required for 'placebo' and 'bootstrap'"),
        Option("level", "float", 0.95),
    ],
)
