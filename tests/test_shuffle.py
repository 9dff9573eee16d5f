"""The shuffle family: pixel_shuffle, pixel_unshuffle (torch), depth_to_space,
space_to_depth (ONNX) and the ONNX dialect functions DepthToSpace, SpaceToDepth.

Independent answers: torch 2.13 CPU, onnxruntime and the ONNX reference evaluator
(one-node models), and the reshape/transpose statement of the operators written in
NumPy here (the engines gather by index arithmetic instead).  The engines agree bit
for bit (NaN payloads and signed zeros included), every dtype is exact, bad
arguments are refused before any kernel runs, and the exact-symmetry claim (every
grid symmetry, with the induced permutation of the sub-pixel channels) is measured
element by element.
"""

import itertools

import numpy as np
import pytest

import refpool
from refpool import FieldType
from refpool._dispatch import Launch
from refpool.equivariance.rules import axis_action, grid_group, induced_channel_permutation

UP = ("pixel_shuffle", "depth_to_space")            # channels to space
DOWN = ("pixel_unshuffle", "space_to_depth")        # space to channels
FACTOR = {"pixel_shuffle": "upscale_factor", "pixel_unshuffle": "downscale_factor",
          "depth_to_space": "blocksize", "space_to_depth": "blocksize"}


# --------------------------------------------------------------------------- helpers
def bits(a):
    """The bytes of ``a`` in C order, with its dtype and shape: bitwise comparison."""
    a = np.asarray(a)
    return a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()


def assert_bitwise(actual, expected):
    assert bits(actual) == bits(expected)


def specials(shape, dtype, seed=0):
    """Random values with NaNs (two payloads, both signs), infinities and signed zeros."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    if np.dtype(dtype).kind == "f":
        flat = x.reshape(-1)
        uint = np.dtype(f"u{x.itemsize}")
        payload = np.array(np.iinfo(uint).max >> 1, uint).view(dtype)   # NaN, all payload bits
        pool = np.array([np.nan, -np.nan, payload, np.inf, -np.inf, 0.0, -0.0], dtype)
        pick = rng.random(flat.size) < 0.3
        flat[pick] = rng.choice(pool, int(pick.sum()))
    return x


def np_shuffle(x, r, block_first=False):
    """The reshape/transpose statement (ONNX's DepthToSpace definition, k-D)."""
    n, cin, *s = x.shape
    k = len(s)
    c = cin // r ** k
    if block_first:                                   # (N, r.., C, *s)
        z = x.reshape((n,) + (r,) * k + (c,) + tuple(s))
        axes = (0, k + 1) + sum(((k + 2 + a, 1 + a) for a in range(k)), ())
    else:                                             # (N, C, r.., *s)
        z = x.reshape((n, c) + (r,) * k + tuple(s))
        axes = (0, 1) + sum(((2 + k + a, 2 + a) for a in range(k)), ())
    return z.transpose(axes).reshape((n, c) + tuple(m * r for m in s))


def np_unshuffle(y, r, block_first=False):
    n, c, *big = y.shape
    k = len(big)
    z = y.reshape((n, c) + sum(((m // r, r) for m in big), ()))      # (N, C, s1, j1, ...)
    coarse, fine = tuple(2 + 2 * a for a in range(k)), tuple(3 + 2 * a for a in range(k))
    axes = (0,) + fine + (1,) + coarse if block_first else (0, 1) + fine + coarse
    return z.transpose(axes).reshape((n, c * r ** k) + tuple(m // r for m in big))


def expected(op, x, r, mode="DCR"):
    if op == "pixel_shuffle":
        return np_shuffle(x, r)
    if op == "depth_to_space":
        return np_shuffle(x, r, mode == "DCR")
    if op == "pixel_unshuffle":
        return np_unshuffle(x, r)
    return np_unshuffle(x, r, True)


def call(op, x, r, mode=None, **kw):
    kwargs = {FACTOR[op]: r}
    if mode is not None:
        kwargs["mode"] = mode
    return getattr(refpool, op)(x, **kwargs, **kw)


def input_shape(op, c, r, spatial):
    """``(2, C r^k, *spatial)`` for a shuffle, ``(2, C, *spatial r)`` for an unshuffle."""
    k = len(spatial)
    if op in UP:
        return (2, c * r ** k) + tuple(spatial)
    return (2, c) + tuple(n * r for n in spatial)


CASES = [(op, mode, r, spatial)
         for op in UP + DOWN
         for mode in (("DCR", "CRD") if op == "depth_to_space" else (None,))
         for r, spatial in [(1, (4,)), (3, (5,)), (2, (3, 4)), (3, (2, 3)), (1, (2, 3)),
                            (2, (2, 1, 3)), (3, (1, 2, 1))]]
CASE_IDS = [f"{op}-{mode}-r{r}-{len(s)}d" for op, mode, r, s in CASES]


# --------------------------------------------------------------------------- torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.uint8, np.int64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_pixel_shuffle_and_unshuffle_equal_torch(dtype, engine):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for r, c, (h, w) in [(1, 3, (4, 5)), (2, 2, (3, 5)), (3, 1, (2, 2)), (4, 1, (1, 3))]:
        x = specials((2, c * r * r, h, w), dtype, seed=r)
        got = refpool.pixel_shuffle(x, r, engine=engine)
        assert_bitwise(got, F.pixel_shuffle(torch.from_numpy(x), r).numpy())
        big = specials((2, c, h * r, w * r), dtype, seed=r + 10)
        got = refpool.pixel_unshuffle(big, r, engine=engine)
        assert_bitwise(got, F.pixel_unshuffle(torch.from_numpy(big), r).numpy())


def test_torch_reading_of_other_ranks_is_ndim_2():
    """torch shuffles the last two axes of any rank: (C, H, W) and (B1, B2, C, H, W);
    refpool's default reads x.ndim - 2 spatial axes, ndim=2 is torch's reading."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    chw = specials((8, 4, 5), np.float32, seed=1)
    assert_bitwise(refpool.pixel_shuffle(chw, 2, ndim=2),
                   F.pixel_shuffle(torch.from_numpy(chw), 2).numpy())
    assert refpool.pixel_shuffle(chw, 2).shape == (8, 2, 10)        # refpool's 1-D reading
    five = specials((2, 3, 4, 5, 6), np.float64, seed=2)
    assert_bitwise(refpool.pixel_shuffle(five, 2, ndim=2),
                   F.pixel_shuffle(torch.from_numpy(five), 2).numpy())
    big = specials((2, 3, 2, 4, 6), np.float64, seed=3)
    assert_bitwise(refpool.pixel_unshuffle(big, 2, ndim=2),
                   F.pixel_unshuffle(torch.from_numpy(big), 2).numpy())
    assert refpool.pixel_unshuffle(big, 2).shape == (2, 24, 1, 2, 3)  # refpool's 3-D


def test_torch_adapter_runs_the_2d_cases():
    pytest.importorskip("torch")
    from refpool.conformance import runner
    from refpool.conformance.adapters import torch as adapter
    from refpool.conformance import catalog
    builder = catalog._Builder()             # the family's own cases (catalog() needs every
    catalog.GENERATORS["shuffle"](builder)   # family's generator)
    cases = [c for c in builder.cases if c.op in ("pixel_shuffle", "pixel_unshuffle")]
    summary = runner.run(adapter, cases=cases).summary()
    for op in ("pixel_shuffle", "pixel_unshuffle"):
        assert summary[op]["passed"] == 14 and summary[op]["failed"] == 0, summary[op]
        assert summary[op]["unsupported"] == 22                       # the 1-D and 3-D cases


# --------------------------------------------------------------------------- ONNX
def _onnx_model(op, dtype, **attributes):
    from onnx import helper
    et = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], **attributes)], "g",
        [helper.make_tensor_value_info("x", et, None)],
        [helper.make_tensor_value_info("y", et, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _onnx_runs(model, x, runtime):
    if runtime == "reference":
        from onnx.reference import ReferenceEvaluator
        return ReferenceEvaluator(model).run(None, {"x": x})[0]
    import onnxruntime
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


# onnxruntime 1.32's CPU kernels take float, double, float16 and uint8
ONNX_DTYPES = [(np.float32, "onnxruntime"), (np.float64, "onnxruntime"),
               (np.float16, "onnxruntime"), (np.uint8, "onnxruntime"),
               (np.float32, "reference"), (np.int64, "reference"), (np.int32, "reference")]


@pytest.mark.parametrize("dtype, runtime", ONNX_DTYPES,
                         ids=[f"{np.dtype(d).name}-{rt}" for d, rt in ONNX_DTYPES])
def test_depth_to_space_and_space_to_depth_equal_onnx(dtype, runtime):
    pytest.importorskip("onnx")
    if runtime == "onnxruntime":
        pytest.importorskip("onnxruntime")
    from refpool.dialects.onnx import DepthToSpace, SpaceToDepth
    for r, c, (h, w) in [(2, 3, (3, 4)), (3, 1, (2, 2)), (1, 2, (2, 3))]:
        x = specials((2, c * r * r, h, w), dtype, seed=r)
        for mode in ("DCR", "CRD"):
            want = _onnx_runs(_onnx_model("DepthToSpace", dtype, blocksize=r, mode=mode), x,
                              runtime)
            assert_bitwise(refpool.depth_to_space(x, r, mode), want)
            assert_bitwise(refpool.depth_to_space(x, r, mode, engine="reference"), want)
            assert_bitwise(DepthToSpace(x, r, mode=mode), want)
        assert_bitwise(DepthToSpace(x, blocksize=r),            # ONNX's default mode
                       _onnx_runs(_onnx_model("DepthToSpace", dtype, blocksize=r), x, runtime))
        big = specials((2, c, h * r, w * r), dtype, seed=r + 5)
        want = _onnx_runs(_onnx_model("SpaceToDepth", dtype, blocksize=r), big, runtime)
        assert_bitwise(refpool.space_to_depth(big, r), want)
        assert_bitwise(refpool.space_to_depth(big, r, engine="reference"), want)
        assert_bitwise(SpaceToDepth(big, blocksize=r), want)


def test_onnx_dialect_is_strictly_four_d():
    from refpool.dialects.onnx import DepthToSpace, SpaceToDepth
    for fn, x in ((DepthToSpace, np.zeros((1, 4, 3))), (DepthToSpace, np.zeros((1, 8, 1, 1, 1))),
                  (SpaceToDepth, np.zeros((1, 1, 4))), (SpaceToDepth, np.zeros((2, 2)))):
        with pytest.raises(ValueError, match="input must be 4-D"):
            fn(x, 2)
    with pytest.raises(ValueError, match="mode"):
        DepthToSpace(np.zeros((1, 4, 1, 1)), 2, mode="dcr")
    with pytest.raises(ValueError, match="blocksize"):
        SpaceToDepth(np.zeros((1, 1, 3, 3)), 2)


# --------------------------------------------------------------------------- formulas, engines
@pytest.mark.differential
@pytest.mark.parametrize("op, mode, r, spatial", CASES, ids=CASE_IDS)
def test_engines_equal_the_reshape_statement_bitwise(op, mode, r, spatial):
    for c, dtype in ((1, np.float32), (2, np.float64)):
        x = specials(input_shape(op, c, r, spatial), dtype, seed=r + len(spatial))
        want = expected(op, x, r, mode or "DCR")
        for engine in ("reference", "cpu"):
            assert_bitwise(call(op, x, r, mode, engine=engine), want)


def test_two_d_rule_written_out():
    """y[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w] (CRD) and
    x[n, (i r + j) C + c, h, w] (DCR), element by element."""
    r, C, H, W = 3, 2, 2, 3
    x = np.random.default_rng(0).permutation(2 * C * r * r * H * W).reshape(2, C * r * r, H, W)
    crd = refpool.pixel_shuffle(x, r)
    dcr = refpool.depth_to_space(x, r)
    for n, c, h, w, i, j in itertools.product(range(2), range(C), range(H), range(W), range(r),
                                              range(r)):
        assert crd[n, c, h * r + i, w * r + j] == x[n, c * r * r + i * r + j, h, w]
        assert dcr[n, c, h * r + i, w * r + j] == x[n, (i * r + j) * C + c, h, w]
    assert_bitwise(refpool.space_to_depth(dcr, r), x)
    assert_bitwise(refpool.pixel_unshuffle(crd, r), x)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_round_trips_are_the_identity(nd):
    rng = np.random.default_rng(nd)
    for r in (1, 2, 3):
        spatial = (3, 2, 1)[:nd]
        x = specials((2, 2 * r ** nd) + spatial, np.float32, seed=r)
        big = specials((2, 2) + tuple(n * r for n in spatial), np.float64, seed=r)
        for engine in ("reference", "cpu"):
            assert_bitwise(refpool.pixel_unshuffle(refpool.pixel_shuffle(x, r, engine=engine),
                                                   r, engine=engine), x)
            assert_bitwise(refpool.pixel_shuffle(refpool.pixel_unshuffle(big, r, engine=engine),
                                                 r, engine=engine), big)
            assert_bitwise(refpool.space_to_depth(refpool.depth_to_space(x, r, engine=engine),
                                                  r, engine=engine), x)
            assert_bitwise(refpool.depth_to_space(refpool.space_to_depth(big, r, engine=engine),
                                                  r, engine=engine), big)
            assert_bitwise(refpool.pixel_unshuffle(
                refpool.depth_to_space(x, r, "CRD", engine=engine), r, engine=engine), x)
    ints = rng.integers(0, 256, (1, 1, 6, 6), dtype=np.uint8)
    assert_bitwise(refpool.pixel_shuffle(refpool.pixel_unshuffle(ints, 3), 3), ints)


def test_memory_layouts_and_out():
    x = specials((3, 8, 4, 6), np.float32, seed=4)
    want = np_shuffle(x, 2)
    for view in (np.asfortranarray(x), x[:, :, ::-1][:, :, ::-1], x.copy()[::1]):
        assert_bitwise(refpool.pixel_shuffle(view, 2), want)
    strided = np.zeros((3, 16, 4, 6), np.float32)[:, ::2]
    strided[...] = x
    assert_bitwise(refpool.pixel_shuffle(strided, 2), want)
    read_only = x.copy()
    read_only.flags.writeable = False
    assert_bitwise(refpool.pixel_shuffle(read_only, 2), want)
    out = np.empty((3, 2, 8, 12), np.float32)
    assert refpool.pixel_shuffle(x, 2, out=out) is out
    assert_bitwise(out, want)
    with pytest.raises(ValueError, match="out must have shape"):
        refpool.pixel_shuffle(x, 2, out=np.empty((3, 8, 4, 6), np.float32))


def test_empty_batch_and_channels():
    assert refpool.pixel_shuffle(np.zeros((0, 4, 2, 3)), 2).shape == (0, 1, 4, 6)
    assert refpool.pixel_unshuffle(np.zeros((2, 0, 4, 6)), 2).shape == (2, 0, 2, 3)
    assert refpool.depth_to_space(np.zeros((1, 0, 3)), 2).shape == (1, 0, 6)


# --------------------------------------------------------------------------- dtypes, layouts
@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_integers_are_exact(engine):
    rng = np.random.default_rng(5)
    u8 = rng.integers(0, 256, (2, 9, 3, 4), dtype=np.uint8)
    u8[0, 0, 0, :2] = (0, 255)
    assert_bitwise(refpool.pixel_shuffle(u8, 3, engine=engine), np_shuffle(u8, 3))
    top = 2 ** 53
    i64 = rng.integers(top - 50, top, (2, 2, 4, 6), endpoint=True, dtype=np.int64)
    i64[:, :, ::2] *= -1                     # both ends of the exact range, odd values
    for op in UP + DOWN:
        kw = {"mode": "CRD"} if op == "depth_to_space" else {}
        data = i64 if op in DOWN else i64.reshape(2, 8, 2, 3)
        assert_bitwise(call(op, data, 2, engine=engine, **kw),
                       expected(op, data, 2, kw.get("mode", "DCR")))
    for dtype in (np.int8, np.uint16, np.int32, np.uint32, np.uint64):
        info = np.iinfo(dtype)
        x = rng.integers(max(info.min, -2 ** 40), min(info.max, 2 ** 40), (1, 4, 2, 3),
                         endpoint=True).astype(dtype)
        assert_bitwise(refpool.depth_to_space(x, 2, engine=engine), np_shuffle(x, 2, True))


def test_int64_beyond_float64_precision_is_refused_naming_x():
    x = np.full((1, 4, 1, 1), 2 ** 53 + 1, np.int64)
    with pytest.raises(ValueError, match=r"2\*\*53"):
        refpool.pixel_shuffle(x, 2)


@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_float16_bitwise(engine):
    x = specials((2, 8, 3, 5), np.float16, seed=6)
    x.reshape(-1)[:4] = np.array([6.0e-8, -6.0e-8, 65504.0, -0.0], np.float16)  # subnormals
    assert_bitwise(refpool.pixel_shuffle(x, 2, engine=engine), np_shuffle(x, 2))
    assert_bitwise(refpool.space_to_depth(np_shuffle(x, 2), 2, engine=engine),
                   np_unshuffle(np_shuffle(x, 2), 2, True))


@pytest.mark.parametrize("op", UP + DOWN)
def test_layouts_with_ndim_and_channels_last(op):
    r = 2
    canonical = specials(input_shape(op, 2, r, (2, 3)), np.float64, seed=7)   # (2, C, H, W)
    want = call(op, canonical, r)
    batched = canonical.reshape((1, 2) + canonical.shape[1:])              # (1, 2, C, H, W)
    assert_bitwise(call(op, batched, r, ndim=2), want.reshape((1, 2) + want.shape[1:]))
    assert_bitwise(call(op, canonical[1], r, ndim=2), want[1])             # (C, H, W)
    hwc = np.ascontiguousarray(np.moveaxis(canonical, 1, -1))              # (N, H, W, C)
    got = call(op, hwc, r, channels_last=True)
    assert got.flags.c_contiguous
    assert_bitwise(got, np.moveaxis(want, 1, -1))
    assert_bitwise(call(op, hwc[0], r, ndim=2, channels_last=True), np.moveaxis(want[0], 0, -1))


def test_images_without_a_channel_axis():
    image = np.arange(24, dtype=np.uint8).reshape(4, 6)
    y = refpool.pixel_unshuffle(image, 2, ndim=2)              # gains a channel axis
    assert y.shape == (4, 2, 3)
    assert_bitwise(y, np_unshuffle(image[None, None], 2)[0])
    assert_bitwise(refpool.pixel_shuffle(image, 1, ndim=2), image)
    line = np.arange(6.0)
    assert_bitwise(refpool.space_to_depth(line, 3, ndim=1), np_unshuffle(line[None, None], 3,
                                                                          True)[0])


def test_torch_tensors_are_read():
    torch = pytest.importorskip("torch")
    t = torch.arange(16.0).reshape(1, 4, 2, 2)
    assert_bitwise(refpool.pixel_shuffle(t, 2),
                   torch.nn.functional.pixel_shuffle(t, 2).numpy())


# --------------------------------------------------------------------------- bad input
BAD = [
    # (op, x shape, kwargs, exception, message)
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=0), ValueError, "upscale_factor"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=-2), ValueError, "upscale_factor"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=2.0), TypeError, "upscale_factor"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=True), TypeError, "upscale_factor"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor="2"), TypeError, "upscale_factor"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=(2, 2)), TypeError, "upscale_factor"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=np.float32(2)), TypeError,
     "upscale_factor"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=10 ** 30), ValueError, "upscale_factor"),
    ("pixel_shuffle", (1, 6, 2, 2), dict(upscale_factor=2), ValueError,
     r"6 channels.*upscale_factor\*\*2 = 4"),
    ("pixel_shuffle", (1, 3, 2), dict(upscale_factor=2), ValueError, r"upscale_factor\*\*1 = 2"),
    ("pixel_shuffle", (1, 8, 2, 2, 2), dict(upscale_factor=2, ndim=2), ValueError,
     r"upscale_factor\*\*2"),
    ("pixel_shuffle", (1, 4, 0, 2), dict(upscale_factor=2), ValueError, "non-empty spatial"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=2, ndim=4), ValueError, "ndim"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=2, ndim=0), ValueError, "ndim"),
    ("pixel_shuffle", (1, 4, 1, 1, 2, 2), dict(upscale_factor=2), ValueError, "x must have"),
    ("pixel_shuffle", (4, 2), dict(upscale_factor=2), ValueError, "ndim"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=2, engine="gpu"), ValueError, "engine"),
    ("pixel_shuffle", (1, 4, 2, 2), dict(upscale_factor=2, channels_last=1), TypeError,
     "channels_last"),
    ("pixel_unshuffle", (1, 1, 3, 4), dict(downscale_factor=2), ValueError,
     r"downscale_factor=2.*axis 0 has length 3"),
    ("pixel_unshuffle", (1, 1, 4, 4), dict(downscale_factor=0), ValueError, "downscale_factor"),
    ("pixel_unshuffle", (1, 1, 4, 4), dict(downscale_factor=None), TypeError,
     "downscale_factor"),
    ("pixel_unshuffle", (1, 1, 4, 4), dict(downscale_factor=2 ** 40), ValueError,
     "downscale_factor"),
    ("depth_to_space", (1, 4, 2, 2), dict(blocksize=2, mode="dcr"), ValueError, "mode"),
    ("depth_to_space", (1, 4, 2, 2), dict(blocksize=2, mode="DRC"), ValueError, "mode"),
    ("depth_to_space", (1, 4, 2, 2), dict(blocksize=2, mode=None), TypeError, "mode"),
    ("depth_to_space", (1, 4, 2, 2), dict(blocksize=False), TypeError, "blocksize"),
    ("depth_to_space", (1, 9, 2, 2), dict(blocksize=2), ValueError, "blocksize"),
    ("space_to_depth", (1, 1, 4, 5), dict(blocksize=2), ValueError, "blocksize=2"),
    ("space_to_depth", (1, 1, 4, 4), dict(blocksize=-1), ValueError, "blocksize"),
    ("space_to_depth", (1, 1, 4, 4), dict(blocksize=1.5), TypeError, "blocksize"),
]


@pytest.mark.parametrize("op, shape, kwargs, error, message", BAD,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_are_refused_before_any_kernel(op, shape, kwargs, error, message,
                                                     monkeypatch):
    ran = []
    monkeypatch.setattr(Launch, "run", lambda self, *a: ran.append(a))
    x = np.random.default_rng(0).standard_normal(shape)
    before = x.copy()
    with pytest.raises(error, match=message):
        getattr(refpool, op)(x, **kwargs)
    assert not ran
    assert_bitwise(x, before)


def test_bad_dtypes_and_non_arrays():
    for x in (np.zeros((1, 4, 2, 2), bool), np.zeros((1, 4, 2, 2), np.complex64)):
        with pytest.raises(TypeError, match="x must have dtype"):
            refpool.pixel_shuffle(x, 2)
    with pytest.raises(TypeError, match="x must be an array"):
        refpool.depth_to_space([[[[1.0]]]], 1)


def test_input_is_never_modified():
    for op in UP + DOWN:
        x = specials(input_shape(op, 2, 2, (2, 3)), np.float32, seed=8)
        before = x.copy()
        for engine in ("reference", "cpu"):
            call(op, x, 2, engine=engine)
            call(op, np.ascontiguousarray(np.moveaxis(x, 1, -1)), 2, channels_last=True,
                 engine=engine)
        assert_bitwise(x, before)


# --------------------------------------------------------------------------- exactness
def grid_transform(z, g, k):
    """T_g on the last ``k`` axes: the transposition and reversals of
    :func:`refpool.equivariance.rules.axis_action` (as FieldType.transform moves the
    grid; checked against it in test_grid_transform_is_field_type_transform)."""
    perm, reverse = axis_action(g, k)
    lead = z.ndim - k
    moved = z.transpose(tuple(range(lead)) + tuple(lead + p for p in perm))
    return moved[(Ellipsis,) + tuple(slice(None, None, -1) if r else slice(None)
                                     for r in reverse)]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_grid_transform_is_field_type_transform(k):
    x = specials((2, 3) + (3, 2, 4)[:k], np.float64, seed=k)
    group = grid_group(k)
    field = FieldType(group, [group.trivial_representation] * 3)
    for g in group.elements:
        assert_bitwise(grid_transform(x, g, k), field.transform(x, g))


def _holds(op, x, r, mode, g, k, permute, engine):
    kwargs = {FACTOR[op]: r}
    if mode is not None:
        kwargs["mode"] = mode
    fn = getattr(refpool, op)
    p = induced_channel_permutation(fn, g, x.shape, **kwargs) if permute else \
        np.arange(x.shape[1] * (r ** k if op in DOWN else 1))
    if op in UP:            # op(T_g P_g x) == T_g op(x)
        lhs = fn(np.ascontiguousarray(grid_transform(x[:, p], g, k)), **kwargs, engine=engine)
        rhs = grid_transform(fn(x, **kwargs, engine=engine), g, k)
    else:                   # op(T_g x) == T_g P_g op(x)
        lhs = fn(np.ascontiguousarray(grid_transform(x, g, k)), **kwargs, engine=engine)
        rhs = grid_transform(fn(x, **kwargs, engine=engine)[:, p], g, k)
    return lhs.shape == rhs.shape and bits(lhs) == bits(rhs)


@pytest.mark.parametrize("op, mode, r, spatial", CASES, ids=CASE_IDS)
def test_exact_symmetries_claim_equals_measurement(op, mode, r, spatial):
    """Claimed (exact_symmetries) = measured with the induced channel permutation, on
    random data with distinct values, for every element of the grid group; without
    the permutation only the identity holds (r >= 2), or everything (r = 1)."""
    k = len(spatial)
    shape = input_shape(op, 2, r, spatial)
    rng = np.random.default_rng(r * 10 + k)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64)
    kwargs = {FACTOR[op]: r}
    if mode is not None:
        kwargs["mode"] = mode
    claimed = refpool.exact_symmetries(getattr(refpool, op), shape, **kwargs)
    elements = list(grid_group(k).elements)
    assert claimed == elements
    engines = ("cpu", "reference") if k < 3 else ("cpu",)
    for engine in engines:
        measured = [g for g in elements if _holds(op, x, r, mode, g, k, True, engine)]
        assert measured == claimed
    plain = [g for g in elements if _holds(op, x, r, mode, g, k, False, "cpu")]
    assert plain == (elements if r == 1 else [grid_group(k).identity])


def test_induced_permutation_in_2d():
    """CRD, r = 2: block (i, j) is channel 2 i + j; a left-right mirror swaps j, a
    transposition swaps i and j.  DCR moves whole groups of C channels."""
    d4 = grid_group(2)
    mirrors = [g for g in d4.elements if axis_action(g, 2) == ((0, 1), (False, True))]
    transposes = [g for g in d4.elements if axis_action(g, 2) == ((1, 0), (False, False))]
    assert len(mirrors) == len(transposes) == 1
    p = induced_channel_permutation(refpool.pixel_shuffle, mirrors[0], (1, 8, 3, 3),
                                    upscale_factor=2)
    assert p.tolist() == [1, 0, 3, 2, 5, 4, 7, 6]
    p = induced_channel_permutation("pixel_shuffle", transposes[0], (1, 4, 3, 3),
                                    upscale_factor=2)
    assert p.tolist() == [0, 2, 1, 3]
    p = induced_channel_permutation(refpool.depth_to_space, mirrors[0], (1, 8, 3, 3),
                                    blocksize=2)
    assert p.tolist() == [2, 3, 0, 1, 6, 7, 4, 5]
    # an unshuffle's permutation acts on its output's C r^k channels
    p = induced_channel_permutation(refpool.space_to_depth, mirrors[0], (1, 3, 4, 4),
                                    blocksize=2)
    assert sorted(p.tolist()) == list(range(12))
    # layouts are read as exact_symmetries reads them
    assert induced_channel_permutation(refpool.pixel_shuffle, mirrors[0], (3, 3, 8),
                                       upscale_factor=2, ndim=2, channels_last=True).tolist() \
        == [1, 0, 3, 2, 5, 4, 7, 6]
    # other operators: the identity
    assert induced_channel_permutation(refpool.max_pool, mirrors[0], (1, 3, 4, 4),
                                       kernel_size=2).tolist() == [0, 1, 2]


def test_induced_permutation_refuses_bad_calls():
    d4, flip = grid_group(2), grid_group(1)
    with pytest.raises(ValueError, match="grid group"):
        induced_channel_permutation(refpool.pixel_shuffle, flip.elements[1], (1, 4, 3, 3),
                                    upscale_factor=2)
    with pytest.raises(ValueError, match="grid group"):
        induced_channel_permutation(refpool.pixel_shuffle, d4.elements[1], (1, 4, 3),
                                    upscale_factor=2)
    with pytest.raises(ValueError, match="channels"):
        induced_channel_permutation(refpool.pixel_shuffle, d4.elements[1], (1, 6, 3, 3),
                                    upscale_factor=2)
    with pytest.raises(ValueError, match="downscale_factor"):
        induced_channel_permutation(refpool.pixel_unshuffle, d4.elements[1], (1, 1, 3, 4),
                                    downscale_factor=2)
    with pytest.raises(TypeError, match="upscale"):
        induced_channel_permutation(refpool.pixel_shuffle, d4.elements[1], (1, 4, 3, 3),
                                    upscale=2)
    with pytest.raises(ValueError, match="downscale_factor"):
        refpool.exact_symmetries(refpool.pixel_unshuffle, (1, 1, 3, 4), downscale_factor=2)


# --------------------------------------------------------------------------- Dask
@pytest.mark.parametrize("op", UP + DOWN)
def test_dask_equals_in_memory_for_random_chunkings(op):
    da = pytest.importorskip("dask.array")
    import dask
    import refpool.dask as rd
    rng = np.random.default_rng(UP.index(op) if op in UP else 5 + DOWN.index(op))
    with dask.config.set(scheduler="synchronous"):
        for trial in range(6):
            k = int(rng.integers(1, 4))
            r = int(rng.integers(1, 4 if k < 3 else 3))
            spatial = tuple(int(rng.integers(1, 5)) for _ in range(k))
            x = specials(input_shape(op, int(rng.integers(1, 3)), r, spatial),
                         [np.float32, np.uint8, np.float64][trial % 3], seed=trial)
            chunks = tuple(tuple(_random_chunks(n, rng)) for n in x.shape)
            mode = ["DCR", "CRD"][trial % 2] if op == "depth_to_space" else None
            want = call(op, x, r, mode)
            kwargs = {FACTOR[op]: r, **({"mode": mode} if mode else {})}
            got = getattr(rd, op)(da.from_array(x, chunks=chunks), **kwargs)
            assert isinstance(got, da.Array) and got.shape == want.shape
            assert_bitwise(got.compute(), want)
        hwc = specials((6, 4, 3) if op in DOWN else (3, 2, 12), np.float64, seed=9)
        kwargs = {FACTOR[op]: 2}
        want = getattr(refpool, op)(hwc, **kwargs, ndim=2, channels_last=True)
        got = getattr(rd, op)(da.from_array(hwc, chunks=(1, 3, 5)), **kwargs, ndim=2,
                              channels_last=True)
        assert_bitwise(got.compute(), want)


def _random_chunks(n, rng):
    sizes, left = [], n
    while left:
        c = min(left, int(rng.integers(1, max(2, n // 2 + 2))))
        sizes.append(c)
        left -= c
    return sizes or [0]


def test_dask_errors_match_the_top_level():
    da = pytest.importorskip("dask.array")
    import refpool.dask as rd
    x = da.zeros((1, 6, 4, 4), chunks=2)
    for fn, args, error, message in [
            (rd.pixel_shuffle, (2,), ValueError, r"upscale_factor\*\*2"),
            (rd.pixel_shuffle, (0,), ValueError, "upscale_factor"),
            (rd.pixel_unshuffle, (3,), ValueError, "downscale_factor=3"),
            (rd.depth_to_space, (1, "crd"), ValueError, "mode"),
            (rd.space_to_depth, (True,), TypeError, "blocksize")]:
        with pytest.raises(error, match=message):
            fn(x, *args)
    with pytest.raises(TypeError, match="out"):
        rd.pixel_unshuffle(x, 2, out=np.empty((1, 24, 2, 2)))
    with pytest.raises(TypeError, match="dask.array.Array"):
        rd.pixel_shuffle(np.zeros((1, 4, 2, 2)), 2)


# --------------------------------------------------------------------------- CUDA (simulator)
@pytest.mark.cuda
def test_cuda_engine_bitwise_on_tiny_inputs():
    from numba import cuda
    for op, mode, r, spatial in [("pixel_shuffle", None, 2, (2, 1)),
                                 ("depth_to_space", "DCR", 2, (1, 2)),
                                 ("depth_to_space", "CRD", 3, (2,)),
                                 ("pixel_unshuffle", None, 2, (1, 1, 2)),
                                 ("space_to_depth", None, 2, (1, 2))]:
        x = specials((1,) + input_shape(op, 2, r, spatial)[1:], np.float32, seed=r)
        want = expected(op, x, r, mode or "DCR")
        assert_bitwise(call(op, x, r, mode, engine="cuda"), want)
        got = call(op, cuda.to_device(x), r, mode)                 # device in, device out
        assert hasattr(got, "copy_to_host")
        assert_bitwise(got.copy_to_host(), want)
    ints = np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4)
    assert_bitwise(refpool.pixel_unshuffle(ints, 2, engine="cuda"), np_unshuffle(ints, 2))
