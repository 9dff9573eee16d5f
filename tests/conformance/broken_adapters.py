"""Deliberately broken adapters: each carries one classic bug.

Used by test_catches_bugs.py to prove the conformance runner fails exactly the
cases a bug affects and passes the rest.  Every operator without the bug is
delegated to refpool's reference engine.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import refpool


class _Delegate:
    def __getattr__(self, name):
        fn = getattr(refpool, name)
        return lambda x, *a, **k: fn(x, *a, **k, engine="reference")


class OffByOnePadding(_Delegate):
    """avg_pool pads one element too few on the left and one too many on the right."""

    NAME = "off-by-one padding"

    def avg_pool(self, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        nd = x.ndim - 2
        p = np.broadcast_to(padding, (nd,))
        if not np.any(p > 0):
            return refpool.avg_pool(x, kernel_size, stride, padding, ceil_mode,
                                    count_include_pad, divisor_override, engine="reference")
        widths = [(0, 0), (0, 0)] + [(max(pi - 1, 0), pi + 1) if pi > 0 else (0, 0)
                                     for pi in p]
        padded = np.pad(x, widths)
        return refpool.avg_pool(padded, kernel_size, stride, 0, ceil_mode, True,
                                divisor_override, engine="reference")


class FloorAdaptiveWindows(_Delegate):
    """adaptive_avg_pool ends its windows at floor((i+1) n / o) instead of the ceiling."""

    NAME = "floor adaptive windows"

    def adaptive_avg_pool(self, x, output_size):
        spatial = x.shape[2:]
        osize = np.broadcast_to(np.array(output_size, dtype=object), (len(spatial),))
        osize = [n if o is None else int(o) for n, o in zip(spatial, osize)]
        out = np.empty(x.shape[:2] + tuple(osize), dtype=x.dtype)
        for index in np.ndindex(*osize):
            window = tuple(slice((i * n) // o, ((i + 1) * n) // o)
                           for i, n, o in zip(index, spatial, osize))
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)   # mean of an empty window
                block = x[(Ellipsis,) + window].astype(np.float64)
                out[(Ellipsis,) + index] = block.reshape(block.shape[:2] + (-1,)).mean(-1)
        return out


def _round_half_up(v):
    return math.floor(v + 0.5)
