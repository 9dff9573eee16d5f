"""Launch geometry shared by the CUDA kernels.

Every kernel runs one thread per output element over a 1-D grid, so every kernel
starts the same way: its thread's flat index, a bail-out for the threads past the
end of the last block, and the index unravelled into ``(n, c, od, oh, ow)``.  That
prologue is :func:`output_element`, here once, so that the thread-to-element map
(which must cover each output element exactly once) cannot differ between kernels.
"""

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


@cuda.jit(device=True, inline=True)
def output_element(out, C):
    """The output element of the calling thread, in a kernel launched with
    :func:`grid` over ``N * C * OD * OH * OW`` threads.

    Parameters
    ----------
    out : device array
        The 5-D output ``(N, ., OD, OH, OW)``.
    C : int
        How many planes a thread's ``c`` counts: ``out.shape[1]`` (channels), or
        the number of fields for a kernel that writes a whole field per thread.

    Returns
    -------
    n, c, od, oh, ow : int
        The element's position; ``n`` is ``-1`` for a thread past the last
        element, which must return at once (a device function cannot return for
        its kernel, hence the sentinel).
    """
    t = cuda.grid(1)
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    if t >= out.shape[0] * C * OD * OH * OW:
        return -1, 0, 0, 0, 0
    return unravel_output(t, C, OD, OH, OW)
