"""CUDA engine for the sampling family: :func:`refpool.grid_sample`, one thread per
output element.

The input is viewed as 5-D ``(N, C, D, H, W)``, the grid (float64, copied to the
device when it arrives from the host) as ``(N, P, k)`` and the output as ``(N, C,
1, 1, P)``, so the shared prologue
:func:`~refpool.engines.cuda._launch.output_element` maps threads to ``(n, c, 0, 0,
point)``.  Each thread calls the per-point arithmetic
:func:`refpool.engines._gridsample.sample`, the function the CPU engine calls.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .. import _gridsample
from .._layout import as5d
from ..cpu.sampling import MODE_CODES, PADDING_CODES
from ._launch import grid as launch_grid
from ._launch import output_element

_sample = _gridsample.sample


@cuda.jit
def _grid_sample_kernel(x, grid, out, three, mode, padding, align):
    C = out.shape[1]
    n, c, _, _, p = output_element(out, C)
    if n < 0:
        return
    gx = grid[n, p, 0]
    gy = grid[n, p, 1]
    gz = 0.0
    if three:
        gz = grid[n, p, 2]
    out[n, c, 0, 0, p] = _sample(x, n, c, gx, gy, gz, three, mode, padding, align)


# --------------------------------------------------------------------------- entry points
def grid_sample(x, grid, out, mode, padding, align_corners):
    k = grid.shape[-1]
    N = grid.shape[0]
    # the public layer hands a host float64 grid (it is validated there); it is small
    # beside the output, so one copy to the device
    g = cuda.to_device(np.ascontiguousarray(grid, dtype=np.float64).reshape(N, -1, k))
    o = out.reshape(out.shape[0], out.shape[1], 1, 1, -1)
    blocks, threads = launch_grid(o.size)
    _grid_sample_kernel[blocks, threads](as5d(x), g, o, k == 3, MODE_CODES[mode],
                                         PADDING_CODES[padding], bool(align_corners))
