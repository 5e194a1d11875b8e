"""The wild cluster bootstrap against wildboottest and Callaway-Sant'Anna against the ports of R
``did`` and its README, recomputed as agreement rows (see :mod:`vrueval.validation`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from vrueval.designs import DiD
from vrueval.designs.staggered import StaggeredDiD
from vrueval.designs.staggered.results import StaggeredResult
from vrueval.inference.small_sample import ParamCount, cr1_factor
from vrueval.validation.base import (
    Criterion,
    Rows,
    load_reference,
    reference_dir,
    term_values,
)
from vrueval.validation.r import (
    CSS_ROWS,
    DID_CLUSTERS,
    DID_OUTCOMES,
    att_row,
    css_panel,
)

# -- wild cluster bootstrap against wildboottest --------------------------------------------------
WILD_FAMILY = "Wild bootstrap vs wildboottest"
WILD_SCRIPT = "did_wildboottest.py"
WILD_WEIGHTS = ("rademacher", "webb")
WILD_SEED = 7
WILD_STAT_RTOL = 1e-8


def wild_tolerance(p_ref: float, draws: int) -> float:
    """Four standard errors of the difference of two independent Monte Carlo p-values."""
    return float(4 * np.sqrt(2 * max(p_ref, 1e-3) * (1 - p_ref) / draws))


def wild_bootstrap_vs_wildboottest(
    folder: Path | str | None = None,
    outcomes: Sequence[str] = DID_OUTCOMES,
    weights: Sequence[str] = WILD_WEIGHTS,
    seed: int = WILD_SEED,
) -> pd.DataFrame:
    """WCR bootstrap p-values (B = 9,999) and t statistics against ``wildboottest``.

    The p-values are two independent Monte Carlo estimates, held to four standard errors of their
    difference. The statistic is deterministic: wildboottest counts every dummy in its CR1
    small-sample factor (k = 60) where vrueval counts the nested fixed effects once (k = 20), so
    ours is rescaled by the ratio of the two factors (the p-value does not depend on it).
    """
    folder = reference_dir(folder)
    ref_all = load_reference("did_wildboottest.json", folder)
    label = f"wildboottest {ref_all['wildboottest']} (statsmodels OLS, WCR-11)"
    draws = int(ref_all["B"])
    count = ParamCount.two_way(DID_CLUSTERS, CSS_ROWS // DID_CLUSTERS, 1)
    every, nested = (
        cr1_factor(rule, n_obs=CSS_ROWS, n_clusters=DID_CLUSTERS, count=count)
        for rule in ("stata", "fixest")
    )
    rescale = np.sqrt(every / nested)
    out = Rows(WILD_FAMILY, WILD_SCRIPT)
    for outcome in outcomes:
        did = DiD(css_panel(), outcome, start="2019/20")
        for kind in weights:
            ref = ref_all[outcome][kind]
            res = did.fit("wild", seed=seed, draws=draws, boot_weights=kind)  # type: ignore[arg-type]
            att, check = att_row(res), f"{outcome}: {kind}"
            out.add(check, label, "p-value", att["p_value"], ref["p_value"],
                    wild_tolerance(ref["p_value"], draws), "absolute")  # fmt: skip
            out.add(check, label, "t statistic (k = 60)", att["statistic"] / rescale,
                    ref["statistic"], WILD_STAT_RTOL)  # fmt: skip
    return out.frame()


# -- Callaway-Sant'Anna on mpdta ------------------------------------------------------------------
CS_FAMILY = "Callaway-Sant'Anna vs ports of R did"
CS_PUBLISHED_FAMILY = "Callaway-Sant'Anna vs R did README"
CS_SCRIPT = "cs_mpdta_peers.py"
CS_PUBLISHED_SCRIPT = "cs_mpdta_published.json"
CS_TOL = 1e-7  # analytic estimates and standard errors against csdid / differences
CS_DIFF_DIFF_COVARIATE_TOL = 1e-5  # diff-diff's own logit differs by up to 7e-6 (cause unknown)
CS_PRINTED = 5e-5 + 1e-12  # half a unit in the 4th printed decimal
CS_PRETEST_TOL = 5e-6  # csdid rounds the pre-test p-value to 5 decimals, as R did
CS_BOOT_RTOL = 0.15  # 4 Monte Carlo s.d. of R's 1,000-draw SE against our 5,000 draws
CS_CONTROL = {"nevertreated": "never_treated", "notyettreated": "not_yet_treated"}
CS_PREFIX = {"dynamic": "e", "group": "g", "calendar": "t"}
CS_AGGREGATIONS = ("simple", "dynamic", "group", "calendar")
CS_PEERS = ("csdid", "differences", "diff_diff")
CS_DEFAULT = "nevertreated|~1|dr|varying"


@cache
def mpdta(folder: Path) -> pd.DataFrame:
    """R ``did::mpdta`` (2,500 county-years) as stored in the reference folder."""
    return pd.read_csv(folder / "mpdta.csv.gz")


def cs_fit(folder: Path | str | None, key: str, **fit: Any) -> StaggeredResult:
    """The staggered DiD of a peers-file key ``control|formula|method|base_period``."""
    control, formula, method, base = key.split("|")
    res = StaggeredDiD(
        mpdta(reference_dir(folder)),
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        covariates=[] if formula == "~1" else ["lpop"],
        control_group=CS_CONTROL[control],  # type: ignore[arg-type]
        method=method,  # type: ignore[arg-type]
        base_period=base,  # type: ignore[arg-type]
    ).fit(**fit)
    return cast(StaggeredResult, res)


def cs_keys(folder: Path | str | None = None, peer: str = "csdid") -> list[str]:
    """The option combinations stored in cs_mpdta_peers.json for ``peer``."""
    return sorted(load_reference("cs_mpdta_peers.json", reference_dir(folder))[peer])


def cs_vs_ports(
    folder: Path | str | None = None,
    keys: Sequence[str] | None = None,
    peers: Sequence[str] = CS_PEERS,
) -> pd.DataFrame:
    """ATT(g,t), their analytic SEs, the four aggregations and the pre-test against the ports.

    ``csdid`` (a line-by-line port of R ``did``/``DRDID``) over every stored option combination
    (control group, covariates, estimator, base period); ``differences`` and ``diff-diff`` for the
    never-treated doubly robust default, with and without the covariate. ``keys`` (as
    ``control|formula|method|base_period``) and ``peers`` restrict the comparison.
    """
    folder = reference_dir(folder)
    ref_all = load_reference("cs_mpdta_peers.json", folder)
    out = Rows(CS_FAMILY, CS_SCRIPT)
    fits: dict[str, StaggeredResult] = {}
    for peer in peers:
        label = f"{peer} {ref_all['versions'][peer.replace('_', '-')]}"
        for key, ref in sorted(ref_all[peer].items()):
            if keys is not None and key not in keys:
                continue
            if key not in fits:
                fits[key] = cs_fit(folder, key)
            if peer == "csdid":
                _cs_csdid_rows(out, label, key, fits[key], ref)
            else:
                covariate = key.split("|")[1] != "~1"
                tol = CS_DIFF_DIFF_COVARIATE_TOL if peer == "diff_diff" and covariate else CS_TOL
                _cs_port_rows(out, label, key, fits[key], ref, tol)
    return out.frame()


def _cs_csdid_rows(
    out: Rows, label: str, key: str, res: StaggeredResult, ref: dict[str, Any]
) -> None:
    gt = res.group_time()
    same_size = len(gt) == len(ref["group"])
    cells = np.r_[gt["group"], gt["time"]] if same_size else [np.nan]
    out.add(key, label, "(g,t) cells", cells, np.r_[ref["group"], ref["time"]], 0.0, "absolute")
    out.add(key, label, "ATT(g,t)", gt["estimate"], ref["att"], CS_TOL, "absolute")
    # csdid reports NaN for the universal base period's reference cell; so do we
    out.add(key, label, "SE(g,t)", gt["std_error"], ref["se"], CS_TOL, "absolute")
    ours_att: list[float] = []
    ours_se: list[float] = []
    ref_att: list[float] = []
    ref_se: list[float] = []
    for kind in CS_AGGREGATIONS:
        agg = ref[f"agg_{kind}"]
        terms = [f"att:{kind}"]
        ref_att.append(agg["overall_att"])
        ref_se.append(agg["overall_se"])
        if agg["keys"] is not None:
            terms += [f"att:{CS_PREFIX[kind]}={int(k)}" for k in agg["keys"]]
            ref_att += agg["att"]
            ref_se += agg["se"]
        ours_att += list(term_values(res, terms, "estimate"))
        ours_se += list(term_values(res, terms, "std_error"))
    out.add(key, label, "aggregated ATT (4 kinds)", ours_att, ref_att, CS_TOL, "absolute")
    out.add(key, label, "aggregated SE (4 kinds)", ours_se, ref_se, CS_TOL, "absolute")
    out.add(key, label, "pre-test p-value (5 dp)", res.diagnostics["pretest_p_value_chi2"],
            ref["pretest_p_value_rounded5"], CS_PRETEST_TOL, "absolute")  # fmt: skip


def _cs_port_rows(
    out: Rows, label: str, key: str, res: StaggeredResult, ref: dict[str, Any], tol: float
) -> None:
    gt = res.group_time()
    simple = ref["simple"]
    out.add(key, label, "ATT(g,t)", gt["estimate"], ref["att"], tol, "absolute")
    out.add(key, label, "SE(g,t)", gt["std_error"], ref["se"], tol, "absolute")
    out.add(key, label, "simple ATT", term_values(res, ["att:simple"], "estimate"),
            simple["overall_att"], tol, "absolute")  # fmt: skip
    out.add(key, label, "simple SE", term_values(res, ["att:simple"], "std_error"),
            simple["overall_se"], tol, "absolute")  # fmt: skip


def cs_vs_published(
    folder: Path | str | None = None, draws: int = 5000, seed: int = 11
) -> pd.DataFrame:
    """The default specification against the R ``did`` README's printed tables.

    Point estimates to half a unit in the printed 4th decimal; R's bootstrap standard errors come
    from one unseeded run of 1,000 Mammen draws (relative Monte Carlo s.d. about 3.7%), so ours
    (``draws`` multiplier draws, ``seed``) are held to 15% (about four s.d. of the difference),
    and the simultaneous band's critical value to 0.3.
    """
    folder = reference_dir(folder)
    pub = load_reference(CS_PUBLISHED_SCRIPT, folder)
    label = "R did 2.5.0 README (printed)"
    out = Rows(CS_PUBLISHED_FAMILY, CS_PUBLISHED_SCRIPT)

    def add(
        quantity: str, ours: Any, theirs: Any, tol: float, crit: Criterion = "absolute"
    ) -> None:
        out.add(CS_DEFAULT, label, quantity, ours, theirs, tol, crit)

    res = cs_fit(folder, CS_DEFAULT)
    gt = res.group_time()
    gt_rows = np.array(pub["group_time"]["rows"])
    dyn = np.array(pub["dynamic"]["rows"])
    grp = np.array(pub["group"]["rows"])
    e_terms = [f"att:e={int(e)}" for e in dyn[:, 0]]
    g_terms = [f"att:g={int(g)}" for g in grp[:, 0]]
    groups = gt["group"] if len(gt) == len(gt_rows) else [np.nan]
    add("groups of ATT(g,t)", groups, gt_rows[:, 0], 0.0)
    add("ATT(g,t)", gt["estimate"], gt_rows[:, 2], CS_PRINTED)
    add("event-time ATT", term_values(res, e_terms, "estimate"), dyn[:, 1], CS_PRINTED)
    add("dynamic overall ATT", term_values(res, ["att:dynamic"], "estimate"),
        pub["dynamic"]["overall"]["att"], CS_PRINTED)  # fmt: skip
    add("group ATT", term_values(res, g_terms, "estimate"), grp[:, 1], CS_PRINTED)
    # printed as -0.031 (three decimals)
    add("group overall ATT (3 dp)", term_values(res, ["att:group"], "estimate"),
        pub["group"]["overall"]["att"], 5e-4)  # fmt: skip
    add("pre-test p-value (5 dp)", round(res.diagnostics["pretest_p_value_chi2"], 5),
        pub["pretest_p_value"], 0.0)  # fmt: skip

    boot = cs_fit(folder, CS_DEFAULT, inference="bootstrap", draws=draws, seed=seed)
    add("bootstrap SE(g,t)", boot.group_time()["std_error"], gt_rows[:, 3], CS_BOOT_RTOL,
        "relative")  # fmt: skip
    add("bootstrap event-time SE", term_values(boot, e_terms, "std_error"), dyn[:, 2], CS_BOOT_RTOL,
        "relative")  # fmt: skip
    add("bootstrap dynamic overall SE", term_values(boot, ["att:dynamic"], "std_error"),
        pub["dynamic"]["overall"]["se_boot"], CS_BOOT_RTOL, "relative")  # fmt: skip
    add("bootstrap group overall SE", term_values(boot, ["att:group"], "std_error"),
        pub["group"]["overall"]["se_boot"], CS_BOOT_RTOL, "relative")  # fmt: skip
    # R's band half-width / SE gives its critical value (about 2.67 for the 12 ATT(g,t))
    r_crit = float(np.median((gt_rows[:, 2] - gt_rows[:, 4]) / gt_rows[:, 3]))
    add("simultaneous band critical value", boot.critical_values["group_time"], r_crit, 0.3)
    return out.frame()
