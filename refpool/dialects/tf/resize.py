r"""``tf.image.resize`` (v2) and the v1 ``tf.compat.v1.image.resize_*`` ops over
:func:`refpool.resample`.

Images are ``NHWC`` (``(batch, height, width, channels)``; :func:`resize` also takes
a 3-D ``HWC`` image).  Every method is one choice of :func:`refpool.resample`'s
arguments, read from TensorFlow's sources (``tensorflow/python/ops/image_ops_impl.py``
``resize_images_v2`` and the kernels ``resize_bilinear_op.cc``,
``resize_nearest_neighbor_op.cc``, ``resize_bicubic_op.cc``, ``resize_area_op.cc``,
``scale_and_translate_op.cc``) and checked against TensorFlow
(``tests/test_resize_dialects_jax_tf.py``).  Per axis, :math:`n` inputs,
:math:`m` outputs, :math:`s = m/n`:

=================================  ==================================================
``tf.image.resize`` method         :func:`refpool.resample` arguments
=================================  ==================================================
``bilinear``                       ``filter="linear"``, ``half_pixel``, edges clamped
                                   (the ``ResizeBilinear`` kernel)
``bilinear``, ``antialias=True``   ``filter="linear"``, ``antialias=True``,
                                   ``exclude_outside=True``, ``extrapolate="cells"``
                                   (``ScaleAndTranslate``, kernel ``triangle``)
``nearest``                        source index :math:`\lfloor (j + \tfrac12)
                                   n/m \rfloor` (``tf_half_pixel_for_nn``,
                                   ``floor``) in float32, see below;
                                   ``antialias`` ignored
``bicubic``                        Keys :math:`A = -\tfrac12`, **tabulated**: the
                                   kernel reads a table of 1025 samples per unit,
                                   the fractional position rounded to a multiple of
                                   :math:`2^{-10}` (``resize_bicubic_op.cc``,
                                   ``kTableSize``); ``half_pixel``,
                                   ``exclude_outside=True``
``bicubic``, ``antialias=True``    ``filter="cubic"``, ``cubic_coeff_a=-0.5`` (exact),
                                   ``antialias=True``, ``exclude_outside=True``,
                                   ``extrapolate="cells"`` (``keyscubic``)
``area``                           ``filter="area"``, ``half_pixel``; ``antialias``
                                   ignored
``lanczos3``, ``lanczos5``,        ``filter="lanczos3"``, ``"lanczos5"``,
``gaussian``, ``mitchellcubic``    ``"gaussian"`` (:math:`\sigma = \tfrac12`, radius
                                   3/2), ``"mitchell"``; ``antialias`` as given,
                                   ``exclude_outside=True``, ``extrapolate="cells"``
=================================  ==================================================

``antialias`` widens the filter by :math:`1/s` on downsampled axes only.
``gaussian`` and ``mitchellcubic`` do not interpolate: TensorFlow resizes even when
the size is unchanged, and so does the dialect.

**Dtypes.**  ``nearest`` returns the input's dtype (a selection); every other
method returns float32 whatever the input (integers, float16, float64: the
kernels read the input as float32 and compute in float32), as TensorFlow does.
The dialect converts the input to float32 and :func:`refpool.resample` computes;
agreement with TensorFlow is to float32 rounding (TensorFlow also evaluates the
coordinates in float32), bitwise for ``nearest``.

**nearest in float32.**  TensorFlow computes the source index in float32
(``floorf((j + 0.5f) * scale)``, ``scale = float(n) / float(m)``), and where the
exact value is an integer the rounded product can fall just below it: 2 rows to 41
read row 0 for output 20, where :math:`\lfloor 20.5 \cdot 2/41 \rfloor = 1`.  The
dialects compute TensorFlow's index table in its arithmetic and copy those pixels
(:mod:`refpool.dialects._select`), so ``nearest`` is bitwise TensorFlow's; the
legacy rules (``floorf(j * scale)``, ``roundf`` with ``align_corners``) likewise.

**preserve_aspect_ratio.**  One scale, the smaller of the float32 ratios
:math:`m_i / n_i`, and :math:`m_i = \operatorname{round}(s n_i)` with round half to
even, in float32 (``_resize_images_common``).

The v1 ops (``align_corners``, ``half_pixel_centers``) keep their kernel's rules:
``half_pixel_centers=False`` is the legacy map :math:`x = j n/m`
(``asymmetric``) or, with ``align_corners``, :math:`x = j (n-1)/(m-1)`
(``align_corners``); legacy ``nearest`` rounds that down or, with
``align_corners``, to nearest with halves up (float32, as above); legacy
``bicubic`` is the tabulated Keys kernel with :math:`A = -\tfrac34` and edges
clamped; ``half_pixel_centers=True`` is the v2
method.  ``resize_area`` with ``align_corners`` divides the input into :math:`m`
cells of width :math:`(n-1)/(m-1)` from 0, the cells past the end reading the last
sample (``filter="area"``, ``scale=(m-1)/(n-1)``, edges clamped).
"""

from __future__ import annotations

import numbers

import numpy as np

from ... import _args
from ..._typing import Array, ArrayIn, Engine
from ...interpolate import resample
from .._select import select

__all__ = ["resize", "resize_bilinear", "resize_nearest_neighbor", "resize_bicubic",
           "resize_area", "METHODS"]

#: ``tf.image.ResizeMethod``'s values
METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
           "mitchellcubic")

#: the entries per unit of TensorFlow's bicubic weight table (``kTableSize``)
TABLE_SIZE = 1024

#: methods computed by TensorFlow's ``ScaleAndTranslate`` kernel -> refpool's filter
_SCALE_AND_TRANSLATE = {"lanczos3": "lanczos3", "lanczos5": "lanczos5",
                        "gaussian": "gaussian", "mitchellcubic": "mitchell"}

#: the keyword arguments of ``ScaleAndTranslate``: taps in range only, outputs whose
#: sample lies outside the input's cells are 0
_CELLS = dict(exclude_outside=True, extrapolate="cells", extrapolation_value=0.0)


def _tabulated_keys(a):
    """TensorFlow's bicubic kernel: Keys' cubic with parameter ``a``, evaluated at the
    fractional position rounded to a multiple of 1/TABLE_SIZE (``lrintf``: halves to
    even), as ``resize_bicubic_op.cc`` reads it from its table."""

    def h(d):
        d = np.asarray(d, dtype=np.float64)
        k = np.ceil(d)                      # tap p = floor(x) + k sits at d = k - delta
        delta = np.rint((k - d) * TABLE_SIZE) / TABLE_SIZE
        t = np.abs(k - delta)
        near = ((a + 2) * t - (a + 3)) * t * t + 1
        far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
        return np.where(t < 1, near, np.where(t < 2, far, 0.0))

    return ("kernel", h, 2.0)


_KEYS_HALF = _tabulated_keys(-0.5)
_KEYS_LEGACY = _tabulated_keys(-0.75)


def _images(images, name, allow_3d):
    x = _args.as_array(images, name)
    if x.ndim == 3 and allow_3d:
        return x[None], True
    if x.ndim != 4:
        rule = "3 (HWC) or 4 (NHWC)" if allow_3d else "4 (NHWC)"
        raise ValueError(f"{name} must have {rule} axes, got shape {tuple(x.shape)}")
    return x, False


def _size(size):
    values = tuple(np.asarray(size).reshape(-1).tolist()) if not isinstance(
        size, (tuple, list)) else tuple(size)
    if len(values) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                   for v in values):
        raise ValueError(f"size must be 2 ints (new_height, new_width), got {size!r}")
    if min(values) < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    return tuple(int(v) for v in values)


def _float32(x):
    return x if x.dtype == np.float32 else np.asarray(x, dtype=np.float32)


def _nearest_table(n, m, mode):
    """TensorFlow's nearest source index of an axis, in its float32 arithmetic
    (``resize_nearest_neighbor_op.cc``): the scale is ``float(n) / float(m)``
    (``(n - 1) / float(m - 1)`` with ``align_corners``), ``half_pixel``
    ``floorf((j + 0.5f) * scale)``, legacy ``floorf(j * scale)``,
    ``align_corners`` ``roundf(j * scale)``, each capped at ``n - 1``."""
    f32 = np.float32
    j = np.arange(m).astype(f32)
    if mode == "align_corners" and m > 1:
        v = j * (f32(n - 1) / f32(m - 1))
        below = np.floor(v)
        index = below + (v - below >= f32(0.5))        # roundf: halves away from 0
    else:
        scale = f32(n) / f32(m)
        index = np.floor((j + f32(0.5)) * scale if mode == "half_pixel" else j * scale)
    return np.minimum(index.astype(np.int64), n - 1)


def _nearest(x, size, mode, engine):
    tables = [_nearest_table(n, m, mode) for n, m in zip(x.shape[1:3], size)]
    return select(x, (1, 2), tables, engine=engine)


def _nhwc(x, size, engine, **kw):
    return resample(x, size=size, channels_last=True, engine=engine, **kw)


def resize(images: ArrayIn, size, method: str = "bilinear", preserve_aspect_ratio: bool = False,
           antialias: bool = False, name=None, *, engine: Engine = "auto") -> Array:
    """``tf.image.resize`` (TensorFlow 2).

    Parameters
    ----------
    images : array, shape (batch, height, width, channels) or (height, width, channels)
    size : pair of int
        ``(new_height, new_width)``.
    method : str
        One of :data:`METHODS` (``tf.image.ResizeMethod``'s values).
    preserve_aspect_ratio : bool
        Fit inside ``size`` with one scale (see the module notes).
    antialias : bool
        Widen the filter when downsampling (``bilinear``, ``bicubic`` and the
        ``ScaleAndTranslate`` methods; ignored by ``nearest`` and ``area``).
    name : ignored
    engine : {"auto", "cpu", "cuda", "reference"}
        Passed to :func:`refpool.resample`.

    Returns
    -------
    array
        ``images``' layout with the new height and width; float32, or ``images``'
        dtype for ``nearest``.
    """
    method = getattr(method, "value", method)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    x, squeeze = _images(images, "images", allow_3d=True)
    size = _size(size)
    n = x.shape[1:3]
    if preserve_aspect_ratio:
        f32 = np.float32
        s = min(f32(size[0]) / f32(n[0]), f32(size[1]) / f32(n[1]))
        size = tuple(int(np.rint(f32(s) * f32(k))) for k in n)
        if min(size) < 1:
            raise ValueError(f"preserve_aspect_ratio gives an empty output size {size}")
    if method == "nearest":
        y = _nearest(x, size, "half_pixel", engine)
    else:
        x = _float32(x)
        if method == "area":
            y = _nhwc(x, size, engine, filter="area")
        elif method == "bilinear" and not antialias:
            y = _nhwc(x, size, engine, filter="linear")
        elif method == "bicubic" and not antialias:
            y = _nhwc(x, size, engine, filter=_KEYS_HALF, exclude_outside=True)
        else:
            kw = dict(filter=_SCALE_AND_TRANSLATE.get(method, "linear"))
            if method == "bicubic":
                kw = dict(filter="cubic", cubic_coeff_a=-0.5)
            y = _nhwc(x, size, engine, antialias=bool(antialias), **kw, **_CELLS)
    return y[0] if squeeze else y


def _legacy(align_corners, half_pixel_centers, op):
    if align_corners and half_pixel_centers:
        raise ValueError(f"{op}: half_pixel_centers=True needs align_corners=False")
    if half_pixel_centers:
        return "half_pixel"
    return "align_corners" if align_corners else "asymmetric"


def resize_bilinear(images: ArrayIn, size, align_corners: bool = False, name=None,
                    half_pixel_centers: bool = False, *, engine: Engine = "auto") -> Array:
    """``tf.compat.v1.image.resize_bilinear``: NHWC in, float32 out; edges clamped."""
    x, _ = _images(images, "images", allow_3d=False)
    mode = _legacy(align_corners, half_pixel_centers, "resize_bilinear")
    return _nhwc(_float32(x), _size(size), engine, filter="linear", coordinate_mode=mode)


def resize_nearest_neighbor(images: ArrayIn, size, align_corners: bool = False, name=None,
                            half_pixel_centers: bool = False, *,
                            engine: Engine = "auto") -> Array:
    """``tf.compat.v1.image.resize_nearest_neighbor``: NHWC, the input's dtype."""
    x, _ = _images(images, "images", allow_3d=False)
    mode = _legacy(align_corners, half_pixel_centers, "resize_nearest_neighbor")
    return _nearest(x, _size(size), mode, engine)


def resize_bicubic(images: ArrayIn, size, align_corners: bool = False, name=None,
                   half_pixel_centers: bool = False, *, engine: Engine = "auto") -> Array:
    """``tf.compat.v1.image.resize_bicubic``: NHWC in, float32 out (tabulated Keys
    kernel: :math:`A = -1/2` and taps outside dropped with ``half_pixel_centers``,
    else :math:`A = -3/4` and edges clamped)."""
    x, _ = _images(images, "images", allow_3d=False)
    mode = _legacy(align_corners, half_pixel_centers, "resize_bicubic")
    if half_pixel_centers:
        kw = dict(filter=_KEYS_HALF, exclude_outside=True)
    else:
        kw = dict(filter=_KEYS_LEGACY)
    return _nhwc(_float32(x), _size(size), engine, coordinate_mode=mode, **kw)


def resize_area(images: ArrayIn, size, align_corners: bool = False, name=None, *,
                engine: Engine = "auto") -> Array:
    """``tf.compat.v1.image.resize_area``: NHWC in, float32 out."""
    x, _ = _images(images, "images", allow_3d=False)
    size = _size(size)
    x = _float32(x)
    if not align_corners:
        return _nhwc(x, size, engine, filter="area")
    n = x.shape[1:3]
    scale = []
    for k, m in zip(n, size):
        if m == 1:
            scale.append(1.0 / k)
        elif k == 1:
            raise ValueError("resize_area: align_corners=True with an input of size 1 and "
                             "an output larger than 1 has cells of width 0 (TensorFlow "
                             "divides by 0)")
        else:
            scale.append((m - 1) / (k - 1))
    return _nhwc(x, size, engine, filter="area", scale=tuple(scale))
