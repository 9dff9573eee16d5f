"""Reference engine for antialiased pooling: plain NumPy, float64 inside.

Each function is the definition in :mod:`refpool.antialiased` written out: pad
the input (``np.pad``), then an n-D cross-correlation with the full n-D filter
(the outer product of the 1-D taps), evaluated at the strided output positions.
The result is rounded to the output dtype once.
"""

from __future__ import annotations

import numpy as np

from .pooling import _canonical_nan, _replaces

#: FilterSpec.mode -> np.pad mode
_NP_PAD = {"zero": "constant", "reflect": "reflect", "replicate": "edge",
           "circular": "wrap"}


def _kernel(taps):
    """n-D filter K[u_1, ..., u_m] = prod_a taps[a][u_a]."""
    kernel = np.asarray(taps[0], dtype=np.float64)
    for t in taps[1:]:
        kernel = np.multiply.outer(kernel, np.asarray(t, dtype=np.float64))
    return kernel


def _correlate(padded, kernel, stride, output_size):
    """y[..., i] = sum_u K[u] * padded[..., i*s + u] over the spatial axes (float64)."""
    y = np.zeros(padded.shape[:2] + tuple(output_size), dtype=np.float64)
    with np.errstate(invalid="ignore"):           # inf - inf is NaN by definition
        for u in np.ndindex(*kernel.shape):
            window = tuple(slice(ua, ua + (o - 1) * s + 1, s)
                           for ua, o, s in zip(u, output_size, stride))
            y += kernel[u] * padded[(slice(None), slice(None)) + window]
    return y


def _pad(x, before, after, mode, fill=0.0):
    widths = [(0, 0), (0, 0)] + [(b, a) for b, a in zip(before, after)]
    if mode == "zero":
        return np.pad(x, widths, mode="constant", constant_values=fill)
    return np.pad(x, widths, mode=_NP_PAD[mode])


def _filter(x, out, taps, spec):
    padded = _pad(np.asarray(x, dtype=np.float64), spec.before, spec.after, spec.mode)
    out[...] = _correlate(padded, _kernel(taps), spec.stride, spec.output_size)
    _canonical_nan(out)


def antialiased_avg_pool(x, out, taps, spec):
    _filter(x, out, taps, spec)


def blur_pool(x, out, taps, spec):
    _filter(x, out, taps, spec)


def antialiased_max_pool(x, out, taps, spec):
    window = spec.window
    if spec.blur.mode == "circular":
        _circular_max(x, out, taps, spec)
        return
    # 1. dense max map: stride-1 max pooling of the -inf padded input, taps in order
    #    with max_pool's selection rule (NaN propagates, +0 beats -0)
    padded = _pad(np.asarray(x, dtype=np.float64), window.padding, window.padding, "zero",
                  fill=-np.inf)
    dense = np.full(x.shape[:2] + tuple(spec.dense_size), -np.inf)
    for t in np.ndindex(*window.kernel):
        taps_view = tuple(slice(ta * d, ta * d + length)
                          for ta, d, length in zip(t, window.dilation, spec.dense_size))
        v = padded[(slice(None), slice(None)) + taps_view]
        dense = np.where(_replaces(dense, v), v, dense)
    # 2. zero-padded Gaussian cross-correlation at the pooling stride
    _filter(dense, out, taps, spec.blur)


def _circular_max(x, out, taps, spec):
    """pad_type="circular": the dense map M[j] = max_t x[(j - p + t d) mod n] at the
    positions the blur reads, j = i s - q + u, from the input wrapped by np.pad."""
    window, blur = spec.window, spec.blur
    reach = [(o - 1) * s + f - q for o, s, f, q in zip(blur.output_size, blur.stride,
                                                      blur.size, blur.before)]
    # M at j = -q .. reach - 1 reads x at j - p + t d: wrap by p + q before and enough after
    before = [p + q for p, q in zip(window.padding, blur.before)]
    after = [max(0, r - p + d * (k - 1) - n) for r, p, d, k, n in
             zip(reach, window.padding, window.dilation, window.kernel, x.shape[2:])]
    padded = _pad(np.asarray(x, dtype=np.float64), before, after, "circular")
    dense_size = [r + q for r, q in zip(reach, blur.before)]
    dense = np.full(x.shape[:2] + tuple(dense_size), -np.inf)
    for t in np.ndindex(*window.kernel):
        view = tuple(slice(ta * d, ta * d + length)
                     for ta, d, length in zip(t, window.dilation, dense_size))
        v = padded[(slice(None), slice(None)) + view]
        dense = np.where(_replaces(dense, v), v, dense)
    out[...] = _correlate(dense, _kernel(taps), blur.stride, blur.output_size)
    _canonical_nan(out)
