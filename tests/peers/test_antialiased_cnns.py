"""blur_pool against antialiased-cnns 0.3's BlurPool (2-D) and BlurPool1D.

Every filt_size upstream supports (1-7) x pad type x stride 1-3 x pad_off 0/1.
Upstream builds its filter in float32 (exact for these binomials), so float64
comparisons run the module in double precision.  Documented divergences: upstream
fails for filt_size >= 8 and for unknown pad types; refpool handles every size
and raises ValueError.
"""

import itertools

import numpy as np
import pytest

import refpool
from helpers import assert_close, random_input

torch = pytest.importorskip("torch")
antialiased_cnns = pytest.importorskip("antialiased_cnns")
F = torch.nn.functional
pytestmark = pytest.mark.peers

PAD_TYPES = ("reflect", "replicate", "zero")
GRID = list(itertools.product(range(1, 8), PAD_TYPES, (1, 2, 3), (0, 1)))
SHAPES = {1: ((2, 3, 13), (1, 2, 8)), 2: ((2, 3, 11, 10), (1, 2, 8, 9))}


def _peer(ndim, channels, pad_type, filt_size, stride, pad_off, dtype):
    cls = antialiased_cnns.BlurPool1D if ndim == 1 else antialiased_cnns.BlurPool
    module = cls(channels, pad_type=pad_type, filt_size=filt_size, stride=stride,
                 pad_off=pad_off)
    return module.double() if dtype == np.float64 else module


def _check(ndim, filt_size, pad_type, stride, pad_off, dtype, engines=("reference", "cpu")):
    for shape in SHAPES[ndim]:
        x = random_input(shape, dtype, seed=filt_size + 10 * stride)
        peer = _peer(ndim, shape[1], pad_type, filt_size, stride, pad_off, dtype)
        with torch.no_grad():
            expect = peer(torch.from_numpy(x)).numpy()
        for engine in engines:
            y = refpool.blur_pool(x, filt_size, stride, pad_type, pad_off, engine=engine)
            assert y.shape == expect.shape and y.dtype == dtype
            assert_close(y, expect)


@pytest.mark.parametrize("ndim", [1, 2])
@pytest.mark.parametrize("filt_size, pad_type, stride, pad_off", GRID)
def test_blur_pool_matches_upstream(ndim, filt_size, pad_type, stride, pad_off):
    _check(ndim, filt_size, pad_type, stride, pad_off, np.float64)


@pytest.mark.parametrize("ndim", [1, 2])
@pytest.mark.parametrize("filt_size, pad_type, stride, pad_off", GRID[::5])
def test_blur_pool_matches_upstream_float32(ndim, filt_size, pad_type, stride, pad_off):
    _check(ndim, filt_size, pad_type, stride, pad_off, np.float32)


@pytest.mark.parametrize("alias, name", [("refl", "reflect"), ("repl", "replicate")])
def test_upstream_pad_type_aliases(alias, name):
    _check(2, 4, alias, 2, 1, np.float64)
    x = random_input((1, 2, 9, 9))
    np.testing.assert_array_equal(refpool.blur_pool(x, 4, 2, alias, 1),
                                  refpool.blur_pool(x, 4, 2, name, 1))


@pytest.mark.cuda
@pytest.mark.parametrize("filt_size, pad_type, stride, pad_off",
                         [(4, "reflect", 2, 0), (3, "replicate", 3, 1), (5, "zero", 1, 1)])
def test_cuda_engine_matches_upstream(filt_size, pad_type, stride, pad_off):
    x = random_input((1, 2, 6, 7), np.float64, seed=filt_size)
    peer = _peer(2, 2, pad_type, filt_size, stride, pad_off, np.float64)
    with torch.no_grad():
        expect = peer(torch.from_numpy(x)).numpy()
    assert_close(refpool.blur_pool(x, filt_size, stride, pad_type, pad_off, engine="cuda"),
                 expect)


@pytest.mark.parametrize("filt_size", [8, 9, 12])
def test_upstream_fails_for_large_filters_refpool_does_not(filt_size):
    with pytest.raises(UnboundLocalError):
        antialiased_cnns.BlurPool(2, filt_size=filt_size)
    # the same computation spelled out in torch: reflect pad, binomial depthwise conv
    x = random_input((1, 2, 15, 16), np.float64, seed=filt_size)
    before, after = (filt_size - 1) // 2, filt_size // 2
    kernel = torch.from_numpy(refpool.binomial_kernel(filt_size, 2))[None, None].repeat(2, 1, 1, 1)
    padded = F.pad(torch.from_numpy(x), (before, after, before, after), mode="reflect")
    expect = F.conv2d(padded, kernel, stride=2, groups=2).numpy()
    for engine in ("reference", "cpu"):
        assert_close(refpool.blur_pool(x, filt_size, 2, engine=engine), expect)


def test_upstream_fails_for_unknown_pad_type_refpool_raises_value_error():
    # upstream has no circular padding and fails on it with an UnboundLocalError;
    # refpool has it (tests/test_circular_padding.py) and refuses unknown names
    with pytest.raises(UnboundLocalError):
        antialiased_cnns.BlurPool(2, pad_type="circular")
    with pytest.raises(ValueError, match="pad_type"):
        refpool.blur_pool(random_input((1, 2, 8, 8)), pad_type="wrap")
