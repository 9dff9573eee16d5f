"""Reference engine for the shuffle family: plain NumPy index arithmetic.

Written to be read beside the formulas of :mod:`refpool.shuffle`: each function
builds, for every output element, the channel and the spatial position of the
input element it holds, and gathers them with one fancy-indexing read.  These
operators compute nothing, so there is no float64 arithmetic to do: values are
copied bit for bit (NaN payloads and signed zeros included) in the dtype the
engine is handed.

Arrays are ``(N, C, *spatial)`` with ``k`` spatial axes; ``factor`` is :math:`r`,
``block_first`` the ``DCR`` channel order (block index first).
"""

from __future__ import annotations

import numpy as np


def _block_index(offsets, r):
    """beta(j) = sum_a j_a r^(k-a): the row-major index of the sub-pixel offsets."""
    beta = 0
    for j in offsets:
        beta = beta * r + j
    return beta


def _block_offsets(beta, r, k):
    """The sub-pixel offsets (j_1, ..., j_k) of block index ``beta`` (its inverse)."""
    offsets = []
    for a in range(k):
        offsets.append((beta // r ** (k - 1 - a)) % r)
    return offsets


def _blocked_channel(c, beta, channels, blocks, block_first):
    """The channel holding sub-pixel ``beta`` of channel ``c``: ``beta*C + c`` (DCR)
    or ``c*R + beta`` (CRD), with ``C`` unblocked channels and ``R`` sub-pixels."""
    return beta * channels + c if block_first else c * blocks + beta


def shuffle(x, out, factor, block_first):
    # y[n, c, i*r + j] = x[n, channel(c, beta(j)), i], per spatial axis p = i*r + j
    _, channels, *size = out.shape
    k, r = len(size), int(factor)
    p = np.meshgrid(*(np.arange(m) for m in size), indexing="ij")      # output positions
    i = [pa // r for pa in p]
    j = [pa % r for pa in p]
    c = np.arange(channels).reshape((channels,) + (1,) * k)
    source = _blocked_channel(c, _block_index(j, r), channels, r ** k, block_first)
    out[...] = x[(slice(None), source) + tuple(i)]


def unshuffle(x, out, factor, block_first):
    # y[n, channel(c, beta(j)), i] = x[n, c, i*r + j]: each output channel o is
    # channel(c, beta) for one (c, beta), read back from o (the inverse of
    # _blocked_channel)
    _, channels, *size = x.shape
    k, r = len(size), int(factor)
    blocks = r ** k
    o = np.arange(out.shape[1]).reshape((-1,) + (1,) * k)             # output channels
    c, beta = ((o % channels, o // channels) if block_first else (o // blocks, o % blocks))
    j = _block_offsets(beta, r, k)
    i = np.meshgrid(*(np.arange(m) for m in out.shape[2:]), indexing="ij")
    position = tuple(ia * r + ja for ia, ja in zip(i, j))
    out[...] = x[(slice(None), c) + position]
