"""Reliability of refpool.kernels: degenerate and absurd arguments fail fast and clearly."""

import contextlib
import math
import signal
import time

import numpy as np
import pytest

from refpool import binomial_kernel, binomial_taps, gaussian_kernel, gaussian_taps, kernels


@contextlib.contextmanager
def deadline(seconds):
    """Fail (instead of hanging) when the body runs longer than ``seconds``."""
    def expired(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------- tiny sigma
@pytest.mark.parametrize("sigma", [1e-200, 5e-324, 1e-160, 1e-20, 0.1])
def test_tiny_sigma_is_the_delta_limit(sigma):
    taps = gaussian_taps(sigma)
    np.testing.assert_array_equal(taps, [1.0])
    np.testing.assert_array_equal(gaussian_kernel(sigma, ndim=3), np.ones((1, 1, 1)))
    assert gaussian_taps(sigma, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("sigma, truncate", [(1e-200, 1e200), (1e-170, 3e170), (1e-300, 2e300)])
def test_tiny_sigma_with_a_wide_truncation_stays_finite(sigma, truncate):
    taps = gaussian_taps(sigma, truncate=truncate)
    assert taps.size >= 3 and np.all(np.isfinite(taps))
    centre = taps.size // 2
    assert taps[centre] == 1.0 and taps.sum() == 1.0    # neighbours underflow to 0


def test_ordinary_sigmas_are_unchanged():
    for sigma, truncate in [(0.6, 4.0), (1.0, 3.0), (2.5, 3.0)]:
        fs = 2 * round(truncate * sigma) + 1
        i = np.arange(fs, dtype=np.float64)
        g = np.exp(-((i - (fs - 1) / 2) ** 2) / (2.0 * sigma * sigma))
        np.testing.assert_array_equal(gaussian_taps(sigma, truncate), g / g.sum())


# --------------------------------------------------------------------------- huge sigma
@pytest.mark.parametrize("sigma, truncate", [(1e10, 3.0), (1e308, 4.0), (3e7, 3.0)])
def test_huge_sigma_is_refused_before_allocating(sigma, truncate):
    with deadline(5):
        with pytest.raises(ValueError, match="sigma"):
            gaussian_taps(sigma, truncate=truncate)
        with pytest.raises(ValueError, match="sigma"):
            gaussian_kernel(sigma, ndim=1, truncate=truncate)


def test_the_size_bound_is_exactly_the_documented_limit():
    limit = kernels.MAX_FILTER_ELEMENTS
    # fs = 2 round(t sigma) + 1: the largest allowed radius is (limit - 1) / 2
    radius = (limit - 1) // 2
    with pytest.raises(ValueError, match="sigma"):
        gaussian_taps(float(radius + 1), truncate=1.0)
    assert gaussian_taps(1000.0, truncate=1.0).size == 2001


# --------------------------------------------------------------------------- binomial size
def test_huge_binomial_size_fails_fast_naming_size():
    with deadline(5):
        with pytest.raises(ValueError, match="size"):
            binomial_taps(10 ** 9)
        with pytest.raises(ValueError, match="size"):
            binomial_kernel(10 ** 9, ndim=1)
        with pytest.raises(ValueError, match="size"):
            binomial_taps(kernels.MAX_BINOMIAL_SIZE + 1)


def test_largest_binomial_size_is_fast_and_exact():
    n = kernels.MAX_BINOMIAL_SIZE - 1
    with deadline(10):
        taps = binomial_taps(n + 1)
    assert taps.shape == (n + 1,) and np.all(np.isfinite(taps))
    np.testing.assert_array_equal(taps, taps[::-1])
    assert abs(taps.sum() - 1.0) < 1e-12
    for i in (0, 1, 7, n // 3, n // 2 - 1, n // 2, n // 2 + 1):
        assert taps[i] == math.comb(n, i) / 2 ** n


@pytest.mark.parametrize("size", list(range(1, 41)) + [255, 256, 1075, 1076, 1500])
def test_binomial_taps_are_the_correctly_rounded_pascal_row(size):
    n = size - 1
    expected = np.array([math.comb(n, i) / 2 ** n for i in range(size)])
    np.testing.assert_array_equal(binomial_taps(size), expected)


# --------------------------------------------------------------------------- ndim
@pytest.mark.parametrize("make", [lambda ndim: binomial_kernel(3, ndim=ndim),
                                  lambda ndim: gaussian_kernel(1.0, ndim=ndim)],
                         ids=["binomial_kernel", "gaussian_kernel"])
@pytest.mark.parametrize("ndim", [10 ** 9, 65, 30])
def test_absurd_ndim_fails_fast_naming_ndim(make, ndim):
    with deadline(5), pytest.raises(ValueError, match="ndim"):
        make(ndim)


def test_legal_ndims_keep_working():
    # every ndim NumPy can hold works for a one-tap filter, as before
    assert binomial_kernel(1, ndim=32).shape == (1,) * 32
    assert gaussian_kernel(1e-3, ndim=32).shape == (1,) * 32
    assert binomial_kernel(2, ndim=20).shape == (2,) * 20
    k = gaussian_kernel(1.0, ndim=3)
    assert k.shape == (7, 7, 7) and abs(k.sum() - 1.0) < 1e-12
    with pytest.raises(ValueError, match="ndim"):
        gaussian_kernel(1.0, ndim=0)
    with pytest.raises(TypeError, match="ndim"):
        binomial_kernel(3, ndim=2.0)


def test_errors_come_before_any_work():
    start = time.perf_counter()
    for call in (lambda: gaussian_kernel(50.0, ndim=8), lambda: binomial_kernel(100, ndim=5)):
        with pytest.raises(ValueError, match="ndim"):
            call()
    assert time.perf_counter() - start < 1.0
