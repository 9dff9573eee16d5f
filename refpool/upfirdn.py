r"""Upsample, FIR filter, downsample: ``upfirdn`` (StyleGAN3's ``upfirdn2d``, in 1-3 D).

Along every spatial axis of an ``(N, C, *spatial)`` input, with upsampling factor
:math:`u`, downsampling factor :math:`s`, padding :math:`p_0, p_1` (negative: crop)
and filter taps :math:`f` of length :math:`T`:

1. **zero insertion**: :math:`z[q] = x[q/u]` where :math:`u \mid q`, else 0,
   for :math:`0 \le q < n u` (every sample followed by :math:`u - 1` zeros);
2. **pad or crop**: :math:`p_0` zeros before and :math:`p_1` after (a negative
   amount removes that many elements);
3. **filter**: the 'valid' convolution with :math:`f` (correlation with ``flip_filter=True``);
4. **downsample**: keep every :math:`s`-th output, starting at the first.

In one formula, with :math:`g = f` reversed (default) or :math:`g = f`
(``flip_filter=True``) and :math:`\gamma` the gain,

.. math::

    y[o] = \gamma \sum_{t=0}^{T-1} g[t]\, z[o s + t - p_0]
         = \gamma \sum_{i} x[i]\, g[i u + p_0 - o s], \qquad
    o = 0, \dots, \Big\lfloor \frac{n u + p_0 + p_1 - T}{s} \Big\rfloor,

(:math:`z` read as 0 outside :math:`[0, n u)`) and the n-D operator applies this
along every axis at once: a separable filter (1-D taps) is the outer product of its
taps over the axes, a non-separable one is an n-D kernel.

Argument rules (checked before any kernel runs, each error naming its argument) are
in :func:`upfirdn_spec`; the per-axis geometry, shared with the exactness rule of
:mod:`refpool.equivariance.rules` and the Dask wrapper, is :class:`UpfirdnAxis`.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple, Union

import numpy as np

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._typing import Array, ArrayIn, Engine, Optional, Out, Padding, Size

__all__ = ["upfirdn", "filtered_upsample", "filtered_downsample"]


# =========================================================================== geometry
class UpfirdnAxis(NamedTuple):
    """One spatial axis: ``n`` input samples, factors ``up`` and ``down``, padding
    ``before`` and ``after`` (negative: crop), ``taps`` filter taps."""

    n: int
    up: int
    down: int
    before: int
    after: int
    taps: int

    @property
    def output_length(self):
        """:math:`\\lfloor (n u + p_0 + p_1 - T) / s \\rfloor + 1` (at least 1 when valid)."""
        return (self.n * self.up + self.before + self.after - self.taps) // self.down + 1

    def first_tap(self, o):
        """``(t0, i0)``: the first tap ``t`` of output ``o`` that lands on a real input
        sample, and that sample's index; later ones are ``t0 + m u``, ``i0 + m``."""
        q = o * self.down - self.before           # upsampled position of tap 0
        t0 = max(-q, (-q) % self.up)              # q + t0 >= 0 and a multiple of u
        return t0, (q + t0) // self.up

    def taps_of(self, o):
        """The pairs ``(t, i)``: tap ``t`` of the correlation weights ``g`` meets input
        ``i`` at output ``o`` (the polyphase selection)."""
        t, i = self.first_tap(o)
        pairs = []
        while t < self.taps and i < self.n:
            pairs.append((t, i))
            t += self.up
            i += 1
        return tuple(pairs)

    def taps_circular(self, o):
        """The pairs ``(t, i)`` of :meth:`taps_of` for ``pad_type="circular"``: every tap
        ``t`` with ``o s - p_0 + t`` a multiple of ``u`` meets input ``i`` (taken
        modulo ``n``; repeated inputs appear once per tap)."""
        q = o * self.down - self.before
        t = (-q) % self.up
        return tuple((tt, ((q + tt) // self.up) % self.n)
                     for tt in range(t, self.taps, self.up))

    def input_range(self, start, stop):
        """The input range ``[lo, hi)`` read by the outputs ``[start, stop)``
        (clipped to the input)."""
        lo = -(-(start * self.down - self.before) // self.up)
        hi = ((stop - 1) * self.down - self.before + self.taps - 1) // self.up + 1
        return max(lo, 0), min(max(hi, 0), self.n)


class UpfirdnSpec(NamedTuple):
    """A validated call: per-axis factors and padding, the correlation weights.

    ``weights``: the float64 ``k``-D correlation kernel :math:`\\gamma g` (the filter
    reversed unless ``flip_filter``, separable taps expanded to their outer product,
    times the gain); ``separable``: whether ``f`` was 1-D taps; ``axis_taps``: for a
    separable filter, the per-axis float64 correlation taps whose outer product is
    ``weights`` (the gain on the last axis), else ``None``; ``mode``: ``"zero"`` or
    ``"circular"`` (``pad_type``).
    """

    input_size: tuple
    up: tuple
    down: tuple
    before: tuple
    after: tuple
    weights: np.ndarray
    separable: bool
    output_size: tuple
    axis_taps: tuple = None
    mode: str = "zero"

    def axis(self, b):
        return UpfirdnAxis(self.input_size[b], self.up[b], self.down[b], self.before[b],
                           self.after[b], self.weights.shape[b])

    @property
    def circular(self):
        return self.mode == "circular"


# =========================================================================== arguments
def check_padding(padding, k):
    """``padding``: an int, ``k`` ints, or ``k`` ``(before, after)`` pairs (ints may
    mix in); negative values crop.  Returns ``(before, after)`` tuples."""
    def one(v, what):
        if not _args._is_int(v):
            raise TypeError(f"padding must contain ints, got {v!r} in {what}")
        return _args.check_int_range(int(v), "padding", padding)
    if _args._is_int(padding):
        p = one(padding, "padding")
        return (p,) * k, (p,) * k
    if not isinstance(padding, (tuple, list)):
        raise TypeError(f"padding must be an int, a tuple of {k} ints or a tuple of {k} "
                        f"(before, after) pairs, got {padding!r}")
    if len(padding) != k:
        raise ValueError(f"padding must have one entry per spatial axis ({k}), got "
                         f"{padding!r}" + (" (one axis: write a (before, after) pair as "
                                           "((before, after),))" if k == 1 else ""))
    before, after = [], []
    for entry in padding:
        if isinstance(entry, (tuple, list)):
            if len(entry) != 2:
                raise ValueError(f"padding pairs must be (before, after), got {entry!r}")
            before.append(one(entry[0], entry))
            after.append(one(entry[1], entry))
        else:
            p = one(entry, padding)
            before.append(p)
            after.append(p)
    return tuple(before), tuple(after)


def check_filter(f, k):
    """``f``: 1-D taps or a ``k``-D kernel of real numbers, every axis non-empty, at
    most :data:`refpool.kernels.MAX_FILTER_ELEMENTS` values.  Returns it in float64
    and whether it is separable."""
    if _args.is_cuda_array(f):
        raise TypeError("f must be a host array (NumPy or a sequence of numbers), got a "
                        "CUDA array")
    try:
        a = np.asarray(f)
    except Exception as exc:                  # ragged lists and the like
        raise TypeError(f"f must be an array of real numbers: {exc}") from None
    if a.dtype == np.bool_ or a.dtype.kind not in "iuf":
        raise TypeError(f"f must hold real numbers (int or float), got dtype {a.dtype}")
    if a.ndim not in (1, k):
        raise ValueError(f"f must be 1-D taps (separable) or a {k}-D kernel (one axis per "
                         f"spatial axis of x), got a {a.ndim}-D array of shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"f must not be empty, got shape {a.shape}")
    if a.size > _args.MAX_FILTER_ELEMENTS or (a.ndim == 1 and a.size ** k >
                                              _args.MAX_FILTER_ELEMENTS):
        raise ValueError(f"f has too many values (shape {a.shape} on {k} axes), more than "
                         f"the limit of {_args.MAX_FILTER_ELEMENTS}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("f must hold finite values")
    return a, a.ndim == 1


def check_gain(gain):
    if isinstance(gain, bool) or not isinstance(gain, numbers.Real):
        raise TypeError(f"gain must be a real number, got {gain!r}")
    gain = float(gain)
    if not np.isfinite(gain):
        raise ValueError(f"gain must be finite, got {gain!r}")
    return gain


def upfirdn_spec(spatial_shape, f, up=1, down=1, padding=0, flip_filter=False, gain=1,
                 pad_type="zero"):
    """Validate an upfirdn call on an input of spatial shape ``spatial_shape``.

    Raises
    ------
    TypeError, ValueError
        A filter that is not 1-D or ``k``-D real numbers; ``up`` or ``down`` not
        positive ints; bad ``padding``; a non-bool ``flip_filter``; a non-finite
        ``gain``; a ``pad_type`` other than ``"zero"`` and ``"circular"``; an axis
        whose padded upsampled length :math:`n u + p_0 + p_1` is shorter than the
        filter (no output).
    """
    spatial = _args.check_spatial_shape(tuple(spatial_shape), "upfirdn")
    k = len(spatial)
    weights, separable = check_filter(f, k)
    up = _args.per_axis(up, k, "up", minimum=1)
    down = _args.per_axis(down, k, "down", minimum=1)
    before, after = check_padding(padding, k)
    flip_filter = _args.check_bool(flip_filter, "flip_filter")
    gain = check_gain(gain)
    mode = _args.check_pad_type(pad_type, _args.ZERO_OR_CIRCULAR)
    if separable:
        kernel = weights
        for _ in range(k - 1):
            kernel = np.multiply.outer(kernel, weights)
    else:
        kernel = weights
    if not flip_filter:
        kernel = kernel[(slice(None, None, -1),) * k]    # convolution: correlate with f reversed
    with np.errstate(over="ignore"):
        kernel = np.ascontiguousarray(kernel * gain)
    if not np.all(np.isfinite(kernel)):
        # an infinite weight would meet the inserted zeros (inf * 0) in the definition
        raise ValueError(f"gain={gain!r} times the filter overflows float64 (the kernel "
                         f"{'outer product ' if separable else ''}must stay finite)")
    size = []
    for b in range(k):
        length = spatial[b] * up[b] + before[b] + after[b]
        if length < kernel.shape[b]:
            raise ValueError(
                f"upfirdn: spatial axis {b} has n*up + padding = {spatial[b]}*{up[b]} + "
                f"{before[b]} + {after[b]} = {length} samples, fewer than the filter's "
                f"{kernel.shape[b]} taps: there is no output (reduce the cropping "
                f"(negative padding) or pad more)")
        size.append((length - kernel.shape[b]) // down[b] + 1)
    axis_taps = None
    if separable:
        taps = np.ascontiguousarray(weights[::-1] if not flip_filter else weights,
                                    dtype=np.float64)
        axis_taps = (taps,) * (k - 1) + (np.ascontiguousarray(taps * gain),)
    return UpfirdnSpec(spatial, up, down, before, after, kernel, separable,
                       _args.Extent(tuple(size), f"up={up!r}"), axis_taps, mode)


# =========================================================================== operator
@fill_doc
def upfirdn(x: ArrayIn, f: ArrayIn, up: Size = 1, down: Size = 1, padding: Padding = 0,
            flip_filter: bool = False, gain: float = 1, *, pad_type: str = "zero",
            ndim: Optional[int] = None, channels_last: bool = False, engine: Engine = "auto",
            out: Out = None) -> Array:
    r"""Upsample by zero insertion, pad, FIR filter, downsample: StyleGAN3's ``upfirdn2d``.

    %(grid_equivariance)s

    Along every spatial axis (factor :math:`u` up, :math:`s` down, padding
    :math:`p_0, p_1`, filter of :math:`T` taps), the input is upsampled by
    inserting :math:`u - 1` zeros after every sample (:math:`z[q u] = x[q]`, length
    :math:`n u`), padded with :math:`p_0` zeros before and :math:`p_1` after (a
    negative amount crops), convolved 'valid' with the filter and subsampled by
    :math:`s`:

    .. math::

        y[\mathbf{o}] = \gamma \sum_{\mathbf{t}} g[\mathbf{t}]\,
            z[\mathbf{o} \mathbf{s} + \mathbf{t} - \mathbf{p}_0], \qquad
        o_a = 0, \dots, \Big\lfloor \frac{n_a u_a + p_{0,a} + p_{1,a} - T_a}{s_a}
            \Big\rfloor,

    with :math:`g` the filter reversed along every axis (a true convolution), or
    the filter itself with ``flip_filter=True`` (a correlation, as
    ``torch.nn.functional.conv2d``), and :math:`\gamma` = ``gain``.  A separable
    filter (1-D taps :math:`f`) is the kernel :math:`f[t_1] \cdots f[t_k]`; the gain
    multiplies the result once (StyleGAN3 scales separable taps by
    :math:`\gamma^{1/2}` per axis in 2-D, the same product).  Only the taps that
    meet real input samples are summed (polyphase); the upsampled array is never
    built outside the reference engine.

    Parameters
    ----------
    %(x_param)s
    f : array_like of real numbers
        1-D taps applied along every spatial axis (separable), or a ``k``-D kernel
        (``k`` the number of spatial axes, the axes in ``x``'s spatial order).
    up : int or tuple of int
        Upsampling factor :math:`u \ge 1`, one for every axis or one per axis.
    down : int or tuple of int
        Downsampling factor :math:`s \ge 1`.
    padding : int, tuple of int, or tuple of (int, int)
        Zeros added before and after the upsampled signal: one int for both sides of
        every axis, one int per axis, or a ``(before, after)`` pair per axis (in the
        spatial order ``(D, H, W)``; StyleGAN3 lists ``[x0, x1, y0, y1]``, width
        first).  Negative values crop.  :math:`n u + p_0 + p_1 \ge T` is required.
    flip_filter : bool
        Correlate with ``f`` instead of convolving (``f`` not reversed).
    gain : float
        Factor :math:`\gamma` of the result (finite).  StyleGAN3 uses
        ``gain = up**2`` for 2-D upsampling to keep the mean.
    pad_type : {"zero", "circular"}
        What the filter reads outside the zero-inserted signal :math:`z`:
        ``"zero"`` (StyleGAN3's only mode) zeros; ``"circular"`` the signal
        continued periodically, :math:`z[q \bmod n u]` (the input read as
        periodic, period :math:`n` samples), so ``padding`` only places the
        windows and sets the output length (any width, even more than one
        period, and cropping alike).  The output shape does not depend on it.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *o)``, dtype of ``x``
        :math:`o_a = \lfloor (n_a u_a + p_{0,a} + p_{1,a} - T_a) / s_a \rfloor + 1`.

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **SciPy.**  ``scipy.signal.upfirdn(h, x, up, down)`` (the full convolution of the
    zero-inserted signal, without the :math:`u - 1` zeros after the last sample) is
    ``upfirdn(x, h, up, down, padding=(T - 1, T - u))`` in 1-D, same length
    :math:`\lceil ((n - 1) u + T) / s \rceil`.

    **Exact equivariance.**  Conservative: a grid symmetry is listed when, on every
    swapped pair of axes, ``up``, ``down``, both paddings and the filter lengths are
    equal; on every reversed axis :math:`(n - 1) u + 2 p_0 - (o - 1) s = T - 1`
    (the mirror image of the sample grid is the grid); and the kernel is invariant
    under the symmetry (a symmetric separable filter is under every one).

    **Circular shifts.**  With ``pad_type="circular"`` and :math:`u n` a multiple of
    :math:`s` on an axis (the output then covers whole periods: :math:`o s = n u`
    when the padding keeps the size, :math:`p_0 + p_1 = T - s`), shifting the input
    circularly by :math:`t` samples with :math:`t u` a multiple of :math:`s` shifts
    the output circularly by :math:`t u / s`, exactly
    (:func:`refpool.equivariance.exact_shifts` lists the steps).

    **Exactness.**  A linear map: the CPU and CUDA engines sum in float64 in the
    order of the taps and match the reference within the float tolerance.

    Examples
    --------
    A delta filter with ``up=2`` inserts zeros; ``[1, 1]`` with ``up=2`` repeats:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[1.0, 2.0, 3.0]]])
    >>> refpool.upfirdn(x, [1.0], up=2, engine="reference").tolist()
    [[[1.0, 0.0, 2.0, 0.0, 3.0, 0.0]]]
    >>> refpool.upfirdn(x, [1.0, 1.0], up=2, padding=((1, 0),), engine="reference").tolist()
    [[[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]]]

    Filter then keep every second sample (a 2-D call, separable taps):

    >>> y = refpool.upfirdn(np.ones((1, 1, 8, 8)), [0.25, 0.5, 0.25], down=2, padding=1)
    >>> y.shape, float(y[0, 0, 1, 1])
    ((1, 1, 4, 4), 1.0)
    """
    caller = Caller(x, ndim, channels_last, engine, op="upfirdn", integers=False)
    x = caller.x
    _args.check_input(x)
    spec = upfirdn_spec(tuple(x.shape[2:]), f, up, down, padding, flip_filter, gain,
                        pad_type)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("upfirdn", "upfirdn", launch.x, y, spec.weights, spec.up, spec.down,
               spec.before, spec.axis_taps, spec.mode == "circular")
    return launch.result(y)


# =========================================================================== resampling
class ResamplingSpec(NamedTuple):
    """A validated :func:`filtered_upsample` / :func:`filtered_downsample` call: the
    filter it designed (or was given) and the :class:`UpfirdnSpec` that runs it."""

    filter: np.ndarray
    upfirdn: UpfirdnSpec


def _check_numtaps(numtaps, default):
    if numtaps is None:
        return default
    return _args.check_filter_size(numtaps, "numtaps")


def _check_cutoff(cutoff, default):
    if cutoff is None:
        return default
    if isinstance(cutoff, bool) or not isinstance(cutoff, numbers.Real):
        raise TypeError(f"cutoff must be a real number, got {cutoff!r}")
    cutoff = float(cutoff)
    if not (0 < cutoff <= 1):
        raise ValueError(f"cutoff must satisfy 0 < cutoff <= 1 (a fraction of the Nyquist "
                         f"frequency of the finer grid), got {cutoff!r}")
    return cutoff


def resampling_filter(k, factor, filter="radial", numtaps=None, cutoff=None, width=None):
    """The filter of :func:`filtered_upsample` / :func:`filtered_downsample` on ``k``
    spatial axes with per-axis ``factor``: float64 1-D taps (separable) or a ``k``-D
    kernel (radial), summing to 1, or the given array.

    Defaults: ``numtaps = 12 max(factor)``, plus one when the factor is odd (``numtaps +
    factor`` even: the filter's centre lands on the half-pixel grid), ``cutoff =
    1 / max(factor)`` (the coarse grid's Nyquist frequency, in units of the fine grid's
    Nyquist), ``width = cutoff / 2`` (Kaiser window; the transition band ends at
    ``1.25 cutoff``).  ``"radial"`` needs the same factor on every axis.
    """
    from . import kernels
    if isinstance(filter, str):
        if filter not in ("radial", "separable"):
            raise ValueError(f"filter must be 'radial', 'separable' or an array of taps, "
                             f"got {filter!r}")
        top = max(factor)
        if filter == "radial" and len(set(factor)) > 1 and k > 1:
            raise ValueError(f"filter='radial' needs the same factor on every axis, got "
                             f"factor={factor!r}; use filter='separable'")
        numtaps = _check_numtaps(numtaps, 12 * top + top % 2)
        cutoff = _check_cutoff(cutoff, 1.0 / top)
        if width is None:
            width = cutoff / 2
        elif isinstance(width, bool) or not isinstance(width, numbers.Real) or \
                not np.isfinite(width) or width <= 0:
            raise ValueError(f"width must be a positive real number or None, got {width!r}")
        radial = filter == "radial" and k > 1
        return kernels.lowpass_filter(numtaps, cutoff, float(width), fs=2, radial=radial,
                                      ndim=k)
    if numtaps is not None or cutoff is not None or width is not None:
        raise ValueError("numtaps, cutoff and width design the 'radial' and 'separable' "
                         "filters; with an array filter leave them None")
    try:
        f, _ = check_filter(filter, k)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"filter: {exc}") from None
    return f


def _taps(f, k):
    return f.shape if f.ndim == k else (f.shape[0],) * k


def _half_pixel_up(f, factor):
    """StyleGAN3's upsampling padding: output ``o`` centred on input coordinate
    ``(o + 1/2)/u - 1/2`` (exactly when ``T + u`` is even), ``n u`` outputs."""
    return tuple(((t + u - 1) // 2, (t - u) // 2)
                 for t, u in zip(_taps(f, len(factor)), factor))


def _half_pixel_down(f, factor):
    """StyleGAN3's downsampling padding: output ``o`` centred on input coordinate
    ``(o + 1/2) s - 1/2`` (exactly when ``T + s`` is even), ``floor(n / s)`` outputs."""
    return tuple(((t - s + 1) // 2, (t - s) // 2)
                 for t, s in zip(_taps(f, len(factor)), factor))


def filtered_upsample_spec(spatial_shape, factor=2, filter="radial", numtaps=None,
                           cutoff=None, width=None, pad_type="zero"):
    """Validate :func:`filtered_upsample`: zero insertion by ``factor``, the filter with
    padding ``((T + u - 1)//2, (T - u)//2)``, gain ``prod(factor)``; output ``n u``."""
    spatial = _args.check_spatial_shape(tuple(spatial_shape), "filtered_upsample")
    k = len(spatial)
    factor = _args.per_axis(factor, k, "factor", minimum=1)
    f = resampling_filter(k, factor, filter, numtaps, cutoff, width)
    spec = upfirdn_spec(spatial, f, factor, 1, _half_pixel_up(f, factor), True,
                        float(math.prod(factor)), pad_type)
    return ResamplingSpec(f, spec)


def filtered_downsample_spec(spatial_shape, factor=2, filter="radial", numtaps=None,
                             cutoff=None, width=None, pad_type="zero"):
    """Validate :func:`filtered_downsample`: the filter with padding ``((T - s + 1)//2,
    (T - s)//2)``, every ``s``-th output from the first; output ``floor(n / s)``."""
    spatial = _args.check_spatial_shape(tuple(spatial_shape), "filtered_downsample")
    k = len(spatial)
    factor = _args.per_axis(factor, k, "factor", minimum=1)
    f = resampling_filter(k, factor, filter, numtaps, cutoff, width)
    if any(n < s for n, s in zip(spatial, factor)):
        raise ValueError(f"filtered_downsample: factor={factor!r} is larger than the input "
                         f"{spatial}: floor(n / factor) is 0 on some axis")
    spec = upfirdn_spec(spatial, f, 1, factor, _half_pixel_down(f, factor), True, 1.0,
                        pad_type)
    return ResamplingSpec(f, spec)


def _resample(op, spec_fn, x, factor, filter, numtaps, cutoff, width, pad_type, ndim,
              channels_last, engine, out):
    caller = Caller(x, ndim, channels_last, engine, op=op, integers=False)
    x = caller.x
    _args.check_input(x)
    spec = spec_fn(tuple(x.shape[2:]), factor, filter, numtaps, cutoff, width,
                   pad_type).upfirdn
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("upfirdn", "upfirdn", launch.x, y, spec.weights, spec.up, spec.down,
               spec.before, spec.axis_taps, spec.mode == "circular")
    return launch.result(y)


@fill_doc
def filtered_upsample(x: ArrayIn, factor: Size = 2, *, filter: Union[str, ArrayIn] = "radial",
                      numtaps: Optional[int] = None, cutoff: Optional[float] = None,
                      width: Optional[float] = None, pad_type: str = "zero",
                      ndim: Optional[int] = None, channels_last: bool = False,
                      engine: Engine = "auto", out: Out = None) -> Array:
    r"""Antialiased upsampling: insert zeros, then a (radial) low-pass filter.

    %(grid_equivariance)s

    Along every spatial axis, every sample is followed by :math:`u - 1` zeros
    (:math:`z[q u] = x[q]`), and :math:`z` is filtered with the low-pass filter
    :math:`h` of :math:`T` taps, times the gain :math:`\prod_a u_a` (the zeros divide
    the mean by it):

    .. math::

        y[\mathbf{o}] = \Big(\prod_a u_a\Big) \sum_{\mathbf{t}} h[\mathbf{t}]\,
            z[\mathbf{o} + \mathbf{t} - \mathbf{p}], \qquad
        p_a = \lfloor (T_a + u_a - 1)/2 \rfloor, \qquad 0 \le o_a < n_a u_a,

    i.e. :func:`refpool.upfirdn` ``(x, h, up=factor, padding=((T + u - 1)//2,
    (T - u)//2), flip_filter=True, gain=prod(factor))`` (StyleGAN3's ``upsample2d``
    padding), run by its engines.  The default filter
    is StyleGAN3's radial one: the windowed jinc of
    :func:`refpool.kernels.lowpass_filter` ``(numtaps, cutoff, width, radial=True)``,
    whose response depends on the frequency's magnitude only (up to the window), so
    rotating a band-limited input rotates the output.

    Parameters
    ----------
    %(x_param)s
    factor : int or tuple of int
        Upsampling factor :math:`u \ge 1` (the same on every axis for
        ``filter="radial"``).
    filter : {"radial", "separable"} or array_like
        ``"radial"``: the Kaiser-windowed radial jinc (2-D) or its 3-D analogue
        (the sinc in 1-D), a ``numtaps``-per-axis kernel; ``"separable"``: the
        Kaiser-windowed sinc taps (``scipy.signal.firwin``) on every axis; an array:
        1-D taps or a ``k``-D kernel, used as given (then ``numtaps``, ``cutoff`` and
        ``width`` must be None).
    numtaps : int, optional
        Taps per axis; default :math:`12 \max_a u_a`, plus one for an odd factor
        (StyleGAN3 uses :math:`6 u`; with the default ``width`` that short a Kaiser
        window is nearly rectangular and ripples by a few percent in the passband).
    cutoff : float, optional
        Cutoff in units of the output grid's Nyquist frequency (``fs=2``), in
        :math:`(0, 1]`; default :math:`1/\max_a u_a` (the input's Nyquist).
    width : float, optional
        Kaiser transition width, same units; default ``cutoff / 2``.
    pad_type : {"zero", "circular"}
        As in :func:`refpool.upfirdn`: zeros beyond the border, or the input read as
        periodic (then every circular shift by :math:`t` shifts the output by
        :math:`t u`, exactly).
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *(n u))``, dtype of ``x``
        :math:`n u`, as :func:`refpool.interpolate` ``(scale_factor=u)``.

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **Alignment.**  The half-pixel grid of :func:`refpool.interpolate`
    (``align_corners=False``) and StyleGAN3: output :math:`o` is centred on input
    coordinate :math:`(o + 1/2)/u - 1/2`, exactly when :math:`T + u` is even (the
    default ``numtaps`` makes it so; otherwise half an output sample off).
    :func:`filtered_downsample` uses the same grid, so a down-up round trip keeps
    positions.  (``scipy.signal.resample_poly`` puts output :math:`q u` on input
    :math:`q` instead, which is not mirror-symmetric for :math:`n u` outputs.)

    **Exact equivariance.**  The rule of :func:`refpool.upfirdn` for the call above:
    with a symmetric filter and :math:`T + u` even (the radial and separable
    designs with the default ``numtaps``) every grid symmetry with equal factors on
    swapped axes; with ``pad_type="circular"`` every circular shift by :math:`t`
    shifts the output by :math:`t u`, exactly.

    Examples
    --------
    A constant input stays constant inside (the gain restores the mean); with
    circular padding everywhere:

    >>> import numpy as np
    >>> import refpool
    >>> y = refpool.filtered_upsample(np.ones((1, 1, 8, 8)), 2, pad_type="circular")
    >>> y.shape, bool(np.allclose(y, 1.0))
    ((1, 1, 16, 16), True)
    """
    return _resample("filtered_upsample", filtered_upsample_spec, x, factor, filter, numtaps,
                     cutoff, width, pad_type, ndim, channels_last, engine, out)


@fill_doc
def filtered_downsample(x: ArrayIn, factor: Size = 2, *, filter: Union[str, ArrayIn] = "radial",
                        numtaps: Optional[int] = None, cutoff: Optional[float] = None,
                        width: Optional[float] = None, pad_type: str = "zero",
                        ndim: Optional[int] = None, channels_last: bool = False,
                        engine: Engine = "auto", out: Out = None) -> Array:
    r"""Antialiased downsampling: a (radial) low-pass filter, then every ``factor``-th
    sample.

    %(grid_equivariance)s

    .. math::

        y[\mathbf{o}] = \sum_{\mathbf{t}} h[\mathbf{t}]\,
            x[\mathbf{o}\mathbf{s} + \mathbf{t} - \mathbf{p}], \qquad
        p_a = \lfloor (T_a - s_a + 1)/2 \rfloor, \qquad
        0 \le o_a < \lfloor n_a / s_a \rfloor,

    (:math:`x` zero, or periodic, outside the input): output :math:`o` is the filter
    centred on input coordinate :math:`(o + 1/2) s - 1/2` (exactly when :math:`T + s`
    is even), the half-pixel grid of :func:`refpool.interpolate` and of
    :func:`filtered_upsample`, with interpolate's output length
    :math:`\lfloor n/s \rfloor` (``scale_factor=1/s``).  It is :func:`refpool.upfirdn`
    ``(x, h, down=factor, padding=((T - s + 1)//2, (T - s)//2), flip_filter=True)``
    (StyleGAN3's ``downsample2d`` padding).  Where :math:`s` divides :math:`n` the
    length is also :func:`refpool.antialiased_avg_pool`'s and
    :func:`refpool.blur_pool`'s :math:`\lceil n/s \rceil`, but those centre output
    :math:`o` on input :math:`o s`, half a pixel apart for :math:`s = 2`.

    Parameters
    ----------
    %(x_param)s
    factor : int or tuple of int
        Downsampling factor :math:`s \ge 1` (the same on every axis for
        ``filter="radial"``).
    filter, numtaps, width, pad_type
        As in :func:`filtered_upsample`.
    cutoff : float, optional
        Cutoff in units of the *input* grid's Nyquist frequency, in :math:`(0, 1]`;
        default :math:`1/\max_a s_a` (the output's Nyquist).
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *ceil(n / s))``, dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **Circular shifts.**  With ``pad_type="circular"`` and :math:`s \mid n`, a shift
    of the input by a multiple :math:`k s` of the factor shifts the output by
    :math:`k`, exactly (:func:`refpool.equivariance.exact_shifts`).

    **Exact equivariance.**  With :math:`s \mid n`, a symmetric filter and
    :math:`T + s` even (the defaults), every grid symmetry with equal factors on
    swapped axes.

    Examples
    --------
    >>> import numpy as np
    >>> import refpool
    >>> y = refpool.filtered_downsample(np.ones((1, 1, 9, 9)), 2, pad_type="circular")
    >>> y.shape, bool(np.allclose(y, 1.0))
    ((1, 1, 4, 4), True)
    """
    return _resample("filtered_downsample", filtered_downsample_spec, x, factor, filter,
                     numtaps, cutoff, width, pad_type, ndim, channels_last, engine, out)


def _resampling_magnitude(op, ax, args):
    """The conformance magnitude of a filtered_* call on ``|x|``: the same call with
    ``|h|`` (every term's absolute value)."""
    fn = filtered_upsample if op == "filtered_upsample" else filtered_downsample
    spec_fn = filtered_upsample_spec if op == "filtered_upsample" else filtered_downsample_spec
    keys = {k: args[k] for k in ("ndim", "channels_last") if k in args}
    caller = Caller(ax, keys.get("ndim"), keys.get("channels_last", False), "reference",
                    op=op)
    spec = spec_fn(tuple(caller.x.shape[2:]), args.get("factor", 2), args.get("filter",
                   "radial"), args.get("numtaps"), args.get("cutoff"), args.get("width"),
                   args.get("pad_type", "zero"))
    return fn(ax, args.get("factor", 2), filter=np.abs(spec.filter),
              pad_type=args.get("pad_type", "zero"), engine="reference", **keys)
