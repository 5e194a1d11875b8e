"""Results are read-only all the way down: no public attribute, nor anything a public attribute or
a no-argument method hands out, can change a result after it is built."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.results import FrozenRecord

REF = Path(__file__).resolve().parent / "reference"
SKIP = {"plot", "to_json"}  # drawing and serialising hand out nothing of the result's own


def _its() -> FrozenRecord:
    hes = ve.datasets.hes_sharp_object()
    return ve.ITS(hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions").fit()


def _its_placebo() -> FrozenRecord:
    """The placebo table and the Fourier AIC table: views the default fit does not have."""
    hes = ve.datasets.hes_sharp_object()
    design = ve.ITS(
        hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions", seasonality="fourier"
    )
    return design.fit(placebo=True)


def _its_bootstrap() -> FrozenRecord:
    hes = ve.datasets.hes_sharp_object()
    design = ve.ITS(hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions")
    return design.fit("bootstrap", draws=49, seed=1)


def _its_forecast() -> FrozenRecord:
    hes = ve.datasets.hes_sharp_object()
    design = ve.ITS(hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions")
    return design.forecast()


def _synthetic() -> FrozenRecord:
    prop99 = pd.read_csv(
        Path(__file__).resolve().parents[1]
        / "data"
        / "california_prop99"
        / "california_prop99.csv",
        sep=";",
    )
    design = ve.SyntheticDiD(
        prop99, unit="State", time="Year", outcome="PacksPerCapita", treated="treated"
    )
    return design.fit(inference="none")


def _staggered_synthetic() -> FrozenRecord:
    ehec = pd.read_csv(REF / "ehec_data.csv")
    ehec["g"] = ehec["yexp2"].fillna(0)
    ehec = ehec[ehec["g"].isin([0, 2015, 2016, 2019])]
    design = ve.StaggeredSyntheticDiD(
        ehec, outcome="dins", unit="stfips", time="year", first_treated="g"
    )
    return design.fit(inference="jackknife")


def _sensitivity() -> FrozenRecord:
    knife = ve.datasets.knife_quarterly()
    study = ve.EventStudy(knife, "knife_offences", start="2016Q2", leads=3, lags=3).fit()
    return ve.sensitivity.honest_did(
        study, restriction="smoothness", bounds=[0.0, 1.0], breakdown=False
    )


def _pretrend_power() -> FrozenRecord:
    knife = ve.datasets.knife_quarterly()
    study = ve.EventStudy(knife, "knife_offences", start="2016Q2", leads=3, lags=3).fit()
    return ve.sensitivity.pretrend_power(study, seed=1)


def _trend_extrapolation() -> FrozenRecord:
    knife = ve.datasets.knife_quarterly()
    study = ve.EventStudy(knife, "knife_offences", start="2016Q2", leads=3, lags=3).fit()
    return ve.sensitivity.trend_extrapolation(study)


def _did_wild() -> FrozenRecord:
    knife = ve.datasets.knife_quarterly()
    return ve.DiD(knife, "knife_offences", start="2016Q2").fit("wild", draws=99, seed=1)


def _did() -> FrozenRecord:
    knife = ve.datasets.knife_quarterly()
    return ve.DiD(knife, "knife_offences", start="2016Q2").fit()


def _event_study() -> FrozenRecord:
    knife = ve.datasets.knife_quarterly()
    return ve.EventStudy(knife, "knife_offences", start="2016Q2").fit()


def _staggered() -> FrozenRecord:
    mpdta = pd.read_csv(REF / "mpdta.csv.gz")
    design = ve.StaggeredDiD(
        mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
    )
    return design.fit(inference="bootstrap", draws=99, seed=1)


def _power() -> FrozenRecord:
    knife = ve.datasets.knife_quarterly()
    return ve.power.did(knife, "knife_offences", n_treated=18, post=8, n_sims=20, seed=1)


BUILDERS: dict[str, Callable[[], FrozenRecord]] = {
    "ITS": _its,
    "ITS-placebo-fourier": _its_placebo,
    "ITS-bootstrap": _its_bootstrap,
    "ITSForecast": _its_forecast,
    "Synthetic": _synthetic,
    "StaggeredSynthetic": _staggered_synthetic,
    "Sensitivity": _sensitivity,
    "PretrendPower": _pretrend_power,
    "TrendExtrapolation": _trend_extrapolation,
    "DiD": _did,
    "DiD-wild": _did_wild,
    "EventStudy": _event_study,
    "StaggeredDiD": _staggered,
    "power": _power,
}


def _tamper(value: Any) -> None:
    """Try every way of changing ``value`` in place; read-only containers refuse."""
    if isinstance(value, pd.DataFrame | pd.Series):
        if len(value):
            value.iloc[0] = np.nan if isinstance(value, pd.Series) else value.iloc[0] * 0
        return
    if isinstance(value, np.ndarray):
        if value.size:
            value.flat[0] = -123.0
        return
    if isinstance(value, Mapping):
        for key in list(value):
            _tamper_silently(value[key])
        value["__tampered__"] = 1  # type: ignore[index]
        return
    if isinstance(value, list):
        value.append("X")
        return
    for attr in ("__dict__",):
        if hasattr(value, attr) and not isinstance(value, type):
            for name in list(vars(value)):
                setattr(value, name, None)


def _tamper_silently(value: Any) -> None:
    try:
        _tamper(value)
    except (TypeError, ValueError, AttributeError):
        pass


def _public(result: FrozenRecord) -> list[str]:
    return [n for n in dir(result) if not n.startswith("_") and n not in SKIP]


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_every_public_attribute_is_read_only(kind: str) -> None:
    result = BUILDERS[kind]()
    before = json.dumps(result.to_dict(), sort_keys=True)
    names = _public(result)
    assert {"settings", "provenance", "diagnostics", "warnings"} <= set(names)
    for name in names:
        with pytest.raises(AttributeError, match="read-only"):
            setattr(result, name, None)
        value = getattr(result, name)
        if callable(value):
            signature = inspect.signature(value)
            required = [
                p
                for p in signature.parameters.values()
                if p.default is inspect.Parameter.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if required:
                continue
            try:
                value = value()
            except ValueError:  # a view this fit does not have (placebo=False, no bootstrap)
                continue
        _tamper_silently(value)
        after = json.dumps(result.to_dict(), sort_keys=True)
        assert after == before, f"{kind}: changing what .{name} hands out changed the result"


def test_settings_nested_lists_cannot_grow() -> None:
    result = _did()
    treated = result.settings["treated"]
    with pytest.raises(AttributeError):
        treated.append("X")
    with pytest.raises(TypeError):
        result.settings["treated"] = []  # type: ignore[index]
    assert json.loads(result.to_json())["settings"]["treated"] == list(treated)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_result_type_is_tried() -> None:
    """Each concrete result type vrueval defines is among those tampered with above (a new
    design's result type needs a builder here)."""
    built = {type(build()) for name, build in BUILDERS.items() if "-" not in name}
    concrete = {c for c in _subclasses(FrozenRecord) if c.__module__.startswith("vrueval.")}
    concrete -= {c for c in concrete if any(issubclass(d, c) and d is not c for d in concrete)}
    assert concrete <= built, sorted(c.__name__ for c in concrete - built)
