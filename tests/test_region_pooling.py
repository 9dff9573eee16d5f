"""Region pooling (``roi_pool``, ``roi_align``): against independent answers.

* ONNX: onnxruntime and ``onnx.reference.ReferenceEvaluator`` on one-node models
  (``RoiAlign`` avg in both coordinate modes; ``max`` with the documented divergence
  measured; ``MaxRoiPool`` on onnxruntime, the reference evaluator having none);
* closed forms: constant images, linear ramps (bilinear sampling is exact there),
  integral boxes cut into equal blocks, torch compositions (``grid_sample`` for the
  samples, ``avg_pool2d`` for pixel-centre grids, ``adaptive_max_pool2d`` on crops);
* the three engines against each other (bitwise for roi_pool, float64 sums for
  roi_align), float16, integers, layouts, Dask;
* bad input, refused before any kernel runs, inputs never modified;
* the exactness claim of ``exact_symmetries`` = the measured one for every element
  of ``dihedral(4)``, on the one-hot basis images.
"""

import itertools
import warnings
from fractions import Fraction

import numpy as np
import pytest

import refpool
from refpool import FieldType
from refpool.dialects.onnx import MaxRoiPool, RoiAlign
from refpool.engines.reference.region_pooling import _align_axis, _pool_axis
from refpool.equivariance import exact_symmetries, grid_group
from refpool.region_pooling import transform_boxes

RNG_SEED = 20240611
D4 = grid_group(2)


def _boxes(rng, k, n, h, w, lo=-3.0, quarter=False):
    """(K, 5) boxes with ordered corners over an (h, w) image, batch indices < n."""
    xs = np.sort(rng.uniform(lo, w + 3, (k, 2)), axis=1)
    ys = np.sort(rng.uniform(lo, h + 3, (k, 2)), axis=1)
    if quarter:
        xs, ys = np.round(xs * 4) / 4, np.round(ys * 4) / 4
    return np.stack([rng.integers(0, n, k), xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]],
                    axis=1).astype(np.float64)


# =========================================================================== ONNX
def _onnx_model(op, dtype, **attrs):
    from onnx import TensorProto, helper
    t = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
    inputs = ["X", "rois", "batch_indices"] if op == "RoiAlign" else ["X", "rois"]
    info = [helper.make_tensor_value_info("X", t, None),
            helper.make_tensor_value_info("rois", t, None)]
    if op == "RoiAlign":
        info.append(helper.make_tensor_value_info("batch_indices", TensorProto.INT64, None))
    graph = helper.make_graph([helper.make_node(op, inputs, ["Y"], **attrs)], "g", info,
                              [helper.make_tensor_value_info("Y", t, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])


def _onnx_run(model, feeds):
    """(onnxruntime's Y, onnx.reference's Y)."""
    ort = pytest.importorskip("onnxruntime")
    from onnx.reference import ReferenceEvaluator
    options = ort.SessionOptions()
    options.log_severity_level = 3            # the max-mode warning of RoiAlign
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0], ReferenceEvaluator(model).run(None, feeds)[0]


def _roi_align_cases(seed, count, dtype):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, c = rng.integers(1, 3, 2)
        h, w = rng.integers(1, 9, 2)
        x = rng.standard_normal((n, c, h, w)).astype(dtype)
        boxes = _boxes(rng, int(rng.integers(1, 5)), n, h, w)
        attrs = dict(output_height=int(rng.integers(1, 4)), output_width=int(rng.integers(1, 4)),
                     sampling_ratio=int(rng.integers(0, 3)),
                     spatial_scale=float(rng.choice([1.0, 0.5, 0.25, 1.3])))
        yield x, boxes[:, 1:].astype(dtype), boxes[:, 0].astype(np.int64), attrs


@pytest.mark.parametrize("mode", ["half_pixel", "output_half_pixel"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_roi_align_avg_matches_onnxruntime_and_the_reference_evaluator(mode, dtype):
    for x, rois, index, attrs in _roi_align_cases(RNG_SEED, 12, dtype):
        attrs = dict(attrs, coordinate_transformation_mode=mode, mode="avg")
        model = _onnx_model("RoiAlign", dtype, **attrs)
        ort_y, ref_y = _onnx_run(model, {"X": x, "rois": rois, "batch_indices": index})
        mine = RoiAlign(x, rois, index, **attrs)
        assert mine.dtype == dtype and mine.shape == ort_y.shape
        if dtype == np.float64:           # the same float64 arithmetic: bitwise
            np.testing.assert_array_equal(mine, ort_y)
            np.testing.assert_array_equal(mine, ref_y)
        else:                             # they compute positions in float32
            np.testing.assert_allclose(mine, ort_y, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(mine, ref_y, rtol=1e-5, atol=1e-5)


def test_roi_align_max_mode_divergence_from_onnxruntime_and_the_reference_evaluator():
    """The specification's max is the largest bilinear sample (refpool); onnxruntime
    1.32 and onnx.reference 1.23 take the largest weighted corner term w_i v_i of
    each sample instead.  They agree with each other."""
    x = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])
    rois, index = np.array([[0.0, 0.0, 1.0, 1.0]]), np.array([0])
    attrs = dict(coordinate_transformation_mode="output_half_pixel", output_height=1,
                 output_width=1, sampling_ratio=1)
    feeds = {"X": x, "rois": rois, "batch_indices": index}
    ort_max, ref_max = _onnx_run(_onnx_model("RoiAlign", np.float64, mode="max", **attrs),
                                 feeds)
    ort_avg, _ = _onnx_run(_onnx_model("RoiAlign", np.float64, mode="avg", **attrs), feeds)
    assert ort_max.item() == ref_max.item() == 0.75           # max(0, .25, .5, .75)
    assert ort_avg.item() == 1.5                              # the sample (0+1+2+3)/4
    assert RoiAlign(x, rois, index, mode="max", **attrs).item() == 1.5
    assert RoiAlign(x, rois, index, mode="avg", **attrs).item() == 1.5
    # on random cases: the two implementations agree, and compute the corner-term max
    worst = 0.0
    for x, rois, index, a in _roi_align_cases(RNG_SEED + 1, 12, np.float64):
        for mode in ("half_pixel", "output_half_pixel"):
            a = dict(a, coordinate_transformation_mode=mode, mode="max")
            ort_y, ref_y = _onnx_run(_onnx_model("RoiAlign", np.float64, **a),
                                     {"X": x, "rois": rois, "batch_indices": index})
            np.testing.assert_array_equal(ort_y, ref_y)
            np.testing.assert_allclose(ort_y, _corner_term_max(x, rois, index, a),
                                       rtol=1e-12, atol=1e-12)
            worst = max(worst, float(np.abs(ort_y - RoiAlign(x, rois, index, **a)).max()))
    assert worst > 0.1                     # a real divergence, not rounding


def _corner_term_max(x, rois, index, attrs):
    """onnxruntime's max mode, from refpool's sample taps: per sample the largest of
    the four terms w_i v_i (zero-weight terms and samples outside included, as 0)."""
    oh, ow = attrs["output_height"], attrs["output_width"]
    aligned = attrs["coordinate_transformation_mode"] == "half_pixel"
    scale = float(np.float32(attrs["spatial_scale"]))
    h, w = x.shape[2:]
    out = np.zeros((len(rois), x.shape[1], oh, ow))
    for k, (x1, y1, x2, y2) in enumerate(rois):
        _, rows = _align_axis(y1, y2, scale, oh, h, attrs["sampling_ratio"], aligned)
        _, cols = _align_axis(x1, x2, scale, ow, w, attrs["sampling_ratio"], aligned)
        plane = x[index[k]]
        for ph, pw in itertools.product(range(oh), range(ow)):
            values = []
            for ty, tx in itertools.product(rows[ph], cols[pw]):
                if not ty or not tx:
                    values.append(np.zeros(x.shape[1]))
                    continue
                terms = [wy * wx * plane[:, r, c] for r, wy in ty for c, wx in tx]
                if len(terms) < 4:
                    terms.append(np.zeros(x.shape[1]))        # the zero-weight terms
                values.append(np.max(terms, axis=0))
            if values:
                out[k, :, ph, pw] = np.max(values, axis=0)
    return out


def test_max_roi_pool_matches_onnxruntime():
    rng = np.random.default_rng(RNG_SEED + 2)
    for _ in range(25):
        n, c = rng.integers(1, 3, 2)
        h, w = rng.integers(1, 10, 2)
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        k = int(rng.integers(1, 5))
        # half-integer corners: the rounding of halves away from zero matters
        rois = np.c_[rng.integers(0, n, k), rng.choice(np.arange(-6, 26) / 2, (k, 4))]
        rois = rois.astype(np.float32)
        attrs = dict(pooled_shape=[int(v) for v in rng.integers(1, 5, 2)],
                     spatial_scale=float(rng.choice([1.0, 0.5, 0.25, 2.0, 0.3])))
        ort_y = _onnx_run_ort_only(_onnx_model("MaxRoiPool", np.float32, **attrs),
                                   {"X": x, "rois": rois})
        np.testing.assert_array_equal(MaxRoiPool(x, rois, **attrs), ort_y)


def _onnx_run_ort_only(model, feeds):
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


def test_max_roi_pool_divergences_on_nan_and_minus_inf():
    """onnxruntime starts its scan at -FLT_MAX with '>': a bin of -inf gives
    -3.4028235e38 and NaN is skipped; refpool selects -inf and propagates NaN.  The
    ONNX reference evaluator has no MaxRoiPool."""
    x = np.full((1, 1, 4, 4), -np.inf, np.float32)
    x[0, 0, 0, 0] = np.nan
    x[0, 0, 3, 3] = 5.0
    rois = np.array([[0, 0, 0, 3, 3]], np.float32)
    model = _onnx_model("MaxRoiPool", np.float32, pooled_shape=[2, 2])
    ort_y = _onnx_run_ort_only(model, {"X": x, "rois": rois})[0, 0]
    mine = MaxRoiPool(x, rois, pooled_shape=[2, 2])[0, 0]
    assert ort_y[0, 1] == np.float32(-3.4028235e38) and mine[0, 1] == -np.inf
    assert not np.isnan(ort_y[0, 0]) and np.isnan(mine[0, 0])
    assert ort_y[1, 1] == mine[1, 1] == 5.0
    from onnx.reference import ReferenceEvaluator
    with pytest.raises(Exception, match="MaxRoiPool"):
        ReferenceEvaluator(model).run(None, {"X": x, "rois": rois})


@pytest.mark.parametrize("call, error, match", [
    (lambda x: RoiAlign(x, np.zeros((1, 4)), np.array([0]), mode="mean"), ValueError, "mode"),
    (lambda x: RoiAlign(x, np.zeros((1, 4)), np.array([0]),
                        coordinate_transformation_mode="asymmetric"), ValueError,
     "coordinate_transformation_mode"),
    (lambda x: RoiAlign(x, np.zeros((1, 4)), np.array([0]), sampling_ratio=-1), ValueError,
     "sampling_ratio"),
    (lambda x: RoiAlign(x, np.zeros((1, 4)), np.array([0.0])), TypeError, "batch_indices"),
    (lambda x: RoiAlign(x, np.zeros((1, 4)), np.array([3])), ValueError, "batch_indices"),
    (lambda x: RoiAlign(x, np.zeros((1, 5)), np.array([0])), ValueError, "rois"),
    (lambda x: RoiAlign(x, np.zeros((2, 4)), np.array([0])), ValueError, "rois"),
    (lambda x: RoiAlign(x, np.zeros((1, 4)), np.array([0]), output_height=0), ValueError,
     "output_height"),
    (lambda x: RoiAlign(x, np.full((1, 4), np.nan), np.array([0])), ValueError, "rois"),
    (lambda x: MaxRoiPool(x, np.zeros((1, 4)), pooled_shape=[1, 1]), ValueError, "rois"),
    (lambda x: MaxRoiPool(x, np.zeros((1, 5)), pooled_shape=[1]), TypeError, "pooled_shape"),
    (lambda x: MaxRoiPool(x, np.zeros((1, 5)), pooled_shape=[1, 0]), ValueError,
     "pooled_shape"),
    (lambda x: MaxRoiPool(x, np.zeros((1, 5)), pooled_shape=[1, 1], spatial_scale=-1.0),
     ValueError, "spatial_scale"),
])
def test_onnx_attributes_are_validated(call, error, match):
    with pytest.raises(error, match=match):
        call(np.zeros((1, 1, 4, 4)))


def test_onnx_spatial_scale_is_a_float32_attribute():
    x = np.random.default_rng(0).standard_normal((1, 1, 6, 6))
    rois, index = np.array([[0.3, 0.7, 3.9, 4.1]]), np.array([0])
    np.testing.assert_array_equal(
        RoiAlign(x, rois, index, spatial_scale=1.3),
        refpool.roi_align(x, np.c_[index, rois], 1, float(np.float32(1.3)), 0, True))


# =========================================================================== closed forms
def test_constant_image_gives_the_constant_inside():
    x = np.full((2, 3, 9, 11), 2.5)
    boxes = np.array([[0, 0.0, 0.0, 10.0, 8.0], [1, 1.25, 2.5, 7.75, 6.0],
                      [0, 3.0, 3.0, 3.5, 3.25]])
    for aligned, ratio, reduction in itertools.product((False, True), (-1, 1, 3),
                                                       ("avg", "max")):
        y = refpool.roi_align(x, boxes, (3, 4), sampling_ratio=ratio, aligned=aligned,
                              reduction=reduction)
        np.testing.assert_allclose(y, 2.5, rtol=1e-15)
    np.testing.assert_array_equal(refpool.roi_pool(x, boxes, (3, 4)), 2.5)


@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_linear_ramp_is_sampled_exactly(engine):
    """On x = alpha h + beta w + gamma bilinear sampling is exact, so a bin's average
    is the ramp at the mean of its samples, a + (p + 1/2) b, and its max the ramp at
    the last sample (alpha, beta > 0)."""
    alpha, beta, gamma = 0.75, 2.0, -1.0
    h, w = 12, 14
    hh, ww = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    x = (alpha * hh + beta * ww + gamma)[None, None]
    rng = np.random.default_rng(3)
    for aligned in (False, True):
        for _ in range(6):
            oh, ow = (int(v) for v in rng.integers(1, 5, 2))
            ratio = int(rng.choice([-1, 1, 2, 3]))
            y1, x1 = rng.uniform(0.6, 3.0, 2)
            y2, x2 = y1 + rng.uniform(1.0, 7.0), x1 + rng.uniform(1.0, 8.0)
            box = np.array([[0, x1, y1, x2, y2]])
            d = 0.5 if aligned else 0.0
            avg = refpool.roi_align(x, box, (oh, ow), 1.0, ratio, aligned, engine=engine)
            big = refpool.roi_align(x, box, (oh, ow), 1.0, ratio, aligned, "max",
                                    engine=engine)
            by, bx = (y2 - y1) / oh, (x2 - x1) / ow
            gy = ratio if ratio > 0 else int(np.ceil(by))
            gx = ratio if ratio > 0 else int(np.ceil(bx))
            p, q = np.arange(oh)[:, None], np.arange(ow)[None, :]
            centre = alpha * (y1 - d + (p + 0.5) * by) + beta * (x1 - d + (q + 0.5) * bx)
            last = (alpha * (y1 - d + p * by + (gy - 0.5) * by / gy)
                    + beta * (x1 - d + q * bx + (gx - 0.5) * bx / gx))
            np.testing.assert_allclose(avg[0, 0], centre + gamma, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(big[0, 0], last + gamma, rtol=1e-12, atol=1e-12)


def test_roi_pool_with_integral_boxes_is_block_max():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 10, 12))
    # integral corners, L = e - s + 1 divisible by o: equal, disjoint blocks
    boxes = np.array([[0, 1.0, 2.0, 6.0, 7.0], [1, 0.0, 0.0, 11.0, 8.0]])
    y, idx = refpool.roi_pool(x, boxes, (3, 2), return_indices=True)
    np.testing.assert_array_equal(y[0], x[0, :, 2:8, 1:7].reshape(3, 3, 2, 2, 3).max((2, 4)))
    np.testing.assert_array_equal(y[1], x[1, :, 0:9, 0:12].reshape(3, 3, 3, 2, 6).max((2, 4)))
    flat = x.reshape(2, 3, -1)
    for k in range(2):
        np.testing.assert_array_equal(
            np.take_along_axis(flat[k], idx[k].reshape(3, -1), -1).reshape(3, 3, 2), y[k])


def test_roi_pool_equals_torch_adaptive_max_pool_on_the_crop():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 11, 13))
    for _ in range(10):
        b = int(rng.integers(0, 2))
        x1, x2 = sorted(int(v) for v in rng.integers(0, 13, 2))
        y1, y2 = sorted(int(v) for v in rng.integers(0, 11, 2))
        o = tuple(int(v) for v in rng.integers(1, 6, 2))
        y = refpool.roi_pool(x, np.array([[b, x1, y1, x2, y2]], float), o)
        crop = torch.from_numpy(x[b:b + 1, :, y1:y2 + 1, x1:x2 + 1])
        # adaptive pooling's bins over the crop: the same floor/ceil boundaries
        np.testing.assert_array_equal(y, torch.nn.functional.adaptive_max_pool2d(crop, o)
                                      .numpy())


def test_roi_align_equals_torch_grid_sample_averages():
    """Each sample is torch's bilinear grid_sample with border clamping (exact for
    samples in [-1, n]); the bin is their average."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 2, 7, 9))
    for aligned in (False, True):
        for _ in range(5):
            oh, ow, g = (int(v) for v in rng.integers(1, 4, 3))
            x1, x2 = sorted(rng.uniform(-0.4, 8.4, 2))
            y1, y2 = sorted(rng.uniform(-0.4, 6.4, 2))
            d = 0.5 if aligned else 0.0
            by = (y2 - y1 if aligned else max(y2 - y1, 1.0)) / oh
            bx = (x2 - x1 if aligned else max(x2 - x1, 1.0)) / ow
            ys = y1 - d + np.arange(oh)[:, None] * by + (np.arange(g) + 0.5) * by / g
            xs = x1 - d + np.arange(ow)[:, None] * bx + (np.arange(g) + 0.5) * bx / g
            gy, gx = np.meshgrid(ys.ravel(), xs.ravel(), indexing="ij")
            grid = np.stack([2 * gx / 8 - 1, 2 * gy / 6 - 1], axis=-1)[None]
            samples = torch.nn.functional.grid_sample(
                torch.from_numpy(x), torch.from_numpy(grid), mode="bilinear",
                padding_mode="border", align_corners=True).numpy()
            expected = samples.reshape(1, 2, oh, g, ow, g).mean(axis=(3, 5))
            got = refpool.roi_align(x, np.array([[0, x1, y1, x2, y2]]), (oh, ow),
                                    sampling_ratio=g, aligned=aligned)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_aligned_full_image_box_on_pixel_centres_is_torch_avg_pool():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((2, 3, 8, 10))
    boxes = np.array([[0, 0.0, 0.0, 10.0, 8.0], [1, 0.0, 0.0, 10.0, 8.0]])
    # bins 2 pixels wide, 2 samples: the samples are the pixel centres
    y = refpool.roi_align(x, boxes, (4, 5), sampling_ratio=2, aligned=True)
    np.testing.assert_allclose(y, torch.nn.functional.avg_pool2d(torch.from_numpy(x), 2)
                               .numpy(), rtol=1e-14)
    # one sample per pixel-sized bin: the image itself
    np.testing.assert_array_equal(
        refpool.roi_align(x, boxes, (8, 10), sampling_ratio=1, aligned=True), x)


# =========================================================================== boxes at the edges
def test_boxes_outside_and_degenerate():
    x = np.random.default_rng(8).standard_normal((1, 2, 5, 6)) + 10.0
    outside = np.array([[0, -9.0, -9.0, -3.0, -2.0], [0, 8.0, 7.0, 12.0, 11.0]])
    y, idx = refpool.roi_pool(x, outside, 2, return_indices=True)
    assert np.all(y == 0) and np.all(idx == -1) and not np.signbit(y).any()
    for aligned, reduction in itertools.product((False, True), ("avg", "max")):
        np.testing.assert_array_equal(
            refpool.roi_align(x, outside, 2, aligned=aligned, reduction=reduction), 0.0)
    # partly outside: the samples beyond [-1, n] count as zeros in the average
    half = np.array([[0, 2.0, 0.0, 10.0, 5.0]])      # bin 1: 1 of 4 columns inside
    inside = refpool.roi_align(x, half, (1, 2), aligned=True, sampling_ratio=4)
    ys = -0.5 + (np.arange(4) + 0.5) * 1.25                 # the rows sampled
    column = [np.interp(ys, np.arange(5), x[0, c, :, 5]).mean() for c in range(2)]
    np.testing.assert_allclose(inside[0, :, 0, 1], np.array(column) / 4, rtol=1e-14)
    # a point box: aligned=True has no sample (0), aligned=False reads a pixel-size box
    point = np.array([[0, 2.0, 3.0, 2.0, 3.0]])
    np.testing.assert_array_equal(refpool.roi_align(x, point, 2, aligned=True), 0.0)
    np.testing.assert_allclose(refpool.roi_align(x, point, 1, sampling_ratio=1)[0, :, 0, 0],
                               x[0, :, 3:5, 2:4].mean(axis=(1, 2)))
    np.testing.assert_array_equal(refpool.roi_pool(x, point, 2)[0, :, :, :],
                                  np.broadcast_to(x[0, :, 3:4, 2:3], (2, 2, 2)))
    # inverted corners: roi_pool reads the one pixel at (y1, x1)
    inverted = np.array([[0, 4.0, 3.0, 1.0, 1.0]])
    np.testing.assert_array_equal(refpool.roi_pool(x, inverted, 1)[0, :, 0, 0], x[0, :, 3, 4])
    # halves round away from zero: 2.5 -> 3, -0.5 -> -1
    y, idx = refpool.roi_pool(x, np.array([[0, 2.5, -0.5, 2.5, 0.4]]), 1,
                              return_indices=True)
    np.testing.assert_array_equal(idx[0, :, 0, 0], [3, 3])     # rows [-1, 0] -> 0, col 3


def test_zero_weights_are_skipped():
    """A NaN at a pixel no sample weighs stays out: the neighbour of a sample on a pixel
    centre, and pixel (0, 0) for samples outside the image (which torchvision and
    onnxruntime multiply by 0)."""
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    x[0, 0, 0, 0] = np.nan
    x[0, 0, 3, 3] = np.nan
    # samples exactly on pixel (2, 2): weight 0 on (3, 3)
    on_centre = np.array([[0, 2.0, 2.0, 3.0, 3.0]])
    for engine in ("reference", "cpu"):
        y = refpool.roi_align(x, on_centre, 1, sampling_ratio=1, aligned=True, engine=engine)
        assert y.item() == 14.0
        # a box wholly outside: 0, not NaN
        y = refpool.roi_align(x, np.array([[0, -9.0, -9.0, -4.0, -4.0]]), 1, engine=engine)
        assert y.item() == 0.0
    y = refpool.roi_align(x, np.array([[0, 2.0, 2.0, 4.0, 4.0]]), 1, sampling_ratio=2,
                          aligned=True)
    assert np.isnan(y.item()) and np.signbit(y.item()) == 0       # the default NaN


def test_roi_pool_selection_rule():
    x = np.array([[[[1.0, np.nan, 3.0], [-0.0, 3.0, np.nan], [0.0, -np.inf, 2.0]]]])
    for engine in ("reference", "cpu"):
        y, idx = refpool.roi_pool(x, np.array([[0, 0.0, 0.0, 2.0, 2.0],
                                               [0, 0.0, 1.0, 1.0, 2.0],
                                               [0, 1.0, 2.0, 1.0, 2.0]]), 1,
                                  return_indices=True, engine=engine)
        assert np.isnan(y[0].item()) and idx[0].item() == 5          # the last NaN
        assert y[1].item() == 3.0 and idx[1].item() == 4             # the first maximum
        assert y[2].item() == -np.inf and idx[2].item() == 7         # -inf is selected
        z = refpool.roi_pool(x, np.array([[0, 0.0, 1.0, 0.0, 2.0]]), 1, engine=engine)
        assert z.item() == 0.0 and not np.signbit(z.item())          # +0 over -0


# =========================================================================== engines
def _calls(seed, count):
    rng = np.random.default_rng(seed)
    for i in range(count):
        n, c = (int(v) for v in rng.integers(1, 3, 2))
        h, w = (int(v) for v in rng.integers(1, 9, 2))
        boxes = _boxes(rng, int(rng.integers(0, 5)), n, h, w, quarter=i % 2 == 0)
        if i % 4 == 3:                    # the per-image form
            boxes = [boxes[boxes[:, 0] == b, 1:] for b in range(n)]
        scale = float(rng.choice([1.0, 0.5, 2.0, 0.3]))
        boxes = boxes if isinstance(boxes, list) else boxes * [1, 1 / scale, 1 / scale,
                                                                1 / scale, 1 / scale]
        size = tuple(int(v) for v in rng.integers(1, 5, 2))
        x = rng.standard_normal((n, c, h, w))
        x[rng.random(x.shape) < 0.05] = np.nan
        align = dict(sampling_ratio=int(rng.choice([-1, 0, 1, 2, 3])),
                     aligned=bool(rng.integers(2)),
                     reduction=str(rng.choice(["avg", "max"])))
        yield x, boxes, size, scale, align


@pytest.mark.differential
@pytest.mark.parametrize("engine", [
    "cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_engines_agree_with_the_reference(engine, dtype):
    count = 24 if engine == "cpu" else 8
    for x, boxes, size, scale, align in _calls(RNG_SEED + 9, count):
        x = x.astype(dtype)
        expected = refpool.roi_pool(x, boxes, size, scale, True, engine="reference")
        got = refpool.roi_pool(x, boxes, size, scale, True, engine=engine)
        for g, e in zip(got, expected):
            assert g.dtype == e.dtype
            np.testing.assert_array_equal(g.view(np.uint8), e.view(np.uint8))   # bitwise
        expected = refpool.roi_align(x, boxes, size, scale, **align, engine="reference")
        got = refpool.roi_align(x, boxes, size, scale, **align, engine=engine)
        assert got.dtype == dtype
        # the same float64 geometry and summation order: equal up to the GPU's fused
        # multiply-adds, and bitwise on the CPU
        if engine == "cpu":
            np.testing.assert_array_equal(got, expected)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-6 if dtype == np.float32
                                       else 1e-13, atol=1e-13)


@pytest.mark.cuda
def test_cuda_device_arrays_in_and_out():
    from numba import cuda
    x = np.random.default_rng(10).standard_normal((2, 3, 6, 7)).astype(np.float32)
    boxes = np.array([[1, 0.5, 0.5, 5.0, 4.0], [0, -1.0, 2.0, 3.0, 9.0]], np.float32)
    dx, dboxes = cuda.to_device(x), cuda.to_device(boxes)
    y = refpool.roi_align(dx, dboxes, 2)
    assert hasattr(y, "copy_to_host")
    np.testing.assert_allclose(y.copy_to_host(), refpool.roi_align(x, boxes, 2), rtol=1e-6)
    out = cuda.device_array((2, 3, 2, 2), np.float32)
    assert refpool.roi_pool(dx, boxes, 2, out=out) is out
    np.testing.assert_array_equal(out.copy_to_host(), refpool.roi_pool(x, boxes, 2))


def test_float16_and_integers():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 7, 8))
    boxes = _boxes(rng, 5, 2, 7, 8).astype(np.float16)
    half = x.astype(np.float16)
    for engine, wide in (("cpu", np.float32), ("reference", np.float64)):
        got = refpool.roi_align(half, boxes, 3, aligned=True, engine=engine)
        assert got.dtype == np.float16
        np.testing.assert_array_equal(
            got, refpool.roi_align(half.astype(wide), boxes, 3, aligned=True,
                                   engine=engine).astype(np.float16))
        np.testing.assert_array_equal(refpool.roi_pool(half, boxes, 3, engine=engine),
                                      refpool.roi_pool(half.astype(wide), boxes, 3,
                                                       engine=engine).astype(np.float16))
    ints = np.round(x * 50).astype(np.int16)
    y = refpool.roi_pool(ints, boxes, 3)
    assert y.dtype == np.int16
    np.testing.assert_array_equal(y, refpool.roi_pool(ints.astype(np.float64), boxes, 3))
    with pytest.raises(TypeError, match=r"x\.astype\(np\.float32\)"):
        refpool.roi_align(ints, boxes, 3)


def test_box_dtypes_and_forms_agree():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 2, 6, 6))
    boxes = _boxes(rng, 6, 3, 6, 6, quarter=True)       # exact in float16
    expected = refpool.roi_align(x, boxes, 2)
    for dtype in (np.float16, np.float32):
        np.testing.assert_array_equal(refpool.roi_align(x, boxes.astype(dtype), 2), expected)
    order = np.argsort(boxes[:, 0], kind="stable")
    per_image = [boxes[boxes[:, 0] == b, 1:] for b in range(3)]
    np.testing.assert_array_equal(refpool.roi_align(x, per_image, 2), expected[order])
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(refpool.roi_align(x, torch.from_numpy(boxes), 2), expected)
    empty = refpool.roi_pool(x, [], (2, 3))
    assert empty.shape == (0, 2, 2, 3)
    assert refpool.roi_align(x, np.zeros((0, 5)), 1).shape == (0, 2, 1, 1)


# =========================================================================== bad input
_X = np.zeros((2, 3, 5, 6))
_GOOD = np.array([[0, 0.0, 0.0, 2.0, 2.0]])


@pytest.mark.parametrize("op, kwargs, error, match", [
    ("roi_pool", dict(boxes=np.zeros((1, 4))), ValueError, r"boxes must have shape \(K, 5\)"),
    ("roi_pool", dict(boxes=np.zeros(5)), ValueError, "boxes"),
    ("roi_pool", dict(boxes=np.zeros((1, 5), np.int64)), TypeError,
     r"boxes must have a floating dtype.*astype"),
    ("roi_align", dict(boxes=np.zeros((1, 5), bool)), TypeError, "boxes"),
    ("roi_align", dict(boxes="boxes"), TypeError, "boxes"),
    ("roi_align", dict(boxes=None), TypeError, "boxes"),
    ("roi_align", dict(boxes=[np.zeros((1, 5))]), ValueError, r"boxes\[0\]"),
    ("roi_align", dict(boxes=[np.zeros((1, 4))] * 3), ValueError, "boxes"),
    ("roi_pool", dict(boxes=np.array([[2.0, 0, 0, 1, 1]])), ValueError, r"boxes.*\[0, 2\)"),
    ("roi_pool", dict(boxes=np.array([[-1.0, 0, 0, 1, 1]])), ValueError, "boxes"),
    ("roi_align", dict(boxes=np.array([[0.5, 0, 0, 1, 1]])), ValueError, "batch indices"),
    ("roi_align", dict(boxes=np.array([[0, np.nan, 0, 1, 1]])), ValueError, "finite"),
    ("roi_align", dict(boxes=np.array([[0, 0, 0, np.inf, 1]])), ValueError, "boxes"),
    ("roi_align", dict(boxes=np.array([[0, 0, 0, 1e300, 1]])), ValueError,
     "boxes.*spatial_scale"),
    ("roi_align", dict(spatial_scale=-1.0), ValueError, "spatial_scale"),
    ("roi_align", dict(spatial_scale=0.0), ValueError, "spatial_scale"),
    ("roi_pool", dict(spatial_scale=float("nan")), ValueError, "spatial_scale"),
    ("roi_pool", dict(spatial_scale="1"), TypeError, "spatial_scale"),
    ("roi_pool", dict(output_size=0), ValueError, "output_size"),
    ("roi_pool", dict(output_size=(2, -1)), ValueError, "output_size"),
    ("roi_align", dict(output_size=(2, 2, 2)), ValueError, "output_size"),
    ("roi_align", dict(output_size=2.0), TypeError, "output_size"),
    ("roi_align", dict(output_size=10 ** 15), ValueError, "output_size"),
    ("roi_align", dict(sampling_ratio=1.5), TypeError, "sampling_ratio"),
    ("roi_align", dict(sampling_ratio=10 ** 9), refpool.SizeLimitError, "sampling_ratio"),
    ("roi_align", dict(boxes=np.array([[0, 0, 0, 1e12, 1e12]])), refpool.SizeLimitError,
     "boxes"),
    ("roi_align", dict(aligned=1), TypeError, "aligned"),
    ("roi_align", dict(reduction="mean"), ValueError, "reduction"),
    ("roi_pool", dict(return_indices="yes"), TypeError, "return_indices"),
    ("roi_pool", dict(ndim=3), ValueError, "ndim"),
    ("roi_pool", dict(engine="gpu"), ValueError, "engine"),
])
def test_bad_arguments_are_refused_before_any_kernel(monkeypatch, op, kwargs, error, match):
    from refpool._dispatch import Launch
    ran = []
    monkeypatch.setattr(Launch, "run", lambda self, *a: ran.append(a))
    kwargs = dict(dict(boxes=_GOOD, output_size=2), **kwargs)
    x = _X.copy()
    snapshot = [np.copy(v) for v in kwargs.values() if isinstance(v, np.ndarray)]
    with pytest.raises(error, match=match):
        getattr(refpool, op)(x, **kwargs)
    assert not ran
    np.testing.assert_array_equal(x, _X)
    for before, after in zip(snapshot, [v for v in kwargs.values()
                                        if isinstance(v, np.ndarray)]):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("x, match", [
    (np.zeros((2, 3, 5)), r"x must have 4 axes \(N, C, H, W\)"),
    (np.zeros((1, 1, 2, 5, 6)), r"x must have 4 axes"),
    (np.zeros((2, 3, 0, 6)), "non-empty"),
])
def test_bad_inputs(x, match):
    with pytest.raises(ValueError, match=match):
        refpool.roi_align(x, _GOOD, 2)


def test_inputs_are_never_modified():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)
    x.flags.writeable = False
    boxes = _boxes(rng, 4, 2, 7, 8)
    boxes.flags.writeable = False
    per_image = [b.copy() for b in (boxes[:2, 1:], boxes[2:, 1:])]
    copies = [np.copy(x), np.copy(boxes)] + [np.copy(b) for b in per_image]
    for engine in ("reference", "cpu"):
        refpool.roi_pool(x, boxes, 3, engine=engine)
        refpool.roi_align(x, per_image, 3, aligned=True, engine=engine)
    for before, after in zip(copies, [x, boxes] + per_image):
        np.testing.assert_array_equal(before, after)


# =========================================================================== layouts
def test_layouts():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 3, 6, 7))
    boxes = _boxes(rng, 4, 1, 6, 7)
    expected = refpool.roi_align(x[:1], boxes, (2, 3))                   # (K, C, 2, 3)
    np.testing.assert_array_equal(refpool.roi_align(x[0], boxes, (2, 3), ndim=2), expected)
    np.testing.assert_array_equal(refpool.roi_align(x[0, 0], boxes, (2, 3), ndim=2),
                                  expected[:, 0])
    hwc = np.ascontiguousarray(np.moveaxis(x[0], 0, -1))
    got = refpool.roi_align(hwc, boxes, (2, 3), ndim=2, channels_last=True)
    np.testing.assert_array_equal(got, np.moveaxis(expected, 1, -1))
    out = np.empty((4, 2, 3, 3))
    assert refpool.roi_align(hwc[None], boxes, (2, 3), channels_last=True, out=out) is out
    np.testing.assert_array_equal(out, np.moveaxis(expected, 1, -1))
    with pytest.raises(ValueError, match="batch axes"):
        refpool.roi_pool(x[None], boxes, 2, ndim=2)
    with pytest.raises(ValueError, match="2-D"):
        refpool.roi_pool(x, boxes, 2, ndim=1)
    with pytest.raises(ValueError, match=r"out must have shape \(4, 2, 3, 3\)"):
        refpool.roi_align(hwc[None], boxes, (2, 3), channels_last=True,
                          out=np.empty((4, 3, 2, 3)))


def test_dask_chunks_over_channels_only():
    da = pytest.importorskip("dask.array")
    import refpool.dask
    rng = np.random.default_rng(15)
    x = rng.standard_normal((2, 5, 7, 8))
    boxes = [np.array([[0.5, 1.0, 5.0, 6.5]]), np.array([[1.0, 1.0, 3.0, 3.0],
                                                         [-1.0, 2.0, 9.0, 9.0]])]
    d = da.from_array(x, chunks=(1, 2, 3, 4))
    y, idx = refpool.dask.roi_pool(d, boxes, 3, return_indices=True)
    assert y.chunks == ((3,), (2, 2, 1), (3,), (3,))
    expected = refpool.roi_pool(x, boxes, 3, return_indices=True)
    np.testing.assert_array_equal(y.compute(), expected[0])
    np.testing.assert_array_equal(idx.compute(), expected[1])
    z = refpool.dask.roi_align(d, boxes, (2, 3), 0.5, 2, True, "max")
    np.testing.assert_array_equal(z.compute(), refpool.roi_align(x, boxes, (2, 3), 0.5, 2,
                                                                 True, "max"))
    with pytest.raises(ValueError, match="channels_last"):
        refpool.dask.roi_align(d, boxes, 2, channels_last=True)


# =========================================================================== exactness
def _measured(op, shape, boxes, kwargs, convention):
    """The elements g with op(T x, T boxes) == T op(x, boxes), on the one-hot basis
    images of the (H, W) plane (as channels) and two random ones: the basis images
    reveal every bin's pixels and weights, so no coincidence can pass."""
    h, w = shape
    x = np.concatenate([np.eye(h * w).reshape(1, h * w, h, w),
                        np.random.default_rng(16).standard_normal((1, 2, h, w))], axis=1)
    ft = FieldType(D4, [D4.trivial_representation] * x.shape[1])
    y = op(x, boxes, **kwargs, engine="reference")
    held = []
    for g in D4.elements:
        moved = transform_boxes(boxes, g, shape, kwargs.get("spatial_scale", 1.0), convention)
        lhs = op(ft.transform(x, g), moved, **kwargs, engine="reference")
        rhs = ft.transform(y, g)
        if lhs.shape == rhs.shape and np.allclose(lhs, rhs, rtol=1e-12, atol=1e-14):
            held.append(g)
    return held


def _exact_in_float64(op, boxes, shape, kwargs):
    """Whether the float64 geometry of every moved box is the exact one (dyadic boxes,
    scales and grids), so that the engines see the real-arithmetic bins the rule
    compares."""
    scale = kwargs.get("spatial_scale", 1.0)
    size = kwargs["output_size"]
    size = (size, size) if isinstance(size, int) else size
    convention = "continuous" if kwargs.get("aligned") else "index"
    for g in D4.elements:
        for _, x1, y1, x2, y2 in transform_boxes(boxes, g, shape, scale, convention):
            for (c1, c2), n, o in itertools.product(((y1, y2), (x1, x2)), shape, set(size)):
                if op is refpool.roi_pool:
                    args = (o, n)
                    geometry = _pool_axis
                else:
                    args = (o, n, kwargs.get("sampling_ratio", -1), kwargs.get("aligned"))
                    geometry = _align_axis
                if geometry(c1, c2, scale, *args) != geometry(
                        Fraction(c1), Fraction(c2), Fraction(scale), *args):
                    return False
    return True


#: (shape, boxes, kwargs, the number of elements claimed): the documented statements
EXACTNESS_CASES = [
    # aligned=True: every element for a square output, the 4 axis-keeping ones otherwise
    ((6, 6), [[0, 0.75, 1.25, 4.5, 3.0], [0, -1.5, 2.0, 6.5, 6.0]],
     dict(op="roi_align", output_size=2, aligned=True), 8),
    ((5, 7), [[0, 0.75, 1.25, 4.5, 3.0]], dict(op="roi_align", output_size=(2, 4),
                                              aligned=True, reduction="max"), 4),
    ((6, 6), [[0, 0.25, 0.25, 0.5, 0.5]], dict(op="roi_align", output_size=2, aligned=True,
                                               sampling_ratio=2), 8),
    # aligned=False: boxes at least one pixel wide hold; a thinner one breaks its axis
    ((6, 6), [[0, 0.75, 1.25, 4.5, 3.0]], dict(op="roi_align", output_size=2), 8),
    ((6, 6), [[0, 0.75, 1.25, 1.25, 3.0]], dict(op="roi_align", output_size=2,
                                                sampling_ratio=2), 4),
    ((6, 6), [[0, 0.75, 1.25, 1.25, 1.5]], dict(op="roi_align", output_size=2,
                                                sampling_ratio=2, reduction="max"), 2),
    # roi_pool: integral corners hold; a half-integer corner inside breaks its axis
    ((6, 7), [[0, 1.0, 0.0, 5.0, 3.0], [0, -2.0, 3.0, 9.0, 8.0]],
     dict(op="roi_pool", output_size=(3, 2)), 4),
    ((6, 6), [[0, 1.0, 0.0, 5.0, 3.0]], dict(op="roi_pool", output_size=2), 8),
    ((6, 6), [[0, 1.5, 0.0, 5.0, 3.0]], dict(op="roi_pool", output_size=2), 4),
    # ... also once scaled: 1 * 0.5 and 4 * 0.5 on both axes
    ((6, 6), [[0, 1.0, 1.0, 4.0, 4.0]], dict(op="roi_pool", output_size=2,
                                             spatial_scale=0.5), 2),
    ((6, 6), [[0, 2.0, 2.0, 8.0, 8.0]], dict(op="roi_pool", output_size=2,
                                             spatial_scale=0.5), 8),
    # inverted corners: roi_pool anchors the one pixel at x1, breaking the x reversal
    ((6, 6), [[0, 4.0, 1.0, 1.0, 4.0]], dict(op="roi_pool", output_size=2), 4),
    # wholly outside: every element (all bins 0)
    ((5, 5), [[0, -9.0, -9.0, -4.0, -3.0]], dict(op="roi_pool", output_size=2), 8),
    ((5, 5), [[0, -9.0, -9.0, -4.0, -3.0]], dict(op="roi_align", output_size=(2, 3)), 4),
]


@pytest.mark.parametrize("shape, boxes, kwargs, count", EXACTNESS_CASES)
def test_exact_symmetries_claims_what_is_measured(shape, boxes, kwargs, count):
    kwargs = dict(kwargs)
    op = getattr(refpool, kwargs.pop("op"))
    boxes = np.array(boxes, float)
    assert _exact_in_float64(op, boxes, shape, kwargs)
    claimed = exact_symmetries(op, (1, 1) + shape, boxes=boxes, **kwargs)
    convention = "continuous" if kwargs.get("aligned") else "index"
    assert claimed == _measured(op, shape, boxes, kwargs, convention)
    assert len(claimed) == count


def test_exact_symmetries_claims_what_is_measured_on_random_dyadic_boxes():
    rng = np.random.default_rng(17)
    tested = 0
    while tested < 24:
        h, w = (int(v) for v in rng.integers(1, 6, 2))
        boxes = _boxes(rng, int(rng.integers(1, 3)), 1, h, w, lo=-2.0, quarter=True)
        if rng.random() < 0.2:
            boxes[:, [1, 3]] = boxes[:, [3, 1]]                   # inverted corners
        kwargs = dict(output_size=int(rng.choice([1, 2, 4])),
                      spatial_scale=float(rng.choice([1.0, 0.5, 2.0])))
        if tested % 2:
            kwargs.update(sampling_ratio=int(rng.choice([-1, 1, 2])),
                          aligned=bool(rng.integers(2)),
                          reduction=str(rng.choice(["avg", "max"])))
            op, convention = refpool.roi_align, ("continuous" if kwargs["aligned"]
                                                 else "index")
        else:
            op, convention = refpool.roi_pool, "index"
        if not _exact_in_float64(op, boxes, (h, w), kwargs):
            continue
        claimed = exact_symmetries(op, (1, 1, h, w), boxes=boxes, **kwargs)
        assert claimed == _measured(op, (h, w), boxes, kwargs, convention), (boxes, kwargs)
        tested += 1


def test_exact_symmetries_of_the_edge_convention():
    """With the usual box flip (continuous coordinates), aligned=False is off by one
    pixel: no reversal holds, only the transposes."""
    boxes = np.array([[0, 0.75, 1.25, 4.5, 3.0]])
    kwargs = dict(output_size=2, sampling_ratio=2)
    held = _measured(refpool.roi_align, (6, 6), boxes, kwargs, "continuous")
    assert len(held) == 2                     # the identity and the transpose
    assert len(exact_symmetries(refpool.roi_align, (1, 1, 6, 6), boxes=boxes, **kwargs)) == 8


def test_exact_symmetries_arguments():
    with pytest.raises(ValueError, match="2-D"):
        exact_symmetries(refpool.roi_align, (1, 1, 6), boxes=_GOOD, output_size=2)
    with pytest.raises(TypeError, match="boxes"):
        exact_symmetries(refpool.roi_pool, (1, 1, 6, 6), output_size=2)
    with pytest.raises(ValueError, match="reduction"):
        exact_symmetries(refpool.roi_align, (1, 1, 6, 6), boxes=_GOOD, output_size=2,
                         reduction="sum")
    assert len(exact_symmetries(refpool.roi_align, (6, 6, 3), boxes=[_GOOD[:, 1:]],
                                output_size=2, aligned=True, ndim=2,
                                channels_last=True)) == 8


def test_transform_boxes_is_the_group_action():
    rng = np.random.default_rng(18)
    boxes = _boxes(rng, 3, 2, 5, 7, quarter=True)
    for convention in ("continuous", "index"):
        for g, h in itertools.product(D4.elements, repeat=2):
            once = transform_boxes(transform_boxes(boxes, h, (5, 7), 2.0, convention), g,
                                   (5, 7) if h.axis_permutation[0][0] == 0 else (7, 5),
                                   2.0, convention)
            np.testing.assert_array_equal(
                once, transform_boxes(boxes, g @ h, (5, 7), 2.0, convention))
    with pytest.raises(ValueError, match="convention"):
        transform_boxes(boxes, D4.elements[0], (5, 7), convention="edges")


def test_operators_run_quietly():
    x = np.random.default_rng(19).standard_normal((1, 1, 4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        refpool.roi_align(x, np.array([[0, -9.0, -9.0, 9.0, 9.0]]), 3)
        refpool.roi_pool(x, np.array([[0, -9.0, -9.0, 9.0, 9.0]]), 3)
