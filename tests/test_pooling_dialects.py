"""General windowed pooling and its dialects: (before, after) padding, "same"/"valid",
dilated averages, windows of padding only, ``lp_pool``, and the ONNX and TensorFlow
dialect layers.

Independent answers: ``jax.lax.reduce_window`` (the jax adapter spells each call
with lax's own padding rules), onnxruntime and ONNX's own backend node tests
(``onnx.backend.test.case.node``), torch's ``lp_pool{1,2,3}d``, closed forms, and
the exactness predicate measured on random inputs.
"""

import itertools
import warnings

import numpy as np
import pytest

import refpool
from refpool.dialects import onnx as onnx_dialect
from refpool.dialects import tf as tf_dialect

from test_exact_symmetries import _assert_tight

ENGINES = ["reference", "cpu"]


# --------------------------------------------------------------------------- padding
@pytest.fixture(scope="module")
def lax():
    pytest.importorskip("jax")
    from refpool.conformance.adapters.jax import adapter
    return adapter


PADDINGS = ["same", "same_lower", "valid", ((0, 2),), ((2, 1),), ((3, 0),), ((1, 1),)]


@pytest.mark.parametrize("engine", ENGINES)
def test_general_padding_against_lax_reduce_window(lax, engine):
    rng = np.random.default_rng(0)
    compared = 0
    # each distinct window compiles one lax program: a grid of about 200
    for n, k, s, d, pad, ceil in itertools.product((6, 7), (2, 3), (1, 3), (1, 2),
                                                   PADDINGS, (False, True)):
        x = rng.standard_normal((2, 2, n))
        kw = dict(kernel_size=k, stride=s, padding=pad, ceil_mode=ceil)
        try:
            expected_max = lax.max_pool(x, dilation=d, **kw)
        except Exception:       # lax refuses what the geometry makes empty
            continue
        try:
            got_max = refpool.max_pool(x, dilation=d, engine=engine, **kw)
        except ValueError:
            assert expected_max.size == 0
            continue
        np.testing.assert_array_equal(got_max, expected_max)
        for cip in (True, False):
            got = refpool.avg_pool(x, count_include_pad=cip, dilation=d, engine=engine, **kw)
            expected = lax.avg_pool(x, count_include_pad=cip, dilation=d, **kw)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
            # windows of padding only: 0/0 without the padding counted
            assert np.array_equal(np.isnan(got), np.isnan(expected))
        compared += 1
    assert compared > 150


def test_same_padding_2d_and_3d_against_lax(lax):
    rng = np.random.default_rng(1)
    for shape, k, s in [((1, 2, 7, 6), (4, 3), (2, 3)), ((1, 1, 5, 6, 7), 3, (1, 2, 3))]:
        x = rng.standard_normal(shape)
        for pad in ("same", "same_lower"):
            np.testing.assert_array_equal(refpool.max_pool(x, k, s, pad),
                                          lax.max_pool(x, k, s, pad))
            np.testing.assert_allclose(refpool.avg_pool(x, k, s, pad, count_include_pad=False),
                                       lax.avg_pool(x, k, s, pad, count_include_pad=False))


def test_same_padding_formula():
    # o = ceil(n/s), total = max((o-1)s + d(k-1) + 1 - n, 0), the larger half after
    x = np.zeros((1, 1, 7))
    assert refpool.max_pool(x, 4, 2, "same").shape[-1] == 4
    spec = refpool._args.window_spec((7,), 4, 2, "same", general_padding=True)
    assert (spec.padding, spec.after) == ((1,), (2,))
    spec = refpool._args.window_spec((7,), 4, 2, "same_lower", general_padding=True)
    assert (spec.padding, spec.after) == ((2,), (1,))


@pytest.mark.parametrize("engine", ENGINES)
def test_windows_of_padding_only(engine):
    x = np.array([[[1.0, 2.0]]])
    y, idx = refpool.max_pool(x, 1, 1, ((2, 1),), return_indices=True, engine=engine)
    assert y.tolist() == [[[-np.inf, -np.inf, 1.0, 2.0, -np.inf]]]
    assert idx.tolist() == [[[-1, -1, 0, 1, -1]]]
    a = refpool.avg_pool(x, 1, 1, ((2, 1),), engine=engine)
    assert a.tolist() == [[[0.0, 0.0, 1.0, 2.0, 0.0]]]
    b = refpool.avg_pool(x, 1, 1, ((2, 1),), count_include_pad=False, engine=engine)
    assert np.isnan(b[0, 0, [0, 1, 4]]).all() and b[0, 0, 2:4].tolist() == [1.0, 2.0]
    lp = refpool.lp_pool(x, 2, 1, 1, padding=((2, 1),), engine=engine)
    assert lp.tolist() == [[[0.0, 0.0, 1.0, 2.0, 0.0]]]


@pytest.mark.parametrize("engine", ENGINES)
def test_dilated_average_closed_form(engine):
    x = np.random.default_rng(2).standard_normal((2, 3, 9, 10))
    y = refpool.avg_pool(x, 3, 1, 0, dilation=(2, 3), engine=engine)
    expected = np.stack([np.stack([x[..., i:i + 5:2, j:j + 7:3].mean(axis=(-2, -1))
                                   for j in range(y.shape[3])], -1)
                         for i in range(y.shape[2])], -2)
    np.testing.assert_allclose(y, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("padding, message", [
    ("SAME", "one of"), ("full", "one of"), (((1, 2, 3),), "pairs must be"),
    (((1, -1),), "must be >= 0"), (((1, 1), (1, 1)), "one entry"), (2.5, "padding must"),
    (((1, 1.5),), "padding must")])
def test_bad_padding(padding, message):
    x = np.zeros((1, 1, 6))
    before = x.copy()
    with pytest.raises((TypeError, ValueError), match=message):
        refpool.max_pool(x, 2, padding=padding)
    np.testing.assert_array_equal(x, before)


def test_int_padding_keeps_torchs_limit_pairs_lift_it():
    x = np.zeros((1, 1, 6))
    with pytest.raises(ValueError, match=r"\(before, after\) pair lifts"):
        refpool.max_pool(x, 2, padding=2)
    assert refpool.max_pool(x, 2, padding=((2, 2),)).shape == (1, 1, 5)


@pytest.mark.parametrize("padding", ["same", "same_lower", ((0, 1), (0, 1)), ((1, 2), 1)])
def test_exactness_with_general_padding_is_tight(padding):
    for n in (6, 7, 8):
        shape = (1, 1, n, n + 1)
        kw = dict(kernel_size=3, stride=2, padding=padding)
        _assert_tight(refpool.max_pool, shape, kw, exact=True)
        _assert_tight(refpool.avg_pool, shape, kw, exact=False)


# --------------------------------------------------------------------------- lp_pool
@pytest.mark.differential
@pytest.mark.parametrize("engine", ENGINES)
def test_lp_pool_against_torch(engine):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    fns = {1: F.lp_pool1d, 2: F.lp_pool2d, 3: F.lp_pool3d}
    rng = np.random.default_rng(3)
    for shape, k, s in [((2, 3, 9), 3, 2), ((1, 2, 7, 6), (3, 2), (2, 1)),
                        ((1, 2, 5, 6, 7), 2, (1, 2, 2))]:
        x = rng.standard_normal(shape)
        for p, ceil in itertools.product((1.0, 2.0, 3.0, 1.5, 0.5), (False, True)):
            got = refpool.lp_pool(x, p, k, s, ceil, engine=engine)
            expected = fns[len(shape) - 2](torch.from_numpy(x), p, k, s, ceil).numpy()
            assert np.array_equal(np.isnan(got), np.isnan(expected)), (shape, p, ceil)
            np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


def test_lp_pool_onnx_is_the_norm_of_the_window():
    x = np.random.default_rng(4).standard_normal((2, 2, 9))
    for p in (1, 2, 3, 4.5):
        got = refpool.lp_pool(x, p, 3, 2, padding=((1, 2),), variant="onnx")
        padded = np.pad(x, ((0, 0), (0, 0), (1, 2)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, 3, axis=-1)[..., ::2, :]
        np.testing.assert_allclose(got, (np.abs(windows) ** p).sum(-1) ** (1 / p),
                                   rtol=1e-13)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(norm_type=0), ValueError, "norm_type must be positive"),
    (dict(norm_type=-2), ValueError, "norm_type must be positive"),
    (dict(norm_type=float("nan")), ValueError, "norm_type"),
    (dict(norm_type=2000), ValueError, "at most 1024"),
    (dict(norm_type=True), TypeError, "norm_type must be a real"),
    (dict(norm_type="2"), TypeError, "norm_type must be a real"),
    (dict(norm_type=2, variant="l2"), ValueError, "variant must be one of"),
])
def test_lp_pool_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        refpool.lp_pool(np.zeros((1, 1, 4)), kernel_size=2, **kwargs)


def test_lp_pool_exactness_is_tight():
    for n in (7, 8):
        for kw in (dict(norm_type=2.0, kernel_size=3, stride=2),
                   dict(norm_type=3.0, kernel_size=3, stride=2, ceil_mode=True),
                   dict(norm_type=2.0, kernel_size=2, padding="same", variant="onnx")):
            _assert_tight(_positive_lp, (1, 1, n, n), kw, exact=False)


def _positive_lp(x, *args, **kwargs):
    # positive inputs keep PyTorch's definition free of NaN (allclose needs numbers)
    return refpool.lp_pool(np.abs(x), *args, **kwargs)


_positive_lp.__name__ = "lp_pool"


@pytest.mark.cuda
def test_new_window_features_on_the_cuda_engine():
    x = np.random.default_rng(5).standard_normal((1, 2, 5, 6))
    for kw in (dict(kernel_size=3, stride=2, padding=((1, 0), (2, 1))),
               dict(kernel_size=2, stride=1, padding="same", dilation=(1, 2))):
        np.testing.assert_array_equal(refpool.max_pool(x, **kw, engine="cuda"),
                                      refpool.max_pool(x, **kw, engine="reference"))
        for cip in (True, False):
            np.testing.assert_allclose(
                refpool.avg_pool(x, **kw, count_include_pad=cip, engine="cuda"),
                refpool.avg_pool(x, **kw, count_include_pad=cip, engine="reference"),
                rtol=1e-14)
        np.testing.assert_allclose(refpool.lp_pool(x, 3, **kw, engine="cuda"),
                                   refpool.lp_pool(x, 3, **kw, engine="reference"),
                                   rtol=1e-14, equal_nan=True)


# --------------------------------------------------------------------------- ONNX
def _ort_model(op, attrs, shape, outputs=1):
    from onnx import TensorProto, helper
    node = helper.make_node(op, ["X"], ["Y", "I"][:outputs], **attrs)
    outs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)]
    if outputs == 2:
        outs.append(helper.make_tensor_value_info("I", TensorProto.INT64, None))
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(
        "X", TensorProto.FLOAT, list(shape))], outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    model.ir_version = 10
    return model


def _ort_run(model, x, refused_ok=False):
    ort = pytest.importorskip("onnxruntime")
    ort.set_default_logger_severity(4)
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    try:
        return session.run(None, {"X": x})
    except Exception as exc:       # noqa: BLE001 - ONNX Runtime's own refusals
        # ONNX Runtime refuses SAME padding whose formula goes negative (a stride
        # longer than the window): test_negative_same_padding_is_clamped
        if refused_ok and "padding values must be non-negative" in str(exc):
            return None
        raise


def _ort_grid():
    rng = np.random.default_rng(6)
    for shape in ((2, 3, 7), (1, 2, 6, 5), (1, 1, 4, 5, 3)):
        r = len(shape) - 2
        for _ in range(12):
            k = [int(v) for v in rng.integers(1, 4, r)]
            attrs = dict(kernel_shape=k, strides=[int(v) for v in rng.integers(1, 4, r)],
                         ceil_mode=int(rng.integers(0, 2)))
            mode = rng.integers(0, 3)
            negative = any((-(-n // st) - 1) * st + ki - n < 0 for n, st, ki in
                           zip(shape[2:], attrs["strides"], k))
            if mode == 0 or negative:   # ONNX Runtime refuses pads >= kernel, and
                # negative SAME padding (test_negative_same_padding_is_clamped)
                attrs["pads"] = [int(rng.integers(0, k[i % r])) for i in range(2 * r)]
            else:
                attrs["auto_pad"] = ("SAME_UPPER", "SAME_LOWER")[mode - 1]
            if rng.random() < 0.5 and "pads" in attrs:
                # (ONNX Runtime computes SAME padding without the dilation:
                # test_onnxruntime_same_padding_ignores_dilation)
                attrs["dilations"] = [int(v) for v in rng.integers(1, 3, r)]
            try:                        # windows longer than the padded input
                onnx_dialect.MaxPool(np.zeros(shape, np.float32), **attrs)
            except ValueError:
                continue
            yield shape, attrs


def test_maxpool_values_and_indices_against_onnxruntime():
    rng = np.random.default_rng(7)
    for shape, attrs in _ort_grid():
        x = rng.standard_normal(shape).astype(np.float32)
        for storage_order in (0, 1):
            a = dict(attrs, storage_order=storage_order)
            result = _ort_run(_ort_model("MaxPool", a, shape, outputs=2), x, refused_ok=True)
            if result is None:
                continue
            y, i = result
            got_y, got_i = onnx_dialect.MaxPool(x, **a, return_indices=True)
            np.testing.assert_array_equal(got_y, y, err_msg=str(a))
            np.testing.assert_array_equal(got_i, i, err_msg=str(a))


def test_averagepool_and_lppool_against_onnxruntime():
    rng = np.random.default_rng(8)
    for shape, attrs in _ort_grid():
        x = rng.standard_normal(shape).astype(np.float32)
        for cip in (0, 1):
            a = dict(attrs, count_include_pad=cip)
            result = _ort_run(_ort_model("AveragePool", a, shape), x, refused_ok=True)
            if result is None:
                continue
            (y,) = result
            np.testing.assert_allclose(onnx_dialect.AveragePool(x, **a), y, rtol=2e-6,
                                       atol=1e-7, err_msg=str(a))
        for p in (1, 2, 3):
            a = dict(attrs, p=p)
            result = _ort_run(_ort_model("LpPool", a, shape), x, refused_ok=True)
            if result is None:
                continue
            (y,) = result
            np.testing.assert_allclose(onnx_dialect.LpPool(x, **a), y, rtol=3e-6,
                                       atol=1e-7, err_msg=str(a))


def test_negative_same_padding_is_clamped():
    """SAME padding whose formula is negative (stride longer than the window): refpool
    clamps it at 0 as TensorFlow and ``lax.padtype_to_pads`` do (ONNX ``pads`` are
    non-negative); ONNX Runtime refuses the node and ONNX's reference evaluator shifts
    the windows (a negative pad crops).  Recorded in docs/dialects.rst."""
    pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator
    x = np.arange(6, dtype=np.float32).reshape(1, 1, 6)
    attrs = dict(kernel_shape=[1], strides=[3], auto_pad="SAME_UPPER")
    model = _ort_model("MaxPool", attrs, x.shape)
    assert onnx_dialect.MaxPool(x, **attrs).ravel().tolist() == [0.0, 3.0]
    assert _ort_run(model, x, refused_ok=True) is None
    assert ReferenceEvaluator(model).run(None, {"X": x})[0].ravel().tolist() == [1.0, 4.0]


def test_onnxruntime_same_padding_ignores_dilation():
    """A recorded divergence (docs/dialects.rst): with ``auto_pad=SAME_*`` and
    ``dilations``, ONNX Runtime 1.32 pads as if the kernel were not dilated, so the
    output is not ``ceil(n / s)`` long; the specification's pad formula (and
    ``lax.padtype_to_pads``) include the dilation, and refpool follows them."""
    x = np.array([[[3, 1, 4, 1, 5, 9, 2]]], np.float32)
    attrs = dict(kernel_shape=[2], strides=[2], auto_pad="SAME_UPPER", dilations=[2])
    (runtime,) = _ort_run(_ort_model("MaxPool", attrs, x.shape), x)
    ours = onnx_dialect.MaxPool(x, **attrs)
    assert ours.ravel().tolist() == [1.0, 1.0, 9.0, 9.0]        # ceil(7 / 2) = 4 outputs
    assert runtime.ravel().tolist() == [4.0, 5.0, 5.0]


def test_onnx_reference_evaluator_divergences_are_real():
    """The divergences docs/dialects.rst records still hold in onnx's reference
    evaluator (if one is fixed, this fails and the record must go)."""
    pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator
    x = np.arange(1, 3, dtype=np.float32).reshape(1, 1, 2)
    # ceil-mode output length with pads: kernel 2, stride 1, pads (1, 1): 3 outputs
    model = _ort_model("MaxPool", dict(kernel_shape=[2], pads=[1, 1], ceil_mode=1), x.shape)
    (evaluated,) = ReferenceEvaluator(model).run(None, {"X": x})
    assert onnx_dialect.MaxPool(x, kernel_shape=[2], pads=[1, 1], ceil_mode=1).shape[-1] == 3
    assert evaluated.shape[-1] != 3
    # MaxPool indices (2-D): flat over the whole tensor in ONNX Runtime and refpool; the
    # evaluator's are neither that nor per plane (3 in each plane here)
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    model = _ort_model("MaxPool", dict(kernel_shape=[2, 2]), x.shape, outputs=2)
    _, evaluated = ReferenceEvaluator(model).run(None, {"X": x})
    _, ours = onnx_dialect.MaxPool(x, kernel_shape=[2, 2], return_indices=True)
    assert ours.ravel().tolist() == [3, 7] == _ort_run(model, x)[1].ravel().tolist()
    assert evaluated.ravel().tolist() == [6, 6]
    # LpPool: the evaluator scales a ceil-mode window that overhangs the input by
    # prod(kernel_shape) / its in-bounds count (PyTorch's lp_pool does the same);
    # the specification's norm, ONNX Runtime and refpool do not
    x = np.array([[[3.0, 4.0, 5.0]]], dtype=np.float32)
    attrs = dict(kernel_shape=[2], strides=[2], ceil_mode=1, p=2)
    model = _ort_model("LpPool", attrs, x.shape)
    (evaluated,) = ReferenceEvaluator(model).run(None, {"X": x})
    ours = onnx_dialect.LpPool(x, **attrs)
    np.testing.assert_allclose(ours[0, 0], [5.0, 5.0])
    np.testing.assert_allclose(_ort_run(model, x)[0][0, 0], [5.0, 5.0])
    np.testing.assert_allclose(evaluated[0, 0], [5.0, 5.0 * np.sqrt(2)], rtol=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: onnx_dialect.MaxPool(x, kernel_shape=[2], pads=[1, 1, 1]), ValueError,
     "pads must have 2 x 1"),
    (lambda x: onnx_dialect.MaxPool(x, kernel_shape=[2], auto_pad="SAME"), ValueError,
     "auto_pad must be one of"),
    (lambda x: onnx_dialect.MaxPool(x), TypeError, "kernel_shape is required"),
    (lambda x: onnx_dialect.MaxPool(x, kernel_shape=[2, 2]), ValueError,
     "kernel_shape must have 1"),
    (lambda x: onnx_dialect.MaxPool(x, kernel_shape=[2], storage_order=2), ValueError,
     "storage_order"),
    (lambda x: onnx_dialect.MaxPool(x, kernel_shape=[2], auto_pad="VALID", pads=[1, 1]),
     ValueError, "pads must not be given"),
    (lambda x: onnx_dialect.AveragePool(x, kernel_shape=[2], ceil_mode=2), ValueError,
     "ceil_mode must be 0 or 1"),
    (lambda x: onnx_dialect.LpPool(x, kernel_shape=[2], p=0), ValueError, "p must be >= 1"),
    (lambda x: onnx_dialect.LpPool(x, kernel_shape=[2], p=2.5), TypeError, "p must be an int"),
    (lambda x: onnx_dialect.GlobalMaxPool(x[0, 0]), ValueError, "X must have shape"),
])
def test_onnx_dialect_bad_attributes(call, error, message):
    x = np.zeros((1, 1, 6), np.float32)
    with pytest.raises(error, match=message):
        call(x)


def test_global_pools():
    x = np.random.default_rng(9).standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(onnx_dialect.GlobalMaxPool(x), x.max(axis=(2, 3),
                                                                        keepdims=True))
    np.testing.assert_allclose(onnx_dialect.GlobalAveragePool(x),
                               x.astype(np.float64).mean(axis=(2, 3), keepdims=True),
                               rtol=1e-6)
    np.testing.assert_allclose(onnx_dialect.GlobalLpPool(x, p=3),
                               (np.abs(x.astype(np.float64)) ** 3).sum(axis=(2, 3),
                                                                       keepdims=True) ** (1 / 3),
                               rtol=1e-6)


def test_dialects_page_runs_as_written():
    import doctest
    import os
    page = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs",
                        "dialects.rst")
    result = doctest.testfile(page, module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 15 and result.failed == 0


# --------------------------------------------------------------------------- TF
def test_tf_dialect_same_and_valid_in_nhwc(lax):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 7, 6, 3))                           # NHWC
    nchw = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    for padding in ("SAME", "VALID"):
        for ksize, strides in ((3, 2), ([1, 2, 3, 1], [1, 2, 1, 1]), ((2, 2), 1)):
            k = ksize if isinstance(ksize, int) else tuple(ksize)
            k = k[1:3] if isinstance(k, tuple) and len(k) == 4 else k
            s = strides if isinstance(strides, int) else tuple(strides)[1:3]
            got = tf_dialect.max_pool(x, ksize, strides, padding)
            expected = lax.max_pool(nchw, k, s, padding.lower())
            np.testing.assert_array_equal(got, np.moveaxis(expected, 1, -1))
            got = tf_dialect.avg_pool(x, ksize, strides, padding)
            expected = lax.avg_pool(nchw, k, s, padding.lower(), count_include_pad=False)
            np.testing.assert_allclose(got, np.moveaxis(expected, 1, -1), rtol=1e-13)
    got = tf_dialect.max_pool(nchw, 3, 2, "SAME", data_format="NCHW")
    np.testing.assert_array_equal(got, lax.max_pool(nchw, 3, 2, "same"))


def test_tf_dialect_explicit_padding_and_bad_arguments():
    x = np.random.default_rng(11).standard_normal((1, 6, 5, 2))
    got = tf_dialect.max_pool(x, 2, 2, [[0, 0], [1, 0], [0, 1], [0, 0]])
    expected = refpool.max_pool(np.moveaxis(x, -1, 1), 2, 2, ((1, 0), (0, 1)))
    np.testing.assert_array_equal(got, np.moveaxis(expected, 1, -1))
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        tf_dialect.avg_pool(x, 2, 2, [[0, 0], [1, 0], [0, 1], [0, 0]])
    with pytest.raises(ValueError, match="batch and channel axes"):
        tf_dialect.max_pool(x, [2, 2, 2, 2], 1, "SAME")
    with pytest.raises(ValueError, match="data_format must be"):
        tf_dialect.max_pool(x, 2, 1, "SAME", data_format="NCDHW")
