"""Delegate to the Quarto CLI when it is on PATH (``VRUEVAL_RENDERER=builtin`` opts out).

Quarto is told to use this interpreter (``QUARTO_PYTHON``) so the reports import the same vrueval.
PDF is Quarto's ``typst`` format, as in ``_quarto.yml``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

QUARTO_FORMATS = {"html": "html", "pdf": "typst"}
SUFFIX = {"html": ".html", "pdf": ".pdf"}


class QuartoError(RuntimeError):
    """``quarto render`` failed; the message holds its output."""


def available() -> str | None:
    """The ``quarto`` executable, unless the built-in renderer is asked for."""
    if os.environ.get("VRUEVAL_RENDERER", "").lower() == "builtin":
        return None
    return shutil.which("quarto")


def _run(args: list[str], cwd: Path) -> None:
    executable = available()
    if executable is None:
        raise QuartoError("quarto is not on PATH")
    env = dict(os.environ, QUARTO_PYTHON=sys.executable)
    proc = subprocess.run(
        [executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise QuartoError(f"quarto {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def render_project(
    root: Path, out: Path, files: Sequence[Path], formats: Sequence[str]
) -> list[Path]:
    """``quarto render FILE --to FMT --output-dir OUT`` for each report and format."""
    written = []
    for path in files:
        rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        for fmt in formats:
            _run(
                [
                    "render",
                    str(rel),
                    "--to",
                    QUARTO_FORMATS[fmt],
                    "--output-dir",
                    str(out),
                ],
                cwd=root,
            )
            target = out / rel.with_suffix(SUFFIX[fmt])
            if not target.exists():
                # Quarto names the output after the document only, outside a project layout.
                flat = out / (path.stem + SUFFIX[fmt])
                target = flat if flat.exists() else target
            if not target.exists():
                raise QuartoError(f"quarto reported success but {target} is missing")
            written.append(target)
    return written


def render_file(path: Path, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Render one document with Quarto into ``out_dir``."""
    written = []
    for fmt in formats:
        _run(
            [
                "render",
                path.name,
                "--to",
                QUARTO_FORMATS[fmt],
                "--output-dir",
                str(out_dir),
            ],
            cwd=path.parent,
        )
        target = out_dir / (path.stem + SUFFIX[fmt])
        if not target.exists():
            raise QuartoError(f"quarto reported success but {target} is missing")
        written.append(target)
    return written
