"""Inference shared by the designs: Wald intervals, covariance, bootstraps, permutations."""

from vrueval.inference.intervals import check_level, wald_table

__all__ = ["check_level", "wald_table"]
