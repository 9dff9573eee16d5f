r"""``PIL.Image.Image.resize`` of a mode ``"F"`` image over :func:`refpool.resample`.

PIL's rules, as refpool reads them from ``src/PIL/Image.py`` (``resize``,
``_get_safe_box``, ``reduce``), ``src/_imaging.c`` (``_resize``),
``src/libImaging/Resample.c``, ``Reduce.c`` and ``Geometry.c``
(``ImagingScaleAffine``), checked against Pillow 13:

* **Sizes and box.**  ``size`` is ``(width, height)``; ``box`` is ``(left, upper,
  right, lower)`` in pixel-edge coordinates, parsed as float32.  A box whose
  corners are integers and whose size is ``size`` is a plain crop, for every
  filter.
* **Convolution filters** (``BOX``, ``BILINEAR``, ``HAMMING``, ``BICUBIC``,
  ``LANCZOS``): per axis, with :math:`w = b_1 - b_0` (a float32 difference) and
  :math:`r = w/m`, output :math:`j` is centred at :math:`c = b_0 + (j + \tfrac12) r`
  and input pixel :math:`p` (centre :math:`p + \tfrac12`) has the weight
  :math:`h((p + \tfrac12 - c)/f)` with :math:`f = \max(r, 1)` (the filter is
  widened when reducing), over the pixels inside the image, normalised to sum 1:
  refpool's ``half_pixel`` map with scale :math:`m/w`, translation :math:`-b_0 m/w`,
  ``antialias=True`` and ``exclude_outside=True``.  The width pass runs first and
  its result is rounded to float32 before the height pass; an axis whose size and
  box are unchanged is not resampled at all.  Sums are float64 (the pass on the
  float64 copy of the float32 image, rounded back to float32).
* **Kernels**: ``BOX`` is 1 on :math:`(-\tfrac12, \tfrac12]` (a pixel exactly on
  the right edge of the window counts, on the left does not): refpool's ``box``
  with the source coordinate moved right by :math:`2^{-30}` filter widths, which
  decides every exact tie the same way when :math:`m w < 2^{29}`; ``BILINEAR``
  the triangle; ``HAMMING`` :math:`\mathrm{sinc}(d)(0.54 + 0.46\cos\pi d)` with
  PIL's float32 constants 0.54f, 0.46f; ``BICUBIC`` Keys with :math:`A = -\tfrac12`;
  ``LANCZOS`` 3 lobes.
* **NEAREST** is not a convolution: PIL scales by an affine transform whose source
  position starts at :math:`b_0 + r/2` and *accumulates* :math:`r` in float64,
  truncating each sum to the pixel index.  Where the exact position is an integer
  the accumulated sum may fall just below it, so the index is not
  :math:`\lfloor b_0 + (j + \frac12) r \rfloor` (nor any rounding of a direct
  product): the dialect computes PIL's index table with PIL's arithmetic and
  copies those pixels (:mod:`refpool.dialects._gather`).
* **reducing_gap**: when :math:`\lfloor w/m/\mathrm{gap} \rfloor > 1` on an axis,
  PIL first averages blocks of that many pixels inside a box widened by the
  filter's support (``Image.reduce``: the last, partial block averages the pixels
  it has), then resizes the reduced image with the box mapped onto it.  The
  dialect does the same with :func:`refpool.avg_pool` (``ceil_mode=True``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ...interpolate import resample
from ...pooling import avg_pool
from .._gather import accumulated_index, gather

__all__ = ["resize", "NEAREST", "BOX", "BILINEAR", "HAMMING", "BICUBIC", "LANCZOS",
           "MKS2013", "MKS2021"]

#: ``PIL.Image.Resampling`` values
NEAREST, LANCZOS, BILINEAR, BICUBIC, BOX, HAMMING, MKS2013, MKS2021 = 0, 1, 2, 3, 4, 5, 6, 7

#: ``PIL.Image._filters_support``: the support of each kernel, in input pixels
FILTER_SUPPORT = {BOX: 0.5, BILINEAR: 1.0, HAMMING: 1.0, BICUBIC: 2.0, LANCZOS: 3.0,
                  MKS2013: 2.5, MKS2021: 4.5}

_NAMES = {NEAREST: "NEAREST", LANCZOS: "LANCZOS", BILINEAR: "BILINEAR", BICUBIC: "BICUBIC",
          BOX: "BOX", HAMMING: "HAMMING", MKS2013: "MKS2013", MKS2021: "MKS2021"}

#: how far the source coordinate of ``BOX`` moves right, in filter widths, so that
#: a pixel exactly on the window's right edge counts and one on its left edge does not
BOX_TIE_SHIFT = 2.0 ** -30

_F32_054 = float(np.float32(0.54))
_F32_046 = float(np.float32(0.46))


def _hamming(d):
    """PIL's ``hamming_filter`` (support 1), with its float32 constants."""
    d = np.abs(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = d * math.pi
        w = np.sin(t) / t * (_F32_054 + _F32_046 * np.cos(t))
    return np.where(d == 0, 1.0, np.where(d < 1, w, 0.0))


_FILTERS = {BILINEAR: ("linear", {}), BICUBIC: ("cubic", {"cubic_coeff_a": -0.5}),
            LANCZOS: ("lanczos3", {}), HAMMING: (("kernel", _hamming, 1.0), {}),
            BOX: ("box", {})}


def _image(image):
    a = np.asarray(image)
    if a.ndim != 2:
        raise ValueError(f"image must be a 2-D (height, width) array (a mode 'F' image), "
                         f"got shape {a.shape}")
    if a.dtype != np.float32:
        raise TypeError(f"image must be float32 (PIL's mode 'F'), got {a.dtype}")
    return a


def _size(size):
    try:
        w, h = size
    except (TypeError, ValueError):
        raise TypeError(f"size must be a (width, height) pair, got {size!r}") from None
    for v in (w, h):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"size must be a pair of ints, got {size!r}")
    return int(w), int(h)


def _resample_code(resample):
    if resample is None:
        return BICUBIC
    if isinstance(resample, bool) or not isinstance(resample, numbers.Integral) \
            or int(resample) not in _NAMES:
        raise ValueError(f"Unknown resampling filter ({resample}). Use one of "
                         + ", ".join(f"{v} ({k})" for k, v in sorted(_NAMES.items())))
    if int(resample) in (MKS2013, MKS2021):
        raise NotImplementedError("PIL's magic kernel sharp filters (MKS2013, MKS2021) are "
                                  "not reproduced by this dialect")
    return int(resample)


def _nearest_table(n, m, b0, b1):
    """``ImagingScaleAffine``'s source index per output (``-1``: outside, left 0)."""
    step = float(np.float32(b1) - np.float32(b0)) / m
    return accumulated_index(n, m, float(np.float32(b0)), step)


def _pass(a, m, b0, b1, code, engine):
    """One convolution pass along the last axis of the float32 ``(rows, n)`` array."""
    width = float(np.float32(b1) - np.float32(b0))
    if width <= 0:
        raise NotImplementedError("a box of zero width or height is not reproduced by "
                                  "this dialect")
    scale = m / width
    start = float(np.float32(b0))
    translation = -start * scale
    filt, extra = _FILTERS[code]
    if code == BOX:
        translation -= BOX_TIE_SHIFT * max(width / m, 1.0) * scale
    y = resample(a.astype(np.float64)[None], size=m, scale=scale, filter=filt,
                 coordinate_mode="half_pixel", antialias=True, exclude_outside=True,
                 translation=translation, engine=engine, **extra)
    return y[0].astype(np.float32)


def _core(a, size, code, box, engine):
    """``_imaging.c``'s ``_resize``: checks, the crop shortcut, NEAREST or ImagingResample."""
    h, w = a.shape
    xsize, ysize = size
    if xsize < 1 or ysize < 1:
        raise ValueError("height and width must be > 0")
    b = [np.float32(v) for v in box]
    if b[0] < 0 or b[1] < 0:
        raise ValueError("box offset can't be negative")
    if b[2] > w or b[3] > h:
        raise ValueError("box can't exceed original image size")
    if b[2] - b[0] < 0 or b[3] - b[1] < 0:
        raise ValueError("box can't be empty")
    if (b[0] == int(b[0]) and b[2] - b[0] == xsize and b[1] == int(b[1])
            and b[3] - b[1] == ysize):
        return a[int(b[1]):int(b[3]), int(b[0]):int(b[2])].copy()
    if code == NEAREST:
        rows = _nearest_table(h, ysize, b[1], b[3])
        cols = _nearest_table(w, xsize, b[0], b[2])
        return gather(a[None, None], [rows, cols], engine=engine)[0, 0]
    need_horizontal = xsize != w or b[0] != 0 or b[2] != xsize
    need_vertical = ysize != h or b[1] != 0 or b[3] != ysize
    out = a
    if need_horizontal:
        out = _pass(out, xsize, b[0], b[2], code, engine)
    if need_vertical:
        out = _pass(np.ascontiguousarray(out.T), ysize, b[1], b[3], code, engine).T
    return np.ascontiguousarray(out) if (need_horizontal or need_vertical) else out.copy()


def _reduce(a, factor, box, engine):
    """``Image.reduce(factor, box)`` of a mode ``"F"`` image: block means, the last
    (partial) block of an axis averaging the pixels it holds."""
    fx, fy = factor
    crop = a[box[1]:box[3], box[0]:box[2]].astype(np.float64)
    kernel = (min(fy, crop.shape[0]), min(fx, crop.shape[1]))
    y = avg_pool(crop[None, None], kernel, stride=(fy, fx), ceil_mode=True, engine=engine)
    return y[0, 0].astype(np.float32)


def resize(image, size, resample=None, box=None, reducing_gap=None, *, engine="auto"):
    """``Image.resize(size, resample, box, reducing_gap)`` of a mode ``"F"`` image.

    Parameters
    ----------
    image : ndarray, float32, shape (height, width)
        The pixels of a mode ``"F"`` image (``numpy.asarray(im)``).
    size : (int, int)
        ``(width, height)`` of the result, in PIL's order (the array comes back
        with shape ``(height, width)``).
    resample : int, optional
        ``NEAREST``, ``BOX``, ``BILINEAR``, ``HAMMING``, ``BICUBIC`` (the default,
        as in PIL) or ``LANCZOS`` (PIL's ``Image.Resampling`` values, exported here).
    box : 4 floats, optional
        ``(left, upper, right, lower)`` of the source region, within the image.
    reducing_gap : float, optional
        >= 1: first reduce by the integer factor ``int(w / m / reducing_gap)``
        per axis (``Image.reduce``), then resample.
    engine : str
        refpool's engine for the core operators.

    Returns
    -------
    ndarray, float32, shape (height, width)

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import pil
    >>> im = np.array([[0.0, 1.0, 2.0, 3.0]], dtype=np.float32)
    >>> pil.resize(im, (2, 1), pil.BOX).tolist()
    [[0.5, 2.5]]
    >>> pil.resize(im, (3, 1), pil.NEAREST).tolist()
    [[0.0, 2.0, 3.0]]
    """
    a = _image(image)
    size = _size(size)
    code = _resample_code(resample)
    if reducing_gap is not None and reducing_gap < 1.0:
        raise ValueError("reducing_gap must be 1.0 or greater")
    h, w = a.shape
    box = (0, 0, w, h) if box is None else tuple(box)
    if len(box) != 4:
        raise ValueError(f"box must be (left, upper, right, lower), got {box!r}")
    if (w, h) == size and box == (0, 0, w, h):
        return a.copy()
    if reducing_gap is not None and code != NEAREST:
        factor_x = int((box[2] - box[0]) / size[0] / reducing_gap) or 1
        factor_y = int((box[3] - box[1]) / size[1] / reducing_gap) or 1
        if factor_x > 1 or factor_y > 1:
            support = FILTER_SUPPORT[code] - 0.5
            support_x = support * ((box[2] - box[0]) / size[0])
            support_y = support * ((box[3] - box[1]) / size[1])
            reduce_box = (max(0, int(box[0] - support_x)), max(0, int(box[1] - support_y)),
                          min(w, math.ceil(box[2] + support_x)),
                          min(h, math.ceil(box[3] + support_y)))
            a = _reduce(a, (factor_x, factor_y), reduce_box, engine)
            box = ((box[0] - reduce_box[0]) / factor_x, (box[1] - reduce_box[1]) / factor_y,
                   (box[2] - reduce_box[0]) / factor_x, (box[3] - reduce_box[1]) / factor_y)
    return _core(a, size, code, box, engine)
