"""Reference engine for the sampling family: :func:`refpool.grid_sample` in NumPy.

Written to be read beside the formulas of :mod:`refpool.sampling`, vectorised over
every output point at once, float64 inside, rounded once to the output dtype.  It
shares no code with the compiled engines (:mod:`refpool.engines._gridsample`).

``x`` is ``(N, C, *spatial)`` (2 or 3 spatial axes), ``grid`` a float64 ``(N,
*out_spatial, k)`` array of ``(x, y[, z])`` points, ``out`` ``(N, C, *out_spatial)``.
"""

from __future__ import annotations

import numpy as np

_A = -0.75


def _unnormalize(c, size, align):
    if align:
        return (c + 1.0) / 2.0 * (size - 1)
    return ((c + 1.0) * size - 1.0) / 2.0


def _clip(c, size):
    # std::max(c, 0) keeps a NaN, std::min(size - 1, NaN) gives size - 1
    c = np.where(c < 0.0, 0.0, c)
    return np.where(c < size - 1.0, c, size - 1.0)


def _reflect(c, twice_low, twice_high):
    if twice_low == twice_high:
        return np.zeros_like(c)
    low = twice_low / 2.0
    span = (twice_high - twice_low) / 2.0
    c = np.abs(c - low)
    extra = np.fmod(c, span)                 # NaN for c = inf or NaN
    flips = np.floor(c / span)
    return np.where(np.fmod(flips, 2.0) == 0.0, extra + low, span - extra + low)


def _pad(c, size, padding, align):
    if padding == "border":
        c = _clip(c, size)
    elif padding == "reflection":
        c = _reflect(c, 0.0, 2.0 * (size - 1)) if align else _reflect(c, -1.0, 2.0 * size - 1.0)
        c = _clip(c, size)
    ok = (c <= 2147483646.0) & (c >= -2147483648.0)           # False for NaN
    return np.where(ok, c, -100.0)


def _gather(plane_of, coords, sizes):
    """``x[n, :, *coords]`` for integral float coordinates, 0 outside (shape
    ``(N, C, *points)``); ``plane_of`` is ``x`` as float64."""
    inside = np.ones(coords[0].shape, bool)
    for c, n in zip(coords, sizes):
        inside &= (c >= 0) & (c < n)
    index = tuple(np.where(inside, c, 0).astype(np.int64) for c in coords)
    N = plane_of.shape[0]
    batch = np.arange(N).reshape((N,) + (1,) * (coords[0].ndim - 1))
    # x as (N, *spatial, C): fancy indexing gives (N, *points, C), moved to (N, C, *points)
    channels_last = plane_of.transpose(0, *range(2, plane_of.ndim), 1)
    values = np.moveaxis(channels_last[(batch,) + index], -1, 1)
    return np.where(inside[:, None], values, 0.0)


def _cubic(t):
    s, u = t + 1.0, 1.0 - t
    far = lambda v: ((_A * v - 5 * _A) * v + 8 * _A) * v - 4 * _A      # noqa: E731
    near = lambda v: ((_A + 2) * v - (_A + 3)) * v * v + 1             # noqa: E731
    return far(s), near(t), near(u), far(u + 1.0)


def grid_sample(x, grid, out, mode, padding, align_corners):
    xd = np.asarray(x, np.float64)
    g = np.asarray(grid, np.float64)
    sizes = xd.shape[2:]                      # (H, W) or (D, H, W)
    k = len(sizes)
    # the grid's last axis is (x, y[, z]): reversed, it is in the order of x's axes
    unit = [g[..., k - 1 - a] for a in range(k)]
    align = bool(align_corners)
    with np.errstate(invalid="ignore", over="ignore"):
        pix = [_unnormalize(u, n, align) for u, n in zip(unit, sizes)]
        if mode == "bicubic":
            result = _bicubic(xd, pix, sizes, padding, align)
        else:
            pix = [_pad(p, n, padding, align) for p, n in zip(pix, sizes)]
            if mode == "nearest":
                result = _gather(xd, [np.rint(p) for p in pix], sizes)    # halves to even
            else:
                result = _bilinear(xd, pix, sizes)
    out[...] = result


def _bilinear(xd, pix, sizes):
    low = [np.floor(p) for p in pix]
    # weight of the low corner (low + 1 - p) and of the high corner (p - low)
    weights = [((lo + 1.0) - p, p - lo) for p, lo in zip(pix, low)]
    total = 0.0
    for corner in np.ndindex(*(2,) * len(pix)):
        w = 1.0
        for a, bit in enumerate(corner):
            w = w * weights[a][bit]
        coords = [lo + bit for lo, bit in zip(low, corner)]
        total = total + _gather(xd, coords, sizes) * w[:, None]
    return total


def _bicubic(xd, pix, sizes, padding, align, absolute=False):
    (iy, ix), (H, W) = pix, sizes
    finite = np.isfinite(ix) & np.isfinite(iy)
    ix = np.where(finite, ix, 0.0)
    iy = np.where(finite, iy, 0.0)
    x0, y0 = np.floor(ix), np.floor(iy)
    wx, wy = _cubic(ix - x0), _cubic(iy - y0)
    if absolute:                  # the magnitude: sum |w| |x| (Keys' outer weights < 0)
        wx, wy = [np.abs(w) for w in wx], [np.abs(w) for w in wy]
    total = 0.0
    for i in range(4):
        yy = np.floor(_pad(y0 - 1 + i, H, padding, align))
        row = 0.0
        for j in range(4):
            xx = np.floor(_pad(x0 - 1 + j, W, padding, align))
            row = row + _gather(xd, [yy, xx], sizes) * wx[j][:, None]
        total = total + row * wy[i][:, None]
    # a non-finite point has non-finite cubic weights in torch: the result is NaN
    return np.where(finite[:, None], total, np.nan)


def _magnitude(x, grid, mode, padding, align_corners):
    """``sum |w| |x|`` of every output, float64: the scale the conformance tolerance
    is relative to (:func:`refpool.conformance.compare.magnitude`)."""
    xd = np.abs(np.asarray(x, np.float64))
    out = np.empty(xd.shape[:2] + np.shape(grid)[1:-1])
    if mode != "bicubic":                    # bilinear and nearest weights are >= 0
        grid_sample(xd, grid, out, mode, padding, align_corners)
        return out
    g = np.asarray(grid, np.float64)
    sizes = xd.shape[2:]
    align = bool(align_corners)
    with np.errstate(invalid="ignore", over="ignore"):
        pix = [_unnormalize(g[..., 1 - a], n, align) for a, n in enumerate(sizes)]
        out[...] = _bicubic(xd, pix, sizes, padding, align, absolute=True)
    return out
