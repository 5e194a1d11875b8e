"""The Frank-Wolfe loop of :func:`vrueval.designs.synthetic.weights.frank_wolfe` compiled with
numba, when numba is installed (it is optional: without it the numpy loop runs).

The numpy loop steps every problem of a batch together, so each iteration costs some 45 numpy
calls whatever the batch size, and R ``synthdid``'s rule lets a problem run 10,000 iterations:
a placebo variance of 200 replications then spends its time in call overhead. Here each
problem of the batch runs its own loop in compiled code on the Gram-matrix quantities the numpy
path precomputes, one pass over the donors an iteration.

The numbers are the numpy loop's, bit for bit: every floating-point operation is the same one
in the same order, including the sums, which repeat numpy's pairwise summation (8 running
partial sums combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, the remainder
added after, blocks of 128 halved recursively). ``tests/test_synthetic_compiled.py`` checks
the two paths against each other.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import numpy as np

#: numba installed (imported only when the loop first runs: importing vrueval stays light).
#: Set ``VRUEVAL_NO_NUMBA=1`` to run the numpy loop even where numba is installed.
AVAILABLE = importlib.util.find_spec("numba") is not None and os.environ.get(
    "VRUEVAL_NO_NUMBA", ""
) in ("", "0")

_BLOCK = 128


def _block(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's pairwise sum of ``a[lo:lo + n]`` for ``n <= 128`` (one unrolled block)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    end = lo + n - n % 8
    i = lo + 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


def _pairwise(a: np.ndarray) -> float:
    """numpy's pairwise sum of ``a`` (``pairwise_sum_DOUBLE``): blocks of at most 128, longer
    runs halved (at a multiple of 8) and the halves' sums added. numpy recurses; here an
    explicit stack does (numba's cache cannot reload a recursive function)."""
    n = len(a)
    if n <= _BLOCK:
        return _block(a, 0, n)
    # tasks: (lo, n, kind) with kind 0 = sum this run, 1 = add the last two sums
    task_lo = np.empty(128, dtype=np.int64)
    task_n = np.empty(128, dtype=np.int64)
    task_kind = np.empty(128, dtype=np.int64)
    sums = np.empty(128)
    top, depth = 0, 0
    task_lo[0], task_n[0], task_kind[0] = 0, n, 0
    top = 1
    while top > 0:
        top -= 1
        lo, size, kind = task_lo[top], task_n[top], task_kind[top]
        if kind == 1:
            depth -= 1
            sums[depth - 1] = sums[depth - 1] + sums[depth]
        elif size <= _BLOCK:
            sums[depth] = _block(a, lo, size)
            depth += 1
        else:
            half = size // 2
            half -= half % 8
            task_lo[top], task_n[top], task_kind[top] = 0, 0, 1
            task_lo[top + 1], task_n[top + 1], task_kind[top + 1] = lo + half, size - half, 0
            task_lo[top + 2], task_n[top + 2], task_kind[top + 2] = lo, half, 0
            top += 3
    return sums[0]


def _sum_of(a: np.ndarray, k: int) -> float:
    # numpy's reduction starts from the identity 0.0 (it only changes the sign of a zero)
    if k <= _BLOCK:
        return 0.0 + _block(a, 0, k)
    return 0.0 + _pairwise(a)


def _gradient_pass(
    g: np.ndarray, c: np.ndarray, x: np.ndarray, eta: float, hg: np.ndarray, hx: np.ndarray
) -> int:
    """The half gradient ``g - c + eta x`` into ``hg``, ``hg * x`` into ``hx``, and the first
    minimum of ``hg`` (``np.argmin``: the first NaN if there is one)."""
    best = 0
    low = np.inf
    nan = False
    for j in range(len(x)):
        h = g[j] - c[j] + eta * x[j]
        hg[j] = h
        hx[j] = h * x[j]
        if nan:
            continue
        if np.isnan(h):
            best, nan = j, True
        elif h < low or j == 0:
            best, low = j, h
    return best


def _first_min(a: np.ndarray) -> int:
    """``np.argmin``: the first minimum, or the first NaN if there is one."""
    low = a[0]
    for j in range(1, len(a)):
        v = a[j]
        low = v if v < low or np.isnan(v) else low
    if np.isnan(low):
        for j in range(len(a)):
            if np.isnan(a[j]):
                return j
    for j in range(len(a)):
        if a[j] == low:
            return j
    return 0


def _solve(
    gram_t: np.ndarray,
    c: np.ndarray,
    bb: float,
    x: np.ndarray,
    g: np.ndarray,
    eta: float,
    zeta2: float,
    limit: float,
    m: int,
    max_iter: int,
) -> tuple[float, bool]:
    """One problem's loop, updating ``x`` (weights) and ``g`` (``G x``) in place. Each
    iteration is one pass over the donors: the step's update, the three sums of the objective
    and the next half gradient together (numpy takes one call for each), with the same
    operations in the same order as ``frank_wolfe``'s numpy statements."""
    k = len(x)
    hg = np.empty(k)
    hx = np.empty(k)
    p_xx = np.empty(k)
    p_xg = np.empty(k)
    p_cx = np.empty(k)
    for j in range(k):
        p_xx[j] = x[j] * x[j]
        p_xg[j] = x[j] * g[j]
    xx = _sum_of(p_xx, k)
    xgx = _sum_of(p_xg, k)
    best = _gradient_pass(g, c, x, eta, hg, hx)
    previous = np.nan
    t = 0
    while t < max_iter:
        t += 1
        xi = x[best]
        hg_d = hg[best] - _sum_of(hx, k)
        d_err2 = gram_t[best, best] - 2.0 * g[best] + xgx
        if xi != 1.0:
            step = -hg_d / (d_err2 + eta * (1.0 - 2.0 * xi + xx))
        else:
            step = 0.0
        if step < 0.0:
            step = 0.0
        elif step > 1.0:
            step = 1.0
        keep = 1.0 - step
        col = gram_t[best]
        # branch-free over the donors (the compiler vectorises it); the vertex's own weight
        # then gains the step and its terms are redone, as numpy adds it after the product
        for j in range(k):
            gj = g[j] + step * (col[j] - g[j])
            xj = x[j] * keep
            g[j] = gj
            x[j] = xj
            p_xx[j] = xj * xj
            p_xg[j] = xj * gj
            p_cx[j] = c[j] * xj
            h = gj - c[j] + eta * xj
            hg[j] = h
            hx[j] = h * xj
        xj = x[best] + step
        gj = g[best]
        x[best] = xj
        p_xx[best] = xj * xj
        p_xg[best] = xj * gj
        p_cx[best] = c[best] * xj
        h = gj - c[best] + eta * xj
        hg[best] = h
        hx[best] = h * xj
        best = _first_min(hg)
        xx = _sum_of(p_xx, k)
        xgx = _sum_of(p_xg, k)
        cx = _sum_of(p_cx, k)
        value = zeta2 * xx + (xgx - 2.0 * cx + bb) / m
        if t >= 2 and previous - value <= limit:
            return value, True
        previous = value
    return previous, False


def _batch(
    gram_t: np.ndarray,
    c: np.ndarray,
    bb: np.ndarray,
    x: np.ndarray,
    g: np.ndarray,
    eta: float,
    zeta2: float,
    limit: float,
    m: int,
    max_iter: int,
    values: np.ndarray,
    converged: np.ndarray,
) -> None:
    for b in range(x.shape[0]):
        values[b], converged[b] = _solve(
            gram_t[b], c[b], bb[b], x[b], g[b], eta, zeta2, limit, m, max_iter
        )


_COMPILED = False


def _compile() -> None:
    """Swap the functions above for their numba versions (once; numba reads its cache)."""
    global _block, _pairwise, _sum_of, _gradient_pass, _first_min, _solve, _batch, _COMPILED
    import numba

    jit: Any = numba.njit(cache=True, error_model="numpy", fastmath=False, nogil=True)
    # callees first: a compiled function binds the module globals it calls when compiled
    _block = jit(_block)
    _pairwise = jit(_pairwise)
    _sum_of = jit(_sum_of)
    _gradient_pass = jit(_gradient_pass)
    _first_min = jit(_first_min)
    _solve = jit(_solve)
    _batch = jit(_batch)
    _COMPILED = True


def frank_wolfe_loop(
    gram: np.ndarray,
    c: np.ndarray,
    bb: np.ndarray,
    x: np.ndarray,
    gx: np.ndarray,
    *,
    eta: float,
    zeta2: float,
    limit: float,
    m: int,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the loop for every problem of the batch (``gram`` (B, k, k), ``c`` (B, k), ``bb``
    (B,), ``x`` and ``gx = G x`` (B, k)): the weights (written into ``x``), the last
    objective values and whether each problem met the stopping rule."""
    if not _COMPILED:
        _compile()
    n_b = x.shape[0]
    work = np.array(x, dtype=float, order="C")
    g = np.array(gx, dtype=float, order="C")
    # row i of the transpose is column i of G, read contiguously
    gram_t = np.ascontiguousarray(np.swapaxes(gram, 1, 2), dtype=float)
    values = np.full(n_b, np.nan)
    converged = np.zeros(n_b, dtype=np.bool_)
    _batch(
        gram_t,
        np.ascontiguousarray(c, dtype=float),
        np.ascontiguousarray(bb, dtype=float),
        work,
        g,
        float(eta),
        float(zeta2),
        float(limit),
        int(m),
        int(max_iter),
        values,
        converged,
    )
    # into the caller's array, whose memory order the numpy loop would also have kept: the
    # next stage's ``G x`` (an einsum) sums in an order that depends on it
    x[...] = work
    return x, values, converged
