"""Adapter over ``torch.nn.functional`` (CPU).  Needs torch; import lazily.

Covers what torch offers directly: the windowed, adaptive and fractional poolings
(``max_pool{1,2,3}d``, ``avg_pool{1,2,3}d``, ``adaptive_*_pool{1,2,3}d``,
``fractional_max_pool{2,3}d`` with the case's samples, 1-D cases on a unit height),
the global poolings (adaptive poolings to 1, ``lp_pool`` over the whole input),
``interpolate``, and ``pixel_shuffle``/``pixel_unshuffle`` on 2-D cases (torch has no
1-D or 3-D form; ``depth_to_space``/``space_to_depth`` are declared lacking, their
peer is ONNX, checked in tests/test_shuffle.py), and ``max_unpool{1,2,3}d`` (ONNX's
whole-tensor indices converted to per-plane ones; the catalogue's indices carry no
duplicates, whose winner torch leaves unspecified).  The antialiased poolings, ``blur_pool`` and the field
operators have no torch counterpart and raise ``NotImplementedError`` (their
peers are the ``e2cnn`` and ``antialiased_cnns`` adapters).
"""

from __future__ import annotations

from ._base import Adapter, general_padding, require_equal_padding

import numpy as np

NAME = "torch"

import torch  # noqa: E402  (this module is only imported when torch is wanted)
import torch.nn.functional as F  # noqa: E402

#: the reasons reported for each kind of divergence (documented in docs/conformance.rst)
PADDING_LIMIT = ("torch 2.13 limits max-pool padding to kernel_size//2; refpool allows "
                 "up to half the dilated extent")
EMPTY_WINDOW = ("a dilated window with no input element: torch returns an out-of-range "
                "index, refpool -1")
REASONS = (PADDING_LIMIT, EMPTY_WINDOW)

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_LP = {1: F.lp_pool1d, 2: F.lp_pool2d, 3: F.lp_pool3d}
_AMAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_AAVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}


def _t(x):
    return torch.from_numpy(np.ascontiguousarray(x))


def _np(result):
    if isinstance(result, tuple):
        return tuple(r.numpy() for r in result)
    return result.numpy()


def _nd(x):
    return x.ndim - 2


def _has_empty_window(kwargs, shape):
    """Whether some max-pool window holds no input element (dilation only)."""
    from ..._args import window_spec
    spec = window_spec(shape[2:], kwargs["kernel_size"], kwargs.get("stride"),
                       kwargs.get("padding", 0), kwargs.get("dilation", 1),
                       kwargs.get("ceil_mode", False), general_padding=True)
    for n, k, s, p, d, o in zip(spec.input_size, spec.kernel, spec.stride, spec.padding,
                                spec.dilation, spec.output_size):
        taps = np.arange(o)[:, None] * s - p + np.arange(k)[None, :] * d
        if np.any(~((taps >= 0) & (taps < n)).any(axis=1)):
            return True
    return False


def _two_d_only(x, op):
    """torch's pixel (un)shuffle acts on the last two axes of any rank: an (N, C, L) or
    (N, C, D, H, W) case means something else to it (refpool's 1-D and 3-D)."""
    if _nd(x) != 2:
        raise NotImplementedError(f"torch's {op} is 2-D only (it would read an "
                                  f"{x.ndim}-D case as (*batch, C, H, W))")


class TorchAdapter(Adapter):
    NAME = NAME
    PEER = "torch.nn.functional"
    LACKS = {
        "resample": "F.interpolate is a subset: see refpool.interpolate and "
                    "tests/test_resample.py",
        "antialiased_avg_pool": "see the e2cnn adapter",
        "antialiased_max_pool": "see the e2cnn adapter",
        "blur_pool": "see the antialiased_cnns adapter",
        "group_pool": "see the e2cnn adapter",
        "norm_pool": "see the e2cnn adapter",
        "induced_norm_pool": "see the e2cnn adapter",
        "norm_max_pool": "see the e2cnn adapter",
        "subgroup_pool": "no peer has it (e2cnn and escnn neither)",
        "max_pool_channels": "see the e2cnn adapter",
        "depth_to_space": "torch has pixel_shuffle (mode='CRD' only); tests/test_shuffle.py "
                          "checks it against onnxruntime",
        "space_to_depth": "torch has pixel_unshuffle (the CRD order only); "
                          "tests/test_shuffle.py checks it against onnxruntime",
        "roi_pool": "torchvision.ops.roi_pool; torchvision is not a refpool peer "
                    "(tests/test_region_pooling.py checks it against onnxruntime)",
        "roi_align": "torchvision.ops.roi_align; torchvision is not a refpool peer "
                     "(tests/test_region_pooling.py checks it against onnxruntime and "
                     "the ONNX reference)",
        "upfirdn": "torch has no upfirdn (StyleGAN3's upfirdn2d is not a refpool peer; "
                   "tests/test_upfirdn.py checks a pad-and-conv formulation in torch)",
        "aps_downsample": "torch has no adaptive polyphase sampling",
        "aps_upsample": "torch has no adaptive polyphase sampling",
        "filtered_upsample": "torch has no upfirdn-based radial-filter resampling",
        "filtered_downsample": "torch has no upfirdn-based radial-filter resampling",
        "map_coordinates": "torch has no spline interpolation of scipy.ndimage's kind (grid_sample is bilinear/bicubic with torch's own padding); scipy.ndimage is the peer (tests/test_map_coordinates.py)",
        "affine_transform": "torch has no spline interpolation of scipy.ndimage's kind (grid_sample is bilinear/bicubic with torch's own padding); scipy.ndimage is the peer (tests/test_map_coordinates.py)",
        "rotate": "torch has no spline interpolation of scipy.ndimage's kind (grid_sample is bilinear/bicubic with torch's own padding); scipy.ndimage is the peer (tests/test_map_coordinates.py)",
    }

    def max_pool(self, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
        require_equal_padding(padding, "torch")
        return _np(_MAX[_nd(x)](_t(x), kernel_size, stride, padding, dilation,
                                ceil_mode=ceil_mode, return_indices=return_indices))

    def avg_pool(self, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, dilation=1):
        require_equal_padding(padding, "torch")
        if dilation != 1:
            raise NotImplementedError("torch's avg_pool has no dilation")
        kw = dict(ceil_mode=ceil_mode, count_include_pad=count_include_pad)
        if _nd(x) > 1:
            kw["divisor_override"] = divisor_override
        elif divisor_override is not None:
            raise NotImplementedError("torch's avg_pool1d has no divisor_override")
        return _np(_AVG[_nd(x)](_t(x), kernel_size, stride, padding, **kw))

    def lp_pool(self, x, norm_type, kernel_size, stride=None, ceil_mode=False, padding=0,
                dilation=1, variant="torch"):
        if variant != "torch" or padding != 0 or dilation != 1:
            raise NotImplementedError("torch's lp_pool is variant='torch' without padding "
                                      "or dilation")
        return _np(_LP[_nd(x)](_t(x), norm_type, kernel_size, stride, ceil_mode))

    def adaptive_max_pool(self, x, output_size, return_indices=False):
        return _np(_AMAX[_nd(x)](_t(x), output_size, return_indices=return_indices))

    def adaptive_avg_pool(self, x, output_size):
        return _np(_AAVG[_nd(x)](_t(x), output_size))

    def fractional_max_pool(self, x, kernel_size, output_size=None, output_ratio=None,
                            return_indices=False, samples=None):
        """``F.fractional_max_pool{2,3}d`` with ``_random_samples=samples`` (which torch
        wants in x's dtype); a 1-D case runs the 2-D operator on a unit height, whose
        samples[..., 0] drive the width (refpool's 1-D rule)."""
        nd = _nd(x)
        if samples is None:
            raise NotImplementedError("torch draws its own samples: pass samples=")
        samples = np.asarray(samples)
        if samples.dtype != x.dtype:
            raise NotImplementedError("torch wants _random_samples in x's dtype")
        spatial = x.shape[2:]
        k = (kernel_size,) * nd if isinstance(kernel_size, int) else tuple(kernel_size)
        if output_size is None:
            ratio = (output_ratio,) * nd if not isinstance(output_ratio, (tuple, list)) \
                else tuple(output_ratio)
            o = tuple(int(n * r) for n, r in zip(spatial, ratio))
        else:
            o = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
        if nd == 3 and any(oi + ki - 1 == n for oi, ki, n in zip(o, k, spatial)):
            raise NotImplementedError("torch's fractional_max_pool3d needs o + k - 1 < n "
                                      "(its 2-D operator, and refpool, allow o + k - 1 == n)")
        t, s = _t(x), _t(samples)
        if nd == 1:
            t = t[:, :, None]
            s = torch.cat([s, torch.zeros_like(s)], dim=-1)
            k, o = (1,) + k, (1,) + o
        fn = F.fractional_max_pool3d if nd == 3 else F.fractional_max_pool2d
        result = fn(t, k, output_size=o, return_indices=return_indices, _random_samples=s)
        if nd == 1:
            result = tuple(r[:, :, 0] for r in result) if return_indices else result[:, :, 0]
        return _np(result)

    def global_max_pool(self, x, return_indices=False):
        return _np(_AMAX[_nd(x)](_t(x), 1, return_indices=return_indices))

    def global_avg_pool(self, x):
        return _np(_AAVG[_nd(x)](_t(x), 1))

    def global_lp_pool(self, x, norm_type, variant="onnx"):
        if variant != "torch":
            raise NotImplementedError("torch's lp_pool is variant='torch' (it raises x, not "
                                      "|x|, to the power)")
        # lp_pool1d multiplies by its kernel_size, which must be an int there
        kernel = x.shape[2] if _nd(x) == 1 else tuple(x.shape[2:])
        return _np(_LP[_nd(x)](_t(x), norm_type, kernel))

    def interpolate(self, x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                    recompute_scale_factor=None, antialias=False):
        return _np(F.interpolate(_t(x), size=size, scale_factor=scale_factor, mode=mode,
                                 align_corners=align_corners,
                                 recompute_scale_factor=recompute_scale_factor,
                                 antialias=antialias))

    def pixel_shuffle(self, x, upscale_factor):
        _two_d_only(x, "pixel_shuffle")
        return _np(F.pixel_shuffle(_t(x), upscale_factor))

    def pixel_unshuffle(self, x, downscale_factor):
        _two_d_only(x, "pixel_unshuffle")
        return _np(F.pixel_unshuffle(_t(x), downscale_factor))

    def max_unpool(self, x, indices, kernel_size, stride=None, padding=0, output_size=None,
                   index_layout="torch"):
        nd = _nd(x)
        indices = np.asarray(indices, dtype=np.int64)
        size = output_size
        if isinstance(size, int):
            size = (size,) * nd
        if index_layout == "onnx":        # ONNX's whole-tensor indices: make them per plane
            from ...unpooling import unpool_spec
            plane = unpool_spec(x.shape[2:], kernel_size, stride, padding, output_size,
                                x.shape[:2]).plane_size
            n, c = x.shape[:2]
            offsets = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * plane
            indices = indices - offsets.reshape((n, c) + (1,) * nd)
        if isinstance(padding, (tuple, list)) and any(isinstance(e, (tuple, list))
                                                      for e in padding):
            totals = [sum(e) if isinstance(e, (tuple, list)) else 2 * e for e in padding]
            if any(t % 2 for t in totals):
                raise NotImplementedError("torch's max_unpool pads both sides equally")
            padding = tuple(t // 2 for t in totals)
        fn = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}[nd]
        return _np(fn(_t(x), _t(indices), kernel_size, stride, padding, output_size=size))

    def grid_sample(self, x, grid, mode="bilinear", padding_mode="zeros",
                    align_corners=False):
        # torch computes the coordinates and weights in x's dtype; refpool in float64
        # (rounded once).  A float32 call of torch moves a point by float32 rounding,
        # which for a point far outside (a tiny bicubic tail) exceeds the tolerance
        # relative to that tail: the adapter runs torch in float64 on the exact
        # float32 values and rounds once, so the comparison checks the formulas
        # (tests/test_sampling.py compares torch's own float32 kernel separately)
        g = torch.from_numpy(np.ascontiguousarray(grid, dtype=np.float64))
        y = F.grid_sample(_t(np.asarray(x, dtype=np.float64)), g, mode=mode,
                          padding_mode=padding_mode, align_corners=align_corners)
        return _np(y).astype(x.dtype)

    def known_divergence(self, op, kwargs, shape):
        """Documented differences between torch 2.13 CPU and refpool, or None."""
        if op == "max_pool":
            if general_padding(kwargs.get("padding", 0)):
                return None                     # torch does not run such a case
            nd = len(shape) - 2
            k = np.broadcast_to(kwargs.get("kernel_size"), (nd,))
            p = np.broadcast_to(kwargs.get("padding", 0), (nd,))
            if np.any(p > k // 2):
                return PADDING_LIMIT
            if kwargs.get("return_indices") and _has_empty_window(kwargs, shape):
                return EMPTY_WINDOW
        return None


adapter = TorchAdapter()
__getattr__ = adapter.module_getattr
