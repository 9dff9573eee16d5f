"""Exact circular shifts: which input rolls commute with an operator, and how far the
output rolls.

:func:`refpool.exact_symmetries` answers for the grid symmetries (flips, rotations);
this module answers for translations on a periodic grid, ``np.roll``: an operator
``op`` commutes with the roll by ``t`` samples along spatial axis ``a`` when

.. math:: \\mathrm{op}(\\mathrm{roll}(x, t, a)) = \\mathrm{roll}(\\mathrm{op}(x), c, a)

for every input, with a fixed output shift ``c``.  The answer is read off the same
per-axis structures as the grid symmetries (:mod:`refpool.equivariance.rules`): the
window of output ``i`` shifted by ``t`` (input positions modulo ``n``) must be the
window of output ``i + c`` (modulo the output length).  Only circular padding
(``pad_type="circular"``) gives shifts other than the trivial one for the strided
filters; adaptive polyphase sampling (:func:`refpool.aps_downsample`) is equivariant
to every shift with an output shift that depends on the chosen phase.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Sequence, Union

from .. import _args
from .rules import _check_keywords

__all__ = ["ExactShift", "exact_shifts"]


class ExactShift(NamedTuple):
    """The exact circular shifts along one spatial axis.

    Attributes
    ----------
    axis : int
        The spatial axis (0 = the first spatial axis).
    length : int
        The input length ``n`` along it (a roll by ``n`` is the identity).
    step : int
        The smallest positive input shift that is exact; every multiple of it is
        exact, and no other shift (``step == length``: only the trivial ones).
    output_step : int or None
        The output shift of a roll by ``step`` (a roll by ``k * step`` rolls the output
        by ``k * output_step``); ``None`` when ``adaptive``.
    adaptive : bool
        The output shift depends on the data: :func:`refpool.aps_downsample` rolls its
        output by ``(phase + t) // stride`` for an input roll by ``t`` (and reports
        the new phase ``(phase + t) % stride``); exact up to ties of the component
        norms.
    """

    axis: int
    length: int
    step: int
    output_step: Optional[int]
    adaptive: bool = False


def _shift_key(key, t, n):
    if isinstance(key, tuple):
        return tuple(sorted((q + t) % n for q in key))
    return (key + t) % n


def _shift_window(window, t, n):
    merged = {}
    for key, w in window:
        k = _shift_key(key, t, n)
        if k not in merged:
            merged[k] = w
        elif isinstance(w, tuple):               # upfirdn's tap lists
            merged[k] = tuple(sorted(merged[k] + w))
        else:
            merged[k] = merged[k] + w
    return tuple(sorted(merged.items()))


def _axis_shift(structure, n):
    """(step, output_step) of one per-axis structure on a line of length ``n``."""
    o = len(structure)
    windows = [tuple(sorted(w)) for w in structure]
    where = {}
    for i, w in enumerate(windows):
        where.setdefault(w, []).append(i)
    for t in range(1, n):
        if n % t:
            continue          # the exact shifts form a subgroup of Z_n: a divisor of n
        for c in where.get(_shift_window(windows[0], t, n), ()):
            if all(_shift_window(windows[i], t, n) == windows[(i + c) % o]
                   for i in range(o)):
                return t, c
    return n, 0


def exact_shifts(op: Union[Callable, str], input_shape: Sequence[int],
                 **op_kwargs: Any) -> tuple:
    """The circular shifts (``np.roll`` along one spatial axis) under which ``op`` is
    exactly equivariant for this input, per spatial axis.

    Parameters
    ----------
    op : callable or str
        A public refpool operator or its name.
    input_shape : tuple of int
        The full input shape ``(N, C, *spatial)`` (or any layout the operator reads
        with ``ndim=`` and ``channels_last=``, passed here too).
    **op_kwargs
        The operator's arguments, as keywords.

    Returns
    -------
    tuple of ExactShift
        One per spatial axis.  For a strided filter with ``pad_type="circular"`` and
        the stride dividing the length, ``step`` is the stride and ``output_step`` 1;
        with zero (or reflect, replicate) padding only the trivial shift
        (``step == length``).  Operators without a per-axis structure
        (:func:`refpool.grid_sample`) claim only the trivial shift; the upfirdn
        family compares the (input, taps) pattern per axis, n-D kernels included.

    Examples
    --------
    >>> import refpool
    >>> from refpool.equivariance import exact_shifts
    >>> exact_shifts("blur_pool", (1, 1, 16), filt_size=3, stride=2, pad_type="circular")
    (ExactShift(axis=0, length=16, step=2, output_step=1, adaptive=False),)
    >>> exact_shifts("blur_pool", (1, 1, 16), filt_size=3, stride=2, pad_type="zero")
    (ExactShift(axis=0, length=16, step=16, output_step=0, adaptive=False),)
    >>> exact_shifts("aps_downsample", (1, 1, 16), stride=2)[0].step
    1
    """
    from ..registry import lookup
    operator = lookup(op)
    _check_keywords(operator, op_kwargs)
    ndim, channels_last = op_kwargs.pop("ndim", None), op_kwargs.pop("channels_last", False)
    if ndim is None and len(tuple(input_shape)) < 3:
        raise ValueError(f"input_shape must be the full (N, C, *spatial) shape (or pass "
                         f"ndim=), got {input_shape!r}")
    shape = tuple(int(s) for s in input_shape)
    _, _, count = _args.layout_axes(shape, ndim, channels_last, name="input_shape")
    spatial = shape[len(shape) - count - (1 if channels_last else 0):][:count]
    rule = operator.rule(spatial, **op_kwargs)
    if getattr(rule, "adaptive_shifts", False):
        return tuple(ExactShift(b, n, 1, None, True) for b, n in enumerate(spatial))
    result = []
    for b, n in enumerate(spatial):
        try:
            if hasattr(rule, "shift_structure"):
                structure = rule.shift_structure(b, n, tuple(spatial))
            else:
                structure = rule.axis(b, n, tuple(spatial))
        except NotImplementedError:
            structure = None
        if structure is None:
            result.append(ExactShift(b, n, n, 0))
            continue
        step, c = _axis_shift(structure, n)
        result.append(ExactShift(b, n, step, c))
    return tuple(result)
