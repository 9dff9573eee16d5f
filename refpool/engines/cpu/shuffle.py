"""CPU engine for the shuffle family: Numba kernels, parallel over output rows.

Layout: every kernel sees 5-D arrays ``(N, C, D, H, W)`` (see
:mod:`refpool.engines._layout`); a 1-D or 2-D call has factor 1 on its leading
unit axes, so one compiled kernel per dtype serves every rank.  ``prange`` runs
over the output rows ``(n, c, od, oh)``; inside a row each pass is a strided copy
between one input row and one output row:

* shuffle: the output row ``(od, oh)`` interleaves ``r`` input rows, one per
  sub-pixel offset ``jw`` (channel of block index ``((jd*rh + jh)*rw + jw)``):
  ``out[w*rw + jw] = row_jw[w]``;
* unshuffle: the output row of sub-pixel channel ``(jd, jh, jw)`` takes every
  ``rw``-th element of one input row: ``out[w] = row[w*rw + jw]``.

Elements are copied, never converted: the result is bitwise the input's elements.
"""

from __future__ import annotations

from numba import njit, prange

from .._layout import as5d, pad3
from ._rows import unravel_row

_PARALLEL = dict(parallel=True, cache=True, nogil=True)


@njit(**_PARALLEL)
def _shuffle_kernel(x, out, rd, rh, rw, block_first):
    N, C, OD, OH, OW = out.shape
    W = x.shape[4]
    blocks = rd * rh * rw
    for r in prange(N * C * OD * OH):
        n, c, od, oh = unravel_row(r, C, OD, OH)
        iz, jd = od // rd, od % rd
        iy, jh = oh // rh, oh % rh
        o = out[n, c, od, oh]
        for jw in range(rw):
            beta = (jd * rh + jh) * rw + jw
            channel = beta * C + c if block_first else c * blocks + beta
            row = x[n, channel, iz, iy]
            for w in range(W):
                o[w * rw + jw] = row[w]


@njit(**_PARALLEL)
def _unshuffle_kernel(x, out, rd, rh, rw, block_first):
    N, CO, OD, OH, OW = out.shape
    C = x.shape[1]
    blocks = rd * rh * rw
    for r in prange(N * CO * OD * OH):
        n, co, od, oh = unravel_row(r, CO, OD, OH)
        if block_first:
            beta, c = co // C, co % C
        else:
            c, beta = co // blocks, co % blocks
        jw = beta % rw
        jh = (beta // rw) % rh
        jd = beta // (rw * rh)
        row = x[n, c, od * rd + jd, oh * rh + jh]
        o = out[n, co, od, oh]
        for w in range(OW):
            o[w] = row[w * rw + jw]


def _factors(x, factor):
    """(rd, rh, rw): ``factor`` on the call's spatial axes, 1 on the unit axes."""
    return pad3((factor,) * (len(x.shape) - 2), 1)


# --------------------------------------------------------------------------- entry points
def shuffle(x, out, factor, block_first):
    _shuffle_kernel(as5d(x), as5d(out), *_factors(x, factor), bool(block_first))


def unshuffle(x, out, factor, block_first):
    _unshuffle_kernel(as5d(x), as5d(out), *_factors(x, factor), bool(block_first))
