"""The conformance catalogue: deterministic cases covering every public operator.

A :class:`Case` is plain data — operator name, keyword arguments, input shape,
dtype, seed — plus how its result is compared (bitwise for selection operators,
else the per-dtype tolerance of :mod:`refpool.conformance.compare`).  Inputs are
regenerated from the seed by :func:`refpool.conformance.compare.make_input`.

The catalogue is the union of generated grids (ranks, odd/even sizes, strides,
paddings, dilations, ceil mode, ...) and hand-written edge cases from SPEC.md
(ceil-mode drops, padding at its limit, NaN/inf inputs, 1x1 outputs, per-axis
arguments).  Its order and ids are stable: the same refpool version always
produces the same list.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

import numpy as np

from .. import _args
from .compare import TOLERANCE, make_input

DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Case:
    """One conformance case (immutable, JSON-serialisable through :meth:`to_json`)."""

    id: str
    op: str
    shape: tuple
    dtype: str
    seed: int
    kwargs: dict = field(default_factory=dict, hash=False, compare=False)
    specials: bool = False
    exact: bool = False

    @property
    def tolerance(self):
        """``{"rtol", "atol"}`` for tolerance cases; zeros for exact ones."""
        if self.exact:
            return {"rtol": 0.0, "atol": 0.0}
        return dict(TOLERANCE[np.dtype(self.dtype)])

    def make_input(self):
        return make_input(self.shape, np.dtype(self.dtype), self.seed, self.specials)

    def call_kwargs(self):
        """Keyword arguments for the call, with JSON field-type specs turned into
        :class:`refpool.FieldType` objects and stored max_unpool ``indices`` into arrays."""
        kwargs = dict(self.kwargs)
        if "field_type" in kwargs and isinstance(kwargs["field_type"], dict):
            from .fieldspec import field_type_from_spec
            kwargs["field_type"] = field_type_from_spec(kwargs["field_type"])
        if isinstance(kwargs.get("indices"), dict):       # max_unpool: the stored indices
            kwargs["indices"] = np.asarray(kwargs["indices"]["data"], dtype=np.int64)
        if isinstance(kwargs.get("grid"), dict):          # grid_sample's stored points
            kwargs["grid"] = np.asarray(kwargs["grid"]["data"], dtype=np.float64)
        if isinstance(kwargs.get("coordinates"), dict):   # map_coordinates' stored points
            kwargs["coordinates"] = np.asarray(kwargs["coordinates"]["data"],
                                               dtype=np.float64)
        if isinstance(kwargs.get("samples"), dict):       # fractional_max_pool's samples
            kwargs["samples"] = np.asarray(kwargs["samples"]["data"],
                                           dtype=kwargs["samples"]["dtype"])
        return kwargs

    def to_json(self):
        return {"id": self.id, "op": self.op, "shape": list(self.shape), "dtype": self.dtype,
                "seed": self.seed, "kwargs": _jsonable(self.kwargs),
                "specials": self.specials, "exact": self.exact,
                "tolerance": self.tolerance}

    @classmethod
    def from_json(cls, data):
        return cls(id=data["id"], op=data["op"], shape=tuple(data["shape"]),
                   dtype=data["dtype"], seed=int(data["seed"]),
                   kwargs=_from_jsonable(data["kwargs"]), specials=bool(data["specials"]),
                   exact=bool(data["exact"]))


def _jsonable(value):
    if isinstance(value, tuple):
        return {"__tuple__": [_jsonable(v) for v in value]}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _from_jsonable(value):
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_from_jsonable(v) for v in value["__tuple__"])
        return {k: _from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_jsonable(v) for v in value]
    return value


def _kwargs_id(kwargs):
    parts = []
    for k, v in kwargs.items():
        if isinstance(v, dict):
            v = v.get("name", "spec")
        if k == "boxes":                     # region pooling: the box count (tags name the set)
            v = sum(len(image) for image in v)
        if isinstance(v, tuple):
            v = "x".join(str(e) for e in v)
        parts.append(f"{k}={v}")
    return ",".join(parts)


class _Builder:
    """Collects cases, assigning stable ids and seeds."""

    def __init__(self):
        self.cases = []
        self._ids = set()

    def add(self, op, shape, kwargs, dtype="float32", specials=False, exact=False, tag=""):
        shape = tuple(int(s) for s in shape)
        base = f"{op}/{'x'.join(map(str, shape))}/{_kwargs_id(kwargs)}/{dtype}"
        if specials:
            base += "/specials"
        if tag:
            base += f"/{tag}"
        case_id = base
        n = 1
        while case_id in self._ids:
            n += 1
            case_id = f"{base}#{n}"
        self._ids.add(case_id)
        seed = len(self.cases) + 1
        self.cases.append(Case(case_id, op, shape, dtype, seed, dict(kwargs), specials, exact))


# --------------------------------------------------------------------------- pooling
def _valid_window(shape, k, s, p, d, ceil_mode, padding_limit):
    try:
        _args.window_spec(shape, k, s, p, d, ceil_mode, padding_limit=padding_limit)
    except ValueError:
        return False
    return True


def _pooling(b):
    # generated 1-D grid: odd/even lengths, every small kernel/stride/padding/dilation
    for n, k, s, p, d, ceil in itertools.product((5, 6, 7, 8), (1, 2, 3, 4), (1, 2, 3),
                                                 (0, 1, 2), (1, 2), (False, True)):
        if _valid_window((n,), k, s, p, d, ceil, "dilated"):
            kw = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
            b.add("max_pool", (2, 3, n), kw, exact=True, specials=(n + k) % 2 == 0)
            if d == 1 and p <= k // 2:
                kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil,
                          count_include_pad=(n + s) % 2 == 0)
                b.add("avg_pool", (2, 3, n), kw)
    # 2-D and 3-D grids with per-axis arguments
    for (h, w), k, s, p, ceil in itertools.product(((7, 8), (9, 6), (4, 5)),
                                                   ((2, 2), (3, 3), (3, 2)),
                                                   ((2, 2), (1, 2), (2, 3)),
                                                   ((0, 0), (1, 1), (1, 0)),
                                                   (False, True)):
        if _valid_window((h, w), k, s, p, 1, ceil, "kernel"):
            for dtype in DTYPES:
                b.add("max_pool", (2, 3, h, w), dict(kernel_size=k, stride=s, padding=p,
                                                     ceil_mode=ceil, return_indices=True),
                      dtype=dtype, exact=True, specials=dtype == "float32")
                b.add("avg_pool", (2, 3, h, w), dict(kernel_size=k, stride=s, padding=p,
                                                     ceil_mode=ceil),
                      dtype=dtype)
    for shape, k, s, p, d, ceil in [((5, 6, 7), 2, 2, 0, 1, True),
                                    ((5, 6, 7), (3, 2, 3), (2, 1, 3), (1, 1, 0), 1, True),
                                    ((4, 4, 4), 3, 1, 1, 1, False),
                                    ((6, 5, 4), 3, 2, 1, (2, 1, 1), False),
                                    ((3, 3, 3), 3, 3, 0, 1, False)]:
        b.add("max_pool", (1, 2) + shape, dict(kernel_size=k, stride=s, padding=p, dilation=d,
                                               ceil_mode=ceil, return_indices=True),
              exact=True, specials=True)
        if d == 1:
            for cip in (True, False):
                b.add("avg_pool", (1, 2) + shape, dict(kernel_size=k, stride=s, padding=p,
                                                       ceil_mode=ceil, count_include_pad=cip))
    # hand-written edge cases (SPEC §1)
    edges = [
        # ceil mode: the last window would start in the right padding and is dropped
        ((1, 1, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
        # ceil mode adds a partial window that overhangs the padded border
        ((1, 1, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
        # padding at its limit, dilated and not
        ((1, 2, 9), dict(kernel_size=3, stride=1, padding=1, dilation=1)),
        ((1, 2, 9), dict(kernel_size=3, stride=2, padding=2, dilation=2)),
        ((1, 2, 6, 6), dict(kernel_size=4, stride=3, padding=2)),
        # 1x1 outputs, kernel as large as the padded input
        ((2, 2, 3, 3), dict(kernel_size=3)),
        ((2, 2, 2, 3), dict(kernel_size=(4, 5), padding=(1, 1))),
        ((1, 1, 1), dict(kernel_size=1)),
    ]
    for shape, kw in edges:
        for dtype in DTYPES:
            b.add("max_pool", shape, dict(kw, return_indices=True), dtype=dtype, exact=True,
                  specials=True, tag="edge")
            avg_kw = {k: v for k, v in kw.items() if k != "dilation"}
            if kw.get("dilation", 1) == 1 and _valid_window(shape[2:], kw["kernel_size"],
                                                            kw.get("stride"),
                                                            kw.get("padding", 0), 1,
                                                            kw.get("ceil_mode", False),
                                                            "kernel"):
                for cip, div in ((True, None), (False, None), (True, 3)):
                    b.add("avg_pool", shape, dict(avg_kw, count_include_pad=cip,
                                                  divisor_override=div),
                          dtype=dtype, specials=dtype == "float64", tag="edge")
    # general padding (ONNX pads, TF/ONNX "same", jax.lax.reduce_window): (before,
    # after) pairs, windows of padding only, the names, dilated averages
    for shape, kw in [((2, 2, 7), dict(kernel_size=3, stride=2, padding=((0, 2),))),
                      ((2, 2, 8), dict(kernel_size=3, stride=2, padding=((2, 1),),
                                       ceil_mode=True)),
                      ((2, 2, 5), dict(kernel_size=2, stride=1, padding=((3, 0),))),
                      ((1, 2, 6, 7), dict(kernel_size=3, stride=2, padding="same")),
                      ((1, 2, 6, 7), dict(kernel_size=(4, 3), stride=(2, 3),
                                          padding="same_lower")),
                      ((1, 2, 6, 7), dict(kernel_size=3, stride=2, padding="valid")),
                      ((1, 2, 7, 6), dict(kernel_size=3, stride=(1, 2),
                                          padding=((1, 2), 1), dilation=(2, 1))),
                      ((1, 1, 4, 5, 6), dict(kernel_size=2, padding=((1, 0), (0, 1), (2, 2))))]:
        for dtype in DTYPES:
            b.add("max_pool", shape, kw, dtype=dtype, exact=True, specials=True, tag="pads")
            for cip in (True, False):
                b.add("avg_pool", shape, dict(kw, count_include_pad=cip), dtype=dtype,
                      tag="pads")
    # Lp pooling: PyTorch's definition (its peer) and ONNX's, odd and fractional p
    for shape, kw in [((2, 3, 9), dict(kernel_size=3, stride=2)),
                      ((2, 3, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
                      ((1, 2, 7, 6), dict(kernel_size=(3, 2), stride=(2, 1))),
                      ((1, 2, 7, 6), dict(kernel_size=2, ceil_mode=True)),
                      ((1, 1, 4, 5, 6), dict(kernel_size=2, stride=(1, 2, 2)))]:
        for p, dtype in itertools.product((1.0, 2.0, 3.0, 1.5), DTYPES):
            b.add("lp_pool", shape, dict(kw, norm_type=p), dtype=dtype,
                  specials=p == 2.0 and dtype == "float64")
    b.add("lp_pool", (1, 2, 7, 6), dict(norm_type=2.0, kernel_size=3, stride=2,
                                        padding=((1, 0), (2, 1)), dilation=(1, 2),
                                        variant="onnx"), tag="onnx")
    # adaptive pooling
    for n, o in itertools.product((1, 5, 7, 8, 13), (1, 2, 3, 5, 7, 13)):
        b.add("adaptive_max_pool", (2, 3, n), dict(output_size=o, return_indices=True),
              exact=True, specials=True)
        b.add("adaptive_avg_pool", (2, 3, n), dict(output_size=o))
    for shape, o in [((7, 6), (3, 4)), ((5, 9), (5, 2)), ((6, 6), 1), ((4, 5), (None, 3)),
                     ((9, 10), (4, 7)), ((5, 6, 7), (2, 3, 4)), ((3, 4, 5), 1),
                     ((9, 10, 3), (4, 4, 2))]:
        for dtype in DTYPES:
            b.add("adaptive_max_pool", (2, 2) + shape, dict(output_size=o, return_indices=True),
                  dtype=dtype, exact=True, specials=True)
            b.add("adaptive_avg_pool", (2, 2) + shape, dict(output_size=o), dtype=dtype,
                  specials=dtype == "float64")
    _fractional_and_global(b)


def _fractional_samples(shape, dtype, seed):
    """The ``samples`` of a fractional_max_pool case, as a JSON-able spec ``{"name",
    "dtype", "data"}`` (:meth:`Case.call_kwargs` makes it an array of ``dtype``, the
    case's: PyTorch wants its samples in the input's dtype).  Random values, with the
    ends of [0, 1) mixed in: 0 and the largest value below 1 in ``dtype``, where the
    interval rule's rounding shows."""
    n, c, *spatial = shape
    rng = np.random.default_rng([seed, 1412])
    u = rng.random((n, c, len(spatial))).astype(dtype)
    ends = np.array([0.0, np.nextafter(np.array(1, dtype), np.array(0, dtype))], dtype)
    pick = rng.random(u.shape) < 0.25
    u[pick] = rng.choice(ends, int(pick.sum()))
    return {"name": f"u#{seed}", "dtype": dtype, "data": u.tolist()}


def _fractional_and_global(b):
    seed = 0

    def fractional(shape, kw, dtype, **extra):
        nonlocal seed
        seed += 1
        kw = dict(kw, samples=_fractional_samples(shape, dtype, seed))
        b.add("fractional_max_pool", shape, kw, dtype=dtype, exact=True, **extra)

    # 1-D grid (refpool's rule: torch's 2-D operator on a unit height), every output
    # length from 1 to n - k + 1
    for n, k in itertools.product((5, 8, 13), (1, 2, 3)):
        for o in sorted({1, 2, (n - k) // 2 + 1, n - k, n - k + 1} - {0}):
            for dtype in DTYPES:
                fractional((2, 3, n), dict(kernel_size=k, output_size=o,
                                           return_indices=(n + o) % 2 == 0), dtype,
                           specials=o == 2)
    # 2-D and 3-D, per-axis arguments, output ratios
    for shape, kw in [((7, 8), dict(kernel_size=2, output_size=(3, 4))),
                      ((9, 6), dict(kernel_size=(3, 2), output_size=(4, 3))),
                      ((12, 12), dict(kernel_size=3, output_size=5)),
                      ((10, 11), dict(kernel_size=2, output_ratio=0.5)),
                      ((13, 9), dict(kernel_size=(2, 3), output_ratio=(0.6, 0.4))),
                      ((6, 7), dict(kernel_size=2, output_size=(5, 6))),
                      ((5, 6, 7), dict(kernel_size=2, output_size=(3, 4, 5))),
                      ((7, 6, 9), dict(kernel_size=(3, 2, 2), output_size=(2, 3, 4))),
                      ((8, 8, 8), dict(kernel_size=2, output_ratio=0.5))]:
        for dtype in DTYPES:
            fractional((2, 3) + shape, dict(kw, return_indices=True), dtype,
                       specials=dtype == "float32")
    # edge cases: one output (the window at the end), kernel 1, windows advancing by
    # one (o + k - 1 = n; PyTorch's 3-D operator refuses it), the kernel as large
    # as the input, and the float32 rounding of samples next to 1 (n=6, k=2, o=3)
    edges = [((1, 2, 6, 6), dict(kernel_size=2, output_size=1)),
             ((1, 2, 5, 7), dict(kernel_size=1, output_size=(3, 4))),
             ((1, 2, 4, 5, 6), dict(kernel_size=2, output_size=(3, 4, 5))),
             ((2, 1, 4, 4), dict(kernel_size=4, output_size=1)),
             ((3, 4, 6, 6), dict(kernel_size=2, output_size=3))]
    for shape, kw in edges:
        for dtype in DTYPES:
            fractional(shape, dict(kw, return_indices=True), dtype, specials=True,
                       tag="edge")
    # the global pools: 1 to 3 spatial axes, odd and unit sizes
    shapes = [(2, 3, 7), (2, 3, 1), (1, 2, 5, 6), (2, 2, 1, 9), (1, 2, 3, 4, 5),
              (1, 1, 1, 1, 1)]
    for shape, dtype in itertools.product(shapes, DTYPES):
        b.add("global_max_pool", shape, dict(return_indices=True), dtype=dtype, exact=True,
              specials=True)
        b.add("global_max_pool", shape, {}, dtype=dtype, exact=True)
        b.add("global_avg_pool", shape, {}, dtype=dtype, specials=dtype == "float64")
        for p, variant in ((2.0, "onnx"), (1.0, "torch"), (3.0, "onnx"), (1.5, "torch"),
                           (2.0, "torch")):
            b.add("global_lp_pool", shape, dict(norm_type=p, variant=variant), dtype=dtype,
                  specials=p == 2.0 and dtype == "float64" and variant == "onnx")


# --------------------------------------------------------------------------- antialiasing
#: sigmas with t*sigma exactly at a half integer catch round-half-up Gaussians:
#: 3 * (2.5/3) == 2.5 (avg, t=3) and 4 * 0.625 == 2.5, 4 * 0.125 == 0.5 (max, t=4)
AVG_SIGMAS = (0.5, 0.6, 2 / 3, 2.5 / 3, 1.0, 1.25)
MAX_SIGMAS = (0.125, 0.6, 0.625, 1.0)


def _antialiased(b):
    for shape, sigma, stride, padding in itertools.product(
            ((2, 2, 9), (1, 2, 9, 10), (1, 2, 8, 8)), AVG_SIGMAS, (1, 2, 3), (None, 0, 2)):
        kw = dict(sigma=sigma, stride=stride)
        if padding is not None:
            kw["padding"] = padding
        if _valid_call(_args.antialiased_avg_spec, shape[2:], sigma, stride, padding):
            b.add("antialiased_avg_pool", shape, kw, dtype=DTYPES[(stride + len(shape)) % 2],
                  specials=stride == 3)
    for shape, sigma, stride in [((1, 2, 5, 6, 7), 0.6, 2), ((1, 1, 6, 6, 6), 1.0, (1, 2, 3))]:
        for dtype in DTYPES:
            b.add("antialiased_avg_pool", shape, dict(sigma=sigma, stride=stride), dtype=dtype)
    for shape, k, s, p, d, ceil, sigma in itertools.product(
            ((2, 2, 11), (1, 2, 9, 8)), (2, 3), (1, 2, None), (0, 1), (1, 2), (False, True),
            MAX_SIGMAS):
        kw = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil, sigma=sigma)
        if _valid_call(_args.antialiased_max_spec, shape[2:], k, s, p, d, ceil, sigma):
            b.add("antialiased_max_pool", shape, kw, dtype=DTYPES[(k + d) % 2],
                  specials=p == 1 and d == 1)
    for shape, kw in [((1, 2, 9, 9), dict(kernel_size=3, stride=2, padding=1, blur_padding=3)),
                      ((1, 2, 8, 8), dict(kernel_size=2, blur_padding=2)),
                      ((1, 2, 5, 6, 7), dict(kernel_size=2, stride=(1, 2, 2), sigma=0.6)),
                      ((1, 1, 6, 6, 6), dict(kernel_size=3, stride=2, padding=1, sigma=1.0))]:
        for dtype in DTYPES:
            b.add("antialiased_max_pool", shape, kw, dtype=dtype, tag="edge")
    for shape, fs, s, pad, off in itertools.product(
            ((2, 2, 9), (1, 2, 8, 9)), range(1, 8), (1, 2, 3), ("reflect", "replicate", "zero"),
            (0, 1)):
        kw = dict(filt_size=fs, stride=s, pad_type=pad, pad_off=off)
        if _valid_call(_args.blur_pool_spec, shape[2:], fs, s, pad, off):
            b.add("blur_pool", shape, kw, dtype=DTYPES[(fs + s) % 2], specials=fs == 3)
    for shape, kw in [((1, 2, 5, 6, 7), dict(filt_size=3, stride=2)),
                      ((1, 2, 4, 4, 4), dict(filt_size=4, stride=(1, 2, 2), pad_type="zero")),
                      ((1, 2, 12), dict(filt_size=9, stride=2, pad_type="replicate")),
                      ((1, 1, 3, 3), dict(filt_size=3, stride=1, pad_type="reflect"))]:
        for dtype in DTYPES:
            b.add("blur_pool", shape, kw, dtype=dtype, tag="edge")
    # pad_type="circular": the input read as periodic, padding wider than the input too
    for op, shape, kw in [
            ("blur_pool", (2, 2, 8), dict(filt_size=4, stride=2, pad_type="circular")),
            ("blur_pool", (1, 2, 6, 8), dict(filt_size=3, stride=2, pad_type="circular")),
            ("blur_pool", (1, 1, 3), dict(filt_size=7, stride=1, pad_type="circular",
                                          pad_off=2)),
            ("blur_pool", (1, 1, 4, 4, 4), dict(filt_size=3, stride=(1, 2, 2),
                                                pad_type="circular")),
            ("antialiased_avg_pool", (1, 2, 8, 10), dict(sigma=1.0, stride=2,
                                                         pad_type="circular")),
            ("antialiased_avg_pool", (2, 1, 4), dict(sigma=1.5, stride=1, padding=6,
                                                     pad_type="circular")),
            ("antialiased_max_pool", (1, 2, 8, 9), dict(kernel_size=2, pad_type="circular")),
            ("antialiased_max_pool", (1, 2, 9), dict(kernel_size=3, stride=2, padding=1,
                                                     dilation=2, blur_padding=4,
                                                     pad_type="circular"))]:
        for dtype in DTYPES:
            b.add(op, shape, kw, dtype=dtype, specials=dtype == "float32", tag="circular")


# --------------------------------------------------------------------------- interpolation
def _interpolation(b):
    linear = {1: "linear", 2: "bilinear", 3: "trilinear"}
    shapes = {1: (2, 2, 7), 2: (1, 2, 6, 5), 3: (1, 2, 4, 3, 5)}
    for nd, spatial in shapes.items():
        modes = ["nearest", "nearest-exact", "area", linear[nd]] + (["bicubic"] if nd == 2
                                                                     else [])
        for mode in modes:
            for how, value in [("size", 1), ("size", 9), ("size", 4),
                               ("scale_factor", 2), ("scale_factor", 0.5),
                               ("scale_factor", 1.7), ("scale_factor", 3),
                               ("scale_factor", tuple([2.5, 0.75, 1.25][:nd]))]:
                for align in ((None,) if mode in ("nearest", "nearest-exact", "area")
                              else (False, True)):
                    kw = {how: value, "mode": mode}
                    if align is not None:
                        kw["align_corners"] = align
                    exact = mode in ("nearest", "nearest-exact")
                    for dtype in DTYPES:
                        b.add("interpolate", spatial, kw, dtype=dtype, exact=exact,
                              specials=dtype == "float64" and how == "size")
                    if how == "scale_factor" and mode != "area":
                        b.add("interpolate", spatial, dict(kw, recompute_scale_factor=True),
                              exact=exact)
            if mode in ("bilinear", "bicubic"):
                for size in ((3, 2), (2, 4), (5, 3)):
                    for align in (False, True):
                        b.add("interpolate", spatial, dict(size=size, mode=mode,
                                                           align_corners=align,
                                                           antialias=True))
                b.add("interpolate", (1, 2, 17, 13), dict(scale_factor=0.3, mode=mode,
                                                          antialias=True), tag="edge")
    # larger 2-D nearest outputs take PyTorch's generic index rule (m_H + m_W > 128)
    for mode in ("nearest", "nearest-exact"):
        b.add("interpolate", (1, 1, 40, 33), dict(scale_factor=2.1, mode=mode), exact=True,
              tag="edge")
        b.add("interpolate", (1, 1, 50, 50), dict(size=(97, 71), mode=mode), exact=True,
              tag="edge")
    _resample(b)


def _resample(b):
    """refpool.resample: every filter, coordinate mode and boundary rule, up and down."""
    shapes = {1: (2, 2, 7), 2: (1, 2, 6, 5), 3: (1, 2, 4, 3, 5)}
    filters = ("nearest", "box", "area", "linear", "cubic", "mitchell", "catmull_rom",
               "gaussian", "lanczos3", "lanczos4", "lanczos5", "hamming")
    modes = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
             "asymmetric", "tf_half_pixel_for_nn")
    k = 0
    for nd, spatial in shapes.items():
        for filt in filters:
            for how, value in (("size", 4), ("size", 9), ("scale", 0.45),
                               ("scale", tuple([2.5, 0.75, 1.25][:nd]))):
                k += 1
                kw = {how: value, "filter": filt, "coordinate_mode": modes[k % len(modes)]}
                if filt != "nearest":
                    kw["antialias"] = bool(k % 2)
                    kw["exclude_outside"] = bool(k % 3 == 0)
                else:
                    kw["nearest_mode"] = ("round_prefer_floor", "round_prefer_ceil", "floor",
                                          "ceil")[k % 4]
                b.add("resample", spatial, kw, dtype=DTYPES[k % 2], exact=filt == "nearest",
                      specials=k % 5 == 0)
    # edges: a crop with extrapolation, a translation, both size and scale, size 1
    for kw in (dict(size=(5, 3), coordinate_mode="tf_crop_and_resize",
                    roi=(0.2, -0.3, 1.1, 0.9), extrapolation_value=-1.0),
               dict(size=(5, 3), filter="nearest", coordinate_mode="tf_crop_and_resize",
                    roi=(0.2, -0.3, 1.1, 0.9), extrapolation_value=7.0),
               dict(size=(6, 5), scale=(1.3, 0.8), translation=(0.5, -1.5),
                    filter="lanczos3", antialias=True, extrapolate="cells"),
               dict(size=(1, 1), filter="cubic", cubic_coeff_a=-0.5),
               dict(size=(4, 7), filter=("bc", 0.5, 0.25), exclude_outside=True)):
        for dtype in DTYPES:
            b.add("resample", (1, 2, 6, 5), kw, dtype=dtype, exact=kw.get("filter") == "nearest",
                  tag="edge")


# --------------------------------------------------------------------------- field operators
def _fields(b):
    from .fieldspec import spec
    c4 = ["cyclic", 4]
    d4 = ["dihedral", 4]
    c8 = ["cyclic", 8]
    pointwise = [spec("C4 regular x2 + trivial", c4, ["regular", "regular", "trivial"]),
                 spec("D4 regular + quotient", d4, ["regular", ["quotient", [0, 1]]]),
                 spec("C8 quotient C2", c8, [["quotient", 2], "regular"])]
    orthogonal = [spec("C8 irreps", c8, [["irrep", 1], ["irrep", 2], ["irrep", 0]]),
                  spec("D4 irreps", d4, [["irrep", 1, 1], ["irrep", 1, 0], "regular"]),
                  spec("SO2 irreps", ["so2", 3], [["irrep", 1], ["irrep", 3]])]
    induced = [spec("C8 induced from C2", c8, [["induced", 2, ["irrep", 1]], ["quotient", 4]]),
               spec("D4 induced", d4, [["induced", [0, 2], ["irrep", 1, 0]]])]

    def field_shape(ft_spec, spatial):
        from .fieldspec import field_type_from_spec
        return (2, field_type_from_spec(ft_spec).size) + spatial

    for i, (ft, spatial) in enumerate(itertools.product(pointwise, ((6, 7), (5,), (3, 4, 5)))):
        for dtype in DTYPES:
            b.add("group_pool", field_shape(ft, spatial), dict(field_type=ft), dtype=dtype,
                  exact=True, specials=dtype == "float32")
    for ft, spatial in itertools.product(pointwise + orthogonal, ((6, 7), (5,), (3, 4, 5))):
        for dtype in DTYPES:
            b.add("norm_pool", field_shape(ft, spatial), dict(field_type=ft), dtype=dtype)
    for ft, spatial in itertools.product(induced, ((6, 7), (5,), (3, 4, 5))):
        for dtype in DTYPES:
            b.add("induced_norm_pool", field_shape(ft, spatial), dict(field_type=ft),
                  dtype=dtype)
    for ft, spatial, (k, s, p, d, ceil) in itertools.product(
            orthogonal + pointwise[:1], ((7, 8), (9,), (4, 5, 5)),
            ((2, None, 0, 1, False), (3, 2, 1, 1, True), (2, 1, 1, 2, False),
             (3, 3, 0, 1, True))):
        if not _valid_call(_args.window_spec, spatial, k, s, p, d, ceil):
            continue
        for dtype in DTYPES:
            b.add("norm_max_pool", field_shape(ft, spatial),
                  dict(field_type=ft, kernel_size=k, stride=s, padding=p, dilation=d,
                       ceil_mode=ceil), dtype=dtype, exact=True, specials=dtype == "float64")
    # regular fields onto every kind of subgroup: C_N -> C_M, D_N -> C_M, D_N -> D_M and
    # flips, the trivial subgroup and the group itself; one spatial shape per pair
    regular = [(spec("D4 regular x2", d4, ["regular", "regular"]),
                [(None, 4), (None, 2), (0, 2), (1, 1), (0, 4)]),
               (spec("C8 regular", c8, ["regular"]), [4, 2, 1]),
               (spec("D3 regular", ["dihedral", 3], ["regular"]), [(None, 3), (2, 1)])]
    spatials = itertools.cycle(((6, 7), (5,), (3, 4, 5)))
    for ft, subgroups in regular:
        for subgroup in subgroups:
            spatial = next(spatials)
            for mode, dtype in itertools.product(("max", "avg"), DTYPES):
                b.add("subgroup_pool", field_shape(ft, spatial),
                      dict(field_type=ft, subgroup=subgroup, mode=mode), dtype=dtype,
                      exact=mode == "max", specials=dtype == "float32")
    for (channels, k), spatial in itertools.product(((6, 2), (6, 3), (8, 4), (4, 1), (5, 5),
                                                     (12, 3)), ((6, 7), (5,), (3, 4, 5))):
        for dtype in DTYPES:
            b.add("max_pool_channels", (2, channels) + spatial, dict(kernel_size=k),
                  dtype=dtype, exact=True, specials=dtype == "float32")


# --------------------------------------------------------------------------- shuffle
def _shuffle(b):
    spatial = {1: (5,), 2: (3, 4), 3: (2, 3, 2)}
    for nd, r, c in itertools.product((1, 2, 3), (1, 2, 3), (1, 2)):
        if nd == 3 and r == 3 and c == 2:
            continue                          # 54 channels of 2x3x2: enough without it
        shape = (2, c * r ** nd) + spatial[nd]
        for i, dtype in enumerate(DTYPES):
            specials = (r + i) % 2 == 0
            b.add("pixel_shuffle", shape, dict(upscale_factor=r), dtype=dtype, exact=True,
                  specials=specials)
            for mode in ("DCR", "CRD"):
                b.add("depth_to_space", shape, dict(blocksize=r, mode=mode), dtype=dtype,
                      exact=True, specials=specials)
        down = (2, c) + tuple(n * r for n in spatial[nd])
        for i, dtype in enumerate(DTYPES):
            specials = (r + i) % 2 == 1
            b.add("pixel_unshuffle", down, dict(downscale_factor=r), dtype=dtype, exact=True,
                  specials=specials)
            b.add("space_to_depth", down, dict(blocksize=r), dtype=dtype, exact=True,
                  specials=specials)
    # edge cases: one-pixel inputs, a factor as large as the input, the default mode
    for dtype in DTYPES:
        b.add("pixel_shuffle", (1, 16, 1, 1), dict(upscale_factor=4), dtype=dtype, exact=True,
              specials=True, tag="edge")
        b.add("pixel_unshuffle", (1, 1, 4, 4), dict(downscale_factor=4), dtype=dtype,
              exact=True, specials=True, tag="edge")
        b.add("depth_to_space", (1, 8, 1, 1, 1), dict(blocksize=2), dtype=dtype, exact=True,
              specials=True, tag="edge")
        b.add("space_to_depth", (1, 3, 2, 2, 2), dict(blocksize=2), dtype=dtype, exact=True,
              specials=True, tag="edge")


# --------------------------------------------------------------------------- unpooling
def _unpool_indices(kind, shape, kw, seed, index_layout):
    """The ``indices`` of a max_unpool case, as a JSON-able spec ``{"name", "data"}``
    (:meth:`Case.call_kwargs` makes it an int64 array).  Never a duplicate: the case's
    input is random, and torch leaves the winner among duplicates unspecified.

    ``kind``: ``"window"``, a position in each input's own pooling window (inside the
    first ``stride`` taps, so overlapping windows stay distinct), as max_pool would
    pick; ``"scatter"``, distinct positions anywhere in the plane.
    """
    from ..unpooling import unpool_spec
    rng = np.random.default_rng([seed, 2398])
    n, c, *spatial = shape
    spec = unpool_spec(spatial, kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                       kw.get("output_size"), (n, c))
    out, planes = spec.output_size, n * c

    def taps(a, b, i):
        start = i * a.stride - a.before
        return [q for q in range(start, start + min(a.kernel, a.stride)) if 0 <= q < out[b]]

    if any(not taps(spec.axis(b), b, i) for b, length in enumerate(spatial)
           for i in range(length)):
        kind = "scatter"              # a window's first taps lie in the padding
    if kind == "window":
        where = []
        for b, length in enumerate(spatial):
            a = spec.axis(b)
            pos = np.empty((planes, length), np.int64)
            for i in range(length):
                pos[:, i] = rng.choice(taps(a, b, i), planes)
            where.append(pos)
        flat = np.zeros((planes,) + tuple(spatial), np.int64)
        for b, pos in enumerate(where):
            view = [1] * len(spatial)
            view[b] = spatial[b]
            flat = flat * out[b] + pos.reshape((planes,) + tuple(view))
    else:
        size = int(np.prod(spatial))
        if size > spec.plane_size:
            return None               # more inputs than outputs: duplicates unavoidable
        flat = np.stack([rng.choice(spec.plane_size, size, replace=False)
                         for _ in range(planes)]).reshape((planes,) + tuple(spatial))
    if index_layout == "onnx":
        offsets = np.arange(planes) * spec.plane_size
        flat = flat + offsets.reshape((planes,) + (1,) * len(spatial))
    return {"name": f"{kind}#{seed}", "data": flat.reshape(shape).tolist()}


def _unpooling(b):
    seed = 0

    def add(shape, kw, kind, dtype, layout="torch", tag=""):
        nonlocal seed
        seed += 1
        kw = dict(kw)
        if layout != "torch":
            kw["index_layout"] = layout
        indices = _unpool_indices(kind, shape, kw, seed, layout)
        if indices is None:
            return
        kw = dict(indices=indices, **kw)
        b.add("max_unpool", shape, kw, dtype=dtype, exact=True, specials=seed % 3 == 0,
              tag=tag)

    # 1-D grid: the window arguments, and explicit output lengths across torch's range
    for n, k, s, p in itertools.product((3, 4), (1, 2, 3), (1, 2, 3), (0, 1)):
        if p > k // 2:
            continue
        default = (n - 1) * s - 2 * p + k
        for m in sorted({None, default - s + 1, default + s - 1} - {0}, key=str):
            if m is not None and m < 1:
                continue
            kw = dict(kernel_size=k, stride=s, padding=p)
            if m is not None:
                kw["output_size"] = (m,)
            add((2, 3, n), kw, "window" if (k + s) % 2 else "scatter",
                DTYPES[(n + k + s) % 2], "onnx" if (n + p + s) % 3 == 0 else "torch")
    # 2-D and 3-D, per-axis arguments
    for shape, kw in [((2, 2, 3, 4), dict(kernel_size=2)),
                      ((1, 3, 4, 3), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))),
                      ((2, 2, 3, 3), dict(kernel_size=3, stride=2, padding=1,
                                          output_size=(6, 5))),
                      ((1, 2, 4, 4), dict(kernel_size=2, stride=2, output_size=(1, 2, 9, 8))),
                      ((1, 2, 2, 3, 2), dict(kernel_size=2)),
                      ((1, 1, 2, 2, 3), dict(kernel_size=(2, 3, 2), stride=(2, 2, 1),
                                             padding=(0, 1, 0), output_size=(5, 4, 4)))]:
        for i, dtype in enumerate(DTYPES):
            add(shape, kw, ("window", "scatter")[i], dtype, ("torch", "onnx")[i])
    # edge cases: one output, a permutation (P == L), (before, after) padding, an int
    # output_size, the first and last index of every plane
    edges = [((2, 2, 1), dict(kernel_size=1), "scatter"),
             ((1, 2, 3, 4), dict(kernel_size=1), "scatter"),
             ((1, 1, 3, 3), dict(kernel_size=3, stride=2, padding=((1, 0), 1)), "window"),
             ((1, 2, 3, 3), dict(kernel_size=2, output_size=7), "window"),
             ((2, 1, 2, 2, 2), dict(kernel_size=1, stride=1), "scatter")]
    for shape, kw, kind in edges:
        for i, dtype in enumerate(DTYPES):
            add(shape, kw, kind, dtype, ("torch", "onnx")[i], tag="edge")


def _valid_call(check, *args):
    try:
        check(*args)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- region pooling
#: box sets of the region-pooling cases, per image (``x1, y1, x2, y2`` of images 0 and
#: 1 of a 7 x 8 input, in input pixels): inside, across the border, wholly outside,
#: degenerate and inverted, corners at half-integers (where roi_pool's rounding of
#: halves away from zero shows), and no box at all
ROI_BOXES = {
    "inside": (((0.5, 1.25, 5.75, 6.0), (2.0, 2.0, 4.0, 5.0)), ((1.0, 0.0, 7.0, 6.5),)),
    "border": (((-2.5, -1.0, 3.0, 2.5),), ((5.5, 4.0, 11.0, 9.0), (0.0, 0.0, 8.0, 7.0))),
    "outside": (((-9.0, -9.0, -3.0, -2.0),), ((9.5, 8.0, 14.0, 12.0),)),
    "degenerate": (((3.0, 2.0, 3.0, 2.0), (2.5, 1.5, 2.5, 4.5)), ((6.0, 3.0, 1.0, 1.0),)),
    "halves": (((0.5, 0.5, 2.5, 3.5), (1.5, 2.5, 4.5, 6.5)), ()),
    "none": ((), ()),
}


def _region_pooling(b):
    shape = (2, 3, 7, 8)
    for (name, boxes), dtype in itertools.product(ROI_BOXES.items(), DTYPES):
        for size, scale in (((2, 2), 1.0), (3, 0.5), ((1, 4), 1.0), (7, 2.0)):
            boxes_scaled = tuple(tuple(tuple(c / scale for c in box) for box in image)
                                 for image in boxes)
            b.add("roi_pool", shape, dict(boxes=boxes_scaled, output_size=size,
                                          spatial_scale=scale),
                  dtype=dtype, exact=True, specials=size == 3, tag=name)
            for aligned, ratio, reduction in ((False, -1, "avg"), (True, -1, "avg"),
                                              (False, 2, "max"), (True, 0, "max")):
                b.add("roi_align", shape, dict(boxes=boxes_scaled, output_size=size,
                                               spatial_scale=scale, sampling_ratio=ratio,
                                               aligned=aligned, reduction=reduction),
                      dtype=dtype, specials=size == 3 and aligned, tag=name)
    # edge cases: one pixel, a box as large as the image with one bin, a fine grid
    for shape, kw in [((1, 2, 1, 1), dict(boxes=(((0.0, 0.0, 0.0, 0.0),),), output_size=2)),
                      ((1, 1, 5, 5), dict(boxes=(((0.0, 0.0, 5.0, 5.0),),), output_size=1)),
                      ((1, 1, 5, 6), dict(boxes=(((0.25, 0.5, 5.5, 4.75),),),
                                          output_size=(9, 11)))]:
        for dtype in DTYPES:
            b.add("roi_pool", shape, kw, dtype=dtype, exact=True, tag="edge")
            b.add("roi_align", shape, dict(kw, aligned=True), dtype=dtype, tag="edge")
            b.add("roi_align", shape, dict(kw, sampling_ratio=3), dtype=dtype, tag="edge")


# --------------------------------------------------------------------------- sampling
def _grid_points(shape, seed):
    """A stored grid of ``shape`` ``(N, *out, k)``: random points in [-1.5, 1.5] mixed
    with exact borders, pixel halves and far-outside points (finite: the JSON manifest
    stays standard; tests/test_sampling.py covers NaN and infinity)."""
    rng = np.random.default_rng(seed)
    special = np.array([-1.0, 1.0, 0.0, 0.5, -0.5, 0.25, -0.75, 1.25, 3.0, -9.5])
    points = rng.uniform(-1.5, 1.5, shape)
    points = np.where(rng.random(shape) < 0.4, rng.choice(special, shape), points)
    return {"name": f"grid#{seed}", "data": points.tolist()}


def _sampling(b):
    """grid_sample: every mode, padding rule and align_corners, 2-D and 3-D, plus a
    one-pixel input and an upsampling grid."""
    cases = [((2, 3, 5, 6), (2, 3, 4, 2), ("bilinear", "nearest", "bicubic")),
             ((1, 2, 3, 4, 5), (1, 2, 3, 2, 3), ("bilinear", "nearest"))]
    for seed, (shape, gshape, modes) in enumerate(cases):
        grid = _grid_points(gshape, seed)
        for mode, pad, align in itertools.product(modes, ("zeros", "border", "reflection"),
                                                  (False, True)):
            for dtype in DTYPES:
                b.add("grid_sample", shape, dict(grid=grid, mode=mode, padding_mode=pad,
                                                 align_corners=align),
                      dtype=dtype, specials=dtype == "float32" and mode == "nearest",
                      tag=mode)
    for shape, gshape in (((1, 2, 1, 1), (1, 2, 3, 2)), ((1, 1, 2, 3), (1, 5, 7, 2))):
        grid = _grid_points(gshape, 10 + shape[-1])
        for mode, dtype in itertools.product(("bilinear", "bicubic"), DTYPES):
            b.add("grid_sample", shape, dict(grid=grid, mode=mode, padding_mode="border"),
                  dtype=dtype, tag="edge")


# --------------------------------------------------------------------------- spline
def _spline_points(shape, spatial, seed):
    """Stored points ``(k, *out)`` for an input of ``spatial`` shape: random points in
    and around the input mixed with exact borders, sample centres, halves and far
    outside points (finite: the JSON manifest stays standard;
    tests/test_map_coordinates.py covers NaN and infinity)."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in spatial:
        row = rng.uniform(-2.0, n + 1.0, shape)
        special = np.array([0.0, n - 1.0, -0.5, n - 0.5, 1.0, 0.5, -1.0, float(n), -30.0,
                            2.0 * n + 7.25])
        rows.append(np.where(rng.random(shape) < 0.35, rng.choice(special, shape), row))
    return {"name": f"points#{seed}", "data": np.stack(rows).tolist()}


def _spline(b):
    """map_coordinates, affine_transform and rotate: every order and mode in 1-3 D,
    prefilter on and off, cval, 1-long and one-sample inputs, rotations by multiples of
    90 degrees and others, reshape on and off."""
    from ..spline import MODES
    seed = 0
    for shape, out in (((2, 3, 7), (9,)), ((1, 2, 5, 6), (3, 4)), ((1, 1, 3, 4, 3), (2, 5)),
                       ((1, 2, 1, 4), (6,)), ((1, 1, 1), (5,))):
        seed += 1
        points = _spline_points(out, shape[2:], seed)
        for order, mode in itertools.product(range(6), MODES):
            if (order + MODES.index(mode) + seed) % 3 and len(shape) == 5:
                continue                    # 3-D: a third of the grid
            dtype = DTYPES[(order + seed) % 2]
            kw = dict(coordinates=points, order=order, mode=mode)
            if mode in ("constant", "grid-constant"):
                kw["cval"] = 1.5
            b.add("map_coordinates", shape, kw, dtype=dtype, tag=mode)
        for dtype in DTYPES:
            b.add("map_coordinates", shape, dict(coordinates=points, order=3,
                                                 mode="mirror", prefilter=False),
                  dtype=dtype, specials=dtype == "float32", tag="no-prefilter")
    matrices = [(((0.8, 0.3), (-0.3, 0.8)), (0.5, -1.0), None),
                ((1.5, 0.5), 0.25, (4, 9)),
                (((0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)), 0.0, (6, 5))]
    for (matrix, offset, output_shape), mode, dtype in itertools.product(
            matrices, ("constant", "nearest", "reflect", "grid-wrap"), DTYPES):
        b.add("affine_transform", (1, 2, 5, 6),
              dict(matrix=matrix, offset=offset, output_shape=output_shape, order=3,
                   mode=mode), dtype=dtype, tag=mode)
    b.add("affine_transform", (2, 1, 8), dict(matrix=((0.5,),), offset=1.0, order=5,
                                              mode="mirror"), dtype="float64", tag="1d")
    b.add("affine_transform", (2, 1, 8), dict(matrix=((0.5,),), offset=1.0, order=1,
                                              mode="wrap"), dtype="float32", tag="1d")
    for (angle, reshape, order), dtype in itertools.product(
            ((90, True, 3), (30, True, 3), (-45, False, 1), (180, False, 5), (17.5, True, 0),
             (270, True, 2)), DTYPES):
        b.add("rotate", (1, 2, 5, 7), dict(angle=angle, reshape=reshape, order=order),
              dtype=dtype, tag="2d")
    for axes, mode in (((0, 1), "nearest"), ((2, 0), "mirror"), ((-1, -2), "grid-constant")):
        for dtype in DTYPES:
            b.add("rotate", (1, 1, 3, 4, 5), dict(angle=60, axes=axes, mode=mode, cval=2.0),
                  dtype=dtype, tag="3d")
    b.add("rotate", (1, 1, 1, 1), dict(angle=33), dtype="float64", tag="edge")


# --------------------------------------------------------------------------- upfirdn
def _upfirdn(b):
    """upfirdn: StyleGAN3's 2x up- and downsampling with [1, 3, 3, 1] / 8, separable and
    n-D filters, per-axis factors, cropping, flip_filter and gain, in 1-3 D."""
    binomial = (0.125, 0.375, 0.375, 0.125)
    asymmetric = (0.5, -0.25, 1.0)
    kernel2 = ((0.0, 1.0, 0.5), (1.0, -2.0, 0.25))
    kernel3 = (((1.0, 0.5), (0.25, -1.0)), ((0.0, 2.0), (1.0, 0.5)))
    grid = [
        ((2, 3, 7), dict(f=binomial, up=2, padding=((2, 1),), gain=2.0), "up"),
        ((2, 3, 9), dict(f=binomial, down=2, padding=((1, 1),)), "down"),
        ((1, 2, 5, 6), dict(f=binomial, up=2, padding=((2, 1), (2, 1)), gain=4.0), "up"),
        ((1, 2, 8, 7), dict(f=binomial, down=2, padding=((1, 1), (1, 1))), "down"),
        ((1, 2, 5, 4), dict(f=asymmetric, up=(3, 1), down=(2, 1), padding=((2, 0), 1)),
         "asymmetric"),
        ((1, 1, 4, 5), dict(f=kernel2, up=2, down=(1, 3), padding=((1, -1), (0, 2)),
                            flip_filter=True), "kernel"),
        ((1, 1, 3, 4, 3), dict(f=binomial, up=2, padding=((2, 1),) * 3, gain=8.0), "up"),
        ((1, 2, 3, 3, 4), dict(f=kernel3, up=(1, 2, 1), down=(2, 1, 1), padding=1),
         "kernel"),
    ]
    for shape, kw, tag in grid:
        for dtype in DTYPES:
            b.add("upfirdn", shape, kw, dtype=dtype, specials=dtype == "float32", tag=tag)
    # edge cases: a one-sample input, a one-tap filter (zero insertion), crop to one
    # output, the 'valid' defaults
    for shape, kw in [((1, 1, 1), dict(f=(2.0,), up=3)),
                      ((1, 1, 1, 1), dict(f=(1.0, 2.0), up=2, padding=((1, 0), (0, 1)))),
                      ((1, 2, 6), dict(f=(1.0, 1.0, 1.0), padding=((-2, -1),))),
                      ((2, 1, 5, 5), dict(f=(0.25, 0.5, 0.25)))]:
        for dtype in DTYPES:
            b.add("upfirdn", shape, kw, dtype=dtype, tag="edge")
    # pad_type="circular": the zero-inserted signal read as periodic (padding wider
    # than a period and cropping included)
    for shape, kw in [((1, 2, 6, 5), dict(f=binomial, up=2, padding=((2, 1), (2, 1)),
                                          gain=4.0, pad_type="circular")),
                      ((2, 1, 8), dict(f=binomial, down=2, padding=((1, 1),),
                                       pad_type="circular")),
                      ((1, 1, 3), dict(f=asymmetric, up=2, padding=((5, 4),),
                                       pad_type="circular")),
                      ((1, 1, 4, 5), dict(f=kernel2, up=(1, 2), down=(2, 1),
                                          padding=((-1, 2), (3, 0)), pad_type="circular"))]:
        for dtype in DTYPES:
            b.add("upfirdn", shape, kw, dtype=dtype, tag="circular")
    # antialiased resampling on upfirdn: radial (default) and separable designs, array
    # filters, odd factors, circular padding
    for op in ("filtered_upsample", "filtered_downsample"):
        for shape, kw in [((1, 2, 8, 8), dict(factor=2)),
                          ((2, 1, 9, 6), dict(factor=2, filter="separable")),
                          ((1, 2, 9, 9), dict(factor=3, numtaps=7, cutoff=0.3, width=0.2)),
                          ((1, 1, 10), dict(factor=2)),
                          ((1, 1, 4, 5, 6), dict(factor=2, numtaps=6)),
                          ((1, 2, 6, 7), dict(factor=(2, 1), filter="separable")),
                          ((2, 1, 8, 8), dict(factor=2, filter=(0.25, 0.5, 0.25),
                                              pad_type="circular")),
                          ((1, 1, 6, 6), dict(factor=2, pad_type="circular"))]:
            for dtype in DTYPES:
                b.add(op, shape, kw, dtype=dtype, specials=dtype == "float32")


# --------------------------------------------------------------------------- polyphase
def _polyphase(b):
    """Adaptive polyphase sampling: strides, norms, blurs, fields, 1-3 D; aps_upsample
    at given phases."""
    # two regular fields and a rotation irrep of C4 (orthogonal representations)
    fields = {"name": "c4-reg2-irrep1", "group": ["cyclic", 4],
              "representations": ["regular", "regular", ["irrep", 1]]}
    for shape, kw in [((3, 2, 8), dict(stride=2)),
                      ((2, 3, 6, 8), dict(stride=2)),
                      ((2, 2, 6, 9), dict(stride=(2, 3), norm=1)),
                      ((2, 2, 8, 8), dict(stride=2, norm=float("inf"))),
                      ((2, 2, 8, 8), dict(stride=2, norm=3.5, blur=3)),
                      ((2, 1, 8, 4), dict(stride=4, blur=(0.25, 0.5, 0.25))),
                      ((1, 2, 4, 4, 6), dict(stride=2, blur=2)),
                      ((2, 10, 4, 6), dict(stride=2, field_type=fields)),
                      ((2, 10, 4, 6), dict(stride=2, norm=1, field_type=fields))]:
        for dtype in DTYPES:
            b.add("aps_downsample", shape, kw, dtype=dtype, specials=dtype == "float32"
                  and "blur" not in kw)
    for shape, kw in [((2, 2, 4), dict(phase=((1,), (0,)), stride=2)),
                      ((2, 3, 3, 4), dict(phase=((1, 0), (2, 1)), stride=(3, 2))),
                      ((1, 2, 4, 4), dict(phase=(1, 1), stride=2, blur=3)),
                      ((1, 1, 2, 3, 2), dict(phase=((0, 1, 1),), stride=2,
                                             blur=(0.25, 0.5, 0.25))),
                      ((3, 1, 5), dict(phase=((0,), (1,), (2,)), stride=3))]:
        for dtype in DTYPES:
            b.add("aps_upsample", shape, kw, dtype=dtype, specials=dtype == "float32")


#: the case generator of every operator family (:data:`refpool.registry.FAMILIES`)
GENERATORS = {"pooling": _pooling, "antialiased": _antialiased,
              "interpolate": _interpolation, "field_pooling": _fields,
              "shuffle": _shuffle, "unpooling": _unpooling,
              "region_pooling": _region_pooling, "sampling": _sampling, "spline": _spline,
              "upfirdn": _upfirdn, "polyphase": _polyphase}


def catalog(ops=None):
    """The full, deterministic list of cases (optionally only for ``ops``)."""
    from ..registry import FAMILIES
    b = _Builder()
    for family in FAMILIES:           # registry order: ids and seeds stay stable
        GENERATORS[family](b)
    cases = b.cases
    if ops:
        wanted = set(ops)
        cases = [c for c in cases if c.op in wanted]
    return cases


def dump(cases, path):
    with open(path, "w") as f:
        json.dump([c.to_json() for c in cases], f, indent=1)
