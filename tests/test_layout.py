"""The layout's one rule: designs and inference never import reporting or render.

Results reach their figures through the hook in :mod:`vrueval.results` instead; imports are read
with ``ast`` (module level and inside functions alike).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vrueval as ve

PACKAGE = Path(__file__).resolve().parents[1] / "vrueval"
LOWER = ("designs", "inference")
FORBIDDEN = ("vrueval.reporting", "vrueval.render")


def imported_modules(source: str) -> list[str]:
    """Every module named by an ``import`` or ``from ... import`` in ``source``."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def forbidden_imports(source: str) -> list[str]:
    return [
        name
        for name in imported_modules(source)
        if any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN)
    ]


@pytest.mark.parametrize("folder", LOWER)
def test_lower_layers_never_import_reporting_or_render(folder: str) -> None:
    files = sorted((PACKAGE / folder).rglob("*.py"))
    assert files, f"no modules under vrueval/{folder}"
    found = {
        str(f.relative_to(PACKAGE)): bad
        for f in files
        if (bad := forbidden_imports(f.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "line",
    [
        "from vrueval.reporting.its_plot import plot_its",
        "import vrueval.render",
        "from vrueval import reporting",
        "def f():\n    from vrueval.render.qmd import x\n",
    ],
)
def test_the_import_check_can_fail(line: str) -> None:
    assert forbidden_imports(line)


def test_families_live_in_their_own_subpackages() -> None:
    from vrueval.designs.did import DiD, EventStudy
    from vrueval.designs.its import ITS
    from vrueval.designs.staggered import CallawaySantAnna, StaggeredDiD

    assert (ve.ITS, ve.DiD, ve.EventStudy) == (ITS, DiD, EventStudy)
    assert (ve.StaggeredDiD, ve.CallawaySantAnna) == (StaggeredDiD, CallawaySantAnna)


HOOK_SCRIPT = """
import sys
import vrueval as ve
from vrueval import results
panel = ve.datasets.knife_quarterly()
res = ve.ITS(panel, {"vru": "2016Q2"}, unit="West Midlands", outcome="knife_offences").fit()
assert "vrueval.reporting" not in sys.modules, "fitting imported reporting"
assert res.plot() is not None
assert "vrueval.reporting" in sys.modules and "its" in results._PLOTTERS
try:
    results.plotter("no-such-kind")
except NotImplementedError as err:
    assert "no plot registered" in str(err)
else:
    raise AssertionError("an unknown kind found a plotter")
"""


def test_its_plot_reaches_reporting_through_the_hook() -> None:
    """A fresh interpreter: fitting leaves reporting unimported; plot() imports it on demand."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(PACKAGE.parent)}
    done = subprocess.run(
        [sys.executable, "-c", HOOK_SCRIPT], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
