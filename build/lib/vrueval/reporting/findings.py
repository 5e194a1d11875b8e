"""The site index's headline findings: one estimate per Home Office success measure for the VRU
areas as a whole, each beside the Home Office's published figure.

Every sentence comes from the recorded specs' numbers through
:func:`vrueval.reporting.wording.headline_sentence` (one rule for the language of
significance); the published figures are quoted as the Home Office stated them.
"""

from __future__ import annotations

from dataclasses import dataclass

from vrueval.reporting.report import run
from vrueval.reporting.wording import Scale, evidence, headline_sentence

#: The Home Office's VRU impact evaluations, as published (quoted, not recomputed).
HOME_OFFICE = {
    "ye_mar_2022": (
        "Year ending March 2022 evaluation: no statistically significant effect on hospital "
        "admissions for violent injury or on homicide"
    ),
    "ye_mar_2023": (
        "Year ending March 2023 evaluation: about 3,220 fewer hospital admissions for violent "
        "injury in VRU areas"
    ),
    "ye_mar_2024": (
        "Year ending March 2024 evaluation: 1.6 fewer sharp-object admissions per 100,000 "
        "(p = 0.06)"
    ),
}
SOURCE = (
    "Home Office, Violence Reduction Units: impact evaluations for the years ending March 2022, "
    "2023 and 2024 (GOV.UK)"
)


@dataclass(frozen=True)
class Finding:
    """One headline: which measure, whose estimate, by which method, and the published figure."""

    measure: str
    scope: str
    method: str
    analysis: str
    term: str
    unit: str
    scale: Scale
    digits: int
    home_office: str
    report: str

    def row(self) -> dict[str, float]:
        e = run(self.analysis).effect(self.term)
        return {k: float(e[k]) for k in ("estimate", "conf_low", "conf_high", "p_value")}

    def sentence(self) -> str:
        r = self.row()
        return headline_sentence(
            r["estimate"],
            r["conf_low"],
            r["conf_high"],
            r["p_value"],
            unit=self.unit,
            scale=self.scale,
            subject=self.scope,
            digits=self.digits,
        )

    def evidence(self) -> str:
        r = self.row()
        return evidence(r["p_value"], r["conf_low"], r["conf_high"], self.scale)


KNIFE_UNIT = "knife offences per 100,000 residents a year"

FINDINGS: tuple[Finding, ...] = (
    Finding(
        measure="Knife or sharp instrument offences (police-recorded, all ages)",
        scope="The 18 VRU areas funded from FY2019/20",
        method="DiD against 22 never-funded forces, wild cluster bootstrap",
        analysis="did_knife_annual",
        term="att",
        unit=KNIFE_UNIT,
        scale="difference",
        digits=1,
        home_office="Not published for police-recorded knife offences; nearest: "
        + HOME_OFFICE["ye_mar_2024"],
        report="reports/knife_offences.html",
    ),
    Finding(
        measure="Homicide (police-recorded)",
        scope="Cleveland and Humberside, funded from FY2022/23",
        method="DiD against never-funded forces, randomization inference",
        analysis="did_homicide_2022_cohort_ri",
        term="att",
        unit="homicides per 100,000 residents a year",
        scale="difference",
        digits=2,
        home_office=HOME_OFFICE["ye_mar_2022"],
        report="reports/knife_offences.html#sec-homicide",
    ),
    Finding(
        measure="Hospital admissions for assault by a sharp object",
        scope="English regions, by their share of residents in a 2019 VRU area",
        method="Intensity DiD, 9 regions, wild cluster bootstrap",
        analysis="did_hes_intensity",
        term="att",
        unit="sharp-object admissions per 100,000 residents a month "
        "(a region wholly in VRU areas against one with none)",
        scale="difference",
        digits=2,
        home_office=f"{HOME_OFFICE['ye_mar_2022']}. {HOME_OFFICE['ye_mar_2023']}. "
        f"{HOME_OFFICE['ye_mar_2024']}",
        report="reports/west_midlands_hes.html",
    ),
)

__all__ = ["FINDINGS", "HOME_OFFICE", "KNIFE_UNIT", "SOURCE", "Finding"]
