r"""ONNX ``MaxUnpool`` over :func:`refpool.max_unpool`.

Argument mapping only: ONNX's attributes (``kernel_shape`` required, ``strides``
defaulting to 1, ``pads`` as ``[x1_begin, x2_begin, ..., x1_end, x2_end]``) and its
optional ``output_shape`` input are checked here with ONNX's names, and the core
operator computes with ``index_layout="onnx"`` (indices flat over the whole
``(N, C, *spatial)`` output, onnx issue 2398).

How the mapping stays exact:

* Only the total padding of an axis matters to unpooling (the indices point into
  the unpadded output), and the core takes per-axis ``(before, after)`` pairs, so
  any ``pads`` gives ONNX's inferred length
  :math:`(n - 1)s - (p_{begin} + p_{end}) + k` exactly.
* With ``output_shape`` ONNX ignores ``pads`` ("pads values are auto generated").
  refpool then passes the padding that makes the core's default length
  :math:`m` itself (:math:`\max(0, (n-1)s + k - m)` in total), so every
  :math:`m \le (n-1)s + k` is taken exactly, and longer ones up to
  :math:`(n-1)s + k + s - 1` (PyTorch's range, the core's rule).  Longer
  ``output_shape`` entries, which onnxruntime accepts, raise a ValueError naming
  ``output_shape``: no max pooling of that length gives ``n`` outputs.

Divergences from ONNX's peers (docs/unpooling.rst, "ONNX"):

* An index pointing into another ``(n, c)`` plane, which the ONNX specification's
  range ``[0, N C D_1 \cdots D_n)`` and onnxruntime allow, is refused (a ValueError
  naming ``indices``): MaxPool never produces one.
* ``output_shape`` shorter than the inferred shape is refused, as onnxruntime does
  ("output_shape is smaller than minimum required"); longer ones place the indices
  in the ``output_shape`` grid, as onnxruntime does, while the ONNX reference
  implementation (``onnx.reference``) reads them in the inferred grid and pads the
  result with zeros at the end.
* Duplicate indices: the last input in row-major order wins (as in both peers'
  sequential loops); a negative index is refused (the ONNX reference wraps it).
"""

from __future__ import annotations

import numbers
from typing import Optional, Sequence

import numpy as np

from ..._typing import Array, ArrayIn, Engine
from ...unpooling import max_unpool

__all__ = ["MaxUnpool"]


def _ints(value, name, count, minimum):
    """An ONNX list attribute: a sequence of ``count`` ints, each ``>= minimum``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"MaxUnpool: {name} must be a list of ints (an ONNX list "
                        f"attribute), got {value!r}")
    if len(value) != count:
        raise ValueError(f"MaxUnpool: {name} must have {count} entries, got {list(value)!r}")
    out = []
    for v in value:
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"MaxUnpool: {name} must contain ints, got {list(value)!r}")
        if v < minimum:
            raise ValueError(f"MaxUnpool: {name} entries must be >= {minimum}, got "
                             f"{list(value)!r}")
        out.append(int(v))
    return out


def MaxUnpool(X: ArrayIn, I: ArrayIn, output_shape: Optional[ArrayIn] = None, *,
              kernel_shape: Sequence[int], pads: Optional[Sequence[int]] = None,
              strides: Optional[Sequence[int]] = None, engine: Engine = "auto") -> Array:
    r"""ONNX ``MaxUnpool`` (opset 22): the partial inverse of ``MaxPool``.

    ``Y`` is a zero tensor of the output shape with ``Y.flat[I[j]] = X.flat[j]``:
    ``I`` holds flat row-major indices into the whole ``(N, C, D_1, ..., D_n)``
    output, :func:`refpool.max_unpool` with ``index_layout="onnx"`` computes.

    Parameters
    ----------
    X : array, shape (N, C, D_1, ..., D_n)
        ``n`` from 1 to 3; floats or integers.
    I : integer array, shape of ``X``
        Every index must lie in its own ``(n, c)`` plane of the output (refpool's
        rule; see the module documentation).
    output_shape : int sequence or 1-D integer array, optional
        The full output shape ``(N, C, *spatial)`` (ONNX's third input); ``N`` and
        ``C`` must be ``X``'s, every spatial length at least the inferred one.
        ``pads`` is then ignored, as ONNX specifies.
    kernel_shape : list of int
        ONNX's required attribute.
    pads : list of int, optional
        ``[x1_begin, ..., xn_begin, x1_end, ..., xn_end]``, default zeros; begin and
        end may differ (only their sum matters).
    strides : list of int, optional
        Default 1 on every axis (ONNX's default, not ``kernel_shape``).
    engine : {"auto", "cpu", "cuda", "reference"}
        As for every refpool operator.

    Returns
    -------
    Y : array, dtype of ``X``
        Shape ``output_shape``, or per spatial axis
        :math:`(D_i - 1) s_i - (p_{i,begin} + p_{i,end}) + k_i`.

    Examples
    --------
    Two planes of a 2 x 2 unpooling to 4 x 4: the second plane's indices start at 16:

    >>> import numpy as np
    >>> from refpool.dialects.onnx import MaxUnpool
    >>> X = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]])
    >>> I = np.array([[[[0, 3], [9, 15]], [[16, 22], [25, 31]]]])
    >>> Y = MaxUnpool(X, I, kernel_shape=[2, 2], strides=[2, 2])
    >>> Y.shape
    (1, 2, 4, 4)
    >>> Y[0, 1].tolist()
    [[5.0, 0.0, 0.0, 0.0], [0.0, 0.0, 6.0, 0.0], [0.0, 7.0, 0.0, 0.0], [0.0, 0.0, 0.0, 8.0]]

    A 5 x 5 ``output_shape``: the indices are positions in the 5 x 5 grid (as in
    onnxruntime), so index 9 is row 1, column 4:

    >>> Y = MaxUnpool(X[:, :1], I[:, :1], [1, 1, 5, 5], kernel_shape=[2, 2], strides=[2, 2])
    >>> Y[0, 0, 1].tolist()
    [0.0, 0.0, 0.0, 0.0, 3.0]
    """
    shape = getattr(X, "shape", None)
    if shape is None or not 3 <= len(shape) <= 5:
        raise ValueError(f"MaxUnpool: X must be (N, C, D_1, ..., D_n) with 1 to 3 spatial "
                         f"axes, got shape {None if shape is None else tuple(shape)}")
    shape = tuple(int(v) for v in shape)
    nd = len(shape) - 2
    k = _ints(kernel_shape, "kernel_shape", nd, 1)
    s = [1] * nd if strides is None else _ints(strides, "strides", nd, 1)
    p = [0] * (2 * nd) if pads is None else _ints(pads, "pads", 2 * nd, 0)
    begin, end = p[:nd], p[nd:]
    inferred = [(n - 1) * si - (b + e) + ki
                for n, si, b, e, ki in zip(shape[2:], s, begin, end, k)]
    if output_shape is None:
        padding = tuple(zip(begin, end))
        return max_unpool(X, I, k, s, padding, index_layout="onnx", engine=engine)
    wanted = np.asarray(output_shape)
    if wanted.ndim != 1 or wanted.dtype.kind not in "iu":
        raise TypeError(f"MaxUnpool: output_shape must be a 1-D integer tensor, got "
                        f"{output_shape!r}")
    wanted = [int(v) for v in wanted.tolist()]
    if len(wanted) != len(shape):
        raise ValueError(f"MaxUnpool: output_shape must have {len(shape)} entries (the "
                         f"rank of X), got {wanted}")
    if tuple(wanted[:2]) != shape[:2]:
        raise ValueError(f"MaxUnpool: output_shape must keep X's batch and channel "
                         f"dimensions {shape[:2]}, got {wanted}")
    padding = []
    for b, (m, n, si, ki, least) in enumerate(zip(wanted[2:], shape[2:], s, k, inferred)):
        if m < least:
            raise ValueError(f"MaxUnpool: output_shape {wanted} is smaller than the "
                             f"inferred shape on spatial axis {b} ({m} < {least}), as "
                             f"onnxruntime refuses it")
        widest = (n - 1) * si + ki                # the default length without padding
        if m >= widest + si:
            raise ValueError(
                f"MaxUnpool: output_shape {wanted}: spatial axis {b} of length {m} is "
                f"beyond refpool's range: at most (D-1)*stride + kernel + stride - 1 = "
                f"{widest + si - 1} (PyTorch's unpooling rule, which refpool's core "
                f"follows; no MaxPool of a longer axis gives {n} outputs)")
        total = max(0, widest - m)
        padding.append((total // 2, total - total // 2))
    return max_unpool(X, I, k, s, tuple(padding), tuple(wanted[2:]),
                      index_layout="onnx", engine=engine)
