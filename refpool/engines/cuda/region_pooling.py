"""CUDA engine for region pooling (``roi_pool``, ``roi_align``): one thread per output
element.

Arrays arrive as device arrays; ``x`` ``(N, C, H, W)`` and the output ``(K, C, o_h,
o_w)`` are viewed as 5-D (:func:`refpool.engines._layout.as5d`) so that the shared
prologue :func:`~refpool.engines.cuda._launch.output_element` maps threads to
``(box, channel, 0, bin row, bin column)``.  The geometry tables of
:class:`refpool.region_pooling.RoiSpec` (bin ranges, bilinear taps) are built on the
host, as for the other engines, and copied over (they are small).
"""

from __future__ import annotations

import numpy as np
from numba import cuda, float64

from .._layout import as5d
from ._launch import grid, output_element
from ._numerics import default_nan, replaces, store


@cuda.jit
def _roi_pool_kernel(x, out, idx, want_idx, batch, hs, he, ws, we):
    _, C, _, H, W = x.shape
    k, c, _, ph, pw = output_element(out, C)
    if k < 0:
        return
    b = batch[k]
    # ``best`` keeps x's dtype: the selected element is stored bit for bit
    best = x[b, c, 0, 0, 0]
    where = -1
    for h in range(hs[k, ph], he[k, ph]):
        for w in range(ws[k, pw], we[k, pw]):
            v = x[b, c, 0, h, w]
            if where < 0 or replaces(best, v):
                best = v
                where = h * W + w
    if where < 0:                      # an empty bin is 0
        out[k, c, 0, ph, pw] = 0
    else:
        out[k, c, 0, ph, pw] = best
    if want_idx:
        idx[k, c, 0, ph, pw] = where


@cuda.jit
def _roi_align_kernel(x, out, use_max, batch, count, gy, oy, ylo, yhi, wylo, wyhi,
                      gx, ox, xlo, xhi, wxlo, wxhi, nan):
    _, C, _, H, W = x.shape
    k, c, _, ph, pw = output_element(out, C)
    if k < 0:
        return
    b = batch[k]
    # float64 accumulators; float64() matters on the simulator (0.0 + float32 is float32)
    total = float64(0.0)
    best = float64(0.0)
    first = True
    for iy in range(gy[k]):
        ty = oy[k] + ph * gy[k] + iy
        r0 = ylo[ty]
        r1 = yhi[ty]
        a0 = wylo[ty]
        a1 = wyhi[ty]
        for ix in range(gx[k]):
            tx = ox[k] + pw * gx[k] + ix
            c0 = xlo[tx]
            c1 = xhi[tx]
            b0 = wxlo[tx]
            b1 = wxhi[tx]
            v = float64(0.0)
            w = a0 * b0
            if w != 0.0:
                v += w * float64(x[b, c, 0, r0, c0])
            w = a0 * b1
            if w != 0.0:
                v += w * float64(x[b, c, 0, r0, c1])
            w = a1 * b0
            if w != 0.0:
                v += w * float64(x[b, c, 0, r1, c0])
            w = a1 * b1
            if w != 0.0:
                v += w * float64(x[b, c, 0, r1, c1])
            if use_max:
                if first or v > best or v != v:
                    best = v
                first = False
            else:
                total += v
    if use_max:
        store(out, k, c, 0, ph, pw, best, nan)
    else:
        store(out, k, c, 0, ph, pw, total / count[k], nan)


def _device(a):
    return cuda.to_device(np.ascontiguousarray(a))


def _roi_pool(x, out, idx, want_idx, spec):
    x5, o5 = as5d(x), as5d(out)
    tables = [_device(t) for t in (spec.batch, *spec.pool_bins(0), *spec.pool_bins(1))]
    blocks, threads = grid(o5.size)
    _roi_pool_kernel[blocks, threads](x5, o5, idx, want_idx, *tables)


def roi_pool(x, out, spec):
    _roi_pool(x, out, cuda.device_array((1, 1, 1, 1, 1), dtype=np.int64), False, spec)


def roi_pool_with_indices(x, out, indices, spec):
    _roi_pool(x, out, as5d(indices), True, spec)


def roi_align(x, out, spec, reduction):
    x5, o5 = as5d(x), as5d(out)
    tables = [_device(t) for t in (spec.batch, spec.align_count(), *spec.align_taps(0),
                                   *spec.align_taps(1))]
    blocks, threads = grid(o5.size)
    _roi_align_kernel[blocks, threads](x5, o5, reduction == "max", *tables,
                                       default_nan(o5))
