"""The PIL, OpenCV and scikit-image resize dialects against the peers themselves.

Every test draws random images, runs the peer and the dialect on the same
arguments over a grid (up/down, integer and non-integer factors, per-axis factors,
size 1, odd sizes, every method) and compares:

* nearest-neighbour methods (PIL ``NEAREST``, OpenCV ``INTER_NEAREST`` and
  ``INTER_NEAREST_EXACT``, scikit-image ``order=0`` without anti-aliasing) and
  crops: bitwise;
* PIL's convolution filters (float64 sums, float32 between the passes): within
  4 float32 ulps of the image's largest magnitude (two roundings to float32, and
  the coefficient roundings, which differ in order from PIL's);
* OpenCV's linear family (float32 source coordinates and float32 sums): within
  :math:`\\varepsilon_{32} (8 + 2 L)` times the largest magnitude, :math:`L` the
  longest axis involved (the float32 rounding of a coordinate of size up to
  :math:`L` moves a weight by :math:`\\varepsilon_{32} L`);
* scikit-image (float64 inside): float32 images within 2 float32 ulps, float64
  images within :math:`10^{-13}` of the largest magnitude.

Where a peer does not compute what its documentation (or its own stated rule)
says, a test asserts the difference and the dialect's choice.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

EPS32 = float(np.finfo(np.float32).eps)


def _rng(*key):
    return np.random.default_rng(abs(hash(key)) % (2 ** 32))


def _image(rng, shape, dtype=np.float32):
    return (rng.standard_normal(shape) * 3).astype(dtype)


def _scale(a):
    return max(1.0, float(np.abs(a).max()))


# =========================================================================== PIL
@pytest.fixture(scope="module")
def PIL_Image():
    return pytest.importorskip("PIL.Image")


PIL_SHAPES = [(5, 7), (1, 6), (9, 4), (13, 13), (1, 1), (16, 8)]


def _pil_sizes(h, w):
    return [(3, 2), (7, 11), (1, 1), (w, 5), (2 * w, h), (w, 3 * h), (max(w // 3, 1), h)]


def _pil_boxes(h, w):
    boxes = [None]
    if h > 1 and w > 1:
        boxes += [(1, 1, w, h), (0.5, 0.25, w - 0.5, h)]
    return boxes


def _pil(Image, a, size, resample, box=None, reducing_gap=None):
    return np.asarray(Image.fromarray(a).resize(size, resample, box=box,
                                                reducing_gap=reducing_gap))


def _box_has_tie(n, m, b0, b1):
    """PIL's BOX weight of some pixel is decided exactly on its window's edge:
    ``(p + 1/2 - c) / f = +-1/2`` in exact arithmetic (PIL's float32 box values)."""
    width = Fraction(float(np.float32(b1) - np.float32(b0)))
    b0 = Fraction(float(np.float32(b0)))
    r = width / m
    f = max(r, Fraction(1))
    for j in range(m):
        c = b0 + (j + Fraction(1, 2)) * r
        for sign in (1, -1):
            p = c - Fraction(1, 2) + sign * f / 2
            if p.denominator == 1 and 0 <= p < n:
                return True
    return False


@pytest.mark.parametrize("shape", PIL_SHAPES)
def test_pil_nearest_bitwise(PIL_Image, shape):
    from refpool.dialects import pil
    h, w = shape
    rng = _rng("pil-nearest", shape)
    count = 0
    for size in _pil_sizes(h, w):
        for box in _pil_boxes(h, w):
            a = _image(rng, shape)
            expected = _pil(PIL_Image, a, size, PIL_Image.NEAREST, box)
            got = pil.resize(a, size, pil.NEAREST, box=box)
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, expected, err_msg=f"{size} {box}")
            count += 1
    assert count >= len(_pil_sizes(h, w))


def test_pil_nearest_accumulates_its_step(PIL_Image):
    """PIL's NEAREST adds the step in float64 (``ImagingScaleAffine``): where the
    exact source position is an integer the sum can fall below it, so the pixel is
    not floor((j + 1/2) n/m); the dialect picks PIL's pixel."""
    from refpool.dialects import pil
    found = 0
    for n in range(2, 30):
        for m in range(2, 30):
            a = np.arange(n, dtype=np.float32)[None]
            expected = _pil(PIL_Image, a, (m, 1), PIL_Image.NEAREST)[0]
            exact = np.floor([(Fraction(2 * j + 1, 2) * n / m) for j in range(m)])
            if (expected != exact).any():
                found += 1
                np.testing.assert_array_equal(pil.resize(a, (m, 1), pil.NEAREST)[0],
                                              expected)
    assert found > 0


PIL_FILTERS = ["BOX", "BILINEAR", "HAMMING", "BICUBIC", "LANCZOS"]


@pytest.mark.parametrize("name", PIL_FILTERS)
@pytest.mark.parametrize("shape", PIL_SHAPES)
def test_pil_filters(PIL_Image, name, shape):
    from refpool.dialects import pil
    h, w = shape
    code = getattr(pil, name)
    assert code == int(getattr(PIL_Image.Resampling, name))
    rng = _rng("pil-filter", name, shape)
    count = 0
    for size in _pil_sizes(h, w):
        for box in _pil_boxes(h, w):
            bx = box or (0, 0, w, h)
            if code == pil.BOX and (_box_has_tie(w, size[0], bx[0], bx[2])
                                    or _box_has_tie(h, size[1], bx[1], bx[3])):
                continue                       # test_pil_box_ties
            a = _image(rng, shape)
            expected = _pil(PIL_Image, a, size, code, box)
            got = pil.resize(a, size, code, box=box)
            assert got.shape == expected.shape and got.dtype == np.float32
            np.testing.assert_allclose(got, expected, rtol=0, atol=4 * EPS32 * _scale(a),
                                       err_msg=f"{size} {box}")
            count += 1
    assert count >= 5


def test_pil_box_ties(PIL_Image):
    """PIL's BOX kernel is 1 on (-1/2, 1/2]: a pixel exactly on the right edge of the
    window counts, on the left does not.  PIL evaluates that test on float64
    rounded offsets, so an exact tie sometimes goes the other way; the dialect
    follows the stated rule.  Here (box left edge 0.5, 13 -> 7) PIL's rounding
    counts pixel 0, which lies exactly on the left edge of output 0's window."""
    from refpool.dialects import pil
    a = np.eye(13, dtype=np.float32)           # row k: pixel k alone
    box = (0.5, 0, 13, 13)
    assert _box_has_tie(13, 7, 0.5, 13)
    expected = _pil(PIL_Image, a, (7, 13), PIL_Image.BOX, box)
    got = pil.resize(a, (7, 13), pil.BOX, box=box)
    assert expected[0, 0] == 0.5                 # PIL: pixel 0 shares output 0
    assert got[0, 0] == 0.0 and got[1, 0] == 1.0   # the rule: pixel 0 is outside
    # elsewhere the two agree
    np.testing.assert_array_equal(got[2:], expected[2:])
    # with ties resolved by the rule in exact arithmetic, PIL and the dialect agree
    # on a tie-rich case (2x reduction of odd widths)
    b = np.eye(9, dtype=np.float32)
    np.testing.assert_allclose(pil.resize(b, (6, 9), pil.BOX),
                               _pil(PIL_Image, b, (6, 9), PIL_Image.BOX), atol=4 * EPS32)


@pytest.mark.parametrize("name", ["BOX", "BILINEAR", "BICUBIC", "LANCZOS", "HAMMING",
                                  "NEAREST"])
def test_pil_reducing_gap(PIL_Image, name):
    from refpool.dialects import pil
    code = getattr(pil, name)
    rng = _rng("pil-gap", name)
    count = 0
    for shape, size, box in [((23, 37), (5, 4), None), ((40, 17), (3, 9), None),
                             ((30, 30), (7, 7), (2, 3, 29, 25)), ((12, 50), (6, 5), None),
                             ((9, 9), (2, 2), (0.5, 0, 9, 8.5))]:
        for gap in (1.0, 1.5, 2.0, 3.0):
            bx = box or (0, 0, shape[1], shape[0])
            a = _image(rng, shape)
            expected = _pil(PIL_Image, a, size, code, box, reducing_gap=gap)
            got = pil.resize(a, size, code, box=box, reducing_gap=gap)
            if code == pil.BOX and (_box_has_tie(shape[1], size[0], bx[0], bx[2])
                                    or _box_has_tie(shape[0], size[1], bx[1], bx[3])):
                continue
            if code == pil.NEAREST:
                np.testing.assert_array_equal(got, expected)
            else:
                np.testing.assert_allclose(got, expected, rtol=0,
                                           atol=4 * EPS32 * _scale(a), err_msg=f"{gap}")
            count += 1
    assert count >= 8


def test_pil_crop_and_identity(PIL_Image):
    from refpool.dialects import pil
    a = _image(_rng("pil-crop"), (6, 9))
    for code in (pil.NEAREST, pil.BILINEAR, pil.LANCZOS):
        for size, box in [((9, 6), None), ((4, 3), (2, 1, 6, 4)), ((9, 6), (0, 0, 9, 6))]:
            np.testing.assert_array_equal(pil.resize(a, size, code, box=box),
                                          _pil(PIL_Image, a, size, code, box))
    # an unchanged axis is not resampled (LANCZOS at integer offsets is not exactly
    # the identity in floating point): width only
    got = pil.resize(a, (4, 6), pil.LANCZOS)
    np.testing.assert_allclose(got, _pil(PIL_Image, a, (4, 6), PIL_Image.LANCZOS),
                               atol=4 * EPS32 * _scale(a))


def test_pil_errors(PIL_Image):
    from refpool.dialects import pil
    a = np.zeros((4, 5), np.float32)
    im = PIL_Image.fromarray(a)
    for kwargs in [dict(size=(0, 3)), dict(size=(3, 3), box=(-1, 0, 5, 4)),
                   dict(size=(3, 3), box=(0, 0, 6, 4)), dict(size=(3, 3), box=(3, 0, 2, 4)),
                   dict(size=(3, 3), reducing_gap=0.5), dict(size=(3, 3), resample=9)]:
        with pytest.raises(ValueError):
            im.resize(**kwargs)
        with pytest.raises(ValueError):
            pil.resize(a, **kwargs)
    with pytest.raises(TypeError):
        pil.resize(a.astype(np.float64), (3, 3))


# =========================================================================== OpenCV
@pytest.fixture(scope="module")
def cv2_mod():
    return pytest.importorskip("cv2")


CV_SHAPES = [(5, 7), (1, 6), (9, 4, 3), (13, 13), (1, 1), (16, 8, 2), (24, 24, 1)]


def _cv_cases(h, w):
    """``(dsize, fx, fy)``: dsize given, and computed from fx, fy."""
    cases = [((3, 2), 0, 0), ((7, 11), 0, 0), ((1, 1), 0, 0), ((w, 5), 0, 0),
             ((2 * w, h), 0, 0), ((4, 30), 0, 0), ((max(w // 2, 1), max(h // 2, 1)), 0, 0),
             ((w, h), 0, 0)]
    for fx, fy in [(0.5, 0.5), (1.7, 0.3), (2.5, 3.0), (0.37, 1.0)]:
        if round(w * fx) >= 1 and round(h * fy) >= 1:
            cases.append((None, fx, fy))
    return cases


@pytest.mark.parametrize("name", ["INTER_NEAREST", "INTER_NEAREST_EXACT"])
@pytest.mark.parametrize("shape", CV_SHAPES)
def test_cv2_nearest_bitwise(cv2_mod, name, shape):
    from refpool.dialects import cv2
    code = getattr(cv2, name)
    assert code == getattr(cv2_mod, name)
    rng = _rng("cv-nearest", name, shape)
    for dsize, fx, fy in _cv_cases(*shape[:2]):
        a = _image(rng, shape)
        expected = cv2_mod.resize(a, dsize, fx=fx, fy=fy, interpolation=code)
        got = cv2.resize(a, dsize, fx=fx, fy=fy, interpolation=code)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected, err_msg=f"{dsize} {fx} {fy}")


@pytest.mark.parametrize("name", ["INTER_LINEAR", "INTER_CUBIC", "INTER_LANCZOS4",
                                  "INTER_AREA"])
@pytest.mark.parametrize("shape", CV_SHAPES)
def test_cv2_interpolating(cv2_mod, name, shape):
    from refpool.dialects import cv2
    code = getattr(cv2, name)
    assert code == getattr(cv2_mod, name)
    rng = _rng("cv-interp", name, shape)
    for dsize, fx, fy in _cv_cases(*shape[:2]):
        for dtype in (np.float32, np.float64):
            a = _image(rng, shape, dtype)
            expected = cv2_mod.resize(a, dsize, fx=fx, fy=fy, interpolation=code)
            got = cv2.resize(a, dsize, fx=fx, fy=fy, interpolation=code)
            assert got.shape == expected.shape and got.dtype == expected.dtype
            longest = max(a.shape[:2] + got.shape[:2])
            np.testing.assert_allclose(got, expected, rtol=0,
                                       atol=EPS32 * (8 + 2 * longest) * _scale(a),
                                       err_msg=f"{dsize} {fx} {fy} {dtype}")


def test_cv2_area_mixed_is_not_an_area_mean(cv2_mod):
    """INTER_AREA is documented as "resampling using pixel area relation"; enlarging
    one axis while shrinking the other, OpenCV interpolates two pixels on the
    shrunk axis instead (``resizeGeneric_`` in area mode).  The dialect follows
    OpenCV; the true area mean (refpool's ``area`` filter) differs."""
    from refpool.dialects import cv2
    from refpool.interpolate import resample
    a = _image(_rng("cv-area-mixed"), (4, 12))
    expected = cv2_mod.resize(a, (3, 10), interpolation=cv2_mod.INTER_AREA)
    got = cv2.resize(a, (3, 10), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(got, expected, atol=64 * EPS32 * _scale(a))
    mean = resample(a[None, None].astype(np.float64), size=(10, 3), filter="area",
                       exclude_outside=True)[0, 0]
    assert np.abs(mean - expected).max() > 0.1
    # shrinking (or enlarging) both axes, INTER_AREA is that area mean
    both = cv2_mod.resize(a, (5, 3), interpolation=cv2_mod.INTER_AREA)
    mean = resample(a[None, None].astype(np.float64), size=(3, 5), filter="area",
                       exclude_outside=True)[0, 0]
    np.testing.assert_allclose(both, mean, atol=64 * EPS32 * _scale(a))


def test_cv2_area_issue_21472(cv2_mod):
    """opencv#21472: [[0.1, 0.2, 0.3]] to 1 x 2 with INTER_AREA gives 0.1667 (the
    area mean would be 0.2); the dialect computes what OpenCV computes."""
    from refpool.dialects import cv2
    src = np.array([[0.1, 0.2, 0.3]])
    expected = cv2_mod.resize(src, (1, 2), interpolation=cv2_mod.INTER_AREA)
    got = cv2.resize(src, (1, 2), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert abs(got[0, 0] - 0.2) > 0.03


def test_cv2_area_threshold(cv2_mod):
    """opencv#22340: ``computeResizeAreaTab`` drops overlaps below 1e-3 pixel without
    renormalising, so a constant image shrunk from 1077 to 1024 columns is not
    constant in OpenCV; the dialect keeps every overlap (the exact area mean)."""
    from refpool.dialects import cv2
    ones = np.ones((2, 1077))
    expected = cv2_mod.resize(ones, (1024, 2), interpolation=cv2_mod.INTER_AREA)
    got = cv2.resize(ones, (1024, 2), interpolation=cv2.INTER_AREA)
    assert expected.min() < 0.9995
    np.testing.assert_allclose(got, 1.0, rtol=0, atol=1e-12)
    # away from the dropped overlaps the two agree (OpenCV's weights are float32)
    close = np.abs(expected - 1.0) < 1e-6
    assert 0.5 < close.mean() < 1
    np.testing.assert_allclose(got[close], expected[close], atol=1e-6)


def test_cv2_nearest_exact_is_not_skimage_at_ties(cv2_mod):
    """OpenCV documents INTER_NEAREST_EXACT as producing "same results as the nearest
    neighbor method in PIL, scikit-image or Matlab"; at exact ties PIL and
    scikit-image disagree, and OpenCV 5.1 computes PIL's (accumulated) rule."""
    transform = pytest.importorskip("skimage.transform")
    from refpool.dialects import cv2, pil
    a = np.arange(4, dtype=np.float32)[None].repeat(2, 0)
    ours = cv2.resize(a, (10, 2), interpolation=cv2.INTER_NEAREST_EXACT)
    np.testing.assert_array_equal(
        ours, cv2_mod.resize(a, (10, 2), interpolation=cv2_mod.INTER_NEAREST_EXACT))
    np.testing.assert_array_equal(ours, pil.resize(a, (10, 2), pil.NEAREST))
    sk = transform.resize(a, (2, 10), order=0, anti_aliasing=False)
    assert (sk != ours).any()


def test_cv2_sizes_and_layout(cv2_mod):
    from refpool.dialects import cv2
    for shape in [(5, 5), (7, 3, 1), (6, 4, 4)]:
        a = _image(_rng("cv-shape", shape), shape)
        for fx, fy in [(0.5, 0.7), (0.3, 1.5), (0.1, 0.1), (2.5, 0.5)]:
            if round(shape[1] * fx) < 1 or round(shape[0] * fy) < 1:
                continue
            expected = cv2_mod.resize(a, None, fx=fx, fy=fy)
            assert cv2.resize(a, None, fx=fx, fy=fy).shape == expected.shape
        out = np.empty((3, 2) + shape[2:], np.float32)
        if out.shape[-1] == 1:
            out = out[..., 0]
        r = cv2.resize(a, (2, 3), dst=out)
        assert r is out
    with pytest.raises(ValueError):
        cv2.resize(np.zeros((4, 4), np.float32), None)


# =========================================================================== scikit-image
@pytest.fixture(scope="module")
def sk_transform():
    return pytest.importorskip("skimage.transform")


SK_CASES = [((5, 7), (3, 2)), ((5, 7), (11, 13)), ((1, 6), (4, 3)), ((9, 4, 3), (4, 9)),
            ((13, 13), (1, 1)), ((16, 8), (5, 20)), ((4, 4), (4, 9)),
            ((6, 5, 4), (3, 10, 4)), ((20,), (7,))]


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("mode", ["reflect", "constant", "edge", "symmetric", "wrap"])
def test_skimage_resize(sk_transform, order, mode):
    from refpool.dialects import skimage
    rng = _rng("sk", order, mode)
    for anti_aliasing in (None, False, True):
        for dtype in (np.float32, np.float64):
            for shape, out in SK_CASES:
                a = _image(rng, shape, dtype)
                kw = dict(order=order, mode=mode, cval=0.3, anti_aliasing=anti_aliasing)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    expected = sk_transform.resize(a, out, **kw)
                    got = skimage.resize(a, out, **kw)
                assert got.shape == expected.shape and got.dtype == expected.dtype
                smooth = anti_aliasing or (anti_aliasing is None
                                           and any(o < i for o, i in zip(out, shape)))
                if order == 0 and not smooth:
                    np.testing.assert_array_equal(got, expected)
                else:
                    atol = (2 * EPS32 if dtype == np.float32 else 1e-13) * _scale(a)
                    np.testing.assert_allclose(got, expected, rtol=0, atol=atol,
                                               err_msg=f"{shape}->{out} {kw} {dtype}")


def test_skimage_sigma_and_clip(sk_transform):
    from refpool.dialects import skimage
    rng = _rng("sk-clip")
    a = rng.uniform(2, 3, (9, 11))
    for kw in [dict(anti_aliasing_sigma=1.3), dict(anti_aliasing_sigma=(0.0, 2.2)),
               dict(mode="constant", cval=10.0), dict(mode="constant", cval=-4.0, clip=False),
               dict(mode="constant", cval=2.5), dict(order=0, anti_aliasing=True)]:
        expected = sk_transform.resize(a, (4, 17), **kw)
        got = skimage.resize(a, (4, 17), **kw)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13, err_msg=f"{kw}")
    # integer images: order 0 keeps the dtype (bitwise), preserve_range for order 1
    b = rng.integers(0, 255, (7, 6)).astype(np.uint8)
    np.testing.assert_array_equal(skimage.resize(b, (3, 11), order=0),
                                  sk_transform.resize(b, (3, 11), order=0))
    np.testing.assert_allclose(skimage.resize(b, (3, 11), preserve_range=True),
                               sk_transform.resize(b, (3, 11), preserve_range=True),
                               atol=1e-12)
    c = rng.integers(0, 2, (5, 6)).astype(bool)
    np.testing.assert_array_equal(skimage.resize(c, (9, 4)), sk_transform.resize(c, (9, 4)))
    for bad in [dict(order=1), dict(anti_aliasing=True)]:
        with pytest.raises(ValueError):
            sk_transform.resize(c, (9, 4), **bad)
        with pytest.raises(ValueError):
            skimage.resize(c, (9, 4), **bad)


def test_skimage_rescale(sk_transform):
    from refpool.dialects import skimage
    rng = _rng("sk-rescale")
    a = rng.standard_normal((7, 9, 3))
    for kw in [dict(scale=0.5), dict(scale=(0.4, 1.7), channel_axis=-1),
               dict(scale=2.5, channel_axis=2), dict(scale=(1.5, 0.5, 1.0)),
               dict(scale=0.25, order=0, anti_aliasing=False)]:
        expected = sk_transform.rescale(a, **kw)
        got = skimage.rescale(a, **kw)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13 * _scale(a),
                                   err_msg=f"{kw}")


# =========================================================================== docs
def test_docs_examples_run_as_written():
    """The examples of the three dialect modules and of their sections of
    docs/resize_dialects.rst (PIL (Pillow), OpenCV, scikit-image)."""
    import doctest
    import importlib
    import os
    import re
    pytest.importorskip("PIL")
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    attempted = 0
    for name in ("pil", "cv2", "skimage"):
        module = importlib.import_module(f"refpool.dialects.{name}.resize")
        result = doctest.testmod(module, optionflags=flags)
        assert result.failed == 0
        attempted += result.attempted
    page = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs",
                        "resize_dialects.rst")
    text = open(page, encoding="utf-8").read()
    # split at section titles (a line underlined with '-')
    parts = re.split(r"\n(?=[^\n]+\n-{3,}\n)", text)
    mine = [p for p in parts if p.split("\n", 1)[0] in ("PIL (Pillow)", "OpenCV",
                                                          "scikit-image")]
    assert len(mine) == 3
    test = doctest.DocTestParser().get_doctest("\n".join(mine), {}, "resize_dialects.rst",
                                               page, 0)
    runner = doctest.DocTestRunner(optionflags=flags)
    runner.run(test)
    assert runner.failures == 0
    assert attempted + runner.tries > 20


@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_engines_agree_with_the_peers(PIL_Image, cv2_mod, sk_transform, engine):
    """One case per method on each engine (the grids above run on ``auto``)."""
    from refpool.dialects import cv2, pil, skimage
    rng = _rng("engines", engine)
    a = _image(rng, (7, 10))
    for name in ["NEAREST"] + PIL_FILTERS:
        code = getattr(pil, name)
        expected = _pil(PIL_Image, a, (4, 9), code, (0, 1, 10, 7))
        got = pil.resize(a, (4, 9), code, box=(0, 1, 10, 7), engine=engine)
        np.testing.assert_allclose(got, expected, rtol=0, atol=4 * EPS32 * _scale(a))
    for name in ["INTER_NEAREST", "INTER_NEAREST_EXACT", "INTER_LINEAR", "INTER_CUBIC",
                 "INTER_LANCZOS4", "INTER_AREA"]:
        for dsize in [(4, 3), (13, 5), (4, 12)]:
            expected = cv2_mod.resize(a, dsize, interpolation=getattr(cv2_mod, name))
            got = cv2.resize(a, dsize, interpolation=getattr(cv2, name), engine=engine)
            np.testing.assert_allclose(got, expected, rtol=0,
                                       atol=EPS32 * 40 * _scale(a), err_msg=name)
    for order in (0, 1):
        for mode in ("reflect", "constant"):
            expected = sk_transform.resize(a, (3, 14), order=order, mode=mode, cval=1.0)
            got = skimage.resize(a, (3, 14), order=order, mode=mode, cval=1.0, engine=engine)
            np.testing.assert_allclose(got, expected, rtol=0, atol=2 * EPS32 * _scale(a))
