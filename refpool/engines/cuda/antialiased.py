"""CUDA engine for antialiased pooling: one thread per output element.

Arrays arrive as device arrays of shape ``(N, C, *spatial)`` and are viewed as
5-D ``(N, C, D, H, W)``.  The 1-D filter taps (float64, padded to three axes
with ``[1.0]``) are copied to the device; each thread evaluates the n-D
cross-correlation of its output element directly, accumulating in float64.
The antialiased max pool evaluates each dense max value under its blur taps on
the fly, so no dense map is stored.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from .._layout import as5d, pad3
from ._launch import grid, output_element
from ._numerics import default_nan, replaces, store

_DEVICE = dict(device=True, inline=True)

#: FilterSpec.mode -> kernel code
_MODES = {"zero": 0, "reflect": 1, "replicate": 2, "circular": 3}


@cuda.jit(**_DEVICE)
def _source(i, n, mode):
    """Input index read at padded position ``i`` (-1: a zero)."""
    if 0 <= i < n:
        return i
    if mode == 0:
        return -1
    if mode == 1:
        return -i if i < 0 else 2 * (n - 1) - i
    if mode == 3:                       # circular: any width
        r = i % n
        return r + n if r < 0 else r
    return 0 if i < 0 else n - 1


@cuda.jit
def _filter_kernel(x, out, gz, gy, gx, sd, sh, sw, bd, bh, bw, mode, nan):
    _, C, D, H, W = x.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    total = 0.0
    for a in range(gz.shape[0]):
        iz = _source(od * sd - bd + a, D, mode)
        if iz < 0:
            continue
        for b in range(gy.shape[0]):
            iy = _source(oh * sh - bh + b, H, mode)
            if iy < 0:
                continue
            w = gz[a] * gy[b]
            for e in range(gx.shape[0]):
                ix = _source(ow * sw - bw + e, W, mode)
                if ix >= 0:
                    total += w * gx[e] * x[n, c, iz, iy, ix]
    store(out, n, c, od, oh, ow, total, nan)


@cuda.jit
def _max_blur_kernel(x, out, kd, kh, kw, pd, ph, pw, dd, dh, dw, LD, LH, LW,
                     gz, gy, gx, sd, sh, sw, qd, qh, qw, circ, nan):
    # circ: pad_type="circular", the input read as periodic (dense positions outside
    # [0, L) exist, the window taps wrap)
    _, C, D, H, W = x.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    total = 0.0
    for a in range(gz.shape[0]):
        jz = od * sd - qd + a
        if not circ and (jz < 0 or jz >= LD):
            continue                         # zero padding of the dense map
        for b in range(gy.shape[0]):
            jy = oh * sh - qh + b
            if not circ and (jy < 0 or jy >= LH):
                continue
            for e in range(gx.shape[0]):
                jx = ow * sw - qw + e
                if not circ and (jx < 0 or jx >= LW):
                    continue
                # dense max value M[jz, jy, jx] (max_pool's selection rule); -inf
                # padding never wins, NaN does
                m = -math.inf
                for ta in range(kd):
                    iz = jz - pd + ta * dd
                    if circ:
                        iz = _source(iz, D, 3)
                    if iz < 0 or iz >= D:
                        continue
                    for tb in range(kh):
                        iy = jy - ph + tb * dh
                        if circ:
                            iy = _source(iy, H, 3)
                        if iy < 0 or iy >= H:
                            continue
                        for tc in range(kw):
                            ix = jx - pw + tc * dw
                            if circ:
                                ix = _source(ix, W, 3)
                            if 0 <= ix < W:
                                v = x[n, c, iz, iy, ix]
                                if replaces(m, v):
                                    m = v
                total += gz[a] * gy[b] * gx[e] * m
    store(out, n, c, od, oh, ow, total, nan)


def _taps3(taps):
    return tuple(cuda.to_device(np.ascontiguousarray(t, dtype=np.float64))
                 for t in (np.ones(1),) * (3 - len(taps)) + tuple(taps))


def _filter(x, out, taps, spec):
    x5, o5 = as5d(x), as5d(out)
    blocks, threads = grid(o5.size)
    _filter_kernel[blocks, threads](x5, o5, *_taps3(taps), *pad3(spec.stride, 1),
                                    *pad3(spec.before, 0), _MODES[spec.mode], default_nan(o5))


def antialiased_avg_pool(x, out, taps, spec):
    _filter(x, out, taps, spec)


def blur_pool(x, out, taps, spec):
    _filter(x, out, taps, spec)


def antialiased_max_pool(x, out, taps, spec):
    x5, o5 = as5d(x), as5d(out)
    window = spec.window
    blocks, threads = grid(o5.size)
    _max_blur_kernel[blocks, threads](
        x5, o5, *pad3(window.kernel, 1), *pad3(window.padding, 0),
        *pad3(window.dilation, 1), *pad3(spec.dense_size, 1), *_taps3(taps),
        *pad3(spec.blur.stride, 1), *pad3(spec.blur.before, 0),
        spec.blur.mode == "circular", default_nan(o5))
