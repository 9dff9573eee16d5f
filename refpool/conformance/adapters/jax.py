"""Adapter over JAX (CPU): ``jax.lax.reduce_window`` pooling and ``jax.image`` resizing.

Verified against jax/jaxlib 0.10.2 (CPU).  JAX has no PyTorch-style pooling or
``interpolate``; this adapter spells refpool's (PyTorch's) conventions with
JAX's primitives, and only where the primitive computes the same thing:

``max_pool``
    ``lax.reduce_window(x, -inf, lax.max, ...)`` with the window, strides,
    dilation and explicit ``(p, p')`` padding; ``ceil_mode`` adds the extra
    right padding ``p'`` its last window needs (computed here from SPEC.md
    section 1, not by refpool).  No ``return_indices``.
``avg_pool``
    a ``reduce_window`` sum divided by a ``reduce_window`` count of a 0/1 mask
    (zero padding counted for ``count_include_pad``, the ceil-mode overhang
    not), or by ``divisor_override``.
``interpolate``
    ``linear``/``bilinear``/``trilinear`` and ``bicubic`` through
    ``jax.image.scale_and_translate`` with the scale and translation that give
    PyTorch's sample positions (``1/scale_factor`` coordinates and
    ``align_corners`` included; ``bicubic`` uses JAX's ``"cubic-pytorch"``
    kernel, A = -0.75 with edge padding, and ``antialias=True`` JAX's
    ``"cubic"``, A = -0.5); ``nearest-exact`` through ``jax.image.resize``'s
    ``"nearest"`` when the coordinate scale is ``n/m``; ``area`` through
    ``jax.image.resize``'s ``"area"``.

Unsupported (``NotImplementedError``): indices, adaptive pooling, the
antialiased poolings, ``blur_pool``, the field operators, ``nearest`` (JAX has
no ``floor(j * scale)`` rule), ``nearest-exact`` with a ``1/scale_factor``
coordinate scale other than ``n/m``, and non-finite inputs to the
``jax.image`` modes: JAX resamples by dense weight-matrix products, so one
infinity or NaN multiplies every (mostly zero) weight along its axis and
turns the whole line into NaN, where PyTorch touches only the taps.  That is
a real divergence, but ``known_divergence`` is not told whether a case's
input holds NaN/inf, so it is refused instead.

Float64 inputs run inside ``jax.enable_x64(True)`` (JAX computes in float32
by default); the output keeps the input dtype.

Known divergences (declared exactly when they change the result):
:data:`AREA_OVERLAP` and :data:`ANTIALIAS_OUTSIDE`.
"""

from __future__ import annotations

from ._base import Adapter

import functools
import math

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax

NAME = "jax"

AREA_OVERLAP = ("jax.image's 'area' weights each input pixel by its overlap with the output "
                "pixel; torch/refpool average the whole pixels of the adaptive window")
ANTIALIAS_OUTSIDE = ("antialias=True with align_corners=True samples past the last input "
                     "pixel in torch/refpool; jax.image.scale_and_translate zeroes such "
                     "outputs")
REASONS = (AREA_OVERLAP, ANTIALIAS_OUTSIDE)


def _x64(x):
    return jax.enable_x64(bool(np.dtype(x.dtype) == np.float64))


def _tuple(value, nd):
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * nd


def _out_len(n, k, s, p, d, ceil_mode, after):
    """PyTorch's output length (SPEC.md section 1), padding ``p`` before and ``after``
    after the input."""
    span = n + p + after - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    o = -(-span // s) + 1
    if (o - 1) * s >= n + p:
        o -= 1
    return o


def _geometry(shape, kernel_size, stride, padding, dilation, ceil_mode):
    """Window, strides, padding before, padding after, dilation, and the right padding
    the last window needs.  Padding names go through JAX's own ``padtype_to_pads``
    (``"same"`` is its ``SAME``, ``"same_lower"`` its ``SAME_LOWER``)."""
    nd = len(shape) - 2
    k = _tuple(kernel_size, nd)
    s = k if stride is None else _tuple(stride, nd)
    d = _tuple(dilation, nd)
    if isinstance(padding, str):
        pairs = lax.padtype_to_pads(tuple(shape[2:]),
                                    tuple(di * (ki - 1) + 1 for ki, di in zip(k, d)), s,
                                    padding.upper())
    else:
        pairs = [tuple(e) if isinstance(e, (tuple, list)) else (e, e)
                 for e in _tuple(padding, nd)]
    p, after = tuple(a for a, _ in pairs), tuple(b for _, b in pairs)
    right = []
    for n, ki, si, pi, ai, di in zip(shape[2:], k, s, p, after, d):
        o = _out_len(n, ki, si, pi, di, ceil_mode, ai)
        right.append(max((o - 1) * si + di * (ki - 1) + 1 - n - pi, 0))
    return k, s, p, after, d, tuple(right)


@functools.partial(jax.jit, static_argnums=(1, 2, 3, 4))
def _max_window(x, window, strides, pads, dilation):
    return lax.reduce_window(x, -jnp.inf, lax.max, window, strides, pads,
                             window_dilation=dilation)


@functools.partial(jax.jit, static_argnums=(2, 3, 4, 5, 6, 7))
def _avg_window(x, mask, window, strides, pads, mask_pads, divisor_override, dilation):
    total = lax.reduce_window(x, jnp.zeros((), x.dtype), lax.add, (1, 1) + window,
                              (1, 1) + strides, ((0, 0), (0, 0)) + pads,
                              window_dilation=(1, 1) + dilation)
    if divisor_override is not None:
        return total / divisor_override
    count = lax.reduce_window(mask, jnp.zeros((), mask.dtype), lax.add, window, strides,
                              mask_pads, window_dilation=dilation)
    return total / count


# --------------------------------------------------------------------------- interpolate
def _coordinate_scale(n, m, scale_factor, recompute, align_corners):
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    if scale_factor is not None and not recompute:
        return 1.0 / scale_factor
    return n / m


def _output_size(spatial, size, scale_factor):
    nd = len(spatial)
    if size is not None:
        return _tuple(size, nd), (None,) * nd
    scales = tuple(float(v) for v in _tuple(scale_factor, nd))
    return tuple(math.floor(float(n) * sc) for n, sc in zip(spatial, scales)), scales


def _check_finite(x, mode):
    if not np.all(np.isfinite(x)):
        raise NotImplementedError(
            f"jax.image ({mode}) resamples by dense weight-matrix products: a NaN or infinity "
            "spreads along its whole axis (torch touches only the taps)")


@functools.partial(jax.jit, static_argnums=(1, 4, 5))
def _resample(x, shape, scale, translation, method, antialias):
    return jax.image.scale_and_translate(x, shape, tuple(range(2, x.ndim)), scale, translation,
                                         method, antialias=antialias).astype(x.dtype)


@functools.partial(jax.jit, static_argnums=(1, 2))
def _resize(x, shape, method):
    return jax.image.resize(x, shape, method, antialias=True)


# --------------------------------------------------------------------------- unsupported


# --------------------------------------------------------------------------- divergences
def _area_weights_unequal(n, m):
    """Whether some output pixel of an n -> m area resize overlaps its input pixels
    unequally (exact rational arithmetic: pixel j covers [j*m, (j+1)*m) in units of 1/m,
    output i covers [i*n, (i+1)*n))."""
    for i in range(m):
        lo, hi = i * n, (i + 1) * n
        overlaps = {min(hi, (j + 1) * m) - max(lo, j * m)
                    for j in range(lo // m, -(-hi // m))}
        if len(overlaps) > 1:
            return True
    return False


class JaxAdapter(Adapter):
    NAME = NAME
    PEER = "JAX"
    LACKS = {
        "resample": "jax.image.scale_and_translate is its counterpart: see the JAX dialect",
        "lp_pool": "see the torch adapter",
        "fractional_max_pool": "see the torch adapter",
        "global_max_pool": "see the torch adapter",
        "global_avg_pool": "see the torch adapter",
        "global_lp_pool": "see the torch adapter",
        "adaptive_max_pool": None,
        "adaptive_avg_pool": None,
        "antialiased_avg_pool": None,
        "antialiased_max_pool": None,
        "blur_pool": None,
        "group_pool": None,
        "norm_pool": None,
        "induced_norm_pool": None,
        "norm_max_pool": None,
        "subgroup_pool": None,
        "max_pool_channels": None,
        "pixel_shuffle": "see the torch adapter (2-D)",
        "pixel_unshuffle": "see the torch adapter (2-D)",
        "depth_to_space": "tests/test_shuffle.py checks it against onnxruntime",
        "space_to_depth": "tests/test_shuffle.py checks it against onnxruntime",
        "max_unpool": "see the torch adapter (jax.lax has no unpooling; tests/"
                      "test_unpooling.py also checks it against onnxruntime)",
        "roi_pool": "torchvision.ops.roi_pool; torchvision is not a refpool peer "
                    "(tests/test_region_pooling.py checks it against onnxruntime)",
        "roi_align": "torchvision.ops.roi_align; torchvision is not a refpool peer "
                     "(tests/test_region_pooling.py checks it against onnxruntime and "
                     "the ONNX reference)",
        "grid_sample": "jax has no grid_sample (jax.scipy.ndimage.map_coordinates takes pixel coordinates, no padding modes); see the torch adapter",
        "upfirdn": "jax has no upfirdn",
        "aps_downsample": "jax has no adaptive polyphase sampling",
        "aps_upsample": "jax has no adaptive polyphase sampling",
        "filtered_upsample": "jax has no upfirdn-based radial-filter resampling",
        "filtered_downsample": "jax has no upfirdn-based radial-filter resampling",
        "map_coordinates": "jax.scipy.ndimage.map_coordinates has orders 0 and 1 only and a subset of the modes; scipy.ndimage is the peer (tests/test_map_coordinates.py)",
        "affine_transform": "jax.scipy.ndimage.map_coordinates has orders 0 and 1 only and a subset of the modes; scipy.ndimage is the peer (tests/test_map_coordinates.py)",
        "rotate": "jax.scipy.ndimage.map_coordinates has orders 0 and 1 only and a subset of the modes; scipy.ndimage is the peer (tests/test_map_coordinates.py)",
    }

    def max_pool(self, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
        if return_indices:
            raise NotImplementedError("lax.reduce_window returns no indices")
        k, s, p, _, d, right = _geometry(x.shape, kernel_size, stride, padding, dilation,
                                         ceil_mode)
        with _x64(x):
            return np.asarray(_max_window(jnp.asarray(x), (1, 1) + k, (1, 1) + s,
                                          ((0, 0), (0, 0)) + tuple(zip(p, right)), (1, 1) + d))

    def avg_pool(self, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, dilation=1):
        k, s, p, after, d, right = _geometry(x.shape, kernel_size, stride, padding, dilation,
                                             ceil_mode)
        pads = tuple(zip(p, right))
        if count_include_pad:
            # ones over the input and its zero padding, zeros over the ceil-mode overhang
            mask = np.ones(tuple(pi + n + min(r, a) for n, (pi, r), a
                                 in zip(x.shape[2:], pads, after)), x.dtype)
            mask_pads = tuple((0, max(r - a, 0)) for (_, r), a in zip(pads, after))
        else:
            mask = np.ones(x.shape[2:], x.dtype)      # ones over the input only
            mask_pads = pads
        with _x64(x):
            return np.asarray(_avg_window(jnp.asarray(x), jnp.asarray(mask), k, s, pads, mask_pads,
                                          divisor_override, d))

    def interpolate(self, x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                    recompute_scale_factor=None, antialias=False):
        spatial = x.shape[2:]
        out, scales = _output_size(spatial, size, scale_factor)
        if mode == "nearest":
            raise NotImplementedError("JAX has no nearest rule floor(j * scale); jax.image's "
                                      "'nearest' is torch's 'nearest-exact'")
        if mode == "nearest-exact":
            for n, m, sc in zip(spatial, out, scales):
                if _coordinate_scale(n, m, sc, recompute_scale_factor, False) != n / m:
                    raise NotImplementedError(
                        "jax.image.resize's nearest maps coordinates with n/m; this case uses "
                        "1/scale_factor")
            with _x64(x):
                return np.asarray(_resize(jnp.asarray(x), x.shape[:2] + tuple(out), "nearest"))
        _check_finite(x, mode)
        if mode == "area":
            with _x64(x):
                return np.asarray(_resize(jnp.asarray(x), x.shape[:2] + tuple(out), "area"))
        align = bool(align_corners)
        scale, translation = [], []
        for n, m, sc in zip(spatial, out, scales):
            r = _coordinate_scale(n, m, sc, recompute_scale_factor, align)
            if m == n and mode != "bicubic":
                scale.append(1.0)                 # torch copies such an axis
                translation.append(0.0)
            elif antialias:
                # torch's antialiased path samples at r*(j + 1/2) - 1/2 with the filter widened
                # by max(r, 1), even with align_corners
                scale.append(1.0 / r if r > 0 else 1.0)
                translation.append(0.0 if r > 0 else 0.5)
            elif align:
                scale.append(1.0 / r if r > 0 else 1.0)
                translation.append(0.5 * (1.0 - 1.0 / r) if r > 0 else 0.0)
            else:
                scale.append(1.0 / r)
                translation.append(0.0)
        method = ("cubic" if antialias else "cubic-pytorch") if mode == "bicubic" else "linear"
        with _x64(x):
            dtype = jnp.float64 if x.dtype == np.float64 else jnp.float32
            return np.asarray(_resample(jnp.asarray(x), x.shape[:2] + tuple(out),
                                        jnp.asarray(scale, dtype), jnp.asarray(translation, dtype),
                                        method, bool(antialias)))

    def known_divergence(self, op, kwargs, shape):
        """Documented differences between JAX and refpool's (PyTorch's) conventions, or None."""
        if op != "interpolate":
            return None
        spatial = tuple(shape[2:])
        out, _ = _output_size(spatial, kwargs.get("size"), kwargs.get("scale_factor"))
        mode = kwargs.get("mode", "nearest")
        if mode == "area" and any(_area_weights_unequal(n, m) for n, m in zip(spatial, out)):
            return AREA_OVERLAP
        if kwargs.get("antialias") and kwargs.get("align_corners"):
            # last sample r*(m - 1/2) - 1/2 beyond n - 1/2, r = (n-1)/(m-1): (n-1)(2m-1) > 2n(m-1)
            if any(m != n and m > 1 and (n - 1) * (2 * m - 1) > 2 * n * (m - 1)
                   for n, m in zip(spatial, out)):
                return ANTIALIAS_OUTSIDE
        return None


adapter = JaxAdapter()
__getattr__ = adapter.module_getattr
