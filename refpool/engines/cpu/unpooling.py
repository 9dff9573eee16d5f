"""CPU engine for max unpooling: a Numba scatter, parallel over (plane, output block).

Layout: the input is seen as 5-D ``(N, C, D, H, W)`` (:mod:`refpool.engines._layout`),
the indices as ``(N*C, L)`` and the output as ``(N*C, P)`` (both C-contiguous, as the
public layer hands them over).

Determinism without locks: a task owns one contiguous block ``[lo, hi)`` of one
plane's output.  It zeroes the block, then scans all inputs of the plane in
row-major order and copies those whose index falls in the block, so each output
element is written by one thread only, in input order: the last input naming it
wins, as in the reference.  With at least as many planes as threads a task is a
whole plane; with fewer, planes are cut into blocks so every thread has work (each
block re-reads its plane's inputs, a small price beside the output it fills).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._layout import as5d, thread_count

_PARALLEL = dict(parallel=True, cache=True, nogil=True)

#: smallest output block worth a task of its own
_MIN_BLOCK = 4096


@njit(**_PARALLEL)
def _unpool_kernel(x, indices, out, channels, global_index, blocks):
    planes, plane_size = out.shape
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    for task in prange(planes * blocks):
        p = task // blocks
        b = task - p * blocks
        lo = b * plane_size // blocks
        hi = (b + 1) * plane_size // blocks
        row = out[p]
        for q in range(lo, hi):
            row[q] = 0
        n = p // channels
        c = p - n * channels
        shift = p * plane_size if global_index else 0
        ids = indices[p]
        i = 0
        for iz in range(D):
            for iy in range(H):
                for ix in range(W):
                    q = ids[i] - shift
                    if lo <= q < hi:
                        row[q] = x[n, c, iz, iy, ix]
                    i += 1


def _blocks(planes, plane_size):
    """Output blocks per plane: enough tasks for every thread, none tiny."""
    threads = thread_count()
    if planes >= threads:
        return 1
    wanted = -(-threads // planes)
    return max(1, min(wanted, plane_size // _MIN_BLOCK))


def max_unpool(x, indices, out, global_index):
    planes = x.shape[0] * x.shape[1]
    plane_size = int(np.prod(out.shape[2:]))
    flat_out = out.reshape(planes, plane_size)
    flat_indices = indices.reshape(planes, -1)
    _unpool_kernel(as5d(x), flat_indices, flat_out, x.shape[1], bool(global_index),
                   _blocks(planes, plane_size))
