r"""ONNX ``GridSample`` and ``AffineGrid`` over :func:`refpool.grid_sample` and
:func:`refpool.affine_grid`.

Argument mapping only: ONNX's attributes keep their names and defaults (opset 20:
``mode="linear"``, ``padding_mode="zeros"``, ``align_corners=0``), and the core
operators compute.  ONNX's ``mode`` maps ``linear`` to ``bilinear``, ``nearest`` to
``nearest`` and ``cubic`` to ``bicubic``; the opset-16 names ``bilinear`` and
``bicubic`` (that opset's spelling) are accepted too.

ONNX defines both operators for any number of spatial axes; refpool supports 2 and
3 (other ranks raise a ValueError naming ``X`` or ``size``), and cubic sampling in
2-D only, as torch (a 3-D cubic node raises a ValueError naming ``mode``).

The divergences from ONNX's peers found by the test suite are listed in
docs/sampling.rst ("ONNX dialect").
"""

from __future__ import annotations

import numbers

import numpy as np

from ..._typing import Array, ArrayIn, Engine
from ...sampling import affine_grid, grid_sample

__all__ = ["GridSample", "AffineGrid"]

#: ONNX ``mode`` (opset 20 names, then opset 16's) -> refpool's
_MODES = {"linear": "bilinear", "nearest": "nearest", "cubic": "bicubic",
          "bilinear": "bilinear", "bicubic": "bicubic"}


def _align(value, op):
    """ONNX's int attribute ``align_corners`` (0 or 1) as a bool."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if not isinstance(value, numbers.Integral) or int(value) not in (0, 1):
        raise (TypeError if not isinstance(value, numbers.Integral) else ValueError)(
            f"{op}: align_corners must be 0 or 1 (an ONNX int attribute), got {value!r}")
    return bool(int(value))


def _attr(value, op, name):
    """A string attribute, as ``str`` (ONNX also hands bytes)."""
    if isinstance(value, bytes):
        value = value.decode()
    if not isinstance(value, str):
        raise TypeError(f"{op}: {name} must be a string, got {value!r}")
    return value


def GridSample(X: ArrayIn, grid: ArrayIn, *, align_corners: int = 0, mode: str = "linear",
               padding_mode: str = "zeros", engine: Engine = "auto") -> Array:
    r"""ONNX ``GridSample`` (opset 20; opset 16's mode names accepted).

    ``Y[n, c, *p]`` is ``X[n, c]`` read at the normalised point ``grid[n, *p]``
    (last axis ``(x, y[, z])``: the spatial axes in reverse order), as
    :func:`refpool.grid_sample` computes.

    Parameters
    ----------
    X : array, shape (N, C, H, W) or (N, C, D, H, W)
        Floats.  ONNX allows any number of spatial axes; refpool supports 2 and 3.
    grid : array, shape (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3)
        Normalised coordinates, floats.
    align_corners : {0, 1}
        ONNX's int attribute (``1``: -1 and 1 are the corner pixels' centres).
    mode : {"linear", "nearest", "cubic"}
        ``"bilinear"`` and ``"bicubic"`` (opset 16's names) are accepted too;
        ``"cubic"`` needs a 2-D ``X``.
    padding_mode : {"zeros", "border", "reflection"}
    engine : {"auto", "cpu", "cuda", "reference"}
        As for every refpool operator.

    Returns
    -------
    Y : array, shape (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out), dtype of ``X``

    Examples
    --------
    A 1 x 2 image read at its two pixel centres and at the middle:

    >>> import numpy as np
    >>> from refpool.dialects.onnx import GridSample
    >>> X = np.array([[[[1.0, 3.0]]]])
    >>> grid = np.array([[[[-0.5, 0.0], [0.5, 0.0], [0.0, 0.0]]]])
    >>> GridSample(X, grid).tolist()
    [[[[1.0, 3.0, 2.0]]]]
    >>> GridSample(X, grid, mode="nearest", align_corners=1).tolist()
    [[[[1.0, 3.0, 1.0]]]]
    """
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) not in (4, 5):
        raise ValueError(f"GridSample: X must be (N, C, H, W) or (N, C, D, H, W): refpool "
                         f"supports 2 and 3 spatial axes (ONNX allows any number), got "
                         f"shape {None if shape is None else tuple(shape)}")
    mode = _attr(mode, "GridSample", "mode")
    if mode not in _MODES:
        raise ValueError(f"GridSample: mode must be one of 'linear', 'nearest', 'cubic' "
                         f"(or opset 16's 'bilinear', 'bicubic'), got {mode!r}")
    if _MODES[mode] == "bicubic" and len(shape) != 4:
        raise ValueError(f"GridSample: mode={mode!r} needs a 2-D X (N, C, H, W): refpool "
                         f"samples cubically in 2-D only (ONNX defines it for any rank), "
                         f"got {len(shape) - 2} spatial axes")
    padding_mode = _attr(padding_mode, "GridSample", "padding_mode")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"GridSample: padding_mode must be one of 'zeros', 'border', "
                         f"'reflection', got {padding_mode!r}")
    align = _align(align_corners, "GridSample")
    return grid_sample(X, grid, _MODES[mode], padding_mode, align, engine=engine)


def AffineGrid(theta: ArrayIn, size: ArrayIn, *, align_corners: int = 0) -> np.ndarray:
    r"""ONNX ``AffineGrid`` (opset 20): the grid of a batch of affine maps.

    :func:`refpool.affine_grid` computes; ``size`` is ONNX's int64 input
    ``(N, C, H, W)`` or ``(N, C, D, H, W)``.

    Parameters
    ----------
    theta : array, shape (N, 2, 3) or (N, 3, 4), float
    size : int sequence or 1-D integer array
        4 or 5 entries; refpool supports 2 and 3 spatial axes.
    align_corners : {0, 1}

    Returns
    -------
    grid : ndarray, shape (N, H, W, 2) or (N, D, H, W, 3), the float dtype of ``theta``

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects.onnx import AffineGrid
    >>> theta = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> AffineGrid(theta, np.array([1, 1, 1, 2]))[0, 0].tolist()
    [[-0.5, 0.0], [0.5, 0.0]]
    >>> AffineGrid(theta, [1, 1, 1, 2], align_corners=1)[0, 0].tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """
    s = np.asarray(size)
    if s.ndim != 1 or s.dtype.kind not in "iu":
        raise TypeError(f"AffineGrid: size must be a 1-D integer tensor, got {size!r}")
    if len(s) not in (4, 5):
        raise ValueError(f"AffineGrid: size must be (N, C, H, W) or (N, C, D, H, W): "
                         f"refpool supports 2 and 3 spatial axes, got {s.tolist()}")
    align = _align(align_corners, "AffineGrid")
    return affine_grid(theta, tuple(int(v) for v in s.tolist()), align)
