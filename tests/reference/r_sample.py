"""R's ``set.seed(seed); sample(1:n)`` in Python, draw for draw (R >= 3.6 defaults).

Used only to reproduce published numbers computed in R with a fixed seed (the placebo standard
errors of Arkhangelsky et al. 2021, Table 1: ``set.seed(12345)`` then 200 ``sample(1:N0)``).

R's defaults since 3.6.0: the Mersenne-Twister generator, seeded by ``set.seed`` through R's
initial scrambling (``RNG_Init`` in src/main/RNG.c: the seed passed 50 times through the linear
congruential step ``seed = 69069 * seed + 1``, then 625 more steps fill ``dummy[0..624]``,
``dummy[0]`` -- the position ``mti`` -- set to 624), uniforms ``fixup(genrand_int32 *
2.3283064365386963e-10)``, and "Rejection" sampling (``R_unif_index``: draw ``ceil(log2 n)``
bits 16 at a time from uniforms, reject values ``>= n``). ``sample(1:n)`` then swaps as
``do_sample`` does: ``j = R_unif_index(n); y[i] = x[j] + 1; x[j] = x[--n]``.
Checked against R 4.2.2: ``set.seed(12345); runif(5)`` and ``sample(1:38)`` give the same numbers
(tests/test_synthetic_reference.py holds them).
"""

from __future__ import annotations

import math

import numpy as np

MASK32 = 0xFFFFFFFF


class RRandom:
    """R's Mersenne-Twister stream after ``set.seed(seed)``."""

    def __init__(self, seed: int) -> None:
        s = seed & MASK32
        for _ in range(50):
            s = (69069 * s + 1) & MASK32
        dummy = []
        for _ in range(625):
            s = (69069 * s + 1) & MASK32
            dummy.append(s)
        key = np.array(dummy[1:], dtype=np.uint32)
        self._mt = np.random.MT19937()
        self._mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}

    def unif_rand(self) -> float:
        y = int(self._mt.random_raw())
        u = y * 2.3283064365386963e-10
        # R's fixup: keep the value strictly inside (0, 1)
        if u <= 0.0:
            return 0.5 * 2.328306437080797e-10
        if 1.0 - u <= 0.0:
            return 1.0 - 0.5 * 2.328306437080797e-10
        return u

    def _rbits(self, bits: int) -> int:
        v = 0
        n = 0
        while n <= bits:
            v1 = int(math.floor(self.unif_rand() * 65536))
            v = 65536 * v + v1
            n += 16
        return v & ((1 << bits) - 1)

    def unif_index(self, dn: int) -> int:
        if dn <= 0:
            return 0
        bits = int(math.ceil(math.log2(dn)))
        while True:
            dv = self._rbits(bits)
            if dv < dn:
                return dv

    def sample(self, n: int) -> np.ndarray:
        """``sample(1:n)`` as 0-based positions."""
        x = list(range(n))
        out = []
        left = n
        for _ in range(n):
            j = self.unif_index(left)
            out.append(x[j])
            left -= 1
            x[j] = x[left]
        return np.array(out)
