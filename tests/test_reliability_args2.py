"""Reliability of argument validation, part 2 (refpool._args, refpool._dispatch,
refpool.kernels, refpool.field_pooling).

Regression tests for: an output beyond physical memory blamed on "the size arguments"
instead of the argument; a huge binomial ``filt_size`` reaching ``1 << n``; a huge
Gaussian ``sigma`` blamed on ``blur_padding`` (or overflowing); field operators
accepting an empty spatial axis; aliasing ``out`` arrays.
"""

import re

import numpy as np
import pytest
from helpers import random_input

import refpool
from refpool import FieldType, _args, kernels
from refpool.groups import cyclic

X = np.zeros((1, 3, 10), np.float32)


def _ft(channels=2):
    G = cyclic(2)
    return FieldType(G, [G.regular_representation] * (channels // 2))


# =========================================================================== 1. memory
# outputs of at most 2**53 elements per (N, C) slice, but far beyond physical memory
BEYOND_MEMORY = [
    ("output_size", lambda e: refpool.adaptive_avg_pool(X, 10 ** 15, engine=e)),
    ("output_size", lambda e: refpool.adaptive_max_pool(X, 10 ** 15, return_indices=True,
                                                        engine=e)),
    ("scale_factor", lambda e: refpool.interpolate(X, scale_factor=10 ** 14, engine=e)),
    ("size", lambda e: refpool.interpolate(X, size=10 ** 15, engine=e)),
    ("size", lambda e: refpool.interpolate(X, size=10 ** 15, mode="area", engine=e)),
    ("blur_padding", lambda e: refpool.antialiased_max_pool(X, 2, blur_padding=10 ** 15,
                                                            engine=e)),
    ("padding", lambda e: refpool.antialiased_avg_pool(X, 0.6, 1, padding=10 ** 15,
                                                       engine=e)),
    ("pad_off", lambda e: refpool.blur_pool(X, 3, 1, pad_type="zero", pad_off=10 ** 15,
                                            engine=e)),
]


@pytest.mark.parametrize("engine", ("reference", "cpu"))
@pytest.mark.parametrize("name,call", BEYOND_MEMORY,
                         ids=[f"{i}-{n}" for i, (n, _) in enumerate(BEYOND_MEMORY)])
def test_an_output_beyond_physical_memory_names_its_argument(name, call, engine):
    assert _args.memory_limit() < 10 ** 16          # 3 x 10**15 float32 outputs need more
    with pytest.raises(_args.SizeLimitError,
                       match=rf"^{name}=\S+ makes the output too large: .*physical memory"):
        call(engine)


# the windowed poolings outgrow their input by at most one per axis (through padding):
# make physical memory small to reach the rule
SMALL_MEMORY = [
    ("padding", lambda x: refpool.max_pool(x, 2, stride=1, padding=1)),
    ("padding", lambda x: refpool.max_pool(x, 2, stride=1, padding=1, return_indices=True)),
    ("padding", lambda x: refpool.avg_pool(x, 2, stride=1, padding=1)),
    ("padding", lambda x: refpool.norm_max_pool(x, _ft(), 2, stride=1, padding=1)),
    ("padding", lambda x: refpool.antialiased_max_pool(x, 2, stride=1, padding=1)),
    ("blur_padding", lambda x: refpool.antialiased_max_pool(x, 2, stride=1, blur_padding=9)),
    ("padding", lambda x: refpool.antialiased_avg_pool(x, 0.6, 1, padding=3)),
    ("pad_off", lambda x: refpool.blur_pool(x, 3, 1, pad_type="zero", pad_off=2)),
    ("output_size", lambda x: refpool.adaptive_avg_pool(x, 500)),
    ("size", lambda x: refpool.interpolate(x, size=500)),
    ("scale_factor", lambda x: refpool.interpolate(x, scale_factor=50.0)),
]


@pytest.mark.parametrize("name,call", SMALL_MEMORY,
                         ids=[f"{i}-{n}" for i, (n, _) in enumerate(SMALL_MEMORY)])
def test_every_output_extent_names_the_argument_that_drives_it(name, call, monkeypatch):
    x = np.zeros((1, 2, 10), np.float32)
    monkeypatch.setattr(_args, "memory_limit", lambda: x.nbytes)   # x fits, nothing larger
    with pytest.raises(_args.SizeLimitError,
                       match=rf"^{name}=\S+ makes the output too large: .*physical memory"):
        call(x)


def test_an_output_no_larger_than_x_is_still_blamed_on_x(monkeypatch):
    monkeypatch.setattr(_args, "memory_limit", lambda: 500)
    x = np.zeros((30, 2, 8), np.float32)
    with pytest.raises(_args.SizeLimitError, match=r"^x of shape \(30, 2, 8\) makes the output"):
        refpool.max_pool(x, 1)
    with pytest.raises(_args.SizeLimitError, match=r"^x of shape \(30, 2, 8\) makes the output"):
        refpool.group_pool(x, _ft())
    # a caller's out is not allocated, so it is not refused
    out = np.empty((1, 1, 1000), np.float32)
    assert refpool.interpolate(np.zeros((1, 1, 8), np.float32), size=1000, out=out) is out


def test_the_output_extent_carries_its_argument_and_stays_a_tuple():
    spec = _args.window_spec((8,), 2, 1, 1)
    assert spec.output_size == (9,) and spec.output_size.culprit == "padding=1"
    shape = _args.with_channels((2, 3, 8), spec.output_size)
    assert shape == (2, 3, 9) and shape.culprit == "padding=1"
    assert _args.adaptive_output_size((4,), 2 ** 53) == (2 ** 53,)
    assert _args.with_channels((2, 3, 8), (5,)).culprit is None
    import pickle
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec and again.output_size.culprit == "padding=1"


# =========================================================================== 2. filt_size
@pytest.mark.parametrize("filt_size", [10 ** 15, kernels.MAX_BINOMIAL_SIZE + 1, (3, 10 ** 9)])
def test_a_huge_binomial_filt_size_is_a_value_error_naming_it(filt_size):
    x = np.zeros((2, 1, 9) if not isinstance(filt_size, tuple) else (2, 1, 9, 9), np.float32)
    with pytest.raises(ValueError, match=r"^filt_size must be at most 16384") as info:
        refpool.blur_pool(x, filt_size=filt_size, stride=1, pad_type="repl")
    assert not isinstance(info.value, MemoryError)


def test_the_brief_example_of_a_huge_filt_size():
    with pytest.raises(ValueError, match="filt_size"):
        refpool.blur_pool(np.zeros((2, 1, 9), np.float32), filt_size=10 ** 15, stride=1,
                          pad_type="repl")


def test_the_largest_binomial_filt_size_still_works():
    n = kernels.MAX_BINOMIAL_SIZE
    x = random_input((1, 1, 5), np.float64, seed=3)
    y = refpool.blur_pool(x, filt_size=n, stride=1, pad_type="repl", engine="reference")
    assert y.shape == (1, 1, 5) and np.all(np.isfinite(y))


# =========================================================================== 3. sigma
def test_a_huge_sigma_is_blamed_on_sigma_not_blur_padding():
    with pytest.raises(ValueError, match=r"^sigma=1000000000000000\.0 ") as info:
        refpool.antialiased_max_pool(np.zeros((2, 3, 9), np.float32), 2, stride=1, padding=1,
                                     dilation=3, ceil_mode=True, sigma=1e15, blur_padding=0)
    assert "blur_padding" not in str(info.value)


@pytest.mark.parametrize("sigma", [3e7, 1e12, 1e15, 1e17, 1e300, 1e308])
@pytest.mark.parametrize("blur_padding", [None, 0, 3])
def test_antialiased_max_pool_names_sigma_for_every_huge_sigma(sigma, blur_padding):
    x = np.zeros((2, 3, 9), np.float32)
    with pytest.raises(ValueError, match=r"^sigma=") as info:
        refpool.antialiased_max_pool(x, 2, stride=1, sigma=sigma, blur_padding=blur_padding)
    assert not isinstance(info.value, OverflowError)


@pytest.mark.parametrize("sigma", [3e7, 1e14, 1e20, 1e300, 1e308])
@pytest.mark.parametrize("padding", [None, 0, 4])
def test_antialiased_avg_pool_names_sigma_for_every_huge_sigma(sigma, padding):
    x = np.zeros((2, 3, 9), np.float32)
    with pytest.raises(ValueError, match=r"sigma=") as info:
        refpool.antialiased_avg_pool(x, sigma, 1, padding=padding)
    assert not isinstance(info.value, OverflowError)


def test_gaussian_size_overflow_is_a_value_error_naming_sigma():
    with pytest.raises(ValueError, match=r"^sigma=1e\+308 .*infinite"):
        _args.gaussian_size(1e308, _args.MAX_TRUNCATE)
    assert _args.gaussian_size(0.6, 4.0) == 5
    assert _args.gaussian_size(1.5, 3.0) == 9


def test_the_filter_bounds_are_one_rule():
    assert kernels.MAX_FILTER_ELEMENTS == _args.MAX_FILTER_ELEMENTS == 2 ** 26
    assert kernels.MAX_BINOMIAL_SIZE == _args.MAX_BINOMIAL_SIZE == 2 ** 14
    with pytest.raises(ValueError, match="^size must be at most 16384"):
        kernels.binomial_taps(2 ** 14 + 1)
    with pytest.raises(ValueError, match="^sigma="):
        kernels.gaussian_taps(1e308, truncate=4.0)


def test_valid_antialiased_calls_are_unchanged():
    x = random_input((1, 2, 9, 9), np.float64, seed=4)
    y = refpool.antialiased_max_pool(x, 2, stride=1, padding=1, blur_padding=0,
                                     engine="reference")
    assert y.shape == (1, 2, 6, 6)
    y = refpool.antialiased_max_pool(x, 2, stride=1, padding=1, blur_padding=5,
                                     engine="reference")
    assert y.shape == (1, 2, 16, 16)
    assert refpool.antialiased_avg_pool(x, 1.0, 2, engine="reference").shape == (1, 2, 5, 5)


# =========================================================================== 4. empty axes
FIELD_OPS = ("group_pool", "norm_pool", "induced_norm_pool")


@pytest.mark.parametrize("engine", ("reference", "cpu"))
@pytest.mark.parametrize("op", FIELD_OPS)
@pytest.mark.parametrize("shape", [(1, 2, 0), (1, 2, 0, 5), (1, 2, 4, 0, 3)])
def test_field_operators_refuse_an_empty_spatial_axis(op, shape, engine):
    rule = f"{op}: x must have non-empty spatial axes, got spatial shape {shape[2:]}"
    with pytest.raises(ValueError, match="^" + re.escape(rule) + "$"):
        getattr(refpool, op)(np.zeros(shape, np.float32), _ft(), engine=engine)


@pytest.mark.parametrize("op", FIELD_OPS)
@pytest.mark.parametrize("nc", [(0, 2), (3, 2)])
def test_field_operators_keep_empty_batches_and_nonempty_axes(op, nc):
    y = getattr(refpool, op)(np.zeros(nc + (4, 5), np.float32), _ft(), engine="reference")
    assert y.shape == (nc[0], 1, 4, 5)


# =========================================================================== 5. aliasing
def _in_buffer(shape, dtype, layout, values):
    """``(buffer, x)``: ``x`` of ``layout`` holding ``values``, a view of ``buffer``
    (bytes), with free room before and after it."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    buf = np.zeros(4 * size * dtype.itemsize + 64, np.uint8)
    if layout == "C":
        x = np.ndarray(shape, dtype, buffer=buf, offset=size * dtype.itemsize)
    elif layout == "F":
        x = np.ndarray(shape, dtype, buffer=buf, offset=size * dtype.itemsize, order="F")
    elif layout == "negative":
        strides = tuple(-s for s in np.empty(shape, dtype).strides)
        x = np.ndarray(shape, dtype, buffer=buf, offset=2 * size * dtype.itemsize - dtype.itemsize,
                       strides=strides)
    elif layout == "strided":
        x = np.ndarray(shape, dtype, buffer=buf, offset=size * dtype.itemsize,
                       strides=tuple(2 * s for s in np.empty(shape, dtype).strides))
    x[...] = values
    return buf, x


ALIAS_CALLS = {
    "max_pool": lambda x, out, e: refpool.max_pool(x, 2, stride=1, padding=1, out=out, engine=e),
    "avg_pool": lambda x, out, e: refpool.avg_pool(x, 2, stride=1, out=out, engine=e),
    "adaptive_avg_pool": lambda x, out, e: refpool.adaptive_avg_pool(x, 3, out=out, engine=e),
    "interpolate": lambda x, out, e: refpool.interpolate(x, scale_factor=2, out=out, engine=e),
    "blur_pool": lambda x, out, e: refpool.blur_pool(x, 3, 1, out=out, engine=e),
    "antialiased_avg_pool": lambda x, out, e: refpool.antialiased_avg_pool(x, 0.6, 1, out=out,
                                                                           engine=e),
    "antialiased_max_pool": lambda x, out, e: refpool.antialiased_max_pool(x, 2, 1, out=out,
                                                                           engine=e),
    "group_pool": lambda x, out, e: refpool.group_pool(x, _ft(), out=out, engine=e),
    "norm_pool": lambda x, out, e: refpool.norm_pool(x, _ft(), out=out, engine=e),
    "induced_norm_pool": lambda x, out, e: refpool.induced_norm_pool(x, _ft(), out=out,
                                                                     engine=e),
    "norm_max_pool": lambda x, out, e: refpool.norm_max_pool(x, _ft(), 2, 1, out=out,
                                                             engine=e),
}


@pytest.mark.parametrize("engine", ("reference", "cpu"))
@pytest.mark.parametrize("layout", ("C", "F", "negative", "strided"))
@pytest.mark.parametrize("op", ALIAS_CALLS)
def test_an_out_overlapping_the_input_is_refused_whatever_its_layout(op, layout, engine):
    values = random_input((1, 2, 6, 5), np.float64, seed=7)
    expected = ALIAS_CALLS[op](values, None, "reference")
    checked = 0
    for read_only in (False, True):
        buf, x = _in_buffer(values.shape, np.float64, layout, values)
        lo = min(x.__array_interface__["data"][0] + sum(
            (n - 1) * s for n, s in zip(x.shape, x.strides) if s < 0),
            x.__array_interface__["data"][0]) - buf.__array_interface__["data"][0]
        if read_only:
            x.flags.writeable = False
        # out ends on x's first byte, starts on its last, or sits in its middle
        for start in (lo - expected.nbytes + 8, lo + x.size * 4, lo + 8 * (x.size - 1)):
            start = max(0, min(start, buf.nbytes - expected.nbytes)) // 8 * 8
            out = np.ndarray(expected.shape, np.float64, buffer=buf, offset=start)
            if not np.may_share_memory(out, x):
                continue
            snapshot = x.copy()
            with pytest.raises(ValueError, match="out must not share memory with the input"):
                ALIAS_CALLS[op](x, out, engine)
            np.testing.assert_array_equal(x, snapshot)
            checked += 1
    assert checked >= 4


def test_an_empty_out_aliases_nothing_and_is_accepted():
    # an empty array owns no memory: an out "inside" an empty input is a valid out
    base = np.zeros(64, np.float32)
    x = base[:0].reshape(0, 2, 8)
    out = base[1:1].reshape(0, 2, 4)
    assert refpool.max_pool(x, 2, out=out, engine="reference") is out


def test_the_fuzzer_knows_only_the_false_aliasing_reports():
    from refpool.conformance import fuzz

    def classify(kind, shape, dtype, breakage):
        call = fuzz.Call(1, "max_pool", shape, dtype, kwargs={"kernel_size": 2},
                         broken="out", breakage=breakage)
        return fuzz.classify({"kind": kind, "engine": "cpu", "op": "max_pool", "index": 1,
                              "detail": f"no error for out={breakage}"}, call)

    # a genuine aliasing out accepted, or an input overwritten, is a finding
    assert classify("accepted_invalid", (1, 2, 8), "float32", "alias-input") is None
    assert classify("modified_inputs", (1, 2, 8), "float64", "alias-input") is None
    assert classify("accepted_invalid", (1, 2, 8), "float64", "indices-alias-values") is None
    # the generator's outs that alias nothing stay known
    assert classify("accepted_invalid", (0, 2, 8), "float32", "alias-input") is not None
    assert classify("accepted_invalid", (1, 2, 8), "float32", "indices-alias-values") \
        is not None
    # empty spatial axes are refused by every operator now: no KNOWN entry for them
    call = fuzz.Call(1, "group_pool", (1, 2, 0), "float32", broken="x",
                     breakage="empty-spatial")
    assert fuzz.classify({"kind": "accepted_invalid", "engine": "cpu", "op": "group_pool",
                          "index": 1, "detail": "no error"}, call) is None
