"""The numerical rules of docs/numerics.rst, each checked on every engine against a
closed form (and the engines against each other):

* **Overflow**: a float32 result is never infinite or NaN where the reference
  (float64 inside, rounded once) is finite: average pooling sums in float64, the
  CPU engine's weighted filters compute an overflowing row again in float64, norms
  add float64 squares.
* **Selections: NaN and signed zeros**: max-type operators select the last NaN,
  else the first maximum with ``+0`` above ``-0``; the output is bitwise the
  element at the index, and bitwise invariant / equivariant where documented.
* **Computed NaNs**: the operators that compute write the default NaN.

The CUDA engine runs on the simulator here, so its inputs stay tiny.
"""

import numpy as np
import pytest

import refpool
from refpool import FieldType
from refpool.conformance.compare import compare
from refpool.groups import cyclic

#: engines against closed forms and the reference: differential tests, so the
#: bounds-checked re-run (tests/test_boundscheck.py) runs them too
pytestmark = pytest.mark.differential

ENGINES = ["reference", "cpu", pytest.param("cuda", marks=pytest.mark.cuda)]

F32_MAX = float(np.finfo(np.float32).max)


def bits(a):
    """The bit patterns of a float array (so that -0.0 != 0.0 and NaNs differ)."""
    a = np.ascontiguousarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def assert_bitwise(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    same = bits(actual) == bits(expected)
    assert same.all(), (f"{int((~same).sum())} element(s) differ in their bits: "
                        f"actual {actual[~same][:4]!r} ({bits(actual)[~same][:4]}), "
                        f"expected {expected[~same][:4]!r} ({bits(expected)[~same][:4]})")


def f32(values):
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def _regular_c2():
    group = cyclic(2)
    return FieldType(group, [group.regular_representation])


# =========================================================================== overflow
@pytest.mark.parametrize("engine", ENGINES)
def test_float32_avg_pool_sums_cannot_overflow(engine):
    # the documented example: the float64 sum is 0, a float32 sum overflows to inf
    x = f32([[[3e38, 3e38, -3e38, -3e38]]])
    assert_bitwise(refpool.avg_pool(x, 4, engine=engine), f32([[[0.0]]]))
    # closed form: each average in float64, rounded once
    x = f32([[[3e38, 3e38, -3e38, 1.0]]])
    v = x.astype(np.float64)[0, 0]
    expected = f32([[[(v[0] + v[1]) / 2, (v[2] + v[3]) / 2]]])
    assert_bitwise(refpool.avg_pool(x, 2, engine=engine), expected)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("count_include_pad", [False, True])
def test_float32_avg_pool_of_the_largest_float32_is_finite(engine, count_include_pad):
    x = np.full((1, 1, 4, 5), F32_MAX, np.float32)
    y = refpool.avg_pool(x, 3, 1, 1, count_include_pad=count_include_pad, engine=engine)
    # closed form: in-bounds taps times F32_MAX over the divisor (exact in float64)
    inside = refpool.avg_pool(np.ones((1, 1, 4, 5)), 3, 1, 1,
                              count_include_pad=count_include_pad, engine="reference")
    expected = (inside * F32_MAX).astype(np.float32)
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y, expected, rtol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_float32_adaptive_average_of_the_largest_float32_is_finite(engine):
    x = np.full((1, 1, 4, 5), F32_MAX, np.float32)
    x[0, 0, 0, 0] = -F32_MAX
    for y in (refpool.adaptive_avg_pool(x, (3, 2), engine=engine),
              refpool.interpolate(x, size=(3, 2), mode="area", engine=engine)):
        ref = refpool.adaptive_avg_pool(x.astype(np.float64), (3, 2), engine="reference")
        assert np.isfinite(y).all()
        np.testing.assert_allclose(y, ref.astype(np.float32), rtol=1e-6)
        assert y[0, 0, 1, 1] == np.float32(F32_MAX)       # a window of F32_MAX only


#: weighted filters whose float32 arithmetic overflowed near the largest float32
#: where the float64 reference is finite (weights summing to just above 1 in
#: float32, bicubic weights above 1)
OVERFLOWING_FILTERS = [
    ("antialiased_avg_pool", "constant", dict(sigma=0.3, stride=1)),
    ("antialiased_max_pool", "constant", dict(kernel_size=1, stride=1, sigma=0.3)),
    ("interpolate", "constant", dict(size=3, mode="bilinear", antialias=True)),
    ("interpolate", "constant", dict(size=3, mode="bicubic", antialias=True)),
    ("interpolate", "mixed", dict(scale_factor=2, mode="bicubic")),
    ("interpolate", "mixed", dict(size=5, mode="bicubic")),
]


def _huge_input(kind):
    if kind == "constant":
        return np.full((1, 1, 8, 8), F32_MAX, np.float32)
    rng = np.random.default_rng(0)
    signs = rng.choice([-1.0, 1.0], (1, 1, 8, 8))
    return (signs * F32_MAX * rng.uniform(0.5, 1.0, (1, 1, 8, 8))).astype(np.float32)


@pytest.mark.parametrize("engine", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
@pytest.mark.parametrize("op, kind, kwargs", OVERFLOWING_FILTERS,
                         ids=[f"{op}-{kind}-{'-'.join(map(str, kw.values()))}"
                              for op, kind, kw in OVERFLOWING_FILTERS])
def test_float32_weighted_filters_do_not_overflow_where_the_reference_is_finite(
        engine, op, kind, kwargs):
    x = _huge_input(kind)
    fn = getattr(refpool, op)
    expected = fn(x, **kwargs, engine="reference")
    actual = fn(x, **kwargs, engine=engine)
    assert np.isfinite(expected).any()
    np.testing.assert_array_equal(np.isfinite(actual), np.isfinite(expected))
    result = compare(actual, expected, False, call=(op, x, kwargs))
    assert result.ok, result.detail


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("engine", ENGINES)
def test_float32_norms_overflow_exactly_when_the_norm_exceeds_the_largest_float32(engine):
    field_type = _regular_c2()
    x = f32([[[2e38], [2e38]], [[3e38], [3e38]], [[-3e38], [1.0]]])       # (3, 2, 1)
    v = x.astype(np.float64)
    # closed form: float64 squares, square root, rounded once
    with np.errstate(over="ignore"):
        expected = np.sqrt(v[:, :1] ** 2 + v[:, 1:] ** 2).astype(np.float32)
    assert np.isfinite(expected[0]).all() and np.isinf(expected[1]).all()
    assert_bitwise(refpool.norm_pool(x, field_type, engine=engine), expected)


# =========================================================================== signed zeros
#: 2x2 windows: (values, selected value, selected flat index)
ZERO_WINDOWS = [
    ([[-1.0, 0.0], [-0.0, -1.0]], 0.0, 1),       # +0 first
    ([[-1.0, -0.0], [0.0, -1.0]], 0.0, 2),       # a -0 before the +0: the +0 wins
    ([[-0.0, -1.0], [-0.0, -1.0]], -0.0, 0),     # only -0: the first -0
    ([[0.0, -0.0], [0.0, -0.0]], 0.0, 0),        # the first +0
    ([[-0.0, -np.inf], [0.0, np.nan]], np.nan, 3),   # NaN still wins
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("op", ["max_pool", "adaptive_max_pool"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_zero_maximum_is_positive_when_the_window_holds_a_positive_zero(engine, op, dtype):
    for window, value, index in ZERO_WINDOWS:
        x = np.array(window, dtype=dtype)[None, None]
        fn = (lambda **kw: refpool.max_pool(x, 2, **kw)) if op == "max_pool" else \
            (lambda **kw: refpool.adaptive_max_pool(x, 1, **kw))
        expected = np.full((1, 1, 1, 1), value, dtype)
        assert_bitwise(fn(engine=engine), expected)
        y, idx = fn(return_indices=True, engine=engine)
        assert_bitwise(y, expected)
        assert idx.item() == index, (window, idx.item(), index)


@pytest.mark.parametrize("engine", ENGINES)
def test_max_pool_over_zeros_commutes_bitwise_with_a_reflection(engine):
    # k = s = 2 on 4 samples: the window grid is mirror symmetric (the exactness rule)
    x = np.array([[[[-0.0, 0.0, 0.0, -0.0], [-0.0, -0.0, -1.0, -0.0]]]])
    y = refpool.max_pool(x, (1, 2), engine=engine)
    flipped = refpool.max_pool(x[..., ::-1].copy(), (1, 2), engine=engine)
    assert_bitwise(flipped, y[..., ::-1])
    assert_bitwise(y, np.array([[[[0.0, 0.0], [-0.0, -0.0]]]]))


@pytest.mark.parametrize("engine", ENGINES)
def test_group_pool_of_signed_zeros_does_not_depend_on_the_channel_order(engine):
    field_type = _regular_c2()
    x = np.array([[[0.0], [-0.0]], [[-0.0], [0.0]], [[-0.0], [-0.0]], [[-1.0], [-0.0]]])
    expected = np.array([[[0.0]], [[0.0]], [[-0.0]], [[-0.0]]])
    assert_bitwise(refpool.group_pool(x, field_type, engine=engine), expected)
    assert_bitwise(refpool.group_pool(x.astype(np.float32), field_type, engine=engine),
                   expected.astype(np.float32))


@pytest.mark.parametrize("engine", ENGINES)
def test_group_pool_is_bitwise_invariant_with_signed_zeros(engine):
    group = cyclic(4)
    field_type = FieldType(group, [group.regular_representation] * 2)
    rng = np.random.default_rng(3)
    x = rng.choice(np.array([0.0, -0.0, -1.0, -0.0]), size=(2, 8, 3, 3))
    y = refpool.group_pool(x, field_type, engine=engine)
    for g in group.elements:
        assert_bitwise(refpool.group_pool(field_type.transform_fibers(x, g), field_type,
                                          engine=engine), y)


# =========================================================================== NaN selection
def _nan(sign, payload, dtype):
    if np.dtype(dtype) == np.float32:
        return np.array((0xFFC00000 if sign else 0x7FC00000) | payload,
                        np.uint32).view(np.float32)
    return np.array((0xFFF8000000000000 if sign else 0x7FF8000000000000) | payload,
                    np.uint64).view(np.float64)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_last_nan_of_a_window_is_selected_bitwise(engine, dtype):
    a, b = _nan(True, 1, dtype), _nan(False, 2, dtype)
    # row-major order: a at (0, 1), then b at (1, 0): b is the last NaN
    x = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)[None, None]
    x[0, 0, 0, 1] = a
    x[0, 0, 1, 0] = b
    expected = np.full((1, 1, 1, 1), b, dtype)
    for y in (refpool.max_pool(x, 2, engine=engine),
              refpool.max_pool(x, 2, return_indices=True, engine=engine)[0],
              refpool.adaptive_max_pool(x, 1, engine=engine),
              refpool.adaptive_max_pool(x, 1, return_indices=True, engine=engine)[0]):
        assert_bitwise(y, expected)
    # group_pool: the last NaN in channel order
    field_type = _regular_c2()
    x = np.array([[[a], [b]]], dtype=dtype)
    assert_bitwise(refpool.group_pool(x, field_type, engine=engine),
                   np.full((1, 1, 1), b, dtype))


def _tie_heavy(shape, dtype, seed):
    values = np.array([0.0, -0.0, 1.0, -1.0, 0.0, -0.0, np.inf, -np.inf], dtype=dtype)
    rng = np.random.default_rng(seed)
    x = rng.choice(values, size=shape)
    nans = rng.random(shape) < 0.1
    x[nans] = rng.choice([_nan(s, p, dtype) for s in (False, True) for p in (0, 1, 5)],
                         size=int(nans.sum()))
    return x


SELECTIONS = [
    ("max_pool", dict(kernel_size=(2, 3), stride=(1, 2), padding=1)),
    ("max_pool", dict(kernel_size=2, dilation=2, ceil_mode=True)),
    ("max_pool", dict(kernel_size=3, stride=3)),
    ("adaptive_max_pool", dict(output_size=(2, 3))),
    ("adaptive_max_pool", dict(output_size=(4, 2))),
]


@pytest.mark.parametrize("engine", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op, kwargs", SELECTIONS,
                         ids=[f"{op}-{i}" for i, (op, _) in enumerate(SELECTIONS)])
def test_selections_of_tie_heavy_input_match_the_reference_bitwise(engine, dtype, op, kwargs):
    fn = getattr(refpool, op)
    for seed in range(4):
        x = _tie_heavy((2, 2, 5, 7), dtype, seed)
        ref_y, ref_i = fn(x, **kwargs, return_indices=True, engine="reference")
        y, i = fn(x, **kwargs, return_indices=True, engine=engine)
        np.testing.assert_array_equal(i, ref_i)
        assert_bitwise(y, ref_y)
        assert_bitwise(fn(x, **kwargs, engine=engine), ref_y)
        # the value is bitwise the element at the index (-1: a window without input)
        flat = x.reshape(x.shape[:2] + (-1,))
        gathered = np.take_along_axis(flat, np.maximum(ref_i, 0).reshape(
            ref_i.shape[:2] + (-1,)), axis=-1).reshape(ref_i.shape)
        assert_bitwise(np.where(ref_i < 0, ref_y, gathered), ref_y)


@pytest.mark.parametrize("engine", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_group_pool_of_tie_heavy_input_matches_the_reference_bitwise(engine, dtype):
    group = cyclic(4)
    field_type = FieldType(group, [group.regular_representation,
                                   group.trivial_representation,
                                   group.regular_representation])
    for seed in range(4):
        x = _tie_heavy((2, 9, 3, 4), dtype, seed)
        assert_bitwise(refpool.group_pool(x, field_type, engine=engine),
                       refpool.group_pool(x, field_type, engine="reference"))


# =========================================================================== computed NaNs
def _nan_input(dtype):
    """Values whose arithmetic gives NaNs of either sign and of several payloads:
    negative and payload NaNs, and +inf next to -inf (inf - inf)."""
    x = np.full((1, 2, 6, 6), 0.5, dtype)
    x[0, 0, 0, 0] = _nan(True, 0, dtype)
    x[0, 0, 2, 3] = _nan(False, 3, dtype)
    x[0, 0, 4, 1] = _nan(True, 7, dtype)
    x[0, 1, 1, 1] = np.inf
    x[0, 1, 1, 2] = -np.inf
    x[0, 1, 4, 4] = -np.inf
    x[0, 1, 4, 5] = np.inf
    return x


COMPUTING = [
    ("avg_pool", dict(kernel_size=2)),
    ("adaptive_avg_pool", dict(output_size=3)),
    ("antialiased_avg_pool", dict(sigma=1.0, stride=2)),
    ("blur_pool", dict(filt_size=3)),
    ("antialiased_max_pool", dict(kernel_size=2)),
    ("interpolate", dict(size=5, mode="bilinear")),
    ("interpolate", dict(size=4, mode="bicubic")),
    ("interpolate", dict(size=4, mode="bilinear", antialias=True)),
    ("norm_pool", dict()),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op, kwargs", COMPUTING,
                         ids=[f"{op}-{i}" for i, (op, _) in enumerate(COMPUTING)])
def test_computed_nans_are_the_default_nan(engine, dtype, op, kwargs):
    x = _nan_input(dtype)
    if op == "norm_pool":
        kwargs = dict(field_type=_regular_c2())
    y = np.asarray(getattr(refpool, op)(x, **kwargs, engine=engine))
    nan = np.isnan(y)
    assert nan.any()
    assert_bitwise(y[nan], np.full(int(nan.sum()), np.nan, dtype))


def test_comparisons_treat_every_nan_as_equal():
    # the documented reason why NaN payloads may differ between refpool and a peer
    a = np.array([np.nan, 1.0], np.float32)
    b = np.array([_nan(True, 5, np.float32), 1.0], np.float32)
    assert compare(a, b, True).ok
    assert compare(a, b, False).ok
