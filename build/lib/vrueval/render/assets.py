"""The built-in stylesheet (HTML) and preamble (Typst). No web fonts, no external URLs."""

from __future__ import annotations

HTML_STYLE = """<style>
:root { --fg: #1d1d1f; --muted: #5f6368; --rule: #d9dce1; --code-bg: #f6f8fa; --link: #0b5cad; }
html { font-size: 17px; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--fg); line-height: 1.55; max-width: 50rem; margin: 0 auto;
       padding: 2rem 1.25rem 4rem; background: #fff; }
a { color: var(--link); }
h1, h2, h3, h4 { line-height: 1.25; margin-top: 1.8em; }
header#title-block-header { border-bottom: 1px solid var(--rule); margin-bottom: 1.5rem; }
header#title-block-header h1.title { margin-top: 0; font-size: 2rem; }
header#title-block-header p.subtitle { font-size: 1.2rem; color: var(--muted); margin-top: -.5rem; }
p.author, p.date { color: var(--muted); margin: .2rem 0; }
span.header-section-number { color: var(--muted); margin-right: .4em; }
nav#TOC { border: 1px solid var(--rule); border-radius: 6px; padding: .6rem 1rem;
          margin: 1rem 0 2rem; font-size: .92rem; background: #fbfbfc; }
nav#TOC ul { padding-left: 1.2rem; margin: .2rem 0; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
            monospace; font-size: .86em; }
div.sourceCode { background: var(--code-bg); border-radius: 5px; margin: 1rem 0; }
pre { background: var(--code-bg); padding: .7rem .9rem; border-radius: 5px; overflow-x: auto; }
pre.cell-output-stdout, div.cell-output-stdout pre, pre.cell-output-display {
  background: #fff; border: 1px solid var(--rule); }
pre.cell-output-stderr { background: #fff8e6; border: 1px solid #f3d28a; }
pre.cell-output-error { background: #fdecea; border: 1px solid #f0a9a1; }
figure { margin: 1.5rem 0; text-align: center; }
figure img, p > img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .92rem; margin-top: .4rem; text-align: left; }
table { border-collapse: collapse; margin: 1.2rem auto; font-size: .9rem;
        font-variant-numeric: tabular-nums; }
table caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: .4rem; }
th, td { padding: .3rem .65rem; border-bottom: 1px solid var(--rule); text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #9aa0a6; }
div.callout { border-left: 5px solid var(--callout); border-radius: 5px; margin: 1.3rem 0;
              background: color-mix(in srgb, var(--callout) 7%, white);
              border-top: 1px solid var(--rule); border-right: 1px solid var(--rule);
              border-bottom: 1px solid var(--rule); }
div.callout-title { padding: .45rem .9rem; font-size: .95rem;
                    background: color-mix(in srgb, var(--callout) 14%, white); }
div.callout-body { padding: .1rem .9rem; }
div.callout-note { --callout: #0758e5; } div.callout-tip { --callout: #00a047; }
div.callout-warning { --callout: #ff9800; } div.callout-important { --callout: #cc1914; }
div.callout-caution { --callout: #fc5300; }
a.quarto-xref { text-decoration: none; }
div.report-header { font-size: .84rem; color: var(--muted); border-bottom: 1px solid var(--rule);
                    margin: 0 0 1.2rem; padding-bottom: .5rem; }
div.report-header ul { list-style: none; padding-left: 0; margin: 0 0 .3rem; }
div.report-header p.downloads, p.download { font-size: .84rem; margin: .2rem 0; }
p.download { text-align: right; margin-top: -.8rem; }
@media print { body { max-width: none; } nav#TOC { display: none; } }
</style>
"""

TYPST_HEADER = """#show raw.where(block: true): set block(fill: luma(246), inset: 7pt, radius: 3pt,
  width: 100%)
#show raw: set text(size: 0.85em)
#show table: set text(size: 0.85em)
#show table: set par(justify: false)
#show table.cell: set text(hyphenate: true)
#set table(stroke: (x, y) => if y == 0 { (bottom: 0.7pt) } else { (bottom: 0.3pt + luma(200)) })
#show figure: set block(breakable: true)
#show link: set text(fill: rgb("#0b5cad"))
"""
