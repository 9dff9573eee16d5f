"""CUDA engine for the shuffle family: one thread per output element.

Arrays arrive as device arrays ``(N, C, *spatial)`` and are viewed as 5-D
``(N, C, D, H, W)`` with factor 1 on the leading unit axes.  Each thread decodes
its output element (:func:`refpool.engines.cuda._launch.output_element`), finds
the input element it holds with the formulas of :mod:`refpool.shuffle`, and
copies it (no conversion: bitwise).
"""

from __future__ import annotations

from numba import cuda

from .._layout import as5d, pad3
from ._launch import grid, output_element


@cuda.jit
def _shuffle_kernel(x, out, rd, rh, rw, block_first):
    C = out.shape[1]
    n, c, od, oh, ow = output_element(out, C)
    if n < 0:
        return
    beta = ((od % rd) * rh + oh % rh) * rw + ow % rw
    if block_first:
        channel = beta * C + c
    else:
        channel = c * (rd * rh * rw) + beta
    out[n, c, od, oh, ow] = x[n, channel, od // rd, oh // rh, ow // rw]


@cuda.jit
def _unshuffle_kernel(x, out, rd, rh, rw, block_first):
    C = x.shape[1]
    n, co, od, oh, ow = output_element(out, out.shape[1])
    if n < 0:
        return
    blocks = rd * rh * rw
    if block_first:
        beta = co // C
        c = co % C
    else:
        c = co // blocks
        beta = co % blocks
    jw = beta % rw
    jh = (beta // rw) % rh
    jd = beta // (rw * rh)
    out[n, co, od, oh, ow] = x[n, c, od * rd + jd, oh * rh + jh, ow * rw + jw]


def _launch(kernel, x, out, factor, block_first):
    x5, o5 = as5d(x), as5d(out)
    rd, rh, rw = pad3((factor,) * (len(x.shape) - 2), 1)
    blocks, threads = grid(o5.size)
    kernel[blocks, threads](x5, o5, rd, rh, rw, bool(block_first))


# --------------------------------------------------------------------------- entry points
def shuffle(x, out, factor, block_first):
    _launch(_shuffle_kernel, x, out, factor, block_first)


def unshuffle(x, out, factor, block_first):
    _launch(_unshuffle_kernel, x, out, factor, block_first)
