r"""Antialiased downsampling of Dask arrays: ``antialiased_avg_pool``,
``antialiased_max_pool``, ``blur_pool`` (:mod:`refpool.antialiased`, chunked in space).

Each operator has its axis rule, built from the :mod:`refpool._geometry` objects
of its validated spec: a zero-padded strided filter (:class:`_ZeroFilterAxis`),
a filter with the operator's own padding (:class:`_BlurAxis`), and a dense max
map followed by a zero-padded blur (:class:`_AntialiasedMaxAxis`).
"""

from __future__ import annotations

from typing import NamedTuple

import functools

import numpy as np
import dask.array as da

from .. import _args, _geometry
from .._fieldcheck import check_pointwise_field_type
from ._blocks import _Block, _pad_after, _take
from ._planning import (_apply, _min_shift, _Piece, _prepare, _with_layouts, geometry_n,
                        geometry_o)

__all__ = ["antialiased_avg_pool", "antialiased_max_pool", "blur_pool"]


# =========================================================================== axis rules
class _ZeroFilterAxis(NamedTuple):
    """A zero-padded filter at a stride (antialiased_avg_pool) along one axis
    (a :class:`~refpool._geometry.FilterAxis`).

    Local padding ``pad = lo - start + m s``: the region's left end plays the
    global padding, shifted by ``m`` whole outputs (dropped) until the padding
    is non-negative and covers what the outputs read past the region's right
    end.  Zero padding has no upper limit, so no explicit cells are needed.
    """

    geometry: _geometry.FilterAxis

    n = geometry_n
    o = geometry_o

    def piece(self, a, b):
        s = self.geometry.stride
        start, stop = self.geometry.input_range(a, b)
        lo = min(max(0, start), self.n - 1)
        hi = max(min(self.n, stop), lo + 1)
        m = _min_shift(lo - start, s, 0, stop - hi)
        return _Piece(lo, hi, pad=lo - start + m * s, drop=m)

    def chunk_piece(self, c0, c1, a, b):
        s, before = self.geometry.stride, self.geometry.before
        start, stop = self.geometry.input_range(a, b)
        base = (c0 + before) % s
        pad = base + _min_shift(base, s, c0 - start, stop - c1) * s
        return _Piece(c0, c1, pad=pad, drop=a - (c0 - pad + before) // s)

    def first_output(self, c):
        return _geometry.ceil_div(c, self.geometry.stride)


class _BlurAxis(NamedTuple):
    """blur_pool along one axis (a :class:`~refpool._geometry.FilterAxis`; its
    padding is fixed by the filter size and pad_off).

    The region starts at a multiple ``t s`` of the stride, so local output ``j``
    is global output ``t + j`` (``a - t`` outputs dropped); ``t`` is small
    enough that the outputs read no local left padding, or 0 (the true border).
    The region ends where the outputs stop reading, or at the true border, so
    every padding the local call uses (reflect, replicate, zero) is the
    input's own.  Reflect padding must stay narrower than the region: a region
    that is too short grows by whole strides to the left, then to the right.
    """

    geometry: _geometry.FilterAxis

    n = geometry_n
    o = geometry_o

    def _need(self):
        g = self.geometry
        return max(g.before, g.after) + 1 if g.mode == "reflect" else 1

    def piece(self, a, b):
        n, s = self.n, self.geometry.stride
        start, stop = self.geometry.input_range(a, b)
        t = min(max(0, a - _geometry.ceil_div(self.geometry.before, s)), (n - 1) // s)
        lo = t * s
        hi = max(min(n, stop), lo + 1)
        if hi - lo < self._need():
            t -= min(t, _geometry.ceil_div(self._need() - (hi - lo), s))
            lo = t * s
            hi = max(hi, min(n, lo + self._need()))
        return _Piece(lo, hi, drop=a - t)

    def chunk_piece(self, c0, c1, a, b):
        s = self.geometry.stride
        if c0 % s or c1 - c0 < self._need():
            return None
        return _Piece(c0, c1, drop=a - c0 // s)

    def first_output(self, c):
        return _geometry.ceil_div(c, self.geometry.stride)


class _AntialiasedMaxAxis(NamedTuple):
    """antialiased_max_pool along one axis: a dense max map, then a zero-padded blur.

    ``dense`` is the max pooling at stride 1 (a :class:`~refpool._geometry.WindowAxis`
    whose outputs are the ``L`` dense positions), ``blur`` the Gaussian filter
    over the dense map (a :class:`~refpool._geometry.FilterAxis` of length ``L``),
    ``o`` the operator's output length (the blur's ``after`` padding may admit
    more outputs than ceil mode keeps).

    Outputs ``[a, b)`` read the dense positions ``[D0, D1)`` (the blur's input
    range), clipped to the dense map ``[0, L)`` as ``[lo_d, hi_d)``; these read
    the input through the max windows at stride 1, clipped as in
    :class:`~refpool.dask._planning._WindowAxis` (local max padding ``pad``,
    ``fill`` -inf cells).  The local dense map then starts exactly at global
    dense position ``lo_d``, and ends exactly at ``L`` when the outputs reach the
    dense map's right end; the local blur padding ``blur`` plays the global one,
    shifted by ``drop`` whole outputs as in :class:`_ZeroFilterAxis`.
    """

    dense: _geometry.WindowAxis
    blur: _geometry.FilterAxis
    o: int

    @property
    def n(self):
        return self.dense.n

    def _blur(self, a, b, lo_d, hi_d):
        """Blur padding and dropped outputs for a local dense map over [lo_d, hi_d)."""
        d0, d1 = self.blur.input_range(a, b)
        m = _min_shift(lo_d - d0, self.blur.stride, 0, d1 - hi_d)
        return lo_d - d0 + m * self.blur.stride, m

    def piece(self, a, b):
        d0, d1 = self.blur.input_range(a, b)
        lo_d = min(max(0, d0), self.blur.n - 1)
        hi_d = max(min(self.blur.n, d1), lo_d + 1)
        start, stop = self.dense.input_range(lo_d, hi_d)
        lo, hi = max(0, start), min(self.n, stop)
        pad = lo - start
        blur, drop = self._blur(a, b, lo_d, hi_d)
        return _Piece(lo, hi, pad=pad, fill=max(0, stop - hi - pad), blur=blur, drop=drop)

    def chunk_piece(self, c0, c1, a, b):
        # The whole chunk with max padding ``pad`` gives the dense positions
        # [c0 - pad + p, c1 + pad + p - d(k-1)); those reading the local padding
        # are wrong unless the chunk meets the true border, where pad = p makes
        # the local dense map start or end exactly where the global one does.
        p = self.dense.padding
        pad = p if c0 == 0 or c1 == self.n else 0
        extent = self.dense.dilation * (self.dense.kernel - 1)
        blur, drop = self._blur(a, b, c0 - pad + p, c1 + pad + p - extent)
        return _Piece(c0, c1, pad=pad, blur=blur, drop=drop)

    def first_output(self, c):
        return _geometry.ceil_div(c, self.blur.stride)


# =========================================================================== blocks
class _AntialiasedAvgBlock(_Block):
    def compute(self, region, pieces, location, *, sigma, stride, engine):
        from ..antialiased import antialiased_avg_pool
        y = antialiased_avg_pool(region, sigma, stride, tuple(p.pad for p in pieces),
                                 engine=engine)
        return _take(y, pieces, location)


class _AntialiasedMaxBlock(_Block):
    def compute(self, region, pieces, location, *, kernel, stride, dilation, sigma, engine):
        from ..antialiased import antialiased_max_pool
        local = _pad_after(region, pieces, -np.inf)
        y = antialiased_max_pool(local, kernel, stride, tuple(p.pad for p in pieces),
                                 dilation, False, sigma, tuple(p.blur for p in pieces),
                                 engine=engine)
        return _take(y, pieces, location)


class _BlurPoolBlock(_Block):
    def compute(self, region, pieces, location, *, filt_size, stride, pad_type, pad_off,
                engine):
        from ..antialiased import blur_pool
        y = blur_pool(region, filt_size, stride, pad_type, pad_off, engine=engine)
        return _take(y, pieces, location)


def _whole_planes(x, fn, output_size, dtype):
    """pad_type="circular": every output reads the whole periodic axis, so the spatial
    axes are merged into one chunk each and each block is one in-memory call on whole
    planes (chunked over N and C only); bitwise the in-memory result."""
    chunks = tuple(x.chunks[:2]) + tuple((int(n),) for n in x.shape[2:])
    x = x.rechunk(chunks)
    out_chunks = tuple(x.chunks[:2]) + tuple((int(m),) for m in output_size)
    return da.map_blocks(fn, x, chunks=out_chunks, dtype=dtype,
                         meta=np.empty((0,) * x.ndim, dtype))


# =========================================================================== operators
@_with_layouts
def antialiased_avg_pool(x, sigma, stride, padding=None, *, pad_type="zero", engine="auto",
                         out=None):
    r"""Gaussian blur and subsample a Dask array (:func:`refpool.antialiased_avg_pool`).

    With filter size :math:`f_s = 2\,\mathrm{round}(3\sigma) + 1`, outputs
    :math:`[a, b)` read :math:`[a s - p,\; (b-1)s - p + f_s)`.  A block's region
    is that range clipped to the input; its local zero padding is the part cut
    off on the left plus :math:`m s`, with :math:`m` leading outputs dropped, so
    that it also covers what the outputs read past the region's right end.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    sigma, stride, padding, pad_type
        As in :func:`refpool.antialiased_avg_pool` (``pad_type="circular"``: chunked
        over N and C only, whole planes per block).
    engine, out
        As in :func:`~refpool.dask.max_pool`.
    """
    sigma, spec = _prepare(x, engine, out, lambda shape: _args.antialiased_avg_spec(
        shape, sigma, stride, padding, pad_type))
    if spec.mode == "circular":
        from ..antialiased import antialiased_avg_pool as whole
        return _whole_planes(x, functools.partial(whole, sigma=sigma, stride=stride,
                                                  padding=padding, pad_type=spec.mode,
                                                  engine=engine),
                             spec.output_size, x.dtype)
    rules = [_ZeroFilterAxis(spec.axis(b)) for b in range(len(spec.input_size))]
    block = _AntialiasedAvgBlock(rules, sigma=sigma, stride=spec.stride, engine=engine)
    return _apply(x, "antialiased_avg_pool", block, x.dtype)


@_with_layouts
def antialiased_max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                         sigma=0.6, blur_padding=None, *, pad_type="zero", field_type=None,
                         engine="auto", out=None):
    r"""Max pool densely, blur and subsample a Dask array
    (:func:`refpool.antialiased_max_pool`).

    Outputs :math:`[a, b)` read the dense max map over
    :math:`[a s - q,\; (b-1)s - q + f_s)` (:math:`f_s = 2\,\mathrm{round}(4\sigma)+1`,
    blur padding :math:`q`), clipped to :math:`[0, L)`,
    :math:`L = n + 2p - d(k-1)`; dense positions :math:`[u, v)` read the input
    :math:`[u - p,\; v - 1 - p + d(k-1) + 1)`.  Each block's local call sees a
    dense map that starts and ends where the global one does (max padding at the
    true left border, :math:`-\infty` cells past the right end) and a blur
    padding shifted by whole dropped outputs.  Identical to the whole-array call
    within the tolerance of linear operators.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    kernel_size, stride, padding, dilation, ceil_mode, sigma, blur_padding, pad_type, field_type
        As in :func:`refpool.antialiased_max_pool` (``pad_type="circular"``: chunked
        over N and C only, whole planes per block).
    engine, out
        As in :func:`~refpool.dask.max_pool`.
    """
    sigma, spec = _prepare(
        x, engine, out, lambda shape: _args.antialiased_max_spec(
            shape, kernel_size, stride, padding, dilation, ceil_mode, sigma, blur_padding,
            pad_type),
        field_type=field_type, field_check=check_pointwise_field_type,
        op="antialiased_max_pool")
    if spec.blur.mode == "circular":
        from ..antialiased import antialiased_max_pool as whole
        return _whole_planes(x, functools.partial(
            whole, kernel_size=kernel_size, stride=stride, padding=padding,
            dilation=dilation, ceil_mode=ceil_mode, sigma=sigma, blur_padding=blur_padding,
            pad_type=spec.blur.mode, engine=engine), spec.blur.output_size, x.dtype)
    w = spec.window
    # the dense max map: the max windows at stride 1, over L = n + 2p - d(k-1) positions
    rules = [_AntialiasedMaxAxis(w.axis(b)._replace(stride=1, ceil_mode=False),
                                 spec.blur.axis(b), o)
             for b, o in enumerate(spec.blur.output_size)]
    block = _AntialiasedMaxBlock(rules, kernel=w.kernel, stride=w.stride, dilation=w.dilation,
                                 sigma=sigma, engine=engine)
    return _apply(x, "antialiased_max_pool", block, x.dtype)


@_with_layouts
def blur_pool(x, filt_size=4, stride=2, pad_type="reflect", pad_off=0, *, engine="auto",
              out=None):
    r"""Binomial blur and subsample a Dask array (:func:`refpool.blur_pool`).

    With padding :math:`b` before the axis, outputs :math:`[a, c)` read
    :math:`[a s - b,\; (c-1)s - b + f_s)` of the padded input.  A block's region
    starts at a multiple :math:`t s` of the stride (local output :math:`j` is
    global output :math:`t + j`), early enough that the needed outputs read no
    local left padding, or at 0; it ends where they stop reading, or at the
    input's end, so every padding the local call uses (reflect, replicate,
    zero) is the input's own.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    filt_size, stride, pad_type, pad_off
        As in :func:`refpool.blur_pool`.
    engine, out
        As in :func:`~refpool.dask.max_pool`.
    """
    spec = _prepare(x, engine, out, lambda shape: _args.blur_pool_spec(
        shape, filt_size, stride, pad_type, pad_off))
    if spec.mode == "circular":
        from ..antialiased import blur_pool as whole
        return _whole_planes(x, functools.partial(whole, filt_size=filt_size, stride=stride,
                                                  pad_type=spec.mode, pad_off=pad_off,
                                                  engine=engine),
                             spec.output_size, x.dtype)
    rules = [_BlurAxis(spec.axis(b)) for b in range(len(spec.input_size))]
    block = _BlurPoolBlock(rules, filt_size=spec.size, stride=spec.stride, pad_type=spec.mode,
                           pad_off=tuple(b - (f - 1) // 2 for b, f in zip(spec.before,
                                                                          spec.size)),
                           engine=engine)
    return _apply(x, "blur_pool", block, x.dtype)
