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

A separable filter (1-D taps on every axis) on float32 or float16 input runs instead as
one pass per axis (:func:`_upfirdn_axis_pass`, last axis first) through float64
intermediates, each pass the same polyphase walk on one axis.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._layout import as5d, pad3
from .._upfirdn import first_tap, output_sum
from ._rows import unravel_row

_PARALLEL = dict(parallel=True, cache=True, nogil=True)


@njit(**_PARALLEL)
def _upfirdn_kernel(x, out, g, ud, uh, uw, sd, sh, sw, pd, ph, pw):
    N, C = x.shape[0], x.shape[1]
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    for r in prange(N * C * OD * OH):
        n, c, od, oh = unravel_row(r, C, OD, OH)
        for ow in range(OW):
            out[n, c, od, oh, ow] = output_sum(x, g, n, c, od, oh, ow, ud, uh, uw,
                                               sd, sh, sw, pd, ph, pw)


@njit(**_PARALLEL)
def _upfirdn_axis_pass(x, out, taps, u, s, p):
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
            t, i = first_tap(o, s, p, u)
            acc[:] = 0.0
            while t < T and i < L:
                w = taps[t]
                for b in range(B):
                    acc[b] += w * x[a, i, b]
                t += u
                i += 1
            for b in range(B):
                out[a, o, b] = acc[b]


def _separable(x, out, axis_taps, up, down, before):
    """A separable call as one pass per spatial axis, last axis first, through float64
    intermediates: ``sum(T_b / up_b)`` multiply-adds per output instead of their
    product."""
    k = len(axis_taps)
    n, c = x.shape[:2]
    src = x
    for b in range(k - 1, -1, -1):
        shape = src.shape[:2 + b] + (out.shape[2 + b],) + src.shape[3 + b:]
        dst = out if b == 0 else np.empty(shape, np.float64)
        lead = n * c * int(np.prod(src.shape[2:2 + b], dtype=np.int64))
        trail = int(np.prod(src.shape[3 + b:], dtype=np.int64))
        _upfirdn_axis_pass(src.reshape(lead, src.shape[2 + b], trail),
                           dst.reshape(lead, shape[2 + b], trail), axis_taps[b],
                           up[b], down[b], before[b])
        src = dst


def _weights3(weights):
    """The k-D weights as a contiguous float64 (TD, TH, TW) array."""
    w = np.ascontiguousarray(weights, dtype=np.float64)
    return w.reshape((1,) * (3 - w.ndim) + w.shape)


# --------------------------------------------------------------------------- entry points
def upfirdn(x, out, weights, up, down, before, axis_taps=None):
    # Separable filters of 2-3 axes run as per-axis passes.  Only for float32/float16
    # input: a float64 intermediate cannot overflow there, whereas for float64 input a
    # pass could overflow where the whole kernel does not (taps 10 then 0.1 on 1e308).
    if (axis_taps is not None and len(axis_taps) > 1 and x.dtype.itemsize < 8
            and x.flags.c_contiguous and out.flags.c_contiguous):
        _separable(x, out, axis_taps, up, down, before)
        return
    _upfirdn_kernel(as5d(x), as5d(out), _weights3(weights), *pad3(up, 1), *pad3(down, 1),
                    *pad3(before, 0))
