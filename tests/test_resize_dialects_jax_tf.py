"""The JAX and TensorFlow resize dialects against their peers, over a generated grid.

``refpool.dialects.jax.resize`` / ``scale_and_translate`` against ``jax.image``, and
``refpool.dialects.tf.resize`` (``tf.image.resize``) and the v1 ``resize_*`` ops
against TensorFlow (docs/resize_dialects.rst).  Both peers evaluate coordinates and
weights in float32, refpool in float64, so float32 outputs agree to
``(32 + 2 L) eps32 max|x|`` (L the longest axis: the float32 coordinate's
rounding; the observed worst case is about a quarter of that); ``nearest`` is
bitwise, with the input's dtype.  Where a peer's output differs from its
documentation, or from refpool, a test asserts the difference.
"""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import refpool  # noqa: E402

TOL32 = 32 * float(np.finfo(np.float32).eps)

#: (input size, output size) per spatial axis: integer up/down, non-integer, per-axis
#: scales, size 1 in and out, odd sizes, identity
CASES_2D = [((6, 4), (12, 8)), ((5, 7), (15, 21)), ((8, 6), (4, 3)), ((9, 9), (3, 3)),
            ((7, 5), (10, 3)), ((5, 8), (3, 13)), ((1, 5), (4, 5)), ((6, 1), (1, 3)),
            ((7, 5), (1, 1)), ((1, 1), (3, 2)), ((7, 5), (7, 5)), ((13, 11), (5, 17))]


def _ids(cases):
    return [f"{a}->{b}".replace(" ", "") for a, b in cases]


def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _tol32(got, x):
    """Both peers compute the source coordinate in float32: an error of up to half
    an ulp of the longest axis L, times a slope of at most 2 max|x|, on top of
    the arithmetic (TOL32)."""
    longest = max(np.shape(got) + np.shape(x))
    return (TOL32 + 2 * longest * float(np.finfo(np.float32).eps)) * max(
        1.0, float(np.abs(np.asarray(x, dtype=np.float64)).max()))


def _close32(got, want, x, tol=None):
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = _tol32(want, x) if tol is None else tol
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                               rtol=0, atol=tol)


# =====================================================================  TensorFlow

@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


TFR = importlib.import_module("refpool.dialects.tf.resize")


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("method", TFR.METHODS)
@pytest.mark.parametrize("case", CASES_2D, ids=_ids(CASES_2D))
def test_tf_resize_matches_tensorflow(tf, case, method, antialias):
    (h, w), size = case
    x = _data((2, h, w, 3))
    want = tf.image.resize(x, size, method, antialias=antialias).numpy()
    got = TFR.resize(x, size, method, antialias=antialias)
    if method == "nearest":
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
    else:
        _close32(got, want, x)


@pytest.mark.parametrize("method", TFR.METHODS)
@pytest.mark.parametrize("size", [(10, 10), (3, 100), (2, 100), (9, 2), (4, 4)])
@pytest.mark.parametrize("hw", [(7, 5), (4, 5)])
def test_tf_resize_preserve_aspect_ratio_and_3d(tf, hw, size, method):
    x = _data(hw + (2,), seed=1)
    want = tf.image.resize(x, size, method, preserve_aspect_ratio=True).numpy()
    got = TFR.resize(x, size, method, preserve_aspect_ratio=True)
    assert got.shape == want.shape
    if method == "nearest":
        np.testing.assert_array_equal(got, want)
    else:
        _close32(got, want, x)


def test_tf_preserve_aspect_ratio_rounds_half_to_even(tf):
    # 0.5 * 5 = 2.5 -> 2 (round half to even in float32), not 3
    x = _data((4, 5, 1))
    assert tf.image.resize(x, (2, 100), preserve_aspect_ratio=True).shape == (2, 2, 1)
    assert TFR.resize(x, (2, 100), preserve_aspect_ratio=True).shape == (2, 2, 1)


@pytest.mark.parametrize("method", TFR.METHODS)
@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.uint8, np.int64])
def test_tf_resize_dtypes(tf, dtype, method):
    """float32 out for every method but ``nearest``, which keeps the dtype."""
    base = np.random.default_rng(2).standard_normal((2, 7, 5, 2))
    x = (np.abs(base) * 60).astype(dtype) if np.dtype(dtype).kind in "iu" else base.astype(dtype)
    for size in [(3, 8), (11, 4)]:
        want = tf.image.resize(x, size, method).numpy()
        got = TFR.resize(x, size, method)
        assert got.dtype == want.dtype == (x.dtype if method == "nearest" else np.float32)
        if method == "nearest":
            np.testing.assert_array_equal(got, want)
        else:
            _close32(got, want, x)


V1_CASES = CASES_2D[:6] + [((6, 1), (1, 3)), ((7, 5), (1, 1)), ((5, 6), (13, 1)),
                           ((3, 7), (8, 19))]


@pytest.mark.parametrize("op", ["resize_bilinear", "resize_nearest_neighbor",
                                "resize_bicubic"])
@pytest.mark.parametrize("flags", [(False, False), (True, False), (False, True)],
                         ids=["legacy", "align_corners", "half_pixel_centers"])
@pytest.mark.parametrize("case", V1_CASES, ids=_ids(V1_CASES))
def test_tf_v1_ops_match_tensorflow(tf, case, flags, op):
    (h, w), size = case
    x = _data((2, h, w, 3), seed=3)
    ac, hp = flags
    want = getattr(tf.compat.v1.image, op)(x, size, align_corners=ac,
                                           half_pixel_centers=hp).numpy()
    got = getattr(TFR, op)(x, size, align_corners=ac, half_pixel_centers=hp)
    if op == "resize_nearest_neighbor":
        np.testing.assert_array_equal(got, want)
    else:
        _close32(got, want, x)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("case", [c for c in V1_CASES if c[0][0] > 1 and c[0][1] > 1],
                         ids=_ids([c for c in V1_CASES if c[0][0] > 1 and c[0][1] > 1]))
def test_tf_v1_resize_area_matches_tensorflow(tf, case, align_corners):
    (h, w), size = case
    x = _data((2, h, w, 3), seed=4)
    want = tf.compat.v1.image.resize_area(x, size, align_corners=align_corners).numpy()
    _close32(TFR.resize_area(x, size, align_corners=align_corners), want, x)


#: (n, m) pairs of one axis, all small ones and those where TensorFlow's float32
#: index differs from the exact rule (half-pixel, legacy, align_corners)
NEAREST_PAIRS = ([(n, m) for n in range(1, 9) for m in range(1, 25)]
                 + [(2, 41), (2, 47), (3, 123), (2, 82), (2, 94), (4, 75), (8, 47),
                    (4, 149), (7, 149)])


@pytest.mark.parametrize("flags", [(False, False), (True, False), (False, True)],
                         ids=["legacy", "align_corners", "half_pixel_centers"])
def test_tf_nearest_bitwise_over_size_pairs(tf, flags):
    ac, hp = flags
    for n, m in NEAREST_PAIRS:
        x = np.arange(2 * n * 3, dtype=np.int32).reshape(1, n, 2, 3)
        size = (m, 3)
        want = tf.compat.v1.image.resize_nearest_neighbor(
            x, size, align_corners=ac, half_pixel_centers=hp).numpy()
        got = TFR.resize_nearest_neighbor(x, size, align_corners=ac, half_pixel_centers=hp)
        np.testing.assert_array_equal(got, want, err_msg=f"{n} -> {m}")
        assert got.dtype == want.dtype
        if hp:
            np.testing.assert_array_equal(TFR.resize(x[0], size, "nearest"),
                                          tf.image.resize(x[0], size, "nearest").numpy())


def test_tf_nearest_rounds_in_float32(tf):
    """TensorFlow's half-pixel nearest index is computed in float32: 2 rows to 41,
    output 20 sits exactly on row 1 ((20 + 1/2) * 2/41 = 1) but TensorFlow reads
    row 0; the exact rule reads row 1.  The dialect reads what TensorFlow reads."""
    x = np.array([10.0, 20.0], dtype=np.float32).reshape(1, 2, 1, 1)
    want = tf.image.resize(x, (41, 1), "nearest").numpy()
    assert want[0, 20, 0, 0] == 10.0
    exact = refpool.resample(x, size=(41, 1), channels_last=True, filter="nearest",
                             coordinate_mode="tf_half_pixel_for_nn", nearest_mode="floor")
    assert exact[0, 20, 0, 0] == 20.0
    np.testing.assert_array_equal(TFR.resize(x, (41, 1), "nearest"), want)


@pytest.mark.parametrize("method", TFR.METHODS)
def test_tf_resize_large_random_sizes(tf, method):
    """Sizes up to 150: the float32 coordinates' error grows with the axis.  The
    tabulated bicubic rounds TensorFlow's float32 fractional position to the table
    step; where refpool's float64 position rounds to the neighbouring entry the
    output moves by at most one step, 2**-10 times the kernel's slope (< 1.5) per
    tap: the bound below."""
    rng = np.random.default_rng(16)
    for _ in range(6):
        n, m = rng.integers(1, 150, size=2), rng.integers(1, 150, size=2)
        x = rng.standard_normal((1, n[0], n[1], 1)).astype(np.float32)
        for antialias in (False, True):
            want = tf.image.resize(x, m, method, antialias=antialias).numpy()
            got = TFR.resize(x, m, method, antialias=antialias)
            if method == "nearest":
                np.testing.assert_array_equal(got, want)
            elif method == "bicubic" and not antialias:
                _close32(got, want, x, tol=16 * 1.5 * 2.0 ** -10 * np.abs(x).max())
            elif method == "gaussian":
                # a tap exactly at the support's edge (test_tf_gaussian_edge_ties)
                _close32(got, want, x, tol=8 * np.exp(-4.5) * np.abs(x).max())
            else:
                _close32(got, want, x)


def test_tf_gaussian_edge_ties(tf):
    """TensorFlow's gaussian is cut at 3 sigma = 1.5, where it is still
    exp(-4.5) = 0.011: a tap exactly 1.5 from the sample (exact arithmetic, the
    dialect) has weight 0, but TensorFlow's float32 position can land just inside
    and count it.  Differences occur only at outputs with such a tie, and some do."""
    from fractions import Fraction
    seen = 0
    for n, m in [(108, 79), (90, 37), (64, 25), (120, 45), (100, 75)]:
        x = np.random.default_rng(n + m).standard_normal((1, n, 1, 1)).astype(np.float32)
        want = tf.image.resize(x, (m, 1), "gaussian").numpy()[0, :, 0, 0]
        got = TFR.resize(x, (m, 1), "gaussian")[0, :, 0, 0]
        tie = np.zeros(m, bool)
        for j in range(m):
            pos = Fraction(2 * j + 1, 2) * Fraction(n, m) - Fraction(1, 2)
            tie[j] = any((pos + d).denominator == 1 and 0 <= pos + d < n
                         for d in (Fraction(3, 2), Fraction(-3, 2)))
        off = np.abs(got - want) > _tol32(want[:, None], x[0, :, 0])
        assert not np.any(off & ~tie), (n, m)
        seen += int(off.sum())
    assert seen > 0


def test_tf_bicubic_is_tabulated(tf):
    """TensorFlow's non-antialiased bicubic reads Keys' kernel from a table of 1024
    steps per unit: it differs from the exact kernel by up to ~1e-3 of the signal
    (resize_bicubic_op.cc, kTableSize); the dialect reproduces the table."""
    x = _data((1, 7, 9, 1), seed=5)
    want = tf.image.resize(x, (23, 31), "bicubic").numpy()
    exact = refpool.resample(x, size=(23, 31), channels_last=True, filter="cubic",
                             cubic_coeff_a=-0.5, exclude_outside=True)
    assert np.abs(exact - want).max() > 50 * TOL32 * np.abs(x).max()
    _close32(TFR.resize(x, (23, 31), "bicubic"), want, x)


def test_tf_bicubic_antialias_changes_upsampling(tf):
    """``antialias`` is documented as acting when downsampling, but for ``bicubic``
    it switches kernels (ScaleAndTranslate's exact ``keyscubic`` for the table of
    ResizeBicubic), which changes upsampled outputs too; the dialect follows."""
    x = _data((1, 5, 6, 1), seed=6)
    off = tf.image.resize(x, (17, 13), "bicubic", antialias=False).numpy()
    on = tf.image.resize(x, (17, 13), "bicubic", antialias=True).numpy()
    assert np.abs(on - off).max() > 50 * TOL32 * np.abs(x).max()
    _close32(TFR.resize(x, (17, 13), "bicubic", antialias=True), on, x)
    # bilinear's two paths agree when upsampling, as documented
    np.testing.assert_allclose(
        tf.image.resize(x, (17, 13), antialias=True).numpy(),
        tf.image.resize(x, (17, 13), antialias=False).numpy(), rtol=0,
        atol=TOL32 * np.abs(x).max())


@pytest.mark.parametrize("method", ["gaussian", "mitchellcubic"])
def test_tf_non_interpolating_kernels_resample_at_the_same_size(tf, method):
    x = _data((1, 6, 5, 1), seed=7)
    want = tf.image.resize(x, (6, 5), method).numpy()
    assert np.abs(want - x).max() > 0.01          # TensorFlow does not skip the resize
    _close32(TFR.resize(x, (6, 5), method), want, x)


def test_tf_errors():
    x = _data((1, 4, 4, 1))
    with pytest.raises(ValueError, match="method"):
        TFR.resize(x, (2, 2), "cubic")
    with pytest.raises(ValueError, match="size"):
        TFR.resize(x, (2, 2, 2))
    with pytest.raises(ValueError, match="images"):
        TFR.resize(x[0, 0], (2, 2))
    with pytest.raises(ValueError, match="half_pixel_centers"):
        TFR.resize_bilinear(x, (2, 2), align_corners=True, half_pixel_centers=True)
    with pytest.raises(ValueError, match="images"):
        TFR.resize_bilinear(x[0], (2, 2))


# =====================================================================  JAX

@pytest.fixture(scope="module")
def jax():
    return pytest.importorskip("jax")


JR = importlib.import_module("refpool.dialects.jax.resize")
JAX_METHODS = ["nearest", "linear", "cubic", "lanczos3", "lanczos5", "area", "cubic-pytorch"]

#: whole-array shapes: (input, output) with the resized axes anywhere
JAX_SHAPES = [((2, h, w, 3), (2, a, b, 3)) for (h, w), (a, b) in CASES_2D] + [
    ((2, 3, 7, 5), (2, 3, 3, 9)),                  # channels first
    ((4, 9), (4, 4)), ((9,), (20,)), ((1,), (6,)),  # 1-D
    ((2, 5, 4, 3, 2), (2, 9, 2, 5, 2)),            # 3-D
    ((3, 5, 4), (6, 5, 4)),                        # the leading axis
    ((3, 5, 4, 6), (2, 8, 3, 7)),                  # four axes: two resample calls
]


def _jax_close(got, want, x):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    scale = max(1.0, float(np.abs(np.asarray(x, dtype=np.float64)).max()))
    tol = {np.dtype(np.float64): 1e-12 * scale,
           np.dtype(np.float16): 4e-3 * scale}.get(want.dtype, None)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=0,
                               atol=_tol32(want, x) if tol is None else tol)


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("method", JAX_METHODS)
@pytest.mark.parametrize("shapes", JAX_SHAPES, ids=_ids(JAX_SHAPES))
def test_jax_resize_matches_jax(jax, shapes, method, antialias):
    shape_in, shape_out = shapes
    x = _data(shape_in, seed=8)
    want = jax.image.resize(x, shape_out, method, antialias=antialias)
    got = JR.resize(x, shape_out, method, antialias=antialias)
    if method == "nearest":
        np.testing.assert_array_equal(got, np.asarray(want))
        assert got.dtype == want.dtype
    else:
        _jax_close(got, want, x)


def test_jax_nearest_bitwise_over_size_pairs(jax):
    pairs = [(n, m) for n in range(1, 7) for m in range(1, 14)] + [
        (2, 41), (3, 123), (7, 149), (150, 7), (6, 37), (10, 25), (10, 47), (10, 55)]
    for n, m in pairs:
        x = np.arange(n * 2, dtype=np.int16).reshape(n, 2)
        want = jax.image.resize(x, (m, 2), "nearest")
        got = JR.resize(x, (m, 2), "nearest")
        np.testing.assert_array_equal(got, np.asarray(want), err_msg=f"{n} -> {m}")
        assert got.dtype == want.dtype


def test_jax_nearest_index_is_not_the_exact_rule(jax):
    """``_resize_nearest`` writes ``floor((j + 0.5) * n / m)`` in float32, but XLA
    multiplies by the float32 reciprocal of ``m``: 10 samples to 25, output 2 sits
    exactly on sample 1 (2.5 * 10/25 = 1) and JAX reads sample 0."""
    x = np.arange(10, dtype=np.int32)
    want = np.asarray(jax.image.resize(x, (25,), "nearest"))
    assert want[2] == 0 and (5 * 10) // (2 * 25) == 1
    np.testing.assert_array_equal(JR.resize(x, (25,), "nearest"), want)


#: (scale, translation) for the two axes of a (2, 7, 5, 3) image -> (2, 6, 8, 3)
SCALE_TRANSLATION = [((0.5, 1.7), (0.3, -1.0)), ((6 / 7, 8 / 5), (0.0, 0.0)),
                     ((2.0, 1.0), (-3.0, 2.5)), ((1.0, 0.4), (0.5, 0.0)),
                     ((1.3, 3.0), (-2.0, -9.0)), ((0.9, 2.2), (4.0, 0.75))]


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("method", [m for m in JAX_METHODS if m != "nearest"])
@pytest.mark.parametrize("st", SCALE_TRANSLATION, ids=[str(s) for s in SCALE_TRANSLATION])
def test_jax_scale_and_translate_matches_jax(jax, st, method, antialias):
    scale, translation = st
    x = _data((2, 7, 5, 3), seed=9)
    shape = (2, 6, 8, 3)
    if method == "cubic-pytorch" and not antialias:
        for s, t, n, m in zip(scale, translation, (7, 5), (6, 8)):
            source = (np.arange(m) + 0.5 - t) / s - 0.5
            if source.min() <= -3 or source.max() >= n + 2:
                pytest.skip("cubic-pytorch's edge padding: "
                            "test_jax_cubic_pytorch_far_outside")
    want = jax.image.scale_and_translate(x, shape, (1, 2), np.float32(scale),
                                         np.float32(translation), method,
                                         antialias=antialias)
    got = JR.scale_and_translate(x, shape, (1, 2), scale, translation, method,
                                 antialias=antialias)
    _jax_close(got, want, x)


@pytest.mark.parametrize("method", JAX_METHODS)
def test_jax_resize_large_random_sizes(jax, method):
    rng = np.random.default_rng(17)
    for _ in range(4):
        n, m = rng.integers(1, 150, size=2), rng.integers(1, 150, size=2)
        x = rng.standard_normal((2, n[0], n[1])).astype(np.float32)
        for antialias in (False, True):
            want = jax.image.resize(x, (2, m[0], m[1]), method, antialias=antialias)
            got = JR.resize(x, (2, m[0], m[1]), method, antialias=antialias)
            if method == "nearest":
                np.testing.assert_array_equal(got, np.asarray(want))
            else:
                _jax_close(got, want, x)


def test_jax_scale_and_translate_one_axis_negative_dim(jax):
    x = _data((3, 7, 4), seed=10)
    want = jax.image.scale_and_translate(x, (3, 7, 9), (-1,), np.float32([2.5]),
                                         np.float32([-0.5]), "lanczos3")
    _jax_close(JR.scale_and_translate(x, (3, 7, 9), (-1,), [2.5], [-0.5], "lanczos3"),
               want, x)


def test_jax_cubic_pytorch_far_outside(jax):
    """JAX pads ``cubic-pytorch`` (no antialias) with two edge samples per side (-2
    and -1 read sample 0): a sample 4 or more inputs outside has no tap of nonzero
    weight left and JAX returns 0 there, where the dialect (edges clamped) returns
    the edge value.  Nearer samples agree (their missing taps would all read the
    edge sample too)."""
    x = _data((1, 6), seed=11) + 3.0
    shape = (1, 8)
    want = np.asarray(jax.image.scale_and_translate(
        x, shape, (1,), np.float32([0.5]), np.float32([3.0]), "cubic-pytorch",
        antialias=False))
    got = JR.scale_and_translate(x, shape, (1,), [0.5], [3.0], "cubic-pytorch",
                                 antialias=False)
    source = (np.arange(8) + 0.5 - 3.0) / 0.5 - 0.5        # -5.5, -3.5, -1.5, ...
    far = source <= -4
    assert far.any()
    assert np.all(want[0, far] == 0) and np.allclose(got[0, far], x[0, 0])
    _jax_close(got[:, ~far], want[:, ~far], x)


def test_jax_cubic_pytorch_antialias_changes_upsampling(jax):
    """``antialias`` is documented to have no effect when upsampling, but with
    ``cubic-pytorch`` it substitutes ``cubic`` (A = -1/2, taps outside dropped):
    upsampled outputs change.  The dialect follows JAX."""
    x = _data((5, 6), seed=12)
    on = np.asarray(jax.image.resize(x, (13, 17), "cubic-pytorch", antialias=True))
    off = np.asarray(jax.image.resize(x, (13, 17), "cubic-pytorch", antialias=False))
    assert np.abs(on - off).max() > 0.01
    _jax_close(JR.resize(x, (13, 17), "cubic-pytorch", antialias=True), on, x)
    _jax_close(JR.resize(x, (13, 17), "cubic", antialias=True), on, x)


@pytest.mark.parametrize("method", ["nearest", "linear", "cubic", "lanczos3", "area"])
@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int64, np.int16, np.uint8,
                                   np.bool_, np.uint32])
def test_jax_resize_dtypes_with_x64(jax, dtype, method):
    base = np.random.default_rng(13).standard_normal((7, 5, 3))
    if np.dtype(dtype).kind in "iub":
        x = (np.abs(base) * 40).astype(dtype)
    else:
        x = base.astype(dtype)
    with jax.enable_x64(True):
        want = jax.image.resize(x, (3, 8, 3), method)
        got = JR.resize(x, (3, 8, 3), method)
        assert got.dtype == want.dtype
        if method == "nearest":
            np.testing.assert_array_equal(got, np.asarray(want))
        else:
            _jax_close(got, want, x)


def test_jax_method_spellings_and_enum(jax):
    x = _data((2, 5, 7), seed=14)
    for spelling, enum in [("bilinear", "LINEAR"), ("trilinear", "LINEAR"),
                           ("triangle", "LINEAR"), ("bicubic", "CUBIC"),
                           ("tricubic", "CUBIC"), ("bicubic-pytorch", "CUBIC_PYTORCH")]:
        member = getattr(jax.image.ResizeMethod, enum)
        want = jax.image.resize(x, (2, 9, 3), member)
        _jax_close(JR.resize(x, (2, 9, 3), spelling), want, x)
        _jax_close(JR.resize(x, (2, 9, 3), member), want, x)


def test_jax_identity_and_errors(jax):
    x = _data((3, 4), seed=15)
    got = JR.resize(x, (3, 4), "lanczos3")
    np.testing.assert_array_equal(got, x)
    assert got is not x
    assert JR.resize(x, (0, 4), "linear").shape == (0, 4)
    with pytest.raises(ValueError, match="(?i)nearest"):
        jax.image.scale_and_translate(x, (3, 4), (0,), np.float32([1.0]),
                                      np.float32([0.0]), "nearest")
    with pytest.raises(ValueError, match="(?i)nearest"):
        JR.scale_and_translate(x, (3, 4), (0,), [1.0], [0.0], "nearest")
    with pytest.raises(ValueError, match="shape"):
        JR.resize(x, (3, 4, 1), "linear")
    with pytest.raises(ValueError, match="method"):
        JR.resize(x, (3, 5), "gaussian")
    with pytest.raises(ValueError, match="spatial_dims"):
        JR.scale_and_translate(x, (3, 5), (1,), [1.0, 2.0], [0.0], "linear")
    with pytest.raises(ValueError, match="spatial_dims"):
        JR.scale_and_translate(x, (5, 5), (1,), [2.0], [0.0], "linear")
