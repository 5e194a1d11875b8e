"""A small Quarto project exercising every feature the built-in renderer honours.

Shared by tests/test_render_document.py and tests/test_browser.py; rendered once per test process.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from functools import cache
from pathlib import Path

PROJECT_YML = """\
project:
  type: default
  title: "Fixture site"
  output-dir: _site
  render:
    - reports/*.qmd
lang: en-GB
execute:
  echo: false
format:
  html:
    toc: true
    fig-width: 6
    fig-height: 4
  typst:
    papersize: a4
"""

FIXTURE_QMD = """\
---
title: "Fixture report"
subtitle: "Every feature once"
author:
  - name: "A. Analyst"
date: 2024-05-01
number-sections: true
---

```{python}
#| label: setup
#| include: false
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

answer = 6 * 7
ratio = 0.8765
place = "West Midlands"
print("hidden entirely")
```

## Summary {#sec-summary}

The answer is `{python} answer`, the place is `{python} place` and the ratio is
`{python} f"{ratio:.2f}"`. See @fig-trend, @tbl-effects and @sec-method.

::: {.callout-note}
## Read this first
Callout body with **bold** text.
:::

::: {.callout-warning title="Mind the gap"}
A warning callout.
:::

::: callout-tip
An untitled tip.
:::

## Method {#sec-method}

```{python}
#| label: fig-trend
#| fig-cap: "A *rising* trend"
#| fig-alt: "Line chart rising from 0 to 27"
fig, ax = plt.subplots()
ax.plot(np.arange(10), np.arange(10) ** 1.5)
ax.set_xlabel("quarter")
plt.show()
```

```{python}
#| label: tbl-effects
#| tbl-cap: "Effects table"
pd.DataFrame({"term": ["level_change", "slope_change"], "estimate": [0.912, 1.013]})
```

```{python}
#| echo: true
print("echoed code and its output")
```

```{python}
#| output: false
print("output suppressed")
```

```{python}
#| output: asis
print("**markdown from code**")
```

```{python}
warnings.warn("a visible warning")
```

```{python}
#| warning: false
warnings.warn("a silenced warning")
```

```{python}
#| label: fig-second
#| fig-cap: "A second figure"
fig, ax = plt.subplots()
ax.bar(["a", "b"], [1, 2])
plt.show()
```

Back-reference to @fig-second, and [-@fig-trend] without its prefix.
"""


@cache
def rendered() -> dict[str, object]:
    """Render the fixture project once (built-in renderer): paths, timings and the HTML text."""
    from vrueval.render import render_document

    root = Path(tempfile.mkdtemp(prefix="vrueval-fixture-"))
    atexit.register(shutil.rmtree, root, True)
    (root / "_quarto.yml").write_text(PROJECT_YML, encoding="utf-8")
    (root / "reports").mkdir()
    source = root / "reports" / "fixture.qmd"
    source.write_text(FIXTURE_QMD, encoding="utf-8")
    out = root / "_site" / "reports"
    started = time.perf_counter()
    paths = render_document(source, out, ("html", "pdf"), log=False)
    first = time.perf_counter() - started
    html_path = out / "fixture.html"
    return {
        "root": root,
        "source": source,
        "out": out,
        "paths": paths,
        "html_path": html_path,
        "pdf_path": out / "fixture.pdf",
        "html": html_path.read_text(encoding="utf-8"),
        "seconds": first,
    }
