"""The fibre action :math:`\\rho(g)` of a field type on a CUDA array, for
:meth:`refpool.FieldType.transform` of device arrays: one thread per output element.

``x`` and ``out`` are ``(N, C, P)`` (the spatial axes flattened), ``out`` float64.
Output channel ``c`` is either a copy of input channel ``source[c]`` (a permutation
representation: gathered, so a NaN or infinity in one channel does not leak into
others through ``0 * inf``), or, when ``source[c] < 0``, the sum over ``j <
count[c]`` of ``matrix[c, j] * x[n, start[c] + j]`` in float64, ``j`` in order.
"""

from __future__ import annotations

from numba import cuda

from ._launch import grid as launch_grid


@cuda.jit
def _fibers_kernel(x, out, source, start, count, matrix):
    t = cuda.grid(1)
    N, C, P = out.shape
    if t >= N * C * P:
        return
    p = t % P
    r = t // P
    c = r % C
    n = r // C
    s = source[c]
    if s >= 0:
        out[n, c, p] = x[n, s, p]
        return
    acc = 0.0
    for j in range(count[c]):
        acc += matrix[c, j] * x[n, start[c] + j, p]
    out[n, c, p] = acc


def apply_fibers(x, out, source, start, count, matrix):
    """Fill the device array ``out`` (float64, ``(N, C, P)``) from ``x`` (``(N, C,
    P)``) with the host tables (copied over)."""
    blocks, threads = launch_grid(out.size)
    _fibers_kernel[blocks, threads](x, out, cuda.to_device(source), cuda.to_device(start),
                                    cuda.to_device(count), cuda.to_device(matrix))
