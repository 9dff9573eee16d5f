"""CUDA engine for interpolation: one thread per output element.

Arrays arrive as device arrays of shape ``(N, C, *spatial)`` and are viewed as
5-D ``(N, C, D, H, W)``.  The per-axis source indices, weights and tap counts
come from :func:`refpool._geometry.interpolation_taps` (the same tables as the CPU
engine), computed on the host and copied over (they are tiny).  Each thread
decodes its flat output index and sums its taps in float64, nested like the
reference (W innermost); the nearest modes copy one element.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from ..._geometry import interpolation_taps, resample_taps
from .._layout import SPATIAL, as5d
from ._launch import grid, output_element
from ._numerics import default_nan, store


@cuda.jit
def _resample_kernel(x, out, zi, zw, zn, yi, yw, yn, xi, xw, xn, copy, nan):
    _, C, D, H, W = x.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    if copy:                          # nearest modes: no arithmetic
        out[n, c, od, oh, ow] = x[n, c, zi[0, od], yi[0, oh], xi[0, ow]]
        return
    total = 0.0
    for a in range(zn[od]):
        iz = zi[a, od]
        sy = 0.0
        for b in range(yn[oh]):
            iy = yi[b, oh]
            sx = 0.0
            for k in range(xn[ow]):   # only the existing taps: 0 * inf is never formed
                sx += xw[k, ow] * x[n, c, iz, iy, xi[k, ow]]
            sy += yw[b, oh] * sx
        total += zw[a, od] * sy
    store(out, n, c, od, oh, ow, total, nan)


def _device_tables(x, spec, kind):
    dtype = np.dtype(x.dtype)
    tables = []
    for _ in range(SPATIAL - len(spec.input_size)):
        tables.append((np.zeros((1, 1), np.int64), np.ones((1, 1)), np.ones(1, np.int64)))
    for n, m, r in zip(spec.input_size, spec.output_size, spec.scale):
        tables.append(interpolation_taps(kind, n, m, r, spec.align_corners, spec.antialias,
                                         dtype, spec.nearest_rule))
    args = []
    for index, weight, count in tables:
        args += [cuda.to_device(np.ascontiguousarray(index.T)),
                 cuda.to_device(np.ascontiguousarray(weight.T)),
                 cuda.to_device(np.ascontiguousarray(count))]
    return args


def _run(x, out, spec, kind, copy):
    x5, o5 = as5d(x), as5d(out)
    blocks, threads = grid(o5.size)
    _resample_kernel[blocks, threads](x5, o5, *_device_tables(x, spec, kind), copy,
                                      default_nan(o5))


def nearest(x, out, spec):
    """Modes nearest and nearest-exact."""
    _run(x, out, spec, spec.mode, True)


def linear(x, out, spec):
    """Modes linear, bilinear, trilinear (and antialiased bilinear)."""
    _run(x, out, spec, "linear", False)


def cubic(x, out, spec):
    """Mode bicubic (and antialiased bicubic)."""
    _run(x, out, spec, "cubic", False)


# --------------------------------------------------------------------------- resample
@cuda.jit
def _fill_kernel(out, zo, yo, xo, value):
    # outputs outside the input along any axis take the extrapolation value
    _, C, _, _, _ = out.shape
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    if zo[od] or yo[oh] or xo[ow]:
        out[n, c, od, oh, ow] = value


def resample(x, out, spec):
    """:func:`refpool.resample`: the kernel of :func:`interpolate` on the tables of
    :func:`refpool._geometry.resample_taps`, then the extrapolated outputs."""
    x5, o5 = as5d(x), as5d(out)
    dtype = np.dtype(x.dtype)
    unit = (np.zeros((1, 1), np.int64), np.ones((1, 1)), np.ones(1, np.int64))
    tables = [unit] * (SPATIAL - len(spec.axes)) + [resample_taps(ax, dtype)
                                                     for ax in spec.axes]
    args = []
    for index, weight, count in tables:
        args += [cuda.to_device(np.ascontiguousarray(index.T)),
                 cuda.to_device(np.ascontiguousarray(weight.T)),
                 cuda.to_device(np.ascontiguousarray(count))]
    blocks, threads = grid(o5.size)
    _resample_kernel[blocks, threads](x5, o5, *args, spec.nearest, default_nan(o5))
    # outputs without taps are 0, then the extrapolated ones take their value
    for rule, value in (("empty", 0.0), ("outside", spec.extrapolation_value)):
        masks = [np.zeros(1, np.uint8)] * (SPATIAL - len(spec.axes)) + [
            getattr(ax, rule)().astype(np.uint8) for ax in spec.axes]
        if any(m.any() for m in masks):
            _fill_kernel[blocks, threads](o5, *(cuda.to_device(m) for m in masks),
                                          o5.dtype.type(value))
