r"""Resampling to a new grid size: :func:`interpolate`, PyTorch's
``torch.nn.functional.interpolate`` on NumPy and CUDA arrays.

The function validates with :mod:`refpool._args`, allocates the output with
:class:`refpool._dispatch.Launch` and lets the chosen engine (``reference``,
``cpu`` or ``cuda``) fill it.  ``mode="area"`` runs the engines' adaptive
average pooling.
"""

from __future__ import annotations

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._geometry import interpolation_engine_function
from ._typing import Array, ArrayIn, Engine, Optional, Out, RealSize, Size

__all__ = ["interpolate"]


@fill_doc
def interpolate(x: ArrayIn, size: Optional[Size] = None,
                scale_factor: Optional[RealSize] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None,
                recompute_scale_factor: Optional[bool] = None, antialias: bool = False, *,
                ndim: Optional[int] = None, channels_last: bool = False,
                engine: Engine = "auto", out: Out = None) -> Array:
    r"""Resample the spatial axes of ``x`` to a new size (PyTorch's ``interpolate``).

    %(grid_equivariance)s

    Separable: every spatial axis is resampled with its own one-dimensional rule,
    and an output sample is the sum over the product of the per-axis taps,

    .. math::

        y[n, c, \mathbf{j}] = \sum_{k_1, \dots, k_D}
            \Big(\prod_{a} w_a[j_a, k_a]\Big)\,
            x[n, c, i_1[j_1, k_1], \dots, i_D[j_D, k_D]],

    identical on every channel.  The per-axis taps :math:`(i, w)` of each mode
    are given below.

    Parameters
    ----------
    %(x_param)s
    size : int or tuple of int, optional
        Output size :math:`m` per axis (>= 1).
    scale_factor : float or tuple of float, optional
        Positive factor :math:`s` per axis; the output size is
        :math:`m = \lfloor n s \rfloor` (a float64 product, which must be >= 1).
        Exactly one of ``size`` and ``scale_factor`` must be given.
    mode : {"nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic", "area"}
        ``linear`` needs one spatial axis, ``bilinear`` and ``bicubic`` two,
        ``trilinear`` three; the others take any.
    align_corners : bool, optional
        Only for the linear modes and ``bicubic`` (default False there); setting
        it with any other mode raises ValueError.
    recompute_scale_factor : bool, optional
        With ``scale_factor``: True makes the coordinates use :math:`n/m`
        instead of :math:`1/s`.  Not allowed with ``size``.
    antialias : bool
        Only for ``bilinear`` and ``bicubic``: when downsampling, widen the
        filter by the downsampling factor (see below).
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array
        Shape ``(N, C, *m)``, dtype of ``x``; a host array for host input, a
        numba device array for CUDA input.

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **Coordinate scale.**  Per axis, input length :math:`n`, output length
    :math:`m`, output index :math:`j`:

    .. math::

        r = \begin{cases}
            (n-1)/(m-1) \ (\text{or } 0 \text{ if } m = 1) & \text{align\_corners=True} \\
            1/s & \text{scale\_factor } s \text{ given, recompute\_scale\_factor not True} \\
            n/m & \text{otherwise.}
        \end{cases}

    **nearest**: one tap, :math:`i = \min(\lfloor j r \rfloor, n-1)`.  The
    product :math:`j r` is computed in the input's precision (:math:`r` rounded
    to float32 for float32 input) and rounded to float32 before the floor, as
    PyTorch does.  **nearest-exact**: :math:`i = \min(\lfloor \max(r(j +
    \tfrac12) - \tfrac12, 0) + \tfrac12 \rfloor, n-1)`, same precision rules
    (for float32 the :math:`r(j+\frac12) - \frac12` step is one fused
    multiply-add, as in PyTorch's AVX2/AVX512 kernels).

    For 2-D outputs with :math:`m_H + m_W \le 128` PyTorch 2.13 uses another
    kernel (its channels-last one, even on contiguous input) whose rule is
    followed here too: :math:`r` is rounded to float32 whatever the dtype,
    nearest-exact takes :math:`\lfloor (j + \tfrac12) r \rfloor`, and nearest
    copies an axis with :math:`m = n` and takes :math:`i = \lfloor j/2
    \rfloor` on an axis with :math:`m = 2n`, whatever the scale factor.  The
    nearest modes are therefore bit-identical to PyTorch on CPU.

    **linear** (linear, bilinear, trilinear): with align_corners=False
    :math:`\sigma = \max(r(j + \tfrac12) - \tfrac12, 0)`, with True
    :math:`\sigma = r j`; :math:`i_0 = \min(\lfloor\sigma\rfloor, n-1)`,
    :math:`i_1 = \min(i_0 + 1, n-1)`, :math:`\lambda = \mathrm{clip}(\sigma -
    i_0, 0, 1)`; taps :math:`(i_0, 1-\lambda), (i_1, \lambda)`.  When
    :math:`m = n` the axis is copied (taps :math:`(j, 1), (j, 0)`) whatever the
    scale factor.

    **bicubic**: :math:`\sigma = r(j + \tfrac12) - \tfrac12` (not clamped) or
    :math:`r j`; :math:`i_0 = \min(\lfloor\sigma\rfloor, n-1)`,
    :math:`t = \mathrm{clip}(\sigma - i_0, 0, 1)`; four taps
    :math:`i_0 + k`, :math:`k = -1, 0, 1, 2`, clamped to :math:`[0, n-1]`, with
    weights :math:`W(t - k)` of Keys' cubic convolution kernel

    .. math::

        W(d) = \begin{cases}
            (A+2)|d|^3 - (A+3)|d|^2 + 1 & |d| \le 1 \\
            A|d|^3 - 5A|d|^2 + 8A|d| - 4A & 1 < |d| < 2 \\
            0 & \text{otherwise,}
        \end{cases} \qquad A = -0.75.

    In the linear and cubic rules :math:`\lfloor\sigma\rfloor` is taken after
    rounding :math:`\sigma` to float32 (PyTorch's ``floorf``); the clipped
    :math:`\lambda`, :math:`t` keep the interpolant continuous, so this moves a
    float64 result by at most :math:`2^{-24}\sigma` times the local difference
    of the input.

    **antialias=True** (bilinear, bicubic; PIL's resampling): filter
    :math:`h` = the triangle :math:`\max(0, 1-|d|)` (bilinear) or :math:`W` with
    :math:`A = -0.5` (bicubic), of half-width :math:`b = 1` or :math:`2`.  With
    :math:`f = \max(r, 1)`, support :math:`S = b f`, centre
    :math:`c = r(j + \tfrac12)`: taps :math:`i = i_{lo}, \dots, i_{hi}-1` with
    :math:`i_{lo} = \max(\mathrm{trunc}(c - S + \tfrac12), 0)`,
    :math:`i_{hi} = \min(\mathrm{trunc}(c + S + \tfrac12), n)` (and at most
    :math:`2\lceil S\rceil + 1` taps), weights :math:`h((i - c + \tfrac12)/f)`
    normalised to sum 1.  An axis with :math:`m = n` is copied.  Upsampling
    (:math:`r < 1`) uses the unwidened filter, which for bicubic still differs
    from ``antialias=False`` (:math:`A = -0.5`).

    **area**: adaptive average pooling to :math:`m`
    (:func:`refpool.adaptive_avg_pool`); the scale factor only sets :math:`m`.

    **Infinities and NaN.**  Every tap is multiplied and summed, including taps
    of weight 0 (which exist at the borders, at integer positions and on copied
    linear axes): an infinity on such a tap gives NaN, as in PyTorch.  The
    nearest modes copy values.

    **Exact equivariance** (each statement verified numerically; the tables
    are in ``docs/interpolation.rst``).  Interpolation is linear and identical
    on every channel, so it commutes with every representation acting on the
    channels: all field types.  Reversing a spatial axis commutes exactly with
    the interpolation along it when

    - linear/bilinear/trilinear/bicubic, with or without antialias,
      align_corners=False: the coordinate scale is :math:`r = n/m` (``size``,
      ``recompute_scale_factor=True``, or a scale factor with :math:`n s` an
      integer), for every :math:`n` and :math:`m`, up- and downsampling;
    - align_corners=True without antialias: always, except an output of
      length 1 (it takes the first sample); with antialias: in general not
      (the widened filter is centred at :math:`r(j+\tfrac12)` with
      :math:`r = (n-1)/(m-1)`);
    - nearest-exact: :math:`r = n/m` and :math:`n/\gcd(n, m)` odd (every
      integer upsampling, odd integer downsampling);
    - nearest: :math:`r = n/m` and :math:`m` a multiple of :math:`n` (integer
      upsampling).  Exact in float64.  In float32, and for 2-D outputs with
      :math:`m_H + m_W \le 128` in any dtype, the float32 scale :math:`1/s`
      falls below :math:`1/s` for some integers and the blocks become uneven:
      :math:`s = 41, 47, 55, 61, 82, 83, \dots` break it from :math:`n = 2`
      on, while every :math:`s \le 40` stays exact.  Contrary to the peers'
      warning, nearest with a small integer scale factor is exactly equivariant;
    - area: always.

    A scale factor with :math:`n s` not an integer shifts the sampling grid
    (:math:`r = 1/s \ne n/m`) and breaks mirror symmetry in every mode.  A
    transpose, and so a 90° rotation, needs in addition the same
    :math:`(n, m, r)` on the swapped axes.

    Examples
    --------
    Nearest upsampling by 2 repeats every sample (default engine):

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[1.0, 2.0, 3.0]]])
    >>> refpool.interpolate(x, scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]]]

    Linear with ``align_corners=True`` keeps the end samples and spaces the
    others :math:`r = (3 - 1)/(5 - 1) = 1/2` apart:

    >>> refpool.interpolate(x, size=5, mode="linear", align_corners=True,
    ...                     engine="reference").tolist()
    [[[1.0, 1.5, 2.0, 2.5, 3.0]]]

    With ``align_corners=False`` and :math:`r = n/m = 3/4`, output 1 samples
    :math:`\sigma = \tfrac34 \cdot \tfrac32 - \tfrac12 = 0.625`; since ``size``
    gives :math:`r = n/m`, reversing the axis commutes with the interpolation:

    >>> refpool.interpolate(x, size=4, mode="linear", engine="reference").tolist()
    [[[1.0, 1.625, 2.375, 3.0]]]
    >>> refpool.interpolate(x[..., ::-1], size=4, mode="linear", engine="reference").tolist()
    [[[3.0, 2.375, 1.625, 1.0]]]

    A scale factor sets :math:`m = \lfloor n s \rfloor` per axis:

    >>> refpool.interpolate(np.zeros((1, 1, 5, 7)), scale_factor=1.5,
    ...                     engine="reference").shape
    (1, 1, 7, 10)
    """
    caller = Caller(x, ndim, channels_last, engine, op=f"interpolate with mode={mode!r}",
                    integers=mode in _args.NEAREST_MODES)
    x = caller.x
    _args.check_input(x)
    spec = _args.interpolation_spec(x.shape[2:], size, scale_factor, mode, align_corners,
                                    recompute_scale_factor, antialias)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    if spec.mode == "area":
        launch.run("pooling", "adaptive_avg_pool", launch.x, y)
    else:
        launch.run("interpolate", interpolation_engine_function(spec.mode), launch.x, y,
                   spec)
    return launch.result(y)
