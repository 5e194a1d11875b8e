"""The examples in the docstrings run, on the bundled data, and print what they say they print.

Every module of the package whose source holds an example (``>>>``) is collected here, so a new
example runs without being registered; paths in examples are relative to the repository root.
"""

from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vrueval"
# Examples that may not run here, each with the reason (nothing else may be +SKIP).
MAY_SKIP = {"vrueval.render": "renders the whole site (make report)"}


def _modules_with_examples() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" not in path.read_text(encoding="utf-8"):
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_examples()


def test_examples_are_found():
    # the package's own docstring, the designs, data, power and sensitivity all have examples
    for name in ("vrueval", "vrueval.designs.its.estimator", "vrueval.data.datasets"):
        assert name in MODULES
    assert len(MODULES) >= 12


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch):
    pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    assert tests, f"{name}: '>>>' in the source but no example found"
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS, verbose=False)
    ran = 0
    for test in tests:
        result = runner.run(test, out=report.write)
        ran += result.attempted  # skipped examples are not attempted
    assert runner.failures == 0, report.getvalue()
    skipped = sum(1 for t in tests for e in t.examples if e.options.get(doctest.SKIP))
    if name not in MAY_SKIP:
        assert skipped == 0, f"{name}: {skipped} example(s) marked +SKIP; make them run"
    assert ran > 0 or name in MAY_SKIP, f"{name}: no example actually ran"
