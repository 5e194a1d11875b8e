"""Augmented (Ben-Michael, Feller and Rothstein 2021) and penalised (Abadie and L'Hour 2021)
synthetic control, against published numbers and independent references.

References (scripts in tests/reference/):

* The ``augsynth`` single-outcome vignette (R package ``augsynth``, repository
  ebenmichael/augsynth at f942957, ``vignettes/singlesynth-vignette.md``), Kansas tax cuts, log
  GDP per capita, 1990 Q1 - 2016 Q1, Kansas treated from 2012 Q2; printed:
  synth ``Average ATT Estimate -0.0294``, ``L2 Imbalance: 0.083``, ``Percent improvement from
  uniform weights: 79.5%``, ``7 donor units used with weights of 0.053 to 0.301``; ridge ASCM
  (lambda by its cross-validation) ``-0.0401``, ``L2 Imbalance: 0.062``, ``84.7%``, ``Avg
  Estimated Bias: 0.011`` and the 16 period estimates below. Tolerance: half a unit of the
  printed digit.
* pysyncon 1.7.0 ``AugSynth`` (``augsynth_kansas_pysyncon.py``): cross-validation errors on the
  R package's grid within 1e-4 relative (its inner SLSQP stops near, not at, the synthetic
  control optimum: that is the whole difference), the same chosen penalty (to 1e-12, the same
  grid point), weights within 1e-4 and the ATT within 1e-6 at that penalty.
* Base R, exact by enumerating supports (``penalized_sc_reference.R``): the penalised weights
  for penalties 0, 0.01, 0.1, 1 and 10, within 1e-8 (both exact; rounding only). pysyncon's
  ``PenalizedSynth`` (SLSQP) reaches an objective no lower than ours.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.designs.synthetic import augmented as aug
from vrueval.designs.synthetic.data import SyntheticDataError
from vrueval.designs.synthetic.weights import penalized_simplex, simplex_least_squares, simplex_qp

REF = Path(__file__).parent / "reference"
PYSYNCON = json.loads((REF / "augsynth_kansas_pysyncon.json").read_text())
EXACT = json.loads((REF / "penalized_sc_reference.json").read_text())

#: The augsynth vignette's ridge ASCM estimates, 2012 Q2 - 2016 Q1 (printed to 3 decimals).
VIGNETTE_ASCM_PATH = [
    -0.022,
    -0.047,
    -0.043,
    -0.030,
    -0.041,
    -0.059,
    -0.045,
    -0.058,
    -0.055,
    -0.041,
    -0.029,
    -0.040,
    -0.030,
    -0.033,
    -0.029,
    -0.038,
]


@pytest.fixture(scope="module")
def kansas(raw_data) -> pd.DataFrame:
    return pd.read_csv(raw_data / "augsynth_kansas" / "kansas_lngdpcapita.csv")


def kansas_design(frame: pd.DataFrame, **kw) -> ve.SyntheticControl:
    return ve.SyntheticControl(
        frame, unit="state", time="year_qtr", outcome="lngdpcapita", treated="treated", **kw
    )


@pytest.fixture(scope="module")
def synth(kansas):
    return kansas_design(kansas).fit(inference="none")


@pytest.fixture(scope="module")
def ascm(kansas):
    return kansas_design(kansas, method="augmented").fit(inference="none")


def _l2(weights: pd.DataFrame, frame: pd.DataFrame) -> tuple[float, float]:
    """L2 pre-period imbalance of the weights and of uniform weights."""
    pre = frame[frame["year_qtr"] < 2012.25].pivot(
        index="state", columns="year_qtr", values="lngdpcapita"
    )
    w = weights.set_index("unit")["weight"]
    donors = pre.drop(index="Kansas").loc[w.index]
    gap = pre.loc["Kansas"] - w @ donors
    uniform = pre.loc["Kansas"] - donors.mean()
    return float(np.linalg.norm(gap)), float(np.linalg.norm(uniform))


def test_synth_reproduces_the_vignette(synth, kansas):
    eff = synth.effects().set_index("term")
    assert eff.loc["att", "estimate"] == pytest.approx(-0.0294, abs=5e-5)
    w = synth.weights()
    used = w[w["weight"] > 1e-6]["weight"]
    assert len(used) == 7
    assert used.min() == pytest.approx(0.053, abs=5e-4)
    assert used.max() == pytest.approx(0.301, abs=5e-4)
    l2, uniform = _l2(w, kansas)
    assert l2 == pytest.approx(0.083, abs=5e-4)
    assert 100 * (1 - l2 / uniform) == pytest.approx(79.5, abs=0.05)


def test_augmented_reproduces_the_vignette(ascm, kansas):
    eff = ascm.effects().set_index("term")
    assert eff.loc["att", "estimate"] == pytest.approx(-0.0401, abs=5e-5)
    path = eff.drop(index="att")["estimate"].to_numpy()
    np.testing.assert_allclose(path, VIGNETTE_ASCM_PATH, atol=5e-4 + 1e-12)
    d = ascm.diagnostics
    assert d["l2_imbalance"] == pytest.approx(0.062, abs=5e-4)
    assert 100 * (1 - d["scaled_l2_imbalance"]) == pytest.approx(84.7, abs=0.05)
    assert d["estimated_bias"] == pytest.approx(0.011, abs=5e-4)
    assert d["ridge_rule"] == "cv_1se"
    # augsynth's "49 donor units used with weights of 0.001 to 0.316" counts |weights|
    w = ascm.weights()
    assert w["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert w["weight"].max() == pytest.approx(0.316, abs=5e-4)
    assert (w["weight"] < 0).any()  # the ridge extrapolates
    # ... and the result says so, not only its diagnostics
    (said,) = [m for m in ascm.warnings if "augmented weights are negative" in m]
    n_neg = int((w["weight"] < -1e-10).sum())
    assert f"on {n_neg} of {len(w)} donors" in said
    assert f"total {d['negative_weight_total']:.3g}" in said
    l2, _ = _l2(w, kansas)
    assert l2 == pytest.approx(d["l2_imbalance"], rel=1e-12)
    assert ascm.design == "Augmented synthetic control"


def test_augmented_against_pysyncon(ascm):
    ref = PYSYNCON["augsynth"]
    cv = ascm.diagnostics["ridge_cv"]
    np.testing.assert_allclose(cv["lambda"], ref["r_grid"], rtol=1e-12)
    np.testing.assert_allclose(cv["error"], ref["cv_errors"], rtol=1e-4)
    np.testing.assert_allclose(cv["std_error"], ref["cv_std_errors"], rtol=1e-3)
    assert ascm.diagnostics["ridge"] == pytest.approx(ref["cv_chosen_on_r_grid"], rel=1e-12)
    assert ascm.diagnostics["ridge"] == pytest.approx(ref["lambda"], rel=1e-12)
    w = ascm.weights().set_index("unit")["weight"].loc[ref["donors"]]
    np.testing.assert_allclose(w, ref["weights"], atol=1e-4)
    eff = ascm.effects().set_index("term")
    assert eff.loc["att", "estimate"] == pytest.approx(ref["att"], abs=1e-6)
    np.testing.assert_allclose(eff.drop(index="att")["estimate"], ref["att_path"], atol=1e-5)
    assert ascm.diagnostics["estimated_bias"] == pytest.approx(ref["avg_bias"], abs=1e-6)


def test_supplied_ridge_and_its_limits(kansas, synth):
    """A supplied penalty is used as given; a huge one leaves synthetic control unchanged,
    a small one fits the pre-period more closely."""
    lam = PYSYNCON["augsynth"]["lambda"]
    given = kansas_design(kansas, method="augmented", ridge=lam).fit(inference="none")
    assert given.diagnostics["ridge_rule"] == "supplied"
    assert given.settings["ridge"] == lam
    huge = kansas_design(kansas, method="augmented", ridge=1e12).fit(inference="none")
    np.testing.assert_allclose(huge.effects()["estimate"], synth.effects()["estimate"], atol=1e-8)
    assert not any("negative" in m for m in huge.warnings)  # no correction, no extrapolation
    small = kansas_design(kansas, method="augmented", ridge=1e-4).fit(inference="none")
    assert small.diagnostics["l2_imbalance"] < given.diagnostics["l2_imbalance"]


def test_ridge_correction_matches_the_direct_formula():
    rng = np.random.default_rng(3)
    z0, z1 = rng.normal(size=(12, 7)), rng.normal(size=7)
    w = simplex_least_squares(z0.T, z1)
    zc, z1c = aug.centred(z0, z1)
    direct = zc @ np.linalg.solve(zc.T @ zc + 0.3 * np.eye(7), z1c - zc.T @ w)
    np.testing.assert_allclose(aug.correction(zc, z1c, w, 0.3), direct, atol=1e-12)
    assert aug.correction(zc, z1c, w, 0.3).sum() == pytest.approx(0.0, abs=1e-12)


def test_penalized_weights_against_the_exact_enumeration():
    ref = PYSYNCON["penalized"]
    x0, x1 = np.asarray(ref["scaled_x0"]), np.asarray(ref["scaled_x1"])
    for lam, fit in EXACT["fits"].items():
        w = penalized_simplex(x0, x1, float(lam))
        np.testing.assert_allclose(w, fit["weights"], atol=1e-8, err_msg=lam)
        value = ((x1 - x0 @ w) ** 2).sum() + float(lam) * w @ ((x0 - x1[:, None]) ** 2).sum(0)
        assert value == pytest.approx(fit["objective"], rel=1e-10)


def test_penalized_weights_no_worse_than_pysyncon():
    ref = PYSYNCON["penalized"]
    x0, x1 = np.asarray(ref["scaled_x0"]), np.asarray(ref["scaled_x1"])
    for lam, fit in ref["fits"].items():
        w = penalized_simplex(x0, x1, float(lam))
        # pysyncon's loss: w'Pw/2 - x1'X0 w + lam/2 d'w = (our objective - x1'x1) / 2
        ours = (
            0.5 * (((x1 - x0 @ w) ** 2).sum() + float(lam) * w @ ((x0 - x1[:, None]) ** 2).sum(0))
            - 0.5 * x1 @ x1
        )
        assert ours <= fit["loss_W"] + 1e-9, lam
    # where SLSQP converges (penalties 0.1 and 1) the weights agree
    for lam in ("0.1", "1.0"):
        np.testing.assert_allclose(
            penalized_simplex(x0, x1, float(lam)), ref["fits"][lam]["weights"], atol=1e-4
        )


def test_penalty_limits_on_the_design(kansas, synth):
    """penalty=0 is ADH's synthetic control exactly; a large penalty is nearest-neighbour
    matching on the pre-period outcomes."""
    zero = kansas_design(kansas, penalty=0.0).fit(inference="none")
    pd.testing.assert_frame_equal(zero.effects(), synth.effects())
    pd.testing.assert_frame_equal(zero.weights(), synth.weights())
    big = kansas_design(kansas, penalty=1e6).fit(inference="none")
    w = big.weights()
    pre = kansas[kansas["year_qtr"] < 2012.25].pivot(
        index="state", columns="year_qtr", values="lngdpcapita"
    )
    distance = ((pre.drop(index="Kansas") - pre.loc["Kansas"]) ** 2).sum(axis=1)
    assert w.loc[0, "unit"] == distance.idxmin()
    assert w.loc[0, "weight"] == pytest.approx(1.0, abs=1e-9)
    assert big.design == "Penalised synthetic control"
    assert big.settings["penalty"] == 1e6
    mid = kansas_design(kansas, penalty=0.05).fit(inference="none")
    # the penalty trades pre-period fit for closeness of each donor used
    assert synth.diagnostics["pre_rmspe"] <= mid.diagnostics["pre_rmspe"]
    assert mid.diagnostics["pre_rmspe"] <= big.diagnostics["pre_rmspe"]


def test_penalty_with_predictors_and_nested_v():
    """The penalty goes through the predictor metric and the nested V alike."""
    from test_synthetic_control import convex_panel

    frame, _ = convex_panel()
    base = dict(unit="unit", time="year", outcome="y", treated=["T"], start=2005)
    for v in (None, [1.0, 2.0]):
        plain = ve.SyntheticControl(frame, predictors=["x", ("y", [2000, 2004])], v=v, **base)
        pen = ve.SyntheticControl(
            frame, predictors=["x", ("y", [2000, 2004])], v=v, penalty=1e4, **base
        )
        w0 = plain.fit(inference="none").weights()
        w1 = pen.fit(inference="none").weights()
        assert w1["weight"].sum() == pytest.approx(1.0)
        assert w1.loc[0, "weight"] == pytest.approx(1.0, abs=1e-6)  # one nearest donor
        assert (w0["weight"] > 1e-6).sum() > 1


def test_simplex_qp_kkt_on_random_problems():
    rng = np.random.default_rng(11)
    for _ in range(100):
        m, n = rng.integers(2, 30), rng.integers(2, 40)
        a, b = rng.normal(size=(m, n)), rng.normal(size=m)
        lam = float(rng.uniform(0, 2))
        d = ((a - b[:, None]) ** 2).sum(0)
        x = simplex_qp(2 * a.T @ a, -2 * a.T @ b + lam * d)
        g = 2 * a.T @ (a @ x - b) + lam * d
        on = x > 0
        scale = max(1.0, float(np.abs(g).max()))
        assert x.sum() == pytest.approx(1.0, abs=1e-12) and (x >= 0).all()
        assert np.ptp(g[on]) < 1e-7 * scale
        assert (g[~on] >= g[on].mean() - 1e-7 * scale).all()
        if lam == 0:
            continue
        plain = simplex_least_squares(a, b)
        assert ((a @ plain - b) ** 2).sum() <= ((a @ x - b) ** 2).sum() + 1e-9


def test_refusals(kansas):
    from test_synthetic_control import convex_panel

    frame, _ = convex_panel()
    base = dict(unit="unit", time="year", outcome="y", treated=["T"], start=2005)
    with pytest.raises(ValueError, match="method must be one of"):
        ve.SyntheticControl(frame, method="ridge", **base)
    with pytest.raises(ValueError, match="ridge=0.5 applies to method 'augmented'"):
        ve.SyntheticControl(frame, ridge=0.5, **base)
    with pytest.raises(ValueError, match="penalty=1.0 applies to method 'synth'"):
        ve.SyntheticControl(frame, method="augmented", penalty=1.0, **base)
    with pytest.raises(ValueError, match="penalty must be"):
        ve.SyntheticControl(frame, penalty=-1.0, **base)
    with pytest.raises(ValueError, match="ridge must be a positive"):
        ve.SyntheticControl(frame, method="augmented", ridge=0.0, **base)
    with pytest.raises(SyntheticDataError, match="leave out predictors"):
        ve.SyntheticControl(frame, method="augmented", predictors=["x"], **base)


def test_augmented_placebos_run_the_same_rule():
    """Each placebo cross-validates its own penalty: the treated unit with a planted effect
    ranks first, as in plain synthetic control."""
    from test_synthetic_control import convex_panel

    frame, _ = convex_panel(n0=10, t0=10)
    res = ve.SyntheticControl(
        frame,
        unit="unit",
        time="year",
        outcome="y",
        treated=["T"],
        start=2000,
        method="augmented",
    ).fit()
    eff = res.effects().set_index("term")
    assert eff.loc["att", "estimate"] == pytest.approx(10.0, abs=0.5)
    assert eff.loc["att", "p_value"] == pytest.approx(1 / 11)
    assert len(res.placebos()) == 10
    out = res.to_dict()
    assert "sc_weight" in out["weights"][0]
    assert len(out["diagnostics"]["ridge_cv"]["lambda"]) == aug.GRID_SIZE + 1
