r"""Interpolation of Dask arrays: ``interpolate`` and ``resample``
(:mod:`refpool.interpolate`, chunked in space).

Every mode but ``area`` reads the input positions of its per-axis taps
(:func:`refpool._geometry.interpolation_taps`, the rule of each mode in
:data:`refpool._geometry.INTERPOLATION_AXIS_RULE`): :class:`_TapsAxis`.
``mode="area"`` is an adaptive average pooling and uses the adaptive rules and
block of :mod:`refpool.dask._planning` and :mod:`refpool.dask._blocks`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .. import _args, _geometry
from ._blocks import _AdaptiveBlock, _Block
from ._planning import _adaptive_rules, _apply, _Piece, _prepare, _with_layouts

__all__ = ["interpolate", "resample"]


# =========================================================================== axis rule
@functools.lru_cache(maxsize=64)
def _axis_taps(rule):
    return _geometry.interpolation_taps(rule.kind, rule.n, rule.o, rule.r, rule.align_corners,
                                        rule.antialias, np.dtype(rule.dtype), rule.rule)


class _TapsAxis(NamedTuple):
    """Interpolation along one axis: the global taps of
    :func:`refpool._geometry.interpolation_taps`, restricted to the outputs and
    shifted to the region (the task recomputes them, cached per process); the
    input range of outputs ``[a, b)`` is :func:`refpool._geometry.taps_input_range`."""

    n: int
    o: int
    kind: str             # the per-axis rule (INTERPOLATION_AXIS_RULE of the mode)
    r: float
    align_corners: bool
    antialias: bool
    dtype: str
    rule: str             # the nearest modes' index rule (nearest_rule)

    def taps(self):
        return _axis_taps(self)

    def piece(self, a, b):
        return _Piece(*_geometry.taps_input_range(self.taps(), a, b))

    def chunk_piece(self, c0, c1, a, b):
        return None

    def first_output(self, c):
        t = self.taps()
        first = np.where(t.count > 0, t.index[:, 0], self.n)
        return int(np.searchsorted(np.maximum.accumulate(first), c, side="left"))


# =========================================================================== block
class _InterpolateBlock(_Block):
    def compute(self, region, pieces, location, *, call, engine):
        whole = all(p.lo == 0 and p.hi == r.n and a == 0 and b == r.o
                    for p, r, (a, b) in zip(pieces, self.rules, location))
        if whole:                                    # the whole input: the engine itself
            from ..interpolate import interpolate
            return interpolate(region, **dict(call), engine=engine)
        tables = []
        for rule, p, (a, b) in zip(self.rules, pieces, location):
            t = rule.taps()
            tables.append((t.index[a:b] - p.lo, t.weight[a:b], t.count[a:b]))
        return _resample(region, tables, self.rules[0].kind.startswith("nearest"))


def _resample(region, tables, nearest):
    """Evaluate per-axis interpolation taps on a region (indices relative to it).

    Nearest modes gather (bitwise the engines' result).  The others compute in
    float64 and round once, like every engine: one axis after the other, each
    output the sum of its live taps (taps past ``count`` are skipped, never
    multiplied: 0 * inf would be NaN).
    """
    if nearest:
        y = region
        for axis, (index, _, _) in enumerate(tables):
            y = np.take(y, index[:, 0], axis=2 + axis)
        return y
    a = region.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        for axis in reversed(range(len(tables))):
            index, weight, count = tables[axis]
            shape = [1] * a.ndim
            shape[2 + axis] = -1
            fixed = bool(np.all(count == index.shape[1]))
            acc = None
            for k in range(index.shape[1]):
                term = np.take(a, np.maximum(index[:, k], 0), axis=2 + axis) \
                    * weight[:, k].reshape(shape)
                if fixed:
                    acc = term if acc is None else acc + term
                else:
                    live = (count > k).reshape(shape)
                    acc = np.where(live, term, 0.0) if acc is None else np.where(
                        live, acc + term, acc)
            a = acc
    return a.astype(region.dtype)


# =========================================================================== operator
@_with_layouts
def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False, *, engine="auto", out=None):
    r"""Resample a Dask array (:func:`refpool.interpolate`, chunked in space).

    Every output reads the input positions of its taps
    (:func:`refpool._geometry.interpolation_taps`), so outputs :math:`[a, b)` read
    from the smallest to the largest live tap index among them.  A block that
    holds the whole input runs :func:`refpool.interpolate` itself; the others
    evaluate the global taps, restricted to their outputs and shifted to their
    region: a gather for the nearest modes (bitwise identical), float64 sums
    rounded once otherwise (within the tolerance of linear operators).
    ``mode="area"`` is :func:`~refpool.dask.adaptive_avg_pool`.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    size, scale_factor, mode, align_corners, recompute_scale_factor, antialias
        As in :func:`refpool.interpolate`.
    engine, out
        As in :func:`~refpool.dask.max_pool` (``engine`` runs the whole-input
        blocks and the area mode).
    """
    spec = _prepare(x, engine, out, lambda shape: _args.interpolation_spec(
        shape, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias))
    if spec.mode == "area":
        block = _AdaptiveBlock(_adaptive_rules(x, spec.output_size), op="adaptive_avg_pool",
                               return_indices=False, engine=engine)
        return _apply(x, "interpolate", block, x.dtype)
    kind = _geometry.INTERPOLATION_AXIS_RULE[spec.mode]
    rules = [_TapsAxis(n, m, kind, float(r), spec.align_corners, spec.antialias,
                       np.dtype(x.dtype).name, spec.nearest_rule)
             for n, m, r in zip(spec.input_size, spec.output_size, spec.scale)]
    # the keywords of a whole-input block's call: the caller's own, normalised
    call = (("size", None if size is None else _args.per_axis(size, len(rules), "size")),
            ("scale_factor", scale_factor if not isinstance(scale_factor, list)
             else tuple(scale_factor)),
            ("mode", mode), ("align_corners", align_corners),
            ("recompute_scale_factor", recompute_scale_factor), ("antialias", antialias))
    block = _InterpolateBlock(rules, call=call, engine=engine)
    return _apply(x, "interpolate", block, x.dtype)


# =========================================================================== resample
@functools.lru_cache(maxsize=64)
def _resample_axis_taps(rule):
    return _geometry.resample_taps(rule.axis, np.dtype(rule.dtype))


class _ResampleAxis(NamedTuple):
    """:func:`refpool.resample` along one axis: the taps of
    :func:`refpool._geometry.resample_taps` (as :class:`_TapsAxis`)."""

    axis: object          # the _geometry.ResampleAxis
    dtype: str

    @property
    def n(self):
        return self.axis.n

    @property
    def o(self):
        return self.axis.m

    def taps(self):
        return _resample_axis_taps(self)

    piece = _TapsAxis.piece
    chunk_piece = _TapsAxis.chunk_piece
    first_output = _TapsAxis.first_output


class _ResampleBlock(_Block):
    def compute(self, region, pieces, location, *, call, engine, value):
        whole = all(p.lo == 0 and p.hi == r.n and a == 0 and b == r.o
                    for p, r, (a, b) in zip(pieces, self.rules, location))
        if whole:                                    # the whole input: the engine itself
            from ..interpolate import resample
            return resample(region, **dict(call), engine=engine)
        tables = []
        for rule, p, (a, b) in zip(self.rules, pieces, location):
            t = rule.taps()
            tables.append((t.index[a:b] - p.lo, t.weight[a:b], t.count[a:b]))
        y = _resample(region, tables, self.rules[0].axis.filter == "nearest")
        for which, v in (("empty", 0.0), ("outside", value)):
            for b, (rule, (lo, hi)) in enumerate(zip(self.rules, location)):
                mask = getattr(rule.axis, which)()[lo:hi]
                if mask.any():
                    y = np.array(y)
                    y[(slice(None),) * (b + 2) + (mask,)] = v
        return y


@_with_layouts
def resample(x, size=None, scale=None, *, filter="linear", coordinate_mode="half_pixel",
             antialias=False, exclude_outside=False, extrapolation_value=0.0, roi=None,
             translation=None, nearest_mode="round_prefer_floor", cubic_coeff_a=-0.75,
             extrapolate=None, engine="auto", out=None):
    r"""Resample a Dask array (:func:`refpool.resample`, chunked in space).

    As :func:`~refpool.dask.interpolate`: outputs :math:`[a, b)` read from the
    smallest to the largest live tap index of
    :func:`refpool._geometry.resample_taps` among them; a block holding the
    whole input runs :func:`refpool.resample`, the others evaluate the global taps
    on their region (a gather for ``filter="nearest"``, float64 sums rounded once
    otherwise), then set their extrapolated outputs.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    size, scale, filter, coordinate_mode, antialias, exclude_outside
        As in :func:`refpool.resample`.
    extrapolation_value, roi, translation, nearest_mode, cubic_coeff_a, extrapolate
        As in :func:`refpool.resample`.
    engine, out
        As in :func:`~refpool.dask.max_pool`.
    """
    kwargs = dict(filter=filter, coordinate_mode=coordinate_mode, antialias=antialias,
                  exclude_outside=exclude_outside, extrapolation_value=extrapolation_value,
                  roi=roi, translation=translation, nearest_mode=nearest_mode,
                  cubic_coeff_a=cubic_coeff_a, extrapolate=extrapolate)
    spec = _prepare(x, engine, out, lambda shape: _args.resample_spec(shape, size, scale,
                                                                      **kwargs))
    rules = [_ResampleAxis(ax, np.dtype(x.dtype).name) for ax in spec.axes]

    def frozen(v):
        return tuple(v) if isinstance(v, list) else v
    call = tuple((k, frozen(v)) for k, v in dict(size=size, scale=scale, **kwargs).items())
    block = _ResampleBlock(rules, call=call, engine=engine, value=spec.extrapolation_value)
    return _apply(x, "resample", block, x.dtype)
