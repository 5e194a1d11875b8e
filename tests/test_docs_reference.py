"""The API reference: every public name has a docstring and a page, with its cross-links resolved.

The names are enumerated here from ``vrueval.__all__`` and the public subpackages' ``__all__``,
independently of the generator, so a name the generator missed fails as surely as a name
without a docstring.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import vrueval
from vrueval.render import reference
from vrueval.render.project import document_formats, load_project

ROOT = Path(__file__).resolve().parents[1]


def _expected_names() -> set[str]:
    names: set[str] = set()
    for name in vrueval.__all__:
        if name.startswith("_"):
            continue
        value = getattr(vrueval, name)
        if inspect.ismodule(value):
            members = getattr(value, "__all__", None) or [
                m
                for m, v in vars(value).items()
                if not m.startswith("_")
                and (inspect.isfunction(v) or inspect.isclass(v))
                and v.__module__ == value.__name__
            ]
            names |= {f"{name}.{m}" for m in members}
        else:
            names.add(name)
    loaders = importlib.import_module("vrueval.data.loaders")
    names |= {f"data.loaders.{m}" for m in loaders.__all__}
    return names


def test_reference_lists_every_public_name_once():
    listed = reference.public_names()
    assert len(listed) == len(set(listed))
    assert set(listed) == _expected_names()
    # the designs a user starts from, each under Designs
    designs = next(s for s in reference.sections() if s.title == "Designs").names
    for name in ("ITS", "DiD", "EventStudy", "StaggeredDiD", "SyntheticControl", "SyntheticDiD"):
        assert name in designs


def _griffe_package():
    griffe = pytest.importorskip("griffe")
    return griffe.load("vrueval", docstring_parser="numpy")


def _runtime(name: str):
    value = vrueval
    for part in name.split("."):
        value = getattr(value, part)
    return value


def _griffe_object(package, name: str):
    obj = package[reference.documented_path(name)]
    return obj.final_target if obj.is_alias else obj


def test_every_public_name_has_a_docstring():
    package = _griffe_package()
    missing = []
    for name in reference.public_names():
        value = _runtime(name)
        if inspect.isclass(value) or inspect.isfunction(value) or inspect.ismodule(value):
            own = vars(value).get("__doc__") if inspect.isclass(value) else value.__doc__
            # an alias of a class (CallawaySantAnna = StaggeredDiD) is documented where assigned
            if name.split(".")[-1] != value.__name__:
                own = _griffe_object(package, name).docstring
                own = own.value if own else None
        else:  # a constant: the string literal after its assignment, as the reference reads it
            docstring = _griffe_object(package, name).docstring
            own = docstring.value if docstring else None
        if not (own or "").strip():
            missing.append(f"vrueval.{name}")
    assert missing == [], f"public names without a docstring: {missing}"


def test_a_function_shadowed_by_its_module_is_documented_as_the_function():
    # vrueval.sensitivity.pretrend_power is the function; its module has the same name
    assert reference.documented_path("sensitivity.pretrend_power") == (
        "sensitivity.pretrend_power.pretrend_power"
    )
    assert reference.documented_path("ITS") == "ITS"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = dict(load_project(ROOT)["quartodoc"])
    out = tmp_path_factory.mktemp("reference")
    (out / "gone.qmd").write_text("# a name that is no longer public\n")
    config["dir"] = str(out)
    written = reference.build(ROOT, config)
    assert written[0] == out / "index.qmd"
    return out


def _summary(doc: str) -> str:
    return doc.strip().split("\n", 1)[0].strip()


def test_every_public_name_has_a_page(pages):
    package = _griffe_package()
    for name in reference.public_names():
        page = pages / f"{name}.qmd"
        assert page.exists(), f"no reference page for vrueval.{name}"
        text = page.read_text(encoding="utf-8")
        assert f"{{ #vrueval.{reference.documented_path(name)} }}" in text, name
        first = _summary(_griffe_object(package, name).docstring.value)
        # the page shows the docstring (its roles become links: compare the plain words)
        words = re.sub(r":\w+:`~?([\w.]+)`", "", first).split()[:4]
        assert all(w.strip("`") in text for w in words), (name, first)
        assert f"]({name}.qmd#vrueval." in (pages / "index.qmd").read_text(), name
    assert not (pages / "gone.qmd").exists()


def test_reference_pages_have_no_unresolved_link_syntax(pages):
    for page in pages.glob("*.qmd"):
        text = page.read_text(encoding="utf-8")
        assert "](`" not in text, f"{page.name}: an interlink left unresolved"
        assert not re.search(r":(class|func|meth|mod|attr):`", text), page.name
        front = text.split("---\n", 2)[1]
        assert document_formats({"format": {"html": {}}}, ("html", "pdf")) == ("html",)
        assert "format:\n  html:" in front, page.name


def test_cross_links_point_at_the_pages(pages):
    its = (pages / "ITS.qmd").read_text(encoding="utf-8")
    # a type annotation links to the Panel page
    assert "[Panel](Panel.qmd#vrueval.Panel)" in its
    alias = (pages / "CallawaySantAnna.qmd").read_text(encoding="utf-8")
    assert "[`StaggeredDiD`](StaggeredDiD.qmd#vrueval.StaggeredDiD)" in alias


def test_link_text_links_known_targets_and_leaves_others_as_code():
    links = {"vrueval.ITS": "ITS.qmd#vrueval.ITS", "vrueval.designs.its.design.ITS": "ITS.qmd"}
    text = (
        "See :class:`~vrueval.designs.its.design.ITS`, :func:`vrueval.ITS`, "
        ":mod:`vrueval.nowhere` and [Panel](`vrueval.Nothing`) and [](`ITS`)."
    )
    assert reference.link_text(text, links) == (
        "See [`ITS`](ITS.qmd), [`vrueval.ITS`](ITS.qmd#vrueval.ITS), "
        "`vrueval.nowhere` and Panel and [`ITS`](ITS.qmd#vrueval.ITS)."
    )


def test_document_formats_follow_the_front_matter():
    assert document_formats({}, ("html", "pdf")) == ("html", "pdf")
    assert document_formats({"format": "html"}, ("html", "pdf")) == ("html",)
    assert document_formats({"format": {"typst": {}}}, ("html", "pdf")) == ("pdf",)
    assert document_formats({"format": "html"}, ("pdf",)) == ()


def test_qmd_links_become_html_links():
    from vrueval.render import ast, transform

    def para(target: str) -> dict:
        return {
            "pandoc-api-version": [1, 23, 1, 1],
            "meta": {},
            "blocks": [ast.para([ast.link([{"t": "Str", "c": "x"}], target)])],
        }

    def target_after(target: str, fmt: str) -> str:
        return transform.finish(para(target), fmt)["blocks"][0]["c"][0]["c"][2][0]  # type: ignore[arg-type]

    assert target_after("../reference/ITS.qmd#vrueval.ITS.fit", "html") == (
        "../reference/ITS.html#vrueval.ITS.fit"
    )
    assert target_after("Panel.qmd", "html") == "Panel.html"
    assert target_after("https://example.org/a.qmd", "html") == "https://example.org/a.qmd"
    assert target_after("#sec-x", "html") == "#sec-x"


def test_render_project_writes_the_reference_and_links_it(tmp_path, monkeypatch):
    from vrueval.render import render_project

    monkeypatch.setenv("VRUEVAL_RENDERER", "builtin")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "note.qmd").write_text(
        '---\ntitle: "A note"\n---\n\nSee the [ITS page](../docs/reference/ITS.qmd#vrueval.ITS).\n'
    )
    (tmp_path / "_quarto.yml").write_text(
        "project:\n  title: Docs site\n  render:\n    - reports/*.qmd\n"
        "    - docs/reference/*.qmd\n"
        "quartodoc:\n  package: vrueval\n  dir: docs/reference\n  title: API reference\n"
        "  render_interlinks: true\n  renderer:\n    style: markdown\n"
        "    table_style: description-list\n    show_signature_annotations: true\n"
        "  sections:\n    - title: Two names\n      contents: [ITS, Panel]\n"
    )
    out = tmp_path / "_site"
    written = render_project(tmp_path, out, formats=("html", "pdf"))
    reference = out / "docs" / "reference"
    # reference pages are HTML only; the report gets its PDF
    assert {p.name for p in written if p.parent == reference} == {
        "index.html",
        "ITS.html",
        "Panel.html",
    }
    assert (out / "reports" / "note.pdf").exists()
    its = (reference / "ITS.html").read_text(encoding="utf-8")
    assert 'href="Panel.html#vrueval.Panel"' in its
    assert 'id="vrueval.ITS.fit"' in its
    note = (out / "reports" / "note.html").read_text(encoding="utf-8")
    assert 'href="../docs/reference/ITS.html#vrueval.ITS"' in note
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<h2>API reference</h2>" in index and "<h2>Reports</h2>" in index
    assert 'href="docs/reference/index.html"' in index
    assert 'href="docs/reference/ITS.html"' not in index  # one entry for the whole reference
    from site_links import broken_links

    assert broken_links(out) == []


def test_index_lists_documents_in_their_order(tmp_path):
    from vrueval.render.project import _index_rows

    for name, order in (("b", 2), ("a", 3), ("c", None)):
        front = f"order: {order}\n" if order else ""
        (tmp_path / f"{name}.qmd").write_text(f'---\ntitle: "{name.upper()}"\n{front}---\n')
    rows = _index_rows(tmp_path, tmp_path, sorted(tmp_path.glob("*.qmd")))
    assert [r.split("<br>")[0][-1] for r in rows] == ["B", "A", "C"]
