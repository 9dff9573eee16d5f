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
        :class:`refpool.FieldType` objects."""
        kwargs = dict(self.kwargs)
        if "field_type" in kwargs and isinstance(kwargs["field_type"], dict):
            from .fieldspec import field_type_from_spec
            kwargs["field_type"] = field_type_from_spec(kwargs["field_type"])
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


#: generators of the catalogue, one per operator family, in catalogue order
FAMILIES = [_pooling]


def catalog(ops=None):
    """The full, deterministic list of cases (optionally only for ``ops``)."""
    b = _Builder()
    for family in FAMILIES:
        family(b)
    cases = b.cases
    if ops:
        wanted = set(ops)
        cases = [c for c in cases if c.op in wanted]
    return cases


def dump(cases, path):
    with open(path, "w") as f:
        json.dump([c.to_json() for c in cases], f, indent=1)
