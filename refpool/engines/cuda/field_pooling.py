"""CUDA engine for the field operators: one thread per output element.

The fields arrive as the plain int64 arrays of :class:`refpool._geometry.FieldTable`
(the channel poolings as the table of :class:`refpool._geometry.ChannelPool`) and are
copied to the device (they are tiny).  Pixelwise operators see the arrays
as ``(N, C, 1, 1, P)`` (device arrays are contiguous), so that their threads are
decoded by the same :func:`~refpool.engines.cuda._launch.output_element` as every
other kernel's; ``norm_max_pool`` sees 5-D ``(N, C, D, H, W)`` views.  Each thread
of ``norm_max_pool`` owns one ``(n, field, output position)``: it scans its window
in row-major order, computing the field's squared norm at each tap, then copies
the selected field vector.

Squares are formed with ``cuda.fma(v, v, 0.0)``: an explicit fused multiply-add
rounds the square once and cannot be contracted with the following addition, so
the float64 sums are bitwise those of the reference and CPU engines on a real GPU
too (NVVM contracts ``acc + v * v`` into one fma by default).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64

from .._layout import as5d, window3
from ._launch import grid, output_element
from ._numerics import default_nan, replaces, store

_DEVICE = dict(device=True, inline=True)


@cuda.jit(**_DEVICE)
def _square(v):
    w = float64(v)
    return cuda.fma(w, w, 0.0)


@cuda.jit
def _pixel_kernel(x, out, start, size, block, mode, nan):
    # mode 0: group pooling (max over the field's channels)
    # mode 1: max over the field's blocks of the block's L2 norm
    # the arrays are (N, C, 1, 1, P) views: pixel j is element (0, 0, j) of a plane
    n, f, _, _, j = output_element(out, out.shape[1])
    if n < 0:
        return
    c0 = start[f]
    cs = size[f]
    if mode == 0:
        m = x[n, c0, 0, 0, j]
        for c in range(c0 + 1, c0 + cs):
            v = x[n, c, 0, 0, j]
            if replaces(m, v):          # max_pool's rule: last NaN; +0 beats -0
                m = v
        out[n, f, 0, 0, j] = m
        return
    d = block[f]
    best = 0.0
    for b in range(cs // d):
        acc = 0.0
        for c in range(c0 + b * d, c0 + (b + 1) * d):
            acc += _square(x[n, c, 0, 0, j])
        if b == 0 or acc > best or acc != acc:
            best = acc
    store(out, n, f, 0, 0, j, math.sqrt(best), nan)


@cuda.jit
def _channel_pool_kernel(x, out, table, average, nan):
    # output channel o reduces x[n, table[o, j]] over j, in j order; (N, C, 1, 1, P) views
    n, o, _, _, j = output_element(out, out.shape[1])
    if n < 0:
        return
    K = table.shape[1]
    if average:
        total = float64(x[n, table[o, 0], 0, 0, j])
        for k in range(1, K):
            total += float64(x[n, table[o, k], 0, 0, j])
        store(out, n, o, 0, 0, j, total / K, nan)
        return
    m = x[n, table[o, 0], 0, 0, j]
    for k in range(1, K):
        v = x[n, table[o, k], 0, 0, j]
        if replaces(m, v):              # max_pool's rule: last NaN; +0 beats -0
            m = v
    out[n, o, 0, 0, j] = m


@cuda.jit
def _norm_max_pool_kernel(x, out, start, size, kd, kh, kw, sd, sh, sw, pd, ph, pw,
                          dd, dh, dw):
    _, _, D, H, W = x.shape
    n, f, od, oh, ow = output_element(out, start.shape[0])    # a thread per field
    if n < 0:
        return
    c0 = start[f]
    cs = size[f]
    best = 0.0
    bz = -1
    by = -1
    bx = -1
    for a in range(kd):
        iz = od * sd - pd + a * dd
        if iz < 0 or iz >= D:
            continue
        for b in range(kh):
            iy = oh * sh - ph + b * dh
            if iy < 0 or iy >= H:
                continue
            for e in range(kw):
                ix = ow * sw - pw + e * dw
                if ix < 0 or ix >= W:
                    continue
                q = 0.0
                for c in range(c0, c0 + cs):
                    q += _square(x[n, c, iz, iy, ix])
                # first in-bounds tap, then "larger or NaN replaces" (max_pool's rule)
                if bx < 0 or q > best or q != q:
                    best = q
                    bz = iz
                    by = iy
                    bx = ix
    for c in range(c0, c0 + cs):
        out[n, c, od, oh, ow] = x[n, c, bz, by, bx] if bx >= 0 else 0.0


def _pixel_rows(a):
    """``a`` (contiguous) viewed as ``(N, C, 1, 1, P)``: the 5-D layout that
    :func:`output_element` decodes, with all ``P`` pixels of a plane along W."""
    return a.reshape(tuple(a.shape[:2]) + (1, 1, int(np.prod(a.shape[2:]))))


def _table(*arrays):
    return [cuda.to_device(np.ascontiguousarray(a, dtype=np.int64)) for a in arrays]


def _pixelwise(x, out, start, size, block, mode):
    x5, o5 = _pixel_rows(x), _pixel_rows(out)
    blocks, threads = grid(o5.size)
    _pixel_kernel[blocks, threads](x5, o5, *_table(start, size, block), mode,
                                   default_nan(o5))


def group_pool(x, out, start, size):
    _pixelwise(x, out, start, size, size, 0)


def norm_pool(x, out, start, size, block):
    _pixelwise(x, out, start, size, block, 1)


def induced_norm_pool(x, out, start, size, block):
    _pixelwise(x, out, start, size, block, 1)


def channel_pool(x, out, table, average):
    x5, o5 = _pixel_rows(x), _pixel_rows(out)
    blocks, threads = grid(o5.size)
    _channel_pool_kernel[blocks, threads](x5, o5, *_table(table), bool(average),
                                          default_nan(o5))


def norm_max_pool(x, out, start, size, spec):
    x5, o5 = as5d(x), as5d(out)
    k, s, p, d = window3(spec)
    n_threads = o5.shape[0] * start.shape[0] * o5.shape[2] * o5.shape[3] * o5.shape[4]
    blocks, threads = grid(n_threads)
    _norm_max_pool_kernel[blocks, threads](x5, o5, *_table(start, size), *k, *s, *p, *d)
