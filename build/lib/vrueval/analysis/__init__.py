"""Analyses: TOML specs, the runner writing results.json, verification of published numbers."""

from vrueval.analysis.runner import run_file, run_spec
from vrueval.analysis.spec import Spec, SpecError, find_specs, load_spec
from vrueval.analysis.verify import record, verify

__all__ = [
    "Spec",
    "SpecError",
    "find_specs",
    "load_spec",
    "record",
    "run_file",
    "run_spec",
    "verify",
]
