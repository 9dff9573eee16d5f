"""ONNX's own backend node tests pass through ``refpool.dialects.onnx``.

onnx >= 1.23 ships them as code (``onnx.backend.test.case.node``), not files: each
case is a one-node model with its inputs and expected outputs.  Every case of every
operator the dialect implements runs here.  Where an expected output is itself
questionable, the case says why and what an independent runtime computes; where
refpool deliberately differs, the divergence is asserted to be real.
"""

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from refpool.dialects import onnx as dialect  # noqa: E402

#: expected outputs rounded by hand: compared with a tolerance of their rounding
ROUNDED = {
    "test_averagepool_2d_ceil_last_window_starts_on_pad": 1e-4,
    "test_roialign_aligned_false": 1e-4,
    "test_roialign_aligned_true": 1e-4,
    "test_gridsample_bicubic": 1e-4,      # 1.7556 for 1.75555 (onnxruntime agrees with refpool)
}

#: expected outputs computed by ONNX's reference evaluator where onnxruntime (and
#: refpool) read the specification differently: compared with onnxruntime instead
RUNTIME_INSTEAD = {
    "test_maxunpool_export_with_output_shape":
        "the evaluator scatters the indices in the inferred (4, 4) grid and pads to "
        "output_shape; onnxruntime and torch read them in the (5, 5) output grid",
    "test_resize_downsample_scales_linear_align_corners":
        "the evaluator's align_corners divides by n*scale - 1 (fractional length 2.4); "
        "the specification's length_resized and onnxruntime use the output length m = 2",
    "test_resize_downsample_scales_cubic_align_corners":
        "as test_resize_downsample_scales_linear_align_corners (n*scale = 3.2, m = 3)",
}

#: deliberate divergences (docs/region_pooling.rst, docs/dialects.rst)
DIVERGENT = {
    "test_roialign_mode_max":
        "ONNX's max mode takes the largest weighted corner term of each sample; refpool "
        "the largest bilinear sample value, as the specification says",
}


def _cases():
    from onnx import helper
    import onnx.backend.test.case.node as node_cases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # collect_testcases fills one module-level list on its first call: ask for all
        cases = node_cases.collect_testcases(None)
    out = []
    for case in cases:
        node = case.model.graph.node[0]
        if len(case.model.graph.node) == 1 and hasattr(dialect, node.op_type):
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            attrs = {k: v.decode() if isinstance(v, bytes) else v for k, v in attrs.items()}
            out.append(pytest.param(case, node, attrs, id=case.name))
    return out


CASES = _cases()


def test_every_dialect_operator_has_node_tests():
    # (onnx 1.23 ships none for GlobalLpPool and MaxRoiPool: tests/test_pooling_dialects.py
    # and tests/test_region_pooling.py check those against onnxruntime)
    covered = {p.values[1].op_type for p in CASES}
    assert covered >= {"MaxPool", "AveragePool", "LpPool", "GlobalMaxPool",
                       "GlobalAveragePool", "DepthToSpace", "SpaceToDepth", "MaxUnpool",
                       "RoiAlign"}, covered


def _run_dialect(node, attrs, inputs):
    kwargs = dict(attrs)
    if node.op_type == "MaxPool" and len(node.output) == 2:
        kwargs["return_indices"] = True
    if "" in node.input:     # omitted optional inputs: pass the others by their schema names
        from onnx import defs
        names = [i.name for i in defs.get_schema(node.op_type).inputs]
        present = [names[k] for k, name in enumerate(node.input) if name]
        kwargs.update(zip(present[1:], inputs[1:]))
        inputs = inputs[:1]
    got = getattr(dialect, node.op_type)(*inputs, **kwargs)
    return got if isinstance(got, tuple) else (got,)


def _runtime(case, inputs):
    ort = pytest.importorskip("onnxruntime")
    ort.set_default_logger_severity(4)
    session = ort.InferenceSession(case.model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    names = [i.name for i in case.model.graph.input]
    return session.run(None, dict(zip(names, inputs)))


@pytest.mark.parametrize("case, node, attrs", CASES)
def test_node(case, node, attrs):
    for inputs, expected in case.data_sets:
        got = _run_dialect(node, attrs, inputs)
        if case.name in RUNTIME_INSTEAD:
            expected = _runtime(case, inputs)
        for g, e in zip(got, expected):
            assert g.shape == e.shape and g.dtype == e.dtype
            if case.name in DIVERGENT:
                assert not np.allclose(g, e, rtol=1e-3), "the divergence is gone: update"
            elif node.op_type == "MaxPool" or e.dtype.kind in "iu":
                np.testing.assert_array_equal(g, e)
            else:
                atol = ROUNDED.get(case.name, 1e-6)
                np.testing.assert_allclose(g, e, rtol=1e-5, atol=atol)
