"""ONNX ``DepthToSpace`` and ``SpaceToDepth`` over :mod:`refpool.shuffle`.

Argument mapping only: ONNX's rules (4-D input, a positive ``blocksize``, ``mode``
``"DCR"`` or ``"CRD"``) are checked here, and :func:`refpool.depth_to_space` /
:func:`refpool.space_to_depth` compute.  ONNX defines both operators for tensors
of every numeric type (opset 13); refpool moves elements without converting them,
so every dtype refpool reads (floats and integers) comes back bit for bit.
"""

from __future__ import annotations

from ..._typing import Array, ArrayIn, Engine
from ...shuffle import depth_to_space, pixel_unshuffle, space_to_depth

__all__ = ["DepthToSpace", "SpaceToDepth"]


def _four_d(input, op, core):
    """ONNX's rank rule (the core operator checks everything else)."""
    shape = getattr(input, "shape", None)
    if shape is not None and len(shape) != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W) as in ONNX, got shape "
                         f"{tuple(shape)}; refpool.{core} takes 1 to 3 spatial axes")


def DepthToSpace(input: ArrayIn, blocksize: int, mode: str = "DCR", *,
                 engine: Engine = "auto") -> Array:
    """ONNX ``DepthToSpace`` (opset 13): ``(N, C r^2, H, W) -> (N, C, H r, W r)``.

    ``y[n, c, h r + i, w r + j]`` is ``x[n, (i r + j) C + c, h, w]`` with
    ``mode="DCR"`` (the default) and ``x[n, c r^2 + i r + j, h, w]`` with
    ``mode="CRD"``; :func:`refpool.depth_to_space` computes.

    Parameters
    ----------
    input : array, shape (N, C r^2, H, W)
        4-D, as ONNX requires.
    blocksize : int
        ONNX's required attribute: :math:`r \\ge 1`.
    mode : {"DCR", "CRD"}
        ONNX's attribute (case-sensitive).
    engine : {"auto", "cpu", "cuda", "reference"}
        As for every refpool operator.

    Returns
    -------
    array, shape (N, C, H r, W r), dtype of ``input``

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects.onnx import DepthToSpace
    >>> x = np.arange(8).reshape(1, 8, 1, 1)
    >>> DepthToSpace(x, blocksize=2)[0, 0].tolist()
    [[0, 2], [4, 6]]
    >>> DepthToSpace(x, blocksize=2, mode="CRD")[0, 0].tolist()
    [[0, 1], [2, 3]]
    """
    _four_d(input, "DepthToSpace", "depth_to_space")
    return depth_to_space(input, blocksize, mode, engine=engine)


def SpaceToDepth(input: ArrayIn, blocksize: int, *, mode: str = "DCR",
                 engine: Engine = "auto") -> Array:
    """ONNX ``SpaceToDepth`` (opset 13; ``mode`` from opset 25):
    ``(N, C, H r, W r) -> (N, C r^2, H, W)``.

    ``mode="DCR"`` (the default): ``y[n, (i r + j) C + c, h, w] = x[n, c, h r + i,
    w r + j]``, the inverse of ``DepthToSpace(mode="DCR")``
    (:func:`refpool.space_to_depth` computes); ``mode="CRD"``: ``y[n, c r^2 + i r +
    j, h, w]``, the inverse of ``DepthToSpace(mode="CRD")``
    (:func:`refpool.pixel_unshuffle` computes).

    Parameters
    ----------
    input : array, shape (N, C, H r, W r)
        4-D, as ONNX requires; ``H r`` and ``W r`` multiples of ``blocksize``.
    blocksize : int
        ONNX's required attribute: :math:`r \\ge 1`.
    engine : {"auto", "cpu", "cuda", "reference"}
        As for every refpool operator.

    Returns
    -------
    array, shape (N, C r^2, H, W), dtype of ``input``

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects.onnx import SpaceToDepth
    >>> SpaceToDepth(np.arange(8).reshape(1, 2, 2, 2), blocksize=2)[0, :, 0, 0].tolist()
    [0, 4, 1, 5, 2, 6, 3, 7]
    """
    _four_d(input, "SpaceToDepth", "space_to_depth")
    if mode == "CRD":
        return pixel_unshuffle(input, blocksize, engine=engine)
    if mode != "DCR":
        raise ValueError(f"mode must be 'DCR' or 'CRD', got {mode!r}")
    return space_to_depth(input, blocksize, engine=engine)
