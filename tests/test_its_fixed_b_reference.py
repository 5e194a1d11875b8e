"""Fixed-b HAC adjustments computed once per distinct contrast (FixedBReference).

A result asks for the fixed-b adjustment of several contrast sets that share most of their
contrasts (fitted and counterfactual paths, their difference and ratio, the coefficients, the
impact sums). The reference keeps each distinct contrast's costly terms; these tests hold it to
the direct :func:`~vrueval.inference.hac.fixed_b_adjustment` -- the cache may save time, never
move a number -- and count the contrasts it computes.

Tolerance: ``RTOL`` = 1e-13, not zero. The reference lays its blocks out so that BLAS rounds
every column as the direct call does, and on the machines this was written on the two agree bit
for bit; but which kernel OpenBLAS picks for the last columns of a product depends on the CPU, so
another CPU may differ in the last bit. 1e-13 is hundreds of units in the last place and nine
orders of magnitude below any tolerance in ``vrueval verify``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.inference import hac

UNITS, MONTHS, PRE = 8, 36, 21  # 2018-01 .. 2020-12, interruption 2019-10
RTOL = 1e-13  # see the module notes


def _same(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> None:
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=RTOL, atol=0, equal_nan=True)


def _design(n: int = 107, seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n = 107 months (as its_hes_age_10_19_london_fall): with a multiple of 8 (80, 200) BLAS
    rounds the tail of ``K @ B`` as the rest, and a lost tail layout would go unseen."""
    t = np.arange(n)
    X = np.column_stack([np.ones(n), t, np.cos(t), t >= n // 2, np.maximum(0, t - n // 2)]).astype(
        float
    )  # k = 5: m k leaves every remainder mod 4 as m varies
    Q, _ = np.linalg.qr(X)
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(30, X.shape[1]))
    return hac.kernel_matrix(t, "bartlett", 14), Q, X @ np.linalg.inv(X.T @ X) @ C.T


def test_reference_equals_direct_call_bit_for_bit_and_computes_each_contrast_once() -> None:
    K, Q, G = _design()
    ref = hac.FixedBReference(K, Q, block=8)
    _same(ref(G[:, :28]), hac.fixed_b_adjustment(K, Q, G[:, :28]))
    assert ref.computed == 28
    # repeats, a subset, zero columns: nothing new to compute, the same numbers as directly
    mixed = np.column_stack([G[:, [3, 3, 7]], np.zeros((len(G), 3)), G[:, :6]])  # m k = 60
    _same(ref(mixed), hac.fixed_b_adjustment(K, Q, mixed))
    assert ref.computed == 28
    # one new contrast among known ones (computed in a padded block of its own)
    new = np.column_stack([G[:, :4], G[:, 28]])  # m k = 25: G[:, 28] reaches BLAS's tail
    _same(ref(new), hac.fixed_b_adjustment(K, Q, new))
    assert ref.computed == 29
    new = np.column_stack([G[:, 29], G[:, :3]])  # m k = 20: no tail
    _same(ref(new), hac.fixed_b_adjustment(K, Q, new))
    assert ref.computed == 30
    # a single contrast goes to the direct call (NumPy sums one column along another path)
    _same(ref(G[:, [2]]), hac.fixed_b_adjustment(K, Q, G[:, [2]]))
    assert ref.computed == 31
    with pytest.raises(ValueError, match="block"):
        hac.FixedBReference(K, Q, block=6)


@pytest.mark.parametrize("m", range(2, 12))
def test_reference_equals_direct_call_whatever_the_tail(m: int) -> None:
    """Every remainder of m k mod 4 and every order, after other sets filled the cache."""
    K, Q, G = _design(seed=m)
    ref = hac.FixedBReference(K, Q, block=8)
    rng = np.random.default_rng(m)
    for _ in range(6):
        cols = rng.choice(G.shape[1], size=m, replace=True)
        _same(ref(G[:, cols]), hac.fixed_b_adjustment(K, Q, G[:, cols]))


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(20191003)
    periods = pd.period_range("2018-01", periods=MONTHS, freq="M")
    rows = []
    for u in range(UNITS):
        base = rng.uniform(2, 12)
        for p in periods:
            season = 0.1 * np.sin(2 * np.pi * p.month / 12)
            mu = base * np.exp(season - 0.1 * (p >= pd.Period("2019-10", "M")))
            rows.append((f"U{u:02d}", str(p), rng.poisson(mu)))
    return pd.DataFrame(rows, columns=["unit", "period", "knife"])


def _panel(frame: pd.DataFrame) -> ve.Panel:
    return ve.Panel.from_frame(
        frame, unit="unit", time="period", outcome="knife", frequency="month", geography="custom"
    )


def _pooled() -> ve.ITS:
    """As analyses/supplied/its_mopac_knife_victims_u25.toml: pooled Poisson, level change,
    month dummies, lockdown months excluded, Driscoll-Kraay HAC with the fixed-b reference."""
    return ve.ITS(
        _panel(_frame()),
        {"vru": "2019-10"},
        units=[f"U{u:02d}" for u in range(UNITS)],
        outcome="knife",
        change="level",
        model="poisson",
        response="count",
        seasonality="dummies",
        lockdown=["2020-03", "2020-12"],
        lockdown_handling="exclude",
    )


def _single() -> ve.ITS:
    """One series, OLS, level and slope change: the single-series fixed-b path."""
    frame = _frame()
    one = _panel(frame.loc[frame["unit"] == "U03"])
    return ve.ITS(one, {"vru": "2019-10"}, outcome="knife", seasonality="dummies", model="ols")


@pytest.fixture
def uncached(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every contrast set straight through fixed_b_adjustment, as before the reference."""

    def direct(self: hac.FixedBReference, G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return hac.fixed_b_adjustment(self.K, self.Q, G)

    with monkeypatch.context() as m:
        m.setattr(hac.FixedBReference, "__call__", direct)
        yield


@pytest.mark.parametrize("case", ["pooled", "single_bartlett", "single_ewc"])
def test_tables_identical_with_and_without_the_reference(
    case: str, request: pytest.FixtureRequest
) -> None:
    """Effects, counterfactual bands, impact and coefficients: equal to ``RTOL``."""

    def fit() -> dict[str, pd.DataFrame]:
        if case == "pooled":
            res = _pooled().fit("hac")
        else:
            res = _single().fit("hac", hac_kernel=case.rsplit("_", 1)[1])
        return {
            "effects": res.effects(),
            "counterfactual": res.counterfactual(),
            "impact": res.impact(),
            "coefficients": res.coefficients(),
        }

    cached = fit()
    request.getfixturevalue("uncached")
    assert hac.FixedBReference.__call__.__name__ == "direct"
    direct = fit()
    for name, frame in cached.items():
        pd.testing.assert_frame_equal(
            frame, direct[name], check_exact=False, rtol=RTOL, atol=0, obj=name
        )


def test_pooled_its_computes_each_distinct_contrast_once(monkeypatch: pytest.MonkeyPatch) -> None:
    refs: list[hac.FixedBReference] = []
    asked: list[np.ndarray] = []
    init, call = hac.FixedBReference.__init__, hac.FixedBReference.__call__

    def spy_init(self: hac.FixedBReference, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        refs.append(self)

    def spy_call(self: hac.FixedBReference, G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        asked.append(np.array(G))
        return call(self, G)

    monkeypatch.setattr(hac.FixedBReference, "__init__", spy_init)
    monkeypatch.setattr(hac.FixedBReference, "__call__", spy_call)
    res = _pooled().fit("hac")
    res.to_dict()
    (ref,) = refs
    k = 1 + (UNITS - 1) + 1 + 11 + 1  # intercept, unit effects, trend, months, level change
    rows, post = UNITS * MONTHS, UNITS * (MONTHS - PRE)
    # effects (1), fitted / counterfactual / effect / ratio paths, impact twice, coefficients
    assert [G.shape[1] for G in asked] == [1, rows, rows, rows, rows, 3, 3, k]
    # once each: the single effect (a direct call), every distinct nonzero contrast, and the
    # contrasts reaching into BLAS's tail of a set (m k mod 4 columns: here the last impact
    # sum and the last coefficient), which are kept apart
    distinct, tails = set(), set()
    for G in asked[1:]:
        m = G.shape[1]
        first_tail = m - (-(-((m * k) % 4) // k))
        distinct |= {c.tobytes() for c in G.T[:first_tail] if np.any(c != 0)}
        if first_tail < m:
            tails.add(G.T[first_tail:].tobytes())
    assert len(tails) == 2
    assert ref.computed == 1 + len(distinct) + len(tails)
    # the fitted path, the counterfactual after the interruption (before it, it is the fitted
    # path), the effect after it (zero before), a handful of ratio contrasts (the level change
    # up to rounding), the coefficients, the impact sums: under a third of the 4 * rows + k + 7
    assert rows + 2 * post + k + 1 <= ref.computed <= rows + 3 * post + k + 3 + 1 + 2
    assert ref.computed < (4 * rows + k + 7) / 2
