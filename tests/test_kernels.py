"""Gaussian and binomial filters against their closed forms."""

import math

import numpy as np
import pytest

import refpool
from refpool import binomial_kernel, binomial_taps, gaussian_kernel, gaussian_taps

# (sigma, truncate, expected size): the documented table, half-to-even rounding included
SIZES = [(0.5, 3, 5), (0.6, 3, 5), (2 / 3, 3, 5), (1.0, 3, 7), (1.5, 3, 9), (2.0, 3, 13),
         (0.5, 4, 5), (0.6, 4, 5), (2 / 3, 4, 7), (1.0, 4, 9), (1.5, 4, 13), (2.0, 4, 17),
         (0.1, 3, 1), (0.25, 2, 1), (2.5, 1, 5), (3.5, 1, 9), (0.3, 0, 1)]

PASCAL = {1: [1], 2: [1, 1], 3: [1, 2, 1], 4: [1, 3, 3, 1], 5: [1, 4, 6, 4, 1],
          6: [1, 5, 10, 10, 5, 1], 7: [1, 6, 15, 20, 15, 6, 1]}


@pytest.mark.parametrize("sigma, truncate, size", SIZES)
def test_gaussian_size_uses_round_half_to_even(sigma, truncate, size):
    assert gaussian_taps(sigma, truncate=truncate).shape == (size,)
    assert size == 2 * round(truncate * sigma) + 1


@pytest.mark.parametrize("sigma", [0.3, 0.6, 2 / 3, 1.0, 1.7, 3.0])
@pytest.mark.parametrize("truncate", [3.0, 4.0, 2.5])
def test_gaussian_taps_closed_form(sigma, truncate):
    g = gaussian_taps(sigma, truncate)
    fs = 2 * round(truncate * sigma) + 1
    c = (fs - 1) / 2
    raw = [math.exp(-((i - c) ** 2) / (2 * sigma ** 2)) for i in range(fs)]
    np.testing.assert_allclose(g, np.array(raw) / math.fsum(raw), rtol=1e-15, atol=0)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, g[::-1])
    assert abs(g.sum() - 1) < 1e-15 * fs
    assert np.argmax(g) == (fs - 1) // 2


def test_gaussian_taps_dtype_and_default_truncate():
    g32 = gaussian_taps(1.0, dtype=np.float32)
    assert g32.dtype == np.float32 and g32.shape == (7,)
    np.testing.assert_array_equal(g32, gaussian_taps(1.0).astype(np.float32))
    assert gaussian_taps(np.float32(1.0)).shape == (7,)
    np.testing.assert_array_equal(gaussian_taps(0.01), [1.0])


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("sigma, truncate", [(0.6, 3), (1.0, 4), (2 / 3, 3)])
def test_gaussian_kernel_is_the_radial_gaussian(ndim, sigma, truncate):
    k = gaussian_kernel(sigma, ndim=ndim, truncate=truncate)
    g = gaussian_taps(sigma, truncate)
    fs = g.size
    assert k.shape == (fs,) * ndim
    # outer product of the taps ...
    expect = g
    for _ in range(ndim - 1):
        expect = np.multiply.outer(expect, g)
    np.testing.assert_array_equal(k, expect)
    # ... which is the peers' radial exp(-|r|^2 / 2 sigma^2), normalised
    c = (fs - 1) / 2
    r2 = sum(((np.indices((fs,) * ndim)[a] - c) ** 2) for a in range(ndim))
    radial = np.exp(-r2 / (2 * sigma ** 2))
    np.testing.assert_allclose(k, radial / radial.sum(), rtol=1e-14, atol=1e-17)
    # invariant under every axis reversal and permutation
    for a in range(ndim):
        np.testing.assert_array_equal(k, np.flip(k, a))
    if ndim >= 2:
        np.testing.assert_array_equal(k, np.swapaxes(k, 0, 1))


def test_gaussian_kernel_default_ndim_and_dtype():
    k = gaussian_kernel(1.0, dtype=np.float32)
    assert k.shape == (7, 7) and k.dtype == np.float32


@pytest.mark.parametrize("size", sorted(PASCAL))
def test_binomial_taps_are_pascal_rows(size):
    row = np.array(PASCAL[size], dtype=np.float64)
    np.testing.assert_array_equal(binomial_taps(size), row / row.sum())


@pytest.mark.parametrize("size", [8, 9, 16, 31, 64, 100])
def test_binomial_taps_any_size(size):
    b = binomial_taps(size)
    n = size - 1
    expect = np.array([math.comb(n, i) / 2 ** n for i in range(size)])
    np.testing.assert_array_equal(b, expect)
    np.testing.assert_array_equal(b, b[::-1])
    assert abs(b.sum() - 1) < 1e-14
    # variance (fs-1)/4: the Gaussian it approximates has sigma = sqrt(fs-1)/2
    c = n / 2
    variance = float(np.sum(b * (np.arange(size) - c) ** 2))
    assert variance == pytest.approx(n / 4, rel=1e-12)


def test_binomial_taps_huge_size_stays_finite():
    b = binomial_taps(1500)
    assert np.all(np.isfinite(b)) and abs(b.sum() - 1) < 1e-12


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("size", [1, 2, 4, 5, 8])
def test_binomial_kernel_outer_product(ndim, size):
    k = binomial_kernel(size, ndim=ndim)
    b = binomial_taps(size)
    expect = b
    for _ in range(ndim - 1):
        expect = np.multiply.outer(expect, b)
    assert k.shape == (size,) * ndim
    np.testing.assert_array_equal(k, expect)
    assert binomial_kernel(size, ndim, dtype=np.float32).dtype == np.float32


def test_public_names():
    for name in ("gaussian_taps", "gaussian_kernel", "binomial_taps", "binomial_kernel"):
        assert name in refpool.__all__ and callable(getattr(refpool, name))


@pytest.mark.parametrize("sigma", [0, -1.0, float("nan"), float("inf"), -float("inf")])
def test_bad_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        gaussian_taps(sigma)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(sigma, 2)


@pytest.mark.parametrize("sigma", ["1", None, True, 1j])
def test_sigma_type(sigma):
    with pytest.raises(TypeError, match="sigma"):
        gaussian_taps(sigma)


@pytest.mark.parametrize("truncate, error", [(-1, ValueError), (float("nan"), ValueError),
                                             (float("inf"), ValueError), ("3", TypeError)])
def test_bad_truncate(truncate, error):
    with pytest.raises(error, match="truncate"):
        gaussian_taps(1.0, truncate)


@pytest.mark.parametrize("size, error", [(0, ValueError), (-3, ValueError), (2.0, TypeError),
                                         (True, TypeError), ("4", TypeError)])
def test_bad_binomial_size(size, error):
    with pytest.raises(error, match="size"):
        binomial_taps(size)
    with pytest.raises(error, match="size"):
        binomial_kernel(size)


@pytest.mark.parametrize("ndim, error", [(0, ValueError), (-1, ValueError), (2.0, TypeError)])
def test_bad_ndim(ndim, error):
    with pytest.raises(error, match="ndim"):
        gaussian_kernel(1.0, ndim)
    with pytest.raises(error, match="ndim"):
        binomial_kernel(3, ndim)


@pytest.mark.parametrize("dtype", [np.int32, np.complex128, "not-a-dtype", bool])
def test_bad_dtype(dtype):
    with pytest.raises(TypeError, match="dtype"):
        gaussian_taps(1.0, dtype=dtype)
    with pytest.raises(TypeError, match="dtype"):
        binomial_taps(3, dtype=dtype)
