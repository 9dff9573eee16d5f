"""Shared plumbing of the CPU and CUDA engines: every kernel works on 3 spatial axes.

A 1-D or 2-D call is run as a 3-D one with leading singleton spatial axes
(kernel 1, stride 1, padding 0, dilation 1 there).  That keeps one compiled
kernel per operator and dtype instead of three, and the singleton axes cost a
loop of one iteration.  Views only: nothing is copied.
"""

from __future__ import annotations

import functools

import numpy as np

SPATIAL = 3


#: the index that inserts ``missing`` leading unit spatial axes (built once: a small
#: call views two or three arrays this way)
_UNIT_AXES = {missing: (slice(None), slice(None)) + (None,) * missing
              for missing in range(1, SPATIAL + 1)}


def as5d(a):
    """View ``(N, C, *spatial)`` as ``(N, C, D, H, W)`` by inserting leading unit axes."""
    missing = SPATIAL + 2 - len(a.shape)
    if missing == 0:
        return a
    if type(a) is np.ndarray or isinstance(a, np.ndarray):
        return a[_UNIT_AXES[missing]]
    # numba device arrays have no None-indexing; they are always contiguous here
    return a.reshape(tuple(a.shape[:2]) + (1,) * missing + tuple(a.shape[2:]))


def pad3(values, fill):
    """Per-axis tuple padded on the left to three axes with ``fill``."""
    return (fill,) * (SPATIAL - len(values)) + tuple(int(v) for v in values)


@functools.lru_cache(maxsize=1024)
def window3(spec):
    """(kernel, stride, padding, dilation) of a WindowSpec as 3-tuples (cached: a
    small call would spend more time here than in its kernel)."""
    return (pad3(spec.kernel, 1), pad3(spec.stride, 1), pad3(spec.padding, 0),
            pad3(spec.dilation, 1))


def divisors3(factors):
    """Per-axis divisor factor arrays padded to three axes with ``[1.0]``."""
    ones = np.ones(1, dtype=np.float64)
    return (ones,) * (SPATIAL - len(factors)) + tuple(
        np.ascontiguousarray(f, dtype=np.float64) for f in factors)


# --------------------------------------------------------------------------- threads
_THREAD_COUNT_FUNCTIONS = []


def thread_count_functions():
    """Numba's per-thread thread-count getter and setter.  The public
    ``numba.get_num_threads``/``set_num_threads`` take a lock on every call (they
    make sure the pool is launched: 0.7 us where the threading layer's own getter
    takes 0.1 us); a small call asks for the count and may switch it twice, so once
    the pool runs, the threading layer's entry points are used when this Numba has
    them."""
    if not _THREAD_COUNT_FUNCTIONS:
        import numba
        from numba.np.ufunc import parallel
        parallel._launch_threads()
        get = getattr(parallel, "_get_num_threads", None)
        put = getattr(parallel, "_set_num_threads", None)
        if not (callable(get) and callable(put)):
            get, put = numba.get_num_threads, numba.set_num_threads
        _THREAD_COUNT_FUNCTIONS[:] = [get, put]
    return _THREAD_COUNT_FUNCTIONS


def thread_count():
    """The number of threads the calling thread's next parallel kernel runs on."""
    return thread_count_functions()[0]()


def work_chunks(tasks):
    """How many chunks a parallel loop over ``tasks`` independent pieces is cut
    into: eight per thread (so an uneven chunk does not leave a thread idle), at
    most one per piece, at least one.  Scratch buffers are sized by it."""
    return max(1, min(tasks, 8 * thread_count()))
