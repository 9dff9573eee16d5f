r"""Per-axis geometry: which input positions each output of an operator reads.

Every spatial operator of refpool is separable in structure: along each spatial
axis, output ``i`` reads a fixed set of input positions, with or without
weights.  This module is the one place where those sets are written down, as
small per-axis objects answering what every consumer asks:

* the engines: output lengths, divisors, tap tables;
* the exactness rules of :mod:`refpool.equivariance`: the positions and weights
  of every output, to compare an axis with its mirror image;
* the halo planning of :mod:`refpool.dask`: the input range ``[lo, hi)`` read
  by a contiguous range of outputs.

=====================  ======================================================
object                 operators
=====================  ======================================================
:class:`WindowAxis`    max/avg pooling, norm max pooling, the dense max map of
                       antialiased max pooling
:class:`AdaptiveAxis`  adaptive pooling, ``interpolate(mode="area")``
:class:`FilterAxis`    strided filters: the Gaussian and binomial blurs
:class:`AxisTaps`      interpolation taps (:func:`interpolation_taps`)
:class:`FieldTable`    the channel layout of a field type
:class:`ChannelPool`   the channels each output of a channel pooling reads
                       (``max_pool_channels``, ``subgroup_pool``)
=====================  ======================================================

:class:`FractionalAxis` holds the windows of fractional max pooling (PyTorch's
interval rule, one window sequence per plane and sample).

Argument *validation* lives in :mod:`refpool._args`, which builds the
validated per-operator specs defined here (:class:`WindowSpec`,
:class:`FilterSpec`, ...); ``spec.axis(b)`` is the geometry of spatial axis
``b``.  Ranges are half-open and unclipped: positions below 0 or at/after the
input length are padding.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


def ceil_div(a, b):
    return -(-a // b)


# --------------------------------------------------------------------------- windows
def pool_output_length(n, k, s, p, d=1, ceil_mode=False, p_after=None):
    """Output length of a windowed pooling along one axis (PyTorch's rule, which
    ONNX Runtime follows), with padding ``p`` before and ``p_after`` (default ``p``)
    after the input.

    .. math::

        o = \\left\\lfloor \\frac{n + p + p' - d(k-1) - 1}{s} \\right\\rfloor + 1

    With ``ceil_mode`` the floor becomes a ceiling, and the last window is dropped
    when it would start inside the right padding, i.e. when
    :math:`(o-1)s \\ge n + p`.
    """
    p_after = p if p_after is None else p_after
    span = n + p + p_after - d * (k - 1) - 1
    if span < 0:
        return 0
    if ceil_mode:
        o = -(-span // s) + 1
        if (o - 1) * s >= n + p:
            o -= 1
    else:
        o = span // s + 1
    return o


def window_input_range(kernel, stride, padding, dilation, start, stop):
    r"""Input positions ``[lo, hi)`` read by outputs ``start .. stop-1`` of a window
    operator along one axis.

    Output :math:`i` reads :math:`i s - p + t d`, :math:`t = 0..k-1`, so outputs
    :math:`[a, b)` read

    .. math:: \big[a s - p,\; (b-1) s - p + d(k-1) + 1\big).

    This is the halo rule of max/avg pooling and norm max pooling; a filter at a
    stride (Gaussian, binomial) is a window with :math:`d = 1`, :math:`k` its
    size and :math:`p` the padding before the axis; the dense max map of
    antialiased max pooling is a window operator at stride 1.
    """
    return start * stride - padding, (stop - 1) * stride - padding + dilation * (kernel - 1) + 1


class WindowAxis(NamedTuple):
    """One axis of a windowed pooling: window ``i`` reads ``i*stride - padding + t*dilation``,
    ``t = 0 .. kernel - 1`` (positions outside ``[0, n)`` are padding).  ``padding`` is
    the padding before the input; ``padding_after`` (default: ``padding``) after it."""

    n: int
    kernel: int
    stride: int
    padding: int
    dilation: int = 1
    ceil_mode: bool = False
    padding_after: int | None = None

    @property
    def after(self):
        """The padding after the input."""
        return self.padding if self.padding_after is None else self.padding_after

    @property
    def output_length(self):
        return pool_output_length(self.n, self.kernel, self.stride, self.padding,
                                  self.dilation, self.ceil_mode, self.after)

    def positions(self, i):
        """The input positions inside ``[0, n)`` read by window ``i``, in scan order."""
        first = i * self.stride - self.padding
        return [q for q in range(first, first + self.dilation * (self.kernel - 1) + 1,
                                 self.dilation) if 0 <= q < self.n]

    def windows(self):
        """:meth:`positions` of every output."""
        return [self.positions(i) for i in range(self.output_length)]

    def input_range(self, start, stop):
        """Input positions ``[lo, hi)`` read by outputs ``start .. stop-1``
        (:func:`window_input_range`)."""
        return window_input_range(self.kernel, self.stride, self.padding, self.dilation,
                                  start, stop)

    def divisor_factors(self, count_include_pad):
        """The divisor factor of every output of an average pooling, as float64.

        The number of taps :math:`i s - p + t d` (:math:`0 \\le t < k`) inside
        :math:`[-p, n + p')` with ``count_include_pad`` (zero padding counts, a
        ceil-mode overhang past the padded border does not; with :math:`d = 1` this
        is PyTorch's ``he - hs``), inside :math:`[0, n)` without.  A window of
        padding only has factor 0 without ``count_include_pad``.
        """
        first = np.arange(self.output_length, dtype=np.int64) * self.stride - self.padding
        lo, hi = (-self.padding, self.n + self.after) if count_include_pad else (0, self.n)
        d = self.dilation
        t_lo = np.maximum(0, -((first - lo) // d))             # ceil((lo - first) / d)
        t_hi = np.minimum(self.kernel - 1, (hi - 1 - first) // d)
        return np.maximum(t_hi - t_lo + 1, 0).astype(np.float64)


class WindowSpec(NamedTuple):
    """Validated per-axis geometry of a windowed pooling (one entry per spatial axis).

    Window ``i`` along an axis reads input positions ``i*stride - padding + t*dilation``
    for ``t = 0 .. kernel - 1``.
    """

    input_size: tuple
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    ceil_mode: bool
    output_size: tuple
    padding_after: tuple | None = None     # None: the same as ``padding``

    @property
    def after(self):
        """The padding after the input, per axis."""
        return self.padding if self.padding_after is None else self.padding_after

    @property
    def symmetric(self):
        """Equal padding before and after the input on every axis."""
        return tuple(self.after) == tuple(self.padding)

    def axis(self, b):
        """The :class:`WindowAxis` of spatial axis ``b``."""
        return WindowAxis(self.input_size[b], self.kernel[b], self.stride[b],
                          self.padding[b], self.dilation[b], self.ceil_mode, self.after[b])


def avg_divisor_factors(spec, count_include_pad):
    """Per-axis divisor factors of an average pooling: :meth:`WindowAxis.divisor_factors`
    of every axis of ``spec``.  The divisor of an output pixel is the product over
    axes of its factors."""
    return tuple(spec.axis(b).divisor_factors(count_include_pad)
                 for b in range(len(spec.input_size)))


#: the definitions of :func:`refpool.lp_pool`
LP_VARIANTS = ("torch", "onnx")


def lp_scale_factors(spec, variant):
    """Per-axis factors by which :func:`refpool.lp_pool` scales each window's sum of
    powers before the root: PyTorch's ``prod(k) * avg_pool(x**p)`` is the sum scaled
    by :math:`k / D` per axis (:math:`D` the divisor with the padding counted, so 1
    but for a ceil-mode overhang); ONNX's definition is the plain sum (factors 1)."""
    return tuple(lp_axis_scale(spec.axis(b), variant) for b in range(len(spec.input_size)))


def lp_axis_scale(line, variant):
    """The scale factors of :func:`lp_scale_factors` along one :class:`WindowAxis`."""
    if variant == "onnx":
        return np.ones(line.output_length, dtype=np.float64)
    return line.kernel / line.divisor_factors(True)


class LpPoolSpec(NamedTuple):
    """Validated arguments of :func:`refpool.lp_pool`: the window geometry, the
    exponent :math:`p` and the definition (:data:`LP_VARIANTS`)."""

    window: WindowSpec
    norm_type: float
    variant: str

    @property
    def output_size(self):
        return self.window.output_size

    @property
    def absolute(self):
        """ONNX raises :math:`|x|` to the power; PyTorch raises :math:`x`."""
        return self.variant == "onnx"

    def scale_factors(self):
        return lp_scale_factors(self.window, self.variant)


# --------------------------------------------------------------------------- adaptive
def adaptive_bounds(n, o):
    """Start and end (exclusive) of the ``o`` adaptive windows over length ``n``.

    .. math:: [\\lfloor i n / o \\rfloor,\\ \\lceil (i+1) n / o \\rceil)

    Returned as two int64 arrays of length ``o``.
    """
    i = np.arange(o, dtype=np.int64)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    return start, end


def adaptive_input_range(n, o, start, stop):
    r"""Input positions ``[lo, hi)`` read by outputs ``start .. stop-1`` of an adaptive
    pooling of ``n`` positions to ``o``:

    .. math:: \big[\lfloor a n / o \rfloor,\; \lceil b n / o \rceil\big)
    """
    return (start * n) // o, -((-stop * n) // o)


class AdaptiveAxis(NamedTuple):
    """One axis of an adaptive pooling of ``n`` positions to ``o``."""

    n: int
    o: int

    @property
    def output_length(self):
        return self.o

    def windows(self):
        """The input positions of every window (:func:`adaptive_bounds`)."""
        start, end = adaptive_bounds(self.n, self.o)
        return [list(range(s, e)) for s, e in zip(start.tolist(), end.tolist())]

    def input_range(self, start, stop):
        """:func:`adaptive_input_range`."""
        return adaptive_input_range(self.n, self.o, start, stop)


# --------------------------------------------------------------------------- fractional
#: the sample component that drives each spatial axis of fractional max pooling, by
#: the number of spatial axes: PyTorch's ``fractional_max_pool2d`` reads
#: ``samples[..., 0]`` for the width and ``samples[..., 1]`` for the height (the
#: reverse of the axis order), ``fractional_max_pool3d`` reads them in axis order
#: (depth, height, width); refpool's 1-D rule is the 2-D one on a unit height
FRACTIONAL_SAMPLE_AXIS = {1: (0,), 2: (1, 0), 3: (0, 1, 2)}


def fractional_starts(u, n, o, k):
    r"""Window starts of fractional max pooling along one axis (PyTorch's interval rule).

    For a sample :math:`u \in [0, 1)`, with every operation rounded to the dtype of
    ``u`` (PyTorch's scalar type, which it requires to be the input's):

    .. math::

        \alpha = \mathrm{fl}\Big(\frac{\mathrm{fl}(n - k)}{\mathrm{fl}(o - 1)}\Big),
        \qquad
        s_i = \big\lfloor \mathrm{fl}(\mathrm{fl}(i + u)\,\alpha) \big\rfloor
              - \big\lfloor \mathrm{fl}(u\,\alpha) \big\rfloor
        \quad (0 \le i < o - 1), \qquad s_{o-1} = n - k,

    (the floors are C++ ``static_cast<int>`` truncations of non-negative values).
    Window :math:`i` reads :math:`[s_i, s_i + k)`.

    Parameters
    ----------
    u : ndarray of float16, float32 or float64
        Samples, any shape; the arithmetic runs in their dtype.
    n, o, k : int
        Input length, output length and kernel size of the axis (:math:`o + k - 1
        \le n`).

    Returns
    -------
    int64 ndarray, shape ``u.shape + (o,)``
        The starts; ``-1`` where the arithmetic overflows the dtype (float16 and
        lengths above 65504).  Validation (:func:`refpool._args.fractional_windows`)
        refuses starts outside :math:`[0, n - k]`.
    """
    u = np.asarray(u)
    starts = np.empty(u.shape + (o,), dtype=np.int64)
    starts[..., o - 1] = n - k
    if o > 1:
        real = u.dtype.type
        with np.errstate(over="ignore", invalid="ignore"):
            alpha = real(n - k) / real(o - 1)
            scaled = (np.arange(o - 1).astype(u.dtype) + u[..., None]) * alpha
            first = u[..., None] * alpha
            finite = np.isfinite(scaled) & np.isfinite(first)
            difference = (np.trunc(np.where(finite, scaled, 0))
                          - np.trunc(np.where(finite, first, 0)))
        starts[..., :o - 1] = np.where(finite, difference, -1).astype(np.int64)
    return starts


class FractionalAxis(NamedTuple):
    """One axis of a fractional max pooling: ``o`` windows of ``kernel`` samples over
    ``n``, starting where :func:`fractional_starts` says for a plane's sample."""

    n: int
    kernel: int
    o: int

    @property
    def output_length(self):
        return self.o

    def starts(self, u):
        """:func:`fractional_starts` of the samples ``u`` (any shape)."""
        return fractional_starts(u, self.n, self.o, self.kernel)

    def windows(self, u):
        """The input positions of every window for one sample ``u``."""
        return [list(range(s, s + self.kernel)) for s in self.starts(u).tolist()]

    def input_range(self, start, stop, u):
        """Input positions ``[lo, hi)`` read by outputs ``start .. stop-1`` in every
        plane whose sample is among ``u``: from the first start of the range to the
        end of its last window."""
        s = self.starts(np.asarray(u).reshape(-1))
        return int(s[:, start].min()), int(s[:, stop - 1].max()) + self.kernel


class FractionalSpec(NamedTuple):
    """Validated geometry of a fractional max pooling (one entry per spatial axis).

    ``samples`` (``(N, C, ndim)``, in the dtype of the interval arithmetic) and
    ``starts`` (per axis, the int64 window starts ``(N, C, o_b)`` of every plane) are
    ``None`` until :func:`refpool._args.fractional_windows` binds the samples.
    """

    input_size: tuple
    kernel: tuple
    output_size: tuple
    samples: object = None
    starts: tuple | None = None

    def axis(self, b):
        """The :class:`FractionalAxis` of spatial axis ``b``."""
        return FractionalAxis(self.input_size[b], self.kernel[b], self.output_size[b])

    def sample_axis(self, b):
        """The component of a plane's samples that drives spatial axis ``b``
        (:data:`FRACTIONAL_SAMPLE_AXIS`)."""
        return FRACTIONAL_SAMPLE_AXIS[len(self.input_size)][b]

    def axis_starts(self, samples):
        """Per axis, :meth:`FractionalAxis.starts` of the component of ``samples``
        (``(..., ndim)``) that drives it."""
        return tuple(self.axis(b).starts(np.asarray(samples)[..., self.sample_axis(b)])
                     for b in range(len(self.input_size)))


# --------------------------------------------------------------------------- strided filters
class FilterSpec(NamedTuple):
    """Validated per-axis geometry of a strided filter (one entry per spatial axis).

    Output ``i`` along an axis reads positions ``i*stride - before + u``,
    ``u = 0 .. size - 1``, of the input extended on both sides by ``mode``
    (``"zero"``, ``"reflect"``, ``"replicate"`` or ``"circular"``).  ``before`` and ``after``
    are the padding widths; ``after`` is at least what the last output reads.
    """

    input_size: tuple
    size: tuple
    stride: tuple
    before: tuple
    after: tuple
    mode: str
    output_size: tuple

    def axis(self, b):
        """The :class:`FilterAxis` of spatial axis ``b``."""
        return FilterAxis(self.input_size[b], self.size[b], self.stride[b], self.before[b],
                          self.after[b], self.mode)


class FilterAxis(NamedTuple):
    """One axis of a strided filter: output ``i`` reads positions ``i*stride - before + u``,
    ``u = 0 .. size - 1``, of the input extended on both sides by ``mode``."""

    n: int
    size: int
    stride: int
    before: int
    after: int
    mode: str = "zero"

    @property
    def output_length(self):
        return (self.n + self.before + self.after - self.size) // self.stride + 1

    def source(self, q):
        """The input position read at extended position ``q`` (None: zero padding).

        Reflection does not repeat the edge (the padding is narrower than the input);
        ``"circular"`` reads the input as periodic, ``q mod n`` (any padding width).
        """
        if 0 <= q < self.n:
            return q
        if self.mode == "zero":
            return None
        if self.mode == "circular":
            return q % self.n
        if self.mode == "replicate":
            return min(max(q, 0), self.n - 1)
        return -q if q < 0 else 2 * (self.n - 1) - q

    def taps(self, i):
        """``(u, position)`` of every tap of output ``i`` that reads the input."""
        first = i * self.stride - self.before
        return [(u, q) for u, q in ((u, self.source(first + u)) for u in range(self.size))
                if q is not None]

    def input_range(self, start, stop):
        """Extended positions ``[lo, hi)`` read by outputs ``start .. stop-1``: a window
        of ``size`` at stride ``stride`` with padding ``before``."""
        return window_input_range(self.size, self.stride, self.before, 1, start, stop)


class AntialiasedMaxSpec(NamedTuple):
    """Geometry of :func:`refpool.antialiased_max_pool`.

    ``window`` is the max pooling (its ``output_size`` is :func:`refpool.max_pool`'s),
    evaluated densely at stride 1 over ``dense_size = n + 2p - d(k-1)`` positions per
    axis; ``blur`` is the zero-padded Gaussian filter over that dense map, with the
    operator's stride and output size.
    """

    window: WindowSpec
    dense_size: tuple
    blur: FilterSpec


# --------------------------------------------------------------------------- interpolation
#: the per-axis tap rule (:func:`interpolation_taps`) of every
#: :func:`refpool.interpolate` mode except ``area`` (an adaptive average pooling)
INTERPOLATION_AXIS_RULE = {"nearest": "nearest", "nearest-exact": "nearest-exact",
                           "linear": "linear", "bilinear": "linear", "trilinear": "linear",
                           "bicubic": "cubic"}


#: Keys' cubic-convolution parameter: PyTorch (and OpenCV) use -0.75 without
#: antialiasing, -0.5 (PIL) with it
CUBIC_A = -0.75


CUBIC_A_ANTIALIAS = -0.5


def coordinate_scale(n, m, scale_factor=None, align_corners=False):
    """Coordinate scale :math:`r` of one axis: output coordinate times r is input coordinate.

    .. math::

        r = \\begin{cases}
            (n - 1) / (m - 1) & \\text{align\\_corners, } m > 1 \\\\
            0 & \\text{align\\_corners, } m = 1 \\\\
            1 / s & \\text{a scale factor } s \\text{ is used for the coordinates} \\\\
            n / m & \\text{otherwise}
        \\end{cases}

    Computed in float64.  The nearest modes round :math:`r` to the input's
    precision (see :func:`interpolation_taps`).
    """
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    if scale_factor is not None:
        return 1.0 / scale_factor
    return n / m


#: PyTorch 2.13 runs 2-D nearest modes on contiguous input through its
#: channels-last kernel when the output heights and widths sum to at most this
NEAREST_SMALL_OUTPUT = 128


def nearest_rule(mode, output_size):
    r"""Which source-index rule PyTorch 2.13 applies to a nearest mode.

    ``"small"`` for 2-D outputs with :math:`m_H + m_W \le 128` (PyTorch's
    channels-last kernel, used for such outputs even on contiguous input):
    the scale is rounded to float32 whatever the dtype, and ``nearest`` copies
    an axis with :math:`m = n` and halves the index (``j >> 1``) on an axis
    with :math:`m = 2n`, whatever the scale factor.  ``"generic"`` otherwise
    (every 1-D and 3-D output, larger 2-D outputs, and the other modes).
    """
    if (mode in ("nearest", "nearest-exact") and len(output_size) == 2
            and sum(output_size) <= NEAREST_SMALL_OUTPUT):
        return "small"
    return "generic"


class AxisTaps(NamedTuple):
    """Per-axis interpolation taps: ``y[j] = sum_k weight[j, k] * x[index[j, k]]``.

    ``index`` (int64) and ``weight`` (float64) have shape ``(m, K)``; only the
    first ``count[j]`` taps of output ``j`` exist (the rest hold index 0 and
    weight 0 and must be skipped, not multiplied: a skipped tap never turns an
    infinity into NaN).
    """

    index: np.ndarray
    weight: np.ndarray
    count: np.ndarray


def _fixed_taps(index, weight):
    index = np.ascontiguousarray(index, dtype=np.int64)
    weight = np.ascontiguousarray(weight, dtype=np.float64)
    return AxisTaps(index, weight, np.full(index.shape[0], index.shape[1], dtype=np.int64))


def _floor_f32(v):
    """``floor`` of ``v`` rounded to float32 first (PyTorch's ``floorf`` on a double)."""
    return np.floor(np.asarray(v, dtype=np.float64).astype(np.float32)).astype(np.int64)


def _nearest_index(n, m, r, exact, dtype, rule="generic"):
    j = np.arange(m)
    if rule == "small":
        r32 = np.float32(r)
        if not exact:
            if m == n:
                return j
            if m == 2 * n:
                return j >> 1
            src = j.astype(np.float32) * r32
        else:
            src = np.float64(r32) * (j + 0.5)           # exact; rounded by the floor
    elif np.dtype(dtype) == np.float32:
        r32 = np.float32(r)
        if not exact:
            src = j.astype(np.float32) * r32                       # one float32 rounding
        else:
            # r*(j + 1/2) - 1/2 with one rounding (a fused multiply-add): the
            # float64 value below is exact whenever it is >= 0, and it is clamped to 0
            # otherwise, so casting it rounds once
            src = (np.float64(r32) * (j + 0.5) - 0.5).astype(np.float32)
            src = np.maximum(src, np.float32(0)) + np.float32(0.5)
    else:
        src = j * r if not exact else np.maximum(r * (j + 0.5) - 0.5, 0.0) + 0.5
    return np.minimum(_floor_f32(src), n - 1)


def _cubic_weights(t, a):
    """Keys cubic-convolution weights of the taps at offsets -1, 0, 1, 2 from floor(src)."""
    def near(d):      # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):       # 1 <= |d| <= 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=1)


def _antialias_taps(n, m, r, interp_size, filt):
    support = interp_size / 2 * r if r >= 1 else interp_size / 2
    invscale = 1 / r if r >= 1 else 1.0
    width = int(math.ceil(support)) * 2 + 1
    center = r * (np.arange(m) + 0.5)
    lo = np.maximum(np.trunc(center - support + 0.5).astype(np.int64), 0)
    hi = np.minimum(np.trunc(center + support + 0.5).astype(np.int64), n)
    count = np.clip(hi - lo, 0, width)
    k = np.arange(width)
    inside = k[None, :] < count[:, None]
    w = np.where(inside, filt((k[None, :] + lo[:, None] - center[:, None] + 0.5) * invscale),
                 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, 1.0), w)
    index = np.where(inside, lo[:, None] + k[None, :], 0)
    return AxisTaps(np.ascontiguousarray(index, dtype=np.int64), np.ascontiguousarray(w),
                    count.astype(np.int64))


def _triangle(d):
    d = np.abs(d)
    return np.where(d < 1, 1 - d, 0.0)


def _keys_filter(d, a=CUBIC_A_ANTIALIAS):
    d = np.abs(d)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d < 1, near, np.where(d < 2, far, 0.0))


def interpolation_taps(mode, n, m, r, align_corners=False, antialias=False,
                       dtype=np.float64, rule="generic"):
    """Source indices and weights of one axis of an interpolation (the CPU and CUDA
    engines' tables, through :func:`resample_taps` of an ``arithmetic="torch"``
    :class:`ResampleAxis`; the reference engine derives its own, coordinate by
    coordinate).

    Parameters
    ----------
    mode : {"nearest", "nearest-exact", "linear", "cubic"}
        The per-axis rule (``"linear"`` for linear/bilinear/trilinear,
        ``"cubic"`` for bicubic).
    n, m : int
        Input and output length.
    r : float
        Coordinate scale from :func:`coordinate_scale`.
    align_corners, antialias : bool
    dtype : float32 or float64
        The input dtype: the nearest modes compute their source index in its
        precision, as PyTorch does.
    rule : {"generic", "small"}
        The nearest modes' index rule, from :func:`nearest_rule`.

    Returns
    -------
    AxisTaps
    """
    j = np.arange(m)
    if mode in ("nearest", "nearest-exact"):
        idx = _nearest_index(n, m, r, mode == "nearest-exact", dtype, rule)
        return _fixed_taps(idx[:, None], np.ones((m, 1)))
    if antialias:
        if m == n:                           # PyTorch skips such axes: a copy
            return _fixed_taps(j[:, None], np.ones((m, 1)))
        if mode == "linear":
            return _antialias_taps(n, m, r, 2, _triangle)
        return _antialias_taps(n, m, r, 4, _keys_filter)
    if mode == "linear":
        if m == n:                           # PyTorch's copy: taps (j, j), weights (1, 0)
            return _fixed_taps(np.stack([j, j], axis=1),
                               np.stack([np.ones(m), np.zeros(m)], axis=1))
        src = r * j if align_corners else np.maximum(r * (j + 0.5) - 0.5, 0.0)
        i0 = np.minimum(_floor_f32(src), n - 1)
        lam = np.clip(src - i0, 0.0, 1.0)
        i1 = np.minimum(i0 + 1, n - 1)
        return _fixed_taps(np.stack([i0, i1], axis=1), np.stack([1 - lam, lam], axis=1))
    if mode == "cubic":
        src = r * j if align_corners else r * (j + 0.5) - 0.5
        i0 = np.minimum(_floor_f32(src), n - 1)
        t = np.clip(src - i0, 0.0, 1.0)
        idx = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, n - 1)
        return _fixed_taps(idx, _cubic_weights(t, CUBIC_A))
    raise ValueError(f"unknown per-axis interpolation rule {mode!r}")


def taps_input_range(taps, start, stop):
    """Input positions ``[lo, hi)`` read by outputs ``start .. stop-1`` of per-axis
    interpolation taps (an :class:`AxisTaps`): from the smallest to the largest
    index among their live taps (the first ``count[j]`` of output ``j``)."""
    index = taps.index[start:stop]
    live = np.arange(index.shape[1])[None, :] < taps.count[start:stop, None]
    used = index[live]
    return int(used.min()), int(used.max()) + 1


# --------------------------------------------------------------------------- resampling
#: coordinate modes of :func:`refpool.resample` (ONNX Resize's
#: ``coordinate_transformation_mode``; :func:`source_coordinates` gives the maps)
COORDINATE_MODES = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                    "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                    "tf_crop_and_resize")

#: rounding rules of ``filter="nearest"`` (:func:`nearest_source_index`): ONNX's four,
#: and PyTorch's ``nearest`` / ``nearest-exact`` (their own coordinate maps, in the
#: input's precision: :func:`_nearest_index`)
RESAMPLE_NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                          "torch", "torch_exact")

#: which outputs :func:`refpool.resample` sets to ``extrapolation_value``:
#: ``"samples"``, source coordinate outside :math:`[0, n-1]` (ONNX
#: ``tf_crop_and_resize``); ``"cells"``, outside :math:`[-\tfrac12, n-\tfrac12]`
#: (TensorFlow's and JAX's ``scale_and_translate``); ``"none"``
EXTRAPOLATE_RULES = ("samples", "cells", "none")


def _box(d):
    """The box kernel: 1 inside :math:`|d| < 1/2`, 1/2 on the edges (TensorFlow's)."""
    d = np.abs(d)
    return np.where(d < 0.5, 1.0, np.where(d == 0.5, 0.5, 0.0))


def _bc_filter(d, b, c):
    """Mitchell-Netravali cubic with parameters B, C (support 2)."""
    d = np.abs(d)
    near = ((12 - 9 * b - 6 * c) * d ** 3 + (-18 + 12 * b + 6 * c) * d ** 2 + (6 - 2 * b)) / 6
    far = ((-b - 6 * c) * d ** 3 + (6 * b + 30 * c) * d ** 2 + (-12 * b - 48 * c) * d
           + (8 * b + 24 * c)) / 6
    return np.where(d < 1, near, np.where(d < 2, far, 0.0))


def _lanczos(d, a):
    """Lanczos window of ``a`` lobes: :math:`\\mathrm{sinc}(d)\\,\\mathrm{sinc}(d/a)`, |d| < a."""
    d = np.abs(d)
    return np.where(d < a, np.sinc(d) * np.sinc(d / a), 0.0)


#: TensorFlow's Gaussian kernel: :math:`\sigma = 1/2`, cut at radius 3/2
GAUSSIAN_SIGMA, GAUSSIAN_RADIUS = 0.5, 1.5


def _gaussian(d):
    d = np.abs(d)
    return np.where(d < GAUSSIAN_RADIUS, np.exp(-d * d / (2 * GAUSSIAN_SIGMA ** 2)), 0.0)


def _hamming(d):
    """PIL's Hamming-windowed sinc of support 1: :math:`\\mathrm{sinc}(d)(0.54 + 0.46
    \\cos \\pi d)`."""
    d = np.abs(d)
    return np.where(d < 1, np.sinc(d) * (0.54 + 0.46 * np.cos(np.pi * d)), 0.0)


#: the filters of :func:`refpool.resample` by name, with their support (half-width)
#: :math:`S` (the filter is 0 for :math:`|d| \ge S`); ``cubic`` reads
#: ``cubic_coeff_a``.  ``nearest`` and ``area`` are not kernels (see
#: :func:`resample_taps`).
RESAMPLE_FILTERS = {
    "nearest": None, "area": None,
    "box": 0.5, "linear": 1.0, "cubic": 2.0, "mitchell": 2.0, "catmull_rom": 2.0,
    "gaussian": GAUSSIAN_RADIUS, "lanczos3": 3.0, "lanczos4": 4.0, "lanczos5": 5.0,
    "hamming": 1.0,
}


def resample_filter(filter, cubic_coeff_a=CUBIC_A):
    """``(h, S)``: the kernel of a :func:`refpool.resample` filter as a vectorised
    function of the offset :math:`d` (in input samples, before widening) and its
    support :math:`S`.  ``filter`` is a name of :data:`RESAMPLE_FILTERS` (not
    ``nearest``/``area``), ``("bc", B, C)`` or ``("kernel", h, S)``."""
    if isinstance(filter, tuple):
        if filter[0] == "bc":
            b, c = filter[1], filter[2]
            return (lambda d: _bc_filter(d, b, c)), 2.0
        return filter[1], float(filter[2])
    support = RESAMPLE_FILTERS[filter]
    kernels = {
        "box": _box, "linear": _triangle,
        "cubic": lambda d: _keys_filter(d, cubic_coeff_a),
        "mitchell": lambda d: _bc_filter(d, 1 / 3, 1 / 3),
        "catmull_rom": lambda d: _bc_filter(d, 0.0, 0.5),
        "gaussian": _gaussian, "hamming": _hamming,
        "lanczos3": lambda d: _lanczos(d, 3), "lanczos4": lambda d: _lanczos(d, 4),
        "lanczos5": lambda d: _lanczos(d, 5),
    }
    return kernels[filter], support


def source_coordinates(mode, n, m, scale, translation=0.0, roi=(0.0, 1.0)):
    r"""Source coordinate :math:`x` of every output :math:`j = 0 \dots m-1` of one axis
    (ONNX Resize's coordinate transformations, in its order of operations, float64).

    With :math:`u = j - t` (``translation`` :math:`t`, 0 but for JAX's
    ``scale_and_translate``) and the scale :math:`s`:

    ==========================  ================================================
    ``half_pixel``              :math:`(u + \tfrac12)/s - \tfrac12`
    ``half_pixel_symmetric``    the same plus :math:`\tfrac n2 (1 - \tfrac{m}{s n})`
    ``pytorch_half_pixel``      ``half_pixel``, but :math:`0` when :math:`m = 1`
    ``align_corners``           :math:`u (n - 1)/(m - 1)`, :math:`0` when :math:`m = 1`
    ``asymmetric``              :math:`u / s`
    ``tf_half_pixel_for_nn``    :math:`(u + \tfrac12)/s`
    ``tf_crop_and_resize``      :math:`a(n-1) + u (b - a)(n-1)/(m-1)`,
                                :math:`\tfrac12(a + b)(n-1)` when :math:`m = 1`
    ==========================  ================================================

    (``roi`` :math:`= (a, b)`).  Every map is affine in :math:`j`.
    """
    u = np.arange(m, dtype=np.float64) - translation
    if mode == "half_pixel":
        return (u + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        offset = n / 2 * (1 - m / (scale * n))
        return offset + (u + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (u + 0.5) / scale - 0.5 if m > 1 else np.zeros(m)
    if mode == "align_corners":
        return u * (n - 1) / (m - 1) if m > 1 else np.zeros(m)
    if mode == "asymmetric":
        return u / scale
    if mode == "tf_half_pixel_for_nn":
        return (u + 0.5) / scale
    if mode == "tf_crop_and_resize":
        start, end = roi
        if m == 1:
            return np.full(m, 0.5 * (start + end) * (n - 1))
        return start * (n - 1) + u * (end - start) * (n - 1) / (m - 1)
    raise ValueError(f"unknown coordinate mode {mode!r}")


def nearest_source_index(x, n, nearest_mode):
    """The input index of ``filter="nearest"`` at source coordinates ``x``: rounded
    (ties to the lower index for ``round_prefer_floor``, the upper for
    ``round_prefer_ceil``), or floor, or ceiling, then clamped to :math:`[0, n-1]`."""
    low = np.floor(x)
    frac = x - low                                   # exact
    if nearest_mode == "round_prefer_floor":
        idx = np.where(frac <= 0.5, low, low + 1)
    elif nearest_mode == "round_prefer_ceil":
        idx = np.where(frac < 0.5, low, low + 1)
    elif nearest_mode == "floor":
        idx = low
    else:
        idx = np.ceil(x)
    return np.clip(idx, 0, n - 1).astype(np.int64)


#: tap rules of a :class:`ResampleAxis`: ``"general"``, :func:`resample_taps`' own
#: (float64 coordinate maps, any filter); ``"torch"``, PyTorch's
#: (:func:`interpolation_taps`: the axes of :func:`refpool.interpolate`)
RESAMPLE_ARITHMETICS = ("general", "torch")


class ResampleAxis(NamedTuple):
    """One axis of :func:`refpool.resample`: ``n`` samples to ``m`` at scale ``scale``.

    ``r`` is the coordinate scale of PyTorch's rules (:math:`1/s` for a given
    scale, :math:`n/m` otherwise; :func:`coordinate_scale`); ``roi`` the axis'
    ``(start, end)``.

    ``arithmetic="torch"`` makes the axis one of :func:`refpool.interpolate`
    (:func:`torch_axis` builds it): its taps are :func:`interpolation_taps` of
    :attr:`torch_mode`, with ``r``, ``antialias``, align_corners (``coordinate_mode
    == "align_corners"``) and the nearest modes' ``nearest_rule`` (``"small"`` or
    ``"generic"``, :func:`nearest_rule`); ``scale``, ``cubic_coeff_a`` and the
    coordinate map then only describe the axis.  Such an axis has no empty and no
    extrapolated output.
    """

    n: int
    m: int
    scale: float
    coordinate_mode: str = "half_pixel"
    filter: object = "linear"
    antialias: bool = False
    exclude_outside: bool = False
    nearest_mode: str = "round_prefer_floor"
    cubic_coeff_a: float = CUBIC_A
    translation: float = 0.0
    roi: tuple = (0.0, 1.0)
    extrapolate: str = "none"
    r: float = 1.0
    arithmetic: str = "general"
    nearest_rule: str = "generic"

    @property
    def output_length(self):
        return self.m

    @property
    def torch_mode(self):
        """The :func:`interpolation_taps` rule of a ``"torch"`` axis: ``"nearest"``,
        ``"nearest-exact"`` (``filter="nearest"`` with ``nearest_mode`` ``"torch"``,
        ``"torch_exact"``), ``"linear"`` or ``"cubic"`` (the filter)."""
        if self.filter == "nearest":
            return "nearest-exact" if self.nearest_mode == "torch_exact" else "nearest"
        return self.filter

    @property
    def widening(self):
        """The factor :math:`f` by which the filter is widened: :math:`1/s` with
        antialias when :math:`s < 1`, else 1."""
        return 1.0 / self.scale if self.antialias and self.scale < 1 else 1.0

    def coordinates(self):
        """:func:`source_coordinates` of this axis."""
        return source_coordinates(self.coordinate_mode, self.n, self.m, self.scale,
                                  self.translation, self.roi)

    def outside(self):
        """Boolean ``(m,)``: the outputs set to ``extrapolation_value``."""
        if self.extrapolate == "none":
            return np.zeros(self.m, dtype=bool)
        x = self.coordinates()
        if self.extrapolate == "samples":
            return (x < 0) | (x > self.n - 1)
        if self.extrapolate == "cells":
            return (x < -0.5) | (x > self.n - 0.5)
        return np.zeros(self.m, dtype=bool)

    def taps(self, dtype=np.float64):
        """:func:`resample_taps` of this axis."""
        return resample_taps(self, dtype)

    def empty(self):
        """Boolean ``(m,)``: the outputs without any tap (every candidate outside the
        input with ``exclude_outside``, or weights summing to 0): they are 0, set by
        the engines after the sums (the placeholder tap is never relied on).  PyTorch's
        taps (``arithmetic="torch"``) are never normalised away: none."""
        if self.filter == "nearest" or self.arithmetic == "torch":
            return np.zeros(self.m, dtype=bool)
        t = self.taps()
        return (t.count == 1) & (t.weight[:, 0] == 0)

    def input_range(self, start, stop):
        """:func:`taps_input_range` of this axis' taps."""
        return taps_input_range(self.taps(), start, stop)


def resample_taps(axis, dtype=np.float64):
    r"""The :class:`AxisTaps` of one :class:`ResampleAxis` (the CPU and CUDA
    engines' tables; the reference engine evaluates the same rules on its own).

    ``nearest``: one tap, :func:`nearest_source_index` of the source coordinate
    (``torch``/``torch_exact``: :func:`_nearest_index`).  ``area``: the input
    samples :math:`p` whose cell :math:`[p - \tfrac12, p + \tfrac12]` meets the
    output cell :math:`[x - \tfrac1{2s}, x + \tfrac1{2s}]`, weighted by the length
    of the overlap.  A kernel :math:`h` of support :math:`S`, widened by
    :math:`f` (:attr:`ResampleAxis.widening`): the samples :math:`|p - x| \le S f`,
    weighted :math:`h((p - x)/f)`.  With ``exclude_outside`` the taps outside
    :math:`[0, n)` are dropped, otherwise their index is clamped to the edge; the
    weights are normalised to sum 1 and the taps of weight 0 dropped.  An output
    with no tap left gets one tap of weight 0 (:meth:`ResampleAxis.empty`: the
    engines set it to 0 afterwards, so an infinity under it never makes a NaN).

    An axis with ``arithmetic="torch"`` has PyTorch's taps instead, exactly
    :func:`interpolation_taps` (:attr:`ResampleAxis.torch_mode`, ``r``,
    align_corners, ``antialias``, the input ``dtype`` and ``nearest_rule``).
    """
    n, m = axis.n, axis.m
    if axis.arithmetic == "torch":
        return interpolation_taps(axis.torch_mode, n, m, axis.r,
                                  axis.coordinate_mode == "align_corners", axis.antialias,
                                  dtype, axis.nearest_rule)
    if axis.arithmetic not in RESAMPLE_ARITHMETICS:
        raise ValueError(f"unknown tap arithmetic {axis.arithmetic!r}, "
                         f"expected one of {RESAMPLE_ARITHMETICS}")
    if axis.filter == "nearest":
        if axis.nearest_mode in ("torch", "torch_exact"):
            idx = _nearest_index(n, m, axis.r, axis.nearest_mode == "torch_exact", dtype)
        else:
            idx = nearest_source_index(axis.coordinates(), n, axis.nearest_mode)
        return _fixed_taps(idx[:, None], np.ones((m, 1)))
    x = axis.coordinates()
    # candidates one wider than needed on each side; which of them are taps is
    # decided by the weight itself (a positive overlap, |p - x| <= S f), so rounding
    # in the bounds cannot lose a tap
    if axis.filter == "area":
        half = 0.5 / axis.scale
        reach = half + 0.5
    else:
        h, support = resample_filter(axis.filter, axis.cubic_coeff_a)
        f = axis.widening
        reach = support * f
    lo = np.floor(x - reach).astype(np.int64)
    hi = np.ceil(x + reach).astype(np.int64)                    # inclusive
    if axis.exclude_outside:
        lo, hi = np.maximum(lo, 0), np.minimum(hi, n - 1)
    width = max(int((hi - lo + 1).max()), 1)
    p = lo[:, None] + np.arange(width)[None, :]
    live = p <= hi[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        if axis.filter == "area":
            overlap = (np.minimum(x[:, None] + half, p + 0.5)
                       - np.maximum(x[:, None] - half, p - 0.5))
            w = np.where(live, np.maximum(overlap, 0.0), 0.0)
        else:
            live &= np.abs(p - x[:, None]) <= reach
            w = np.where(live, h((p - x[:, None]) / f), 0.0)
        total = w.sum(axis=1, keepdims=True)
        w = np.where(total != 0, w / np.where(total != 0, total, 1.0), 0.0)
    # the taps of nonzero weight, first in each row (a skipped tap is never multiplied)
    keep = w != 0
    order = np.argsort(~keep, axis=1, kind="stable")
    w = np.take_along_axis(w, order, axis=1)
    p = np.take_along_axis(p, order, axis=1)
    count = keep.sum(axis=1)
    width = max(int(count.max()), 1)
    w, p = w[:, :width], p[:, :width]
    index = np.where(np.arange(width)[None, :] < count[:, None], np.clip(p, 0, n - 1), 0)
    return AxisTaps(np.ascontiguousarray(index, dtype=np.int64), np.ascontiguousarray(w),
                    np.maximum(count, 1).astype(np.int64))


def torch_axis(mode, n, m, r, align_corners=False, antialias=False, rule="generic"):
    """The :class:`ResampleAxis` of one axis of :func:`refpool.interpolate`: PyTorch's
    taps (``arithmetic="torch"``) of the per-axis ``mode`` (``"nearest"``,
    ``"nearest-exact"``, ``"linear"``, ``"cubic"``: :data:`INTERPOLATION_AXIS_RULE`),
    ``n`` samples to ``m`` at coordinate scale ``r``.

    The descriptive fields follow PyTorch's maps: ``asymmetric`` for nearest,
    ``half_pixel`` for nearest-exact and the filters (``align_corners`` with
    align_corners), ``scale`` :math:`1/r` (:math:`m/n` with align_corners),
    ``cubic_coeff_a`` -0.75 (-0.5 with antialias).
    """
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        return ResampleAxis(n, m, 1.0 / r, "half_pixel" if exact else "asymmetric",
                            "nearest", nearest_mode="torch_exact" if exact else "torch",
                            r=r, arithmetic="torch", nearest_rule=rule)
    if mode not in ("linear", "cubic"):
        raise ValueError(f"unknown per-axis interpolation rule {mode!r}")
    return ResampleAxis(n, m, m / n if align_corners else 1.0 / r,
                        "align_corners" if align_corners else "half_pixel", mode,
                        antialias=antialias,
                        cubic_coeff_a=CUBIC_A_ANTIALIAS if antialias else CUBIC_A,
                        r=r, arithmetic="torch")


class ResampleSpec(NamedTuple):
    """Validated geometry of one :func:`refpool.resample` call: one
    :class:`ResampleAxis` per spatial axis, and the value of extrapolated outputs."""

    axes: tuple
    extrapolation_value: float = 0.0
    culprit: str = ""           # the argument that sets the output size, for messages

    @property
    def input_size(self):
        return tuple(a.n for a in self.axes)

    @property
    def output_size(self):
        from ._args import Extent
        return Extent((a.m for a in self.axes), self.culprit or None)

    @property
    def nearest(self):
        return self.axes[0].filter == "nearest"

    def axis(self, b):
        return self.axes[b]


# --------------------------------------------------------------------------- fields
class FieldTable(NamedTuple):
    """The channel layout of a field type as plain int64 arrays, one entry per field.

    This is what the engines of :mod:`refpool.field_pooling` receive instead of a
    ``FieldType``: field ``f`` occupies the channels ``start[f] .. start[f] + size[f] - 1``
    and is read as ``size[f] // block[f]`` consecutive blocks of ``block[f]``
    channels (``block[f] == size[f]``, one block, unless the field is read as an
    induced representation).
    """

    start: np.ndarray
    size: np.ndarray
    block: np.ndarray


def field_table(field_type, *, induced=False):
    """The :class:`FieldTable` of ``field_type`` (validated by :mod:`refpool._fieldcheck`).

    With ``induced=True`` every field must be an induced representation and
    ``block`` holds the size :math:`d` of the subgroup representation it was
    induced from (1 for regular and quotient representations).
    """
    fields = field_type.fields
    start = np.fromiter((f.start for f in fields), dtype=np.int64, count=len(fields))
    size = np.fromiter((f.stop - f.start for f in fields), dtype=np.int64, count=len(fields))
    if induced:
        block = np.fromiter((r.induction.block_size for r in field_type.representations),
                            dtype=np.int64, count=len(fields))
    else:
        block = size.copy()
    return FieldTable(start, size, block)


def invariant_output_shape(x_shape, field_type):
    """``(N, number_of_fields, *spatial)``: one invariant channel per field."""
    return (int(x_shape[0]), len(field_type.representations)) + tuple(x_shape[2:])


class ChannelPool(NamedTuple):
    """A pooling across channels, pixel by pixel (``max_pool_channels``,
    ``subgroup_pool``), as the engines receive it.

    Output channel ``o`` reduces the input channels ``table[o, 0], table[o, 1], ...``
    in that order: their maximum (max_pool's selection rule, the scan in table order),
    or with ``average`` their float64 sum in table order divided by the row length.
    """

    table: np.ndarray       # int64, (output channels, channels per output)
    average: bool

    @property
    def output_channels(self):
        return int(self.table.shape[0])


def consecutive_channels(channels, kernel_size):
    """The table of ``max_pool_channels``: output ``o`` reads the ``kernel_size``
    consecutive channels ``o*k .. o*k + k - 1`` (``channels`` a multiple of ``k``)."""
    return np.arange(channels, dtype=np.int64).reshape(channels // kernel_size, kernel_size)


def subgroup_channels(field_type, restriction):
    """The table of ``subgroup_pool``: ``restriction`` (``(|H|, [G:H])``, from
    :func:`refpool.groups._cosets.regular_restriction`) repeated for every regular field,
    shifted to the field's first channel; field ``f`` gives outputs ``f*|H| ..
    (f+1)*|H| - 1``."""
    starts = np.array([f.start for f in field_type.fields], dtype=np.int64)
    return (starts[:, None, None] + restriction[None]).reshape(-1, restriction.shape[1])
