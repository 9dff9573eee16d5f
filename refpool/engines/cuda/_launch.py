"""Launch geometry shared by the CUDA kernels."""

from __future__ import annotations

#: threads per block; small enough for the simulator, large enough for a GPU
THREADS_PER_BLOCK = 128


def grid(n_threads, threads_per_block=THREADS_PER_BLOCK):
    """(blocks, threads) of a 1-D launch covering ``n_threads`` threads."""
    n_threads = int(n_threads)
    return max(1, -(-n_threads // threads_per_block)), threads_per_block
