"""Launch geometry shared by the CUDA kernels."""

from __future__ import annotations

from numba import cuda

#: threads per block; small enough for the simulator, large enough for a GPU
THREADS_PER_BLOCK = 128


def grid(n_threads, threads_per_block=THREADS_PER_BLOCK):
    """(blocks, threads) of a 1-D launch covering ``n_threads`` threads."""
    n_threads = int(n_threads)
    return max(1, -(-n_threads // threads_per_block)), threads_per_block


@cuda.jit(device=True, inline=True)
def unravel_output(t, C, OD, OH, OW):
    """``(n, c, od, oh, ow)`` of flat output index ``t`` in a 5-D ``(N, C, OD, OH, OW)``
    output: the thread-to-element map of every one-thread-per-output kernel."""
    ow = t % OW
    t //= OW
    oh = t % OH
    t //= OH
    od = t % OD
    t //= OD
    return t // C, t % C, od, oh, ow
