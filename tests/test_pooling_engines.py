"""Differential tests: the CPU and CUDA engines against the float64 reference.

Shapes and arguments come from hypothesis.  Max values and indices must be
identical; averages within the per-dtype tolerance.  The CUDA engine runs on the
simulator here, so its shapes stay tiny.  The whole module runs once more under
``NUMBA_BOUNDSCHECK=1`` (tests/test_boundscheck.py) so an out-of-bounds access in
a CPU kernel raises instead of reading garbage.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refpool
from helpers import assert_close, assert_same, random_input

pytestmark = pytest.mark.differential


@st.composite
def window_case(draw, max_side=9, max_batch=2):
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, max_side if nd < 3 else 5)) for _ in range(nd))
    k = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    p = tuple(draw(st.integers(0, (di * (ki - 1) + 1) // 2)) for ki, di in zip(k, d))
    ceil_mode = draw(st.booleans())
    for n, ki, pi, di in zip(shape, k, p, d):
        if di * (ki - 1) + 1 > n + 2 * pi:
            from hypothesis import assume
            assume(False)
    batch = (draw(st.integers(1, max_batch)), draw(st.integers(1, 3)))
    dtype = draw(st.sampled_from((np.float32, np.float64)))
    x = random_input(batch + shape, dtype, seed=draw(st.integers(0, 2**16)),
                     specials=draw(st.booleans()))
    if draw(st.booleans()):           # a non-contiguous view of the same values
        x = np.ascontiguousarray(x[..., ::-1])[..., ::-1]
        x = np.concatenate([x, x], axis=1)[:, ::2]
    return x, dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode)


def _avg_kwargs(kw, data):
    k = kw["kernel_size"]
    p = tuple(min(pi, ki // 2) for pi, ki in zip(kw["padding"], k))
    return dict(kernel_size=k, stride=kw["stride"], padding=p, ceil_mode=kw["ceil_mode"],
                count_include_pad=data.draw(st.booleans()),
                divisor_override=data.draw(st.sampled_from((None, None, 1, 3, -2))))


def _check_window_ops(x, kw, data, engine):
    before = x.copy()
    ry, ri = refpool.max_pool(x, return_indices=True, engine="reference", **kw)
    y, i = refpool.max_pool(x, return_indices=True, engine=engine, **kw)
    assert_same(y, ry)
    assert_same(i, ri)
    assert_same(refpool.max_pool(x, engine=engine, **kw), ry)
    nd = x.ndim - 2
    spec_ok = all(di * 0 + ki <= n + 2 * min(pi, ki // 2) for n, ki, pi, di in
                  zip(x.shape[2:], kw["kernel_size"], kw["padding"], kw["dilation"]))
    if spec_ok:
        akw = _avg_kwargs(kw, data)
        assert_close(refpool.avg_pool(x, engine=engine, **akw),
                     refpool.avg_pool(x, engine="reference", **akw))
    osize = tuple(data.draw(st.integers(1, n + 2)) for n in x.shape[2:])
    assert nd == len(osize)
    ry, ri = refpool.adaptive_max_pool(x, osize, True, engine="reference")
    y, i = refpool.adaptive_max_pool(x, osize, True, engine=engine)
    assert_same(y, ry)
    assert_same(i, ri)
    assert_same(refpool.adaptive_max_pool(x, osize, engine=engine), ry)
    assert_close(refpool.adaptive_avg_pool(x, osize, engine=engine),
                 refpool.adaptive_avg_pool(x, osize, engine="reference"))
    assert_same(x, before)


@given(case=window_case(max_side=12, max_batch=3), data=st.data())
def test_cpu_engine_matches_reference(case, data):
    x, kw = case
    _check_window_ops(x, kw, data, "cpu")


@pytest.mark.cuda
@given(case=window_case(max_side=6, max_batch=1), data=st.data())
def test_cuda_engine_matches_reference(case, data):
    x, kw = case
    _check_window_ops(x, kw, data, "cuda")


@pytest.mark.cuda
def test_cuda_engine_accepts_device_arrays_and_returns_device_arrays():
    from numba import cuda
    x = random_input((1, 2, 5, 6), np.float32, seed=9, specials=True)
    dx = cuda.to_device(x)
    dy = refpool.max_pool(dx, 2, stride=1)
    assert hasattr(dy, "copy_to_host") and not isinstance(dy, np.ndarray)
    assert_same(dy.copy_to_host(), refpool.max_pool(x, 2, stride=1, engine="reference"))
    dout = cuda.device_array((1, 2, 3, 4), np.float32)
    got = refpool.adaptive_avg_pool(dx, (3, 4), out=dout)
    assert_close(got.copy_to_host(), refpool.adaptive_avg_pool(x, (3, 4), engine="reference"))
    # a host engine asked for explicitly brings device data back to the host
    assert_same(refpool.max_pool(dx, 2, engine="cpu"), refpool.max_pool(x, 2, engine="cpu"))
