"""Execute a document's chunks and inline expressions in a real Jupyter kernel (nbclient).

The kernel is the Python running vrueval (``sys.executable -m ipykernel_launcher``), whatever
kernelspecs the user has installed: a fresh virtual environment in CI renders the same way as a
developer's machine. Cells run in document order in one kernel, in the document's folder, so
inline expressions see the variables of the chunks above them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vrueval.render.options import cell_options
from vrueval.render.qmd import Chunk, Document, Markdown, inline_expressions

KERNEL_NAME = "vrueval-python3"
_INLINE_MARK = "\x1evrueval-inline:"
_META_MARK = "\x1evrueval-meta:"


class ExecutionError(RuntimeError):
    """A chunk or inline expression raised, with the document location and the traceback."""


@dataclass(frozen=True)
class Executed:
    """What execution produced: each chunk's outputs and each markdown run's inline values."""

    outputs: dict[int, list[dict[str, Any]]]  # block index -> nbformat outputs
    inline: dict[int, list[str]]  # block index -> formatted values, in order
    # what the document's analyses read and estimated (vrueval.reporting.report.render_meta)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "outputs": {str(k): v for k, v in self.outputs.items()},
            "inline": {str(k): v for k, v in self.inline.items()},
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Executed:
        return cls(
            outputs={int(k): list(v) for k, v in data["outputs"].items()},
            inline={int(k): list(v) for k, v in data["inline"].items()},
            meta=dict(data.get("meta") or {}),
        )


def kernel_manager_class() -> type:
    """A KernelManager whose kernel is this interpreter's ipykernel, ignoring installed specs.

    On POSIX the kernel talks over Unix sockets named for it, not TCP ports: jupyter_client
    picks free ports and releases them before the kernel binds them, so kernels started side by
    side (``render --jobs``) can race for one port; the loser dies with "Address already in
    use" and its document fails a minute later ("Kernel didn't respond in 60 seconds").
    """
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager
    from traitlets import default

    spec = KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (vrueval)",
        language="python",
        metadata={"debugger": False},
    )

    class VenvKernelManager(KernelManager):
        def __init__(self, **kwargs: Any) -> None:
            if os.name == "posix":
                kwargs.setdefault("transport", "ipc")
            super().__init__(**kwargs)

        @default("ip")
        def _own_address(self) -> str:
            if self.transport != "ipc":
                return str(super()._ip_default())
            # short (a socket path has about 100 characters) and unique to this kernel
            return os.path.join(tempfile.gettempdir(), f"vrueval-kernel-{uuid.uuid4().hex}")

        @property
        def kernel_spec(self) -> KernelSpec:
            return spec

    return VenvKernelManager


def setup_code(defaults: Mapping[str, Any]) -> str:
    """The hidden first cell: figure size, resolution and format, as Quarto sets them."""
    width, height = float(defaults["fig-width"]), float(defaults["fig-height"])
    fmt = str(defaults["fig-format"]).lower()
    formats = ["png"] if fmt not in {"png", "svg", "retina"} else [fmt]
    return f"""
import json as __vrueval_json
try:
    import matplotlib as __vrueval_mpl
    import matplotlib.pyplot as __vrueval_plt
    # The inline backend, whatever MPLBACKEND the renderer inherited (CI sets Agg): figures
    # must reach the notebook as display data. Before rcParams, which it would reset.
    get_ipython().run_line_magic("matplotlib", "inline")
    __vrueval_mpl.rcParams["figure.figsize"] = ({width!r}, {height!r})
    __vrueval_mpl.rcParams["figure.dpi"] = {int(defaults["fig-dpi"])!r}
    __vrueval_mpl.rcParams["savefig.dpi"] = "figure"
    __vrueval_mpl.rcParams["svg.hashsalt"] = "vrueval"
    from matplotlib_inline.backend_inline import set_matplotlib_formats as __vrueval_fmts
    __vrueval_fmts(*{formats!r})
except ImportError:
    pass

def __vrueval_inline(value):
    if isinstance(value, str):
        return value
    markdown = getattr(value, "_repr_markdown_", None)
    if callable(markdown):
        text = markdown()
        if text is not None:
            return text if isinstance(text, str) else text[0]
    return str(value)
"""


# The last cell: what the document's analyses read and estimated, for the page header (data
# vintage) and the effects downloads; nothing when the document ran no analysis.
META_CODE = f"""
import sys as __vrueval_sys
__vrueval_report = __vrueval_sys.modules.get("vrueval.reporting.report")
print({_META_MARK!r} + __vrueval_json.dumps(
    __vrueval_report.render_meta() if __vrueval_report is not None else {{}}, default=str))
"""


def inline_code(expressions: list[str]) -> str:
    items = ", ".join(f"__vrueval_inline(({expr}))" for expr in expressions)
    return f"print({_INLINE_MARK!r} + __vrueval_json.dumps([{items}]))"


def _error_text(outputs: list[dict[str, Any]]) -> str | None:
    for output in outputs:
        if output.get("output_type") == "error":
            trace = "\n".join(output.get("traceback", []))
            # Strip ANSI colours from IPython tracebacks.
            import re

            trace = re.sub(r"\x1b\[[0-9;]*m", "", trace)
            return f"{output.get('ename')}: {output.get('evalue')}\n{trace}"
    return None


def execute(document: Document, defaults: Mapping[str, Any], timeout: int = 900) -> Executed:
    """Run every evaluated chunk and inline expression of ``document`` in a fresh kernel."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(setup_code(defaults)))
    where: list[tuple[str, int, int]] = [("setup", -1, 0)]  # (kind, block index, line)
    for index, block in enumerate(document.blocks):
        if isinstance(block, Markdown):
            expressions = inline_expressions(block.text)
            if expressions:
                notebook.cells.append(nbformat.v4.new_code_cell(inline_code(expressions)))
                where.append(("inline", index, block.line))
            continue
        assert isinstance(block, Chunk)
        if block.lang not in {"python", "py"}:
            raise ExecutionError(
                f"{document.path}:{block.line}: only python chunks can run (got {block.lang!r})"
            )
        options = cell_options(defaults, block.options)
        if not options.get("eval", True):
            continue
        cell = nbformat.v4.new_code_cell(block.code)
        if options.get("error"):
            cell.metadata["tags"] = ["raises-exception"]
        notebook.cells.append(cell)
        where.append(("chunk", index, block.line))

    if len(notebook.cells) == 1:  # nothing to run (a reference page): no kernel to start
        return Executed(outputs={}, inline={})
    notebook.cells.append(nbformat.v4.new_code_cell(META_CODE))
    where.append(("meta", -1, 0))
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        kernel_manager_class=kernel_manager_class(),
        timeout=timeout,
        allow_errors=False,
        record_timing=False,
        # Quiet the kernel's own start-up log (e.g. ipykernel 7's TCP notice) on our stderr.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(document.path.resolve().parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        for cell, (kind, _index, line) in zip(notebook.cells, where, strict=True):
            text = _error_text(cell.get("outputs", []))
            if text and "raises-exception" not in cell.metadata.get("tags", []):
                what = "inline expression" if kind == "inline" else "chunk"
                label = getattr(document.blocks[_index], "label", None) if _index >= 0 else None
                if kind == "chunk" and label:
                    what = f"chunk {label!r}"
                raise ExecutionError(f"{document.path}:{line}: {what} failed: {text}") from err
        raise ExecutionError(f"{document.path}: execution failed: {err}") from err

    outputs: dict[int, list[dict[str, Any]]] = {}
    inline: dict[int, list[str]] = {}
    meta: dict[str, Any] = {}
    for cell, (kind, index, _line) in zip(notebook.cells, where, strict=True):
        cell_outputs = [dict(o) for o in cell.get("outputs", [])]
        if kind == "chunk":
            outputs[index] = json.loads(json.dumps(cell_outputs))
        elif kind == "inline":
            text = "".join(
                o.get("text", "") for o in cell_outputs if o.get("output_type") == "stream"
            )
            payload = text[text.index(_INLINE_MARK) + len(_INLINE_MARK) :].strip()
            inline[index] = [str(v) for v in json.loads(payload)]
        elif kind == "meta":
            text = "".join(
                o.get("text", "") for o in cell_outputs if o.get("output_type") == "stream"
            )
            if _META_MARK in text:
                meta = json.loads(text[text.index(_META_MARK) + len(_META_MARK) :].strip())
    return Executed(outputs=outputs, inline=inline, meta=meta)
