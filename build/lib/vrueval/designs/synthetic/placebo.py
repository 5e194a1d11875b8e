"""In-space placebos of synthetic control (Abadie, Diamond and Hainmueller 2010, section 4):
every donor in turn treated as if it had been, fitted from the other donors by the same rule,
and the treated unit's post/pre RMSPE ratio ranked among theirs.

The p-value counts the treated unit with the placebos, ``(1 + #{ratio_j >= ratio_1}) / (1 + J)``:
an exact permutation test when treatment could have fallen on any of the ``J + 1`` units with
equal probability. ``drop_poor_fit`` (ADH used 20, 5 and 2) leaves out of the comparison the
placebos whose pre-RMSPE exceeds that multiple of the treated unit's: a unit that cannot be
fitted before treatment says nothing about the size of a post-treatment gap. Arrays only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vrueval.designs.synthetic.control import ControlFit, Rule, synthetic_control


@dataclass(frozen=True)
class Placebos:
    """One row a donor: its fit with itself treated."""

    pre_rmspe: np.ndarray
    post_rmspe: np.ndarray
    gaps: np.ndarray  # donors x periods

    @property
    def ratio(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return self.post_rmspe / self.pre_rmspe


def in_space(y: np.ndarray, n0: int, t0: int, x: np.ndarray, rule: Rule) -> Placebos:
    """Fit every donor ``j < n0`` from the other donors by the same ``rule`` (the treated
    units are left out; an augmented fit cross-validates its own ridge penalty)."""
    pre, post, gaps = [], [], []
    donors = np.arange(n0)
    for j in range(n0):
        fit = synthetic_control(y, t0, j, donors[donors != j], x, rule)
        pre.append(fit.pre_rmspe)
        post.append(fit.post_rmspe)
        gaps.append(fit.gap)
    return Placebos(np.array(pre), np.array(post), np.array(gaps))


def kept(placebos: Placebos, treated: ControlFit, drop_poor_fit: float | None) -> np.ndarray:
    """Which placebos enter the comparison."""
    if drop_poor_fit is None:
        return np.ones(len(placebos.pre_rmspe), dtype=bool)
    return placebos.pre_rmspe <= drop_poor_fit * treated.pre_rmspe


def ratio_p_value(placebos: Placebos, treated: ControlFit, keep: np.ndarray) -> float:
    """Rank p-value of the treated unit's post/pre RMSPE ratio among the kept placebos'."""
    own = treated.post_rmspe / treated.pre_rmspe if treated.pre_rmspe > 0 else np.inf
    return float((1 + np.sum(placebos.ratio[keep] >= own)) / (1 + keep.sum()))


def period_p_values(
    placebos: Placebos, treated: ControlFit, keep: np.ndarray, t0: int
) -> np.ndarray:
    """Rank p-value of each post-period's absolute gap among the kept placebos' in that period."""
    own = np.abs(treated.gap[t0:])
    theirs = np.abs(placebos.gaps[keep, t0:])
    return (1 + (theirs >= own).sum(axis=0)) / (1 + keep.sum())
