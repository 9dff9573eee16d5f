r"""ONNX pooling operators: ``MaxPool``, ``AveragePool``, ``LpPool`` and the ``Global``
pools, over :func:`refpool.max_pool`, :func:`refpool.avg_pool`, :func:`refpool.lp_pool`
and :func:`refpool.global_max_pool`, :func:`refpool.global_avg_pool`,
:func:`refpool.global_lp_pool`.

Attributes take ONNX's names and defaults (opset 22): ``kernel_shape`` (required),
``strides`` and ``dilations`` (default 1 on every axis, not the kernel size),
``pads`` as ``[x1_begin, x2_begin, ..., x1_end, x2_end]``, ``auto_pad`` (``NOTSET``,
``VALID``, ``SAME_UPPER``, ``SAME_LOWER``), ``ceil_mode`` and ``count_include_pad``
as 0/1, ``storage_order``, ``p``.  Where ONNX's specification, its reference
evaluator and ONNX Runtime disagree, refpool follows the specification's meaning
and ONNX Runtime's numbers, and says so (docs/dialects.rst):

* ceil-mode output length: the last window is dropped when it would start in the
  right padding (PyTorch's rule, ONNX Runtime's); the specification's formula omits
  the drop and the reference evaluator gets ceil-mode shapes with ``pads`` wrong.
* ``Indices`` of ``MaxPool``: flat over the whole ``N x C x spatial`` tensor, row-major
  (``storage_order=0``) or with the spatial axes reversed (``storage_order=1``), as
  ONNX Runtime computes; the reference evaluator returns per-plane indices.
* ``LpPool``: the Lp norm of the in-bounds window, as ONNX Runtime computes; the
  reference evaluator scales a ceil-mode window overhanging the input by
  ``prod(kernel_shape)`` over its in-bounds count.
* ``auto_pad=SAME_*``: the total padding :math:`\max((o-1)s + d(k-1) + 1 - n, 0)`,
  with the dilation (the specification's formula; ONNX Runtime 1.32 leaves the
  dilation out) and clamped at 0 as TensorFlow does (ONNX Runtime and the reference
  evaluator crop the input for a negative total; ONNX Runtime's float32 MaxPool
  without indices refuses it).
* Windows of padding only (``pads`` as wide as the kernel, which ONNX Runtime refuses,
  or dilated windows): ``-inf`` (MaxPool, index -1), 0 or NaN (AveragePool with and
  without ``count_include_pad``), 0 (LpPool); ONNX Runtime gives ``-3.4028235e38``
  and 0.
"""

from __future__ import annotations

import numbers

import numpy as np

from ... import _args
from ...pooling import (avg_pool, global_avg_pool, global_lp_pool, global_max_pool, lp_pool,
                        max_pool)

__all__ = ["MaxPool", "AveragePool", "LpPool", "GlobalMaxPool", "GlobalAveragePool",
           "GlobalLpPool"]

#: the values of the ``auto_pad`` attribute, mapped to refpool's padding names
AUTO_PAD = {"NOTSET": None, "VALID": "valid", "SAME_UPPER": "same", "SAME_LOWER": "same_lower"}


def _input(X, op):
    X = _args.as_array(X, "X")
    if len(X.shape) < 3:
        raise ValueError(f"{op}: X must have shape (N, C, D1, ..., Dn) with n >= 1 spatial "
                         f"axes, got {tuple(X.shape)}")
    return X, len(X.shape) - 2


def _flag(value, name):
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral)
                                               and int(value) in (0, 1)):
        return bool(value)
    raise ValueError(f"{name} must be 0 or 1, got {value!r}")


def _ints(value, rank, name, default=None, minimum=1):
    """An ONNX list attribute of ``rank`` ints (``default`` on every axis when absent)."""
    if value is None:
        if default is None:
            raise TypeError(f"the attribute {name} is required")
        return (default,) * rank
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list of {rank} ints, got {value!r}")
    values = tuple(value)
    if len(values) != rank:
        raise ValueError(f"{name} must have {rank} entries (one per spatial axis), got "
                         f"{len(values)}")
    return _args.per_axis(values, rank, name, minimum=minimum)


def _padding(auto_pad, pads, rank):
    """refpool's ``padding`` for ``auto_pad`` and ``pads``."""
    if isinstance(auto_pad, bytes):
        auto_pad = auto_pad.decode()
    if auto_pad not in AUTO_PAD:
        raise ValueError(f"auto_pad must be one of {tuple(AUTO_PAD)}, got {auto_pad!r}")
    if AUTO_PAD[auto_pad] is not None:
        if pads is not None and any(pads):
            raise ValueError(f"pads must not be given with auto_pad={auto_pad!r}")
        return AUTO_PAD[auto_pad]
    if pads is None:
        return ((0, 0),) * rank
    if isinstance(pads, (str, bytes)) or not hasattr(pads, "__len__"):
        raise TypeError(f"pads must be a list of {2 * rank} ints, got {pads!r}")
    pads = tuple(pads)
    if len(pads) != 2 * rank:
        raise ValueError(f"pads must have 2 x {rank} entries ([x1_begin, ..., x{rank}_begin, "
                         f"x1_end, ..., x{rank}_end]), got {len(pads)}")
    values = _args.per_axis(pads, 2 * rank, "pads", minimum=0)
    return tuple(zip(values[:rank], values[rank:]))


def _window(X, op, kernel_shape, strides, dilations, auto_pad, pads):
    X, rank = _input(X, op)
    kernel = _ints(kernel_shape, rank, "kernel_shape")
    return X, dict(kernel_size=kernel, stride=_ints(strides, rank, "strides", 1),
                   padding=_padding(auto_pad, pads, rank),
                   dilation=_ints(dilations, rank, "dilations", 1))


def _onnx_indices(indices, x_shape, storage_order):
    """Per-plane flat indices (refpool's and PyTorch's layout, ``(N, C, *o)``) as ONNX
    ``MaxPool`` ``Indices`` for an input of shape ``x_shape``: ``(n C + c) P + q``, ``P``
    the plane size and ``q`` the index into the plane, row-major (``storage_order=0``)
    or over the reversed spatial axes (``storage_order=1``, column-major).  ``-1`` (a
    window of padding only) stays."""
    indices = np.asarray(indices)
    n, c, *spatial = x_shape
    plane = int(np.prod(spatial))
    valid = indices >= 0
    q = np.where(valid, indices, 0)
    if storage_order:
        coords = np.unravel_index(q, spatial)
        q = np.ravel_multi_index(tuple(reversed(coords)), tuple(reversed(spatial)))
    base = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * plane
    flat = base.reshape((n, c) + (1,) * len(spatial)) + q
    return np.where(valid, flat, -1).astype(np.int64)


def MaxPool(X, *, auto_pad="NOTSET", ceil_mode=0, dilations=None, kernel_shape=None,
            pads=None, storage_order=0, strides=None, return_indices=False, engine="auto"):
    """ONNX ``MaxPool`` (opset 12-22).

    Returns ``Y``, or ``(Y, Indices)`` with ``return_indices=True`` (the node's
    optional second output): int64 flat indices over the whole input tensor in the
    order ``storage_order`` names (see the module notes).  Computed by
    :func:`refpool.max_pool`: ``-inf`` padding, the first maximum, NaN propagating.

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import onnx
    >>> X = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> Y, I = onnx.MaxPool(X, kernel_shape=[2, 2], strides=[2, 2], storage_order=1,
    ...                     return_indices=True)
    >>> Y.tolist(), I.tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 13], [7, 15]]]])
    """
    X, window = _window(X, "MaxPool", kernel_shape, strides, dilations, auto_pad, pads)
    if storage_order not in (0, 1) or isinstance(storage_order, bool):
        raise ValueError(f"storage_order must be 0 (row major) or 1 (column major), got "
                         f"{storage_order!r}")
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    if not return_indices:
        return max_pool(X, ceil_mode=ceil_mode, engine=engine, **window)
    Y, indices = max_pool(X, ceil_mode=ceil_mode, return_indices=True, engine=engine,
                          **window)
    if _args.is_cuda_array(indices):
        raise TypeError("MaxPool: Indices of a CUDA input are computed on the host; pass "
                        "a NumPy array")
    return Y, _onnx_indices(indices, tuple(X.shape), storage_order)


def AveragePool(X, *, auto_pad="NOTSET", ceil_mode=0, count_include_pad=0, dilations=None,
                kernel_shape=None, pads=None, strides=None, engine="auto"):
    """ONNX ``AveragePool`` (opset 19-22: ``dilations``).

    ``count_include_pad`` defaults to 0 (ONNX), unlike PyTorch.  Computed by
    :func:`refpool.avg_pool` (float64 sums, one rounding).

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import onnx
    >>> X = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    >>> onnx.AveragePool(X, kernel_shape=[2], strides=[2], auto_pad="SAME_UPPER").tolist()
    [[[1.5, 3.5, 5.0]]]
    """
    X, window = _window(X, "AveragePool", kernel_shape, strides, dilations, auto_pad, pads)
    return avg_pool(X, ceil_mode=_flag(ceil_mode, "ceil_mode"),
                    count_include_pad=_flag(count_include_pad, "count_include_pad"),
                    engine=engine, **window)


def _p(p):
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Integral):
        raise TypeError(f"p must be an int (ONNX's LpPool attribute), got {p!r}")
    if p < 1:
        raise ValueError(f"p must be >= 1, got {p!r}")
    return int(p)


def LpPool(X, *, auto_pad="NOTSET", ceil_mode=0, dilations=None, kernel_shape=None, p=2,
           pads=None, strides=None, engine="auto"):
    """ONNX ``LpPool`` (opset 18-22): :math:`(\\sum |x|^p)^{1/p}` over the in-bounds
    taps of each window (:func:`refpool.lp_pool` with ``variant="onnx"``).

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import onnx
    >>> X = np.array([[[3.0, -4.0, 0.0]]])
    >>> onnx.LpPool(X, kernel_shape=[2], pads=[0, 1]).tolist()
    [[[5.0, 4.0, 0.0]]]
    """
    X, window = _window(X, "LpPool", kernel_shape, strides, dilations, auto_pad, pads)
    return lp_pool(X, _p(p), ceil_mode=_flag(ceil_mode, "ceil_mode"), variant="onnx",
                   engine=engine, **window)


def GlobalMaxPool(X, *, engine="auto"):
    """ONNX ``GlobalMaxPool``: the maximum over all spatial positions, shape
    ``(N, C, 1, ..., 1)`` (:func:`refpool.global_max_pool`)."""
    X, _ = _input(X, "GlobalMaxPool")
    return global_max_pool(X, engine=engine)


def GlobalAveragePool(X, *, engine="auto"):
    """ONNX ``GlobalAveragePool``: the mean over all spatial positions, shape
    ``(N, C, 1, ..., 1)`` (:func:`refpool.global_avg_pool`)."""
    X, _ = _input(X, "GlobalAveragePool")
    return global_avg_pool(X, engine=engine)


def GlobalLpPool(X, *, p=2, engine="auto"):
    """ONNX ``GlobalLpPool``: :math:`(\\sum |x|^p)^{1/p}` over all spatial positions,
    shape ``(N, C, 1, ..., 1)`` (:func:`refpool.global_lp_pool`, ``variant="onnx"``)."""
    X, _ = _input(X, "GlobalLpPool")
    return global_lp_pool(X, _p(p), variant="onnx", engine=engine)
