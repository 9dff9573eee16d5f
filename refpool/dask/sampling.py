r"""grid_sample of Dask arrays (:mod:`refpool.sampling`), chunked over the batch and
channel axes only.

A grid point may read anywhere in its image, so no halo bounds what an output block
reads: the spatial axes of ``x`` are merged into one chunk each (a rechunk when they
were split), the batch and channel chunks are kept, and each block is one in-memory
:func:`refpool.grid_sample` call on its images and channels with the grid rows of
its images (the grid is a NumPy array, held whole by the graph).  Images and
channels are independent, so the result equals the in-memory call's (bitwise with
the same engine).
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _args
from .. import sampling as _sampling
from ._planning import _check_input, _check_out

__all__ = ["grid_sample"]


def _block(x, grid, mode, padding_mode, align_corners, engine, block_info=None):
    start, stop = block_info[0]["array-location"][0]
    return _sampling.grid_sample(x, grid[start:stop], mode, padding_mode, align_corners,
                                 engine=engine)


def grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False, *,
                ndim=None, channels_last=False, engine="auto", out=None):
    r"""grid_sample of a Dask array (:func:`refpool.grid_sample`, chunked over the
    batch and channel axes only).

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, H, W) or (N, C, D, H, W)
        Any chunking; the spatial axes are merged into one chunk.
    grid : array
        As in :func:`refpool.grid_sample` (a host array, held whole).
    mode, padding_mode, align_corners
        As in :func:`refpool.grid_sample`, checked once for the whole array.
    ndim, channels_last
        Only the ``(N, C, *spatial)`` layout is chunked: ``ndim`` None (or the
        number of spatial axes) and ``channels_last=False``.
    engine : {"auto", "cpu", "cuda", "reference"}
        Engine of every block's in-memory call.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*grid.shape[1:-1]), dtype of ``x``
        Chunked like ``x`` over the batch and channel axes.
    """
    import dask.array as da
    _check_input(x)
    if ndim not in (None, x.ndim - 2):
        raise ValueError(f"refpool.dask.grid_sample: x must be (N, C, *spatial); ndim="
                         f"{ndim!r} layouts are not chunked (reshape the Dask array)")
    if _args.check_bool(channels_last, "channels_last"):
        raise ValueError("refpool.dask.grid_sample: channels_last=True is not chunked; "
                         "move the channel axis to position 1")
    shape = tuple(int(n) for n in x.shape)
    _args.check_input(np.empty((0,) + shape[1:], x.dtype), min_spatial=2, max_spatial=3)
    _args.check_spatial_shape(shape[2:], "grid_sample")
    g = _sampling.check_grid(grid, shape)
    spec = _sampling.grid_spec(len(shape) - 2, mode, padding_mode, align_corners)
    _args.check_engine(engine)
    _check_out(out)
    x = x.rechunk(x.chunks[:2] + tuple((n,) for n in shape[2:]))
    chunks = x.chunks[:2] + tuple((int(n),) for n in g.shape[1:-1])
    fn = functools.partial(_block, grid=g, mode=spec[0], padding_mode=spec[1],
                           align_corners=spec[2], engine=engine)
    return da.map_blocks(fn, x, chunks=chunks, dtype=x.dtype,
                         meta=np.empty((0,) * len(shape), x.dtype))
