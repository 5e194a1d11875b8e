"""PDF tables fit the page: widths from content, code that wraps, short tables kept with their
caption; checked on page geometry (no word beyond the page or drawn over another word)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_layout import beyond_page, beyond_text_width, collisions, needs_poppler

from vrueval.render import pdf_tables

# A4 with Typst's default margin, 2.5/21 of the shorter side, in points.
TYPST_MARGIN = 595.28 * 2.5 / 21
SITE = Path(__file__).resolve().parents[1] / "_site"


def _cell(text: str) -> list:
    return [
        ["", [], []],
        {"t": "AlignDefault"},
        1,
        1,
        [{"t": "Plain", "c": [{"t": "Str", "c": text}]}],
    ]


def _table(rows: list[list[str]]) -> dict:
    specs = [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}] for _ in rows[0]]
    body_rows = [[["", [], []], [_cell(t) for t in row]] for row in rows]
    return {
        "t": "Table",
        "c": [["", [], []], [None, []], specs, [["", [], []], []],
              [[["", [], []], 0, [], body_rows]], [["", [], []], []]],
    }  # fmt: skip


def test_column_shares_follow_content_and_are_capped():
    table = _table([["a" * 200, "1.0", "x" * 12]])
    shares = pdf_tables.column_shares(table)
    assert shares == pytest.approx([44 / 66, 8 / 66, 14 / 66], abs=1e-4)  # + 2 for the inset
    assert sum(shares) == pytest.approx(1.0, abs=1e-3)


def test_short_tables_kept_whole_long_ones_may_break_and_code_wraps():
    short = _table([["Design", "Estimate"], ["DiD", "1.0"]])
    short["c"][4][0][3][1][1][0][4] = [
        {"t": "Plain", "c": [{"t": "Code", "c": [["", [], []], 'inference="randomization"']}]}
    ]
    out = pdf_tables.fit_tables([short])
    assert [b["t"] for b in out] == ["RawBlock", "Table", "RawBlock"]
    assert out[0]["c"] == ["typst", "#block(breakable: false)["]
    code = out[1]["c"][4][0][3][1][1][0][4][0]["c"][0]["c"][1]
    assert code == 'inference=\u200b"randomization"'
    assert all(spec[1]["t"] == "ColWidth" for spec in out[1]["c"][2])
    long = _table([["w" * 40, "v" * 40]] * 20)
    assert [b["t"] for b in pdf_tables.fit_tables([long])] == ["Table"]


WIDE = """---
title: "Wide"
---

| Design / method | Estimand | Key assumptions | Checked against |
|:-----|:-----|:-----|:-----|
| Randomization inference (`inference="randomization_studentised"`) | p-value of the sharp null of no effect by re-assigning which forces are treated; by default on the CR1 t (studentised), optionally on the coefficient | Treatment assignment exchangeable across forces; studentising improves the size when the treated forces are noisier than the rest | `sandwich::vcovPL`, `clubSandwich::coef_test` |

```{python}
#| label: tbl-wide
#| tbl-cap: "A wide table."
import pandas as pd
from vrueval import reporting as rp
rp.show(pd.DataFrame({
    "Design": ["DiD, 18 treated forces, rates (wild bootstrap), a long description"] * 3,
    "Simulated MDE": ["-20.9%"] * 3, "Monte Carlo interval": ["-19.9% to -22.2%"] * 3,
    "Closed-form MDE": ["-20.3%"] * 3, "Size at no effect": ["5.0%"] * 3,
    "Simulations": [1000] * 3,
}))
```
"""  # noqa: E501


@needs_poppler
def test_a_wide_table_and_long_code_stay_inside_their_columns(tmp_path):
    pytest.importorskip("typst")
    from vrueval.render import render_document

    source = tmp_path / "wide.qmd"
    source.write_text(WIDE, encoding="utf-8")
    (pdf,) = render_document(source, tmp_path / "out", ("pdf",), log=False)
    assert collisions(pdf) == []
    assert beyond_page(pdf) == []
    assert beyond_text_width(pdf, TYPST_MARGIN) == []


@needs_poppler
def test_the_check_finds_the_overflow_without_the_fitting(tmp_path, monkeypatch):
    """The same page with the fitting switched off: the code runs into the next column."""
    pytest.importorskip("typst")
    from vrueval.render import render_document, transform

    monkeypatch.setattr(transform.pdf_tables, "fit_tables", lambda blocks: blocks)
    source = tmp_path / "wide.qmd"
    source.write_text(WIDE, encoding="utf-8")
    (pdf,) = render_document(source, tmp_path / "out", ("pdf",), log=False)
    assert collisions(pdf) != []


SITE_PDFS = sorted(SITE.glob("reports/*.pdf")) if SITE.is_dir() else []


@needs_poppler
@pytest.mark.skipif(not SITE_PDFS, reason="no built site: run `make report` first")
@pytest.mark.parametrize("pdf", SITE_PDFS, ids=lambda p: p.name)
def test_built_site_pdfs_do_not_overflow(pdf):
    assert collisions(pdf) == [], "text drawn over text"
    assert beyond_page(pdf) == []
