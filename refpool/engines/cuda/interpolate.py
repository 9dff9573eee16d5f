"""CUDA engine for interpolation: one thread per output element.

Arrays arrive as device arrays of shape ``(N, C, *spatial)`` and are viewed as
5-D ``(N, C, D, H, W)``.  The per-axis source indices, weights and tap counts
come from :func:`refpool._geometry.resample_taps` (the same tables as the CPU
engine), computed on the host and copied over (they are tiny).  Each thread
decodes its flat output index and sums its taps in float64, nested like the
reference (W innermost); the nearest modes copy one element.  One entry point,
``resample``, runs :func:`refpool.resample` and :func:`refpool.interpolate` (whose
``"torch"`` axes have PyTorch's taps).
"""

from __future__ import annotations

import functools

import numpy as np
from numba import cuda

from ..._geometry import resample_taps
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


@functools.lru_cache(maxsize=256)
def _host_tables(spec, dtype):
    """The transposed per-axis tables of :func:`refpool._geometry.resample_taps` and the
    ``(empty, outside)`` masks as uint8, per geometry and dtype (host arrays: a small
    call would spend most of its time building them)."""
    dtype = np.dtype(dtype)
    unit = (np.zeros((1, 1), np.int64), np.ones((1, 1)), np.ones(1, np.int64))
    tables = [unit] * (SPATIAL - len(spec.axes)) + [resample_taps(ax, dtype)
                                                     for ax in spec.axes]
    arrays = []
    for index, weight, count in tables:
        arrays += [np.ascontiguousarray(index.T), np.ascontiguousarray(weight.T),
                   np.ascontiguousarray(count)]
    masks = []
    for rule, value in (("empty", 0.0), ("outside", spec.extrapolation_value)):
        rows = [np.zeros(1, np.uint8)] * (SPATIAL - len(spec.axes)) + [
            getattr(ax, rule)().astype(np.uint8) for ax in spec.axes]
        if any(m.any() for m in rows):
            masks.append((rows, value))
    return arrays, masks


def resample(x, out, spec):
    """:func:`refpool.resample` and :func:`refpool.interpolate` (its ``"torch"``
    axes): the kernel above on the tables of :func:`refpool._geometry.resample_taps`,
    then the empty and extrapolated outputs."""
    x5, o5 = as5d(x), as5d(out)
    arrays, masks = _host_tables(spec, np.dtype(x.dtype).str)
    blocks, threads = grid(o5.size)
    _resample_kernel[blocks, threads](x5, o5, *(cuda.to_device(a) for a in arrays),
                                      spec.nearest, default_nan(o5))
    # outputs without taps are 0, then the extrapolated ones take their value
    for rows, value in masks:
        _fill_kernel[blocks, threads](o5, *(cuda.to_device(m) for m in rows),
                                      o5.dtype.type(value))
