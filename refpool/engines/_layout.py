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


def as5d(a):
    """View ``(N, C, *spatial)`` as ``(N, C, D, H, W)`` by inserting leading unit axes."""
    missing = SPATIAL - (len(a.shape) - 2)
    if missing == 0:
        return a
    if isinstance(a, np.ndarray):
        return a[(slice(None), slice(None)) + (None,) * missing]
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
