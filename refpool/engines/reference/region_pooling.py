"""Reference engine for region pooling (``roi_pool``, ``roi_align``): plain Python and
NumPy, float64 inside.

Written to be read beside the formulas of :mod:`refpool.region_pooling`; speed is not a
goal.  The per-axis geometry of one box is written once, in the functions
:func:`_pool_axis` and :func:`_align_axis`, generic in the number type:

* with Python floats they are this engine's geometry: float64 arithmetic in the order
  torchvision writes it (``start + p * bin + (i + 1/2) * bin / g``), so the sample
  positions, and hence the bilinear weights, are bitwise those of the CPU and CUDA
  engines (whose tables :class:`refpool.region_pooling.RoiSpec` builds with NumPy in
  the same order);
* with :class:`fractions.Fraction` they are the geometry in exact real arithmetic,
  which the exactness rules of :mod:`refpool.equivariance.rules` compare with its
  mirror images (never by running an operator).

A 2-D bin reads the grid of samples ``(y_i, x_j)`` of its row and column; a sample
reads at most four pixels with the products of the per-axis weights, and a term
whose weight is zero is skipped (its pixel is not read, so a NaN or infinity there
does not leak into the bin).
"""

from __future__ import annotations

import math

import numpy as np


# --------------------------------------------------------------------------- geometry
def _round_half_away(v):
    """``v`` rounded to the nearest integer, halves away from zero (C's ``round``),
    exactly, for a float or a Fraction; returns an int."""
    t = math.trunc(v)
    f = v - t                                  # exact: the fractional part
    if f >= 0.5:
        return t + 1
    if f <= -0.5:
        return t - 1
    return t


def _pool_axis(c1, c2, scale, o, n):
    """``roi_pool`` along one axis: the pixel range ``[start, end)`` of each of the
    ``o`` bins of the box ``[c1, c2]`` (box coordinates, scaled by ``scale``) on an
    axis of ``n`` pixels.

    The corners round to pixel indices, :math:`s = \\mathrm{round}(c_1 \\sigma)` and
    :math:`e = \\mathrm{round}(c_2 \\sigma)` (halves away from zero); the box covers
    the :math:`L = \\max(e - s + 1, 1)` pixels from :math:`s`, and bin :math:`p` the
    pixels :math:`[s + \\lfloor pL/o \\rfloor, s + \\lceil (p+1)L/o \\rceil)`, clipped
    to :math:`[0, n)` (integer arithmetic: exact).  An empty range is an empty bin.
    """
    start = _round_half_away(c1 * scale)
    end = _round_half_away(c2 * scale)
    size = max(end - start + 1, 1)
    bins = []
    for p in range(o):
        lo = start + (p * size) // o
        hi = start - ((-(p + 1) * size) // o)
        bins.append((min(max(lo, 0), n), min(max(hi, 0), n)))
    return bins


def _bilinear_taps(pos, n):
    """The pixels and weights with which a sample at coordinate ``pos`` (pixel ``q``
    at ``q``) reads an axis of ``n`` pixels: a tuple of ``(pixel, weight)`` pairs with
    non-zero weights, empty for a sample outside ``[-1, n]``.

    torchvision's rule: outside :math:`[-1, n]` the sample is 0; otherwise the
    coordinate is clamped to :math:`[0, n-1]` and read by linear interpolation
    between :math:`\\lfloor y \\rfloor` and :math:`\\lfloor y \\rfloor + 1`.
    """
    number = type(pos)
    if pos < -1 or pos > n:
        return ()
    if pos <= 0:
        pos = number(0)
    low = math.floor(pos)
    if low >= n - 1:
        low = high = n - 1
        pos = number(low)
    else:
        high = low + 1
    frac = pos - low
    rest = 1 - frac
    return tuple((q, w) for q, w in ((low, rest), (high, frac)) if w != 0)


def _align_axis(c1, c2, scale, o, n, sampling_ratio, aligned):
    """``roi_align`` along one axis of ``n`` pixels for the box ``[c1, c2]``.

    Returns ``(g, taps)``: ``g`` samples per bin along this axis (``0``: none) and
    ``taps[p][i]``, the :func:`_bilinear_taps` of sample ``i`` of bin ``p``, at

    .. math:: y_{p,i} = a + p\\,b + (i + \\tfrac12)\\,\\frac{b}{g},\\qquad
              a = c_1 \\sigma - \\delta,\\quad
              b = \\frac{\\max(c_2\\sigma - \\delta - a,\\ 1)}{o}

    with :math:`\\delta = 1/2` and no minimum size when ``aligned``, and
    :math:`g` = ``sampling_ratio`` if positive, else :math:`\\lceil L/o \\rceil`.
    """
    one = type(scale)(1)
    offset = one / 2 if aligned else one - one
    start = c1 * scale - offset
    end = c2 * scale - offset
    size = end - start
    if not aligned:
        size = max(size, one)
    width = size / o
    g = sampling_ratio if sampling_ratio > 0 else max(math.ceil(size / o), 0)
    half = one / 2
    taps = [[_bilinear_taps(start + p * width + (i + half) * width / g, n) for i in range(g)]
            for p in range(o)]
    return g, taps


def _box_axes(box):
    """The corners ``(c1, c2)`` of ``box`` (``x1, y1, x2, y2``) along the spatial axes
    ``(H, W)``."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return ((y1, y2), (x1, x2))


# --------------------------------------------------------------------------- selection
def _canonical_nan(out):
    """Every NaN of ``out`` as the default NaN (arithmetic results, docs/numerics.rst)."""
    nan = np.isnan(out)
    if nan.any():
        out[nan] = np.nan


def _select(window):
    """The selected element of each row of ``window`` (C, T), scanned in row-major
    order: the last NaN if any, else the first maximum with ``+0`` above ``-0``
    (the selection rule of every max-type operator, docs/numerics.rst).  Returns
    ``(values, positions)``."""
    taps = window.shape[1]
    isnan = np.isnan(window)
    last_nan = taps - 1 - np.argmax(isnan[:, ::-1], axis=1)
    scored = np.where(isnan, -np.inf, window)
    best = scored.max(axis=1, keepdims=True)
    ties = scored == best
    positive = ties & ~np.signbit(scored)
    ties = np.where(positive.any(axis=1, keepdims=True), positive, ties)
    chosen = np.where(isnan.any(axis=1), last_nan, np.argmax(ties, axis=1))
    return window[np.arange(window.shape[0]), chosen], chosen


# --------------------------------------------------------------------------- roi_pool
def _roi_pool(x, out, indices, spec):
    H, W = x.shape[2:]
    oh, ow = spec.output_size
    for k in range(len(spec.batch)):
        (y1, y2), (x1, x2) = _box_axes(spec.boxes[k])
        rows = _pool_axis(y1, y2, spec.spatial_scale, oh, H)
        cols = _pool_axis(x1, x2, spec.spatial_scale, ow, W)
        plane = x[int(spec.batch[k])]                      # (C, H, W), x's own dtype
        for ph, (h0, h1) in enumerate(rows):
            for pw, (w0, w1) in enumerate(cols):
                if h1 <= h0 or w1 <= w0:                   # an empty bin is 0
                    out[k, :, ph, pw] = 0
                    if indices is not None:
                        indices[k, :, ph, pw] = -1
                    continue
                window = plane[:, h0:h1, w0:w1].reshape(plane.shape[0], -1)
                values, chosen = _select(window)
                out[k, :, ph, pw] = values
                if indices is not None:
                    span = w1 - w0
                    indices[k, :, ph, pw] = (h0 + chosen // span) * W + w0 + chosen % span


def roi_pool(x, out, spec):
    _roi_pool(x, out, None, spec)


def roi_pool_with_indices(x, out, indices, spec):
    _roi_pool(x, out, indices, spec)


# --------------------------------------------------------------------------- roi_align
def _sample(plane, ytaps, xtaps):
    """The bilinear sample of ``plane`` (C, H, W, float64) read by ``ytaps`` x
    ``xtaps``: the terms in torchvision's order (low row and column first), the
    zero-weight ones skipped."""
    value = np.zeros(plane.shape[0])
    for r, wy in ytaps:
        for c, wx in xtaps:
            w = wy * wx
            if w != 0:
                value = value + w * plane[:, r, c]
    return value


def roi_align(x, out, spec, reduction):
    H, W = x.shape[2:]
    oh, ow = spec.output_size
    result = np.zeros(out.shape, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(len(spec.batch)):
            (y1, y2), (x1, x2) = _box_axes(spec.boxes[k])
            gy, rows = _align_axis(y1, y2, spec.spatial_scale, oh, H, spec.sampling_ratio,
                                  spec.aligned)
            gx, cols = _align_axis(x1, x2, spec.spatial_scale, ow, W, spec.sampling_ratio,
                                  spec.aligned)
            plane = x[int(spec.batch[k])].astype(np.float64)
            count = max(gy * gx, 1)
            for ph in range(oh):
                for pw in range(ow):
                    samples = [_sample(plane, ty, tx) for ty in rows[ph] for tx in cols[pw]]
                    if reduction == "avg":
                        total = np.zeros(plane.shape[0])
                        for s in samples:
                            total = total + s
                        result[k, :, ph, pw] = total / count
                    elif samples:
                        best = samples[0]
                        for s in samples[1:]:
                            best = np.where((s > best) | np.isnan(s), s, best)
                        result[k, :, ph, pw] = best
        out[...] = result
    _canonical_nan(out)
