"""refpool.interpolate against torch 2.13's ``F.interpolate`` (CPU) over a generated grid.

The nearest modes must be bit-identical (both of PyTorch's index rules: the
2-D kernel it uses for outputs with m_H + m_W <= 128, and the generic one);
the other modes agree within float64 rounding for float64 input and within
float32 rounding of PyTorch's float32 coordinate arithmetic for float32 input.

Documented divergences of the peer itself (docs/interpolation.rst):
* PyTorch's float32 nearest-exact index depends on its CPU kernel: the AVX2/
  AVX512 kernels fuse ``r*(j+1/2) - 1/2`` into one multiply-add, the DEFAULT
  (no-SIMD) build rounds twice.  refpool follows the fused one.
* Antialiasing: whether the tap at the edge of the filter support exists with
  weight exactly 0 or with a rounding residue depends on rounding (PyTorch
  computes float32 input's tap ranges in float32, and its AVX2 build evaluates
  the filter with fused multiply-adds); an infinity on such a tap gives NaN in
  one case and an infinity in the other.  Finite values agree.
* PyTorch's antialiased bilinear/bicubic with an output width of 1 repeats the
  first output row down the whole height (its vertical pass indexes the
  weights of row 0 only); refpool resamples every row.
"""

import itertools
import math

import numpy as np
import pytest

import refpool
from helpers import assert_same, random_input

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.peers

ENGINES = ("reference", "cpu")
TOL = {np.dtype(np.float32): dict(rtol=2e-5, atol=2e-5),
       np.dtype(np.float64): dict(rtol=1e-12, atol=1e-12)}

SHAPES = {
    1: [(1,), (2,), (5,), (8,), (13,)],
    2: [(1, 1), (1, 5), (5, 4), (7, 7), (8, 6), (13, 9)],
    3: [(1, 2, 3), (3, 4, 5), (4, 4, 4)],
}
# (size, scale_factor, recompute_scale_factor) per rank, None = not given
RESIZES = {
    1: [(1, None, None), (3, None, None), (11, None, None), (None, 2.0, None),
        (None, 0.5, None), (None, 1.5, None), (None, 1 / 3, True), (None, 2.7, None),
        (None, 0.73, True), (None, 1.05, None), (None, 3.0, False)],
    2: [((1, 1), None, None), ((3, 7), None, None), ((12, 1), None, None),
        (None, 2.0, None), (None, (0.5, 1.5), None), (None, (2.7, 0.6), None),
        (None, (1.3, 2.2), True), (None, (1.05, 2.04), None), (None, 1 / 3, None),
        (None, 3.0, True)],
    3: [((1, 1, 1), None, None), ((2, 5, 3), None, None), (None, 2.0, None),
        (None, (0.5, 1.5, 2.2), None), (None, (1.7, 0.8, 1.0), True)],
}
MODES = {1: ["nearest", "nearest-exact", "area", "linear"],
         2: ["nearest", "nearest-exact", "area", "bilinear", "bicubic"],
         3: ["nearest", "nearest-exact", "area", "trilinear"]}


def _settings(nd, mode):
    """(align_corners, antialias) pairs a mode accepts."""
    if mode in ("nearest", "nearest-exact", "area"):
        return [(None, False)]
    acs = [False, True]
    aas = [False, True] if nd == 2 else [False]
    return list(itertools.product(acs, aas))


def _torch(x, **kw):
    return F.interpolate(torch.from_numpy(x), **kw).numpy()


def _torch_aa_width1_bug(x, want, kw):
    """PyTorch 2.13's antialiased vertical pass breaks when the output width is 1:
    every output row repeats the first one (a documented divergence)."""
    return (kw.get("antialias") and want.shape[-1] == 1 and want.shape[-2] > 1
            and want.shape[-2] != x.shape[-2] and x.shape[-2] > 1)


def _compare(x, kw, engines=ENGINES):
    want = _torch(x, **kw)
    if _torch_aa_width1_bug(x, want, kw):
        np.testing.assert_array_equal(want, np.broadcast_to(want[..., :1, :], want.shape))
        want = want[..., :1, :]                       # only its first row is right
        for engine in engines:
            got = refpool.interpolate(x, engine=engine, **kw)
            np.testing.assert_allclose(got[..., :1, :], want, **TOL[x.dtype])
            assert np.ptp(got, axis=-2).max() > 0     # refpool's rows differ
        return
    for engine in engines:
        got = refpool.interpolate(x, engine=engine, **kw)
        assert got.shape == want.shape, (engine, kw)
        if kw["mode"].startswith("nearest"):
            assert_same(got, want)
        else:
            np.testing.assert_allclose(got, want, equal_nan=True, err_msg=f"{engine} {kw}",
                                       **TOL[x.dtype])


@pytest.mark.parametrize("nd, mode", [(nd, m) for nd in (1, 2, 3) for m in MODES[nd]])
def test_grid_against_torch(nd, mode):
    count = 0
    for shape, (size, scale, rsf), (ac, aa), dtype in itertools.product(
            SHAPES[nd], RESIZES[nd], _settings(nd, mode), (np.float32, np.float64)):
        if scale is not None:
            scales = scale if isinstance(scale, tuple) else (scale,) * nd
            if any(math.floor(n * s) < 1 for n, s in zip(shape, scales)):
                continue
        kw = dict(size=size, scale_factor=scale, recompute_scale_factor=rsf, mode=mode,
                  align_corners=ac, antialias=aa)
        x = random_input((2, 3) + shape, dtype, seed=count)
        _compare(x, kw)
        count += 1
    assert count > 20


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("shape, kw", [
    # 2-D outputs larger than PyTorch's 128 threshold use its generic index rule
    ((3, 70), dict(scale_factor=(2.0, 1.05))),
    ((3, 182), dict(scale_factor=(2.0, 2.41358033921214))),   # float32 and float64 differ
    ((40, 50), dict(scale_factor=(2.04, 1.0))),
    ((64, 64), dict(size=(64, 65))),
    ((64, 64), dict(size=(64, 64), scale_factor=None)),
    ((64, 64), dict(scale_factor=1.01)),
    # and the 1-D/3-D ones always
    ((182,), dict(scale_factor=2.41358033921214)),
    ((100,), dict(scale_factor=3.013698736154269)),
    ((10,), dict(scale_factor=1.05)),
    ((3, 5, 7), dict(scale_factor=(2.04, 1.05, 0.55))),
    ((2,), dict(scale_factor=41.0)),
])
def test_nearest_bit_identical_on_both_rules(shape, kw, mode, dtype):
    kw = dict(kw)
    kw.setdefault("size", None)
    if kw["size"] is not None:
        kw.pop("scale_factor", None)
    x = random_input((1, 2) + shape, dtype, seed=1)
    _compare(x, dict(mode=mode, **kw))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_exact_fused_multiply_add_case(dtype):
    # r = float32(1/20.5): 20 * r rounds differently with and without a fused
    # multiply-add; refpool follows PyTorch's AVX2/AVX512 kernels
    x = np.arange(28, dtype=dtype).reshape(1, 1, 28)
    y = refpool.interpolate(x, scale_factor=20.5, mode="nearest-exact")
    assert y[0, 0, 20] == (1.0 if dtype == np.float32 else 1.0)
    if torch.backends.cpu.get_cpu_capability() == "DEFAULT" and dtype == np.float32:
        pytest.skip("PyTorch's DEFAULT CPU kernel rounds r*(j+1/2) - 1/2 twice")
    _compare(x, dict(mode="nearest-exact", scale_factor=20.5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, kw", [
    ("linear", dict(size=9)), ("linear", dict(size=4)), ("linear", dict(size=5)),
    ("bilinear", dict(size=(9, 4))), ("bilinear", dict(size=(5, 5))),
    ("bilinear", dict(size=(3, 9), antialias=True)),
    ("bicubic", dict(size=(9, 4))), ("bicubic", dict(size=(3, 8), antialias=True)),
    ("trilinear", dict(size=(3, 9, 4))), ("nearest", dict(size=(9, 3))),
    ("area", dict(size=(3, 2))),
])
def test_nan_and_inf_like_torch(mode, kw, dtype):
    if kw.get("antialias"):
        pytest.skip("whether an antialiasing tap at the edge of the support has weight 0 "
                    "(inf * 0 = NaN) or a rounding residue (inf) depends on how the filter "
                    "is rounded: PyTorch uses float32 ranges for float32 input and fused "
                    "multiply-adds")
    nd = {"linear": 1, "trilinear": 3}.get(mode, 2)
    shape = (1, 3) + ((5,) * nd if nd < 3 else (3, 5, 5))
    for seed in range(3):
        x = random_input(shape, dtype, seed=seed, specials=True)
        want = _torch(x, mode=mode, **kw)
        for engine in ENGINES:
            got = refpool.interpolate(x, mode=mode, engine=engine, **kw)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
            np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
            finite = np.isfinite(want)
            np.testing.assert_array_equal(got[~finite & ~np.isnan(want)],
                                          want[~finite & ~np.isnan(want)])
            np.testing.assert_allclose(got[finite], want[finite], **TOL[np.dtype(dtype)])


def test_float64_linear_floors_in_float32_like_torch():
    # torch takes floor(float32(src)) even for float64 input; with r = 1/3.0000001
    # the source coordinate lands 1e-8 below an integer and the pair of pixels changes
    x = random_input((1, 1, 10), np.float64, seed=4)
    _compare(x, dict(mode="linear", scale_factor=3.0000001))


def test_larger_upsampling_and_downsampling():
    # the CPU engine's periodic fast paths (x2, x1/2) on longer rows
    x = random_input((2, 4, 33, 40), np.float32, seed=6)
    for mode, kw in [("bilinear", dict(scale_factor=2)), ("bicubic", dict(scale_factor=2)),
                     ("bilinear", dict(scale_factor=0.5)), ("nearest", dict(scale_factor=2)),
                     ("bilinear", dict(scale_factor=0.25, antialias=True)),
                     ("bicubic", dict(scale_factor=0.5, antialias=True)),
                     ("bilinear", dict(scale_factor=2, align_corners=True))]:
        _compare(x, dict(mode=mode, **kw), engines=("cpu",))
