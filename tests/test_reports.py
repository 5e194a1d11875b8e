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
        ("its_hes_west_midlands", "level_change", 1),
        ("its_hes_west_midlands", "slope_change", 2),
        ("its_hes_wm_vs_south_west", "level_change", 1),
        ("its_hes_south_west", "slope_change", 2),
    ],
    "before_the_vru": [("placebo_did_knife", "att", 2)],
    "vru_vs_comparators": [
        ("did_css_robbery", "att", 2),
        ("did_css_violence", "att", 2),
        ("cs_css_robbery", "att", 2),
    ],
}

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    render_project(ROOT, out, formats=("html",), force=True)
    return out


def _text(page_text: str) -> str:
    return re.sub(r"\s+", " ", page_text)


def test_every_report_is_listed_on_the_index(site, browser):
    index = inspect_page(browser, site / "index.html")
    assert_clean(index)
    for qmd in sorted((ROOT / "reports").glob("[!_]*.qmd")):
        assert (site / "reports" / f"{qmd.stem}.html").exists(), qmd.name


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
