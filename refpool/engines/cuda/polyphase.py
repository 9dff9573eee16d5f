"""CUDA engine for the polyphase family: adaptive polyphase sampling.

Arrays arrive as device arrays ``(N, C, *spatial)`` viewed as 5-D.  One thread per
sample scans the phases with the CPU engine's own criterion
(:func:`refpool.engines._polyphase.criterion`, float64, the same summation order) and
records the winner; one thread per output element then copies (or places) it.  The
optional circular blur is this engine's upfirdn kernel, into a device scratch array.
The phases travel to and from the host (a few integers per sample).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .._layout import as5d, pad3
from .._polyphase import better, criterion
from ._launch import grid, output_element
from .upfirdn import upfirdn as _upfirdn


@cuda.jit
def _choose_kernel(z, phase, sd, sh, sw, OD, OH, OW, norm, fields, per_field):
    n = cuda.grid(1)
    if n >= z.shape[0]:
        return
    best = 0.0
    bd, bh, bw = 0, 0, 0
    first = True
    for pd in range(sd):
        for ph in range(sh):
            for pw in range(sw):
                value = criterion(z, n, pd, ph, pw, sd, sh, sw, OD, OH, OW, norm, fields,
                                  per_field)
                if better(value, best, first):
                    best = value
                    bd, bh, bw = pd, ph, pw
                    first = False
    phase[n, 0] = bd
    phase[n, 1] = bh
    phase[n, 2] = bw


@cuda.jit
def _select_kernel(z, out, phase, sd, sh, sw):
    n, c, od, oh, ow = output_element(out, out.shape[1])
    if n < 0:
        return
    out[n, c, od, oh, ow] = z[n, c, phase[n, 0] + od * sd, phase[n, 1] + oh * sh,
                              phase[n, 2] + ow * sw]


@cuda.jit
def _place_kernel(x, out, phase, sd, sh, sw):
    # one thread per output element: its input sample, or a zero
    n, c, d, h, w = output_element(out, out.shape[1])
    if n < 0:
        return
    rd, rh, rw = d - phase[n, 0], h - phase[n, 1], w - phase[n, 2]
    if rd >= 0 and rh >= 0 and rw >= 0 and rd % sd == 0 and rh % sh == 0 and rw % sw == 0:
        out[n, c, d, h, w] = x[n, c, rd // sd, rh // sh, rw // sw]
    else:
        out[n, c, d, h, w] = 0


def _fields(spec, channels):
    if spec.fields is None:
        return np.array([[c, c + 1] for c in range(channels)], np.int64).reshape(-1, 2), False
    return np.asarray(spec.fields, np.int64).reshape(-1, 2), True


def _blur(x, out, blur):
    # the whole kernel (no per-axis passes: axis_taps None), taps summed in the order of
    # the reference engine, so the engines choose from the same blurred values
    _upfirdn(x, out, blur.weights, blur.up, blur.down, blur.before, None, True)


# --------------------------------------------------------------------------- entry points
def aps_downsample(x, out, phase, spec):
    k = len(spec.stride)
    z = x
    if spec.blur is not None:
        z = cuda.device_array(x.shape, x.dtype)
        _blur(x, z, spec.blur)
    fields, per_field = _fields(spec, x.shape[1])
    z5, o5 = as5d(z), as5d(out)
    s = pad3(spec.stride, 1)
    p3 = cuda.to_device(np.zeros((x.shape[0], 3), np.int64))
    blocks, threads = grid(x.shape[0])
    _choose_kernel[blocks, threads](z5, p3, *s, o5.shape[2], o5.shape[3], o5.shape[4],
                                    float(spec.norm), cuda.to_device(fields), per_field)
    blocks, threads = grid(o5.size)
    _select_kernel[blocks, threads](z5, o5, p3, *s)
    phase[...] = p3.copy_to_host()[:, 3 - k:]


def aps_upsample(x, out, phase, spec):
    k = len(spec.stride)
    p3 = np.zeros((phase.shape[0], 3), np.int64)
    p3[:, 3 - k:] = phase
    target = out if spec.blur is None else cuda.device_array(out.shape, x.dtype)
    t5 = as5d(target)
    blocks, threads = grid(t5.size)
    _place_kernel[blocks, threads](as5d(x), t5, cuda.to_device(p3), *pad3(spec.stride, 1))
    if spec.blur is not None:
        _blur(target, out, spec.blur)
