r"""The shuffle family on Dask arrays: ``pixel_shuffle``, ``pixel_unshuffle``,
``depth_to_space``, ``space_to_depth`` (:mod:`refpool.shuffle`, chunked in space).

These operators have no halo: along a spatial axis a shuffle's outputs
:math:`[a, b)` read the inputs :math:`[\lfloor a/r \rfloor, \lceil b/r \rceil)`
and an unshuffle's read :math:`[a r, b r)`
(:meth:`refpool.shuffle.ShuffleAxis.input_range`), so every task is the in-memory
operator on one input chunk, once the chunks hold whole blocks:

* spatial axes: any chunking for a shuffle (output chunks are the input chunks
  times :math:`r`); for an unshuffle, chunk boundaries are moved down to multiples
  of :math:`r` (a rechunk only where a boundary is not one already);
* the channel axis: a shuffle in the ``CRD`` order (``pixel_shuffle``,
  ``depth_to_space(mode="CRD")``) needs boundaries at multiples of :math:`r^k`
  (whole blocks of channels); the ``DCR`` order (``depth_to_space``'s default,
  ``space_to_depth``) spreads a block over the whole channel axis, which is then
  one chunk; ``pixel_unshuffle`` keeps any channel chunking;
* batch axes: kept.

Results are bitwise those of the in-memory call, for every chunking, every layout
(``ndim=``, ``channels_last=``) and every dtype the top level takes; 64-bit integer
inputs are checked against :math:`\pm 2^{53}` block by block, when they are computed.
"""

from __future__ import annotations

import math

import numpy as np
import dask.array as da
from dask.base import tokenize

from .. import _args
from ..shuffle import check_mode, shuffle_spec
from ._planning import _check_out

__all__ = ["pixel_shuffle", "pixel_unshuffle", "depth_to_space", "space_to_depth"]


# =========================================================================== planning
def _layout(x, ndim, channels_last, engine, op):
    """The top level's input checks on a Dask array, without computing it: the type,
    known chunks, the layout and the dtype (:func:`refpool._args.caller_layout` on a
    zero-byte stand-in), then the ``(N, C, *spatial)`` shape the engines would see
    (:func:`refpool._args.check_input`).  Returns ``(layout, canonical shape)``."""
    if not isinstance(x, da.Array):
        raise TypeError(f"x must be a dask.array.Array, got {type(x).__name__}; the "
                        "top-level refpool operators take NumPy and CUDA arrays")
    if any(math.isnan(c) for chunks in x.chunks for c in chunks):
        raise ValueError("x must have known chunk sizes; call x.compute_chunk_sizes() "
                         "first")
    _args.check_engine(engine)
    dtype = np.dtype(x.dtype)
    # the dtype rule on one element (64-bit integers: each block checks its values)
    _args.compute_dtype(np.zeros(1, dtype), dtype, engine, op, True)
    stand_in = np.lib.stride_tricks.as_strided(np.zeros(1, np.float64), shape=x.shape,
                                               strides=(0,) * x.ndim)
    layout = _args.caller_layout(stand_in, ndim, channels_last, engine, op, integers=True)
    canonical = layout.canonical_shape(x.shape)
    _args.check_input(np.lib.stride_tricks.as_strided(
        np.zeros(1, np.float64), shape=canonical, strides=(0,) * len(canonical)))
    return layout, canonical


def _aligned(chunks, m):
    """``chunks`` with every boundary moved down to a multiple of ``m`` (chunks merge,
    none splits); the total must be a multiple of ``m``."""
    ends = np.cumsum(chunks).tolist()
    if not ends or m == 1:
        return tuple(chunks)
    kept = sorted({e // m * m for e in ends[:-1]} - {0}) + [ends[-1]]
    return tuple(b - a for a, b in zip([0] + kept[:-1], kept) if b > a)


def _run(x, factor, name, *, up, block_first, ndim, channels_last, engine, out, op):
    layout, canonical = _layout(x, ndim, channels_last, engine, op)
    spec = shuffle_spec(canonical, factor, name, up=up, block_first=block_first, op=op)
    _check_out(out)
    k, r, blocks = layout.spatial, spec.factor, spec.blocks
    if not layout.channels:
        # make the channel axis explicit (the in-memory call on a block then keeps it)
        x = x[..., None] if channels_last else x[(Ellipsis, None) + (slice(None),) * k]
    c_axis = x.ndim - 1 if channels_last else x.ndim - 1 - k
    s_axes = [c_axis - k + a for a in range(k)] if channels_last else \
        [c_axis + 1 + a for a in range(k)]
    wanted = list(x.chunks)
    if block_first:
        wanted[c_axis] = (x.shape[c_axis],)
    elif up:
        wanted[c_axis] = _aligned(x.chunks[c_axis], blocks)
    if not up:
        for a in s_axes:
            wanted[a] = _aligned(x.chunks[a], r)
    wanted = tuple(wanted)
    if wanted != x.chunks:
        x = x.rechunk(wanted)
    chunks = list(x.chunks)
    chunks[c_axis] = tuple(c // blocks if up else c * blocks for c in chunks[c_axis])
    for a in s_axes:
        chunks[a] = tuple(n * r if up else n // r for n in chunks[a])
    from .. import shuffle as core
    function = getattr(core, op)
    kwargs = {name: r}
    if op == "depth_to_space":
        kwargs["mode"] = "DCR" if block_first else "CRD"

    def block(part):
        return function(part, **kwargs, ndim=k, channels_last=channels_last, engine=engine)

    name_ = f"refpool-{op.replace('_', '-')}-{tokenize(x.name, kwargs, k, channels_last, engine)}"
    y = da.map_blocks(block, x, chunks=tuple(chunks), dtype=x.dtype,
                      meta=np.empty((0,) * x.ndim, x.dtype), name=name_)
    if not layout.channels and spec.output_channels == 1:
        y = y[..., 0] if channels_last else y[(Ellipsis, 0) + (slice(None),) * k]
    return y


# =========================================================================== operators
def pixel_shuffle(x, upscale_factor, *, ndim=None, channels_last=False, engine="auto",
                  out=None):
    r"""Pixel shuffle of a Dask array (:func:`refpool.pixel_shuffle`, chunked).

    Parameters
    ----------
    x : dask.array.Array
        Any chunking, any layout and dtype :func:`refpool.pixel_shuffle` takes; the
        channel chunks are moved to multiples of :math:`r^k` where they are not.
    upscale_factor, ndim, channels_last
        As in :func:`refpool.pixel_shuffle`.
    engine : {"auto", "cpu", "cuda", "reference"}
        Engine of every block's in-memory call.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array, dtype of ``x``
        Spatial chunks :math:`r` times the input's.
    """
    return _run(x, upscale_factor, "upscale_factor", up=True, block_first=False, ndim=ndim,
                channels_last=channels_last, engine=engine, out=out, op="pixel_shuffle")


def pixel_unshuffle(x, downscale_factor, *, ndim=None, channels_last=False, engine="auto",
                    out=None):
    r"""Pixel unshuffle of a Dask array (:func:`refpool.pixel_unshuffle`, chunked).

    Parameters
    ----------
    x : dask.array.Array
        Any chunking; spatial chunk boundaries are moved down to multiples of
        :math:`r` where they are not.
    downscale_factor, ndim, channels_last
        As in :func:`refpool.pixel_unshuffle`.
    engine, out
        As in :func:`pixel_shuffle`.

    Returns
    -------
    y : dask.array.Array, dtype of ``x``
    """
    return _run(x, downscale_factor, "downscale_factor", up=False, block_first=False,
                ndim=ndim, channels_last=channels_last, engine=engine, out=out,
                op="pixel_unshuffle")


def depth_to_space(x, blocksize, mode="DCR", *, ndim=None, channels_last=False,
                   engine="auto", out=None):
    r"""ONNX DepthToSpace of a Dask array (:func:`refpool.depth_to_space`, chunked).

    Parameters
    ----------
    x : dask.array.Array
        Any chunking; with ``mode="DCR"`` the channel axis becomes one chunk (a
        block's channels span all of it), with ``"CRD"`` its boundaries move to
        multiples of :math:`r^k`.
    blocksize, mode, ndim, channels_last
        As in :func:`refpool.depth_to_space`.
    engine, out
        As in :func:`pixel_shuffle`.

    Returns
    -------
    y : dask.array.Array, dtype of ``x``
    """
    block_first = check_mode(mode)
    return _run(x, blocksize, "blocksize", up=True, block_first=block_first, ndim=ndim,
                channels_last=channels_last, engine=engine, out=out, op="depth_to_space")


def space_to_depth(x, blocksize, *, ndim=None, channels_last=False, engine="auto",
                   out=None):
    r"""ONNX SpaceToDepth of a Dask array (:func:`refpool.space_to_depth`, chunked).

    Parameters
    ----------
    x : dask.array.Array
        Any chunking; the channel axis becomes one chunk and spatial chunk
        boundaries move down to multiples of :math:`r`.
    blocksize, ndim, channels_last
        As in :func:`refpool.space_to_depth`.
    engine, out
        As in :func:`pixel_shuffle`.

    Returns
    -------
    y : dask.array.Array, dtype of ``x``
    """
    return _run(x, blocksize, "blocksize", up=False, block_first=True, ndim=ndim,
                channels_last=channels_last, engine=engine, out=out, op="space_to_depth")
