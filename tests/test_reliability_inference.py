"""Reliability matrix of cluster-robust inference at the edges: one row a case.

Each row is an input (design, clusters, inference) and what must come out: a clear error
(``error``, matched against its message), a warning carried on the result (``warning``), or a
result without any few-clusters warning (``clean``). The rule behind the rows is
:func:`vrueval.inference.few_clusters.check`; the numbers behind its thresholds are in its
docstring and tests/test_did_size.py. Synthetic force panels (tests/cluster_panels.py) keep the
rows fast.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from cluster_panels import START, force_panel

import vrueval as ve
from vrueval import areas
from vrueval.data.panel import Panel
from vrueval.inference.few_clusters import TooFewClusters

VRU = areas.vru_2019()
NEVER = tuple(u for u in areas.comparators() if u != "E23000034")  # 22, City of London out


@cache
def panel() -> Panel:
    return force_panel(VRU, 1, seed=3)


def did(inference: str = "cr1", *, treated: Any = VRU[:18], comparators: Any = "never_funded",
        estimator: str = "twfe", **fit: Any) -> Callable[[], Any]:  # fmt: skip
    def run() -> Any:
        d = ve.DiD(panel(), "y0", start=START, treated=list(treated), comparators=comparators,
                   estimator=estimator)  # type: ignore[arg-type]  # fmt: skip
        return d.fit(inference, **fit)  # type: ignore[arg-type]

    return run


def event_study(inference: str, treated: Any, **fit: Any) -> Callable[[], Any]:
    return lambda: ve.EventStudy(panel(), "y0", start=START, treated=list(treated)).fit(
        inference, **fit
    )


def intensity(n_units: int, inference: str = "cr1", **fit: Any) -> Callable[[], Any]:
    units = [*VRU[:n_units]]
    share = dict(zip(units, np.linspace(0.2, 0.9, n_units), strict=True))
    return lambda: ve.DiD(panel(), "y0", start=START, intensity=share, comparators=[]).fit(
        inference, **fit
    )


def staggered(treated: Any) -> Callable[[], Any]:
    first = {u: "2019/20" for u in treated}
    return lambda: ve.StaggeredDiD(panel(), outcome="y0", first_treated=first).fit()


def one_intensity(inference: str, **fit: Any) -> Callable[[], Any]:
    """One unit with intensity 0.8 against the 22 never-funded comparators."""
    return lambda: ve.DiD(panel(), "y0", start=START, intensity={VRU[0]: 0.8}).fit(inference, **fit)


@cache
def no_post_panel() -> Panel:
    """:func:`panel` with the second VRU force's post-start cells missing."""
    d = panel().data
    gone = (d["unit"] == VRU[1]) & (d["period"] >= panel().period(START))
    frame = d.assign(value=d["value"].mask(gone))
    return Panel.from_frame(frame, frequency="financial_year", measure="score")


def no_post_cell(inference: str) -> Callable[[], Any]:
    """Two treated forces, one without any observed post-start cell (unbalanced TWFE)."""
    return lambda: ve.DiD(
        no_post_panel(), "y0", start=START, treated=list(VRU[:2]), missing="unbalanced"
    ).fit(inference)


def two_cohorts(
    n_never: int, control_group: str, n_first: int = 9, **fit: Any
) -> Callable[[], Any]:
    """The 18 VRU forces, ``n_first`` first treated in 2019/20 and the rest in 2020/21, against
    ``n_never`` never-treated forces."""
    first = {u: ("2019/20" if i < n_first else "2020/21") for i, u in enumerate(VRU)}
    units = [*VRU, *NEVER[:n_never]]

    def run() -> Any:
        p = force_panel(VRU, 1, seed=3, units=units)
        design = ve.StaggeredDiD(p, outcome="y0", first_treated=first, control_group=control_group)  # type: ignore[arg-type]
        return design.fit(**fit)

    return run


def power(n_treated: int) -> Callable[[], Any]:
    return lambda: ve.power.did(
        panel(), "y0", post=3, n_treated=n_treated, placebo="space", n_sims=20, seed=1
    )


ONE_VRU, TWO_UNITS = VRU[:1], dict(treated=VRU[:1], comparators=list(NEVER[:1]))
WILD = {"seed": 1, "draws": 199}
RI = {"seed": 1, "permutations": 199}

# (case, run, outcome, pattern)
CASES: list[tuple[str, Callable[[], Any], str, str]] = [
    ("CR1, one treated of 23", did("cr1", treated=ONE_VRU), "error",
     "one treated cluster.*randomization inference.*synthetic control"),
    ("CR2, one treated of 23", did("cr2", treated=ONE_VRU), "error", "one treated cluster"),
    ("wild bootstrap, one treated of 23", did("wild", treated=ONE_VRU, **WILD), "error",
     "cannot reject"),
    ("CR1, 22 treated against one comparator",
     did("cr1", treated=VRU, comparators=list(NEVER[:1])), "error", "one untreated cluster"),
    ("Poisson CR1, one treated", did("cr1", treated=ONE_VRU, estimator="poisson"), "error",
     "one treated cluster"),
    ("2x2 CR1, one treated", did("cr1", treated=ONE_VRU, estimator="2x2"), "error",
     "one treated cluster"),
    ("event study CR1, one treated", event_study("cr1", ONE_VRU), "error", "one treated"),
    ("event study CR2, one treated", event_study("cr2", ONE_VRU), "error", "one treated"),
    ("CR1, two units in all (the issue's SE 5e-14)", did("cr1", **TWO_UNITS), "error",
     "fewer than 3 clusters"),
    ("randomization, two units in all", did("randomization", **TWO_UNITS, **RI), "error",
     "fewer than 3 clusters"),
    ("wild bootstrap, two units in all", did("wild", **TWO_UNITS, **WILD), "error",
     "fewer than 3 clusters"),
    ("continuous intensity, two units", intensity(2), "error", "fewer than 3 clusters"),
    ("staggered DiD, one treated unit", staggered(ONE_VRU), "error", "one treated cluster"),
    ("power study of CR1, one treated", power(1), "error", "one treated cluster"),
    ("randomization, one treated of 23", did("randomization", treated=ONE_VRU, **RI),
     "warning", "exchangeable"),
    ("randomization, 3 treated against 3", did("randomization", treated=VRU[:3],
     comparators=list(NEVER[:3]), **RI), "warning", "cannot reject at this level"),
    ("CR1, 3 treated of 25", did("cr1", treated=VRU[:3]), "warning", "CR1 over-rejects"),
    ("CR1, 9 treated of 31", did("cr1", treated=VRU[:9]), "warning", "only 9 treated"),
    ("CR2, 3 treated of 25", did("cr2", treated=VRU[:3]), "warning", "conservative"),
    ("wild bootstrap, 2 treated of 24", did("wild", treated=VRU[:2], **WILD), "warning",
     "under-rejects"),
    ("wild bootstrap, Rademacher enumeration of 2 against 3", did("wild", treated=VRU[:2],
     comparators=list(NEVER[:3]), boot_weights="rademacher", **WILD), "warning",
     "5 clusters allow 32 Rademacher sign patterns.*2/32.*cannot reject at this level"),
    ("wild bootstrap, 4 against 4", did("wild", treated=VRU[:4], comparators=list(NEVER[:4]),
     **WILD), "warning", "only 8 clusters"),
    ("continuous intensity, 5 units", intensity(5), "warning", "only 5 clusters"),
    ("staggered DiD, 3 treated units", staggered(VRU[:3]), "warning", "few treated units"),
    ("staggered DiD, a cohort of one", lambda: ve.StaggeredDiD(
        panel(), outcome="y0", first_treated={**{u: "2019/20" for u in VRU[:12]},
                                              VRU[12]: "2020/21"}).fit(),
     "warning", "have one unit each"),
    ("power study of CR1, 3 treated", power(3), "warning", "CR1 over-rejects"),
    ("CR1, 10 treated of 32", did("cr1", treated=VRU[:10]), "clean", ""),
    ("CR1, 18 treated of 40 (the real shape)", did("cr1"), "clean", ""),
    ("CR2, 18 treated of 40", did("cr2"), "clean", ""),
    ("wild bootstrap, 18 treated of 40", did("wild", **WILD), "clean", ""),
    ("randomization, 18 treated of 40", did("randomization", **RI), "clean", ""),
    ("wild bootstrap without a seed", did("wild"), "error", "explicit seed"),
    ("randomization without a seed", did("randomization"), "error", "explicit seed"),
    ("event study wild bootstrap without a seed", event_study("wild", VRU), "error",
     "explicit seed"),
    ("unknown small-sample rule", did("cr1", small_sample="Stata"), "error",
     "small_sample must be one of"),
    # counts from the fitted treatment column: an intensity in one unit is one treated cluster
    ("intensity 0.8 in one unit against 22, CR1 (p = 0.0097 unwarned before)",
     one_intensity("cr1"), "error", r"1 treated, 22 untreated.*one treated cluster"),
    ("intensity 0.8 in one unit against 22, CR2", one_intensity("cr2"), "error",
     "one treated cluster"),
    ("intensity 0.8 in one unit against 22, wild", one_intensity("wild", **WILD), "error",
     "one treated cluster"),
    ("intensity in one unit, randomization", one_intensity("randomization", **RI), "warning",
     "exchangeable"),
    ("unbalanced: one of two treated units has no observed post cell, CR1", no_post_cell("cr1"),
     "error", r"1 treated, 23 untreated.*one treated cluster"),
    ("unbalanced: one of two treated units has no observed post cell, CR2", no_post_cell("cr2"),
     "error", "one treated cluster"),
    # Callaway-Sant'Anna's comparison group is the one its control_group names
    ("staggered DiD, never_treated with one never-treated unit (62% rejection)",
     two_cohorts(1, "never_treated"), "error", "one never-treated cluster"),
    ("staggered DiD bootstrap, never_treated with one never-treated unit",
     two_cohorts(1, "never_treated", inference="bootstrap", seed=1, draws=199), "error",
     "one never-treated cluster"),
    ("staggered DiD, not_yet_treated without never-treated units (not 'only 0 untreated')",
     two_cohorts(0, "not_yet_treated", n_first=12), "warning",
     r"only 6 comparison clusters \(18 clusters \(12 treated, 6 comparison\)\)"),
    ("staggered DiD, not_yet_treated with one never-treated unit (the last periods' only "
     "comparison)", two_cohorts(1, "not_yet_treated"), "error", "one comparison cluster"),
    ("staggered DiD, not_yet_treated, 22 never-treated", two_cohorts(22, "not_yet_treated"),
     "clean", ""),
    # options are checked only for the method that reads them
    ("CR1 at level 0.9999 (the unused default draws)", did("cr1", level=0.9999), "clean", ""),
    ("CR2 at level 0.9999", did("cr2", level=0.9999), "clean", ""),
    ("event study CR1 at level 0.9999", event_study("cr1", VRU, level=0.9999), "clean", ""),
    ("CR1 given draws", did("cr1", draws=999), "error", "draws=999 applies to inference 'wild'"),
    ("CR1 given boot_weights", did("cr1", boot_weights="rademacher"), "error",
     "applies to inference 'wild' only, not 'cr1'"),
    ("wild given permutations", did("wild", seed=1, draws=199, permutations=199), "error",
     "permutations=199 applies to inference 'randomization' only, not 'wild'"),
    ("CR2 given ri_statistic", did("cr2", ri_statistic="coefficient"), "error",
     "applies to inference 'randomization'"),
    ("CR2 given small_sample", did("cr2", small_sample="stata"), "error",
     "applies to inference 'cr1' or 'wild' or 'randomization' only, not 'cr2'"),
    ("event study given permutations", event_study("cr1", VRU, permutations=999), "error",
     "not used by any inference method"),
    ("CR1 given the default draws", did("cr1", draws=9999), "clean", ""),
    ("staggered DiD analytic given draws", lambda: ve.StaggeredDiD(
        panel(), outcome="y0", first_treated={u: "2019/20" for u in VRU}).fit(draws=99),
     "error", "draws=99 applies to inference 'bootstrap' only, not 'analytic'"),
]  # fmt: skip

FEW = ("cluster", "treated unit", "re-assignments", "cohort")


@pytest.mark.parametrize(("case", "run", "outcome", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_reliability(case: str, run: Callable[[], Any], outcome: str, pattern: str) -> None:
    if outcome == "error":
        with pytest.raises(ValueError, match=pattern):
            run()
        return
    res = run()
    warned = [w for w in res.warnings if any(k in w for k in FEW)]
    if outcome == "clean":
        assert not warned, warned
    else:
        assert any(pd.Series(warned).str.contains(pattern)), res.warnings
        if not isinstance(res, ve.power.PowerResult):
            assert all(np.isfinite(res.effects()["estimate"]))


def test_refusals_are_too_few_clusters_errors() -> None:
    with pytest.raises(TooFewClusters):
        did("cr1", treated=ONE_VRU)()


def test_warnings_are_shown_by_summary() -> None:
    res = did("cr1", treated=VRU[:3])()
    assert "over-rejects" in str(res.summary())
