"""CUDA engine for the spline family: :func:`refpool.map_coordinates` (and
:func:`refpool.affine_transform`, :func:`refpool.rotate`).

The prefilter runs one thread per line (the recursion is sequential along a line)
in a float64 device buffer, after a kernel of one thread per element that copies
the input into it with the mode's padding; the sampling runs one thread per output
element, its taps and weights in thread-local arrays.  Arrays are viewed as 5-D
``(N, C, D, H, W)``; the points (float64, copied to the device when they arrive
from the host) as ``(k, P)`` and the output as ``(N, C, 1, 1, P)``.  The arithmetic
is :mod:`refpool.engines._spline`'s, the functions the CPU engine calls.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64, int64, uint8

from .. import _spline
from .._layout import as5d
from ._launch import grid as launch_grid
from ._launch import output_element

_padded_value = _spline.padded_value
_line_of = _spline.line_of
_filter_line = _spline.filter_line
_point_taps = _spline.point_taps
_interpolate = _spline.interpolate
_M = _spline.MAX_TAPS


@cuda.jit
def _pad_kernel(x, out, pd, ph, pw, nearest, cval):
    n, ch, d, h, w = output_element(out, out.shape[1])
    if n < 0:
        return
    out[n, ch, d, h, w] = _padded_value(x, n, ch, d, h, w, pd, ph, pw, nearest, cval)


@cuda.jit
def _filter_kernel(buf, axis, order, boundary):
    length = buf.shape[2 + axis]
    t = cuda.grid(1)
    if t >= buf.size // length:
        return
    n, ch, u, v = _line_of(t, buf.shape, axis)
    _filter_line(buf, n, ch, axis, u, v, length, order, boundary)


@cuda.jit
def _map_kernel(c, coords, out, k, orders, mode, cval, pads):
    n, ch, _, _, p = output_element(out, out.shape[1])
    if n < 0:
        return
    taps = cuda.local.array((3, _M), int64)
    flags = cuda.local.array((3, _M), uint8)
    w = cuda.local.array((3, _M), float64)
    status = _point_taps(coords, p, k, c.shape, orders, mode, pads, taps, flags, w)
    if status == 1:
        value = cval
    elif status == 2:
        value = math.nan
    else:
        value = _interpolate(c, n, ch, orders, taps, flags, w, cval)
    out[n, ch, 0, 0, p] = value


# --------------------------------------------------------------------------- entry points
def _per_axis3(values, fill=0):
    return np.array((fill,) * (3 - len(values)) + tuple(int(v) for v in values), np.int64)


def spline_filter(x, out, orders, mode, pads, cval):
    k = len(x.shape) - 2
    p3 = _per_axis3(pads)
    o3 = _per_axis3(orders)
    o5 = as5d(out)
    blocks, threads = launch_grid(o5.size)
    _pad_kernel[blocks, threads](as5d(x), o5, int(p3[0]), int(p3[1]), int(p3[2]),
                                 mode == "nearest", float(cval))
    for axis in range(3 - k, 3):
        if o3[axis] >= 2:
            lines = o5.size // o5.shape[2 + axis]
            blocks, threads = launch_grid(lines)
            _filter_kernel[blocks, threads](o5, axis, int(o3[axis]),
                                            _spline.BOUNDARY_CODES[mode])


def map_coordinates(c, coordinates, out, orders, mode, cval, pads):
    k = len(c.shape) - 2
    # the public layer hands host float64 points (validated there): one copy over
    coords = cuda.to_device(np.ascontiguousarray(coordinates, dtype=np.float64).reshape(k, -1))
    o = out.reshape(out.shape[0], out.shape[1], 1, 1, -1)
    blocks, threads = launch_grid(o.size)
    _map_kernel[blocks, threads](as5d(c), coords, o, k, cuda.to_device(_per_axis3(orders)),
                                 _spline.MODE_CODES[mode], float(cval),
                                 cuda.to_device(_per_axis3(pads)))
