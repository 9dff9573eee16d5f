"""CUDA engine for the upfirdn family: one thread per output element, polyphase.

Arrays arrive as device arrays ``(N, C, *spatial)`` viewed as 5-D ``(N, C, D, H, W)``
and the weights as a 3-D float64 device array (unit leading axes, factor 1 and
padding 0 there).  Each thread decodes its output element and sums the taps that meet
real input samples with the CPU engine's own function
(:func:`refpool.engines._upfirdn.output_sum`), in float64.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .._layout import as5d, pad3
from .._upfirdn import output_sum, output_sum_circular
from ._launch import grid, output_element


@cuda.jit
def _upfirdn_kernel(x, out, g, ud, uh, uw, sd, sh, sw, pd, ph, pw, circ):
    n, c, od, oh, ow = output_element(out, out.shape[1])
    if n < 0:
        return
    if circ:                      # pad_type="circular"
        out[n, c, od, oh, ow] = output_sum_circular(x, g, n, c, od, oh, ow, ud, uh, uw, sd,
                                                    sh, sw, pd, ph, pw)
    else:
        out[n, c, od, oh, ow] = output_sum(x, g, n, c, od, oh, ow, ud, uh, uw, sd, sh, sw,
                                           pd, ph, pw)


# --------------------------------------------------------------------------- entry points
def upfirdn(x, out, weights, up, down, before, axis_taps=None, circular=False):
    # one thread per output over the whole kernel (axis_taps: the CPU engine's passes)
    w = np.ascontiguousarray(weights, dtype=np.float64)
    w = cuda.to_device(w.reshape((1,) * (3 - w.ndim) + w.shape))
    x5, o5 = as5d(x), as5d(out)
    blocks, threads = grid(o5.size)
    _upfirdn_kernel[blocks, threads](x5, o5, w, *pad3(up, 1), *pad3(down, 1),
                                     *pad3(before, 0), bool(circular))
