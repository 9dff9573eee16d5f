r"""Windowed, adaptive, fractional and global pooling of Dask arrays: ``max_pool``,
``avg_pool``, ``lp_pool``, ``adaptive_max_pool``, ``adaptive_avg_pool`` (chunked in
space), ``fractional_max_pool`` (chunked over N and C only), ``global_max_pool``,
``global_avg_pool``, ``global_lp_pool`` (:mod:`refpool.pooling`).

The windowed poolings use :class:`~refpool.dask._planning._WindowAxis` rules
(shared with :func:`refpool.dask.norm_max_pool`), the adaptive ones
:class:`~refpool.dask._planning._AdaptiveAxis` rules and
:class:`~refpool.dask._blocks._AdaptiveBlock` (shared with
``interpolate(mode="area")``).
"""

from __future__ import annotations

import functools
import math
import operator

import dask.array as da
import numpy as np

from .. import _args
from .._fieldcheck import check_pointwise_field_type
from ._blocks import _AdaptiveBlock, _Block, _global_indices, _pad_after, _take
from ._planning import _adaptive_rules, _apply, _prepare, _window_rules, _with_layouts

__all__ = ["max_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
           "fractional_max_pool", "global_max_pool", "global_avg_pool", "global_lp_pool"]


# =========================================================================== blocks
class _MaxPoolBlock(_Block):
    def compute(self, region, pieces, location, *, kernel, stride, dilation, return_indices,
                engine):
        from ..pooling import max_pool
        # -inf cells never win, and never start a window's scan: they come after
        # every input position of the window in row-major order
        local = _pad_after(region, pieces, -np.inf)
        pads = tuple(p.pad for p in pieces)
        if not return_indices:
            return _take(max_pool(local, kernel, stride, pads, dilation, engine=engine),
                         pieces, location)
        y, idx = max_pool(local, kernel, stride, pads, dilation, return_indices=True,
                          engine=engine)
        idx = _global_indices(_take(idx, pieces, location), local.shape[2:],
                              [p.lo for p in pieces], [r.n for r in self.rules])
        return _take(y, pieces, location), idx


class _AvgPoolBlock(_Block):
    def compute(self, region, pieces, location, *, kernel, stride, count_include_pad,
                divisor_override, engine):
        from ..pooling import avg_pool
        local = _pad_after(region, pieces, 0)
        pads = tuple(p.pad for p in pieces)
        if divisor_override is None:
            # a window's divisor depends on where it sits in the whole input; the
            # local call gets it right unless the region's ends differ from the
            # input's where the window sees them (explicit zero cells, a padding
            # that counts differently): compare the divisor factors of the global
            # windows with those of the local call (floor mode, local padding)
            wanted, same = [], True
            for rule, p, (a, b), m in zip(self.rules, pieces, location, local.shape[2:]):
                g = rule.geometry.divisor_factors(count_include_pad)[a:b]
                here = rule.geometry._replace(n=m, padding=p.pad, ceil_mode=False) \
                    .divisor_factors(count_include_pad)
                same &= bool(np.array_equal(here[p.drop:p.drop + b - a], g))
                wanted.append(g)
            if not same:
                sums = _take(avg_pool(local, kernel, stride, pads, divisor_override=1,
                                      engine=engine), pieces, location)
                divisor = functools.reduce(np.multiply.outer, wanted)
                # the engines' last step: the sum in the input dtype divided by a
                # float64 divisor, rounded once
                return (sums / divisor).astype(region.dtype)
        return _take(avg_pool(local, kernel, stride, pads, False, count_include_pad,
                              divisor_override, engine=engine), pieces, location)


# =========================================================================== operators
def _chunkable(spec, op):
    """The windowed specs the halo planning handles: equal padding on both sides and,
    for averages, no dilation (a ValueError naming the argument otherwise)."""
    if not spec.symmetric:
        raise ValueError(f"refpool.dask.{op}: padding with different before and after "
                         "widths ((before, after) pairs, 'same') is not chunked yet; pass "
                         "an int padding, or call refpool.{op} on the computed array")
    if op in ("avg_pool", "lp_pool") and any(d != 1 for d in spec.dilation):
        raise ValueError(f"refpool.dask.{op}: dilation must be 1 (dilated averages are not "
                         "chunked yet)")
    return spec


@_with_layouts
def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False, *, field_type=None, engine="auto", out=None):
    r"""Max pooling of a Dask array (:func:`refpool.max_pool`, chunked in space).

    Outputs :math:`[a, b)` of an axis read the input range

    .. math:: \big[a s - p,\; (b-1) s - p + d(k-1) + 1\big)

    clipped to :math:`[0, n)`.  Each task runs :func:`refpool.max_pool` on its
    whole chunk, with a padding :math:`\equiv c_0 + p \pmod s` that puts the
    local windows on the global grid, for the outputs that read only the chunk,
    and on small regions assembled from the chunk and its neighbours' strips for
    the seams; padding stands for the input's border only where a region meets
    it, and :math:`-\infty` cells are appended where windows overhang the
    input's right end (they never win, and never start a window's scan).  Values
    and indices are bitwise those of the whole-array call; indices are flat
    indices into the whole spatial block.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
        Any chunking, along every axis.
    kernel_size, stride, padding, dilation, ceil_mode, return_indices, field_type
        As in :func:`refpool.max_pool` (``field_type`` is checked once, for the
        whole array).
    engine : {"auto", "cpu", "cuda", "reference"}
        Engine of every block's in-memory call.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*o), dtype of ``x``
    indices : dask.array.Array of int64
        Only with ``return_indices=True``.
    """
    spec, return_indices = _prepare(
        x, engine, out, lambda shape: (
            _chunkable(_args.window_spec(shape, kernel_size, stride, padding, dilation,
                                         ceil_mode, padding_limit="dilated",
                                         general_padding=True), "max_pool"),
            _args.check_bool(return_indices, "return_indices")),
        field_type=field_type, field_check=check_pointwise_field_type, op="max_pool")
    block = _MaxPoolBlock(_window_rules(spec, "dilated"), kernel=spec.kernel,
                          stride=spec.stride, dilation=spec.dilation,
                          return_indices=return_indices, engine=engine)
    return _apply(x, "max_pool", block, x.dtype,
                  second_dtype=np.dtype(np.int64) if return_indices else None)


@_with_layouts
def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None, dilation=1, *, engine="auto", out=None):
    r"""Average pooling of a Dask array (:func:`refpool.avg_pool`, chunked in space).

    Halo as :func:`max_pool` with :math:`d = 1`; explicit cells appended past the
    input's right end are zeros.  The divisor of every output is the one of the
    whole-array call (its window's place in the whole input): where a block's
    local call would count differently, the block sums with divisor 1 and
    divides by the global divisor, as the engines do (sum in the input dtype,
    float64 divisor, one rounding).

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        As in :func:`refpool.avg_pool`.
    dilation : 1
        Dilated averages are not chunked yet: only 1 is accepted.
    engine, out
        As in :func:`max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*o), dtype of ``x``
    """
    spec, count_include_pad, divisor_override = _prepare(x, engine, out, lambda shape: (
        _chunkable(_args.window_spec(shape, kernel_size, stride, padding, dilation,
                                     ceil_mode, padding_limit="dilated",
                                     general_padding=True), "avg_pool"),
        _args.check_bool(count_include_pad, "count_include_pad"),
        _args.check_divisor_override(divisor_override)))
    block = _AvgPoolBlock(_window_rules(spec, "kernel"), kernel=spec.kernel, stride=spec.stride,
                          count_include_pad=count_include_pad,
                          divisor_override=divisor_override, engine=engine)
    return _apply(x, "avg_pool", block, x.dtype)


@_with_layouts
def lp_pool(x, norm_type, kernel_size, stride=None, ceil_mode=False, padding=0, dilation=1,
            *, variant="torch", engine="auto", out=None):
    r"""Lp pooling of a Dask array (:func:`refpool.lp_pool`, chunked in space).

    Composed of chunked pieces: the powers :math:`v^p` in float64 (elementwise),
    their window sums by :func:`avg_pool` with ``divisor_override=1`` (its halo
    planning), the scale factors of the whole-array call and the root, rounded
    to ``x``'s dtype once.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    norm_type, kernel_size, stride, ceil_mode, padding, variant
        As in :func:`refpool.lp_pool` (an int padding: equal on both sides).
    dilation : 1
        Only 1 (as :func:`avg_pool`).
    engine, out
        As in :func:`max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*o), dtype of ``x``
    """
    spec = _prepare(x, engine, out, lambda shape: _args.lp_pool_spec(
        shape, norm_type, kernel_size, stride, ceil_mode, padding, dilation, variant))
    window = _chunkable(spec.window, "lp_pool")
    wide = x.astype(np.float64)
    powers = (abs(wide) if spec.absolute else wide) ** spec.norm_type
    sums = avg_pool(powers, window.kernel, window.stride, window.padding, window.ceil_mode,
                    count_include_pad=True, divisor_override=1, engine=engine)
    scale = np.ones(window.output_size)
    for b, f in enumerate(spec.scale_factors()):
        scale = scale * f.reshape([-1 if a == b else 1 for a in range(len(window.kernel))])
    y = (sums * scale) ** (1.0 / spec.norm_type)
    y = y.map_blocks(_canonical_nan, dtype=np.float64)
    return y.astype(x.dtype)


def _canonical_nan(block):
    """The default NaN (positive, payload 0) for every NaN of ``block``."""
    return np.where(np.isnan(block), np.nan, block)


@_with_layouts
def adaptive_max_pool(x, output_size, return_indices=False, *, field_type=None,
                      engine="auto", out=None):
    r"""Adaptive max pooling of a Dask array (:func:`refpool.adaptive_max_pool`).

    Outputs :math:`[a, b)` read :math:`[\lfloor a n/o \rfloor, \lceil b n/o \rceil)`.
    With the period :math:`P = o / \gcd(n, o)`, a run of outputs between two
    multiples of :math:`P` is an adaptive pooling of its own input range (its
    windows start at integer multiples of :math:`n/o`), so each block makes one
    in-memory call per such run and per leftover output; output chunks snap to
    multiples of :math:`P` when :math:`P` is short.  Bitwise identical values
    and indices.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    output_size, return_indices, field_type
        As in :func:`refpool.adaptive_max_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    osize, return_indices = _prepare(
        x, engine, out, lambda shape: (
            _args.adaptive_output_size(shape, output_size),
            _args.check_bool(return_indices, "return_indices")),
        field_type=field_type, field_check=check_pointwise_field_type,
        op="adaptive_max_pool")
    block = _AdaptiveBlock(_adaptive_rules(x, osize), op="adaptive_max_pool",
                           return_indices=return_indices, engine=engine)
    return _apply(x, "adaptive_max_pool", block, x.dtype,
                  second_dtype=np.dtype(np.int64) if return_indices else None)


@_with_layouts
def adaptive_avg_pool(x, output_size, *, engine="auto", out=None):
    r"""Adaptive average pooling of a Dask array (:func:`refpool.adaptive_avg_pool`).

    Chunked as :func:`adaptive_max_pool`; every output is the mean of its global
    window, computed by an in-memory call over exactly that window.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    output_size
        As in :func:`refpool.adaptive_avg_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    osize = _prepare(x, engine, out,
                     lambda shape: _args.adaptive_output_size(shape, output_size))
    block = _AdaptiveBlock(_adaptive_rules(x, osize), op="adaptive_avg_pool",
                           return_indices=False, engine=engine)
    return _apply(x, "adaptive_avg_pool", block, x.dtype)


# =========================================================================== fractional
def _dask_samples(samples, generator, shape, k):
    """The ``(N, C, k)`` samples of a wrapped call: given as the top level takes them
    (``(N, C, k)``, or the caller's layout, whose leading axes merge into ``N`` as
    ``x``'s do), or drawn by ``generator``."""
    n, c = (int(v) for v in shape[:2])
    if samples is not None and generator is None:
        samples = _args.check_fractional_samples(
            samples.compute() if isinstance(samples, da.Array) else samples, k)
        lead = tuple(int(v) for v in samples.shape[:-1])
        if lead != (n, c) and math.prod(lead) == n * c and (c == 1 or lead[-1:] == (c,)):
            samples = samples.reshape(n, c, k)
    dtype = np.dtype(np.float64)
    plain = _args.Layout(None, True, False, k, dtype, dtype)
    return _args.fractional_samples(samples, generator, (n, c) + (1,) * k, plain, (n, c), k)


def _fractional_block(block, block_info=None, *, samples, kernel, output_size,
                      return_indices, engine):
    from ..pooling import fractional_max_pool
    (n0, n1), (c0, c1) = block_info[0]["array-location"][:2]
    return fractional_max_pool(block, kernel, output_size, return_indices=return_indices,
                               samples=samples[n0:n1, c0:c1], engine=engine)


@_with_layouts
def fractional_max_pool(x, kernel_size, output_size=None, output_ratio=None,
                        return_indices=False, samples=None, *, generator=None,
                        engine="auto", out=None):
    r"""Fractional max pooling of a Dask array (:func:`refpool.fractional_max_pool`,
    chunked over the batch and channel axes only).

    The windows of a plane depend on its samples and, through
    :math:`\alpha = (n - k)/(o - 1)`, on the whole axis: outputs :math:`[a, b)` read
    :math:`[s_a, s_{b-1} + k)`, a range that differs from plane to plane.  The halo
    planning of :mod:`refpool.dask._planning` assumes one range for every plane, so
    the spatial axes are merged into one chunk (a rechunk when they were split) and
    each block is one in-memory call on whole planes with its own slice of the
    samples.  Values and indices are bitwise those of the in-memory call.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial)
        Any chunking; the spatial axes are merged into one chunk.
    kernel_size, output_size, output_ratio, return_indices, samples, generator
        As in :func:`refpool.fractional_max_pool` (``samples``: a NumPy array, or a
        Dask array, which is computed; ``generator`` draws once, for the whole
        array).
    engine : {"auto", "cpu", "cuda", "reference"}
        Engine of every block's in-memory call.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*o), dtype of ``x``
    indices : dask.array.Array of int64
        Only with ``return_indices=True``.
    """
    spec, return_indices = _prepare(x, engine, out, lambda shape: (
        _args.fractional_spec(shape, kernel_size, output_size, output_ratio),
        _args.check_bool(return_indices, "return_indices")))
    samples = _dask_samples(samples, generator, x.shape, len(spec.kernel))
    _args.fractional_windows(spec, samples)               # validation only
    x = x.rechunk(tuple(x.chunks[:2]) + tuple((int(n),) for n in x.shape[2:]))
    chunks = tuple(x.chunks[:2]) + tuple((int(o),) for o in spec.output_size)
    fn = functools.partial(_fractional_block, samples=samples, kernel=spec.kernel,
                           output_size=tuple(spec.output_size),
                           return_indices=return_indices, engine=engine)
    meta = np.empty((0,) * x.ndim, x.dtype)
    if not return_indices:
        return da.map_blocks(fn, x, chunks=chunks, dtype=x.dtype, meta=meta)
    # one task computes both outputs; two cheap selections split the pair
    pair = da.map_blocks(fn, x, chunks=chunks, dtype=object,
                         meta=np.empty((0,) * x.ndim, object))
    return (da.map_blocks(operator.itemgetter(0), pair, dtype=x.dtype, meta=meta),
            da.map_blocks(operator.itemgetter(1), pair, dtype=np.int64,
                          meta=np.empty((0,) * x.ndim, np.int64)))


# =========================================================================== global
@_with_layouts
def global_max_pool(x, return_indices=False, *, field_type=None, engine="auto", out=None):
    r"""Global max pooling of a Dask array (:func:`refpool.global_max_pool`): adaptive
    max pooling to size 1 (:func:`adaptive_max_pool`'s chunking: the one output of an
    axis reads all of it).  Bitwise identical values and indices.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial)
    return_indices, field_type
        As in :func:`refpool.global_max_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    osize, return_indices = _prepare(
        x, engine, out, lambda shape: (
            _args.adaptive_output_size(shape, 1),
            _args.check_bool(return_indices, "return_indices")),
        field_type=field_type, field_check=check_pointwise_field_type, op="global_max_pool")
    block = _AdaptiveBlock(_adaptive_rules(x, osize), op="adaptive_max_pool",
                           return_indices=return_indices, engine=engine)
    return _apply(x, "global_max_pool", block, x.dtype,
                  second_dtype=np.dtype(np.int64) if return_indices else None)


@_with_layouts
def global_avg_pool(x, *, engine="auto", out=None):
    r"""Global average pooling of a Dask array (:func:`refpool.global_avg_pool`):
    adaptive average pooling to size 1 (:func:`adaptive_avg_pool`'s chunking).

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial)
    engine, out
        As in :func:`max_pool`.
    """
    osize = _prepare(x, engine, out, lambda shape: _args.adaptive_output_size(shape, 1))
    block = _AdaptiveBlock(_adaptive_rules(x, osize), op="adaptive_avg_pool",
                           return_indices=False, engine=engine)
    return _apply(x, "global_avg_pool", block, x.dtype)


@_with_layouts
def global_lp_pool(x, norm_type, *, variant="onnx", engine="auto", out=None):
    r"""Global Lp pooling of a Dask array (:func:`refpool.global_lp_pool`):
    :func:`lp_pool` with the kernel as large as the spatial shape.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial)
    norm_type, variant
        As in :func:`refpool.global_lp_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    spatial = tuple(int(n) for n in x.shape[2:]) if isinstance(x, da.Array) else None
    _prepare(x, engine, out, lambda shape: _args.lp_pool_spec(
        _args.check_spatial_shape(shape), norm_type, shape, variant=variant))
    return lp_pool(x, norm_type, spatial, variant=variant, engine=engine)
