"""antialiased_avg_pool, antialiased_max_pool and blur_pool: definitions, shapes,
errors, NaN behaviour, exact equivariance, and reference vs cpu vs cuda."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import refpool
from helpers import assert_close, random_input
from refpool import _args

OPS = ("antialiased_avg_pool", "antialiased_max_pool", "blur_pool")
#: engine parameters; the CUDA ones (simulator unless a GPU is present) carry the mark
ENGINE_PARAMS = ["reference", "cpu", pytest.param("cuda", marks=pytest.mark.cuda)]
FAST_PARAMS = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


def _call(op, x, kwargs, engine, **extra):
    return getattr(refpool, op)(x, **kwargs, engine=engine, **extra)


# --------------------------------------------------------------------------- oracles
# Scalar loops over the definitions in refpool/antialiased.py, independent of
# every engine (float64, one output element at a time).

def _extend(x, i, mode):
    """x extended beyond its border (1-D): zero, reflect or replicate."""
    n = len(x)
    if 0 <= i < n:
        return x[i]
    if mode == "zero":
        return 0.0
    if mode == "reflect":
        return x[-i] if i < 0 else x[2 * (n - 1) - i]
    return x[0] if i < 0 else x[n - 1]


def _oracle_filter_1d(x, taps, stride, before, out_len, mode):
    return np.array([sum(taps[u] * _extend(x, i * stride - before + u, mode)
                         for u in range(len(taps))) for i in range(out_len)])


def _oracle_max_1d(x, k, s, p, d, sigma, q, out_len):
    n = len(x)
    length = n + 2 * p - d * (k - 1)
    dense = []
    for j in range(length):
        vals = [x[j - p + t * d] for t in range(k) if 0 <= j - p + t * d < n]
        dense.append(-math.inf if not vals else
                     (math.nan if any(math.isnan(v) for v in vals) else max(vals)))
    g = refpool.gaussian_taps(sigma, 4.0)
    return _oracle_filter_1d(np.array(dense), g, s, q, out_len, "zero")


@pytest.mark.parametrize("n, sigma, stride, padding", [
    (9, 0.6, 2, None), (10, 1.0, 3, None), (7, 2 / 3, 1, 0), (8, 0.5, 2, 4), (5, 1.0, 1, 3)])
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_avg_matches_definition(n, sigma, stride, padding, engine):
    x = random_input((1, 2, n), np.float64, seed=n)
    fs = 2 * round(3 * sigma) + 1
    p = (fs - 1) // 2 if padding is None else padding
    o = (n + 2 * p - fs) // stride + 1
    g = refpool.gaussian_taps(sigma, 3.0)
    y = refpool.antialiased_avg_pool(x, sigma, stride, padding, engine=engine)
    assert y.shape == (1, 2, o)
    for c in range(2):
        np.testing.assert_allclose(y[0, c], _oracle_filter_1d(x[0, c], g, stride, p, o,
                                                              "zero"), rtol=1e-13,
                                   atol=1e-15)


@pytest.mark.parametrize("n, k, s, p, d, ceil, sigma, q", [
    (9, 2, 2, 0, 1, False, 0.6, None), (10, 3, 2, 1, 1, True, 0.6, None),
    (11, 2, 3, 1, 2, True, 1.0, None), (7, 3, 1, 1, 1, False, 0.6, 3),
    (8, 2, 2, 1, 1, False, 0.6, 3), (6, 3, 2, 0, 1, True, 0.3, 0), (12, 2, 2, 1, 3, False, 0.6, 1)])
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_max_matches_definition(n, k, s, p, d, ceil, sigma, q, engine):
    x = random_input((1, 2, n), np.float64, seed=n + k)
    _, spec = _args.antialiased_max_spec((n,), k, s, p, d, ceil, sigma, q)
    fs = 2 * round(4 * sigma) + 1
    qq = (fs - 1) // 2 if q is None else q
    o = spec.blur.output_size[0]
    y = refpool.antialiased_max_pool(x, k, s, p, d, ceil, sigma, q, engine=engine)
    assert y.shape == (1, 2, o)
    for c in range(2):
        np.testing.assert_allclose(y[0, c], _oracle_max_1d(x[0, c], k, s, p, d, sigma, qq, o),
                                   rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("pad_type", ["reflect", "replicate", "zero"])
@pytest.mark.parametrize("filt_size, stride, pad_off", [(1, 2, 0), (1, 3, 1), (2, 2, 0), (3, 2, 1),
                                                        (4, 3, 2), (7, 1, 0), (9, 2, 1)])
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_blur_matches_definition(pad_type, filt_size, stride, pad_off, engine):
    n = 11
    x = random_input((1, 2, n), np.float64, seed=filt_size)
    before = (filt_size - 1) // 2 + pad_off
    o = (n - 1 + 2 * pad_off) // stride + 1
    b = np.array([math.comb(filt_size - 1, i) for i in range(filt_size)]) / 2 ** (filt_size - 1)
    y = refpool.blur_pool(x, filt_size, stride, pad_type, pad_off, engine=engine)
    assert y.shape == (1, 2, o)
    for c in range(2):
        np.testing.assert_allclose(
            y[0, c], _oracle_filter_1d(x[0, c], b, stride, before, o, pad_type),
            rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_blur_filt_size_one_is_subsampling(engine):
    x = random_input((2, 3, 9, 10), np.float32)
    np.testing.assert_array_equal(refpool.blur_pool(x, 1, 3, engine=engine), x[..., ::3, ::3])


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_2d_and_3d_are_separable_products(engine):
    """The n-D filter is the outer product: check against an explicit 2-D/3-D sum."""
    for shape in ((1, 1, 7, 8), (1, 1, 5, 6, 7)):
        x = random_input(shape, np.float64, seed=len(shape))
        k = refpool.gaussian_kernel(0.6, len(shape) - 2)
        xp = np.pad(x[0, 0], 2)
        o = tuple((n + 4 - 5) // 2 + 1 for n in shape[2:])
        expect = np.empty(o)
        for i in np.ndindex(*o):
            sl = tuple(slice(2 * a, 2 * a + 5) for a in i)
            expect[i] = np.sum(k * xp[sl])
        y = refpool.antialiased_avg_pool(x, 0.6, 2, engine=engine)
        np.testing.assert_allclose(y[0, 0], expect, rtol=1e-13, atol=1e-15)


# --------------------------------------------------------------------------- shapes
def _max_cases():
    for n, k, s, p, d, ceil in itertools.product((1, 2, 5, 6, 7, 8), (1, 2, 3), (1, 2, 3),
                                                 (0, 1, 2), (1, 2), (False, True)):
        try:
            spec = _args.window_spec((n,), k, s, p, d, ceil)
        except ValueError:
            continue
        yield n, k, s, p, d, ceil, spec.output_size


@pytest.mark.parametrize("sigma", [0.3, 0.6, 1.0])
def test_max_shape_equals_max_pool_shape(sigma):
    """Default blur padding: the output shape is max_pool's, ceil_mode and dilation included."""
    for n, k, s, p, d, ceil, expect in _max_cases():
        _, spec = _args.antialiased_max_spec((n,), k, s, p, d, ceil, sigma)
        assert spec.blur.output_size == expect, (n, k, s, p, d, ceil)
    x = random_input((1, 2, 7, 8))
    for kw in (dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), ceil_mode=True)):
        y = refpool.antialiased_max_pool(x, **kw)
        assert y.shape == refpool.max_pool(x, **kw, engine="reference").shape


def test_max_ceil_mode_extra_output_reads_zero_padding():
    # n=4, k=3, s=2: dense map has 2 entries; ceil mode adds an output centred on
    # dense position 2 (past the end), whose blur sees only M[0], M[1].
    x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    y = refpool.antialiased_max_pool(x, 3, 2, ceil_mode=True, sigma=0.6, engine="reference")
    g = refpool.gaussian_taps(0.6, 4.0)
    m0, m1 = 3.0, 4.0                      # the dense max map
    assert y.shape == (1, 1, 2)
    np.testing.assert_allclose(y[0, 0], [g[2] * m0 + g[3] * m1, g[0] * m0 + g[1] * m1],
                               rtol=1e-15)


@pytest.mark.parametrize("n", [1, 2, 5, 8, 9])
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("pad_off", [0, 1, 2])
def test_blur_shape(n, s, pad_off):
    x = random_input((1, 1, n))
    y = refpool.blur_pool(x, 3, s, "zero", pad_off)
    assert y.shape == (1, 1, (n - 1 + 2 * pad_off) // s + 1)
    if pad_off == 0:
        assert y.shape[-1] == -(-n // s)


@pytest.mark.parametrize("sigma", [0.5, 1.0])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_avg_stride_one_default_padding_keeps_shape(sigma, ndim):
    shape = (2, 1) + (6,) * ndim
    x = np.full(shape, 3.0)
    y = refpool.antialiased_avg_pool(x, sigma, 1)
    assert y.shape == shape
    # far from the border the blur of a constant is the constant
    fs = 2 * round(3 * sigma) + 1
    if fs <= 5:
        centre = (Ellipsis,) + (slice(fs // 2, 6 - fs // 2),) * ndim
        np.testing.assert_allclose(y[centre], 3.0, rtol=1e-14)


def test_escnn_blur_padding_shape():
    """blur_padding = p + c gives escnn's floor((n + 4p - d(k-1) - 1)/s) + 1."""
    for n, k, s, p in itertools.product((5, 8, 9), (2, 3), (1, 2, 3), (0, 1)):
        _, spec = _args.antialiased_max_spec((n,), k, s, p, 1, False, 0.6, p + 2)
        assert spec.blur.output_size == ((n + 4 * p - k) // s + 1,)


# --------------------------------------------------------------------------- errors
X = random_input((1, 2, 8, 8))

BAD = [
    ("antialiased_avg_pool", dict(sigma=0, stride=2), ValueError, "sigma"),
    ("antialiased_avg_pool", dict(sigma=-0.5, stride=2), ValueError, "sigma"),
    ("antialiased_avg_pool", dict(sigma=math.nan, stride=2), ValueError, "sigma"),
    ("antialiased_avg_pool", dict(sigma=math.inf, stride=2), ValueError, "sigma"),
    ("antialiased_avg_pool", dict(sigma="1", stride=2), TypeError, "sigma"),
    ("antialiased_avg_pool", dict(sigma=1.0, stride=0), ValueError, "stride"),
    ("antialiased_avg_pool", dict(sigma=1.0, stride=(2, -1)), ValueError, "stride"),
    ("antialiased_avg_pool", dict(sigma=1.0, stride=1.5), TypeError, "stride"),
    ("antialiased_avg_pool", dict(sigma=1.0, stride=None), TypeError, "stride"),
    ("antialiased_avg_pool", dict(sigma=1.0, stride=(2, 2, 2)), ValueError, "stride"),
    ("antialiased_avg_pool", dict(sigma=1.0, stride=2, padding=-1), ValueError, "padding"),
    ("antialiased_avg_pool", dict(sigma=3.0, stride=2, padding=0), ValueError, "sigma"),
    ("antialiased_max_pool", dict(kernel_size=2, sigma=0), ValueError, "sigma"),
    ("antialiased_max_pool", dict(kernel_size=2, sigma=math.nan), ValueError, "sigma"),
    ("antialiased_max_pool", dict(kernel_size=2, sigma=-math.inf), ValueError, "sigma"),
    ("antialiased_max_pool", dict(kernel_size=2, sigma=[0.6]), TypeError, "sigma"),
    ("antialiased_max_pool", dict(kernel_size=2, stride=0), ValueError, "stride"),
    ("antialiased_max_pool", dict(kernel_size=0), ValueError, "kernel_size"),
    ("antialiased_max_pool", dict(kernel_size=2, padding=2), ValueError, "padding"),
    ("antialiased_max_pool", dict(kernel_size=2, dilation=0), ValueError, "dilation"),
    ("antialiased_max_pool", dict(kernel_size=2, ceil_mode=1), TypeError, "ceil_mode"),
    ("antialiased_max_pool", dict(kernel_size=2, blur_padding=-1), ValueError, "blur_padding"),
    ("antialiased_max_pool", dict(kernel_size=2, blur_padding=0.5), TypeError, "blur_padding"),
    ("antialiased_max_pool", dict(kernel_size=2, sigma=3.0, blur_padding=0), ValueError,
     "blur_padding"),
    ("blur_pool", dict(filt_size=0), ValueError, "filt_size"),
    ("blur_pool", dict(filt_size=-2), ValueError, "filt_size"),
    ("blur_pool", dict(filt_size=2.0), TypeError, "filt_size"),
    ("blur_pool", dict(pad_type="wrap"), ValueError, "pad_type"),
    ("blur_pool", dict(pad_type="Reflect"), ValueError, "pad_type"),
    ("blur_pool", dict(pad_type=None), TypeError, "pad_type"),
    ("blur_pool", dict(stride=0), ValueError, "stride"),
    ("blur_pool", dict(stride="2"), TypeError, "stride"),
    ("blur_pool", dict(pad_off=-1), ValueError, "pad_off"),
    ("blur_pool", dict(filt_size=17, pad_type="reflect"), ValueError, "reflect"),
    ("blur_pool", dict(filt_size=3, pad_off=7, pad_type="refl"), ValueError, "refl"),
]


@pytest.mark.parametrize("op, kwargs, error, word", BAD)
def test_bad_arguments(op, kwargs, error, word):
    with pytest.raises(error, match=word):
        getattr(refpool, op)(X, **kwargs)


def test_reflect_limit_is_exact():
    x = random_input((1, 1, 4))
    refpool.blur_pool(x, 7, 2, "reflect")            # padding (3, 3) < 4: fine
    with pytest.raises(ValueError, match="reflect"):
        refpool.blur_pool(x, 8, 2, "reflect")        # padding (3, 4): too wide
    refpool.blur_pool(x, 8, 2, "replicate")          # replicate and zero have no limit
    refpool.blur_pool(x, 8, 2, "zero", 5)


@pytest.mark.parametrize("op, kwargs", [("antialiased_avg_pool", dict(sigma=1.0, stride=2)),
                                        ("antialiased_max_pool", dict(kernel_size=2)),
                                        ("blur_pool", {})])
def test_bad_inputs(op, kwargs):
    f = getattr(refpool, op)
    with pytest.raises(TypeError, match="dtype"):
        f(np.zeros((1, 1, 8, 8), np.int32), **kwargs)
    with pytest.raises(TypeError, match="x"):
        f([[[1.0, 2.0]]], **kwargs)
    with pytest.raises(ValueError, match="axes"):
        f(np.zeros((8, 8)), **kwargs)
    with pytest.raises(ValueError, match="axes"):
        f(np.zeros((1, 1, 2, 2, 2, 2)), **kwargs)
    with pytest.raises(ValueError, match="non-empty"):
        f(np.zeros((1, 1, 0, 8)), **kwargs)
    with pytest.raises(ValueError, match="engine"):
        f(X, **kwargs, engine="gpu")
    y = f(X, **kwargs)
    with pytest.raises(ValueError, match="out"):
        f(X, **kwargs, out=np.empty(y.shape[:-1] + (y.shape[-1] + 1,), np.float32))
    with pytest.raises(ValueError, match="out"):
        f(X, **kwargs, out=np.empty(y.shape, np.float64))


class _Rep:
    def __init__(self, size, is_permutation):
        self.size, self.is_permutation, self.name = size, is_permutation, "rep"


class _FieldType:
    def __init__(self, *reps):
        self.representations = reps
        self.size = sum(r.size for r in reps)


def test_max_field_type_check():
    x = random_input((1, 4, 6, 6))
    y = refpool.antialiased_max_pool(x, 2, field_type=_FieldType(_Rep(4, True)))
    np.testing.assert_array_equal(y, refpool.antialiased_max_pool(x, 2))
    with pytest.raises(ValueError, match="channels"):
        refpool.antialiased_max_pool(x, 2, field_type=_FieldType(_Rep(3, True)))
    with pytest.raises(ValueError, match="permutation"):
        refpool.antialiased_max_pool(x, 2, field_type=_FieldType(_Rep(2, True), _Rep(2, False)))
    with pytest.raises(TypeError, match="field_type"):
        refpool.antialiased_max_pool(x, 2, field_type="regular")


# --------------------------------------------------------------------------- arrays
ARGS = {"antialiased_avg_pool": dict(sigma=0.6, stride=2),
        "antialiased_max_pool": dict(kernel_size=3, stride=2, padding=1),
        "blur_pool": dict(filt_size=4, stride=2, pad_type="reflect", pad_off=1)}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_dtype_out_and_input_untouched(op, dtype, engine):
    x = random_input((2, 3, 9, 8), dtype, specials=True)
    keep = x.copy()
    y = _call(op, x, ARGS[op], engine)
    assert y.dtype == dtype and y.flags.c_contiguous
    np.testing.assert_array_equal(x, keep)
    out = np.full(y.shape, 7, dtype)
    got = _call(op, x, ARGS[op], engine, out=out)
    assert got is out
    np.testing.assert_array_equal(out, y)
    np.testing.assert_array_equal(x, keep)
    assert_close(y, _call(op, x, ARGS[op], "reference"))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_non_contiguous_inputs(op, engine):
    base = random_input((3, 4, 12, 14), np.float64, seed=3)
    views = [base[::2, 1:3, ::2, 1::2], base[..., ::-1, :], np.asfortranarray(base),
             base.transpose(0, 1, 3, 2)]
    if engine == "cuda":
        views = views[:1]                   # keep the simulator cheap
    for v in views:
        keep = v.copy()
        expect = _call(op, np.ascontiguousarray(v), ARGS[op], "reference")
        assert_close(_call(op, v, ARGS[op], engine), expect)
        np.testing.assert_array_equal(v, keep)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape", [(2, 16, 40, 37), (1, 3, 20, 24, 23), (4, 8, 1100)])
def test_multithreaded_path_matches_reference(op, shape):
    """Inputs above the CPU engine's serial threshold run in parallel chunks."""
    from refpool.engines.cpu.antialiased import SERIAL_BELOW
    assert np.prod(shape) > SERIAL_BELOW
    x = random_input(shape, np.float32, seed=len(shape), specials=True)
    assert_close(_call(op, x, ARGS[op], "cpu"), _call(op, x, ARGS[op], "reference"))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_empty_batch_and_channels(op, ndim, engine):
    x = np.zeros((0, 3) + (6,) * ndim, np.float32)
    y = _call(op, x, ARGS[op], engine)
    assert y.shape[:2] == (0, 3) and y.dtype == np.float32


# --------------------------------------------------------------------------- NaN
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("where", [(0, 0), (3, 4), (7, 6)])
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_nan_spreads_over_the_filter_support(op, where, engine):
    """One NaN poisons exactly the outputs whose support reaches it: those where the
    operator applied to the NaN's indicator is non-zero (all weights are positive)."""
    x = random_input((1, 1, 8, 7), np.float64, seed=5)
    x[(0, 0) + where] = np.nan
    indicator = np.zeros_like(x)
    indicator[(0, 0) + where] = 1.0
    support = _call(op, indicator, ARGS[op], "reference") > 0
    assert support.any()
    y = _call(op, x, ARGS[op], engine)
    np.testing.assert_array_equal(np.isnan(y), support)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("engine", FAST_PARAMS)
def test_infinities(op, engine):
    x = random_input((1, 1, 9, 9), np.float64, seed=6)
    x[0, 0, 4, 4] = np.inf
    y = _call(op, x, ARGS[op], "reference")
    assert np.isposinf(y).any() and not np.isnan(y).any()
    if op == "antialiased_max_pool":
        x[0, 0, 5:, 5:] = -np.inf          # whole windows of -inf survive the max
    else:
        x[0, 0, 4, 5] = -np.inf
    yy = _call(op, x, ARGS[op], "reference")
    assert np.isnan(yy).any()
    assert_close(_call(op, x, ARGS[op], engine), yy)


@pytest.mark.parametrize("engine", FAST_PARAMS)
def test_max_dense_minus_inf_only_without_inputs(engine):
    # dilation 3, k=2, p=2, n=1: the first dense window (positions -2, 1) holds no input
    x = np.array([[[5.0]]])
    y = refpool.antialiased_max_pool(x, 2, 1, 2, 3, sigma=0.2, engine="reference")
    assert y.shape == (1, 1, 2)
    assert np.isneginf(y[0, 0, 0]) and np.isneginf(y[0, 0, 1])
    np.testing.assert_array_equal(
        refpool.antialiased_max_pool(x, 2, 1, 2, 3, sigma=0.2, engine=engine), y)


# --------------------------------------------------------------------------- equivariance
def _flip_ok(op, kwargs, n):
    """The documented per-axis condition for exact mirror equivariance."""
    if op == "antialiased_avg_pool":
        fs = 2 * round(3 * kwargs["sigma"]) + 1
        p = (fs - 1) // 2
        return (n + 2 * p - fs) % kwargs["stride"] == 0
    if op == "antialiased_max_pool":
        k, s, p = kwargs["kernel_size"], kwargs["stride"], kwargs.get("padding", 0)
        return (n + 2 * p - (k - 1) - 1) % s == 0
    f, s, r = kwargs["filt_size"], kwargs["stride"], kwargs.get("pad_off", 0)
    b = (f - 1) // 2 + r
    # output centres i*s - b + (f-1)/2 must be symmetric about (n-1)/2; an even
    # filter's half-pixel offset can be absorbed only by a stride >= 2
    return (n + 2 * b - f) % s == 0 and (f % 2 == 1 or s >= 2)


EQUI = [("antialiased_avg_pool", dict(sigma=0.6, stride=2)),
        ("antialiased_avg_pool", dict(sigma=1.0, stride=3)),
        ("antialiased_max_pool", dict(kernel_size=2, stride=2)),
        ("antialiased_max_pool", dict(kernel_size=3, stride=2, padding=1)),
        ("blur_pool", dict(filt_size=3, stride=2, pad_type="reflect")),
        ("blur_pool", dict(filt_size=5, stride=2, pad_type="replicate", pad_off=1)),
        ("blur_pool", dict(filt_size=4, stride=2, pad_type="zero")),
        ("blur_pool", dict(filt_size=4, stride=3, pad_type="reflect", pad_off=1)),
        ("blur_pool", dict(filt_size=2, stride=1, pad_type="replicate")),
        ("blur_pool", dict(filt_size=6, stride=1, pad_type="zero", pad_off=1))]


@pytest.mark.parametrize("op, kwargs", EQUI)
@pytest.mark.parametrize("n", [7, 8, 9, 10, 11])
def test_exact_grid_equivariance(op, kwargs, n):
    x = random_input((1, 2, n, n), np.float64, seed=n)
    y = _call(op, x, kwargs, "cpu")
    ok = _flip_ok(op, kwargs, n)
    flipped = _call(op, x[..., ::-1], kwargs, "cpu")
    assert np.allclose(flipped, y[..., ::-1], rtol=1e-12, atol=1e-12) == ok
    rotated = _call(op, np.rot90(x, 1, axes=(2, 3)), kwargs, "cpu")
    assert np.allclose(rotated, np.rot90(y, 1, axes=(2, 3)), rtol=1e-12, atol=1e-12) == ok
    transposed = _call(op, x.transpose(0, 1, 3, 2), kwargs, "cpu")
    # transposition needs no grid condition: equal parameters on both axes suffice
    np.testing.assert_allclose(transposed, y.transpose(0, 1, 3, 2), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- differential
SIGMAS = [0.3, 0.5, 0.6, 2 / 3, 0.9, 1.0, 1.3]


@st.composite
def _cases(draw, op, max_outputs):
    ndim = draw(st.integers(1, 3))
    biggest = {1: 14, 2: 9, 3: 6}[ndim]
    spatial = tuple(draw(st.lists(st.integers(1, biggest), min_size=ndim, max_size=ndim)))
    lead = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    axis = st.integers(1, 3)
    per_axis = lambda s: st.one_of(s, st.tuples(*([s] * ndim)))  # noqa: E731
    if op == "antialiased_avg_pool":
        sigma = draw(st.sampled_from(SIGMAS))
        kwargs = dict(sigma=sigma, stride=draw(per_axis(axis)),
                      padding=draw(st.one_of(st.none(), per_axis(st.integers(0, 4)))))
    elif op == "antialiased_max_pool":
        k = draw(st.integers(1, 3))
        d = draw(st.integers(1, 2))
        kwargs = dict(kernel_size=k, stride=draw(st.one_of(st.none(), per_axis(axis))),
                      padding=draw(st.integers(0, (d * (k - 1) + 1) // 2)), dilation=d,
                      ceil_mode=draw(st.booleans()), sigma=draw(st.sampled_from(SIGMAS)),
                      blur_padding=draw(st.one_of(st.none(), per_axis(st.integers(0, 4)))))
    else:
        kwargs = dict(filt_size=draw(per_axis(st.integers(1, 8))), stride=draw(per_axis(axis)),
                      pad_type=draw(st.sampled_from(sorted(_args.PAD_TYPES))),
                      pad_off=draw(per_axis(st.integers(0, 2))))
    x = random_input(lead + spatial, draw(st.sampled_from([np.float32, np.float64])),
                     seed=draw(st.integers(0, 2 ** 16)), specials=draw(st.booleans()))
    try:
        y = _call(op, x, kwargs, "reference")
    except ValueError:
        assume(False)
    assume(y.size <= max_outputs)
    return x, kwargs, y


def _check_engine(op, case, engine):
    x, kwargs, expect = case
    keep = x.copy()
    got = _call(op, x, kwargs, engine)
    assert got.shape == expect.shape and got.dtype == x.dtype
    assert_close(got, expect)
    np.testing.assert_array_equal(x, keep)


@pytest.mark.differential
@pytest.mark.parametrize("op", OPS)
def test_cpu_matches_reference(op):
    @given(case=_cases(op, max_outputs=4000))
    def run(case):
        _check_engine(op, case, "cpu")
    run()


@pytest.mark.differential
@pytest.mark.cuda
@pytest.mark.parametrize("op", OPS)
def test_cuda_matches_reference(op):
    @settings(max_examples=25)
    @given(case=_cases(op, max_outputs=150))
    def run(case):
        _check_engine(op, case, "cuda")
    run()
