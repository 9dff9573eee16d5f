"""Exact symmetries of dialect calls (refpool.equivariance.exact_symmetries_of_linear,
routed from refpool.exact_symmetries): the claims are what holds on random inputs.

The independent answer is the dialect itself, applied to grid-transformed random
inputs (the transform of refpool.FieldType.transform on trivial fields): an element
holds numerically when ``f(T_g x)`` equals ``T_g f(x)`` to float32 rounding, and
fails when they differ by far more.  The table of "Exact symmetries of a resize" in
docs/resize_dialects.rst is parsed and recomputed the same way.
"""

import functools
import os
import re

import numpy as np
import pytest

import refpool
from refpool import FieldType
from refpool.dialects import cv2, jax, pil, skimage, tf
from refpool.dialects.onnx import MaxPool, Resize
from refpool.equivariance import exact_symmetries, exact_symmetries_of_linear, grid_group
from refpool.equivariance.linear import MAX_PIXELS

P = functools.partial
DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "resize_dialects.rst")


# ------------------------------------------------------------------ the numerical truth
def _transform(x, g, axes):
    """``T_g`` on the spatial ``axes`` of ``x``, by refpool.FieldType.transform (trivial
    field) on an ``(N, 1, *spatial)`` view."""
    nd = len(axes)
    group = grid_group(nd)
    last = tuple(range(x.ndim - nd, x.ndim))
    moved = np.moveaxis(x, axes, last)
    lead = moved.shape[:-nd]
    planes = moved.reshape((-1, 1) + moved.shape[-nd:]).astype(np.float64)
    field = FieldType(group, [group.trivial_representation])
    y = field.transform(planes, g)
    return np.moveaxis(y.reshape(lead + y.shape[-nd:]), last, axes)


def _spatial(shape, kw):
    nd = kw.get("ndim") or len(shape) - 2
    start = len(shape) - nd - (1 if kw.get("channels_last") else 0)
    return tuple(range(start, start + nd))


def numerical(fn, shape, kw, dtype=np.float32, seed=0):
    """``{g: worst relative difference}`` of ``fn(T_g x)`` and ``T_g fn(x)`` on two random
    inputs (``inf`` when the shapes differ)."""
    axes = _spatial(shape, kw)
    rng = np.random.default_rng(seed)
    result = {}
    inputs = [rng.random(shape).astype(dtype) for _ in range(2)]
    outputs = [np.asarray(fn(x), dtype=np.float64) for x in inputs]
    for g in grid_group(len(axes)).elements:
        worst = 0.0
        for x, y in zip(inputs, outputs):
            moved_x = _transform(x, g, axes).astype(dtype)
            a = np.asarray(fn(np.ascontiguousarray(moved_x)), dtype=np.float64)
            b = _transform(y, g, axes)
            if a.shape != b.shape:
                worst = float("inf")
                break
            worst = max(worst, float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)))
        result[g] = worst
    return result


#: float32 rounding of a resize of values in [0, 1)
HOLDS = 1e-5


def assert_claims_hold(fn, shape, kw):
    claimed = set(exact_symmetries(fn, shape, **kw))
    truth = numerical(fn, shape, kw)
    for g, worst in truth.items():
        if g in claimed:
            assert worst <= HOLDS, (g, worst)
        else:
            # a failing element fails clearly: not a rounding question
            assert worst > 1e3 * HOLDS, (g, worst)
    return claimed


# ------------------------------------------------------------------ the calls
def _tf(call, **kw):
    return lambda n, m: (P(call, size=(m, m), **kw), (1, n, n, 1), dict(channels_last=True))


def _cv2(name):
    return lambda n, m: (P(cv2.resize, dsize=(m, m), interpolation=getattr(cv2, name)),
                         (n, n), dict(ndim=2))


def _pil(name):
    return lambda n, m: (P(pil.resize, size=(m, m), resample=getattr(pil, name)), (n, n),
                         dict(ndim=2))


def _jax(method, **kw):
    return lambda n, m: (P(jax.resize, shape=(m, m), method=method, **kw), (n, n),
                         dict(ndim=2))


def _onnx(mode, **kw):
    return lambda n, m: (P(Resize, sizes=np.array([1, 1, m, m]), mode=mode, **kw),
                         (1, 1, n, n), {})


def _skimage(order, **kw):
    return lambda n, m: (P(skimage.resize, output_shape=(m, m), order=order, **kw), (n, n),
                         dict(ndim=2))


def _torch(mode, **kw):
    return lambda n, m: (P(refpool.interpolate, size=(m, m), mode=mode, **kw),
                         (1, 1, n, n), {})


#: the rows of the docs table -> the call for an n x n -> m x m resize
DOC_ROWS = {
    "tf.resize bilinear": _tf(tf.resize, method="bilinear"),
    "tf.resize bicubic": _tf(tf.resize, method="bicubic"),
    "tf.resize area": _tf(tf.resize, method="area"),
    "tf.resize nearest": _tf(tf.resize, method="nearest"),
    "tf resize_bilinear": _tf(tf.resize_bilinear),
    "tf resize_bilinear align_corners": _tf(tf.resize_bilinear, align_corners=True),
    "tf resize_nearest_neighbor": _tf(tf.resize_nearest_neighbor),
    "tf resize_nearest_neighbor ac": _tf(tf.resize_nearest_neighbor, align_corners=True),
    "cv2 INTER_NEAREST": _cv2("INTER_NEAREST"),
    "cv2 INTER_NEAREST_EXACT": _cv2("INTER_NEAREST_EXACT"),
    "cv2 INTER_LINEAR": _cv2("INTER_LINEAR"),
    "cv2 INTER_AREA": _cv2("INTER_AREA"),
    "PIL NEAREST": _pil("NEAREST"),
    "PIL BOX": _pil("BOX"),
    "PIL BILINEAR": _pil("BILINEAR"),
    "jax nearest": _jax("nearest"),
    "jax linear": _jax("linear"),
    "onnx linear half_pixel": _onnx("linear"),
    "onnx linear asymmetric": _onnx("linear", coordinate_transformation_mode="asymmetric"),
    "onnx linear align_corners": _onnx("linear",
                                       coordinate_transformation_mode="align_corners"),
    "onnx nearest round_prefer_floor": _onnx("nearest"),
    "onnx nearest floor": _onnx("nearest", nearest_mode="floor"),
    "skimage order 0": _skimage(0),
    "skimage order 1": _skimage(1),
    "torch nearest": _torch("nearest"),
    "torch nearest-exact": _torch("nearest-exact"),
}


def _doc_table():
    """``{(row, (n, m)): "all" or "T"}`` from the table in docs/resize_dialects.rst."""
    text = open(DOCS, encoding="utf-8").read()
    section = text[text.index("Exact symmetries of a resize"):]
    lines = [line for line in section.splitlines() if line.strip()]
    rule = [i for i, line in enumerate(lines) if re.fullmatch(r"=+( +=+)+", line)]
    header = re.split(r" {2,}", lines[rule[0] + 1].strip())
    sizes = [tuple(int(v) for v in h.split("→")) for h in header[1:]]
    table = {}
    for line in lines[rule[1] + 1:rule[2]]:
        cells = re.split(r" {2,}", line.strip())
        for size, cell in zip(sizes, cells[1:]):
            table[cells[0], size] = cell
        assert len(cells) == len(sizes) + 1, line
    return table


DOC_TABLE = _doc_table()


def test_doc_table_rows_are_known():
    assert {row for row, _ in DOC_TABLE} == set(DOC_ROWS)
    assert set(DOC_TABLE.values()) <= {"all", "T"}


@pytest.mark.parametrize("row", sorted(DOC_ROWS))
def test_doc_table(row):
    """Each row of the documented table, recomputed: the claims of exact_symmetries and
    the dialect on transformed random inputs."""
    group = grid_group(2)
    transpose = [g for g in group.elements
                 if g.axis_permutation[0] == (1, 0) and not any(g.axis_permutation[1])]
    expected = {"all": set(group.elements), "T": {group.identity, *transpose}}
    for (name, size), cell in DOC_TABLE.items():
        if name != row:
            continue
        fn, shape, kw = DOC_ROWS[row](*size)
        if row.startswith("torch"):
            # refpool's own interpolate goes through its registry rule; the dialect
            # route measures it: both must give the documented answer
            assert set(exact_symmetries_of_linear(fn, shape)) == expected[cell], size
            claimed = set(exact_symmetries(refpool.interpolate, shape, **fn.keywords))
            truth = numerical(fn, shape, kw)
            assert {g for g, w in truth.items() if w <= HOLDS} == claimed
        else:
            claimed = assert_claims_hold(fn, shape, kw)
        assert claimed == expected[cell], (row, size, cell)


# ------------------------------------------------------------------ more calls, not square
CALLS = [
    ("tf bilinear aa 9x7->4x3", P(tf.resize, size=(4, 3), method="bilinear", antialias=True),
     (1, 9, 7, 2), dict(channels_last=True)),
    ("tf lanczos3 6x6->9x9", P(tf.resize, size=(9, 9), method="lanczos3"), (2, 6, 6, 1),
     dict(channels_last=True)),
    ("tf mitchellcubic 7x7->5x5", P(tf.resize, size=(5, 5), method="mitchellcubic"),
     (1, 7, 7, 1), dict(channels_last=True)),
    ("tf bicubic 3-D HWC 6x6->10x10", P(tf.resize, size=(10, 10), method="bicubic"),
     (6, 6, 2), dict(ndim=2, channels_last=True)),
    ("tf resize_area ac 7x7->4x4", P(tf.resize_area, size=(4, 4), align_corners=True),
     (1, 7, 7, 1), dict(channels_last=True)),
    ("tf resize_bicubic legacy 5x5->8x8", P(tf.resize_bicubic, size=(8, 8)), (1, 5, 5, 1),
     dict(channels_last=True)),
    ("cv2 CUBIC 6x8->9x4", P(cv2.resize, dsize=(4, 9), interpolation=cv2.INTER_CUBIC),
     (6, 8), dict(ndim=2)),
    ("cv2 LANCZOS4 8x8->5x5 3ch", P(cv2.resize, dsize=(5, 5),
                                    interpolation=cv2.INTER_LANCZOS4), (8, 8, 3),
     dict(ndim=2, channels_last=True)),
    ("cv2 AREA fx 7x7 x0.4", P(cv2.resize, dsize=None, fx=0.4, fy=0.4,
                               interpolation=cv2.INTER_AREA), (7, 7), dict(ndim=2)),
    ("cv2 AREA mixed 4x6->6x3", P(cv2.resize, dsize=(3, 6), interpolation=cv2.INTER_AREA),
     (4, 6), dict(ndim=2)),
    ("PIL BICUBIC 9x9->6x6", P(pil.resize, size=(6, 6), resample=pil.BICUBIC), (9, 9),
     dict(ndim=2)),
    ("PIL HAMMING 5x5->8x8", P(pil.resize, size=(8, 8), resample=pil.HAMMING), (5, 5),
     dict(ndim=2)),
    ("PIL LANCZOS box 8x8", P(pil.resize, size=(5, 5), resample=pil.LANCZOS,
                              box=(1, 1, 7, 7)), (8, 8), dict(ndim=2)),
    ("PIL BILINEAR off-centre box", P(pil.resize, size=(5, 5), resample=pil.BILINEAR,
                                      box=(0.5, 1, 7, 7)), (8, 8), dict(ndim=2)),
    ("jax cubic aa 9x9->5x5", P(jax.resize, shape=(5, 5), method="cubic"), (9, 9),
     dict(ndim=2)),
    ("jax lanczos5 1-D 7->12", P(jax.resize, shape=(2, 12), method="lanczos5"), (2, 7),
     dict(ndim=1)),
    ("jax scale_and_translate centred", P(jax.scale_and_translate, shape=(8, 8),
                                          spatial_dims=(0, 1), scale=(1.5, 1.5),
                                          translation=(-0.5, -0.5), method="linear"),
     (6, 6), dict(ndim=2)),
    ("jax scale_and_translate shifted", P(jax.scale_and_translate, shape=(8, 8),
                                          spatial_dims=(0, 1), scale=(1.5, 1.5),
                                          translation=(0.3, 0.3), method="linear"),
     (6, 6), dict(ndim=2)),
    ("onnx cubic half_pixel 6x6->9x9", P(Resize, sizes=np.array([1, 2, 9, 9]),
                                         mode="cubic"), (1, 2, 6, 6), {}),
    ("onnx linear pytorch_half_pixel 7x7->1x1",
     P(Resize, sizes=np.array([1, 1, 1, 1]), mode="linear",
       coordinate_transformation_mode="pytorch_half_pixel"), (1, 1, 7, 7), {}),
    ("onnx linear tf_crop_and_resize centred",
     P(Resize, roi=np.array([0, 0, 0.25, 0.25, 1, 1, 0.75, 0.75], np.float32),
       sizes=np.array([1, 1, 5, 5]), mode="linear",
       coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=0.5),
     (1, 1, 6, 6), {}),
    ("onnx linear tf_crop_and_resize past both edges",
     P(Resize, roi=np.array([0, 0, -0.25, -0.25, 1, 1, 1.25, 1.25], np.float32),
       sizes=np.array([1, 1, 7, 7]), mode="linear",
       coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=0.5),
     (1, 1, 6, 6), {}),
    ("onnx linear tf_crop_and_resize past the edge",
     P(Resize, roi=np.array([0, 0, -0.2, -0.2, 1, 1, 0.9, 0.9], np.float32),
       sizes=np.array([1, 1, 5, 5]), mode="linear",
       coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=0.5),
     (1, 1, 6, 6), {}),
    ("onnx linear 3-D 4x4x4->6x6x6", P(Resize, sizes=np.array([1, 1, 6, 6, 6]),
                                       mode="linear"), (1, 1, 4, 4, 4), {}),
    ("onnx nearest 3-D 4x4x6->6x6x9", P(Resize, scales=np.array([1, 1, 1.5, 1.5, 1.5],
                                                                np.float32),
                                        mode="nearest"), (1, 1, 4, 4, 6), {}),
    ("skimage order 1 reflect aa 9x9->4x4", P(skimage.resize, output_shape=(4, 4), order=1),
     (9, 9), dict(ndim=2)),
    ("skimage order 1 constant cval 6x6->9x9",
     P(skimage.resize, output_shape=(9, 9), order=1, mode="constant", cval=0.25,
       clip=False), (6, 6), dict(ndim=2)),
]


@pytest.mark.parametrize("name, fn, shape, kw", CALLS, ids=[c[0] for c in CALLS])
def test_claims_are_what_holds(name, fn, shape, kw):
    assert_claims_hold(fn, shape, kw)


# ------------------------------------------------------------------ known facts
def test_half_pixel_linear_keeps_the_mirror_for_every_size():
    flip = grid_group(1).elements[1]
    for n in range(2, 8):
        for m in range(1, 13):
            fn = P(Resize, sizes=np.array([1, 1, m]), mode="linear")
            assert flip in exact_symmetries(fn, (1, 1, n)), (n, m)
            call = P(tf.resize, size=(m, 1), method="bilinear")
            # a column image: the mirror of its rows is the up-down flip
            held = exact_symmetries(call, (1, n, 1, 1), channels_last=True)
            updown = [g for g in grid_group(2).elements
                      if g.axis_permutation == ((0, 1), (True, False))]
            assert set(updown) <= set(held), (n, m)


def test_asymmetric_linear_never_keeps_the_mirror():
    flip = grid_group(1).elements[1]
    for n in range(2, 8):
        for m in range(2, 13):
            fn = P(Resize, sizes=np.array([1, 1, m]), mode="linear",
                   coordinate_transformation_mode="asymmetric")
            assert (flip in exact_symmetries(fn, (1, 1, n))) == (m == n), (n, m)


def test_align_corners_keeps_the_mirror():
    flip = grid_group(1).elements[1]
    for n in range(2, 8):
        for m in range(2, 13):
            fn = P(Resize, sizes=np.array([1, 1, m]), mode="linear",
                   coordinate_transformation_mode="align_corners")
            assert flip in exact_symmetries(fn, (1, 1, n)), (n, m)


def test_cv2_inter_nearest_breaks_the_mirror_on_a_3_2_shrink():
    fn = P(cv2.resize, dsize=(6, 6), interpolation=cv2.INTER_NEAREST)
    held = assert_claims_hold(fn, (9, 9), dict(ndim=2))
    assert len(held) == 2
    # and the top-left rule by hand: floor(j * 3/2) = 0, 1, 3, 4, 6, 7 is not its mirror
    index = np.floor(np.arange(6) * 1.5).astype(int)
    assert not np.array_equal(8 - index[::-1], index)


def test_transposes_need_equal_sizes():
    """A fixed output size (12, 10) on a 24 x 20 image: the transposed input is 20 x 24,
    and its output still 12 x 10, so no transpose can hold; the mirrors do."""
    fn = P(tf.resize, size=(12, 10), method="bilinear")
    held = exact_symmetries(fn, (1, 24, 20, 1), channels_last=True)
    assert {g.axis_permutation for g in held} == {((0, 1), (False, False)),
                                                  ((0, 1), (True, False)),
                                                  ((0, 1), (False, True)),
                                                  ((0, 1), (True, True))}


@pytest.mark.parametrize("kw", [dict(size=(6, 6), mode="bilinear"),
                                dict(size=(9, 9), mode="bicubic"),
                                dict(size=(4, 4), mode="bilinear", antialias=True),
                                dict(size=(12, 12), mode="nearest"),
                                dict(size=(5, 5), mode="nearest-exact"),
                                dict(size=(5, 5), mode="area"),
                                dict(size=(10, 10), mode="bilinear", align_corners=True)])
def test_measured_matrix_agrees_with_the_registry_rule(kw):
    """Two derivations of the same answer: refpool.interpolate's documented geometry
    (its registry rule) and its measured matrix."""
    shape = (1, 1, 7, 7)
    assert set(exact_symmetries_of_linear(P(refpool.interpolate, **kw), shape)) == \
        set(exact_symmetries(refpool.interpolate, shape, **kw))


# ------------------------------------------------------------------ the limits
def test_bare_dialect_with_keywords_equals_partial():
    a = exact_symmetries(cv2.resize, (6, 6), ndim=2, dsize=(4, 4),
                         interpolation=cv2.INTER_NEAREST)
    b = exact_symmetries(P(cv2.resize, dsize=(4, 4), interpolation=cv2.INTER_NEAREST),
                         (6, 6), ndim=2)
    assert a == b and len(a) == 2


def test_too_many_pixels():
    side = int(np.sqrt(MAX_PIXELS)) + 1
    with pytest.raises(ValueError, match="MAX_PIXELS"):
        exact_symmetries(P(cv2.resize, dsize=(4, 4)), (side, side), ndim=2)


def test_non_linear_call_is_refused():
    with pytest.raises(ValueError, match="not affine"):
        exact_symmetries(P(MaxPool, kernel_shape=[2, 2]), (1, 1, 6, 6))


def test_channel_mixing_call_is_refused():
    def mix(x):
        return x + x[:, ::-1] * 0.5
    with pytest.raises(ValueError, match="channel-wise"):
        exact_symmetries_of_linear(mix, (1, 2, 4, 4))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_non_finite_call_is_refused():
    with pytest.raises(ValueError, match="finite"):
        exact_symmetries_of_linear(lambda x: x / 0.0, (1, 1, 3, 3))


def test_rank_change_is_refused():
    # OpenCV returns (h, w) for an (H, W, 1) image
    with pytest.raises(ValueError, match="rank"):
        exact_symmetries(P(cv2.resize, dsize=(4, 4)), (6, 6, 1), ndim=2,
                         channels_last=True)


def test_affine_offset_must_move_with_the_grid():
    """An affine call: a constant offset that is not symmetric breaks the mirrors."""
    ramp = np.arange(4.0)[None, None, None, :]
    held = exact_symmetries_of_linear(lambda x: x + ramp, (1, 1, 4, 4))
    truth = numerical(lambda x: x + ramp, (1, 1, 4, 4), {})
    assert set(held) == {g for g, w in truth.items() if w <= HOLDS}
    assert 0 < len(held) < 8


def test_docs_section_examples_run_as_written():
    import doctest
    text = open(DOCS, encoding="utf-8").read()
    section = text[text.index("Exact symmetries of a resize"):]
    test = doctest.DocTestParser().get_doctest(section, {}, "resize_dialects.rst", DOCS, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.tries >= 3 and runner.failures == 0


def _real(row, n, m):
    """The framework's own call for a row of the docs table (a few rows)."""
    if row.startswith("cv2"):
        cv = pytest.importorskip("cv2")
        name = row.split()[1]
        return (lambda x: cv.resize(x, (m, m), interpolation=getattr(cv, name))), (n, n), \
            dict(ndim=2)
    if row.startswith("PIL"):
        Image = pytest.importorskip("PIL.Image")
        name = row.split()[1]
        return (lambda x: np.asarray(Image.fromarray(x).resize(
            (m, m), getattr(Image.Resampling, name))).copy()), (n, n), dict(ndim=2)
    tf_ = pytest.importorskip("tensorflow")
    if row == "tf.resize nearest":
        call = lambda x: tf_.image.resize(x, (m, m), method="nearest").numpy()  # noqa: E731
    else:
        call = lambda x: tf_.compat.v1.image.resize_nearest_neighbor(  # noqa: E731
            x, (m, m), align_corners=True).numpy()
    return call, (1, n, n, 1), dict(channels_last=True)


@pytest.mark.parametrize("row", ["cv2 INTER_NEAREST", "cv2 INTER_NEAREST_EXACT", "PIL BOX",
                                 "PIL NEAREST", "tf.resize nearest",
                                 "tf resize_nearest_neighbor ac"])
def test_doc_table_with_the_frameworks(row):
    """The rows that break mirrors, with the frameworks themselves: every element the
    table (and exact_symmetries on the dialect) keeps holds bitwise-close in the
    framework, every other fails there too."""
    for (name, (n, m)), cell in DOC_TABLE.items():
        if name != row:
            continue
        fn, shape, kw = _real(row, n, m)
        dialect, _, _ = DOC_ROWS[row](n, m)
        claimed = set(exact_symmetries(dialect, shape, **kw))
        truth = numerical(fn, shape, kw)
        assert {g for g, w in truth.items() if w <= HOLDS} == claimed, (row, n, m)
        assert all(w > 1e3 * HOLDS for g, w in truth.items() if g not in claimed)
