r"""``jax.image.resize`` and ``jax.image.scale_and_translate`` over
:func:`refpool.resample`.

JAX resamples an axis with a dense weight matrix (``compute_weight_mat`` in
``jax/_src/image/scale.py``): output :math:`j` of an axis with :math:`n` inputs,
scale :math:`s` and translation :math:`t` samples the input at

.. math:: x_j = (j + \tfrac12 - t)/s - \tfrac12

(``resize``: :math:`s = m/n`, :math:`t = 0`), weights the input samples :math:`p
\in [0, n)` by the kernel at :math:`(p - x_j)/f` (:math:`f = \max(1/s, 1)` with
``antialias``, else 1), divides by their sum, and sets to zero every output whose
:math:`x_j` lies outside :math:`[-\tfrac12, n - \tfrac12]`.  In
:func:`refpool.resample`'s words:

======================================  =================================================
JAX ``method``                          :func:`refpool.resample` arguments
======================================  =================================================
``linear`` (``bilinear``,               ``filter="linear"``
``trilinear``, ``triangle``)
``cubic`` (``bicubic``, ``tricubic``)   ``filter="cubic"``, ``cubic_coeff_a=-0.5``
``lanczos3``, ``lanczos5``              ``filter="lanczos3"``, ``"lanczos5"``
``area``                                ``filter="area"`` (overlap of the output cell
                                        with the input cells; ``antialias`` has no
                                        effect)
(all of the above)                      ``coordinate_mode="half_pixel"``,
                                        ``translation=t``, ``antialias`` as given,
                                        ``exclude_outside=True``,
                                        ``extrapolate="cells"``
``cubic-pytorch``,                      ``antialias=False``: ``filter="cubic"`` (-0.75),
``bicubic-pytorch``                     edges clamped, nothing zeroed;
                                        ``antialias=True``: JAX substitutes ``cubic``
``nearest`` (``resize`` only)           index :math:`\lfloor (j + \tfrac12) n/m
                                        \rfloor` (``tf_half_pixel_for_nn``,
                                        ``floor``), computed in JAX's float32
                                        arithmetic and the pixels copied
                                        (:mod:`refpool.dialects._select`)
======================================  =================================================

``resize`` resamples only the axes whose size changes (JAX skips the others: its
kernels interpolate); ``scale_and_translate`` resamples every axis of
``spatial_dims`` and no other.  ``precision`` is accepted and ignored: refpool
computes in the input's precision (float32 arithmetic for float32, float64 for
float64), which is JAX's ``Precision.HIGHEST``.

**Dtypes** (JAX's ``promote_dtypes_inexact`` with ``jax_enable_x64=True``):
``nearest`` returns the input's dtype; the other methods keep float16, float32 and
float64, and turn 64-bit integers into float64 and other integers and bool into
float32.  (Without ``jax_enable_x64`` JAX first converts every 64-bit input to its
32-bit type, so float64 input comes back float32.)

**Where the dialect and JAX may differ.**  JAX evaluates the coordinates and the
weights in float32 (float64 with ``jax_enable_x64`` and a float64 scale) and
contracts float16 images with float16 weights; refpool evaluates coordinates and
weights in float64 and float16 in float32: the outputs agree to float32 rounding
(float16 rounding for float16).  JAX zeroes an output whose weights sum to at most
:math:`1000\,\epsilon_{32}` in magnitude; refpool only one whose weights sum to 0.
``cubic-pytorch`` without antialias pads each end with two copies of the edge
sample and has no other taps: a sample (moved by a translation) 4 or more inputs
outside, or exactly 3, has no tap of nonzero weight left and JAX returns 0, where
refpool returns the edge sample (nearer samples agree).
"""

from __future__ import annotations

import numbers

import numpy as np

from ... import _args
from ..._typing import Array, ArrayIn, Engine
from ...interpolate import resample
from .._select import select

__all__ = ["resize", "scale_and_translate", "METHODS"]

#: ``jax.image.ResizeMethod``'s spellings -> the method
METHODS = {"nearest": "nearest", "linear": "linear", "bilinear": "linear",
           "trilinear": "linear", "triangle": "linear", "lanczos3": "lanczos3",
           "lanczos5": "lanczos5", "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic",
           "cubic-pytorch": "cubic-pytorch", "bicubic-pytorch": "cubic-pytorch",
           "area": "area"}

#: the most axes one :func:`refpool.resample` call resamples
_MAX_AXES = 3


def _method(method):
    name = getattr(method, "name", None)       # a jax.image.ResizeMethod member
    if name is not None and not isinstance(method, str):
        method = str(name).lower().replace("_", "-")
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)} or a "
                         f"jax.image.ResizeMethod, got {method!r}")
    return METHODS[method]


def _shape(shape, x):
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    shape = tuple(shape)
    if len(shape) != x.ndim or not all(isinstance(v, numbers.Integral)
                                       and not isinstance(v, bool) and v >= 0 for v in shape):
        raise ValueError(f"shape must hold one non-negative int per axis of image "
                         f"({x.ndim}), got {shape!r} for image of shape {tuple(x.shape)}")
    return tuple(int(v) for v in shape)


def _inexact(x):
    """JAX's ``promote_dtypes_inexact`` (with ``jax_enable_x64``)."""
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind in "iub":
        return x.astype(np.float64 if x.dtype.itemsize == 8 else np.float32)
    raise TypeError(f"image must be a real array (bool, integer or float), got {x.dtype}")


def _arguments(method, antialias):
    if method == "cubic-pytorch":
        if not antialias:
            return dict(filter="cubic", cubic_coeff_a=-0.75, antialias=False)
        method = "cubic"
    kw = dict(exclude_outside=True, extrapolate="cells", extrapolation_value=0.0)
    if method == "area":
        return dict(filter="area", **kw)
    if method == "cubic":
        kw["cubic_coeff_a"] = -0.5
    return dict(filter=method, antialias=bool(antialias), **kw)


def _nearest_table(n, m):
    """JAX's nearest source index of an axis (``_resize_nearest``) as it computes
    it: the source writes ``floor((arange(m) + 0.5) * n / m)`` in float32, and XLA
    turns the division by the constant ``m`` into a product with its float32
    reciprocal and folds the constants, so the index is
    ``floor((j + 0.5) * fl(n * fl(1/m)))`` (checked on every pair in the tests)."""
    f32 = np.float32
    j = np.arange(m).astype(f32)
    step = f32(n) * (f32(1) / f32(m))
    return np.floor((j + f32(0.5)) * step).astype(np.int64)


def _resample_axes(x, dims, shape, engine, scale=None, translation=None, **kw):
    """Resample the axes ``dims`` of ``x`` to ``shape``: moved last, at most three per
    :func:`refpool.resample` call (the filter is separable)."""
    for start in range(0, len(dims), _MAX_AXES):
        group = dims[start:start + _MAX_AXES]
        k = len(group)
        moved = np.moveaxis(x, group, range(x.ndim - k, x.ndim))
        extra = {}
        if scale is not None:
            extra["scale"] = tuple(scale[start:start + k])
            extra["translation"] = tuple(translation[start:start + k])
        y = resample(np.ascontiguousarray(moved), size=tuple(shape[d] for d in group),
                     ndim=k, engine=engine, **extra, **kw)
        x = np.moveaxis(y, range(x.ndim - k, x.ndim), group)
    return np.ascontiguousarray(x)


def resize(image: ArrayIn, shape, method, antialias: bool = True, precision=None, *,
           engine: Engine = "auto") -> Array:
    """``jax.image.resize``.

    Parameters
    ----------
    image : array
        Any number of axes; the axes whose size ``shape`` changes are resampled.
    shape : sequence of int
        The whole output shape (one entry per axis of ``image``).
    method : str or jax.image.ResizeMethod
        A key of :data:`METHODS`.
    antialias : bool
        Widen the filter by :math:`1/s` on downsampled axes (not ``nearest``,
        ``area``; ``cubic-pytorch`` becomes ``cubic``).
    precision : ignored
    engine : {"auto", "cpu", "cuda", "reference"}
        Passed to :func:`refpool.resample`.

    Returns
    -------
    array
        Of ``shape``; the dtype by the module's rule.
    """
    x = _args.as_array(image, "image")
    method = _method(method)
    shape = _shape(shape, x)
    dims = [d for d in range(x.ndim) if x.shape[d] != shape[d]]
    if method != "nearest":
        x = _inexact(x)
    if not dims:
        return np.array(x, copy=True)
    if 0 in shape:
        return np.zeros(shape, dtype=x.dtype)
    if method == "nearest":
        tables = [_nearest_table(x.shape[d], shape[d]) for d in dims]
        return select(x, dims, tables, engine=engine)
    return _resample_axes(x, dims, shape, engine, **_arguments(method, antialias))


def scale_and_translate(image: ArrayIn, shape, spatial_dims, scale, translation, method,
                        antialias: bool = True, precision=None, *,
                        engine: Engine = "auto") -> Array:
    """``jax.image.scale_and_translate``.

    Parameters
    ----------
    image : array
    shape : sequence of int
        The whole output shape; axes outside ``spatial_dims`` keep their size.
    spatial_dims : sequence of int
        The resampled axes (negative counts from the end).
    scale, translation : sequence of float
        One per entry of ``spatial_dims``: the output coordinate of input
        coordinate :math:`u` (pixel centres at half-integers) is :math:`s u + t`.
    method : str or jax.image.ResizeMethod
        A key of :data:`METHODS` other than ``nearest`` (JAX does not support it
        here).
    antialias : bool
    precision : ignored
    engine : {"auto", "cpu", "cuda", "reference"}

    Returns
    -------
    array
        Of ``shape``; the dtype by the module's rule.
    """
    x = _args.as_array(image, "image")
    method = _method(method)
    if method == "nearest":
        raise ValueError("scale_and_translate does not support method='nearest' (as JAX)")
    shape = _shape(shape, x)
    dims = []
    for d in (spatial_dims if not isinstance(spatial_dims, numbers.Integral)
              else (spatial_dims,)):
        if not isinstance(d, numbers.Integral) or not -x.ndim <= int(d) < x.ndim:
            raise ValueError(f"spatial_dims must be axes of image (ndim {x.ndim}), "
                             f"got {spatial_dims!r}")
        dims.append(int(d) % x.ndim)
    if len(set(dims)) != len(dims):
        raise ValueError(f"spatial_dims must not repeat an axis, got {spatial_dims!r}")
    scale = [float(v) for v in np.asarray(scale, dtype=np.float64).reshape(-1)]
    translation = [float(v) for v in np.asarray(translation, dtype=np.float64).reshape(-1)]
    if len(scale) != len(dims) or len(translation) != len(dims):
        raise ValueError(f"scale and translation must hold one value per entry of "
                         f"spatial_dims ({len(dims)}), got {len(scale)} and "
                         f"{len(translation)}")
    for d in range(x.ndim):
        if d not in dims and shape[d] != x.shape[d]:
            raise ValueError(f"shape may change only the axes of spatial_dims; axis {d} "
                             f"has size {x.shape[d]}, shape asks {shape[d]}")
    x = _inexact(x)
    if not dims:
        return np.array(x, copy=True)
    if 0 in shape:
        return np.zeros(shape, dtype=x.dtype)
    return _resample_axes(x, dims, shape, engine, scale=scale, translation=translation,
                          **_arguments(method, antialias))
