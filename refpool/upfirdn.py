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

import numbers
from typing import NamedTuple

import numpy as np

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._typing import Array, ArrayIn, Engine, Optional, Out, Padding, Size

__all__ = ["upfirdn"]


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
    ``weights`` (the gain on the last axis), else ``None``.
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

    def axis(self, b):
        return UpfirdnAxis(self.input_size[b], self.up[b], self.down[b], self.before[b],
                           self.after[b], self.weights.shape[b])


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


def upfirdn_spec(spatial_shape, f, up=1, down=1, padding=0, flip_filter=False, gain=1):
    """Validate an upfirdn call on an input of spatial shape ``spatial_shape``.

    Raises
    ------
    TypeError, ValueError
        A filter that is not 1-D or ``k``-D real numbers; ``up`` or ``down`` not
        positive ints; bad ``padding``; a non-bool ``flip_filter``; a non-finite
        ``gain``; an axis whose padded upsampled length :math:`n u + p_0 + p_1` is
        shorter than the filter (no output).
    """
    spatial = _args.check_spatial_shape(tuple(spatial_shape), "upfirdn")
    k = len(spatial)
    weights, separable = check_filter(f, k)
    up = _args.per_axis(up, k, "up", minimum=1)
    down = _args.per_axis(down, k, "down", minimum=1)
    before, after = check_padding(padding, k)
    flip_filter = _args.check_bool(flip_filter, "flip_filter")
    gain = check_gain(gain)
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
                       _args.Extent(tuple(size), f"up={up!r}"), axis_taps)


# =========================================================================== operator
@fill_doc
def upfirdn(x: ArrayIn, f: ArrayIn, up: Size = 1, down: Size = 1, padding: Padding = 0,
            flip_filter: bool = False, gain: float = 1, *, ndim: Optional[int] = None,
            channels_last: bool = False, engine: Engine = "auto", out: Out = None) -> Array:
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
    spec = upfirdn_spec(tuple(x.shape[2:]), f, up, down, padding, flip_filter, gain)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("upfirdn", "upfirdn", launch.x, y, spec.weights, spec.up, spec.down,
               spec.before, spec.axis_taps)
    return launch.result(y)
