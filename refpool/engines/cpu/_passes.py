"""Small inline pieces that several CPU kernels share, kept here so that each exists once.

* :func:`max_or_nan`, the maximum every max-type kernel uses.  All engines must
  select the same element, NaN included, so the rule ("larger or NaN replaces")
  lives in one function rather than in a copy per module.
* :func:`max_into`, the vectorisable pass ``dst[j] = max_or_nan(dst[j], src[j])``.
* :func:`tap_columns`, which output columns a window tap along W reads inside the
  input row; the strided kernels (max pooling with indices, norm max pooling) run
  one branch-free pass over exactly those columns per tap.

All are compiled inline into their callers (``inline="always"``): they cost no call
and LLVM sees the loop bodies of the kernel that uses them.

Numba's on-disk cache (``cache=True``) is invalidated by a change to the file of
the cached kernel only, not by a change to the helpers compiled into it: after
editing this module, delete the engines' ``__pycache__/*.nbi`` files (or touch
the kernel modules) so that no kernel keeps the old code.
"""

from __future__ import annotations

from numba import njit

_INLINE = dict(inline="always", cache=True, nogil=True)


@njit(**_INLINE)
def max_or_nan(a, v):
    """The larger of ``a`` and ``v``, where a NaN on either side wins.

    ``a`` is the running value and ``v`` the candidate: a NaN ``a`` stays (``v > a``
    is false), a NaN ``v`` replaces (``v != v``).  Written as one select of two
    non-short-circuit comparisons so that LLVM compiles it to compare + blend and
    loops over it vectorise (``fastmath`` stays off for these NaN semantics).
    """
    return v if (v > a) | (v != v) else a


@njit(**_INLINE)
def max_into(dst, src, count):
    """``dst[j] = max_or_nan(dst[j], src[j])`` for ``j < count``: fold one row into another."""
    for j in range(count):
        dst[j] = max_or_nan(dst[j], src[j])


@njit(**_INLINE)
def tap_columns(off, s, n, o):
    """Output columns ``j`` in ``[lo, hi)`` whose tap ``j*s + off`` lies inside ``[0, n)``.

    Parameters
    ----------
    off : int
        Offset of the tap from an output column's first input column (``e*d - p``
        for tap ``e`` of a window with dilation ``d`` and padding ``p``).
    s : int
        Stride along the row.
    n : int
        Length of the input row.
    o : int
        Length of the output row.

    Returns
    -------
    lo, hi : int
        The column range, empty (``lo == hi``) when the tap never lies inside.
    """
    lo = 0 if off >= 0 else (-off + s - 1) // s
    last = n - 1 - off
    hi = 0 if last < 0 else min(o, last // s + 1)
    return lo, max(lo, hi)
