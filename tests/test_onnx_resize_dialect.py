"""refpool.dialects.onnx.Resize / Upsample against onnxruntime and ONNX's reference
evaluator, over a generated grid (docs/resample.rst, "ONNX dialect").

Every case runs the one-node model in both runtimes.  Where they agree the dialect must
agree with both.  Where they disagree the case falls in one of the documented
categories below, each naming the runtime refpool follows (the specification's
reading); an uncategorised disagreement fails the test.
"""

import itertools
import math
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from refpool._geometry import source_coordinates  # noqa: E402
from refpool.dialects.onnx import Resize, Upsample  # noqa: E402

ort.set_default_logger_severity(4)

CTMS = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
        "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize")
NEAREST = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
ROI = [0.0, 0.0, 0.1, 0.2, 1.0, 1.0, 0.8, 1.1]


def _model(op, shape, inputs, attrs, opset):
    node = helper.make_node(op, [name for name, _ in inputs], ["Y"], **attrs)
    while node.input and node.input[-1] == "":
        node.input.pop()
    info = [helper.make_tensor_value_info(name, TensorProto.INT64 if a.dtype == np.int64
                                          else TensorProto.FLOAT, a.shape)
            for name, a in inputs if name]
    graph = helper.make_graph([node], "g", info,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _runtimes(model, feeds):
    """(evaluator output or None where it refuses, onnxruntime output or None)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref = ReferenceEvaluator(model).run(None, feeds)[0]
        except Exception:       # the evaluator lacks tf_half_pixel_for_nn
            ref = None
    try:
        session = ort.InferenceSession(model.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        rt = session.run(None, feeds)[0]
    except Exception:           # onnxruntime refuses linear + exclude_outside
        rt = None
    return ref, rt


def _same(a, b):
    return b is not None and a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-5)


def _resize_case(X, roi=None, scales=None, sizes=None, **attrs):
    inputs = [("X", X), ("roi" if roi is not None else "", roi),
              ("scales" if scales is not None else "", scales),
              ("sizes" if sizes is not None else "", sizes)]
    model = _model("Resize", X.shape, inputs, attrs, 19)
    feeds = {name: a for name, a in inputs if name}
    got = Resize(X, roi, scales, sizes, engine="reference", **attrs)
    return got, _runtimes(model, feeds)


def _near_boundary(n, m, s, ctm, roi, nearest_mode):
    """Whether a nearest source coordinate of the axis lies within float32 rounding of
    a rounding boundary (onnxruntime computes the coordinates in float32)."""
    x = source_coordinates(ctm, n, m, s, 0.0, roi)
    frac = x - np.floor(x)
    edge = 0.5 if nearest_mode.startswith("round") else 0.0
    return bool(np.any(np.abs(frac - edge) < 1e-5) or np.any(np.abs(frac - 1 - edge) < 1e-5))


def _fractional(n, s):
    return not float(n * s).is_integer()


def _grid():
    for mode, ctm in itertools.product(("nearest", "linear", "cubic"), CTMS):
        yield pytest.param(mode, ctm, id=f"{mode}-{ctm}")


@pytest.mark.peers
@pytest.mark.parametrize("mode, ctm", list(_grid()))
def test_resize_grid_against_both_runtimes(mode, ctm):
    rng = np.random.default_rng(hash((mode, ctm)) % 2 ** 32)
    flags = [(0, 0)] if mode == "nearest" else [(0, 0), (1, 0), (0, 1), (1, 1)]
    nearest_modes = NEAREST if mode == "nearest" else NEAREST[:1]
    checked = {"both": 0, "evaluator": 0, "onnxruntime": 0}
    for n, sc, (aa, ex), nm, kind in itertools.product(
            (1, 2, 3, 5, 7), (0.34, 0.5, 0.6, 1.0, 1.5, 2.7, 3.0), flags, nearest_modes,
            ("scales", "sizes")):
        if math.floor(n * np.float32(sc)) < 1:
            continue
        X = rng.standard_normal((1, 2, n, 4)).astype(np.float32)
        roi = np.array(ROI, np.float32) if ctm == "tf_crop_and_resize" else None
        if kind == "scales":
            scales, sizes = np.array([1, 1, sc, 1.5], np.float32), None
            s = float(np.float32(sc))
            m = math.floor(n * s)
        else:
            m = max(1, round(n * sc))
            scales, sizes = None, np.array([1, 2, m, 3], np.int64)
            s = m / n
        got, (ref, rt) = _resize_case(X, roi, scales, sizes, mode=mode,
                                      coordinate_transformation_mode=ctm, antialias=aa,
                                      exclude_outside=ex, nearest_mode=nm)
        axis_roi = (float(roi[2]), float(roi[6])) if roi is not None else (0.0, 1.0)
        # which runtime the case can be compared with (docs/resample.rst, ONNX dialect)
        use_ref = use_rt = True
        if ref is None or (ctm in ("align_corners", "tf_crop_and_resize") and kind == "scales"
                           and _fractional(n, s)):
            use_ref = False     # evaluator: no tf_half_pixel_for_nn; length n*s, not m
        if ctm == "pytorch_half_pixel" and m == 1:
            use_ref = False     # evaluator: coordinate -0.5, the specification says 0
        if ctm == "half_pixel_symmetric" and kind == "scales" and _fractional(n, s):
            use_ref = False     # evaluator: picks the wrong neighbour at x = 1 - 1e-16
        if rt is None:
            use_rt = False      # onnxruntime refuses exclude_outside with plain linear
        if ctm == "tf_crop_and_resize" and m == n and s == 1:
            use_rt = False      # onnxruntime skips the axis, ignoring the roi
        if mode == "nearest" and (_near_boundary(n, m, s, ctm, axis_roi, nm)
                                  or _near_boundary(4, 6 if kind == "scales" else 3,
                                                    1.5 if kind == "scales" else 0.75,
                                                    ctm, (0.2, 1.1), nm)):
            use_rt = False      # onnxruntime's float32 coordinates round across the edge
            if ctm == "tf_crop_and_resize":
                use_ref = False     # so do the evaluator's for the float32 roi
        label = (n, sc, kind, aa, ex, nm)
        if use_ref:
            assert _same(got, ref), ("evaluator", label, got, ref)
        if use_rt:
            assert _same(got, rt), ("onnxruntime", label, got, rt)
        checked["both" if use_ref and use_rt else "evaluator" if use_ref
                else "onnxruntime" if use_rt else "both"] += use_ref or use_rt
    assert sum(checked.values()) >= 40, checked


@pytest.mark.peers
def test_documented_runtime_divergences_are_real():
    X = np.arange(1, 8, dtype=np.float32).reshape(1, 1, 7, 1)
    # align_corners with a fractional n*s: the evaluator divides by n*s - 1
    got, (ref, rt) = _resize_case(X, scales=np.array([1, 1, 0.5, 1], np.float32),
                                  mode="linear", coordinate_transformation_mode="align_corners")
    assert _same(got, rt) and not _same(got, ref)
    assert got[0, 0, :, 0].tolist() == [1.0, 4.0, 7.0]       # x = j (7-1)/(3-1)
    # pytorch_half_pixel with one output: the specification's coordinate 0
    got, (ref, rt) = _resize_case(X, sizes=np.array([1, 1, 1, 1]), mode="cubic",
                                  coordinate_transformation_mode="pytorch_half_pixel")
    assert got[0, 0, 0, 0] == 1.0 and _same(got, rt)
    # onnxruntime skips a crop axis of scale 1
    got, (ref, rt) = _resize_case(X[..., :5, :], roi=np.array([0, 0, 0.25, 0, 1, 1, 0.75, 1],
                                                             np.float32),
                                  scales=np.array([1, 1, 1, 1], np.float32), mode="linear",
                                  coordinate_transformation_mode="tf_crop_and_resize")
    assert got[0, 0, :, 0].tolist() == [2.0, 2.5, 3.0, 3.5, 4.0] and _same(got, ref)
    assert not _same(got, rt)
    # onnxruntime refuses exclude_outside with linear and no antialias; the evaluator
    # and refpool renormalise
    got, (ref, rt) = _resize_case(X, scales=np.array([1, 1, 2, 1], np.float32),
                                  mode="linear", exclude_outside=1)
    assert rt is None and _same(got, ref)
    # float32 coordinates in onnxruntime: 1.5 / float32(0.6) is just below 2.5
    got, (ref, rt) = _resize_case(X, scales=np.array([1, 1, 0.6, 1], np.float32),
                                  mode="nearest", nearest_mode="floor")
    assert got[0, 0, 1, 0] == 2.0 and rt[0, 0, 1, 0] == 3.0 and _same(got, ref)


@pytest.mark.peers
@pytest.mark.parametrize("policy", ["stretch", "not_larger", "not_smaller"])
@pytest.mark.parametrize("axes", [None, [2, 3], [3, 2], [-1]])
def test_sizes_policy_and_axes(policy, axes):
    X = np.random.default_rng(1).standard_normal((1, 2, 5, 7)).astype(np.float32)
    for sizes in ([3, 4], [8, 9], [5, 11]):
        k = 4 if axes is None else len(axes)
        full = ([1, 2] + sizes)[-k:] if axes is None else sizes[:k]
        if axes is None and policy != "stretch":
            continue            # the policy would resize the batch and channel axes too
        if axes == [-1] and policy != "stretch":
            continue            # onnxruntime ignores the policy with negative axes
        for mode in ("nearest", "linear"):
            attrs = dict(mode=mode, keep_aspect_ratio_policy=policy)
            if axes is not None:
                attrs["axes"] = axes
            got, (ref, rt) = _resize_case(X, sizes=np.array(full, np.int64), **attrs)
            if axes == [-1]:    # the evaluator refuses negative axes (the specification
                assert ref is None  # and onnxruntime allow them)
                ref = rt
            assert _same(got, ref) and _same(got, rt), (policy, axes, sizes, mode)
            scale_attrs = dict(mode=mode, **({} if axes is None else {"axes": axes}))
            scales = np.array([1.0, 1.0, 1.5, 0.6][-k:] if axes is None else
                              [1.5, 0.6][:k], np.float32)
            got, (ref, rt) = _resize_case(X, scales=scales, **scale_attrs)
            ref = rt if axes == [-1] else ref
            assert _same(got, ref) and _same(got, rt), (axes, mode)


@pytest.mark.peers
@pytest.mark.parametrize("shape", [(1, 1, 6), (2, 3, 4, 5), (1, 2, 3, 4, 5)])
@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_ranks_and_engines(shape, mode):
    X = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    scales = np.array([1, 1] + [1.7, 0.5, 2.0][:len(shape) - 2], np.float32)
    got, (ref, rt) = _resize_case(X, scales=scales, mode=mode)
    if mode == "cubic" and len(shape) != 4:
        assert rt is None       # onnxruntime's cubic resize is 2-D only
        rt = ref
    assert _same(got, ref) and _same(got, rt)
    cpu = Resize(X, scales=scales, mode=mode, engine="cpu")
    np.testing.assert_allclose(cpu, got, rtol=1e-5, atol=1e-5)


@pytest.mark.peers
def test_integer_input_nearest():
    X = np.arange(24, dtype=np.int32).reshape(1, 1, 4, 6)
    got = Resize(X, scales=np.array([1, 1, 1.5, 0.5], np.float32), mode="nearest")
    assert got.dtype == np.int32
    expected = Resize(X.astype(np.float32), scales=np.array([1, 1, 1.5, 0.5], np.float32),
                      mode="nearest", engine="reference")
    np.testing.assert_array_equal(got, expected.astype(np.int32))


@pytest.mark.peers
@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("scales", [[1, 1, 2, 2], [1, 1, 3, 1.5], [1, 1, 1, 2.5]])
def test_upsample_against_onnxruntime(mode, scales):
    X = np.random.default_rng(3).standard_normal((1, 2, 3, 4)).astype(np.float32)
    s = np.array(scales, np.float32)
    model = _model("Upsample", X.shape, [("X", X), ("scales", s)], dict(mode=mode), 9)
    _, rt = _runtimes(model, {"X": X, "scales": s})
    np.testing.assert_allclose(Upsample(X, s, mode=mode), rt, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda X: Resize(X), "exactly one of scales and sizes"),
    (lambda X: Resize(X, scales=np.array([1, 1, 2], np.float32), sizes=np.array([1, 1, 4])),
     "exactly one"),
    (lambda X: Resize(X, scales=np.array([2, 1, 2], np.float32)), "spatial axes only"),
    (lambda X: Resize(X, scales=np.array([1, 1, 2], np.float32), mode="area"), "mode"),
    (lambda X: Resize(X, scales=np.array([1, 1, 2], np.float32), nearest_mode="up"),
     "nearest_mode"),
    (lambda X: Resize(X, scales=np.array([1, 1, 2], np.float32),
                      keep_aspect_ratio_policy="fit"), "keep_aspect_ratio_policy"),
    (lambda X: Resize(X, scales=np.array([1, 1, 2], np.float32),
                      coordinate_transformation_mode="tf_crop_and_resize"), "roi"),
    (lambda X: Resize(X, scales=np.array([1, 1, 2], np.float32), antialias=2), "antialias"),
    (lambda X: Resize(X, scales=np.array([1, 1, 2], np.float32), antialias=1), "antialias"),
    (lambda X: Resize(X, scales=np.array([2], np.float32), axes=[5]), "axes"),
    (lambda X: Resize(X, scales=np.array([1, 1, -2], np.float32)), "scales"),
    (lambda X: Upsample(X, np.array([1, 1, 0.5], np.float32)), "scales"),
    (lambda X: Upsample(X, np.array([1, 1, 2], np.float32), mode="cubic"), "mode"),
])
def test_bad_attributes(call, match):
    X = np.zeros((1, 1, 4), np.float32)
    with pytest.raises((ValueError, TypeError), match=match):
        call(X)
