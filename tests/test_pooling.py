"""Random-effects pooling (vrueval.pooling) against statsmodels and R metafor.

References: tests/reference/pooling_statsmodels.{py,json} (combine_effects, DL) and
tests/reference/pooling_reference.{R,json} (metafor::rma, DL and REML), both on
tests/reference/pooling_inputs.csv (pooling_make_inputs.py). Tolerances: DL is closed form,
rtol 1e-10; REML is iterated to 1e-12 here and in metafor, rtol 1e-7 (atol 1e-9 for tau^2 = 0).
Prediction intervals: the default t with k - 2 df against metafor's ``pi.type = "riley"``, and
``prediction="z"`` against its default (normal) ``predict``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrueval import pooling

REF = Path(__file__).resolve().parent / "reference"
INPUTS = pd.read_csv(REF / "pooling_inputs.csv")
STATSMODELS = json.loads((REF / "pooling_statsmodels.json").read_text())["results"]
METAFOR = json.loads((REF / "pooling_reference.json").read_text())["results"]
DATASETS = sorted(INPUTS["dataset"].unique())
FIELDS = ("estimate", "std_error", "conf_low", "conf_high", "tau2", "i2", "q")
TOL = {"DL": {"rtol": 1e-10, "atol": 1e-12}, "REML": {"rtol": 1e-7, "atol": 1e-9}}


def fit(dataset: str, method: str, prediction: str = "t") -> pooling.PooledEstimate:
    d = INPUTS[INPUTS["dataset"] == dataset]
    return pooling.random_effects(
        d["estimate"],
        d["std_error"],
        method=method,
        labels=d["label"],  # type: ignore[arg-type]
        prediction=prediction,  # type: ignore[arg-type]
    )


def test_inputs_are_the_recorded_area_estimates() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("mk", REF / "pooling_make_inputs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = pd.DataFrame(module.rows(), columns=INPUTS.columns)
    pd.testing.assert_frame_equal(fresh, INPUTS, rtol=1e-15)
    assert (INPUTS["dataset"] == "knife_areas").sum() == 20


@pytest.mark.parametrize("dataset", DATASETS)
def test_dersimonian_laird_matches_statsmodels(dataset: str) -> None:
    res = fit(dataset, "DL")
    ref = STATSMODELS[dataset]["DL"]
    for field in FIELDS:
        np.testing.assert_allclose(getattr(res, field), ref[field], **TOL["DL"], err_msg=field)
    np.testing.assert_allclose(res.weights, ref["weights"], **TOL["DL"])


@pytest.mark.parametrize("method", ["DL", "REML"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_matches_metafor(dataset: str, method: str) -> None:
    res = fit(dataset, method)
    ref = METAFOR[dataset][method]
    for field in (*FIELDS, "p_value", "q_p_value"):
        np.testing.assert_allclose(getattr(res, field), ref[field], **TOL[method], err_msg=field)
    np.testing.assert_allclose(res.weights, ref["weights"], **TOL[method])
    # default: t with k - 2 df, metafor's pi.type = "riley"
    assert res.prediction == "t" and res.prediction_df == ref["prediction_t_df"] == res.k - 2
    for end in ("low", "high"):
        ours, theirs = getattr(res, f"prediction_{end}"), ref[f"prediction_t_{end}"]
        np.testing.assert_allclose(ours, theirs, **TOL[method], err_msg=end)
    # prediction="z": metafor's default predict (test = "z")
    z = fit(dataset, method, prediction="z")
    assert z.prediction == "z" and z.prediction_df is None
    for field in ("prediction_low", "prediction_high"):
        np.testing.assert_allclose(getattr(z, field), ref[field], **TOL[method], err_msg=field)
    assert z.estimate == res.estimate and z.conf_low == res.conf_low
    assert res.prediction_low < z.prediction_low and res.prediction_high > z.prediction_high
    # metafor's test = "t" would use k - 1 df: not what Higgins et al. recommend
    assert ref["test_t_prediction_df"] == res.k - 1


def test_heterogeneous_set_separates_the_methods() -> None:
    dl, reml = fit("heterogeneous", "DL"), fit("heterogeneous", "REML")
    assert dl.tau2 > 0 and reml.tau2 > 0
    assert abs(dl.tau2 - reml.tau2) > 1.0  # the references can tell a DL-for-REML mix-up
    assert dl.q == reml.q and dl.q_df == 7


def test_homogeneous_estimates_give_zero_tau2_and_the_fixed_effect_mean() -> None:
    y, se = np.array([1.0, 1.1, 0.9, 1.05]), np.array([1.0, 2.0, 1.5, 1.2])
    for method in ("DL", "REML"):
        res = pooling.random_effects(y, se, method=method)
        assert res.tau2 == 0.0 and res.i2 == 0.0
        w = 1 / se**2
        assert res.estimate == pytest.approx(float(w @ y / w.sum()), rel=1e-14)
        z = pooling.random_effects(y, se, method=method, prediction="z")
        assert z.prediction_low == pytest.approx(z.conf_low, rel=1e-14)


def test_to_dict_is_json_safe() -> None:
    out = fit("knife_areas", "REML").to_dict()
    assert json.loads(json.dumps(out))["k"] == 20
    assert out["labels"][0] == "avon_and_somerset"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"estimates": [1.0], "std_errors": [1.0]}, "at least 2"),
        ({"estimates": [1.0, 2.0], "std_errors": [1.0]}, "one length"),
        ({"estimates": [1.0, float("nan")], "std_errors": [1.0, 1.0]}, r"missing .* \['1'\]"),
        ({"estimates": [1.0, 2.0], "std_errors": [1.0, 0.0], "labels": ["x", "y"]}, r"\['y'\]"),
        ({"estimates": [1.0, 2.0], "std_errors": [1.0, 1.0], "method": "PM"}, "one of"),
        ({"estimates": [1.0, 2.0], "std_errors": [1.0, 1.0], "level": 95}, "level"),
        ({"estimates": [1.0, 2.0, 3.0], "std_errors": [1.0] * 3, "prediction": "T"}, "prediction"),
        ({"estimates": [1.0, 2.0], "std_errors": [1.0, 1.0]}, r"at least 3 .* prediction='z'"),
    ],
)
def test_bad_input_is_refused_by_name(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pooling.random_effects(**kwargs)


def test_shared_comparator_correlation_widens_the_standard_error_exactly() -> None:
    """The standard error with ``correlation`` equals the weighted mean's variance under the full
    covariance matrix, built here element by element; the point estimate and tau2 do not move."""
    y = [3.0, -1.0, 7.5, 2.0, 0.5]
    se = [2.0, 1.5, 3.0, 2.5, 1.0]
    rho = 1 / 23
    base = pooling.random_effects(y, se, method="REML")
    shared = pooling.random_effects(y, se, method="REML", correlation=rho)
    assert shared.estimate == base.estimate and shared.tau2 == base.tau2
    w = np.asarray(shared.weights)
    s = np.asarray(se)
    cov = np.array(
        [
            [s[i] ** 2 + base.tau2 if i == j else rho * s[i] * s[j] for j in range(len(s))]
            for i in range(len(s))
        ]
    )
    np.testing.assert_allclose(shared.std_error, np.sqrt(w @ cov @ w), rtol=1e-12)
    assert shared.std_error > base.std_error and shared.p_value > base.p_value
    # equal variances and no heterogeneity: v/k (1 + (k - 1) rho)
    equal = pooling.random_effects([1.0, 2.0, 3.0, 4.0], [1.0] * 4, method="DL", correlation=0.1)
    if equal.tau2 == 0.0:
        np.testing.assert_allclose(equal.std_error**2, 1 / 4 * (1 + 3 * 0.1), rtol=1e-12)


@pytest.mark.parametrize("rho", [-0.1, 1.0, float("nan")])
def test_correlation_outside_zero_one_is_refused(rho: float) -> None:
    with pytest.raises(ValueError, match="correlation"):
        pooling.random_effects([1.0, 2.0], [1.0, 1.0], correlation=rho)


def test_comparator_correlation_is_one_over_n0_plus_one_for_a_shared_set() -> None:
    from vrueval.reporting.areas_page import comparator_correlation

    same = [frozenset(f"c{i}" for i in range(22))] * 3
    assert comparator_correlation(same) == pytest.approx(1 / 23, rel=1e-12)
    disjoint = [frozenset({"a", "b"}), frozenset({"c", "d"})]
    assert comparator_correlation(disjoint) == 0.0
