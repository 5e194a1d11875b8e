"""Render the Quarto reports: ``quarto render`` when it is on PATH, else the built-in renderer.

The built-in renderer reads the same ``.qmd`` files and ``_quarto.yml``: chunks run in a Jupyter
kernel (nbclient), pandoc writes self-contained HTML, Typst writes the PDF. Honoured: front matter
and project options (title, subtitle, author, date, toc, toc-depth, number-sections, execute
defaults, fig-width/height/dpi/format, papersize), ``#|`` cell options (label, echo, eval, output
incl. ``asis``, include, warning, error, fig-cap, fig-alt, tbl-cap), inline `` `{python} expr` ``,
@fig-/@tbl-/@sec- cross-references and callouts (note, tip, warning, important, caution).

>>> from vrueval.render import render_project
>>> render_project(Path("."), Path("_site"))  # doctest: +SKIP
"""

from vrueval.render.project import RenderError, render_document, render_file, render_project

__all__ = ["RenderError", "render_document", "render_file", "render_project"]
