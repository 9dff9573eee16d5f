"""Windowed, adaptive, fractional and global pooling: ``max_pool``, ``avg_pool``,
``lp_pool``, ``adaptive_max_pool``, ``adaptive_avg_pool``, ``fractional_max_pool``,
``global_max_pool``, ``global_avg_pool``, ``global_lp_pool``.

Every function here is a thin layer: it validates with :mod:`refpool._args`,
allocates the output with :class:`refpool._dispatch.Launch`, and lets the chosen
engine (``reference``, ``cpu`` or ``cuda``) fill it.  The semantics are PyTorch's
(``torch.nn.functional.max_pool{1,2,3}d`` and friends), stated exactly below.

Notation, per spatial axis: input length :math:`n`, kernel :math:`k`, stride
:math:`s`, padding :math:`p`, dilation :math:`d`, output length :math:`o`.
"""

from __future__ import annotations

import numpy as np

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._fastpath import replayable
from ._fieldcheck import check_pointwise_field_type
from ._typing import (Array, ArrayIn, ArrayOrPair, Engine, Optional, Out, Padding, RealSize,
                      Size)
from .fields import FieldType

__all__ = ["max_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
           "fractional_max_pool", "global_max_pool", "global_avg_pool", "global_lp_pool"]


@replayable
@fill_doc
def max_pool(x: ArrayIn, kernel_size: Size, stride: Optional[Size] = None,
             padding: Padding = 0, dilation: Size = 1, ceil_mode: bool = False,
             return_indices: bool = False, *, field_type: Optional[FieldType] = None,
             ndim: Optional[int] = None, channels_last: bool = False,
             engine: Engine = "auto", out: Out = None) -> ArrayOrPair:
    r"""Max pooling over 1, 2 or 3 spatial axes.

    %(grid_equivariance)s

    Equivariant to the grid-symmetry group (``dihedral(4)`` in 2D, the full
    octahedral group in 3D) under the window-symmetry condition below, and acts
    pointwise on channels, so it commutes with every permutation representation.

    .. math::

        y[n, c, \mathbf{i}] = \max_{\mathbf{t} \in [0, k)}
            x[n, c, \mathbf{i}\,s - p + \mathbf{t}\,d]

    where positions outside the input count as :math:`-\infty` (padding never
    wins).  A NaN in the window makes the output NaN.

    Parameters
    ----------
    %(x_select_param)s
    kernel_size : int or tuple of int
        Window size :math:`k` per axis (:math:`k \ge 1`).
    stride : int or tuple of int, optional
        Step between windows; defaults to ``kernel_size``.
    %(window_padding_param)s
        PyTorch's limit for an int: :math:`0 \le p \le \lfloor (d(k-1)+1)/2
        \rfloor`.
    dilation : int or tuple of int
        Spacing :math:`d \ge 1` between window taps.
    ceil_mode : bool
        Use the ceiling in the output-length formula (see below).
    return_indices : bool
        Also return the int64 flat index (into each unpadded spatial block,
        row-major: ``y*W + x`` in 2D, ``(z*H + y)*W + x`` in 3D) of the selected
        element.  Windows are scanned in row-major order and an element is
        selected when it is larger than the current maximum, is NaN, or is
        ``+0`` where the current maximum is ``-0``, starting from the first
        in-bounds element: the first maximum wins (``+0`` counting as larger
        than ``-0``), except that the *last* NaN wins when the window holds NaNs
        (PyTorch's rule, but for the zeros).
    %(field_type_pointwise_param)s
    %(layout_params)s
    %(engine_param)s
    %(out_param)s
        With ``return_indices=True``, a tuple ``(output, indices)`` of such arrays.

    Returns
    -------
    y : array, shape (N, C, \*o), dtype of ``x``
    indices : int64 array, shape (N, C, \*o)
        Only with ``return_indices=True``.

    Raises
    ------
    %(raises_common)s
    TypeError
        With ``return_indices=True``, if ``out`` is not a tuple ``(output, indices)``.

    Notes
    -----
    **Output shape**, per axis, with padding :math:`p` before and :math:`p'`
    after the input (:math:`p' = p` for an int padding):

    .. math:: o = \left\lfloor \frac{n + p + p' - d(k-1) - 1}{s} \right\rfloor + 1

    With ``ceil_mode=True`` the floor is a ceiling, and the last window is
    dropped when it would start in the right padding (:math:`(o-1)s \ge n + p`):
    PyTorch's rule, which ONNX Runtime follows (the ONNX specification's formula
    omits the drop; ONNX's reference evaluator gets ceil-mode shapes with pads
    wrong, docs/dialects.rst).

    %(padding_only_windows)s

    **Selection rule** (docs/numerics.rst, "Selections: NaN and signed zeros"):
    the output is bitwise the element at the index, with or without
    ``return_indices``, in every engine.  A window whose maximum is zero gives
    ``+0`` when it holds a ``+0`` (PyTorch gives its first zero, possibly
    ``-0``), so the value does not depend on the order of the window.

    **Exact equivariance.**  Reversing a spatial axis commutes exactly with the
    pooling when the window grid is symmetric about the centre of that axis,
    :math:`(n + 2p - d(k-1) - 1) \bmod s = 0` (then ``ceil_mode`` changes
    nothing).  Swapping two axes (a transpose) commutes when both axes have the
    same :math:`(k, s, p, d)`; a 90° rotation is a transpose followed by a
    reversal and needs both conditions.  Channel action: any permutation
    representation.  :func:`refpool.exact_symmetries` lists the exact elements.

    Examples
    --------
    Windows of 2 at stride 2 over 5 samples: :math:`o = \lfloor (5 - 1 - 1)/2
    \rfloor + 1 = 2`, and the last sample is left out:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[1.0, 3.0, 2.0, 5.0, 4.0]]])        # (N, C, W) = (1, 1, 5)
    >>> refpool.max_pool(x, 2).tolist()
    [[[3.0, 5.0]]]

    ``ceil_mode=True`` keeps the partial window ``[4.0]``, and the indices point
    into the unpadded input:

    >>> y, indices = refpool.max_pool(x, 2, ceil_mode=True, return_indices=True,
    ...                               engine="reference")
    >>> y.tolist(), indices.tolist()
    ([[[3.0, 5.0, 4.0]]], [[[1, 3, 4]]])

    The shape formula per axis, in 2-D with padding:

    >>> x = np.zeros((2, 3, 7, 9))
    >>> refpool.max_pool(x, 3, stride=2, padding=1, engine="reference").shape
    (2, 3, 4, 5)
    """
    caller = Caller(x, ndim, channels_last, engine, op="max_pool", integers=True)
    x = caller.x
    _args.check_input(x)
    spec = _args.window_spec(x.shape[2:], kernel_size, stride, padding, dilation,
                             ceil_mode, padding_limit="dilated", general_padding=True)
    return_indices = _args.check_bool(return_indices, "return_indices")
    check_pointwise_field_type(field_type, x.shape[1], "max_pool")
    launch = Launch(x, engine, caller)
    shape = _args.with_channels(x.shape, spec.output_size)
    out_y, out_i = _split_out(out, return_indices)
    y = launch.output(shape, _args.array_dtype(x), out_y, "out")
    if return_indices:
        idx = launch.output(shape, np.int64, out_i, "out[1]")
        launch.run("pooling", "max_pool_with_indices", launch.x, y, idx, spec)
        return launch.result(y), launch.result(idx)
    launch.run("pooling", "max_pool", launch.x, y, spec)
    return launch.result(y)


@replayable
@fill_doc
def avg_pool(x: ArrayIn, kernel_size: Size, stride: Optional[Size] = None,
             padding: Padding = 0, ceil_mode: bool = False, count_include_pad: bool = True,
             divisor_override: Optional[int] = None, dilation: Size = 1, *,
             ndim: Optional[int] = None,
             channels_last: bool = False, engine: Engine = "auto",
             out: Out = None) -> Array:
    r"""Average pooling over 1, 2 or 3 spatial axes.

    %(grid_equivariance)s

    Linear and identical on every channel, so it commutes with every
    representation acting on the channels; equivariant to the grid symmetries
    under the window-symmetry condition below.

    .. math::

        y[n, c, \mathbf{i}] = \frac{1}{D(\mathbf{i})}
            \sum_{\mathbf{t} \in W(\mathbf{i})} x[n, c, \mathbf{t}]

    Per axis window :math:`i` has the taps :math:`i s - p + t d`,
    :math:`0 \le t < k`; the sum runs over the taps inside the input.  The
    divisor :math:`D` is the product over axes of

    - the number of taps inside the padded input :math:`[-p, n + p')` with
      ``count_include_pad=True``: zero padding counts, but a ceil-mode overhang
      past the padded border does not (with :math:`d = 1`, PyTorch's
      :math:`h_e - h_s`, :math:`h_e = \min(h_s + k, n + p')`);
    - the number of taps inside the input with ``count_include_pad=False``;
    - ``divisor_override`` when given, for every output pixel.

    Parameters
    ----------
    %(x_param)s
    kernel_size, stride, ceil_mode
        As in :func:`max_pool`.
    %(window_padding_param)s
        PyTorch's limit for an int: :math:`0 \le p \le \lfloor (d(k-1)+1)/2
        \rfloor` (:math:`\lfloor k/2 \rfloor` for :math:`d = 1`).
    count_include_pad : bool
    divisor_override : int, optional
        Non-zero divisor used for every window.
    dilation : int or tuple of int
        Spacing :math:`d \ge 1` between window taps (ONNX ``AveragePool``
        ``dilations``, opset 19; PyTorch's ``avg_pool`` has none, so it comes
        last among the positional parameters).
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C, \*o), dtype of ``x``
        ``o`` as in :func:`max_pool`.

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    %(padding_only_windows)s

    Exact equivariance: as :func:`max_pool`; the divisors are mirror-symmetric
    whenever the window grid is.  All representations.
    Every engine sums in float64 (float32 input included), then divides and
    rounds once, so a float32 average never overflows: ``[3e38, 3e38, -3e38,
    -3e38]`` averages to ``0``.  A NaN result is the default NaN
    (docs/numerics.rst).

    Examples
    --------
    With padding 1 the first window is ``[pad, 2]``: the zero padding counts in
    the divisor by default, and does not with ``count_include_pad=False``:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[2.0, 4.0, 6.0]]])
    >>> refpool.avg_pool(x, 2, padding=1, engine="reference").tolist()
    [[[1.0, 5.0]]]
    >>> refpool.avg_pool(x, 2, padding=1, count_include_pad=False,
    ...                  engine="reference").tolist()
    [[[2.0, 5.0]]]

    Here :math:`(n - k) \bmod s = (5 - 3) \bmod 2 = 0`, so the window grid is
    symmetric and reversing the axis commutes with the pooling:

    >>> x = np.array([[[3.0, 0.0, 6.0, 3.0, 9.0]]])
    >>> y = refpool.avg_pool(x, 3, stride=2, engine="reference")
    >>> y.tolist()
    [[[3.0, 6.0]]]
    >>> refpool.avg_pool(x[..., ::-1], 3, stride=2, engine="reference").tolist()
    [[[6.0, 3.0]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="avg_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    spec = _args.window_spec(x.shape[2:], kernel_size, stride, padding, dilation,
                             ceil_mode, padding_limit="dilated", general_padding=True)
    count_include_pad = _args.check_bool(count_include_pad, "count_include_pad")
    divisor_override = _args.check_divisor_override(divisor_override)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("pooling", "avg_pool", launch.x, y, spec, count_include_pad, divisor_override)
    return launch.result(y)


@replayable
@fill_doc
def lp_pool(x: ArrayIn, norm_type: float, kernel_size: Size, stride: Optional[Size] = None,
            ceil_mode: bool = False, padding: Padding = 0, dilation: Size = 1, *,
            variant: str = "torch", ndim: Optional[int] = None, channels_last: bool = False,
            engine: Engine = "auto", out: Out = None) -> Array:
    r"""Power-average (Lp) pooling over 1, 2 or 3 spatial axes.

    %(grid_equivariance)s

    With :math:`p` = ``norm_type`` and the window taps :math:`\mathbf{t}` of
    :func:`max_pool` (positions inside the input only),

    .. math::

        y[n, c, \mathbf{i}] = \Big( S(\mathbf{i}) \sum_{\mathbf{t}}
            v[n, c, \mathbf{t}]^p \Big)^{1/p}

    where the two definitions differ (``variant``):

    ``"torch"`` (PyTorch's ``lp_pool{1,2,3}d``)
        :math:`v = x`, and :math:`S = \prod_b k_b / D_b(i_b)`, :math:`D_b` the
        divisor of :func:`avg_pool` with the padding counted: PyTorch computes
        ``(sign(s) * relu(|s|) * prod(k)) ** (1/p)`` with ``s = avg_pool(x**p)``,
        and ``sign(s) * relu(|s|)`` is ``s``.  So :math:`S = 1` except in a
        ceil-mode overhang, where the partial window's sum is scaled up, and a
        negative :math:`x` with a non-integer :math:`p` (or a negative sum with a
        non-integer :math:`1/p`) gives NaN, as in PyTorch (pytorch issue 184037).
    ``"onnx"`` (ONNX ``LpPool``)
        :math:`v = |x|` and :math:`S = 1`: the Lp norm of the window, zero padding
        contributing nothing.  ONNX's reference evaluator instead scales a
        ceil-mode window that overhangs the input by ``prod(k)`` over its
        in-bounds count, as PyTorch does (onnx issue 5459 calls the specification
        ambiguous); refpool reads the specification's norm, as ONNX Runtime does.

    Parameters
    ----------
    %(x_param)s
    norm_type : float
        The exponent :math:`p > 0`, finite.
    kernel_size, stride, ceil_mode, dilation
        As in :func:`max_pool` (PyTorch's ``lp_pool`` has no padding or dilation,
        so they come after its parameters).
    %(window_padding_param)s
        PyTorch's limit for an int: :math:`0 \le p \le \lfloor (d(k-1)+1)/2
        \rfloor`.
    variant : {"torch", "onnx"}
        The definition, above.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C, \*o), dtype of ``x``
        ``o`` as in :func:`max_pool`.

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    Every engine raises to the power, sums, scales and takes the root in
    float64 and rounds once; a computed NaN is the default NaN.  A window of
    padding only gives 0.

    **Exact equivariance**: as :func:`avg_pool` (the scale factors follow the
    windows); all representations acting by permutations (the power is taken
    elementwise).

    Examples
    --------
    The L2 norm of windows of two (``variant="onnx"``), and PyTorch's definition,
    which is the same for non-negative input:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[3.0, 4.0, 6.0, 8.0]]])
    >>> refpool.lp_pool(x, 2, 2, variant="onnx", engine="reference").tolist()
    [[[5.0, 10.0]]]
    >>> refpool.lp_pool(x, 2, 2, engine="reference").tolist()
    [[[5.0, 10.0]]]

    With a negative input and :math:`p = 2` the definitions still agree; with
    :math:`p = 3` PyTorch's gives NaN where the cubes sum to a negative number:

    >>> x = np.array([[[-3.0, 1.0]]])
    >>> refpool.lp_pool(x, 3, 2, engine="reference").tolist()
    [[[nan]]]
    >>> refpool.lp_pool(x, 3, 2, variant="onnx", engine="reference").round(6).tolist()
    [[[3.036589]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="lp_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    spec = _args.lp_pool_spec(x.shape[2:], norm_type, kernel_size, stride, ceil_mode,
                              padding, dilation, variant)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("pooling", "lp_pool", launch.x, y, spec)
    return launch.result(y)


@replayable
@fill_doc
def adaptive_max_pool(x: ArrayIn, output_size: Size, return_indices: bool = False, *,
                      field_type: Optional[FieldType] = None, ndim: Optional[int] = None,
                      channels_last: bool = False, engine: Engine = "auto",
                      out: Out = None) -> ArrayOrPair:
    r"""Adaptive max pooling to a fixed output size over 1, 2 or 3 spatial axes.

    %(grid_equivariance)s

    Output :math:`i` of :math:`o` along an axis of length :math:`n` reads the
    window

    .. math:: \Big[\big\lfloor \tfrac{i n}{o} \big\rfloor,\;
              \big\lceil \tfrac{(i+1) n}{o} \big\rceil\Big)

    and takes its maximum (NaN propagates).  These windows are mirror-symmetric
    for every :math:`n` and :math:`o`, so adaptive pooling is exactly equivariant
    to every grid reflection for every shape, and to a transpose or 90° rotation
    whenever the swapped axes have equal output sizes.  Channel action: any
    permutation representation.

    Parameters
    ----------
    %(x_select_param)s
    output_size : int or tuple of (int or None)
        Output length per axis (>= 1); ``None`` keeps the input length.
    return_indices : bool
        Also return int64 flat indices, with the selection rule of
        :func:`max_pool`.
    %(field_type_pointwise_param)s
    %(layout_params)s
    %(engine_param)s
    %(out_param)s
        With ``return_indices=True``, a tuple ``(output, indices)`` of such arrays.

    Returns
    -------
    y : array, shape (N, C, \*output_size), dtype of ``x``
    indices : int64 array, shape (N, C, \*output_size)
        Only with ``return_indices=True``.

    Raises
    ------
    %(raises_common)s
    TypeError
        With ``return_indices=True``, if ``out`` is not a tuple ``(output, indices)``.

    Notes
    -----
    The selection rule is :func:`max_pool`'s, with or without
    ``return_indices``: the last NaN of the window, else its first maximum with
    ``+0`` counting as larger than ``-0``; the output is bitwise the element at
    the index (docs/numerics.rst, "Selections: NaN and signed zeros").

    Examples
    --------
    Three outputs from five samples read the overlapping windows ``[0, 2)``,
    ``[1, 4)`` and ``[3, 5)``:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[1.0, 5.0, 2.0, 4.0, 3.0]]])
    >>> y, indices = refpool.adaptive_max_pool(x, 3, return_indices=True,
    ...                                        engine="reference")
    >>> y.tolist(), indices.tolist()
    ([[[5.0, 5.0, 4.0]]], [[[1, 1, 3]]])

    The windows are mirror-symmetric for every length, so reversing the input
    reverses the output:

    >>> refpool.adaptive_max_pool(x[..., ::-1], 3, engine="reference").tolist()
    [[[4.0, 5.0, 5.0]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="adaptive_max_pool", integers=True)
    x = caller.x
    _args.check_input(x)
    osize = _args.adaptive_output_size(x.shape[2:], output_size)
    return_indices = _args.check_bool(return_indices, "return_indices")
    check_pointwise_field_type(field_type, x.shape[1], "adaptive_max_pool")
    launch = Launch(x, engine, caller)
    shape = _args.with_channels(x.shape, osize)
    out_y, out_i = _split_out(out, return_indices)
    y = launch.output(shape, _args.array_dtype(x), out_y, "out")
    if return_indices:
        idx = launch.output(shape, np.int64, out_i, "out[1]")
        launch.run("pooling", "adaptive_max_pool_with_indices", launch.x, y, idx)
        return launch.result(y), launch.result(idx)
    launch.run("pooling", "adaptive_max_pool", launch.x, y)
    return launch.result(y)


@replayable
@fill_doc
def adaptive_avg_pool(x: ArrayIn, output_size: Size, *, ndim: Optional[int] = None,
                      channels_last: bool = False, engine: Engine = "auto",
                      out: Out = None) -> Array:
    r"""Adaptive average pooling to a fixed output size over 1, 2 or 3 spatial axes.

    %(grid_equivariance)s

    Each output is the mean of its adaptive window (see
    :func:`adaptive_max_pool`); the divisor is the window's element count.  This
    is also ``interpolate(mode="area")``.  Linear, so it commutes with every
    representation; exactly equivariant to every grid reflection for every shape
    and to transposes/90° rotations when the swapped axes have equal output
    sizes.

    Parameters
    ----------
    %(x_param)s
    output_size : int or tuple of (int or None)
        Output length per axis (>= 1); ``None`` keeps the input length.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C, \*output_size), dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    Every engine sums in float64 (float32 input included), then divides and
    rounds once, so a float32 average never overflows.  A NaN result is the
    default NaN (docs/numerics.rst).

    Examples
    --------
    Two outputs from five samples average the windows ``[0, 3)`` and ``[2, 5)``,
    which share the middle sample:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[0.0, 3.0, 6.0, 9.0, 12.0]]])
    >>> y = refpool.adaptive_avg_pool(x, 2, engine="reference")
    >>> y.tolist()
    [[[3.0, 9.0]]]
    >>> np.array_equal(refpool.interpolate(x, size=2, mode="area", engine="reference"), y)
    True

    ``None`` keeps an axis:

    >>> refpool.adaptive_avg_pool(np.zeros((1, 2, 6, 4)), (3, None), engine="reference").shape
    (1, 2, 3, 4)
    """
    caller = Caller(x, ndim, channels_last, engine, op="adaptive_avg_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    osize = _args.adaptive_output_size(x.shape[2:], output_size)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, osize), _args.array_dtype(x), out)
    launch.run("pooling", "adaptive_avg_pool", launch.x, y)
    return launch.result(y)


def _split_out(out, return_indices):
    """Split ``out`` into (values, indices) preallocations."""
    if not return_indices or out is None:
        return out, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError("with return_indices=True, out must be a tuple (output, indices)")
    return out


# =========================================================================== fractional
@fill_doc
def fractional_max_pool(x: ArrayIn, kernel_size: Size, output_size: Optional[Size] = None,
                        output_ratio: Optional[RealSize] = None, return_indices: bool = False,
                        samples: Optional[ArrayIn] = None, *,
                        generator: Optional[np.random.Generator] = None,
                        ndim: Optional[int] = None, channels_last: bool = False,
                        engine: Engine = "auto", out: Out = None) -> ArrayOrPair:
    r"""Fractional max pooling over 1, 2 or 3 spatial axes (Graham's pseudo-random
    windows, PyTorch's ``fractional_max_pool2d``/``3d``), driven by explicit samples.

    %(grid_equivariance)s

    Each ``(n, c)`` plane has one sample :math:`u \in [0, 1)` per spatial axis, and
    along an axis of length :math:`n` with kernel :math:`k` and output length
    :math:`o` its windows are :math:`[s_i, s_i + k)` with PyTorch's interval rule

    .. math::

        \alpha = \frac{n - k}{o - 1}, \qquad
        s_i = \big\lfloor (i + u)\,\alpha \big\rfloor - \big\lfloor u\,\alpha \big\rfloor
        \quad (0 \le i < o - 1), \qquad s_{o-1} = n - k,

    every operation rounded to the dtype of ``samples`` (below); :math:`o = 1`
    gives the one window :math:`[n - k, n)`.  The output is the maximum of each
    window, selected as :func:`max_pool` selects:

    .. math:: y[n, c, \mathbf{i}] = \max_{\mathbf{t} \in [0, k)}
              x[n, c, \mathbf{s}_{\mathbf{i}} + \mathbf{t}]

    Parameters
    ----------
    %(x_select_param)s
    kernel_size : int or tuple of int
        Window size :math:`k \ge 1` per axis.
    output_size : int or tuple of int, optional
        Output length :math:`o \ge 1` per axis, with :math:`o + k - 1 \le n`.
    output_ratio : float or tuple of float, optional
        Instead of ``output_size``: :math:`o = \lfloor n r \rfloor` (PyTorch's
        ``int(n * ratio)``, a float64 product), :math:`0 < r < 1`.  Exactly one of
        ``output_size`` and ``output_ratio`` must be given.
    return_indices : bool
        Also return the int64 flat index (row-major into each spatial block, as
        :func:`max_pool`) of the selected element.
    samples : array, shape ``(N, C, k)``, float16, float32 or float64, optional
        The samples :math:`u \in [0, 1)` of every plane, ``k`` the number of
        spatial axes (PyTorch's ``_random_samples``, which it requires in ``x``'s
        dtype).  Which component drives which axis is PyTorch's: in 2-D
        ``samples[..., 0]`` drives the **width** and ``samples[..., 1]`` the
        height; in 3-D ``samples[..., 0]``, ``[..., 1]``, ``[..., 2]`` drive depth,
        height and width; in 1-D ``samples[..., 0]`` drives the axis.  Also
        accepted in the caller's layout: ``x``'s shape with its spatial axes
        replaced by one axis of length ``k`` (``(C, k)`` for a ``(C, H, W)``
        input read with ``ndim=2``).  A CUDA array is copied to the host.
    generator : numpy.random.Generator, optional
        Instead of ``samples``: draw them with ``generator.random((N, C, k))``
        (float64).  One of ``samples`` and ``generator`` is required: refpool has
        no hidden randomness, so every call is reproducible.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s
        With ``return_indices=True``, a tuple ``(output, indices)`` of such arrays.

    Returns
    -------
    y : array, shape (N, C, \*o), dtype of ``x``
    indices : int64 array, shape (N, C, \*o)
        Only with ``return_indices=True``.

    Raises
    ------
    %(raises_common)s
    TypeError
        If ``samples`` does not hold float16, float32 or float64, ``generator``
        is not a :class:`numpy.random.Generator`, or (with
        ``return_indices=True``) ``out`` is not a tuple ``(output, indices)``.

    Notes
    -----
    **Arithmetic of the interval rule.**  PyTorch computes :math:`\alpha`,
    :math:`i + u`, the products and the truncations in its scalar type (on the
    CPU, ``float`` for float32 input, ``double`` for float64, ``Half`` for
    float16), and refpool computes them, in NumPy, in the dtype of ``samples``:
    float32 samples reproduce PyTorch's float32 windows bit for bit and float64
    samples its float64 windows; the dtype of ``x`` plays no part (float16 and
    integer inputs get the same windows as float32 and float64 ones).  The
    rounding shows for samples within a few ulps of 1: with :math:`n = 6, k = 2,
    o = 3` and :math:`u` = ``np.float32(1) - 2**-24`` (the largest float32 below
    1), :math:`i + u` rounds to :math:`2` in float32, so :math:`s_1 = 4 - 1 = 3`,
    where float64 (and exact arithmetic) give :math:`s_1 = \lfloor 3.99999988
    \rfloor - 1 = 2`.  PyTorch truncates with a 32-bit ``static_cast<int>``;
    refpool with int64 (the same result wherever PyTorch's is defined).  Float16
    samples cannot represent lengths above 2048 exactly: a sample whose windows
    would leave the input is a ValueError naming ``samples``.

    **Validation.**  Samples outside :math:`[0, 1)` (PyTorch accepts them and
    reads outside the input) and a kernel with :math:`o + k - 1 > n` raise a
    ValueError naming the argument.  PyTorch's 3-D operator also refuses
    :math:`o + k - 1 = n` (it checks :math:`o + k - 1 < n`, its 2-D operator
    :math:`\le n`); refpool accepts it on every rank (the windows then advance by
    one sample).

    **Selection rule**: :func:`max_pool`'s (docs/numerics.rst): the last NaN of
    the window, else its first maximum with ``+0`` counting as larger than
    ``-0``; the output is bitwise the element at the index.

    **Exact equivariance** (:func:`refpool.exact_symmetries`, which needs
    ``samples=``): with the same samples for the transformed input, reversing an
    axis commutes when every plane's window starts are mirror-symmetric,
    :math:`s_{o-1-i} = n - k - s_i`.  In exact arithmetic that holds whatever
    the sample when :math:`o - 1` divides :math:`n - k` (the windows are then
    :math:`[i\alpha, i\alpha + k)`, a strided max pooling); in floating point a
    start moves by one where :math:`\mathrm{fl}(i + u)\,\alpha` rounds across an
    integer, which happens for samples within rounding of a multiple of
    :math:`1/\alpha` (next to 1 above all) and more often on long axes.  It
    holds for :math:`o = 1` only when :math:`k = n`, and otherwise only for
    particular samples.  A transpose commutes when the swapped axes have the same
    length, kernel and output length and, in every plane, their samples give the
    same starts.  The rule computes the starts with the operator's own
    arithmetic, so its answer is exact, rounding included.

    **Field types.**  Acts channel by channel, selecting elements: it commutes with
    every permutation representation acting on the channels.

    Examples
    --------
    Seven samples into three windows of two: :math:`\alpha = 5/2`, and the sample
    0.5 gives the starts :math:`\lfloor 1.25 \rfloor - 1 = 0`,
    :math:`\lfloor 3.75 \rfloor - 1 = 2` and :math:`n - k = 5`:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0]]])      # (N, C, W)
    >>> samples = np.array([[[0.5]]])                                # (N, C, 1)
    >>> y, indices = refpool.fractional_max_pool(x, 2, output_size=3, samples=samples,
    ...                                          return_indices=True, engine="reference")
    >>> y.tolist(), indices.tolist()
    ([[[3.0, 4.0, 9.0]]], [[[0, 2, 5]]])

    In 2-D, ``samples[..., 0]`` drives the width: here the rows get the sample
    0.0 (starts 0, 2, 5) and the columns 0.9 (:math:`\alpha = 2`: starts
    :math:`\lfloor 1.8 \rfloor - 1 = 0` and :math:`n - k = 2`):

    >>> x = np.arange(7 * 4, dtype=np.float32).reshape(1, 1, 7, 4)
    >>> samples = np.array([[[0.9, 0.0]]], dtype=np.float32)
    >>> refpool.fractional_max_pool(x, 2, output_size=(3, 2), samples=samples,
    ...                             engine="reference").tolist()
    [[[[5.0, 7.0], [13.0, 15.0], [25.0, 27.0]]]]

    Without samples, a generator draws them (reproducibly):

    >>> x = np.random.default_rng(0).random((2, 3, 9, 9))
    >>> a = refpool.fractional_max_pool(x, 2, output_ratio=0.5,
    ...                                 generator=np.random.default_rng(1))
    >>> b = refpool.fractional_max_pool(x, 2, output_ratio=0.5,
    ...                                 generator=np.random.default_rng(1))
    >>> a.shape, bool((a == b).all())
    ((2, 3, 4, 4), True)
    """
    caller = Caller(x, ndim, channels_last, engine, op="fractional_max_pool", integers=True)
    x = caller.x
    _args.check_input(x)
    spec = _args.fractional_spec(x.shape[2:], kernel_size, output_size, output_ratio)
    return_indices = _args.check_bool(return_indices, "return_indices")
    samples = _args.fractional_samples(samples, generator, caller.original.shape,
                                       caller.layout, x.shape[:2], len(spec.kernel))
    spec = _args.fractional_windows(spec, samples)
    launch = Launch(x, engine, caller)
    shape = _args.with_channels(x.shape, spec.output_size)
    out_y, out_i = _split_out(out, return_indices)
    y = launch.output(shape, _args.array_dtype(x), out_y, "out")
    if return_indices:
        idx = launch.output(shape, np.int64, out_i, "out[1]")
        launch.run("pooling", "fractional_max_pool_with_indices", launch.x, y, idx, spec)
        return launch.result(y), launch.result(idx)
    launch.run("pooling", "fractional_max_pool", launch.x, y, spec)
    return launch.result(y)


# =========================================================================== global
@replayable
@fill_doc
def global_max_pool(x: ArrayIn, return_indices: bool = False, *,
                    field_type: Optional[FieldType] = None, ndim: Optional[int] = None,
                    channels_last: bool = False, engine: Engine = "auto",
                    out: Out = None) -> ArrayOrPair:
    r"""Global max pooling: the maximum over all spatial positions (ONNX
    ``GlobalMaxPool``).

    %(grid_equivariance)s

    .. math:: y[n, c, 0, \dots, 0] = \max_{\mathbf{q}} x[n, c, \mathbf{q}]

    :func:`adaptive_max_pool` to output size 1 on every axis (the same engine
    kernels), with its selection rule.  One window, the whole input: exactly
    equivariant to every grid symmetry for every shape (indices: ties between equal
    values excepted), and acts pointwise on channels, so it commutes with every
    permutation representation.

    Parameters
    ----------
    %(x_select_param)s
    return_indices : bool
        Also return the int64 flat index (row-major into each spatial block) of the
        selected element.
    %(field_type_pointwise_param)s
    %(layout_params)s
    %(engine_param)s
    %(out_param)s
        With ``return_indices=True``, a tuple ``(output, indices)`` of such arrays.

    Returns
    -------
    y : array, shape (N, C, 1, ..., 1), dtype of ``x``
    indices : int64 array, shape (N, C, 1, ..., 1)
        Only with ``return_indices=True``.

    Raises
    ------
    %(raises_common)s
    TypeError
        With ``return_indices=True``, if ``out`` is not a tuple ``(output, indices)``.

    Notes
    -----
    Selection rule (docs/numerics.rst): the last NaN in row-major order, else the
    first maximum, ``+0`` counting as larger than ``-0``; the output is bitwise the
    element at the index.  PyTorch has no global pooling of its own:
    ``adaptive_max_pool{1,2,3}d(x, 1)`` is its counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[[1.0, 7.0, 2.0], [7.0, 0.0, 3.0]]]])       # (1, 1, 2, 3)
    >>> y, indices = refpool.global_max_pool(x, return_indices=True, engine="reference")
    >>> y.tolist(), indices.tolist()
    ([[[[7.0]]]], [[[[1]]]])

    The first of the two sevens wins; an image without channel axis, with ``ndim``:

    >>> refpool.global_max_pool(np.arange(12.0).reshape(3, 4), ndim=2).tolist()
    [[11.0]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="global_max_pool", integers=True)
    x = caller.x
    _args.check_input(x)
    osize = _args.adaptive_output_size(x.shape[2:], 1)
    return_indices = _args.check_bool(return_indices, "return_indices")
    check_pointwise_field_type(field_type, x.shape[1], "global_max_pool")
    launch = Launch(x, engine, caller)
    shape = _args.with_channels(x.shape, osize)
    out_y, out_i = _split_out(out, return_indices)
    y = launch.output(shape, _args.array_dtype(x), out_y, "out")
    if return_indices:
        idx = launch.output(shape, np.int64, out_i, "out[1]")
        launch.run("pooling", "adaptive_max_pool_with_indices", launch.x, y, idx)
        return launch.result(y), launch.result(idx)
    launch.run("pooling", "adaptive_max_pool", launch.x, y)
    return launch.result(y)


@replayable
@fill_doc
def global_avg_pool(x: ArrayIn, *, ndim: Optional[int] = None, channels_last: bool = False,
                    engine: Engine = "auto", out: Out = None) -> Array:
    r"""Global average pooling: the mean over all spatial positions (ONNX
    ``GlobalAveragePool``).

    %(grid_equivariance)s

    .. math:: y[n, c, 0, \dots, 0] = \frac{1}{\prod_b n_b} \sum_{\mathbf{q}} x[n, c, \mathbf{q}]

    :func:`adaptive_avg_pool` to output size 1 on every axis (the same engine
    kernels).  Linear, one window: exactly equivariant to every grid symmetry for
    every shape (up to the rounding of a reordered sum), and commutes with every
    representation acting on the channels.

    Parameters
    ----------
    %(x_param)s
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C, 1, ..., 1), dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    Every engine sums in float64 (float32 input included), divides and rounds once,
    so a float32 mean never overflows; a NaN result is the default NaN
    (docs/numerics.rst).  PyTorch's counterpart is ``adaptive_avg_pool{1,2,3}d(x,
    1)``.

    Examples
    --------
    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[[1.0, 2.0], [3.0, 6.0]], [[0.0, 0.0], [0.0, 8.0]]]])
    >>> refpool.global_avg_pool(x, engine="reference").tolist()
    [[[[3.0]], [[2.0]]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="global_avg_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    osize = _args.adaptive_output_size(x.shape[2:], 1)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, osize), _args.array_dtype(x), out)
    launch.run("pooling", "adaptive_avg_pool", launch.x, y)
    return launch.result(y)


@replayable
@fill_doc
def global_lp_pool(x: ArrayIn, norm_type: float, *, variant: str = "onnx",
                   ndim: Optional[int] = None, channels_last: bool = False,
                   engine: Engine = "auto", out: Out = None) -> Array:
    r"""Global Lp pooling: the Lp norm over all spatial positions (ONNX
    ``GlobalLpPool``).

    %(grid_equivariance)s

    .. math:: y[n, c, 0, \dots, 0] = \Big( \sum_{\mathbf{q}} v[n, c, \mathbf{q}]^p
              \Big)^{1/p}

    :func:`lp_pool` with the kernel as large as the input (the same engine
    kernel): :math:`v = |x|` with ``variant="onnx"`` (ONNX's definition, the
    default here), :math:`v = x` with ``variant="torch"`` (PyTorch's
    ``lp_pool{1,2,3}d`` with ``kernel_size`` the spatial shape: a negative
    :math:`x` with a non-integer :math:`p` gives NaN).  One window: exactly
    equivariant to every grid symmetry for every shape (up to the rounding of a
    reordered sum), and to every permutation of the channels.

    Parameters
    ----------
    %(x_param)s
    norm_type : float
        The exponent :math:`p > 0`, finite, at most 1024 (ONNX's ``p``, default 2
        there: pass it here).
    variant : {"onnx", "torch"}
        The definition, as in :func:`lp_pool`.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C, 1, ..., 1), dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    Every engine raises to the power, sums and takes the root in float64 and rounds
    once; a computed NaN is the default NaN.

    **Field types.**  Acts channel by channel through elementwise powers: it commutes
    with every permutation representation acting on the channels.

    Examples
    --------
    The Euclidean norm of each plane, and the L1 norm:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[[3.0, 0.0], [0.0, -4.0]]]])
    >>> refpool.global_lp_pool(x, 2, engine="reference").tolist()
    [[[[5.0]]]]
    >>> refpool.global_lp_pool(x, 1, engine="reference").tolist()
    [[[[7.0]]]]

    PyTorch's definition sums :math:`x^p`, so odd powers let signs cancel:

    >>> refpool.global_lp_pool(x, 1, variant="torch", engine="reference").tolist()
    [[[[-1.0]]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="global_lp_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    spatial = _args.check_spatial_shape(x.shape[2:])
    spec = _args.lp_pool_spec(spatial, norm_type, spatial, None, False, 0, 1, variant)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("pooling", "lp_pool", launch.x, y, spec)
    return launch.result(y)
