"""Adapter over ``torch.nn.functional`` (CPU).  Needs torch; import lazily.

Covers what torch offers directly: the windowed and adaptive poolings
(``max_pool{1,2,3}d``, ``avg_pool{1,2,3}d``, ``adaptive_*_pool{1,2,3}d``) and
``interpolate``.  The antialiased poolings, ``blur_pool`` and the field
operators have no torch counterpart and raise ``NotImplementedError`` (their
peers are the ``e2cnn`` and ``antialiased_cnns`` adapters).
"""

from __future__ import annotations

from ._base import Adapter

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
                       kwargs.get("ceil_mode", False))
    for n, k, s, p, d, o in zip(spec.input_size, spec.kernel, spec.stride, spec.padding,
                                spec.dilation, spec.output_size):
        taps = np.arange(o)[:, None] * s - p + np.arange(k)[None, :] * d
        if np.any(~((taps >= 0) & (taps < n)).any(axis=1)):
            return True
    return False


class TorchAdapter(Adapter):
    NAME = NAME
    PEER = "torch.nn.functional"
    LACKS = {
        "antialiased_avg_pool": "see the e2cnn adapter",
        "antialiased_max_pool": "see the e2cnn adapter",
        "blur_pool": "see the antialiased_cnns adapter",
        "group_pool": "see the e2cnn adapter",
        "norm_pool": "see the e2cnn adapter",
        "induced_norm_pool": "see the e2cnn adapter",
        "norm_max_pool": "see the e2cnn adapter",
    }

    def max_pool(self, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
        return _np(_MAX[_nd(x)](_t(x), kernel_size, stride, padding, dilation,
                                ceil_mode=ceil_mode, return_indices=return_indices))

    def avg_pool(self, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        kw = dict(ceil_mode=ceil_mode, count_include_pad=count_include_pad)
        if _nd(x) > 1:
            kw["divisor_override"] = divisor_override
        elif divisor_override is not None:
            raise NotImplementedError("torch's avg_pool1d has no divisor_override")
        return _np(_AVG[_nd(x)](_t(x), kernel_size, stride, padding, **kw))

    def adaptive_max_pool(self, x, output_size, return_indices=False):
        return _np(_AMAX[_nd(x)](_t(x), output_size, return_indices=return_indices))

    def adaptive_avg_pool(self, x, output_size):
        return _np(_AAVG[_nd(x)](_t(x), output_size))

    def interpolate(self, x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                    recompute_scale_factor=None, antialias=False):
        return _np(F.interpolate(_t(x), size=size, scale_factor=scale_factor, mode=mode,
                                 align_corners=align_corners,
                                 recompute_scale_factor=recompute_scale_factor,
                                 antialias=antialias))

    def known_divergence(self, op, kwargs, shape):
        """Documented differences between torch 2.13 CPU and refpool, or None."""
        if op == "max_pool":
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
