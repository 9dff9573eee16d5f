"""CPU engine for the spline family: :func:`refpool.map_coordinates` (and
:func:`refpool.affine_transform`, :func:`refpool.rotate`) in Numba.

One kernel per dtype serves 1, 2 and 3 spatial axes: arrays are viewed as 5-D ``(N,
C, D, H, W)`` (:func:`refpool.engines._layout.as5d`).  The prefilter runs once per
line of every (n, c) plane, ``prange`` over the lines of an axis, in float64, in
place in the caller's buffer; the sampling runs ``prange`` over chunks of output
points, computing each point's taps and weights once (into the chunk's scratch rows,
given by the entry point) and reading them on every plane.  The arithmetic is
:mod:`refpool.engines._spline`'s, shared with the CUDA engine; spline order and
mode are runtime arguments (no specialisation per order).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .. import _spline
from .._layout import as5d, work_chunks

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off

_padded_value = _spline.padded_value
_line_of = _spline.line_of
_filter_line = _spline.filter_line
_point_taps = _spline.point_taps
_interpolate = _spline.interpolate


@njit(**_PARALLEL)
def _pad_kernel(x, out, pd, ph, pw, nearest, cval):
    N, C, D, H, W = out.shape
    for t in prange(N * C * D * H):
        h = t % H
        r = t // H
        d = r % D
        r //= D
        ch = r % C
        n = r // C
        for w in range(W):
            out[n, ch, d, h, w] = _padded_value(x, n, ch, d, h, w, pd, ph, pw, nearest,
                                                cval)


@njit(**_PARALLEL)
def _filter_kernel(buf, axis, order, boundary):
    length = buf.shape[2 + axis]
    lines = buf.size // length
    for t in prange(lines):
        n, ch, u, v = _line_of(t, buf.shape, axis)
        _filter_line(buf, n, ch, axis, u, v, length, order, boundary)


@njit(**_PARALLEL)
def _map_kernel(c, coords, out, k, orders, mode, cval, pads, taps, flags, w):
    N, C, P = out.shape
    B = taps.shape[0]
    chunk = (P + B - 1) // B
    for b in prange(B):
        tb = taps[b]
        fb = flags[b]
        wb = w[b]
        for p in range(b * chunk, min(P, (b + 1) * chunk)):
            status = _point_taps(coords, p, k, c.shape, orders, mode, pads, tb, fb, wb)
            for n in range(N):
                for ch in range(C):
                    if status == 1:
                        value = cval
                    elif status == 2:
                        value = math.nan
                    else:
                        value = _interpolate(c, n, ch, orders, tb, fb, wb, cval)
                    out[n, ch, p] = value


# --------------------------------------------------------------------------- entry points
def _per_axis3(values, fill=0):
    """Per-spatial-axis ints as an int64 array over the three axes of the 5-D view."""
    return np.array((fill,) * (3 - len(values)) + tuple(int(v) for v in values), np.int64)


def spline_filter(x, out, orders, mode, pads, cval):
    k = x.ndim - 2
    p3 = _per_axis3(pads)
    o3 = _per_axis3(orders)
    o5 = as5d(out)
    _pad_kernel(as5d(np.require(x, requirements=("C", "A"))), o5, int(p3[0]), int(p3[1]),
                int(p3[2]), mode == "nearest", float(cval))
    for axis in range(3 - k, 3):
        if o3[axis] >= 2:
            _filter_kernel(o5, axis, int(o3[axis]), _spline.BOUNDARY_CODES[mode])


def map_coordinates(c, coordinates, out, orders, mode, cval, pads):
    k = c.ndim - 2
    coords = np.ascontiguousarray(coordinates, dtype=np.float64).reshape(k, -1)
    o = out.reshape(out.shape[0], out.shape[1], -1)       # a view: out is C-contiguous
    P = coords.shape[1]
    chunks = work_chunks(P)
    m = _spline.MAX_TAPS
    taps = np.zeros((chunks, 3, m), np.int64)
    flags = np.zeros((chunks, 3, m), np.uint8)
    w = np.zeros((chunks, 3, m), np.float64)
    _map_kernel(as5d(np.require(c, requirements=("C", "A"))), coords, o, k,
                _per_axis3(orders), _spline.MODE_CODES[mode], float(cval), _per_axis3(pads),
                taps, flags, w)
