"""The index's headline sentences: numbers from the recorded results, significance wording by
the one rule, checked here by an independent reading of each sentence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vrueval import pooling
from vrueval.reporting import areas_page, headline_sentence
from vrueval.reporting.findings import FINDINGS, HOME_OFFICE, KNIFE_UNIT, SOURCE
from vrueval.reporting.home_office import PUBLISHED

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"−?[\d,]+\.?\d*"


def expected_wording(p: float, low: float, high: float, null: float = 0.0) -> str:
    """The rule, restated: clear needs p < 0.05 and an interval without the null."""
    excludes = low > null or high < null
    if p < 0.05 and excludes:
        return "clear evidence"
    if p < 0.10 or excludes:
        return "weak evidence"
    return "no clear evidence of a change"


def read_sentence(sentence: str) -> dict[str, object]:
    """Pull the interval, p-value and verdict back out of a sentence."""
    m = re.search(rf"95% CI ({NUMBER}%?) to ({NUMBER}%?); p ([=<]) ([\d.]+)\), (.+)\.$", sentence)
    assert m, sentence
    verdict = m.group(5)
    kind = next(
        k
        for k in ("no clear evidence of a change", "clear evidence", "weak evidence")
        if verdict.startswith(k)
    )
    return {"low": m.group(1), "high": m.group(2), "p": float(m.group(4)), "verdict": kind}


def recorded(analysis: str, term: str) -> dict[str, float]:
    document = json.loads((ROOT / "analyses" / "expected" / f"{analysis}.json").read_text())
    return next(e for e in document["effects"] if e["term"] == term)


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda f: f.analysis)
def test_each_headline_is_the_recorded_numbers_with_the_rules_wording(finding) -> None:
    row = recorded(finding.analysis, finding.term)
    assert finding.row() == pytest.approx(
        {k: row[k] for k in ("estimate", "conf_low", "conf_high", "p_value")}, rel=1e-10
    )
    sentence = finding.sentence()
    got = read_sentence(sentence)
    assert got["verdict"] == expected_wording(row["p_value"], row["conf_low"], row["conf_high"])
    assert got["p"] == pytest.approx(row["p_value"], abs=0.0005)
    low = float(str(got["low"]).replace("−", "-").replace(",", ""))
    assert low == pytest.approx(row["conf_low"], abs=0.5 * 10**-finding.digits)
    assert ("fewer" in sentence) == (row["estimate"] < 0)


def test_every_area_sentence_follows_the_rule() -> None:
    est = areas_page.area_estimates()
    assert len(est) == 20
    verdicts = set()
    for _, a in est.iterrows():
        row = recorded(a["spec"], "att")
        assert a["estimate"] == row["estimate"] and a["p_value"] == row["p_value"]
        sentence = headline_sentence(
            a["estimate"], a["conf_low"], a["conf_high"], a["p_value"], unit=KNIFE_UNIT
        )
        got = read_sentence(sentence)["verdict"]
        assert got == expected_wording(a["p_value"], a["conf_low"], a["conf_high"])
        assert a["evidence"] == {"clear evidence": "clear", "weak evidence": "weak"}.get(
            got, "none"
        )
        verdicts.add(got)
    assert {"clear evidence", "no clear evidence of a change"} <= verdicts  # both kinds occur


def test_pooled_sentence_follows_the_rule() -> None:
    est = areas_page.area_estimates()
    m = pooling.random_effects(est["estimate"], est["std_error"], method="REML")
    got = read_sentence(headline_sentence(m.estimate, m.conf_low, m.conf_high, m.p_value, unit="x"))
    assert got["verdict"] == expected_wording(m.p_value, m.conf_low, m.conf_high)


@pytest.mark.parametrize(
    ("p", "low", "high", "verdict"),
    [
        (0.01, 1.0, 3.0, "clear evidence"),
        (0.01, -1.0, 3.0, "weak evidence"),  # p and interval disagree
        (0.07, -1.0, 3.0, "weak evidence"),
        (0.20, 0.5, 3.0, "weak evidence"),
        (0.20, -1.0, 3.0, "no clear evidence of a change"),
    ],
)
def test_the_check_can_fail(p: float, low: float, high: float, verdict: str) -> None:
    sentence = headline_sentence(1.0, low, high, p, unit="x")
    assert read_sentence(sentence)["verdict"] == verdict == expected_wording(p, low, high)


def test_home_office_figures_are_quoted_as_published() -> None:
    assert "evaluation: no statistically significant effect" in HOME_OFFICE["ye_mar_2022"]
    assert "3,220 fewer" in HOME_OFFICE["ye_mar_2023"]
    assert "1.6 fewer sharp-object admissions per 100,000 (p = 0.06)" in HOME_OFFICE["ye_mar_2024"]
    assert HOME_OFFICE == {k: f.quoted() for k, f in PUBLISHED.items()}


def test_every_home_office_figure_has_its_source() -> None:
    assert list(PUBLISHED) == ["ye_mar_2022", "ye_mar_2023", "ye_mar_2024"]
    for key, f in PUBLISHED.items():
        assert f.key == key and f.evaluation == f"Year ending March {key[-4:]}"
        assert f.url.startswith("https://www.gov.uk/government/publications/")
        assert f.title and f.published and f.section and f.measure
        assert f.citation().startswith(f"as published in {f.title} (Home Office, ")
        assert f"{f.title} ({f.published})" in SOURCE


def test_home_office_figures_are_typed_in_one_place() -> None:
    """The published figures appear only in vrueval/reporting/home_office.py: reports, the index
    and the other report helpers take them from there."""
    root = Path(__file__).resolve().parents[1]
    files = [root / "index.qmd", *(root / "reports").glob("*.qmd")]
    files += [p for p in (root / "vrueval").rglob("*.py") if p.name != "home_office.py"]
    figures = ("3,220", "1.6 fewer", "p = 0.06", "0.98 (per one million")
    typed = [(p.name, f) for p in files for f in figures if f in p.read_text(encoding="utf-8")]
    assert typed == []


def test_knife_report_prose_types_no_counts() -> None:
    """Counts of areas, forces and years in the knife report's prose come from the results
    (inline code), so they cannot drift from them: no numeral (other than a year) stands before
    what it counts in the text outside code."""
    text = (Path(__file__).resolve().parents[1] / "reports" / "knife_offences.qmd").read_text()
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # front matter: the programme
    prose = re.sub(r"```\{python\}.*?```", "", text, flags=re.S)
    prose = re.sub(r"`\{python\}[^`]*`", "", prose)
    counted = (
        r"(?:VRU |never-funded |treated )?(?:areas?|forces?|estimates|donors|comparators|clusters)"
    )
    typed = [
        m.group(0)
        for m in re.finditer(rf"\b(\d+)\s+(?:of the\s+\d+\s+)?{counted}\b", prose)
        if int(m.group(1)) < 1900
    ]
    typed += re.findall(r"\b(?:one|two|three|four|five)\s+(?:pre|post)-years\b", prose, re.I)
    # "one treated area" is the design's case in general; more than one is a count
    typed += re.findall(r"\b(?:two|three|four|five)\s+treated\b", prose, re.I)
    assert typed == []
