r"""Sampling at arbitrary points: ``grid_sample`` and its grid builder ``affine_grid``.

:func:`grid_sample` reads an input ``(N, C, H, W)`` (or ``(N, C, D, H, W)``) at the
points of a grid of normalised coordinates, as PyTorch's
``torch.nn.functional.grid_sample``; :func:`affine_grid` builds the grid of an
affine map, as ``torch.nn.functional.affine_grid``.

Coordinates.  A grid point holds ``(x, y)`` (2-D) or ``(x, y, z)`` (3-D): ``x``
runs along ``W`` (the last axis), ``y`` along ``H`` and ``z`` along ``D``, so the
grid's last axis lists the input's spatial axes in *reverse* order.  A normalised
coordinate :math:`u` is the pixel coordinate

.. math::

    p = \begin{cases}
        \dfrac{u + 1}{2}\,(n - 1) & \text{align\_corners=True (-1 and 1 are the
            centres of the first and last pixels)} \\[1ex]
        \dfrac{(u + 1)\,n - 1}{2} & \text{align\_corners=False (-1 and 1 are the
            outer edges of the first and last pixels)}
    \end{cases}

along an axis of :math:`n` pixels, in float64 in this order.  The padding rule
then moves :math:`p` (bilinear and nearest) or each bicubic tap: ``zeros`` keeps
it (points outside read 0), ``border`` clips it to :math:`[0, n - 1]`,
``reflection`` reflects it about the borders (about the pixel centres
:math:`0, n-1` with ``align_corners=True``, about the edges :math:`-1/2,
n - 1/2` otherwise) and then clips it.
"""

from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._typing import Array, ArrayIn, Engine, Optional, Out

__all__ = ["grid_sample", "affine_grid", "GridSpec", "check_grid"]

MODES = ("bilinear", "nearest", "bicubic")
PADDING_MODES = ("zeros", "border", "reflection")


class GridSpec(tuple):
    """``(mode, padding_mode, align_corners)`` of a validated call."""

    __slots__ = ()

    def __new__(cls, mode, padding_mode, align_corners):
        return super().__new__(cls, (mode, padding_mode, align_corners))


# =========================================================================== arguments
def _host_float(a, name):
    """``a`` (NumPy, CUDA or host array-like) as a NumPy array of a float dtype."""
    a = _args.host_array(a, name, "coordinates", written_dtype=np.float64)
    if a.dtype.kind != "f":
        raise TypeError(f"{name} must have a floating dtype (float16, float32 or float64), "
                        f"got {a.dtype}")
    return a


def check_grid(grid, x_shape):
    """Validate ``grid`` for an input of ``x_shape`` ``(N, C, *spatial)``; returns it
    as a new C-contiguous float64 array ``(N, *out_spatial, k)`` (the caller's array is
    never modified).  NaN and infinite coordinates are allowed (see
    :func:`grid_sample`)."""
    g = _host_float(grid, "grid")
    k = len(x_shape) - 2
    if g.ndim != k + 2 or g.shape[-1] != k:
        want = "(N, H_out, W_out, 2)" if k == 2 else "(N, D_out, H_out, W_out, 3)"
        raise ValueError(f"grid must have shape {want} for x with {k} spatial axes, "
                         f"got {g.shape}")
    if g.shape[0] != x_shape[0]:
        raise ValueError(f"grid must have the batch size of x ({x_shape[0]}), "
                         f"got {g.shape[0]}")
    return np.ascontiguousarray(g, dtype=np.float64)


def _choice(value, name, choices):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def grid_spec(spatial_ndim, mode, padding_mode, align_corners):
    """Validate the keywords of :func:`grid_sample` (bicubic is 2-D only, as torch)."""
    mode = _choice(mode, "mode", MODES)
    if mode == "bicubic" and spatial_ndim != 2:
        raise ValueError("mode='bicubic' needs a 2-D input (N, C, H, W), got "
                         f"{spatial_ndim} spatial axes")
    padding_mode = _choice(padding_mode, "padding_mode", PADDING_MODES)
    align_corners = _args.check_bool(align_corners, "align_corners")
    return GridSpec(mode, padding_mode, align_corners)


# =========================================================================== operators
@fill_doc
def grid_sample(x: ArrayIn, grid: ArrayIn, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool = False, *,
                ndim: Optional[int] = None, channels_last: bool = False,
                engine: Engine = "auto", out: Out = None) -> Array:
    r"""Sample ``x`` at the points of ``grid``, as ``torch.nn.functional.grid_sample``.

    %(grid_equivariance)s

    For this operator the list is the identity alone: the answer depends on the
    grid's values, which it does not inspect (see Notes).

    For a 2-D input, output point :math:`(i, j)` of image :math:`n` is the value of
    ``x[n, c]`` at the pixel coordinates :math:`(p_y, p_x)` of its grid point
    ``grid[n, i, j] = (u_x, u_y)`` (module docstring: the unnormalisation and the
    padding rules), interpolated by ``mode``:

    * ``bilinear``: :math:`\sum_{a, b \in \{0, 1\}} w_a(p_y)\, w_b(p_x)\,
      x[n, c, \lfloor p_y \rfloor + a, \lfloor p_x \rfloor + b]` with
      :math:`w_0(p) = \lfloor p \rfloor + 1 - p` and :math:`w_1(p) = p - \lfloor p
      \rfloor`; a corner outside the input contributes nothing (it is 0).
      Trilinear in 3-D, with eight corners.
    * ``nearest``: :math:`x[n, c, \mathrm{rint}(p_y), \mathrm{rint}(p_x)]`, rounding
      halves to even (C's ``nearbyint``), 0 outside the input.
    * ``bicubic`` (2-D only): the 4 x 4 taps :math:`\lfloor p \rfloor - 1 \dots
      \lfloor p \rfloor + 2` per axis with Keys' cubic convolution weights
      (:math:`A = -3/4`), the padding rule applied to each tap's coordinates
      separately (after the unnormalisation, not before).

    The output has shape :math:`(N, C, H_{out}, W_{out})` (3-D: :math:`(N, C,
    D_{out}, H_{out}, W_{out})`): the input's :math:`N, C` and the grid's spatial
    shape.

    Parameters
    ----------
    x : array, shape (N, C, H, W) or (N, C, D, H, W), float16, float32 or float64
        A NumPy or CUDA array, or any host array exposing ``__dlpack__`` or
        ``__array__``; float16 is computed in float32 (float64 by the reference
        engine) and rounded once.
    grid : array, shape (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3), float
        Normalised points ``(x, y)`` or ``(x, y, z)`` (any float dtype, read as
        float64; NaN and infinity allowed, see Notes).  Read, never modified.
    mode : {"bilinear", "nearest", "bicubic"}
    padding_mode : {"zeros", "border", "reflection"}
    align_corners : bool
        The unnormalisation rule (module docstring).
    ndim : int, optional
        2 or 3, or None (default): ``x`` is ``(N, C, *spatial)``.  With ``ndim`` the
        last ``ndim`` axes of ``x`` are spatial, the axis before them (if any) holds
        the channels and the axes before that are batch axes; ``grid`` is then
        ``(B, *out_spatial, ndim)`` with ``B`` the product of the batch axes (1 when
        ``x`` has none), and the result keeps ``x``'s leading axes.
    channels_last : bool
        The channel axis of ``x`` (and of the result) is the last one.
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C, \*grid.shape[1:-1]), dtype of ``x``

    Raises
    ------
    %(raises_common)s
    TypeError
        If ``grid`` is not a float array, or a keyword has the wrong type.
    ValueError
        If ``x`` is not 2-D or 3-D, ``grid``'s shape does not match it, ``mode`` or
        ``padding_mode`` is not one of the choices, or ``mode="bicubic"`` for a 3-D
        input.

    Notes
    -----
    **Numerics.**  Every engine computes the coordinates, weights and sums in
    float64 and rounds once; torch computes them in the input's dtype, so a
    float32 result may differ from torch's by float32 rounding (and a nearest
    sample whose coordinate is within float32 rounding of a half may pick the
    other neighbour).  Coordinates whose pixel value lies beyond the int32 range
    (:math:`> 2^{31} - 2` or :math:`< -2^{31}`) after padding are treated as
    outside the input, as torch does.  A value read with weight 0 still enters the
    sum (an infinity there gives NaN), as in torch.

    **Non-finite grid points** follow torch's scalar rule (``GridSampler.h``, which
    torch's 3-D CPU kernel and its CUDA kernels use): with ``zeros`` padding a NaN
    or infinite coordinate reads nothing (0); with ``border`` a NaN coordinate
    clips to :math:`n - 1`, :math:`\pm\infty` to the border it points to; with
    ``reflection`` any non-finite coordinate lands on :math:`n - 1`.  ``bicubic``
    gives NaN for a non-finite point.  torch's vectorised 2-D CPU kernel differs
    (torch 2.13, measured): for ``bilinear`` with ``zeros`` it returns NaN, and for
    ``border``/``reflection`` a NaN coordinate (and, for reflection, an infinite
    one) reads pixel 0, not :math:`n - 1`.

    **Exact equivariance.**  Only the identity is claimed: whether
    ``grid_sample(T x, grid')`` equals ``T grid_sample(x, grid)`` depends on the
    grid's values, which :func:`refpool.exact_symmetries` does not inspect.

    Examples
    --------
    The identity grid of :func:`affine_grid` reads every pixel at its centre:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.arange(6.0).reshape(1, 1, 2, 3)
    >>> theta = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> grid = refpool.affine_grid(theta, (1, 1, 2, 3))
    >>> refpool.grid_sample(x, grid, engine="reference").tolist()
    [[[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]]]

    With ``align_corners=True`` the corner pixels' centres are at -1 and 1, so
    ``(0.5, -1)`` is half-way between pixels 1 and 2 of the first row, and ``(2,
    -1)`` lies one pixel beyond the last column: 0, the border pixel, or its
    reflection (pixel 1) by the padding rule (points are ``(x, y)``):

    >>> grid = np.array([[[[0.5, -1.0], [2.0, -1.0]]]])
    >>> [refpool.grid_sample(x, grid, padding_mode=p, align_corners=True,
    ...                      engine="reference").tolist()
    ...  for p in ("zeros", "border", "reflection")]
    [[[[[1.5, 0.0]]]], [[[[1.5, 2.0]]]], [[[[1.5, 1.0]]]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="grid_sample", integers=False)
    x = caller.x
    _args.check_input(x, min_spatial=2, max_spatial=3)
    _args.check_spatial_shape(x.shape[2:], "grid_sample")
    g = check_grid(grid, tuple(x.shape))
    spec = grid_spec(len(x.shape) - 2, mode, padding_mode, align_corners)
    launch = Launch(x, engine, caller)
    shape = _args.Extent((int(x.shape[0]), int(x.shape[1])) + g.shape[1:-1], "grid")
    y = launch.output(shape, _args.array_dtype(x), out)
    launch.run("sampling", "grid_sample", launch.x, g, y, *spec)
    return launch.result(y)


def _base(n, align):
    """The normalised centres of ``n`` pixels: ``linspace(-1, 1, n)``, scaled by
    ``(n - 1) / n`` without ``align_corners``; 0 for a single pixel."""
    if n <= 1:
        return np.zeros(n)
    v = np.linspace(-1.0, 1.0, n)
    return v if align else v * ((n - 1) / n)


def affine_grid(theta: ArrayIn, size: Sequence[int],
                align_corners: bool = False) -> np.ndarray:
    r"""The sampling grid of a batch of affine maps, as
    ``torch.nn.functional.affine_grid``.

    A plain NumPy helper (no engines: it is a small matrix product).  For a 2-D
    ``size = (N, C, H, W)`` the grid point of output pixel :math:`(i, j)` is

    .. math::

        \mathrm{grid}[n, i, j] = \theta_n \, (b_W(j),\; b_H(i),\; 1)^T,
        \qquad b_m(j) = \begin{cases}
            -1 + \frac{2j}{m - 1} & \text{align\_corners=True} \\
            \left(-1 + \frac{2j}{m - 1}\right)\frac{m - 1}{m} &
                \text{align\_corners=False}
        \end{cases}

    (:math:`b_1 = 0`), the normalised centre of pixel :math:`j`; 3-D likewise with
    :math:`(b_W, b_H, b_D, 1)`.  The result has shape :math:`(N, H, W, 2)` (3-D:
    :math:`(N, D, H, W, 3)`) and feeds :func:`grid_sample`.

    Parameters
    ----------
    theta : array, shape (N, 2, 3) or (N, 3, 4), float
    size : tuple of int
        ``(N, C, H, W)`` or ``(N, C, D, H, W)``, with the ``N`` of ``theta``; the
        spatial sizes are positive.
    align_corners : bool

    Returns
    -------
    grid : ndarray, shape (N, H, W, 2) or (N, D, H, W, 3), the float dtype of ``theta``
        (computed in float64, rounded once).

    Examples
    --------
    >>> import numpy as np
    >>> import refpool
    >>> theta = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> refpool.affine_grid(theta, (1, 1, 1, 2))[0, 0].tolist()    # two pixel centres
    [[-0.5, 0.0], [0.5, 0.0]]
    >>> refpool.affine_grid(theta, (1, 1, 1, 2), align_corners=True)[0, 0].tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """
    t = _host_float(theta, "theta")
    if not isinstance(size, (tuple, list)) or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size):
        raise TypeError(f"size must be a tuple of ints (N, C, H, W) or (N, C, D, H, W), "
                        f"got {size!r}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise ValueError(f"size must be (N, C, H, W) or (N, C, D, H, W), got {size!r}")
    k = len(size) - 2
    if t.shape != (size[0], k, k + 1):
        raise ValueError(f"theta must have shape (N, {k}, {k + 1}) = {(size[0], k, k + 1)} "
                         f"for size {size}, got {t.shape}")
    if min(size[2:]) < 1 or size[1] < 0:
        raise ValueError(f"size must have positive spatial sizes, got {size!r}")
    align = _args.check_bool(align_corners, "align_corners")
    spatial = size[2:]
    axes = np.meshgrid(*(_base(n, align) for n in spatial), indexing="ij")
    # homogeneous points (x, y[, z], 1): the last spatial axis first
    base = np.stack(list(axes[::-1]) + [np.ones(spatial)], axis=-1)
    grid = np.einsum("...j,nij->n...i", base, t.astype(np.float64))
    return np.ascontiguousarray(grid, dtype=t.dtype)
