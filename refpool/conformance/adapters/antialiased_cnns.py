"""Adapter over antialiased-cnns 0.3 (``BlurPool``, ``BlurPool1D``).

Only :func:`refpool.blur_pool` has a counterpart: ``BlurPool`` (2-D) and
``BlurPool1D`` (1-D) with one int per argument; 3-D inputs and per-axis
arguments that differ between axes raise ``NotImplementedError``.  Every other
operator raises ``NotImplementedError``.

Upstream builds its binomial filter in float32 (exact for the sizes it
supports), so float64 inputs run the module converted with ``.double()``; the
output keeps the input dtype.

Known divergence (SPEC.md section 8): upstream has filters only for
``filt_size`` 1 to 7 and fails with ``UnboundLocalError`` for larger ones, where
refpool computes the binomial filter of any size.  The adapter calls upstream
anyway and declares those cases, rather than calling them unsupported: the
constructor accepts any int, so the crash is a bug, not a missing feature.
"""

from __future__ import annotations

from ._base import Adapter

import numpy as np

import antialiased_cnns
import torch

NAME = "antialiased_cnns"

#: the reason reported for each kind of divergence (documented in docs/conformance.rst)
LARGE_FILTER = ("antialiased-cnns has filters only for filt_size 1..7 and fails with "
                "UnboundLocalError for larger ones; refpool builds any binomial filter")
REASONS = (LARGE_FILTER,)


def _one_int(value, name, ndim):
    """An int argument, or a tuple of ``ndim`` equal ints, as one int."""
    if isinstance(value, (tuple, list)):
        if len(set(value)) != 1:
            raise NotImplementedError(
                f"antialiased-cnns' BlurPool takes one int {name} for every axis, got {value!r}")
        value = value[0]
    return int(value)


class AntialiasedCnnsAdapter(Adapter):
    NAME = NAME
    PEER = "antialiased-cnns"
    LACKS = {
        "resample": "see the torch adapter (PyTorch's modes) and refpool.dialects.onnx.Resize",
        "lp_pool": "see the torch adapter",
        "fractional_max_pool": "see the torch adapter",
        "global_max_pool": "see the torch adapter",
        "global_avg_pool": "see the torch adapter",
        "global_lp_pool": "see the torch adapter",
        "max_pool": None,
        "avg_pool": None,
        "adaptive_max_pool": None,
        "adaptive_avg_pool": None,
        "antialiased_avg_pool": None,
        "antialiased_max_pool": None,
        "interpolate": None,
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
        "max_unpool": "see the torch adapter (tests/test_unpooling.py also checks it "
                      "against onnxruntime and the ONNX reference)",
        "roi_pool": "torchvision.ops.roi_pool; torchvision is not a refpool peer "
                    "(tests/test_region_pooling.py checks it against onnxruntime)",
        "roi_align": "torchvision.ops.roi_align; torchvision is not a refpool peer "
                     "(tests/test_region_pooling.py checks it against onnxruntime and "
                     "the ONNX reference)",
        "grid_sample": "see the torch adapter",
        "upfirdn": "antialiased-cnns has no upfirdn",
        "aps_downsample": "antialiased-cnns has no adaptive polyphase sampling",
        "aps_upsample": "antialiased-cnns has no adaptive polyphase sampling",
        "filtered_upsample": "antialiased-cnns has no upfirdn-based radial-filter resampling",
        "filtered_downsample": "antialiased-cnns has no upfirdn-based radial-filter resampling",
        "map_coordinates": "antialiased-cnns has no spline interpolation",
        "affine_transform": "antialiased-cnns has no spline interpolation",
        "rotate": "antialiased-cnns has no spline interpolation",
    }

    def blur_pool(self, x, filt_size=4, stride=2, pad_type="reflect", pad_off=0):
        ndim = x.ndim - 2
        if pad_type == "circular":
            raise NotImplementedError("antialiased-cnns has no circular padding (its "
                                      "get_pad_layer knows refl, repl and zero)")
        if ndim not in (1, 2):
            raise NotImplementedError(f"antialiased-cnns has BlurPool1D and BlurPool (2-D) only, "
                                      f"not {ndim}-D")
        cls = antialiased_cnns.BlurPool1D if ndim == 1 else antialiased_cnns.BlurPool
        module = cls(x.shape[1], pad_type=pad_type,
                     filt_size=_one_int(filt_size, "filt_size", ndim),
                     stride=_one_int(stride, "stride", ndim),
                     pad_off=_one_int(pad_off, "pad_off", ndim))
        if x.dtype == np.float64:
            module = module.double()
        with torch.no_grad():
            y = module(torch.from_numpy(np.ascontiguousarray(x)))
        return np.ascontiguousarray(y.numpy())

    def known_divergence(self, op, kwargs, shape):
        """Documented differences between antialiased-cnns 0.3 and refpool, or None."""
        if op == "blur_pool":
            fs = np.atleast_1d(kwargs.get("filt_size", 4))
            if np.any(fs >= 8):
                return LARGE_FILTER
        return None


adapter = AntialiasedCnnsAdapter()
__getattr__ = adapter.module_getattr
