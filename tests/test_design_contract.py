"""The contract every design keeps (DESIGN.md, issue #18): random inference needs a seed, the
same seed gives the same numbers and both are recorded on the result; a design is validated in
its constructor and its options cannot be changed afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import vrueval as ve

REF = Path(__file__).resolve().parent / "reference"


def _its() -> Any:
    hes = ve.datasets.hes_sharp_object()
    return ve.ITS(hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions")


def _did() -> Any:
    return ve.DiD(ve.datasets.knife_quarterly(), "knife_offences", start="2016Q2")


def _event_study() -> Any:
    knife = ve.datasets.knife_quarterly()
    return ve.EventStudy(knife, "knife_offences", start="2016Q2", leads=2, lags=2)


def _staggered() -> Any:
    mpdta = pd.read_csv(REF / "mpdta.csv.gz")
    return ve.StaggeredDiD(
        mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
    )


def _cs() -> Any:
    mpdta = pd.read_csv(REF / "mpdta.csv.gz")
    return ve.CallawaySantAnna(
        mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
    )


def _sibling(cls: Any) -> Callable[[], Any]:
    def build() -> Any:
        mpdta = pd.read_csv(REF / "mpdta.csv.gz")
        return cls(
            mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
        )

    return build


def _prop99() -> pd.DataFrame:
    root = Path(__file__).resolve().parents[1] / "data" / "california_prop99"
    return pd.read_csv(root / "california_prop99.csv", sep=";")


def _sdid() -> Any:
    """Three treated states (the bootstrap needs several; a contract check, not an estimate)."""
    frame = _prop99()
    more = frame["State"].isin(["Nevada", "Utah"]) & (frame["Year"] >= 1989)
    frame["treated"] = frame["treated"] | more.astype(int)
    return ve.SyntheticDiD(
        frame, unit="State", time="Year", outcome="PacksPerCapita", treated="treated"
    )


def _sc() -> Any:
    return ve.SyntheticControl(
        _prop99(), unit="State", time="Year", outcome="PacksPerCapita", treated="treated"
    )


def _staggered_sdid() -> Any:
    """Three Medicaid-expansion cohorts (7 states) against 16 never-expanding states."""
    ehec = pd.read_csv(REF / "ehec_data.csv")
    ehec["g"] = ehec["yexp2"].fillna(0)
    ehec = ehec[ehec["g"].isin([0, 2015, 2016, 2019])]
    return ve.StaggeredSyntheticDiD(
        ehec, outcome="dins", unit="stfips", time="year", first_treated="g"
    )


def _multisynth() -> Any:
    """Partially pooled synthetic control on the Medicaid-expansion cohorts above."""
    ehec = pd.read_csv(REF / "ehec_data.csv")
    ehec["g"] = ehec["yexp2"].fillna(0)
    ehec = ehec[ehec["g"].isin([0, 2015, 2016, 2019])]
    return ve.StaggeredSyntheticControl(
        ehec, outcome="dins", unit="stfips", time="year", first_treated="g"
    )


DESIGNS: dict[str, Callable[[], Any]] = {
    "ITS": _its,
    "DiD": _did,
    "EventStudy": _event_study,
    "StaggeredDiD": _staggered,
    "CallawaySantAnna": _cs,
    "SunAbraham": _sibling(ve.SunAbraham),
    "Imputation": _sibling(ve.Imputation),
    "SyntheticDiD": _sdid,
    "SyntheticControl": _sc,
    "StaggeredSyntheticDiD": _staggered_sdid,
    "StaggeredSyntheticControl": _multisynth,
}

#: The inference methods that draw at random, by design (SyntheticControl's "placebo" runs
#: every donor once, SyntheticDiD's draws donors as pseudo-treated).
RANDOM_WORDS = {"bootstrap", "wild", "randomization"}
RANDOM_BY_DESIGN = {
    "SyntheticDiD": RANDOM_WORDS | {"placebo"},
    "StaggeredSyntheticDiD": RANDOM_WORDS | {"placebo"},
    "SyntheticControl": RANDOM_WORDS | {"conformal"},  # with permutations="iid"
}

# every design x every random inference method, with few draws (the rule, not the precision)
RANDOM: list[tuple[str, str, dict[str, Any]]] = [
    ("ITS", "bootstrap", {"draws": 49}),
    ("DiD", "wild", {"draws": 99}),
    ("DiD", "randomization", {"permutations": 99}),
    ("EventStudy", "wild", {"draws": 99}),
    ("StaggeredDiD", "bootstrap", {"draws": 99}),
    ("SunAbraham", "bootstrap", {"draws": 99}),
    ("Imputation", "bootstrap", {"draws": 99}),
    ("SyntheticDiD", "placebo", {"draws": 50}),
    ("SyntheticDiD", "bootstrap", {"draws": 50}),
    ("StaggeredSyntheticDiD", "placebo", {"draws": 50}),
    ("StaggeredSyntheticDiD", "bootstrap", {"draws": 50}),
    ("SyntheticControl", "conformal", {"permutations": "iid", "draws": 99}),
]


def _fit(design: Any, method: str, options: dict[str, Any], **more: Any) -> Any:
    if not isinstance(design, ve.ITS | ve.DiD | ve.EventStudy):
        return design.fit(inference=method, **options, **more)
    return design.fit(method, **options, **more)


def test_every_random_method_is_listed() -> None:
    """The list above covers each design's random methods (the options tables name them)."""
    exported = {n for n in ve.__all__ if isinstance(getattr(ve, n), type)}
    assert {n for n in exported if hasattr(getattr(ve, n), "OPTIONS")} <= set(DESIGNS)
    for name in DESIGNS:
        cls = getattr(ve, name)
        methods = set(cls.OPTIONS.methods()) & RANDOM_BY_DESIGN.get(name, RANDOM_WORDS)
        listed = {m for d, m, _ in RANDOM if getattr(ve, d) is cls}
        assert methods == listed, name


@pytest.mark.parametrize(
    ("name", "method", "options"), RANDOM, ids=[f"{d}-{m}" for d, m, _ in RANDOM]
)
def test_random_inference_needs_a_seed_and_repeats_with_it(
    name: str, method: str, options: dict[str, Any]
) -> None:
    design = DESIGNS[name]()
    with pytest.raises(ValueError, match="random draws need an explicit seed"):
        _fit(design, method, options)
    first = _fit(design, method, options, seed=11)
    again = _fit(design, method, options, seed=11)
    pd.testing.assert_frame_equal(first.effects(), again.effects(), check_exact=True)
    other = _fit(design, method, options, seed=12).effects()
    moved = [not first.effects()[c].equals(other[c]) for c in ("std_error", "p_value", "conf_low")]
    assert any(moved), "another seed should give other draws"
    assert first.seed == 11
    assert first.settings["inference"] == method
    assert first.to_dict()["seed"] == 11


@pytest.mark.parametrize(
    ("name", "method"),
    [("ITS", "hac"), ("DiD", "cr1"), ("EventStudy", "cr2"), ("StaggeredDiD", "analytic")],
)
def test_deterministic_fits_record_no_seed(name: str, method: str) -> None:
    """A seed given to a deterministic fit is not recorded: the result says it used none."""
    design = DESIGNS[name]()
    res = _fit(design, method, {}, seed=5)
    assert res.seed is None and res.settings["inference"] == method


@pytest.mark.parametrize("name", list(DESIGNS))
def test_design_options_are_read_only(name: str) -> None:
    """``did.estimator = "bogus"`` passed every check and failed after the estimation had run;
    now every public attribute of every design refuses assignment."""
    design = DESIGNS[name]()
    public = [n for n in dir(design) if not n.startswith("_") and not callable(getattr(design, n))]
    public = [n for n in public if n != "OPTIONS"]  # the class's table (a read-only mapping)
    assert public or name == "ITS", name
    for attr in public:
        with pytest.raises(AttributeError):
            setattr(design, attr, "bogus")
    if name == "DiD":
        assert {"estimator", "treated", "start", "scale", "weights"} <= set(public)
        with pytest.raises(AttributeError, match="estimator"):
            design.estimator = "bogus"


def test_did_validates_in_its_constructor() -> None:
    """``DiD(css, "css_robbery", start="1990/91")`` was accepted and failed only at fit."""
    css = ve.datasets.crime_severity()
    with pytest.raises(ValueError, match="no pre-treatment period"):
        ve.DiD(css, "css_robbery", start="1990/91")
    with pytest.raises(ValueError, match="reference event time -500 is not in the data"):
        knife = ve.datasets.knife_quarterly()
        ve.EventStudy(knife, "knife_offences", start="2016Q2", reference=-500)


def test_options_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        ve.DiD.OPTIONS.fit["draws"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        ve.DiD.OPTIONS.fit["draws"].default = 1  # type: ignore[misc]
