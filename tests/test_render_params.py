"""Document parameters (`vrueval render --param`, render-each) and the per-area page's plumbing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vrueval import areas
from vrueval.render import params, qmd
from vrueval.render.project import RenderError, render_project
from vrueval.reporting import areas_page

ROOT = Path(__file__).resolve().parents[1]

DOC = """---
title: "P"
format: html
render-each:
  who: [Ann, Bo Li]
---

```{python}
#| tags: [parameters]
who = "nobody"
n = 1
```

Hello `{python} who` times `{python} n`.
"""


def test_parse_assignments_reads_toml_values_else_text() -> None:
    got = params.parse_assignments(["area=Merseyside", "n=3", 'q="x=y"', "flag=true"])
    assert got == {"area": "Merseyside", "n": 3, "q": "x=y", "flag": True}
    with pytest.raises(params.ParameterError, match="KEY=VALUE"):
        params.parse_assignments(["area"])


def test_apply_injects_the_values_after_the_parameters_chunk() -> None:
    document = qmd.parse(DOC, "p.qmd")
    out = params.apply(document, {"who": "Ann"})
    chunks = out.chunks
    assert chunks[0].code.startswith('who = "nobody"')
    assert chunks[1].code.splitlines()[-1] == "who = 'Ann'"
    assert chunks[1].options["tags"] == ["injected-parameters"]
    # the values are part of the source, so the execution cache keys on them
    assert out.source != document.source
    assert params.apply(document, {"who": "Bo"}).source != out.source
    assert params.apply(document, {}) is document


@pytest.mark.parametrize(
    ("text", "given", "message"),
    [
        (DOC, {"whom": "x"}, r"no parameter\(s\) \['whom'\]; it takes \['n', 'who'\]"),
        ("```{python}\nx = 1\n```\n", {"x": 2}, "takes no parameters"),
    ],
)
def test_unknown_parameters_are_refused_by_name(text: str, given: dict, message: str) -> None:
    with pytest.raises(params.ParameterError, match=message):
        params.apply(qmd.parse(text, "p.qmd"), given)


def test_render_each_and_page_names() -> None:
    front = qmd.parse(DOC, "p.qmd").front_matter
    assert params.each(front) == [{"who": "Ann"}, {"who": "Bo Li"}]
    assert params.each({}) == [{}]
    assert params.output_stem("p", {"who": "Bo Li"}) == "p-bo-li"
    assert params.output_stem("p", {}) == "p"
    with pytest.raises(params.ParameterError, match="non-empty list"):
        params.each({"render-each": {"who": "Ann"}})


def test_param_needs_a_named_report() -> None:
    with pytest.raises(RenderError, match="name one"):
        render_project(ROOT, Path("/nonexistent-out"), formats=("html",), params={"area": "Kent"})


def test_render_each_renders_one_page_per_value(tmp_path: Path) -> None:
    (tmp_path / "_quarto.yml").write_text("project:\n  render:\n    - p.qmd\n")
    (tmp_path / "p.qmd").write_text(DOC)
    written = render_project(tmp_path, tmp_path / "_site", formats=("html",))
    names = sorted(p.name for p in written)
    assert names == ["index.html", "p-ann.html", "p-bo-li.html"]
    page = (tmp_path / "_site" / "p-bo-li.html").read_text()
    assert "Hello Bo Li times 1" in re.sub(r"\s+", " ", page)
    # one named value through --param
    one = render_project(
        tmp_path, tmp_path / "one", formats=("html",), reports=["p.qmd"], params={"n": 7}
    )
    assert [p.name for p in one] == ["p-7.html", "index.html"]
    assert "Hello nobody times 7" in re.sub(r"\s+", " ", one[0].read_text())


def test_area_page_renders_every_vru_area() -> None:
    front = qmd.read(ROOT / "reports" / "area.qmd").front_matter
    listed = [v["area"] for v in params.each(front)]
    assert listed == sorted(areas.name(c) for c in areas.vru_areas())
    assert len(listed) == 20
    assert params.declared(qmd.read(ROOT / "reports" / "area.qmd")).keys() == {"area"}
    for name in listed:  # the page names the index and the knife report link to
        assert areas_page.page_name(name) == params.output_stem("area", {"area": name})
        assert (ROOT / "analyses" / f"{areas_page.area_spec(name)}.toml").is_file()


def test_unknown_area_names_the_known_ones() -> None:
    assert areas_page.vru_area_code("merseyside") == areas.resolve("Merseyside")
    for bad in ("Narnia", "Cumbria"):  # unknown, and a force that never had a VRU
        with pytest.raises(
            ValueError, match="the 20 VRU areas are: Avon and Somerset, .*West Yorkshire"
        ):
            areas_page.vru_area_code(bad)


def test_interval_std_error() -> None:
    assert areas_page.interval_std_error(-1.959963984540054, 1.959963984540054) == pytest.approx(
        1.0
    )
    with pytest.raises(ValueError, match="positive finite width"):
        areas_page.interval_std_error(1.0, 1.0)
