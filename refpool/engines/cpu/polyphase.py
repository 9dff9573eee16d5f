"""CPU engine for the polyphase family: adaptive polyphase sampling, Numba kernels.

Every array is seen as 5-D ``(N, C, D, H, W)`` (:mod:`refpool.engines._layout`): a
1-D or 2-D call has stride 1 on its leading unit axes.  ``prange`` runs over the
samples: each sample's criteria are float64 sums in the order of the reference
engine (field, then position in C order; a field's channels in order), so the two
engines choose the same phase; the chosen component is then copied.  The optional
circular blur is this engine's upfirdn kernel, into a scratch array of the input's
dtype.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._layout import as5d, pad3
from .._polyphase import better, criterion
from .upfirdn import upfirdn as _upfirdn

_PARALLEL = dict(parallel=True, cache=True, nogil=True)


@njit(**_PARALLEL)
def _aps_kernel(z, out, phase, sd, sh, sw, norm, fields, per_field):
    N = z.shape[0]
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    for n in prange(N):
        best = 0.0
        bd, bh, bw = 0, 0, 0
        first = True
        for pd in range(sd):
            for ph in range(sh):
                for pw in range(sw):
                    value = criterion(z, n, pd, ph, pw, sd, sh, sw, OD, OH, OW, norm,
                                      fields, per_field)
                    if better(value, best, first):
                        best = value
                        bd, bh, bw = pd, ph, pw
                        first = False
        phase[n, 0] = bd
        phase[n, 1] = bh
        phase[n, 2] = bw
        for c in range(out.shape[1]):
            for od in range(OD):
                for oh in range(OH):
                    for ow in range(OW):
                        out[n, c, od, oh, ow] = z[n, c, bd + od * sd, bh + oh * sh,
                                                  bw + ow * sw]


@njit(**_PARALLEL)
def _place_kernel(x, out, phase, sd, sh, sw):
    N, C = x.shape[0], x.shape[1]
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    for r in prange(N * C):
        n = r // C
        c = r - n * C
        o = out[n, c]
        o[...] = 0
        pd, ph, pw = phase[n, 0], phase[n, 1], phase[n, 2]
        for d in range(D):
            for h in range(H):
                for w in range(W):
                    o[pd + d * sd, ph + h * sh, pw + w * sw] = x[n, c, d, h, w]


def _fields(spec, channels):
    if spec.fields is None:
        return np.array([[c, c + 1] for c in range(channels)], np.int64).reshape(-1, 2), False
    return np.asarray(spec.fields, np.int64).reshape(-1, 2), True


def _phase3(phase, k):
    p = np.zeros((phase.shape[0], 3), np.int64)
    p[:, 3 - k:] = phase
    return p


def _blur(x, out, blur):
    # the whole kernel (no per-axis passes: axis_taps None), taps summed in the order of
    # the reference engine, so the engines choose from the same blurred values
    _upfirdn(x, out, blur.weights, blur.up, blur.down, blur.before, None, True)


# --------------------------------------------------------------------------- entry points
def aps_downsample(x, out, phase, spec):
    z = x
    if spec.blur is not None:
        z = np.empty(x.shape, x.dtype)
        _blur(x, z, spec.blur)
    fields, per_field = _fields(spec, x.shape[1])
    k = len(spec.stride)
    p3 = np.zeros((x.shape[0], 3), np.int64)
    _aps_kernel(as5d(z), as5d(out), p3, *pad3(spec.stride, 1), float(spec.norm), fields,
                per_field)
    phase[...] = p3[:, 3 - k:]


def aps_upsample(x, out, phase, spec):
    k = len(spec.stride)
    target = out if spec.blur is None else np.empty(out.shape, x.dtype)
    _place_kernel(as5d(x), as5d(target), _phase3(phase, k), *pad3(spec.stride, 1))
    if spec.blur is not None:
        _blur(target, out, spec.blur)
