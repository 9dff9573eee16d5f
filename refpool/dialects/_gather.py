"""Nearest-neighbour resizes given as per-axis source index tables (the image dialects).

PIL, OpenCV and scikit-image each compute the source pixel of a nearest-neighbour
resize with their own arithmetic (PIL accumulates the step in float64, OpenCV
multiplies by a rounded reciprocal or uses 16.16 fixed point, ``scipy.ndimage``
adds and subtracts one half).  Where the exact value lands on an integer, that
arithmetic decides the index, and no affine source-coordinate map rounded by one
rule reproduces every peer.  So the dialects compute the peer's *index table*
(integer geometry, in the peer's own arithmetic, no pixel value involved) and
:func:`gather` reads the pixels with :func:`refpool.grid_sample` (``nearest``,
``align_corners=True``), one grid point at the exact centre of each selected
pixel: the value is copied, never interpolated.  An index of ``-1`` marks an
output that the peer leaves at 0 (PIL's nearest writes zeros there).
"""

from __future__ import annotations

import numpy as np

from ..sampling import grid_sample

__all__ = ["gather", "interpolate_at", "accumulated_index"]


def accumulated_index(n, m, start, step):
    """Pillow's nearest-neighbour source index (``ImagingScaleAffine``), also OpenCV
    5.1's ``INTER_NEAREST_EXACT``: the position starts at ``start + step/2`` and
    ``step`` is *added* once per output in float64; each position truncated to an
    index, ``-1`` where it falls outside ``[0, n)``."""
    positions = np.add.accumulate(
        np.concatenate(([start + step * 0.5], np.full(m - 1, step))))
    index = np.where(positions < 0, -1, np.trunc(positions)).astype(np.int64)
    return np.where((index >= 0) & (index < n), index, -1)


def _normalised(index, n, dtype):
    """Grid coordinates (``align_corners=True``) of the centres of pixels ``index`` of
    an axis of ``n``; ``-1`` goes far outside (read as 0 with ``padding_mode="zeros"``)."""
    index = np.asarray(index, dtype=np.int64)
    if n > 1:
        g = index.astype(np.float64) * (2.0 / (n - 1)) - 1.0
    else:
        g = np.zeros(index.shape)
    return np.where(index < 0, -4.0, g).astype(dtype)


def gather(x, indices, *, engine="auto"):
    """``y[n, c, i_1, ..., i_k] = x[n, c, t_1[i_1], ..., t_k[i_k]]`` for one index table
    ``t_b`` per spatial axis of ``x`` (``(N, C, *spatial)``, 2 or 3 spatial axes, or 1,
    handled as 2 with a unit axis); 0 where an index is ``-1``."""
    x = np.asarray(x)
    k = x.ndim - 2
    if k == 1:
        return gather(x[:, :, None, :], [[0], indices[0]], engine=engine)[:, :, 0, :]
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    axes = [_normalised(t, n, dtype) for t, n in zip(indices, x.shape[2:])]
    mesh = np.meshgrid(*axes, indexing="ij")
    # grid_sample's last axis lists (x, y[, z]): the fastest spatial axis first
    grid = np.stack(mesh[::-1], axis=-1)
    grid = np.broadcast_to(grid, (x.shape[0],) + grid.shape)
    return grid_sample(x.astype(dtype, copy=False), np.ascontiguousarray(grid),
                       mode="nearest", padding_mode="zeros", align_corners=True,
                       engine=engine)


def interpolate_at(x, coordinates, *, engine="auto"):
    """Separable linear interpolation of ``x`` (``(N, C, H, W)``) at pixel coordinates
    ``coordinates = (rows, cols)`` (float arrays, clamped to the image as OpenCV's
    border): :func:`refpool.grid_sample`, ``bilinear``, ``align_corners=True``,
    ``padding_mode="border"``."""
    x = np.asarray(x)
    axes = []
    for c, n in zip(coordinates, x.shape[2:]):
        c = np.asarray(c, dtype=np.float64)
        axes.append(c * (2.0 / (n - 1)) - 1.0 if n > 1 else np.zeros(c.shape))
    mesh = np.meshgrid(*axes, indexing="ij")
    grid = np.stack(mesh[::-1], axis=-1).astype(x.dtype)
    grid = np.broadcast_to(grid, (x.shape[0],) + grid.shape)
    return grid_sample(x, np.ascontiguousarray(grid), mode="bilinear", padding_mode="border",
                       align_corners=True, engine=engine)
