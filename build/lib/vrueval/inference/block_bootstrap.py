"""Circular block bootstrap indices for serially dependent residuals.

Resampling whole blocks of consecutive residuals keeps their short-range dependence, which the
ordinary (i.i.d.) bootstrap destroys; the circular version wraps around the end so every point is
equally likely to be drawn.

References
----------
Politis, D. N. and Romano, J. P. (1992). A circular block-resampling procedure for stationary
data. In *Exploring the Limits of Bootstrap*, Wiley, 263-270.
Lahiri, S. N. (2003). *Resampling Methods for Dependent Data*. Springer (block length of order
n^(1/3) for variance estimation).
"""

from __future__ import annotations

import math

import numpy as np


def default_block_length(n: int) -> int:
    """Block length ``ceil(n^(1/3))``, the rate-optimal order for bootstrap variance estimates."""
    return max(1, int(math.ceil(n ** (1 / 3))))


def circular_block_indices(n: int, block_length: int, rng: np.random.Generator) -> np.ndarray:
    """One draw: ``n`` indices into 0..n-1 made of wrapped blocks of consecutive points."""
    if block_length < 1 or block_length > n:
        raise ValueError(f"block_length must be in 1..{n}, got {block_length}")
    n_blocks = int(math.ceil(n / block_length))
    starts = rng.integers(0, n, size=n_blocks)
    idx = (starts[:, None] + np.arange(block_length)[None, :]) % n
    return idx.ravel()[:n]
