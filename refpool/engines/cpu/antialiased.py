"""CPU engine for antialiased pooling: separable, strided, fused Numba kernels.

Layout: every kernel sees 5-D arrays ``(N, C, D, H, W)`` (see
:mod:`refpool.engines._layout`) and works on one output row ``(n, c, od, oh)``
at a time, in parallel over chunks of rows (``prange``).  Each chunk owns a few
scratch rows, preallocated here in the Python wrapper; the kernels allocate
nothing and never build a full-size intermediate.

Linear filters (``antialiased_avg_pool``, ``blur_pool``): the filter is
separable, so an output row is

1. a *vertical* pass: the weighted sum of the ``fz * fy`` input rows under the
   filter (rows outside the input are skipped for zero padding, mapped for
   reflect/replicate), folded in two rows per sweep and written into a scratch
   row at offset ``bx``, whose margins are then filled by the padding mode;
2. a *horizontal* pass evaluated only at the strided output columns,
   ``out[j] = sum_u gx[u] * row[j*sx + u]``.

Both passes sweep the taps in the outer loop and the pixels in the inner loop,
so the inner loops vectorise across pixels with ``fastmath`` off.

Antialiased max pooling is one fused pass: an output row needs the dense
(stride-1) max rows under its ``fz * fy`` blur taps.  Each dense row is the
max over its window's input rows (vertical), then over the window's columns
(horizontal, ``-inf`` outside the input), placed into a zero-padded scratch
row and immediately blurred horizontally at the output stride.  These blurred
dense rows are kept in a small per-chunk cache (one slot per blur tap, keyed
by plane and dense position), so consecutive output rows reuse them and each
dense row is computed about once.  The output row is the weighted sum of the
cached rows.

Calls with fewer than ``SERIAL_BELOW`` input + output elements run on the
calling thread alone: waking the worker threads costs more than such work.
"""

from __future__ import annotations

import contextlib

import numpy as np
from numba import njit, prange

from .._layout import as5d, pad3, thread_count, thread_count_functions
from ._passes import (any_nonfinite, any_zero, canonical_into, is_negative_zero, max_into,
                      max_or_nan)
from ._rows import next_row, unravel_row

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off
_INLINE = dict(inline="always", cache=True, nogil=True)
_CALLED = dict(cache=True, nogil=True)      # compiled once, called (not inlined)

#: FilterSpec.mode -> kernel code
_MODES = {"zero": 0, "reflect": 1, "replicate": 2, "circular": 3}


# --------------------------------------------------------------------------- helpers
@njit(**_INLINE)
def _source(i, n, mode):
    """Input index read at padded position ``i`` (-1: a zero)."""
    if 0 <= i < n:
        return i
    if mode == 0:
        return -1
    if mode == 1:                      # reflect, edge not repeated (|pad| < n)
        return -i if i < 0 else 2 * (n - 1) - i
    if mode == 3:                      # circular: any width
        r = i % n
        return r + n if r < 0 else r
    return 0 if i < 0 else n - 1       # replicate


@njit(**_INLINE)
def _axpy(dst, src, w, count, merge):
    """dst[j] = w*src[j] (merge False) or dst[j] += w*src[j]."""
    if merge:
        for j in range(count):
            dst[j] = dst[j] + w * src[j]
    else:
        for j in range(count):
            dst[j] = w * src[j]


@njit(**_INLINE)
def _axpy2(dst, a, b, wa, wb, count, merge):
    """dst[j] = wa*a[j] + wb*b[j] (merge False) or dst[j] += that: two rows per pass
    (three loads and a store for two rows; more inputs per pass vectorise worse)."""
    if merge:
        for j in range(count):
            dst[j] = dst[j] + (wa * a[j] + wb * b[j])
    else:
        for j in range(count):
            dst[j] = wa * a[j] + wb * b[j]


@njit(**_INLINE)
def _strided_taps(o, row, g, s, count):
    """o[j] = sum_u g[u] * row[j*s + u] for j < count; taps three at a time.

    Each pass reads ``a[j*s + t]`` for a constant ``t`` from one slice ``a``,
    the form LLVM turns into interleaved vector loads for constant ``s``.
    """
    f = g.shape[0]
    for u in range(0, f, 3):
        a = row[u:]
        w0 = g[u]
        left = f - u
        if left >= 3:
            w1 = g[u + 1]
            w2 = g[u + 2]
            if u == 0:
                for j in range(count):
                    k = j * s
                    o[j] = w0 * a[k] + w1 * a[k + 1] + w2 * a[k + 2]
            else:
                for j in range(count):
                    k = j * s
                    o[j] = o[j] + (w0 * a[k] + w1 * a[k + 1] + w2 * a[k + 2])
        elif left == 2:
            w1 = g[u + 1]
            if u == 0:
                for j in range(count):
                    k = j * s
                    o[j] = w0 * a[k] + w1 * a[k + 1]
            else:
                for j in range(count):
                    k = j * s
                    o[j] = o[j] + (w0 * a[k] + w1 * a[k + 1])
        else:
            if u == 0:
                for j in range(count):
                    o[j] = w0 * a[j * s]
            else:
                for j in range(count):
                    o[j] = o[j] + w0 * a[j * s]


@njit(**_CALLED)
def _horizontal(o, row, g, s):
    """Strided horizontal filter pass; strides 1 and 2 get constant-stride loops."""
    count = o.shape[0]
    if s == 1:
        _strided_taps(o, row, g, 1, count)
    elif s == 2:
        _strided_taps(o, row, g, 2, count)
    else:
        _strided_taps(o, row, g, s, count)


# --------------------------------------------------------------------------- linear
@njit(**_INLINE)
def _filter_row(o, row, x, n, c, od, oh, gz, gy, gx, s, b, mode):
    """Output row (n, c, od, oh) into ``o``, through the scratch row ``row``: the
    vertical pass, the horizontal padding, the horizontal pass.  The arithmetic is in
    the dtype of ``row`` and the weights (the input's, or float64 for a rescue)."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    fz, fy = gz.shape[0], gy.shape[0]
    width = row.shape[0]
    bx = b[2]
    body = row[bx:bx + W]
    # vertical pass: weighted sum of the input rows under the filter,
    # folded in two rows at a time
    merge = False
    pending = False
    pz = 0
    py = 0
    pw = gz[0]
    for a in range(fz):
        iz = _source(od * s[0] - b[0] + a, D, mode)
        if iz < 0:
            continue
        for e in range(fy):
            iy = _source(oh * s[1] - b[1] + e, H, mode)
            if iy < 0:
                continue
            w = gz[a] * gy[e]
            if pending:
                _axpy2(body, x[n, c, pz, py], x[n, c, iz, iy], pw, w, W, merge)
                merge = True
                pending = False
            else:
                pz = iz
                py = iy
                pw = w
                pending = True
    if pending:
        _axpy(body, x[n, c, pz, py], pw, W, merge)
        merge = True
    if not merge:                      # every filter row lies in zero padding
        body[:] = 0.0
    # horizontal padding of the scratch row
    for t in range(bx):
        i = _source(t - bx, W, mode)
        row[t] = 0.0 if i < 0 else body[i]
    for t in range(bx + W, width):
        i = _source(t - bx, W, mode)
        row[t] = 0.0 if i < 0 else body[i]
    # horizontal pass at the output columns only
    _horizontal(o, row, gx, s[2])


@njit(**_PARALLEL)
def _filter_kernel(x, out, gz, gy, gx, s, b, mode, scratch, rescue, gz64, gy64, gx64,
                   scratch64, out64):
    # ``rescue`` (float32 input): an output row with an infinity or a NaN is computed
    # again in float64 (``*64`` weights and scratch rows), so that a float32
    # overflow of a finite result never shows (docs/numerics.rst, "Overflow"); its
    # NaNs, like those of a float64 row, become the default NaN
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    chunks = scratch.shape[0]
    for chunk in prange(chunks):
        row = scratch[chunk]
        first = chunk * rows // chunks
        n, c, od, oh = unravel_row(first, C, OD, OH)
        for r in range(first, (chunk + 1) * rows // chunks):
            if r > first:
                n, c, od, oh = next_row(n, c, od, oh, C, OD, OH)
            o = out[n, c, od, oh]
            _filter_row(o, row, x, n, c, od, oh, gz, gy, gx, s, b, mode)
            if any_nonfinite(o, OW):
                if rescue:
                    _filter_row(out64[chunk], scratch64[chunk], x, n, c, od, oh, gz64, gy64,
                                gx64, s, b, mode)
                    canonical_into(o, out64[chunk], OW)
                else:
                    canonical_into(o, o, OW)


def _taps3(taps, dtype):
    return tuple(np.ascontiguousarray(t, dtype=dtype)
                 for t in (np.ones(1),) * (3 - len(taps)) + tuple(taps))


def _filter(x, out, taps, spec):
    x5, out5 = as5d(x), as5d(out)
    dtype = x5.dtype
    gz, gy, gx = _taps3(taps, dtype)
    s, b = pad3(spec.stride, 1), pad3(spec.before, 0)
    W, OW = x5.shape[4], out5.shape[4]
    width = max((OW - 1) * s[2] + gx.shape[0], b[2] + W)
    rescue = dtype != np.float64
    with _threads(x5.size + out5.size) as chunks:
        scratch = np.empty((chunks, width), dtype=dtype)
        # float64 rescue rows (float64 input computes in float64 already: no rescue,
        # and its own scratch rows stand in)
        scratch64 = np.empty((chunks, width)) if rescue else scratch
        out64 = np.empty((chunks, OW))
        _filter_kernel(x5, out5, gz, gy, gx, s, b, _MODES[spec.mode], scratch, rescue,
                       *_taps3(taps, np.float64), scratch64, out64)


def antialiased_avg_pool(x, out, taps, spec):
    _filter(x, out, taps, spec)


def blur_pool(x, out, taps, spec):
    _filter(x, out, taps, spec)


# --------------------------------------------------------------------------- max
@njit(**_INLINE)
def _max2(dst, a, b, count):
    for j in range(count):
        dst[j] = max_or_nan(a[j], b[j])


@njit(**_INLINE)
def _column_max(col, x, n, c, zz, yy, k, p, d, W):
    """col[w] = max over the window rows of dense row (zz, yy); -inf if none.

    The first two rows are combined in one pass, later rows folded in one by one.
    """
    D, H = x.shape[2], x.shape[3]
    found = 0
    fz = 0
    fy = 0
    for ta in range(k[0]):
        iz = zz - p[0] + ta * d[0]
        if iz < 0 or iz >= D:
            continue
        for tb in range(k[1]):
            iy = yy - p[1] + tb * d[1]
            if iy < 0 or iy >= H:
                continue
            if found == 0:
                fz = iz
                fy = iy
            elif found == 1:
                _max2(col, x[n, c, fz, fy], x[n, c, iz, iy], W)
            else:
                max_into(col, x[n, c, iz, iy], W)
            found += 1
    if found == 1:
        src = x[n, c, fz, fy]
        for w in range(W):
            col[w] = src[w]
    elif found == 0:
        for w in range(W):
            col[w] = -np.inf


@njit(**_INLINE)
def _row_max(dm, col, kx, px, dx, count, W):
    """dm[j] = max_e col[j - px + e*dx] over in-bounds taps (-inf if none), j < count.

    Columns whose every tap is inside the row take fused vector passes; the few
    border columns a scalar loop.
    """
    lo = min(px, count)
    hi = max(lo, min(count, W + px - (kx - 1) * dx))
    for j in range(lo):
        _row_max_border(dm, col, j, kx, px, dx, W)
    for j in range(hi, count):
        _row_max_border(dm, col, j, kx, px, dx, W)
    m = hi - lo
    if m <= 0:
        return
    dst = dm[lo:]
    a = col[lo - px:]
    if kx == 1:
        for j in range(m):
            dst[j] = a[j]
    elif kx == 2:
        b = col[lo - px + dx:]
        _max2(dst, a, b, m)
    elif kx == 3:
        b = col[lo - px + dx:]
        e = col[lo - px + 2 * dx:]
        for j in range(m):
            dst[j] = max_or_nan(max_or_nan(a[j], b[j]), e[j])
    else:
        b = col[lo - px + dx:]
        _max2(dst, a, b, m)
        for t in range(2, kx):
            max_into(dst, col[lo - px + t * dx:], m)


@njit(**_INLINE)
def _repair_dense_zeros(dm, x, n, c, zz, yy, k, p, d, count):
    """The signed-zero rule of max_pool in the dense row (zz, yy): a ``-0`` maximum
    whose window holds a ``+0`` becomes ``+0`` (the folds keep whichever zero comes
    first; this runs only when the row holds a zero)."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    for j in range(count):
        if not is_negative_zero(dm[j]):
            continue
        found = False
        for ta in range(k[0]):
            iz = zz - p[0] + ta * d[0]
            if iz < 0 or iz >= D:
                continue
            for tb in range(k[1]):
                iy = yy - p[1] + tb * d[1]
                if iy < 0 or iy >= H:
                    continue
                for tc in range(k[2]):
                    ix = j - p[2] + tc * d[2]
                    if 0 <= ix < W:
                        v = x[n, c, iz, iy, ix]
                        if v == 0.0 and not np.signbit(v):
                            found = True
        if found:
            dm[j] = 0.0


@njit(**_INLINE)
def _row_max_border(dm, col, j, kx, px, dx, W):
    v = -np.inf
    for e in range(kx):
        i = j - px + e * dx
        if 0 <= i < W:
            v = max_or_nan(v, col[i])
    dm[j] = v


@njit(**_INLINE)
def _dense_row(dm, col, x, n, c, zz, yy, k, p, d, count, W):
    """Dense max row (zz, yy) into ``dm[:count]``, with max_pool's selection rule."""
    _column_max(col, x, n, c, zz, yy, k, p, d, W)
    _row_max(dm, col, k[2], p[2], d[2], count, W)
    if any_zero(dm, count):
        _repair_dense_zeros(dm, x, n, c, zz, yy, k, p, d, count)


@njit(**_INLINE)
def _max_blur_row64(o64, b64, dm, mrow, col, x, n, c, od, oh, k, p, d, dense, gz64, gy64,
                    gx64, s, q, dense_cols):
    """Output row (n, c, od, oh) in float64, without the cache: each dense row under the
    blur (into ``dm``, a view of ``mrow``), blurred along W into ``b64``, summed into
    ``o64`` (zero when every blur tap lies in the zero padding)."""
    W = x.shape[4]
    OW = o64.shape[0]
    merge = False
    for a in range(gz64.shape[0]):
        zz = od * s[0] - q[0] + a
        if zz < 0 or zz >= dense[0]:
            continue
        for e in range(gy64.shape[0]):
            yy = oh * s[1] - q[1] + e
            if yy < 0 or yy >= dense[1]:
                continue
            _dense_row(dm, col, x, n, c, zz, yy, k, p, d, dense_cols, W)
            _horizontal(b64, mrow, gx64, s[2])
            _axpy(o64, b64, gz64[a] * gy64[e], OW, merge)
            merge = True
    if not merge:
        o64[:] = 0.0


@njit(**_PARALLEL)
def _max_blur_kernel(x, out, k, p, d, dense, gz, gy, gx, s, q, colbuf, mbuf, cache, keys,
                     rescue, gz64, gy64, gx64, blur64, out64):
    # ``rescue`` (float32 input): an output row with an infinity or a NaN is computed
    # again with float64 blurs (``*64``), so that a float32 overflow of a finite
    # result never shows (docs/numerics.rst, "Overflow"); the dense max values are
    # exact in any precision.  The NaNs of such a row, as of a float64 row, become
    # the default NaN.
    N, C, D, H, W = x.shape
    OD, OH = out.shape[2], out.shape[3]
    OW = out.shape[4]
    fz, fy = gz.shape[0], gy.shape[0]
    rows = N * C * OD * OH
    chunks, width = mbuf.shape
    qx = q[2]
    dense_cols = max(0, min(dense[2], width - qx))   # dense columns the blur reads
    for chunk in prange(chunks):
        col = colbuf[chunk]
        mrow = mbuf[chunk]
        slots = cache[chunk]
        key = keys[chunk]
        for t in range(width):             # zero padding of the dense row, set once
            mrow[t] = 0.0
        dm = mrow[qx:]
        for i in range(key.shape[0]):
            key[i, 0] = -1
        first = chunk * rows // chunks
        n, c, od, oh = unravel_row(first, C, OD, OH)
        for r in range(first, (chunk + 1) * rows // chunks):
            if r > first:
                n, c, od, oh = next_row(n, c, od, oh, C, OD, OH)
            plane = n * C + c
            o = out[n, c, od, oh]
            merge = False
            for a in range(fz):
                zz = od * s[0] - q[0] + a
                if zz < 0 or zz >= dense[0]:
                    continue                   # zero padding of the dense map
                for e in range(fy):
                    yy = oh * s[1] - q[1] + e
                    if yy < 0 or yy >= dense[1]:
                        continue
                    slot = (zz % fz) * fy + (yy % fy)
                    blurred = slots[slot]
                    if key[slot, 0] != plane or key[slot, 1] != zz or key[slot, 2] != yy:
                        # dense max row (zz, yy), then its horizontal blur at stride sx
                        _dense_row(dm, col, x, n, c, zz, yy, k, p, d, dense_cols, W)
                        _horizontal(blurred, mrow, gx, s[2])
                        key[slot, 0] = plane
                        key[slot, 1] = zz
                        key[slot, 2] = yy
                    _axpy(o, blurred, gz[a] * gy[e], OW, merge)
                    merge = True
            if not merge:
                o[:] = 0.0
            if any_nonfinite(o, OW):
                if rescue:
                    o64 = out64[chunk]
                    _max_blur_row64(o64, blur64[chunk], dm, mrow, col, x, n, c, od, oh, k, p,
                                    d, dense, gz64, gy64, gx64, s, q, dense_cols)
                    canonical_into(o, o64, OW)
                else:
                    canonical_into(o, o, OW)


def _wrapped(x, spec):
    """pad_type="circular" as the unpadded operator on the input wrapped by np.pad: by
    ``p + q`` before (the first blur tap reads the dense position ``-q``, whose window
    starts at ``-q - p``) and what the last output reaches after; then no max padding,
    no blur padding and the dense map of the wrapped input."""
    window, blur = spec.window, spec.blur
    before = [p + q for p, q in zip(window.padding, blur.before)]
    after = [max(0, (o - 1) * s + f - q - p + d * (k - 1) - n) for o, s, f, q, p, d, k, n in
             zip(blur.output_size, blur.stride, blur.size, blur.before, window.padding,
                 window.dilation, window.kernel, x.shape[2:])]
    padded = np.pad(x, [(0, 0), (0, 0)] + list(zip(before, after)), mode="wrap")
    dense = tuple(m - d * (k - 1) for m, d, k in
                  zip(padded.shape[2:], window.dilation, window.kernel))
    zeros = (0,) * len(dense)
    return padded, dense, zeros, zeros


def antialiased_max_pool(x, out, taps, spec):
    window = spec.window
    dense, p, q = spec.dense_size, window.padding, spec.blur.before
    if spec.blur.mode == "circular":
        x, dense, p, q = _wrapped(x, spec)
    x5, out5 = as5d(x), as5d(out)
    dtype = x5.dtype
    k, p = pad3(window.kernel, 1), pad3(p, 0)
    d = pad3(window.dilation, 1)
    dense = pad3(dense, 1)
    s, q = pad3(spec.blur.stride, 1), pad3(q, 0)
    gz, gy, gx = _taps3(taps, dtype)
    W, OW = x5.shape[4], out5.shape[4]
    slots = gz.shape[0] * gy.shape[0]
    rescue = dtype != np.float64
    with _threads(x5.size + out5.size) as chunks:
        colbuf = np.empty((chunks, W), dtype=dtype)
        mbuf = np.empty((chunks, (OW - 1) * s[2] + gx.shape[0]), dtype=dtype)
        cache = np.empty((chunks, slots, OW), dtype=dtype)
        keys = np.empty((chunks, slots, 3), dtype=np.int64)
        blur64 = np.empty((chunks, OW))
        out64 = np.empty((chunks, OW))
        _max_blur_kernel(x5, out5, k, p, d, dense, gz, gy, gx, s, q, colbuf, mbuf, cache,
                         keys, rescue, *_taps3(taps, np.float64), blur64, out64)


#: below this many input + output elements a call runs on the calling thread only:
#: waking the worker threads costs more than the work (and a lot more on a busy
#: machine)
SERIAL_BELOW = 1 << 15


@contextlib.contextmanager
def _threads(elements):
    """Thread budget of one call; yields the number of work chunks (each chunk owns
    its scratch rows): a few per thread for balance, one when the call is tiny."""
    if elements >= SERIAL_BELOW:
        yield 8 * thread_count()
        return
    get_threads, set_threads = thread_count_functions()
    previous = get_threads()
    set_threads(1)                     # thread-local in Numba
    try:
        yield 1
    finally:
        set_threads(previous)
