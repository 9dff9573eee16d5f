"""refpool.interpolate: argument rules, output sizes, engines against the reference,
NaN/inf semantics, and the documented exact-equivariance statements.

The comparisons with PyTorch and e2cnn live in tests/peers/.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import refpool
from refpool import _args
from helpers import assert_close, assert_same, random_input

LINEAR_MODE = {1: "linear", 2: "bilinear", 3: "trilinear"}


# --------------------------------------------------------------------------- arguments
def _x(nd=2, dtype=np.float32):
    return random_input((1, 2) + (4,) * nd, dtype)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(size=3, scale_factor=2.0), "size and scale_factor"),
    (dict(), "size or scale_factor"),
    (dict(size=2, mode="nearest", align_corners=True), "align_corners"),
    (dict(size=2, mode="nearest", align_corners=False), "align_corners"),
    (dict(size=2, mode="nearest-exact", align_corners=False), "align_corners"),
    (dict(size=2, mode="area", align_corners=True), "align_corners"),
    (dict(size=2, mode="linear"), "mode"),
    (dict(size=2, mode="trilinear"), "mode"),
    (dict(size=2, mode="cubic"), "mode"),
    (dict(size=2, mode="Bilinear"), "mode"),
    (dict(size=2, mode=None), "mode"),
    (dict(scale_factor=0.0), "scale_factor"),
    (dict(scale_factor=-2.0), "scale_factor"),
    (dict(scale_factor=float("nan")), "scale_factor"),
    (dict(scale_factor=float("inf")), "scale_factor"),
    (dict(scale_factor=0.1), "scale_factor"),            # floor(4 * 0.1) = 0
    (dict(scale_factor=(2.0, 0.2)), "scale_factor"),
    (dict(scale_factor=(2.0, 2.0, 2.0)), "scale_factor"),
    (dict(size=0), "size"),
    (dict(size=(3, -1)), "size"),
    (dict(size=(3, 3, 3)), "size"),
    (dict(size=3, recompute_scale_factor=True), "recompute_scale_factor"),
    (dict(size=3, mode="nearest", antialias=True), "antialias"),
    (dict(size=3, mode="area", antialias=True), "antialias"),
    (dict(size=3, mode="nearest-exact", antialias=True), "antialias"),
])
def test_bad_arguments_raise_value_error_naming_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        refpool.interpolate(_x(), **kwargs)


@pytest.mark.parametrize("nd, mode", [(1, "bilinear"), (1, "bicubic"), (1, "trilinear"),
                                      (2, "linear"), (3, "bicubic"), (3, "bilinear")])
def test_mode_must_fit_the_rank(nd, mode):
    with pytest.raises(ValueError, match="mode"):
        refpool.interpolate(_x(nd), size=2, mode=mode)


@pytest.mark.parametrize("nd, mode", [(1, "linear"), (3, "trilinear")])
def test_antialias_needs_bilinear_or_bicubic(nd, mode):
    with pytest.raises(ValueError, match="antialias"):
        refpool.interpolate(_x(nd), size=2, mode=mode, antialias=True)


def test_wrong_kinds_raise_type_error():
    with pytest.raises(TypeError, match="size"):
        refpool.interpolate(_x(), size=2.5)
    with pytest.raises(TypeError, match="scale_factor"):
        refpool.interpolate(_x(), scale_factor="2")
    with pytest.raises(TypeError, match="align_corners"):
        refpool.interpolate(_x(), size=2, mode="bilinear", align_corners=1)
    with pytest.raises(TypeError, match="antialias"):
        refpool.interpolate(_x(), size=2, mode="bilinear", antialias=None)
    with pytest.raises(TypeError, match=r"x\.astype\(np\.float32\)"):
        refpool.interpolate(_x().astype(np.int32), size=2, mode="bilinear")
    with pytest.raises(TypeError, match="x must have dtype"):
        refpool.interpolate(_x().astype(np.complex64), size=2)


@pytest.mark.parametrize("n, s", [(10, 0.7), (100, 0.29), (7, 1 / 3), (3, 1.0000001),
                                  (5, 2.9999999), (33, 0.5), (1, 0.99)])
def test_output_size_is_the_floor_of_the_float64_product(n, s):
    m = math.floor(n * s)
    if m < 1:
        with pytest.raises(ValueError, match="scale_factor"):
            refpool.interpolate(random_input((1, 1, n)), scale_factor=s)
        return
    assert refpool.interpolate(random_input((1, 1, n)), scale_factor=s).shape == (1, 1, m)


def test_coordinate_scale_rule():
    spec = _args.interpolation_spec((10, 8), scale_factor=(1.25, 0.3), mode="bilinear")
    assert spec.output_size == (12, 2)
    assert spec.scale == (1 / 1.25, 1 / 0.3)          # the user's scale, not n / m
    spec = _args.interpolation_spec((10, 8), scale_factor=(1.25, 0.3), mode="bilinear",
                                    recompute_scale_factor=True)
    assert spec.scale == (10 / 12, 8 / 2)
    spec = _args.interpolation_spec((10, 8), size=(5, 1), mode="bilinear", align_corners=True)
    assert spec.scale == (9 / 4, 0.0)
    spec = _args.interpolation_spec((10, 8), scale_factor=1.25, mode="area")
    assert spec.scale == (10 / 12, 8 / 10)
    assert _args.interpolation_spec((4, 4), size=(64, 64)).nearest_rule == "small"
    assert _args.interpolation_spec((4, 4), size=(64, 65)).nearest_rule == "generic"
    assert _args.interpolation_spec((4,), size=8).nearest_rule == "generic"
    assert _args.interpolation_spec((4, 4), size=8, mode="bilinear").nearest_rule == "generic"


# --------------------------------------------------------------------------- basics
ENGINES = ("reference", "cpu")


@pytest.mark.parametrize("engine", ENGINES)
def test_dtype_shape_and_out(engine):
    for dtype in (np.float32, np.float64):
        x = random_input((2, 3, 5, 6), dtype)
        y = refpool.interpolate(x, size=(7, 4), mode="bicubic", engine=engine)
        assert y.dtype == dtype and y.shape == (2, 3, 7, 4) and y.flags.c_contiguous
        out = np.empty_like(y)
        r = refpool.interpolate(x, size=(7, 4), mode="bicubic", engine=engine, out=out)
        assert r is out
        assert_same(out, y)
    with pytest.raises(ValueError, match="out"):
        refpool.interpolate(x, size=(7, 4), out=np.empty((2, 3, 4, 7), dtype))
    with pytest.raises(ValueError, match="out"):
        refpool.interpolate(x, size=(7, 4), out=np.empty((2, 3, 7, 4), np.float32))


def test_area_is_adaptive_average_pooling():
    x = random_input((2, 3, 9, 7), np.float64)
    for engine in ENGINES:
        assert_same(refpool.interpolate(x, scale_factor=(0.5, 1.7), mode="area", engine=engine),
                    refpool.adaptive_avg_pool(x, (4, 11), engine=engine))


def test_nearest_rules_by_hand():
    x = np.arange(5, dtype=np.float64).reshape(1, 1, 5)
    # generic: floor(j * 5/3), j = 0..2
    assert refpool.interpolate(x, size=3, mode="nearest").ravel().tolist() == [0, 1, 3]
    # floor((j + 1/2) * 5/3)
    assert refpool.interpolate(x, size=3, mode="nearest-exact").ravel().tolist() == [0, 2, 4]
    # 2-D small outputs: m = 2n halves the index whatever the scale factor
    x2 = np.arange(3, dtype=np.float32).reshape(1, 1, 1, 3)
    y = refpool.interpolate(x2, scale_factor=(1.0, 2.0436), mode="nearest")
    assert y.ravel().tolist() == [0, 0, 1, 1, 2, 2]
    y1 = refpool.interpolate(x2[0], scale_factor=2.0436, mode="nearest")   # 1-D: generic
    assert y1.ravel().tolist() == [0, 0, 0, 1, 1, 2]


def test_bilinear_by_hand():
    x = np.array([[[0.0, 4.0]]])
    # r = 1/2: src = max(0.5 (j + 0.5) - 0.5, 0) = 0, 0.25, 0.75, 1.25 -> clamped
    y = refpool.interpolate(x, scale_factor=2, mode="linear", engine="reference")
    assert y.ravel().tolist() == [0.0, 1.0, 3.0, 4.0]
    y = refpool.interpolate(x, size=3, mode="linear", align_corners=True, engine="cpu")
    assert y.ravel().tolist() == [0.0, 2.0, 4.0]
    y = refpool.interpolate(x, size=1, mode="linear", align_corners=True)
    assert y.ravel().tolist() == [0.0]
    y = refpool.interpolate(x, size=1, mode="linear")
    assert y.ravel().tolist() == [2.0]


def test_copied_axis_and_zero_weight_infinities():
    # m == n copies a linear axis, but its taps (j, 1), (j, 0) still turn inf into NaN,
    # as PyTorch does; an antialiased copied axis is a plain copy
    x = np.array([[[[1.0, np.inf, 3.0, 4.0]] * 4]])
    for engine in ENGINES:
        y = refpool.interpolate(x, size=(4, 4), mode="bilinear", engine=engine)
        assert np.isnan(y[..., 1]).all() and (y[..., [0, 2, 3]] == x[..., [0, 2, 3]]).all()
        y = refpool.interpolate(x, size=(4, 4), mode="bilinear", antialias=True, engine=engine)
        assert_same(y, x)


@pytest.mark.parametrize("engine", ENGINES)
def test_input_not_modified_and_non_contiguous_input(engine):
    base = random_input((2, 6, 7, 9), np.float64, seed=3, specials=True)
    x = base[:, ::2, :, ::-1]                 # strided and reversed
    before = x.copy()
    for mode, kw in [("nearest", {}), ("nearest-exact", {}), ("bilinear", {}),
                     ("bicubic", {}), ("bilinear", dict(antialias=True)), ("area", {})]:
        y = refpool.interpolate(x, scale_factor=(1.5, 0.6), mode=mode, engine=engine, **kw)
        want = refpool.interpolate(np.ascontiguousarray(x), scale_factor=(1.5, 0.6),
                                   mode=mode, engine="reference", **kw)
        assert_close(y, want)
        assert_same(x, before)


# --------------------------------------------------------------------------- differential
@st.composite
def interp_case(draw, max_side=9, max_out=12, max_batch=2):
    nd = draw(st.integers(1, 3))
    side = max_side if nd < 3 else max(2, max_side // 2)
    shape = tuple(draw(st.integers(1, side)) for _ in range(nd))
    modes = ["nearest", "nearest-exact", "area", LINEAR_MODE[nd]] + \
        (["bicubic"] if nd == 2 else [])
    mode = draw(st.sampled_from(modes))
    kw = dict(mode=mode)
    if mode in ("linear", "bilinear", "trilinear", "bicubic"):
        kw["align_corners"] = draw(st.sampled_from((None, False, True)))
    if mode in ("bilinear", "bicubic"):
        kw["antialias"] = draw(st.booleans())
    out_side = max_out if nd < 3 else max(2, max_out // 2)
    if draw(st.booleans()):
        kw["size"] = tuple(draw(st.integers(1, out_side)) for _ in range(nd))
    else:
        scales = tuple(draw(st.one_of(
            st.sampled_from((0.5, 1.0, 1.5, 2.0, 3.0)),
            st.floats(0.2, 3.0, allow_nan=False))) for _ in range(nd))
        assume(all(1 <= math.floor(n * s) <= out_side for n, s in zip(shape, scales)))
        kw["scale_factor"] = scales
        kw["recompute_scale_factor"] = draw(st.sampled_from((None, False, True)))
    batch = (draw(st.integers(1, max_batch)), draw(st.integers(1, 3)))
    dtype = draw(st.sampled_from((np.float32, np.float64)))
    x = random_input(batch + shape, dtype, seed=draw(st.integers(0, 2**16)),
                     specials=draw(st.booleans()))
    if draw(st.booleans()):           # a non-contiguous view of the same values
        x = np.concatenate([x, x], axis=1)[:, ::2]
    return x, kw


def _check(x, kw, engine):
    before = x.copy()
    want = refpool.interpolate(x, engine="reference", **kw)
    got = refpool.interpolate(x, engine=engine, **kw)
    if kw["mode"].startswith("nearest"):
        assert_same(got, want)
    else:
        assert_close(got, want)
    assert_same(x, before)


@pytest.mark.differential
@given(case=interp_case())
def test_cpu_engine_matches_reference(case):
    _check(*case, "cpu")


@pytest.mark.differential
@pytest.mark.cuda
@given(case=interp_case(max_side=4, max_out=5, max_batch=1))
def test_cuda_engine_matches_reference(case):
    _check(*case, "cuda")


@pytest.mark.differential
@pytest.mark.parametrize("mode, kw", [
    ("nearest", dict(scale_factor=2)), ("nearest", dict(scale_factor=0.5)),
    ("nearest", dict(size=(19, 17))), ("nearest-exact", dict(scale_factor=(2, 3))),
    ("bilinear", dict(scale_factor=2)), ("bilinear", dict(scale_factor=0.5)),
    ("bilinear", dict(size=(19, 17))), ("bilinear", dict(scale_factor=2, align_corners=True)),
    ("bicubic", dict(scale_factor=2)), ("bicubic", dict(scale_factor=0.5)),
    ("bicubic", dict(size=(19, 17))), ("bilinear", dict(scale_factor=0.4, antialias=True)),
    ("bicubic", dict(scale_factor=0.3, antialias=True)),
])
def test_cpu_engine_periodic_paths_match_reference(mode, kw):
    # rows long enough for the CPU engine's periodic (x2, x1/2, equal-size) loops
    for dtype in (np.float32, np.float64):
        x = random_input((2, 3, 17, 19), dtype, seed=5, specials=True)
        want = refpool.interpolate(x, mode=mode, engine="reference", **kw)
        got = refpool.interpolate(x, mode=mode, engine="cpu", **kw)
        if mode.startswith("nearest"):
            assert_same(got, want)
        else:
            assert_close(got, want)


@pytest.mark.differential
@pytest.mark.cuda
def test_cuda_engine_on_a_cuda_array():
    from numba import cuda
    x = random_input((1, 2, 5, 4), np.float64, seed=2)
    d = cuda.to_device(x)
    y = refpool.interpolate(d, scale_factor=2, mode="bilinear")
    assert hasattr(y, "copy_to_host")
    assert_close(y.copy_to_host(), refpool.interpolate(x, scale_factor=2, mode="bilinear",
                                                      engine="reference"))


# --------------------------------------------------------------------------- equivariance
def _flip_error(x, axis, **kw):
    y = refpool.interpolate(x, engine="reference", **kw)
    yf = refpool.interpolate(np.flip(x, axis), engine="reference", **kw)
    return np.abs(np.flip(y, axis) - yf).max()


def _rot_error(x, **kw):
    y = refpool.interpolate(x, engine="reference", **kw)
    yr = refpool.interpolate(np.rot90(x, 1, (2, 3)).copy(), engine="reference", **kw)
    return np.abs(np.rot90(y, 1, (2, 3)) - yr).max()


EXACT = [
    # (input spatial shape, kwargs, dtype)
    ((6, 6), dict(mode="nearest", scale_factor=3), np.float64),
    ((6, 6), dict(mode="nearest", scale_factor=40), np.float32),
    ((7, 7), dict(mode="nearest", size=(21, 21)), np.float32),
    ((2,), dict(mode="nearest", scale_factor=41), np.float64),
    ((9, 9), dict(mode="nearest-exact", scale_factor=1 / 3), np.float32),
    ((5, 5), dict(mode="nearest-exact", size=(3, 3)), np.float32),       # n/gcd = 5 odd
    ((7, 7), dict(mode="bilinear", size=(5, 5)), np.float32),
    ((7, 7), dict(mode="bilinear", size=(16, 16)), np.float64),
    ((8, 8), dict(mode="bilinear", scale_factor=1.5), np.float64),       # 8 * 1.5 = 12
    ((9, 9), dict(mode="bilinear", scale_factor=0.7, recompute_scale_factor=True),
     np.float64),
    ((9, 9), dict(mode="bilinear", size=(4, 4), align_corners=True), np.float64),
    ((9, 9), dict(mode="bicubic", size=(13, 13)), np.float64),
    ((9, 9), dict(mode="bicubic", size=(4, 4), antialias=True), np.float64),
    ((9, 9), dict(mode="bilinear", size=(2, 2), antialias=True), np.float64),
    ((5, 5, 5), dict(mode="trilinear", size=(7, 7, 7)), np.float64),
    ((9, 9), dict(mode="area", size=(4, 4)), np.float64),
]

BROKEN = [
    ((2,), dict(mode="nearest", scale_factor=41), np.float32),    # float32 1/41 < 1/41
    ((4, 4), dict(mode="nearest", size=(2, 2)), np.float64),      # picks the first of 2
    ((4, 4), dict(mode="nearest-exact", size=(2, 2)), np.float64),  # n/gcd = 2 even: ties
    ((7, 7), dict(mode="bilinear", scale_factor=1.3), np.float64),  # 7 * 1.3 not integer
    ((7, 7), dict(mode="bicubic", scale_factor=0.6), np.float64),
    ((9, 9), dict(mode="bilinear", size=(4, 4), align_corners=True, antialias=True),
     np.float64),
    ((5, 5), dict(mode="bilinear", size=(1, 1), align_corners=True), np.float64),
]


@pytest.mark.parametrize("shape, kw, dtype", EXACT)
def test_documented_exact_equivariance(shape, kw, dtype):
    x = random_input((1, 2) + shape, dtype, seed=11)
    tol = 0 if kw["mode"].startswith("nearest") else 1e-12
    for axis in range(2, x.ndim):
        assert _flip_error(x, axis, **kw) <= tol
    if len(shape) >= 2:
        assert _rot_error(x, **kw) <= tol


@pytest.mark.parametrize("shape, kw, dtype", BROKEN)
def test_documented_broken_equivariance(shape, kw, dtype):
    x = random_input((1, 2) + shape, dtype, seed=11)
    assert _flip_error(x, x.ndim - 1, **kw) > 1e-3
