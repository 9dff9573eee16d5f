"""Antialiased pooling against e2cnn 0.2.3's PointwiseAvgPoolAntialiased and
PointwiseMaxPoolAntialiased modules (2-D), and against the same computation in
torch (conv1d/conv3d with refpool's kernel) for 1-D and 3-D, where escnn is not
installed.

Documented divergences (SPEC.md section 3/8) are asserted as peer behaviour:
escnn/e2cnn's antialiased max pool pads the blur with ``p + (fs-1)//2``, so its
output is larger than its own ``evaluate_output_shape``; refpool reproduces it
with ``blur_padding=p + (fs-1)//2``.
"""

import contextlib
import itertools
import warnings

import numpy as np
import pytest

import refpool
from helpers import assert_close, random_input

torch = pytest.importorskip("torch")
e2cnn = pytest.importorskip("e2cnn")
from e2cnn import gspaces  # noqa: E402
from e2cnn import nn as enn  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.peers

ENGINES = ("reference", "cpu")
SHAPES_2D = ((2, 8, 9, 9), (1, 8, 10, 7), (1, 8, 12, 13))


@contextlib.contextmanager
def _default_dtype(dtype):
    """e2cnn builds its Gaussian in torch's default dtype."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _field_type(channels=8):
    gs = gspaces.Rot2dOnR2(4)
    return enn.FieldType(gs, [gs.regular_repr] * (channels // 4))


def _run(module, x):
    ft = module.in_type
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return module(enn.GeometricTensor(torch.from_numpy(x), ft)).tensor.numpy()


def _peer(cls, dtype, *args, **kwargs):
    with _default_dtype(torch.float64 if dtype == np.float64 else torch.float32):
        return cls(_field_type(), *args, **kwargs)


AVG_GRID = list(itertools.product((0.5, 0.6, 2 / 3, 1.0, 1.5), (1, 2, 3), (None, 0, 3)))


@pytest.mark.parametrize("dtype, sigma, stride, padding",
                         [(np.float64,) + case for case in AVG_GRID]
                         + [(np.float32,) + case for case in AVG_GRID[::4]])
def test_avg_pool_matches_e2cnn(sigma, stride, padding, dtype):
    peer = _peer(enn.PointwiseAvgPoolAntialiased, dtype, sigma=sigma, stride=stride,
                 padding=padding)
    for shape in SHAPES_2D:
        x = random_input(shape, dtype, seed=sum(shape))
        fs = 2 * round(3 * sigma) + 1
        p = (fs - 1) // 2 if padding is None else padding
        if min(shape[2:]) + 2 * p < fs:
            continue
        expect = _run(peer, x)
        assert tuple(peer.evaluate_output_shape(shape)) == expect.shape
        for engine in ENGINES:
            y = refpool.antialiased_avg_pool(x, sigma, stride, padding, engine=engine)
            assert y.shape == expect.shape and y.dtype == dtype
            assert_close(y, expect)


MAX_GRID = list(itertools.product(((2, 0), (2, 1), (3, 0), (3, 1), (4, 2)), (None, 1, 2, 3),
                                  (0.6, 1.0)))


@pytest.mark.parametrize("dtype, kp, stride, sigma",
                         [(np.float64,) + case for case in MAX_GRID]
                         + [(np.float32,) + case for case in MAX_GRID[::4]])
def test_max_pool_reproduces_e2cnn_with_blur_padding(kp, stride, sigma, dtype):
    kernel_size, padding = kp
    fs = 2 * round(4 * sigma) + 1
    escnn_padding = padding + (fs - 1) // 2
    for ceil_mode in (False, True):
        peer = _peer(enn.PointwiseMaxPoolAntialiased, dtype, kernel_size, stride, padding,
                     ceil_mode=ceil_mode, sigma=sigma)
        for shape in SHAPES_2D:
            x = random_input(shape, dtype, seed=sum(shape) + kernel_size)
            expect = _run(peer, x)
            for engine in ENGINES:
                # escnn ignores ceil_mode: its output is refpool's floor-mode one
                y = refpool.antialiased_max_pool(x, kernel_size, stride, padding, sigma=sigma,
                                                 blur_padding=escnn_padding, engine=engine)
                assert y.shape == expect.shape
                assert_close(y, expect)


@pytest.mark.parametrize("kernel_size, stride, padding", [(2, 2, 1), (3, 2, 1), (3, 3, 1),
                                                          (2, 1, 1), (2, 2, 0), (3, 2, 0)])
def test_max_pool_e2cnn_shape_divergence(kernel_size, stride, padding):
    """escnn's output has floor((n + 4p - k)/s) + 1 entries, its evaluate_output_shape
    claims floor((n + 2p - k)/s) + 1: refpool's default output has the claimed shape
    (max_pool's), and escnn's real one with blur_padding = p + (fs-1)//2."""
    peer = _peer(enn.PointwiseMaxPoolAntialiased, np.float32, kernel_size, stride, padding)
    differs = False
    for shape in SHAPES_2D:
        x = random_input(shape, np.float32)
        real = _run(peer, x).shape
        claimed = tuple(peer.evaluate_output_shape(shape))
        ours = refpool.antialiased_max_pool(x, kernel_size, stride, padding).shape
        assert ours == claimed == refpool.max_pool(x, kernel_size, stride, padding,
                                                   engine="reference").shape
        s = stride or kernel_size
        assert real[2:] == tuple((n + 4 * padding - kernel_size) // s + 1 for n in shape[2:])
        assert all(r >= c for r, c in zip(real, claimed))
        differs |= real != claimed
    assert differs == (padding > 0)


def test_max_pool_e2cnn_rejects_tuple_dilation():
    with pytest.raises(NotImplementedError):
        enn.PointwiseMaxPoolAntialiased(_field_type(), 2, 2, dilation=(1, 1))
    x = random_input((1, 8, 9, 9))
    np.testing.assert_array_equal(refpool.antialiased_max_pool(x, 2, 2, dilation=(1, 1)),
                                  refpool.antialiased_max_pool(x, 2, 2))


# --------------------------------------------------------------------------- 1-D / 3-D
def _depthwise(kernel, channels, dtype):
    k = torch.from_numpy(np.ascontiguousarray(kernel, dtype=dtype))
    return k[None, None].repeat((channels, 1) + (1,) * kernel.ndim)


CONV = {1: F.conv1d, 3: F.conv3d}
SHAPES = {1: ((2, 3, 17), (1, 2, 10)), 3: ((1, 3, 7, 8, 9), (2, 2, 6, 6, 6))}


@pytest.mark.parametrize("ndim", [1, 3])
@pytest.mark.parametrize("sigma, stride, padding", [
    (0.6, 2, None), (1.0, 2, None), (2 / 3, 3, 1), (1.0, 1, 0), (0.5, (1, 2, 3), 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool_1d_3d_matches_torch_conv(ndim, sigma, stride, padding, dtype):
    if isinstance(stride, tuple) and ndim == 1:
        stride = stride[1]
    kernel = refpool.gaussian_kernel(sigma, ndim)
    fs = kernel.shape[0]
    p = (fs - 1) // 2 if padding is None else padding
    for shape in SHAPES[ndim]:
        if min(shape[2:]) + 2 * p < fs:
            continue
        x = random_input(shape, dtype, seed=ndim)
        expect = CONV[ndim](torch.from_numpy(x), _depthwise(kernel, shape[1], dtype),
                            stride=stride, padding=p, groups=shape[1]).numpy()
        for engine in ENGINES:
            assert_close(refpool.antialiased_avg_pool(x, sigma, stride, padding, engine=engine),
                         expect)


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("kernel_size, stride, padding, dilation", [
    (2, 2, 0, 1), (3, 2, 1, 1), (2, 3, 1, 1), (3, 2, 1, 2), (2, 1, 0, 2)])
@pytest.mark.parametrize("sigma", [0.6, 0.9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_matches_torch_composition(ndim, kernel_size, stride, padding, dilation, sigma,
                                            dtype):
    """Default geometry = torch max_pool at stride 1 then the zero-padded Gaussian conv with
    padding (fs-1)//2 (in 2-D this is escnn's computation for padding 0, and covers the
    dilation escnn rejects)."""
    kernel = refpool.gaussian_kernel(sigma, ndim, truncate=4.0)
    c = (kernel.shape[0] - 1) // 2
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[ndim]
    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[ndim]
    shapes = SHAPES.get(ndim, ((2, 3, 9, 10), (1, 2, 8, 7)))
    for shape in shapes:
        x = random_input(shape, dtype, seed=ndim + kernel_size)
        dense = pool(torch.from_numpy(x), kernel_size, 1, padding, dilation)
        expect = conv(dense, _depthwise(kernel, shape[1], dtype), stride=stride, padding=c,
                      groups=shape[1]).numpy()
        for engine in ENGINES:
            y = refpool.antialiased_max_pool(x, kernel_size, stride, padding, dilation,
                                             sigma=sigma, engine=engine)
            assert y.shape == expect.shape
            assert_close(y, expect)


@pytest.mark.cuda
def test_cuda_engine_matches_e2cnn():
    x = random_input((1, 8, 7, 6), np.float64, seed=1)
    peer = _peer(enn.PointwiseAvgPoolAntialiased, np.float64, sigma=0.6, stride=2)
    assert_close(refpool.antialiased_avg_pool(x, 0.6, 2, engine="cuda"), _run(peer, x))
    peer = _peer(enn.PointwiseMaxPoolAntialiased, np.float64, 2, 2, 1)
    assert_close(refpool.antialiased_max_pool(x, 2, 2, 1, blur_padding=3, engine="cuda"),
                 _run(peer, x))


@pytest.mark.parametrize("sigma", [0.5, 0.6, 1.0])
def test_peer_kernels_equal_refpool_kernels(sigma):
    """e2cnn's directly built radial filters are refpool's outer products of taps."""
    avg = _peer(enn.PointwiseAvgPoolAntialiased, np.float64, sigma=sigma, stride=2)
    np.testing.assert_allclose(avg.filter[0, 0].numpy(),
                               refpool.gaussian_kernel(sigma, 2, truncate=3.0),
                               rtol=1e-13, atol=1e-17)
    mx = _peer(enn.PointwiseMaxPoolAntialiased, np.float64, 2, sigma=sigma)
    np.testing.assert_allclose(mx.filter[0, 0].numpy(),
                               refpool.gaussian_kernel(sigma, 2, truncate=4.0),
                               rtol=1e-13, atol=1e-17)
