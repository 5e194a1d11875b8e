"""Independent documents render side by side (``vrueval render --jobs N``) into the same bytes.

A project of three small documents (seeded draws, a table, a figure, inline values, a
cross-reference) is rendered once with one job and once with two; every file of the two sites
is compared byte for byte (the render cache's own bookkeeping folder aside, which records the
same keys). The PDFs' creation date is fixed by ``SOURCE_DATE_EPOCH``, as for any
reproducible build: without it no two renders, serial or not, give the same PDF bytes.
The parallel render is checked to have happened: three documents on two worker processes,
each document's kernel given one job (2 documents x 1 inner job <= 2 cores), and a cached
re-render starts no worker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import vrueval.compute
from vrueval.compute import using
from vrueval.render import project
from vrueval.render.cache import CACHE_DIR

PROJECT_YML = """\
project:
  title: "Parallel fixture"
  render:
    - reports/*.qmd
execute:
  echo: false
"""

DOCUMENT = """\
---
title: "Document {n}"
---

```{{python}}
#| include: false
import os
from pathlib import Path

import numpy as np
import pandas as pd

# a side note for the test, never part of the page: the jobs this kernel was given and the
# process that started it
Path("seen-{n}.txt").write_text(f"{{os.environ.get('VRUEVAL_JOBS')}} {{os.getppid()}}")
rng = np.random.default_rng({n})
draws = rng.normal(size=200)
```

The mean of the draws is `{{python}} f"{{draws.mean():.6f}}"`.

```{{python}}
#| label: tbl-draws
#| tbl-cap: "Quantiles of document {n}'s draws"
pd.DataFrame({{"q": [0.1, 0.5, 0.9], "value": np.quantile(draws, [0.1, 0.5, 0.9])}})
```

```{{python}}
#| label: fig-draws
#| fig-cap: "Histogram of document {n}'s draws"
import matplotlib.pyplot as plt

plt.hist(draws, bins=20)
plt.show()
```

See @fig-draws and @tbl-draws.
"""

NAMES = (1, 2, 3)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VRUEVAL_RENDERER", "builtin")
    # the PDFs' creation date (else the second of the render: no two renders would agree)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for var in ("VRUEVAL_JOBS", "VRUEVAL_BACKEND", "VRUEVAL_ADDRESS"):
        monkeypatch.delenv(var, raising=False)
    folder = tmp_path / "project"
    (folder / "reports").mkdir(parents=True)
    (folder / "_quarto.yml").write_text(PROJECT_YML)
    for n in NAMES:
        (folder / "reports" / f"doc{n}.qmd").write_text(DOCUMENT.format(n=n))
    return folder


def _files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and CACHE_DIR not in p.relative_to(site).parts
    }


def _seen(root: Path) -> dict[int, tuple[str, int]]:
    out = {}
    for n in NAMES:
        jobs, parent = (root / "reports" / f"seen-{n}.txt").read_text().split()
        out[n] = (jobs, int(parent))
    return out


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    real = vrueval.compute.pmap

    def spy(func: Any, tasks: Any, **kwargs: Any) -> Any:
        calls.append({"tasks": len(tasks), **kwargs})
        return real(func, tasks, **kwargs)

    monkeypatch.setattr(vrueval.compute, "pmap", spy)
    return calls


def test_documents_render_side_by_side_into_the_serial_bytes(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy(monkeypatch)
    serial_site, parallel_site = tmp_path / "serial", tmp_path / "parallel"

    with using(jobs=1):
        serial_written = project.render_project(root, serial_site)
    assert calls == []  # one job: every document in this process
    serial_seen = _seen(root)
    assert {parent for _, parent in serial_seen.values()} == {os.getpid()}

    with using(jobs=2):
        parallel_written = project.render_project(root, parallel_site)
    # three documents on two local processes, one a task; each kernel got 2 // 2 = 1 job
    assert [(c["tasks"], c["jobs"], c["backend"], c["chunk"]) for c in calls] == [(3, 2, "loky", 1)]
    seen = _seen(root)
    assert {jobs for jobs, _ in seen.values()} == {"1"}
    workers = {parent for _, parent in seen.values()}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2

    files = [p.relative_to(serial_site) for p in serial_written]
    assert files == [p.relative_to(parallel_site) for p in parallel_written]  # same order
    assert files == [Path(f"reports/doc{n}.{fmt}") for n in NAMES for fmt in ("html", "pdf")] + [
        Path("index.html")
    ]
    serial, parallel = _files(serial_site), _files(parallel_site)
    assert sorted(serial) == sorted(parallel)
    assert len(serial) >= 7  # 3 x (html, pdf) and the index
    different = [name for name in serial if serial[name] != parallel[name]]
    assert different == []

    # a cached re-render finds every page current in this process: no worker starts
    calls.clear()
    with using(jobs=2):
        again = project.render_project(root, parallel_site)
    assert calls == [] and again == parallel_written
    assert _files(parallel_site) == parallel


def test_a_failing_document_is_reported_and_the_others_still_render(
    root: Path, tmp_path: Path
) -> None:
    bad = root / "reports" / "doc2.qmd"
    bad.write_text(bad.read_text().replace("rng.normal(size=200)", "rng.normal(size=-1)"))
    site = tmp_path / "site"
    with using(jobs=2), pytest.raises(project.RenderError, match="1 report\\(s\\) failed") as info:
        project.render_project(root, site, formats=("html",))
    assert "reports/doc2.qmd:" in str(info.value)
    assert "negative dimensions" in str(info.value)
    assert (site / "reports" / "doc1.html").is_file() and (site / "reports" / "doc3.html").is_file()
    assert not (site / "reports" / "doc2.html").exists()
    assert "doc2" not in (site / "index.html").read_text()


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets are POSIX only")
def test_kernels_started_side_by_side_cannot_race_for_a_port():
    # jupyter_client picks free TCP ports and releases them before the kernel binds; two
    # kernels started at once could take the same one (seen in CI: "Address already in use",
    # then "Kernel didn't respond in 60 seconds"). Each kernel talks over its own Unix sockets.
    from vrueval.render.execute import kernel_manager_class

    manager = kernel_manager_class()
    first, second = manager(), manager()
    assert first.transport == second.transport == "ipc"
    assert first.ip != second.ip
    assert len(first.ip) + len("-99999") < 100  # a Unix socket path holds about 100 characters
    first.start_kernel()
    try:
        client = first.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive("x = 6 * 7", timeout=60)
        assert reply["content"]["status"] == "ok"
        client.stop_channels()
    finally:
        first.shutdown_kernel(now=True)
    assert not any(Path(first.ip).parent.glob(Path(first.ip).name + "-*"))  # sockets removed
