"""The bundled reports, rendered and opened in headless Chromium.

Every page loads without console errors or network requests, every figure has a size, and the
headline numbers printed on each page are the numbers of the analyses' results.json, formatted by
the same functions the reports use.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_tools import assert_clean, inspect_page, needs_chromium

from vrueval import reporting as rp
from vrueval.analysis import load_spec, run_spec
from vrueval.render import render_project

ROOT = Path(__file__).resolve().parents[1]

# report -> (analysis, term, digits) whose headline (estimate and interval) the page must print
HEADLINES = {
    "west_midlands_hes": [
        ("its_hes_south_west", "slope_change", 2),
        ("its_hes_london", "slope_change", 2),
    ],
    "before_the_vru": [("placebo_did_knife", "att", 2)],
    "vru_vs_comparators": [
        ("did_css_robbery", "att", 2),
        ("did_css_violence", "att", 2),
        ("cs_css_robbery", "att", 2),
    ],
    "knife_offences": [
        ("did_knife_annual", "att", 1),
        ("cs_knife_annual", "att:g=2019/20", 1),
    ],
}

KNIFE_UNIT = "knife offences per 100,000 residents a year"
# knife_offences: (analysis, term, headline_sentence options) of every summary sentence
SENTENCES = [
    ("did_knife_annual", "att", {"unit": KNIFE_UNIT}),
    ("cs_knife_annual", "att:g=2019/20", {"unit": KNIFE_UNIT}),
    ("cs_knife_annual", "att:g=2022/23", {"unit": KNIFE_UNIT}),
    ("did_homicide_2022_cohort", "att", {"unit": "homicide rate", "scale": "ratio"}),
    (
        "did_homicide_2022_cohort_ri",
        "att",
        {"unit": "homicides per 100,000 residents a year", "digits": 2},
    ),
]

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    # the reports and the index only: the docs (tutorials, API reference) are checked over the
    # built site; of the per-area pages one (the other 19 are the same document)
    reports = [str(p) for p in sorted((ROOT / "reports").glob("[!_]*.qmd")) if p.stem != "area"]
    render_project(ROOT, out, formats=("html",), force=True, reports=[*reports, "index.qmd"])
    render_project(
        ROOT, out, formats=("html",), force=True, reports=["reports/area.qmd"], params=AREA
    )
    return out


AREA = {"area": "Merseyside"}


def _text(page_text: str) -> str:
    return re.sub(r"\s+", " ", page_text)


def test_every_report_is_listed_on_the_index(site, browser):
    index = inspect_page(browser, site / "index.html")
    assert_clean(index)
    for qmd in sorted((ROOT / "reports").glob("[!_]*.qmd")):
        stem = "area-merseyside" if qmd.stem == "area" else qmd.stem
        assert (site / "reports" / f"{stem}.html").exists(), qmd.name
        assert f'href="reports/{stem}.html"' in (site / "index.html").read_text(), qmd.name


def test_index_states_each_measures_finding_beside_the_home_office(site, browser, tmp_path):
    from vrueval.reporting.findings import FINDINGS, HOME_OFFICE

    page = inspect_page(browser, site / "index.html", tmp_path / "index.png")
    assert_clean(page)
    text = _text(page["text"])
    assert "Error:" not in text and "Traceback" not in text
    for finding in FINDINGS:
        document = run_spec(load_spec(ROOT / "analyses" / f"{finding.analysis}.toml"))
        row = next(e for e in document["effects"] if e["term"] == finding.term)
        sentence = rp.headline_sentence(
            row["estimate"],
            row["conf_low"],
            row["conf_high"],
            row["p_value"],
            unit=finding.unit,
            scale=finding.scale,
            subject=finding.scope,
            digits=finding.digits,
        )
        assert sentence in text, f"{finding.analysis}: {sentence!r} not on the index"
        assert rp.fmt_p(row["p_value"]) in text
    for published in HOME_OFFICE.values():
        assert published in text
    # every VRU area with its own estimate, linked to its page
    from vrueval.reporting import areas_page

    html = (site / "index.html").read_text()
    for name in areas_page.vru_area_names():
        document = run_spec(load_spec(ROOT / "analyses" / f"{areas_page.area_spec(name)}.toml"))
        row = document["effects"][0]
        interval = f"{rp.fmt_number(row['conf_low'])} to {rp.fmt_number(row['conf_high'])}"
        assert f"{name} " in text and interval in text, name
        assert f'href="reports/{areas_page.page_name(name)}.html"' in html


def test_area_page_prints_its_results(site, browser, tmp_path):
    from vrueval.reporting import areas_page

    page = inspect_page(browser, site / "reports" / "area-merseyside.html", tmp_path / "a.png")
    assert_clean(page)
    assert len(page["images"]) >= 1
    text = _text(page["text"])
    assert "Error:" not in text and "Traceback" not in text
    document = run_spec(load_spec(ROOT / "analyses" / f"{areas_page.area_spec('Merseyside')}.toml"))
    row = document["effects"][0]
    sentence = rp.headline_sentence(
        row["estimate"],
        row["conf_low"],
        row["conf_high"],
        row["p_value"],
        unit=KNIFE_UNIT,
        subject="Merseyside (funded from FY2019/20)",
    )
    assert sentence in text


@pytest.mark.parametrize("report", sorted(HEADLINES))
def test_report_page_is_clean_and_prints_the_results(site, browser, report, tmp_path):
    page = inspect_page(browser, site / "reports" / f"{report}.html", tmp_path / "shot.png")
    assert_clean(page)
    assert len(page["images"]) >= 2
    text = _text(page["text"])
    for analysis, term, digits in HEADLINES[report]:
        document = run_spec(load_spec(ROOT / "analyses" / f"{analysis}.toml"))
        row = next(e for e in document["effects"] if e["term"] == term)
        expected = rp.headline(row, digits=digits)
        assert expected in text, f"{report}: {analysis} {term}: {expected!r} not on the page"


def test_knife_report_sentences_are_the_results_json_numbers(site, browser, tmp_path):
    page = inspect_page(browser, site / "reports" / "knife_offences.html", tmp_path / "k.png")
    assert_clean(page)
    # trends, event study, cohorts, synthetic, HonestDiD, forest plot, small multiples
    assert len(page["images"]) >= 7
    text = _text(page["text"])
    assert "Error:" not in text and "Traceback" not in text  # no failed cell printed
    for analysis, term, options in SENTENCES:
        document = run_spec(load_spec(ROOT / "analyses" / f"{analysis}.toml"))
        row = next(e for e in document["effects"] if e["term"] == term)
        sentence = rp.headline_sentence(
            row["estimate"], row["conf_low"], row["conf_high"], row["p_value"], **options
        )
        # the subject is the report's; the rest of the sentence must be the function's
        body = sentence.split(": ", 1)[1]
        assert body in text, f"{analysis} {term}: {body!r} not on the page"
    # every VRU area has its own row in the per-area table
    from vrueval import areas

    for code in areas.vru_areas():
        assert areas.name(code) in text
    # the Home Office's published figures are beside ours
    for published in ("3,220 fewer", "1.6 fewer sharp-object admissions per 100,000 (p = 0.06)"):
        assert published in text


def test_hospital_report_sentences_are_the_results_json_numbers(site, browser, tmp_path):
    from vrueval.reporting import hospital as hosp

    page = inspect_page(browser, site / "reports" / "west_midlands_hes.html", tmp_path / "h.png")
    assert_clean(page)
    text = _text(page["text"])
    assert "Error:" not in text and "Traceback" not in text

    def document(name: str) -> dict:
        return run_spec(load_spec(ROOT / "analyses" / f"{name}.toml"))

    def impact(name: str, term: str) -> dict:
        return next(r for r in document(name)["result"]["impact"] if r["term"] == term)

    def as_ratio(row: dict) -> dict:
        return {k: 1 + row[k] / 100 for k in ("estimate", "conf_low", "conf_high")} | {
            "p_value": row["p_value"]
        }

    wm = impact("its_hes_west_midlands", "cumulative_effect")
    assert hosp.cumulative_sentence(wm, hosp.wm_subject()) in text
    for term in ("level_change", "slope_change"):
        row = next(e for e in document("its_hes_wm_vs_south_west")["effects"] if e["term"] == term)
        assert hosp.ratio_phrase(row, 1 if term == "level_change" else 2) in text
    for _, _, name in hosp.AGE_SERIES:
        assert hosp.ratio_phrase(as_ratio(impact(name, "relative_pct"))) in text
    for published in (ho["finding"] for ho in hosp.HOME_OFFICE):
        assert published in text


# report -> {download file: (analysis, and the outcome each row block belongs to or None)}
CSV_DOWNLOADS = {
    "vru_vs_comparators": {
        "tbl-did.csv": [("did_css_robbery", "css_robbery"),
                        ("did_css_violence", "css_violence_against_the_person")],
    },
}  # fmt: skip


@pytest.mark.parametrize("report", sorted(CSV_DOWNLOADS))
def test_download_links_resolve_and_csv_is_results_json(site, browser, report):
    """Every download link on the page points at a file beside it; the effects CSV holds the
    numbers of results.json exactly; each analysis's effects are there as XLSX."""
    from urllib.parse import unquote, urlparse

    import pandas as pd
    from browser_tools import download_links

    page = site / "reports" / f"{report}.html"
    links = download_links(browser, page)
    assert links, f"{report}: no download links"
    for link in links:
        path = Path(unquote(urlparse(link["url"]).path))
        assert path.is_file(), f"{report}: {link['href']} does not resolve"
        assert path.parent == site / "reports" / f"{report}_files"
    names = {Path(link["href"]).name for link in links}
    for name, parts in CSV_DOWNLOADS[report].items():
        assert name in names
        table = pd.read_csv(site / "reports" / f"{report}_files" / name)
        for analysis, outcome in parts:
            document = run_spec(load_spec(ROOT / "analyses" / f"{analysis}.toml"))
            rows = table[table["outcome"] == outcome] if outcome else table
            expected = pd.DataFrame(document["effects"])
            assert list(rows["term"]) == list(expected["term"])
            for column in ("estimate", "std_error", "conf_low", "conf_high", "p_value"):
                assert rows[column].tolist() == expected[column].tolist(), (analysis, column)
            assert f"{analysis}-effects.xlsx" in names


def test_warnings_table_lists_every_warning_of_the_runs() -> None:
    robbery = rp.run("did_css_robbery", ROOT)
    assert robbery.result.warnings  # City of London is dropped: the real result warns
    table = rp.warnings_table([robbery])
    assert list(table["Warning"]) == list(robbery.result.warnings)
    assert set(table["Analyses"]) == {"did_css_robbery"}
    every = rp.warnings_table()  # every run by default
    assert any(robbery.spec.name in row.split(", ") for row in every["Analyses"])
    assert rp.warnings_table([])["Warning"].iloc[0].startswith("none")


def test_warnings_table_names_each_warning_once_with_every_analysis_carrying_it() -> None:
    did = rp.run("did_knife_annual", ROOT)
    es = rp.run("es_knife_annual", ROOT)
    shared = [w for w in did.result.warnings if w in es.result.warnings]
    assert shared  # both run on the same unbalanced panel: its data warnings are the same
    table = rp.warnings_table([did, es, did])
    assert table["Warning"].is_unique
    assert len(table) == len(set(did.result.warnings) | set(es.result.warnings))
    rows = table.set_index("Warning")["Analyses"]
    assert all(rows[w] == "did_knife_annual, es_knife_annual" for w in shared)


def test_provenance_seed_is_the_results() -> None:
    wm = rp.run("its_hes_west_midlands", ROOT)
    assert wm.spec.seed is not None and wm.result.seed is None  # HAC: deterministic
    seed = rp.provenance_table(wm).set_index("Item").loc["Seed", "Value"]
    assert seed == "none (deterministic)"
