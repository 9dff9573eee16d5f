"""Sphinx extension: how far apart the frameworks' image resizes are, generated at build.

One fixed random float32 image (:data:`SHAPE`, values in [0, 1)) is resized by
every framework's method, each through refpool's dialect of that framework
(:mod:`refpool.dialects` and :func:`refpool.interpolate` for PyTorch; each dialect
is checked against its framework by the dialect tests, so the build needs no
framework installed), for the scales of :data:`CASES`.  For every method family,
every pair of settings gets the largest absolute difference of their outputs;
pairs that agree to float32 rounding (:data:`AGREE`) in every case are listed.
Writes ``_generated/resize_table.rst``; :func:`table` and :func:`agreements` are
what ``tests/test_resize_table.py`` recomputes with the frameworks themselves.
"""

import functools
import os

import numpy as np

#: the image: height x width
SHAPE = (24, 20)
#: name -> output (height, width)
CASES = {"x2": (48, 40), "x0.5": (12, 10), "x1.5": (36, 30), "17x13": (17, 13)}
#: largest difference counted as agreement: float32 rounding of values in [0, 1)
AGREE = 1e-5


def image():
    """The fixed test image: float32, uniform in [0, 1)."""
    return np.random.default_rng(20261203).random(SHAPE).astype(np.float32)


# -------------------------------------------------------------------------- variants
# Each variant: (label, family, framework, setting in the framework's own words,
# function(image (H, W) float32, (h, w)) -> (h, w) array).


def _torch(mode, **kw):
    def run(x, size):
        import refpool
        return refpool.interpolate(x[None, None], size=size, mode=mode, **kw)[0, 0]
    return run


def _tf(method, antialias=False):
    def run(x, size):
        from refpool.dialects import tf
        return tf.resize(x[None, :, :, None], size, method=method,
                         antialias=antialias)[0, :, :, 0]
    return run


def _tf_v1(op, align_corners=False, half_pixel_centers=False):
    def run(x, size):
        from refpool.dialects import tf
        return getattr(tf, op)(x[None, :, :, None], size, align_corners=align_corners,
                               half_pixel_centers=half_pixel_centers)[0, :, :, 0]
    return run


def _jax(method, antialias=True):
    def run(x, size):
        from refpool.dialects import jax
        return jax.resize(x, size, method, antialias=antialias)
    return run


def _onnx(mode, **kw):
    def run(x, size):
        from refpool.dialects.onnx import Resize
        return Resize(x[None, None], sizes=np.array([1, 1, *size], np.int64), mode=mode,
                      **kw)[0, 0]
    return run


def _cv2(name):
    def run(x, size):
        from refpool.dialects import cv2
        return cv2.resize(x, (size[1], size[0]), interpolation=getattr(cv2, name))
    return run


def _pil(name):
    def run(x, size):
        from refpool.dialects import pil
        return pil.resize(x, (size[1], size[0]), getattr(pil, name))
    return run


def _skimage(order, **kw):
    def run(x, size):
        from refpool.dialects import skimage
        return skimage.resize(x, size, order=order, **kw)
    return run


FAMILIES = ("nearest", "linear", "cubic", "area", "lanczos")

VARIANTS = [
    # nearest
    ("torch nearest", "nearest", "torch", "mode='nearest'", _torch("nearest")),
    ("torch nearest-exact", "nearest", "torch", "mode='nearest-exact'",
     _torch("nearest-exact")),
    ("tf nearest", "nearest", "tf", "method='nearest'", _tf("nearest")),
    ("tf v1 nearest", "nearest", "tf", "resize_nearest_neighbor (legacy)",
     _tf_v1("resize_nearest_neighbor")),
    ("jax nearest", "nearest", "jax", "method='nearest'", _jax("nearest")),
    ("onnx nearest", "nearest", "onnx",
     "mode='nearest' (half_pixel, round_prefer_floor)", _onnx("nearest")),
    ("onnx nearest asym floor", "nearest", "onnx",
     "mode='nearest', asymmetric, nearest_mode='floor'",
     _onnx("nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")),
    ("onnx nearest tf_nn floor", "nearest", "onnx",
     "mode='nearest', tf_half_pixel_for_nn, nearest_mode='floor'",
     _onnx("nearest", coordinate_transformation_mode="tf_half_pixel_for_nn",
           nearest_mode="floor")),
    ("cv2 NEAREST", "nearest", "cv2", "INTER_NEAREST", _cv2("INTER_NEAREST")),
    ("cv2 NEAREST_EXACT", "nearest", "cv2", "INTER_NEAREST_EXACT",
     _cv2("INTER_NEAREST_EXACT")),
    ("PIL NEAREST", "nearest", "PIL", "NEAREST", _pil("NEAREST")),
    ("skimage order 0", "nearest", "skimage", "order=0, anti_aliasing=False",
     _skimage(0, anti_aliasing=False)),
    # linear
    ("torch bilinear", "linear", "torch", "mode='bilinear', align_corners=False",
     _torch("bilinear", align_corners=False)),
    ("torch bilinear ac", "linear", "torch", "mode='bilinear', align_corners=True",
     _torch("bilinear", align_corners=True)),
    ("torch bilinear aa", "linear", "torch", "mode='bilinear', antialias=True",
     _torch("bilinear", align_corners=False, antialias=True)),
    ("tf bilinear", "linear", "tf", "method='bilinear', antialias=False", _tf("bilinear")),
    ("tf bilinear aa", "linear", "tf", "method='bilinear', antialias=True",
     _tf("bilinear", True)),
    ("tf v1 bilinear", "linear", "tf", "resize_bilinear (legacy)",
     _tf_v1("resize_bilinear")),
    ("tf v1 bilinear ac", "linear", "tf", "resize_bilinear, align_corners=True",
     _tf_v1("resize_bilinear", align_corners=True)),
    ("jax linear", "linear", "jax", "method='linear', antialias=False",
     _jax("linear", False)),
    ("jax linear aa", "linear", "jax", "method='linear', antialias=True",
     _jax("linear", True)),
    ("onnx linear", "linear", "onnx", "mode='linear' (half_pixel)", _onnx("linear")),
    ("onnx linear ac", "linear", "onnx", "mode='linear', align_corners",
     _onnx("linear", coordinate_transformation_mode="align_corners")),
    ("onnx linear asym", "linear", "onnx", "mode='linear', asymmetric",
     _onnx("linear", coordinate_transformation_mode="asymmetric")),
    ("onnx linear aa", "linear", "onnx", "mode='linear', antialias=1",
     _onnx("linear", antialias=1)),
    ("onnx linear aa excl", "linear", "onnx", "mode='linear', antialias=1, exclude_outside=1",
     _onnx("linear", antialias=1, exclude_outside=1)),
    ("cv2 LINEAR", "linear", "cv2", "INTER_LINEAR", _cv2("INTER_LINEAR")),
    ("PIL BILINEAR", "linear", "PIL", "BILINEAR", _pil("BILINEAR")),
    ("skimage order 1", "linear", "skimage", "order=1, mode='edge', anti_aliasing=False",
     _skimage(1, mode="edge", anti_aliasing=False)),
    ("skimage order 1 aa", "linear", "skimage",
     "order=1 (mode='reflect', anti_aliasing default)", _skimage(1)),
    # cubic
    ("torch bicubic", "cubic", "torch", "mode='bicubic', align_corners=False",
     _torch("bicubic", align_corners=False)),
    ("torch bicubic ac", "cubic", "torch", "mode='bicubic', align_corners=True",
     _torch("bicubic", align_corners=True)),
    ("torch bicubic aa", "cubic", "torch", "mode='bicubic', antialias=True",
     _torch("bicubic", align_corners=False, antialias=True)),
    ("tf bicubic", "cubic", "tf", "method='bicubic', antialias=False", _tf("bicubic")),
    ("tf bicubic aa", "cubic", "tf", "method='bicubic', antialias=True",
     _tf("bicubic", True)),
    ("jax cubic", "cubic", "jax", "method='cubic', antialias=False", _jax("cubic", False)),
    ("jax cubic aa", "cubic", "jax", "method='cubic', antialias=True", _jax("cubic", True)),
    ("jax cubic-pytorch", "cubic", "jax", "method='cubic-pytorch', antialias=False",
     _jax("cubic-pytorch", False)),
    ("onnx cubic", "cubic", "onnx", "mode='cubic' (half_pixel, A=-0.75)", _onnx("cubic")),
    ("onnx cubic A-0.5 excl", "cubic", "onnx",
     "mode='cubic', cubic_coeff_a=-0.5, exclude_outside=1",
     _onnx("cubic", cubic_coeff_a=-0.5, exclude_outside=1)),
    ("onnx cubic aa", "cubic", "onnx", "mode='cubic', antialias=1",
     _onnx("cubic", antialias=1)),
    ("onnx cubic aa A-0.5 excl", "cubic", "onnx",
     "mode='cubic', antialias=1, cubic_coeff_a=-0.5, exclude_outside=1",
     _onnx("cubic", antialias=1, cubic_coeff_a=-0.5, exclude_outside=1)),
    ("cv2 CUBIC", "cubic", "cv2", "INTER_CUBIC", _cv2("INTER_CUBIC")),
    ("PIL BICUBIC", "cubic", "PIL", "BICUBIC", _pil("BICUBIC")),
    # area / box
    ("torch area", "area", "torch", "mode='area'", _torch("area")),
    ("tf area", "area", "tf", "method='area'", _tf("area")),
    ("jax area", "area", "jax", "method='area'", _jax("area")),
    ("cv2 AREA", "area", "cv2", "INTER_AREA", _cv2("INTER_AREA")),
    ("PIL BOX", "area", "PIL", "BOX", _pil("BOX")),
    # lanczos
    ("tf lanczos3", "lanczos", "tf", "method='lanczos3', antialias=False",
     _tf("lanczos3")),
    ("tf lanczos3 aa", "lanczos", "tf", "method='lanczos3', antialias=True",
     _tf("lanczos3", True)),
    ("tf lanczos5", "lanczos", "tf", "method='lanczos5', antialias=False",
     _tf("lanczos5")),
    ("jax lanczos3", "lanczos", "jax", "method='lanczos3', antialias=False",
     _jax("lanczos3", False)),
    ("jax lanczos3 aa", "lanczos", "jax", "method='lanczos3', antialias=True",
     _jax("lanczos3", True)),
    ("jax lanczos5", "lanczos", "jax", "method='lanczos5', antialias=False",
     _jax("lanczos5", False)),
    ("cv2 LANCZOS4", "lanczos", "cv2", "INTER_LANCZOS4", _cv2("INTER_LANCZOS4")),
    ("PIL LANCZOS", "lanczos", "PIL", "LANCZOS", _pil("LANCZOS")),
]

BY_LABEL = {v[0]: v for v in VARIANTS}


@functools.lru_cache(maxsize=None)
def outputs():
    """``{(label, case): float64 output}`` of every variant through refpool's dialects."""
    x = image()
    return {(label, case): np.asarray(run(x, size), dtype=np.float64)
            for label, _, _, _, run in VARIANTS for case, size in CASES.items()}


def difference(a, b):
    """The largest absolute difference of two outputs (inf when the shapes differ)."""
    return float(np.abs(a - b).max()) if a.shape == b.shape else float("inf")


def table():
    """``{(label_a, label_b, case): max abs difference}`` for every pair of variants of
    one family (label_a before label_b in :data:`VARIANTS`)."""
    out = outputs()
    result = {}
    for family in FAMILIES:
        labels = [v[0] for v in VARIANTS if v[1] == family]
        for i, a in enumerate(labels):
            for b in labels[i + 1:]:
                for case in CASES:
                    result[a, b, case] = difference(out[a, case], out[b, case])
    return result


def agreements(results=None):
    """The settings that agree (to :data:`AGREE`) in every case, grouped: a list of
    classes, each a list of labels (in :data:`VARIANTS` order) of which every two
    agree; settings agreeing with no other are left out."""
    results = table() if results is None else results

    def agree(a, b):
        key = (a, b) if (a, b, next(iter(CASES))) in results else (b, a)
        return all(results[key + (c,)] <= AGREE for c in CASES)

    classes = []
    for family in FAMILIES:
        labels = [v[0] for v in VARIANTS if v[1] == family]
        placed = set()
        for i, a in enumerate(labels):
            if a in placed:
                continue
            group = [a] + [b for b in labels[i + 1:] if b not in placed and agree(a, b)]
            if len(group) > 1:
                # agreement to float32 rounding is transitive here only if every pair
                # agrees: keep the class honest
                if not all(agree(p, q) for j, p in enumerate(group) for q in group[j + 1:]):
                    raise AssertionError(f"not a class of agreeing settings: {group}")
                classes.append(group)
                placed.update(group)
    return classes


def _number(v):
    if v <= AGREE:
        return "="
    return f"{v:.2f}" if v >= 0.01 else f"{v:.0e}"


def _cell(values):
    if all(v <= AGREE for v in values):
        return "**=**"
    return " ".join(_number(v) for v in values)


def lines():
    """The generated reStructuredText."""
    results = table()
    out = []
    for family in FAMILIES:
        labels = [v[0] for v in VARIANTS if v[1] == family]
        key = {label: str(i + 1) for i, label in enumerate(labels)}
        out += [f"**{family}**", "", ".. list-table::", "   :header-rows: 1",
                "   :stub-columns: 1", "", "   * - setting"]
        out += [f"     - {key[b]}" for b in labels[1:]]
        for i, a in enumerate(labels[:-1]):
            _, _, fw, words, _ = BY_LABEL[a]
            out.append(f"   * - {key[a]}. {fw}: ``{words}``")
            for j, b in enumerate(labels[1:]):
                out.append("     - " + (_cell([results[a, b, c] for c in CASES])
                                        if j >= i else ""))
        last = labels[-1]
        out += ["", f"{key[last]}. {BY_LABEL[last][2]}: ``{BY_LABEL[last][3]}``", ""]
    out += ["**Settings that agree** (to float32 rounding, in every case above):", ""]
    for group in agreements(results):
        out.append("* " + " == ".join(f"{BY_LABEL[a][2]} ``{BY_LABEL[a][3]}``" for a in group))
    return out + [""]


def generate(app):
    os.makedirs(os.path.join(app.srcdir, "_generated"), exist_ok=True)
    with open(os.path.join(app.srcdir, "_generated", "resize_table.rst"), "w") as f:
        f.write("\n".join(lines()))


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True}
