r"""ONNX ``RoiAlign`` (opset 16) and ``MaxRoiPool`` over :func:`refpool.roi_align` and
:func:`refpool.roi_pool`.

Inputs positionally, attributes as keywords with ONNX's names and defaults; each
function returns the node's single output ``Y``.

Readings of the specification
-----------------------------
``RoiAlign``
    ``coordinate_transformation_mode="half_pixel"`` is ``aligned=True`` (the ROI
    shifted by half a pixel, no minimum size); ``"output_half_pixel"`` (opset 10's
    behaviour) is ``aligned=False`` (minimum size 1).  ``sampling_ratio=0`` is the
    adaptive grid :math:`\lceil L/o \rceil`; the specification defines no negative
    value, and refpool refuses one.  ``mode="avg"`` averages the bilinear samples of
    each bin; ``mode="max"`` takes, as the specification says, "max pooling over the
    sampling points": the largest bilinear sample (refpool's
    ``reduction="max"``).
``MaxRoiPool``
    Fast R-CNN's RoI pooling, :func:`refpool.roi_pool`: ``rois`` ``(num_rois, 5)``
    of ``batch_index, x1, y1, x2, y2``, corners rounded (halves away from zero),
    bins of :math:`\lfloor\cdot\rfloor`/:math:`\lceil\cdot\rceil` boundaries, empty
    bins 0.

Divergences from the implementations (documented in ``docs/region_pooling.rst``)
---------------------------------------------------------------------------------
* ``RoiAlign`` ``mode="max"``: ONNX Runtime (1.32) and ``onnx.reference`` (1.23)
  agree with each other and not with the specification: each sample contributes
  the largest of its four *weighted corner terms* :math:`w_i v_i`, not the
  bilinear value :math:`\sum_i w_i v_i`, so their max is smaller than refpool's on
  positive images (ONNX Runtime warns that its max mode is incorrect for
  sampling ratios other than 1).  On ``X = [[0, 1], [2, 3]]``, the ROI ``[0, 0, 1,
  1]``, ``output_half_pixel``, one bin and ``sampling_ratio=1`` they give 0.75
  where refpool gives the bilinear sample 1.5.
* ``spatial_scale`` is a float attribute, 32-bit in an ONNX model: these functions
  round it to float32 as a model stores it (``1.3`` is ``1.2999999523...``).
* ``RoiAlign`` and ``MaxRoiPool`` run in float32 for float32 input in ONNX Runtime
  (positions rounded to float32); refpool computes the geometry in float64.
* ``MaxRoiPool``: ONNX Runtime skips NaN and returns ``-3.4028235e38`` for a bin of
  ``-inf`` values; refpool's selection rule propagates NaN and selects ``-inf``.
  ``onnx.reference`` has no ``MaxRoiPool``.
* A term of weight zero is skipped by refpool; ONNX Runtime and ``onnx.reference``
  multiply it, so a NaN at pixel ``(0, 0)`` of an image reaches every bin that has
  a sample outside the image there.
"""

from __future__ import annotations

import contextlib
import math
import numbers

import numpy as np

from ... import _args
from ...region_pooling import roi_align, roi_pool

__all__ = ["RoiAlign", "MaxRoiPool"]

#: RoiAlign's ``coordinate_transformation_mode`` values -> ``aligned``
COORDINATE_MODES = {"half_pixel": True, "output_half_pixel": False}

#: RoiAlign's ``mode`` values
MODES = ("avg", "max")


def _int_attribute(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int attribute, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return _args.check_int_range(int(value), name)


def _float_attribute(value, name):
    """A positive finite float attribute, rounded to float32 as an ONNX model stores it."""
    value = _args.isfinite_positive(value, name)
    rounded = float(np.float32(value))
    if not math.isfinite(rounded) or rounded <= 0:
        raise ValueError(f"{name} must be a positive float32 value, got {value!r}")
    return rounded


@contextlib.contextmanager
def _naming_rois():
    """Errors of the core operator about its ``boxes`` name the node's ``rois``."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        message = str(exc)
        if message.startswith("boxes"):
            raise type(exc)("rois" + message[len("boxes"):]) from None
        raise


def _host(a, name):
    a = _args.as_array(a, name)
    if _args.is_cuda_array(a):
        from numba import cuda
        from ..._dispatch import _as_device_array
        a = _as_device_array(cuda, a).copy_to_host()
    return np.asarray(a)


def RoiAlign(X, rois, batch_indices, *, coordinate_transformation_mode="half_pixel",
             mode="avg", output_height=1, output_width=1, sampling_ratio=0,
             spatial_scale=1.0):
    r"""ONNX ``RoiAlign`` (opset 16): :func:`refpool.roi_align`.

    Parameters
    ----------
    X : array, shape (N, C, H, W), float16, float32 or float64
    rois : array, shape (num_rois, 4), float
        ``x1, y1, x2, y2`` in the coordinates of the original image.
    batch_indices : array, shape (num_rois,), integer
        The image of each ROI, in ``[0, N)``.
    coordinate_transformation_mode : {"half_pixel", "output_half_pixel"}
        ``aligned=True`` / ``aligned=False``.
    mode : {"avg", "max"}
        The reduction over the samples of a bin (``"max"``: the largest bilinear
        sample, the specification's reading; see the module notes for ONNX
        Runtime's).
    output_height, output_width : int
        :math:`\ge 1`.
    sampling_ratio : int
        :math:`\ge 0`; 0 is adaptive.
    spatial_scale : float
        Positive and finite.

    Returns
    -------
    Y : ndarray, shape (num_rois, C, output_height, output_width), dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects.onnx import RoiAlign
    >>> X = np.tile(np.arange(4.0), (4, 1))[None, None]       # X[h, w] = w
    >>> RoiAlign(X, np.array([[0.0, 0.0, 4.0, 4.0]]), np.array([0]),
    ...          output_height=1, output_width=2).tolist()
    [[[[0.5, 2.5]]]]
    """
    if coordinate_transformation_mode not in COORDINATE_MODES:
        raise ValueError(f"coordinate_transformation_mode must be one of "
                         f"{tuple(COORDINATE_MODES)}, got {coordinate_transformation_mode!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    height = _int_attribute(output_height, "output_height", 1)
    width = _int_attribute(output_width, "output_width", 1)
    sampling_ratio = _int_attribute(sampling_ratio, "sampling_ratio", 0)
    spatial_scale = _float_attribute(spatial_scale, "spatial_scale")
    rois = _host(rois, "rois")
    indices = _host(batch_indices, "batch_indices")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"batch_indices must have an integer dtype (ONNX: int64), got "
                        f"{indices.dtype}")
    if indices.ndim != 1:
        raise ValueError(f"batch_indices must have shape (num_rois,), got {indices.shape}")
    if rois.ndim != 2 or rois.shape[1] != 4 or rois.shape[0] != indices.shape[0]:
        raise ValueError(f"rois must have shape (num_rois, 4) with num_rois = "
                         f"len(batch_indices) = {indices.shape[0]}, got {rois.shape}")
    if rois.dtype.kind != "f":
        raise TypeError(f"rois must have a floating dtype, got {rois.dtype}")
    boxes = np.concatenate([indices.astype(np.float64)[:, None], rois.astype(np.float64)],
                           axis=1)
    with _naming_rois():
        try:
            return roi_align(X, boxes, (height, width), spatial_scale, sampling_ratio,
                             COORDINATE_MODES[coordinate_transformation_mode], mode)
        except ValueError as exc:
            if "batch indices" in str(exc):
                raise ValueError(f"batch_indices must lie in [0, N) (N = X.shape[0]): "
                                 f"{exc}") from None
            raise


def MaxRoiPool(X, rois, *, pooled_shape, spatial_scale=1.0):
    r"""ONNX ``MaxRoiPool``: :func:`refpool.roi_pool`.

    Parameters
    ----------
    X : array, shape (N, C, H, W), float
    rois : array, shape (num_rois, 5), float
        ``batch_index, x1, y1, x2, y2``.
    pooled_shape : sequence of 2 ints
        ``(pooled_height, pooled_width)``, required.
    spatial_scale : float
        Positive and finite.

    Returns
    -------
    Y : ndarray, shape (num_rois, C, pooled_height, pooled_width), dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects.onnx import MaxRoiPool
    >>> X = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> MaxRoiPool(X, np.array([[0, 0.0, 0.0, 3.0, 3.0]]), pooled_shape=[1, 2]).tolist()
    [[[[13.0, 15.0]]]]
    """
    if isinstance(pooled_shape, (str, bytes)) or not isinstance(pooled_shape, (list, tuple)) \
            or len(pooled_shape) != 2:
        raise TypeError(f"pooled_shape must be a list of 2 ints (pooled_height, "
                        f"pooled_width), got {pooled_shape!r}")
    shape = tuple(_int_attribute(v, "pooled_shape", 1) for v in pooled_shape)
    spatial_scale = _float_attribute(spatial_scale, "spatial_scale")
    rois = _host(rois, "rois")
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise ValueError(f"rois must have shape (num_rois, 5), got {rois.shape}")
    with _naming_rois():
        return roi_pool(X, rois, shape, spatial_scale)
