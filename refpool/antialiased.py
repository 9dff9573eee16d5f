r"""Antialiased downsampling: ``antialiased_avg_pool``, ``antialiased_max_pool``,
``blur_pool``.

Each operator low-pass filters before it subsamples ("Making Convolutional
Networks Shift-Invariant Again", Zhang 2019), with the radial filters of
:mod:`refpool.kernels`.  Like :mod:`refpool.pooling`, these functions only
validate (with :mod:`refpool._args`), allocate the output and hand plain arrays
to the chosen engine.

Notation, per spatial axis: input length :math:`n`, filter size :math:`f_s`,
stride :math:`s`, output length :math:`o`.  The filters are separable, so the
n-D filter :math:`K` is the outer product of 1-D taps :math:`g` and
"cross-correlation at stride :math:`s`" means

.. math::

    y[\mathbf{i}] = \sum_{\mathbf{u} \in [0, f_s)^m} K[\mathbf{u}]\,
        \tilde{x}[\mathbf{i}\,s - \mathbf{b} + \mathbf{u}]

where :math:`\tilde{x}` is the input extended beyond its border by the stated
padding and :math:`\mathbf{b}` is the padding before each axis.
"""

from __future__ import annotations

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._fastpath import replayable
from ._fieldcheck import check_pointwise_field_type
from ._typing import Array, ArrayIn, Engine, Optional, Out, Size
from .fields import FieldType
from .kernels import _binomial64, _gaussian64

__all__ = ["antialiased_avg_pool", "antialiased_max_pool", "blur_pool"]


@replayable
@fill_doc
def antialiased_avg_pool(x: ArrayIn, sigma: float, stride: Size,
                         padding: Optional[Size] = None, *, pad_type: str = "zero",
                         ndim: Optional[int] = None, channels_last: bool = False,
                         engine: Engine = "auto", out: Out = None) -> Array:
    r"""Gaussian blur and subsample (e2cnn/escnn ``PointwiseAvgPoolAntialiased``).

    %(grid_equivariance)s

    Depthwise cross-correlation with the truncated Gaussian of
    :func:`refpool.gaussian_kernel` (:math:`t = 3`), zero padding ``padding`` on
    both sides of every spatial axis, stride ``stride``:

    .. math::

        y[n, c, \mathbf{i}] = \sum_{\mathbf{u} \in [0, f_s)^m}
            \Big(\prod_a g[u_a]\Big)\, x[n, c, \mathbf{i}\,s - p + \mathbf{u}],
        \qquad f_s = 2\,\mathrm{round}(3\sigma) + 1

    with :math:`x = 0` outside the input (``pad_type="zero"``) or the input read as
    periodic, :math:`x[j] = x[j \bmod n]` (``pad_type="circular"``).  The Gaussian
    ``g`` is :func:`refpool.gaussian_taps` ``(sigma, truncate=3)``.

    Parameters
    ----------
    %(x_param)s
    sigma : float
        Standard deviation of the Gaussian in pixels (positive, finite).  The same
        on every axis (the filter is radial).
    stride : int or tuple of int
        Subsampling step :math:`s \ge 1`.
    padding : int or tuple of int, optional
        Zero padding :math:`p \ge 0` on both sides; default :math:`(f_s - 1)/2`,
        which keeps the size at stride 1 and centres output :math:`i` on input
        :math:`i s`.
    pad_type : {"zero", "circular"}
        What the filter reads beyond the border: zeros, or the input continued
        periodically (``np.pad(x, p, mode="wrap")`` followed by the unpadded
        operator; any width, even wider than the input).  The output shape is
        the same for both.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *o)``, dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **Output shape**, per axis: :math:`o = \lfloor (n + 2p - f_s)/s \rfloor + 1`
    (at least 1, or a ``ValueError``).

    **Field types.**  Linear and the same on every channel, so it commutes with
    every representation acting on the channels: all field types are accepted.

    **Exact equivariance.**  The Gaussian is symmetric, so reversing an axis
    commutes exactly with the operator when the sampling grid is symmetric about
    the centre, :math:`(n + 2p - f_s) \bmod s = 0` on that axis.  A 90° rotation
    (or transpose) of two axes also needs equal stride and padding on them.  So
    it is equivariant to the grid's dihedral group :math:`D_4` (2-D) or the
    octahedral group (3-D) when the condition holds on every axis.

    **Non-finite input.**  A NaN anywhere in an output's filter support makes
    that output NaN; an infinity makes it infinite, or NaN when both signs meet
    (IEEE sums).  The filter has no zero weights.

    **Divergence from e2cnn/escnn.**  None in the values.  The peers build the 2-D
    kernel directly as :math:`e^{-|r|^2/2\sigma^2}` in float32 (same up to
    rounding) and only support 2-D (escnn: 2-D and 3-D); refpool also takes 1-D.
    The CPU and CUDA engines match the float64 reference within the tolerance
    of linear operators.

    Examples
    --------
    At stride 1 an impulse comes back as the filter, here the 5 taps of
    :math:`\sigma = 0.5` (:math:`f_s = 2\,\mathrm{round}(1.5) + 1 = 5`):

    >>> import numpy as np
    >>> import refpool
    >>> impulse = np.zeros((1, 1, 9))
    >>> impulse[0, 0, 4] = 1.0
    >>> y = refpool.antialiased_avg_pool(impulse, sigma=0.5, stride=1, engine="reference")
    >>> np.round(y, 4).tolist()
    [[[0.0, 0.0, 0.0003, 0.1065, 0.7866, 0.1065, 0.0003, 0.0, 0.0]]]

    With the default padding :math:`p = 2` the output length is
    :math:`\lfloor (9 + 4 - 5)/2 \rfloor + 1 = 5`, and since
    :math:`(9 + 4 - 5) \bmod 2 = 0` reversing the axis commutes with the
    operator:

    >>> x = np.random.default_rng(0).standard_normal((1, 1, 9))
    >>> y = refpool.antialiased_avg_pool(x, sigma=0.5, stride=2, engine="reference")
    >>> y.shape
    (1, 1, 5)
    >>> y_flipped = refpool.antialiased_avg_pool(x[..., ::-1], sigma=0.5, stride=2,
    ...                                          engine="reference")
    >>> np.allclose(y_flipped, y[..., ::-1])
    True
    """
    caller = Caller(x, ndim, channels_last, engine, op="antialiased_avg_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    sigma, spec = _args.antialiased_avg_spec(x.shape[2:], sigma, stride, padding, pad_type)
    taps = _gaussian64(sigma, _args.AVG_TRUNCATE)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("antialiased", "antialiased_avg_pool", launch.x, y,
               (taps,) * len(spec.size), spec)
    return launch.result(y)


@replayable
@fill_doc
def antialiased_max_pool(x: ArrayIn, kernel_size: Size, stride: Optional[Size] = None,
                         padding: Size = 0, dilation: Size = 1, ceil_mode: bool = False,
                         sigma: float = 0.6, blur_padding: Optional[Size] = None, *,
                         pad_type: str = "zero",
                         field_type: Optional[FieldType] = None, ndim: Optional[int] = None,
                         channels_last: bool = False, engine: Engine = "auto",
                         out: Out = None) -> Array:
    r"""Max pool densely, then Gaussian blur and subsample (escnn
    ``PointwiseMaxPoolAntialiased``).

    %(grid_equivariance)s

    Two stages, per spatial axis (``kernel_size`` :math:`k`, ``stride`` :math:`s`,
    ``padding`` :math:`p`, ``dilation`` :math:`d`):

    1. the dense max map, :func:`refpool.max_pool` at stride 1 with
       :math:`-\infty` padding :math:`p`, over
       :math:`L = n + 2p - d(k-1)` positions:

       .. math:: M[\mathbf{j}] = \max_{\mathbf{t} \in [0,k)^m}
                 x[\mathbf{j} - p + \mathbf{t}\,d], \qquad 0 \le j_a < L_a

    2. cross-correlation of :math:`M`, **zero** outside :math:`[0, L)` on every
       axis, with the Gaussian :math:`g` of :func:`refpool.gaussian_taps`
       ``(sigma, truncate=4)``, size :math:`f_s = 2\,\mathrm{round}(4\sigma)+1`,
       centre :math:`c = (f_s-1)/2`, at stride :math:`s` with blur padding
       :math:`q` (default :math:`c`):

       .. math:: y[\mathbf{i}] = \sum_{\mathbf{u} \in [0, f_s)^m}
                 \Big(\prod_a g[u_a]\Big)\, M[\mathbf{i}\,s - q + \mathbf{u}]

    With the default :math:`q = c`, output :math:`i` is the blur *centred on*
    dense position :math:`i s`, the value :func:`refpool.max_pool` returns as its
    output :math:`i`: this operator is max_pool with an antialiasing blur, and
    has exactly max_pool's output shape for the same arguments.  No full-size
    dense map is materialised by the CPU and CUDA engines.

    Parameters
    ----------
    %(x_param)s
    kernel_size, stride, padding, dilation, ceil_mode
        As in :func:`refpool.max_pool` (``stride=None`` means ``kernel_size``;
        :math:`p \le \lfloor (d(k-1)+1)/2 \rfloor`).
    sigma : float
        Standard deviation of the blur in pixels (positive, finite); escnn's
        default 0.6 gives a 5-tap filter.
    blur_padding : int or tuple of int, optional
        Zero padding :math:`q \ge 0` of the dense map for the blur.  Default
        :math:`(f_s-1)/2`.  ``blur_padding = padding + (fs - 1)//2`` reproduces
        escnn/e2cnn exactly (see below).
    pad_type : {"zero", "circular"}
        ``"zero"``: the max windows read :math:`-\infty` beyond the input and the
        blur reads zeros beyond the dense map (the definition above).
        ``"circular"``: the input is read as periodic, :math:`x[j \bmod n]`, by
        the max windows, and the dense map is then defined at every integer
        position, :math:`M[j] = \max_t x[(j - p + t d) \bmod n]`, which the blur
        reads instead of zeros: ``np.pad(x, wrap)`` followed by the unpadded
        operator.  Same output shape.
    %(field_type_pointwise_param)s
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *o)``, dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **Output shape**, per axis.  Floor mode:
    :math:`o = \lfloor (L + 2q - f_s)/s \rfloor + 1`, which for :math:`q = c` is
    max_pool's :math:`\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1`.  Ceil mode:
    :math:`o = \lceil (L + 2q - f_s)/s \rceil + 1`, minus one when the last
    output's centre :math:`(o-1)s - q + c` lies at or beyond :math:`n + p`
    (its max window would start in the right padding): for :math:`q = c` this
    is exactly max_pool's ceil-mode rule.  The extra ceil-mode output is centred
    at or past the end of the dense map and reads its zero padding there; the
    dense map itself never contains partial windows (a stride-1 max pool has
    none, ceil mode or not).

    **Field types.**  The max acts channel by channel, so the operator commutes
    with the fiber action only for permutation representations (trivial,
    regular, quotient and their direct sums).

    **Exact equivariance.**  The dense map of a stride-1 max pool is always
    mirror-symmetric, and the Gaussian is symmetric, so reversing an axis
    commutes exactly with the operator when the blur's sampling grid is
    symmetric, :math:`(L + 2q - f_s) \bmod s = 0`; for :math:`q = c` that is
    max_pool's condition :math:`(n + 2p - d(k-1) - 1) \bmod s = 0`, under which
    ``ceil_mode`` changes nothing.  90° rotations also need equal arguments on
    the swapped axes.  Group: :math:`D_4` in 2-D, the octahedral group in 3-D.

    **Non-finite input.**  The max propagates NaN (a window with a NaN gives a
    NaN dense value), and the blur then spreads a NaN (or an infinity) of the
    dense map to every output whose filter support contains it; :math:`+\infty`
    and :math:`-\infty` meeting in one support give NaN.  A dense value is
    :math:`-\infty` only when its window holds no input element (possible with
    dilation) or only :math:`-\infty`.

    **Divergence from escnn/e2cnn.**  escnn pads the blur with
    :math:`p + (f_s-1)/2`, applying the max-pool padding :math:`p` a second
    time, so its real output length is :math:`\lfloor (n + 4p - d(k-1) - 1)/s
    \rfloor + 1` while its own ``evaluate_output_shape`` claims
    :math:`\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1`, and its output
    :math:`i` is centred on dense position :math:`i s - p`.  It also ignores
    ``ceil_mode`` (a stride-1 max pool has no partial windows) and rejects
    ``dilation`` other than the int 1 (even the tuple ``(1, 1)``).  refpool
    keeps max_pool's geometry by default; ``blur_padding=p + (fs-1)//2`` with
    ``ceil_mode=False`` gives escnn's output exactly.

    Examples
    --------
    The output has max_pool's shape for the same window arguments:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.zeros((2, 3, 7, 9))
    >>> refpool.antialiased_max_pool(x, 3, stride=2, padding=1, engine="reference").shape
    (2, 3, 4, 5)

    On a constant input the dense max map is constant too; the blur (5 taps for
    the default :math:`\sigma = 0.6`) keeps it inside and reads the zero padding
    of the dense map at the two ends:

    >>> y = refpool.antialiased_max_pool(np.ones((1, 1, 8)), 2, engine="reference")
    >>> np.round(y, 3).tolist()
    [[[0.832, 1.0, 1.0, 0.832]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="antialiased_max_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    sigma, spec = _args.antialiased_max_spec(x.shape[2:], kernel_size, stride, padding,
                                             dilation, ceil_mode, sigma, blur_padding,
                                             pad_type)
    check_pointwise_field_type(field_type, x.shape[1], "antialiased_max_pool")
    taps = _gaussian64(sigma, _args.MAX_TRUNCATE)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.blur.output_size),
                      _args.array_dtype(x), out)
    launch.run("antialiased", "antialiased_max_pool", launch.x, y,
               (taps,) * len(spec.dense_size), spec)
    return launch.result(y)


@replayable
@fill_doc
def blur_pool(x: ArrayIn, filt_size: int = 4, stride: Size = 2, pad_type: str = "reflect",
              pad_off: int = 0, *, ndim: Optional[int] = None, channels_last: bool = False,
              engine: Engine = "auto", out: Out = None) -> Array:
    r"""Binomial blur and subsample (antialiased-cnns ``BlurPool`` / ``BlurPool1D``).

    %(grid_equivariance)s

    Pads every spatial axis by :math:`b = \lfloor (f_s-1)/2 \rfloor + r` before
    and :math:`a = \lceil (f_s-1)/2 \rceil + r` after (:math:`r` = ``pad_off``),
    then cross-correlates with the binomial filter of
    :func:`refpool.binomial_kernel` at stride :math:`s`:

    .. math::

        y[n, c, \mathbf{i}] = \sum_{\mathbf{u} \in [0, f_s)^m}
            \Big(\prod_a \beta[u_a]\Big)\, \tilde{x}[n, c, \mathbf{i}\,s - b + \mathbf{u}],
        \qquad \beta[u] = \binom{f_s-1}{u} 2^{1-f_s}

    where :math:`\tilde{x}` extends the input by

    - ``"reflect"`` (alias ``"refl"``): mirror without repeating the edge,
      :math:`\tilde{x}[-j] = x[j]`, :math:`\tilde{x}[n-1+j] = x[n-1-j]`; needs
      :math:`a, b < n`;
    - ``"replicate"`` (alias ``"repl"``): repeat the edge value;
    - ``"zero"``: zeros;
    - ``"circular"``: the input read as periodic, :math:`\tilde{x}[j] = x[j \bmod n]`
      (any padding width), ``np.pad(x, (b, a), mode="wrap")``.

    ``filt_size = 1`` is plain subsampling of the padded input,
    ``x[..., ::stride]`` for ``pad_off = 0``.

    Parameters
    ----------
    %(x_param)s
        Upstream handles 1-D (``BlurPool1D``) and 2-D (``BlurPool``) only.
    filt_size : int or tuple of int
        Binomial filter size :math:`f_s \ge 1` (upstream: 1 to 7 only).
    stride : int or tuple of int
        Subsampling step :math:`s \ge 1`.
    pad_type : {"reflect", "refl", "replicate", "repl", "zero", "circular"}
    pad_off : int or tuple of int
        Extra padding :math:`r \ge 0` on both sides.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *o)``, dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **Output shape**, per axis: :math:`o = \lfloor (n - 1 + 2r)/s \rfloor + 1`,
    which is :math:`\lceil n/s \rceil` for ``pad_off = 0``.

    **Field types.**  Linear and the same on every channel: all field types.

    **Exact equivariance.**  The binomial filter is symmetric and every padding
    mode is mirror-symmetric; output :math:`i` is centred on input position
    :math:`i s - r + \delta`, with :math:`\delta = 0` for odd and
    :math:`\delta = 1/2` for even :math:`f_s`.  Reversing an axis commutes
    exactly when these centres are symmetric about the middle of the axis:

    - odd :math:`f_s`: :math:`(n - 1 + 2r) \bmod s = 0`;
    - even :math:`f_s`: the filter sits half a pixel off the input grid, which
      breaks mirror symmetry at stride 1 for every size; at :math:`s \ge 2` the
      offset is absorbed exactly when :math:`(n - 2 + 2r) \bmod s = 0` (the
      default ``filt_size=4, stride=2`` is mirror-exact for even :math:`n`
      only).

    90° rotations also need equal arguments on the swapped axes.  Group:
    :math:`D_4` in 2-D, the octahedral group in 3-D.

    **Non-finite input.**  As :func:`antialiased_avg_pool`: NaN/inf spread over
    the filter support (through the padding too, for reflect and replicate).
    Binomial weights are positive for every size below about 1075.

    **Divergence from antialiased-cnns.**  Upstream fails with
    ``UnboundLocalError`` for ``filt_size >= 8`` or an unknown ``pad_type``
    (which it only prints); refpool supports every size and raises
    ``ValueError``.  Upstream builds its filter in float32 (exact for these
    small binomials) and only handles 1-D and 2-D.

    Examples
    --------
    ``filt_size=3`` is the filter :math:`(1, 2, 1)/4`.  Reflect padding extends
    ``[0, 4, 8, 4, 0]`` to ``[4, 0, 4, 8, 4, 0, 4]``, and the windows centred on
    inputs 0, 2 and 4 give :math:`(4 + 0 + 4)/4`, :math:`(4 + 16 + 4)/4` and
    :math:`(4 + 0 + 4)/4`:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[0.0, 4.0, 8.0, 4.0, 0.0]]])
    >>> refpool.blur_pool(x, filt_size=3, stride=2, engine="reference").tolist()
    [[[2.0, 6.0, 2.0]]]

    ``filt_size=1`` is plain subsampling.  The output length is
    :math:`\lceil n/s \rceil`, with the defaults ``filt_size=4, stride=2`` too:

    >>> x = np.arange(7.0).reshape(1, 1, 7)
    >>> refpool.blur_pool(x, filt_size=1, stride=3, engine="reference").tolist()
    [[[0.0, 3.0, 6.0]]]
    >>> refpool.blur_pool(np.zeros((1, 1, 7, 8)), engine="reference").shape
    (1, 1, 4, 4)
    """
    caller = Caller(x, ndim, channels_last, engine, op="blur_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    spec = _args.blur_pool_spec(x.shape[2:], filt_size, stride, pad_type, pad_off)
    taps = tuple(_binomial64(f) for f in spec.size)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("antialiased", "blur_pool", launch.x, y, taps, spec)
    return launch.result(y)
