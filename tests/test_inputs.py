"""Inputs people have: ``ndim=`` and ``channels_last=`` layouts, array-likes (torch
tensors, JAX arrays, ``__array__`` objects), float16 and integer dtypes.

Every registered operator is driven through the fuzzer's valid-call generators, and
each answer is checked against an independent one: the same call on the
``(N, C, *spatial)`` array the layout describes (rearranged by NumPy, not by
refpool), a NumPy sliding-window maximum on integers, torch on its own tensors, or
the float computation rounded once.
"""

import warnings

import numpy as np
import pytest

import refpool
from refpool import registry
from refpool._args import INTEGER_DTYPES
from refpool.conformance import fuzz

OPS = list(registry.OPERATORS)
#: operators whose output keeps the input's leading (batch) axes; region pooling
#: replaces the batch axis by the boxes (tests/test_region_pooling.py covers its layouts)
BATCHED = [name for name, op in registry.OPERATORS.items() if op.family != "region_pooling"]
SELECTIONS = [name for name, op in registry.OPERATORS.items() if op.comparison == "exact"]
COMPUTING = [name for name, op in registry.OPERATORS.items() if op.comparison == "tolerance"]


def _valid_call(op, seed, *, min_channels=1):
    """A valid ``(x, kwargs)`` of ``op`` from its fuzz generator (float64, C layout)."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        shape, kwargs = fuzz.GENERATORS[op].valid(fuzz._Draw(rng))
        if shape[0] >= 1 and shape[1] >= min_channels:
            break
    call = fuzz.Call(0, op, tuple(shape), "float64", "C", "normal", seed, dict(kwargs))
    kwargs = call.call_kwargs()
    kwargs.pop("engine", None)
    return call.make_input(), kwargs


def _run(op, x, kwargs, **extra):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return registry.OPERATORS[op].function(x, **kwargs, **extra)


def _values(result):
    return result[0] if isinstance(result, tuple) else result


def _assert_same(actual, expected):
    for a, e in zip(actual if isinstance(actual, tuple) else (actual,),
                    expected if isinstance(expected, tuple) else (expected,)):
        assert a.shape == e.shape and a.dtype == e.dtype
        np.testing.assert_array_equal(a, e)


# --------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("op", BATCHED)
@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_ndim_layouts_equal_the_batched_call(op, engine):
    """``(*batch, C, *spatial)``, ``(C, *spatial)`` and (one channel) ``(*spatial)``
    with ``ndim=`` give the ``(N, C, *spatial)`` call's result, reshaped by NumPy."""
    x, kwargs = _valid_call(op, seed=registry_index(op))
    n, c, *spatial = x.shape
    k = len(spatial)
    expected = _run(op, x, kwargs, engine=engine)
    # (2, N//?, ...) batch axes: split N into two leading axes when it can
    split = (1, n) if n < 2 else (n, 1)
    got = _run(op, x.reshape(split + (c, *spatial)), kwargs, ndim=k, engine=engine)
    for g, e in zip(_tuple(got), _tuple(expected)):
        assert g.shape == split + e.shape[1:]
        np.testing.assert_array_equal(g.reshape(e.shape), e)
    got = _run(op, x[0], kwargs, ndim=k, engine=engine)
    for g, e in zip(_tuple(got), _tuple(expected)):
        np.testing.assert_array_equal(g, e[0])


def registry_index(op):
    return list(registry.OPERATORS).index(op) + 11


def _tuple(r):
    return r if isinstance(r, tuple) else (r,)


@pytest.mark.parametrize("op", BATCHED)
def test_channels_last_equals_moving_the_axis(op):
    x, kwargs = _valid_call(op, seed=registry_index(op) + 100)
    k = x.ndim - 2
    expected = _run(op, x, kwargs, engine="cpu")
    moved = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    got = _run(op, moved, kwargs, channels_last=True, engine="cpu")
    for g, e in zip(_tuple(got), _tuple(expected)):
        assert g.flags.c_contiguous
        np.testing.assert_array_equal(g, np.moveaxis(e, 1, -1))
    got = _run(op, moved[0], kwargs, channels_last=True, ndim=k, engine="cpu")
    for g, e in zip(_tuple(got), _tuple(expected)):
        np.testing.assert_array_equal(g, np.moveaxis(e[0], 0, -1))


def test_grayscale_image_without_channel_axis():
    image = np.random.default_rng(0).random((9, 11))
    y = refpool.avg_pool(image, 2, ndim=2)
    assert y.shape == (4, 5)
    np.testing.assert_allclose(y, image[:8, :10].reshape(4, 2, 5, 2).mean(axis=(1, 3)))
    up = refpool.interpolate(image, scale_factor=2, mode="nearest", ndim=2)
    np.testing.assert_array_equal(up, image.repeat(2, 0).repeat(2, 1))


def test_out_in_the_callers_layout():
    x = np.random.default_rng(1).random((3, 4, 2, 9, 9)).astype(np.float32)
    out = np.empty((3, 4, 2, 4, 4), np.float32)
    assert refpool.max_pool(x, 2, ndim=2, out=out) is out
    np.testing.assert_array_equal(out, refpool.max_pool(x.reshape(12, 2, 9, 9), 2)
                                  .reshape(out.shape))
    hwc = np.random.default_rng(2).random((9, 9, 3))
    out = np.empty((4, 4, 3))
    assert refpool.avg_pool(hwc, 2, ndim=2, channels_last=True, out=out) is out
    np.testing.assert_allclose(out, hwc[:8, :8].reshape(4, 2, 4, 2, 3).mean(axis=(1, 3)))


def test_bad_out_in_a_layout_is_refused_before_the_kernel(monkeypatch):
    x = np.random.default_rng(3).random((9, 9)).astype(np.float16)
    ran = []
    from refpool._dispatch import Launch
    monkeypatch.setattr(Launch, "run", lambda self, *a: ran.append(a))
    for out, message in ((np.empty((4, 5), np.float16), "out must have shape \\(4, 4\\)"),
                         (np.empty((4, 4), np.float32), "out must have dtype float16"),
                         (np.empty((1, 1, 4, 4), np.float16), "shape \\(4, 4\\)")):
        with pytest.raises(ValueError, match=message):
            refpool.max_pool(x, 2, ndim=2, out=out)
    assert not ran


@pytest.mark.parametrize("kwargs, message", [
    (dict(ndim=0), "ndim must be None or the number of spatial axes"),
    (dict(ndim=4), "ndim must be None or the number of spatial axes"),
    (dict(ndim=True), "ndim must be None"),
    (dict(ndim=3), "x must have at least ndim=3 axes"),
])
def test_bad_ndim(kwargs, message):
    with pytest.raises(ValueError, match=message):
        refpool.max_pool(np.zeros((5, 5)), 2, **kwargs)


def test_bad_channels_last():
    with pytest.raises(TypeError, match="channels_last must be a bool"):
        refpool.max_pool(np.zeros((1, 5, 5, 1)), 2, channels_last=1)
    with pytest.raises(ValueError, match="channels_last=True: x must have"):
        refpool.max_pool(np.zeros((5, 5)), 2, channels_last=True)


def test_two_axis_input_without_ndim_names_the_fix():
    with pytest.raises(ValueError, match="pass ndim="):
        refpool.max_pool(np.zeros((5, 5)), 2)


def test_exact_symmetries_reads_the_layout():
    for shape in ((257, 257), (256, 256), (255, 257)):
        expected = refpool.exact_symmetries(refpool.blur_pool, (1, 1) + shape)
        assert refpool.exact_symmetries(refpool.blur_pool, shape, ndim=2) == expected
        assert refpool.exact_symmetries(refpool.blur_pool, (6,) + shape + (3,),
                                        channels_last=True) == expected


# --------------------------------------------------------------------------- array-likes
def test_torch_cpu_tensor_is_read_without_a_copy():
    torch = pytest.importorskip("torch")
    from refpool._args import as_array
    t = torch.rand(2, 3, 8, 8)
    a = as_array(t)
    assert isinstance(a, np.ndarray) and np.shares_memory(a, t.numpy())
    y = refpool.max_pool(t, 2)
    assert isinstance(y, np.ndarray)
    np.testing.assert_array_equal(y, torch.nn.functional.max_pool2d(t, 2).numpy())
    y = refpool.avg_pool(t[0], 2, ndim=2)             # torch's unbatched (C, H, W)
    np.testing.assert_allclose(y, torch.nn.functional.avg_pool2d(t[0], 2).numpy(),
                               rtol=1e-6)


def test_tensor_that_requires_grad_is_refused_with_the_fix():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="detach"):
        refpool.max_pool(torch.rand(1, 1, 4, 4, requires_grad=True), 2)


def test_jax_array():
    jnp = pytest.importorskip("jax.numpy")
    x = np.random.default_rng(4).random((1, 2, 6, 6)).astype(np.float32)
    y = refpool.interpolate(jnp.asarray(x), scale_factor=2, mode="bilinear")
    np.testing.assert_array_equal(y, refpool.interpolate(x, scale_factor=2, mode="bilinear"))


def test_objects_with_only_array_or_dlpack():
    x = np.random.default_rng(5).random((1, 1, 4, 4))

    class HasArray:
        def __array__(self, dtype=None, copy=None):
            return x

    class HasDlpack:
        def __dlpack__(self, **kwargs):
            return x.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return x.__dlpack_device__()

    expected = refpool.max_pool(x, 2)
    np.testing.assert_array_equal(refpool.max_pool(HasArray(), 2), expected)
    np.testing.assert_array_equal(refpool.max_pool(HasDlpack(), 2), expected)


@pytest.mark.parametrize("value", [[[[1.0]]], 1.5, None, "x"])
def test_non_arrays_are_refused_with_the_fix(value):
    with pytest.raises(TypeError, match=r"x must be an array.*np\.asarray\(x\)"):
        refpool.max_pool(value, 1)


# --------------------------------------------------------------------------- float16
@pytest.mark.parametrize("op", OPS)
def test_float16_is_computed_wider_and_rounded_once(op):
    """cpu: the float32 result rounded to float16; reference: the float64 result."""
    x, kwargs = _valid_call(op, seed=registry_index(op) + 200)
    half = x.astype(np.float16)
    for engine, wide in (("cpu", np.float32), ("reference", np.float64)):
        got = _run(op, half, kwargs, engine=engine)
        expected = _run(op, half.astype(wide), kwargs, engine=engine)
        assert _values(got).dtype == np.float16
        _assert_same(_values(got), _values(expected).astype(np.float16))
        if isinstance(got, tuple):
            _assert_same(got[1], expected[1])


def test_float16_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).standard_normal((2, 3, 9, 9)).astype(np.float16)
    t = torch.from_numpy(x)
    np.testing.assert_array_equal(refpool.max_pool(x, 3, 2, 1),
                                  torch.nn.functional.max_pool2d(t, 3, 2, 1).numpy())
    # torch's float16 average accumulates in float32 and rounds once, as refpool does
    np.testing.assert_array_equal(refpool.avg_pool(x, 2),
                                  torch.nn.functional.avg_pool2d(t, 2).numpy())


# --------------------------------------------------------------------------- integers
def _sliding_max(x, k, s):
    """Max over k x k windows at stride s of the last two axes, in x's own dtype."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(-2, -1))
    return windows[..., ::s, ::s, :, :].max(axis=(-2, -1))


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=str)
@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_integer_max_pool_is_exact(dtype, engine):
    info = np.iinfo(dtype)
    lo = max(info.min, -(2 ** 53))
    hi = min(info.max, 2 ** 53)
    rng = np.random.default_rng(7)
    # values at the ends of the range, where a float32 (or rounded float64) would tie
    x = rng.integers(hi - 40, hi, size=(2, 2, 9, 11), endpoint=True, dtype=dtype)
    x[..., ::3, ::2] = rng.integers(lo, lo + 40, size=x[..., ::3, ::2].shape, dtype=dtype)
    y, idx = refpool.max_pool(x, 3, 2, return_indices=True, engine=engine)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, _sliding_max(x, 3, 2))
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(2, 2, -1),
                                                     idx.reshape(2, 2, -1), -1),
                                  y.reshape(2, 2, -1))


def test_uint8_image_against_torch():
    torch = pytest.importorskip("torch")
    image = np.random.default_rng(8).integers(0, 256, (1, 3, 32, 32), dtype=np.uint8)
    t = torch.from_numpy(image)
    np.testing.assert_array_equal(refpool.max_pool(image, 2),
                                  torch.nn.functional.max_pool2d(t, 2).numpy())
    np.testing.assert_array_equal(
        refpool.interpolate(image, scale_factor=1.5, mode="nearest"),
        torch.nn.functional.interpolate(t, scale_factor=1.5, mode="nearest").numpy())


@pytest.mark.parametrize("op", SELECTIONS)
def test_every_selection_takes_integers(op):
    x, kwargs = _valid_call(op, seed=registry_index(op) + 300)
    ints = np.round(x * 50).astype(np.int16)
    got = _run(op, ints, kwargs, engine="cpu")
    expected = _run(op, ints.astype(np.float64), kwargs, engine="reference")
    assert _values(got).dtype == np.int16
    np.testing.assert_array_equal(_values(got), _values(expected))


@pytest.mark.parametrize("op", COMPUTING)
def test_computing_operators_refuse_integers_with_the_fix(op):
    x, kwargs = _valid_call(op, seed=registry_index(op) + 400)
    with pytest.raises(TypeError, match=r"x\.astype\(np\.float32\)"):
        _run(op, x.astype(np.uint8), kwargs)


def test_interpolate_integers_only_for_nearest_modes():
    image = np.arange(16, dtype=np.int32).reshape(1, 1, 4, 4)
    y = refpool.interpolate(image, size=(8, 8), mode="nearest-exact")
    np.testing.assert_array_equal(y, image.repeat(2, 2).repeat(2, 3))
    with pytest.raises(TypeError, match="interpolate with mode='bilinear'"):
        refpool.interpolate(image, size=(8, 8), mode="bilinear")


def test_int64_beyond_float64_precision_is_refused():
    x = np.full((1, 1, 2, 2), 2 ** 53 + 1, np.int64)
    with pytest.raises(ValueError, match=r"2\*\*53"):
        refpool.max_pool(x, 2)


def test_bool_and_complex_are_refused():
    for dtype in (bool, np.complex64):
        with pytest.raises(TypeError, match="x must have dtype"):
            refpool.max_pool(np.zeros((1, 1, 2, 2), dtype), 2)


def test_input_is_not_modified():
    x = np.random.default_rng(9).integers(0, 9, (2, 5, 5, 3), dtype=np.uint8)
    before = x.copy()
    refpool.max_pool(x, 2, channels_last=True)
    refpool.max_pool(x, 2, ndim=2)
    np.testing.assert_array_equal(x, before)


# --------------------------------------------------------------------------- CUDA
@pytest.mark.cuda
def test_cuda_layouts_and_dtypes():
    from numba import cuda
    host = np.random.default_rng(10).integers(0, 200, (2, 3, 6, 6), dtype=np.uint8)
    expected = refpool.max_pool(host, 2, engine="reference")
    got = refpool.max_pool(cuda.to_device(host), 2)
    assert is_device(got)
    np.testing.assert_array_equal(got.copy_to_host(), expected)
    half = host.astype(np.float16)
    got = refpool.avg_pool(cuda.to_device(half[0]), 2, ndim=2)
    np.testing.assert_array_equal(got.copy_to_host(),
                                  refpool.avg_pool(half[0], 2, ndim=2, engine="cpu"))
    with pytest.raises(ValueError, match="channels_last=True needs a host array"):
        refpool.max_pool(cuda.to_device(host), 2, channels_last=True)


def is_device(a):
    return hasattr(a, "copy_to_host")
