"""refpool.dask: every spatial operator on Dask arrays equals the in-memory call.

* random shapes (1-3 spatial axes), dtypes, arguments and chunkings (uneven
  chunks, chunks of one element, chunks smaller than the halo or the stride),
  NaN and infinities included, under Dask's threaded scheduler:
  bitwise for the selection operators, the linear-operator tolerance otherwise;
* invalid arguments raise the top-level error, lazily-built inputs stay lazy,
  ``import refpool`` does not import Dask;
* the plan: output chunks follow input chunks, halos come from neighbour strips
  (no rechunk) unless a chunk is smaller than the halo, fields are never split.

The same checks on a ``distributed.LocalCluster`` are in test_dask_distributed.py.
"""

import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import refpool  # noqa: E402
import refpool.dask as rd  # noqa: E402
from helpers import assert_close, assert_same, random_input  # noqa: E402
from refpool import FieldType  # noqa: E402
from refpool.groups import cyclic, dihedral  # noqa: E402

#: operators whose result is a selection of input values: compared bitwise
EXACT = {"max_pool", "adaptive_max_pool", "group_pool", "norm_pool", "induced_norm_pool",
         "norm_max_pool"}

SPATIAL_OPS = ("max_pool", "avg_pool", "adaptive_max_pool", "adaptive_avg_pool",
               "antialiased_avg_pool", "antialiased_max_pool", "blur_pool", "interpolate")


@pytest.fixture(autouse=True)
def threaded_scheduler():
    with dask.config.set(scheduler="threads", num_workers=2):
        yield


# --------------------------------------------------------------------------- random cases
def random_chunks(shape, rng):
    """Per axis: one chunk, or an uneven split with sizes from 1 up (sometimes all 1)."""
    out = []
    for n in shape:
        r = rng.random()
        if r < 0.15:
            out.append((n,))
        elif r < 0.25:
            out.append((1,) * n)
        else:
            sizes, left = [], n
            while left:
                c = min(left, int(rng.integers(1, max(2, n // 2 + 2))))
                sizes.append(c)
                left -= c
            out.append(tuple(sizes))
    return tuple(out)


def random_arguments(op, nd, rng):
    r = lambda a, b: int(rng.integers(a, b + 1))  # noqa: E731

    def per_axis(f):
        return tuple(f() for _ in range(nd)) if rng.random() < 0.5 else f()

    if op in ("max_pool", "avg_pool"):
        kw = dict(kernel_size=per_axis(lambda: r(1, 5)), padding=per_axis(lambda: r(0, 2)),
                  ceil_mode=bool(rng.random() < 0.5))
        if rng.random() < 0.8:
            kw["stride"] = per_axis(lambda: r(1, 4))
        if op == "max_pool":
            kw["dilation"] = per_axis(lambda: r(1, 3))
            kw["return_indices"] = bool(rng.random() < 0.5)
        else:
            kw["count_include_pad"] = bool(rng.random() < 0.5)
            if rng.random() < 0.2:
                kw["divisor_override"] = r(1, 7)
        return kw
    if op in ("adaptive_max_pool", "adaptive_avg_pool"):
        kw = dict(output_size=per_axis(lambda: r(1, 12)))
        if op == "adaptive_max_pool":
            kw["return_indices"] = bool(rng.random() < 0.5)
        return kw
    if op == "antialiased_avg_pool":
        kw = dict(sigma=float(rng.choice([0.3, 0.6, 1.0, 1.4, 2 / 3])),
                  stride=per_axis(lambda: r(1, 4)))
        if rng.random() < 0.5:
            kw["padding"] = per_axis(lambda: r(0, 6))
        return kw
    if op == "antialiased_max_pool":
        kw = dict(kernel_size=per_axis(lambda: r(1, 4)), padding=per_axis(lambda: r(0, 2)),
                  dilation=per_axis(lambda: r(1, 3)), ceil_mode=bool(rng.random() < 0.5),
                  sigma=float(rng.choice([0.3, 0.6, 1.0])))
        if rng.random() < 0.8:
            kw["stride"] = per_axis(lambda: r(1, 4))
        if rng.random() < 0.4:
            kw["blur_padding"] = per_axis(lambda: r(0, 6))
        return kw
    if op == "blur_pool":
        return dict(filt_size=per_axis(lambda: r(1, 7)), stride=per_axis(lambda: r(1, 4)),
                    pad_type=str(rng.choice(["reflect", "replicate", "zero", "refl"])),
                    pad_off=per_axis(lambda: r(0, 3)))
    assert op == "interpolate"
    linear = {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]
    mode = str(rng.choice(["nearest", "nearest-exact", "area", linear]
                          + (["bicubic"] if nd == 2 else [])))
    kw = dict(mode=mode)
    if rng.random() < 0.5:
        kw["size"] = per_axis(lambda: r(1, 40))
    else:
        kw["scale_factor"] = per_axis(
            lambda: float(rng.choice([0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 1 / 3])))
        if rng.random() < 0.3:
            kw["recompute_scale_factor"] = True
    if mode in (linear, "bicubic") and rng.random() < 0.5:
        kw["align_corners"] = bool(rng.random() < 0.5)
    if mode in ("bilinear", "bicubic") and rng.random() < 0.4:
        kw["antialias"] = True
    return kw


def random_case(op, seed):
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4))) + tuple(
        int(rng.integers(1, 12 if nd == 3 else 26)) for _ in range(nd))
    dtype = np.float32 if rng.random() < 0.6 else np.float64
    x = random_input(shape, dtype, seed, specials=bool(rng.random() < 0.3))
    return x, random_chunks(shape, rng), random_arguments(op, nd, rng)


def exact(op, kw):
    return op in EXACT or (op == "interpolate" and kw["mode"].startswith("nearest"))


def compare(actual, expected, is_exact):
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(dask.compute(*actual), expected):
            assert_same(a, e)                     # values and indices of a max: bitwise
        return
    assert isinstance(actual, da.Array)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    got = actual.compute()
    if is_exact:
        assert_same(got, expected)
    else:
        assert got.shape == expected.shape and got.dtype == expected.dtype
        assert_close(got, expected)


@pytest.mark.parametrize("op", SPATIAL_OPS)
@pytest.mark.parametrize("seed", range(8))
def test_random_chunking_equals_in_memory(op, seed):
    x, chunks, kw = random_case(op, 1000 * SPATIAL_OPS.index(op) + seed)
    xd = da.from_array(x, chunks=chunks)
    try:
        expected = getattr(refpool, op)(x, **kw)
    except ValueError as exc:                   # an invalid draw: same error, eagerly
        with pytest.raises(ValueError) as info:
            getattr(rd, op)(xd, **kw)
        assert str(info.value) == str(exc)
        return
    compare(getattr(rd, op)(xd, **kw), expected, exact(op, kw))


# --------------------------------------------------------------------------- hand-picked
CASES = [
    ("max_pool", dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    ("max_pool", dict(kernel_size=(2, 3), stride=(3, 1), dilation=(2, 3), padding=(1, 2),
                      ceil_mode=True, return_indices=True)),
    ("avg_pool", dict(kernel_size=5, stride=3, padding=2, ceil_mode=True,
                      count_include_pad=True)),
    ("avg_pool", dict(kernel_size=4, stride=1, padding=2, count_include_pad=False)),
    ("adaptive_max_pool", dict(output_size=(7, 5), return_indices=True)),
    ("adaptive_avg_pool", dict(output_size=(13, 4))),
    ("antialiased_avg_pool", dict(sigma=1.3, stride=2, padding=(9, 0))),
    ("antialiased_max_pool", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                  sigma=1.0, blur_padding=(0, 6))),
    ("blur_pool", dict(filt_size=4, stride=2)),
    ("blur_pool", dict(filt_size=7, stride=3, pad_type="replicate", pad_off=4)),
    ("interpolate", dict(scale_factor=1.7, mode="nearest-exact")),
    ("interpolate", dict(size=(40, 9), mode="bicubic", align_corners=False)),
    ("interpolate", dict(size=(9, 13), mode="bilinear", antialias=True)),
]

CHUNKINGS = {
    # uneven, with a one-element last chunk
    "uneven": (((2, 1), (3,), (8, 8, 8, 6), (10, 10, 10, 1)), np.float32),
    # chunks smaller than every halo and stride
    "tiny": (((1, 2), (1, 2), (1,) * 30, (31,)), np.float64),
    # ragged
    "ragged": (((3,), (3,), (30,), (4, 9, 5, 7, 6)), np.float32),
}


@pytest.mark.parametrize("chunking", sorted(CHUNKINGS))
@pytest.mark.parametrize("op, kw", CASES, ids=[f"{op}-{i}" for i, (op, _) in enumerate(CASES)])
def test_hand_picked_cases(op, kw, chunking):
    chunks, dtype = CHUNKINGS[chunking]
    x = random_input((3, 3, 30, 31), dtype, seed=7, specials=True)
    expected = getattr(refpool, op)(x, **kw)
    compare(getattr(rd, op)(da.from_array(x, chunks=chunks), **kw), expected, exact(op, kw))


def test_three_spatial_axes_every_axis_chunked():
    x = random_input((2, 2, 13, 11, 12), np.float32, seed=3, specials=True)
    xd = da.from_array(x, chunks=(1, 1, 4, 3, 5))
    kw = dict(kernel_size=3, stride=2, padding=1, return_indices=True)
    compare(rd.max_pool(xd, **kw), refpool.max_pool(x, **kw), True)
    compare(rd.antialiased_max_pool(xd, 2, 2), refpool.antialiased_max_pool(x, 2, 2), False)
    compare(rd.interpolate(xd, scale_factor=2, mode="trilinear"),
            refpool.interpolate(x, scale_factor=2, mode="trilinear"), False)


# --------------------------------------------------------------------------- field operators
def field_types():
    D = dihedral(4)
    C = cyclic(3)
    return {
        "perm": FieldType(D, [D.regular_representation, D.trivial_representation,
                              D.quotient_representation((0, 2)), D.regular_representation]),
        "orth": FieldType(D, [D.regular_representation, D.irrep(1, 1), D.trivial_representation,
                              D.irrep(1, 1), D.quotient_representation((0, 2))]),
        "induced": FieldType(C, [C.regular_representation, C.regular_representation,
                                 C.quotient_representation(3)]),
    }


FIELD_OPS = {"group_pool": "perm", "norm_pool": "orth", "induced_norm_pool": "induced",
             "norm_max_pool": "orth"}


@pytest.mark.parametrize("op", sorted(FIELD_OPS))
@pytest.mark.parametrize("seed", range(4))
def test_field_operators_never_split_a_field(op, seed):
    ft = field_types()[FIELD_OPS[op]]
    rng = np.random.default_rng(seed)
    x = random_input((2, ft.size, 9, 11), np.float32 if seed % 2 else np.float64, seed,
                     specials=seed == 3)
    cuts = np.unique(np.r_[0, rng.integers(1, ft.size, 3), ft.size])
    chunks = ((1, 1), tuple(np.diff(cuts).tolist()), (4, 5), (2, 6, 3))
    kw = {}
    if op == "norm_max_pool":
        kw = dict(kernel_size=3, stride=2, padding=1, dilation=1 + seed % 2,
                  ceil_mode=seed > 1)
    y = getattr(rd, op)(da.from_array(x, chunks=chunks), ft, **kw)
    field_starts = {f.start for f in ft.fields} | {ft.size}
    assert op != "norm_max_pool" or set(np.cumsum((0,) + y.chunks[1])) <= field_starts
    compare(y, getattr(refpool, op)(x, ft, **kw), True)


def test_pointwise_field_type_is_checked_once_for_the_whole_array():
    D = dihedral(4)
    xd = da.zeros((1, 9, 4, 4), chunks=(1, 2, 2, 2))
    with pytest.raises(ValueError, match="field_type has size"):
        rd.max_pool(xd, 2, field_type=FieldType(D, [D.regular_representation]))
    ft = FieldType(D, [D.regular_representation, D.trivial_representation])
    x = random_input((1, 9, 4, 4), np.float64, seed=1)
    compare(rd.max_pool(da.from_array(x, chunks=(1, 2, 2, 2)), 2, field_type=ft),
            refpool.max_pool(x, 2, field_type=ft), True)
    with pytest.raises(ValueError, match="not a permutation"):
        rd.adaptive_max_pool(xd, 2, field_type=FieldType(D, [D.irrep(1, 1)] * 4 + [
            D.trivial_representation]))


# --------------------------------------------------------------------------- the plan
def test_output_chunks_follow_input_chunks_without_rechunking():
    xd = da.zeros((2, 3, 64, 64), dtype=np.float32, chunks=(1, 3, 16, 32))
    y = rd.max_pool(xd, 3, stride=2, padding=1)
    assert y.chunks == ((1, 1), (3,), (8, 8, 8, 8), (16, 16))      # i s in chunk i
    assert not any("rechunk" in name for name in y.dask.layers)
    # an input chunk smaller than the halo is merged with its neighbour
    small = da.zeros((1, 1, 20), dtype=np.float32, chunks=(1, 1, (8, 1, 11)))
    z = rd.max_pool(small, 5, stride=1, padding=2)
    assert sum(z.chunks[2]) == 20 and len(z.chunks[2]) == 2
    assert_same(z.compute(), refpool.max_pool(np.zeros((1, 1, 20), np.float32), 5, 1, 2))


def test_the_chunk_itself_is_pooled_not_a_copy(monkeypatch):
    """The run of outputs that reads only a task's chunk is computed on the chunk."""
    import refpool.pooling
    seen = []
    real = refpool.pooling.max_pool

    def spy(x, *args, **kwargs):
        seen.append(x)
        return real(x, *args, **kwargs)

    monkeypatch.setattr(refpool.pooling, "max_pool", spy)
    chunks = []
    x = da.from_array(random_input((1, 2, 32, 32), np.float32, 5),
                      chunks=(1, 2, 16, 16)).map_blocks(lambda b: chunks.append(b) or b)
    with dask.config.set(scheduler="sync"):
        rd.max_pool(x, 3, 2, 1).compute()
    assert any(any(s is c for c in chunks) for s in seen)


def test_calls_are_lazy():
    def boom(block):
        raise AssertionError("computed")

    xd = da.zeros((1, 2, 16, 16), dtype=np.float32, chunks=(1, 1, 8, 8)).map_blocks(
        boom, dtype=np.float32, meta=np.empty((0,) * 4, np.float32))
    for op, args in [("max_pool", (2,)), ("avg_pool", (3, 2, 1)), ("adaptive_avg_pool", (5,)),
                     ("blur_pool", ()), ("interpolate", (None, 2.0)),
                     ("antialiased_avg_pool", (1.0, 2)), ("antialiased_max_pool", (2,))]:
        assert isinstance(getattr(rd, op)(xd, *args), da.Array)


def test_results_are_deterministic_dask_names():
    xd = da.from_array(random_input((1, 2, 16, 16), np.float32, 1), chunks=(1, 1, 5, 7))
    assert rd.avg_pool(xd, 3, 2, 1).name == rd.avg_pool(xd, 3, 2, 1).name
    assert rd.avg_pool(xd, 3, 2, 1).name != rd.avg_pool(xd, 3, 2, 0).name


# --------------------------------------------------------------------------- errors, import
def test_errors_match_the_top_level():
    x = np.zeros((1, 1, 4, 4), np.float32)
    xd = da.from_array(x, chunks=2)
    for call in (lambda m: m.max_pool(m_x(m), 3, padding=2),
                 lambda m: m.avg_pool(m_x(m), 9),
                 lambda m: m.interpolate(m_x(m), mode="linear", size=3),
                 lambda m: m.blur_pool(m_x(m), 9, pad_type="reflect", pad_off=3)):
        def m_x(m):
            return x if m is refpool else xd
        with pytest.raises(ValueError) as top:
            call(refpool)
        with pytest.raises(ValueError) as scaled:
            call(rd)
        assert str(scaled.value) == str(top.value)
    with pytest.raises(TypeError, match="dtype float32 or float64"):
        rd.max_pool(da.zeros((1, 1, 4), dtype=np.int32, chunks=2), 2)
    with pytest.raises(ValueError, match="axes"):
        rd.max_pool(da.zeros((4, 4), chunks=2), 2)
    with pytest.raises(TypeError, match="dask.array.Array"):
        rd.max_pool(x, 2)
    with pytest.raises(TypeError, match="out= is not supported"):
        rd.max_pool(xd, 2, out=np.empty((1, 1, 2, 2), np.float32))


def test_import_refpool_does_not_import_dask():
    code = "import sys, refpool; assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_slicing_path_gives_the_same_results(monkeypatch):
    """The halo strips built with Dask's public slicing API (used under Dask's
    array-expression mode) instead of one low-level layer."""
    monkeypatch.setattr("refpool.dask._planning._LOW_LEVEL", False)
    x = random_input((2, 2, 23, 17), np.float32, seed=9, specials=True)
    xd = da.from_array(x, chunks=(1, 2, (5, 1, 9, 8), (4, 13)))
    kw = dict(kernel_size=3, stride=2, padding=1, return_indices=True)
    compare(rd.max_pool(xd, **kw), refpool.max_pool(x, **kw), True)
    compare(rd.adaptive_avg_pool(xd, 5), refpool.adaptive_avg_pool(x, 5), False)
    compare(rd.interpolate(xd, scale_factor=1.5, mode="bilinear"),
            refpool.interpolate(x, scale_factor=1.5, mode="bilinear"), False)


def test_halo_rules():
    from refpool import _args
    from refpool import _geometry
    # max_pool(k=3, s=2, p=1): outputs [8, 16) read [15, 32)
    assert _geometry.window_input_range(3, 2, 1, 1, 8, 16) == (15, 32)
    # dilation widens the window to d(k-1)+1
    assert _geometry.window_input_range(3, 1, 0, 4, 0, 1) == (0, 9)
    # adaptive 10 -> 4: windows [0,3) [2,5) [5,8) [7,10)
    assert _geometry.adaptive_input_range(10, 4, 1, 3) == (2, 8)
    taps = _geometry.interpolation_taps("linear", 8, 16, 0.5)
    assert _geometry.taps_input_range(taps, 0, 1) == (0, 2)     # (0, w=1), (1, w=0): both read
    assert _geometry.taps_input_range(taps, 15, 16) == (7, 8)


@pytest.mark.parametrize("ndim, channels_last, shape", [
    (2, False, (3, 2, 5, 7, 9)),      # two batch axes merge into N
    (2, False, (7, 9)),               # no channel axis
    (None, True, (2, 7, 9, 5)),       # (N, *spatial, C)
    (2, True, (3, 7, 9, 5)),          # (*batch, *spatial, C)
    (1, True, (9, 4)),                # (*spatial, C)
])
def test_layouts_equal_the_in_memory_call(ndim, channels_last, shape):
    """``ndim=``/``channels_last=`` on Dask arrays give the in-memory call's result, in
    the caller's layout, for a single- and a two-array (indices) result."""
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    d = da.from_array(x, chunks=tuple(max(1, n // 2) for n in shape))
    kw = dict(ndim=ndim, channels_last=channels_last, engine="cpu")
    assert_same(rd.max_pool(d, 2, **kw).compute(), refpool.max_pool(x, 2, **kw))
    got = rd.max_pool(d, 2, return_indices=True, **kw)
    want = refpool.max_pool(x, 2, return_indices=True, **kw)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert_same(g.compute(), w)
