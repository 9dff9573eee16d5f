r"""ONNX ``Resize`` (opset 19) and ``Upsample`` (opsets 7 and 9) over
:func:`refpool.resample`.

Argument mapping only: ONNX's inputs (``X, roi, scales, sizes``) and attributes
keep their names and defaults, and :func:`refpool.resample` computes.  ``mode``
maps to ``filter`` (``nearest``, ``linear``, ``cubic``),
``coordinate_transformation_mode`` to ``coordinate_mode``, and the other
attributes keep their names.

refpool resamples the spatial axes of an ``(N, C, *spatial)`` tensor (1 to 3 of
them): the scales of the batch and channel axes must be 1 and their sizes
unchanged (a ValueError naming ``scales``, ``sizes`` or ``axes`` otherwise).

Sizes and scales, as the specification and both runtimes (the reference evaluator
and onnxruntime) compute them:

* ``scales``: :math:`m = \lfloor n s \rfloor` (float64 product of the float32
  scale), and the coordinate maps use :math:`s`.  The specification multiplies
  by the ``roi`` extent for ``tf_crop_and_resize``; neither runtime does, and
  neither does refpool.
* ``sizes``: :math:`s = m / n`; with ``keep_aspect_ratio_policy`` ``not_larger``
  (``not_smaller``) one scale, the smallest (largest) :math:`m_i / n_i` over the
  resized axes, and :math:`m_i = \lfloor s n_i + \tfrac12 \rfloor`.

Where the two runtimes disagree, refpool follows the specification (see
docs/resample.rst, "ONNX dialect"): ``align_corners`` divides by
:math:`m - 1` with the integer output length (onnxruntime; the reference
evaluator uses the fractional :math:`n s`), and ``pytorch_half_pixel`` maps an
output of length 1 to coordinate 0 (onnxruntime; the evaluator uses -0.5).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..._typing import Array, ArrayIn, Engine
from ...interpolate import resample
from .sampling import _attr

__all__ = ["Resize", "Upsample"]

#: ONNX ``mode`` -> refpool's ``filter``
_MODES = {"nearest": "nearest", "linear": "linear", "cubic": "cubic"}

_POLICIES = ("stretch", "not_larger", "not_smaller")


def _flag(value, op, name):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if not isinstance(value, numbers.Integral) or int(value) not in (0, 1):
        raise ValueError(f"{op}: {name} must be 0 or 1 (an ONNX int attribute), "
                         f"got {value!r}")
    return bool(int(value))


def _optional(a):
    """An optional input: None for a missing or empty tensor."""
    if a is None:
        return None
    a = np.asarray(a)
    return None if a.size == 0 else a.reshape(-1)


def _axes(axes, rank, op):
    if axes is None:
        return list(range(rank))
    out = []
    for a in list(axes):
        if not isinstance(a, numbers.Integral) or not -rank <= int(a) < rank:
            raise ValueError(f"{op}: axes must be in [-{rank}, {rank - 1}], got {axes!r}")
        out.append(int(a) % rank)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axes must not repeat an axis, got {axes!r}")
    return out


def _full(values, axes, rank, fill, op, name):
    """``values`` (one per entry of ``axes``) spread over all ``rank`` axes."""
    if len(values) != len(axes):
        raise ValueError(f"{op}: {name} must hold one value per axis ({len(axes)}), "
                         f"got {len(values)}")
    full = list(fill)
    for a, v in zip(axes, values):
        full[a] = v
    return full


def Resize(X: ArrayIn, roi: ArrayIn = None, scales: ArrayIn = None, sizes: ArrayIn = None,
           *, antialias: int = 0, axes=None,
           coordinate_transformation_mode: str = "half_pixel", cubic_coeff_a: float = -0.75,
           exclude_outside: int = 0, extrapolation_value: float = 0.0,
           keep_aspect_ratio_policy: str = "stretch", mode: str = "nearest",
           nearest_mode: str = "round_prefer_floor", engine: Engine = "auto") -> Array:
    r"""ONNX ``Resize`` (opset 19).

    Parameters
    ----------
    X : array, shape (N, C, *spatial)
        1 to 3 spatial axes.  Floats; integers with ``mode="nearest"``.
    roi : array, optional
        ``[start_1, ..., start_k, end_1, ..., end_k]`` over all axes (or over
        ``axes``); read only by ``tf_crop_and_resize``.
    scales : array of float, optional
        One per axis (or per entry of ``axes``); exactly one of ``scales`` and
        ``sizes`` is given (empty tensors count as missing).
    sizes : array of int, optional
        Output sizes, read according to ``keep_aspect_ratio_policy``.
    antialias, exclude_outside : {0, 1}
    axes : sequence of int, optional
        The axes ``roi``, ``scales`` and ``sizes`` refer to (negative counts
        from the back); the others keep their size.
    coordinate_transformation_mode : str
        ``half_pixel`` (default), ``half_pixel_symmetric``,
        ``pytorch_half_pixel``, ``align_corners``, ``asymmetric``,
        ``tf_half_pixel_for_nn``, ``tf_crop_and_resize``.
    cubic_coeff_a, extrapolation_value : float
    keep_aspect_ratio_policy : {"stretch", "not_larger", "not_smaller"}
    mode : {"nearest", "linear", "cubic"}
    nearest_mode : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
    engine : {"auto", "cpu", "cuda", "reference"}

    Returns
    -------
    Y : array, shape (N, C, *m), dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects.onnx import Resize
    >>> X = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=np.float32)
    >>> Resize(X, scales=np.array([1, 1, 2, 2], np.float32), mode="linear")[0, 0, 0].tolist()
    [1.0, 1.25, 1.75, 2.0]
    >>> Resize(X, sizes=np.array([1, 1, 1, 3]), mode="nearest")[0, 0].tolist()
    [[1.0, 1.0, 2.0]]
    """
    op = "Resize"
    shape = tuple(getattr(X, "shape", np.shape(X)))
    rank = len(shape)
    if rank not in (3, 4, 5):
        raise ValueError(f"{op}: X must have 1 to 3 spatial axes (N, C, *spatial), "
                         f"got shape {shape}")
    mode = _attr(mode, op, "mode")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {tuple(_MODES)}, got {mode!r}")
    ctm = _attr(coordinate_transformation_mode, op, "coordinate_transformation_mode")
    nearest_mode = _attr(nearest_mode, op, "nearest_mode")
    if nearest_mode not in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
        raise ValueError(f"{op}: nearest_mode must be one of 'round_prefer_floor', "
                         f"'round_prefer_ceil', 'floor', 'ceil', got {nearest_mode!r}")
    policy = _attr(keep_aspect_ratio_policy, op, "keep_aspect_ratio_policy")
    if policy not in _POLICIES:
        raise ValueError(f"{op}: keep_aspect_ratio_policy must be one of {_POLICIES}, "
                         f"got {policy!r}")
    antialias = _flag(antialias, op, "antialias")
    exclude_outside = _flag(exclude_outside, op, "exclude_outside")
    axes = _axes(axes, rank, op)
    roi, scales, sizes = _optional(roi), _optional(scales), _optional(sizes)
    if (scales is None) == (sizes is None):
        raise ValueError(f"{op}: exactly one of scales and sizes must be given, got "
                         f"{'both' if scales is not None else 'neither'}")
    if scales is not None:
        s = _full([float(v) for v in scales.tolist()], axes, rank, [1.0] * rank, op,
                  "scales")
        if not all(math.isfinite(v) and v > 0 for v in s):
            raise ValueError(f"{op}: scales must be positive and finite, "
                             f"got {scales.tolist()}")
        m = [math.floor(n * v) for n, v in zip(shape, s)]
        name = "scales"
    else:
        if sizes.dtype.kind not in "iu":
            raise TypeError(f"{op}: sizes must be an integer tensor, got {sizes.dtype}")
        m = _full([int(v) for v in sizes.tolist()], axes, rank, shape, op, "sizes")
        s = [mi / n for mi, n in zip(m, shape)]
        if policy != "stretch":
            pick = min if policy == "not_larger" else max
            one = pick(s[a] for a in axes)
            s = [one if a in axes else 1.0 for a in range(rank)]
            m = [int(one * shape[a] + 0.5) if a in axes else shape[a] for a in range(rank)]
        name = "sizes"
    if m[0] != shape[0] or m[1] != shape[1] or s[0] != 1 or s[1] != 1:
        raise ValueError(f"{op}: refpool resizes the spatial axes only: the {name} of the "
                         f"batch and channel axes must keep them, got {name} giving "
                         f"{tuple(m)} from {shape}")
    if roi is not None:
        k = len(axes)
        if len(roi) != 2 * k:
            raise ValueError(f"{op}: roi must hold 2 * {k} values, got {len(roi)}")
        full = _full([float(v) for v in roi[:k]], axes, rank, [0.0] * rank, op, "roi") + \
            _full([float(v) for v in roi[k:]], axes, rank, [1.0] * rank, op, "roi")
        roi = tuple(full[2:rank]) + tuple(full[rank + 2:])
    if ctm == "tf_crop_and_resize" and roi is None:
        raise ValueError(f"{op}: coordinate_transformation_mode='tf_crop_and_resize' "
                         "needs the roi input")
    # both runtimes copy an axis whose scale is 1 and size unchanged (not a crop's):
    # the identity map, which differs from the mode's only for tf_half_pixel_for_nn
    ctm = tuple("asymmetric" if s[a] == 1 and m[a] == shape[a] and ctm != "tf_crop_and_resize"
                else ctm for a in range(2, rank))
    if antialias and mode == "nearest":
        raise ValueError(f"{op}: antialias=1 needs mode 'linear' or 'cubic' (both runtimes "
                         "refuse it with 'nearest'), got mode='nearest'")
    return resample(X, size=tuple(m[2:]), scale=tuple(s[2:]), filter=_MODES[mode],
                    coordinate_mode=ctm, antialias=antialias,
                    exclude_outside=exclude_outside,
                    extrapolation_value=float(extrapolation_value), roi=roi,
                    nearest_mode=nearest_mode, cubic_coeff_a=float(cubic_coeff_a),
                    engine=engine)


def Upsample(X: ArrayIn, scales: ArrayIn = None, *, mode: str = "nearest",
             engine: Engine = "auto") -> Array:
    r"""ONNX ``Upsample`` (opset 9: ``scales`` an input; opset 7: pass the attribute's
    values as ``scales``), deprecated since opset 10.

    :math:`m = \lfloor n s \rfloor` with :math:`s \ge 1`; output :math:`j` reads
    the ``asymmetric`` coordinate :math:`x = j / s`: ``nearest`` takes
    :math:`\lfloor x \rfloor`, ``linear`` interpolates (the edge sample
    clamped), as onnxruntime does.

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects.onnx import Upsample
    >>> X = np.array([[[1.0, 2.0]]], dtype=np.float32)
    >>> Upsample(X, np.array([1, 1, 2], np.float32)).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    >>> Upsample(X, np.array([1, 1, 2], np.float32), mode="linear").tolist()
    [[[1.0, 1.5, 2.0, 2.0]]]
    """
    op = "Upsample"
    mode = _attr(mode, op, "mode")
    if mode not in ("nearest", "linear", "bilinear"):
        raise ValueError(f"{op}: mode must be 'nearest' or 'linear', got {mode!r}")
    scales = _optional(scales)
    if scales is None:
        raise ValueError(f"{op}: scales must be given")
    shape = tuple(getattr(X, "shape", np.shape(X)))
    if len(scales) != len(shape):
        raise ValueError(f"{op}: scales must hold one value per axis of X ({len(shape)}), "
                         f"got {len(scales)}")
    s = [float(v) for v in scales.tolist()]
    if not all(math.isfinite(v) and v >= 1 for v in s):
        raise ValueError(f"{op}: scales must be finite and >= 1, got {s}")
    if s[0] != 1 or s[1] != 1:
        raise ValueError(f"{op}: refpool resizes the spatial axes only: the scales of the "
                         f"batch and channel axes must be 1, got {s}")
    m = tuple(math.floor(n * v) for n, v in zip(shape[2:], s[2:]))
    return resample(X, size=m, scale=tuple(s[2:]),
                    filter="nearest" if mode == "nearest" else "linear",
                    coordinate_mode="asymmetric", nearest_mode="floor", engine=engine)
