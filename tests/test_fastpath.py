"""Replayed small calls (refpool/_fastpath.py) are the full path, minus its cost.

Each property is checked against the full path itself: the plan table is emptied
and the call made again, so the answer compared with is computed by validation,
launch and engine from scratch.
"""

import threading

import numpy as np
import pytest

import refpool
from refpool import _fastpath

RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 3, 9, 8)).astype(np.float32)

CALLS = {
    "max_pool": lambda x, **k: refpool.max_pool(x, 2, **k),
    "max_pool k3 s2 p1 indices": lambda x, **k: refpool.max_pool(x, 3, 2, 1,
                                                                 return_indices=True, **k),
    "avg_pool same": lambda x, **k: refpool.avg_pool(x, 3, 2, "same", **k),
    "lp_pool": lambda x, **k: refpool.lp_pool(x, 2.0, 2, **k),
    "adaptive_avg_pool": lambda x, **k: refpool.adaptive_avg_pool(x, (4, 3), **k),
    "adaptive_max_pool": lambda x, **k: refpool.adaptive_max_pool(x, 3, **k),
    "global_avg_pool": lambda x, **k: refpool.global_avg_pool(x, **k),
    "global_lp_pool": lambda x, **k: refpool.global_lp_pool(x, 3.0, **k),
    "pixel_unshuffle": lambda x, **k: refpool.pixel_unshuffle(x[..., :8, :], 2, **k),
    "antialiased_avg_pool": lambda x, **k: refpool.antialiased_avg_pool(x, 0.8, 2, **k),
    "antialiased_max_pool": lambda x, **k: refpool.antialiased_max_pool(x, 3, 2, 1, **k),
    "blur_pool circular": lambda x, **k: refpool.blur_pool(x, 3, pad_type="circular", **k),
    "interpolate bicubic": lambda x, **k: refpool.interpolate(x, scale_factor=1.5,
                                                              mode="bicubic", **k),
    "interpolate nearest": lambda x, **k: refpool.interpolate(x, size=(5, 11), **k),
    "resample crop": lambda x, **k: refpool.resample(
        x, size=(7, 6), coordinate_mode="tf_crop_and_resize", roi=(0.1, 0.2, 0.9, 1.1),
        extrapolation_value=-0.0, **k),
    "resample lanczos antialias": lambda x, **k: refpool.resample(
        x, scale=(0.5, 0.75), filter="lanczos3", antialias=True, **k),
    "depth_to_space": lambda x, **k: refpool.depth_to_space(
        np.ascontiguousarray(np.concatenate([x, x[:, :1]], axis=1)), 2, **k),
}


def _fresh(call, x, **kwargs):
    _fastpath._plans.clear()
    return call(x, **kwargs)


def _same(a, b):
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_replay_is_the_full_call_bitwise(name):
    call = CALLS[name]
    expected = _fresh(call, X)
    assert _fastpath._plans, "the first call of a plain signature records a plan"
    before = X.copy()
    for _ in range(3):
        got = call(X)
        assert _same(got, expected)
    assert np.array_equal(X, before)
    # every replay hands out new memory
    first, second = call(X), call(X)
    a = first[0] if isinstance(first, tuple) else first
    b = second[0] if isinstance(second, tuple) else second
    assert not np.shares_memory(a, b)


def test_other_values_of_the_same_signature_give_their_own_answer():
    call = CALLS["avg_pool same"]
    call(X)
    other = RNG.standard_normal(X.shape).astype(np.float32)
    assert _same(call(other), _fresh(call, other))


@pytest.mark.parametrize("first, second", [
    ((2,), (2.0,)),                      # an int kernel, then a float one
    ((2, 1), (2, True)),                 # an int stride, then a bool
    (((2, 2),), ((2, 2.0),)),
])
def test_arguments_equal_as_values_but_not_as_types_are_validated_anew(first, second):
    _fastpath._plans.clear()
    refpool.max_pool(X, *first)
    with pytest.raises((TypeError, ValueError)) as replayed:
        refpool.max_pool(X, *second)
    _fastpath._plans.clear()
    with pytest.raises((TypeError, ValueError)) as full:
        refpool.max_pool(X, *second)
    assert type(replayed.value) is type(full.value)
    assert str(replayed.value) == str(full.value)


def test_signed_zeros_and_nan_are_distinct_keys():
    assert _fastpath._argument_key(0.0) != _fastpath._argument_key(-0.0)
    assert _fastpath._argument_key(np.float32(0.0)) != _fastpath._argument_key(np.float32(-0.0))
    assert _fastpath._argument_key(1) != _fastpath._argument_key(True)
    assert _fastpath._argument_key((1, 2)) != _fastpath._argument_key([1, 2])


def test_shapes_and_layouts_key_the_plan():
    call = CALLS["max_pool"]
    for x in (X, X[:1], X.astype(np.float64), X[..., :7], np.asfortranarray(X)):
        assert _same(call(x), _fresh(call, x))


def test_an_out_is_checked_again_on_every_replay():
    base = np.zeros(400, dtype=np.float32)
    x = base[:64].reshape(1, 1, 8, 8)
    x[...] = RNG.standard_normal((1, 1, 8, 8))
    good = base[200:216].reshape(1, 1, 4, 4)
    overlapping = base[40:56].reshape(1, 1, 4, 4)     # same shape, dtype and strides
    _fastpath._plans.clear()
    assert refpool.max_pool(x, 2, out=good) is good
    expected = _fresh(lambda v: refpool.max_pool(v, 2), x.copy())
    assert np.array_equal(good, expected)
    with pytest.raises(ValueError, match="must not share memory with the input"):
        refpool.max_pool(x, 2, out=overlapping)
    assert np.array_equal(x, base[:64].reshape(1, 1, 8, 8))
    other = np.zeros_like(good)
    assert refpool.max_pool(x, 2, out=other) is other
    assert np.array_equal(other, expected)


def test_a_refused_subclass_is_refused_every_time():
    _fastpath._plans.clear()
    for _ in range(2):
        with pytest.raises(TypeError, match="plain NumPy array"):
            refpool.max_pool(np.ma.masked_array(X), 2)


@pytest.mark.parametrize("make", [
    lambda: __import__("torch").from_numpy(X.copy()),   # an array-like (DLPack)
    lambda: np.require(X.copy(), requirements="C").view(),  # a view: still plain
])
def test_inputs_that_are_not_plain_arrays_still_give_the_full_answer(make):
    x = make()
    got = refpool.max_pool(x, 2)
    assert np.array_equal(np.asarray(got), _fresh(lambda v: refpool.max_pool(v, 2), X))


def test_read_only_input_and_layout_changes_are_not_replayed_but_correct():
    ro = X.copy()
    ro.flags.writeable = False
    _fastpath._plans.clear()
    assert _same(refpool.max_pool(ro, 2), refpool.max_pool(X.copy(), 2))
    nhwc = np.ascontiguousarray(X.transpose(0, 2, 3, 1))
    _fastpath._plans.clear()
    got = refpool.max_pool(nhwc, 2, channels_last=True)
    assert not any(_fastpath._plans.values())
    assert np.array_equal(got, refpool.max_pool(X, 2).transpose(0, 2, 3, 1))


def test_invalid_calls_are_never_recorded():
    _fastpath._plans.clear()
    for _ in range(2):
        with pytest.raises(ValueError):
            refpool.max_pool(X, 2, padding=2)
    assert not any(_fastpath._plans.values())


def test_threads_replaying_at_once_agree():
    call = CALLS["max_pool k3 s2 p1 indices"]
    inputs = [RNG.standard_normal(X.shape).astype(np.float32) for _ in range(8)]
    expected = [_fresh(call, x) for x in inputs]
    results = [None] * len(inputs)

    def work(i):
        for _ in range(50):
            results[i] = call(inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(_same(r, e) for r, e in zip(results, expected))
