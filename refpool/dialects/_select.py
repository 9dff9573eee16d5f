"""Nearest-neighbour resizes along any axes of an array of any real dtype, from
per-axis source index tables (the JAX and TensorFlow dialects).

The peer's index table is computed in the peer's arithmetic (integer geometry,
no pixel value involved); :func:`refpool.dialects._gather.gather` copies the
pixels with :func:`refpool.grid_sample`.  Selection is exact for every dtype: the
pixels travel as float64 (integers up to :math:`2^{53}` in magnitude; larger ones
are refused) and are cast back; booleans travel as bytes.
"""

from __future__ import annotations

import numpy as np

from ._gather import gather

__all__ = ["select"]

#: the most axes one :func:`gather` call selects along
_MAX_AXES = 3


def select(x, axes, tables, *, engine="auto"):
    """``x`` with axis ``axes[i]`` indexed by ``tables[i]`` (indices in range)."""
    x = np.asarray(x)
    dtype = x.dtype
    if dtype.kind not in "biuf":
        raise TypeError(f"image must be a real array (bool, integer or float), got {dtype}")
    work = x.view(np.uint8) if dtype == np.bool_ else x
    if work.dtype.kind in "iu" and work.dtype.itemsize == 8 and work.size and \
            np.abs(work.astype(np.float64)).max() > 2.0 ** 53:
        raise ValueError(f"nearest: {dtype} values must lie within +-2**53 (the pixels "
                         f"are copied through float64)")
    for start in range(0, len(axes), _MAX_AXES):
        group = list(axes[start:start + _MAX_AXES])
        k = len(group)
        moved = np.moveaxis(work, group, range(work.ndim - k, work.ndim))
        lead = moved.shape[:-k]
        planes = int(np.prod(lead, dtype=np.int64))
        if planes == 0:
            shape = lead + tuple(len(t) for t in tables[start:start + k])
            y = np.zeros(shape, dtype=work.dtype)
        else:
            flat = np.ascontiguousarray(moved).reshape((1, planes) + moved.shape[-k:])
            y = gather(flat, [np.asarray(t, dtype=np.int64) for t in tables[start:start + k]],
                       engine=engine)
            y = y.reshape(lead + y.shape[2:]).astype(work.dtype)
        work = np.moveaxis(y, range(work.ndim - k, work.ndim), group)
    out = np.ascontiguousarray(work)
    return out.view(np.bool_) if dtype == np.bool_ else out
