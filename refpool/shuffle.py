r"""Sub-pixel rearrangements: ``pixel_shuffle``, ``pixel_unshuffle`` (PyTorch),
``depth_to_space``, ``space_to_depth`` (ONNX).

Every function here moves elements and computes none: the output holds the input's
elements, bit for bit, in another order, so the result is exact for every dtype
(integers included).  Each is a thin layer: it validates its arguments (the rules
below), allocates the output with :class:`refpool._dispatch.Launch` and lets the
chosen engine fill it (entry points ``shuffle`` and ``unshuffle`` of
``refpool.engines.<engine>.shuffle``).

Notation, for :math:`k` spatial axes (1 to 3) and a block factor :math:`r`: an output
position along axis :math:`a` is :math:`p_a = i_a r + j_a` with the coarse position
:math:`i_a` and the sub-pixel offset :math:`0 \le j_a < r`; the offsets of all axes
form the *block index*, row-major,

.. math:: \beta(\mathbf{j}) = \sum_{a=1}^{k} j_a\, r^{k-a}
          \qquad (2\text{-D: } \beta = j_H r + j_W),

and a block has :math:`R = r^k` sub-pixels.  The channel holding sub-pixel
:math:`\beta` of output channel :math:`c` (of :math:`C` output channels) is

* ``CRD`` (PyTorch's ``pixel_shuffle``, ONNX ``mode="CRD"``): :math:`c R + \beta`,
  the channel index first;
* ``DCR`` (ONNX's default, and ``SpaceToDepth``): :math:`\beta C + c`, the block
  index first.

Argument rules (checked before any kernel runs, each error naming its argument) are
in :func:`shuffle_spec`; the per-axis geometry, shared with the exactness rules of
:mod:`refpool.equivariance.rules` and the Dask wrappers, is :class:`ShuffleAxis`.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._fastpath import replayable
from ._typing import Array, ArrayIn, Engine, Optional, Out

__all__ = ["pixel_shuffle", "pixel_unshuffle", "depth_to_space", "space_to_depth"]

#: the channel orders of :func:`depth_to_space`: block index first (ONNX's default),
#: or channel index first (``pixel_shuffle``'s)
MODES = ("DCR", "CRD")


# =========================================================================== geometry
class ShuffleAxis(NamedTuple):
    """One spatial axis of a shuffle (``up=True``) or an unshuffle.

    ``n`` input samples, factor ``r``.  A shuffle's output ``p`` reads input
    ``p // r`` (sub-pixel offset ``p % r``); an unshuffle's output ``i`` reads the
    ``r`` inputs ``i*r .. i*r + r - 1``, one per sub-pixel channel.
    """

    n: int
    r: int
    up: bool

    @property
    def output_length(self):
        return self.n * self.r if self.up else self.n // self.r

    def positions(self, i):
        """The input positions output ``i`` reads (one per sub-pixel offset)."""
        if self.up:
            return (i // self.r,)
        return tuple(range(i * self.r, (i + 1) * self.r))

    def input_range(self, start, stop):
        """The input range ``[lo, hi)`` read by the outputs ``[start, stop)``."""
        if self.up:
            return start // self.r, -(-stop // self.r)
        return start * self.r, stop * self.r


class ShuffleSpec(NamedTuple):
    """A validated call: the factor, the channel order, the shapes.

    ``up``: a shuffle (channels to space) or an unshuffle; ``block_first``: the
    ``DCR`` channel order; ``channels``: the input's channel count ``C_in``;
    ``output_channels`` and ``output_size`` (an :class:`refpool._args.Extent` naming
    the factor, for the size rule).
    """

    factor: int
    up: bool
    block_first: bool
    input_size: tuple
    channels: int
    output_channels: int
    output_size: tuple

    @property
    def blocks(self):
        """:math:`R = r^k`, the sub-pixels of one block."""
        return self.factor ** len(self.input_size)

    def axis(self, b):
        return ShuffleAxis(self.input_size[b], self.factor, self.up)


# =========================================================================== arguments
def check_factor(value, name):
    """A block factor: a positive int (``numbers.Integral``, not a bool), at most
    :data:`refpool._args.MAX_INT`."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    value = int(value)
    if value < 1:
        raise ValueError(f"{name} must be a positive int (>= 1), got {value}")
    return _args.check_int_range(value, name)


def check_mode(mode):
    """``mode`` of :func:`depth_to_space`: ``"DCR"`` or ``"CRD"`` (case-sensitive, as
    in ONNX); returns whether the block index comes first."""
    if not isinstance(mode, str):
        raise TypeError(f"mode must be one of {MODES}, got {mode!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES} (upper case, as in ONNX), "
                         f"got {mode!r}")
    return mode == "DCR"


def shuffle_spec(shape, factor, name, *, up, block_first, op):
    """Validate a shuffle of an ``(N, C, *spatial)`` input of ``shape``.

    Parameters
    ----------
    shape : tuple of int
        The input shape (as the engines see it, after the layout is read).
    factor : int
        The block factor :math:`r` (checked by :func:`check_factor`).
    name : str
        Its argument name (``upscale_factor``, ``downscale_factor``, ``blocksize``).
    up : bool
        Channels to space (shuffle) or space to channels (unshuffle).
    block_first : bool
        The ``DCR`` channel order.
    op : str
        The operator, for messages.

    Raises
    ------
    TypeError, ValueError
        A bad factor; empty spatial axes; for a shuffle, a channel count not
        divisible by :math:`r^k`; for an unshuffle, a spatial length not divisible
        by :math:`r`.
    """
    r = check_factor(factor, name)
    spatial = _args.check_spatial_shape(shape[2:], op)
    k = len(spatial)
    channels = int(shape[1])
    blocks = r ** k
    if up:
        if channels % blocks:
            raise ValueError(
                f"{op}: x has {channels} channels, which is not divisible by "
                f"{name}**{k} = {blocks} ({name}={r}, {k} spatial "
                f"ax{'is' if k == 1 else 'es'}: every output channel takes a block of "
                f"{blocks} channels)")
        output_channels = channels // blocks
        size = tuple(n * r for n in spatial)
    else:
        bad = [a for a, n in enumerate(spatial) if n % r]
        if bad:
            raise ValueError(
                f"{op}: x's spatial shape {spatial} is not divisible by {name}={r} "
                f"(spatial axis {bad[0]} has length {spatial[bad[0]]})")
        output_channels = channels * blocks
        size = tuple(n // r for n in spatial)
    return ShuffleSpec(r, bool(up), bool(block_first), spatial, channels, output_channels,
                       _args.Extent(size, f"{name}={r}"))


def _rearrange(x, factor, name, *, up, block_first, ndim, channels_last, engine, out, op):
    """The shared body of the four operators: read the layout, validate, launch."""
    caller = Caller(x, ndim, channels_last, engine, op=op, integers=True)
    x = caller.x
    _args.check_input(x)
    spec = shuffle_spec(tuple(x.shape), factor, name, up=up, block_first=block_first, op=op)
    launch = Launch(x, engine, caller)
    shape = _args.Extent((int(x.shape[0]), spec.output_channels) + tuple(spec.output_size),
                         spec.output_size.culprit)
    y = launch.output(shape, _args.array_dtype(x), out)
    if up:
        launch.run("shuffle", "shuffle", launch.x, y, spec.factor, spec.block_first)
    else:
        launch.run("shuffle", "unshuffle", launch.x, y, spec.factor, spec.block_first)
    return launch.result(y)


# =========================================================================== operators
@replayable
@fill_doc
def pixel_shuffle(x: ArrayIn, upscale_factor: int, *, ndim: Optional[int] = None,
                  channels_last: bool = False, engine: Engine = "auto",
                  out: Out = None) -> Array:
    r"""Move blocks of channels into space: ``(N, C r^k, *s) -> (N, C, *(s r))``.

    %(grid_equivariance)s

    The grid symmetries act on the sub-pixel channels too: the claim holds with
    the induced channel permutation :math:`P_g` of the input (see Notes).

    PyTorch's ``torch.nn.functional.pixel_shuffle`` generalised to 1-3 spatial
    axes, channel index first (ONNX ``DepthToSpace`` with ``mode="CRD"``):

    .. math::

        y[n, c, i_1 r + j_1, \dots, i_k r + j_k] = x[n,\; c\, r^k + \beta(\mathbf{j}),\;
            i_1, \dots, i_k], \qquad \beta(\mathbf{j}) = \sum_a j_a r^{k-a}

    In 2-D, :math:`y[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w]`, as in
    PyTorch (bitwise).

    Parameters
    ----------
    %(x_select_param)s
        Its channel count must be a multiple of :math:`r^k`.
    upscale_factor : int
        The factor :math:`r \ge 1` of every spatial axis.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C_in / r^k, \*(s r)), dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **PyTorch.**  ``torch.nn.functional.pixel_shuffle`` is 2-D only: it shuffles
    the last two axes of any input of rank 3 or more, reading ``(*batch, C, H, W)``.
    refpool reads ``(N, C, *spatial)`` with ``x.ndim - 2`` spatial axes, so for a
    4-D input the two agree, but a 3-D input ``(N, C, L)`` is a 1-D shuffle in
    refpool where torch reads ``(C, H, W)``, and a 5-D input a 3-D shuffle where
    torch shuffles ``(H, W)`` of ``(B1, B2, C, H, W)``.  Pass ``ndim=2`` for torch's
    reading of any rank (``(C, H, W)`` and ``(*batch, C, H, W)`` alike); ``ndim=1``
    and ``ndim=3`` select the 1-D and 3-D generalisations, which torch lacks.

    **Exactness.**  A pure rearrangement: every output element is an input element,
    bit for bit (NaN payloads and signed zeros included), in every engine and dtype.

    **Exact equivariance.**  For every grid symmetry :math:`g` and every shape,

    .. math:: \mathrm{pixel\_shuffle}(T_g P_g x) = T_g\, \mathrm{pixel\_shuffle}(x)

    where :math:`T_g` moves the spatial axes (:meth:`refpool.FieldType.transform` on
    trivial fields) and :math:`P_g` permutes the :math:`r^k` channels of every block:
    view them as an :math:`r \times \dots \times r` grid (axis :math:`a` holding
    :math:`j_a`) and apply :math:`g`'s transposition and reversals to it, so a
    reversal of axis :math:`a` maps :math:`j_a \to r - 1 - j_a` and a transposition
    swaps :math:`j_a` and :math:`j_b`.
    :func:`refpool.equivariance.rules.induced_channel_permutation` returns it as
    an index array ``p`` (``P_g x = x[:, p]``).  Without :math:`P_g` only the
    identity commutes (for :math:`r \ge 2`).

    Examples
    --------
    Four channels of a ``1 x 2`` image become one ``2 x 4`` channel: block
    ``(i, j)`` comes from channel ``2 i + j``:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.arange(8).reshape(1, 4, 1, 2)
    >>> x[0, :, 0].tolist()
    [[0, 1], [2, 3], [4, 5], [6, 7]]
    >>> y = refpool.pixel_shuffle(x, 2)
    >>> y.shape, y.dtype == x.dtype
    ((1, 1, 2, 4), True)
    >>> y[0, 0].tolist()
    [[0, 2, 1, 3], [4, 6, 5, 7]]

    In 1-D the ``r`` channels of a block interleave:

    >>> refpool.pixel_shuffle(np.array([[[1, 2], [10, 20], [100, 200]]]), 3).tolist()
    [[[1, 10, 100, 2, 20, 200]]]

    torch's reading of a ``(C, H, W)`` tensor is ``ndim=2``:

    >>> refpool.pixel_shuffle(np.zeros((8, 3, 5), np.float32), 2, ndim=2).shape
    (2, 6, 10)
    """
    return _rearrange(x, upscale_factor, "upscale_factor", up=True, block_first=False,
                      ndim=ndim, channels_last=channels_last, engine=engine, out=out,
                      op="pixel_shuffle")


@replayable
@fill_doc
def pixel_unshuffle(x: ArrayIn, downscale_factor: int, *, ndim: Optional[int] = None,
                    channels_last: bool = False, engine: Engine = "auto",
                    out: Out = None) -> Array:
    r"""Move blocks of space into channels: ``(N, C, *(s r)) -> (N, C r^k, *s)``.

    %(grid_equivariance)s

    The grid symmetries act on the sub-pixel channels too: the claim holds with
    the induced channel permutation :math:`P_g` of the output (see Notes).

    The inverse of :func:`pixel_shuffle` (PyTorch's
    ``torch.nn.functional.pixel_unshuffle``, generalised to 1-3 spatial axes):

    .. math::

        y[n,\; c\, r^k + \beta(\mathbf{j}),\; i_1, \dots, i_k] =
            x[n, c, i_1 r + j_1, \dots, i_k r + j_k]

    In 2-D, :math:`y[n, c r^2 + i r + j, h, w] = x[n, c, h r + i, w r + j]`.

    Parameters
    ----------
    %(x_select_param)s
        Every spatial length must be a multiple of :math:`r`.
    downscale_factor : int
        The factor :math:`r \ge 1` of every spatial axis.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C r^k, \*(s / r)), dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **PyTorch.**  As for :func:`pixel_shuffle`: torch unshuffles the last two axes
    of any rank; refpool reads ``x.ndim - 2`` spatial axes unless ``ndim=`` says
    otherwise (``ndim=2`` is torch's reading).
    ``pixel_shuffle(pixel_unshuffle(x, r), r)`` is ``x``, and conversely.

    **Exactness.**  A pure rearrangement, bit for bit, every dtype.

    **Exact equivariance.**  For every grid symmetry :math:`g` and every valid shape,
    :math:`\mathrm{pixel\_unshuffle}(T_g x) = T_g P_g\, \mathrm{pixel\_unshuffle}(x)`,
    with :math:`P_g` the permutation of :func:`pixel_shuffle` acting on the output's
    blocks of :math:`r^k` channels (``induced_channel_permutation`` gives it for
    the output's channels).

    **Field types.**  Output channel :math:`c r^k + q` carries input channel :math:`c`
    at block offset :math:`q`: a representation :math:`\rho` of the input channels
    becomes :math:`\rho \otimes I_{r^k}` on the output (the grid element also permutes
    the offsets, see the exactness note).

    Examples
    --------
    >>> import numpy as np
    >>> import refpool
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> y = refpool.pixel_unshuffle(x, 2)
    >>> y.shape
    (1, 4, 2, 2)
    >>> y[0, :, 0, 0].tolist()          # the top-left 2 x 2 block, row-major
    [0.0, 1.0, 4.0, 5.0]
    >>> bool((refpool.pixel_shuffle(y, 2) == x).all())
    True
    """
    return _rearrange(x, downscale_factor, "downscale_factor", up=False, block_first=False,
                      ndim=ndim, channels_last=channels_last, engine=engine, out=out,
                      op="pixel_unshuffle")


@replayable
@fill_doc
def depth_to_space(x: ArrayIn, blocksize: int, mode: str = "DCR", *,
                   ndim: Optional[int] = None, channels_last: bool = False,
                   engine: Engine = "auto", out: Out = None) -> Array:
    r"""ONNX ``DepthToSpace``: blocks of channels into space, in either channel order.

    %(grid_equivariance)s

    The grid symmetries act on the sub-pixel channels too: the claim holds with
    the induced channel permutation :math:`P_g` of the input (see Notes).

    .. math::

        y[n, c, i_1 r + j_1, \dots, i_k r + j_k] = \begin{cases}
            x[n,\; \beta(\mathbf{j})\, C + c,\; \mathbf{i}] & \texttt{"DCR"} \\
            x[n,\; c\, r^k + \beta(\mathbf{j}),\; \mathbf{i}] & \texttt{"CRD"}
        \end{cases}

    with :math:`C` output channels and :math:`\beta(\mathbf{j}) = \sum_a j_a
    r^{k-a}`.  In 2-D, ``DCR`` reads channel :math:`(i r + j) C + c` for
    :math:`y[n, c, h r + i, w r + j]`, and ``CRD`` reads :math:`c r^2 + i r + j`
    (:func:`pixel_shuffle`).

    Parameters
    ----------
    %(x_select_param)s
        Its channel count must be a multiple of :math:`r^k`.
    blocksize : int
        The block size :math:`r \ge 1` of every spatial axis.
    mode : {"DCR", "CRD"}
        The channel order: depth-column-row (block index first, ONNX's default)
        or column-row-depth (channel index first).  Case-sensitive, as in ONNX.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C_in / r^k, \*(s r)), dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **ONNX.**  ONNX defines ``DepthToSpace`` for 4-D ``(N, C, H, W)`` tensors only
    (:func:`refpool.dialects.onnx.DepthToSpace` keeps that rule); refpool's operator
    also takes 1 and 3 spatial axes, with the block index :math:`\beta` row-major
    over the axes as in 2-D, and the layouts of ``ndim=`` and ``channels_last=``.
    ``mode="CRD"`` is :func:`pixel_shuffle`.

    **Exactness.**  A pure rearrangement, bit for bit, every dtype.

    **Exact equivariance.**  For every grid symmetry :math:`g` and every shape,
    :math:`\mathrm{depth\_to\_space}(T_g P_g x) = T_g\,\mathrm{depth\_to\_space}(x)`,
    with :math:`P_g` the permutation of :func:`pixel_shuffle` applied to the block
    index (``DCR``: channel :math:`\beta C + c` goes where :math:`g` moves block
    position :math:`\beta`; ``induced_channel_permutation`` gives it).

    **Field types.**  The input's channels must carry a representation of the block
    structure the mode reads: :math:`I_{r^k} \otimes \rho` for ``DCR`` (block index
    first), :math:`\rho \otimes I_{r^k}` for ``CRD``; the output then carries
    :math:`\rho`.

    Examples
    --------
    Eight channels, two output channels, ``2 x 2`` blocks: ``DCR`` takes
    channel ``(2 i + j) * 2 + c`` and ``CRD`` channel ``4 c + 2 i + j``:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.arange(8).reshape(1, 8, 1, 1)
    >>> refpool.depth_to_space(x, 2)[0].tolist()
    [[[0, 2], [4, 6]], [[1, 3], [5, 7]]]
    >>> refpool.depth_to_space(x, 2, mode="CRD")[0].tolist()
    [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]
    """
    block_first = check_mode(mode)
    return _rearrange(x, blocksize, "blocksize", up=True, block_first=block_first,
                      ndim=ndim, channels_last=channels_last, engine=engine, out=out,
                      op="depth_to_space")


@replayable
@fill_doc
def space_to_depth(x: ArrayIn, blocksize: int, *, ndim: Optional[int] = None,
                   channels_last: bool = False, engine: Engine = "auto",
                   out: Out = None) -> Array:
    r"""ONNX ``SpaceToDepth``: blocks of space into channels, block index first.

    %(grid_equivariance)s

    The grid symmetries act on the sub-pixel channels too: the claim holds with
    the induced channel permutation :math:`P_g` of the output (see Notes).

    The inverse of :func:`depth_to_space` with ``mode="DCR"``:

    .. math::

        y[n,\; \beta(\mathbf{j})\, C + c,\; i_1, \dots, i_k] =
            x[n, c, i_1 r + j_1, \dots, i_k r + j_k]

    with :math:`C` input channels; in 2-D, :math:`y[n, (i r + j) C + c, h, w] =
    x[n, c, h r + i, w r + j]`.

    Parameters
    ----------
    %(x_select_param)s
        Every spatial length must be a multiple of :math:`r`.
    blocksize : int
        The block size :math:`r \ge 1` of every spatial axis.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C r^k, \*(s / r)), dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **ONNX.**  ``SpaceToDepth`` has no ``mode`` (its order is ``DCR``'s) and is
    defined for 4-D tensors only (:func:`refpool.dialects.onnx.SpaceToDepth` keeps
    that rule); refpool's operator also takes 1 and 3 spatial axes.  The
    channel-first order is :func:`pixel_unshuffle`.

    **Exactness.**  A pure rearrangement, bit for bit, every dtype.

    **Exact equivariance.**  For every grid symmetry :math:`g` and every valid shape,
    :math:`\mathrm{space\_to\_depth}(T_g x) = T_g P_g\,\mathrm{space\_to\_depth}(x)`,
    with :math:`P_g` the ``DCR`` permutation of :func:`depth_to_space` acting on
    the output's channels (``induced_channel_permutation`` gives it).

    **Field types.**  Output channel :math:`q C + c` carries input channel :math:`c` at
    block offset :math:`q`: a representation :math:`\rho` of the input channels becomes
    :math:`I_{r^k} \otimes \rho` on the output.

    Examples
    --------
    >>> import numpy as np
    >>> import refpool
    >>> x = np.arange(8).reshape(1, 2, 2, 2)       # two channels of 2 x 2
    >>> y = refpool.space_to_depth(x, 2)
    >>> y[:, :, 0, 0].tolist()                      # (block, channel) order
    [[0, 4, 1, 5, 2, 6, 3, 7]]
    >>> bool((refpool.depth_to_space(y, 2) == x).all())
    True
    """
    return _rearrange(x, blocksize, "blocksize", up=False, block_first=True,
                      ndim=ndim, channels_last=channels_last, engine=engine, out=out,
                      op="space_to_depth")
