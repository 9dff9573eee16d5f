r"""Adaptive polyphase sampling of Dask arrays: ``aps_downsample``, ``aps_upsample``
(:mod:`refpool.polyphase`).

The phase of a sample is chosen from all its channels and its whole (periodic) grid,
so these wrappers **chunk over the batch axis only**: the channel and spatial axes
are merged into one chunk each (a rechunk when they were split) and each block is one
in-memory call, so the result equals the in-memory result for every chunking
(bitwise with the same engine).
"""

from __future__ import annotations

import functools

import numpy as np
import dask.array as da

from .. import _args
from ..polyphase import aps_spec, aps_upsample_spec, check_phase
from ._planning import _check_input, _check_out

__all__ = ["aps_downsample", "aps_upsample"]


def _canonical(x, ndim, channels_last):
    """``x`` as ``(N, C, *spatial)`` and a function taking results back to the caller's
    layout (and the caller's batch shape)."""
    if not isinstance(x, da.Array):
        raise TypeError(f"x must be a dask.array.Array, got {type(x).__name__}; the "
                        "top-level refpool operators take NumPy and CUDA arrays")
    if ndim is None and not channels_last:
        return x, (lambda y: y), (int(x.shape[0]),) if x.ndim else ()
    batch, channels, k = _args.layout_axes(x.shape, ndim, channels_last)
    axes = _args.Layout(batch, channels, bool(channels_last), k, x.dtype, x.dtype)
    n, c, *spatial = axes.canonical_shape(x.shape)
    if channels_last:
        canonical = da.moveaxis(x.reshape((n, *spatial, c), merge_chunks=True), -1, 1)
    else:
        canonical = x.reshape((n, c, *spatial), merge_chunks=True)

    def restore(y):
        caller = axes.caller_shape(y.shape)
        return (da.moveaxis(y, 1, -1) if channels_last else y).reshape(caller)
    return canonical, restore, tuple(batch) if batch is not None else (n,)


def _whole_samples(x):
    return x.rechunk((x.chunks[0],) + tuple((int(n),) for n in x.shape[1:]))


def _down_block(x, *, stride, norm, blur, field_type, engine):
    from ..polyphase import aps_downsample
    return aps_downsample(x, stride, norm=norm, blur=blur, field_type=field_type,
                          return_phase=True, engine=engine)


def aps_downsample(x, stride=2, *, norm=2, blur=None, field_type=None, return_phase=False,
                   ndim=None, channels_last=False, engine="auto", out=None):
    r"""Adaptive polyphase downsampling of a Dask array (:func:`refpool.aps_downsample`,
    chunked over the batch axis only).

    Parameters
    ----------
    x : dask.array.Array
        Any layout :func:`refpool.aps_downsample` reads; float16, float32 or float64.
    stride, norm, blur, field_type, return_phase, ndim, channels_last, engine
        As in :func:`refpool.aps_downsample`, checked once for the whole array.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array
    phase : dask.array.Array of int64, shape ``(*batch, k)``
        Only with ``return_phase`` (its tasks choose the phases again: computing ``y``
        and ``phase`` together runs the choice twice).
    """
    canonical, restore, batch = _canonical(x, ndim, channels_last)
    _check_input(canonical)
    spec = aps_spec(tuple(canonical.shape), stride, norm, blur, field_type)
    return_phase = _args.check_bool(return_phase, "return_phase")
    _args.check_engine(engine)
    _check_out(out)
    canonical = _whole_samples(canonical)
    k = len(spec.stride)
    fn = functools.partial(_down_block, stride=spec.stride, norm=spec.norm,
                           blur=None if blur is None or _args._is_int(blur)
                           else np.asarray(blur), field_type=field_type, engine=engine)
    if _args._is_int(blur):
        fn = functools.partial(fn, blur=blur)
    dtype = canonical.dtype
    y = da.map_blocks(lambda b: fn(b)[0], canonical, dtype=dtype,
                      chunks=(canonical.chunks[0], canonical.chunks[1]) +
                      tuple((int(m),) for m in spec.output_size),
                      meta=np.empty((0,) * canonical.ndim, dtype))
    y = restore(y)
    if not return_phase:
        return y
    # the phases: a second, small-output task per block (the choice is recomputed)
    phase = da.map_blocks(lambda b: fn(b)[1], canonical, dtype=np.int64,
                          drop_axis=list(range(2, canonical.ndim)),
                          chunks=(canonical.chunks[0], (k,)), meta=np.empty((0, 0), np.int64))
    return y, phase.reshape(batch + (k,))


def _up_block(x, phase, *, stride, blur, engine, block_info=None):
    from ..polyphase import aps_upsample
    start, stop = block_info[0]["array-location"][0]
    return aps_upsample(x, phase[start:stop], stride, blur=blur, engine=engine)


def aps_upsample(x, phase, stride=2, *, blur=None, ndim=None, channels_last=False,
                 engine="auto", out=None):
    r"""Polyphase upsampling of a Dask array (:func:`refpool.aps_upsample`, chunked over
    the batch axis only).

    Parameters
    ----------
    x : dask.array.Array
        Any layout :func:`refpool.aps_upsample` reads.
    phase : array_like or dask.array.Array of int
        As in :func:`refpool.aps_upsample` (a Dask array is computed first: a few
        integers per sample).
    stride, blur, ndim, channels_last, engine
        As in :func:`refpool.aps_upsample`.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.
    """
    canonical, restore, batch = _canonical(x, ndim, channels_last)
    _check_input(canonical)
    spec = aps_upsample_spec(tuple(canonical.shape), stride, blur)
    if isinstance(phase, da.Array):
        phase = phase.compute()
    phase = check_phase(phase, batch, spec.stride)
    _args.check_engine(engine)
    _check_out(out)
    canonical = _whole_samples(canonical)
    fn = functools.partial(_up_block, phase=phase, stride=spec.stride,
                           blur=blur if blur is None or _args._is_int(blur)
                           else np.asarray(blur), engine=engine)
    dtype = canonical.dtype
    y = da.map_blocks(fn, canonical, dtype=dtype,
                      chunks=(canonical.chunks[0], canonical.chunks[1]) +
                      tuple((int(m),) for m in spec.output_size),
                      meta=np.empty((0,) * canonical.ndim, dtype))
    return restore(y)
