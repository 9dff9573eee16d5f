"""Walking the output rows of a 5-D array ``(N, C, D, H, W)``: the CPU kernels'
unit of work is one output row ``(n, c, od, oh)`` (its W pixels are a vector).

A parallel chunk owns a range of flat row indices; it unravels its first row
with :func:`unravel_row` and steps on with :func:`next_row`, which needs no
integer division (three 64-bit divisions a row cost as much as a short row's
arithmetic).  ``C`` is whatever the kernel's second axis counts: channels, or
fields for the field operators.
"""

from __future__ import annotations

from numba import njit

_INLINE = dict(inline="always", cache=True, nogil=True)


@njit(**_INLINE)
def unravel_row(r, C, OD, OH):
    """``(n, c, od, oh)`` of flat output row ``r``."""
    oh = r % OH
    q = r // OH
    od = q % OD
    q = q // OD
    return q // C, q % C, od, oh


@njit(**_INLINE)
def next_row(n, c, od, oh, C, OD, OH):
    """The output row after ``(n, c, od, oh)`` in row-major order."""
    oh += 1
    if oh == OH:
        oh = 0
        od += 1
        if od == OD:
            od = 0
            c += 1
            if c == C:
                c = 0
                n += 1
    return n, c, od, oh
