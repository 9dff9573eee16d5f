"""The numerical rules of docs/numerics.rst that CUDA kernels share, as device
functions, once:

* :func:`replaces`, the selection rule of every max-type kernel (the reference's
  :func:`refpool.engines.reference.pooling._replaces`, the CPU engine's
  :func:`refpool.engines.cpu._passes.replaces`);
* :func:`store`, how an arithmetic kernel writes its result: a NaN is written as
  the default NaN of the output dtype, passed in by the host
  (:func:`default_nan`), so that no float64 -> float32 conversion of a NaN (which
  a GPU turns into its own canonical NaN, 0x7FFFFFFF) decides its bits.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda


@cuda.jit(device=True, inline=True)
def replaces(best, v):
    """Whether candidate ``v`` replaces the running choice ``best`` of a scan: it is
    larger, or NaN (the last NaN wins), or ``+0`` where ``best`` is ``-0`` (so a zero
    maximum is ``+0`` whenever the window holds one); an equal value never does (the
    first maximum wins)."""
    return (v > best or v != v
            or (v == best and math.copysign(1.0, best) < math.copysign(1.0, v)))


@cuda.jit(device=True, inline=True)
def store(out, n, c, od, oh, ow, v, nan):
    """``out[n, c, od, oh, ow] = v``, or ``nan`` (:func:`default_nan`) if ``v`` is NaN."""
    if v == v:
        out[n, c, od, oh, ow] = v
    else:
        out[n, c, od, oh, ow] = nan


def default_nan(out):
    """The default NaN (positive, payload 0) as a scalar of ``out``'s dtype."""
    return np.dtype(out.dtype).type(np.nan)
