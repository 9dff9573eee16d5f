"""CPU engine for the upfirdn family: a polyphase Numba kernel, parallel over output rows.

Layout: every array is seen as 5-D ``(N, C, D, H, W)`` and the weights as 3-D
``(TD, TH, TW)`` (see :mod:`refpool.engines._layout`): a 1-D or 2-D call has factor
1, padding 0 and one tap on its leading unit axes, so one compiled kernel per dtype
serves every rank.  ``prange`` runs over the output rows ``(n, c, od, oh)``.

Polyphase: output ``o`` of an axis meets the zero-inserted signal at upsampled
positions ``q + t`` with ``q = o s - p0``; only the taps with ``q + t`` a
non-negative multiple of ``u`` below ``n u`` meet real samples
(:mod:`refpool.engines._upfirdn`, shared with the CUDA engine).  The first is
``t0 = max(-q, (-q) mod u)``, on input ``(q + t0) / u``, and the others follow
every ``u`` taps on consecutive inputs, so the inserted zeros are never read nor
stored.  Sums are accumulated in float64 (the weights are float64) and rounded
once to the output dtype.

Along W the outputs of one polyphase phase (``o = r + k P``, ``P = u / gcd(u, s)``)
share their taps and read inputs at a constant stride: away from the borders each
phase is a vectorised FIR (the taps outside, the outputs inside, each output's sum
still taken tap by tap in order), the border outputs go through the scalar walk, and
the float64 row is rounded into the output in output order.  The sums, and their
order, are those of the scalar walk: the results are the same bits.

A separable filter (1-D taps on every axis) on float32 or float16 input runs instead
per axis, last axis first, through float64 intermediates: on 2 axes fused
(:func:`_separable2d`: per block of output rows, the W pass of the rows it reads into
a float64 scratch block that stays in cache, then the H pass from it, vectorised
over the row), on 3 axes one pass per axis (:func:`_upfirdn_axis_pass`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .._layout import as5d, pad3, thread_count
from .._upfirdn import (first_tap, first_tap_circular, output_sum, output_sum_circular,
                        wrap)
from ._rows import unravel_row

_PARALLEL = dict(parallel=True, cache=True, nogil=True)
_INLINE = dict(inline="always", cache=True, nogil=True)
_CALLED = dict(cache=True, nogil=True)    # compiled once per signature, not per call site


@njit(**_PARALLEL)
def _upfirdn_axis_pass(x, out, taps, u, s, p, circ):
    """One axis of a separable call: ``x`` seen as ``(A, L, B)`` (the axis in the
    middle, every axis before it in ``A``, every axis after it in ``B``), ``out`` as
    ``(A, M, B)``.  The same polyphase walk as :func:`_upfirdn_kernel` on one axis,
    vectorised over the contiguous ``B``; sums in float64, rounded once into ``out``."""
    A, L, B = x.shape
    M = out.shape[1]
    T = taps.shape[0]
    for a in prange(A):
        acc = np.empty(B, np.float64)
        for o in range(M):
            if circ:
                t, i = first_tap_circular(o, s, p, u)
            else:
                t, i = first_tap(o, s, p, u)
            acc[:] = 0.0
            while t < T and (circ or i < L):
                w = taps[t]
                j = wrap(i, L) if circ else i
                for b in range(B):
                    acc[b] += w * x[a, j, b]
                t += u
                i += 1
            for b in range(B):
                out[a, o, b] = acc[b]


# --------------------------------------------------------------------------- W polyphase
# Output ``o`` of an axis with up ``u`` and down ``s`` meets the zero-inserted signal at
# ``q = o s - p``; with ``P = u / gcd(u, s)`` and ``S = s / gcd(u, s)`` the outputs
# ``o = r + k P`` of one phase ``r`` share their first tap ``t_r = (-q_r) mod u`` and
# read consecutive inputs from ``i_r + k S`` on.  Away from the borders a phase is one
# FIR of constant strides: the taps outermost, the outputs ``k`` innermost (a
# vectorised loop, each output's taps still summed in order), the few border outputs
# through the scalar walk.  Rows are stored phase-major (slot ``r Kc + k``) and put
# back in output order by :func:`_store_row`.


@njit(**_INLINE)
def _phase(r, u, s, p, T, L, P, S, cnt, circ):
    """(first tap, first input, taps, interior [k0, k1)) of phase ``r``: outputs
    ``k`` in ``[k0, k1)`` read inputs ``i_r + k S + j``, ``j < taps``, all in ``[0, L)``."""
    q = r * s - p
    t = (-q) % u
    if t < 0:
        t += u
    i = (q + t) // u
    nt = (T - t + u - 1) // u if t < T else 0
    k0 = 0
    if i < 0:
        k0 = (-i + S - 1) // S
    last = L - nt - i                      # i + k S <= L - nt
    k1 = last // S + 1 if last >= 0 else 0
    k0 = min(k0, cnt)
    k1 = max(k0, min(k1, cnt))
    return t, i, nt, k0, k1


@njit(**_CALLED)
def _border_sum(xrow, g, o, u, s, p, circ):
    """The float64 sum of output ``o`` of one row: the polyphase walk, scalar."""
    L = xrow.shape[0]
    T = g.shape[0]
    if circ:
        t, i = first_tap_circular(o, s, p, u)
    else:
        t, i = first_tap(o, s, p, u)
    acc = 0.0
    while t < T and (circ or i < L):
        acc += g[t] * xrow[wrap(i, L) if circ else i]
        t += u
        i += 1
    return acc


@njit(**_CALLED)
def _fir(acc, xrow, g, t, u, nt, lo, hi, base, off, S):
    """``acc[base + k] += g[t + j u] * xrow[off + j + k S]`` for the taps ``j < nt`` in
    order and ``k`` in ``[lo, hi)``: four taps per sweep (each output's sum still
    left to right, one load and store of ``acc`` per four taps), loops from 0 over
    views (no negative-index wraparound to test) indexed with constant offsets, so
    they vectorise; a down factor with ``S > 1`` takes the plain strided loop (a literal
    ``S == 2`` branch vectorised too but cost 4 s more cold compile)."""
    n = hi - lo
    if n <= 0:
        return
    a = acc[base + lo:base + hi]
    j = 0
    while j + 4 <= nt and S == 1:
        w0, w1 = g[t + j * u], g[t + (j + 1) * u]
        w2, w3 = g[t + (j + 2) * u], g[t + (j + 3) * u]
        src = xrow[off + j + lo * S:]
        if S == 1:
            for k in range(n):
                a[k] = (a[k] + w0 * src[k] + w1 * src[k + 1] + w2 * src[k + 2]
                        + w3 * src[k + 3])
        j += 4
    while j < nt:
        w = g[t + j * u]
        src = xrow[off + j + lo * S:]
        if S == 1:
            for k in range(n):
                a[k] += w * src[k]
        else:
            for k in range(n):
                a[k] += w * src[S * k]
        j += 1


@njit(**_CALLED)
def _w_row(xrow, g, dst, u, s, p, P, S, Kc, OW, circ):
    """One row filtered along W into the float64 row ``dst`` (phase-major)."""
    L = xrow.shape[0]
    T = g.shape[0]
    for r in range(P):
        base = r * Kc
        cnt = (OW - r + P - 1) // P
        t, i, nt, k0, k1 = _phase(r, u, s, p, T, L, P, S, cnt, circ)
        for k in range(k0):
            dst[base + k] = _border_sum(xrow, g, r + k * P, u, s, p, circ)
        for k in range(k1, cnt):
            dst[base + k] = _border_sum(xrow, g, r + k * P, u, s, p, circ)
        for k in range(cnt, Kc):
            dst[base + k] = 0.0
        for k in range(k0, k1):
            dst[base + k] = 0.0
        _fir(dst, xrow, g, t, u, nt, k0, k1, base, i, S)


@njit(**_CALLED)
def _store_row(orow, acc, P, Kc):
    """``orow[r + k P] = acc[r Kc + k]``: a phase-major float64 row rounded once into
    the output row, in output order."""
    OW = orow.shape[0]
    if P == 1:
        for k in range(OW):
            orow[k] = acc[k]
    elif P == 2:
        h = OW // 2
        for k in range(h):
            orow[2 * k] = acc[k]
            orow[2 * k + 1] = acc[Kc + k]
        if OW % 2:
            orow[OW - 1] = acc[h]
    else:
        for r in range(P):
            for k in range((OW - r + P - 1) // P):
                orow[r + k * P] = acc[r * Kc + k]


def _w_geometry(u, s, ow):
    """(P, S, Kc): outputs per phase period, input step per period, slots per phase."""
    g = math.gcd(u, s)
    P = u // g
    return P, s // g, (ow + P - 1) // P


# --------------------------------------------------------------------------- fused 2-D
@njit(**_PARALLEL)
def _separable2d(x, out, gh, gw, uh, uw, sh, sw, ph, pw, P, S, Kc, BH, circ):
    """A separable 2-D call on ``x`` seen as ``(planes, H, W)``: per block of ``BH``
    output rows of a plane, the W pass of the input rows it needs into a float64
    scratch block (it stays in cache), then the H pass from it, vectorised over the
    row, each output rounded once.  The same sums, in the same order, as one pass per
    axis through a float64 intermediate (W first)."""
    NP, H = x.shape[0], x.shape[1]
    OH = out.shape[1]
    OW = out.shape[2]
    TH = gh.shape[0]
    nb = (OH + BH - 1) // BH
    Wt = P * Kc
    for job in prange(NP * nb):
        pl = job // nb
        oh0 = (job % nb) * BH
        oh1 = min(oh0 + BH, OH)
        # the input rows [lo, hi] the block reads (unwrapped when circular)
        lo = 1 << 62
        hi = -(1 << 62)
        for oh in range(oh0, oh1):
            if circ:
                t, i = first_tap_circular(oh, sh, ph, uh)
            else:
                t, i = first_tap(oh, sh, ph, uh)
            if t < TH:
                n = (TH - t + uh - 1) // uh
                lo = min(lo, i)
                hi = max(hi, i + n - 1)
        if not circ:
            hi = min(hi, H - 1)
        R = hi - lo + 1 if hi >= lo else 0
        tmp = np.empty((max(R, 1), Wt), np.float64)
        for rr in range(R):
            j = wrap(lo + rr, H) if circ else lo + rr
            _w_row(x[pl, j], gw, tmp[rr], uw, sw, pw, P, S, Kc, OW, circ)
        acc = np.empty(Wt, np.float64)
        for oh in range(oh0, oh1):
            if circ:
                t, i = first_tap_circular(oh, sh, ph, uh)
            else:
                t, i = first_tap(oh, sh, ph, uh)
            acc[:] = 0.0
            m = (TH - t + uh - 1) // uh if t < TH else 0
            if not circ:
                m = max(0, min(m, H - i))
            e = 0
            while e + 3 <= m:           # three taps per sweep, each sum left to right
                w0, w1, w2 = gh[t], gh[t + uh], gh[t + 2 * uh]
                r0, r1, r2 = tmp[i - lo], tmp[i - lo + 1], tmp[i - lo + 2]
                for b in range(Wt):
                    acc[b] = acc[b] + w0 * r0[b] + w1 * r1[b] + w2 * r2[b]
                t += 3 * uh
                i += 3
                e += 3
            while e < m:
                w = gh[t]
                trow = tmp[i - lo]
                for b in range(Wt):
                    acc[b] += w * trow[b]
                t += uh
                i += 1
                e += 1
            _store_row(out[pl, oh], acc, P, Kc)


# --------------------------------------------------------------------------- whole kernel

@njit(**_CALLED)
def _one(x, g, n, c, od, oh, ow, ud, uh, uw, sd, sh, sw, pd, ph, pw, circ):
    if circ:
        return output_sum_circular(x, g, n, c, od, oh, ow, ud, uh, uw, sd, sh, sw, pd,
                                   ph, pw)
    return output_sum(x, g, n, c, od, oh, ow, ud, uh, uw, sd, sh, sw, pd, ph, pw)


@njit(**_PARALLEL)
def _upfirdn_rows(x, out, g, ud, uh, uw, sd, sh, sw, pd, ph, pw, P, S, Kc, circ):
    """The whole-kernel path, one output row ``(n, c, od, oh)`` per iteration: each
    W phase's interior outputs as a vectorised FIR per tap row (taps in the order of
    :func:`output_sum`, each output's sum unchanged), its border outputs through
    :func:`output_sum`."""
    N, C = x.shape[0], x.shape[1]
    OD, OH = out.shape[2], out.shape[3]
    for row in prange(N * C * OD * OH):
        n, c, od, oh = unravel_row(row, C, OD, OH)
        _rows_one(x, out, g, n, c, od, oh, ud, uh, uw, sd, sh, sw, pd, ph, pw, P, S, Kc,
                  circ)


@njit(**_CALLED)
def _rows_one(x, out, g, n, c, od, oh, ud, uh, uw, sd, sh, sw, pd, ph, pw, P, S, Kc, circ):
    """Output row ``(n, c, od, oh)`` of :func:`_upfirdn_rows`."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    OW = out.shape[4]
    TD, TH, TW = g.shape[0], g.shape[1], g.shape[2]
    acc = np.empty(P * Kc, np.float64)
    if circ:
        td0, id0 = first_tap_circular(od, sd, pd, ud)
        th0, ih0 = first_tap_circular(oh, sh, ph, uh)
    else:
        td0, id0 = first_tap(od, sd, pd, ud)
        th0, ih0 = first_tap(oh, sh, ph, uh)
    for r in range(P):
        base = r * Kc
        cnt = (OW - r + P - 1) // P
        tw0, iw0, nt, k0, k1 = _phase(r, uw, sw, pw, TW, W, P, S, cnt, circ)
        for k in range(k0):
            acc[base + k] = _one(x, g, n, c, od, oh, r + k * P, ud, uh, uw, sd, sh,
                                 sw, pd, ph, pw, circ)
        for k in range(k1, cnt):
            acc[base + k] = _one(x, g, n, c, od, oh, r + k * P, ud, uh, uw, sd, sh,
                                 sw, pd, ph, pw, circ)
        for k in range(k0, k1):
            acc[base + k] = 0.0
        if k1 <= k0:
            continue
        td, i_d = td0, id0
        while td < TD and (circ or i_d < D):
            jd = wrap(i_d, D) if circ else i_d
            th, ih = th0, ih0
            while th < TH and (circ or ih < H):
                xrow = x[n, c, jd, wrap(ih, H) if circ else ih]
                _fir(acc, xrow, g[td, th], tw0, uw, nt, k0, k1, base, iw0, S)
                th += uh
                ih += 1
            td += ud
            i_d += 1
    _store_row(out[n, c, od, oh], acc, P, Kc)


def _separable(x, out, axis_taps, up, down, before, circ):
    """A separable call on C-contiguous arrays: on 2 axes the fused
    :func:`_separable2d`; on 3, one pass per spatial axis, last axis first, through
    float64 intermediates.  Either way ``sum(T_b / up_b)`` multiply-adds per output
    instead of their product."""
    k = len(axis_taps)
    n, c = x.shape[:2]
    if k == 2:
        h, w = x.shape[2:]
        oh, ow = out.shape[2:]
        P, S, Kc = _w_geometry(up[1], down[1], ow)
        bh = _block_rows(n * c, oh, P * Kc, len(axis_taps[0]), up[0], down[0])
        _separable2d(x.reshape(n * c, h, w), out.reshape(n * c, oh, ow), axis_taps[0],
                     axis_taps[1], up[0], up[1], down[0], down[1], before[0], before[1],
                     P, S, Kc, bh, circ)
        return
    src = x
    for b in range(k - 1, -1, -1):
        shape = src.shape[:2 + b] + (out.shape[2 + b],) + src.shape[3 + b:]
        dst = out if b == 0 else np.empty(shape, np.float64)
        lead = n * c * int(np.prod(src.shape[2:2 + b], dtype=np.int64))
        trail = int(np.prod(src.shape[3 + b:], dtype=np.int64))
        _upfirdn_axis_pass(src.reshape(lead, src.shape[2 + b], trail),
                           dst.reshape(lead, shape[2 + b], trail), axis_taps[b],
                           up[b], down[b], before[b], circ)
        src = dst


def _weights3(weights):
    """The k-D weights as a contiguous float64 (TD, TH, TW) array."""
    w = np.ascontiguousarray(weights, dtype=np.float64)
    return w.reshape((1,) * (3 - w.ndim) + w.shape)


def _block_rows(planes, oh, wt, th, uh, sh):
    """Output rows per block of :func:`_separable2d`: its float64 scratch (the input
    rows the block reads, ``wt`` wide) about 512 KiB, and enough blocks for the
    threads."""
    rows = max(8, (1 << 16) // max(wt, 1) - th // uh)
    bh = max(1, rows * uh // sh)
    threads = thread_count()
    while bh > 8 and planes * -(-oh // bh) < 4 * threads:
        bh //= 2
    return max(1, min(bh, oh))


# --------------------------------------------------------------------------- entry points
def upfirdn(x, out, weights, up, down, before, axis_taps=None, circular=False):
    # Separable filters of 2-3 axes run as per-axis passes.  Only for float32/float16
    # input: a float64 intermediate cannot overflow there, whereas for float64 input a
    # pass could overflow where the whole kernel does not (taps 10 then 0.1 on 1e308).
    circ = bool(circular)
    if (axis_taps is not None and len(axis_taps) > 1 and x.dtype.itemsize < 8
            and x.flags.c_contiguous and out.flags.c_contiguous):
        _separable(x, out, axis_taps, up, down, before, circ)
        return
    x5, o5 = as5d(x), as5d(out)
    uw, sw = pad3(up, 1)[2], pad3(down, 1)[2]
    P, S, Kc = _w_geometry(uw, sw, o5.shape[4])
    _upfirdn_rows(x5, o5, _weights3(weights), *pad3(up, 1), *pad3(down, 1),
                  *pad3(before, 0), P, S, Kc, circ)
