"""CPU engine for the field operators: Numba kernels, parallel over pixel segments.

The fields arrive as plain int64 arrays (``start``, ``size``, ``block`` per field,
see :class:`refpool._geometry.FieldTable`); the kernels never see a FieldType.

Pixelwise operators (``group_pool``, ``norm_pool``, ``induced_norm_pool`` and the
channel poolings ``channel_pool``, read from a table of input channels per output) view
the arrays as ``(N, C, R0, R1, P)``: when the spatial block of every ``(n, c)``
plane is contiguous (the usual case) as one row of all ``P`` pixels, otherwise as
the 5-D view of :mod:`refpool.engines._layout`.  A task is one segment of at most
``SEGMENT`` pixels of one row of one field; the loop over the field's channels is
outside and the loop over the segment's pixels inside, so every pass is a
vectorisable ``acc[j] = op(acc[j], row[j])``.  Norms accumulate squares in
float64, in channel order (bitwise the reference's); the float64 accumulators are
per-chunk scratch rows allocated before the kernel runs (``O(threads x SEGMENT)``).

``norm_max_pool`` parallelises over output rows ``(n, field, od, oh)``.  For each
input row its window reads, the field's squared norms of that row go into a
per-chunk scratch row (``W`` float64), then each tap along W is one branch-free
pass over the output columns that keeps the best squared norm and its position
(packed into one int64 with shifts), scanning the window in row-major order with
max_pool's rule; finally the positions are unpacked and the selected field vectors
copied.  Scratch is ``O(chunks x (W + OW))``: no full-size temporary.  (Tracking
three coordinates with branches instead ran about 3x slower on random data: the
"take" branch is unpredictable and the stores defeat vectorisation.)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .._layout import as5d, window3, work_chunks
from ._passes import any_zero, canonical, is_negative_zero, max_into, max_or_nan, tap_columns
from ._rows import unravel_row

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off
_INLINE = dict(inline="always", cache=True, nogil=True)

#: pixels per task of the pixelwise kernels (a float64 scratch row stays in L1/L2)
SEGMENT = 2048


@njit(**_INLINE)
def _unravel_task(t, F, R0, R1, nseg):
    q = t % nseg
    t //= nseg
    r1 = t % R1
    t //= R1
    r0 = t % R0
    t //= R0
    return t // F, t % F, r0, r1, q


# --------------------------------------------------------------------------- passes
# Every pass runs j over range(m) on views sliced to the segment: with a start of 0
# LLVM proves the indices non-negative (no wraparound check) and vectorises.

@njit(**_INLINE)
def _copy_into(acc, row, m):
    for j in range(m):
        acc[j] = row[j]


@njit(**_INLINE)
def _square_into(acc, row, m, first):
    # acc = row**2 (first) or acc + row**2, in float64
    if first:
        for j in range(m):
            v = np.float64(row[j])
            acc[j] = v * v
    else:
        for j in range(m):
            v = np.float64(row[j])
            acc[j] = acc[j] + v * v


@njit(**_INLINE)
def _fold_block(best, acc, row, m, has_acc, merge):
    # the block's squared norm is (acc +) row**2; best = it (first block) or max(best, it)
    if has_acc:
        if merge:
            for j in range(m):
                v = np.float64(row[j])
                best[j] = max_or_nan(best[j], acc[j] + v * v)
        else:
            for j in range(m):
                v = np.float64(row[j])
                best[j] = acc[j] + v * v
    else:
        if merge:
            for j in range(m):
                v = np.float64(row[j])
                best[j] = max_or_nan(best[j], v * v)
        else:
            for j in range(m):
                v = np.float64(row[j])
                best[j] = v * v


@njit(**_INLINE)
def _to_float64(acc, row, m):
    for j in range(m):
        acc[j] = np.float64(row[j])


@njit(**_INLINE)
def _add_into(acc, row, m):
    for j in range(m):
        acc[j] = acc[j] + np.float64(row[j])


@njit(**_INLINE)
def _mean_into(out, total, count, m):
    # one division in float64, one rounding to out's dtype, the default NaN
    for j in range(m):
        out[j] = canonical(total[j] / count)


@njit(**_INLINE)
def _sqrt_into(out, best, m):
    for j in range(m):
        out[j] = canonical(math.sqrt(best[j]))


# --------------------------------------------------------------------------- pixelwise
@njit(**_PARALLEL)
def _group_pool_kernel(x, out, start, size, seg):
    N, C, R0, R1, P = x.shape
    F = start.shape[0]
    nseg = (P + seg - 1) // seg
    for t in prange(N * F * R0 * R1 * nseg):
        n, f, r0, r1, q = _unravel_task(t, F, R0, R1, nseg)
        lo = q * seg
        hi = min(P, lo + seg)
        m = hi - lo
        acc = out[n, f, r0, r1][lo:hi]
        c0 = start[f]
        _copy_into(acc, x[n, c0, r0, r1][lo:hi], m)
        for c in range(c0 + 1, c0 + size[f]):
            max_into(acc, x[n, c, r0, r1][lo:hi], m)
        if any_zero(acc, m):
            # the signed-zero rule (docs/numerics.rst): a -0 maximum becomes +0 when a
            # channel holds +0, so the result does not depend on the channel order
            for j in range(m):
                if is_negative_zero(acc[j]):
                    for c in range(c0, c0 + size[f]):
                        v = x[n, c, r0, r1, lo + j]
                        if v == 0.0 and not np.signbit(v):
                            acc[j] = v
                            break


@njit(**_PARALLEL)
def _block_norm_kernel(x, out, start, size, block, acc_rows, best_rows, seg):
    # out[n, f, pixel] = sqrt(max over the field's blocks of the block's squared norm);
    # a block's squared norm is ((x_0**2 + x_1**2) + x_2**2) + ..., in float64
    N, C, R0, R1, P = x.shape
    F = start.shape[0]
    nseg = (P + seg - 1) // seg
    tasks = N * F * R0 * R1 * nseg
    chunks = acc_rows.shape[0]
    for chunk in prange(chunks):
        for t in range(chunk * tasks // chunks, (chunk + 1) * tasks // chunks):
            n, f, r0, r1, q = _unravel_task(t, F, R0, R1, nseg)
            lo = q * seg
            hi = min(P, lo + seg)
            m = hi - lo
            acc = acc_rows[chunk, :m]
            best = best_rows[chunk, :m]
            c0 = start[f]
            d = block[f]
            for b in range(size[f] // d):
                cb = c0 + b * d
                for c in range(d - 1):
                    _square_into(acc, x[n, cb + c, r0, r1][lo:hi], m, c == 0)
                _fold_block(best, acc, x[n, cb + d - 1, r0, r1][lo:hi], m, d > 1, b > 0)
            _sqrt_into(out[n, f, r0, r1][lo:hi], best, m)


@njit(**_PARALLEL)
def _channel_pool_kernel(x, out, table, average, sum_rows, seg):
    # out[n, o, pixel] = max (or mean) of x[n, table[o, j], pixel] over j, in j order.
    # One kernel for both reductions (one compilation per dtype and layout): the
    # maximum folds into the output row itself, the mean adds float64 rows in a
    # per-chunk scratch row and divides once.
    N, C, R0, R1, P = x.shape
    O = table.shape[0]
    K = table.shape[1]
    nseg = (P + seg - 1) // seg
    tasks = N * O * R0 * R1 * nseg
    chunks = sum_rows.shape[0]
    for chunk in prange(chunks):
        for t in range(chunk * tasks // chunks, (chunk + 1) * tasks // chunks):
            n, o, r0, r1, q = _unravel_task(t, O, R0, R1, nseg)
            lo = q * seg
            hi = min(P, lo + seg)
            m = hi - lo
            row = out[n, o, r0, r1][lo:hi]
            if average:
                total = sum_rows[chunk, :m]
                _to_float64(total, x[n, table[o, 0], r0, r1][lo:hi], m)
                for j in range(1, K):
                    _add_into(total, x[n, table[o, j], r0, r1][lo:hi], m)
                _mean_into(row, total, K, m)
                continue
            _copy_into(row, x[n, table[o, 0], r0, r1][lo:hi], m)
            for j in range(1, K):
                max_into(row, x[n, table[o, j], r0, r1][lo:hi], m)
            if any_zero(row, m):
                # the signed-zero rule, as in _group_pool_kernel: a -0 maximum becomes
                # +0 when one of the pooled channels holds +0
                for i in range(m):
                    if is_negative_zero(row[i]):
                        for j in range(K):
                            v = x[n, table[o, j], r0, r1, lo + i]
                            if v == 0.0 and not np.signbit(v):
                                row[i] = v
                                break


# --------------------------------------------------------------------------- norm max
@njit(**_INLINE)
def _select_pass(best, where, q, s, count, key):
    # One window tap for ``count`` output columns: column j reads q[j*s], the
    # position packed as ``key + j*s``.  Squared norms are >= 0 or NaN and best
    # starts at -1, so the first in-bounds tap always replaces; then "larger or NaN
    # replaces": max_pool's scan.  One packed position array (not three
    # coordinates) keeps the loop free of branches and vectorisable.
    for j in range(count):
        v = q[j * s]
        b = best[j]
        take = (v > b) | (v != v)
        best[j] = v if take else b
        where[j] = key + j * s if take else where[j]


@njit(**_PARALLEL)
def _norm_max_pool_kernel(x, out, start, size, k, s, p, d, shift_y, shift_z,
                          norm_rows, best_rows, where_rows):
    # Positions are packed as (z << shift_z) | (y << shift_y) | x (shifts from the
    # bit lengths of W and H), so unpacking needs no integer division.
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    F = start.shape[0]
    rows = N * F * OD * OH
    chunks = norm_rows.shape[0]
    mask_x = (1 << shift_y) - 1
    mask_y = (1 << (shift_z - shift_y)) - 1
    for chunk in prange(chunks):
        q = norm_rows[chunk]          # squared norms of one input row, (W,)
        best = best_rows[chunk]       # best squared norm per output column, (OW,)
        where = where_rows[chunk, 0]  # its packed position, -1: the window holds no input
        wz = where_rows[chunk, 1]
        wy = where_rows[chunk, 2]
        wx = where_rows[chunk, 3]
        for r in range(chunk * rows // chunks, (chunk + 1) * rows // chunks):
            n, f, od, oh = unravel_row(r, F, OD, OH)
            c0 = start[f]
            cs = size[f]
            for j in range(OW):
                best[j] = -1.0
                where[j] = -1
            # window rows in row-major order, and the taps along W in order in each
            for a in range(k[0]):
                iz = od * s[0] - p[0] + a * d[0]
                if iz < 0 or iz >= D:
                    continue
                for b in range(k[1]):
                    iy = oh * s[1] - p[1] + b * d[1]
                    if iy < 0 or iy >= H:
                        continue
                    for c in range(cs):
                        _square_into(q, x[n, c0 + c, iz, iy], W, c == 0)
                    row_key = (iz << shift_z) | (iy << shift_y)
                    for e in range(k[2]):
                        off = e * d[2] - p[2]
                        lo, hi = tap_columns(off, s[2], W, OW)
                        if hi <= lo:
                            continue
                        col = lo * s[2] + off
                        if s[2] == 1:
                            _select_pass(best[lo:hi], where[lo:hi], q[col:], 1, hi - lo,
                                         row_key + col)
                        elif s[2] == 2:
                            _select_pass(best[lo:hi], where[lo:hi], q[col:], 2, hi - lo,
                                         row_key + col)
                        else:
                            _select_pass(best[lo:hi], where[lo:hi], q[col:], s[2], hi - lo,
                                         row_key + col)
            for j in range(OW):
                w = where[j]
                wx[j] = w & mask_x
                wy[j] = (w >> shift_y) & mask_y
                wz[j] = w >> shift_z
            for c in range(c0, c0 + cs):
                o = out[n, c, od, oh]
                src = x[n, c]
                for j in range(OW):
                    o[j] = src[wz[j], wy[j], wx[j]] if where[j] >= 0 else 0.0


# --------------------------------------------------------------------------- entry points
def _spatially_contiguous(a):
    """Whether the spatial block of every (n, c) plane of ``a`` is C-contiguous."""
    step = a.itemsize
    for n, stride in zip(reversed(a.shape[2:]), reversed(a.strides[2:])):
        if n != 1 and stride != step:
            return False
        step *= n
    return True


def _flat_pixels(a):
    """``a`` of shape (N, C, *spatial), spatially contiguous, viewed as (N, C, 1, 1, P)."""
    pixels = int(np.prod(a.shape[2:]))
    return np.lib.stride_tricks.as_strided(
        a, (a.shape[0], a.shape[1], 1, 1, pixels),
        (a.strides[0], a.strides[1], 0, 0, a.itemsize), writeable=a.flags.writeable)


def _pixel_rows(x, out):
    """``x`` and ``out`` as matching 5-D views (N, C, R0, R1, P), no copy: one row of
    all pixels when the input's spatial blocks are contiguous (the output's always
    are), else the rows of :func:`as5d`."""
    if _spatially_contiguous(x):
        return _flat_pixels(x), _flat_pixels(out)
    return as5d(x), as5d(out)


def _segment(x5):
    return max(1, min(x5.shape[4], SEGMENT))


def _chunks(tasks):
    return work_chunks(tasks)


def group_pool(x, out, start, size):
    x5, o5 = _pixel_rows(x, out)
    _group_pool_kernel(x5, o5, start, size, _segment(x5))


def _block_norms(x, out, start, size, block):
    x5, o5 = _pixel_rows(x, out)
    seg = _segment(x5)
    n, _, r0, r1, pixels = x5.shape
    tasks = n * start.shape[0] * r0 * r1 * (-(-pixels // seg))
    chunks = _chunks(tasks)
    acc = np.empty((chunks, seg), dtype=np.float64)
    best = np.empty((chunks, seg), dtype=np.float64)
    _block_norm_kernel(x5, o5, start, size, block, acc, best, seg)


def norm_pool(x, out, start, size, block):
    _block_norms(x, out, start, size, block)


def induced_norm_pool(x, out, start, size, block):
    _block_norms(x, out, start, size, block)


def channel_pool(x, out, table, average):
    x5, o5 = _pixel_rows(x, out)
    seg = _segment(x5)
    n, _, r0, r1, pixels = x5.shape
    chunks = _chunks(n * table.shape[0] * r0 * r1 * (-(-pixels // seg)))
    # float64 sums only for the mean; the maximum needs no scratch
    sums = np.empty((chunks, seg if average else 1), dtype=np.float64)
    _channel_pool_kernel(x5, o5, np.ascontiguousarray(table, dtype=np.int64), bool(average),
                         sums, seg)


def norm_max_pool(x, out, start, size, spec):
    x5, o5 = as5d(x), as5d(out)
    rows = o5.shape[0] * start.shape[0] * o5.shape[2] * o5.shape[3]
    chunks = _chunks(rows)
    norms = np.empty((chunks, x5.shape[4]), dtype=np.float64)
    best = np.empty((chunks, o5.shape[4]), dtype=np.float64)
    where = np.empty((chunks, 4, o5.shape[4]), dtype=np.int64)
    # packed position (z << shift_z) | (y << shift_y) | x: the bit lengths of D, H and W
    # add up to at most log2(D*H*W) + 3 < 63 for any array that fits in memory
    shift_y = int(x5.shape[4]).bit_length()
    shift_z = shift_y + int(x5.shape[3]).bit_length()
    _norm_max_pool_kernel(x5, o5, start, size, *window3(spec), shift_y, shift_z, norms, best,
                          where)
