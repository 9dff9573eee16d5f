r"""map_coordinates, affine_transform and rotate of Dask arrays (:mod:`refpool.spline`),
chunked over the batch and channel axes only.

A point may read anywhere in its image, and the prefilter is a recursion along whole
lines (every sample of a line feeds every coefficient), so no halo bounds what an
output block reads: the spatial axes of ``x`` are merged into one chunk each (a
rechunk when they were split), the batch and channel chunks are kept, and each block
is one in-memory call on its images and channels (the coordinates, matrix and angle
are small host values held by the graph).  Planes are independent, so the result
equals the in-memory call's (bitwise with the same engine).
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _args
from .. import spline as _spline
from ._planning import _check_input, _check_out

__all__ = ["map_coordinates", "affine_transform", "rotate"]


def _prepare(x, op, ndim, channels_last, engine, out, min_spatial=1):
    _check_input(x)
    if ndim not in (None, x.ndim - 2):
        raise ValueError(f"refpool.dask.{op}: x must be (N, C, *spatial); ndim={ndim!r} "
                         "layouts are not chunked (reshape the Dask array)")
    if _args.check_bool(channels_last, "channels_last"):
        raise ValueError(f"refpool.dask.{op}: channels_last=True is not chunked; move the "
                         "channel axis to position 1")
    shape = tuple(int(n) for n in x.shape)
    _args.check_input(np.empty((0,) + shape[1:], x.dtype), min_spatial=min_spatial,
                      max_spatial=3)
    _args.check_spatial_shape(shape[2:], op)
    _args.check_engine(engine)
    _check_out(out)
    return shape, x.rechunk(x.chunks[:2] + tuple((n,) for n in shape[2:]))


def _run(fn, x, spatial_out, **kwargs):
    import dask.array as da
    chunks = x.chunks[:2] + tuple((int(n),) for n in spatial_out)
    block = functools.partial(fn, **kwargs)
    return da.map_blocks(block, x, chunks=chunks, dtype=x.dtype,
                         meta=np.empty((0,) * (2 + len(spatial_out)), x.dtype))


def map_coordinates(x, coordinates, order=3, mode="constant", cval=0.0, prefilter=True, *,
                    ndim=None, channels_last=False, engine="auto", out=None):
    r"""map_coordinates of a Dask array (:func:`refpool.map_coordinates`, chunked over
    the batch and channel axes only).

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial)
        Any chunking; the spatial axes are merged into one chunk.
    coordinates : array
        As in :func:`refpool.map_coordinates` (a host array, held whole).
    order, mode, cval, prefilter
        As in :func:`refpool.map_coordinates`, checked once for the whole array.
    ndim, channels_last
        Only the ``(N, C, *spatial)`` layout is chunked: ``ndim`` None (or the number
        of spatial axes) and ``channels_last=False``.
    engine : {"auto", "cpu", "cuda", "reference"}
        Engine of every block's in-memory call.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*coordinates.shape[1:]), dtype of ``x``
    """
    shape, x = _prepare(x, "map_coordinates", ndim, channels_last, engine, out)
    coords = _spline.check_coordinates(coordinates, len(shape) - 2)
    spec = _spline.spline_spec(order, mode, cval, prefilter)
    return _run(_spline.map_coordinates, x, coords.shape[1:], coordinates=coords,
                order=spec.order, mode=spec.mode, cval=spec.cval, prefilter=spec.prefilter,
                engine=engine)


def affine_transform(x, matrix, offset=0.0, output_shape=None, order=3, mode="constant",
                     cval=0.0, prefilter=True, *, ndim=None, channels_last=False,
                     engine="auto", out=None):
    r"""affine_transform of a Dask array (:func:`refpool.affine_transform`, chunked over
    the batch and channel axes only; parameters as :func:`map_coordinates` here and
    :func:`refpool.affine_transform`).

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*output_shape), dtype of ``x``
    """
    shape, x = _prepare(x, "affine_transform", ndim, channels_last, engine, out)
    k = len(shape) - 2
    _spline._matrix(matrix, k)
    _spline._offset(offset, k)
    spatial_out = _spline._output_shape(output_shape, shape[2:])
    spec = _spline.spline_spec(order, mode, cval, prefilter)
    return _run(_spline.affine_transform, x, spatial_out, matrix=matrix, offset=offset,
                output_shape=spatial_out, order=spec.order, mode=spec.mode, cval=spec.cval,
                prefilter=spec.prefilter, engine=engine)


def rotate(x, angle, axes=(1, 0), reshape=True, order=3, mode="constant", cval=0.0,
           prefilter=True, *, ndim=None, channels_last=False, engine="auto", out=None):
    r"""rotate of a Dask array (:func:`refpool.rotate`, chunked over the batch and
    channel axes only; parameters as :func:`map_coordinates` here and
    :func:`refpool.rotate`).

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*spatial'), dtype of ``x``
    """
    shape, x = _prepare(x, "rotate", ndim, channels_last, engine, out, min_spatial=2)
    _, spatial_out, _ = _spline.rotation_points(shape[2:], angle, axes, reshape)
    spec = _spline.spline_spec(order, mode, cval, prefilter)
    return _run(_spline.rotate, x, spatial_out, angle=angle, axes=axes, reshape=reshape,
                order=spec.order, mode=spec.mode, cval=spec.cval, prefilter=spec.prefilter,
                engine=engine)
