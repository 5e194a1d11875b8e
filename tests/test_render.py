"""Unit tests of the built-in renderer's parts: .qmd parsing, options, AST finishing, cache keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vrueval.render import ast, cache, options, qmd, transform
from vrueval.render.execute import Executed
from vrueval.render.pandoc import run_pandoc

DOC = """\
---
title: "T"
execute:
  echo: false
---

Intro `{python} x + 1` and `{python} name`.

```{python}
#| label: fig-a
#| fig-cap: "Cap: with colon"
x = 1
```

```python
# display only: not a chunk, even with `{python} y` inside
```

````{python}
#| echo: true
print("```")
````
"""


def test_parse_front_matter_chunks_and_options():
    doc = qmd.parse(DOC, "doc.qmd")
    assert doc.front_matter["title"] == "T"
    assert [type(b).__name__ for b in doc.blocks] == ["Markdown", "Chunk", "Markdown", "Chunk"]
    first, second = doc.chunks
    assert first.label == "fig-a"
    assert first.options == {"label": "fig-a", "fig-cap": "Cap: with colon"}
    assert first.code == "x = 1"
    assert first.line == 9
    assert second.options == {"echo": True} and second.code == 'print("```")'
    assert qmd.inline_expressions(doc.blocks[0].text) == ["x + 1", "name"]
    assert qmd.inline_expressions(doc.blocks[2].text) == []  # inside a display code block
    text = "a `{python} 1`\n```\n`{python} 2`\n```\nb `{python} 3`"
    assert qmd.substitute_inline(text, ["one", "three"]).startswith("a one")
    assert qmd.substitute_inline(text, ["one", "three"]).endswith("b three")


def test_parse_errors_name_the_line():
    with pytest.raises(qmd.QmdError, match="never closed"):
        qmd.parse("text\n```{python}\nx = 1\n", "bad.qmd")
    with pytest.raises(qmd.QmdError, match="not valid YAML"):
        qmd.parse("```{python}\n#| label: [unclosed\nx\n```\n", "bad.qmd")
    with pytest.raises(qmd.QmdError, match="front matter"):
        qmd.parse("---\ntitle: [x\n---\n", "bad.qmd")


def test_option_precedence_project_document_format_cell():
    project = {
        "execute": {"echo": False, "warning": False},
        "fig-width": 9,
        "format": {"html": {"toc": True, "fig-height": 3}, "typst": {"toc": False}},
    }
    document = {"execute": {"warning": True}, "format": {"html": {"toc-depth": 2}}}
    defaults = options.execute_options(project, document)
    assert defaults["echo"] is False and defaults["warning"] is True
    assert defaults["fig-width"] == 9 and defaults["fig-height"] == 3
    assert options.cell_options(defaults, {"echo": True})["echo"] is True
    html = options.resolve(project, document, "html")
    pdf = options.resolve(project, document, "pdf")
    assert html["toc"] is True and html["toc-depth"] == 2 and pdf["toc"] is False
    assert "format" not in options.metadata({"title": "x", "format": {}})


def _doc(markdown: str) -> dict:
    result: dict = run_pandoc(markdown, ["-f", "markdown", "-t", "json"], parse_json=True)
    return result


def test_crossrefs_numbered_in_reading_order_for_html_and_typst():
    neutral = _doc(
        "## A {#sec-a}\n\nSee @fig-b, @fig-a, [-@tbl-x] and @sec-b; @fig-missing.\n\n"
        "![First](a.png){#fig-a}\n\n![Second](b.png){#fig-b}\n\n"
        "| a |\n|---|\n| 1 |\n\n: Tab {#tbl-x}\n\n## B {#sec-b}\n"
    )
    with pytest.warns(UserWarning, match="fig-missing"):
        html = transform.finish(neutral, "html")
    text = run_pandoc(json.dumps(html), ["-f", "json", "-t", "html", "--wrap=none"])
    assert '<a href="#fig-b" class="quarto-xref">Figure 2</a>' in text
    assert '<a href="#fig-a" class="quarto-xref">Figure 1</a>' in text
    assert '<a href="#tbl-x" class="quarto-xref">1</a>' in text  # prefix suppressed
    assert '<a href="#sec-b" class="quarto-xref">Section 2</a>' in text
    assert "<strong>?@fig-missing</strong>" in text
    assert "<figcaption>Figure 1: First</figcaption>" in text
    assert "Table 1: Tab" in text
    with pytest.warns(UserWarning):
        typst = transform.finish(neutral, "typst")
    source = run_pandoc(json.dumps(typst), ["-f", "json", "-t", "typst"])
    assert "See @fig-b, @fig-a" in source  # Typst numbers and links these itself
    assert "#ref(<tbl-x>, supplement: none)" in source
    assert "Figure 1: First" not in source  # no double numbering in the PDF
    assert neutral == _doc(
        "## A {#sec-a}\n\nSee @fig-b, @fig-a, [-@tbl-x] and @sec-b; @fig-missing.\n\n"
        "![First](a.png){#fig-a}\n\n![Second](b.png){#fig-b}\n\n"
        "| a |\n|---|\n| 1 |\n\n: Tab {#tbl-x}\n\n## B {#sec-b}\n"
    ), "finish must not mutate its input"


def test_callouts_titles_and_kinds():
    neutral = _doc(
        "::: {.callout-note}\n## Heading title\nBody\n:::\n\n"
        '::: {.callout-caution title="Given"}\nBody\n:::\n\n::: callout-tip\nBody\n:::\n'
    )
    html = run_pandoc(
        json.dumps(transform.finish(neutral, "html")), ["-f", "json", "-t", "html", "--wrap=none"]
    )
    assert 'class="callout callout-note"' in html and "<strong>Heading title</strong>" in html
    assert "<strong>Given</strong>" in html and "<strong>Tip</strong>" in html
    assert "<h2" not in html  # the heading became the title, not a section
    typst = run_pandoc(
        json.dumps(transform.finish(neutral, "typst")), ["-f", "json", "-t", "typst"]
    )
    assert typst.count("#block(width: 100%") == 3 and "#strong[Given]" in typst


def test_plain_text_of_inlines():
    inlines = _doc("A *b* `c` [d](#e)")["blocks"][0]["c"]
    assert ast.plain_text(inlines) == "A b c d"


def test_cache_key_follows_source_specs_and_options(tmp_path: Path):
    (tmp_path / "analyses").mkdir()
    spec = tmp_path / "analyses" / "demo.toml"
    spec.write_text("[analysis]\nname = 'demo'\n", encoding="utf-8")
    source = '```{python}\nr = run("demo")\n```\n'
    doc = qmd.parse(source, tmp_path / "r.qmd")
    assert cache.analyses_used(doc) == ["demo"]
    defaults = options.execute_options({}, {})
    key = cache.execution_key(doc, defaults)
    assert key == cache.execution_key(qmd.parse(source, tmp_path / "r.qmd"), defaults)
    assert key != cache.execution_key(qmd.parse(source + "\n", tmp_path / "r.qmd"), defaults)
    assert key != cache.execution_key(doc, {**defaults, "fig-width": 3})
    spec.write_text("[analysis]\nname = 'demo'\nseed = 2\n", encoding="utf-8")
    assert key != cache.execution_key(doc, defaults)


def test_cache_round_trip(tmp_path: Path):
    store = cache.Cache(tmp_path)
    executed = Executed(outputs={1: [{"output_type": "stream", "text": "x"}]}, inline={0: ["42"]})
    assert store.load_execution("r", "k") is None
    store.store_execution("r", "k", executed)
    assert store.load_execution("r", "k") == executed
    assert store.load_execution("r", "other") is None
