"""CUDA engine for max unpooling: deterministic scatter in three launches.

The winner among inputs naming one output element is the last in row-major order,
as in the reference.  Threads race, so the order is rebuilt with an atomic maximum,
without scratch memory: the output itself, seen as integers of its own width (the
engines' output is float32 or float64), first holds the largest input position
naming each element.

1. one thread per output element: ``owner = -1``;
2. one thread per input element ``i`` of plane ``p``: ``atomic max(owner[p, q], i)``
   with ``q`` its plane-local index;
3. one thread per output element: ``y = x[p, owner]``, or 0 where ``owner < 0``.

Each output element is read and written by one thread in step 3, so the copy of
the winning input is exact (NaN payloads, signed zeros).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .._layout import as5d
from ._launch import grid


@cuda.jit
def _clear_owners(owner):
    t = cuda.grid(1)
    plane_size = owner.shape[1]
    if t >= owner.shape[0] * plane_size:
        return
    owner[t // plane_size, t % plane_size] = -1


@cuda.jit
def _claim(indices, owner, global_index):
    t = cuda.grid(1)
    inputs = indices.shape[1]
    if t >= indices.shape[0] * inputs:
        return
    p = t // inputs
    i = t % inputs
    plane_size = owner.shape[1]
    q = indices[p, i]
    if global_index:
        q -= p * plane_size
    cuda.atomic.max(owner, (p, q), i)


@cuda.jit
def _fill(x, owner, out):
    t = cuda.grid(1)
    plane_size = out.shape[1]
    if t >= out.shape[0] * plane_size:
        return
    p = t // plane_size
    q = t % plane_size
    i = owner[p, q]
    if i < 0:
        out[p, q] = 0
        return
    C, D, H, W = x.shape[1], x.shape[2], x.shape[3], x.shape[4]
    n = p // C
    c = p % C
    ix = i % W
    i //= W
    iy = i % H
    iz = i // H
    out[p, q] = x[n, c, iz, iy, ix]


def max_unpool(x, indices, out, global_index):
    planes = x.shape[0] * x.shape[1]
    plane_size = int(np.prod(out.shape[2:]))
    inputs = int(np.prod(x.shape[2:]))
    width = np.dtype(out.dtype).itemsize
    if width == 4 and inputs >= 2 ** 31:        # positions must fit the output's width
        raise ValueError(f"engine='cuda' unpools float32 planes of at most 2**31 - 1 "
                         f"inputs, got {inputs}; use float64 or engine='cpu'")
    flat_out = out.reshape(planes, plane_size)
    owner = flat_out.view(np.int32 if width == 4 else np.int64)
    flat_indices = indices.reshape(planes, inputs)
    blocks, threads = grid(planes * plane_size)
    _clear_owners[blocks, threads](owner)
    blocks_in, threads_in = grid(planes * inputs)
    _claim[blocks_in, threads_in](flat_indices, owner, bool(global_index))
    _fill[blocks, threads](as5d(x), owner, flat_out)
