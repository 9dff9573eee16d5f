"""Small inline pieces that several CPU kernels share, kept here so that each exists once.

* :func:`max_or_nan`, the maximum every max-type kernel uses.  All engines must
  select the same element, NaN included, so the rule ("larger or NaN replaces")
  lives in one function rather than in a copy per module.
* :func:`max_into`, the vectorisable pass ``dst[j] = max_or_nan(dst[j], src[j])``.
* The signed-zero rule (``docs/numerics.rst``: among equal maxima ``+0`` beats
  ``-0``): :func:`replaces`, the whole selection predicate for scalar scans, and
  :func:`any_zero` / :func:`is_negative_zero` for the vectorised kernels, which
  fold with the cheaper :func:`max_or_nan` (a sign test in the fold stops LLVM
  vectorising the runtime-stride passes, 3-5x slower) and then repair the rare
  outputs that came out ``-0``: a window whose maximum is zero and which holds a
  ``+0`` must give ``+0``.
* :func:`any_nonfinite`, the overflow check of the float32 linear kernels, which
  compute in float32 and recompute in float64 each output row that comes out
  infinite or NaN (docs/numerics.rst, "Overflow").
* :func:`canonical` / :func:`canonical_into`: the NaN an arithmetic operator
  writes is the default NaN, whatever sign bit the operations (and LLVM's choice
  of instructions, which differs between a fresh compilation and a cached one)
  gave it.
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

import numpy as np
from numba import njit

_INLINE = dict(inline="always", cache=True, nogil=True)


@njit(**_INLINE)
def max_or_nan(a, v):
    """The larger of ``a`` and ``v``, where a NaN on either side wins.

    ``a`` is the running value and ``v`` the candidate: a NaN ``a`` stays (``v > a``
    is false), a NaN ``v`` replaces (``v != v``).  Written as one select of two
    non-short-circuit comparisons so that LLVM compiles it to compare + blend and
    loops over it vectorise (``fastmath`` stays off for these NaN semantics).
    Of two equal zeros it keeps ``a``, whatever their signs: kernels that fold with
    it repair ``-0`` results (:func:`any_zero`).
    """
    return v if (v > a) | (v != v) else a


@njit(**_INLINE)
def replaces(best, v):
    """Whether candidate ``v`` replaces the running choice ``best`` in a scan: it is
    larger, or NaN (so the *last* NaN wins), or ``+0`` against a ``-0`` (so the
    *first* ``+0`` wins over every ``-0``); an equal value never replaces (the
    first maximum wins)."""
    return (v > best) | (v != v) | ((v == best) & np.signbit(best) & ~np.signbit(v))


@njit(**_INLINE)
def is_negative_zero(v):
    return (v == 0.0) & np.signbit(v)


@njit(**_INLINE)
def any_zero(row, count):
    """Whether one of ``row[:count]`` is ``+-0`` (a vectorised test, so that the
    repair of ``-0`` maxima costs one compare per output when there is none)."""
    z = False
    for j in range(count):
        z |= row[j] == 0.0
    return z


@njit(**_INLINE)
def any_nonfinite(row, count):
    """Whether one of ``row[:count]`` is infinite or NaN (``v - v`` is 0 for every
    finite ``v``); vectorised, so a linear kernel can check each output row for a
    float32 overflow at the cost of one subtraction per output."""
    bad = False
    for j in range(count):
        bad |= (row[j] - row[j]) != 0.0
    return bad


@njit(**_INLINE)
def canonical(v):
    """``v``, or the default NaN (positive, payload 0) if ``v`` is a NaN: the NaN an
    arithmetic operator writes (docs/numerics.rst), whatever the operations and the
    compiler made of the sign and payload of the NaN they produced."""
    return v if v == v else np.nan


@njit(**_INLINE)
def canonical_into(dst, src, count):
    """``dst[j] = canonical(src[j])`` for ``j < count`` (``dst`` may be ``src``)."""
    for j in range(count):
        dst[j] = canonical(src[j])


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
