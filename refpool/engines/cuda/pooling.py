"""CUDA engine for windowed and adaptive pooling: one thread per output element.

Arrays arrive as device arrays of shape ``(N, C, *spatial)`` and are viewed as
5-D ``(N, C, D, H, W)``.  Each thread decodes its flat output index, walks its
window in row-major order and writes one value (and index).  Per-axis divisor
factors and adaptive window bounds are computed on the host by
:mod:`refpool._args` and copied over (they are tiny).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64

from ..._geometry import adaptive_bounds, avg_divisor_factors
from .._layout import as5d, divisors3, pad3, window3
from ._launch import grid, output_element
from ._numerics import default_nan, replaces, store


@cuda.jit
def _max_pool_kernel(x, out, idx, want_idx, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    _, C, D, H, W = x.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    # ``best`` keeps the input's dtype (a placeholder until the first in-bounds tap),
    # so the selected element is stored without a float64 round trip, which a GPU
    # may not keep bit for bit for a NaN
    best = x[n, c, 0, 0, 0]
    where = -1
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
                v = x[n, c, iz, iy, ix]
                # first in-bounds tap, then "larger, NaN, or +0 over -0 replaces"
                # (PyTorch's scan with the signed-zero rule)
                if where < 0 or replaces(best, v):
                    best = v
                    where = (iz * H + iy) * W + ix
    if where < 0:                  # the window holds no input element (dilation only)
        out[n, c, od, oh, ow] = -math.inf
    else:
        out[n, c, od, oh, ow] = best
    if want_idx:
        idx[n, c, od, oh, ow] = where


@cuda.jit
def _avg_pool_kernel(x, out, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, fz, fy, fx,
                     override, nan):
    _, C, D, H, W = x.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    # float64 accumulator (the reference's): a float32 sum cannot overflow.  The
    # explicit float64() matters on the simulator, where 0.0 + float32 is float32.
    total = 0.0
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
                if 0 <= ix < W:
                    total += float64(x[n, c, iz, iy, ix])
    if override != 0:
        store(out, n, c, od, oh, ow, total / override, nan)
    else:
        store(out, n, c, od, oh, ow, total / (fz[od] * fy[oh] * fx[ow]), nan)


@cuda.jit(device=True, inline=True)
def _power(v, p):
    # ``v ** p`` as NumPy's np.power and PyTorch's pow compute it: C's pow, but a
    # square root for p = 0.5, which differs at v = -inf (NaN, where pow gives +inf)
    if p == 0.5:
        return math.sqrt(v) if v >= 0 else math.nan
    return v ** p


@cuda.jit
def _lp_pool_kernel(x, out, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, fz, fy, fx,
                    norm, absolute, nan):
    _, C, D, H, W = x.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    total = 0.0
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
                if 0 <= ix < W:
                    v = float64(x[n, c, iz, iy, ix])
                    if absolute:
                        v = abs(v)
                    # ``**``, not math.pow: a negative base with a fractional
                    # exponent is NaN on the GPU and on the simulator's NumPy
                    # scalars (math.pow raises there)
                    total += _power(v, norm)
    store(out, n, c, od, oh, ow, _power(total * (fz[od] * fy[oh] * fx[ow]), 1.0 / norm), nan)


@cuda.jit
def _adaptive_kernel(x, out, idx, mode, zs, ze, ys, ye, xs, xe, nan):
    # mode 0: average, 1: max, 2: max with indices
    _, C, D, H, W = x.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    if mode == 0:
        total = 0.0
        for iz in range(zs[od], ze[od]):
            for iy in range(ys[oh], ye[oh]):
                for ix in range(xs[ow], xe[ow]):
                    total += float64(x[n, c, iz, iy, ix])
        count = (ze[od] - zs[od]) * (ye[oh] - ys[oh]) * (xe[ow] - xs[ow])
        store(out, n, c, od, oh, ow, total / count, nan)
        return
    best = x[n, c, 0, 0, 0]        # the input's dtype, as in _max_pool_kernel
    where = -1
    for iz in range(zs[od], ze[od]):
        for iy in range(ys[oh], ye[oh]):
            for ix in range(xs[ow], xe[ow]):
                v = x[n, c, iz, iy, ix]
                if where < 0 or replaces(best, v):
                    best = v
                    where = (iz * H + iy) * W + ix
    out[n, c, od, oh, ow] = best
    if mode == 2:
        idx[n, c, od, oh, ow] = where


def _window_args(spec):
    k, s, p, d = window3(spec)
    return (*k, *s, *p, *d)


def _dummy_indices():
    return cuda.device_array((1, 1, 1, 1, 1), dtype=np.int64)


def max_pool(x, out, spec):
    x5, o5 = as5d(x), as5d(out)
    blocks, threads = grid(o5.size)
    _max_pool_kernel[blocks, threads](x5, o5, _dummy_indices(), False, *_window_args(spec))


def max_pool_with_indices(x, out, indices, spec):
    x5, o5 = as5d(x), as5d(out)
    blocks, threads = grid(o5.size)
    _max_pool_kernel[blocks, threads](x5, o5, as5d(indices), True, *_window_args(spec))


def avg_pool(x, out, spec, count_include_pad, divisor_override):
    x5, o5 = as5d(x), as5d(out)
    factors = [cuda.to_device(f) for f in
               divisors3(avg_divisor_factors(spec, count_include_pad))]
    blocks, threads = grid(o5.size)
    _avg_pool_kernel[blocks, threads](x5, o5, *_window_args(spec), *factors,
                                      float(divisor_override or 0), default_nan(o5))


def lp_pool(x, out, spec):
    x5, o5 = as5d(x), as5d(out)
    factors = [cuda.to_device(f) for f in divisors3(spec.scale_factors())]
    blocks, threads = grid(o5.size)
    _lp_pool_kernel[blocks, threads](x5, o5, *_window_args(spec.window), *factors,
                                     spec.norm_type, spec.absolute, default_nan(o5))


def _adaptive(x, out, indices, mode):
    x5, o5 = as5d(x), as5d(out)
    bounds = []
    for n, o in zip(x5.shape[2:], o5.shape[2:]):
        bounds.extend(cuda.to_device(b) for b in adaptive_bounds(n, o))
    idx = as5d(indices) if indices is not None else _dummy_indices()
    blocks, threads = grid(o5.size)
    _adaptive_kernel[blocks, threads](x5, o5, idx, mode, *bounds, default_nan(o5))


def adaptive_avg_pool(x, out):
    _adaptive(x, out, None, 0)


def adaptive_max_pool(x, out):
    _adaptive(x, out, None, 1)


def adaptive_max_pool_with_indices(x, out, indices):
    _adaptive(x, out, indices, 2)


# --------------------------------------------------------------------------- fractional
@cuda.jit
def _fractional_kernel(x, out, idx, want_idx, sz, sy, sx, kd, kh, kw):
    _, C, D, H, W = x.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    z0 = sz[n, c, od]
    y0 = sy[n, c, oh]
    x0 = sx[n, c, ow]
    # the windows lie inside the input: start from their first element, in x's dtype
    best = x[n, c, z0, y0, x0]
    where = (z0 * H + y0) * W + x0
    for a in range(kd):
        for b in range(kh):
            for e in range(kw):
                v = x[n, c, z0 + a, y0 + b, x0 + e]
                if replaces(best, v):
                    best = v
                    where = ((z0 + a) * H + y0 + b) * W + x0 + e
    out[n, c, od, oh, ow] = best
    if want_idx:
        idx[n, c, od, oh, ow] = where


def _fractional(x, out, indices, spec):
    x5, o5 = as5d(x), as5d(out)
    n, c = x5.shape[:2]
    pad = 3 - len(spec.kernel)
    starts = [np.zeros((n, c, 1), dtype=np.int64)] * pad + [
        np.ascontiguousarray(s, dtype=np.int64) for s in spec.starts]
    tables = [cuda.to_device(s) for s in starts]
    idx = as5d(indices) if indices is not None else _dummy_indices()
    blocks, threads = grid(o5.size)
    _fractional_kernel[blocks, threads](x5, o5, idx, indices is not None, *tables,
                                        *pad3(spec.kernel, 1))


def fractional_max_pool(x, out, spec):
    _fractional(x, out, None, spec)


def fractional_max_pool_with_indices(x, out, indices, spec):
    _fractional(x, out, indices, spec)
