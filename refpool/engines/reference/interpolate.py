"""Reference engine for interpolation: plain NumPy, float64 inside.

Written to be read beside the formulas in :mod:`refpool.interpolate`.  Each axis
rule below is a direct transcription, one output coordinate at a time, of the
formula it implements; it does not share the tables of the CPU and CUDA engines
(:func:`refpool._geometry.interpolation_taps`), so it checks them independently.
The axes are then resampled one after the other (last axis first), each output
sample being the weighted sum of its taps, first tap first; every result is
rounded once to the output dtype.
"""

from __future__ import annotations

import math

import numpy as np

from ..._geometry import CUBIC_A, CUBIC_A_ANTIALIAS
from .pooling import _canonical_nan


# --------------------------------------------------------------------------- axis rules
# Each rule returns, for output coordinate j, the list of (source index, weight).

def _floorf(v):
    """floor(v) after rounding v to float32, as PyTorch's ``floorf`` does."""
    return math.floor(float(np.float32(v)))


def _nearest_taps(j, n, m, r, dtype, rule):
    # src = j * r, with r and the product in the input's precision ("generic"),
    # or in float32 after two shortcuts ("small": PyTorch's channels-last kernel)
    if rule == "small":
        if m == n:
            return [(j, 1.0)]
        if m == 2 * n:
            return [(j // 2, 1.0)]
        src = np.float32(j) * np.float32(r)
    elif dtype == np.float32:
        src = np.float32(j) * np.float32(r)
    else:
        src = j * r
    return [(min(_floorf(src), n - 1), 1.0)]


def _nearest_exact_taps(j, n, r, dtype, rule):
    # "generic": src = max(r (j + 1/2) - 1/2, 0) + 1/2; in float32 the first step is
    # one fused multiply-add (PyTorch's AVX2/AVX512 kernels), which float64
    # evaluates exactly.  "small": src = (j + 1/2) * float32(r), in float64.
    if rule == "small":
        src = (j + 0.5) * float(np.float32(r))
    elif dtype == np.float32:
        r32 = np.float32(r)
        src = np.float32(float(r32) * (j + 0.5) - 0.5)
        src = max(src, np.float32(0.0)) + np.float32(0.5)
    else:
        src = max(r * (j + 0.5) - 0.5, 0.0) + 0.5
    return [(min(_floorf(src), n - 1), 1.0)]


def _linear_taps(j, n, m, r, align_corners):
    if m == n:                                      # PyTorch copies this axis
        return [(j, 1.0), (j, 0.0)]
    src = r * j if align_corners else max(r * (j + 0.5) - 0.5, 0.0)
    i0 = min(_floorf(src), n - 1)
    lam = min(max(src - i0, 0.0), 1.0)
    i1 = min(i0 + 1, n - 1)
    return [(i0, 1.0 - lam), (i1, lam)]


def _keys(d, a):
    """Keys' cubic convolution kernel W(d) with parameter a.

    Evaluated in PyTorch's (Horner) order, so that the weights that are zero in
    exact arithmetic come out exactly as PyTorch's (0 or a rounding residue):
    that decides whether an infinity on such a tap turns into NaN.
    """
    d = abs(d)
    if d < 1:
        return ((a + 2) * d - (a + 3)) * d * d + 1
    if d < 2:
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return 0.0


def _cubic_taps(j, n, r, align_corners):
    src = r * j if align_corners else r * (j + 0.5) - 0.5
    i0 = min(_floorf(src), n - 1)
    t = min(max(src - i0, 0.0), 1.0)
    return [(min(max(i0 + k, 0), n - 1), _keys(t - k, CUBIC_A)) for k in (-1, 0, 1, 2)]


def _antialias_taps(j, n, m, r, filt, interp_size):
    if m == n:                                      # PyTorch skips this axis
        return [(j, 1.0)]
    support = interp_size / 2 * r if r >= 1 else interp_size / 2
    invscale = 1 / r if r >= 1 else 1.0
    center = r * (j + 0.5)
    lo = max(int(center - support + 0.5), 0)       # int(): truncation toward zero
    hi = min(int(center + support + 0.5), n)
    hi = min(hi, lo + int(math.ceil(support)) * 2 + 1)
    taps = [(i, filt((i - center + 0.5) * invscale)) for i in range(lo, hi)]
    total = sum(w for _, w in taps)
    if total != 0:
        taps = [(i, w / total) for i, w in taps]
    return taps


def _triangle(d):
    return max(0.0, 1.0 - abs(d))


def _axis_taps(spec, axis, dtype):
    n, m = spec.input_size[axis], spec.output_size[axis]
    r = spec.scale[axis]
    mode = spec.mode
    if mode == "nearest":
        return [_nearest_taps(j, n, m, r, dtype, spec.nearest_rule) for j in range(m)]
    if mode == "nearest-exact":
        return [_nearest_exact_taps(j, n, r, dtype, spec.nearest_rule) for j in range(m)]
    if spec.antialias:
        if mode == "bilinear":
            return [_antialias_taps(j, n, m, r, _triangle, 2) for j in range(m)]
        return [_antialias_taps(j, n, m, r, lambda d: _keys(d, CUBIC_A_ANTIALIAS), 4)
                for j in range(m)]
    if mode == "bicubic":
        return [_cubic_taps(j, n, r, spec.align_corners) for j in range(m)]
    return [_linear_taps(j, n, m, r, spec.align_corners) for j in range(m)]


# --------------------------------------------------------------------------- application
def _resample_axis(a, taps, axis):
    """Resample ``a`` (float64) along ``axis``: out[j] = sum of w * a[i] over taps[j]."""
    moved = np.moveaxis(a, axis, -1)
    out = np.empty(moved.shape[:-1] + (len(taps),), dtype=np.float64)
    for j, tap in enumerate(taps):
        (i, w), rest = tap[0], tap[1:]
        acc = w * moved[..., i]
        for i, w in rest:
            acc = acc + w * moved[..., i]
        out[..., j] = acc
    return np.moveaxis(out, -1, axis)


def _resample(x, out, spec):
    dtype = np.dtype(x.dtype)
    a = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):     # inf * 0, inf - inf: NaN
        for axis in reversed(range(len(spec.input_size))):
            a = _resample_axis(a, _axis_taps(spec, axis, dtype), axis + 2)
        out[...] = a
    _canonical_nan(out)


def nearest(x, out, spec):
    """Modes ``nearest`` and ``nearest-exact``: a gather, no arithmetic."""
    dtype = np.dtype(x.dtype)
    y = np.asarray(x)
    for axis in range(len(spec.input_size)):
        index = [taps[0][0] for taps in _axis_taps(spec, axis, dtype)]
        y = np.take(y, index, axis=axis + 2)
    out[...] = y


def linear(x, out, spec):
    """Modes ``linear``, ``bilinear``, ``trilinear`` (and antialiased bilinear)."""
    _resample(x, out, spec)


def cubic(x, out, spec):
    """Mode ``bicubic`` (and antialiased bicubic)."""
    _resample(x, out, spec)
