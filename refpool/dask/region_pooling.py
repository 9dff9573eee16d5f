r"""Region pooling of Dask arrays: ``roi_pool``, ``roi_align`` (:mod:`refpool.region_pooling`),
chunked over channels only.

A box may sit anywhere in any image of the batch, so no halo of the planning of
:mod:`refpool.dask._planning` bounds what an output block reads: each task needs the
whole ``(N, H, W)`` extent of its channels.  The input is therefore rechunked to one
chunk along ``N``, ``H`` and ``W`` (its channel chunks are kept), and each task runs
the in-memory operator on its channels with all the boxes; the result has one chunk
along ``K``, ``o_h`` and ``o_w`` and the input's channel chunks.  The channels are
independent, so the result is bitwise the in-memory call's.
"""

from __future__ import annotations

import operator

import numpy as np
import dask.array as da
from dask.base import tokenize

from .. import _args
from .. import region_pooling as _region
from ._planning import _check_input, _check_out

__all__ = ["roi_pool", "roi_align"]


def _validate(x, ndim, channels_last, op):
    _check_input(x)
    if ndim not in (None, 2) or (ndim == 2 and x.ndim != 4):
        raise ValueError(f"refpool.dask.{op}: x must be (N, C, H, W); ndim={ndim!r} layouts "
                         "are not chunked (reshape the Dask array)")
    if _args.check_bool(channels_last, "channels_last"):
        raise ValueError(f"refpool.dask.{op}: channels_last=True is not chunked; pass "
                         "x.transpose(0, 3, 1, 2)")
    if x.ndim != 4:
        raise ValueError(f"{op} is 2-D: x must have 4 axes (N, C, H, W), got shape "
                         f"{tuple(x.shape)}")
    _args.check_spatial_shape(x.shape[2:], op)


def _apply(x, op, spec, call, second_dtype=None):
    """Map ``call`` (the in-memory operator on one channel chunk, with the boxes in
    ``(K, 5)`` form) over the channel chunks of ``x``."""
    x = x.rechunk({0: -1, 2: -1, 3: -1})
    chunks = ((len(spec.batch),), x.chunks[1]) + tuple((o,) for o in spec.output_size)
    name = f"refpool-{op.replace('_', '-')}-{tokenize(x.name, spec.batch, spec.boxes, call)}"
    meta = np.empty((0, 0, 0, 0), x.dtype)
    if second_dtype is None:
        return da.map_blocks(call, x, chunks=chunks, dtype=x.dtype, meta=meta, name=name)
    pair = da.map_blocks(call, x, chunks=chunks, dtype=object,
                         meta=np.empty((0, 0, 0, 0), object), name=name)
    first = da.map_blocks(operator.itemgetter(0), pair, dtype=x.dtype, meta=meta,
                          name=name + "-values")
    second = da.map_blocks(operator.itemgetter(1), pair, dtype=second_dtype,
                           meta=np.empty((0, 0, 0, 0), second_dtype),
                           name=name + "-indices")
    return first, second


class _Call:
    """One task's in-memory call (picklable, tokenizable)."""

    def __init__(self, op, rois, kwargs):
        self.op, self.rois, self.kwargs = op, rois, kwargs

    def __call__(self, block):
        fn = getattr(_region, self.op)
        return fn(block, self.rois, **self.kwargs)

    def __dask_tokenize__(self):
        return (self.op, self.rois.tobytes(), sorted(self.kwargs.items()))


def _rois(spec):
    return np.concatenate([spec.batch.astype(np.float64)[:, None], spec.boxes], axis=1)


def roi_pool(x, boxes, output_size, spatial_scale=1.0, return_indices=False, *, ndim=None,
             channels_last=False, engine="auto", out=None):
    r"""Region-of-interest max pooling of a Dask array (:func:`refpool.roi_pool`),
    chunked over channels only.

    Boxes refer to arbitrary positions of arbitrary images, which the halo planning
    of the spatial operators cannot bound: ``x`` is rechunked to one chunk along
    ``N``, ``H`` and ``W`` (channel chunks kept) and each task pools its channels
    with every box.  Values and indices are bitwise the in-memory call's.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, H, W), float32 or float64
        Known chunk sizes; any chunking (only the channel chunks are kept).
    boxes, output_size, spatial_scale, return_indices
        As in :func:`refpool.roi_pool`; ``boxes`` are NumPy arrays (or array-likes),
        validated once and embedded in the graph.
    ndim, channels_last
        Only the ``(N, C, H, W)`` layout is chunked: ``None`` (or ``2``) and
        ``False``.
    engine : {"auto", "cpu", "cuda", "reference"}
        Engine of every block's in-memory call.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array, shape (K, C, o_h, o_w), dtype of ``x``
    indices : dask.array.Array of int64
        Only with ``return_indices=True``.
    """
    _validate(x, ndim, channels_last, "roi_pool")
    spec = _region.roi_spec(x.shape[2:], boxes, output_size, spatial_scale, x.shape[0])
    return_indices = _args.check_bool(return_indices, "return_indices")
    _args.check_engine(engine)
    _check_out(out)
    call = _Call("roi_pool", _rois(spec), dict(output_size=spec.output_size,
                                               spatial_scale=spec.spatial_scale,
                                               return_indices=return_indices, engine=engine))
    return _apply(x, "roi_pool", spec, call,
                  np.dtype(np.int64) if return_indices else None)


def roi_align(x, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False,
              reduction="avg", *, ndim=None, channels_last=False, engine="auto", out=None):
    r"""Region-of-interest align of a Dask array (:func:`refpool.roi_align`), chunked
    over channels only.

    As :func:`roi_pool`: ``x`` is rechunked to one chunk along ``N``, ``H`` and
    ``W`` (channel chunks kept), and each task runs :func:`refpool.roi_align` on its
    channels with every box; the result is bitwise the in-memory call's.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, H, W), float32 or float64
    boxes, output_size, spatial_scale, sampling_ratio, aligned, reduction
        As in :func:`refpool.roi_align`.
    ndim, channels_last, engine, out
        As in :func:`roi_pool`.

    Returns
    -------
    y : dask.array.Array, shape (K, C, o_h, o_w), dtype of ``x``
    """
    _validate(x, ndim, channels_last, "roi_align")
    spec = _region.roi_spec(x.shape[2:], boxes, output_size, spatial_scale, x.shape[0],
                            sampling_ratio, aligned)
    reduction = _region.check_reduction(reduction)
    _args.check_engine(engine)
    _check_out(out)
    call = _Call("roi_align", _rois(spec), dict(
        output_size=spec.output_size, spatial_scale=spec.spatial_scale,
        sampling_ratio=spec.sampling_ratio, aligned=spec.aligned, reduction=reduction,
        engine=engine))
    return _apply(x, "roi_align", spec, call)
