r"""Field pooling of Dask arrays: ``group_pool``, ``norm_pool``, ``induced_norm_pool``,
``norm_max_pool``, ``subgroup_pool``, ``max_pool_channels`` (:mod:`refpool.field_pooling`,
chunked in space and channels).

Channel chunk boundaries move to field boundaries (a field is never split; for
``max_pool_channels`` to multiples of ``kernel_size``), and every block gets the field
type of its channel chunk.  The invariant poolings and the channel poolings are
pixelwise (:class:`~refpool.dask._planning._PointAxis`, no halo); ``norm_max_pool``
uses the windows of :func:`~refpool.dask.max_pool`
(:class:`~refpool.dask._planning._WindowAxis`).
"""

from __future__ import annotations

import numpy as np

from .. import _args
from .._fieldcheck import (check_group_pool_field_type, check_induced_field_type,
                           check_orthogonal_field_type)
from ._blocks import _Block, _pad_after, _take
from ._planning import (_PointAxis, _apply, _bounds, _prepare, _window_rules,
                        _with_layouts)

__all__ = ["group_pool", "norm_pool", "induced_norm_pool", "norm_max_pool", "subgroup_pool",
           "max_pool_channels"]


# =========================================================================== channels
def _field_edges(field_type):
    """Channel positions where fields start, plus the channel count."""
    return np.array([f.start for f in field_type.fields] + [field_type.size], dtype=np.int64)


def _field_aligned(x, field_type):
    """``x`` with channel chunks that never split a field: every chunk boundary moves
    to the nearest field boundary (chunks that vanish are merged away)."""
    return _aligned(x, _field_edges(field_type))


def _aligned(x, edges):
    """``x`` with every channel chunk boundary moved to the nearest of ``edges`` (the
    allowed boundaries, from 0 to the channel count)."""
    cuts = {0, int(edges[-1])}
    for c in np.cumsum(x.chunks[1])[:-1]:
        i = int(np.searchsorted(edges, c))
        cuts.add(int(edges[i] if edges[i] - c <= c - edges[i - 1] else edges[i - 1]))
    cuts = sorted(cuts)
    chunks = tuple(b - a for a, b in zip(cuts[:-1], cuts[1:]))
    if chunks != x.chunks[1]:
        x = x.rechunk({1: chunks})
    return x


class _FieldBlock(_Block):
    """A block of a field operator: it gets the field type of its channel chunk."""

    def kwargs_for(self, location):
        field_type = self.kwargs["field_type"]
        c0, c1 = location[1]
        if self.kwargs["invariant"]:                 # one output channel per field
            f0, f1 = c0, c1
        else:
            edges = _field_edges(field_type)
            f0, f1 = int(np.searchsorted(edges, c0)), int(np.searchsorted(edges, c1))
        from ..fields import FieldType
        kwargs = dict(self.kwargs, field_type=FieldType(field_type.group,
                                                        field_type.representations[f0:f1]))
        del kwargs["invariant"]
        return kwargs


class _InvariantBlock(_FieldBlock):
    def compute(self, region, pieces, location, *, op, field_type, engine):
        from .. import field_pooling as invariant
        return getattr(invariant, op)(region, field_type, engine=engine)


class _NormMaxPoolBlock(_FieldBlock):
    def compute(self, region, pieces, location, *, field_type, kernel, stride, dilation,
                engine):
        from ..field_pooling import norm_max_pool
        # zero cells have norm 0: never larger than an input position scanned
        # before them, and a window holding nothing else yields zeros, as one
        # holding no input position does
        local = _pad_after(region, pieces, 0)
        y = norm_max_pool(local, field_type, kernel, stride, tuple(p.pad for p in pieces),
                          dilation, False, engine=engine)
        return _take(y, pieces, location)


class _ChannelPoolBlock(_Block):
    """A block of a channel pooling: ``subgroup_pool`` gets the field type of its fields
    (``per_output`` output channels per field), ``max_pool_channels`` its arguments."""

    def kwargs_for(self, location):
        field_type = self.kwargs.get("field_type")
        if field_type is None:
            return self.kwargs
        c0, c1 = location[1]
        per = self.kwargs["per_output"]
        from ..fields import FieldType
        kwargs = dict(self.kwargs, field_type=FieldType(
            field_type.group, field_type.representations[c0 // per:c1 // per]))
        del kwargs["per_output"]
        return kwargs

    def compute(self, region, pieces, location, *, op, engine, **kwargs):
        from .. import field_pooling
        return getattr(field_pooling, op)(region, **kwargs, engine=engine)


# =========================================================================== operators
def _invariant(x, field_type, op, check, engine, out):
    """A pixelwise invariant pooling: one output channel per field, no halo."""
    _prepare(x, engine, out, field_type=field_type, field_check=check, op=op)
    x = _field_aligned(x, field_type)
    edges = _field_edges(field_type)
    fields = tuple(int(np.searchsorted(edges, b) - np.searchsorted(edges, a))
                   for a, b in _bounds(x.chunks[1]))
    rules = [_PointAxis(n, n) for n in x.shape[2:]]
    block = _InvariantBlock(rules, op=op, field_type=field_type, invariant=True, engine=engine)
    return _apply(x, op, block, x.dtype, out_channels=fields)


@_with_layouts
def group_pool(x, field_type, *, engine="auto", out=None):
    r"""Group pooling of a Dask array (:func:`refpool.group_pool`).

    Pixelwise, so there is no halo: batch and spatial chunks are kept, and the
    channel chunks are moved to field boundaries (a field is never split).  One
    output channel per field.  Bitwise identical.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    field_type : FieldType
        As in :func:`refpool.group_pool` (checked once, for the whole array).
    engine, out
        As in :func:`~refpool.dask.max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, F, \*spatial), dtype of ``x``
    """
    return _invariant(x, field_type, "group_pool", check_group_pool_field_type, engine, out)


@_with_layouts
def norm_pool(x, field_type, *, engine="auto", out=None):
    r"""Norm pooling of a Dask array (:func:`refpool.norm_pool`); chunked as
    :func:`~refpool.dask.group_pool`.  Bitwise identical (the squared norm of a field
    is summed in channel order within one block).

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    field_type : FieldType
        As in :func:`refpool.norm_pool`.
    engine, out
        As in :func:`~refpool.dask.max_pool`.
    """
    return _invariant(x, field_type, "norm_pool", check_orthogonal_field_type, engine, out)


@_with_layouts
def induced_norm_pool(x, field_type, *, engine="auto", out=None):
    r"""Induced norm pooling of a Dask array (:func:`refpool.induced_norm_pool`);
    chunked as :func:`~refpool.dask.group_pool`.  Bitwise identical.

    Parameters
    ----------
    x, engine, out
        As in :func:`~refpool.dask.norm_pool`; ``field_type`` as in
        :func:`refpool.induced_norm_pool` (induced representations).
    """
    return _invariant(x, field_type, "induced_norm_pool", check_induced_field_type, engine,
                      out)


@_with_layouts
def norm_max_pool(x, field_type, kernel_size, stride=None, padding=0, dilation=1,
                  ceil_mode=False, *, engine="auto", out=None):
    r"""Norm max pooling of a Dask array (:func:`refpool.norm_max_pool`).

    Channel chunks move to field boundaries (a field is never split); spatial
    chunks follow :func:`~refpool.dask.max_pool`'s halo rule, with zero vectors (norm 0) as
    the explicit cells past the input's right end: they never beat an input
    position, which is always scanned first.  Bitwise identical.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    field_type, kernel_size, stride, padding, dilation, ceil_mode
        As in :func:`refpool.norm_max_pool`.
    engine, out
        As in :func:`~refpool.dask.max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*o), dtype of ``x``
    """
    spec = _prepare(
        x, engine, out, lambda shape: _args.window_spec(
            shape, kernel_size, stride, padding, dilation, ceil_mode, padding_limit="dilated"),
        field_type=field_type, field_check=check_orthogonal_field_type, op="norm_max_pool")
    x = _field_aligned(x, field_type)
    block = _NormMaxPoolBlock(_window_rules(spec, "dilated"), field_type=field_type,
                              invariant=False, kernel=spec.kernel, stride=spec.stride,
                              dilation=spec.dilation, engine=engine)
    return _apply(x, "norm_max_pool", block, x.dtype)


@_with_layouts
def subgroup_pool(x, field_type, subgroup, mode="max", *, engine="auto", out=None):
    r"""Subgroup pooling of a Dask array (:func:`refpool.subgroup_pool`).

    Pixelwise, so there is no halo: batch and spatial chunks are kept, and the
    channel chunks are moved to field boundaries (a field is never split).  Each
    field gives one regular field of the subgroup.  Bitwise identical (the terms of
    a mean are added in the same order).

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    field_type, subgroup, mode
        As in :func:`refpool.subgroup_pool` (checked once, for the whole array).
    engine, out
        As in :func:`~refpool.dask.max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, F \|H\|, \*spatial), dtype of ``x``
    """
    found = {}

    def check(field_type, channels, op):
        found["spec"], found["subgroup"] = _args.subgroup_pool_spec(
            field_type, channels, subgroup, mode, op)

    _prepare(x, engine, out, field_type=field_type, field_check=check, op="subgroup_pool")
    per = found["spec"].output_channels // len(field_type.representations)
    x = _field_aligned(x, field_type)
    edges = _field_edges(field_type)
    fields = tuple(int(np.searchsorted(edges, b) - np.searchsorted(edges, a)) * per
                   for a, b in _bounds(x.chunks[1]))
    rules = [_PointAxis(n, n) for n in x.shape[2:]]
    # the subgroup by its id: plain data in the task graph
    block = _ChannelPoolBlock(rules, op="subgroup_pool", field_type=field_type,
                              subgroup=found["subgroup"], mode=mode, per_output=per,
                              engine=engine)
    return _apply(x, "subgroup_pool", block, x.dtype, out_channels=fields)


@_with_layouts
def max_pool_channels(x, kernel_size, *, engine="auto", out=None):
    r"""Channel max pooling of a Dask array (:func:`refpool.max_pool_channels`).

    Pixelwise, so there is no halo: batch and spatial chunks are kept, and the
    channel chunks are moved to multiples of ``kernel_size`` (a group of pooled
    channels is never split).  Bitwise identical.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    kernel_size
        As in :func:`refpool.max_pool_channels` (it must divide ``C``).
    engine, out
        As in :func:`~refpool.dask.max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, C // kernel_size, \*spatial), dtype of ``x``
    """
    def check(_, channels, op):
        # kernel_size is checked against the channel count, where field types are
        _args.channel_pool_spec(channels, kernel_size, op)

    _prepare(x, engine, out, field_check=check, op="max_pool_channels")
    k = int(kernel_size)
    if x.shape[1]:
        x = _aligned(x, np.arange(0, x.shape[1] + 1, k, dtype=np.int64))
    rules = [_PointAxis(n, n) for n in x.shape[2:]]
    block = _ChannelPoolBlock(rules, op="max_pool_channels", kernel_size=k, engine=engine)
    return _apply(x, "max_pool_channels", block, x.dtype,
                  out_channels=tuple(c // k for c in x.chunks[1]))
