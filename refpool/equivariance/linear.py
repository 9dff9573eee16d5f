r"""Exact grid symmetries of any affine, channel-wise call, read off its matrix.

The per-operator rules of :mod:`refpool.equivariance.rules` derive a call's
structure from refpool's documented geometry.  A dialect call
(``refpool.dialects.tf.resize``, ``cv2.resize``, ``pil.resize``, ...) adds a
framework's own arithmetic (float32 index tables, tabulated kernels, accumulated
positions), so its structure is best read off the call itself: a call :math:`f`
that is affine and acts on every channel alike, :math:`f(x) = L x + b` on each
``(batch, channel)`` plane, is determined by :math:`b = f(0)` and the columns
:math:`L e_p = f(e_p) - b` for the delta images :math:`e_p` (one per input
pixel).  A grid symmetry :math:`g` acting as :math:`(T_g x)[q] = x[\tau(q)]`
commutes with :math:`f` for every input exactly when

.. math:: L'[r, q] = L[\tau_{out}(r), \tau_{in}(q)], \qquad b'[r] = b[\tau_{out}(r)]

for every output pixel :math:`r` and input pixel :math:`q` of the transformed
shapes, :math:`L', b'` being the call's matrix and offset for an input of the
transformed shape (the same as :math:`L, b` unless :math:`g` swaps axes of
different lengths), and the output shapes match.  This is the row comparison of
:meth:`~refpool.equivariance.rules.GridSampleRule.element_holds`, with the rows
measured instead of derived.

Limits, all checked:

* at most :data:`MAX_PIXELS` input pixels (one call per pixel, plus two), else
  ValueError;
* the call must return an array of the input's rank whose non-spatial axes keep
  their lengths (the spatial axes are where the input's are);
* affine and channel-wise: every probe's output must be the same on every
  ``(batch, channel)`` plane, and one random input must give :math:`L x + b`
  within rounding, else ValueError; a non-linear call (maximum, clipping that
  bites, rounding to integers) may pass this one test only by accident, and is
  out of scope;
* finite: a NaN or infinity in a probe's output is a ValueError.

Weights are compared as "equal in exact arithmetic" to the precision of the
call's output: :data:`~refpool.equivariance.rules.WEIGHT_RTOL` (relative to the
row's largest weight) for a float64 output, four units in the last place for a
lower precision (a float32 dialect computes its weights in float32: two weights
equal in exact arithmetic may round apart, and no structure tells them from
weights a few ulps apart).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, List, Sequence

import numpy as np

from .. import _args
from ..groups import GroupElement
from .rules import WEIGHT_RTOL, axis_action, grid_group

__all__ = ["exact_symmetries_of_linear", "MAX_PIXELS", "is_dialect_call"]

#: the most input pixels (product of the spatial lengths) the probes accept
MAX_PIXELS = 4096


def _spatial_axes(shape, ndim, channels_last):
    _, _, count = _args.layout_axes(shape, ndim, channels_last, name="input_shape")
    if not 1 <= count <= 3:
        raise ValueError(f"input_shape must have 1 to 3 spatial axes, got {shape}")
    start = len(shape) - count - (1 if channels_last else 0)
    return tuple(range(start, start + count))


class _Affine:
    """The matrix ``L`` (output pixels x input pixels) and offset ``b`` of ``fn`` for
    one input shape, with the output's spatial shape and the comparison tolerance."""

    def __init__(self, fn, shape, axes, dtype, seed=0):
        self.shape, self.axes = shape, axes
        spatial = tuple(shape[a] for a in axes)
        pixels = math.prod(spatial)
        if pixels > MAX_PIXELS:
            raise ValueError(f"exact_symmetries_of_linear probes one delta image per input "
                             f"pixel: at most MAX_PIXELS = {MAX_PIXELS} pixels, got "
                             f"{pixels} for spatial shape {spatial}")
        other = [a for a in range(len(shape)) if a not in axes]

        def call(x):
            y = np.asarray(fn(x))
            if y.ndim != len(shape) or any(y.shape[a] != shape[a] for a in other):
                raise ValueError(f"exact_symmetries_of_linear: the call must return an "
                                 f"array of the input's rank with the non-spatial axes "
                                 f"kept; input shape {shape} gave {y.shape}")
            if y.dtype.kind not in "fiub":
                raise ValueError(f"the call must return a real array, got {y.dtype}")
            return y

        def planes(y):
            # (planes, output pixels): the spatial axes last, flattened
            moved = np.moveaxis(y, axes, range(len(shape) - len(axes), len(shape)))
            return moved.reshape(-1, math.prod(y.shape[a] for a in axes)).astype(np.float64)

        zero = call(np.zeros(shape, dtype))
        self.out = tuple(zero.shape[a] for a in axes)
        out_dtype = zero.dtype if zero.dtype.kind == "f" else np.dtype(np.float64)
        self.rtol = WEIGHT_RTOL if out_dtype == np.float64 else \
            4 * float(np.finfo(out_dtype).eps)
        b = planes(zero)
        self.offset = b[0]
        columns = []
        probe = np.zeros(shape, dtype)
        index = [slice(None)] * len(shape)
        for p in np.ndindex(*spatial):
            for a, i in zip(axes, p):
                index[a] = i
            probe[tuple(index)] = 1
            column = planes(call(probe)) - b
            probe[tuple(index)] = 0
            if not np.all(np.isfinite(column)):
                raise ValueError(f"the call is not finite on the delta image at {p}")
            if np.any(column != column[:1]):
                raise ValueError(f"the call is not channel-wise: the delta image at pixel "
                                 f"{p} (on every plane) gives different planes")
            columns.append(column[0])
        self.matrix = np.stack(columns, axis=1) if columns else \
            np.zeros((b.shape[1], 0))
        if not np.all(np.isfinite(b)):
            raise ValueError("the call is not finite on the zero image")
        # one random input: the call must be L x + b on every plane
        x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
        got = planes(call(x))
        xs = planes(x)
        expect = xs @ self.matrix.T + self.offset
        bound = (np.abs(xs) @ np.abs(self.matrix).T + np.abs(self.offset))
        eps = float(np.finfo(out_dtype).eps)
        if not np.all(np.abs(got - expect) <= 64 * eps * (bound + 1)):
            raise ValueError("the call is not affine and channel-wise (f(x) differs from "
                             "L x + f(0) read off its delta images): "
                             "exact_symmetries_of_linear does not apply")


def _source(shape, perm, reverse):
    """tau: for each flat position of the transformed array, the flat position of the
    original it reads (as GridSampleRule.element_holds)."""
    moved = np.transpose(np.arange(math.prod(shape)).reshape(shape), perm)
    flips = tuple(b for b in range(len(shape)) if reverse[b])
    return (np.flip(moved, flips) if flips else moved).ravel()


def _holds(original, moved, perm, reverse):
    nd = len(perm)
    if moved.out != tuple(original.out[perm[b]] for b in range(nd)):
        return False
    spatial = tuple(original.shape[a] for a in original.axes)
    tau_in = _source(spatial, perm, reverse)
    tau_out = _source(original.out, perm, reverse)
    target = original.matrix[np.ix_(tau_out, tau_in)]
    rtol = max(original.rtol, moved.rtol)
    scale = np.maximum(np.abs(target).max(axis=1, initial=0.0),
                       np.abs(moved.matrix).max(axis=1, initial=0.0))
    if np.any(np.abs(moved.matrix - target) > rtol * scale[:, None]):
        return False
    b = original.offset[tau_out]
    return bool(np.all(np.abs(moved.offset - b) <= rtol * np.maximum(np.abs(b), scale)))


def exact_symmetries_of_linear(fn: Callable[[np.ndarray], Any], input_shape: Sequence[int],
                               *, ndim=None, channels_last: bool = False,
                               dtype=None) -> List[GroupElement]:
    r"""The grid symmetries that commute exactly with an affine, channel-wise call.

    Decides from the call's matrix, measured with delta images (see the module
    :mod:`refpool.equivariance.linear`): every resize dialect
    (:mod:`refpool.dialects`) is such a call.  :func:`refpool.exact_symmetries`
    routes a dialect function (bare, with its arguments as keywords, or bound with
    :func:`functools.partial`) here.

    Parameters
    ----------
    fn : callable
        ``fn(x)`` for an array ``x`` of ``input_shape``; returns an array of the same
        rank, the spatial axes where ``x`` has them, the others kept.
    input_shape : tuple of int
        ``(N, C, *spatial)``, or any layout described by ``ndim`` and
        ``channels_last`` as in :func:`refpool.exact_symmetries` (``(H, W)`` with
        ``ndim=2``; ``(H, W, C)`` with ``ndim=2, channels_last=True``; ``NHWC`` with
        ``channels_last=True``).  At most :data:`MAX_PIXELS` spatial pixels.
    ndim : int, optional
        The number of spatial axes (1 to 3).
    channels_last : bool
    dtype : numpy dtype, optional
        The dtype of the probe images; by default float64, or float32 when the call
        refuses float64 with a TypeError (PIL's mode ``"F"``).  The call may compute
        in its own precision, which sets the comparison's tolerance.

    Returns
    -------
    list of GroupElement
        The elements ``g`` of :func:`~refpool.equivariance.grid_group` for which
        ``fn(T_g x) == T_g fn(x)`` for every ``x`` (up to rounding), ``T_g`` the
        exact grid transform of :meth:`refpool.FieldType.transform` on the spatial
        axes.  An element that swaps axes of different lengths is tested with
        ``fn`` on the transposed shape (with fixed output sizes it then fails unless
        they are equal).

    Raises
    ------
    ValueError
        More than :data:`MAX_PIXELS` input pixels, an output of another rank, a call
        that is not finite, not channel-wise or not affine (checked on one random
        input).

    Examples
    --------
    >>> import functools
    >>> from refpool.dialects import cv2
    >>> from refpool.equivariance.linear import exact_symmetries_of_linear
    >>> call = functools.partial(cv2.resize, dsize=(4, 4), interpolation=cv2.INTER_LINEAR)
    >>> len(exact_symmetries_of_linear(call, (6, 6), ndim=2))
    8
    >>> call = functools.partial(cv2.resize, dsize=(4, 4), interpolation=cv2.INTER_NEAREST)
    >>> from refpool.equivariance import describe_element
    >>> [describe_element(g) for g in exact_symmetries_of_linear(call, (6, 6), ndim=2)]
    ['identity', 'mirror about the diagonal (transpose)']
    """
    shape = tuple(int(s) for s in input_shape)
    axes = _spatial_axes(shape, ndim, channels_last)
    cache = {}

    def affine(spatial):
        if spatial not in cache:
            full = list(shape)
            for a, n in zip(axes, spatial):
                full[a] = n
            cache[spatial] = _Affine(fn, tuple(full), axes, dtype)
        return cache[spatial]

    spatial = tuple(shape[a] for a in axes)
    if dtype is None:
        try:
            dtype = np.dtype(np.float64)
            original = affine(spatial)
        except TypeError:
            dtype = np.dtype(np.float32)
            original = affine(spatial)
    else:
        dtype = np.dtype(dtype)
        original = affine(spatial)
    held = []
    for g in grid_group(len(axes)).elements:
        perm, reverse = axis_action(g, len(axes))
        moved = affine(tuple(spatial[perm[b]] for b in range(len(axes))))
        if _holds(original, moved, perm, reverse):
            held.append(g)
    return held


def _unwrap(op):
    while isinstance(op, functools.partial):
        op = op.func
    return op


def is_dialect_call(op) -> bool:
    """Whether ``op`` is a function of :mod:`refpool.dialects` (or a
    :func:`functools.partial` of one): :func:`refpool.exact_symmetries` routes it to
    :func:`exact_symmetries_of_linear`."""
    module = getattr(_unwrap(op), "__module__", None) or ""
    return callable(op) and module.startswith("refpool.dialects.")
