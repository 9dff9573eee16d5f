"""refpool.resample: closed forms, engines against the reference, the torch
semantics of refpool.interpolate, layouts and argument errors."""

import itertools

import numpy as np
import pytest

import refpool
from refpool import _geometry as G
from refpool._args import resample_spec

from helpers import assert_close, random_input

KERNELS = ("box", "linear", "cubic", "mitchell", "catmull_rom", "gaussian", "lanczos3",
           "lanczos4", "lanczos5", "hamming", ("bc", 0.5, 0.25))
FILTERS = ("nearest", "area") + KERNELS
MODES = G.COORDINATE_MODES
ROI1 = (0.1, 0.9)


def _ref(x, **kw):
    return refpool.resample(x, engine="reference", **kw)


# --------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("n, m", [(5, 9), (7, 3), (4, 4), (6, 13), (10, 7)])
@pytest.mark.parametrize("mode", ["half_pixel", "align_corners", "asymmetric",
                                  "half_pixel_symmetric"])
def test_linear_interpolation_of_an_affine_signal_is_exact(n, m, mode):
    a, b = 0.75, -2.0
    x = (a * np.arange(n) + b)[None, None]
    y = _ref(x, size=m, coordinate_mode=mode)[0, 0]
    src = G.source_coordinates(mode, n, m, m / n)
    inside = (src >= 0) & (src <= n - 1)
    np.testing.assert_allclose(y[inside], a * src[inside] + b, rtol=0, atol=1e-12)
    # outside, the clamp to the edge sample
    np.testing.assert_allclose(y[src < 0], b, atol=1e-12)
    np.testing.assert_allclose(y[src > n - 1], a * (n - 1) + b, atol=1e-12)


@pytest.mark.parametrize("filt", FILTERS[1:])
@pytest.mark.parametrize("antialias, exclude", [(False, False), (True, False), (True, True),
                                                (False, True)])
def test_every_filter_keeps_a_constant(filt, antialias, exclude):
    x = np.full((1, 2, 9, 6), 3.25)
    for size in ((4, 13), (9, 6), (20, 2)):
        y = _ref(x, size=size, filter=filt, antialias=antialias, exclude_outside=exclude)
        np.testing.assert_allclose(y, 3.25, rtol=1e-13)


@pytest.mark.parametrize("filt", FILTERS)
@pytest.mark.parametrize("mode", MODES)
def test_tap_weights_sum_to_one(filt, mode):
    for n, m, antialias, exclude in itertools.product((1, 4, 7), (1, 3, 10), (False, True),
                                                      (False, True)):
        if filt == "nearest" and antialias:
            continue
        ax = G.ResampleAxis(n, m, m / n, mode, filt, antialias, exclude, roi=ROI1)
        taps = ax.taps()
        live = np.arange(taps.index.shape[1])[None, :] < taps.count[:, None]
        total = np.where(live, taps.weight, 0).sum(axis=1)
        # an output reading only outside samples has no tap with exclude_outside
        x = ax.coordinates()
        empty = exclude & ((x < -0.5) | (x > n - 0.5)) & (total == 0)
        np.testing.assert_allclose(total[~empty], 1.0, rtol=1e-12)
        assert np.all(taps.weight[live & ~empty[:, None]] != 0)     # zero taps dropped
        assert taps.index.min() >= 0 and taps.index.max() < n


def test_keys_with_a_minus_half_reproduces_quadratics():
    n, m = 12, 29
    q = lambda t: 0.3 * t * t - 1.1 * t + 2.0        # noqa: E731
    x = q(np.arange(n, dtype=np.float64))[None, None]
    src = G.source_coordinates("half_pixel", n, m, m / n)
    for filt in ({"filter": "cubic", "cubic_coeff_a": -0.5}, {"filter": "catmull_rom"}):
        y = _ref(x, size=m, **filt)[0, 0]
        interior = (src >= 1) & (src <= n - 2)
        np.testing.assert_allclose(y[interior], q(src[interior]), atol=1e-11)
    # a = -0.75 does not (the test can fail)
    y = _ref(x, size=m, filter="cubic")[0, 0]
    assert not np.allclose(y[interior], q(src[interior]), atol=1e-6)


def test_box_and_area_downsampling_by_an_integer_are_block_means():
    x = random_input((2, 3, 12, 9), np.float64)
    blocks = x.reshape(2, 3, 4, 3, 3, 3).mean(axis=(3, 5))
    np.testing.assert_allclose(_ref(x, size=(4, 3), filter="box", antialias=True), blocks,
                               rtol=1e-13)
    np.testing.assert_allclose(_ref(x, scale=1 / 3, filter="area"), blocks, rtol=1e-13)


def test_area_is_the_overlap_of_cells():
    # 3 -> 2: output cells [0, 1.5) and [1.5, 3): weights (1, 1/2) / 1.5 and (1/2, 1) / 1.5
    x = np.array([[[1.0, 4.0, 10.0]]])
    np.testing.assert_allclose(_ref(x, size=2, filter="area")[0, 0],
                               [(1 + 2) / 1.5, (2 + 10) / 1.5])
    # upsampling 2 -> 3: the middle output cell [2/3, 4/3) straddles both inputs
    x = np.array([[[3.0, 9.0]]])
    np.testing.assert_allclose(_ref(x, size=3, filter="area")[0, 0], [3.0, 6.0, 9.0])


def test_antialiased_linear_halving_is_the_1_3_3_1_filter():
    x = random_input((1, 1, 16), np.float64)
    y = _ref(x, size=8, antialias=True, exclude_outside=False)[0, 0]
    v = x[0, 0]
    expected = [(v[2 * j - 1] + 3 * v[2 * j] + 3 * v[2 * j + 1] + v[2 * j + 2]) / 8
                for j in range(1, 7)]
    np.testing.assert_allclose(y[1:7], expected, rtol=1e-13)
    # at the left edge the tap -1 is clamped to 0 (exclude_outside=False) or dropped
    np.testing.assert_allclose(y[0], (4 * v[0] + 3 * v[1] + v[2]) / 8, rtol=1e-13)
    z = _ref(x, size=8, antialias=True, exclude_outside=True)[0, 0]
    np.testing.assert_allclose(z[0], (3 * v[0] + 3 * v[1] + v[2]) / 7, rtol=1e-13)


@pytest.mark.parametrize("filt", ["linear", "cubic", "lanczos3", "lanczos5", "mitchell"])
def test_integer_coordinates_of_interpolating_kernels_copy_samples(filt):
    x = random_input((1, 2, 7, 5), np.float64)
    # asymmetric at scale 1: x = j, every interpolating kernel is 1 at 0 and 0 at the
    # other integers (mitchell is not interpolating: the test can fail)
    y = _ref(x, scale=1.0, coordinate_mode="asymmetric", filter=filt)
    if filt == "mitchell":
        assert not np.allclose(y, x)
    else:
        np.testing.assert_allclose(y, x, rtol=0, atol=1e-14)


def test_nearest_rounding_modes_at_ties():
    x = np.arange(4.0)[None, None]
    # scale 2, half_pixel: x_j = (j + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25, ...
    assert _ref(x, scale=2, filter="nearest")[0, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    # asymmetric 0.5 steps: ties at 0.5, 1.5, ...
    kw = dict(size=8, scale=2, filter="nearest", coordinate_mode="asymmetric")
    assert _ref(x, **kw, nearest_mode="round_prefer_floor")[0, 0].tolist() == \
        [0, 0, 1, 1, 2, 2, 3, 3]
    assert _ref(x, **kw, nearest_mode="round_prefer_ceil")[0, 0].tolist() == \
        [0, 1, 1, 2, 2, 3, 3, 3]
    assert _ref(x, **kw, nearest_mode="ceil")[0, 0].tolist() == [0, 1, 1, 2, 2, 3, 3, 3]
    assert _ref(x, **kw, nearest_mode="floor")[0, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_crop_and_resize_extrapolates():
    x = np.arange(5.0)[None, None]
    # roi (0.5, 1.5): x_j = 2 + j * 4 / 4 = 2, 3, 4, 5, 6
    y = _ref(x, size=5, coordinate_mode="tf_crop_and_resize", roi=(0.5, 1.5),
             extrapolation_value=-7.0)
    assert y[0, 0].tolist() == [2.0, 3.0, 4.0, -7.0, -7.0]
    # 2-D: an output outside on either axis
    x2 = np.ones((1, 1, 3, 3))
    y2 = _ref(x2, size=(2, 2), coordinate_mode=("tf_crop_and_resize", "half_pixel"),
              roi=(0.0, 0.0, 2.0, 1.0), extrapolation_value=5.0)
    assert y2[0, 0].tolist() == [[1.0, 1.0], [5.0, 5.0]]


def test_translation_shifts_the_output_grid():
    n = 8
    x = (0.5 * np.arange(n) + 1)[None, None]
    # JAX: (j + 0.5 - t)/s - 0.5 ; with s = 1 the output is the input shifted by t
    y = _ref(x, size=n, scale=1.0, translation=1.5)[0, 0]
    src = np.arange(n) - 1.5
    inside = src >= 0
    np.testing.assert_allclose(y[inside], 0.5 * src[inside] + 1)
    # "cells": outside [-1/2, n - 1/2] the output is the extrapolation value (TF/JAX)
    z = _ref(x, size=n, scale=1.0, translation=3.0, extrapolate="cells")[0, 0]
    assert z[:3].tolist() == [0.0, 0.0, 0.0] and z[3] == 1.0      # x_j = j - 3


def test_both_size_and_scale():
    x = random_input((1, 1, 10), np.float64)
    # the scale drives the coordinates, the size the output length
    y = _ref(x, size=4, scale=0.5, coordinate_mode="asymmetric", filter="nearest")
    np.testing.assert_array_equal(y[0, 0], x[0, 0, [0, 2, 4, 6]])
    assert _ref(x, scale=0.35).shape[-1] == 3          # floor(10 * 0.35)


def test_custom_kernel_equals_the_named_one():
    x = random_input((1, 2, 9, 7), np.float64)
    tri = ("kernel", lambda d: np.maximum(0.0, 1 - np.abs(d)), 1.0)
    for engine in ("reference", "cpu"):
        np.testing.assert_allclose(
            refpool.resample(x, size=(4, 11), filter=tri, antialias=True, engine=engine),
            refpool.resample(x, size=(4, 11), antialias=True, engine=engine), rtol=1e-13)
    np.testing.assert_allclose(_ref(x, size=5, filter=("bc", 1 / 3, 1 / 3)),
                               _ref(x, size=5, filter="mitchell"), rtol=1e-13)
    np.testing.assert_allclose(_ref(x, size=5, filter=("bc", 0, 0.5)),
                               _ref(x, size=5, filter="cubic", cubic_coeff_a=-0.5),
                               rtol=1e-12)


# --------------------------------------------------------------------------- torch semantics
@pytest.mark.parametrize("n, m", [(5, 9), (9, 4), (6, 6), (3, 1)])
def test_the_torch_modes_of_interpolate(n, m):
    x = random_input((2, 3, n, n + 1, n + 2), np.float32)
    size = (m, m + 1, m + 3)
    for mode, nm, ctm in (("nearest", "torch", "asymmetric"),
                          ("nearest-exact", "torch_exact", "half_pixel")):
        np.testing.assert_array_equal(
            refpool.resample(x, size=size, filter="nearest", nearest_mode=nm,
                             coordinate_mode=ctm),
            refpool.interpolate(x, size=size, mode=mode))
    assert_close(refpool.resample(x, size=size), refpool.interpolate(x, size=size,
                                                                    mode="trilinear"))
    assert_close(refpool.resample(x, size=size, coordinate_mode="align_corners"),
                 refpool.interpolate(x, size=size, mode="trilinear", align_corners=True))
    x2 = x[:, :, 0]
    assert_close(refpool.resample(x2, size=size[:2], filter="cubic"),
                 refpool.interpolate(x2, size=size[:2], mode="bicubic"))
    for filt, mode in (("linear", "bilinear"), ("cubic", "bicubic")):
        assert_close(refpool.resample(x2, size=size[:2], filter=filt, antialias=True,
                                      exclude_outside=True, cubic_coeff_a=-0.5),
                     refpool.interpolate(x2, size=size[:2], mode=mode, antialias=True))


@pytest.mark.peers
@pytest.mark.parametrize("scale", [0.37, 0.5, 1.7, 3.0])
def test_against_torch(scale):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = random_input((2, 3, 11, 8), np.float32)
    t = torch.from_numpy(x)
    got = refpool.resample(x, scale=scale, filter="nearest", nearest_mode="torch",
                           coordinate_mode="asymmetric")
    np.testing.assert_array_equal(got, F.interpolate(t, scale_factor=scale).numpy())
    got = refpool.resample(x, scale=scale, coordinate_mode="pytorch_half_pixel")
    want = F.interpolate(t, scale_factor=scale, mode="bilinear").numpy()
    assert_close(got, want)
    got = refpool.resample(x, scale=scale, filter="linear", antialias=True,
                           exclude_outside=True)
    want = F.interpolate(t, scale_factor=scale, mode="bilinear", antialias=True).numpy()
    assert_close(got, want)


# --------------------------------------------------------------------------- engines
def _cases():
    yield dict(size=(7, 4))
    yield dict(scale=(0.4, 2.5), filter="cubic", exclude_outside=True)
    yield dict(size=(3, 9), filter="lanczos3", antialias=True)
    yield dict(size=(5, 5), filter="area")
    yield dict(size=(6, 2), filter="gaussian", antialias=True, coordinate_mode="align_corners")
    yield dict(size=(8, 3), filter="nearest", coordinate_mode="tf_crop_and_resize",
               roi=(0.1, -0.2, 0.9, 1.3), extrapolation_value=2.5)
    yield dict(size=(4, 4), scale=(0.7, 1.3), translation=(0.5, -1.0), filter="box",
               antialias=True, extrapolate="cells")
    yield dict(size=(5, 4), scale=1.0, translation=(3.0, 0.0), exclude_outside=True,
               filter="cubic")                  # outputs 0 and 1 of axis 0 have no tap


@pytest.mark.differential
@pytest.mark.parametrize("kw", list(_cases()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_engine_matches_reference(kw, dtype):
    x = random_input((2, 3, 6, 5), dtype, specials=False)
    ref = refpool.resample(x, engine="reference", **kw)
    got = refpool.resample(x, engine="cpu", **kw)
    assert got.dtype == dtype
    assert_close(got, ref)


@pytest.mark.cuda
def test_cuda_engine_on_tiny_inputs():
    x = random_input((1, 2, 4, 3), np.float32)
    for kw in _cases():
        assert_close(refpool.resample(x, engine="cuda", **kw),
                     refpool.resample(x, engine="reference", **kw))


def test_three_spatial_axes_and_one():
    x = random_input((1, 2, 4, 5, 6), np.float64)
    kw = dict(size=(3, 7, 2), filter="lanczos3", antialias=True)
    assert_close(refpool.resample(x, engine="cpu", **kw), _ref(x, **kw))
    x1 = random_input((2, 1, 9), np.float64)
    assert_close(refpool.resample(x1, size=4, filter="hamming", antialias=True),
                 _ref(x1, size=4, filter="hamming", antialias=True))


def test_outputs_without_taps_are_zero_even_beside_infinities():
    x = np.full((1, 1, 6), np.inf)
    for engine in ("reference", "cpu"):
        y = refpool.resample(x, size=6, scale=1.0, translation=4.0, exclude_outside=True,
                             engine=engine)[0, 0]
        # x_j = j - 4: outputs 0 .. 1 read only positions < -1
        assert y[:2].tolist() == [0.0, 0.0] and np.isinf(y[4])


def test_non_finite_values_stay_local():
    x = np.zeros((1, 1, 8))
    x[0, 0, 3] = np.inf
    for engine in ("reference", "cpu"):
        y = refpool.resample(x, size=8, coordinate_mode="asymmetric", scale=1.0,
                             engine=engine)
        assert np.isinf(y[0, 0, 3]) and np.all(y[0, 0, [0, 1, 6, 7]] == 0)


# --------------------------------------------------------------------------- calls
def test_layouts_out_and_input_untouched():
    x = random_input((2, 5, 6, 3), np.float32)          # N, H, W, C
    keep = x.copy()
    y = refpool.resample(x, size=(4, 9), channels_last=True, filter="cubic")
    want = refpool.resample(np.moveaxis(x, -1, 1), size=(4, 9), filter="cubic")
    np.testing.assert_array_equal(y, np.moveaxis(want, 1, -1))
    np.testing.assert_array_equal(x, keep)
    out = np.empty((2, 3, 4, 9), np.float32)
    r = refpool.resample(np.moveaxis(x, -1, 1), size=(4, 9), filter="cubic", out=out)
    assert r is out
    np.testing.assert_array_equal(out, want)
    # ndim=: an unbatched image (C, H, W)
    img = np.ascontiguousarray(np.moveaxis(x, -1, 1)[0])
    np.testing.assert_array_equal(refpool.resample(img, size=(4, 9), filter="cubic", ndim=2),
                                  want[0])


def test_integer_input_with_nearest_only():
    x = np.arange(30, dtype=np.int16).reshape(1, 1, 5, 6)
    y = refpool.resample(x, scale=(1.5, 0.5), filter="nearest")
    assert y.dtype == np.int16
    np.testing.assert_array_equal(y, refpool.resample(x.astype(np.float64), scale=(1.5, 0.5),
                                                      filter="nearest",
                                                      engine="reference").astype(np.int16))
    with pytest.raises((TypeError, ValueError)):
        refpool.resample(x, scale=2)


@pytest.mark.parametrize("kw, match", [
    (dict(), "size or scale"),
    (dict(size=0), "size"),
    (dict(scale=0.0), "scale"),
    (dict(scale=-1.0), "scale"),
    (dict(scale=float("nan")), "scale"),
    (dict(scale=0.01), "scale"),
    (dict(size=3, filter="bogus"), "filter"),
    (dict(size=3, filter=("bc", 1)), "filter"),
    (dict(size=3, coordinate_mode="centre"), "coordinate_mode"),
    (dict(size=3, coordinate_mode=("half_pixel",) * 3), "coordinate_mode"),
    (dict(size=3, filter="nearest", nearest_mode="up"), "nearest_mode"),
    (dict(size=3, filter="nearest", nearest_mode="torch"), "nearest_mode"),
    (dict(size=3, filter="nearest", antialias=True), "antialias"),
    (dict(size=3, coordinate_mode="tf_crop_and_resize"), "roi"),
    (dict(size=3, coordinate_mode="tf_crop_and_resize", roi=(0.0, 1.0, 0.5)), "roi"),
    (dict(size=3, translation=float("inf")), "translation"),
    (dict(size=3, cubic_coeff_a=float("nan")), "cubic_coeff_a"),
    (dict(size=3, extrapolate="far"), "extrapolate"),
    (dict(size=3, antialias="yes"), "antialias"),
])
def test_bad_arguments_name_the_argument(kw, match):
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises((ValueError, TypeError), match=match):
        refpool.resample(x, **kw)


def test_spec_is_hashable_and_cached_tables_reused():
    a = resample_spec((5, 6), size=(3, 4), filter="cubic")
    b = resample_spec((5, 6), size=(3, 4), filter="cubic")
    assert a == b and hash(a) == hash(b)


def test_dask_chunks_match_the_whole():
    da = pytest.importorskip("dask.array")
    import refpool.dask as rd
    x = random_input((2, 3, 17, 12), np.float64)
    dx = da.from_array(x, chunks=(1, 2, 5, 7))
    for kw in list(_cases())[-2:] + [dict(size=(40, 30), filter="lanczos3"),
                                     dict(size=(5, 4), filter="cubic", antialias=True)]:
        got = rd.resample(dx, **kw).compute()
        want = refpool.resample(x, engine="reference", **kw)
        if kw.get("filter") == "nearest":
            np.testing.assert_array_equal(got, want)
        else:
            assert_close(got, want)


# --------------------------------------------------------------------------- exactness
def _rule_cases():
    for shape, kw in [
            ((1, 1, 7), dict(size=4)),
            ((1, 1, 7), dict(size=4, coordinate_mode="asymmetric")),
            ((1, 1, 6), dict(size=9, coordinate_mode="align_corners", filter="cubic")),
            ((1, 1, 6), dict(size=9, coordinate_mode="tf_half_pixel_for_nn")),
            ((1, 1, 5), dict(scale=1.7, filter="lanczos3", antialias=True)),
            ((1, 1, 8), dict(size=3, filter="area")),
            ((1, 1, 8), dict(size=3, filter="box", antialias=True, exclude_outside=True)),
            ((1, 1, 5), dict(size=10, filter="nearest")),
            ((1, 1, 4), dict(size=12, filter="nearest")),
            ((1, 1, 5), dict(size=9, filter="nearest", nearest_mode="round_prefer_ceil")),
            ((1, 1, 6), dict(size=6, translation=0.5)),
            ((1, 1, 6), dict(size=4, coordinate_mode="tf_crop_and_resize", roi=(0.25, 0.75),
                             extrapolation_value=3.0)),
            ((1, 1, 6), dict(size=4, coordinate_mode="tf_crop_and_resize", roi=(0.1, 0.75))),
            ((1, 1, 6), dict(size=8, scale=2.0, coordinate_mode="half_pixel_symmetric")),
            ((1, 1, 5, 5), dict(size=(8, 8), filter="mitchell")),
            ((1, 1, 5, 5), dict(size=(8, 7), filter="gaussian", antialias=True)),
            ((1, 1, 6, 6), dict(size=3, coordinate_mode=("half_pixel", "asymmetric"))),
            ((1, 1, 4, 4, 4), dict(size=(2, 2, 2), filter="hamming", antialias=True))]:
        yield pytest.param(shape, kw, id=f"{shape}-{kw}")


@pytest.mark.parametrize("shape, kw", list(_rule_cases()))
def test_exactness_rule_is_tight(shape, kw):
    from test_exact_symmetries import _assert_tight
    _assert_tight(refpool.resample, shape, kw, exact=kw.get("filter") == "nearest")


def test_documented_exact_cases():
    from refpool.equivariance import grid_group
    flip = len(grid_group(1).elements)
    assert len(refpool.exact_symmetries(refpool.resample, (1, 1, 7), size=4)) == flip
    assert len(refpool.exact_symmetries(refpool.resample, (1, 1, 7), size=4,
                                        coordinate_mode="asymmetric")) == 1
    d4 = refpool.exact_symmetries(refpool.resample, (1, 1, 5, 5), size=(9, 9),
                                  filter="lanczos3")
    assert len(d4) == 8
