"""Imported first by every benchmark: one thread for BLAS, OpenMP and numba, set before numpy
loads, because timings on these 2-core machines swing tenfold otherwise."""

import os

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
for name in THREAD_VARIABLES:
    os.environ[name] = "1"
