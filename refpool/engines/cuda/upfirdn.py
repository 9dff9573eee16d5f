"""CUDA engine for the upfirdn family: one thread per output element, polyphase.

Arrays arrive as device arrays ``(N, C, *spatial)`` viewed as 5-D ``(N, C, D, H, W)``
and the weights as a 3-D float64 device array (unit leading axes, factor 1 and
padding 0 there).  Each thread decodes its output element and sums the taps that meet
real input samples, exactly as the CPU engine (:mod:`refpool.engines.cpu.upfirdn`)
does, in float64.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .._layout import as5d, pad3
from ._launch import grid, output_element


@cuda.jit(device=True)
def _first(o, s, p, u):
    q = o * s - p
    r = (-q) % u
    if r < 0:                  # keep the mathematical modulus whatever the target's rule
        r += u
    t0 = max(-q, r)
    return t0, (q + t0) // u


@cuda.jit
def _upfirdn_kernel(x, out, g, ud, uh, uw, sd, sh, sw, pd, ph, pw):
    n, c, od, oh, ow = output_element(out, out.shape[1])
    if n < 0:
        return
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    TD, TH, TW = g.shape[0], g.shape[1], g.shape[2]
    td0, id0 = _first(od, sd, pd, ud)
    th0, ih0 = _first(oh, sh, ph, uh)
    tw0, iw0 = _first(ow, sw, pw, uw)
    acc = 0.0
    td, i_d = td0, id0
    while td < TD and i_d < D:
        th, ih = th0, ih0
        while th < TH and ih < H:
            tw, iw = tw0, iw0
            while tw < TW and iw < W:
                acc += g[td, th, tw] * x[n, c, i_d, ih, iw]
                tw += uw
                iw += 1
            th += uh
            ih += 1
        td += ud
        i_d += 1
    out[n, c, od, oh, ow] = acc


# --------------------------------------------------------------------------- entry points
def upfirdn(x, out, weights, up, down, before, axis_taps=None):
    # one thread per output over the whole kernel (axis_taps: the CPU engine's passes)
    w = np.ascontiguousarray(weights, dtype=np.float64)
    w = cuda.to_device(w.reshape((1,) * (3 - w.ndim) + w.shape))
    x5, o5 = as5d(x), as5d(out)
    blocks, threads = grid(o5.size)
    _upfirdn_kernel[blocks, threads](x5, o5, w, *pad3(up, 1), *pad3(down, 1),
                                     *pad3(before, 0))
