"""max_unpool: against torch, onnxruntime and the ONNX reference, the duplicate rule, the
three engines bitwise, dtypes and layouts, bad input, and the exactness claim measured.

Independent answers: torch 2.13 CPU ``max_unpool{1,2,3}d`` on duplicate-free indices
(where it is deterministic), onnxruntime and ``onnx.reference.ReferenceEvaluator`` on
one-node ``MaxUnpool`` models, and plain Python loops written from the definition.
"""

import itertools

import numpy as np
import pytest

import refpool
from refpool import registry
from refpool.equivariance import exact_symmetries, grid_group
from refpool.equivariance.rules import axis_action

ENGINES = ("reference", "cpu")


def _torch():
    return pytest.importorskip("torch")


def _unpool_loop(x, indices, out_spatial, index_layout="torch"):
    """The definition as a loop: zeros, then every input in row-major order writes its
    value at its index (so the last writer of a position wins)."""
    n, c = x.shape[:2]
    plane = int(np.prod(out_spatial))
    y = np.zeros((n, c, plane), x.dtype)
    for a in range(n):
        for b in range(c):
            shift = (a * c + b) * plane if index_layout == "onnx" else 0
            for v, i in zip(x[a, b].reshape(-1), indices[a, b].reshape(-1)):
                y[a, b, int(i) - shift] = v
    return y.reshape((n, c) + tuple(out_spatial))


def _pooled(shape, k, s, p, seed=0, dtype=np.float64):
    """``(y, indices, z)``: max pooling of a random ``z`` of ``shape``, indices included."""
    z = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    y, idx = refpool.max_pool(z, k, s, p, return_indices=True, engine="reference")
    return y, idx, z


def _distinct_indices(shape, plane, seed=0):
    """Random duplicate-free per-plane indices for an input of ``shape``."""
    rng = np.random.default_rng(seed)
    n, c, *spatial = shape
    size = int(np.prod(spatial))
    return np.stack([rng.permutation(plane)[:size] for _ in range(n * c)]).reshape(shape)


# --------------------------------------------------------------------------- torch
TORCH_CASES = [
    # (pooled input z shape, kernel, stride, padding, output_size or None)
    ((2, 3, 9), 2, 2, 0, None),
    ((2, 3, 9), 2, 2, 0, (9,)),
    ((1, 2, 10), 3, 3, 1, None),
    ((1, 2, 11), 3, 3, 1, (11,)),
    ((2, 2, 7, 8), 2, 2, 0, None),
    ((2, 2, 7, 8), 2, 2, 0, (7, 8)),
    ((1, 3, 9, 7), (3, 2), (3, 2), (1, 0), (9, 7)),
    ((1, 2, 4, 6, 5), 2, 2, 0, (4, 6, 5)),
    ((1, 1, 6, 6, 6), (2, 3, 2), (2, 3, 2), (1, 1, 0), (6, 6, 6)),
]


@pytest.mark.peers
@pytest.mark.parametrize("shape, k, s, p, size", TORCH_CASES)
@pytest.mark.parametrize("engine", ENGINES)
def test_matches_torch_on_max_pool_indices(shape, k, s, p, size, engine):
    torch = _torch()
    fn = {3: torch.nn.functional.max_unpool1d, 4: torch.nn.functional.max_unpool2d,
          5: torch.nn.functional.max_unpool3d}[len(shape)]
    for dtype in (np.float32, np.float64):
        y, idx, _ = _pooled(shape, k, s, p, seed=len(shape), dtype=dtype)
        got = refpool.max_unpool(y, idx, k, s, p, size, engine=engine)
        want = fn(torch.from_numpy(y), torch.from_numpy(idx), k, s, p, output_size=size)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want.numpy())


@pytest.mark.peers
@pytest.mark.parametrize("engine", ENGINES)
def test_matches_torch_on_scattered_indices(engine):
    """Indices anywhere in the plane (no duplicates), torch's (N, C, *spatial) form of
    output_size, and the range's ends."""
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    for nd, k, s in ((1, 3, 2), (2, 2, 3), (3, 2, 1)):
        n = (4, 3, 2)[nd - 1]
        shape = (2, 2) + (n,) * nd
        default = (n - 1) * s + k
        for m in (default - s + 1, default, default + s - 1):
            x = rng.standard_normal(shape)
            idx = _distinct_indices(shape, m ** nd, seed=m)
            size = shape[:2] + (m,) * nd
            got = refpool.max_unpool(x, idx, k, s, 0, size, engine=engine)
            fn = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[nd - 1]
            want = fn(torch.from_numpy(x), torch.from_numpy(idx), k, s, 0, output_size=size)
            np.testing.assert_array_equal(got, want.numpy())


@pytest.mark.peers
def test_output_size_range_is_torchs():
    """Accepted exactly where torch accepts (output lengths of at least 1)."""
    torch = _torch()
    x = torch.zeros(1, 1, 3)
    idx = torch.zeros(1, 1, 3, dtype=torch.int64)
    for k, s, p in ((2, 2, 0), (3, 2, 1), (1, 3, 0), (4, 1, 2)):
        default = (3 - 1) * s - 2 * p + k
        for m in range(max(1, default - s - 2), default + s + 3):
            try:
                torch.nn.functional.max_unpool1d(x, idx, k, s, p, output_size=(m,))
                torch_ok = True
            except (ValueError, RuntimeError):
                torch_ok = False
            try:
                refpool.max_unpool(x.numpy(), idx.numpy(), k, s, p, (m,))
                ok = True
            except ValueError as exc:
                assert "output_size" in str(exc)
                ok = False
            assert ok == torch_ok, (k, s, p, m)


# --------------------------------------------------------------------------- ONNX
def _onnx_model(rank, with_shape, **attrs):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    names = ["X", "I"] + (["S"] if with_shape else [])
    types = [TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT64]
    inputs = [helper.make_tensor_value_info(n, t, None) for n, t in zip(names, types)]
    node = helper.make_node("MaxUnpool", names, ["Y"], **attrs)
    graph = helper.make_graph([node], "unpool", inputs,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])


def _onnx_peers(model, feeds):
    """(onnxruntime's, the ONNX reference's) outputs."""
    ort = pytest.importorskip("onnxruntime")
    from onnx.reference import ReferenceEvaluator
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0], ReferenceEvaluator(model).run(None, feeds)[0]


def _onnx_indices(idx, plane):
    n, c = idx.shape[:2]
    return idx + (np.arange(n * c).reshape((n, c) + (1,) * (idx.ndim - 2)) * plane)


ONNX_CASES = [
    # (pooled z shape, kernel_shape, strides, pads)
    ((2, 3, 8), [2], [2], [0, 0]),
    ((1, 2, 9, 9), [3, 3], [2, 2], [1, 1, 1, 1]),
    ((1, 2, 8, 5), [2, 3], [2, 3], [0, 1, 0, 0]),    # 3-wide kernel, pad before only
    ((1, 1, 8, 7), [3, 2], [1, 1], [1, 0, 1, 1]),    # stride 1 (ONNX's default), odd sum
    ((2, 1, 4, 6, 4), [2, 2, 2], [2, 2, 2], [0, 0, 0, 0, 0, 0]),
]


@pytest.mark.peers
@pytest.mark.parametrize("shape, kernel, strides, pads", ONNX_CASES)
def test_dialect_matches_onnxruntime_and_the_onnx_reference(shape, kernel, strides, pads):
    """MaxPool indices of a random input (duplicates where the windows overlap, always
    with equal values), ONNX's whole-tensor layout, begin != end pads."""
    from refpool.dialects.onnx import MaxUnpool
    nd = len(shape) - 2
    z = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    before, after = pads[:nd], pads[nd:]
    # max pooling with the ONNX pads: a (before, after) padding of -inf cells
    padded = np.pad(z, [(0, 0), (0, 0)] + list(zip(before, after)),
                    constant_values=-np.inf)
    y, idx = refpool.max_pool(padded, kernel, strides, return_indices=True)
    # the indices of the padded grid, as positions in the unpadded one
    pos = np.unravel_index(idx, padded.shape[2:])
    keep = [q - b for q, b in zip(pos, before)]
    assert all((q >= 0).all() and (q < n).all() for q, n in zip(keep, shape[2:]))
    plane = int(np.prod(shape[2:]))
    local = np.ravel_multi_index(keep, shape[2:])
    onnx_idx = _onnx_indices(local, plane)
    inferred = [(n - 1) * s - (b + a) + k for n, s, b, a, k in
                zip(y.shape[2:], strides, before, after, kernel)]
    assert inferred == list(shape[2:])
    attrs = dict(kernel_shape=kernel, pads=pads)
    if strides != [1] * nd:
        attrs["strides"] = strides
    ort_y, ref_y = _onnx_peers(_onnx_model(len(shape), False, **attrs), {"X": y, "I": onnx_idx})
    for engine in ENGINES:
        got = MaxUnpool(y, onnx_idx, engine=engine, **attrs)
        np.testing.assert_array_equal(got, ort_y)
        np.testing.assert_array_equal(got, ref_y)
    # output_shape equal to the inferred one: both peers agree again
    full = np.array(y.shape[:2] + tuple(inferred), np.int64)
    ort_y, ref_y = _onnx_peers(_onnx_model(len(shape), True, **attrs),
                               {"X": y, "I": onnx_idx, "S": full})
    got = MaxUnpool(y, onnx_idx, full, **attrs)
    np.testing.assert_array_equal(got, ort_y)
    np.testing.assert_array_equal(got, ref_y)


@pytest.mark.peers
def test_dialect_output_shape_follows_onnxruntime_not_the_reference():
    """The documented divergence: a larger output_shape places the indices in its own
    grid (onnxruntime, torch) where the ONNX reference pads the inferred result."""
    from refpool.dialects.onnx import MaxUnpool
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)
    idx = np.array([[[[0, 3], [9, 15]]]], np.int64)
    shape = np.array([1, 1, 5, 5], np.int64)
    ort_y, ref_y = _onnx_peers(_onnx_model(4, True, kernel_shape=[2, 2], strides=[2, 2]),
                               {"X": x, "I": idx, "S": shape})
    got = MaxUnpool(x, idx, shape, kernel_shape=[2, 2], strides=[2, 2])
    np.testing.assert_array_equal(got, ort_y)
    assert not np.array_equal(got, ref_y)
    assert got[0, 0, 1, 4] == 3.0 and got[0, 0, 3, 0] == 4.0          # docs/unpooling.rst
    assert ref_y[0, 0, 2, 1] == 3.0 and ref_y[0, 0, 3, 3] == 4.0
    # torch reads output_size the same way
    torch = _torch()
    want = torch.nn.functional.max_unpool2d(torch.from_numpy(x), torch.from_numpy(idx), 2,
                                            output_size=(5, 5))
    np.testing.assert_array_equal(got, want.numpy())


@pytest.mark.peers
def test_dialect_duplicates_last_wins_like_both_peers():
    from refpool.dialects.onnx import MaxUnpool
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    plane = 8 * 8
    idx = _onnx_indices(rng.integers(0, 6, (2, 3, 4, 4)), plane)      # many duplicates
    ort_y, ref_y = _onnx_peers(_onnx_model(4, False, kernel_shape=[2, 2], strides=[2, 2]),
                               {"X": x, "I": idx})
    np.testing.assert_array_equal(ort_y, ref_y)
    for engine in ENGINES:
        got = MaxUnpool(x, idx, kernel_shape=[2, 2], strides=[2, 2], engine=engine)
        np.testing.assert_array_equal(got, ort_y)


def test_dialect_refuses_what_the_core_cannot_do():
    from refpool.dialects.onnx import MaxUnpool
    x = np.ones((1, 1, 2, 2), np.float32)
    idx = np.array([[[[0, 3], [9, 15]]]])
    kw = dict(kernel_shape=[2, 2], strides=[2, 2])
    with pytest.raises(ValueError, match="output_shape .* smaller than the inferred"):
        MaxUnpool(x, idx.clip(0, 8), [1, 1, 3, 3], **kw)
    with pytest.raises(ValueError, match="output_shape .* beyond refpool's range"):
        MaxUnpool(x, idx, [1, 1, 6, 6], **kw)
    np.testing.assert_array_equal(MaxUnpool(x, idx, [1, 1, 5, 5], **kw).shape, (1, 1, 5, 5))
    with pytest.raises(ValueError, match="batch and channel"):
        MaxUnpool(x, idx, [1, 2, 4, 4], **kw)
    with pytest.raises(ValueError, match="output_shape must have 4 entries"):
        MaxUnpool(x, idx, [4, 4], **kw)
    with pytest.raises(ValueError, match="pads must have 4 entries"):
        MaxUnpool(x, idx, pads=[0, 0], **kw)
    with pytest.raises(ValueError, match="kernel_shape entries must be >= 1"):
        MaxUnpool(x, idx, kernel_shape=[0, 2])
    with pytest.raises(ValueError, match="indices"):
        MaxUnpool(x, idx - 1, **kw)                               # a negative index
    two = np.ones((1, 2, 2, 2), np.float32)
    with pytest.raises(ValueError, match="outside its own \\(n, c\\) plane"):
        MaxUnpool(two, np.array([[[[0, 3], [9, 15]], [[0, 1], [2, 3]]]]), **kw)


def test_dialect_stride_defaults_to_one_not_the_kernel():
    from refpool.dialects.onnx import MaxUnpool
    y = MaxUnpool(np.array([[[1.0, 2.0, 3.0]]]), np.array([[[0, 2, 3]]]), kernel_shape=[2])
    assert y.tolist() == [[[1.0, 0.0, 2.0, 3.0]]]                  # (3-1)*1 + 2 = 4


# --------------------------------------------------------------------------- duplicates
@pytest.mark.parametrize("engine", ENGINES)
def test_duplicates_last_input_wins(engine):
    """Crafted duplicates with different values: the loop's answer, in every layout."""
    rng = np.random.default_rng(7)
    for nd in (1, 2, 3):
        shape = (2, 3) + (4, 3, 2)[:nd]
        x = rng.standard_normal(shape)
        out = (5, 4, 3)[:nd]
        plane = int(np.prod(out))
        idx = rng.integers(0, max(2, plane // 4), shape)               # heavy collisions
        k = [o - (n - 1) for o, n in zip(out, shape[2:])]             # stride 1
        got = refpool.max_unpool(x, idx, k, 1, engine=engine)
        np.testing.assert_array_equal(got, _unpool_loop(x, idx, out))
        onnx = _onnx_indices(idx, plane)
        got = refpool.max_unpool(x, onnx, k, 1, index_layout="onnx", engine=engine)
        np.testing.assert_array_equal(got, _unpool_loop(x, onnx, out, "onnx"))


def test_duplicates_example_and_docs_worked_example():
    y = refpool.max_unpool(np.array([[[7.0, 8.0, 9.0]]]), np.array([[[2, 0, 2]]]), 2, 2,
                           output_size=(5,))
    assert y.tolist() == [[[8.0, 0.0, 9.0, 0.0, 0.0]]]
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    torch_layout = refpool.max_unpool(x, np.array([[[0, 3], [1, 2]]]), 2)
    onnx_layout = refpool.max_unpool(x, np.array([[[0, 3], [5, 6]]]), 2, index_layout="onnx")
    assert torch_layout.tolist() == onnx_layout.tolist() == [[[1, 0, 0, 2], [0, 3, 4, 0]]]
    with pytest.raises(ValueError, match="outside its own"):
        refpool.max_unpool(x, np.array([[[0, 4], [5, 6]]]), 2, index_layout="onnx")


def test_cpu_blocks_split_a_plane_without_changing_the_answer(monkeypatch):
    """One plane cut into many output blocks (each scanning every input) gives the
    reference's answer, duplicates included, for any number of blocks."""
    from refpool.engines.cpu import unpooling as cpu
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 1, 300))
    idx = rng.integers(0, 600, (1, 1, 300))
    want = refpool.max_unpool(x, idx, 2, engine="reference")
    np.testing.assert_array_equal(refpool.max_unpool(x, idx, 2, engine="cpu"), want)
    for blocks in (2, 7, 600):
        monkeypatch.setattr(cpu, "_blocks", lambda planes, size, b=blocks: b)
        np.testing.assert_array_equal(refpool.max_unpool(x, idx, 2, engine="cpu"), want)
    # the real split: one plane of 2 * 4096 * 2 outputs on every thread
    monkeypatch.undo()
    x = rng.standard_normal((1, 1, 8192))
    idx = rng.integers(0, 16384, (1, 1, 8192))
    np.testing.assert_array_equal(refpool.max_unpool(x, idx, 2, engine="cpu"),
                                  refpool.max_unpool(x, idx, 2, engine="reference"))


# --------------------------------------------------------------------------- with max_pool
@pytest.mark.parametrize("shape, k, s, p", [((2, 3, 11), 3, 2, 1), ((1, 2, 8, 9), 3, 2, 1),
                                            ((1, 2, 8, 8), 2, 2, 0),
                                            ((1, 1, 5, 6, 4), 2, 1, 0)])
@pytest.mark.parametrize("engine", ENGINES)
def test_unpooling_max_pool_output(shape, k, s, p, engine):
    """Positive z: max_unpool(max_pool(z)) keeps z at the selected positions and zero
    elsewhere, and pooling it again gives back the same values and indices."""
    z = np.abs(np.random.default_rng(9).standard_normal(shape)) + 0.5
    y, idx = refpool.max_pool(z, k, s, p, return_indices=True)
    u = refpool.max_unpool(y, idx, k, s, p, output_size=shape[2:], engine=engine)
    chosen = np.zeros(z.shape, bool).reshape(shape[:2] + (-1,))
    np.put_along_axis(chosen, idx.reshape(shape[:2] + (-1,)), True, axis=-1)
    chosen = chosen.reshape(shape)
    np.testing.assert_array_equal(u, np.where(chosen, z, 0.0))
    y2, idx2 = refpool.max_pool(u, k, s, p, return_indices=True)
    np.testing.assert_array_equal(y2, y)
    np.testing.assert_array_equal(idx2, idx)


# --------------------------------------------------------------------------- engines
def _specials(shape, dtype, seed):
    """Random values with NaN payloads, infinities and both zeros."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
    nan = np.array(0x7FC00001 if dtype == np.float32 else 0x7FF8000000000123,
                   bits).view(dtype)
    flat = x.reshape(-1)
    flat[::5] = nan
    flat[1::7] = -0.0
    flat[2::11] = np.inf
    flat[3::13] = -np.nan
    return x


@pytest.mark.differential
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reference_and_cpu_are_bitwise_equal(dtype):
    rng = np.random.default_rng(10)
    for nd, layout in itertools.product((1, 2, 3), ("torch", "onnx")):
        shape = (2, 3) + (5, 4, 3)[:nd]
        x = _specials(shape, dtype, nd)
        out = tuple(2 * n + 1 for n in shape[2:])
        plane = int(np.prod(out))
        idx = rng.integers(0, plane, shape)
        if layout == "onnx":
            idx = _onnx_indices(idx, plane)
        results = [refpool.max_unpool(x, idx, 3, 2, index_layout=layout, engine=e)
                   for e in ENGINES]
        bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
        assert results[0].view(bits).tolist() == results[1].view(bits).tolist()
        loop = _unpool_loop(x, idx, out, layout)
        assert results[0].view(bits).tolist() == loop.view(bits).tolist()


@pytest.mark.cuda
@pytest.mark.differential
def test_cuda_engine_is_bitwise_equal_to_the_reference():
    from numba import cuda
    rng = np.random.default_rng(11)
    for nd, dtype, layout in ((1, np.float32, "torch"), (2, np.float64, "onnx"),
                              (3, np.float32, "torch")):
        shape = (1, 2) + (4, 3, 2)[:nd]
        x = _specials(shape, dtype, nd)
        out = tuple(2 * n for n in shape[2:])
        plane = int(np.prod(out))
        idx = rng.integers(0, plane, shape)                      # duplicates included
        if layout == "onnx":
            idx = _onnx_indices(idx, plane)
        want = refpool.max_unpool(x, idx, 2, index_layout=layout, engine="reference")
        got = refpool.max_unpool(x, idx, 2, index_layout=layout, engine="cuda")
        bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
        assert got.view(bits).tolist() == want.view(bits).tolist()
        # device arrays in, a device array out; a device out is filled
        dev = refpool.max_unpool(cuda.to_device(x), cuda.to_device(idx), 2,
                                 index_layout=layout)
        assert hasattr(dev, "copy_to_host")
        assert dev.copy_to_host().view(bits).tolist() == want.view(bits).tolist()
        out_dev = cuda.device_array(want.shape, dtype)
        refpool.max_unpool(cuda.to_device(x), idx, 2, index_layout=layout, out=out_dev)
        assert out_dev.copy_to_host().view(bits).tolist() == want.view(bits).tolist()
    # integers and float16 on the device engine; an out-of-range device index
    ints = rng.integers(-100, 100, (1, 1, 3, 3)).astype(np.int16)
    idx = _distinct_indices(ints.shape, 36)
    np.testing.assert_array_equal(refpool.max_unpool(ints, idx, 2, engine="cuda"),
                                  _unpool_loop(ints, idx, (6, 6)))
    half = ints.astype(np.float16)
    assert refpool.max_unpool(half, idx, 2, engine="cuda").dtype == np.float16
    with pytest.raises(ValueError, match="indices"):
        refpool.max_unpool(cuda.to_device(half), cuda.to_device(idx + 1000), 2)


# --------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32,
                                   np.uint32, np.int64, np.uint64], ids=str)
@pytest.mark.parametrize("engine", ENGINES)
def test_integer_dtypes_are_exact(dtype, engine):
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -(2 ** 53)), min(info.max, 2 ** 53)
    rng = np.random.default_rng(12)
    x = rng.integers(lo, hi, (2, 2, 3, 4), dtype=dtype, endpoint=True)
    x.reshape(-1)[:4] = (lo, hi, lo + 1, hi - 1)
    idx = rng.integers(0, 48, x.shape)                           # duplicates included
    got = refpool.max_unpool(x, idx, 2, engine=engine)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, _unpool_loop(x, idx, (6, 8)))


@pytest.mark.parametrize("engine", ENGINES)
def test_float16_is_exact(engine):
    x = np.random.default_rng(13).standard_normal((2, 2, 5)).astype(np.float16)
    x.reshape(-1)[:3] = (np.float16(-0.0), np.float16(np.inf), np.float16(65504))
    idx = _distinct_indices(x.shape, 10)
    got = refpool.max_unpool(x, idx, 2, engine=engine)
    assert got.dtype == np.float16
    assert got.view(np.uint16).tolist() == _unpool_loop(x, idx, (10,)).view(np.uint16).tolist()


def test_index_dtypes_are_read_exactly():
    x = np.arange(1.0, 7.0).reshape(1, 2, 3)
    want = refpool.max_unpool(x, np.array([[[0, 2, 5], [1, 3, 4]]]), 2)
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.uint64):
        idx = np.array([[[0, 2, 5], [1, 3, 4]]], dtype)
        np.testing.assert_array_equal(refpool.max_unpool(x, idx, 2), want)


def test_empty_batch_gives_an_empty_output():
    y = refpool.max_unpool(np.zeros((0, 3, 4)), np.zeros((0, 3, 4), np.int64), 2)
    assert y.shape == (0, 3, 8)


# --------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("engine", ENGINES)
def test_ndim_and_channels_last_layouts(engine):
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 3, 4, 5))
    idx = _distinct_indices(x.shape, 8 * 10)
    want = refpool.max_unpool(x, idx, 2, engine=engine)               # (2, 3, 8, 10)
    # (*batch, C, H, W), (C, H, W), (H, W) with ndim=2; indices in x's layout
    got = refpool.max_unpool(x.reshape(1, 2, 3, 4, 5), idx.reshape(1, 2, 3, 4, 5), 2, ndim=2,
                             engine=engine)
    np.testing.assert_array_equal(got, want.reshape(1, 2, 3, 8, 10))
    np.testing.assert_array_equal(refpool.max_unpool(x[0], idx[0], 2, ndim=2, engine=engine),
                                  want[0])
    np.testing.assert_array_equal(refpool.max_unpool(x[0, 0], idx[0, 0], 2, ndim=2,
                                                     engine=engine), want[0, 0])
    # channels last, indices channels last too, or in the (N, C, H, W) layout
    xl, il = np.moveaxis(x, 1, -1), np.moveaxis(idx, 1, -1)
    for indices in (il, idx):
        got = refpool.max_unpool(xl, indices, 2, channels_last=True, engine=engine)
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(got, np.moveaxis(want, 1, -1))
    # the ONNX layout counts in the (N, C, *spatial) order whatever the layout
    onnx = _onnx_indices(idx, 80)
    got = refpool.max_unpool(xl, np.moveaxis(onnx, 1, -1), 2, channels_last=True,
                             index_layout="onnx", engine=engine)
    np.testing.assert_array_equal(got, np.moveaxis(want, 1, -1))


def test_indices_follow_xs_layout_when_both_shapes_coincide():
    """(1, 3, 3, 3) channels-last: indices of that shape are read channels-last."""
    rng = np.random.default_rng(15)
    x = rng.standard_normal((1, 3, 3, 3))                # (N, H, W, C) = (1, 3, 3, 3)
    idx_last = np.moveaxis(_distinct_indices((1, 3, 3, 3), 36), 1, -1)
    got = refpool.max_unpool(x, idx_last, 2, channels_last=True)
    want = refpool.max_unpool(np.moveaxis(x, -1, 1), np.moveaxis(idx_last, -1, 1), 2)
    np.testing.assert_array_equal(got, np.moveaxis(want, 1, -1))


def test_array_likes():
    torch = _torch()
    y, idx, _ = _pooled((1, 2, 6, 6), 2, 2, 0)
    want = refpool.max_unpool(y, idx, 2)
    np.testing.assert_array_equal(
        refpool.max_unpool(torch.from_numpy(y), torch.from_numpy(idx), 2), want)


# --------------------------------------------------------------------------- bad input
X = np.random.default_rng(16).standard_normal((1, 2, 3, 3))
IDX = _distinct_indices(X.shape, 36)


def _with(a, where, value):
    a = a.copy()
    a[where] = value
    return a


@pytest.mark.parametrize("call, err, match", [
    (lambda: refpool.max_unpool(X, IDX.astype(np.float64), 2), TypeError,
     "indices must have an integer dtype"),
    (lambda: refpool.max_unpool(X, IDX > 3, 2), TypeError, "indices must have an integer"),
    (lambda: refpool.max_unpool(X, IDX.tolist(), 2), TypeError, "indices must be an array"),
    (lambda: refpool.max_unpool(X, None, 2), TypeError, "indices must be an array"),
    (lambda: refpool.max_unpool(X, IDX[..., :2], 2), ValueError,
     r"indices must have x's shape \(1, 2, 3, 3\), got \(1, 2, 3, 2\)"),
    (lambda: refpool.max_unpool(X[0], IDX[0, :, :2], 2, ndim=2), ValueError,
     r"or the \(N, C, \*spatial\) shape \(1, 2, 3, 3\)"),
    (lambda: refpool.max_unpool(X, np.ma.masked_array(IDX), 2), TypeError, "indices must be a "
     "plain NumPy array"),
    (lambda: refpool.max_unpool(X, _with(IDX, (0, 1, 2, 1), -1), 2), ValueError,
     r"indices: index -1 at position \(0, 1, 2, 1\)"),
    (lambda: refpool.max_unpool(X, IDX + 36 - IDX.max(), 2), ValueError,
     r"indices: index 36 .* 0 <= index < 36"),
    (lambda: refpool.max_unpool(X, IDX.astype(np.uint64) + np.uint64(2 ** 63), 2),
     ValueError, "indices: index 9223372036854775"),
    (lambda: refpool.max_unpool(X, IDX, 2, index_layout="onnx"), ValueError,
     r"plane \(n, c\) = \(0, 1\) owns 36 <= index < 72"),
    (lambda: refpool.max_unpool(X, IDX, 2, index_layout="ONNX"), ValueError,
     "index_layout must be 'torch'"),
    (lambda: refpool.max_unpool(X, IDX, 2, output_size=(4, 6)), ValueError,
     r"output_size=\(4, 6\) is out of range on spatial axis 0: .* default length .* 6, it "
     "must lie strictly between 4 and 8"),
    (lambda: refpool.max_unpool(X, IDX, 2, output_size=(6, 6, 6)), ValueError,
     "output_size must be an int, a sequence of 2 ints"),
    (lambda: refpool.max_unpool(X, IDX, 2, output_size=(1, 3, 6, 6)), ValueError,
     r"must repeat x's N and C \(1, 2\)"),
    (lambda: refpool.max_unpool(X, IDX, 2, output_size=6.0), TypeError, "output_size must be"),
    (lambda: refpool.max_unpool(X, IDX, 0), ValueError, "kernel_size must be >= 1"),
    (lambda: refpool.max_unpool(X, IDX, 2, stride=0), ValueError, "stride must be >= 1"),
    (lambda: refpool.max_unpool(X, IDX, 2, padding=-1), ValueError, "padding must be >= 0"),
    (lambda: refpool.max_unpool(X, IDX, 2, padding=3), ValueError,
     "padding=3 leaves no output"),
    (lambda: refpool.max_unpool(X, IDX, 2, padding=((1, 2, 3), 0)), ValueError,
     r"padding pairs must be \(before, after\)"),
    (lambda: refpool.max_unpool(X, IDX, 2 ** 40), refpool.SizeLimitError, "kernel_size"),
    (lambda: refpool.max_unpool(X, IDX, 2, engine="gpu"), ValueError, "engine must be one of"),
    (lambda: refpool.max_unpool(X.astype(bool), IDX, 2), TypeError, "x must have dtype"),
    (lambda: refpool.max_unpool(X, IDX, 2, out=np.empty((1, 2, 6, 5))), ValueError,
     r"out must have shape \(1, 2, 6, 6\)"),
])
def test_bad_input_names_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_nothing_is_written_and_inputs_are_untouched_on_error():
    out = np.full((1, 2, 6, 6), 7.0)
    x, idx = X.copy(), IDX.copy()
    bad = idx.copy()
    bad[0, 1, 2, 2] = 99
    for kwargs in (dict(indices=bad), dict(indices=idx, index_layout="onnx"),
                   dict(indices=idx, output_size=(9, 9))):
        with pytest.raises(ValueError):
            refpool.max_unpool(x, kernel_size=2, out=out, **kwargs)
        assert (out == 7.0).all()
    refpool.max_unpool(x, idx, 2, out=out)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(idx, IDX)
    np.testing.assert_array_equal(out, _unpool_loop(X, IDX, (6, 6)))


def test_out_must_not_alias_indices():
    x = np.arange(4, dtype=np.int64).reshape(1, 1, 4)
    idx = np.zeros((1, 1, 8), np.int64)[..., :4]
    idx[...] = [0, 2, 4, 6]
    with pytest.raises(ValueError, match="out must not share memory with indices"):
        refpool.max_unpool(x, idx, 2, out=idx.base.reshape(1, 1, 8))
    with pytest.raises(ValueError, match="out must not share memory with the input"):
        big = np.zeros((1, 1, 8), np.int64)
        refpool.max_unpool(big[..., :4], idx, 2, out=big)


# --------------------------------------------------------------------------- exactness
def _grid_transform(a, g, nd):
    """``T_g`` on the spatial axes of ``(N, C, *spatial)``: output axis b is input axis
    perm[b], reversed where reverse[b] (refpool.equivariance.rules.axis_action)."""
    perm, reverse = axis_action(g, nd)
    a = np.transpose(a, (0, 1) + tuple(2 + p for p in perm))
    for b, r in enumerate(reverse):
        if r:
            a = np.flip(a, 2 + b)
    return np.ascontiguousarray(a)


def test_grid_transform_is_fieldtypes():
    from refpool import FieldType
    for nd, shape in ((1, (2, 1, 5)), (2, (2, 1, 3, 4)), (3, (1, 1, 2, 3, 4))):
        group = grid_group(nd)
        ft = FieldType(group, [group.trivial_representation])
        a = np.random.default_rng(nd).standard_normal(shape)
        for g in group.elements:
            np.testing.assert_array_equal(_grid_transform(a, g, nd), ft.transform(a, g))


def _moved_indices(idx, g, out_spatial, nd):
    """The indices after ``g``: moved on the input grid, each value mapped to the moved
    output position."""
    plane = int(np.prod(out_spatial))
    positions = np.arange(plane).reshape((1, 1) + tuple(out_spatial))
    moved = _grid_transform(positions, g, nd).reshape(-1)     # new flat -> old flat
    new_of_old = np.empty(plane, np.int64)
    new_of_old[moved] = np.arange(plane)
    return _grid_transform(new_of_old[idx], g, nd)


def _measured(shape, kwargs, trials=2):
    """Elements g with max_unpool(g·(x, I)) == g·max_unpool(x, I) on random inputs whose
    duplicate indices carry equal values."""
    nd = len(shape) - 2
    rng = np.random.default_rng(17)
    y = refpool.max_unpool(np.zeros(shape), np.zeros(shape, np.int64), **kwargs)
    out = y.shape[2:]
    plane = int(np.prod(out))
    inputs = []
    for _ in range(trials):
        idx = rng.integers(0, plane, shape)
        values = rng.standard_normal(shape[:2] + (plane,))
        x = np.take_along_axis(values, idx.reshape(shape[:2] + (-1,)), -1).reshape(shape)
        inputs.append((x, idx, refpool.max_unpool(x, idx, **kwargs, engine="reference")))
    holding = []
    for g in grid_group(nd).elements:
        ok = True
        for x, idx, y in inputs:
            try:
                lhs = refpool.max_unpool(_grid_transform(x, g, nd),
                                         _moved_indices(idx, g, out, nd), **kwargs,
                                         engine="reference")
            except ValueError:
                ok = False
                break
            rhs = _grid_transform(y, g, nd)
            if lhs.shape != rhs.shape or not np.array_equal(lhs, rhs):
                ok = False
                break
        if ok:
            holding.append(g)
    return holding


EXACTNESS_CASES = [
    ((1, 2, 5), dict(kernel_size=2)),
    ((1, 2, 5), dict(kernel_size=3, stride=2, padding=1, output_size=(10,))),
    ((1, 1, 4, 4), dict(kernel_size=2)),
    ((1, 1, 4, 5), dict(kernel_size=2)),                       # rotations change the shape
    ((1, 1, 4, 4), dict(kernel_size=(2, 3), stride=(2, 1))),    # (n-1)s + k: 8 vs 6
    ((1, 1, 4, 4), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))),  # 5 vs 8
    ((1, 1, 4, 4), dict(kernel_size=(3, 2), stride=(1, 2), padding=(0, 1))),  # 6 and 6
    ((1, 1, 3, 4), dict(kernel_size=(2, 1), stride=(3, 2))),    # 8 and 7
    ((1, 1, 3, 3), dict(kernel_size=2, output_size=(5, 6))),    # unequal explicit sizes
    ((1, 1, 3, 3), dict(kernel_size=2, output_size=(7, 7))),
    ((1, 1, 2, 2, 2), dict(kernel_size=2)),
    ((1, 1, 2, 3, 2), dict(kernel_size=(2, 2, 3), stride=(2, 2, 1))),
    ((1, 1, 2, 2, 3), dict(kernel_size=2, output_size=(4, 5, 5))),
]


@pytest.mark.parametrize("shape, kwargs", EXACTNESS_CASES)
def test_exact_symmetries_are_the_measured_ones(shape, kwargs):
    claimed = exact_symmetries(refpool.max_unpool, shape, indices=None, **kwargs)
    measured = _measured(shape, kwargs)
    assert set(claimed) == set(measured), (shape, kwargs, claimed, measured)
    assert claimed                                       # the identity at least


def test_exact_symmetries_covers_transposes_both_ways():
    """Equal and unequal output lengths on swapped axes, counted over dihedral(4)."""
    full = len(grid_group(2).elements)
    assert len(exact_symmetries(refpool.max_unpool, (1, 1, 4, 4), indices=None,
                                kernel_size=2)) == full
    swapped = exact_symmetries(refpool.max_unpool, (1, 1, 4, 4), indices=None,
                               kernel_size=(2, 3), stride=(2, 1))
    assert len(swapped) == 4                             # the reversals only
    # equal defaults from different arguments: (4-1)*1 - 0 + 3 == (4-1)*2 - 2 + 2 == 6
    same = exact_symmetries(refpool.max_unpool, (1, 1, 4, 4), indices=None,
                            kernel_size=(3, 2), stride=(1, 2), padding=(0, 1))
    assert len(same) == full


def test_duplicates_with_different_values_break_a_reversal():
    """The documented exception: the winner is the last input, which a reversal moves."""
    g = [e for e in grid_group(1).elements if axis_action(e, 1)[1][0]][0]
    x, idx = np.array([[[1.0, 2.0]]]), np.array([[[0, 0]]])
    y = refpool.max_unpool(x, idx, 2)
    lhs = refpool.max_unpool(_grid_transform(x, g, 1), _moved_indices(idx, g, (4,), 1), 2)
    assert not np.array_equal(lhs, _grid_transform(y, g, 1))


@pytest.mark.parametrize("z_shape, pool, unpool", [
    ((1, 1, 8, 8), dict(kernel_size=2), dict(kernel_size=2)),
    ((1, 1, 9, 9), dict(kernel_size=3, stride=2, padding=1),
     dict(kernel_size=3, stride=2, padding=1)),
    ((1, 1, 9, 9), dict(kernel_size=2), dict(kernel_size=2, output_size=(9, 9))),
    ((1, 1, 8, 9), dict(kernel_size=2), dict(kernel_size=2, output_size=(8, 9))),
    ((1, 1, 9, 7), dict(kernel_size=3, stride=2, padding=1),
     dict(kernel_size=3, stride=2, padding=1, output_size=(9, 7))),
    ((1, 1, 6, 6, 6), dict(kernel_size=2), dict(kernel_size=2)),
])
def test_unpooling_max_pool_is_exact_where_both_operators_are(z_shape, pool, unpool):
    """The pair max_unpool(max_pool(z)): measured on random z, it holds for exactly the
    elements both exactness rules list (max pooling's window condition on the unpooled
    grid, and the unpooling's output lengths)."""
    nd = len(z_shape) - 2

    def pair(z):
        y, idx = refpool.max_pool(z, **pool, return_indices=True, engine="reference")
        return refpool.max_unpool(y, idx, **unpool, engine="reference")

    z = np.random.default_rng(18).standard_normal(z_shape)
    pooled = refpool.max_pool(z, **pool).shape
    claimed = set(exact_symmetries(refpool.max_pool, z_shape, **pool)) & set(
        exact_symmetries(refpool.max_unpool, pooled, indices=None, **unpool))
    measured = set()
    for g in grid_group(nd).elements:
        try:
            lhs = pair(_grid_transform(z, g, nd))
        except ValueError:
            continue
        rhs = _grid_transform(pair(z), g, nd)
        if lhs.shape == rhs.shape and np.array_equal(lhs, rhs):
            measured.add(g)
    assert claimed == measured


def test_exact_symmetries_keywords():
    with pytest.raises(TypeError, match="indices"):
        exact_symmetries(refpool.max_unpool, (1, 1, 4, 4), kernel_size=2)
    with pytest.raises(ValueError, match="output_size"):
        exact_symmetries(refpool.max_unpool, (1, 1, 4, 4), indices=None, kernel_size=2,
                         output_size=(3, 8))
    assert exact_symmetries("max_unpool", (4, 4), indices=None, kernel_size=2, ndim=2) == \
        exact_symmetries("max_unpool", (1, 1, 4, 4), indices=None, kernel_size=2)
    assert len(registry.OPERATORS["max_unpool"].condition) > 20


# --------------------------------------------------------------------------- dask
def test_dask_wrapper_equals_the_in_memory_call():
    da = pytest.importorskip("dask.array")
    import refpool.dask
    rng = np.random.default_rng(19)
    y, idx, _ = _pooled((4, 3, 9, 8), 3, 2, 1, seed=19)
    want = refpool.max_unpool(y, idx, 3, 2, 1, output_size=(9, 8))
    for xc, ic in (((2, 2, 2, 3), (3, 1, 4, 4)), (-1, -1), ((1, 3, 5, 4), (4, 1, 1, 1))):
        got = refpool.dask.max_unpool(da.from_array(y, chunks=xc), da.from_array(idx, chunks=ic),
                                      3, 2, 1, output_size=(4, 3, 9, 8))
        assert got.chunks[2:] == ((9,), (8,))
        np.testing.assert_array_equal(got.compute(), want)
    onnx = _onnx_indices(idx, 72)
    got = refpool.dask.max_unpool(da.from_array(np.moveaxis(y, 1, -1), chunks=(1, 2, 2, 2)),
                                  np.moveaxis(onnx, 1, -1), 3, 2, 1, output_size=(9, 8),
                                  index_layout="onnx", channels_last=True)
    np.testing.assert_array_equal(got.compute(), np.moveaxis(want, 1, -1))
    dup = rng.integers(0, 72, idx.shape)
    np.testing.assert_array_equal(
        refpool.dask.max_unpool(da.from_array(y, chunks=(1, 1, 5, 4)), dup, 3, 2, 1,
                                output_size=(9, 8)).compute(),
        refpool.max_unpool(y, dup, 3, 2, 1, output_size=(9, 8)))
    with pytest.raises(ValueError, match="output_size"):
        refpool.dask.max_unpool(da.from_array(y), idx, 3, 2, 1, output_size=(20, 8))
    with pytest.raises(TypeError, match="out= is not supported"):
        refpool.dask.max_unpool(da.from_array(y), idx, 3, out=np.empty(1))
