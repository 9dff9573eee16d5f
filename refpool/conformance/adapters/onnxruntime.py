"""Adapter over ONNX Runtime (CPU): one-node ONNX models.  Needs onnx and onnxruntime.

Verified against onnxruntime 1.32 and onnx 1.23.  A call builds a one-node model with
:mod:`onnx.helper` (opset 22; 21 for ``RoiAlign``, ``MaxRoiPool`` and
``GlobalLpPool``, whose opset-22 versions have no CPU kernel in ONNX Runtime 1.32) and
runs it with the ``CPUExecutionProvider`` on one thread.  Sessions are cached per
distinct node (operator, attributes, input and output types; the input shapes are
left open), so the catalogue builds a few hundred.  refpool's (PyTorch's) arguments
become the node's attributes:

``max_pool``, ``avg_pool``, ``lp_pool``
    ``MaxPool``, ``AveragePool``, ``LpPool``: ``kernel_shape``, ``strides`` (the
    kernel when refpool's ``stride`` is None), ``dilations``, ``ceil_mode``,
    ``pads`` from an int, per-axis ints or ``(before, after)`` pairs, ``auto_pad``
    ``SAME_UPPER``/``SAME_LOWER``/``VALID`` for ``"same"``/``"same_lower"``/
    ``"valid"``, ``count_include_pad``.  ``return_indices=True`` reads the
    ``Indices`` output, flat over the whole ``N x C x spatial`` input, as per-plane
    indices ``I - (n C + c) P`` (``P`` the plane size).  ``lp_pool`` only for
    ``variant="onnx"`` with an integer ``norm_type`` (``LpPool``'s ``p``).
``global_*_pool``; ``adaptive_max_pool``, ``adaptive_avg_pool`` to size 1
    ``GlobalMaxPool``, ``GlobalAveragePool``, ``GlobalLpPool`` (``variant="onnx"``,
    integer ``p``); with ``return_indices=True``, ``MaxPool`` over the whole plane,
    the ONNX node that has ``Indices``.  Adaptive pooling to other sizes has no ONNX
    counterpart.
``pixel_shuffle``, ``depth_to_space``, ``space_to_depth``, ``pixel_unshuffle``
    ``DepthToSpace`` (``mode`` CRD for ``pixel_shuffle``) and ``SpaceToDepth``, 4-D
    only (ONNX's rank).  ``SpaceToDepth`` has the DCR order only, which is
    ``pixel_unshuffle``'s CRD order only for one channel (or a factor of 1).
``max_unpool``
    ``MaxUnpool`` with refpool's per-plane indices made flat over the whole output
    (``index_layout="onnx"`` indices as they are); an ``output_size`` becomes the
    ``output_shape`` input, with the ``pads`` that bring ONNX Runtime's inferred
    shape down to it (ONNX ignores ``pads`` when ``output_shape`` is given, but ONNX
    Runtime checks per axis that the shape they infer fits, and that they are
    smaller than the kernel).
``roi_pool``, ``roi_align``
    ``MaxRoiPool`` (``rois`` of ``batch_index, x1, y1, x2, y2``) and ``RoiAlign``
    (``aligned`` as ``coordinate_transformation_mode`` ``half_pixel`` /
    ``output_half_pixel``, a ``sampling_ratio <= 0`` as ONNX's adaptive 0,
    ``reduction`` as ``mode``).  ``spatial_scale`` is a float32 attribute.

Unsupported (``NotImplementedError``): what ONNX Runtime has no CPU kernel for
(float64 ``AveragePool``, ``LpPool``, the ``Global`` pools, ``MaxUnpool`` and
``MaxRoiPool``), what it refuses (``pads`` not smaller than the kernel; a negative
``SAME`` padding, i.e. a stride longer than the window, in the float32 ``MaxPool``
without ``Indices`` or dilation; an output length its ``SAME`` rule makes
negative; a ``MaxUnpool`` ``output_shape`` below what its ``pads`` can reach),
``divisor_override``, roi_pool's indices, ``fractional_max_pool``, ``interpolate``
(ONNX ``Resize``: mapping PyTorch's modes onto its coordinate transformations is a
piece of work of its own), the antialiased poolings, ``blur_pool``, the field
operators, and inputs whose NaN or infinities reach a kernel where ONNX Runtime
treats them otherwise than refpool (below).

Known divergences (declared exactly when they change the result, from the window
geometry ONNX Runtime 1.32 was measured to use, :class:`_Geometry`):
:data:`SAME_DILATION`, :data:`NEGATIVE_SAME`, :data:`EMPTY_WINDOW` and
:data:`ROI_ALIGN_MAX`.

Non-finite inputs.  ONNX Runtime's max kernels do not propagate NaN consistently
(the scans that compare with ``>`` keep a NaN only when it comes first; MLAS's
vector maximum takes it in some 2-D paths and not in 1-D or 3-D ones) and some start
at ``-FLT_MAX``, so a window of ``-inf`` gives ``-3.4028235e38``; ``MaxRoiPool``
skips NaN and gives ``-3.4028235e38`` for a bin of ``-inf``; ``RoiAlign`` multiplies
the bilinear terms of weight zero, so ``0 * inf`` or ``0 * NaN`` turns a bin into
NaN where refpool skips the term.  These differences depend on where the NaN and
infinities lie, which ``known_divergence`` is not told, so the adapter refuses such
a call (:data:`NAN_MAX`, :data:`MAX_ROI_POOL_NONFINITE`, :data:`ZERO_WEIGHT_TERMS`):
it asks ONNX Runtime itself, running the same node on indicator images, which
windows (bins) hold a NaN or only ``-inf`` values, or whether a NaN or an infinity
reaches a ``RoiAlign`` bin through any term, and refuses where the maximum is not
the NaN or the ``-inf`` every NaN-propagating maximum gives (with ``Indices``:
wherever a window holds a NaN).  Calls whose non-finite values stay out of the
way run and are compared.

Importing this module sets ONNX Runtime's default logger to errors only (RoiAlign
warns about its max mode whenever a session is built).
"""
from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from ._base import Adapter

# this module is only imported when onnxruntime is wanted
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from onnxruntime.capi import onnxruntime_pybind11_state as _ort_state  # noqa: E402

NAME = "onnxruntime"

# errors only: RoiAlign warns about its max mode at every session it builds
ort.set_default_logger_severity(3)

#: the opset of the models, and the operators that need an older one (ONNX Runtime
#: 1.32's CPU provider registers RoiAlign 16, MaxRoiPool 1 and GlobalLpPool 2, not
#: their opset-22 versions)
OPSET = 22
OPSETS = {"RoiAlign": 21, "MaxRoiPool": 21, "GlobalLpPool": 21}
IR_VERSION = 10

#: the reasons reported for each kind of divergence (documented in docs/conformance.rst)
SAME_DILATION = ("ONNX Runtime 1.32 computes auto_pad=SAME_* padding without the dilation "
                 "(7 samples, kernel 2, stride 2, dilation 2: 3 outputs instead of 4); "
                 "refpool and the ONNX specification include it")
ROI_ALIGN_MAX = ("ONNX Runtime's RoiAlign mode='max' takes the largest weighted corner term "
                 "w_i v_i of each sample, not the bilinear sample sum w_i v_i (refpool, the "
                 "ONNX specification)")
NEGATIVE_SAME = ("ONNX Runtime 1.32 crops a negative auto_pad=SAME_* padding (a stride longer "
                 "than the window) in MaxPool with Indices or float64, AveragePool and "
                 "LpPool, shifting the windows; refpool clamps it at 0")
EMPTY_WINDOW = ("a dilated window with no input element: ONNX Runtime's MaxPool gives the "
                "lowest finite value (-3.4028235e38 in float32) and AveragePool without "
                "count_include_pad 0; refpool -inf and NaN")
REASONS = (SAME_DILATION, NEGATIVE_SAME, EMPTY_WINDOW, ROI_ALIGN_MAX)

#: the reasons of refused calls that ONNX Runtime runs but answers differently, where the
#: difference depends on the input's values (``known_divergence`` sees no values)
NAN_MAX = ("ONNX Runtime's max pooling kernels skip NaN (or keep only a leading one) and some "
           "start at -FLT_MAX; refpool propagates NaN (the last one wins): calls with a "
           "window holding a NaN whose maximum is not NaN (with Indices: any NaN), or "
           "only -inf values whose maximum is not -inf, are not compared")
MAX_ROI_POOL_NONFINITE = ("ONNX Runtime's MaxRoiPool skips NaN and gives -3.4028235e38 for a "
                          "bin of -inf; refpool propagates NaN and selects -inf: calls with "
                          "such a bin are not compared")
ZERO_WEIGHT_TERMS = ("ONNX Runtime's RoiAlign multiplies bilinear terms of weight zero (0 * inf "
                     "and 0 * NaN are NaN); refpool skips them: calls where a NaN or an "
                     "infinity reaches a bin are not compared")
REFUSALS = (NAN_MAX, MAX_ROI_POOL_NONFINITE, ZERO_WEIGHT_TERMS)

#: refpool's padding names -> ONNX's auto_pad
AUTO_PAD = {"same": "SAME_UPPER", "same_lower": "SAME_LOWER", "valid": "VALID"}

_ELEMENT_TYPES = {np.dtype(np.float32): TensorProto.FLOAT,
                  np.dtype(np.float64): TensorProto.DOUBLE,
                  np.dtype(np.float16): TensorProto.FLOAT16,
                  np.dtype(np.int64): TensorProto.INT64}


# --------------------------------------------------------------------------- sessions
_SESSIONS = {}


def _frozen(value):
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _attribute(value):
    return list(value) if isinstance(value, tuple) else value


def _element_type(dtype):
    try:
        return _ELEMENT_TYPES[np.dtype(dtype)]
    except KeyError:
        raise NotImplementedError(f"the onnxruntime adapter does not map dtype "
                                  f"{np.dtype(dtype)}") from None


def _session(op_type, in_dtypes, out_dtypes, attrs):
    """The (cached) session of one node ``op_type`` with ``attrs``; NotImplementedError
    when ONNX Runtime has no CPU kernel of it."""
    key = (op_type, tuple(np.dtype(d).str for d in in_dtypes),
           tuple(np.dtype(d).str for d in out_dtypes),
           tuple(sorted((k, _frozen(v)) for k, v in attrs.items())))
    found = _SESSIONS.get(key)
    if found is None:
        found = _SESSIONS[key] = _build(op_type, in_dtypes, out_dtypes, attrs)
    if isinstance(found, str):
        raise NotImplementedError(found)
    return found


def _build(op_type, in_dtypes, out_dtypes, attrs):
    inputs = [f"in{i}" for i in range(len(in_dtypes))]
    outputs = [f"out{i}" for i in range(len(out_dtypes))]
    node = helper.make_node(op_type, inputs, outputs,
                            **{k: _attribute(v) for k, v in attrs.items()})
    graph = helper.make_graph(
        [node], op_type,
        [helper.make_tensor_value_info(n, _element_type(d), None)
         for n, d in zip(inputs, in_dtypes)],
        [helper.make_tensor_value_info(n, _element_type(d), None)
         for n, d in zip(outputs, out_dtypes)])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", OPSETS.get(op_type, OPSET))])
    model.ir_version = IR_VERSION
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3          # RoiAlign's warning about its max mode
    try:
        return ort.InferenceSession(model.SerializeToString(), options,
                                    providers=["CPUExecutionProvider"])
    except _ort_state.NotImplemented:
        types = ", ".join(str(np.dtype(d)) for d in in_dtypes)
        return f"ONNX Runtime {ort.__version__} has no CPU kernel of {op_type} for {types}"


def _run(op_type, inputs, out_dtypes, **attrs):
    """Run the node on ``inputs`` (NumPy arrays); the list of its outputs."""
    session = _session(op_type, [a.dtype for a in inputs], out_dtypes, attrs)
    feeds = {f"in{i}": np.ascontiguousarray(a) for i, a in enumerate(inputs)}
    return session.run(None, feeds)


# --------------------------------------------------------------------------- arguments
def _tuple(value, nd):
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return (int(value),) * nd


def _pairs(padding, nd):
    """``(before, after)`` per axis of an int, per-axis ints or pairs."""
    entries = padding if isinstance(padding, (tuple, list)) else (padding,) * nd
    return [tuple(int(v) for v in e) if isinstance(e, (tuple, list)) else (int(e), int(e))
            for e in entries]


def _trunc_div(a, b):
    """C++'s integer division (towards zero)."""
    q = abs(a) // b
    return q if a >= 0 else -q


class _Geometry:
    """The windows of a MaxPool/AveragePool/LpPool node as ONNX Runtime 1.32's CPU
    kernels compute them (measured on one-hot inputs, axis by axis), per spatial axis:

    * padding ``head`` and ``tail``: the ``pads``, or for ``SAME_*`` the total
      ``(ceil(n/s) - 1) s + k - n`` of the *undilated* kernel, split with C++'s
      division towards zero (negative for a stride longer than the window);
    * the output length from the span ``n + head + tail - d(k-1) - 1``:
      ``trunc(span / s) + 1``, or ``ceil(span / s) + 1`` in ceil mode less a last
      window that would start in the right padding; a negative length is refused;
    * window ``i`` reads ``i s - head + t d`` inside ``[0, n)`` (AveragePool: inside
      ``[0, n + min(tail, 0))``, a negative tail cuts it), and AveragePool's
      ``count_include_pad`` divisor counts the taps inside ``[-head, n + tail)``.
    """

    def __init__(self, shape, kernel_size, stride, padding, dilation, ceil_mode):
        nd = len(shape) - 2
        self.n = tuple(int(v) for v in shape[2:])
        self.k = _tuple(kernel_size, nd)
        self.s = self.k if stride is None else _tuple(stride, nd)
        self.d = _tuple(dilation, nd)
        self.ceil_mode = bool(ceil_mode)
        self.padding = padding
        if isinstance(padding, str):
            if padding not in AUTO_PAD:
                raise NotImplementedError(f"no ONNX auto_pad for padding={padding!r}")
            self.pairs = [self._same(n, k, s) for n, k, s in zip(self.n, self.k, self.s)]
        else:
            self.pairs = _pairs(padding, nd)

    def _same(self, n, k, s):
        if self.padding == "valid":
            return 0, 0
        total = (-(-n // s) - 1) * s + k - n
        head = _trunc_div(total + 1, 2) if self.padding == "same_lower" else _trunc_div(total, 2)
        return head, total - head

    def attributes(self):
        attrs = dict(kernel_shape=self.k, strides=self.s, dilations=self.d,
                     ceil_mode=int(self.ceil_mode))
        if isinstance(self.padding, str):
            attrs["auto_pad"] = AUTO_PAD[self.padding]
        else:
            attrs["pads"] = tuple(b for b, _ in self.pairs) + tuple(a for _, a in self.pairs)
        return attrs

    def refusal(self, mlas_max):
        """Why ONNX Runtime refuses the node, or None.  ``mlas_max``: a float32 MaxPool
        without Indices, whose undilated kernel (MLAS) is the one that refuses a negative
        SAME padding."""
        if not isinstance(self.padding, str) and any(
                b >= k or a >= k for (b, a), k in zip(self.pairs, self.k)):
            return "ONNX Runtime refuses pads that are not smaller than the kernel"
        if mlas_max and all(d == 1 for d in self.d) and any(b < 0 or a < 0
                                                            for b, a in self.pairs):
            return ("ONNX Runtime's float32 MaxPool without Indices or dilation refuses a "
                    "negative SAME padding (a stride longer than the window); refpool clamps "
                    "it at 0")
        if any(self.windows(b) is None for b in range(len(self.n))):
            return ("ONNX Runtime finds a negative output length (its SAME padding leaves "
                    "out the dilation) and refuses the node")
        return None

    def windows(self, b, count_include_pad=None):
        """Axis ``b``: per output, the input positions read and (``count_include_pad``
        given: AveragePool) the divisor factor; None when ONNX Runtime finds a negative
        length.  A negative tail (SAME) cuts AveragePool's windows, not the others'."""
        n, k, s, d = self.n[b], self.k[b], self.s[b], self.d[b]
        head, tail = self.pairs[b]
        span = n + head + tail - d * (k - 1) - 1
        if self.ceil_mode:
            out = -(-span // s) + 1
            if out > 0 and (out - 1) * s >= n + head:
                out -= 1
        else:
            out = _trunc_div(span, s) + 1
        if out < 0:
            return None
        end = n if count_include_pad is None else n + min(tail, 0)
        result = []
        for i in range(out):
            taps = [i * s - head + t * d for t in range(k)]
            inside = tuple(q for q in taps if 0 <= q < end)
            if count_include_pad is None:
                result.append(inside)
            elif count_include_pad:
                result.append((inside, sum(-head <= q < n + tail for q in taps)))
            else:
                result.append((inside, len(inside)))
        return result


def _window(x, kernel_size, stride, padding, dilation, ceil_mode, mlas_max=False):
    """The attributes of the MaxPool/AveragePool/LpPool node of a call on ``x``;
    NotImplementedError for what ONNX Runtime refuses."""
    geometry = _Geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    refusal = geometry.refusal(mlas_max)
    if refusal:
        raise NotImplementedError(refusal)
    return geometry.attributes()


def _refpool_windows(spec, b, count_include_pad=None):
    """refpool's windows of axis ``b`` in the form of :meth:`_Geometry.windows`."""
    axis = spec.axis(b)
    inside = [tuple(w) for w in axis.windows()]
    if count_include_pad is None:
        return inside
    return list(zip(inside, axis.divisor_factors(count_include_pad).astype(int).tolist()))


def _window_divergence(op, kwargs, shape, dtype):
    """The reasons (a list) why ONNX Runtime's windows differ from refpool's for this
    windowed-pooling call, or [] (also for a call the adapter refuses)."""
    from ..._args import window_spec
    kernel = kwargs["kernel_size"]
    stride, padding = kwargs.get("stride"), kwargs.get("padding", 0)
    dilation, ceil_mode = kwargs.get("dilation", 1), kwargs.get("ceil_mode", False)
    try:
        geometry = _Geometry(shape, kernel, stride, padding, dilation, ceil_mode)
    except NotImplementedError:
        return []
    mlas = op == "max_pool" and not kwargs.get("return_indices") and \
        np.dtype(dtype or "float32") == np.float32
    if geometry.refusal(mlas):
        return []
    spec = window_spec(shape[2:], kernel, stride, padding, dilation, ceil_mode,
                       general_padding=True)
    count = kwargs.get("count_include_pad", True) if op == "avg_pool" else None
    nd = len(shape) - 2
    ours = [_refpool_windows(spec, b, count) for b in range(nd)]
    theirs = [geometry.windows(b, count) for b in range(nd)]
    axis_reason = [SAME_DILATION if geometry.d[b] > 1 else NEGATIVE_SAME for b in range(nd)]
    if any(t is None or len(t) != len(o) for t, o in zip(theirs, ours)):
        return list(dict.fromkeys(r for b, r in enumerate(axis_reason)
                                  if theirs[b] is None or len(theirs[b]) != len(ours[b])))

    def empty(w):
        return not (w if count is None else w[0])

    # an output reads the product of its axes' windows: it is empty (max: the lowest
    # value / -inf; average: 0, or 0 / NaN without count_include_pad) when one axis is
    reasons = []
    for index in itertools.product(*(range(len(o)) for o in ours)):
        mine = [ours[b][i] for b, i in enumerate(index)]
        other = [theirs[b][i] for b, i in enumerate(index)]
        mine_empty, other_empty = any(map(empty, mine)), any(map(empty, other))
        if mine_empty and other_empty:
            if op == "max_pool" or (op == "avg_pool" and not count):
                reasons.append(EMPTY_WINDOW)
        elif mine != other:
            reasons += [axis_reason[b] for b, (m, o) in enumerate(zip(mine, other)) if m != o]
    return list(dict.fromkeys(reasons))


def _plane_offsets(shape):
    """``(n C + c) P`` per plane, shaped to broadcast against an ``(N, C, ...)`` array."""
    n, c = shape[:2]
    plane = int(np.prod(shape[2:]))
    return ((np.arange(n)[:, None] * c + np.arange(c)[None, :]) * plane).reshape(
        (n, c) + (1,) * (len(shape) - 2))


def _per_plane(indices, x_shape):
    """ONNX's whole-tensor MaxPool indices as refpool's per-plane ones."""
    return (indices - _plane_offsets(x_shape)).astype(np.int64)


# --------------------------------------------------------------------------- non-finite inputs
def _refuse_max_nonfinite(pool, x, y, reason, indices=False):
    """NotImplementedError(reason) where ONNX Runtime's maxima ``y`` break what every
    NaN-propagating maximum gives: NaN for a window (bin) holding a NaN (with
    ``indices``, any such window: refpool's index is the last NaN's, which ONNX
    Runtime's scan does not give), -inf for a non-empty window of only -inf values.

    ``pool`` runs the same node on an input like ``x`` and returns its values, so ONNX
    Runtime itself says which windows those are, on indicator images: the maximum of
    1-where-NaN is positive where a window holds a NaN, the maximum of 1-where-not--inf
    is 0 where it holds only -inf, and the maximum of ones is 1 where it holds anything
    (an empty bin gives 0 too)."""
    nan, minus_inf = np.isnan(x), np.isneginf(x)
    if nan.any():
        holds_nan = pool(nan.astype(x.dtype)) > 0
        if np.any(holds_nan & (True if indices else ~np.isnan(y))):
            raise NotImplementedError(reason)
    if minus_inf.any():
        only_minus_inf = (pool((~minus_inf).astype(x.dtype)) == 0) & \
            (pool(np.ones_like(x)) == 1)
        if np.any(only_minus_inf & ~np.isneginf(y)):
            raise NotImplementedError(reason)


def _refuse_nonfinite_terms(align, x):
    """NotImplementedError(ZERO_WEIGHT_TERMS) when a NaN or an infinity of ``x`` reaches
    some bin of the RoiAlign node that ``align`` runs (in ``avg`` mode): asked of ONNX
    Runtime on an image of NaN where ``x`` is not finite and 0 elsewhere, whose average
    is NaN wherever such a pixel enters a bin through any term, of weight zero or not.
    (Where one enters only with a positive weight the two agree; the probe cannot tell
    the two apart, so it refuses both.)"""
    nonfinite = ~np.isfinite(x)
    if nonfinite.any() and np.isnan(align(np.where(nonfinite, np.nan, 0).astype(x.dtype))).any():
        raise NotImplementedError(ZERO_WEIGHT_TERMS)


def _boxes(boxes, dtype):
    """``(K, 5)`` rows ``batch_index, x1, y1, x2, y2`` of refpool's two box forms."""
    if isinstance(boxes, (list, tuple)):
        rows = []
        for i, image in enumerate(boxes):
            a = np.asarray(image, dtype=np.float64).reshape(-1, 4)
            rows.append(np.concatenate([np.full((len(a), 1), float(i)), a], axis=1))
        rows = np.concatenate(rows) if rows else np.zeros((0, 5))
    else:
        rows = np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
    return rows.astype(dtype)


def _align_axis(n, c1, c2, scale, o, ratio, aligned):
    """One axis of a RoiAlign box (the ONNX/torchvision geometry, float64): the grid
    size ``g`` (<= 0: no sample; ONNX Runtime fails on a negative one, below) and per
    bin the samples, each ``None`` outside the image or the number of pixels it weighs
    along the axis (1 on a pixel centre or clamped at the border, else 2)."""
    shift = 0.5 if aligned else 0.0
    a = c1 * scale - shift
    length = c2 * scale - shift - a
    if not aligned:
        length = max(length, 1.0)
    size = length / o
    g = ratio if ratio > 0 else math.ceil(size)

    def weighs(y):
        if y < -1 or y > n:
            return None
        y = max(y, 0.0)
        return 1 if y >= n - 1 or y == math.floor(y) else 2

    return g, [[weighs(a + p * size + (i + 0.5) * size / g) for i in range(max(g, 0))]
               for p in range(o)]


def _align_axes(kwargs, shape):
    """Per box, the two :func:`_align_axis` of a RoiAlign call."""
    h, w = shape[2:]
    o_h, o_w = _tuple(kwargs["output_size"], 2)
    scale = float(np.float32(kwargs.get("spatial_scale", 1.0)))
    ratio = int(kwargs.get("sampling_ratio", -1))
    aligned = bool(kwargs.get("aligned", False))
    return [(_align_axis(h, y1, y2, scale, o_h, ratio, aligned),
             _align_axis(w, x1, x2, scale, o_w, ratio, aligned))
            for _, x1, y1, x2, y2 in _boxes(kwargs["boxes"], np.float64)]


def _roi_align_refusal(kwargs, shape):
    """ONNX Runtime's RoiAlign fails (an integer overflow sizing its sample table) when
    the adaptive grid of a box is negative along one axis only: an inverted box in
    half_pixel mode.  The reason, or None."""
    if any(gy * gx < 0 for (gy, _), (gx, _) in _align_axes(kwargs, shape)):
        return ("ONNX Runtime's RoiAlign fails (integer overflow) on a box inverted along one "
                "axis with adaptive sampling and half_pixel coordinates")
    return None


def _roi_align_max_changes(kwargs, shape):
    """Whether ONNX Runtime's max mode (per sample the largest weighted corner term, the
    terms of weight zero counting as 0) changes some bin: one with a sample between
    pixels (two or more nonzero weights), or one whose samples all fall inside the
    image on pixels (there it gives max(v, 0) for v; refpool's maximum differs where all
    of a bin's values are negative, on the catalogue's random inputs somewhere in
    almost every call).  A bin with a sample outside the image and the others on pixels
    is max(0, v...) in both."""
    for (_, rows), (_, cols) in _align_axes(kwargs, shape):
        for bin_rows, bin_cols in itertools.product(rows, cols):
            samples = [(r, c) for r in bin_rows for c in bin_cols]
            if any(r is not None and c is not None and r * c > 1 for r, c in samples):
                return True
            if samples and all(r is not None and c is not None for r, c in samples):
                return True
    return False


def _lp_variant(norm_type, variant):
    if variant != "onnx":
        raise NotImplementedError("ONNX's LpPool is refpool's variant='onnx' (the Lp norm of "
                                  "the window); see the torch adapter for 'torch'")
    if float(norm_type) != int(norm_type):
        raise NotImplementedError(f"ONNX's LpPool takes an integer p, got "
                                  f"norm_type={norm_type!r}")


def _four_d(x, op):
    if x.ndim != 4:
        raise NotImplementedError(f"ONNX's {op} is 4-D only (N, C, H, W); this case has "
                                  f"{x.ndim - 2} spatial axes")


# --------------------------------------------------------------------------- the adapter
class OnnxRuntimeAdapter(Adapter):
    NAME = NAME
    PEER = "ONNX Runtime"
    LACKS = {
        "resample": "ONNX Resize: see refpool.dialects.onnx.Resize "
                    "(tests/test_onnx_resize_dialect.py)",
        "fractional_max_pool": "ONNX has no fractional max pooling; see the torch adapter",
        "antialiased_avg_pool": "see the e2cnn adapter",
        "antialiased_max_pool": "see the e2cnn adapter",
        "blur_pool": "see the antialiased_cnns adapter",
        "group_pool": "see the e2cnn adapter",
        "norm_pool": "see the e2cnn adapter",
        "induced_norm_pool": "see the e2cnn adapter",
        "norm_max_pool": "see the e2cnn adapter",
        "subgroup_pool": None,
        "max_pool_channels": "see the e2cnn adapter",
        "interpolate": "ONNX Resize is its counterpart, but PyTorch's modes, align_corners "
                       "and scale rules do not map onto its coordinate_transformation_mode "
                       "and nearest_mode one for one (covered separately); see the torch "
                       "and jax adapters",
        "grid_sample": "ONNX GridSample is not adapted yet; see the torch adapter",
        "upfirdn": "ONNX has no upfirdn operator",
        "aps_downsample": "ONNX has no adaptive polyphase sampling",
        "aps_upsample": "ONNX has no adaptive polyphase sampling",
        "filtered_upsample": "ONNX has no upfirdn-based radial-filter resampling",
        "filtered_downsample": "ONNX has no upfirdn-based radial-filter resampling",
        "map_coordinates": "ONNX has no spline interpolation operator (Resize/GridSample are not scipy's splines)",
        "affine_transform": "ONNX has no spline interpolation operator (Resize/GridSample are not scipy's splines)",
        "rotate": "ONNX has no spline interpolation operator (Resize/GridSample are not scipy's splines)",
    }

    # ----------------------------------------------------------------- windowed pooling
    def max_pool(self, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
        attrs = _window(x, kernel_size, stride, padding, dilation, ceil_mode,
                        mlas_max=x.dtype == np.float32 and not return_indices)
        outputs = [x.dtype, np.int64] if return_indices else [x.dtype]

        def pool(a):
            return _run("MaxPool", [a], outputs, **attrs)[0]

        result = _run("MaxPool", [x], outputs, **attrs)
        _refuse_max_nonfinite(pool, x, result[0], NAN_MAX, indices=return_indices)
        if return_indices:
            return result[0], _per_plane(result[1], x.shape)
        return result[0]

    def avg_pool(self, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, dilation=1):
        if divisor_override is not None:
            raise NotImplementedError("ONNX's AveragePool has no divisor_override")
        attrs = _window(x, kernel_size, stride, padding, dilation, ceil_mode)
        attrs["count_include_pad"] = int(bool(count_include_pad))
        return _run("AveragePool", [x], [x.dtype], **attrs)[0]

    def lp_pool(self, x, norm_type, kernel_size, stride=None, ceil_mode=False, padding=0,
                dilation=1, variant="torch"):
        _lp_variant(norm_type, variant)
        attrs = _window(x, kernel_size, stride, padding, dilation, ceil_mode)
        attrs["p"] = int(norm_type)
        return _run("LpPool", [x], [x.dtype], **attrs)[0]

    # ----------------------------------------------------------------- global pooling
    @staticmethod
    def _global(x, output_size):
        nd = x.ndim - 2
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
        if any((n if o is None else o) != 1 for n, o in zip(x.shape[2:], sizes)):
            raise NotImplementedError("ONNX has global pooling only (output size 1 on every "
                                      "axis), no adaptive pooling")

    def adaptive_max_pool(self, x, output_size, return_indices=False):
        self._global(x, output_size)
        if return_indices:
            # GlobalMaxPool has no Indices: MaxPool over the whole plane has
            attrs = dict(kernel_shape=tuple(x.shape[2:]))
            values, indices = _run("MaxPool", [x], [x.dtype, np.int64], **attrs)
            _refuse_max_nonfinite(
                lambda a: _run("MaxPool", [a], [x.dtype, np.int64], **attrs)[0], x, values,
                NAN_MAX, indices=True)
            return values, _per_plane(indices, x.shape)
        values = _run("GlobalMaxPool", [x], [x.dtype])[0]
        _refuse_max_nonfinite(lambda a: _run("GlobalMaxPool", [a], [x.dtype])[0], x, values,
                              NAN_MAX)
        return values

    def adaptive_avg_pool(self, x, output_size):
        self._global(x, output_size)
        return _run("GlobalAveragePool", [x], [x.dtype])[0]

    def global_max_pool(self, x, return_indices=False):
        return self.adaptive_max_pool(x, 1, return_indices)

    def global_avg_pool(self, x):
        return self.adaptive_avg_pool(x, 1)

    def global_lp_pool(self, x, norm_type, variant="onnx"):
        _lp_variant(norm_type, variant)
        return _run("GlobalLpPool", [x], [x.dtype], p=int(norm_type))[0]

    # ----------------------------------------------------------------- shuffles
    def pixel_shuffle(self, x, upscale_factor):
        _four_d(x, "DepthToSpace")
        return _run("DepthToSpace", [x], [x.dtype], blocksize=int(upscale_factor),
                    mode="CRD")[0]

    def pixel_unshuffle(self, x, downscale_factor):
        _four_d(x, "SpaceToDepth")
        if x.shape[1] != 1 and downscale_factor != 1:
            raise NotImplementedError("ONNX's SpaceToDepth has the DCR order only; "
                                      "pixel_unshuffle's CRD order is the same only for one "
                                      "channel")
        return _run("SpaceToDepth", [x], [x.dtype], blocksize=int(downscale_factor))[0]

    def depth_to_space(self, x, blocksize, mode="DCR"):
        _four_d(x, "DepthToSpace")
        return _run("DepthToSpace", [x], [x.dtype], blocksize=int(blocksize), mode=mode)[0]

    def space_to_depth(self, x, blocksize):
        _four_d(x, "SpaceToDepth")
        return _run("SpaceToDepth", [x], [x.dtype], blocksize=int(blocksize))[0]

    # ----------------------------------------------------------------- unpooling
    def max_unpool(self, x, indices, kernel_size, stride=None, padding=0, output_size=None,
                   index_layout="torch"):
        nd = x.ndim - 2
        k = _tuple(kernel_size, nd)
        s = k if stride is None else _tuple(stride, nd)
        pairs = _pairs(padding, nd)
        inferred = [(n - 1) * si - (b + a) + ki
                    for n, ki, si, (b, a) in zip(x.shape[2:], k, s, pairs)]
        if output_size is None:
            size = inferred
        else:
            size = list(output_size) if isinstance(output_size, (tuple, list)) \
                else [output_size] * nd
            size = [int(v) for v in size[-nd:]]          # the (N, C, *spatial) form too
        indices = np.asarray(indices, dtype=np.int64)
        if index_layout != "onnx":                       # per plane -> whole tensor
            indices = indices + _plane_offsets(tuple(x.shape[:2]) + tuple(size))
        attrs = dict(kernel_shape=k, strides=s)
        if output_size is None:
            if any(b >= ki or a >= ki for (b, a), ki in zip(pairs, k)):
                raise NotImplementedError("ONNX Runtime refuses MaxUnpool pads that are not "
                                          "smaller than the kernel")
            attrs["pads"] = tuple(b for b, _ in pairs) + tuple(a for _, a in pairs)
            return _run("MaxUnpool", [x, indices], [x.dtype], **attrs)[0]
        # ONNX ignores pads with output_shape; ONNX Runtime still checks, per axis, that
        # the shape they infer fits in output_shape, and that they are smaller than the
        # kernel: give the padding that brings the inferred shape down to the size asked
        before, after = [], []
        for n, ki, si, m in zip(x.shape[2:], k, s, size):
            total = max(0, (n - 1) * si + ki - m)
            before.append(min(total, ki - 1))
            after.append(min(total - before[-1], ki - 1))
            if (n - 1) * si + ki - before[-1] - after[-1] > m:
                raise NotImplementedError(
                    f"ONNX Runtime refuses an output_shape below the shape its pads infer, "
                    f"and pads that are not smaller than the kernel: an axis of {n} inputs "
                    f"(kernel {ki}, stride {si}) unpools to at least "
                    f"{(n - 1) * si - ki + 2} there, not {m}")
        attrs["pads"] = tuple(before) + tuple(after)
        shape = np.array(tuple(x.shape[:2]) + tuple(size), dtype=np.int64)
        return _run("MaxUnpool", [x, indices, shape], [x.dtype], **attrs)[0]

    # ----------------------------------------------------------------- region pooling
    def roi_pool(self, x, boxes, output_size, spatial_scale=1.0, return_indices=False):
        if return_indices:
            raise NotImplementedError("ONNX's MaxRoiPool returns no indices")
        if float(np.float32(spatial_scale)) != float(spatial_scale):
            raise NotImplementedError("ONNX stores spatial_scale as a float32 attribute; "
                                      f"{spatial_scale!r} is not one")
        rois = _boxes(boxes, x.dtype)
        attrs = dict(pooled_shape=_tuple(output_size, 2), spatial_scale=float(spatial_scale))
        y = _run("MaxRoiPool", [x, rois], [x.dtype], **attrs)[0]
        _refuse_max_nonfinite(lambda a: _run("MaxRoiPool", [a, rois], [x.dtype], **attrs)[0],
                              x, y, MAX_ROI_POOL_NONFINITE)
        return y

    def roi_align(self, x, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1,
                  aligned=False, reduction="avg"):
        refusal = _roi_align_refusal(dict(boxes=boxes, output_size=output_size,
                                          spatial_scale=spatial_scale,
                                          sampling_ratio=sampling_ratio, aligned=aligned),
                                     x.shape)
        if refusal:
            raise NotImplementedError(refusal)
        rows = _boxes(boxes, x.dtype)
        rois, batch = np.ascontiguousarray(rows[:, 1:]), rows[:, 0].astype(np.int64)
        o_h, o_w = _tuple(output_size, 2)
        attrs = dict(coordinate_transformation_mode="half_pixel" if aligned
                     else "output_half_pixel",
                     output_height=o_h, output_width=o_w,
                     sampling_ratio=max(int(sampling_ratio), 0),
                     spatial_scale=float(spatial_scale))
        y = _run("RoiAlign", [x, rois, batch], [x.dtype], mode=reduction, **attrs)[0]
        _refuse_nonfinite_terms(
            lambda a: _run("RoiAlign", [a, rois, batch], [x.dtype], mode="avg", **attrs)[0], x)
        return y

    # ----------------------------------------------------------------- divergences
    def known_divergence(self, op, kwargs, shape, dtype=None):
        """Documented differences between ONNX Runtime 1.32 CPU and refpool, or None."""
        if op in ("max_pool", "avg_pool", "lp_pool"):
            if op == "avg_pool" and kwargs.get("divisor_override") is not None:
                return None
            if op == "lp_pool" and (kwargs.get("variant", "torch") != "onnx"
                                    or float(kwargs["norm_type"]) != int(kwargs["norm_type"])):
                return None
            if op != "max_pool" and np.dtype(dtype or "float32") != np.float32:
                return None                     # no float64 kernel: refused
            return " | ".join(_window_divergence(op, kwargs, shape, dtype)) or None
        if op == "roi_align" and kwargs.get("reduction", "avg") == "max":
            if _roi_align_refusal(kwargs, shape) is None and \
                    _roi_align_max_changes(kwargs, shape):
                return ROI_ALIGN_MAX
        return None


adapter = OnnxRuntimeAdapter()
__getattr__ = adapter.module_getattr
