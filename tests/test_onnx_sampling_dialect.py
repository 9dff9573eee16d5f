"""refpool.dialects.onnx GridSample and AffineGrid against onnxruntime and the ONNX
reference evaluator (``onnx.reference.ReferenceEvaluator``), opset 20.

A generated grid of cases (every mode x padding x align_corners, 2-D and 3-D,
float32 and float64, points on the borders, just outside, far outside, 1x1 inputs)
is compared with both peers.  Where a peer disagrees with refpool (torch's
semantics), the case is excluded from the generic comparison by a named predicate
and a separate test asserts the peer's own value, with its source.  The list is in
docs/sampling.rst, "ONNX dialect".
"""

import doctest
import itertools

import numpy as np
import pytest

from refpool.dialects.onnx import AffineGrid, GridSample
from refpool.dialects.onnx import sampling as dialect

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

pytestmark = pytest.mark.peers

TYPES = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE}
MODES = ("linear", "nearest", "cubic")
PADDINGS = ("zeros", "border", "reflection")
#: normalised coordinates: centre, borders, just outside, ties, far outside
VALUES_2D = (-1.0, 1.0, 0.0, -17.5, -2.25, 3.1, 1.5, -1.5, 0.37, -0.8, -1.0000001)
VALUES_3D = (-1.0, 1.0, -17.5, 3.1, 1.5, -1.5, 0.37, -1.0000001)
SHAPES = {2: ((4, 5), (1, 1), (1, 3)), 3: ((3, 4, 2), (1, 1, 1))}


# ------------------------------------------------------------------ peers
def _model(op, dtype, inputs, **attrs):
    ints = {"S": TensorProto.INT64}
    node = helper.make_node(op, list(inputs), ["Y"], **attrs)
    graph = helper.make_graph(
        [node], op,
        [helper.make_tensor_value_info(n, ints.get(n, TYPES[dtype]), None) for n in inputs],
        [helper.make_tensor_value_info("Y", TYPES[dtype], None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def _ort(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


def _ref(model, feeds):
    return ReferenceEvaluator(model).run(None, feeds)[0]


def _grid_sample_peers(x, grid, **attrs):
    model = _model("GridSample", x.dtype.type, ("X", "G"), **attrs)
    feeds = {"X": x, "G": grid}
    return model, feeds


def _points(nd):
    values = VALUES_2D if nd == 2 else VALUES_3D
    pts = np.array(list(itertools.product(values, repeat=nd)))
    return pts.reshape((1,) * (nd - 1) + (len(pts), nd))


def _pixel(u, n, align):
    """The pixel coordinate of normalised ``u`` on an axis of ``n`` (float64)."""
    return (u + 1) / 2 * (n - 1) if align else ((u + 1) * n - 1) / 2


def _case(nd, dtype, spatial, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2) + spatial).astype(dtype)
    grid = _points(nd).astype(dtype)[None]
    return x, grid


def _pixels(grid, spatial, align):
    """(points, nd) pixel coordinates, in the order of ``spatial``."""
    pts = grid.reshape(-1, len(spatial)).astype(np.float64)[:, ::-1]
    return np.stack([_pixel(pts[:, i], n, align) for i, n in enumerate(spatial)], axis=1)


# ------------------------------------------------------------------ divergence predicates
def _nearest_reflection_tie_outside(mode, padding, align, p, spatial):
    """ORT and the ONNX reference round a nearest point (to even) *before* reflecting it
    (op_grid_sample.py: ``np.rint`` then ``_gs_reflect``; ORT's GridSample kernel
    likewise), torch and refpool reflect and then round: a half-integer pixel
    coordinate outside the input may land on the neighbouring pixel."""
    if not (mode == "nearest" and padding == "reflection" and not align):
        return np.zeros(len(p), bool)
    n = np.array(spatial, np.float64)
    tie = np.abs(p - np.floor(p) - 0.5) < 1e-9
    outside = (p < -0.5) | (p > n - 0.5)
    return (tie & outside).any(axis=1)


def _cubic_border_outside(mode, padding, align, p, spatial):
    """The ONNX reference clamps a cubic point outside ``[x_min, x_max]`` to the border
    before taking its 4 x 4 taps (op_grid_sample.py ``_run``: the padding rule is
    applied to the point for every mode); torch, refpool and ORT pad each tap."""
    if not (mode == "cubic" and padding == "border"):
        return np.zeros(len(p), bool)
    n = np.array(spatial, np.float64)
    lo, hi = (0.0, n - 1) if align else (-0.5, n - 0.5)
    return ((p < lo) | (p > hi)).any(axis=1)


def _reference_raises(mode, padding, align, spatial):
    """op_grid_sample.py ``_gs_reflect`` divides by the axis span ``x_max - x_min``,
    0 on an axis of length 1 with align_corners=1: a linear or cubic tap outside it
    raises (``int(inf)``)."""
    return (padding == "reflection" and align and mode != "nearest" and min(spatial) == 1)


CASES = [(nd, dtype, spatial, mode, padding, align)
         for nd in (2, 3) for dtype in (np.float32, np.float64) for spatial in SHAPES[nd]
         for mode in MODES for padding in PADDINGS for align in (0, 1)
         if not (nd == 3 and mode == "cubic")]


def _ids(case):
    nd, dtype, spatial, mode, padding, align = case
    return f"{dtype.__name__}-{'x'.join(map(str, spatial))}-{mode}-{padding}-ac{align}"


def _tols(dtype):
    return dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_grid_sample_against_onnxruntime_and_reference(case):
    nd, dtype, spatial, mode, padding, align = case
    x, grid = _case(nd, dtype, spatial)
    attrs = dict(mode=mode, padding_mode=padding, align_corners=align)
    got = GridSample(x, grid, **attrs)
    assert got.dtype == x.dtype and got.shape == (1, 2) + grid.shape[1:-1]
    model, feeds = _grid_sample_peers(x, grid, **attrs)
    p = _pixels(grid, spatial, align)
    flat = got.reshape(2, -1)
    tie = _nearest_reflection_tie_outside(mode, padding, align, p, spatial)
    # onnxruntime: float32 to float32 rounding, float64 to 1e-12
    ort_y = _ort(model, feeds).reshape(2, -1)
    np.testing.assert_allclose(flat[:, ~tie], ort_y[:, ~tie], **_tols(dtype))
    # the ONNX reference computes the pixel coordinates in float32 (op_grid_sample.py
    # ``_gs_denormalize_coordinates``), so float64 agrees to float32 rounding only
    if _reference_raises(mode, padding, align, spatial):
        with pytest.raises(OverflowError), np.errstate(divide="ignore"):
            _ref(model, feeds)
        return
    ref_y = _ref(model, feeds).reshape(2, -1)
    skip = tie | _cubic_border_outside(mode, padding, align, p, spatial)
    np.testing.assert_allclose(flat[:, ~skip], ref_y[:, ~skip], rtol=2e-5, atol=2e-5)


# ------------------------------------------------------------------ known divergences
def test_divergence_nearest_reflection_rounds_before_reflecting():
    """-17.5 on an axis of 4 (align_corners=0): pixel -33.5.  refpool (torch) reflects
    about the edges -1/2, 7/2 to 0.5 and rounds to even: row 0.  onnxruntime and the ONNX
    reference (op_grid_sample.py: ``np.rint`` before ``_gs_reflect``) round to -34 and
    reflect to 1.0: row 1.  Likewise 1.5 (pixel 4.5): refpool row 2, the peers row 3."""
    x = np.arange(4.0).reshape(1, 1, 4, 1) * 10
    grid = np.array([[[[0.0, -17.5]], [[0.0, 1.5]], [[0.0, 0.75]]]])
    attrs = dict(mode="nearest", padding_mode="reflection", align_corners=0)
    got = GridSample(x, grid, **attrs)
    model, feeds = _grid_sample_peers(x, grid, **attrs)
    assert got.ravel().tolist() == [0.0, 20.0, 30.0]
    assert _ort(model, feeds).ravel().tolist() == [10.0, 30.0, 30.0]      # ORT behaviour
    assert _ref(model, feeds).ravel().tolist() == [10.0, 30.0, 30.0]      # op_grid_sample.py


def test_divergence_reference_cubic_clamps_the_point():
    """Cubic with border padding: the ONNX reference clamps the point to the border
    (op_grid_sample.py ``_run``) and reads pixel 3 exactly; refpool, torch and
    onnxruntime clamp each of the 4 taps around pixel coordinate 3.75."""
    x = np.array([0.0, 1.0, 8.0, 27.0]).reshape(1, 1, 4, 1)
    grid = np.array([[[[0.0, 1.5]]]])                     # align_corners=1: pixel 3.75
    attrs = dict(mode="cubic", padding_mode="border", align_corners=1)
    got = GridSample(x, grid, **attrs)
    model, feeds = _grid_sample_peers(x, grid, **attrs)
    np.testing.assert_allclose(_ort(model, feeds), got, rtol=1e-12)
    assert _ref(model, feeds).item() == 27.0                                # op_grid_sample.py
    assert abs(got.item() - 27.0) > 0.5


def test_divergence_reference_reflection_on_a_length_one_axis_raises():
    """op_grid_sample.py ``_gs_reflect``: span 0 on a 1 x 1 input with align_corners=1,
    ``int(dx / 0)`` raises; refpool (torch) and onnxruntime read the only pixel."""
    x = np.array([[[[5.0]]]])
    grid = np.array([[[[0.3, -0.4]]]])
    attrs = dict(mode="linear", padding_mode="reflection", align_corners=1)
    model, feeds = _grid_sample_peers(x, grid, **attrs)
    assert GridSample(x, grid, **attrs).item() == 5.0
    assert _ort(model, feeds).item() == 5.0
    with pytest.raises(OverflowError), np.errstate(divide="ignore"):
        _ref(model, feeds)


def test_divergence_reference_float64_coordinates_in_float32():
    """op_grid_sample.py ``_gs_denormalize_coordinates`` stores the pixel coordinates in
    float32: a float64 call differs from refpool by float32 rounding, onnxruntime does
    not."""
    x = np.array([[[[0.0, 1.0, 2.0, 3.0]]]])
    grid = np.array([[[[0.37, 0.0]]]])
    attrs = dict(mode="linear", padding_mode="zeros", align_corners=0)
    got = GridSample(x, grid, **attrs)
    model, feeds = _grid_sample_peers(x, grid, **attrs)
    np.testing.assert_allclose(_ort(model, feeds), got, rtol=1e-14)
    ref_y = _ref(model, feeds)
    assert ref_y.dtype == np.float64
    assert 1e-12 < abs(ref_y.item() - got.item()) < 1e-6
    assert ref_y.item() == float(np.float32(((0.37 + 1) * 4 - 1) / 2))


# ------------------------------------------------------------------ AffineGrid
AG_SHAPES = {2: ((3, 5), (1, 4), (7, 1), (1, 1)), 3: ((2, 3, 4), (1, 2, 3), (1, 1, 1))}
AG_CASES = [(nd, dtype, spatial, align) for nd in (2, 3) for dtype in (np.float32, np.float64)
            for spatial in AG_SHAPES[nd] for align in (0, 1)]


def _peer_theta(theta, spatial, align, at):
    """With align_corners=1 the single pixel of a length-1 axis is at 0 in torch and
    refpool, at -1 in the ONNX reference (op_affine_grid.py ``construct_original_grid``:
    ``np.arange(-1, 1.0001, 2 / 0)``) and at +1 in onnxruntime (ORT behaviour).  The
    peer's grid is refpool's for a theta whose translation absorbs ``at`` times that
    axis' column."""
    t = theta.astype(np.float64).copy()
    if align:
        nd = len(spatial)
        for i, n in enumerate(spatial):
            if n == 1:
                t[:, :, -1] += at * t[:, :, nd - 1 - i]
    return t


@pytest.mark.parametrize("case", AG_CASES, ids=[
    f"{nd}d-{dt.__name__}-{'x'.join(map(str, s))}-ac{a}" for nd, dt, s, a in AG_CASES])
def test_affine_grid_against_onnxruntime_and_reference(case):
    nd, dtype, spatial, align = case
    theta = np.random.default_rng(1).standard_normal((2, nd, nd + 1)).astype(dtype)
    size = np.array((2, 3) + spatial, np.int64)
    got = AffineGrid(theta, size, align_corners=align)
    assert got.dtype == dtype and got.shape == (2,) + spatial + (nd,)
    model = _model("AffineGrid", dtype, ("T", "S"), align_corners=align)
    feeds = {"T": theta, "S": size}
    want = AffineGrid(_peer_theta(theta, spatial, align, +1.0), size, align_corners=align)
    ort_y = _ort(model, feeds)
    assert ort_y.dtype == dtype
    np.testing.assert_allclose(ort_y, want, **_tols(dtype))
    if align and 1 in spatial:
        assert not np.allclose(ort_y, got)
    else:
        np.testing.assert_allclose(ort_y, got, **_tols(dtype))
    with np.errstate(divide="ignore"):
        ref_y = _ref(model, feeds)
    # op_affine_grid.py ``apply_affine_transform`` returns float32 whatever theta's type
    assert ref_y.dtype == np.float32
    want = AffineGrid(_peer_theta(theta, spatial, align, -1.0), size, align_corners=align)
    np.testing.assert_allclose(ref_y, want, rtol=2e-6, atol=2e-6)


def test_divergence_affine_grid_length_one_axis_with_align_corners():
    """A 1 x 1 grid of the identity with align_corners=1: refpool and torch put the
    pixel at (0, 0), onnxruntime at (1, 1) (ORT behaviour), the ONNX reference at
    (-1, -1) (op_affine_grid.py ``construct_original_grid``)."""
    theta = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    size = np.array([1, 1, 1, 1], np.int64)
    model = _model("AffineGrid", np.float64, ("T", "S"), align_corners=1)
    feeds = {"T": theta, "S": size}
    assert AffineGrid(theta, size, align_corners=1).ravel().tolist() == [0.0, 0.0]
    assert _ort(model, feeds).ravel().tolist() == [1.0, 1.0]                # ORT behaviour
    with np.errstate(divide="ignore"):
        assert _ref(model, feeds).ravel().tolist() == [-1.0, -1.0]          # op_affine_grid.py


def test_node_test_gridsample_bicubic_expected_is_rounded_by_hand():
    """onnx's backend node test ``test_gridsample_bicubic`` ships its expected output
    rounded to four decimals (``1.7556`` for ``1.75555``); onnxruntime computes what
    refpool computes."""
    import warnings
    import onnx.backend.test.case.node as node_cases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node_cases.collect_testcases(None)
    case, = [c for c in cases if c.name == "test_gridsample_bicubic"]
    (inputs, expected), = case.data_sets
    got = GridSample(*inputs, mode="cubic")
    names = [i.name for i in case.model.graph.input]
    np.testing.assert_allclose(got, _ort(case.model, dict(zip(names, inputs))), rtol=2e-6)
    np.testing.assert_array_equal(expected[0], np.round(expected[0].astype(np.float64), 4)
                                  .astype(np.float32))
    np.testing.assert_allclose(got, expected[0], atol=1e-4)
    assert not np.allclose(got, expected[0], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ the dialect's own rules
def test_opset16_mode_names_and_defaults():
    s16 = onnx.defs.get_schema("GridSample", 16)
    s20 = onnx.defs.get_schema("GridSample", 20)
    assert s16.attributes["mode"].default_value.s == b"bilinear"
    assert s20.attributes["mode"].default_value.s == b"linear"
    x, grid = _case(2, np.float64, (4, 5))
    for old, new in (("bilinear", "linear"), ("bicubic", "cubic")):
        np.testing.assert_array_equal(GridSample(x, grid, mode=old), GridSample(x, grid, mode=new))
    np.testing.assert_array_equal(GridSample(x, grid),
                                  GridSample(x, grid, mode="linear", padding_mode="zeros",
                                             align_corners=0))
    assert GridSample(x, grid, mode=b"nearest").shape == (1, 2, 1, len(VALUES_2D) ** 2)


def test_refusals_name_the_argument():
    x2 = np.zeros((1, 1, 2, 2))
    g2 = np.zeros((1, 1, 1, 2))
    with pytest.raises(ValueError, match="X must be .*2 and 3 spatial axes"):
        GridSample(np.zeros((1, 1, 4)), np.zeros((1, 1, 1)))
    with pytest.raises(ValueError, match="X must be .*2 and 3 spatial axes"):
        GridSample(np.zeros((1, 1, 2, 2, 2, 2)), np.zeros((1, 1, 1, 1, 1, 4)))
    with pytest.raises(ValueError, match="mode='cubic' needs a 2-D X"):
        GridSample(np.zeros((1, 1, 2, 2, 2)), np.zeros((1, 1, 1, 1, 3)), mode="cubic")
    with pytest.raises(ValueError, match="mode must be one of"):
        GridSample(x2, g2, mode="area")
    with pytest.raises(TypeError, match="mode must be a string"):
        GridSample(x2, g2, mode=1)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        GridSample(x2, g2, padding_mode="wrap")
    with pytest.raises(ValueError, match="align_corners must be 0 or 1"):
        GridSample(x2, g2, align_corners=2)
    with pytest.raises(TypeError, match="align_corners must be 0 or 1"):
        GridSample(x2, g2, align_corners="1")
    theta = np.zeros((1, 2, 3))
    with pytest.raises(ValueError, match="size must be .*2 and 3 spatial axes"):
        AffineGrid(theta, [1, 1, 4])
    with pytest.raises(TypeError, match="size must be a 1-D integer tensor"):
        AffineGrid(theta, [1.0, 1.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="align_corners must be 0 or 1"):
        AffineGrid(theta, [1, 1, 2, 2], align_corners=-1)
    with pytest.raises(ValueError, match="theta"):
        AffineGrid(theta, [1, 1, 2, 2, 2])


def test_docstring_examples():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(dialect) if t.examples]
    assert {t.name.rsplit(".", 1)[-1] for t in tests} >= {"GridSample", "AffineGrid"}
    for t in tests:
        runner.run(t)
    assert runner.failures == 0
