"""Report helpers: run analyses by name, format headline numbers, tables and provenance.

Importing this package registers its figures with :mod:`vrueval.results` (the plotting hook).
"""

from vrueval.reporting import (
    did_plot,  # noqa: F401  (registers the DiD, event-study and staggered figures)
    extrapolation_plot,  # noqa: F401  (registers its figure)
    its_plot,  # noqa: F401  (registers the ITS figure)
    staggered_synthetic_plot,  # noqa: F401  (registers the staggered synthetic figures)
    synthetic_plot,  # noqa: F401  (registers the synthetic figures)
)
from vrueval.reporting.report import (
    Run,
    effects_table,
    fmt_number,
    fmt_p,
    fmt_percent_change,
    headline,
    p_text,
    pre_period_mean,
    project_root,
    provenance_table,
    run,
    show,
    warnings_table,
)
from vrueval.reporting.wording import (
    evidence,
    headline_sentence,
    pretrend_diverges,
    pretrend_sentence,
    timing_sentence,
)

__all__ = [
    "Run",
    "effects_table",
    "evidence",
    "headline_sentence",
    "pre_period_mean",
    "pretrend_diverges",
    "pretrend_sentence",
    "timing_sentence",
    "fmt_number",
    "fmt_p",
    "fmt_percent_change",
    "headline",
    "p_text",
    "project_root",
    "provenance_table",
    "run",
    "show",
    "warnings_table",
]
