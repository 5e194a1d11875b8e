"""The seed rule of random inference: a seed must be given, so the numbers can be reproduced."""

from __future__ import annotations

import numpy as np


def check_seed(seed: int | None, needed: bool) -> None:
    """Refuse a seed that is not a non-negative integer, or a missing one where ``needed``.

    Random inference (bootstraps, permutations, simulated power) without a seed gives different
    numbers on every run while recording the same ``seed=None`` a deterministic fit carries.
    """
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0
    ):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if needed and seed is None:
        raise ValueError("random draws need an explicit seed (it is recorded on the result)")
