"""Reliability of argument validation (refpool._args, refpool._dispatch).

Regression tests for: empty spatial axes returning uninitialised memory, aliasing
``out`` arrays (host and CUDA), huge integers escaping validation, absurd sizes
failing with NumPy's words, and ndarray subclasses / read-only inputs.
"""

import re

import numpy as np
import pytest
from helpers import assert_close, assert_same, random_input

import refpool
from refpool import FieldType, _args, _dispatch
from refpool._dispatch import Launch
from refpool.groups import cyclic

CUDA = pytest.param("cuda", marks=pytest.mark.cuda)
ENGINES = ("reference", "cpu", CUDA)


def _ft(channels=2):
    G = cyclic(2)
    return FieldType(G, [G.regular_representation] * (channels // 2))


# (call on x) for every spatial operator; the field operator needs C = 2
SPATIAL_OPS = {
    "max_pool": lambda x, e: refpool.max_pool(x, 2, padding=1, return_indices=True, engine=e),
    "max_pool_plain": lambda x, e: refpool.max_pool(x, 2, padding=1, engine=e),
    "avg_pool": lambda x, e: refpool.avg_pool(x, 2, padding=1, engine=e),
    "adaptive_avg_pool": lambda x, e: refpool.adaptive_avg_pool(x, 3, engine=e),
    "adaptive_max_pool": lambda x, e: refpool.adaptive_max_pool(x, 3, return_indices=True,
                                                                engine=e),
    "norm_max_pool": lambda x, e: refpool.norm_max_pool(x, _ft(x.shape[1]), 2, padding=1,
                                                        engine=e),
    "antialiased_avg_pool": lambda x, e: refpool.antialiased_avg_pool(x, 0.6, 2, engine=e),
    "antialiased_max_pool": lambda x, e: refpool.antialiased_max_pool(x, 2, engine=e),
    "blur_pool": lambda x, e: refpool.blur_pool(x, 3, 2, pad_type="zero", engine=e),
    "interpolate": lambda x, e: refpool.interpolate(x, scale_factor=2, engine=e),
}


# =========================================================================== 1. empty axes
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("op", SPATIAL_OPS)
@pytest.mark.parametrize("shape", [(1, 2, 0), (1, 2, 0, 5), (1, 2, 4, 0, 3)])
def test_empty_spatial_axis_is_refused_naming_x_and_its_spatial_shape(op, shape, engine):
    x = np.zeros(shape, np.float32)
    rule = f"x must have non-empty spatial axes, got spatial shape {shape[2:]}"
    with pytest.raises(ValueError, match=re.escape(rule)):
        SPATIAL_OPS[op](x, engine)


def test_the_brief_examples_of_empty_axes():
    with pytest.raises(ValueError, match=r"x must have non-empty spatial axes.*\(0, 5\)"):
        refpool.adaptive_avg_pool(np.zeros((1, 1, 0, 5), np.float32), 3)
    with pytest.raises(ValueError, match=r"x must have non-empty spatial axes.*\(0,\)"):
        refpool.max_pool(np.zeros((1, 1, 0), np.float32), 2, padding=1, return_indices=True)


def test_one_spatial_rule_for_every_operator():
    rule = "x must have non-empty spatial axes, got spatial shape (0, 5)"
    for op in SPATIAL_OPS.values():
        with pytest.raises(ValueError) as info:
            op(np.zeros((1, 2, 0, 5), np.float32), "reference")
        assert str(info.value).endswith(rule)       # some prefix the operator's name


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("op", SPATIAL_OPS)
@pytest.mark.parametrize("nc", [(0, 2), (2, 0)])
def test_empty_batch_or_channels_give_correctly_shaped_empty_outputs(op, nc, engine):
    if op == "norm_max_pool" and nc[1] == 0:
        pytest.skip("a field type has at least one field")
    x = np.zeros(nc + (6, 5), np.float32)
    full = SPATIAL_OPS[op](np.zeros((1, 2, 6, 5), np.float32), "reference")
    got = SPATIAL_OPS[op](x, engine)
    full = full if isinstance(full, tuple) else (full,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(full)
    for g, f in zip(got, full):
        g = g if isinstance(g, np.ndarray) else g.copy_to_host()
        assert g.shape == nc + f.shape[2:] and g.dtype == f.dtype


def test_launch_never_returns_an_unfilled_output_beside_an_empty_input(monkeypatch):
    def boom(*args):
        raise AssertionError("no kernel may run")

    monkeypatch.setattr(_dispatch, "kernel", lambda *a: boom)
    launch = Launch(np.zeros((1, 1, 0), np.float32), "reference")
    y = launch.output((1, 1, 3), np.float32)
    with pytest.raises(RuntimeError, match="internal error"):
        launch.run("pooling", "max_pool", launch.x, y, None)
    # all outputs empty: nothing to compute, the kernel is skipped
    launch = Launch(np.zeros((0, 1, 4), np.float32), "reference")
    y = launch.output((0, 1, 2), np.float32)
    launch.run("pooling", "max_pool", launch.x, y, None)


# =========================================================================== 2. out aliasing
X64 = random_input((1, 2, 6, 6), np.float64, seed=3)


@pytest.mark.parametrize("engine", ("reference", "cpu", CUDA))
@pytest.mark.parametrize("op", ["max_pool", "adaptive_max_pool"])
def test_the_two_outputs_must_not_alias_each_other(op, engine):
    a = np.empty((1, 2, 3, 3), np.float64)
    call = (lambda out: refpool.max_pool(X64, 2, return_indices=True, out=out, engine=engine)) \
        if op == "max_pool" else \
        (lambda out: refpool.adaptive_max_pool(X64, 3, return_indices=True, out=out,
                                               engine=engine))
    with pytest.raises(ValueError, match=r"out\[1\] must not share memory with out"):
        call((a, a.view(np.int64)))
    # a partial overlap is aliasing too
    buf = np.empty(2 * 18 - 1, np.float64)
    with pytest.raises(ValueError, match=r"out\[1\] must not share memory with out"):
        call((buf[:18].reshape(1, 2, 3, 3), buf[17:].view(np.int64).reshape(1, 2, 3, 3)))


def test_disjoint_parts_of_one_buffer_stay_valid_outputs():
    buf = np.empty(2 * 18, np.float64)
    vals, idx = buf[:18].reshape(1, 2, 3, 3), buf[18:].view(np.int64).reshape(1, 2, 3, 3)
    y, i = refpool.max_pool(X64, 2, return_indices=True, out=(vals, idx), engine="reference")
    assert y is vals and i is idx
    ry, ri = refpool.max_pool(X64, 2, return_indices=True, engine="reference")
    assert_same(y, ry)
    assert_same(i, ri)


@pytest.mark.parametrize("engine", ("reference", "cpu", CUDA))
def test_an_output_must_not_alias_the_input(engine):
    flat = np.empty(2 * 36, np.float64)
    x = flat[:36].reshape(1, 1, 6, 6)
    x[...] = 1.0
    indices_over_x = flat[:36].view(np.int64).reshape(1, 1, 6, 6)
    with pytest.raises(ValueError, match=r"out\[1\] must not share memory with the input"):
        refpool.max_pool(x, 1, return_indices=True, out=(np.empty((1, 1, 6, 6)), indices_over_x),
                         engine=engine)
    with pytest.raises(ValueError, match="out must not share memory with the input"):
        refpool.blur_pool(x, 3, 1, out=x, engine=engine)
    with pytest.raises(ValueError, match="out must not share memory with the input"):
        refpool.max_pool(x, 1, out=flat[30:66].reshape(1, 1, 6, 6), engine=engine)


# =========================================================================== 3. CUDA aliasing
@pytest.mark.cuda
def test_cuda_out_aliasing_a_device_input_is_refused():
    from numba import cuda
    x = random_input((1, 1, 6, 6), np.float32, seed=4)
    a = cuda.to_device(x)
    with pytest.raises(ValueError, match="out must not share memory with the input"):
        refpool.blur_pool(a, 3, 1, out=a)
    big = cuda.to_device(np.zeros((3, 1, 6, 6), np.float32))
    with pytest.raises(ValueError, match="out must not share memory with the input"):
        refpool.blur_pool(big[0:2], 3, 1, out=big[1:3])          # partial overlap


@pytest.mark.cuda
def test_cuda_disjoint_device_out_still_works():
    from numba import cuda
    x = random_input((1, 1, 6, 6), np.float32, seed=4)
    big = cuda.to_device(np.concatenate([x, np.zeros_like(x)]))
    got = refpool.blur_pool(big[0:1], 3, 1, out=big[1:2])
    assert_close(got.copy_to_host(), refpool.blur_pool(x, 3, 1, engine="reference"))
    assert_same(big.copy_to_host()[0:1], x)


class _FakeDeviceArray:
    """Anything exposing ``__cuda_array_interface__`` (CuPy, torch, numba on a GPU)."""

    def __init__(self, ptr, shape, strides=None, typestr="<f4"):
        self.shape = shape
        self.dtype = np.dtype(typestr)
        self.__cuda_array_interface__ = {"data": (ptr, False), "shape": shape,
                                         "strides": strides, "typestr": typestr,
                                         "version": 3}


def test_device_memory_ranges_overlap_by_byte_extent():
    base = _FakeDeviceArray(1 << 20, (4, 4))                     # [2**20, 2**20 + 64)
    assert _args.may_share_memory(base, _FakeDeviceArray((1 << 20) + 60, (1,)))
    assert not _args.may_share_memory(base, _FakeDeviceArray((1 << 20) + 64, (4, 4)))
    assert not _args.may_share_memory(base, _FakeDeviceArray((1 << 20) - 4, (1,)))
    # negative strides reach below the data pointer: [2**20 - 12, 2**20 + 4)
    rev = _FakeDeviceArray(1 << 20, (4,), strides=(-4,))
    assert _args.may_share_memory(rev, _FakeDeviceArray((1 << 20) - 12, (1,)))
    assert not _args.may_share_memory(rev, _FakeDeviceArray((1 << 20) + 4, (2,)))
    # strided: 2 rows of 4 float64 with a row pitch of 64 bytes: [p, p + 96)
    pitched = _FakeDeviceArray(1 << 20, (2, 4), strides=(64, 8), typestr="<f8")
    assert _args.may_share_memory(pitched, _FakeDeviceArray((1 << 20) + 92, (1,)))
    assert not _args.may_share_memory(pitched, _FakeDeviceArray((1 << 20) + 96, (1,)))
    # empty arrays own no memory; host and device pointers are different spaces
    assert not _args.may_share_memory(base, _FakeDeviceArray(1 << 20, (0, 4)))
    host = np.zeros(4, np.float32)
    assert not _args.may_share_memory(
        host, _FakeDeviceArray(host.__array_interface__["data"][0], (4,)))


def test_check_out_refuses_a_device_out_overlapping_a_device_input():
    x = _FakeDeviceArray(1 << 20, (1, 1, 4, 4))
    out = _FakeDeviceArray((1 << 20) + 32, (1, 1, 4, 4))
    with pytest.raises(ValueError, match="out must not share memory with the input"):
        _args.check_out(out, (1, 1, 4, 4), np.float32, x)
    with pytest.raises(ValueError, match=r"out\[1\] must not share memory with out"):
        _args.check_out(out, (1, 1, 4, 4), np.float32, None, "out[1]", others=[("out", x)])
    _args.check_out(_FakeDeviceArray((1 << 20) + 64, (1, 1, 4, 4)), (1, 1, 4, 4),
                    np.float32, x)


# =========================================================================== 4. huge ints
X = random_input((1, 2, 8, 8), np.float32, seed=1)
HUGE = [10 ** 30, 2 ** 64, 2 ** 63, 2 ** 62 + 1]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("name,call", [
    ("stride", lambda v: refpool.max_pool(X, 2, stride=v, engine="cpu")),
    ("stride", lambda v: refpool.max_pool(X, 2, stride=(1, v), return_indices=True,
                                          engine="cpu")),
    ("stride", lambda v: refpool.avg_pool(X, 2, stride=v, engine="cpu")),
    ("stride", lambda v: refpool.antialiased_avg_pool(X, 0.6, v, engine="cpu")),
    ("stride", lambda v: refpool.antialiased_max_pool(X, 2, stride=v, engine="cpu")),
    ("stride", lambda v: refpool.norm_max_pool(X, _ft(), 2, stride=v, engine="cpu")),
    ("stride", lambda v: refpool.blur_pool(X, 3, v, engine="cpu")),
    ("kernel_size", lambda v: refpool.max_pool(X, v, engine="cpu")),
    ("padding", lambda v: refpool.max_pool(X, 2, padding=v, engine="cpu")),
    ("dilation", lambda v: refpool.max_pool(X, 2, dilation=v, engine="cpu")),
    ("output_size", lambda v: refpool.adaptive_avg_pool(X, (2, v), engine="cpu")),
    ("size", lambda v: refpool.interpolate(X, size=v, engine="cpu")),
    ("blur_padding", lambda v: refpool.antialiased_max_pool(X, 2, blur_padding=v,
                                                            engine="cpu")),
    ("pad_off", lambda v: refpool.blur_pool(X, 3, 2, pad_off=v, engine="cpu")),
    ("filt_size", lambda v: refpool.blur_pool(X, v, 2, engine="cpu")),
    ("divisor_override", lambda v: refpool.avg_pool(X, 2, divisor_override=v, engine="cpu")),
    ("divisor_override", lambda v: refpool.avg_pool(X, 2, divisor_override=-v,
                                                    engine="cpu")),
])
def test_huge_integers_are_refused_naming_the_argument(name, call, value):
    with pytest.raises(ValueError, match=rf"{name} must be at most 2\*\*62 in absolute value"):
        call(value)


def test_integer_bound_is_inclusive_and_valid_calls_keep_working():
    x = np.arange(8, dtype=np.float64).reshape(1, 1, 8)
    assert_same(refpool.max_pool(x, 2, stride=2 ** 62, engine="reference"),
                np.array([[[1.0]]]))
    y = refpool.avg_pool(x, 2, divisor_override=-(2 ** 62), engine="reference")
    assert_same(y, np.array([[[1.0, 5.0, 9.0, 13.0]]]) / -(2.0 ** 62))
    assert _args.per_axis(2 ** 62, 1, "stride") == (2 ** 62,)
    assert _args.per_axis(np.uint64(7), 1, "stride") == (7,)
    with pytest.raises(ValueError, match="stride must be at most 2"):
        _args.per_axis(np.uint64(2 ** 64 - 1), 1, "stride")
    with pytest.raises(ValueError, match="size must be at most 2"):
        _args.check_filter_size(2 ** 70, "size")


# =========================================================================== 5. sizes
@pytest.mark.parametrize("name,call", [
    (r"scale_factor=1e\+30", lambda: refpool.interpolate(X, scale_factor=1e30)),
    (r"size=\(1000000000, 1000000000\)",
     lambda: refpool.interpolate(X, size=(10 ** 9, 10 ** 9))),
    (r"output_size=\(1000000000, 1000000000\)",
     lambda: refpool.adaptive_avg_pool(X, (10 ** 9, 10 ** 9))),
    (r"output_size=\(.*\)", lambda: refpool.adaptive_max_pool(X, (10 ** 9, 10 ** 9),
                                                        return_indices=True)),
    (r"padding=1000000000", lambda: refpool.antialiased_avg_pool(X, 0.6, 1, padding=10 ** 9)),
    (r"padding=1000000000",
     lambda: refpool.antialiased_avg_pool(X, 0.6, 10 ** 9, padding=10 ** 9)),
    (r"padding=1000000000", lambda: refpool.antialiased_max_pool(
        X, 2, stride=1, padding=10 ** 9, dilation=2 * 10 ** 9, engine="reference")),
    (r"blur_padding=1000000000",
     lambda: refpool.antialiased_max_pool(X, 2, blur_padding=10 ** 9)),
    (r"pad_off=1000000000", lambda: refpool.blur_pool(X, 3, 2, pad_type="zero",
                                                      pad_off=10 ** 9)),
    (r"kernel_size=2000000001", lambda: refpool.max_pool(X, 2 * 10 ** 9 + 1, stride=1,
                                                         padding=10 ** 9)),
    (r"kernel_size=2000000000", lambda: refpool.avg_pool(X, 2 * 10 ** 9, stride=1,
                                                        padding=10 ** 9)),
    (r"sigma=1e\+20", lambda: refpool.antialiased_avg_pool(X, 1e20, 1)),
])
def test_absurd_sizes_are_refused_before_allocating(name, call):
    with pytest.raises(_args.SizeLimitError, match=rf"{name} makes .* too large") as info:
        call()
    assert isinstance(info.value, ValueError) and isinstance(info.value, MemoryError)
    assert "2**53" in str(info.value)


def test_an_output_beyond_physical_memory_is_refused(monkeypatch):
    monkeypatch.setattr(_args, "memory_limit", lambda: 1000)
    x = np.zeros((1, 1, 8), np.float32)
    with pytest.raises(_args.SizeLimitError,
                       match=r"size=1000 makes the output too large: .*physical memory"):
        refpool.interpolate(x, size=1000, engine="reference")
    with pytest.raises(_args.SizeLimitError, match=r"x of shape \(30, 2, 8\) makes the output"):
        refpool.max_pool(np.zeros((30, 2, 8), np.float32), 1, engine="reference")
    # a caller's out is not allocated, so it is not refused
    out = np.empty((1, 1, 1000), np.float32)
    assert refpool.interpolate(x, size=1000, out=out, engine="reference") is out
    assert refpool.interpolate(x, size=200, engine="reference").shape == (1, 1, 200)


def test_largest_legal_grid_is_accepted_by_validation():
    assert _args.adaptive_output_size((4,), 2 ** 53) == (2 ** 53,)
    with pytest.raises(_args.SizeLimitError, match="output_size"):
        _args.adaptive_output_size((4,), 2 ** 53 + 1)


def test_huge_dilation_with_padding_stays_valid():
    # no engine materialises the padded input of max_pool: a valid call keeps working
    x = random_input((1, 1, 8, 8), np.float32, seed=2)
    y = refpool.max_pool(x, 2, stride=1, padding=10 ** 9, dilation=2 * 10 ** 9,
                         engine="reference")
    assert_same(y, np.full_like(x, -np.inf))      # both taps of every window in padding


# =========================================================================== 6. subclasses
class _Plain(np.ndarray):
    pass


class _Units(np.ndarray):
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return NotImplemented


@pytest.mark.parametrize("engine", ("reference", "cpu"))
def test_masked_arrays_are_refused_whatever_the_call_history(engine):
    x = random_input((1, 1, 4, 4), np.float32, seed=5)
    masked = np.ma.masked_array(x, mask=x > 0)
    for _ in range(2):
        with pytest.raises(TypeError, match=r"x must be a plain NumPy array.*MaskedArray"):
            refpool.max_pool(masked, 2, engine=engine)
        refpool.max_pool(x, 2, engine=engine)                  # a plain call in between


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_matrix_and_semantic_subclasses_are_refused_naming_x():
    with pytest.raises(TypeError, match=r"x must be a plain NumPy array.*matrix"):
        refpool.max_pool(np.matrix([[1.0, 2.0]]), 1, engine="reference")
    with pytest.raises(TypeError, match=r"x must be a plain NumPy array.*_Units"):
        refpool.max_pool(np.zeros((1, 1, 4), np.float32).view(_Units), 2, engine="reference")
    x = np.zeros((1, 1, 4), np.float32)
    with pytest.raises(TypeError, match=r"out must be a plain NumPy array.*MaskedArray"):
        refpool.max_pool(x, 2, out=np.ma.masked_array(np.zeros((1, 1, 2), np.float32)),
                         engine="reference")


@pytest.mark.parametrize("engine", ("reference", "cpu"))
def test_plain_subclasses_and_memmaps_are_read_as_ndarrays(engine, tmp_path):
    x = random_input((1, 2, 6, 6), np.float32, seed=6)
    expected = refpool.max_pool(x, 2, engine=engine)
    y = refpool.max_pool(x.view(_Plain), 2, engine=engine)
    assert type(y) is np.ndarray
    assert_same(y, expected)
    mm = np.memmap(tmp_path / "x.bin", dtype=np.float32, mode="w+", shape=x.shape)
    mm[...] = x
    assert_same(refpool.max_pool(mm, 2, engine=engine), expected)
    ro = np.memmap(tmp_path / "x.bin", dtype=np.float32, mode="r", shape=x.shape)
    assert_same(refpool.max_pool(ro, 2, engine=engine), expected)
    out = np.empty((1, 2, 3, 3), np.float32).view(_Plain)
    assert refpool.max_pool(x, 2, out=out, engine=engine) is out
    assert_same(np.asarray(out), expected)


def test_read_only_input_reaches_the_numba_engine_as_the_writeable_type_without_a_copy():
    import numba

    base = random_input((1, 2, 6, 6), np.float32, seed=7)
    for x in (base.copy(), base[:, :, ::-1], np.broadcast_to(base[:, :1], base.shape),
              np.frombuffer(base.tobytes(), np.float32).reshape(base.shape)):
        ro = x.view()
        ro.flags.writeable = False
        launch = Launch(ro, "cpu")
        assert numba.typeof(launch.x) == numba.typeof(ro).copy(readonly=False)
        assert np.shares_memory(launch.x, ro)               # no copy
        assert not ro.flags.writeable                        # the caller's array is untouched
        assert_same(launch.x, x)
    # the reference engine (plain NumPy) gets the array as it is
    ro = base.copy()
    ro.flags.writeable = False
    assert Launch(ro, "reference").x is ro


_READ_ONLY_FIRST = """
import numpy as np, refpool
from refpool.engines.cpu import pooling
x = np.arange(72, dtype=np.float32).reshape(1, 2, 6, 6)
x.flags.writeable = False
y = refpool.max_pool(x, 2, engine="cpu")
assert (y == x.reshape(1, 2, 3, 2, 3, 2).max(axis=(3, 5))).all()
assert not x.flags.writeable
from numba import types
kinds = [not arg.mutable for sig in pooling._max_pool_kernel.signatures for arg in sig
         if isinstance(arg, types.Array)]
print("readonly specialisations:", sum(kinds))
assert kinds and not any(kinds)
"""


def test_read_only_input_first_needs_no_read_only_specialisation():
    """In a fresh process whose first call has a read-only input, the kernel is
    specialised (or loaded from Numba's cache) for writeable arrays only: no
    read-only specialisation, which would mean a second compilation of every kernel."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    run = subprocess.run([sys.executable, "-c", _READ_ONLY_FIRST], cwd=root, env=env,
                         capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "readonly specialisations: 0" in run.stdout


def test_read_only_input_is_never_modified_and_matches_the_writeable_result():
    x = random_input((1, 2, 6, 6), np.float32, seed=8)
    expected = refpool.max_pool(x, 2, engine="cpu")
    ro = x.copy()
    ro.flags.writeable = False
    snapshot = ro.copy()
    assert_same(refpool.max_pool(ro, 2, engine="cpu"), expected)
    assert_same(ro, snapshot)
    assert not ro.flags.writeable
