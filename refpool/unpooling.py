r"""Max unpooling: ``max_unpool``, the partial inverse of :func:`refpool.max_pool`.

A thin layer like :mod:`refpool.pooling`: it validates the arguments (the output
size per axis, and the indices, a second array input read in the layout of ``x``),
allocates a zero output with :class:`refpool._dispatch.Launch`, and lets the chosen
engine (``reference``, ``cpu`` or ``cuda``) scatter ``x`` into it.  The semantics
are PyTorch's (``torch.nn.functional.max_unpool{1,2,3}d``), with one deterministic
rule for duplicate indices, where PyTorch leaves the winner unspecified, and ONNX's
index layout (``MaxUnpool``) behind ``index_layout="onnx"``.

Notation, per spatial axis: input length :math:`n`, kernel :math:`k`, stride
:math:`s`, padding :math:`p`, output length :math:`m`; per ``(n, c)`` plane
:math:`L = \prod n` inputs and :math:`P = \prod m` outputs.

The argument rules and the per-axis geometry of unpooling live here, beside the
operator, in :func:`unpool_spec` and :class:`UnpoolAxis` (their natural homes are
:mod:`refpool._args` and :mod:`refpool._geometry`); the exactness rule
(:class:`refpool.equivariance.rules.MaxUnpoolRule`) and the Dask wrapper read them.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple, Sequence, Tuple, Union

import numpy as np

from . import _args
from ._dispatch import Caller, Launch, to_canonical
from ._docstrings import fill_doc
from ._typing import Array, ArrayIn, Engine, Optional, Out, Size

__all__ = ["max_unpool"]

#: the ``index_layout=`` argument: per-plane flat indices (torch) or flat indices over
#: the whole ``(N, C, *spatial)`` output (ONNX ``MaxUnpool``)
IndexLayout = Literal["torch", "onnx"]

INDEX_LAYOUTS = ("torch", "onnx")

#: the ``padding=`` argument: an int, one per axis, or per-axis ``(before, after)`` pairs
UnpoolPadding = Union[int, Sequence[Union[int, Tuple[int, int]]]]


# =========================================================================== geometry
def unpool_default_length(n, k, s, padding):
    r"""The default output length of one axis, the input length of a max pooling whose
    windows tile it exactly (PyTorch's ``_unpool_output_size``), with ``padding`` the
    padding of both sides together (:math:`2p` for a symmetric :math:`p`):

    .. math:: m = (n - 1)s - 2p + k
    """
    return (n - 1) * s - padding + k


class UnpoolAxis(NamedTuple):
    """One axis of a max unpooling: ``n`` inputs, the window arguments of the max
    pooling it inverts (its padding before and after the axis), and the requested
    output length (``None``: the default)."""

    n: int
    kernel: int
    stride: int
    before: int
    after: int
    requested: Optional[int] = None

    @property
    def default_length(self):
        return unpool_default_length(self.n, self.kernel, self.stride,
                                     self.before + self.after)

    @property
    def allowed(self):
        """PyTorch's open range ``(lo, hi)`` of an explicit output length:
        ``default - stride < m < default + stride`` (and refpool's ``m >= 1``)."""
        d = self.default_length
        return d - self.stride, d + self.stride

    @property
    def output_length(self):
        return self.default_length if self.requested is None else self.requested

    def accepts(self, m):
        """Whether an explicit output length ``m`` is allowed."""
        lo, hi = self.allowed
        return lo < m < hi and m >= 1


class UnpoolSpec(NamedTuple):
    """Validated per-axis geometry of a max unpooling (one entry per spatial axis)."""

    input_size: tuple
    kernel: tuple
    stride: tuple
    before: tuple             # padding before each axis
    after: tuple              # padding after each axis
    requested: tuple          # explicit output lengths, or None per axis
    output_size: tuple        # an _args.Extent naming what drives it

    def axis(self, b):
        """The :class:`UnpoolAxis` of spatial axis ``b``."""
        return UnpoolAxis(self.input_size[b], self.kernel[b], self.stride[b],
                          self.before[b], self.after[b], self.requested[b])

    @property
    def plane_size(self):
        """Output elements per ``(n, c)`` plane, :math:`P`: the bound of the indices."""
        return math.prod(self.output_size)


def unpool_padding(padding, nd):
    """``(before, after)`` per-axis tuples of ``padding``: an int (every side), a tuple
    of ints (both sides of each axis), or per-axis entries that may be
    ``(before, after)`` pairs (as :func:`refpool.max_pool` takes them)."""
    if isinstance(padding, (tuple, list)) and any(isinstance(e, (tuple, list))
                                                  for e in padding):
        if len(padding) != nd:
            raise ValueError(f"padding must have one entry (an int or a (before, after) "
                             f"pair) per spatial axis ({nd}), got {padding!r}")
        before, after = [], []
        for e in padding:
            if isinstance(e, (tuple, list)):
                if len(e) != 2:
                    raise ValueError(f"padding pairs must be (before, after), got {e!r}")
                b, a = _args.per_axis(tuple(e), 2, "padding", minimum=0)
            else:
                b = a = _args.per_axis(e, 1, "padding", minimum=0)[0]
            before.append(b)
            after.append(a)
        return tuple(before), tuple(after)
    p = _args.per_axis(padding, nd, "padding", minimum=0)
    return p, p


def _requested_sizes(output_size, nd, batch):
    """``output_size`` as a tuple of ``nd`` ints or None (``(N, C, *spatial)`` form:
    ``N`` and ``C`` must be ``batch``'s, when known)."""
    if output_size is None:
        return None
    if isinstance(output_size, (tuple, list)) and len(output_size) == nd + 2:
        lead = _args.per_axis(tuple(output_size[:2]), 2, "output_size", minimum=0)
        if batch is not None and lead != tuple(batch):
            raise ValueError(
                f"output_size in the (N, C, *spatial) form must repeat x's N and C "
                f"{tuple(batch)} (as its layout reads them), got {tuple(output_size)!r}")
        output_size = tuple(output_size[2:])
    elif isinstance(output_size, (tuple, list)) and len(output_size) != nd:
        raise ValueError(
            f"output_size must be an int, a sequence of {nd} ints (one per spatial axis) "
            f"or of {nd + 2} ints (N, C, *spatial), got a sequence of length "
            f"{len(output_size)}")
    return _args.per_axis(output_size, nd, "output_size")


def unpool_spec(spatial_shape, kernel_size, stride=None, padding=0, output_size=None,
                batch=None):
    r"""Normalise and validate the window and size arguments of a max unpooling.

    Parameters
    ----------
    spatial_shape : tuple of int
        The spatial part of the (canonical) input shape.
    kernel_size, stride, padding, output_size
        As in :func:`refpool.max_unpool`; ``stride=None`` means ``kernel_size``.
    batch : tuple (N, C), optional
        The input's leading axes, checked against an ``(N, C, *spatial)``
        ``output_size``.

    Returns
    -------
    UnpoolSpec

    Raises
    ------
    TypeError, ValueError
        Naming the argument: kernel_size, stride >= 1; padding >= 0; an explicit
        output length within PyTorch's range ``(default - s, default + s)`` and at
        least 1; a default output length of at least 1.
    refpool.SizeLimitError
        An output grid larger than :data:`refpool._args.MAX_GRID_ELEMENTS`.
    """
    spatial_shape = _args.check_spatial_shape(spatial_shape)
    nd = len(spatial_shape)
    k = _args.per_axis(kernel_size, nd, "kernel_size", minimum=1)
    s = k if stride is None else _args.per_axis(stride, nd, "stride", minimum=1)
    before, after = unpool_padding(padding, nd)
    requested = _requested_sizes(output_size, nd, batch)
    axes = [UnpoolAxis(n, ki, si, bi, ai)
            for n, ki, si, bi, ai in zip(spatial_shape, k, s, before, after)]
    if requested is None:
        default = tuple(a.default_length for a in axes)
        if min(default) < 1:
            b = int(np.argmin(default))
            raise ValueError(
                f"padding={padding!r} leaves no output: the default output length "
                f"(n-1)*stride - (before + after padding) + kernel_size of spatial axis "
                f"{b} is ({spatial_shape[b]}-1)*{s[b]} - {before[b] + after[b]} + {k[b]} "
                f"= {default[b]}; it must be at least 1")
        culprit = f"kernel_size={kernel_size!r} with stride={stride!r}"
        _args.check_size(default, culprit, "the output")
        return UnpoolSpec(tuple(spatial_shape), k, s, before, after, (None,) * nd,
                          _args.Extent(default, culprit))
    for b, (axis, m) in enumerate(zip(axes, requested)):
        if not axis.accepts(m):
            lo, hi = axis.allowed
            raise ValueError(
                f"output_size={output_size!r} is out of range on spatial axis {b}: with "
                f"the default length (n-1)*stride - (padding before + after) + kernel_size = "
                f"{axis.default_length}, it must lie strictly between {lo} and {hi} "
                f"(torch's rule: default - stride < output_size < default + stride) and "
                f"be at least 1, got {m}")
    culprit = f"output_size={output_size!r}"
    _args.check_size(requested, culprit, "the output")
    return UnpoolSpec(tuple(spatial_shape), k, s, before, after, tuple(requested),
                      _args.Extent(requested, culprit))


def check_index_layout(index_layout):
    if not isinstance(index_layout, str) or index_layout not in INDEX_LAYOUTS:
        raise ValueError(f"index_layout must be 'torch' (flat per (n, c) plane) or 'onnx' "
                         f"(flat over the whole (N, C, *spatial) output), got "
                         f"{index_layout!r}")
    return index_layout


# =========================================================================== indices
def _is_integer_dtype(dtype):
    return dtype.kind in "iu"


def indices_array(indices, caller):
    """``indices`` (validated: an integer array of ``x``'s shape) as the engines read it:
    ``(N, C, *spatial)`` like ``caller.x``, in its own integer dtype.

    Accepted shapes: the caller's ``x`` shape (then read in ``x``'s layout, ``ndim=``
    and ``channels_last=`` alike), or the ``(N, C, *spatial)`` shape that layout
    describes (indices as :func:`torch.nn.functional.max_pool2d` returns them).  The
    first wins when both coincide.
    """
    indices = _args.as_array(indices, "indices")
    if isinstance(indices, np.ndarray):
        _args.check_host_array_type(indices, "indices")
    dtype = _args.array_dtype(indices)
    if not _is_integer_dtype(dtype):
        raise TypeError(f"indices must have an integer dtype (int64, as max_pool returns "
                        f"them), got {dtype}")
    layout = caller.layout
    shape = tuple(int(n) for n in indices.shape)
    caller_shape = tuple(int(n) for n in caller.original.shape)
    canonical = tuple(int(n) for n in caller.x.shape)
    if shape == caller_shape:
        if layout.reshaped:
            indices = to_canonical(indices, canonical, layout.channels_last, "indices")
        return indices
    if shape == canonical:
        return indices
    also = "" if canonical == caller_shape else \
        f" or the (N, C, *spatial) shape {canonical} of x's layout"
    raise ValueError(f"indices must have x's shape {caller_shape}{also}, got {shape}")


def _host_view(indices):
    """The values of ``indices`` on the host (a CUDA array is copied: the range check
    reads every index before any output is written)."""
    if _args.is_cuda_array(indices):
        from numba import cuda
        from ._dispatch import _as_device_array
        return _as_device_array(cuda, indices).copy_to_host()
    return np.asarray(indices)


def check_index_range(indices, plane_size, index_layout):
    r"""Refuse, before any output is written, an index outside its own ``(n, c)``
    plane: ``0 <= i < P`` (``torch``) or ``(n C + c) P <= i < (n C + c + 1) P``
    (``onnx``), for ``indices`` of shape ``(N, C, *spatial)``.  The ValueError names
    ``indices``, the first offending position (in ``(N, C, *spatial)`` order) and its
    value."""
    host = _host_view(indices)
    if host.size == 0:
        return
    planes = host.shape[0] * host.shape[1]
    flat = host.reshape(planes, -1)
    lows = np.zeros(planes, dtype=object)
    if index_layout == "onnx":
        lows = np.arange(planes, dtype=object) * plane_size
    mins = flat.min(axis=1).astype(object)       # Python ints: exact for every dtype
    maxs = flat.max(axis=1).astype(object)
    bad = (mins < lows) | (maxs >= lows + plane_size)
    if not bad.any():
        return
    plane = int(np.argmax(bad))
    low = int(lows[plane])
    row = flat[plane].astype(object)
    where = int(np.argmax((row < low) | (row >= low + plane_size)))
    n, c = divmod(plane, host.shape[1])
    position = (n, c) + tuple(int(i) for i in np.unravel_index(where, host.shape[2:]))
    value = int(row[where])
    if index_layout == "torch":
        raise ValueError(
            f"indices: index {value} at position {position} (N, C, *spatial order) is out "
            f"of range: index_layout='torch' indices are flat positions in their own "
            f"(n, c) plane of the output, 0 <= index < {plane_size}")
    raise ValueError(
        f"indices: index {value} at position {position} (N, C, *spatial order) lies "
        f"outside its own (n, c) plane: index_layout='onnx' indices are flat positions in "
        f"the whole (N, C, *spatial) output, and the plane (n, c) = ({n}, {c}) owns "
        f"{low} <= index < {low + plane_size}; refpool refuses indices into another "
        f"plane (see docs/unpooling.rst)")


def engine_indices(indices, engine):
    """The indices as the engine reads them: int64 and C-contiguous on the host (one
    compiled CPU kernel per dtype of ``x``), a device array for ``engine="cuda"``."""
    if engine == "cuda":
        from numba import cuda
        if _args.is_cuda_array(indices):
            from ._dispatch import _as_device_array
            indices = _as_device_array(cuda, indices)
            if indices.is_c_contiguous():
                return indices
            indices = indices.copy_to_host()      # a strided device view: made contiguous
        return cuda.to_device(np.ascontiguousarray(indices, dtype=np.int64))
    return np.ascontiguousarray(_host_view(indices), dtype=np.int64)


# =========================================================================== operator
@fill_doc
def max_unpool(x: ArrayIn, indices: ArrayIn, kernel_size: Size,
               stride: Optional[Size] = None, padding: UnpoolPadding = 0,
               output_size: Optional[Size] = None, *, index_layout: IndexLayout = "torch",
               ndim: Optional[int] = None, channels_last: bool = False,
               engine: Engine = "auto", out: Out = None) -> Array:
    r"""Max unpooling over 1, 2 or 3 spatial axes: the partial inverse of
    :func:`max_pool`.

    %(grid_equivariance)s

    A zero output of ``output_size`` receives every input element at the position
    its index names; every other element is zero:

    .. math::

        y[n, c, \mathbf{q}] = \begin{cases}
            x[n, c, \mathbf{i}^*] & \text{if some } \mathbf{i} \text{ has }
                I[n, c, \mathbf{i}] = \operatorname{flat}(\mathbf{q}) \\
            0 & \text{otherwise}
        \end{cases}

    where :math:`\operatorname{flat}(\mathbf{q})` is the row-major flat position
    of :math:`\mathbf{q}` in the spatial block (``q_h*W + q_w`` in 2-D, as
    :func:`max_pool` returns its indices) and :math:`\mathbf{i}^*` is the **last**
    input position, in row-major order, among those naming it.

    **Duplicate indices.**  PyTorch leaves the winner unspecified (pytorch issue
    78249; its CUDA kernel races).  refpool's rule, in every engine: the last input
    position of the plane in row-major order wins.  It is what a sequential scan
    writes, hence what onnxruntime, the ONNX reference implementation and torch's
    CPU kernel on one thread give, and the only rule a scan applies without a
    second pass.  The CPU engine owns each output element by one thread
    that scans the plane's inputs in order; the CUDA engine keeps the largest input
    position per output element with an atomic maximum, then copies that input.
    Indices produced by :func:`max_pool` repeat only where windows overlap, and then
    point at one element, so their duplicates carry equal values.

    Equivariant to the grid symmetries when the indices are moved with the grid
    (they are positions: a symmetry moves the index array like ``x`` and maps each
    index to the moved output position), for every shape; see Notes.  Acts on each
    channel alone, so it commutes with every permutation representation.

    Parameters
    ----------
    %(x_select_param)s
    indices : integer array, shape of ``x``
        Where each element of ``x`` goes (int64 as :func:`max_pool` returns them;
        any integer dtype is read exactly).  Read in ``x``'s layout (``ndim=``,
        ``channels_last=``); the ``(N, C, *spatial)`` array that layout describes is
        accepted too (when both shapes coincide, ``x``'s layout wins).  Every index
        must lie in its own ``(n, c)`` plane (see ``index_layout``); a CUDA array is
        copied to the host for this check.
    kernel_size : int or tuple of int
        Window size :math:`k \ge 1` of the max pooling being inverted.
    stride : int or tuple of int, optional
        Its stride :math:`s \ge 1`; defaults to ``kernel_size``.
    padding : int, or tuple of (int or (int, int))
        Its padding :math:`p \ge 0`; an axis may take a ``(before, after)`` pair,
        and then :math:`2p` below is ``before + after`` (only the output length
        depends on the padding: the indices already point into the unpadded output).
    output_size : int or tuple of int, optional
        The spatial output shape :math:`m`, or ``(N, C, *spatial)`` with ``x``'s
        ``N`` and ``C`` (PyTorch ignores them; refpool checks them).  Default per
        axis :math:`(n - 1)s - 2p + k`; an explicit length must lie strictly
        between ``default - s`` and ``default + s`` (PyTorch's rule) and be at
        least 1.  An int applies to every spatial axis.
    index_layout : {"torch", "onnx"}
        ``"torch"``: flat positions within each ``(n, c)`` plane,
        :math:`0 \le I < P`.  ``"onnx"``: flat positions in the whole
        ``(N, C, *spatial)`` output (ONNX ``MaxUnpool``, onnx issue 2398),
        :math:`I = (n C + c) P + \operatorname{flat}(\mathbf{q})`; an index pointing
        into another plane is refused (ONNX allows it in principle; refpool does not:
        no max pooling produces one, and a plane's output then depends only on its
        own inputs).  With ``ndim=``/``channels_last=`` the flat order is that of
        the ``(N, C, *spatial)`` array the layout describes.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s
        It must not share memory with ``indices`` either.

    Returns
    -------
    y : array, shape (N, C, \*m), dtype of ``x``

    Raises
    ------
    %(raises_common)s
    TypeError
        If ``indices`` is not an array or has no integer dtype.
    ValueError
        If ``indices`` has another shape than ``x``, or an index lies outside its
        ``(n, c)`` plane (checked on every index before anything is written), or
        ``index_layout`` is not one of the two names, or ``output_size`` is out of
        range (the message names the axis, the default length and the range).

    Notes
    -----
    **Output shape**, per axis: :math:`m = (n - 1)s - 2p + k` (the input length
    of a max pooling whose windows tile it exactly) or ``output_size``;
    :math:`P = \prod m` bounds the indices.

    **Exact equivariance.**  A grid symmetry :math:`g` acts on the pair
    ``(x, indices)`` by moving both arrays on the input grid and mapping every
    index :math:`q \mapsto g(q)` on the output grid.  Then
    ``max_unpool(g·(x, indices)) == g·max_unpool(x, indices)`` holds for every
    reversal and every shape, because the scatter reads no window: only the
    output lengths are geometry.  Swapping two axes holds when the swapped axes
    get the same output length from either axis's arguments (equal explicit
    ``output_size`` entries, or equal defaults :math:`(n-1)s - 2p + k`).
    Exception, as for max pooling's ties: duplicate indices whose values differ,
    since a reversal reverses the scan that picks the winner.  Composed with
    :func:`max_pool` (``max_unpool(*max_pool(z, ..., return_indices=True))``),
    the indices move with the grid exactly when the max pooling commutes with
    :math:`g`, so the pair is exact under max pooling's window condition on the
    unpooled grid, :math:`(m + 2p - k) \bmod s = 0`, which for an output length in
    PyTorch's range means :math:`m` is the default.
    :func:`refpool.exact_symmetries` takes ``indices=`` (as the operator does; its
    values are not read, ``None`` will do).

    **Dtypes.**  A pure copy: float16 and the integer dtypes are exact (the
    engines run in a float type holding every value; 64-bit integers within
    :math:`\pm 2^{53}`), NaN payloads and signed zeros are kept, and the output
    keeps ``x``'s dtype.

    Examples
    --------
    Max pooling keeps the largest of each pair and where it was; unpooling puts
    it back and zeroes the rest:

    >>> import numpy as np
    >>> import refpool
    >>> z = np.array([[[1.0, 5.0, 3.0, 2.0, 4.0, 6.0]]])
    >>> y, idx = refpool.max_pool(z, 2, return_indices=True)
    >>> y.tolist(), idx.tolist()
    ([[[5.0, 3.0, 6.0]]], [[[1, 2, 5]]])
    >>> refpool.max_unpool(y, idx, 2, engine="reference").tolist()
    [[[0.0, 5.0, 3.0, 0.0, 0.0, 6.0]]]

    ``output_size`` restores an odd length (two inputs give the default length
    :math:`(2 - 1) \cdot 2 + 2 = 4`, so 3 to 5 are allowed at stride 2):

    >>> y, idx = refpool.max_pool(z[..., :5], 2, return_indices=True)
    >>> refpool.max_unpool(y, idx, 2, output_size=(5,), engine="reference").tolist()
    [[[0.0, 5.0, 3.0, 0.0, 0.0]]]

    Duplicate indices: the last input position wins:

    >>> refpool.max_unpool(np.array([[[7.0, 8.0]]]), np.array([[[1, 1]]]), 2,
    ...                    engine="reference").tolist()
    [[[0.0, 8.0, 0.0, 0.0]]]

    ONNX's layout counts across planes: plane ``c = 1`` of two 4-element planes
    owns the indices 4 to 7:

    >>> x = np.array([[[1.0, 2.0], [3.0, 4.0]]])              # (N, C, W) = (1, 2, 2)
    >>> refpool.max_unpool(x, np.array([[[0, 3], [5, 6]]]), 2, index_layout="onnx",
    ...                    engine="reference").tolist()
    [[[1.0, 0.0, 0.0, 2.0], [0.0, 3.0, 4.0, 0.0]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="max_unpool", integers=True)
    x = caller.x
    _args.check_input(x)
    _args.check_spatial_shape(x.shape[2:], "max_unpool")
    idx = indices_array(indices, caller)
    spec = unpool_spec(x.shape[2:], kernel_size, stride, padding, output_size,
                       batch=tuple(int(n) for n in x.shape[:2]))
    index_layout = check_index_layout(index_layout)
    check_index_range(idx, spec.plane_size, index_layout)
    if out is not None and _args.may_share_memory(out, indices):
        raise ValueError("out must not share memory with indices")
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("unpooling", "max_unpool", launch.x, engine_indices(idx, launch.engine), y,
               index_layout == "onnx")
    return launch.result(y)
