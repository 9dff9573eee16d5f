"""CPU engine for the sampling family: :func:`refpool.grid_sample` in Numba.

One kernel per dtype serves 2-D and 3-D: the input is viewed as 5-D ``(N, C, D,
H, W)`` (:func:`refpool.engines._layout.as5d`), the grid as ``(N, P, k)`` (its
``P`` output points flattened) and the output as ``(N, C, P)``.  ``prange`` runs
over the output points; each point is sampled on every channel by
:func:`refpool.engines._gridsample.fill`, which computes the point's taps and
weights once and reads them on every channel, with the per-point arithmetic the
CUDA engine's :func:`~refpool.engines._gridsample.sample` uses (float64, rounded
once on the store).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .. import _gridsample
from .._layout import as5d

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off

MODE_CODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
PADDING_CODES = {"zeros": 0, "border": 1, "reflection": 2}

_fill = _gridsample.fill


@njit(**_PARALLEL)
def _grid_sample_kernel(x, grid, out, three, mode, padding, align):
    N, C, P = out.shape
    for t in prange(N * P):
        n = t // P
        p = t - n * P
        gx = grid[n, p, 0]
        gy = grid[n, p, 1]
        gz = grid[n, p, 2] if three else 0.0
        # every channel of the point: its taps and weights are computed once
        _fill(x, out, n, p, gx, gy, gz, three, mode, padding, align)


# --------------------------------------------------------------------------- entry points
def grid_sample(x, grid, out, mode, padding, align_corners):
    k = grid.shape[-1]
    N = grid.shape[0]
    g = np.ascontiguousarray(grid, dtype=np.float64).reshape(N, -1, k)
    o = out.reshape(out.shape[0], out.shape[1], -1)       # a view: out is C-contiguous
    _grid_sample_kernel(as5d(np.require(x, requirements=("C", "A"))), g, o, k == 3,
                        MODE_CODES[mode], PADDING_CODES[padding], bool(align_corners))
