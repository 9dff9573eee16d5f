"""Public pooling API: validation, dtype/shape contract, inputs untouched, outputs."""

import numpy as np
import pytest

import refpool
from helpers import assert_close, assert_same, random_input

OPS = {
    "max_pool": lambda x, **kw: refpool.max_pool(x, 2, **kw),
    "avg_pool": lambda x, **kw: refpool.avg_pool(x, 2, **kw),
    "adaptive_max_pool": lambda x, **kw: refpool.adaptive_max_pool(x, 2, **kw),
    "adaptive_avg_pool": lambda x, **kw: refpool.adaptive_avg_pool(x, 2, **kw),
}


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("bad,err,match", [
    ([[[1.0, 2.0]]], TypeError, "x must be an array"),
    (np.ones((2, 3, 4, 4), np.complex64), TypeError, "x must have dtype float16, float32"),
    (np.ones((2, 3, 4, 4), bool), TypeError, "x must have dtype float16, float32"),
    (np.ones((4, 4), np.float32), ValueError, "x must have 3 to 5 axes.*pass ndim="),
    (np.ones((1, 1, 2, 2, 2, 2), np.float32), ValueError, "x must have 3 to 5 axes"),
])
def test_bad_input_array(op, bad, err, match):
    with pytest.raises(err, match=match):
        OPS[op](bad)


X = np.zeros((1, 2, 6, 5), np.float32)


@pytest.mark.parametrize("call,err,match", [
    (lambda: refpool.max_pool(X, (2, 2, 2)), ValueError, "kernel_size must be an int or a tuple of 2"),
    (lambda: refpool.max_pool(X, 0), ValueError, "kernel_size must be >= 1"),
    (lambda: refpool.max_pool(X, -1), ValueError, "kernel_size must be >= 1"),
    (lambda: refpool.max_pool(X, 2.0), TypeError, "kernel_size must be an int"),
    (lambda: refpool.max_pool(X, 2, stride=0), ValueError, "stride must be >= 1"),
    (lambda: refpool.max_pool(X, 2, stride=(1, -1)), ValueError, "stride must be >= 1"),
    (lambda: refpool.max_pool(X, 2, padding=-1), ValueError, "padding must be >= 0"),
    (lambda: refpool.max_pool(X, 3, padding=2), ValueError, "padding must be at most half"),
    (lambda: refpool.max_pool(X, 2, dilation=0), ValueError, "dilation must be >= 1"),
    (lambda: refpool.max_pool(X, 7), ValueError, "kernel_size .* larger than the padded input"),
    (lambda: refpool.max_pool(X, 3, dilation=3), ValueError, "larger than the padded input"),
    (lambda: refpool.max_pool(X, 2, ceil_mode=1), TypeError, "ceil_mode must be a bool"),
    (lambda: refpool.max_pool(X, 2, return_indices="yes"), TypeError, "return_indices must be a bool"),
    (lambda: refpool.avg_pool(X, 2, padding=2), ValueError, "padding must be at most half of the dilated"),
    (lambda: refpool.avg_pool(X, 2, divisor_override=0), ValueError, "divisor_override must be non-zero"),
    (lambda: refpool.avg_pool(X, 2, divisor_override=1.5), TypeError, "divisor_override must be an int"),
    (lambda: refpool.avg_pool(X, 2, count_include_pad=None), TypeError, "count_include_pad must be a bool"),
    (lambda: refpool.adaptive_avg_pool(X, 0), ValueError, "output_size must be >= 1"),
    (lambda: refpool.adaptive_max_pool(X, (2, -1)), ValueError, "output_size must be >= 1"),
    (lambda: refpool.adaptive_max_pool(X, (2, 2, 2)), ValueError, "output_size must be an int or a tuple of 2"),
    (lambda: refpool.max_pool(X, 2, engine="gpu"), ValueError, "engine must be one of"),
    (lambda: refpool.max_pool(X, 2, out=np.empty((1, 2, 3, 2), np.float64)), ValueError, "out must have dtype float32"),
    (lambda: refpool.max_pool(X, 2, out=np.empty((1, 2, 3, 3), np.float32)), ValueError, r"out must have shape \(1, 2, 3, 2\)"),
    (lambda: refpool.max_pool(X, 2, out=np.empty((1, 2, 3, 4), np.float32)[..., ::2]), ValueError, "C-contiguous"),
    (lambda: refpool.max_pool(X, 2, return_indices=True, out=np.empty((1, 2, 3, 2), np.float32)), TypeError, "out must be a tuple"),
])
def test_bad_arguments_name_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_out_sharing_memory_with_input_is_refused():
    x = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="must not share memory"):
        refpool.adaptive_avg_pool(x, 4, out=x)


def test_validation_happens_before_any_engine_runs(monkeypatch):
    import refpool._dispatch as dispatch

    def boom(*args, **kwargs):
        raise AssertionError("an engine ran on invalid input")

    monkeypatch.setattr(dispatch, "kernel", boom)
    with pytest.raises(ValueError):
        refpool.max_pool(X, 2, stride=0)


# ----------------------------------------------------------------- contract
@pytest.mark.parametrize("engine", ("reference", "cpu"))
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("shape", ((2, 3, 9), (2, 3, 8, 7), (1, 2, 5, 4, 6)))
def test_dtype_kept_input_untouched_fresh_contiguous_output(op, dtype, shape, engine):
    x = random_input(shape, dtype, seed=1, specials=True)
    before = x.copy()
    y = OPS[op](x, engine=engine)
    assert y.dtype == dtype
    assert y.flags.c_contiguous and not np.shares_memory(x, y)
    assert_same(x, before)


@pytest.mark.parametrize("engine", ("reference", "cpu"))
@pytest.mark.parametrize("op", OPS)
def test_non_contiguous_input_gives_the_contiguous_answer(op, engine):
    base = random_input((3, 8, 10, 12), np.float64, seed=2)
    views = [base[:, ::2], base[..., ::-1], base.transpose(1, 0, 2, 3), base[:, :, 1:9, 2:11]]
    for view in views:
        assert not view.flags.c_contiguous
        expected = OPS[op](np.ascontiguousarray(view), engine=engine)
        assert_same(OPS[op](view, engine=engine), expected)


@pytest.mark.parametrize("engine", ("reference", "cpu"))
def test_out_is_filled_and_returned(engine):
    x = random_input((2, 3, 8, 8), np.float32, seed=3)
    out = np.full((2, 3, 4, 4), 7, np.float32)
    y = refpool.avg_pool(x, 2, out=out, engine=engine)
    assert y is out
    assert_close(out, refpool.avg_pool(x, 2, engine="reference"))
    vals = np.empty((2, 3, 4, 4), np.float32)
    idx = np.empty((2, 3, 4, 4), np.int64)
    y, i = refpool.max_pool(x, 2, return_indices=True, out=(vals, idx), engine=engine)
    assert y is vals and i is idx
    ry, ri = refpool.max_pool(x, 2, return_indices=True, engine="reference")
    assert_same(vals, ry)
    assert_same(idx, ri)


def test_empty_batch_and_channels():
    for shape in ((0, 3, 4, 4), (2, 0, 4, 4)):
        x = np.zeros(shape, np.float32)
        for engine in ("reference", "cpu"):
            assert refpool.max_pool(x, 2, engine=engine).shape == shape[:2] + (2, 2)
            assert refpool.adaptive_avg_pool(x, 3, engine=engine).shape == shape[:2] + (3, 3)


@pytest.mark.parametrize("engine", ("reference", "cpu"))
def test_closed_forms(engine):
    # a ramp: max over a window is its last element, the mean its centre
    x = np.arange(12, dtype=np.float64).reshape(1, 1, 12)
    assert_same(refpool.max_pool(x, 3, engine=engine)[0, 0], np.array([2.0, 5.0, 8.0, 11.0]))
    assert_same(refpool.avg_pool(x, 3, engine=engine)[0, 0], np.array([1.0, 4.0, 7.0, 10.0]))
    # a constant stays constant under every average, whatever the padding rule
    # when the padding is not counted
    c = np.full((1, 2, 7, 5), 3.5)
    for kw in (dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=(2, 3), stride=(3, 1), padding=(1, 1))):
        assert np.all(refpool.avg_pool(c, count_include_pad=False, engine=engine, **kw) == 3.5)
    assert np.all(refpool.adaptive_avg_pool(c, (3, 4), engine=engine) == 3.5)
    # adaptive to the input size is the identity
    x = random_input((2, 3, 5, 6), np.float32, seed=6, specials=True)
    assert_same(refpool.adaptive_max_pool(x, (5, 6), engine=engine), x)


def test_cuda_engine_without_device_or_simulator_says_what_is_missing(monkeypatch):
    import refpool._dispatch as dispatch
    monkeypatch.setattr(dispatch, "cuda_available", lambda: False)
    with pytest.raises(dispatch.EngineUnavailableError, match="NUMBA_ENABLE_CUDASIM"):
        refpool.max_pool(X, 2, engine="cuda")
    # auto still works for host arrays
    assert refpool.max_pool(X, 2).shape == (1, 2, 3, 2)


def test_import_does_not_import_numba():
    import subprocess
    import sys
    code = "import sys, refpool; print('numba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
