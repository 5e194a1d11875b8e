"""Agreement with reference implementations, recomputed live as tidy rows.

Each function refits vrueval on the data and options of one family of stored reference values in
``tests/reference/`` (made there by the script named in each row) and returns one row per compared
quantity: how many numbers were compared, the largest absolute and relative differences, the
tolerance, and whether it was met. The reference tests assert on these same rows and the
*Methods and validation* report shows them, so the case lists live here only.

Families
--------
- :func:`its_vs_r` - ITS against R ``lm`` + ``sandwich::NeweyWest``, ``glm`` quasi-Poisson with
  an offset, and ``nlme::gls`` with ``corAR1`` (REML and ML).
- :func:`its_negbin_vs_r`, :func:`its_fixed_b_vs_r`, :func:`its_comparative_vs_r` (same family) -
  negative binomial ITS against ``MASS::glm.nb`` (+ ``NeweyWest``), the default fixed-b HAC and EWC
  against the stated formula re-implemented in R, and the comparative ITS against the stacked
  ``lm`` / ``glm`` with ``sandwich::vcovPL`` (Driscoll-Kraay).
- :func:`did_vs_r` - TWFE, 2x2, event study, Poisson PML and population-weighted DiD against R
  ``estimatr::lm_robust`` (CR0, CR2, Stata CR1), ``plm`` and ``sandwich::vcovCL``.
- :func:`did_contrast_vs_r`, :func:`did_unbalanced_vs_r` (same family) - the event study's CR2
  standard errors and Satterthwaite df of coefficients and contrasts (``att``) against
  ``clubSandwich`` for common, population-weighted and staggered starts; unbalanced panels
  (``missing="unbalanced"``) against ``lm`` with dummies + ``sandwich``, ``clubSandwich`` and
  ``estimatr``.
- :func:`wild_bootstrap_vs_wildboottest` - the wild cluster restricted bootstrap against the
  ``wildboottest`` package (a Monte Carlo tolerance on the p-value, exact on the statistic).
- :func:`cs_vs_ports` - Callaway-Sant'Anna on ``mpdta`` against ``csdid``, ``differences`` and
  ``diff-diff`` (Python ports of R ``did``).
- :func:`cs_vs_published` - the same against the numbers printed in the R ``did`` README.

A row passes when ``max_rel_diff <= tolerance`` (criterion ``relative``, the test of
``numpy.testing.assert_allclose`` with ``rtol``) or ``max_abs_diff <= tolerance`` (``absolute``).
Missing values compare equal only to missing values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrueval.validation.base import (
    COLUMNS,
    Criterion,
    compare,
    load_reference,
    reference_dir,
)
from vrueval.validation.did import (
    CONTRAST_DESIGNS,
    UNBALANCED_CASES,
    did_contrast_vs_r,
    did_more_vs_r,
    did_unbalanced_vs_r,
)
from vrueval.validation.its import (
    CITS_CASES,
    CITS_FITS,
    FIXED_B_FITS,
    NB_FITS,
    cits_design,
    its_comparative_vs_r,
    its_fixed_b_vs_r,
    its_more_vs_r,
    its_negbin_vs_r,
)
from vrueval.validation.peers import (
    CS_DEFAULT,
    CS_FAMILY,
    CS_PUBLISHED_FAMILY,
    WILD_FAMILY,
    WILD_WEIGHTS,
    cs_fit,
    cs_keys,
    cs_vs_ports,
    cs_vs_published,
    wild_bootstrap_vs_wildboottest,
    wild_tolerance,
)
from vrueval.validation.r import (
    DID_CHECKS,
    DID_FAMILY,
    DID_OUTCOMES,
    ITS_CASES,
    ITS_FAMILY,
    ITS_FITS,
    ITS_LAG_CHECK,
    NEWEY_WEST,
    css_panel,
    did_vs_r,
    its_design,
    its_vs_r,
)

__all__ = [
    "CITS_CASES",
    "CITS_FITS",
    "COLUMNS",
    "CONTRAST_DESIGNS",
    "CS_DEFAULT",
    "CS_FAMILY",
    "CS_PUBLISHED_FAMILY",
    "DID_CHECKS",
    "DID_FAMILY",
    "DID_OUTCOMES",
    "FAMILIES",
    "FIXED_B_FITS",
    "ITS_CASES",
    "ITS_FAMILY",
    "ITS_FITS",
    "ITS_LAG_CHECK",
    "NB_FITS",
    "NEWEY_WEST",
    "UNBALANCED_CASES",
    "WILD_FAMILY",
    "WILD_WEIGHTS",
    "Criterion",
    "all_checks",
    "by_quantity",
    "cits_design",
    "compare",
    "cs_fit",
    "cs_keys",
    "cs_vs_ports",
    "cs_vs_published",
    "css_panel",
    "did_all_vs_r",
    "did_contrast_vs_r",
    "did_more_vs_r",
    "did_unbalanced_vs_r",
    "did_vs_r",
    "for_display",
    "highlights",
    "its_all_vs_r",
    "its_comparative_vs_r",
    "its_design",
    "its_fixed_b_vs_r",
    "its_more_vs_r",
    "its_negbin_vs_r",
    "its_vs_r",
    "load_reference",
    "provenance",
    "reference_dir",
    "summary",
    "wild_bootstrap_vs_wildboottest",
    "wild_tolerance",
]


# -- everything ----------------------------------------------------------------------------------
def its_all_vs_r(folder: Path | str | None = None) -> pd.DataFrame:
    """Every ITS row: :func:`its_vs_r` then negative binomial, fixed-b and comparative ITS."""
    folder = reference_dir(folder)
    return pd.concat([its_vs_r(folder), its_more_vs_r(folder)], ignore_index=True)


def did_all_vs_r(folder: Path | str | None = None) -> pd.DataFrame:
    """Every DiD row: :func:`did_vs_r` then CR2 contrasts and unbalanced panels."""
    folder = reference_dir(folder)
    return pd.concat([did_vs_r(folder), did_more_vs_r(folder)], ignore_index=True)


FAMILIES: dict[str, Callable[[Path], pd.DataFrame]] = {
    ITS_FAMILY: its_all_vs_r,
    DID_FAMILY: did_all_vs_r,
    WILD_FAMILY: wild_bootstrap_vs_wildboottest,
    CS_FAMILY: cs_vs_ports,
    CS_PUBLISHED_FAMILY: cs_vs_published,
}


def all_checks(folder: Path | str | None = None) -> pd.DataFrame:
    """Every agreement row of every family."""
    folder = reference_dir(folder)
    return pd.concat([fn(folder) for fn in FAMILIES.values()], ignore_index=True)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """One line a family: references, checks, numbers compared, worst share of tolerance, all
    passed."""
    grouped = rows.assign(share=_share(rows)).groupby("family", sort=False)
    out = grouped.agg(
        references=("reference", "nunique"),
        rows=("passed", "size"),
        n_compared=("n_compared", "sum"),
        worst_share_of_tolerance=("share", "max"),
        passed=("passed", "all"),
    )
    return out.reset_index()


def highlights(rows: pd.DataFrame) -> dict[str, Any]:
    """The numbers a summary quotes: counts, the worst relative difference against R's
    deterministic estimators (and where), the worst csdid difference on estimates and standard
    errors, and the wild bootstrap p-values' largest share of their Monte Carlo tolerance."""
    r_rows = rows[rows["family"].isin([ITS_FAMILY, DID_FAMILY]) & (rows["criterion"] == "relative")]
    worst = r_rows.iloc[int(np.argmax(r_rows["max_rel_diff"].to_numpy()))]
    csdid = rows[(rows["family"] == CS_FAMILY) & rows["reference"].str.startswith("csdid")]
    csdid = csdid[~csdid["quantity"].str.startswith("pre-test")]
    wild = rows[(rows["family"] == WILD_FAMILY) & (rows["quantity"] == "p-value")]
    return {
        "checks": len(rows),
        "numbers": int(rows["n_compared"].sum()),
        "failed": int((~rows["passed"]).sum()),
        "r_worst_rel": float(worst["max_rel_diff"]),
        "r_worst_where": f"{worst['quantity']} of {worst['check']}",
        "csdid_worst_abs": float(csdid["max_abs_diff"].max()),
        "wild_share": float(np.max(_share(wild))),
    }


def by_quantity(rows: pd.DataFrame, family: str) -> pd.DataFrame:
    """One family's rows pooled by reference and quantity (over cases and outcomes).

    ``worst_diff`` is the largest difference on the rows' own criterion (relative or absolute).
    """
    part = rows.loc[rows["family"] == family]
    part = part.assign(worst_diff=_diff(part))
    grouped = part.groupby(["reference", "quantity", "criterion"], sort=False)
    out = grouped.agg(
        rows=("passed", "size"),
        n_compared=("n_compared", "sum"),
        worst_diff=("worst_diff", "max"),
        tolerance=("tolerance", "max"),
        passed=("passed", "all"),
    )
    return out.reset_index()


def _diff(rows: pd.DataFrame) -> np.ndarray:
    """Each row's difference on its own criterion."""
    relative = rows["criterion"].to_numpy() == "relative"
    return np.where(relative, rows["max_rel_diff"], rows["max_abs_diff"]).astype(float)


def _share(rows: pd.DataFrame) -> np.ndarray:
    """Each row's difference as a share of its tolerance (0 when exact and equal)."""
    diff = _diff(rows)
    tol = rows["tolerance"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(tol > 0, diff / tol, np.where(diff == 0, 0.0, np.inf))
    return np.asarray(share, float)


_HEADINGS = {
    "family": "Family",
    "check": "Check",
    "reference": "Reference",
    "references": "References",
    "quantity": "Quantity",
    "rows": "Checks",
    "n_compared": "Numbers",
    "worst_diff": "Largest difference",
    "max_abs_diff": "Difference",
    "max_rel_diff": "Relative difference",
    "tolerance": "Tolerance",
    "worst_share_of_tolerance": "Largest share of tolerance",
    "passed": "Agrees",
}


def for_display(table: pd.DataFrame) -> pd.DataFrame:
    """Differences in scientific notation, the tolerance with its criterion, agreement as
    yes/NO, readable headings."""
    out = table.copy()
    for col in ("worst_diff", "max_abs_diff", "max_rel_diff", "worst_share_of_tolerance"):
        if col in out:
            out[col] = [_sci(x) for x in out[col]]
    if "criterion" in out:
        kind = out.pop("criterion").map({"relative": "relative", "absolute": "absolute"})
        if "tolerance" in out:
            out["tolerance"] = [
                "exact" if t == 0 else f"{_sci(t)} {k}"
                for t, k in zip(out["tolerance"], kind, strict=True)
            ]
    if "passed" in out:
        out["passed"] = np.where(out["passed"], "yes", "NO")
    return out.rename(columns=_HEADINGS)


def _sci(x: float) -> str:
    if x == 0:
        return "0"
    if not np.isfinite(x):
        return "\u221e"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.3g}"
    return f"{x:.1e}".replace("e-0", "e\u2212").replace("e-", "e\u2212").replace("e+0", "e")


_REGENERATE = {
    "its_reference.json": "Rscript tests/reference/its_reference.R (inputs: its_make_inputs.py)",
    "its_negbin_reference.json": "Rscript tests/reference/its_negbin_reference.R",
    "its_fixed_b_reference.json": "Rscript tests/reference/its_fixed_b_reference.R",
    "its_comparative_reference.json": (
        "Rscript tests/reference/its_comparative_reference.R "
        "(inputs: its_comparative_make_inputs.py)"
    ),
    "did_css_reference.json": "Rscript tests/reference/did_css_reference.R",
    "did_cr2_contrast_reference.json": "Rscript tests/reference/did_cr2_contrast_reference.R",
    "did_unbalanced_reference.json": (
        "Rscript tests/reference/did_unbalanced_reference.R (inputs: did_unbalanced_make_inputs.py)"
    ),
    "did_wildboottest.json": ".venv-bench/bin/python tests/reference/did_wildboottest.py",
    "cs_mpdta_peers.json": ".venv-bench/bin/python tests/reference/cs_mpdta_peers.py",
    "cs_mpdta_published.json": "transcribed from the R did README (see its 'source' field)",
}


def provenance(folder: Path | str | None = None) -> pd.DataFrame:
    """Each stored reference file, the software versions that made it, and how to remake it."""
    folder = reference_dir(folder)
    rows = []
    for name, command in _REGENERATE.items():
        data = load_reference(name, folder)
        versions = data.get("versions")
        if name == "did_wildboottest.json":
            versions = {"wildboottest": data["wildboottest"]}
        if name == "cs_mpdta_published.json":
            text = "R did 2.5.0 (devel), README at commit 0c4287f"
        else:
            text = ", ".join(
                v.replace("R version", "R") if k == "R" else f"{k} {v}"
                for k, v in (versions or {}).items()
            )
        rows.append({"file": f"tests/reference/{name}", "made with": text, "remake": command})
    return pd.DataFrame(rows)
