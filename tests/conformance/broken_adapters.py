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


def _int_padding(padding):
    """An int, or one int per axis (no (before, after) pairs, no names)."""
    return not isinstance(padding, str) and not (
        isinstance(padding, (tuple, list)) and any(isinstance(p, (tuple, list)) for p in padding))


class OffByOnePadding(_Delegate):
    """avg_pool pads one element too few on the left and one too many on the right."""

    NAME = "off-by-one padding"

    def avg_pool(self, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, dilation=1):
        if dilation != 1 or not _int_padding(padding):
            raise NotImplementedError("the bug is modelled for int paddings without dilation")
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


class NearestForNearestExact(_Delegate):
    """interpolate runs ``nearest`` where ``nearest-exact`` was asked (the classic
    missing half-pixel offset); every other mode is right."""

    NAME = "nearest for nearest-exact"

    def interpolate(self, x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                    recompute_scale_factor=None, antialias=False):
        if mode == "nearest-exact":
            mode = "nearest"
        return refpool.interpolate(x, size, scale_factor, mode, align_corners,
                                   recompute_scale_factor, antialias, engine="reference")


def _half_up_taps(sigma, truncate):
    """SPEC section 2's Gaussian taps, but sized with round-half-up."""
    fs = 2 * _round_half_up(truncate * sigma) + 1
    c = (fs - 1) / 2
    g = np.exp(-(np.arange(fs) - c) ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _blur(x, taps, stride, before, out_size):
    """Separable zero-padded cross-correlation with ``taps`` on every spatial axis:
    ``y[i] = sum_u taps[u] * x[i*stride - before + u]`` (float64 sums)."""
    y = np.asarray(x, dtype=np.float64)
    for axis, (s, b, o) in enumerate(zip(stride, before, out_size)):
        ax = 2 + axis
        n = y.shape[ax]
        moved = np.moveaxis(y, ax, -1)
        acc = np.zeros(moved.shape[:-1] + (o,))
        with np.errstate(invalid="ignore"):            # inf - inf is NaN, as intended
            for u, w in enumerate(taps):
                idx = np.arange(o) * s - b + u
                inside = (idx >= 0) & (idx < n)
                acc[..., inside] += w * moved[..., idx[inside]]
        y = np.moveaxis(acc, -1, ax)
    return y


class RoundHalfUpGaussian(_Delegate):
    """The antialiased poolings size their Gaussian with round-half-up,
    ``2*floor(t*sigma + 0.5) + 1``, instead of Python's round-half-to-even (SPEC
    section 2); the taps are otherwise right, and so is everything else."""

    NAME = "round-half-up Gaussian"

    def antialiased_avg_pool(self, x, sigma, stride, padding=None):
        nd = x.ndim - 2
        taps = _half_up_taps(sigma, 3.0)
        fs = taps.size
        s = np.broadcast_to(stride, (nd,))
        p = np.broadcast_to((fs - 1) // 2 if padding is None else padding, (nd,))
        out = [(n + 2 * pi - fs) // si + 1 for n, pi, si in zip(x.shape[2:], p, s)]
        return _blur(x, taps, s, p, out).astype(x.dtype)

    def antialiased_max_pool(self, x, kernel_size, stride=None, padding=0, dilation=1,
                             ceil_mode=False, sigma=0.6, blur_padding=None):
        nd = x.ndim - 2
        taps = _half_up_taps(sigma, 4.0)
        fs = taps.size
        c = (fs - 1) // 2
        k = np.broadcast_to(kernel_size, (nd,))
        s = k if stride is None else np.broadcast_to(stride, (nd,))
        p = np.broadcast_to(padding, (nd,))
        q = np.broadcast_to(c if blur_padding is None else blur_padding, (nd,))
        dense = refpool.max_pool(x, kernel_size, 1, padding, dilation, engine="reference")
        out = []
        for n, L, si, pi, qi in zip(x.shape[2:], dense.shape[2:], s, p, q):
            span = L + 2 * qi - fs
            if ceil_mode:
                o = -(-span // si) + 1
                if (o - 1) * si - qi + c >= n + pi:
                    o -= 1
            else:
                o = span // si + 1
            out.append(int(o))
        return _blur(dense, taps, s, q, out).astype(x.dtype)
