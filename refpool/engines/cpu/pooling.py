"""CPU engine for windowed and adaptive pooling: Numba kernels, parallel over rows.

Layout: every kernel sees 5-D arrays ``(N, C, D, H, W)`` (see
:mod:`refpool.engines._layout`) and parallelises over output rows
``(n, c, od, oh)`` with ``prange``.

Speed comes from vectorising across output pixels, not across the window: a
window reduction into a single accumulator does not vectorise without
``fastmath`` (which refpool keeps off for NaN semantics).  So each kernel keeps
one accumulator per output pixel of the row (the output row itself, which stays
in L1) and sweeps the window taps in row-major order, each tap being one
vectorisable pass ``acc[j] = op(acc[j], row[j*s + off])`` over the output
columns whose tap lies inside the input.  Strides 1 and 2 get their own
specialised passes so LLVM sees a constant stride.  Max and average pooling fold
their window rows with the same passes, built for each reduction by
:func:`_window_row_fold`, where the specialised cases are listed once.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit, prange

from ..._geometry import adaptive_bounds, avg_divisor_factors
from .._layout import as5d, divisors3, pad3, window3, work_chunks
from ._passes import (any_zero, canonical, is_negative_zero, max_into, max_or_nan, replaces,
                      tap_columns)
from ._rows import next_row, unravel_row

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off
_INLINE = dict(inline="always", cache=True, nogil=True)


# --------------------------------------------------------------------------- window rows
@njit(**_INLINE)
def _interior(k, s, p, d, n, o):
    """Output columns [lo, hi) whose every tap lies inside the input row."""
    lo = 0 if p <= 0 else (p + s - 1) // s
    last = n - 1 + p - (k - 1) * d          # largest admissible window start + p
    hi = 0 if last < 0 else min(o, last // s + 1)
    return lo, max(lo, hi)


@njit(**_INLINE)
def _add(total, v):
    # in float64 whatever the input dtype: a float32 window sum cannot overflow
    # (3e38 + 3e38 - 3e38 - 3e38 is 0, as in the reference), and the average is
    # rounded to the output dtype once, after the division
    return np.float64(total) + np.float64(v)


def _window_row_fold(combine, empty):
    """Build the fold of one window row into an output row for the reduction ``combine``.

    Max and average pooling differ only in the reduction, so the row passes, the
    border columns and the table of specialised passes are written once, here, and
    built once per reduction below: a new specialisation is one entry of that table.

    Parameters
    ----------
    combine : numba function
        ``combine(acc, v)``: the running value ``acc`` with one more tap ``v``
        (:func:`max_or_nan`, or :func:`_add`, which sums in float64).
    empty : float
        What a border column holds before its first in-bounds tap: the identity of
        ``combine`` (``-inf`` for the max, ``0.0`` for the sum).

    Returns
    -------
    fold : numba function
        ``fold(acc, row, k, s, p, d, merge)``: combine the ``k`` taps (stride ``s``,
        padding ``p``, dilation ``d``) of the window row ``row`` into the output row
        ``acc``; ``merge`` says whether ``acc`` already holds earlier window rows
        (otherwise it is overwritten).
    one_tap : numba function
        ``one_tap(acc, seg, s, count, merge)``: the pass of one tap, ``acc[j]``
        combined with ``seg[j*s]`` for ``j < count`` (adaptive max pooling folds
        whole input rows with it).
    """

    # Row passes: ``acc[j]`` (j < count) takes the window-row taps ``seg_e[j*s]``.
    # One pass folds up to three taps, so each accumulator is loaded and stored
    # once for the three; with a constant ``s`` LLVM vectorises with interleaved
    # loads.
    @njit(**_INLINE)
    def one_tap(acc, s0, s, count, merge):
        for j in range(count):
            m = s0[j * s]
            acc[j] = combine(acc[j], m) if merge else m

    @njit(**_INLINE)
    def two_taps(acc, seg, s, d, count, merge):
        for j in range(count):
            m = combine(seg[j * s], seg[j * s + d])
            acc[j] = combine(acc[j], m) if merge else m

    @njit(**_INLINE)
    def three_taps(acc, seg, s, d, count, merge):
        for j in range(count):
            m = combine(combine(seg[j * s], seg[j * s + d]), seg[j * s + 2 * d])
            acc[j] = combine(acc[j], m) if merge else m

    @njit(**_INLINE)
    def border(acc, row, j, k, s, p, d, merge):
        # output column j, some of whose taps lie in the padding: scalar
        m = empty
        for e in range(k):
            col = j * s - p + e * d
            if 0 <= col < row.shape[0]:
                m = combine(m, row[col])
        acc[j] = combine(acc[j], m) if merge else m

    @njit(**_INLINE)
    def fold(acc, row, k, s, p, d, merge):
        n = row.shape[0]
        o = acc.shape[0]
        lo, hi = _interior(k, s, p, d, n, o)
        # border columns (some taps in the padding): scalar, few of them
        left, right = (lo, hi) if hi > lo else (o, o)
        for j in range(left):
            border(acc, row, j, k, s, p, d, merge)
        for j in range(right, o):
            border(acc, row, j, k, s, p, d, merge)
        count = hi - lo
        if count <= 0:
            return
        start = lo * s - p
        a = acc[lo:hi]
        # The specialisations, listed once for both reductions: windows of 1 to 3
        # taps take one fused pass, at stride 1 or 2 and dilation 1 as compile-time
        # constants or at the run-time stride and dilation; wider windows take one
        # pass per tap.  The taps of a pass index ONE array (``seg[j*s + e*d]``):
        # with constant offsets LLVM loads them as one interleaved group (two
        # vector loads and a shuffle at stride 2), where separate views of the row
        # compiled to per-element loads, 4x slower (max_pool k2 s2, measured in CPU
        # time on one thread: 19.8 ms against 4.7 ms on (16, 64, 128, 128) float32).  Each entry is
        # one more compiled copy of a pass, so the table stays short.  Tap count
        # outside, stride inside: in this order the kernels compile to the same
        # machine code as the two hand-written ladders this table replaced; the
        # stride-outside order compiled differently (max_pool kernel 3 timed up to
        # 15% apart).
        if k == 1:
            if s == 1:
                one_tap(a, row[start:], 1, count, merge)
            elif s == 2:
                one_tap(a, row[start:], 2, count, merge)
            else:
                one_tap(a, row[start:], s, count, merge)
        elif k == 2:
            if s == 1 and d == 1:
                two_taps(a, row[start:], 1, 1, count, merge)
            elif s == 2 and d == 1:
                two_taps(a, row[start:], 2, 1, count, merge)
            else:
                two_taps(a, row[start:], s, d, count, merge)
        elif k == 3:
            if s == 1 and d == 1:
                three_taps(a, row[start:], 1, 1, count, merge)
            elif s == 2 and d == 1:
                three_taps(a, row[start:], 2, 1, count, merge)
            else:
                three_taps(a, row[start:], s, d, count, merge)
        else:
            one_tap(a, row[start:], s, count, merge)
            for e in range(1, k):
                one_tap(a, row[start + e * d:], s, count, True)

    return fold, one_tap


#: fold one window row into the output row: the maximum (NaN wins) ...
_max_window_row, _max_row_pass = _window_row_fold(max_or_nan, -np.inf)
#: ... and the float64 sum of the in-bounds taps
_sum_window_row, _ = _window_row_fold(_add, 0.0)


# --------------------------------------------------------------------------- max
@njit(**_INLINE)
def _first_positive_zero(plane, od, oh, ow, k, s, p, d):
    """Flat index of the first ``+0`` of window (od, oh, ow) of ``plane`` (D, H, W) in
    row-major window order, or -1."""
    D, H, W = plane.shape
    for a in range(k[0]):
        iz = od * s[0] - p[0] + a * d[0]
        if iz < 0 or iz >= D:
            continue
        for b in range(k[1]):
            iy = oh * s[1] - p[1] + b * d[1]
            if iy < 0 or iy >= H:
                continue
            for e in range(k[2]):
                ix = ow * s[2] - p[2] + e * d[2]
                if 0 <= ix < W:
                    v = plane[iz, iy, ix]
                    if v == 0.0 and not np.signbit(v):
                        return (iz * H + iy) * W + ix
    return -1


@njit(**_INLINE)
def _repair_zeros(plane, acc, best, od, oh, k, s, p, d, with_index):
    """The signed-zero rule after a fold with :func:`max_or_nan`: a ``-0`` maximum
    whose window holds a ``+0`` becomes ``+0`` (and its index the first ``+0``'s)."""
    OW = acc.shape[0]
    if not any_zero(acc, OW):
        return
    for j in range(OW):
        if is_negative_zero(acc[j]):
            where = _first_positive_zero(plane, od, oh, j, k, s, p, d)
            if where >= 0:
                acc[j] = 0.0
                if with_index:
                    best[j] = where


@njit(**_INLINE)
def _argmax_pass(acc, best, row, lo, hi, s, off, base):
    # Branch-free select (vectorisable): a tap replaces the running maximum when it
    # is larger or NaN, or when the window has no in-bounds tap yet (best < 0).
    for j in range(lo, hi):
        col = j * s + off
        v = row[col]
        a = acc[j]
        b = best[j]
        take = (v > a) | (v != v) | (b < 0)
        acc[j] = v if take else a
        best[j] = base + col if take else b


@njit(**_INLINE)
def _has_nan(row, count):
    z = False
    for j in range(count):
        z |= row[j] != row[j]
    return z


@njit(**_INLINE)
def _max_rows_then_taps(acc, col, x, n, c, od, oh, k, s, p, d):
    """Windows of three or more rows: the rows are folded column by column into
    ``col`` (contiguous passes), then ``col``'s window taps into ``acc``.  Twice as
    fast as folding every window row's taps (k3 s2: one strided pass instead of
    three).  Returns False, leaving ``acc`` to the caller, when the window holds no
    row or ``col`` holds a NaN: which NaN wins depends on the visiting order, and
    the row-major order is the rule (docs/numerics.rst)."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    merge = False
    for a in range(k[0]):
        iz = od * s[0] - p[0] + a * d[0]
        if iz < 0 or iz >= D:
            continue
        for b in range(k[1]):
            iy = oh * s[1] - p[1] + b * d[1]
            if iy < 0 or iy >= H:
                continue
            row = x[n, c, iz, iy]
            if merge:
                max_into(col, row, W)
            else:
                for w in range(W):
                    col[w] = row[w]
            merge = True
    if not merge or _has_nan(col, W):
        return False
    _max_window_row(acc, col, k[2], s[2], p[2], d[2], False)
    return True


@njit(**_PARALLEL)
def _max_pool_kernel(x, out, k, s, p, d, colbuf):
    N, C, D, H, W = x.shape
    OD, OH = out.shape[2], out.shape[3]
    rows = N * C * OD * OH
    chunks = colbuf.shape[0]
    by_columns = k[0] * k[1] >= 3
    for chunk in prange(chunks):
        col = colbuf[chunk]
        first = chunk * rows // chunks
        n, c, od, oh = unravel_row(first, C, OD, OH)
        for r in range(first, (chunk + 1) * rows // chunks):
            if r > first:
                n, c, od, oh = next_row(n, c, od, oh, C, OD, OH)
            acc = out[n, c, od, oh]
            if not (by_columns and _max_rows_then_taps(acc, col, x, n, c, od, oh, k, s, p, d)):
                merge = False
                for a in range(k[0]):
                    iz = od * s[0] - p[0] + a * d[0]
                    if iz < 0 or iz >= D:
                        continue
                    for b in range(k[1]):
                        iy = oh * s[1] - p[1] + b * d[1]
                        if iy < 0 or iy >= H:
                            continue
                        _max_window_row(acc, x[n, c, iz, iy], k[2], s[2], p[2], d[2], merge)
                        merge = True
                if not merge:      # the window holds no input element (dilation only)
                    acc[:] = -np.inf
            _repair_zeros(x[n, c], acc, acc, od, oh, k, s, p, d, False)


@njit(**_PARALLEL)
def _max_pool_indices_kernel(x, out, idx, k, s, p, d):
    # Taps are visited in row-major window order, so "larger or NaN replaces,
    # starting from the first in-bounds tap" reproduces PyTorch's selection.
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    for r in prange(N * C * OD * OH):
        n, c, od, oh = unravel_row(r, C, OD, OH)
        acc = out[n, c, od, oh]
        best = idx[n, c, od, oh]
        acc[:] = -np.inf
        best[:] = -1
        for a in range(k[0]):
            iz = od * s[0] - p[0] + a * d[0]
            if iz < 0 or iz >= D:
                continue
            for b in range(k[1]):
                iy = oh * s[1] - p[1] + b * d[1]
                if iy < 0 or iy >= H:
                    continue
                row = x[n, c, iz, iy]
                base = (iz * H + iy) * W
                for e in range(k[2]):
                    off = e * d[2] - p[2]
                    lo, hi = tap_columns(off, s[2], W, OW)
                    if s[2] == 1:
                        _argmax_pass(acc, best, row, lo, hi, 1, off, base)
                    elif s[2] == 2:
                        _argmax_pass(acc, best, row, lo, hi, 2, off, base)
                    else:
                        _argmax_pass(acc, best, row, lo, hi, s[2], off, base)
        _repair_zeros(x[n, c], acc, best, od, oh, k, s, p, d, True)


# --------------------------------------------------------------------------- avg
@njit(**_PARALLEL)
def _avg_pool_kernel(x, out, k, s, p, d, fz, fy, fx, override, accbuf):
    # The window sums accumulate in a float64 scratch row per chunk (``accbuf``,
    # (chunks, OW)), then each is divided and rounded to the output dtype once:
    # float32 sums never overflow (the average of finite values is finite).
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    chunks = accbuf.shape[0]
    for chunk in prange(chunks):
        acc = accbuf[chunk]
        first = chunk * rows // chunks
        n, c, od, oh = unravel_row(first, C, OD, OH)
        for r in range(first, (chunk + 1) * rows // chunks):
            if r > first:
                n, c, od, oh = next_row(n, c, od, oh, C, OD, OH)
            merge = False
            for a in range(k[0]):
                iz = od * s[0] - p[0] + a * d[0]
                if iz < 0 or iz >= D:
                    continue
                for b in range(k[1]):
                    iy = oh * s[1] - p[1] + b * d[1]
                    if iy < 0 or iy >= H:
                        continue
                    _sum_window_row(acc, x[n, c, iz, iy], k[2], s[2], p[2], d[2], merge)
                    merge = True
            o = out[n, c, od, oh]
            if not merge:               # a window of padding only: the sum is 0
                for j in range(OW):
                    acc[j] = 0.0
            if override != 0:
                for j in range(OW):
                    o[j] = canonical(acc[j] / override)
            else:
                plane = fz[od] * fy[oh]
                for j in range(OW):
                    o[j] = canonical(acc[j] / (plane * fx[j]))


# --------------------------------------------------------------------------- lp
@njit(**_INLINE)
def _power(v, p):
    # ``v ** p`` as NumPy's np.power and PyTorch's pow compute it: C's pow, but a
    # square root for p = 0.5, which differs at v = -inf (NaN, where pow gives +inf)
    if p == 0.5:
        return np.sqrt(v)
    return v ** p


@njit(**_INLINE)
def _add_squares(acc, row, lo, hi, s, off):
    for j in range(lo, hi):
        v = np.float64(row[j * s + off])
        acc[j] += v * v


@njit(**_INLINE)
def _add_powers(acc, row, lo, hi, s, off, norm, absolute):
    for j in range(lo, hi):
        v = np.float64(row[j * s + off])
        acc[j] += _power(abs(v) if absolute else v, norm)


@njit(**_PARALLEL)
def _lp_pool_kernel(x, out, k, s, p, d, fz, fy, fx, norm, absolute, accbuf):
    # As the average pooling: one float64 accumulator per output pixel of a row
    # (``accbuf``, (chunks, OW)), one pass per window tap over the output columns
    # whose tap is inside the input, then the scaled root, rounded once.  p = 2, the
    # common case, squares by a multiplication (what pow computes for it) in a pass
    # LLVM vectorises at stride 1 and 2; other exponents call pow per tap.
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    chunks = accbuf.shape[0]
    inverse = 1.0 / norm
    square = norm == 2.0
    for chunk in prange(chunks):
        acc = accbuf[chunk]
        first = chunk * rows // chunks
        n, c, od, oh = unravel_row(first, C, OD, OH)
        for r in range(first, (chunk + 1) * rows // chunks):
            if r > first:
                n, c, od, oh = next_row(n, c, od, oh, C, OD, OH)
            for j in range(OW):
                acc[j] = 0.0
            for a in range(k[0]):
                iz = od * s[0] - p[0] + a * d[0]
                if iz < 0 or iz >= D:
                    continue
                for b in range(k[1]):
                    iy = oh * s[1] - p[1] + b * d[1]
                    if iy < 0 or iy >= H:
                        continue
                    row = x[n, c, iz, iy]
                    for e in range(k[2]):
                        off = e * d[2] - p[2]
                        lo, hi = tap_columns(off, s[2], W, OW)
                        if not square:
                            _add_powers(acc, row, lo, hi, s[2], off, norm, absolute)
                        elif s[2] == 1:
                            _add_squares(acc, row, lo, hi, 1, off)
                        elif s[2] == 2:
                            _add_squares(acc, row, lo, hi, 2, off)
                        else:
                            _add_squares(acc, row, lo, hi, s[2], off)
            o = out[n, c, od, oh]
            plane = fz[od] * fy[oh]
            for j in range(OW):
                o[j] = canonical(_power(acc[j] * (plane * fx[j]), inverse))


# --------------------------------------------------------------------------- adaptive
# Adaptive windows have variable width, so the kernels first reduce the window's
# rows into one column buffer (vectorised across columns), then reduce each
# output's column segment.  The column buffers are preallocated by the caller,
# one per work chunk, so the kernels allocate nothing.

@njit(**_PARALLEL)
def _adaptive_avg_kernel(x, out, zs, ze, ys, ye, xs, xe, colbuf):
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    chunks = colbuf.shape[0]
    for chunk in prange(chunks):
        col = colbuf[chunk]
        for r in range(chunk * rows // chunks, (chunk + 1) * rows // chunks):
            n, c, od, oh = unravel_row(r, C, OD, OH)
            col[:] = 0.0
            for iz in range(zs[od], ze[od]):
                for iy in range(ys[oh], ye[oh]):
                    row = x[n, c, iz, iy]
                    for w in range(W):
                        col[w] += row[w]
            count = (ze[od] - zs[od]) * (ye[oh] - ys[oh])
            o = out[n, c, od, oh]
            for j in range(OW):
                total = 0.0
                for w in range(xs[j], xe[j]):
                    total += col[w]
                o[j] = canonical(total / (count * (xe[j] - xs[j])))


@njit(**_PARALLEL)
def _adaptive_max_kernel(x, out, zs, ze, ys, ye, xs, xe, colbuf):
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    chunks = colbuf.shape[0]
    for chunk in prange(chunks):
        col = colbuf[chunk]
        for r in range(chunk * rows // chunks, (chunk + 1) * rows // chunks):
            n, c, od, oh = unravel_row(r, C, OD, OH)
            col[:] = -np.inf
            for iz in range(zs[od], ze[od]):
                for iy in range(ys[oh], ye[oh]):
                    _max_row_pass(col, x[n, c, iz, iy], 1, W, True)
            o = out[n, c, od, oh]
            for j in range(OW):
                best = col[xs[j]]
                for w in range(xs[j] + 1, xe[j]):
                    best = max_or_nan(best, col[w])
                if best != best or best == 0.0:
                    # the column maxima cannot tell which NaN is last in row-major
                    # window order, nor whether a -0 maximum has a +0 beside it:
                    # rescan the window with the selection rule (rare)
                    best = -np.inf
                    for iz in range(zs[od], ze[od]):
                        for iy in range(ys[oh], ye[oh]):
                            row = x[n, c, iz, iy]
                            for w in range(xs[j], xe[j]):
                                if replaces(best, row[w]):
                                    best = row[w]
                o[j] = best


@njit(**_PARALLEL)
def _adaptive_max_indices_kernel(x, out, idx, zs, ze, ys, ye, xs, xe, colbuf, colrow):
    # Column pass: per column, PyTorch's scan over the window rows in order gives
    # the first maximum (a +0 beating -0s), or the last NaN, and its row key
    # (iz*H + iy).  Segment pass: across columns, the row-major scan of the whole
    # window picks the last NaN (largest row key, then largest column) if any,
    # otherwise the first maximum (smallest row key, then smallest column; a +0
    # before every -0).
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    chunks = colbuf.shape[0]
    for chunk in prange(chunks):
        col = colbuf[chunk]
        key = colrow[chunk]
        for r in range(chunk * rows // chunks, (chunk + 1) * rows // chunks):
            n, c, od, oh = unravel_row(r, C, OD, OH)
            first = zs[od] * H + ys[oh]
            for w in range(W):
                col[w] = -np.inf
                key[w] = first
            for iz in range(zs[od], ze[od]):
                for iy in range(ys[oh], ye[oh]):
                    row = x[n, c, iz, iy]
                    rk = iz * H + iy
                    for w in range(W):
                        v = row[w]
                        if replaces(col[w], v):
                            col[w] = v
                            key[w] = rk
            o = out[n, c, od, oh]
            ix = idx[n, c, od, oh]
            for j in range(OW):
                bw = xs[j]
                bv = col[bw]
                for w in range(xs[j] + 1, xe[j]):
                    v = col[w]
                    if v != v:
                        if bv == bv or key[w] >= key[bw]:
                            bv = v
                            bw = w
                    elif bv == bv and (v > bv or (v == bv and (
                            replaces(bv, v)                 # +0 beats -0
                            or (np.signbit(v) == np.signbit(bv) and key[w] < key[bw])))):
                        bv = v
                        bw = w
                o[j] = bv
                ix[j] = key[bw] * W + bw


# --------------------------------------------------------------------------- entry points
def max_pool(x, out, spec):
    x5, out5 = as5d(x), as5d(out)
    colbuf = np.empty((_chunks(out5), x5.shape[4]), dtype=x5.dtype)
    _max_pool_kernel(x5, out5, *window3(spec), colbuf)


def max_pool_with_indices(x, out, indices, spec):
    _max_pool_indices_kernel(as5d(x), as5d(out), as5d(indices), *window3(spec))


# The per-axis tables below depend only on the (hashable) spec and shapes: cached,
# because a small call would spend more time computing them than in its kernel.
# The kernels only read them.
@functools.lru_cache(maxsize=1024)
def _avg_divisors(spec, count_include_pad):
    return divisors3(avg_divisor_factors(spec, count_include_pad))


@functools.lru_cache(maxsize=1024)
def _lp_divisors(spec):
    return divisors3(spec.scale_factors())


def avg_pool(x, out, spec, count_include_pad, divisor_override):
    k, s, p, d = window3(spec)
    fz, fy, fx = _avg_divisors(spec, count_include_pad)
    x5, out5 = as5d(x), as5d(out)
    accbuf = np.empty((_chunks(out5), out5.shape[4]), dtype=np.float64)
    _avg_pool_kernel(x5, out5, k, s, p, d, fz, fy, fx, float(divisor_override or 0), accbuf)


def lp_pool(x, out, spec):
    k, s, p, d = window3(spec.window)
    fz, fy, fx = _lp_divisors(spec)
    x5, out5 = as5d(x), as5d(out)
    accbuf = np.empty((_chunks(out5), out5.shape[4]), dtype=np.float64)
    _lp_pool_kernel(x5, out5, k, s, p, d, fz, fy, fx, spec.norm_type, spec.absolute,
                    accbuf)


def _adaptive_args(x5, out5):
    return _adaptive_bounds3(x5.shape[2:], out5.shape[2:])


@functools.lru_cache(maxsize=1024)
def _adaptive_bounds3(input_size, output_size):
    bounds = []
    for n, o in zip(input_size, output_size):
        bounds.extend(adaptive_bounds(n, o))
    return bounds


def _chunks(out5):
    rows = math.prod(out5.shape[:4])
    return work_chunks(rows)


def adaptive_avg_pool(x, out):
    x5, out5 = as5d(x), as5d(out)
    colbuf = np.empty((_chunks(out5), x5.shape[4]), dtype=np.float64)
    _adaptive_avg_kernel(x5, out5, *_adaptive_args(x5, out5), colbuf)


def adaptive_max_pool(x, out):
    x5, out5 = as5d(x), as5d(out)
    colbuf = np.empty((_chunks(out5), x5.shape[4]), dtype=x5.dtype)
    _adaptive_max_kernel(x5, out5, *_adaptive_args(x5, out5), colbuf)


def adaptive_max_pool_with_indices(x, out, indices):
    x5, out5 = as5d(x), as5d(out)
    chunks = _chunks(out5)
    colbuf = np.empty((chunks, x5.shape[4]), dtype=x5.dtype)
    colrow = np.empty((chunks, x5.shape[4]), dtype=np.int64)
    _adaptive_max_indices_kernel(x5, out5, as5d(indices), *_adaptive_args(x5, out5),
                                 colbuf, colrow)


# --------------------------------------------------------------------------- fractional
@njit(**_PARALLEL)
def _fractional_kernel(x, out, idx, want_index, sz, sy, sx, kd, kh, kw):
    # Windows start where the per-plane tables say (sz, sy, sx: (N, C, O*), PyTorch's
    # interval rule, computed on the host) and lie inside the input.  Each window is
    # scanned in row-major order from its first element with the selection rule of
    # max_pool (larger, NaN, or +0 over -0 replaces): scalar, the windows being
    # irregular; the scan costs k^2 loads per output, like PyTorch's.
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    for r in prange(N * C * OD * OH):
        n, c, od, oh = unravel_row(r, C, OD, OH)
        z0 = sz[n, c, od]
        y0 = sy[n, c, oh]
        plane = x[n, c]
        o = out[n, c, od, oh]
        for ow in range(OW):
            x0 = sx[n, c, ow]
            best = plane[z0, y0, x0]
            where = (z0 * H + y0) * W + x0
            for a in range(kd):
                for b in range(kh):
                    row = plane[z0 + a, y0 + b]
                    base = ((z0 + a) * H + y0 + b) * W
                    for e in range(kw):
                        v = row[x0 + e]
                        if replaces(best, v):
                            best = v
                            where = base + x0 + e
            o[ow] = best
            if want_index:
                idx[n, c, od, oh, ow] = where


def _fractional_args(x5, spec):
    """The per-axis start tables ``(N, C, O*)`` padded to three axes (zeros for the
    leading unit axes) and the kernel padded with ones."""
    n, c = x5.shape[:2]
    pad = 3 - len(spec.kernel)
    zero = np.zeros((n, c, 1), dtype=np.int64)
    starts = (zero,) * pad + tuple(np.ascontiguousarray(s, dtype=np.int64)
                                   for s in spec.starts)
    return starts + pad3(spec.kernel, 1)


def fractional_max_pool(x, out, spec):
    x5, o5 = as5d(x), as5d(out)
    dummy = as5d(np.empty((1,) * out.ndim, dtype=np.int64))
    _fractional_kernel(x5, o5, dummy, False, *_fractional_args(x5, spec))


def fractional_max_pool_with_indices(x, out, indices, spec):
    x5 = as5d(x)
    _fractional_kernel(x5, as5d(out), as5d(indices), True, *_fractional_args(x5, spec))
