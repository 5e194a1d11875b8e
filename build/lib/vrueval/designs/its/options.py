"""The options of :class:`vrueval.ITS`: its vocabulary and the table every reader shares.

The table (:data:`TABLE`, see :mod:`vrueval.options`) gives each constructor and ``fit()``
option its type, allowed values, default and the inference methods that read it. The fit-option
check, the spec runner and :func:`vrueval.power.its` read it; tests/test_options_table.py holds
it equal to the signatures.

``inference="bootstrap"`` here is a circular *block* bootstrap of the residuals in time order
(one series has no clusters); in :class:`vrueval.StaggeredDiD` the same word is the multiplier
bootstrap of the influence functions. The names stay (they are public and each is the usual
word in its literature); the table and both docstrings say which is which.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, get_args

from vrueval.data.design_input import FRAME_OPTIONS
from vrueval.inference.hac import KERNELS
from vrueval.inference.small_sample import DEFAULT_SMALL_SAMPLE, SMALL_SAMPLES
from vrueval.options import Option, OptionsTable

Model = Literal["ols", "poisson", "negbin", "gls"]
Seasonality = Literal["none", "dummies", "fourier"]
Response = Literal["count", "rate"]
LockdownHandling = Literal["interruption", "indicator", "exclude"]
Missing = Literal["error", "drop"]
Dispersion = Literal["quasi", "model"]
Inference = Literal["hac", "classical", "bootstrap", "model", "cluster"]
HacLagRule = Literal["nw1994", "stock_watson", "llsw"]
GlsMethod = Literal["REML", "ML"]

_HAC = ("hac",)
_BOOT = ("bootstrap",)
_CLUSTER = ("cluster",)

TABLE = OptionsTable.of(
    "ITS",
    constructor=[
        Option("interruptions", "date | list | mapping", required=True),
        Option("unit", "area", None, doc="needed when the panel has several"),
        Option("outcome", "str", None, doc="needed when the panel has several"),
        Option("controls", "areas", ()),
        Option("start", "period", None),
        Option("end", "period", None),
        Option("lag", "int | mapping", 0),
        Option("washout", "int", 0),
        Option("lockdown", "period | (period, period)", None),
        Option("lockdown_handling", "str", "indicator", get_args(LockdownHandling)),
        Option("seasonality", "str", "none", get_args(Seasonality)),
        Option("fourier_k", "int | 'aic'", "aic", doc="harmonic pairs, or chosen by AIC"),
        Option("model", "str", "ols", get_args(Model)),
        Option("response", "str", None, get_args(Response), doc="None: rate for GLMs"),
        Option("rate_per", "float", 100_000),
        Option("dispersion", "str", None, get_args(Dispersion), doc="None: model for negbin"),
        Option("arma", "(int, int)", (1, 0)),
        Option("gls_method", "str", "REML", get_args(GlsMethod)),
        Option("missing", "str", "error", get_args(Missing)),
        Option("change", "str | mapping", "both", ("both", "level", "slope")),
        Option(
            "covariates",
            "DataFrame | columns",
            None,
            doc="a table by period (and unit), or the input frame's column names",
        ),
        Option("units", "areas", None, doc="pooled multi-series ITS"),
        Option("unit_trends", "bool", False, doc="pooled ITS: a trend for each unit"),
        Option("treated", "unit", None, frame=True, doc="DataFrame: the evaluated unit"),
        Option("weights", "column", None, frame=True, doc="refused until ITS reads it"),
        *FRAME_OPTIONS,
    ],
    fit=[
        Option(
            "inference",
            "str",
            None,
            get_args(Inference),
            doc="None: 'hac' (OLS, GLMs) or 'model' (GLS); 'bootstrap' is a circular block "
            "bootstrap of the residuals",
        ),
        Option("level", "float", 0.95),
        Option("hac_kernel", "str", "bartlett", KERNELS, _HAC),
        Option("hac_lag", "int | str", "llsw", get_args(HacLagRule), _HAC),
        Option("hac_fixed_b", "bool", True, applies_to=_HAC),
        Option("hac_adjust", "bool", True, applies_to=_HAC),
        Option("draws", "int", 999, applies_to=_BOOT, doc="block bootstrap replicates"),
        Option("block_length", "int", None, applies_to=_BOOT, doc="None: ceil(n^(1/3))"),
        Option("seed", "int", None, doc="required for 'bootstrap'"),
        Option("small_sample", "str", DEFAULT_SMALL_SAMPLE, SMALL_SAMPLES, _CLUSTER),
        Option("placebo", "bool", False),
        Option("min_segment", "int", 8),
        Option("window", "int", None),
        Option("n_boot", "int", None, applies_to=_BOOT, doc="deprecated name of draws"),
    ],
    renamed={"n_boot": "draws"},
)


def _only(name: str, values: tuple[str, ...]) -> Option:
    return replace(TABLE.constructor[name], applies_to=values)


#: Constructor options only some models read, checked as fit options are
#: (:func:`vrueval.designs.fit_options.check_applies` with ``kind="model"``).
BY_MODEL = {
    "dispersion": _only("dispersion", ("poisson", "negbin")),
    "arma": _only("arma", ("gls",)),
    "gls_method": _only("gls_method", ("gls",)),
}
#: ``fourier_k`` is read only with Fourier seasonality.
BY_SEASONALITY = {"fourier_k": _only("fourier_k", ("fourier",))}
