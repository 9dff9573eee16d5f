r"""Region pooling (2-D): ``roi_pool`` and ``roi_align``.

Both operators read, for every box (region of interest) :math:`k`, a window of one
image :math:`b_k` of the batch and resample it to a fixed ``output_size``
:math:`(o_h, o_w)`: the result is ``(K, C, o_h, o_w)``, one pooled map per box.  The
semantics are torchvision's (``torchvision.ops.roi_pool``, ``torchvision.ops.roi_align``),
stated exactly below; ONNX's ``MaxRoiPool`` and ``RoiAlign`` are
:mod:`refpool.dialects.onnx.region_pooling` over them.

Boxes are ``x1, y1, x2, y2`` in the coordinates of the original image; a box
coordinate :math:`c` is :math:`c\,\sigma` in the coordinates of ``x``, with
:math:`\sigma` = ``spatial_scale`` (e.g. 1/16 for a feature map of stride 16).

Notation, per spatial axis (``y`` along H, ``x`` along W): input length :math:`n`,
output length :math:`o`, scaled corners :math:`c_1\sigma \le c_2\sigma`.

**Precision of the coordinates.**  Every engine computes the box geometry in float64
from the float64 values of ``boxes`` and ``spatial_scale``, whatever the dtypes of
``x`` and ``boxes`` (torchvision computes it in ``x``'s dtype, so a float32 call may
round sample positions differently, by float32 rounding).  The CPU and CUDA engines
read tables that :class:`RoiSpec` builds on the host with NumPy; the reference engine
computes the same float64 operations in the same order with Python floats
(:mod:`refpool.engines.reference.region_pooling`): the bins, sample positions and
bilinear weights are bitwise the same in the three engines.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple, Sequence, Union

import numpy as np

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._typing import Array, ArrayIn, ArrayOrPair, Engine, Optional, Out, Size

__all__ = ["roi_pool", "roi_align", "RoiSpec", "transform_boxes"]

#: ``boxes``: a ``(K, 5)`` array of ``batch_index, x1, y1, x2, y2``, or a sequence of
#: per-image ``(K_i, 4)`` arrays of ``x1, y1, x2, y2``
Boxes = Union[ArrayIn, Sequence[ArrayIn]]

#: largest magnitude of a scaled box coordinate ``c * spatial_scale``: pixel indices
#: and sample positions stay exact integers / exactly representable in float64
MAX_COORDINATE = 2 ** 52

#: largest ``output_size`` per axis (the engines' bin arithmetic stays within int64)
MAX_OUTPUT_LENGTH = 2 ** 31

#: most samples :func:`roi_align` takes along one axis of one box (``o * g``) ...
MAX_AXIS_SAMPLES = 2 ** 24
#: ... and in the whole sampling grid of one box (``o_h g_h o_w g_w``)
MAX_BOX_SAMPLES = 2 ** 32

#: the reductions of :func:`roi_align` over the samples of a bin
REDUCTIONS = ("avg", "max")

#: what a box coordinate means, per operator (:func:`transform_boxes`)
CONVENTIONS = ("continuous", "index")


# =========================================================================== geometry
def _round_half_away(v):
    """float64 ``v`` rounded to integers, halves away from zero, exactly (as an int64
    array); the fractional part ``v - trunc(v)`` is exact in floating point."""
    t = np.trunc(v)
    f = v - t
    return (t + (f >= 0.5) - (f <= -0.5)).astype(np.int64)


class AxisTaps(NamedTuple):
    """:func:`roi_align`'s samples along one spatial axis, for every box.

    Sample ``i`` of bin ``p`` of box ``k`` is entry ``offset[k] + p * g[k] + i`` of
    the flat tables; it reads pixel ``low`` with weight ``w_low`` and pixel ``high``
    with weight ``w_high`` (both weights 0 for a sample outside ``[-1, n]``).
    """

    g: np.ndarray          # int64 (K,): samples per bin (0: none)
    offset: np.ndarray     # int64 (K,)
    low: np.ndarray        # int64 (T,)
    high: np.ndarray       # int64 (T,)
    w_low: np.ndarray      # float64 (T,)
    w_high: np.ndarray     # float64 (T,)


class RoiSpec(NamedTuple):
    """The validated geometry of one region-pooling call (what the engines receive).

    Attributes
    ----------
    input_size : tuple of int
        ``(H, W)``.
    output_size : tuple of int
        ``(o_h, o_w)``.
    batch : int64 ndarray, shape (K,)
        The image of each box.
    boxes : float64 ndarray, shape (K, 4)
        ``x1, y1, x2, y2`` as given (unscaled).
    spatial_scale : float
    sampling_ratio : int
        :func:`roi_align` only (``<= 0``: adaptive).
    aligned : bool
        :func:`roi_align` only.
    """

    input_size: tuple
    output_size: tuple
    batch: np.ndarray
    boxes: np.ndarray
    spatial_scale: float
    sampling_ratio: int = 0
    aligned: bool = False

    def corners(self, axis):
        """The corners ``(c1, c2)`` (float64, unscaled) along spatial axis ``axis``
        (0: y, along H; 1: x, along W)."""
        if axis == 0:
            return self.boxes[:, 1], self.boxes[:, 3]
        return self.boxes[:, 0], self.boxes[:, 2]

    # -- roi_pool
    def pool_bins(self, axis):
        """``(start, end)``, int64 ``(K, o)``: the pixels ``[start, end)`` of every bin
        of :func:`roi_pool` along ``axis``, clipped to the input (exact integer
        arithmetic; the rounding of the scaled corners is C's ``round``)."""
        c1, c2 = self.corners(axis)
        n, o = self.input_size[axis], self.output_size[axis]
        start = _round_half_away(c1 * self.spatial_scale)
        end = _round_half_away(c2 * self.spatial_scale)
        size = np.maximum(end - start + 1, 1)
        # floor(p L / o) and ceil((p+1) L / o) without forming p L (int64 overflow)
        q, r = np.divmod(size, o)
        p = np.arange(o, dtype=np.int64)
        lo = start[:, None] + p * q[:, None] + (p * r[:, None]) // o
        hi = start[:, None] + (p + 1) * q[:, None] + ((p + 1) * r[:, None] + o - 1) // o
        return np.clip(lo, 0, n), np.clip(hi, 0, n)

    # -- roi_align
    def align_grid(self, axis):
        """``(start, width, g)`` of every box along ``axis``: the first bin's start, the
        bin width (float64) and the samples per bin (float64, before the size check)."""
        c1, c2 = self.corners(axis)
        o = self.output_size[axis]
        offset = 0.5 if self.aligned else 0.0
        start = c1 * self.spatial_scale - offset
        end = c2 * self.spatial_scale - offset
        size = end - start
        if not self.aligned:
            size = np.maximum(size, 1.0)            # a malformed box reads one pixel
        width = size / o
        if self.sampling_ratio > 0:
            g = np.full(len(size), float(self.sampling_ratio))
        else:
            g = np.maximum(np.ceil(size / o), 0.0)
        return start, width, g

    def align_taps(self, axis):
        """:class:`AxisTaps` of every sample of every box along ``axis`` (the float64
        operations, in torchvision's order, of the reference engine's
        ``_align_axis``)."""
        start, width, g = self.align_grid(axis)
        g = g.astype(np.int64)
        n, o = self.input_size[axis], self.output_size[axis]
        counts = o * g
        offset = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        k = np.repeat(np.arange(len(g)), counts)
        local = np.arange(int(counts.sum()), dtype=np.int64) - offset[k]
        gk = g[k]
        p, i = local // gk, local % gk
        pos = (start[k] + p * width[k]) + ((i + 0.5) * width[k]) / gk
        outside = (pos < -1) | (pos > n)
        y = np.where(pos <= 0, 0.0, pos)
        low = np.floor(y)
        clamped = low >= n - 1
        low = np.where(clamped, float(n - 1), low)
        y = np.where(clamped, low, y)
        high = np.where(clamped, low, low + 1)
        frac = y - low
        rest = 1.0 - frac
        return AxisTaps(g, offset,
                        np.where(outside, 0, low).astype(np.int64),
                        np.where(outside, 0, high).astype(np.int64),
                        np.where(outside, 0.0, rest), np.where(outside, 0.0, frac))

    def align_count(self):
        """The divisor of every box's bins, ``max(g_h g_w, 1)`` (float64, ``(K,)``)."""
        gh = self.align_grid(0)[2]
        gw = self.align_grid(1)[2]
        return np.maximum(gh * gw, 1.0)


# =========================================================================== arguments
class _RegionLayout(_args.Layout):
    """The caller's layout of a region-pooling call: the box axis ``K`` replaces the
    batch axis (``(K, C, o_h, o_w)``, ``(K, o_h, o_w, C)`` channels-last, ``(K, o_h,
    o_w)`` for an input without channel axis)."""

    __slots__ = ()

    def caller_shape(self, shape):
        shape = tuple(int(n) for n in shape)
        if not self.reshaped:
            return shape
        channels = shape[1:2] if self.channels else ()
        if self.channels_last:
            return shape[:1] + shape[2:] + channels
        return shape[:1] + channels + shape[2:]


def _caller(x, ndim, channels_last, engine, op, integers):
    """The :class:`~refpool._dispatch.Caller` of a region-pooling call: 2-D, at most one
    batch axis (the one the batch indices of ``boxes`` count), results with the box
    axis first."""
    caller = Caller(x, ndim, channels_last, engine, op=op, integers=integers)
    layout = caller.layout
    if ndim is not None and layout.spatial != 2:
        raise ValueError(f"{op} is 2-D: ndim must be 2 (or None), got ndim={ndim!r}")
    if layout.batch is not None and len(layout.batch) > 1:
        raise ValueError(
            f"{op}: x of shape {tuple(caller.original.shape)} has {len(layout.batch)} batch "
            f"axes; the batch indices of boxes count one: reshape x to (N, C, H, W)")
    caller.layout = _RegionLayout(*layout)
    return caller


def _as_host_array(a, name):
    """``a`` (a NumPy or CUDA array, or a host array-like) as a NumPy array."""
    if _args.is_cuda_array(a):
        from numba import cuda
        from ._dispatch import _as_device_array
        return _as_device_array(cuda, a).copy_to_host()
    if isinstance(a, np.ndarray):
        _args.check_host_array_type(a, name)
        return np.asarray(a)
    if isinstance(a, (str, bytes)) or not (hasattr(a, "__array__") or hasattr(a, "__dlpack__")
                                           or isinstance(a, (list, tuple))):
        raise TypeError(f"{name} must be an array of box coordinates, got "
                        f"{type(a).__name__}")
    if isinstance(a, (list, tuple)):           # numbers written out: coordinates
        try:
            return np.asarray(a, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of box coordinates: {exc}") from None
    return _args.as_array(a, name)


def _float_boxes(a, name, columns):
    if a.dtype.kind != "f":
        hint = (f"; pass {name}.astype(np.float64)" if a.dtype.kind in "iub" else "")
        raise TypeError(f"{name} must have a floating dtype (float16, float32 or float64), "
                        f"got {a.dtype}{hint}")
    if a.ndim != 2 or a.shape[1] != columns:
        raise ValueError(f"{name} must have shape (K, {columns}), got {a.shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must hold finite coordinates (no NaN or infinity)")
    return a


def check_boxes(boxes, batch_size=None):
    """Validate ``boxes``; returns ``(batch, coordinates)``: int64 ``(K,)`` and float64
    ``(K, 4)`` ``x1, y1, x2, y2`` (new arrays: the caller's are never modified).

    ``boxes`` is a ``(K, 5)`` float array of ``batch_index, x1, y1, x2, y2`` (NumPy,
    CUDA, or any host array-like), or a list or tuple of per-image ``(K_i, 4)`` float
    arrays of ``x1, y1, x2, y2`` (image ``i`` of the batch; an empty sequence counts as
    ``(0, 4)``; a per-image entry written as nested lists of numbers is read as
    float64).  Batch indices must be integers in ``[0, batch_size)`` (only
    ``>= 0`` when ``batch_size`` is None).
    """
    if isinstance(boxes, (list, tuple)):
        if batch_size is not None and len(boxes) > batch_size:
            raise ValueError(f"boxes: a sequence of per-image boxes has one entry per image, "
                             f"got {len(boxes)} entries for a batch of {batch_size}")
        coordinates, batch = [], []
        for i, entry in enumerate(boxes):
            name = f"boxes[{i}]"
            a = _as_host_array(entry, name)
            if a.ndim == 1 and a.shape[0] == 0:
                a = np.zeros((0, 4), np.float64)
            coordinates.append(_float_boxes(a, name, 4))
            batch.append(np.full(len(coordinates[-1]), i, np.int64))
        if not coordinates:
            return np.zeros(0, np.int64), np.zeros((0, 4), np.float64)
        return np.concatenate(batch), np.concatenate(coordinates)
    a = _float_boxes(_as_host_array(boxes, "boxes"), "boxes", 5)
    index = a[:, 0]
    bad = (index != np.floor(index)) | (index < 0)
    if batch_size is not None:
        bad |= index >= batch_size
    if bad.any():
        row = int(np.argmax(bad))
        limit = f"[0, {batch_size})" if batch_size is not None else ">= 0"
        raise ValueError(f"boxes: the batch indices (column 0) must be integers in {limit}, "
                         f"got {index[row]!r} in row {row}")
    return index.astype(np.int64), np.ascontiguousarray(a[:, 1:])


def check_output_size(output_size):
    """``(o_h, o_w)``: an int or a pair of ints in ``[1, MAX_OUTPUT_LENGTH]``."""
    size = _args.per_axis(output_size, 2, "output_size", minimum=1)
    if max(size) > MAX_OUTPUT_LENGTH:
        raise ValueError(f"output_size must be at most 2**31 per axis, got {output_size!r}")
    return size


def check_sampling_ratio(sampling_ratio):
    if not _args._is_int(sampling_ratio):
        raise TypeError(f"sampling_ratio must be an int (<= 0: adaptive), got "
                        f"{sampling_ratio!r}")
    return _args.check_int_range(int(sampling_ratio), "sampling_ratio")


def check_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


#: ``roi_spec``'s ``sampling_ratio`` for :func:`roi_pool` (which has none)
POOL = object()


def roi_spec(input_size, boxes, output_size, spatial_scale, batch_size=None,
             sampling_ratio=POOL, aligned=False):
    """Validate the arguments of a region-pooling call (in the operator's order) and
    return its :class:`RoiSpec`; without ``sampling_ratio``: :func:`roi_pool`'s."""
    batch, coordinates = check_boxes(boxes, batch_size)
    osize = check_output_size(output_size)
    scale = _args.isfinite_positive(spatial_scale, "spatial_scale")
    align = sampling_ratio is not POOL
    if align:
        sampling_ratio = check_sampling_ratio(sampling_ratio)
        aligned = _args.check_bool(aligned, "aligned")
    with np.errstate(over="ignore"):
        scaled = np.abs(coordinates) * scale
    if scaled.size and not scaled.max() <= MAX_COORDINATE:
        raise ValueError(f"boxes scaled by spatial_scale={scale!r} must lie within "
                         f"+-2**52 (refpool computes box geometry in float64), got a "
                         f"coordinate of {float(coordinates.flat[np.argmax(scaled)])!r}")
    spec = RoiSpec(tuple(int(n) for n in input_size), osize, batch, coordinates, scale,
                   sampling_ratio if align else 0, aligned)
    if align:
        _check_samples(spec)
    return spec


def _check_samples(spec):
    """The size rule of :func:`roi_align`'s sampling grids (:data:`MAX_AXIS_SAMPLES`,
    :data:`MAX_BOX_SAMPLES`), before any table is built."""
    fixed = spec.sampling_ratio > 0
    if fixed:
        g = [np.array([float(spec.sampling_ratio)])] * 2
    else:
        g = [spec.align_grid(axis)[2] for axis in (0, 1)]
    along = [o * gi for o, gi in zip(spec.output_size, g)]
    culprit = (f"sampling_ratio={spec.sampling_ratio!r}" if fixed
               else "boxes (their size in pixels sets the adaptive sampling grid)")
    if any(a.size and a.max() > MAX_AXIS_SAMPLES for a in along) or (
            along[0].size and (along[0] * along[1]).max() > MAX_BOX_SAMPLES):
        raise _args.SizeLimitError(
            f"{culprit} makes roi_align's sampling grid too large: a box would take more "
            f"than 2**24 samples along one axis or 2**32 in all (pass a positive "
            f"sampling_ratio, smaller boxes or a smaller spatial_scale)")


def _output_shape(spec, x_shape):
    return _args.Extent((len(spec.batch), x_shape[1]) + spec.output_size,
                        f"output_size={spec.output_size!r}")


def _split_out(out, return_indices):
    if not return_indices:
        return out, None
    if out is None:
        return None, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError("out must be a tuple (output, indices) with return_indices=True")
    return out


def transform_boxes(boxes, element, input_size, spatial_scale=1.0, convention="continuous"):
    """The boxes of the transformed image: ``boxes`` moved by the grid symmetry
    ``element`` acting on an image of spatial shape ``input_size`` (``(H, W)``), as
    :meth:`refpool.FieldType.transform` moves the image.

    The transformed image's axis ``b`` is the input's axis ``perm[b]``, reversed where
    ``reverse[b]`` (``element.axis_permutation``).  A box's interval along the new axis
    ``b`` is its interval along ``perm[b]``, and a reversal of an axis of ``n`` pixels
    maps the interval :math:`[c_1, c_2]` to :math:`[C - c_2, C - c_1]` with

    * :math:`C = n / \\sigma` for ``convention="continuous"``: coordinates on the
      continuous image, pixel :math:`q` spanning :math:`[q, q+1)`
      (:func:`roi_align` with ``aligned=True``; the usual box flip ``W - x``);
    * :math:`C = (n - 1) / \\sigma` for ``convention="index"``: coordinates are pixel
      indices, pixel :math:`q` at :math:`q` (:func:`roi_pool`, :func:`roi_align` with
      ``aligned=False``).

    Parameters
    ----------
    boxes : array, shape (K, 5), or sequence of (K_i, 4) arrays
        As :func:`roi_pool` reads them.
    element : GroupElement
        A grid symmetry of the plane (an element of ``dihedral(4)``).
    input_size : tuple of int
        ``(H, W)`` of the input the boxes refer to (after ``spatial_scale``).
    spatial_scale : float
    convention : {"continuous", "index"}

    Returns
    -------
    ndarray, shape (K, 5), float64
        ``batch_index, x1, y1, x2, y2`` with ``x1 <= x2`` whenever the input's were.

    Examples
    --------
    A horizontal mirror of a 4 x 8 image (``D4[1,0]``, the flip that reverses W):

    >>> import numpy as np
    >>> from refpool import groups
    >>> from refpool.region_pooling import transform_boxes
    >>> flip = groups.dihedral(4).element((1, 0))
    >>> transform_boxes(np.array([[0, 1.0, 0.0, 3.0, 2.0]]), flip, (4, 8)).tolist()
    [[0.0, 5.0, 0.0, 7.0, 2.0]]
    >>> transform_boxes(np.array([[0, 1.0, 0.0, 3.0, 2.0]]), flip, (4, 8),
    ...                 convention="index").tolist()
    [[0.0, 4.0, 0.0, 6.0, 2.0]]
    """
    from .equivariance.rules import axis_action
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    batch, coordinates = check_boxes(boxes)
    scale = _args.isfinite_positive(spatial_scale, "spatial_scale")
    perm, reverse = axis_action(element, 2)
    spec = RoiSpec(tuple(int(n) for n in input_size), (1, 1), batch, coordinates, scale)
    moved = []
    for b in (0, 1):
        a = perm[b]
        c1, c2 = spec.corners(a)
        if reverse[b]:
            n = spec.input_size[a] - (1 if convention == "index" else 0)
            c1, c2 = n / scale - c2, n / scale - c1
        moved.append((c1, c2))
    (y1, y2), (x1, x2) = moved
    return np.stack([batch.astype(np.float64), x1, y1, x2, y2], axis=1)


# =========================================================================== operators
_LAYOUT_DOC = r"""ndim : int, optional
        2, or None (default): ``x`` is ``(N, C, H, W)``.  With ``ndim=2`` the last two axes
        are spatial and the axis before them, if any, holds the channels: ``(H, W)``,
        ``(C, H, W)`` (one image: batch index 0) and ``(N, C, H, W)`` work; more than
        one batch axis is refused (the batch indices of ``boxes`` count one).  The box
        axis takes the batch axis's place in the result: ``(K, o_h, o_w)`` for ``(H,
        W)``, ``(K, C, o_h, o_w)`` otherwise.
    channels_last : bool
        The channel axis is the last one: ``(N, H, W, C)``, or with ``ndim=2``, ``(H, W,
        C)`` (host arrays); the result is ``(K, o_h, o_w, C)``."""


def _fill_layout(function):
    function.__doc__ = function.__doc__.replace("%(region_layout_params)s", _LAYOUT_DOC)
    return fill_doc(function)


@_fill_layout
def roi_pool(x: ArrayIn, boxes: Boxes, output_size: Size, spatial_scale: float = 1.0,
             return_indices: bool = False, *, ndim: Optional[int] = None,
             channels_last: bool = False, engine: Engine = "auto",
             out: Out = None) -> ArrayOrPair:
    r"""Region-of-interest max pooling (2-D), torchvision's ``roi_pool`` (Fast R-CNN).

    %(grid_equivariance)s

    Here "the call" includes its boxes: ``exact_symmetries`` answers whether
    ``roi_pool(T x, T boxes) == T roi_pool(x, boxes)``, with the boxes moved by
    :func:`transform_boxes` (``convention="index"``; see Notes).

    Box :math:`k` (image :math:`b_k`) is rounded to pixel indices,
    :math:`s = \mathrm{round}(c_1\sigma)` and :math:`e = \mathrm{round}(c_2\sigma)` per
    axis (C's ``round``: halves away from zero), covers the
    :math:`L = \max(e - s + 1, 1)` pixels from :math:`s`, and is cut into :math:`o`
    bins per axis,

    .. math::

        R_p = \big[s + \lfloor pL/o \rfloor,\; s + \lceil (p+1)L/o \rceil\big)
              \cap [0, n), \qquad
        y[k, c, i, j] = \max_{h \in R_i^{(y)},\ w \in R_j^{(x)}} x[b_k, c, h, w],

    with the bin boundaries in exact integer arithmetic.  An empty bin (its range
    lies outside the input) is ``0`` with index ``-1``.

    Parameters
    ----------
    x : array, shape ``(N, C, H, W)`` (other layouts: ``ndim``), float or integer
        A NumPy or CUDA array, or any host array exposing ``__dlpack__`` or
        ``__array__``.  float16 is computed in float32 (float64 by the reference
        engine); integer dtypes give the exact result in ``x``'s dtype (64-bit
        integers within :math:`\pm 2^{53}`).
    boxes : array, shape (K, 5), or sequence of arrays of shape (K_i, 4)
        Float boxes (any float dtype; NumPy, CUDA or host array-like): a ``(K, 5)``
        array of ``batch_index, x1, y1, x2, y2`` (integral batch indices in
        ``[0, N)``), or one ``(K_i, 4)`` array of ``x1, y1, x2, y2`` per image, in
        batch order (torchvision's two forms; a per-image entry may be nested lists of
        numbers).  Integer arrays are refused (pass ``boxes.astype(np.float64)``).
        Finite, and within
        :math:`\pm 2^{52}` once scaled.  Read, never modified.
    output_size : int or tuple of 2 ints
        :math:`(o_h, o_w)`, each in :math:`[1, 2^{31}]`.
    spatial_scale : float
        :math:`\sigma > 0`, finite: box coordinates times :math:`\sigma` are pixel
        coordinates of ``x``.
    return_indices : bool
        Also return the int64 flat index ``h*W + w`` (into the image's ``(H, W)``
        plane) of each selected element, ``-1`` for an empty bin.
    %(region_layout_params)s
    %(engine_param)s
    %(out_param)s
        With ``return_indices=True``, a tuple ``(output, indices)`` of such arrays.

    Returns
    -------
    y : array, shape (K, C, o_h, o_w), dtype of ``x``
    indices : int64 array, shape (K, C, o_h, o_w)
        Only with ``return_indices=True``.

    Raises
    ------
    %(raises_common)s
    TypeError
        If ``boxes`` is not a float array (or a sequence of them), or an argument has
        the wrong type.
    ValueError
        If ``boxes`` has the wrong shape, a non-finite coordinate or a batch index
        that is not an integer in ``[0, N)``, ``spatial_scale`` is not positive and
        finite, ``output_size`` is not in ``[1, 2**31]``, or ``x`` is not 2-D.

    Notes
    -----
    **Selection rule** (max pooling's, docs/numerics.rst): each bin is scanned in
    row-major order; the last NaN wins, else the first maximum with ``+0`` above
    ``-0``, and the output is bitwise the element at the index.  torchvision and
    ONNX Runtime start the scan at ``-FLT_MAX`` and compare with ``>``: they skip
    NaN, and give ``-3.4028235e38`` for a bin of ``-inf`` values.

    **Exact equivariance.**  With the boxes moved by :func:`transform_boxes`
    (``convention="index"``: a reversal of an axis of :math:`n` pixels maps
    :math:`c \mapsto (n-1)/\sigma - c`, the pixel-index reflection
    :math:`q \mapsto n - 1 - q`; a transpose swaps x and y), the bins of the moved
    box are the mirror images of the bins of the box (the bins are adaptive
    pooling's), so a reversal commutes exactly unless the rounding does not: along
    that axis a box must have :math:`e \ge s` and no scaled corner may be a
    half-integer strictly inside :math:`(0, n-1)` (the rounding of halves is not
    mirror-symmetric).  A transpose needs :math:`o_h = o_w`.  Boxes whose bins are
    all empty hold for every element.  ``exact_symmetries`` computes the bins in
    exact rational arithmetic; the engines round the float64 product
    :math:`c\sigma`, which equals it unless that product is inexact at a half.
    Ties between equal values (the indices) follow the row-major scan, which a
    reflection reverses.

    **Field types.**  Acts channel by channel, selecting elements: it commutes with
    every permutation representation acting on the channels.

    Examples
    --------
    One box over the pixels 0..2 of rows and columns, two bins per axis: the bins
    are ``[0, 2)`` and ``[1, 3)`` (:math:`L = 3`), which overlap:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> boxes = np.array([[0, 0.0, 0.0, 2.0, 2.0]])        # batch 0, x1, y1, x2, y2
    >>> refpool.roi_pool(x, boxes, 2, engine="reference").tolist()
    [[[[5.0, 6.0], [9.0, 10.0]]]]

    The per-image form, a box half outside the image, and the indices (``-1``: the
    empty bins left of the image):

    >>> y, idx = refpool.roi_pool(x, [np.array([[-2.0, 1.0, 1.0, 2.0]])], (1, 2),
    ...                           return_indices=True, engine="reference")
    >>> y.tolist(), idx.tolist()
    ([[[[0.0, 9.0]]]], [[[[-1, 9]]]])
    """
    caller = _caller(x, ndim, channels_last, engine, "roi_pool", integers=True)
    x = caller.x
    _args.check_input(x, min_spatial=2, max_spatial=2)
    _args.check_spatial_shape(x.shape[2:], "roi_pool")
    spec = roi_spec(x.shape[2:], boxes, output_size, spatial_scale, x.shape[0])
    return_indices = _args.check_bool(return_indices, "return_indices")
    launch = Launch(x, engine, caller)
    shape = _output_shape(spec, x.shape)
    out_y, out_i = _split_out(out, return_indices)
    y = launch.output(shape, _args.array_dtype(x), out_y, "out")
    if return_indices:
        idx = launch.output(shape, np.int64, out_i, "out[1]")
        launch.run("region_pooling", "roi_pool_with_indices", launch.x, y, idx, spec)
        return launch.result(y), launch.result(idx)
    launch.run("region_pooling", "roi_pool", launch.x, y, spec)
    return launch.result(y)


@_fill_layout
def roi_align(x: ArrayIn, boxes: Boxes, output_size: Size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False, reduction: str = "avg", *,
              ndim: Optional[int] = None, channels_last: bool = False,
              engine: Engine = "auto", out: Out = None) -> Array:
    r"""Region-of-interest align (2-D), torchvision's ``roi_align`` (Mask R-CNN).

    %(grid_equivariance)s

    Here "the call" includes its boxes: ``exact_symmetries`` answers whether
    ``roi_align(T x, T boxes) == T roi_align(x, boxes)``, with the boxes moved by
    :func:`transform_boxes` in the convention of ``aligned`` (see Notes).

    Per axis, box :math:`k` starts at :math:`a = c_1\sigma - \delta` and its bins are
    :math:`b = L/o` wide, :math:`L = c_2\sigma - \delta - a`, with
    :math:`\delta = 1/2` when ``aligned`` (box coordinates on the continuous image,
    pixel :math:`q` spanning :math:`[q, q+1)`) and else :math:`\delta = 0` and
    :math:`L` raised to at least 1.  Bin :math:`p` takes :math:`g` samples at

    .. math::

        y_{p,i} = a + p\,b + (i + \tfrac12)\,\frac{b}{g}, \qquad
        g = \begin{cases} \text{sampling\_ratio} & \text{if } > 0 \\
                          \lceil L/o \rceil & \text{otherwise,} \end{cases}

    (float64, in this order), and the bin of the 2-D output is the average (or the
    maximum) of the bilinear samples :math:`x[b_k, c](y_{i}, x_{j})` over its
    :math:`g_h \times g_w` grid, averaged with the divisor :math:`\max(g_h g_w, 1)`.
    A sample at :math:`y < -1` or :math:`y > n` (either axis) is 0; otherwise the
    coordinate is clamped to :math:`[0, n-1]` and interpolated linearly between
    :math:`\lfloor y \rfloor` and :math:`\lfloor y \rfloor + 1`.  A bin without
    samples is 0.

    Parameters
    ----------
    x : array, shape ``(N, C, H, W)`` (other layouts: ``ndim``), float16, float32 or float64
        A NumPy or CUDA array, or any host array exposing ``__dlpack__`` or
        ``__array__``.  float16 is computed in float32 (float64 by the reference
        engine) and rounded once.
    boxes : array, shape (K, 5), or sequence of arrays of shape (K_i, 4)
        As in :func:`roi_pool`.
    output_size : int or tuple of 2 ints
        :math:`(o_h, o_w)`, each in :math:`[1, 2^{31}]`.
    spatial_scale : float
        :math:`\sigma > 0`, finite.
    sampling_ratio : int
        Samples per bin and axis; ``<= 0`` (default ``-1``): adaptive,
        :math:`\lceil L/o \rceil`.  A box's sampling grid may hold at most
        :math:`2^{24}` samples along one axis and :math:`2^{32}` in all.
    aligned : bool
        Shift the box by half a pixel (:math:`\delta = 1/2`), so that box
        coordinates are continuous image coordinates; no minimum box size.
    reduction : {"avg", "max"}
        How a bin reduces its samples: their average (torchvision), or their
        maximum (ONNX ``RoiAlign`` ``mode="max"`` as the specification states it;
        the NaN rule of max pooling: a NaN sample wins).  A sample outside the
        image counts as 0 in both.
    %(region_layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (K, C, o_h, o_w), dtype of ``x``

    Raises
    ------
    %(raises_common)s
    TypeError
        If ``boxes`` is not a float array (or a sequence of them), or an argument has
        the wrong type.
    ValueError
        As :func:`roi_pool`, and if ``reduction`` is not ``"avg"`` or ``"max"``.

    Notes
    -----
    **Numerics.**  Every engine computes the sample positions and weights in
    float64 (bitwise the same in the three), sums in float64 and rounds once.  A
    term whose weight is zero is skipped: a NaN or infinity at a pixel the bilinear
    sample does not weigh (the clamped neighbour, the pixel ``(0, 0)`` that
    torchvision and ONNX Runtime multiply by 0 for samples outside the image) does
    not reach the output.  A NaN result is the default NaN.

    **Exact equivariance.**  With the boxes moved by :func:`transform_boxes` in the
    convention of ``aligned`` (``aligned=True``: :math:`c \mapsto n/\sigma - c`,
    the usual box flip; ``aligned=False``: :math:`c \mapsto (n-1)/\sigma - c`, box
    coordinates being pixel indices; a transpose swaps x and y), the samples of
    the moved box are the mirror images :math:`y \mapsto n - 1 - y` of the box's,
    and the bilinear rule (zero outside :math:`[-1, n]`, clamping) is
    mirror-symmetric.  So, in exact arithmetic: with ``aligned=True`` every
    reversal commutes; with ``aligned=False`` a reversal commutes when every box
    spans at least one pixel along that axis (:math:`(c_2 - c_1)\sigma \ge 1`:
    the minimum size extends a smaller box towards larger coordinates, which a
    reversal does not mirror); a transpose needs :math:`o_h = o_w`.  The engines
    agree with their mirror image up to rounding (exactly when the moved box's
    coordinates are computed exactly, e.g. dyadic boxes and scales).

    **Field types.**  The same weights on every channel: a linear map that commutes
    with every representation acting on the channels (with ``reduction="max"``, with
    the permutation representations).

    Examples
    --------
    On a linear ramp bilinear sampling is exact, so each bin is the ramp at its
    centre: a box over ``[0, 4] x [0, 4]`` with 2 x 2 bins samples the ramp
    ``x[h, w] = w`` at ``w = 0.5, 1.5`` (bin 0) and ``2.5, 3.5`` (bin 1):

    >>> import numpy as np
    >>> import refpool
    >>> x = np.tile(np.arange(6.0), (6, 1))[None, None]     # x[h, w] = w
    >>> boxes = np.array([[0, 0.0, 0.0, 4.0, 4.0]])
    >>> refpool.roi_align(x, boxes, 2, engine="reference").tolist()
    [[[[1.0, 3.0], [1.0, 3.0]]]]

    ``aligned=True`` shifts the samples by half a pixel (box coordinates become
    continuous image coordinates), and the maximum takes the largest sample:

    >>> refpool.roi_align(x, boxes, 2, aligned=True, engine="reference").tolist()
    [[[[0.5, 2.5], [0.5, 2.5]]]]
    >>> refpool.roi_align(x, boxes, 2, aligned=True, reduction="max",
    ...                   engine="reference").tolist()
    [[[[1.0, 3.0], [1.0, 3.0]]]]
    """
    caller = _caller(x, ndim, channels_last, engine, "roi_align", integers=False)
    x = caller.x
    _args.check_input(x, min_spatial=2, max_spatial=2)
    _args.check_spatial_shape(x.shape[2:], "roi_align")
    spec = roi_spec(x.shape[2:], boxes, output_size, spatial_scale, x.shape[0],
                    sampling_ratio, aligned)
    reduction = check_reduction(reduction)
    launch = Launch(x, engine, caller)
    y = launch.output(_output_shape(spec, x.shape), _args.array_dtype(x), out)
    launch.run("region_pooling", "roi_align", launch.x, y, spec, reduction)
    return launch.result(y)
