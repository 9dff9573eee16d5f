"""CPU engine for interpolation: separable passes over output rows, in parallel.

Layout: every kernel sees 5-D arrays ``(N, C, D, H, W)`` (see
:mod:`refpool.engines._layout`).  The per-axis source indices and weights are
computed on the host by :func:`refpool._geometry.resample_taps` (the one place
the coordinate formulas live for the CPU and CUDA engines: for the ``"torch"``
axes of :func:`refpool.interpolate`, :func:`refpool._geometry.interpolation_taps`),
cached per geometry, and passed in as small ``(K, m)`` tables.

Work is split into chunks of consecutive output rows ``(n, c, od, oh)``, with
one scratch row per chunk (preallocated here, so the kernels allocate nothing).
For each output row:

1. *vertical pass*: the input rows named by the D and H taps are combined into
   the scratch row (length W), one vectorised sweep per pair of rows;
2. *horizontal pass*: every output pixel of the row sums its W taps from the
   scratch row, vectorised across output pixels.

Arithmetic is in the input dtype (float32 input: float32 weights and sums, as
PyTorch does; the documented float32 tolerance covers it), except that a float32
output row that comes out infinite or NaN is computed again in float64 (float64
weights and scratch row): bicubic weights above 1, or float32 weights that sum to
just above 1, can overflow near the largest float32 where the reference (float64
inside) is finite (docs/numerics.rst, "Overflow").

The horizontal pass is a gather in general.  When the W table is periodic over
most of the row (``index[P q + p, k] = S q + a[p, k]`` with weights independent
of ``q``: exact x2 upsampling, x1/2 downsampling, equal sizes) the interior runs
a specialised loop with contiguous (or stride-2) loads instead (one fused loop
for 1, 2 or 4 taps; for wider filters one sweep per tap over the row); it
evaluates the same sums in the same order, so the result is bit-identical to the
gather.  A gather whose outputs all have K taps also sweeps once per tap.

The nearest modes skip the arithmetic: they gather (or, when periodic, copy)
straight from the source row, and an output row whose input row is that of the
row before it (upsampling along H or D) is a copy of that row, from cache.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit, prange

from ..._geometry import resample_taps
from .._layout import SPATIAL, as5d, work_chunks
from ._passes import any_nonfinite, canonical_into
from ._rows import next_row, unravel_row

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off
_INLINE = dict(inline="always", cache=True, nogil=True)


# --------------------------------------------------------------------------- vertical
@njit(**_INLINE)
def _vertical(tmp, x, n, c, od, oh, zi, zw, zn, yi, yw, yn):
    """tmp[:] = sum over the (D, H) taps of weight * input row, first tap first."""
    W = tmp.shape[0]
    first = True
    for a in range(zn[od]):
        iz = zi[a, od]
        wz = zw[a, od]
        b = 0
        count = yn[oh]
        while b < count:
            if b + 1 < count:        # two rows per sweep
                w0 = wz * yw[b, oh]
                w1 = wz * yw[b + 1, oh]
                r0 = x[n, c, iz, yi[b, oh]]
                r1 = x[n, c, iz, yi[b + 1, oh]]
                if first:
                    for w in range(W):
                        tmp[w] = w0 * r0[w] + w1 * r1[w]
                else:
                    for w in range(W):
                        tmp[w] = tmp[w] + (w0 * r0[w] + w1 * r1[w])
                b += 2
            else:
                w0 = wz * yw[b, oh]
                r0 = x[n, c, iz, yi[b, oh]]
                if first:
                    for w in range(W):
                        tmp[w] = w0 * r0[w]
                else:
                    for w in range(W):
                        tmp[w] = tmp[w] + w0 * r0[w]
                b += 1
            first = False


# --------------------------------------------------------------------------- horizontal
@njit(**_INLINE)
def _gather(o, src, xi, xw, xn, K, fixed, lo, hi):
    """o[j] = sum over the W taps of output j of weight * src[index], lo <= j < hi."""
    if fixed and K == 2:
        i0, i1 = xi[0], xi[1]
        w0, w1 = xw[0], xw[1]
        for j in range(lo, hi):
            o[j] = w0[j] * src[i0[j]] + w1[j] * src[i1[j]]
    elif fixed and K == 4:
        i0, i1, i2, i3 = xi[0], xi[1], xi[2], xi[3]
        w0, w1, w2, w3 = xw[0], xw[1], xw[2], xw[3]
        for j in range(lo, hi):
            o[j] = (w0[j] * src[i0[j]] + w1[j] * src[i1[j]]) + \
                   (w2[j] * src[i2[j]] + w3[j] * src[i3[j]])
    elif fixed:
        # every output has K taps: one sweep per tap over the outputs (vectorised
        # gathers), each output's sum still taken first tap first, as below
        for j in range(lo, hi):
            o[j] = xw[0, j] * src[xi[0, j]]
        for k in range(1, K):
            ik, wk = xi[k], xw[k]
            for j in range(lo, hi):
                o[j] = o[j] + wk[j] * src[ik[j]]
    else:
        # taps past count[j] (antialiasing) are skipped, never multiplied:
        # 0 * inf would be NaN.  Their index is a valid 0.
        for j in range(lo, hi):
            total = xw[0, j] * src[xi[0, j]]
            for k in range(1, xn[j]):
                total = total + xw[k, j] * src[xi[k, j]]
            o[j] = total


@njit(**_INLINE)
def _periodic(o, src, K, fixed, P, S, q0, q1, a, w, ph):
    """The interior [P q0, P q1) of a periodic table, same sums as :func:`_gather`.

    With 4 taps the sums pair up as :func:`_gather`'s do when every output has 4
    taps (``fixed``), and run first tap first otherwise, as its general loop does.
    ``ph`` (at least ``P (q1 - q0)`` long) is scratch for the wide filters of x2
    upsampling: each phase's sums are built contiguously there, then interleaved
    (a sweep with stride-2 stores per tap is what they would cost otherwise)."""
    count = q1 - q0
    base = S * q0
    out = o[P * q0:]
    if P == 2 and K == 2:              # x2 upsampling, linear
        s00, s01 = src[base + a[0, 0]:], src[base + a[0, 1]:]
        s10, s11 = src[base + a[1, 0]:], src[base + a[1, 1]:]
        w00, w01, w10, w11 = w[0, 0], w[0, 1], w[1, 0], w[1, 1]
        for q in range(count):
            out[2 * q] = w00 * s00[q] + w01 * s01[q]
            out[2 * q + 1] = w10 * s10[q] + w11 * s11[q]
    elif P == 2 and K == 4 and fixed:  # x2 upsampling, cubic
        s00, s01 = src[base + a[0, 0]:], src[base + a[0, 1]:]
        s02, s03 = src[base + a[0, 2]:], src[base + a[0, 3]:]
        s10, s11 = src[base + a[1, 0]:], src[base + a[1, 1]:]
        s12, s13 = src[base + a[1, 2]:], src[base + a[1, 3]:]
        w00, w01, w02, w03 = w[0, 0], w[0, 1], w[0, 2], w[0, 3]
        w10, w11, w12, w13 = w[1, 0], w[1, 1], w[1, 2], w[1, 3]
        for q in range(count):
            out[2 * q] = (w00 * s00[q] + w01 * s01[q]) + (w02 * s02[q] + w03 * s03[q])
            out[2 * q + 1] = (w10 * s10[q] + w11 * s11[q]) + (w12 * s12[q] + w13 * s13[q])
    elif P == 2 and K == 1:            # x2 upsampling, nearest
        s0, s1 = src[base + a[0, 0]:], src[base + a[1, 0]:]
        if a[0, 0] == a[1, 0]:         # each sample twice
            for q in range(count):
                v = s0[q]
                out[2 * q] = v
                out[2 * q + 1] = v
        else:
            for q in range(count):
                out[2 * q] = s0[q]
                out[2 * q + 1] = s1[q]
    elif K == 1:                       # P == 1: a shifted copy or a stride-2 pick
        s0 = src[base + a[0, 0]:]
        if S == 1:
            for q in range(count):
                out[q] = s0[q]
        else:
            for q in range(count):
                out[q] = s0[2 * q]
    elif K == 2:
        s0, s1 = src[base + a[0, 0]:], src[base + a[0, 1]:]
        w0, w1 = w[0, 0], w[0, 1]
        if S == 1:
            for q in range(count):
                out[q] = w0 * s0[q] + w1 * s1[q]
        else:
            for q in range(count):
                out[q] = w0 * s0[2 * q] + w1 * s1[2 * q]
    elif K == 4 and fixed:             # P == 1
        s0, s1 = src[base + a[0, 0]:], src[base + a[0, 1]:]
        s2, s3 = src[base + a[0, 2]:], src[base + a[0, 3]:]
        w0, w1, w2, w3 = w[0, 0], w[0, 1], w[0, 2], w[0, 3]
        if S == 1:
            for q in range(count):
                out[q] = (w0 * s0[q] + w1 * s1[q]) + (w2 * s2[q] + w3 * s3[q])
        else:
            for q in range(count):
                out[q] = (w0 * s0[2 * q] + w1 * s1[2 * q]) + \
                         (w2 * s2[2 * q] + w3 * s3[2 * q])
    elif P == 1:                       # any other K (wider filters): one sweep per tap,
        s = src[base + a[0, 0]:]       # each sum first tap first, as _gather's (the
        wk = w[0, 0]                   # stride written out: a constant one vectorises)
        if S == 1:
            for q in range(count):
                out[q] = wk * s[q]
        else:
            for q in range(count):
                out[q] = wk * s[2 * q]
        for k in range(1, K):
            s = src[base + a[0, k]:]
            wk = w[0, k]
            if S == 1:
                for q in range(count):
                    out[q] = out[q] + wk * s[q]
            else:
                for q in range(count):
                    out[q] = out[q] + wk * s[2 * q]
    else:                              # P == 2, any other K: per phase into ph, then
        for p in range(2):             # interleaved
            acc = ph[p * count:(p + 1) * count]
            s = src[base + a[p, 0]:]
            wk = w[p, 0]
            for q in range(count):
                acc[q] = wk * s[q]
            for k in range(1, K):
                s = src[base + a[p, k]:]
                wk = w[p, k]
                for q in range(count):
                    acc[q] = acc[q] + wk * s[q]
        even, odd = ph[:count], ph[count:2 * count]
        for q in range(count):
            out[2 * q] = even[q]
            out[2 * q + 1] = odd[q]


@njit(**_INLINE)
def _horizontal(o, src, xi, xw, xn, K, fixed, P, S, q0, q1, a, w, ph):
    OW = o.shape[0]
    if P == 0:
        _gather(o, src, xi, xw, xn, K, fixed, 0, OW)
        return
    _gather(o, src, xi, xw, xn, K, fixed, 0, P * q0)
    _periodic(o, src, K, fixed, P, S, q0, q1, a, w, ph)
    _gather(o, src, xi, xw, xn, K, fixed, P * q1, OW)


# --------------------------------------------------------------------------- kernels
@njit(**_PARALLEL)
def _resample_kernel(x, out, zi, zw, zn, yi, yw, yn, xi, xw, xn, K, fixed, P, S, q0, q1, a, w,
                     tmpbuf, rescue, zw64, yw64, xw64, w64, tmp64, out64, phasebuf, phase64):
    # ``rescue`` (float32 input): a row with an infinity or a NaN is computed again
    # with the float64 weights (``*64``) and scratch rows; the NaNs of such a row, as
    # of a float64 row, become the default NaN (docs/numerics.rst)
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    chunks = tmpbuf.shape[0]
    for chunk in prange(chunks):
        tmp = tmpbuf[chunk]
        first = (chunk * rows) // chunks
        n, c, od, oh = unravel_row(first, C, OD, OH)
        for _ in range(first, ((chunk + 1) * rows) // chunks):
            o = out[n, c, od, oh]
            _vertical(tmp, x, n, c, od, oh, zi, zw, zn, yi, yw, yn)
            _horizontal(o, tmp, xi, xw, xn, K, fixed, P, S, q0, q1, a, w, phasebuf[chunk])
            if any_nonfinite(o, OW):
                if rescue:
                    o64 = out64[chunk]
                    t64 = tmp64[chunk]
                    _vertical(t64, x, n, c, od, oh, zi, zw64, zn, yi, yw64, yn)
                    _horizontal(o64, t64, xi, xw64, xn, K, fixed, P, S, q0, q1, a, w64,
                                phase64[chunk])
                    canonical_into(o, o64, OW)
                else:
                    canonical_into(o, o, OW)
            n, c, od, oh = next_row(n, c, od, oh, C, OD, OH)


@njit(**_PARALLEL)
def _nearest_kernel(x, out, zi, yi, xi, P, S, q0, q1, a, w, chunks):
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    ix = xi[0]
    for chunk in prange(chunks):
        previous = -1                 # flat index of the input row behind the last output row
        first = (chunk * rows) // chunks
        n, c, od, oh = unravel_row(first, C, OD, OH)
        for _ in range(first, ((chunk + 1) * rows) // chunks):
            iz, iy = zi[0, od], yi[0, oh]
            o = out[n, c, od, oh]
            source = ((n * C + c) * D + iz) * H + iy
            if source == previous:
                # upsampling repeats the row just written (still in cache): copy it
                last = out[n, c, od, oh - 1] if oh > 0 else out[n, c, od - 1, OH - 1]
                for j in range(OW):
                    o[j] = last[j]
            else:
                previous = source
                src = x[n, c, iz, iy]
                if P == 0:
                    for j in range(OW):
                        o[j] = src[ix[j]]
                else:
                    for j in range(P * q0):
                        o[j] = src[ix[j]]
                    _periodic(o, src, 1, True, P, S, q0, q1, a, w, o)
                    for j in range(P * q1, OW):
                        o[j] = src[ix[j]]
            n, c, od, oh = next_row(n, c, od, oh, C, OD, OH)


# --------------------------------------------------------------------------- host side
# Numba's parallel lowering may hoist loop-invariant reads (such as ``xw[3]`` or
# ``a[1, 0]`` of a branch that does not run) out of the prange loop, so every
# table is padded to the largest shape any branch reads: 4 tap rows, and a
# (2, 4) periodic pattern.  The real tap count travels separately.
_TAP_ROWS = 4


def _pad_rows(a, rows):
    if a.shape[0] >= rows:
        return np.ascontiguousarray(a)
    pad = np.zeros((rows - a.shape[0],) + a.shape[1:], dtype=a.dtype)
    return np.ascontiguousarray(np.concatenate([a, pad]))


def _periodic_plan(taps, dtype):
    return _cached_plan(_TableKey(taps), np.dtype(dtype).str)


class _TableKey:
    """An axis' taps as a cache key: identified by the cached table it comes from."""

    __slots__ = ("taps",)

    def __init__(self, taps):
        self.taps = taps

    def __hash__(self):
        return id(self.taps)

    def __eq__(self, other):
        return self.taps is other.taps


@functools.lru_cache(maxsize=256)
def _cached_plan(key, dtype):
    return _periodic_plan_of(key.taps, np.dtype(dtype))


def _periodic_plan_of(taps, dtype):
    """(P, S, q0, q1, a, w) of the periodic interior of a tap table, or P = 0.

    Looks for ``index[P q + p, k] = S q + a[p, k]`` and ``weight[P q + p, k] =
    w[p, k]`` for ``q0 <= q < q1``, the longest such run around the middle of
    the row, with (P, S) in {(2, 1), (1, 1), (1, 2)}; used when it covers at
    least half of the row.  ``a`` and ``w`` come back padded to (2, max(K, 4)).
    """
    index, weight, count = taps
    m, K = index.shape
    none = (0, 1, 0, 0, np.zeros((2, _TAP_ROWS), np.int64), np.zeros((2, _TAP_ROWS), dtype))
    for P, S in ((2, 1), (1, 1), (1, 2)):
        Q = m // P
        if Q < 4:
            continue
        a = index[:Q * P].reshape(Q, P, K) - S * np.arange(Q)[:, None, None]
        w = weight[:Q * P].reshape(Q, P, K)
        # the run's outputs have all K taps; near the edges, filters whose outside
        # taps are dropped (exclude_outside, the peers' antialiased kernels) have
        # fewer, and the gather takes those
        full = np.all(count[:Q * P].reshape(Q, P) == K, axis=1)
        mid = Q // 2
        same = full & np.all((a == a[mid]) & (w == w[mid]), axis=(1, 2))
        breaks_before = np.flatnonzero(~same[:mid])
        breaks_after = np.flatnonzero(~same[mid:])
        q0 = int(breaks_before[-1]) + 1 if breaks_before.size else 0
        q1 = mid + int(breaks_after[0]) if breaks_after.size else Q
        if 2 * P * (q1 - q0) >= m:
            pa = np.zeros((2, max(K, _TAP_ROWS)), np.int64)
            pw = np.zeros((2, max(K, _TAP_ROWS)), dtype)
            pa[:P, :K] = a[mid]
            pw[:P, :K] = w[mid]
            return P, S, q0, q1, pa, pw
    return none


def _chunks(out5):
    return work_chunks(math.prod(out5.shape[:4]))


# --------------------------------------------------------------------------- resample
@functools.lru_cache(maxsize=256)
def _cached_resample_tables(spec, dtype, weight_dtype):
    """Per-axis taps of the three 5-D axes, as (index (4+, m), weight (4+, m), count,
    K), the weights in ``weight_dtype`` (the kernels compute in the input dtype; the
    rescue of a float32 row in float64), and the W axis' taps.  Cached per geometry
    (specs are hashable); the kernels only read them."""
    dtype, weight_dtype = np.dtype(dtype), np.dtype(weight_dtype)
    unit = (np.zeros((1, 1), np.int64), np.ones((1, 1)), np.ones(1, np.int64))
    tables = [unit] * (SPATIAL - len(spec.axes))
    tables += [resample_taps(ax, dtype) for ax in spec.axes]
    return [(_pad_rows(t[0].T, _TAP_ROWS), _pad_rows(t[1].T.astype(weight_dtype), _TAP_ROWS),
             np.ascontiguousarray(t[2]), t[0].shape[1]) for t in tables], tables[-1]


@functools.lru_cache(maxsize=256)
def _prepared(spec, dtype):
    """Everything :func:`resample` passes to its kernel but the arrays of the call,
    and the fills after it (cached per geometry and dtype: a small call would spend
    more time here than in its kernel; the kernels only read these).

    Returns ``(head, rescue, fills)``: the kernel's table arguments (the nearest
    kernel's, or the weighted kernel's), the float64 rescue weights (None for the
    nearest kernel) and ``(index, value)`` pairs, applied in order: the outputs
    without taps (:meth:`~refpool._geometry.ResampleAxis.empty`) are 0, then those
    outside the input (:meth:`~refpool._geometry.ResampleAxis.outside`) take the
    extrapolation value."""
    dtype = np.dtype(dtype)
    tables, wtaps = _cached_resample_tables(spec, dtype.str, dtype.str)
    plan = _periodic_plan(wtaps, dtype)
    fills = []
    for masks, value in (([ax.empty() for ax in spec.axes], 0.0),
                         ([ax.outside() for ax in spec.axes], spec.extrapolation_value)):
        for b, mask in enumerate(masks):
            if mask.any():
                fills.append(((slice(None),) * (b + 2) + (mask,), value))
    fills = tuple(fills)
    if spec.nearest:
        (zi, _, _, _), (yi, _, _, _), (xi, _, _, _) = tables
        return (zi, yi, xi) + tuple(plan), None, fills
    (zi, zw, zn, _), (yi, yw, yn, _), (xi, xw, xn, K) = tables
    fixed = bool(np.all(xn == K))
    # float64 weights of the rescue of a non-finite float32 row (float64 input
    # computes in float64 already: no rescue, its own tables stand in)
    rescue = dtype != np.float64
    if rescue:
        ((_, zw64, _, _), (_, yw64, _, _), (_, xw64, _, _)), _ = \
            _cached_resample_tables(spec, dtype.str, np.dtype(np.float64).str)
        w64 = _periodic_plan(wtaps, np.float64)[5]
    else:
        zw64, yw64, xw64, w64 = zw, yw, xw, plan[5]
    return (zi, zw, zn, yi, yw, yn, xi, xw, xn, K, fixed) + tuple(plan), \
        (rescue, zw64, yw64, xw64, w64), fills


def resample(x, out, spec):
    """:func:`refpool.resample` and :func:`refpool.interpolate` (its ``"torch"``
    axes): the kernels above on the tables of
    :func:`refpool._geometry.resample_taps`, then the empty and extrapolated
    outputs."""
    x5, out5 = as5d(x), as5d(out)
    head, rescue, fills = _prepared(spec, np.dtype(x.dtype).str)
    chunks = _chunks(out5)
    if rescue is None:
        _nearest_kernel(x5, out5, *head, chunks)
    else:
        tmpbuf = np.empty((chunks, x5.shape[4]), dtype=x.dtype)
        tmp64 = np.empty((chunks, x5.shape[4])) if rescue[0] else tmpbuf
        out64 = np.empty((chunks, out5.shape[4]))
        phasebuf = np.empty((chunks, out5.shape[4]), dtype=x.dtype)
        phase64 = np.empty((chunks, out5.shape[4])) if rescue[0] else phasebuf
        _resample_kernel(x5, out5, *head, tmpbuf, *rescue, tmp64, out64, phasebuf, phase64)
    for index, value in fills:
        out[index] = value
