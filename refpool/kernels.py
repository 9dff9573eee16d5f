r"""Radial smoothing filters: sampled Gaussians and binomial filters.

These are the filters behind the antialiased poolings of
:mod:`refpool.antialiased`, exposed so that a backend can build exactly the
same weights.  Every filter is separable: the n-D kernel is the outer product
of its 1-D taps, and it is symmetric about its centre, so (for odd sizes) it is
invariant under every grid reflection and axis permutation.

Filters are computed in float64 and cast once to ``dtype``.

Sizes are bounded so that an absurd argument fails at once with a ``ValueError``
naming it, instead of hanging or asking for hundreds of GiB: a filter holds at
most :data:`MAX_FILTER_ELEMENTS` values (``2**26``, 512 MiB in float64), a
binomial filter has at most :data:`MAX_BINOMIAL_SIZE` taps, and an n-D kernel
has at most as many axes as a NumPy array can have (``ndim <= 64`` with NumPy 2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from . import _args

__all__ = ["gaussian_taps", "gaussian_kernel", "binomial_taps", "binomial_kernel",
           "lowpass_filter"]

#: The most values one filter (1-D taps or n-D kernel) may hold: 2**26, 512 MiB in float64.
MAX_FILTER_ELEMENTS = _args.MAX_FILTER_ELEMENTS     # the operators apply it too

#: The largest binomial filter size.  Beyond about 1,075 taps the outer taps of row
#: ``size - 1`` of Pascal's triangle, divided by ``2**(size - 1)``, underflow to exactly 0
#: in float64; at 2**14 taps about 70 % of them do, so a larger size describes no filter
#: that a smaller one (or :func:`gaussian_taps` with ``sigma = sqrt(size - 1) / 2``) does
#: not describe better.  :func:`refpool.blur_pool` applies it to ``filt_size``.
MAX_BINOMIAL_SIZE = _args.MAX_BINOMIAL_SIZE


def gaussian_taps(sigma: float, truncate: float = 3.0, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""1-D sampled Gaussian, truncated and normalised to sum 1.

    .. math::

        f_s = 2\,\operatorname{round}(t\sigma) + 1, \qquad c = \frac{f_s - 1}{2},
        \qquad g[i] = \frac{e^{-(i-c)^2 / 2\sigma^2}}
                           {\sum_{j=0}^{f_s-1} e^{-(j-c)^2 / 2\sigma^2}},
        \quad i = 0, \dots, f_s - 1

    where ``round`` is Python's :func:`round` (half to even) and :math:`t` is
    ``truncate``.  This is the filter of e2cnn/escnn's antialiased poolings:
    ``PointwiseAvgPoolAntialiased`` uses :math:`t = 3`,
    ``PointwiseMaxPoolAntialiased`` uses :math:`t = 4`.

    Sizes for common sigmas (note the half-to-even rounding at 0.5 and 1.5):

    ======== ======== ======== ==========================================
    sigma    t = 3    t = 4    remark
    ======== ======== ======== ==========================================
    0.5      5        5        3 * 0.5 = 1.5 rounds to 2
    0.6      5        5        escnn's default for antialiased max pooling
    2/3      5        7
    1.0      7        9
    1.5      9        13       3 * 1.5 = 4.5 rounds to 4
    2.0      13       17
    ======== ======== ======== ==========================================

    A tiny ``sigma`` gives the limit of the Gaussian, a delta: whenever
    :math:`f_s = 1` (:math:`t\sigma \le 0.5`, e.g. ``sigma=1e-200``) the result is
    the single tap ``[1.0]``.  The exponent is evaluated without squaring
    ``sigma`` when :math:`2\sigma^2` would underflow, so the taps never become
    NaN.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels, positive and finite.  ``fs`` may not exceed
        :data:`MAX_FILTER_ELEMENTS` (about ``sigma <= 1.1e7`` for ``t = 3``).
    truncate : float
        Radius of the filter in standard deviations (:math:`t \ge 0`).
    dtype : floating dtype
        dtype of the result (the taps are computed in float64).

    Returns
    -------
    ndarray, shape (fs,)
        Symmetric, positive taps summing to 1 (up to rounding).

    Raises
    ------
    ValueError
        If ``sigma`` is not positive and finite, or the filter would have more than
        :data:`MAX_FILTER_ELEMENTS` taps (the message names ``sigma``).

    Examples
    --------
    >>> gaussian_taps(0.6).size, gaussian_taps(1.0).size, gaussian_taps(1.0, truncate=4).size
    (5, 7, 9)
    """
    sigma = _args.isfinite_positive(sigma, "sigma")
    truncate = _args.check_truncate(truncate)
    dtype = _args.check_filter_dtype(dtype)
    _check_elements(_gaussian_size(sigma, truncate), 1, "gaussian_taps", value=sigma)
    return _gaussian64(sigma, truncate).astype(dtype)


def gaussian_kernel(sigma: float, ndim: int = 2, truncate: float = 3.0,
                    dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""n-D sampled Gaussian: the outer product of :func:`gaussian_taps`.

    .. math::

        G[i_1, \dots, i_m] = \prod_{a=1}^{m} g[i_a]
            \;\propto\; e^{-\lVert \mathbf{i} - \mathbf{c} \rVert^2 / 2\sigma^2}

    The product of 1-D Gaussians is the radial Gaussian sampled on the grid, so
    this equals e2cnn/escnn's directly built kernel
    :math:`e^{-|r|^2/2\sigma^2}` (normalised) up to rounding.  It is radial in
    the continuum and separable on the grid; its sum is 1 up to rounding.

    Parameters
    ----------
    sigma, truncate, dtype
        As in :func:`gaussian_taps`.
    ndim : int
        Number of axes, ``1 <= ndim <=`` NumPy's maximum number of array dimensions
        (64 with NumPy 2), and ``fs ** ndim`` at most :data:`MAX_FILTER_ELEMENTS`.

    Returns
    -------
    ndarray, shape (fs,) * ndim

    Raises
    ------
    ValueError
        If ``ndim`` exceeds NumPy's limit, or the kernel would have more than
        :data:`MAX_FILTER_ELEMENTS` values (the message names ``ndim`` and ``sigma``).
    """
    sigma = _args.isfinite_positive(sigma, "sigma")
    ndim = _check_ndim(ndim)
    truncate = _args.check_truncate(truncate)
    dtype = _args.check_filter_dtype(dtype)
    _check_elements(_gaussian_size(sigma, truncate), ndim, "gaussian_kernel", value=sigma)
    return _outer(_gaussian64(sigma, truncate), ndim).astype(dtype)


def binomial_taps(size: int, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""1-D binomial filter: row :math:`f_s - 1` of Pascal's triangle, normalised.

    .. math::

        b[i] = \binom{f_s - 1}{i} \Big/ 2^{f_s - 1}, \qquad i = 0, \dots, f_s - 1

    This is the filter of antialiased-cnns' ``BlurPool`` ("Making Convolutional
    Networks Shift-Invariant Again"), which hard-codes sizes 1 to 7; here every
    size >= 1 works (the binomial coefficients are exact integers, divided once).
    By the central limit theorem it approximates a Gaussian of variance
    :math:`(f_s-1)/4`, i.e. :math:`\sigma = \sqrt{f_s - 1}/2`:

    ====== ============================ ==========
    size   taps x 2^(fs-1)              sigma
    ====== ============================ ==========
    1      1                            0
    2      1 1                          0.5
    3      1 2 1                        0.707
    4      1 3 3 1                      0.866
    5      1 4 6 4 1                    1.0
    7      1 6 15 20 15 6 1             1.225
    ====== ============================ ==========

    Even sizes have their centre between two pixels: filtering with them shifts
    the signal by half a pixel, which breaks mirror symmetry.

    Sizes above about 1,075 have outer taps that underflow to exactly 0 in
    float64; sizes above :data:`MAX_BINOMIAL_SIZE` (``2**14``), where most taps
    do, are refused.

    Parameters
    ----------
    size : int
        Filter size :math:`1 \le f_s \le` :data:`MAX_BINOMIAL_SIZE`.
    dtype : floating dtype

    Returns
    -------
    ndarray, shape (size,)

    Raises
    ------
    ValueError
        If ``size`` is below 1 or above :data:`MAX_BINOMIAL_SIZE` (the message names
        ``size``).
    """
    size = _check_binomial_size(size)
    dtype = _args.check_filter_dtype(dtype)
    return _binomial64(size).astype(dtype)


def binomial_kernel(size: int, ndim: int = 2, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""n-D binomial filter: the outer product of :func:`binomial_taps`.

    .. math:: B[i_1, \dots, i_m] = \prod_{a=1}^{m} b[i_a]

    ``binomial_kernel(fs, 2)`` is antialiased-cnns' ``BlurPool`` filter.

    Parameters
    ----------
    size : int
        Filter size per axis, as in :func:`binomial_taps`.
    ndim : int
        Number of axes, ``1 <= ndim <=`` NumPy's maximum number of array dimensions
        (64 with NumPy 2), and ``size ** ndim`` at most :data:`MAX_FILTER_ELEMENTS`.
    dtype : floating dtype

    Returns
    -------
    ndarray, shape (size,) * ndim

    Raises
    ------
    ValueError
        For a ``size`` refused by :func:`binomial_taps`, an ``ndim`` above NumPy's
        limit, or a kernel of more than :data:`MAX_FILTER_ELEMENTS` values (the
        message names ``ndim`` and ``size``).
    """
    size = _check_binomial_size(size)
    ndim = _check_ndim(ndim)
    dtype = _args.check_filter_dtype(dtype)
    _check_elements(size, ndim, "binomial_kernel", what="size", value=size)
    return _outer(_binomial64(size), ndim).astype(dtype)


def lowpass_filter(numtaps: int, cutoff: float, width: float | None = None, fs: float = 2,
                   radial: bool = False, ndim: int = 2,
                   dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Windowed ideal low-pass filter: separable (windowed sinc) or radial (windowed jinc).

    With :math:`n` = ``numtaps``, :math:`c = (n - 1)/2` the centre,
    :math:`f_c` = ``cutoff / fs`` the cutoff in cycles per sample and :math:`w[i]`
    the window (below), the filters are

    * ``radial=False``: the 1-D taps (whatever ``ndim``; apply them along every axis)

      .. math::

          h[i] = \frac{w[i]\, 2 f_c \operatorname{sinc}(2 f_c (i - c))}
                      {\sum_j w[j]\, 2 f_c \operatorname{sinc}(2 f_c (j - c))},
          \qquad \operatorname{sinc}(t) = \frac{\sin \pi t}{\pi t},

      which is ``scipy.signal.firwin(numtaps, cutoff, width=width, fs=fs)``
      (the filter of StyleGAN3's separable up/downsampling), shape ``(numtaps,)``;
    * ``radial=True``: the ideal radial low-pass of the plane or space, sampled at
      the distance :math:`r = \lVert \mathbf{i} - \mathbf{c} \rVert` (in samples)
      from the centre, windowed by the outer product of the 1-D window and
      normalised to sum 1, shape ``(numtaps,) * ndim``:

      .. math::

          H[\mathbf{i}] \propto \Big(\prod_a w[i_a]\Big)\, K(r), \qquad
          K_1(r) = \frac{\sin(a r)}{\pi r}, \quad
          K_2(r) = \frac{J_1(a r)}{\pi r}, \quad
          K_3(r) = \frac{\sin(a r) - a r \cos(a r)}{2 \pi^2 r^3}, \quad a = 2\pi f_c,

      with the limits :math:`K_1(0) = a/\pi`, :math:`K_2(0) = a/2\pi = f_c`,
      :math:`K_3(0) = a^3/6\pi^2`.  :math:`K_m` is the inverse Fourier transform of
      the indicator of the ball of radius :math:`f_c` in :math:`m` dimensions; ``ndim=2``
      is StyleGAN3's ``design_lowpass_filter(..., radial=True)`` (the jinc),
      ``ndim=1`` equals the separable filter.

    The window is the Kaiser window ``np.kaiser(numtaps, beta)`` when ``width`` is
    given, with Kaiser's design formulas for the transition width
    :math:`\Delta = ` ``width / (fs / 2)``:

    .. math::

        A = 2.285\,(n - 1)\,\pi\,\Delta + 7.95, \qquad
        \beta = \begin{cases} 0.1102\,(A - 8.7) & A > 50 \\
                              0.5842\,(A - 21)^{0.4} + 0.07886\,(A - 21) & 21 < A \le 50 \\
                              0 & A \le 21 \end{cases}

    (``scipy.signal.kaiser_atten`` and ``kaiser_beta``), and the symmetric Hamming
    window :math:`0.54 - 0.46\cos(2\pi i/(n - 1))` (firwin's default) when
    ``width`` is None.  The radial filters are invariant under every grid
    symmetry (axis reversals and permutations) and sum to 1.

    Parameters
    ----------
    numtaps : int
        Taps per axis, ``>= 1``; ``numtaps ** ndim`` (radial) at most
        :data:`MAX_FILTER_ELEMENTS`.
    cutoff : float
        Cutoff frequency in the units of ``fs``, ``0 < cutoff <= fs / 2``
        (``cutoff = fs / 2`` with an odd ``numtaps`` is the delta).
    width : float, optional
        Transition band width in the units of ``fs`` (``> 0``); selects the
        Kaiser window.  None: the Hamming window.
    fs : float
        Sampling rate, positive and finite (default 2: ``cutoff`` is then the
        fraction of the Nyquist frequency, as in firwin).
    radial : bool
        Build the ``ndim``-D radial filter instead of the 1-D separable taps.
    ndim : int
        Number of axes of a radial filter, 1 to 3 (checked also when
        ``radial=False``, where the result is 1-D).
    dtype : floating dtype
        dtype of the result (computed in float64).

    Returns
    -------
    ndarray, shape (numtaps,) or (numtaps,) * ndim

    Raises
    ------
    TypeError
        If ``numtaps`` or ``ndim`` is not an int, or ``cutoff``, ``width`` or ``fs``
        is not a real number.
    ValueError
        If ``numtaps < 1``, ``cutoff`` is outside ``(0, fs/2]``, ``width <= 0``,
        ``fs <= 0``, ``ndim`` is outside 1..3, or the filter is too large (the
        message names the argument).

    Examples
    --------
    >>> h = lowpass_filter(7, 0.5)
    >>> h.shape, round(float(h.sum()), 12), bool(np.allclose(h, h[::-1]))
    ((7,), 1.0, True)
    >>> lowpass_filter(6, 1.0, width=0.8, fs=4, radial=True).shape
    (6, 6)
    """
    numtaps = _args.check_filter_size(numtaps, "numtaps")
    fs = _args.isfinite_positive(fs, "fs")
    cutoff = _args.isfinite_positive(cutoff, "cutoff")
    if cutoff > fs / 2:
        raise ValueError(f"cutoff must satisfy 0 < cutoff <= fs / 2 = {fs / 2!r}, got {cutoff!r}")
    if width is not None:
        width = _args.isfinite_positive(width, "width")
    radial = _args.check_bool(radial, "radial")
    ndim = _args.check_kernel_ndim(ndim)
    if ndim > 3:
        raise ValueError(f"ndim must be 1, 2 or 3, got {ndim!r}")
    dtype = _args.check_filter_dtype(dtype)
    _check_elements(numtaps, ndim if radial else 1, "lowpass_filter", what="numtaps",
                    value=numtaps)
    return _lowpass64(numtaps, cutoff / fs, None if width is None else width / fs,
                      ndim if radial else 0).astype(dtype)


def _kaiser_beta(numtaps, width):
    """Kaiser's beta for ``numtaps`` taps and a transition width in cycles per sample."""
    # Kaiser's empirical formulas; the width is normalised to Nyquist (x2) as in scipy
    atten = 2.285 * (numtaps - 1) * np.pi * (2.0 * width) + 7.95
    if atten > 50:
        return 0.1102 * (atten - 8.7)
    if atten > 21:
        return 0.5842 * (atten - 21) ** 0.4 + 0.07886 * (atten - 21)
    return 0.0


# --------------------------------------------------------------------------- helpers
def _numpy_max_ndim():
    """The most dimensions a NumPy array may have (64 with NumPy 2, 32 before)."""
    for limit in (64, 32):
        try:
            np.empty((1,) * limit, dtype=np.uint8)
        except ValueError:
            continue
        return limit
    return 32  # pragma: no cover - no NumPy has fewer


_MAX_NDIM = _numpy_max_ndim()


def _check_ndim(ndim):
    """``ndim`` of an n-D filter: an int, 1 <= ndim <= NumPy's limit."""
    ndim = _args.check_kernel_ndim(ndim)
    if ndim > _MAX_NDIM:
        raise ValueError(f"ndim must be at most {_MAX_NDIM} (the most dimensions a NumPy array "
                         f"can have), got {ndim!r}")
    return ndim


def _check_binomial_size(size):
    return _args.check_binomial_size(size, "size")


def _gaussian_size(sigma, truncate):
    """``fs`` of a validated ``(sigma, truncate)``; ValueError naming sigma if it overflows."""
    return _args.check_gaussian_radius(sigma, truncate)


def _check_elements(size, ndim, op, what="sigma", value=None):
    """A filter of ``size`` taps per axis on ``ndim`` axes must fit MAX_FILTER_ELEMENTS."""
    if size > MAX_FILTER_ELEMENTS or (ndim > 1 and size ** ndim > MAX_FILTER_ELEMENTS):
        shape = f"{size} taps" if ndim == 1 else f"{size}**{ndim} values (ndim={ndim})"
        named = f"{what}={value!r}" if value is not None else what
        raise ValueError(f"{op}: {named} gives a filter of {shape}, more than the limit of "
                         f"{MAX_FILTER_ELEMENTS} values (refpool.kernels.MAX_FILTER_ELEMENTS); "
                         f"reduce {what}" + (" or ndim" if ndim > 1 else ""))


def _gaussian64(sigma, truncate):
    """Validated-argument float64 Gaussian taps (used by the operators too).

    A one-tap filter is the delta ``[1.0]`` for every sigma (the limit of a narrow
    Gaussian); when ``2 sigma**2`` underflows the exponent is evaluated as
    ``-((i - c) / sigma)**2 / 2``, which cannot produce 0/0.
    """
    fs = _gaussian_size(sigma, truncate)
    if fs == 1:
        return np.ones(1, dtype=np.float64)
    centre = (fs - 1) / 2.0
    i = np.arange(fs, dtype=np.float64)
    denominator = 2.0 * sigma * sigma
    if denominator >= np.finfo(np.float64).tiny:
        g = np.exp(-((i - centre) ** 2) / denominator)
    else:
        with np.errstate(over="ignore"):
            g = np.exp(-0.5 * ((i - centre) / sigma) ** 2)
    return g / g.sum()


def _binomial64(size):
    """Exact binomial coefficients over 2**(size-1), each rounded once to float64.

    The coefficients come from the recurrence C(n, i+1) = C(n, i) (n - i) / (i + 1) in
    exact integers, half a row only (the row is symmetric): linear in the number of
    big-integer operations, where calling ``math.comb`` per tap is quadratic.
    """
    size = _check_binomial_size(size)       # the operators check first; never 1 << 10**15
    n = size - 1
    denominator = 1 << n
    half = size // 2 + size % 2             # taps 0 .. ceil(size/2) - 1
    taps = np.empty(size, dtype=np.float64)
    c = 1
    for i in range(half):
        # int / int true division is correctly rounded in Python, even for huge ints
        taps[i] = taps[n - i] = c / denominator
        c = c * (n - i) // (i + 1)
    return taps


def _outer(taps, ndim):
    kernel = taps
    for _ in range(ndim - 1):
        kernel = np.multiply.outer(kernel, taps)
    return kernel



def _window(numtaps, width):
    """Symmetric Kaiser (width in cycles per sample) or Hamming (width None) window."""
    if width is None:
        return np.hamming(numtaps)
    return np.kaiser(numtaps, _kaiser_beta(numtaps, width))


def _lowpass64(numtaps, fc, width, ndim):
    """float64 low-pass filter of validated arguments; ``fc``, ``width`` in cycles per
    sample; ``ndim = 0`` gives the separable 1-D taps, 1..3 the radial filter."""
    w = _window(numtaps, width)
    t = np.arange(numtaps, dtype=np.float64) - (numtaps - 1) / 2.0
    if ndim == 0:
        # firwin's order of operations (sinc times window, then divide by the DC gain)
        h = 2 * fc * np.sinc(2 * fc * t) * w
        return h / h.sum()
    r = np.sqrt(sum(np.square(g) for g in np.meshgrid(*([t] * ndim), indexing="ij")))
    a = 2 * np.pi * fc
    k = np.empty_like(r)
    centre = r == 0
    rr = np.where(centre, 1.0, r)           # no 0/0 at the centre; its value is the limit
    if ndim == 1:
        k[...] = np.sin(a * rr) / (np.pi * rr)
        k[centre] = a / np.pi
    elif ndim == 2:
        from scipy.special import j1        # scipy only when a radial filter is asked for
        k[...] = j1(a * rr) / (np.pi * rr)
        k[centre] = fc
    else:
        ar = a * rr
        # sin x - x cos x cancels for small x: there its series x^3/3 - x^5/30 + x^7/840
        series = ar ** 3 * (1 / 3 - ar ** 2 * (1 / 30 - ar ** 2 / 840))
        k[...] = np.where(ar < 1e-2, series, np.sin(ar) - ar * np.cos(ar)) \
            / (2 * np.pi ** 2 * rr ** 3)
        k[centre] = a ** 3 / (6 * np.pi ** 2)
    k *= _outer(w, ndim)
    return k / k.sum()
