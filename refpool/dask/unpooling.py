r"""Max unpooling of Dask arrays: ``max_unpool`` (:mod:`refpool.unpooling`).

Unlike the poolings, unpooling has no halo: an index may name any position of its
``(n, c)`` plane, so one output chunk can receive elements from every input chunk
of the plane, and which ones is data, known only at compute time.  The halo
planning of :mod:`refpool.dask._planning` cannot express that, so the wrapper
chunks **only over the batch and channel axes**: the spatial axes of ``x`` and
``indices`` are merged into one chunk each (a rechunk when they were split), and
each block is one in-memory :func:`refpool.max_unpool` call on whole planes.
The result is bitwise the in-memory result for every chunking.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import dask.array as da

from .. import _args
from ..unpooling import check_index_layout, unpool_spec

__all__ = ["max_unpool"]


def _block(x, indices, *, kernel_size, stride, padding, output_size, ndim, channels_last,
           engine):
    from ..unpooling import max_unpool
    return max_unpool(x, indices, kernel_size, stride, padding, output_size,
                      index_layout="torch", ndim=ndim, channels_last=channels_last,
                      engine=engine)


def _layout(shape, ndim, channels_last):
    """``(spatial_axes, plane_axes, canonical (N, C))`` of a caller-layout ``shape``."""
    batch, channels, k = _args.layout_axes(shape, ndim, channels_last)
    rank = len(shape)
    if batch is None:                              # (N, C, *spatial)
        return tuple(range(2, rank)), (0, 1), tuple(shape[:2])
    if channels_last:
        spatial = tuple(range(rank - 1 - k, rank - 1))
    else:
        spatial = tuple(range(rank - k, rank))
    plane_axes = tuple(a for a in range(rank) if a not in spatial)
    c = (shape[-1] if channels_last else shape[rank - k - 1]) if channels else 1
    return spatial, plane_axes, (math.prod(batch), c)


def _plane_ids(shape, plane_axes, chunks):
    """The canonical plane ``n*C + c`` of every element (a Dask array broadcasting over
    the spatial axes): row-major over the batch axes, then the channel axis, which
    is the last of ``plane_axes`` in either layout."""
    plane_shape = tuple(shape[a] for a in plane_axes)
    ids = da.arange(math.prod(plane_shape), dtype=np.int64,
                    chunks=-1).reshape(plane_shape)
    view = [1] * len(shape)
    for a in plane_axes:
        view[a] = shape[a]
    ids = ids.reshape(tuple(view))
    return ids.rechunk(tuple(chunks[a] if a in plane_axes else (1,)
                             for a in range(len(shape))))


def max_unpool(x, indices, kernel_size, stride=None, padding=0, output_size=None, *,
               index_layout="torch", ndim=None, channels_last=False, engine="auto",
               out=None):
    r"""Max unpooling of a Dask array (:func:`refpool.max_unpool`, chunked over the
    batch and channel axes only).

    Parameters
    ----------
    x : dask.array.Array
        Any layout :func:`refpool.max_unpool` reads (``ndim=``, ``channels_last=``)
        and any chunking; the spatial axes are merged into one chunk.
    indices : dask.array.Array or ndarray, integer, shape of ``x``
        Rechunked like ``x``.  ONNX's whole-tensor indices are turned into
        per-plane ones (``indices - (n*C + c)*P``) before the blocks run, so a
        block needs only its own planes.
    kernel_size, stride, padding, output_size, index_layout, ndim, channels_last
        As in :func:`refpool.max_unpool`, checked once for the whole array; the
        range of the indices is checked by each block when it computes (a
        ValueError naming ``indices``; for the ONNX layout it reports the
        per-plane value).
    engine : {"auto", "cpu", "cuda", "reference"}
        Engine of every block's in-memory call.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array, dtype of ``x``
        In ``x``'s layout, chunked like ``x`` over the batch and channel axes.
    """
    if not isinstance(x, da.Array):
        raise TypeError(f"x must be a dask.array.Array, got {type(x).__name__}; the "
                        "top-level refpool operators take NumPy and CUDA arrays")
    if any(math.isnan(c) for chunks in x.chunks for c in chunks):
        raise ValueError("x must have known chunk sizes; call x.compute_chunk_sizes() first")
    if not isinstance(indices, da.Array):
        indices = _args.as_array(indices, "indices")
        if not isinstance(indices, np.ndarray):
            raise TypeError("indices must be a Dask or NumPy array")
        indices = da.from_array(indices, chunks=x.chunks)
    shape = tuple(int(n) for n in x.shape)
    if tuple(indices.shape) != shape:
        raise ValueError(f"indices must have x's shape {shape}, got {tuple(indices.shape)}")
    if np.dtype(indices.dtype).kind not in "iu":
        raise TypeError(f"indices must have an integer dtype (int64, as max_pool returns "
                        f"them), got {indices.dtype}")
    dtype = np.dtype(x.dtype)
    if dtype not in _args.FLOAT_DTYPES + (_args.HALF,) + _args.INTEGER_DTYPES:
        raise TypeError(f"x must have dtype float16, float32, float64 or an integer dtype, "
                        f"got {dtype}")
    spatial, plane_axes, (n, c) = _layout(shape, ndim, channels_last)
    if not 1 <= len(spatial) <= 3:
        raise ValueError(f"x must have 1 to 3 spatial axes, got shape {shape}")
    spec = unpool_spec(tuple(shape[a] for a in spatial), kernel_size, stride, padding,
                       output_size, (n, c))
    index_layout = check_index_layout(index_layout)
    _args.check_engine(engine)
    if out is not None:
        raise TypeError("out= is not supported for Dask arrays (they are immutable); "
                        "write the result with dask.array.store instead")
    chunks = tuple(x.chunks[a] if a in plane_axes else (shape[a],) for a in range(len(shape)))
    x = x.rechunk(chunks)
    indices = indices.rechunk(chunks)
    if index_layout == "onnx":
        ids = _plane_ids(shape, plane_axes, chunks)
        indices = indices.astype(np.int64) - ids * spec.plane_size
    out_chunks = list(chunks)
    for a, m in zip(spatial, spec.output_size):
        out_chunks[a] = (int(m),)
    fn = functools.partial(_block, kernel_size=spec.kernel, stride=spec.stride,
                           padding=tuple(zip(spec.before, spec.after)),
                           output_size=tuple(spec.output_size), ndim=ndim,
                           channels_last=channels_last, engine=engine)
    return da.map_blocks(fn, x, indices, chunks=tuple(out_chunks), dtype=dtype,
                         meta=np.empty((0,) * len(shape), dtype))
