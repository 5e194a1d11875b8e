"""The sensitivity analysis run after the fit of a staggered design (Callaway & Sant'Anna)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.sensitivity import honest_did_arrays
from vrueval.sensitivity.sources import from_result

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "mpdta.csv.gz")


def _fit(frame: pd.DataFrame, base_period: str):
    return ve.StaggeredDiD(
        frame,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        base_period=base_period,  # type: ignore[arg-type]
    ).fit()


def test_staggered_event_time_covariance_is_that_of_the_influence_functions(mpdta):
    res = _fit(mpdta, "universal")
    src = from_result(res)
    es = res.event_study()
    kept = es[es["event_time"] != -1]
    # the reference cell e=-1 is zero by construction and left out
    assert list(src.event_times) == kept["event_time"].tolist()
    np.testing.assert_allclose(src.beta, kept["estimate"], rtol=1e-12)
    # the diagonal is the analytic standard errors the result reports
    np.testing.assert_allclose(np.sqrt(np.diag(src.sigma)), kept["std_error"], rtol=1e-10)
    sens = res.sensitivity("relative_magnitude", bounds=[0, 1], breakdown=False, seed=0)
    same = honest_did_arrays(
        src.beta,
        src.sigma,
        3,
        4,
        bounds=[0, 1],
        event_times=src.event_times,
        breakdown=False,
        seed=0,
    )
    pd.testing.assert_frame_equal(sens.effects(), same.effects())
    assert sens.term == "att:e=0"


def test_varying_base_period_is_refused(mpdta):
    with pytest.raises(ValueError, match="base_period='universal'"):
        _fit(mpdta, "varying").sensitivity("smoothness")


def test_other_objects_are_refused():
    with pytest.raises(TypeError, match="honest_did_arrays"):
        ve.sensitivity.honest_did(object())
