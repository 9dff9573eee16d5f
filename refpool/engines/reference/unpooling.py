"""Reference engine for max unpooling: plain NumPy, written to be read beside the
formula of :func:`refpool.max_unpool`.

Every ``(n, c)`` plane is a flat output of ``P`` zeros; input ``i`` of the plane
(row-major) goes to the plane's flat position ``indices[i]`` (minus the plane's
offset ``(n*C + c)*P`` for ONNX's whole-tensor indices).  When several inputs name
one position the last of them wins, found explicitly (NumPy's fancy assignment
leaves the order of repeated writes unspecified).  Nothing is computed: the output
holds copies of input elements (bit for bit) and zeros.
"""

from __future__ import annotations

import numpy as np


def _last_writers(positions):
    """For flat ``positions`` (one per input, in scan order): the distinct positions
    and, for each, the index of the last input naming it."""
    reversed_positions = positions[::-1]
    distinct, first_in_reversed = np.unique(reversed_positions, return_index=True)
    return distinct, positions.size - 1 - first_in_reversed


def max_unpool(x, indices, out, global_index):
    planes = x.shape[0] * x.shape[1]
    plane_size = int(np.prod(out.shape[2:]))
    values = x.reshape(planes, -1)                      # (plane, input position)
    where = indices.reshape(planes, -1).astype(np.int64)
    plane = np.arange(planes, dtype=np.int64)[:, None]
    if global_index:                                    # ONNX: flat over the whole tensor
        where = where - plane * plane_size
    # one flat position in the (planes * P) output per input, in row-major scan order
    positions = (plane * plane_size + where).reshape(-1)
    distinct, winners = _last_writers(positions)
    flat = np.zeros(planes * plane_size, dtype=out.dtype)
    flat[distinct] = values.reshape(-1)[winners]
    out[...] = flat.reshape(out.shape)
