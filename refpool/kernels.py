r"""Radial smoothing filters: sampled Gaussians and binomial filters.

These are the filters behind the antialiased poolings of
:mod:`refpool.antialiased`, exposed so that a backend can build exactly the
same weights.  Every filter is separable: the n-D kernel is the outer product
of its 1-D taps, and it is symmetric about its centre, so (for odd sizes) it is
invariant under every grid reflection and axis permutation.

Filters are computed in float64 and cast once to ``dtype``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _args

__all__ = ["gaussian_taps", "gaussian_kernel", "binomial_taps", "binomial_kernel"]


def gaussian_taps(sigma, truncate=3.0, dtype=np.float64):
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

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels, positive and finite.
    truncate : float
        Radius of the filter in standard deviations (:math:`t \ge 0`).
    dtype : floating dtype
        dtype of the result (the taps are computed in float64).

    Returns
    -------
    ndarray, shape (fs,)
        Symmetric, positive taps summing to 1 (up to rounding).

    Examples
    --------
    >>> gaussian_taps(0.6).size, gaussian_taps(1.0).size, gaussian_taps(1.0, truncate=4).size
    (5, 7, 9)
    """
    sigma = _args.isfinite_positive(sigma, "sigma")
    truncate = _args.check_truncate(truncate)
    dtype = _args.check_filter_dtype(dtype)
    return _gaussian64(sigma, truncate).astype(dtype)


def gaussian_kernel(sigma, ndim=2, truncate=3.0, dtype=np.float64):
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
        Number of axes (>= 1).

    Returns
    -------
    ndarray, shape (fs,) * ndim
    """
    sigma = _args.isfinite_positive(sigma, "sigma")
    ndim = _args.check_kernel_ndim(ndim)
    truncate = _args.check_truncate(truncate)
    dtype = _args.check_filter_dtype(dtype)
    return _outer(_gaussian64(sigma, truncate), ndim).astype(dtype)


def binomial_taps(size, dtype=np.float64):
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

    Parameters
    ----------
    size : int
        Filter size :math:`f_s \ge 1`.
    dtype : floating dtype

    Returns
    -------
    ndarray, shape (size,)
    """
    size = _args.check_filter_size(size, "size")
    dtype = _args.check_filter_dtype(dtype)
    return _binomial64(size).astype(dtype)


def binomial_kernel(size, ndim=2, dtype=np.float64):
    r"""n-D binomial filter: the outer product of :func:`binomial_taps`.

    .. math:: B[i_1, \dots, i_m] = \prod_{a=1}^{m} b[i_a]

    ``binomial_kernel(fs, 2)`` is antialiased-cnns' ``BlurPool`` filter.

    Parameters
    ----------
    size : int
        Filter size per axis (>= 1).
    ndim : int
        Number of axes (>= 1).
    dtype : floating dtype

    Returns
    -------
    ndarray, shape (size,) * ndim
    """
    size = _args.check_filter_size(size, "size")
    ndim = _args.check_kernel_ndim(ndim)
    dtype = _args.check_filter_dtype(dtype)
    return _outer(_binomial64(size), ndim).astype(dtype)


# --------------------------------------------------------------------------- helpers
def _gaussian64(sigma, truncate):
    """Validated-argument float64 Gaussian taps (used by the operators too)."""
    fs = _args.gaussian_size(sigma, truncate)
    centre = (fs - 1) / 2.0
    i = np.arange(fs, dtype=np.float64)
    g = np.exp(-((i - centre) ** 2) / (2.0 * sigma * sigma))
    return g / g.sum()


def _binomial64(size):
    """Exact binomial coefficients over 2**(size-1), each rounded once to float64."""
    n = size - 1
    denominator = 1 << n
    # int / int true division is correctly rounded in Python, even for huge ints
    return np.array([math.comb(n, i) / denominator for i in range(size)], dtype=np.float64)


def _outer(taps, ndim):
    kernel = taps
    for _ in range(ndim - 1):
        kernel = np.multiply.outer(kernel, taps)
    return kernel
