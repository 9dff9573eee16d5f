"""Reference engine for the field operators: plain NumPy, float64 inside.

Written to be read beside the formulas in :mod:`refpool.field_pooling`; speed is not a
goal.  The fields arrive as the plain int arrays of :class:`refpool._geometry.FieldTable`
(``start``, ``size``, ``block``), the channel poolings as the table of
:class:`refpool._geometry.ChannelPool`; every function fills a preallocated output and
rounds to its dtype once.

Squared norms are sums of float64 squares taken in channel order, starting from
the first channel; the CPU and CUDA engines add in the same order, so their norms
are bitwise equal to these and ``norm_max_pool`` selects the same positions.
"""

from __future__ import annotations

import numpy as np

from .pooling import _flat_index, _gather_windows, _select_max, _canonical_nan


def _squared_norm(block):
    """Sum of squares over axis 1 of a float64 array, in channel order."""
    total = block[:, 0] * block[:, 0]
    for c in range(1, block.shape[1]):
        total = total + block[:, c] * block[:, c]
    return total


def group_pool(x, out, start, size):
    for f, (a, s) in enumerate(zip(start, size)):
        block = x[:, a:a + s].astype(np.float64)
        # max_pool's selection over the channels in order: the last NaN if any, else
        # the maximum with +0 above -0, so the value is invariant under channel
        # permutations (docs/numerics.rst)
        values = np.moveaxis(block, 1, -1)
        out[:, f], _ = _select_max(values, np.ones(values.shape, dtype=bool))


def _block_norm_pool(x, out, start, size, block):
    for f, (a, s, d) in enumerate(zip(start, size, block)):
        field = x[:, a:a + s].astype(np.float64)
        norms = [_squared_norm(field[:, b:b + d]) for b in range(0, s, d)]
        best = np.max(np.stack(norms), axis=0)      # max over blocks; NaN propagates
        out[:, f] = np.sqrt(best)
    _canonical_nan(out)


def norm_pool(x, out, start, size, block):
    _block_norm_pool(x, out, start, size, block)


def induced_norm_pool(x, out, start, size, block):
    _block_norm_pool(x, out, start, size, block)


def norm_max_pool(x, out, start, size, spec):
    n = x.shape[0]
    for a, s in zip(start, size):
        field = x[:, a:a + s].astype(np.float64)
        q = _squared_norm(field)[:, None]           # (N, 1, *spatial)
        values, where = _gather_windows(q, spec)     # (N, 1, *o, taps)
        inside = np.broadcast_to((where >= 0).all(axis=-1), values.shape)
        # max_pool's selection rule on the squared norms (first maximum in row-major
        # window order; the last NaN if any; -1 for a window without input)
        _, chosen = _select_max(values, inside)
        flat = np.broadcast_to(_flat_index(where, spec.input_size), values.shape)
        picked = np.take_along_axis(flat, np.maximum(chosen, 0)[..., None], axis=-1)[..., 0]
        picked = picked.reshape(n, -1)                              # (N, prod(o))
        source = field.reshape(n, s, -1)
        copied = np.take_along_axis(source, picked[:, None, :], axis=-1)
        copied[np.broadcast_to((chosen < 0).reshape(n, 1, -1), copied.shape)] = 0.0
        out[:, a:a + s] = copied.reshape((n, s) + tuple(spec.output_size))


def channel_pool(x, out, table, average):
    # x[:, table] is (N, O, K, *spatial): output o reads the channels table[o] in order
    values = x[:, table].astype(np.float64)
    if average:
        # a float64 sum in table order, divided once and rounded once
        total = values[:, :, 0]
        with np.errstate(invalid="ignore"):     # inf + -inf is NaN, as it should be
            for j in range(1, table.shape[1]):
                total = total + values[:, :, j]
        out[...] = total / table.shape[1]
        _canonical_nan(out)
        return
    # max_pool's selection over the table row (the last NaN; +0 above -0)
    values = np.moveaxis(values, 2, -1)
    out[...], _ = _select_max(values, np.ones(values.shape, dtype=bool))
