r"""``skimage.transform.resize`` and ``rescale`` (orders 0 and 1) over refpool's core
operators.

scikit-image's rules, as refpool reads them from ``skimage/transform/_warps.py``
(``resize``, ``rescale``, ``_clip_warp_output``, ``_preprocess_resize_output_shape``)
and ``scipy.ndimage`` (``gaussian_filter``, ``zoom(grid_mode=True)``), checked
against scikit-image 0.26 with SciPy 1.17:

* **Shape.**  ``output_shape`` names every axis; one fewer than the image keeps
  the last (channel) axis; more appends unit axes to the image.  Axes whose length
  does not change are copied (their zoom is the identity).
* **Anti-aliasing** (default: on when any axis shrinks, except for integer images
  with ``order=0`` and booleans): a Gaussian blur before the zoom, per axis, with
  :math:`\sigma = \max(0, (f - 1)/2)`, :math:`f = n/m` (or
  ``anti_aliasing_sigma``), radius :math:`\lfloor 4\sigma + \tfrac12 \rfloor`,
  taps :math:`e^{-k^2/2\sigma^2}` normalised (:func:`refpool.gaussian_taps` with
  that radius), the image extended by ``mode``: each axis padded
  (:func:`numpy.pad`, a copy of pixels) and filtered by :func:`refpool.upfirdn`
  in float64, rounded to the image's float type after every axis (as
  ``ndimage.correlate1d``).
* **Zoom** (``ndimage.zoom(..., grid_mode=True)``): the source coordinate of
  output :math:`k` is :math:`(k + \tfrac12) n/m - \tfrac12` (refpool's
  ``half_pixel``).  ``order=1``: linear interpolation, the taps beyond the edge
  read by ``mode``: ``"edge"`` and ``"symmetric"`` read the edge pixel (for a
  half-pixel map the tap beyond the edge is always the mirror of the edge pixel:
  refpool's clamped taps), ``"reflect"`` the pixel one further in, ``"wrap"`` the
  other end, ``"constant"`` ``cval`` (one pixel of :func:`numpy.pad` in those
  modes, then :func:`refpool.resample`).  ``order=0``: the pixel
  :math:`\lfloor ((k + \tfrac12) z - \tfrac12) + \tfrac12 \rfloor` with
  :math:`z = n/m`, in ndimage's float64 arithmetic (copied, never interpolated).
* **Range.**  ``clip=True`` (all orders) clips the result to the input's range,
  widened to ``cval`` with ``mode="constant"`` when ``cval`` lies outside the
  input's range but inside the result's (``_clip_warp_output``); NaNs in the input
  make the range NaN-aware.
* **dtypes.**  float16 and float32 images give float32, float64 gives float64;
  ``order=0`` keeps the image's dtype.  Integer images with ``order=1`` are
  accepted with ``preserve_range=True`` (converted to float64); scikit-image's
  ``img_as_float`` rescaling (``preserve_range=False``) is a dtype convention the
  dialect leaves to the caller.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ...interpolate import resample
from ...kernels import gaussian_taps
from ...upfirdn import upfirdn
from .._gather import gather

__all__ = ["resize", "rescale"]

#: scikit-image's ``mode`` (numpy.pad's names) -> ``numpy.pad`` mode of ndimage's
#: extension (``_to_ndimage_mode``: edge -> nearest, symmetric -> reflect,
#: reflect -> mirror, wrap -> grid-wrap, constant -> grid-constant)
MODES = {"constant": "constant", "edge": "edge", "symmetric": "symmetric",
         "reflect": "reflect", "wrap": "wrap"}

#: ndimage's Gaussian radius in standard deviations (``gaussian_filter``'s default)
TRUNCATE = 4.0


def _pad(a, axis, width, mode, cval):
    pads = [(0, 0)] * a.ndim
    pads[axis] = (width, width)
    if MODES[mode] == "constant":
        return np.pad(a, pads, mode="constant", constant_values=cval)
    return np.pad(a, pads, mode=MODES[mode])


def _gaussian(a, sigmas, mode, cval, engine):
    """``ndimage.gaussian_filter(a, sigmas, mode=..., cval=cval)`` axis by axis."""
    for axis, sigma in enumerate(sigmas):
        if sigma <= 1e-15:
            continue
        radius = int(TRUNCATE * float(sigma) + 0.5)
        if radius == 0:
            continue
        taps = gaussian_taps(float(sigma), truncate=radius / float(sigma))
        padded = _pad(a.astype(np.float64), axis, radius, mode, cval)
        moved = np.moveaxis(padded, axis, -1)
        flat = np.ascontiguousarray(moved.reshape(1, -1, moved.shape[-1]))
        y = upfirdn(flat, taps, engine=engine)
        y = np.moveaxis(y.reshape(moved.shape[:-1] + (y.shape[-1],)), -1, axis)
        a = y.astype(a.dtype)
    return a


def _zoom(a, shape, order, mode, cval, engine):
    """``ndimage.zoom(a, ..., order=order, mode=..., cval=cval, grid_mode=True)``."""
    moving = [b for b in range(a.ndim) if a.shape[b] != shape[b]]
    if not moving:
        return a.copy()
    if len(moving) > 3:
        raise NotImplementedError("resizing more than 3 axes at once is not supported")
    still = [b for b in range(a.ndim) if b not in moving]
    t = np.transpose(a, still + moving)
    lead = t.shape[:len(still)]
    x = t.reshape((1, int(np.prod(lead, dtype=np.int64))) + t.shape[len(still):])
    sizes = tuple(shape[b] for b in moving)
    if order == 0:
        tables = []
        for b in moving:
            n, m = a.shape[b], shape[b]
            z = float(np.divide(n, m))
            c = ((np.arange(m) + 0.5) * z - 0.5) + 0.5
            tables.append(np.clip(np.floor(c), 0, n - 1).astype(np.int64))
        y = gather(x, tables, engine=engine).astype(a.dtype)
    else:
        scale = tuple(shape[b] / a.shape[b] for b in moving)
        xf = x.astype(np.float64)
        translation = None
        if mode in ("reflect", "wrap", "constant"):
            for b in range(len(moving)):
                xf = _pad(xf, b + 2, 1, mode, cval)
            translation = tuple(-s for s in scale)
        y = resample(xf, size=sizes, scale=scale, filter="linear",
                     coordinate_mode="half_pixel", translation=translation,
                     engine=engine).astype(a.dtype)
    y = y.reshape(lead + sizes)
    return np.transpose(y, np.argsort(still + moving))


def _clip(image, out, mode, cval):
    """``_clip_warp_output(image, out, mode, cval, clip=True)``."""
    min_val = np.min(image)
    if np.isnan(min_val):
        min_func, max_func = np.nanmin, np.nanmax
        min_val = min_func(image)
    else:
        min_func, max_func = np.min, np.max
    max_val = max_func(image)
    preserve_cval = (mode == "constant" and not min_val <= cval <= max_val
                     and min_func(out) <= cval <= max_func(out))
    if preserve_cval:
        cval = image.dtype.type(cval)
        min_val = min(min_val, cval)
        max_val = max(max_val, cval)
    np.clip(out, np.asarray(min_val), np.asarray(max_val), out=out)


def resize(image, output_shape, order=None, mode="reflect", cval=0, clip=True,
           preserve_range=False, anti_aliasing=None, anti_aliasing_sigma=None, *,
           engine="auto"):
    """``skimage.transform.resize`` with ``order`` 0 or 1.

    Parameters
    ----------
    image : ndarray
        Any number of axes; float16/32/64 (integers: ``order=0``, or
        ``preserve_range=True``; booleans: ``order=0`` without anti-aliasing).
    output_shape : sequence of int
        The shape of the result (one fewer entries than ``image.ndim`` keeps the
        last axis).  At most 3 axes may change length.
    order : {None, 0, 1}
        Nearest (0) or linear (1); ``None``: 0 for booleans, else 1.
    mode : {"reflect", "constant", "edge", "symmetric", "wrap"}
        How the image is extended (numpy.pad's names, as scikit-image).
    cval : float
        The value outside the image with ``mode="constant"``.
    clip : bool
        Clip the result to the input's range (see module notes).
    preserve_range : bool
        Keep integer values as they are (converted to float64).
    anti_aliasing : bool, optional
        Gaussian blur before shrinking; default: on when an axis shrinks.
    anti_aliasing_sigma : float or sequence of float, optional
        The blur's standard deviation per axis (default :math:`\\max(0, (f-1)/2)`).
    engine : str
        refpool's engine for the core operators.

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import skimage
    >>> skimage.resize(np.array([[0.0, 1.0]]), (1, 4), mode="edge").tolist()
    [[0.0, 0.25, 0.75, 1.0]]
    """
    image = np.asarray(image)
    try:
        output_shape = tuple(int(v) for v in output_shape)
    except (TypeError, ValueError):
        raise TypeError(f"output_shape must be a sequence of ints, got {output_shape!r}") \
            from None
    if len(output_shape) > image.ndim:
        image = image.reshape(image.shape + (1,) * (len(output_shape) - image.ndim))
    elif len(output_shape) == image.ndim - 1:
        output_shape = output_shape + (image.shape[-1],)
    elif len(output_shape) < image.ndim:
        raise ValueError("output_shape length cannot be smaller than the image number of "
                         "dimensions")
    if mode not in MODES:
        raise ValueError(f"Unknown mode: {mode!r}; use one of {sorted(MODES)}")
    input_shape = image.shape
    input_type = image.dtype
    if input_type == np.float16:
        image = image.astype(np.float32)
    if anti_aliasing is None:
        anti_aliasing = (not input_type == bool
                         and not (np.issubdtype(input_type, np.integer) and order == 0)
                         and any(x < y for x, y in zip(output_shape, input_shape)))
    if input_type == bool and anti_aliasing:
        raise ValueError("anti_aliasing must be False for boolean images")
    factors = np.divide(input_shape, output_shape)
    if order is None:
        order = 0 if input_type == bool else 1
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) \
            or not 0 <= order <= 5:
        raise ValueError("Spline interpolation order has to be in the range 0-5.")
    if input_type == bool and order != 0:
        raise ValueError("Input image dtype is bool. Interpolation is not defined with "
                         "bool data type.")
    if order > 1:
        raise NotImplementedError("spline orders 2-5 (ndimage's spline prefilter) are not "
                                  "reproduced by this dialect")
    if order > 0 and not np.issubdtype(image.dtype, np.floating):
        if not preserve_range:
            raise TypeError("an integer image with order=1 needs preserve_range=True here "
                            "(scikit-image would rescale it with img_as_float)")
        image = image.astype(np.float64)
    if anti_aliasing:
        if not np.issubdtype(image.dtype, np.floating):
            raise TypeError("anti-aliasing needs a floating image here")
        if anti_aliasing_sigma is None:
            anti_aliasing_sigma = np.maximum(0, (factors - 1) / 2)
        else:
            anti_aliasing_sigma = np.atleast_1d(anti_aliasing_sigma) * np.ones_like(factors)
            if np.any(anti_aliasing_sigma < 0):
                raise ValueError("Anti-aliasing standard deviation must be greater than or "
                                 "equal to zero")
            elif np.any((anti_aliasing_sigma > 0) & (factors <= 1)):
                warnings.warn("Anti-aliasing standard deviation greater than zero but not "
                              "down-sampling along all axes", stacklevel=2)
        filtered = _gaussian(image, anti_aliasing_sigma, mode, cval, engine)
    else:
        filtered = image
    out = _zoom(filtered, output_shape, order, mode, cval, engine)
    if clip:
        _clip(image, out, mode, cval)
    return out


def rescale(image, scale, order=None, mode="reflect", cval=0, clip=True,
            preserve_range=False, anti_aliasing=None, anti_aliasing_sigma=None, *,
            channel_axis=None, engine="auto"):
    """``skimage.transform.rescale``: :func:`resize` to ``round(scale * shape)`` (halves
    to even, at least 1), the channel axis (``channel_axis``) kept.

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import skimage
    >>> skimage.rescale(np.arange(4.0).reshape(2, 2), 0.5).shape
    (1, 1)
    """
    image = np.asarray(image)
    scale = np.atleast_1d(scale)
    multichannel = channel_axis is not None
    if len(scale) > 1:
        if (not multichannel and len(scale) != image.ndim) or (
                multichannel and len(scale) != image.ndim - 1):
            raise ValueError("Supply a single scale, or one value per spatial axis")
        if multichannel:
            scale = np.concatenate((scale, [1]))
    if multichannel:
        image = np.moveaxis(image, channel_axis, -1)
    orig_shape = np.asarray(image.shape)
    output_shape = np.maximum(np.round(scale * orig_shape), 1)
    if multichannel:
        output_shape[-1] = orig_shape[-1]
    out = resize(image, output_shape, order=order, mode=mode, cval=cval, clip=clip,
                 preserve_range=preserve_range, anti_aliasing=anti_aliasing,
                 anti_aliasing_sigma=anti_aliasing_sigma, engine=engine)
    if multichannel:
        out = np.moveaxis(out, -1, channel_axis)
    return out
