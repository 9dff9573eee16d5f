"""Reference engine for interpolation: plain NumPy, float64 inside.

Written to be read beside the formulas in :mod:`refpool.interpolate`.  Each axis
rule below is a direct transcription, one output coordinate at a time, of the
formula it implements; it does not share the tables of the CPU and CUDA engines
(:func:`refpool._geometry.resample_taps`, :func:`refpool._geometry.interpolation_taps`),
so it checks them independently.  One entry point, ``resample``, runs
:func:`refpool.resample` and :func:`refpool.interpolate` (whose axes,
``arithmetic="torch"``, take PyTorch's rules: :func:`_torch_taps`).  The axes are
resampled one after the other (last axis first), each output sample being the
weighted sum of its taps, first tap first; every result is rounded once to the
output dtype.  The nearest rules gather, with no arithmetic.
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


def _torch_taps(ax, j, dtype):
    """PyTorch's taps of output j of an ``arithmetic="torch"`` axis (the axes of
    :func:`refpool.interpolate`), from the rules above."""
    n, m, r = ax.n, ax.m, ax.r
    align_corners = ax.coordinate_mode == "align_corners"
    if ax.filter == "nearest":
        if ax.nearest_mode == "torch_exact":
            return _nearest_exact_taps(j, n, r, dtype, ax.nearest_rule)
        return _nearest_taps(j, n, m, r, dtype, ax.nearest_rule)
    if ax.antialias:
        if ax.filter == "linear":
            return _antialias_taps(j, n, m, r, _triangle, 2)
        return _antialias_taps(j, n, m, r, lambda d: _keys(d, CUBIC_A_ANTIALIAS), 4)
    if ax.filter == "cubic":
        return _cubic_taps(j, n, r, align_corners)
    return _linear_taps(j, n, m, r, align_corners)


# --------------------------------------------------------------------------- resample
# refpool.resample, one output coordinate at a time: the coordinate maps and the
# filters below are plain transcriptions of the formulas in refpool.interpolate.resample
# (not the vectorised tables of refpool._geometry that the CPU and CUDA engines use).

def _source(ax, j):
    """Source coordinate of output j (ONNX Resize's maps, its order of operations)."""
    n, m, s, mode = ax.n, ax.m, ax.scale, ax.coordinate_mode
    u = j - ax.translation
    if mode == "half_pixel":
        return (u + 0.5) / s - 0.5
    if mode == "half_pixel_symmetric":
        return n / 2 * (1 - m / (s * n)) + (u + 0.5) / s - 0.5
    if mode == "pytorch_half_pixel":
        return (u + 0.5) / s - 0.5 if m > 1 else 0.0
    if mode == "align_corners":
        return u * (n - 1) / (m - 1) if m > 1 else 0.0
    if mode == "asymmetric":
        return u / s
    if mode == "tf_half_pixel_for_nn":
        return (u + 0.5) / s
    start, end = ax.roi                                    # tf_crop_and_resize
    if m == 1:
        return 0.5 * (start + end) * (n - 1)
    return start * (n - 1) + u * (end - start) * (n - 1) / (m - 1)


def _sinc(d):
    return 1.0 if d == 0 else math.sin(math.pi * d) / (math.pi * d)


def _bc(d, b, c):
    d = abs(d)
    if d < 1:
        return ((12 - 9 * b - 6 * c) * d ** 3 + (-18 + 12 * b + 6 * c) * d ** 2
                + (6 - 2 * b)) / 6
    if d < 2:
        return ((-b - 6 * c) * d ** 3 + (6 * b + 30 * c) * d ** 2 + (-12 * b - 48 * c) * d
                + (8 * b + 24 * c)) / 6
    return 0.0


def _kernel(filt, a):
    """(h, support) of a named filter, scalar."""
    if isinstance(filt, tuple):
        if filt[0] == "bc":
            return (lambda d: _bc(d, filt[1], filt[2])), 2.0
        return (lambda d: float(filt[1](np.float64(d)))), filt[2]
    if filt == "box":
        return (lambda d: 1.0 if abs(d) < 0.5 else 0.5 if abs(d) == 0.5 else 0.0), 0.5
    if filt == "linear":
        return _triangle, 1.0
    if filt == "cubic":
        return (lambda d: _keys(d, a)), 2.0
    if filt == "mitchell":
        return (lambda d: _bc(d, 1 / 3, 1 / 3)), 2.0
    if filt == "catmull_rom":
        return (lambda d: _bc(d, 0.0, 0.5)), 2.0
    if filt == "gaussian":                      # TensorFlow's: sigma 1/2, radius 3/2
        return (lambda d: math.exp(-d * d / 0.5) if abs(d) < 1.5 else 0.0), 1.5
    if filt == "hamming":
        return (lambda d: _sinc(d) * (0.54 + 0.46 * math.cos(math.pi * d))
                if abs(d) < 1 else 0.0), 1.0
    lobes = int(filt[len("lanczos"):])
    return (lambda d: _sinc(d) * _sinc(d / lobes) if abs(d) < lobes else 0.0), float(lobes)


def _round(x, mode):
    low = math.floor(x)
    if mode == "round_prefer_floor":
        return low if x - low <= 0.5 else low + 1
    if mode == "round_prefer_ceil":
        return low if x - low < 0.5 else low + 1
    return low if mode == "floor" else math.ceil(x)


def _resample_taps(ax, j, dtype):
    n = ax.n
    if ax.arithmetic == "torch":
        return _torch_taps(ax, j, dtype)
    if ax.filter == "nearest":
        if ax.nearest_mode == "torch":
            return _nearest_taps(j, n, ax.m, ax.r, dtype, "generic")
        if ax.nearest_mode == "torch_exact":
            return _nearest_exact_taps(j, n, ax.r, dtype, "generic")
        return [(min(max(_round(_source(ax, j), ax.nearest_mode), 0), n - 1), 1.0)]
    x = _source(ax, j)
    if ax.filter == "area":                     # overlap of the output cell with each input cell
        half = 0.5 / ax.scale
        taps = [(p, min(x + half, p + 0.5) - max(x - half, p - 0.5))
                for p in range(math.floor(x - half - 0.5), math.ceil(x + half + 0.5) + 1)]
        taps = [(p, w) for p, w in taps if w > 0]
    else:
        h, support = _kernel(ax.filter, ax.cubic_coeff_a)
        f = 1 / ax.scale if ax.antialias and ax.scale < 1 else 1.0
        reach = support * f
        taps = [(p, h((p - x) / f))
                for p in range(math.floor(x - reach), math.ceil(x + reach) + 1)
                if abs(p - x) <= reach]
    if ax.exclude_outside:
        taps = [(p, w) for p, w in taps if 0 <= p < n]
    taps = [(p, w) for p, w in taps if w != 0]
    total = sum(w for _, w in taps)
    if total == 0:
        return []
    return [(min(max(p, 0), n - 1), w / total) for p, w in taps]


def _outside(ax):
    """The outputs set to the extrapolation value."""
    xs = [_source(ax, j) for j in range(ax.m)]
    if ax.extrapolate == "samples":
        return [x < 0 or x > ax.n - 1 for x in xs]
    if ax.extrapolate == "cells":
        return [x < -0.5 or x > ax.n - 0.5 for x in xs]
    return [False] * ax.m


def _resample_axis_general(a, taps, axis):
    """Resample ``a`` (float64) along ``axis``: out[j] = sum of w * a[i] over taps[j],
    first tap first; an output with no tap is 0."""
    moved = np.moveaxis(a, axis, -1)
    out = np.zeros(moved.shape[:-1] + (len(taps),), dtype=np.float64)
    for j, tap in enumerate(taps):
        if tap:
            (i, w), rest = tap[0], tap[1:]
            acc = w * moved[..., i]
            for i, w in rest:
                acc = acc + w * moved[..., i]
            out[..., j] = acc
    return np.moveaxis(out, -1, axis)


def resample(x, out, spec):
    """:func:`refpool.resample`: per axis (last first), the weighted sums of the taps;
    then the extrapolated outputs."""
    dtype = np.dtype(x.dtype)
    axes = spec.axes
    if spec.nearest:
        y = np.asarray(x)
        for b, ax in enumerate(axes):
            y = np.take(y, [_resample_taps(ax, j, dtype)[0][0] for j in range(ax.m)],
                        axis=b + 2)
        result = y
    else:
        a = np.asarray(x, dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            for b in reversed(range(len(axes))):
                taps = [_resample_taps(axes[b], j, dtype) for j in range(axes[b].m)]
                a = _resample_axis_general(a, taps, b + 2)
        result = a
    for b, ax in enumerate(axes):
        mask = np.array(_outside(ax), dtype=bool)
        if mask.any():
            if result is x:
                result = np.array(result)
            index = (slice(None),) * (b + 2) + (mask,)
            result[index] = spec.extrapolation_value
    with np.errstate(invalid="ignore", over="ignore"):     # float64 -> float32 overflow
        out[...] = result
    if not spec.nearest:
        _canonical_nan(out)
