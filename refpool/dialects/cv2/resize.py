r"""``cv2.resize`` of float images over :func:`refpool.resample`.

OpenCV's rules, as refpool reads them from ``modules/imgproc/src/resize.cpp``
(``cv::resize``, ``resizeNN``, ``resizeNN_bitexact``, ``resizeGeneric_``,
``interpolateCubic``, ``interpolateLanczos4``, ``computeResizeAreaTab``), checked
against opencv-python 5.1:

* **Size and scale.**  ``dsize = (width, height)``.  Given, the scales are
  :math:`\mathrm{dsize}/\mathrm{ssize}` per axis and ``fx``, ``fy`` are ignored;
  ``dsize`` empty (``None`` or ``(0, 0)``), the output is
  ``(rint(width*fx), rint(height*fy))`` (``saturate_cast<int>``: halves to even)
  and the scales are ``fx``, ``fy`` themselves.  An output of the input's size is
  a copy, whatever the method.  With :math:`\sigma = 1/\text{scale}`:
* ``INTER_NEAREST``: source index :math:`\min(\lfloor j \cdot \mathrm{fl}(1/
  \text{scale}) \rfloor, n-1)` (a float64 product with the rounded reciprocal; not
  the pixel centre: the image shifts by half an output pixel).
* ``INTER_NEAREST_EXACT``: in opencv-python 5.1, Pillow's nearest rule: the
  position starts at :math:`\tfrac12 n/m` and :math:`n/m` is *added* per output in
  float64, each sum truncated to the index (OpenCV 4.x used the 16.16 fixed point
  :math:`(i_f j + i_0) \gg 16`; both pick :math:`\lfloor (j + \frac12) n/m
  \rfloor` away from exact ties, and differ at ties).  It is not scikit-image's
  rule at ties, although OpenCV's documentation says it produces the same results.
* ``INTER_LINEAR``, ``INTER_CUBIC`` (Keys, :math:`A = -0.75`), ``INTER_LANCZOS4``
  (:math:`\mathrm{sinc}(d)\mathrm{sinc}(d/4)`, 8 taps, normalised): source
  coordinate :math:`(j + \tfrac12)\sigma - \tfrac12` (refpool's ``half_pixel``),
  no antialiasing, taps beyond the edge read the edge pixel (refpool's
  ``exclude_outside=False``).  OpenCV rounds the coordinate to float32 and sums in
  float32.
* ``INTER_AREA`` when both scales are <= 1 (shrinking both axes) or both >= 1:
  the mean of the input over the output pixel's cell, every input pixel weighted
  by its overlap with the cell (refpool's ``area`` filter, ``exclude_outside``:
  a cell reaching past the image, possible with ``fx``/``fy``, averages the part
  inside).  OpenCV drops overlaps below :math:`10^{-3}` pixel (a guard against
  rounding), which changes the result only when a cell boundary falls that close
  to a pixel boundary (cells of more than a thousand output pixels per input
  pixel, or very large images); the dialect keeps every overlap.
* ``INTER_AREA`` enlarging one axis and shrinking the other: OpenCV's area-mode
  bilinear on both axes, :math:`s_x = \lfloor j\sigma \rfloor`,
  :math:`f = (j + 1) - (s_x + 1)/\sigma` (float32), the weight :math:`f -
  \lfloor f \rfloor` on pixel :math:`s_x + 1` when :math:`f > 0`: on the shrunk
  axis a two-pixel interpolation, not an area mean.  The dialect interpolates
  at those coordinates (:func:`refpool.grid_sample`).

The linear family is reproduced to float32 rounding (see the tests for the
bound); the nearest methods select the same pixels (bitwise).
"""

from __future__ import annotations

import numbers

import numpy as np

from ...interpolate import resample
from .._gather import accumulated_index, gather, interpolate_at

__all__ = ["resize", "INTER_NEAREST", "INTER_LINEAR", "INTER_CUBIC", "INTER_AREA",
           "INTER_LANCZOS4", "INTER_LINEAR_EXACT", "INTER_NEAREST_EXACT"]

#: ``cv2.INTER_*`` values
INTER_NEAREST, INTER_LINEAR, INTER_CUBIC, INTER_AREA, INTER_LANCZOS4 = 0, 1, 2, 3, 4
INTER_LINEAR_EXACT, INTER_NEAREST_EXACT = 5, 6

_KERNELS = {INTER_LINEAR: ("linear", {}), INTER_CUBIC: ("cubic", {"cubic_coeff_a": -0.75}),
            INTER_LANCZOS4: ("lanczos4", {})}


def _rint(v):
    """``saturate_cast<int>(double)``: round half to even."""
    return int(np.rint(v))


def _sizes(shape, dsize, fx, fy):
    """``(dh, dw)`` and the scales ``(inv_scale_y, inv_scale_x)`` of ``cv::resize``."""
    sh, sw = shape
    if dsize is not None:
        try:
            dw, dh = dsize
        except (TypeError, ValueError):
            raise TypeError(f"dsize must be a (width, height) pair, got {dsize!r}") from None
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                   for v in (dw, dh)):
            raise TypeError(f"dsize must be a pair of ints, got {dsize!r}")
        dw, dh = int(dw), int(dh)
        if dw < 0 or dh < 0:
            raise ValueError(f"dsize must not be negative, got {dsize!r}")
    else:
        dw = dh = 0
    if dw > 0 and dh > 0:
        return (dh, dw), (dh / sh, dw / sw)
    if dw != 0 or dh != 0:
        raise ValueError(f"dsize must be empty or positive on both axes, got {dsize!r}")
    fx, fy = float(fx), float(fy)
    if not (fx > 0 and fy > 0):
        raise ValueError("with an empty dsize, fx and fy must be positive")
    dw, dh = _rint(sw * fx), _rint(sh * fy)
    if dw <= 0 or dh <= 0:
        raise ValueError(f"the output size ({dw}, {dh}) computed from fx, fy is empty")
    return (dh, dw), (fy, fx)


def _nearest_table(n, m, inv_scale):
    """``resizeNN``: ``min(floor(j * (1/inv_scale)), n - 1)``."""
    ifx = 1.0 / inv_scale
    return np.minimum(np.floor(np.arange(m) * ifx), n - 1).astype(np.int64)


def _nearest_exact_table(n, m):
    """OpenCV 5.1's ``INTER_NEAREST_EXACT`` index: Pillow's accumulated position."""
    return np.minimum(accumulated_index(n, m, 0.0, n / m), n - 1)


def _area_linear_coordinates(n, m, inv_scale):
    """OpenCV's area-mode bilinear source coordinate ``sx + fx`` per output."""
    scale = 1.0 / inv_scale
    j = np.arange(m)
    sx = np.floor(j * scale)
    f = ((j + 1) - (sx + 1) * inv_scale).astype(np.float32)
    f = np.where(f <= 0, np.float32(0), f - np.floor(f)).astype(np.float64)
    edge = sx >= n - 1
    return np.where(edge, n - 1.0, sx + np.where(edge, 0.0, f))


def resize(src, dsize, dst=None, fx=0, fy=0, interpolation=INTER_LINEAR, *,
           engine="auto"):
    """``cv2.resize(src, dsize, dst, fx, fy, interpolation)`` of a float image.

    Parameters
    ----------
    src : ndarray, float32 or float64, shape (H, W) or (H, W, C)
    dsize : (int, int) or None
        ``(width, height)`` of the result, in OpenCV's order; ``None`` or
        ``(0, 0)``: computed from ``fx``, ``fy``.
    dst : ndarray, optional
        Written with the result when its shape and dtype match (and returned).
    fx, fy : float
        Scale factors, used when ``dsize`` is empty (and then also as the scales of
        the coordinate map).
    interpolation : int
        ``INTER_NEAREST``, ``INTER_LINEAR`` (default), ``INTER_CUBIC``,
        ``INTER_AREA``, ``INTER_LANCZOS4`` or ``INTER_NEAREST_EXACT``
        (``INTER_LINEAR_EXACT`` is OpenCV's fixed-point 8-bit variant: not for
        float images).
    engine : str
        refpool's engine for the core operators.

    Returns
    -------
    ndarray, dtype of ``src``, shape (height, width) or (height, width, C); a
    single channel ``(H, W, 1)`` comes back as ``(height, width)``, as in OpenCV.

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import cv2
    >>> x = np.array([[0.0, 1.0, 2.0, 3.0]], dtype=np.float32)
    >>> cv2.resize(x, (2, 1), interpolation=cv2.INTER_AREA).tolist()
    [[0.5, 2.5]]
    >>> cv2.resize(x, (3, 1), interpolation=cv2.INTER_NEAREST).tolist()
    [[0.0, 1.0, 2.0]]
    """
    a = np.asarray(src)
    if a.ndim not in (2, 3):
        raise ValueError(f"src must have shape (H, W) or (H, W, C), got {a.shape}")
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"src must be float32 or float64, got {a.dtype}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"src must not be empty, got shape {a.shape}")
    if isinstance(interpolation, bool) or not isinstance(interpolation, numbers.Integral):
        raise TypeError(f"interpolation must be an int, got {interpolation!r}")
    interpolation = int(interpolation)
    if interpolation == INTER_LINEAR_EXACT:
        raise NotImplementedError("INTER_LINEAR_EXACT is OpenCV's fixed-point resize of "
                                  "8-bit images; not for float images")
    if interpolation not in (INTER_NEAREST, INTER_LINEAR, INTER_CUBIC, INTER_AREA,
                             INTER_LANCZOS4, INTER_NEAREST_EXACT):
        raise ValueError(f"unknown interpolation {interpolation}")
    (dh, dw), (sy, sx) = _sizes(a.shape[:2], dsize, fx, fy)
    channels = a.ndim == 3
    x = np.moveaxis(a, -1, 0)[None] if channels else a[None, None]      # (1, C, H, W)
    h, w = a.shape[:2]
    if (dh, dw) == (h, w):
        y = x.copy()
    elif interpolation == INTER_NEAREST:
        y = gather(x, [_nearest_table(h, dh, sy), _nearest_table(w, dw, sx)], engine=engine)
    elif interpolation == INTER_NEAREST_EXACT:
        y = gather(x, [_nearest_exact_table(h, dh), _nearest_exact_table(w, dw)],
                   engine=engine)
    elif interpolation == INTER_AREA and (sx <= 1) != (sy <= 1) and sx != 1 and sy != 1:
        coords = [_area_linear_coordinates(h, dh, sy), _area_linear_coordinates(w, dw, sx)]
        y = interpolate_at(x, coords, engine=engine)
    elif interpolation == INTER_AREA:
        y = resample(x, size=(dh, dw), scale=(sy, sx), filter="area",
                     coordinate_mode="half_pixel", exclude_outside=True, engine=engine)
    else:
        filt, extra = _KERNELS[interpolation]
        y = resample(x, size=(dh, dw), scale=(sy, sx), filter=filt,
                     coordinate_mode="half_pixel", engine=engine, **extra)
    y = np.moveaxis(y[0], 0, -1) if channels else y[0, 0]
    if channels and y.shape[-1] == 1:
        y = y[..., 0]
    y = np.ascontiguousarray(y, dtype=a.dtype)
    if dst is not None and isinstance(dst, np.ndarray) and dst.shape == y.shape \
            and dst.dtype == y.dtype:
        dst[...] = y
        return dst
    return y
