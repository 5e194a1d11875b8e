"""The README's examples run as written.

Every ```python block is executed, in order and in one namespace, and every `vrueval` line of the
```sh blocks is run through the command's entry point, in one scratch folder that sees the
repository's analyses/ and data/ (so relative paths read as in a checkout and nothing is written
into it). Commands too costly for the test suite are listed in SKIPPED with the reason and
where they are tested instead; any other command in the README must run and exit 0.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from vrueval.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

SKIPPED = {
    "make report": "creates .venv and renders every report (minutes); CI runs it",
    "make test": "runs this test suite",
    "vrueval verify": "reruns every analysis (minutes); tests/test_analyses.py does, and the "
    "one-analysis line `vrueval verify its_hes_west_midlands` runs here",
    "vrueval verify --record": "rewrites analyses/expected/ of the checkout",
    "vrueval render": "renders every report (minutes); tests/test_render*.py render documents",
}

BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(language: str | None = None) -> list[tuple[str, str, int]]:
    """(language, code, line number) of each fenced block of the README, in order."""
    text = README.read_text(encoding="utf-8")
    found = [
        (m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in BLOCK.finditer(text)
    ]
    return [b for b in found if language is None or b[0] == language]


def commands(code: str) -> list[str]:
    """The command lines of a shell block, without comments."""
    lines = (" ".join(shlex.split(line, comments=True)) for line in code.splitlines())
    return [line for line in lines if line]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    for folder in ("analyses", "data"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_examples_run_as_written(scratch, capsys):
    namespace: dict[str, object] = {}
    ran = []
    for language, code, line in blocks():
        if language == "python":
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
            ran.append(f"python block at line {line}")
        elif language == "sh":
            for command in commands(code):
                if command in SKIPPED:
                    continue
                argv = shlex.split(command)
                assert argv[0] == "vrueval", f"README.md:{line}: {command!r} is not tested"
                capsys.readouterr()
                code_ = main(argv[1:])
                out, err = capsys.readouterr()
                assert code_ == 0, f"README.md:{line}: {command}\n{err}"
                ran.append(command)
                if argv[1] == "run":
                    # as the README describes: the path written, then the effects table
                    assert out.startswith("wrote out/wm/results.json\n"), out
                    assert "level_change" in out and "slope_change" in out
    assert (scratch / "out" / "wm" / "results.json").is_file()
    assert (scratch / "panel.parquet").is_file()
    assert len(ran) >= 9, ran


def test_skipped_commands_are_still_in_the_readme():
    present = {c for _, code, _ in blocks("sh") for c in commands(code)}
    assert set(SKIPPED) <= present, sorted(set(SKIPPED) - present)


def test_toml_example_is_the_real_spec():
    (example,) = blocks("toml")
    text = README.read_text(encoding="utf-8")
    named = re.search(r"this is `(analyses/[\w/]+\.toml)`", text)
    assert named, "the README names the spec it shows"
    spec = tomllib.loads((ROOT / named.group(1)).read_text(encoding="utf-8"))
    assert tomllib.loads(example[1]) == spec


def test_effects_columns_are_the_real_ones():
    import vrueval as ve

    text = " ".join(README.read_text(encoding="utf-8").split())
    shared = re.search(r"`\.effects\(\)` table has the columns `([^`]+)`", text)
    its_only = re.search(r"`([^`]+)` \(ITS\)", text)
    assert shared and its_only
    wm = ve.datasets.hes_sharp_object().select(outcome="admissions", units=["West Midlands"])
    result = ve.ITS(wm, interruptions={"vru": "2019-10"}).fit("hac")
    stated = shared.group(1).split(", ") + its_only.group(1).split(", ")
    assert list(result.effects().columns) == stated
