"""The cross-framework resize table of docs/resize_dialects.rst (docs/_ext/resize_table.py).

The table is computed through refpool's dialects.  Here every setting is run again by
its framework itself (torch, TensorFlow, JAX, onnxruntime, OpenCV, Pillow,
scikit-image), and (1) every cell of the table, for each pair of frameworks, must be
the difference of the frameworks' own outputs, within float32 rounding; (2) every
class of settings the table says agree must agree when the frameworks compute.
"""

import functools
import itertools
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "docs", "_ext"))
import resize_table  # noqa: E402

FRAMEWORKS = ("torch", "tf", "jax", "onnx", "cv2", "PIL", "skimage")
MODULES = {"torch": "torch", "tf": "tensorflow", "jax": "jax", "onnx": "onnxruntime",
           "cv2": "cv2", "PIL": "PIL", "skimage": "skimage"}

#: the dialects reproduce their frameworks to a few float32 ulps of the image's range
#: (OpenCV: eps32 (8 + 2L), L = 48 the longest axis: 1.2e-5); a difference of two
#: outputs then moves by at most the sum of two such errors
TOLERANCE = 3e-5


def _need(framework):
    pytest.importorskip(MODULES[framework])
    if framework == "onnx":
        pytest.importorskip("onnx")


# ----------------------------------------------------------------------- the peers
def _torch(mode, **kw):
    def run(x, size):
        import torch
        return torch.nn.functional.interpolate(torch.from_numpy(x)[None, None], size=size,
                                               mode=mode, **kw)[0, 0].numpy()
    return run


def _tf(method, antialias=False):
    def run(x, size):
        import tensorflow as tf
        return tf.image.resize(x[None, :, :, None], size, method=method,
                               antialias=antialias).numpy()[0, :, :, 0]
    return run


def _tf_v1(op, **kw):
    def run(x, size):
        import tensorflow as tf
        return getattr(tf.compat.v1.image, op)(x[None, :, :, None], size,
                                               **kw).numpy()[0, :, :, 0]
    return run


def _jax(method, antialias=True):
    def run(x, size):
        import jax
        return np.asarray(jax.image.resize(x, size, method, antialias=antialias))
    return run


def _onnx(mode, **attrs):
    def run(x, size):
        import onnxruntime as ort
        from onnx import TensorProto, helper
        ort.set_default_logger_severity(4)
        node = helper.make_node("Resize", ["X", "", "", "sizes"], ["Y"], mode=mode, **attrs)
        graph = helper.make_graph(
            [node], "g",
            [helper.make_tensor_value_info("X", TensorProto.FLOAT, (1, 1) + x.shape),
             helper.make_tensor_value_info("sizes", TensorProto.INT64, (4,))],
            [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
        session = ort.InferenceSession(model.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        return session.run(None, {"X": x[None, None],
                                  "sizes": np.array([1, 1, *size], np.int64)})[0][0, 0]
    return run


def _cv2(name):
    def run(x, size):
        import cv2
        return cv2.resize(x, (size[1], size[0]), interpolation=getattr(cv2, name))
    return run


def _pil(name):
    def run(x, size):
        from PIL import Image
        return np.asarray(Image.fromarray(x).resize((size[1], size[0]),
                                                   getattr(Image.Resampling, name)))
    return run


def _skimage(order, **kw):
    def run(x, size):
        import skimage.transform
        return skimage.transform.resize(x, size, order=order, **kw)
    return run


#: label of docs/_ext/resize_table.py -> the framework's own call
PEERS = {
    "torch nearest": _torch("nearest"),
    "torch nearest-exact": _torch("nearest-exact"),
    "tf nearest": _tf("nearest"),
    "tf v1 nearest": _tf_v1("resize_nearest_neighbor"),
    "jax nearest": _jax("nearest"),
    "onnx nearest": _onnx("nearest"),
    "onnx nearest asym floor": _onnx("nearest", coordinate_transformation_mode="asymmetric",
                                     nearest_mode="floor"),
    "onnx nearest tf_nn floor": _onnx("nearest",
                                      coordinate_transformation_mode="tf_half_pixel_for_nn",
                                      nearest_mode="floor"),
    "cv2 NEAREST": _cv2("INTER_NEAREST"),
    "cv2 NEAREST_EXACT": _cv2("INTER_NEAREST_EXACT"),
    "PIL NEAREST": _pil("NEAREST"),
    "skimage order 0": _skimage(0, anti_aliasing=False),
    "torch bilinear": _torch("bilinear", align_corners=False),
    "torch bilinear ac": _torch("bilinear", align_corners=True),
    "torch bilinear aa": _torch("bilinear", align_corners=False, antialias=True),
    "tf bilinear": _tf("bilinear"),
    "tf bilinear aa": _tf("bilinear", True),
    "tf v1 bilinear": _tf_v1("resize_bilinear"),
    "tf v1 bilinear ac": _tf_v1("resize_bilinear", align_corners=True),
    "jax linear": _jax("linear", False),
    "jax linear aa": _jax("linear", True),
    "onnx linear": _onnx("linear"),
    "onnx linear ac": _onnx("linear", coordinate_transformation_mode="align_corners"),
    "onnx linear asym": _onnx("linear", coordinate_transformation_mode="asymmetric"),
    "onnx linear aa": _onnx("linear", antialias=1),
    "onnx linear aa excl": _onnx("linear", antialias=1, exclude_outside=1),
    "cv2 LINEAR": _cv2("INTER_LINEAR"),
    "PIL BILINEAR": _pil("BILINEAR"),
    "skimage order 1": _skimage(1, mode="edge", anti_aliasing=False),
    "skimage order 1 aa": _skimage(1),
    "torch bicubic": _torch("bicubic", align_corners=False),
    "torch bicubic ac": _torch("bicubic", align_corners=True),
    "torch bicubic aa": _torch("bicubic", align_corners=False, antialias=True),
    "tf bicubic": _tf("bicubic"),
    "tf bicubic aa": _tf("bicubic", True),
    "jax cubic": _jax("cubic", False),
    "jax cubic aa": _jax("cubic", True),
    "jax cubic-pytorch": _jax("cubic-pytorch", False),
    "onnx cubic": _onnx("cubic"),
    "onnx cubic A-0.5 excl": _onnx("cubic", cubic_coeff_a=-0.5, exclude_outside=1),
    "onnx cubic aa": _onnx("cubic", antialias=1),
    "onnx cubic aa A-0.5 excl": _onnx("cubic", antialias=1, cubic_coeff_a=-0.5,
                                      exclude_outside=1),
    "cv2 CUBIC": _cv2("INTER_CUBIC"),
    "PIL BICUBIC": _pil("BICUBIC"),
    "torch area": _torch("area"),
    "tf area": _tf("area"),
    "jax area": _jax("area"),
    "cv2 AREA": _cv2("INTER_AREA"),
    "PIL BOX": _pil("BOX"),
    "tf lanczos3": _tf("lanczos3"),
    "tf lanczos3 aa": _tf("lanczos3", True),
    "tf lanczos5": _tf("lanczos5"),
    "jax lanczos3": _jax("lanczos3", False),
    "jax lanczos3 aa": _jax("lanczos3", True),
    "jax lanczos5": _jax("lanczos5", False),
    "cv2 LANCZOS4": _cv2("INTER_LANCZOS4"),
    "PIL LANCZOS": _pil("LANCZOS"),
}


@functools.lru_cache(maxsize=None)
def peer_output(label, case):
    x = resize_table.image()
    y = np.asarray(PEERS[label](x.copy(), resize_table.CASES[case]), dtype=np.float64)
    assert y.shape == resize_table.CASES[case], (label, case, y.shape)
    return y


@functools.lru_cache(maxsize=None)
def _table():
    return resize_table.table()


def test_every_variant_has_its_peer():
    assert set(PEERS) == set(resize_table.BY_LABEL)
    assert {v[2] for v in resize_table.VARIANTS} == set(FRAMEWORKS)


def _pairs():
    """The pairs of frameworks with a cell in the table (two settings of one family)."""
    pairs = []
    for fw_a, fw_b in itertools.combinations_with_replacement(FRAMEWORKS, 2):
        for family in resize_table.FAMILIES:
            labels = [v[0] for v in resize_table.VARIANTS if v[1] == family]
            if any({resize_table.BY_LABEL[a][2], resize_table.BY_LABEL[b][2]} == {fw_a, fw_b}
                   for a, b in itertools.combinations(labels, 2)):
                pairs.append((fw_a, fw_b))
                break
    return pairs


@pytest.mark.parametrize("fw_a, fw_b", _pairs())
def test_table_cells_are_the_frameworks_differences(fw_a, fw_b):
    """Every cell between a setting of ``fw_a`` and one of ``fw_b``, recomputed from the
    frameworks' own outputs."""
    _need(fw_a)
    _need(fw_b)
    cells = [(a, b, case) for (a, b, case) in _table()
             if {resize_table.BY_LABEL[a][2], resize_table.BY_LABEL[b][2]} == {fw_a, fw_b}]
    assert cells
    wrong = []
    for a, b, case in cells:
        real = resize_table.difference(peer_output(a, case), peer_output(b, case))
        if abs(real - _table()[a, b, case]) > TOLERANCE:
            wrong.append((a, b, case, _table()[a, b, case], real))
    assert not wrong, wrong


@pytest.mark.parametrize("group", resize_table.agreements(),
                         ids=lambda group: " == ".join(group))
def test_agreeing_settings_agree_in_the_frameworks(group):
    """Each claimed class of agreeing settings, with the frameworks themselves: every
    two agree to float32 rounding (``AGREE``) in every case."""
    for label in group:
        _need(resize_table.BY_LABEL[label][2])
    for case in resize_table.CASES:
        first = peer_output(group[0], case)
        for other in group[1:]:
            assert resize_table.difference(first, peer_output(other, case)) <= \
                resize_table.AGREE, (group[0], other, case)


def test_settings_outside_the_classes_disagree_with_the_frameworks():
    """The table's claims are tight where it matters most: the two settings usually
    taken for each other really differ (with the frameworks, not only the dialects)."""
    for a, b in [("torch area", "cv2 AREA"),          # adaptive windows vs cell overlap
                 ("tf bicubic", "jax cubic"),         # TF's tabulated kernel
                 ("torch bilinear aa", "onnx linear aa"),
                 ("PIL NEAREST", "tf nearest"),       # PIL accumulates: ties differ
                 ("onnx nearest", "torch nearest")]:
        fws = {resize_table.BY_LABEL[a][2], resize_table.BY_LABEL[b][2]}
        for fw in fws:
            _need(fw)
        worst = max(resize_table.difference(peer_output(a, c), peer_output(b, c))
                    for c in resize_table.CASES)
        assert worst > 10 * resize_table.AGREE, (a, b, worst)
        assert not any(a in g and b in g for g in resize_table.agreements())


def test_generated_page_lists_every_family_and_class():
    text = "\n".join(resize_table.lines())
    for family in resize_table.FAMILIES:
        assert f"**{family}**" in text
    assert text.count("\n* ") == len(resize_table.agreements())
