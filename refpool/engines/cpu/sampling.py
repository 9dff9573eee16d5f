"""CPU engine for the sampling family: :func:`refpool.grid_sample` in Numba.

One kernel per dtype serves 2-D and 3-D: the input is viewed as 5-D ``(N, C, D,
H, W)`` (:func:`refpool.engines._layout.as5d`), the grid as ``(N, P, k)`` (its
``P`` output points flattened) and the output as ``(N, C, P)``.

Bilinear, trilinear and nearest sampling run in two steps per chunk of
:data:`CHUNK` consecutive points of one sample ``n`` (``prange`` over the chunks):

1. *taps*: each point's corners (flat indices into a ``(D, H, W)`` plane, ``-1``
   for a corner outside the input) and weights, computed once with the per-point
   arithmetic of :mod:`refpool.engines._gridsample` (the CUDA engine's) into the
   chunk's rows of a table;
2. *gather*: every channel plane sums its taps over the chunk, point after point:
   the chunk's table stays in cache across the channels, and the plane is read
   near the rows the chunk's points fall on.

A corner outside the input adds ``+0.0`` where the per-point code skips it: the
running sum starts at ``+0.0`` and so is never ``-0.0``, which makes the two
bit-identical, while the select keeps the gather free of branches (and the
skipped corner's ``0 * inf`` is never formed into the sum).  Bicubic sampling
(16 taps, summed row by row) keeps the per-point loop: each point is sampled on
every channel by :func:`refpool.engines._gridsample.fill_cubic`.  All arithmetic is
float64, rounded once on the store.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .. import _gridsample
from .._layout import as5d

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off

MODE_CODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
PADDING_CODES = {"zeros": 0, "border": 1, "reflection": 2}

_fill_cubic = _gridsample.fill_cubic
_point_taps = _gridsample.point_taps

#: points per chunk: the chunk's taps (at most 8 indices and 8 weights each, 128
#: bytes) stay in L2 while every channel reads them
CHUNK = 512


@njit(**_PARALLEL)
def _cubic_kernel(x, grid, out, padding, align):
    N, C, P = out.shape
    for t in prange(N * P):
        n = t // P
        p = t - n * P
        # every channel of the point: its taps and weights are computed once
        _fill_cubic(x, out, n, p, grid[n, p, 0], grid[n, p, 1], padding, align)


@njit(inline="always", cache=True, nogil=True)
def _term(src, i, w):
    # a corner outside the input (i < 0) adds +0.0: see the module docstring
    v = float(src[i if i >= 0 else 0]) * w
    return v if i >= 0 else 0.0


@njit(**_PARALLEL)
def _tabled_kernel(x, grid, out, index, weight, three, nearest, padding, align):
    N, C, P = out.shape
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    planes = x.reshape(N, C, D * H * W)
    chunks = (P + CHUNK - 1) // CHUNK
    for t in prange(N * chunks):
        n = t // chunks
        p0 = (t - n * chunks) * CHUNK
        p1 = min(p0 + CHUNK, P)
        for p in range(p0, p1):
            gz = grid[n, p, 2] if three else 0.0
            _point_taps(index[n, p], weight[n, p], grid[n, p, 0], grid[n, p, 1], gz,
                        D, H, W, three, nearest, padding, align)
        for c in range(C):
            src = planes[n, c]
            dst = out[n, c]
            if nearest:
                for p in range(p0, p1):
                    i = index[n, p, 0]
                    dst[p] = src[i] if i >= 0 else 0.0
            elif three:
                for p in range(p0, p1):
                    ix = index[n, p]
                    w = weight[n, p]
                    first = 0.0
                    first += _term(src, ix[0], w[0])
                    first += _term(src, ix[1], w[1])
                    first += _term(src, ix[2], w[2])
                    first += _term(src, ix[3], w[3])
                    second = 0.0
                    second += _term(src, ix[4], w[4])
                    second += _term(src, ix[5], w[5])
                    second += _term(src, ix[6], w[6])
                    second += _term(src, ix[7], w[7])
                    dst[p] = first + second
            else:
                for p in range(p0, p1):
                    ix = index[n, p]
                    w = weight[n, p]
                    total = 0.0
                    total += _term(src, ix[0], w[0])
                    total += _term(src, ix[1], w[1])
                    total += _term(src, ix[2], w[2])
                    total += _term(src, ix[3], w[3])
                    dst[p] = total


# --------------------------------------------------------------------------- entry points
def grid_sample(x, grid, out, mode, padding, align_corners):
    k = grid.shape[-1]
    N = grid.shape[0]
    g = np.ascontiguousarray(grid, dtype=np.float64).reshape(N, -1, k)
    o = out.reshape(out.shape[0], out.shape[1], -1)       # a view: out is C-contiguous
    x5 = as5d(np.require(x, requirements=("C", "A")))
    if mode == "bicubic":
        _cubic_kernel(x5, g, o, PADDING_CODES[padding], bool(align_corners))
        return
    taps = 1 if mode == "nearest" else 2 ** k
    index = np.empty((N, g.shape[1], taps), dtype=np.int64)
    weight = np.empty((N, g.shape[1], taps), dtype=np.float64)
    _tabled_kernel(x5, g, o, index, weight, k == 3, mode == "nearest",
                   PADDING_CODES[padding], bool(align_corners))
