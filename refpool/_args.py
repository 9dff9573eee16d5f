"""Argument normalisation, validation and output-size arithmetic.

This module is the one place where refpool's argument rules live.  Every public
operator calls into it before any engine runs, and the engines receive only
validated, per-axis tuples of plain ints (plus the output arrays the public layer
allocated from the shapes computed here).  Engines never validate and never
decide shapes.

Conventions
-----------
Spatial operators take ``x`` of shape ``(N, C, *spatial)`` with one to three
spatial axes.  An ``int`` size argument applies to every spatial axis, a tuple
gives one value per axis.  Invalid input raises :class:`TypeError` (wrong kind
of object) or :class:`ValueError` (right kind, forbidden value), and the message
names the argument and the rule it broke.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

#: dtypes every operator accepts; the output has the input's dtype.
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

#: names accepted by the ``engine=`` keyword.
ENGINES = ("auto", "cpu", "cuda", "reference")


# --------------------------------------------------------------------------- arrays
def is_cuda_array(x) -> bool:
    """True for objects living on a CUDA device (numba, CuPy, torch CUDA tensors)."""
    return hasattr(x, "__cuda_array_interface__") and not isinstance(x, np.ndarray)


def check_input(x, name="x", *, min_spatial=1, max_spatial=3):
    """Validate a feature-field tensor of layout ``(N, C, *spatial)``.

    Returns the number of spatial axes.  Accepts NumPy arrays and CUDA arrays
    (anything exposing ``__cuda_array_interface__``); both must hold float32 or
    float64.  Nothing is copied here.
    """
    if not isinstance(x, np.ndarray) and not is_cuda_array(x):
        raise TypeError(
            f"{name} must be a NumPy array or a CUDA array, got {type(x).__name__}")
    dtype = np.dtype(x.dtype) if not hasattr(x.dtype, "is_floating_point") else None
    if dtype is None:  # a torch CUDA tensor: its dtype is not a NumPy dtype
        dtype = np.dtype(x.__cuda_array_interface__["typestr"])
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {dtype}")
    ndim = len(x.shape)
    if not (2 + min_spatial <= ndim <= 2 + max_spatial):
        if min_spatial == max_spatial:
            rule = f"{2 + min_spatial} axes (N, C, {_spatial_names(min_spatial)})"
        else:
            rule = (f"{2 + min_spatial} to {2 + max_spatial} axes "
                    f"(N, C, then {min_spatial} to {max_spatial} spatial axes)")
        raise ValueError(f"{name} must have {rule}, got shape {tuple(x.shape)}")
    return ndim - 2


def _spatial_names(k):
    return ", ".join(("D", "H", "W")[3 - k:])


def array_dtype(x) -> np.dtype:
    """The NumPy dtype of a host or CUDA array (validated by :func:`check_input`)."""
    try:
        return np.dtype(x.dtype)
    except TypeError:
        return np.dtype(x.__cuda_array_interface__["typestr"])


# --------------------------------------------------------------------------- scalars
def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def per_axis(value, ndim, name, *, minimum=None, allow_none=False):
    """Normalise an int-or-tuple argument to a tuple of ``ndim`` Python ints.

    Parameters
    ----------
    value : int or sequence of int
        One value for every spatial axis, or one per axis.
    ndim : int
        Number of spatial axes.
    name : str
        Argument name, used in error messages.
    minimum : int, optional
        Smallest allowed value.
    allow_none : bool
        Let individual entries be ``None`` (kept as ``None``).
    """
    if _is_int(value) or (allow_none and value is None):
        values = (value,) * ndim
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
        if len(values) != ndim:
            raise ValueError(
                f"{name} must be an int or a tuple of {ndim} ints (one per spatial "
                f"axis), got a sequence of length {len(values)}")
    else:
        raise TypeError(f"{name} must be an int or a tuple of ints, got {value!r}")
    out = []
    for v in values:
        if v is None and allow_none:
            out.append(None)
            continue
        if not _is_int(v):
            raise TypeError(f"{name} must contain ints, got {v!r}")
        v = int(v)
        if minimum is not None and v < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
        out.append(v)
    return tuple(out)


def check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def check_engine(engine):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return engine


# --------------------------------------------------------------------------- windows
def pool_output_length(n, k, s, p, d=1, ceil_mode=False):
    """Output length of a windowed pooling along one axis (PyTorch's rule).

    .. math::

        o = \\left\\lfloor \\frac{n + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1

    With ``ceil_mode`` the floor becomes a ceiling, and the last window is dropped
    when it would start inside the right padding, i.e. when
    :math:`(o-1)s \\ge n + p`.
    """
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    if ceil_mode:
        o = -(-span // s) + 1
        if (o - 1) * s >= n + p:
            o -= 1
    else:
        o = span // s + 1
    return o


class WindowSpec(NamedTuple):
    """Validated per-axis geometry of a windowed pooling (one entry per spatial axis).

    Window ``i`` along an axis reads input positions ``i*stride - padding + t*dilation``
    for ``t = 0 .. kernel - 1``.
    """

    input_size: tuple
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    ceil_mode: bool
    output_size: tuple


def window_spec(spatial_shape, kernel_size, stride=None, padding=0, dilation=1,
                ceil_mode=False, *, padding_limit="dilated"):
    """Normalise and validate the arguments of a windowed pooling.

    Parameters
    ----------
    spatial_shape : tuple of int
        The spatial part of the input shape.
    kernel_size, stride, padding, dilation, ceil_mode
        As in :func:`refpool.max_pool`; ``stride=None`` means ``kernel_size``.
    padding_limit : {"dilated", "kernel"}
        PyTorch's limit on the padding: ``p <= (d(k-1)+1)//2`` for max pooling
        ("dilated"), ``p <= k//2`` for average pooling ("kernel").
    """
    ndim = len(spatial_shape)
    k = per_axis(kernel_size, ndim, "kernel_size", minimum=1)
    s = k if stride is None else per_axis(stride, ndim, "stride", minimum=1)
    p = per_axis(padding, ndim, "padding", minimum=0)
    d = per_axis(dilation, ndim, "dilation", minimum=1)
    ceil_mode = check_bool(ceil_mode, "ceil_mode")
    for ki, pi, di in zip(k, p, d):
        limit = (di * (ki - 1) + 1) // 2 if padding_limit == "dilated" else ki // 2
        if pi > limit:
            extent = "the dilated kernel extent" if padding_limit == "dilated" else "kernel_size"
            raise ValueError(
                f"padding must be at most half of {extent} (padding={padding!r}, "
                f"kernel_size={kernel_size!r}, dilation={dilation!r})")
    out = tuple(pool_output_length(n, *args, ceil_mode=ceil_mode)
                for n, *args in zip(spatial_shape, k, s, p, d))
    if min(out) < 1:
        raise ValueError(
            f"kernel_size {k} (dilation {d}) is larger than the padded input "
            f"{tuple(n + 2 * pi for n, pi in zip(spatial_shape, p))}: output size {out} "
            f"would be empty")
    return WindowSpec(tuple(spatial_shape), k, s, p, d, ceil_mode, out)


def avg_divisor_factors(spec, count_include_pad):
    """Per-axis divisor factors of an average pooling, as float64 arrays.

    The divisor of an output pixel is the product over axes of its factor.  With
    ``count_include_pad`` the factor is ``he - hs`` where ``hs = i*s - p`` and
    ``he = min(hs + k, n + p)``: zero padding counts, a ceil-mode overhang past
    the padded border does not.  Without it the factor is the number of window
    positions inside the input.
    """
    factors = []
    for n, k, s, p, o in zip(spec.input_size, spec.kernel, spec.stride, spec.padding,
                             spec.output_size):
        hs = np.arange(o) * s - p
        he = np.minimum(hs + k, n + p)
        if count_include_pad:
            f = he - hs
        else:
            f = np.minimum(he, n) - np.maximum(hs, 0)
        factors.append(f.astype(np.float64))
    return tuple(factors)


def check_divisor_override(divisor_override):
    if divisor_override is None:
        return None
    if not _is_int(divisor_override):
        raise TypeError(f"divisor_override must be an int or None, got {divisor_override!r}")
    if divisor_override == 0:
        raise ValueError("divisor_override must be non-zero")
    return int(divisor_override)


# --------------------------------------------------------------------------- adaptive
def adaptive_output_size(spatial_shape, output_size):
    """Normalise ``output_size`` of an adaptive pooling (``None`` keeps an axis)."""
    o = per_axis(output_size, len(spatial_shape), "output_size", allow_none=True)
    o = tuple(n if v is None else v for n, v in zip(spatial_shape, o))
    if min(o) < 1:
        raise ValueError(f"output_size must be >= 1 on every axis, got {output_size!r}")
    return o


def adaptive_bounds(n, o):
    """Start and end (exclusive) of the ``o`` adaptive windows over length ``n``.

    .. math:: [\\lfloor i n / o \\rfloor,\\ \\lceil (i+1) n / o \\rceil)

    Returned as two int64 arrays of length ``o``.
    """
    i = np.arange(o, dtype=np.int64)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    return start, end


# --------------------------------------------------------------------------- outputs
def check_out(out, shape, dtype, x, name="out"):
    """Validate a caller-provided output array (host or CUDA)."""
    if not isinstance(out, np.ndarray) and not is_cuda_array(out):
        raise TypeError(f"{name} must be a NumPy or CUDA array, got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(out.shape)}")
    if array_dtype(out) != np.dtype(dtype):
        raise ValueError(f"{name} must have dtype {np.dtype(dtype)}, got {array_dtype(out)}")
    if isinstance(out, np.ndarray):
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError(f"{name} must be a writeable C-contiguous array")
        if isinstance(x, np.ndarray) and np.may_share_memory(out, x):
            raise ValueError(f"{name} must not share memory with the input")
    return out


def with_channels(x_shape, spatial):
    """``(N, C, *spatial)`` for an input of shape ``x_shape``."""
    return tuple(x_shape[:2]) + tuple(spatial)


def ceil_div(a, b):
    return -(-a // b)


def isfinite_positive(value, name):
    """Validate a positive finite real scalar (sigma, scale factors)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value
