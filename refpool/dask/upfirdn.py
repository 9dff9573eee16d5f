r"""upfirdn of Dask arrays: ``upfirdn`` (:mod:`refpool.upfirdn`).

This first version chunks **only over the batch and channel axes**: the spatial axes
are merged into one chunk each (a rechunk when they were split), and each block is
one in-memory :func:`refpool.upfirdn` call on whole planes, so the result equals the
in-memory result for every chunking (bitwise with the same engine).  A
spatially chunked version would take, for the outputs :math:`[a, b)` of an axis, the
inputs :meth:`refpool.upfirdn.UpfirdnAxis.input_range` returns (a halo of about
:math:`T/u` samples); it is left for later.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import dask.array as da

from .. import _args
from ..upfirdn import upfirdn_spec

__all__ = ["upfirdn", "filtered_upsample", "filtered_downsample"]


def _block(x, *, f, up, down, padding, flip_filter, gain, pad_type, ndim, channels_last,
           engine):
    from ..upfirdn import upfirdn
    return upfirdn(x, f, up, down, padding, flip_filter, gain, pad_type=pad_type, ndim=ndim,
                   channels_last=channels_last, engine=engine)


def _spatial_axes(shape, ndim, channels_last):
    """The caller-layout axes holding the spatial dimensions."""
    batch, _, k = _args.layout_axes(shape, ndim, channels_last)
    rank = len(shape)
    if batch is None:                              # (N, C, *spatial)
        return tuple(range(2, rank))
    if channels_last:
        return tuple(range(rank - 1 - k, rank - 1))
    return tuple(range(rank - k, rank))


def upfirdn(x, f, up=1, down=1, padding=0, flip_filter=False, gain=1, *, pad_type="zero",
            ndim=None, channels_last=False, engine="auto", out=None):
    r"""upfirdn of a Dask array (:func:`refpool.upfirdn`, chunked over the batch and
    channel axes only).

    Parameters
    ----------
    x : dask.array.Array
        Any layout :func:`refpool.upfirdn` reads (``ndim=``, ``channels_last=``) and
        any chunking; the spatial axes are merged into one chunk.
    f, up, down, padding, flip_filter, gain, pad_type, ndim, channels_last
        As in :func:`refpool.upfirdn`, checked once for the whole array.
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
    dtype = np.dtype(x.dtype)
    if dtype not in _args.FLOAT_DTYPES + (_args.HALF,):
        raise TypeError(f"x must have dtype float16, float32 or float64, got {dtype}")
    shape = tuple(int(n) for n in x.shape)
    spatial = _spatial_axes(shape, ndim, channels_last)
    if not 1 <= len(spatial) <= 3:
        raise ValueError(f"x must have 1 to 3 spatial axes, got shape {shape}")
    spec = upfirdn_spec(tuple(shape[a] for a in spatial), f, up, down, padding,
                        flip_filter, gain, pad_type)
    _args.check_engine(engine)
    if out is not None:
        raise TypeError("out= is not supported for Dask arrays (they are immutable); "
                        "write the result with dask.array.store instead")
    chunks = tuple((shape[a],) if a in spatial else x.chunks[a] for a in range(len(shape)))
    x = x.rechunk(chunks)
    out_chunks = list(chunks)
    for a, m in zip(spatial, spec.output_size):
        out_chunks[a] = (int(m),)
    fn = functools.partial(_block, f=np.asarray(f), up=spec.up, down=spec.down,
                           padding=tuple(zip(spec.before, spec.after)),
                           flip_filter=flip_filter, gain=gain, pad_type=spec.mode, ndim=ndim,
                           channels_last=channels_last, engine=engine)
    return da.map_blocks(fn, x, chunks=tuple(out_chunks), dtype=dtype,
                         meta=np.empty((0,) * len(shape), dtype))


def _resample_block(x, *, op, factor, filter, numtaps, cutoff, width, pad_type, ndim,
                    channels_last, engine):
    import importlib
    fn = getattr(importlib.import_module("refpool.upfirdn"), op)
    return fn(x, factor, filter=filter, numtaps=numtaps, cutoff=cutoff, width=width,
              pad_type=pad_type, ndim=ndim, channels_last=channels_last, engine=engine)


def _resample(op, spec_fn, x, factor, filter, numtaps, cutoff, width, pad_type, ndim,
              channels_last, engine, out):
    if not isinstance(x, da.Array):
        raise TypeError(f"x must be a dask.array.Array, got {type(x).__name__}; the "
                        "top-level refpool operators take NumPy and CUDA arrays")
    if any(math.isnan(c) for chunks in x.chunks for c in chunks):
        raise ValueError("x must have known chunk sizes; call x.compute_chunk_sizes() first")
    dtype = np.dtype(x.dtype)
    if dtype not in _args.FLOAT_DTYPES + (_args.HALF,):
        raise TypeError(f"x must have dtype float16, float32 or float64, got {dtype}")
    shape = tuple(int(n) for n in x.shape)
    spatial = _spatial_axes(shape, ndim, channels_last)
    if not 1 <= len(spatial) <= 3:
        raise ValueError(f"x must have 1 to 3 spatial axes, got shape {shape}")
    spec = spec_fn(tuple(shape[a] for a in spatial), factor, filter, numtaps, cutoff, width,
                   pad_type).upfirdn
    _args.check_engine(engine)
    if out is not None:
        raise TypeError("out= is not supported for Dask arrays (they are immutable); "
                        "write the result with dask.array.store instead")
    chunks = tuple((shape[a],) if a in spatial else x.chunks[a] for a in range(len(shape)))
    x = x.rechunk(chunks)
    out_chunks = list(chunks)
    for a, m in zip(spatial, spec.output_size):
        out_chunks[a] = (int(m),)
    fn = functools.partial(_resample_block, op=op, factor=factor,
                           filter=filter if isinstance(filter, str) else np.asarray(filter),
                           numtaps=numtaps, cutoff=cutoff, width=width, pad_type=pad_type,
                           ndim=ndim, channels_last=channels_last, engine=engine)
    return da.map_blocks(fn, x, chunks=tuple(out_chunks), dtype=dtype,
                         meta=np.empty((0,) * len(shape), dtype))


def filtered_upsample(x, factor=2, *, filter="radial", numtaps=None, cutoff=None,
                      width=None, pad_type="zero", ndim=None, channels_last=False,
                      engine="auto", out=None):
    r"""Antialiased upsampling of a Dask array (:func:`refpool.filtered_upsample`,
    chunked over the batch and channel axes only, like :func:`upfirdn`).

    Parameters
    ----------
    x : dask.array.Array
    factor, filter, numtaps, cutoff, width, pad_type, ndim, channels_last, engine
        As in :func:`refpool.filtered_upsample`.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.
    """
    from ..upfirdn import filtered_upsample_spec
    return _resample("filtered_upsample", filtered_upsample_spec, x, factor, filter, numtaps,
                     cutoff, width, pad_type, ndim, channels_last, engine, out)


def filtered_downsample(x, factor=2, *, filter="radial", numtaps=None, cutoff=None,
                        width=None, pad_type="zero", ndim=None, channels_last=False,
                        engine="auto", out=None):
    r"""Antialiased downsampling of a Dask array (:func:`refpool.filtered_downsample`,
    chunked over the batch and channel axes only, like :func:`upfirdn`).

    Parameters
    ----------
    x : dask.array.Array
    factor, filter, numtaps, cutoff, width, pad_type, ndim, channels_last, engine
        As in :func:`refpool.filtered_downsample`.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.
    """
    from ..upfirdn import filtered_downsample_spec
    return _resample("filtered_downsample", filtered_downsample_spec, x, factor, filter,
                     numtaps, cutoff, width, pad_type, ndim, channels_last, engine, out)
