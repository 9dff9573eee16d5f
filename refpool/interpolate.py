r"""Resampling to a new grid size: :func:`interpolate`, PyTorch's
``torch.nn.functional.interpolate`` on NumPy and CUDA arrays, and :func:`resample`,
the general separable resampler every framework's resize is a dialect of.

The functions validate with :mod:`refpool._args`, allocate the output with
:class:`refpool._dispatch.Launch` and let the chosen engine (``reference``,
``cpu`` or ``cuda``) fill it.  Both run the engines' ``resample``:
:func:`interpolate` is its PyTorch dialect, a :class:`~refpool._geometry.ResampleSpec`
of ``arithmetic="torch"`` axes (:func:`refpool._args.torch_resample_spec`), whose
taps are PyTorch's (:func:`refpool._geometry.interpolation_taps`).
``mode="area"`` runs the engines' adaptive average pooling.
"""

from __future__ import annotations

from typing import Any, Sequence, Tuple, Union

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._fastpath import replayable
from ._typing import Array, ArrayIn, Engine, Optional, Out, RealSize, Size

__all__ = ["interpolate", "resample"]


@replayable
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
        launch.run("interpolate", "resample", launch.x, y, _args.torch_resample_spec(spec))
    return launch.result(y)


@replayable
@fill_doc
def resample(x: ArrayIn, size: Optional[Size] = None, scale: Optional[RealSize] = None, *,
             filter: Union[str, Tuple[Any, ...]] = "linear",
             coordinate_mode: Union[str, Sequence[str]] = "half_pixel",
             antialias: bool = False, exclude_outside: bool = False,
             extrapolation_value: float = 0.0, roi: Optional[Sequence[float]] = None,
             translation: Optional[RealSize] = None, nearest_mode: str = "round_prefer_floor",
             cubic_coeff_a: float = -0.75,
             extrapolate: Optional[Union[str, Sequence[str]]] = None,
             ndim: Optional[int] = None,
             channels_last: bool = False, engine: Engine = "auto", out: Out = None) -> Array:
    r"""Resample the spatial axes of ``x`` with a separable filter (the general resize).

    %(grid_equivariance)s

    One axis at a time: output :math:`j` of an axis of :math:`n` input samples
    has a *source coordinate* :math:`x_j` (an affine function of :math:`j`, set
    by ``coordinate_mode``, ``scale``, ``translation`` and ``roi``) and is a
    weighted sum of input samples :math:`p` near :math:`x_j`, the weights given
    by ``filter``.  The resize of every framework is one choice of these
    arguments (ONNX Resize: :class:`refpool.dialects.onnx.Resize`).

    Parameters
    ----------
    %(x_param)s
        Integer dtypes are accepted with ``filter="nearest"`` (a selection).
    size : int or tuple of int, optional
        Output size :math:`m` per axis (>= 1).
    scale : float or tuple of float, optional
        Scale :math:`s` per axis (positive, finite).  Given alone, :math:`m =
        \lfloor n s \rfloor` (a float64 product, which must be >= 1); ``size``
        alone sets :math:`s = m/n`; both: ``size`` is the output size and
        :math:`s` enters the coordinate map and the antialias widening (ONNX
        Resize with scales, JAX ``scale_and_translate``).  At least one is needed.
    filter : str or tuple
        ``"nearest"``, ``"box"``, ``"area"``, ``"linear"``, ``"cubic"`` (Keys,
        parameter ``cubic_coeff_a``), ``"mitchell"`` (:math:`B = C = 1/3`),
        ``"catmull_rom"`` (:math:`B = 0, C = 1/2`), ``"gaussian"``,
        ``"lanczos3"``, ``"lanczos4"``, ``"lanczos5"``, ``"hamming"``;
        ``("bc", B, C)``: the Mitchell-Netravali cubic with those parameters;
        ``("kernel", h, S)``: your own even kernel ``h`` (a vectorised function
        of the offset, in input samples) of support ``S``.  See Notes.
    coordinate_mode : str or tuple of str
        Per axis: ``"half_pixel"``, ``"half_pixel_symmetric"``,
        ``"pytorch_half_pixel"``, ``"align_corners"``, ``"asymmetric"``,
        ``"tf_half_pixel_for_nn"``, ``"tf_crop_and_resize"`` (needs ``roi``).
    antialias : bool
        On axes with :math:`s < 1`, widen the filter by :math:`1/s` (a low-pass
        filter before the subsampling).  Not with ``filter="nearest"``.
    exclude_outside : bool
        Taps outside :math:`[0, n)` get weight 0 and the others are renormalised
        to sum 1; without it they read the nearest edge sample (their index is
        clamped).
    extrapolation_value : float
        The value of the outputs ``extrapolate`` selects (by default those of
        ``tf_crop_and_resize`` axes whose source coordinate is outside
        :math:`[0, n-1]`).
    roi : sequence of float, optional
        ``(start_1, ..., start_D, end_1, ..., end_D)``, normalised input
        coordinates of the crop of ``tf_crop_and_resize`` axes (ONNX's layout
        for the spatial axes).
    translation : float or tuple of float, optional
        Per axis, a shift :math:`t` of the output grid: every map reads
        :math:`j - t` for :math:`j` (JAX's ``scale_and_translate``).
    nearest_mode : str
        ``filter="nearest"``: ``"round_prefer_floor"``, ``"round_prefer_ceil"``,
        ``"floor"``, ``"ceil"`` (ONNX's), or PyTorch's complete rules
        ``"torch"`` (``interpolate(mode="nearest")``, needs
        ``coordinate_mode="asymmetric"``) and ``"torch_exact"``
        (``mode="nearest-exact"``, needs ``"half_pixel"``), which compute the
        source index in the input's precision as PyTorch does (see
        :func:`interpolate`; the coordinate scale is :math:`1/s` when ``scale``
        is given, :math:`n/m` otherwise).
    cubic_coeff_a : float
        Keys' parameter :math:`A` of ``filter="cubic"``: -0.75 (PyTorch,
        OpenCV, ONNX), -0.5 (TensorFlow, JAX, PIL).
    extrapolate : str or tuple of str, optional
        Per axis, which outputs take ``extrapolation_value``: ``"samples"``
        (source coordinate outside :math:`[0, n-1]`), ``"cells"`` (outside
        :math:`[-\tfrac12, n - \tfrac12]`: TensorFlow's and JAX's
        ``scale_and_translate``, with ``extrapolation_value=0``) or ``"none"``.
        Default: ``"samples"`` on ``tf_crop_and_resize`` axes, ``"none"``
        elsewhere.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array
        Shape ``(N, C, *m)``, dtype of ``x``.

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **Coordinate maps** (:func:`refpool._geometry.source_coordinates`), with
    :math:`u = j - t`:

    ==========================  ================================================
    ``half_pixel``              :math:`x = (u + \tfrac12)/s - \tfrac12`
    ``half_pixel_symmetric``    the same plus :math:`\tfrac n2 (1 - \tfrac{m}{s n})`
    ``pytorch_half_pixel``      ``half_pixel``; :math:`x = 0` when :math:`m = 1`
    ``align_corners``           :math:`x = u (n-1)/(m-1)`; 0 when :math:`m = 1`
    ``asymmetric``              :math:`x = u/s`
    ``tf_half_pixel_for_nn``    :math:`x = (u + \tfrac12)/s`
    ``tf_crop_and_resize``      :math:`x = a(n-1) + u(b-a)(n-1)/(m-1)`;
                                :math:`\tfrac12(a+b)(n-1)` when :math:`m = 1`
    ==========================  ================================================

    where :math:`(a, b)` is the axis' ``roi``; evaluated in float64 in the
    order written (ONNX's).

    **Taps and weights.**  ``nearest``: one tap, :math:`x` rounded by
    ``nearest_mode`` (``round_prefer_floor``: halves go down; ``round_prefer_ceil``:
    up) and clamped to :math:`[0, n-1]`.  A kernel :math:`h` of support
    :math:`S` (:math:`h(d) = 0` for :math:`|d| \ge S`), widened by :math:`f =
    1/s` with antialias on axes with :math:`s < 1` (:math:`f = 1` otherwise):
    the input samples :math:`p` with :math:`|p - x| < S f`, weighted

    .. math:: w_p = \frac{h((p - x)/f)}{\sum_q h((q - x)/f)},

    then, with ``exclude_outside``, the taps outside :math:`[0, n)` are dropped
    and the rest renormalised, otherwise their index is clamped to the edge.
    An output without any tap (all outside, or weights summing to 0) is 0.
    ``area``: the weight of :math:`p` is the length of the overlap of its cell
    :math:`[p - \tfrac12, p + \tfrac12]` with the output cell :math:`[x -
    \tfrac1{2s}, x + \tfrac1{2s}]`, normalised (the mean over the output cell
    of the piecewise-constant input, both up and down; ``antialias`` has no
    effect on it).

    The kernels (:data:`refpool._geometry.RESAMPLE_FILTERS`):

    .. list-table::
       :header-rows: 1
       :widths: 15 70 8

       * - filter
         - :math:`h(d)`
         - S
       * - ``box``
         - 1 for :math:`|d| < \tfrac12`, :math:`\tfrac12` at :math:`|d| = \tfrac12` (TensorFlow's)
         - 1/2
       * - ``linear``
         - :math:`1 - |d|`
         - 1
       * - ``cubic``
         - Keys: :math:`(A+2)|d|^3 - (A+3)|d|^2 + 1` on :math:`[0, 1)`, :math:`A|d|^3 - 5A|d|^2 + 8A|d| - 4A` on :math:`[1, 2)`
         - 2
       * - ``("bc", B, C)``
         - Mitchell-Netravali: :math:`\tfrac16[(12 - 9B - 6C)|d|^3 + (-18 + 12B + 6C)|d|^2 + 6 - 2B]` on :math:`[0,1)`, :math:`\tfrac16[(-B - 6C)|d|^3 + (6B + 30C)|d|^2 - (12B + 48C)|d| + 8B + 24C]` on :math:`[1, 2)`
         - 2
       * - ``mitchell``
         - ``("bc", 1/3, 1/3)``
         - 2
       * - ``catmull_rom``
         - ``("bc", 0, 1/2)`` (= ``cubic`` with :math:`A = -1/2`)
         - 2
       * - ``gaussian``
         - :math:`e^{-d^2/(2\sigma^2)}`, :math:`\sigma = \tfrac12`
         - 3/2
       * - ``lanczosK``
         - :math:`\mathrm{sinc}(d)\,\mathrm{sinc}(d/K)`
         - K
       * - ``hamming``
         - :math:`\mathrm{sinc}(d)(0.54 + 0.46\cos\pi d)` (PIL's)
         - 1

    (:math:`\mathrm{sinc}(d) = \sin(\pi d)/(\pi d)`.)  Every kernel's weights
    are normalised, so that ``lanczos``, ``gaussian`` and ``hamming`` keep
    constants; for ``linear``, ``cubic`` and the BC family the normalisation
    changes nothing in exact arithmetic.

    **Extrapolation.**  Then every output whose source coordinate is outside
    the range ``extrapolate`` names, on any axis, is set to
    ``extrapolation_value``.

    **Engines.**  The reference engine evaluates these formulas one output
    coordinate at a time in float64; the CPU and CUDA engines apply the per-axis
    tables of :func:`refpool._geometry.resample_taps` with the kernels of
    :func:`interpolate` (float32 arithmetic for float32 input on the CPU, a
    non-finite float32 row recomputed in float64).

    **Exact equivariance.**  Linear and identical on every channel: every
    field type.  Reversing an axis commutes with the resampling exactly when
    the taps of output :math:`m-1-j` are the mirror images of those of output
    :math:`j` (checked by :func:`refpool.exact_symmetries` from the taps):
    ``half_pixel``, ``pytorch_half_pixel`` (:math:`m > 1`),
    ``half_pixel_symmetric`` and ``align_corners`` with :math:`s = m/n` and
    every symmetric kernel; ``nearest`` only where no source coordinate is a
    rounding tie (e.g. integer upsampling with ``half_pixel`` by an odd factor
    or ``asymmetric``: no); ``asymmetric``, ``tf_half_pixel_for_nn`` and a
    nonzero translation in general not.

    Examples
    --------
    Linear upsampling by 2 with half-pixel centres (the default), edge samples
    clamped:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[0.0, 1.0, 2.0, 3.0]]])
    >>> refpool.resample(x, scale=2, engine="reference").tolist()
    [[[0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]]]

    The box-filtered (antialiased) 2x downsampling is the mean of pairs:

    >>> refpool.resample(x, size=2, filter="box", antialias=True,
    ...                  engine="reference").tolist()
    [[[0.5, 2.5]]]

    A crop of the middle half, outputs outside the input set to -1:

    >>> refpool.resample(x, size=3, coordinate_mode="tf_crop_and_resize",
    ...                  roi=(0.25, 1.25), extrapolation_value=-1.0,
    ...                  engine="reference").tolist()
    [[[0.75, 2.25, -1.0]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op=f"resample with filter={filter!r}",
                    integers=isinstance(filter, str) and filter == "nearest")
    x = caller.x
    _args.check_input(x)
    spec = _args.resample_spec(x.shape[2:], size, scale, filter=filter,
                               coordinate_mode=coordinate_mode, antialias=antialias,
                               exclude_outside=exclude_outside,
                               extrapolation_value=extrapolation_value, roi=roi,
                               translation=translation, nearest_mode=nearest_mode,
                               cubic_coeff_a=cubic_coeff_a, extrapolate=extrapolate)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("interpolate", "resample", launch.x, y, spec)
    return launch.result(y)
