"""Reference engine for the upfirdn family: the definition, step by step, in float64.

Written to be read beside the formulas of :mod:`refpool.upfirdn`: the input is
upsampled by building the zero-inserted array, padded (or cropped) with NumPy,
correlated 'valid' with the weights over every window of a sliding-window view, and
subsampled by slicing.  It materialises every intermediate array: it is the oracle,
not a fast path.
"""

from __future__ import annotations

import numpy as np


def upfirdn(x, out, weights, up, down, before, axis_taps=None, circular=False):
    # weights: the k-D correlation kernel (gain and flip already applied), float64;
    # the oracle always uses it whole (axis_taps, the separable factors, is for the
    # CPU engine's per-axis passes)
    k = len(up)
    n, c, *size = x.shape
    lengths = [m * u for m, u in zip(size, up)]
    after = [(o - 1) * s + t - (m + b)            # the padding the output length needs
             for o, s, t, m, b in zip(out.shape[2:], down, weights.shape, lengths, before)]
    # 1. zero insertion: z[q u] = x[q]
    z = np.zeros((n, c, *lengths), dtype=np.float64)
    z[(slice(None), slice(None)) + tuple(slice(None, None, u) for u in up)] = x
    if circular:
        # 2'. pad_type="circular": z read as periodic, z~[q] = z[q mod n u], at the
        # positions -p0 .. n u + p1 - 1 the 'valid' windows cover
        for i, (b, a, m) in enumerate(zip(before, after, lengths)):
            z = np.take(z, np.arange(-b, m + a) % m, axis=2 + i)
        before = after = (0,) * k
    # 2. pad with zeros where positive, crop where negative
    z = np.pad(z, [(0, 0), (0, 0)] + [(max(b, 0), max(a, 0)) for b, a in zip(before, after)])
    z = z[(slice(None), slice(None)) + tuple(
        slice(max(-b, 0), z.shape[2 + i] - max(-a, 0))
        for i, (b, a) in enumerate(zip(before, after)))]
    # 3. every 'valid' window, 4. every s-th of them
    windows = np.lib.stride_tricks.sliding_window_view(z, weights.shape,
                                                       axis=tuple(range(2, 2 + k)))
    windows = windows[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in down)]
    with np.errstate(invalid="ignore", over="ignore"):     # inf and NaN input propagate
        y = np.tensordot(windows, weights, axes=k)
    out[...] = y[(slice(None), slice(None)) + tuple(slice(0, o) for o in out.shape[2:])]
