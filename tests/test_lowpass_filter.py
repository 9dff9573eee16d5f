"""refpool.kernels.lowpass_filter against scipy.signal.firwin, StyleGAN3's radial design
(rebuilt here from its published definition with scipy) and closed-form properties."""

import itertools

import numpy as np
import pytest
import scipy.signal
import scipy.special

from refpool.kernels import lowpass_filter

# (numtaps, cutoff, width, fs): Hamming (width None) and Kaiser windows, beta in all three
# branches of Kaiser's formula (A <= 21, 21 < A <= 50, A > 50)
FIRWIN_CASES = [(1, 0.5, None, 2), (2, 0.3, None, 2), (7, 0.5, None, 2), (12, 0.25, None, 1),
                (6, 1.0, 0.8, 4), (13, 3.0, 2.0, 16), (24, 0.1, 0.05, 1), (64, 10.0, 4.0, 64),
                (5, 0.2, 0.01, 1), (31, 0.45, 0.1, 1), (9, 1.0, None, 2)]


@pytest.mark.parametrize("numtaps, cutoff, width, fs", FIRWIN_CASES)
def test_separable_filter_is_firwin(numtaps, cutoff, width, fs):
    h = lowpass_filter(numtaps, cutoff, width=width, fs=fs)
    if cutoff < fs / 2:          # firwin refuses cutoff == fs / 2
        expect = scipy.signal.firwin(numtaps, cutoff, width=width, fs=fs)
        np.testing.assert_allclose(h, expect, rtol=0, atol=1e-12)
    assert h.shape == (numtaps,) and h.dtype == np.float64
    assert abs(h.sum() - 1) < 1e-12


def test_nyquist_cutoff_with_odd_taps_is_the_delta():
    h = lowpass_filter(7, 1.0, fs=2)
    np.testing.assert_allclose(h, np.eye(7)[3], atol=1e-15)


@pytest.mark.parametrize("numtaps, width", [(4, 0.5), (9, 0.3), (20, 0.1), (33, 0.05)])
def test_kaiser_window_uses_scipys_design_formulas(numtaps, width):
    # the Kaiser-window filter equals firwin with the beta of kaiser_beta(kaiser_atten(.))
    atten = scipy.signal.kaiser_atten(numtaps, width)
    beta = scipy.signal.kaiser_beta(atten)
    expect = scipy.signal.firwin(numtaps, 0.4, window=("kaiser", beta))
    np.testing.assert_allclose(lowpass_filter(numtaps, 0.4, width=width), expect,
                               rtol=0, atol=1e-12)


def _stylegan3_radial(numtaps, cutoff, width, fs):
    """StyleGAN3's radial design (networks_stylegan3.design_lowpass_filter), restated."""
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    f = scipy.special.j1(2 * cutoff * (np.pi * r)) / (np.pi * r)
    beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(numtaps, width / (fs / 2)))
    w = scipy.signal.windows.kaiser(numtaps, beta)
    f = f * np.outer(w, w)
    return f / f.sum()


@pytest.mark.parametrize("numtaps, cutoff, width, fs", [(6, 1.0, 0.8, 4), (12, 4.0, 3.0, 16),
                                                        (24, 10.0, 6.0, 64), (2, 0.5, 0.5, 2)])
def test_radial_2d_is_stylegan3s_jinc(numtaps, cutoff, width, fs):
    h = lowpass_filter(numtaps, cutoff, width=width, fs=fs, radial=True)
    np.testing.assert_allclose(h, _stylegan3_radial(numtaps, cutoff, width, fs),
                               rtol=0, atol=1e-12)


def test_radial_centre_takes_the_limit():
    # odd sizes sample r = 0, where J1(ar)/(pi r) -> a / (2 pi) = fc; neighbours are regular
    h = lowpass_filter(7, 0.5, width=0.3, fs=2, radial=True)
    assert np.all(np.isfinite(h))
    tiny = 1e-7
    a = 2 * np.pi * 0.25
    near = scipy.special.j1(a * tiny) / (np.pi * tiny)
    ratio = h[3, 3] / h[3, 4]
    w = np.kaiser(7, scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(7, 0.3)))
    expect = near * w[3] / (scipy.special.j1(a) / np.pi * w[4])
    assert abs(ratio - expect) < 1e-9 * abs(expect)
    h3 = lowpass_filter(5, 0.5, width=0.5, fs=2, radial=True, ndim=3)
    assert np.all(np.isfinite(h3))


def test_radial_3d_closed_form():
    numtaps, fc = 6, 0.2
    h = lowpass_filter(numtaps, fc, fs=1, radial=True, ndim=3)    # Hamming window
    t = np.arange(numtaps) - (numtaps - 1) / 2
    r = np.sqrt(sum(g ** 2 for g in np.meshgrid(t, t, t, indexing="ij")))
    a = 2 * np.pi * fc
    k = (np.sin(a * r) - a * r * np.cos(a * r)) / (2 * np.pi ** 2 * r ** 3)
    w = np.hamming(numtaps)
    k = k * w[:, None, None] * w[None, :, None] * w[None, None, :]
    np.testing.assert_allclose(h, k / k.sum(), rtol=1e-12, atol=1e-15)


def test_radial_1d_equals_the_separable_filter():
    np.testing.assert_allclose(lowpass_filter(11, 0.3, width=0.2, radial=True, ndim=1),
                               lowpass_filter(11, 0.3, width=0.2), rtol=0, atol=1e-15)


def _symmetries(ndim):
    for perm in itertools.permutations(range(ndim)):
        for flips in itertools.product((False, True), repeat=ndim):
            yield perm, flips


@pytest.mark.parametrize("ndim, numtaps", [(2, 7), (2, 8), (3, 5), (3, 6)])
def test_radial_filter_is_invariant_under_the_grid_symmetries(ndim, numtaps):
    h = lowpass_filter(numtaps, 0.6, width=0.4, fs=2, radial=True, ndim=ndim)
    assert h.shape == (numtaps,) * ndim
    assert abs(h.sum() - 1) < 1e-13
    count = 0
    for perm, flips in _symmetries(ndim):
        g = np.transpose(h, perm)
        g = np.flip(g, [a for a in range(ndim) if flips[a]]) if any(flips) else g
        np.testing.assert_allclose(g, h, rtol=0, atol=1e-15)
        count += 1
    assert count == {2: 8, 3: 48}[ndim]


@pytest.mark.parametrize("ndim, numtaps, size", [(2, 32, 128), (3, 24, 48)])
def test_radial_frequency_response(ndim, numtaps, size):
    cutoff, width, fs = 0.5, 0.3, 2       # fc = 0.25, transition 0.15 cycles per sample
    h = lowpass_filter(numtaps, cutoff, width=width, fs=fs, radial=True, ndim=ndim)
    response = np.abs(np.fft.fftn(h, (size,) * ndim, axes=tuple(range(ndim))))
    f = np.fft.fftfreq(size)
    radius = np.sqrt(sum(g ** 2 for g in np.meshgrid(*([f] * ndim), indexing="ij")))
    fc, wd = cutoff / fs, width / fs
    assert np.abs(response[radius < fc - wd] - 1).max() < 5e-3
    assert response[radius > fc + wd].max() < 5e-3


def test_dtype():
    h = lowpass_filter(6, 0.5, width=0.5, radial=True, dtype=np.float32)
    assert h.dtype == np.float32
    np.testing.assert_array_equal(h, lowpass_filter(6, 0.5, width=0.5, radial=True)
                                  .astype(np.float32))


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(numtaps=0, cutoff=0.5), ValueError, "numtaps"),
    (dict(numtaps=-3, cutoff=0.5), ValueError, "numtaps"),
    (dict(numtaps=5.0, cutoff=0.5), TypeError, "numtaps"),
    (dict(numtaps=True, cutoff=0.5), TypeError, "numtaps"),
    (dict(numtaps=5, cutoff=0.0), ValueError, "cutoff"),
    (dict(numtaps=5, cutoff=-0.1), ValueError, "cutoff"),
    (dict(numtaps=5, cutoff=1.01), ValueError, "cutoff"),
    (dict(numtaps=5, cutoff=3.0, fs=4), ValueError, "cutoff"),
    (dict(numtaps=5, cutoff=float("nan")), ValueError, "cutoff"),
    (dict(numtaps=5, cutoff="0.5"), TypeError, "cutoff"),
    (dict(numtaps=5, cutoff=0.5, width=0.0), ValueError, "width"),
    (dict(numtaps=5, cutoff=0.5, width=-1.0), ValueError, "width"),
    (dict(numtaps=5, cutoff=0.5, fs=0), ValueError, "fs"),
    (dict(numtaps=5, cutoff=0.5, ndim=0, radial=True), ValueError, "ndim"),
    (dict(numtaps=5, cutoff=0.5, ndim=4, radial=True), ValueError, "ndim"),
    (dict(numtaps=5, cutoff=0.5, ndim=4), ValueError, "ndim"),
    (dict(numtaps=5, cutoff=0.5, ndim=2.0), TypeError, "ndim"),
    (dict(numtaps=5, cutoff=0.5, radial=1), TypeError, "radial"),
    (dict(numtaps=2 ** 14, cutoff=0.5, radial=True, ndim=2), ValueError, "numtaps"),
])
def test_bad_arguments_are_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        lowpass_filter(**kwargs)
