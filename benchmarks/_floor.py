"""The memory floor of an operator call: a minimal Numba kernel that reads its input
once and writes its output once, in the same run, with the same threads.

``np.copyto`` runs on one thread, so it is no floor for a parallel kernel.  This
kernel is: ``prange`` over the ``(n, c)`` planes, each plane's input read with
vectorised loads (its bits reduced to one word by an unsigned maximum: an integer
reduction, which LLVM vectorises, where a float sum without ``fastmath`` would not),
and the plane's output
written with vectorised stores, into a preallocated ``out`` as the operator gets.
No pooling kernel moves fewer bytes, so ``floor_ms / operator_ms`` is the fraction
of this machine's memory limit an operator reaches.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def _read_once_write_once(src, dst, parts):
    # part p reads its share of the input and writes its share of the output (the
    # operator's planes when input and output have as many; proportional slices
    # when a channel shuffle changes their number).  An unsigned maximum is an
    # integer reduction LLVM vectorises (an OR loop, measured, does not).
    n, m = src.shape[0], dst.shape[0]
    for p in prange(parts):
        lo, hi = p * n // parts, (p + 1) * n // parts
        acc = src[lo:hi].max() if hi > lo else src[0]
        dst[p * m // parts:(p + 1) * m // parts] = acc


def _words(a):
    """``a`` (C-contiguous) viewed as 1-D unsigned words of its item size."""
    word = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    return a.reshape(-1).view(word)


class Floor:
    """The floor kernel for an input ``x`` and an output of ``out_shape`` (same dtype):
    call it to run once (the output buffer is preallocated here)."""

    def __init__(self, x, out_shape):
        x = np.ascontiguousarray(x)
        self.out = np.empty(out_shape, x.dtype)
        self._src, self._dst = _words(x), _words(self.out)
        self._parts = max(x.shape[0] * x.shape[1], out_shape[0] * out_shape[1], 1)
        self()                                  # compile, warm the buffers

    def __call__(self):
        _read_once_write_once(self._src, self._dst, self._parts)

    @property
    def nbytes(self):
        """Bytes moved: the input read and the output written once."""
        return self._src.nbytes + self._dst.nbytes
