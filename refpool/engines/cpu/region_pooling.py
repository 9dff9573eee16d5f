"""CPU engine for region pooling (``roi_pool``, ``roi_align``): Numba kernels, parallel
over (box, channel) planes.

The geometry arrives precomputed (:class:`refpool.region_pooling.RoiSpec`): the
clipped pixel range of every bin (``roi_pool``) and the per-axis bilinear taps of
every sample (``roi_align``), float64 tables bitwise equal to the reference engine's
own geometry.  A kernel walks one ``(box, channel)`` plane per ``prange`` iteration,
bin by bin in row-major order; ``roi_pool`` scans each bin with the selection rule
of every max-type kernel (:func:`refpool.engines.cpu._passes.replaces`), ``roi_align``
adds the bilinear terms of each sample in the reference's order (low row, low
column first; zero weights skipped) into a float64 accumulator and rounds once.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._passes import canonical, replaces

_PARALLEL = dict(parallel=True, cache=True, nogil=True)   # fastmath stays off


def _host(x):
    """A C-contiguous, aligned view of ``x`` (a copy only for other layouts), so that
    each kernel compiles once per dtype."""
    return np.require(x, requirements=("C", "A"))


# --------------------------------------------------------------------------- roi_pool
@njit(**_PARALLEL)
def _roi_pool_kernel(x, out, idx, want_idx, batch, hs, he, ws, we):
    K, C, OH, OW = out.shape
    W = x.shape[3]
    for t in prange(K * C):
        k = t // C
        c = t - k * C
        b = batch[k]
        for ph in range(OH):
            h0 = hs[k, ph]
            h1 = he[k, ph]
            for pw in range(OW):
                w0 = ws[k, pw]
                w1 = we[k, pw]
                best = x[b, c, 0, 0]            # a placeholder of x's dtype
                where = -1
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        v = x[b, c, h, w]
                        if where < 0 or replaces(best, v):
                            best = v
                            where = h * W + w
                if where < 0:                   # an empty bin is 0
                    out[k, c, ph, pw] = 0
                else:
                    out[k, c, ph, pw] = best
                if want_idx:
                    idx[k, c, ph, pw] = where


def _roi_pool(x, out, idx, want_idx, spec):
    hs, he = spec.pool_bins(0)
    ws, we = spec.pool_bins(1)
    _roi_pool_kernel(_host(x), out, idx, want_idx, spec.batch, hs, he, ws, we)


def roi_pool(x, out, spec):
    _roi_pool(x, out, np.empty((1, 1, 1, 1), np.int64), False, spec)


def roi_pool_with_indices(x, out, indices, spec):
    _roi_pool(x, out, indices, True, spec)


# --------------------------------------------------------------------------- roi_align
@njit(**_PARALLEL)
def _roi_align_kernel(x, out, use_max, batch, count,
                      gy, oy, ylo, yhi, wylo, wyhi, gx, ox, xlo, xhi, wxlo, wxhi):
    K, C, OH, OW = out.shape
    for t in prange(K * C):
        k = t // C
        c = t - k * C
        b = batch[k]
        for ph in range(OH):
            for pw in range(OW):
                total = 0.0
                best = 0.0
                first = True
                for iy in range(gy[k]):
                    ty = oy[k] + ph * gy[k] + iy
                    r0 = ylo[ty]
                    r1 = yhi[ty]
                    a0 = wylo[ty]
                    a1 = wyhi[ty]
                    for ix in range(gx[k]):
                        tx = ox[k] + pw * gx[k] + ix
                        c0 = xlo[tx]
                        c1 = xhi[tx]
                        b0 = wxlo[tx]
                        b1 = wxhi[tx]
                        v = 0.0
                        w = a0 * b0
                        if w != 0.0:
                            v += w * np.float64(x[b, c, r0, c0])
                        w = a0 * b1
                        if w != 0.0:
                            v += w * np.float64(x[b, c, r0, c1])
                        w = a1 * b0
                        if w != 0.0:
                            v += w * np.float64(x[b, c, r1, c0])
                        w = a1 * b1
                        if w != 0.0:
                            v += w * np.float64(x[b, c, r1, c1])
                        if use_max:
                            if first or v > best or v != v:
                                best = v
                            first = False
                        else:
                            total += v
                value = best if use_max else total / count[k]
                out[k, c, ph, pw] = canonical(value)


def roi_align(x, out, spec, reduction):
    ty, tx = spec.align_taps(0), spec.align_taps(1)
    _roi_align_kernel(_host(x), out, reduction == "max", spec.batch, spec.align_count(),
                      *ty, *tx)
