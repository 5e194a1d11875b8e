"""The options tables (vrueval.options): one per design, equal to its signatures, read by the
fit-option check, the spec runner and the power studies, whose defaults are the design's."""

from __future__ import annotations

import inspect
import typing
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.analysis.spec import accepted, keywords
from vrueval.designs.did.options import DID, EVENT_STUDY
from vrueval.designs.its.options import TABLE as ITS_TABLE
from vrueval.designs.staggered.options import TABLE as STAGGERED_TABLE
from vrueval.options import OptionsTable
from vrueval.power import did_study, its_study, staggered_study

REF = Path(__file__).resolve().parent / "reference"


def _designs() -> list[type]:
    return sorted(
        {
            getattr(ve, n)
            for n in ve.__all__
            if isinstance(getattr(ve, n), type) and hasattr(getattr(ve, n), "fit")
        },
        key=lambda c: c.__name__,
    )


def _signature_defaults(func: Callable[..., Any]) -> dict[str, Any]:
    """Keyword name -> default (inspect.Parameter.empty when required), expanding
    ``**options: Unpack[TypedDict]`` through the class's base constructor defaults."""
    out: dict[str, Any] = {}
    params = list(inspect.signature(func).parameters.values())[1:]  # self
    for p in params:
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            out[p.name] = p.default
    return out


def test_every_exported_design_has_a_table() -> None:
    for cls in _designs():
        assert isinstance(getattr(cls, "OPTIONS", None), OptionsTable), cls.__name__


@pytest.mark.parametrize("cls", _designs(), ids=lambda c: c.__name__)
def test_table_equals_the_signatures(cls: type) -> None:
    """Every keyword of the constructor (but the panel) and of fit() is in the table with the
    signature's default, and nothing else is: a new option needs its row."""
    table: OptionsTable = cls.OPTIONS  # type: ignore[attr-defined]
    panel = next(iter(inspect.signature(cls).parameters))
    ctor = keywords(cls.__init__)  # type: ignore[misc]
    assert ctor is not None
    assert set(table.constructor) == ctor - {panel}, cls.__name__
    fit = keywords(cls.fit)  # type: ignore[attr-defined]
    assert set(table.fit) == fit, cls.__name__
    for name, default in _signature_defaults(cls.fit).items():  # type: ignore[attr-defined]
        assert table.fit[name].default == default, (cls.__name__, name)
    # the constructor's defaults: its own, and the shared comparator options' in the base
    bases = [c.__init__ for c in cls.__mro__ if "__init__" in vars(c) and c is not object]
    for init in bases:
        for name, default in _signature_defaults(init).items():
            if name not in table.constructor:
                continue
            option = table.constructor[name]
            if default is inspect.Parameter.empty:
                assert option.required, (cls.__name__, name)
            elif not option.required:
                assert option.default == default, (cls.__name__, name)
    for option in (*table.constructor.values(), *table.fit.values()):
        if option.allowed is not None and option.default is not None and not option.required:
            if isinstance(option.default, str):
                assert option.default in option.allowed, (cls.__name__, option.name)
    hints = typing.get_type_hints(cls.fit, include_extras=True)  # type: ignore[attr-defined]
    for name, option in table.fit.items():
        literal = [
            a for a in typing.get_args(hints[name]) if typing.get_origin(a) is typing.Literal
        ]
        if typing.get_origin(hints[name]) is typing.Literal:
            literal = [hints[name]]
        if option.allowed is not None and literal and name != "hac_lag":
            # the type may be the family's (EventStudy.fit takes DiD's inference Literal)
            assert set(option.allowed) <= set(typing.get_args(literal[0])), (cls.__name__, name)


def test_the_spec_runner_reads_the_table() -> None:
    assert accepted(ve.ITS, "fit") == set(ITS_TABLE.fit)
    assert "n_boot" in accepted(ve.ITS, "fit")  # type: ignore[operator]  # deprecated, accepted
    assert accepted(ve.StaggeredDiD, "design") == {
        name for name, option in STAGGERED_TABLE.constructor.items() if not option.frame
    }
    assert accepted(ve.EventStudy, "fit") == set(EVENT_STUDY.fit)


def test_fit_option_check_reads_applies_to_from_the_table() -> None:
    """EventStudy has no randomization inference: its permutations apply to no method."""
    assert EVENT_STUDY.fit["permutations"].applies_to == ()
    assert DID.fit["permutations"].applies_to == ("randomization",)
    assert DID.fit["small_sample"].applies_to == ("cr1", "wild", "randomization")
    knife = ve.datasets.knife_quarterly()
    es = ve.EventStudy(knife, "knife_offences", start="2016Q2", leads=2, lags=2)
    with pytest.raises(ValueError, match="permutations=99 is not used by any inference method"):
        es.fit("cr1", permutations=99)
    with pytest.raises(ValueError, match="small_sample='stata' applies to inference 'cr1' or"):
        es.fit("cr2", small_sample="stata")


# A power study's option of the same name as its design's takes the design's default, except
# where the name means something else in the study (stated here).
DIFFERENT_MEANING = {
    (
        "did",
        "start",
    ): "the first period of real data used; in the design, the treatment start",
    (
        "did",
        "comparators",
    ): "a list of units (None: the rest of the pool); the design's rules are chosen on the data",
    (
        "its",
        "inference",
    ): "'hac'; the design's None resolves to 'hac' for the OLS and Poisson models simulated",
}

POWER = [
    ("its", its_study.its, ITS_TABLE),
    ("did", did_study._study, DID),
    ("event_study", did_study._study, EVENT_STUDY),
    ("staggered", staggered_study.staggered, STAGGERED_TABLE),
]


@pytest.mark.parametrize(("study", "func", "table"), POWER, ids=[p[0] for p in POWER])
def test_power_study_defaults_equal_the_design(
    study: str, func: Callable[..., Any], table: OptionsTable
) -> None:
    params = inspect.signature(func).parameters
    shared = [n for n in params if n in table.constructor or n in table.fit]
    assert len(shared) >= 5, shared
    checked = 0
    for name in shared:
        if (study.replace("event_study", "did"), name) in DIFFERENT_MEANING:
            continue
        if name in table.constructor and table.constructor[name].required:
            continue  # required in both (the outcome)
        default = params[name].default
        if default is inspect.Parameter.empty:  # set by the public wrapper (estimator)
            default = inspect.signature(getattr(did_study, study)).parameters[name].default
        assert default == table.defaults()[name], (study, name, default, table.defaults()[name])
        checked += 1
    assert checked >= 5


def test_power_its_seasonality_is_the_designs() -> None:
    """Once "dummies" (ITS: "none") and fourier_k 1 (ITS: "aic"); "aic" cannot be simulated."""
    assert inspect.signature(its_study.its).parameters["seasonality"].default == "none"
    knife = ve.datasets.knife_quarterly()
    with pytest.raises(ValueError, match="fourier_k='aic' chooses K by AIC"):
        ve.power.its(
            knife, unit="Kent", outcome="knife_offences", post=8, seed=1, seasonality="fourier"
        )


# -- deprecated names ---------------------------------------------------------------------------
def _hes_its() -> ve.ITS:
    hes = ve.datasets.hes_sharp_object()
    return ve.ITS(hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions")


def test_its_n_boot_is_a_deprecated_draws() -> None:
    its = _hes_its()
    new = its.fit("bootstrap", draws=49, seed=3)
    with pytest.warns(DeprecationWarning, match="n_boot= is deprecated.*use draws="):
        old = its.fit("bootstrap", n_boot=49, seed=3)
    pd.testing.assert_frame_equal(new.effects(), old.effects())
    assert new.settings["draws"] == old.settings["draws"] == 49
    assert "n_boot" not in new.settings
    with pytest.raises(ValueError, match="give draws= only"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        its.fit("bootstrap", n_boot=49, draws=99, seed=3)


def test_staggered_weights_is_a_deprecated_boot_weights() -> None:
    mpdta = pd.read_csv(REF / "mpdta.csv.gz")
    design = ve.StaggeredDiD(
        mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
    )
    new = design.fit(inference="bootstrap", draws=99, seed=1, boot_weights="rademacher")
    with pytest.warns(DeprecationWarning, match="weights= is deprecated.*use boot_weights="):
        old = design.fit(inference="bootstrap", draws=99, seed=1, weights="rademacher")
    pd.testing.assert_frame_equal(new.effects(), old.effects())
    assert new.settings["boot_weights"] == "rademacher" and "weights" not in new.settings
    with pytest.warns(DeprecationWarning):
        again = new.rebootstrap(draws=99, seed=1, weights="rademacher")
    np.testing.assert_array_equal(
        again.effects()["std_error"].to_numpy(), new.effects()["std_error"].to_numpy()
    )
    with pytest.raises(
        ValueError, match="boot_weights='rademacher' applies to inference 'bootstrap' only"
    ):
        design.fit(inference="analytic", boot_weights="rademacher")
