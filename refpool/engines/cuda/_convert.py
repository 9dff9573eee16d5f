"""Dtype conversion of device arrays (float16 and integer inputs, see
:class:`refpool._dispatch.Caller`): one thread per element of a contiguous array."""

from __future__ import annotations

import numpy as np
from numba import cuda

THREADS = 256


@cuda.jit
def _copy_converting(src, dst):
    i = cuda.grid(1)
    if i < src.shape[0]:
        dst[i] = src[i]


def cast(a, dtype):
    """A new C-contiguous device array holding ``a`` converted to ``dtype`` (values
    exact or rounded once to nearest; integers come from exact float values)."""
    if not a.is_c_contiguous():
        raise ValueError("x: a CUDA array must be C-contiguous to change its dtype")
    out = cuda.device_array(a.shape, np.dtype(dtype))
    n = int(a.size)
    if n:
        _copy_converting[(n + THREADS - 1) // THREADS, THREADS](a.reshape(n), out.reshape(n))
    return out
