"""CPU engine for interpolation: separable passes over output rows, in parallel.

Layout: every kernel sees 5-D arrays ``(N, C, D, H, W)`` (see
:mod:`refpool.engines._layout`).  The per-axis source indices and weights are
computed once per call on the host by :func:`refpool._args.interpolation_taps`
(the one place the coordinate formulas live for the CPU and CUDA engines) and
passed in as small ``(K, m)`` tables.

Work is split into chunks of consecutive output rows ``(n, c, od, oh)``, one
scratch row per chunk (preallocated here, so the kernels allocate nothing).
For each output row:

1. *vertical pass*: the input rows named by the D and H taps are combined into
   the scratch row (length W), one vectorised sweep per tap row;
2. *horizontal pass*: every output pixel of the row gathers its W taps from
   the scratch row, vectorised across output pixels.

The nearest modes skip the arithmetic: they gather straight from the source
row, and an output row whose source row equals the previous one's is a copy of
the previous output row.  Weights and the scratch row are float64, so float32
results are the float64 sum rounded once (within an ulp or two of the
reference); the work is bound by memory traffic, not by the arithmetic.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from ..._args import interpolation_taps
from .._layout import SPATIAL, as5d

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off
_INLINE = dict(inline="always", cache=True, nogil=True)


@njit(**_INLINE)
def _unravel_row(r, C, OD, OH):
    oh = r % OH
    q = r // OH
    od = q % OD
    q = q // OD
    return q // C, q % C, od, oh


# --------------------------------------------------------------------------- passes
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


@njit(**_INLINE)
def _horizontal(o, src, xi, xw, xn, fixed):
    """o[j] = sum over the W taps of output j of weight * src[index]."""
    OW = o.shape[0]
    K = xi.shape[0]
    if fixed and K == 2:
        i0, i1 = xi[0], xi[1]
        w0, w1 = xw[0], xw[1]
        for j in range(OW):
            o[j] = w0[j] * src[i0[j]] + w1[j] * src[i1[j]]
    elif fixed and K == 4:
        i0, i1, i2, i3 = xi[0], xi[1], xi[2], xi[3]
        w0, w1, w2, w3 = xw[0], xw[1], xw[2], xw[3]
        for j in range(OW):
            o[j] = (w0[j] * src[i0[j]] + w1[j] * src[i1[j]]) + \
                   (w2[j] * src[i2[j]] + w3[j] * src[i3[j]])
    elif fixed:
        i0 = xi[0]
        w0 = xw[0]
        for j in range(OW):
            o[j] = w0[j] * src[i0[j]]
        for k in range(1, K):
            ik = xi[k]
            wk = xw[k]
            for j in range(OW):
                o[j] = o[j] + wk[j] * src[ik[j]]
    else:
        # variable tap counts (antialiasing): taps past count[j] are skipped,
        # never multiplied (0 * inf would be NaN); their index is a valid 0
        i0 = xi[0]
        w0 = xw[0]
        for j in range(OW):
            o[j] = w0[j] * src[i0[j]] if xn[j] > 0 else 0.0
        for k in range(1, K):
            ik = xi[k]
            wk = xw[k]
            for j in range(OW):
                v = o[j] + wk[j] * src[ik[j]]
                o[j] = v if k < xn[j] else o[j]


@njit(**_INLINE)
def _horizontal_acc(o, acc, src, xi, xw, xn, fixed):
    """As :func:`_horizontal` into the float64 ``acc``, then rounded into ``o``."""
    _horizontal(acc, src, xi, xw, xn, fixed)
    for j in range(o.shape[0]):
        o[j] = acc[j]


# --------------------------------------------------------------------------- kernels
@njit(**_PARALLEL)
def _resample_kernel(x, out, zi, zw, zn, yi, yw, yn, xi, xw, xn, fixed, tmpbuf, accbuf):
    N, C, D, H, W = x.shape
    OD, OH = out.shape[2], out.shape[3]
    rows = N * C * OD * OH
    chunks = tmpbuf.shape[0]
    for chunk in prange(chunks):
        tmp = tmpbuf[chunk]
        acc = accbuf[chunk]
        for r in range((chunk * rows) // chunks, ((chunk + 1) * rows) // chunks):
            n, c, od, oh = _unravel_row(r, C, OD, OH)
            _vertical(tmp, x, n, c, od, oh, zi, zw, zn, yi, yw, yn)
            _horizontal_acc(out[n, c, od, oh], acc, tmp, xi, xw, xn, fixed)


@njit(**_PARALLEL)
def _nearest_kernel(x, out, zi, yi, xi, chunks):
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    rows = N * C * OD * OH
    ix = xi[0]
    for chunk in prange(chunks):
        start = (chunk * rows) // chunks
        for r in range(start, ((chunk + 1) * rows) // chunks):
            n, c, od, oh = _unravel_row(r, C, OD, OH)
            o = out[n, c, od, oh]
            iz = zi[0, od]
            iy = yi[0, oh]
            if r > start:
                pn, pc, pd, ph = _unravel_row(r - 1, C, OD, OH)
                if pn == n and pc == c and zi[0, pd] == iz and yi[0, ph] == iy:
                    p = out[pn, pc, pd, ph]
                    for j in range(OW):       # same source row: copy the output row
                        o[j] = p[j]
                    continue
            src = x[n, c, iz, iy]
            for j in range(OW):
                o[j] = src[ix[j]]


# --------------------------------------------------------------------------- entry points
def _tables(x, spec, kind):
    """Per-axis (index, weight, count) tables of the three 5-D axes, as (K, m)."""
    dtype = np.dtype(x.dtype)
    tables = []
    missing = SPATIAL - len(spec.input_size)
    for _ in range(missing):
        tables.append((np.zeros((1, 1), np.int64), np.ones((1, 1)), np.ones(1, np.int64),
                       True))
    for n, m, r in zip(spec.input_size, spec.output_size, spec.scale):
        t = interpolation_taps(kind, n, m, r, spec.align_corners, spec.antialias, dtype,
                               spec.nearest_rule)
        fixed = bool(np.all(t.count == t.index.shape[1]))
        tables.append((np.ascontiguousarray(t.index.T), np.ascontiguousarray(t.weight.T),
                       t.count, fixed))
    return tables


def _chunks(out5):
    rows = int(np.prod(out5.shape[:4]))
    return max(1, min(rows, 8 * numba.get_num_threads()))


def nearest(x, out, spec):
    kind = spec.mode
    x5, out5 = as5d(x), as5d(out)
    (zi, _, _, _), (yi, _, _, _), (xi, _, _, _) = _tables(x, spec, kind)
    _nearest_kernel(x5, out5, zi, yi, xi, _chunks(out5))


def _resample(x, out, spec, kind):
    x5, out5 = as5d(x), as5d(out)
    (zi, zw, zn, _), (yi, yw, yn, _), (xi, xw, xn, fixed) = _tables(x, spec, kind)
    chunks = _chunks(out5)
    tmpbuf = np.empty((chunks, x5.shape[4]), dtype=np.float64)
    accbuf = np.empty((chunks, out5.shape[4]), dtype=np.float64)
    _resample_kernel(x5, out5, zi, zw, zn, yi, yw, yn, xi, xw, xn, fixed, tmpbuf, accbuf)


def linear(x, out, spec):
    _resample(x, out, spec, "linear")


def cubic(x, out, spec):
    _resample(x, out, spec, "cubic")
