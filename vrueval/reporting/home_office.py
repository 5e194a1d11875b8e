"""The Home Office's published VRU impact findings, each with where it was published.

The one place the reports and the site index take the Home Office's figures from: they are
quoted, never recomputed, and each carries its citation (title, publisher, date, address and the
section that states it), so a report can say "as published in ..." and a corrected figure is
changed once.

Provenance: the three evaluation reports' HTML pages on GOV.UK, read from stored copies on
4 December 2026. The YE March 2022 and 2024 figures are in the stored text of the pages' executive
summaries. The stored copy of the YE March 2023 page ends before its key findings, so its
3,220 figure was checked against a summary of that report by one of the VRUs and against the YE
March 2024 page, which gives the previous year's any-violent-injury estimate as 7.96 per 100,000
(the "8 per 100,000" beside 3,220; ``checked_against``); the 3,220 itself is not in a stored
GOV.UK text.

>>> from vrueval.reporting.home_office import PUBLISHED
>>> PUBLISHED["ye_mar_2024"].finding
'1.6 fewer sharp-object admissions per 100,000 (p = 0.06)'
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class PublishedFinding:
    """One Home Office VRU impact finding, quoted as published, with its source.

    Attributes
    ----------
    key : str
        ``"ye_mar_<year>"``, the evaluation year.
    evaluation : str
        The evaluation year in words ("Year ending March 2024").
    finding : str
        The finding, in the report's words and with its figures as published.
    measure : str
        What the Home Office measured and against what.
    title, publisher, published, url, section : str
        The publication's title, publisher, publication (or update) date, GOV.UK address and the
        section stating the finding.
    checked_against : str
        Where the figure was checked when not in the stored text of the publication itself;
        empty when it was.
    """

    key: str
    evaluation: str
    finding: str
    measure: str
    title: str
    publisher: str
    published: str
    url: str
    section: str
    checked_against: str = ""

    def citation(self) -> str:
        """``as published in <title> (<publisher>, <date>), <section>``."""
        return f"as published in {self.title} ({self.publisher}, {self.published}), {self.section}"

    def quoted(self) -> str:
        """``<evaluation> evaluation: <finding>``, the form the site index shows."""
        return f"{self.evaluation} evaluation: {self.finding[:1].lower()}{self.finding[1:]}"


_GOV_UK = "https://www.gov.uk/government/publications/"

_FINDINGS = (
    PublishedFinding(
        key="ye_mar_2022",
        evaluation="Year ending March 2022",
        finding=(
            "No statistically significant effect on the primary outcomes, hospital admissions "
            "for sharp-object violent injury and homicide"
        ),
        measure=(
            "Admissions for sharp-object violent injury and homicides, VRU areas against "
            "non-VRU areas"
        ),
        title="Violence Reduction Units, year ending March 2022 evaluation report",
        publisher="Home Office",
        published="updated 2 February 2023",
        url=_GOV_UK + "violence-reduction-units-year-ending-march-2022-evaluation-report/"
        "violence-reduction-units-year-ending-march-2022-evaluation-report",
        section="Executive summary, Key findings",
    ),
    PublishedFinding(
        key="ye_mar_2023",
        evaluation="Year ending March 2023",
        finding=(
            "About 3,220 fewer hospital admissions for any violent injury (8 per 100,000) in "
            "VRU areas since funding began, a secondary outcome; no significant effect on "
            "sharp-object admissions or homicide"
        ),
        measure=(
            "Admissions for any violent injury, summed over VRU areas since 2019, against "
            "comparison areas"
        ),
        title="Violence Reduction Units 2022 to 2023 (year ending March 2023 evaluation report)",
        publisher="Home Office",
        published="20 December 2023",
        url=_GOV_UK + "violence-reduction-units-year-ending-march-2023-evaluation-report/"
        "violence-reduction-units-2022-to-2023",
        section="Executive summary",
        checked_against=(
            "Essex Violence and Vulnerability Unit, 'Home Office VRU evaluation', 3 January 2024 "
            "(https://www.essexvvu.co.uk/2024/01/03/home-office-vru-evaluation/); the year "
            "ending March 2024 evaluation report (Executive summary) gives last year's "
            "any-violent-injury estimate as 7.96 per 100,000"
        ),
    ),
    PublishedFinding(
        key="ye_mar_2024",
        evaluation="Year ending March 2024",
        finding="1.6 fewer sharp-object admissions per 100,000 (p = 0.06)",
        measure=(
            "Sharp-object admissions per 100,000 people, VRU areas against non-VRU areas "
            "(quasi-experimental designs)"
        ),
        title="Violence Reduction Units year ending March 2024 evaluation report",
        publisher="Home Office",
        published="11 June 2025",
        url=_GOV_UK + "violence-reduction-units-year-ending-march-2024-evaluation-report/"
        "violence-reduction-units-year-ending-march-2024-evaluation-report",
        section="Executive summary, Impact on violence outcomes",
    ),
)

#: The findings by key, oldest first (read-only).
PUBLISHED: MappingProxyType[str, PublishedFinding] = MappingProxyType({f.key: f for f in _FINDINGS})


def sources_text() -> str:
    """One line naming every publication (title and date; the addresses are in
    :data:`PUBLISHED`), for a report's or the index's source line."""
    titles = "; ".join(f"{f.title} ({f.published})" for f in PUBLISHED.values())
    return f"Home Office, on GOV.UK: {titles}"


__all__ = ["PUBLISHED", "PublishedFinding", "sources_text"]
