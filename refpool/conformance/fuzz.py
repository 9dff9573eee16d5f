"""``refpool fuzz``: random valid and invalid calls of every operator, engines
against the reference, in crash-isolated worker processes.

Valid calls
    :data:`GENERATORS` holds one argument generator per registered operator
    (:data:`refpool.registry.OPERATORS`); :func:`check_generators` fails loudly
    when an operator, or a parameter of one, has none, so an operator is fuzzed
    the day it lands.  A call draws 1 to 3 spatial axes, float32 or float64, odd
    shapes (an empty batch now and then), a memory layout (:data:`LAYOUTS`:
    contiguous, Fortran, negative strides, strided, read-only, unaligned) and
    values (:data:`VALUE_KINDS`: normal, tie-heavy small integers, NaN/inf/±0/
    subnormal specials, huge and tiny scales, a wide dynamic range).  Every
    engine asked for runs the call and is compared with the reference engine:
    bitwise for ``exact`` rows and the selecting modes of ``mode`` rows
    (``interpolate``'s nearest modes, ``subgroup_pool``'s maximum; signed
    zeros and NaN bit patterns included), else with the magnitude-relative
    tolerance of :func:`refpool.conformance.compare.compare` (NaN positions must
    agree).  The input (its whole memory block, gaps of strided views included)
    must be unchanged afterwards, and a caller's ``out=`` must be the array
    returned.

Invalid calls
    One argument of a valid call is broken (:func:`make_invalid`): a wrong type,
    a negative, zero, huge (``10**30``) or too-large value, a float for an int, a
    bool, a string, NaN/inf, a tuple of the wrong length, an input of the wrong
    dtype or rank or with an empty spatial axis, a bad ``engine`` or ``out``.
    Every engine must raise :class:`TypeError` or :class:`ValueError` whose
    message names the broken argument; anything else is a finding.

Isolation
    Calls run in batches in worker processes (``python -m
    refpool.conformance.fuzz --worker``), which report each call as they start
    and finish it.  A worker that dies (segfault, abort) is replaced; the call
    it was running is rerun alone in a fresh worker, and if it does not crash
    alone the shortest run of preceding calls that reproduces the crash is
    searched.  A call that makes no progress for ``timeout`` seconds is a hang
    (confirmed by a rerun with twice the time).

Findings matching an entry of :data:`KNOWN` (defects being fixed elsewhere) are
reported apart and do not fail the run; empty the list as the fixes land.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import inspect
import json
import math
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

from ..registry import OPERATORS

DTYPES = ("float32", "float64")

#: memory layouts of valid inputs, with their weights
LAYOUTS = {"C": 4, "F": 1, "negative": 1, "strided": 1, "readonly": 1, "unaligned": 1}

#: value distributions of valid inputs, with their weights
VALUE_KINDS = {"normal": 3, "ties": 2, "specials": 2, "huge": 1, "tiny": 1, "wide": 1}

#: most elements of one input (keeps 100,000 calls to minutes)
MAX_ELEMENTS = 2048

#: what a run counts (calls; one per call and kind): all but the first two are findings
COUNTS = ("valid_calls", "invalid_calls", "rejected_valid", "crashes", "hangs",
          "mismatches", "modified_inputs", "unclear_errors", "accepted_invalid")
FINDING_KINDS = ("rejected_valid", "crashes", "hangs", "mismatches", "modified_inputs",
                 "unclear_errors", "accepted_invalid")


class FuzzError(RuntimeError):
    """The fuzzer cannot run (an operator without a generator, a bad option)."""


# =========================================================================== values
def _encode(v):
    """A JSON-able form of an argument value (see :func:`_decode`)."""
    if isinstance(v, (bool, type(None), str)):
        return v
    if isinstance(v, (np.bool_, np.integer, np.floating)):
        return {"__np__": [np.dtype(type(v)).name, _encode(v.item())]}
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else {"__float__": repr(v)}
    if isinstance(v, complex):
        return {"__complex__": [_encode(v.real), _encode(v.imag)]}
    if isinstance(v, tuple):
        return {"__tuple__": [_encode(e) for e in v]}
    if isinstance(v, list):
        return [_encode(e) for e in v]
    if isinstance(v, dict):
        return {k: _encode(e) for k, e in v.items()}
    if isinstance(v, np.ndarray):
        return {"__ndarray__": [v.dtype.name, _encode(v.tolist())]}
    if type(v) is object:
        return {"__object__": True}
    raise TypeError(f"fuzz: cannot encode {v!r}")


def _decode(v):
    if isinstance(v, list):
        return [_decode(e) for e in v]
    if not isinstance(v, dict):
        return v
    if set(v) == {"__tuple__"}:
        return tuple(_decode(e) for e in v["__tuple__"])
    if set(v) == {"__float__"}:
        return float(v["__float__"])
    if set(v) == {"__complex__"}:
        return complex(*(_decode(e) for e in v["__complex__"]))
    if set(v) == {"__np__"}:
        name, value = v["__np__"]
        return np.dtype(name).type(_decode(value))
    if set(v) == {"__ndarray__"}:
        name, value = v["__ndarray__"]
        return np.array(_decode(value), dtype=name)
    if set(v) == {"__object__"}:
        return object()
    return {k: _decode(e) for k, e in v.items()}


def _weighted(rng, table):
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _special_values(dtype, exact):
    info = np.finfo(dtype)
    # float64 sums of values near the largest double overflow in the reference too
    # (it computes in float64): keep linear float64 calls below 1e300
    big = float(info.max) if (exact or dtype == np.float32) else 1e300
    payload_nan = (np.array(0x7FC00001, np.uint32).view(np.float32) if dtype == np.float32
                   else np.array(0x7FF8000000000001, np.uint64).view(np.float64))
    return np.array([np.nan, -np.nan, float(payload_nan), np.inf, -np.inf, 0.0, -0.0,
                     float(info.smallest_subnormal), -float(info.smallest_subnormal),
                     float(info.tiny), -float(info.tiny), big, -big, 1.0, -1.0],
                    dtype=dtype)


def make_values(shape, dtype, kind, seed, exact=False):
    """The values of an input (a fresh C-contiguous array)."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    size = math.prod(shape)
    f32 = dtype == np.float32
    if kind == "ties":
        v = rng.integers(-2, 3, size).astype(np.float64)
        v[rng.random(size) < 0.2] = -0.0
        x = v.astype(dtype)
    elif kind == "specials":
        x = rng.standard_normal(size).astype(dtype)
        specials = _special_values(dtype, exact)
        picks = rng.random(size) < rng.uniform(0.05, 0.5)
        x[picks] = rng.choice(specials, size=int(picks.sum()))
    elif kind == "huge":
        top = 37.3 if f32 else 299.0
        x = (rng.standard_normal(size) * 10.0 ** rng.uniform(20, top)).astype(dtype)
    elif kind == "tiny":
        lo, hi = (-45.0, -36.0) if f32 else (-323.0, -306.0)
        x = (rng.standard_normal(size) * 10.0 ** rng.uniform(lo, hi, size)).astype(dtype)
    elif kind == "wide":
        x = (rng.standard_normal(size) * 10.0 ** rng.uniform(-30, 30, size)).astype(dtype)
    else:
        x = rng.standard_normal(size).astype(dtype)
    return np.ascontiguousarray(x.reshape(shape))


def with_layout(x, layout, seed=0):
    """``x``'s values in the memory layout ``layout`` (:data:`LAYOUTS`)."""
    if layout == "C" or x.ndim == 0:
        return x
    if layout == "F":
        return np.asfortranarray(x)
    if layout == "readonly":
        x = x.copy()
        x.flags.writeable = False
        return x
    if layout == "negative":
        axis = int(np.random.default_rng(seed).integers(x.ndim))
        flipped = np.ascontiguousarray(np.flip(x, axis))
        return np.flip(flipped, axis)
    if layout == "strided":
        axis = int(np.random.default_rng(seed).integers(x.ndim))
        shape = list(x.shape)
        shape[axis] = 2 * shape[axis]
        base = np.full(shape, 1234.5, dtype=x.dtype)      # the gaps must never be read
        index = [slice(None)] * x.ndim
        index[axis] = slice(1, None, 2)
        view = base[tuple(index)]
        view[...] = x
        return view
    if layout == "unaligned":
        buf = np.zeros(x.nbytes + x.itemsize, dtype=np.uint8)
        view = buf[1:1 + x.nbytes].view(x.dtype).reshape(x.shape)
        view[...] = x
        return view
    raise ValueError(f"unknown layout {layout!r}")


# =========================================================================== calls
@dataclasses.dataclass
class Call:
    """One fuzz call, plain data: everything needed to rebuild it.

    ``broken`` names the argument an invalid call broke (``None`` for a valid
    call) and ``breakage`` says how.
    """

    index: int
    op: str
    shape: tuple
    dtype: str
    layout: str = "C"
    values: str = "normal"
    seed: int = 0
    kwargs: dict = dataclasses.field(default_factory=dict)
    broken: str | None = None
    breakage: str = ""
    use_out: bool = False

    @property
    def valid(self):
        return self.broken is None

    def to_json(self):
        d = dataclasses.asdict(self)
        d["shape"] = list(self.shape)
        d["kwargs"] = _encode(self.kwargs)
        return d

    @classmethod
    def from_json(cls, d):
        d = dict(d)
        d["shape"] = tuple(d["shape"])
        d["kwargs"] = _decode(d["kwargs"])
        return cls(**d)

    @property
    def exact(self):
        return OPERATORS[self.op].is_exact(self.kwargs)

    def make_input(self):
        """The input ``x`` (broken for ``x:*`` breakages)."""
        if self.broken == "x":
            return _broken_input(self)
        x = make_values(self.shape, self.dtype, self.values, self.seed, self.exact)
        return with_layout(x, self.layout, self.seed)

    def call_kwargs(self):
        """The keyword arguments, with field-type specs built (``out`` excluded)."""
        kwargs = {}
        for k, v in self.kwargs.items():
            if k == "field_type" and isinstance(v, dict) and "group" in v:
                from .fieldspec import field_type_from_spec
                v = field_type_from_spec(v)
            kwargs[k] = v
        return kwargs

    def describe(self):
        kw = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        what = f"{self.op}(x[{'x'.join(map(str, self.shape))} {self.dtype} {self.layout} " \
               f"{self.values} seed={self.seed}], {kw})"
        if self.use_out:
            what += " with out="
        if not self.valid:
            what += f"  [broken {self.broken}: {self.breakage}]"
        return what

    def reproducer(self, engine="cpu"):
        """Python source that rebuilds and runs the call."""
        return ("from refpool.conformance.fuzz import Call, run_call; "
                f"print(run_call(Call.from_json({json.dumps(self.to_json())}), "
                f"engines=({engine!r},)))")


def _broken_input(call):
    how = call.breakage
    x = make_values(call.shape, "float64", "normal", call.seed)
    if how.startswith("dtype-"):
        name = how[len("dtype-"):]
        return (x * 3).astype(name) if name != "bool" else x > 0
    if how in ("ndim-2", "ndim-6", "empty-spatial"):
        return x          # the shape itself is the breakage
    if how == "list":
        return x.tolist()
    if how == "masked":
        return np.ma.masked_array(x, mask=x > 1)
    if how == "scalar":
        return 1.5
    if how == "None":
        return None
    raise ValueError(f"unknown input breakage {how!r}")


# =========================================================================== field types
def _ft(name, group, reps):
    from .fieldspec import spec
    return spec(name, group, reps)


def _field_pools():
    perm = [_ft("C4 regular x2 + trivial", ["cyclic", 4], ["regular", "regular", "trivial"]),
            _ft("D4 regular + quotient", ["dihedral", 4], ["regular", ["quotient", [0, 1]]]),
            _ft("C8 quotient C2", ["cyclic", 8], [["quotient", 2]]),
            _ft("flip regular + trivial", ["flip"], ["regular", "trivial"]),
            _ft("C2 regular", ["cyclic", 2], ["regular"]),
            _ft("trivial x2", ["cyclic", 4], ["trivial", "trivial"]),
            _ft("C3 regular", ["cyclic", 3], ["regular"])]
    irreps = [_ft("C8 irreps", ["cyclic", 8], [["irrep", 1], ["irrep", 2], ["irrep", 0]]),
              _ft("D4 irreps", ["dihedral", 4], [["irrep", 1, 1], ["irrep", 1, 0], "regular"]),
              _ft("SO2 irreps", ["so2", 3], [["irrep", 1], ["irrep", 3]]),
              _ft("O2 irreps", ["o2", 2], [["irrep", 1, 1], ["irrep", 0, 0]])]
    induced = [_ft("C8 induced from C2", ["cyclic", 8],
                   [["induced", 2, ["irrep", 1]], ["quotient", 4]]),
               _ft("D4 induced", ["dihedral", 4], [["induced", [0, 2], ["irrep", 1, 0]]]),
               _ft("C4 induced from C2", ["cyclic", 4], [["induced", 2, ["irrep", 1]]]),
               _ft("C2 regular", ["cyclic", 2], ["regular"]),
               _ft("C3 regular", ["cyclic", 3], ["regular"])]
    not_induced = [irreps[0], _ft("trivial", ["cyclic", 4], ["trivial"]), irreps[2]]
    # regular fields with the ids of subgroups to pool onto (subgroup_pool); the
    # not-regular field types have the sizes of the regular ones, to replace them
    regular = [(_ft("D4 regular x2", ["dihedral", 4], ["regular", "regular"]),
                [(None, 4), (None, 2), (None, 1), (0, 2), (1, 2), (0, 1), (3, 1), (0, 4)]),
               (_ft("C8 regular", ["cyclic", 8], ["regular"]), [8, 4, 2, 1]),
               (_ft("C6 regular", ["cyclic", 6], ["regular"]), [6, 3, 2, 1]),
               (_ft("D3 regular", ["dihedral", 3], ["regular"]),
                [(None, 3), (None, 1), (0, 1), (2, 1), (0, 3)]),
               (_ft("flip regular", ["flip"], ["regular"]), [1, 2]),
               (_ft("C1 regular x3", ["cyclic", 1], ["regular"] * 3), [1])]
    not_regular = [_ft("D4 quotient x4", ["dihedral", 4], [["quotient", [0, 1]]] * 4),
                   _ft("C8 irreps 0-4", ["cyclic", 8], [["irrep", k] for k in range(5)]),
                   _ft("C6 quotient C2 x2", ["cyclic", 6], [["quotient", 2]] * 2),
                   _ft("flip trivial x2", ["flip"], ["trivial", "trivial"]),
                   _ft("C3 irreps", ["cyclic", 3], [["irrep", 0], ["irrep", 1]])]
    return {"perm": perm, "orth": perm + irreps, "induced": induced,
            "not_perm": irreps, "not_induced": not_induced, "regular": regular,
            "not_regular": not_regular}


_POOLS = None
_SIZES = {}


def pools():
    global _POOLS
    if _POOLS is None:
        _POOLS = _field_pools()
    return _POOLS


def field_size(spec):
    key = json.dumps(spec, sort_keys=True)
    if key not in _SIZES:
        from .fieldspec import field_type_from_spec
        _SIZES[key] = field_type_from_spec(spec).size
    return _SIZES[key]


# =========================================================================== valid generators
class _Draw:
    """Helpers shared by the generators: one ``rng`` per call."""

    def __init__(self, rng):
        self.rng = rng

    def int(self, lo, hi):
        """An int in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def chance(self, p):
        return bool(self.rng.random() < p)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def ndim(self):
        return self.int(1, 3)

    def per_axis(self, values, scalar_ok=True):
        """An int (when every axis agrees and a coin says so), a tuple or a list."""
        values = [int(v) for v in values]
        if scalar_ok and len(set(values)) == 1 and self.chance(0.6):
            v = values[0]
            return np.int64(v) if self.chance(0.05) else v
        return list(values) if self.chance(0.1) else tuple(values)

    def batch(self, channels=None):
        """``(N, C)``: an empty batch now and then, a few channels."""
        n = 0 if self.chance(0.02) else self.int(1, 2)
        c = channels if channels is not None else self.int(1, 3)
        return n, c

    def fit(self, nc, spatial, minimum=None):
        """``(N, C, *spatial)`` with the spatial lengths shrunk (not below ``minimum``)
        until the input has at most :data:`MAX_ELEMENTS` elements."""
        spatial = list(spatial)
        minimum = list(minimum or [1] * len(spatial))
        budget = MAX_ELEMENTS // max(1, nc[0] * nc[1])
        while math.prod(spatial) > max(1, budget):
            room = [n - m for n, m in zip(spatial, minimum)]
            i = int(np.argmax(room))
            if room[i] <= 0:
                break
            spatial[i] -= 1
        return tuple(nc) + tuple(spatial)

    def maybe_huge(self, value, p=0.03):
        """Now and then an int at the edge of the int64 range refpool allows."""
        if self.chance(p):
            return self.pick([2 ** 31, 2 ** 40, 2 ** 62])
        return value


def _window(d, ndim, *, dilation=True, padding_limit="dilated", long=0):
    """Valid window arguments, input lengths and the shortest admissible lengths."""
    k = [d.int(1, 4 if ndim < 3 else 3) for _ in range(ndim)]
    dil = [d.pick([1, 1, 2, 3] if ndim < 3 else [1, 1, 2]) if dilation else 1
           for _ in range(ndim)]
    if dilation and d.chance(0.02):           # a huge dilation is valid with k = 1
        k[0], dil[0] = 1, d.pick([2 ** 40, 2 ** 62])
    pad = []
    for ki, di in zip(k, dil):
        limit = (di * (ki - 1) + 1) // 2 if padding_limit == "dilated" else ki // 2
        pad.append(d.int(0, limit))
    shortest = [max(1, di * (ki - 1) + 1 - 2 * pi) for ki, di, pi in zip(k, dil, pad)]
    lengths = [m + d.int(0, 7 + long) for m in shortest]
    return k, dil, pad, lengths, shortest


def _window_kwargs(d, nd, k, pad):
    """kernel_size, and sometimes stride (None, small or huge) and padding."""
    kw = {"kernel_size": d.per_axis(k)}
    if d.chance(0.7):
        kw["stride"] = None if d.chance(0.2) else d.per_axis(
            [d.maybe_huge(d.int(1, 3)) for _ in range(nd)])
    if any(pad) or d.chance(0.3):
        kw["padding"] = d.per_axis(pad)
    return kw


def _gen_max_pool(d):
    nd = d.ndim()
    k, dil, pad, lengths, shortest = _window(d, nd)
    kw = _window_kwargs(d, nd, k, pad)
    if any(v > 1 for v in dil) or d.chance(0.2):
        kw["dilation"] = d.per_axis(dil)
    if d.chance(0.5):
        kw["ceil_mode"] = d.chance(0.5)
    if d.chance(0.5):
        kw["return_indices"] = d.chance(0.6)
    channels = _optional_field(d, kw)
    shape = d.fit(d.batch(channels), lengths, shortest)
    _general_padding(d, kw, shape[2:], k, dil, pad)
    return shape, kw


def _general_padding(d, kw, lengths, k, dil, pad, p=0.2):
    """Now and then, padding as ``(before, after)`` pairs (at least the drawn int on
    each side, so the shape stays valid; wide pairs give windows of padding only) or
    a name (``"valid"`` only where every window fits the input)."""
    if not d.chance(p):
        return
    names = ["same", "same_lower"] + (
        ["valid"] if all(n >= di * (ki - 1) + 1 for n, ki, di in zip(lengths, k, dil))
        else [])
    if d.chance(0.4):
        kw["padding"] = d.pick(names)
        return
    pairs = [(pi + d.int(0, 2), pi + d.int(0, 2 if d.chance(0.8) else di * ki + 1))
             for pi, ki, di in zip(pad, k, dil)]
    kw["padding"] = tuple(p if d.chance(0.8) else list(p) for p in pairs)


def _optional_field(d, kw, p=0.15):
    if d.chance(p):
        ft = d.pick(pools()["perm"])
        kw["field_type"] = ft
        return field_size(ft)
    return None


def _gen_avg_pool(d):
    nd = d.ndim()
    dilated = d.chance(0.25)
    k, dil, pad, lengths, shortest = _window(d, nd, dilation=dilated, padding_limit=(
        "dilated" if dilated else "kernel"))
    kw = _window_kwargs(d, nd, k, pad)
    if dilated:
        kw["dilation"] = d.per_axis(dil)
    for name in ("ceil_mode", "count_include_pad"):
        if d.chance(0.5):
            kw[name] = d.chance(0.5)
    if d.chance(0.3):
        kw["divisor_override"] = d.pick([1, 2, 3, 7, -1, -3, 2 ** 31, 2 ** 62, -(2 ** 62)])
    shape = d.fit(d.batch(), lengths, shortest)
    _general_padding(d, kw, shape[2:], k, dil, pad)
    return shape, kw


def _gen_lp_pool(d):
    nd = d.ndim()
    k, dil, pad, lengths, shortest = _window(d, nd)
    kw = _window_kwargs(d, nd, k, pad)
    kw["norm_type"] = d.pick([1, 2, 3, 2.0, 0.5, 1.5, 4.0]) if d.chance(0.8) else \
        float(d.rng.uniform(0.2, 6.0))
    if any(v > 1 for v in dil) or d.chance(0.2):
        kw["dilation"] = d.per_axis(dil)
    if d.chance(0.5):
        kw["ceil_mode"] = d.chance(0.5)
    if d.chance(0.5):
        kw["variant"] = d.pick(["torch", "onnx"])
    shape = d.fit(d.batch(), lengths, shortest)
    _general_padding(d, kw, shape[2:], k, dil, pad)
    return shape, kw


def _adaptive_size(d, lengths):
    sizes = [None if d.chance(0.1) else d.int(1, n + 3) for n in lengths]
    if all(s is not None for s in sizes) and len(set(sizes)) == 1 and d.chance(0.5):
        return sizes[0]
    return tuple(sizes) if d.chance(0.9) else list(sizes)


def _gen_adaptive_max_pool(d):
    kw = {}
    channels = _optional_field(d, kw)
    shape = d.fit(d.batch(channels), [d.int(1, 13) for _ in range(d.ndim())])
    kw["output_size"] = _adaptive_size(d, shape[2:])
    if d.chance(0.5):
        kw["return_indices"] = d.chance(0.6)
    return shape, kw


def _gen_adaptive_avg_pool(d):
    shape = d.fit(d.batch(), [d.int(1, 13) for _ in range(d.ndim())])
    return shape, {"output_size": _adaptive_size(d, shape[2:])}


def _sigma(d, table, hi):
    return d.pick(table) if d.chance(0.5) else float(d.rng.uniform(0.05, hi))


def _gen_antialiased_avg_pool(d):
    from .. import _args
    from .catalog import AVG_SIGMAS
    nd = d.ndim()
    sigma = _sigma(d, AVG_SIGMAS, 1.6 if nd < 3 else 1.0)
    fs = _args.gaussian_size(sigma, _args.AVG_TRUNCATE)
    kw = {"sigma": sigma, "stride": d.per_axis([d.int(1, 3) for _ in range(nd)])}
    if d.chance(0.2):
        kw["pad_type"] = d.pick(["zero", "circular"])
    if d.chance(0.5):
        pad = [d.int(0, fs) for _ in range(nd)]
        kw["padding"] = d.per_axis(pad)
    else:
        pad = [(fs - 1) // 2] * nd
    shortest = [max(1, fs - 2 * p) for p in pad]
    return d.fit(d.batch(), [m + d.int(0, 8) for m in shortest], shortest), kw


def _gen_antialiased_max_pool(d):
    from .. import _args
    from .catalog import MAX_SIGMAS
    nd = d.ndim()
    kw = {}
    nc = d.batch(_optional_field(d, kw))
    for _ in range(100):
        k, dil, pad, lengths, shortest = _window(d, nd, long=4)
        lengths = list(d.fit(nc, lengths, shortest)[2:])
        sigma = _sigma(d, MAX_SIGMAS, 1.0)
        fs = _args.gaussian_size(sigma, _args.MAX_TRUNCATE)
        c = (fs - 1) // 2
        stride = [d.int(1, 3) for _ in range(nd)] if d.chance(0.7) else None
        q = [d.int(0, c + 1) for _ in range(nd)] if d.chance(0.3) else None
        ceil = d.chance(0.3)
        ok = True
        for n, ki, si, pi, di, qi in zip(lengths, k, stride or k, pad, dil, q or [c] * nd):
            span = n + 2 * pi - di * (ki - 1) + 2 * qi - fs
            if span < 0:
                ok = False
                break
            o = -(-span // si) + 1 if ceil else span // si + 1
            if ceil and (o - 1) * si - qi + c >= n + pi:
                o -= 1
            ok = ok and o >= 1
        if ok:
            break
    else:
        raise FuzzError("antialiased_max_pool: no valid draw in 100 tries")
    kw["kernel_size"] = d.per_axis(k)
    if stride is not None:
        kw["stride"] = d.per_axis(stride)
    if any(pad) or d.chance(0.3):
        kw["padding"] = d.per_axis(pad)
    if any(v > 1 for v in dil) or d.chance(0.2):
        kw["dilation"] = d.per_axis(dil)
    if ceil or d.chance(0.3):
        kw["ceil_mode"] = ceil
    kw["sigma"] = sigma
    if q is not None:
        kw["blur_padding"] = d.per_axis(q)
    if d.chance(0.15):
        kw["pad_type"] = "circular"
    return tuple(nc) + tuple(lengths), kw


def _gen_blur_pool(d):
    nd = d.ndim()
    fs = [d.int(1, 7) for _ in range(nd)]
    pad_type = d.pick(["reflect", "refl", "replicate", "repl", "zero", "circular"])
    off = [d.int(0, 2) for _ in range(nd)] if d.chance(0.4) else [0] * nd
    kw = {"filt_size": d.per_axis(fs), "stride": d.per_axis([d.int(1, 3) for _ in range(nd)]),
          "pad_type": pad_type}
    if any(off) or d.chance(0.2):
        kw["pad_off"] = d.per_axis(off)
    shortest = [max((f - 1) // 2 + o, f // 2 + o) + 1 if pad_type in ("reflect", "refl")
                else 1 for f, o in zip(fs, off)]
    return d.fit(d.batch(), [m + d.int(0, 8) for m in shortest], shortest), kw


_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _gen_interpolate(d):
    nd = d.ndim()
    modes = ["nearest", "nearest-exact", "area", _LINEAR[nd]] + (["bicubic"] if nd == 2 else [])
    mode = d.pick(modes)
    shape = d.fit(d.batch(), [d.int(1, 9) for _ in range(nd)])
    lengths = shape[2:]
    kw = {"mode": mode} if (mode != "nearest" or d.chance(0.7)) else {}
    if d.chance(0.5):
        kw["size"] = d.per_axis([d.int(1, 16) for _ in range(nd)])
    else:
        scales = []
        for n in lengths:
            s = d.pick([0.5, 2, 2.0, 1.7, 3, 0.75, 1.25, 2.5, 1 / 3, 1.0, 0.3]) \
                if d.chance(0.6) else float(d.rng.uniform(0.2, 3.5))
            scales.append(max(s, 1.0 / n))         # floor(n s) >= 1
        if len(set(scales)) == 1 and d.chance(0.5):
            kw["scale_factor"] = scales[0]
        else:
            kw["scale_factor"] = tuple(scales)
        if mode != "area" and d.chance(0.3):
            kw["recompute_scale_factor"] = d.chance(0.6)
    if mode in ("linear", "bilinear", "trilinear", "bicubic"):
        if d.chance(0.7):
            kw["align_corners"] = d.pick([None, False, True])
    elif d.chance(0.05):
        kw["align_corners"] = None
    if mode in ("bilinear", "bicubic") and d.chance(0.3):
        kw["antialias"] = True
    elif d.chance(0.05):
        kw["antialias"] = False
    return shape, kw


def _gen_resample(d):
    nd = d.ndim()
    shape = d.fit(d.batch(), [d.int(1, 9) for _ in range(nd)])
    lengths = shape[2:]
    filters = ["nearest", "box", "area", "linear", "cubic", "mitchell", "catmull_rom",
               "gaussian", "lanczos3", "lanczos4", "lanczos5", "hamming", ("bc", 0.5, 0.25)]
    filt = d.pick(filters)
    kw = {"filter": filt}
    modes = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
             "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"]
    mode = d.pick(modes)
    kw["coordinate_mode"] = mode if d.chance(0.7) else tuple(
        d.pick(modes) for _ in range(nd))
    cropping = "tf_crop_and_resize" in (kw["coordinate_mode"] if isinstance(
        kw["coordinate_mode"], tuple) else (kw["coordinate_mode"],))
    if cropping or d.chance(0.1):
        kw["roi"] = tuple(float(d.rng.uniform(-0.3, 0.5)) for _ in range(nd)) + tuple(
            float(d.rng.uniform(0.5, 1.3)) for _ in range(nd))
        kw["extrapolation_value"] = d.pick([0.0, -1.5, 7.0])
    how = d.pick(["size", "scale", "both"])
    if how in ("size", "both"):
        kw["size"] = d.per_axis([d.int(1, 16) for _ in range(nd)])
    if how in ("scale", "both"):
        scales = [max(d.pick([0.5, 2.0, 1.7, 3, 0.75, 1 / 3, 1.0, 0.3]), 1.0 / n)
                  for n in lengths]
        kw["scale"] = scales[0] if len(set(scales)) == 1 else tuple(scales)
    if filt != "nearest":
        if d.chance(0.5):
            kw["antialias"] = d.chance(0.6)
        if d.chance(0.4):
            kw["exclude_outside"] = d.chance(0.6)
    elif d.chance(0.6):
        kw["nearest_mode"] = d.pick(["round_prefer_floor", "round_prefer_ceil", "floor",
                                     "ceil"])
    if filt == "cubic" and d.chance(0.5):
        kw["cubic_coeff_a"] = d.pick([-0.5, -0.75, -1.0])
    if d.chance(0.15):
        kw["translation"] = d.per_axis([d.pick([0.0, 0.5, -1.25, 2.0]) for _ in range(nd)])
    if d.chance(0.15):
        kw["extrapolate"] = d.pick(["samples", "cells", "none"])
    return shape, kw


def _field_call(d, pool, spatial_hi=7):
    ft = d.pick(pools()[pool])
    lengths = [d.int(1, spatial_hi) for _ in range(d.ndim())]
    return d.fit(d.batch(field_size(ft)), lengths), {"field_type": ft}


def _gen_group_pool(d):
    return _field_call(d, "perm")


def _gen_norm_pool(d):
    return _field_call(d, "orth")


def _gen_induced_norm_pool(d):
    return _field_call(d, "induced")


def _gen_subgroup_pool(d):
    ft, subgroups = d.pick(pools()["regular"])
    subgroup = d.pick(subgroups)
    if isinstance(subgroup, tuple) and d.chance(0.1):
        subgroup = list(subgroup)             # a dihedral subgroup id may be a list
    lengths = [d.int(1, 7) for _ in range(d.ndim())]
    kw = {"field_type": ft, "subgroup": subgroup}
    if d.chance(0.7):
        kw["mode"] = d.pick(["max", "avg"])
    return d.fit(d.batch(field_size(ft)), lengths), kw


def _gen_max_pool_channels(d):
    k = d.int(1, 4)
    n, c = d.batch()
    lengths = [d.int(1, 7) for _ in range(d.ndim())]
    return d.fit((n, c * k), lengths), {"kernel_size": np.int64(k) if d.chance(0.05) else k}


def _gen_norm_max_pool(d):
    ft = d.pick(pools()["orth"])
    nd = d.ndim()
    k, dil, pad, lengths, shortest = _window(d, nd)
    kw = {"field_type": ft, "kernel_size": d.per_axis(k)}
    if d.chance(0.7):
        kw["stride"] = None if d.chance(0.2) else d.per_axis([d.int(1, 3) for _ in range(nd)])
    if any(pad) or d.chance(0.3):
        kw["padding"] = d.per_axis(pad)
    if any(v > 1 for v in dil) or d.chance(0.2):
        kw["dilation"] = d.per_axis(dil)
    if d.chance(0.5):
        kw["ceil_mode"] = d.chance(0.5)
    return d.fit(d.batch(field_size(ft)), lengths, shortest), kw


def _shuffle_call(d, name, up):
    """A shuffle (``up``: channels to space) or unshuffle call: factor ``r`` (now and
    then a NumPy int), ``C * r**k`` channels for a shuffle, spatial lengths that are
    multiples of ``r`` for an unshuffle, within :data:`MAX_ELEMENTS`."""
    nd = d.ndim()
    r = d.pick([1, 2, 2, 3, 4] if nd < 3 else [1, 2, 2, 3])
    n, c = d.batch()
    channels = c * r ** nd if up else c
    coarse = [d.int(1, 5 if nd < 3 else 3) for _ in range(nd)]
    while max(1, n) * channels * math.prod(coarse) * (1 if up else r ** nd) > MAX_ELEMENTS \
            and max(coarse) > 1:
        coarse[int(np.argmax(coarse))] -= 1
    spatial = coarse if up else [m * r for m in coarse]
    return (n, channels) + tuple(spatial), {name: np.int64(r) if d.chance(0.05) else r}


def _gen_pixel_shuffle(d):
    return _shuffle_call(d, "upscale_factor", True)


def _gen_pixel_unshuffle(d):
    return _shuffle_call(d, "downscale_factor", False)


def _gen_depth_to_space(d):
    shape, kw = _shuffle_call(d, "blocksize", True)
    if d.chance(0.7):
        kw["mode"] = d.pick(["DCR", "CRD"])
    return shape, kw


def _gen_space_to_depth(d):
    return _shuffle_call(d, "blocksize", False)


def _gen_max_unpool(d):
    """max_unpool: window arguments (sometimes ``(before, after)`` pairs), an output
    length in torch's range (sometimes in the ``(N, C, *spatial)`` form), and valid
    indices: inside each input's window (as max_pool picks them: duplicates where
    windows overlap), anywhere in the plane (many duplicates, with different values:
    the last-wins rule) or all distinct; the torch or the ONNX layout.

    ``N`` is 1 and the spatial lengths are not all ``C``: the indices
    are drawn for the ``(N, C, *spatial)`` array, and tests/test_inputs.py passes them
    unchanged beside ``x[0]`` or a channels-last ``x`` (max_unpool reads indices of
    that canonical shape too, unless ``x``'s own shape is the same)."""
    nd = d.ndim()
    k = [d.int(1, 3) for _ in range(nd)]
    s = [d.int(1, 3) for _ in range(nd)]
    lengths = [d.int(1, 5 if nd < 3 else 3) for _ in range(nd)]
    channels = d.int(1, 3)
    if all(n == channels for n in lengths):
        channels = channels % 3 + 1
    batch = 1             # an empty batch would not survive the JSON round trip of indices
    pairs = [(d.int(0, ki // 2), d.int(0, ki // 2)) for ki in k]
    if not d.chance(0.2):
        pairs = [(a, a) for a, _ in pairs]
    pairs = [(a, b) if (n - 1) * si - a - b + ki >= 1 else (0, 0)
             for (a, b), n, si, ki in zip(pairs, lengths, s, k)]
    default = [(n - 1) * si - a - b + ki for (a, b), n, si, ki in zip(pairs, lengths, s, k)]
    kw = {"kernel_size": d.per_axis(k)}
    if s != k or d.chance(0.3):
        kw["stride"] = d.per_axis(s)
    if any(a != b for a, b in pairs):
        kw["padding"] = tuple(pair if pair[0] != pair[1] else pair[0] for pair in pairs)
    elif any(a for a, _ in pairs) or d.chance(0.2):
        kw["padding"] = d.per_axis([a for a, _ in pairs])
    out = list(default)
    if d.chance(0.4):
        out = [max(1, m + d.int(1 - si, si - 1)) for m, si in zip(default, s)]
        form = d.pick(["tuple", "tuple", "list", "full", "int"])
        if form == "int" and len(set(out)) == 1:
            kw["output_size"] = out[0]
        elif form == "full":
            kw["output_size"] = (batch, channels) + tuple(out)
        else:
            kw["output_size"] = list(out) if form == "list" else tuple(out)
    shape = (batch, channels) + tuple(lengths)
    plane, planes = math.prod(out), batch * channels
    rng = d.rng
    kind = d.pick(["window", "window", "anywhere", "distinct"])
    if kind == "distinct" and math.prod(lengths) <= plane:
        flat = np.stack([rng.permutation(plane)[:math.prod(lengths)]
                         for _ in range(planes)]) if planes else \
            np.zeros((0, math.prod(lengths)), np.int64)
    elif kind == "window":
        flat = np.zeros((planes, math.prod(lengths)), np.int64)
        grids = np.meshgrid(*[np.arange(n) for n in lengths], indexing="ij")
        for b in range(nd):
            start = grids[b].reshape(-1) * s[b] - pairs[b][0]
            pos = start[None, :] + rng.integers(0, k[b], (planes, start.size))
            inside = (pos >= 0) & (pos < out[b])
            pos = np.where(inside, pos, rng.integers(0, out[b], pos.shape))
            flat = flat * out[b] + pos
    else:
        flat = rng.integers(0, plane, (planes, math.prod(lengths)))
    if d.chance(0.3):
        kw["index_layout"] = d.pick(["torch", "onnx"])
    if kw.get("index_layout") == "onnx":
        flat = flat + np.arange(planes)[:, None] * plane
    dtype = d.pick([np.int64, np.int64, np.int64, np.int32, np.uint32])
    kw = {"indices": flat.reshape(shape).astype(dtype), **kw}
    return shape, kw


def _gen_fractional_max_pool(d):
    """fractional_max_pool: kernels of 1 to 3, output lengths from 1 to n - k + 1 (as
    ``output_size``, or an ``output_ratio`` that gives one), and samples in float16,
    float32 or float64 with the ends of [0, 1) mixed in (0, and the largest value
    below 1, where the interval rule's rounding shows).

    ``N`` is 1: the samples are drawn in the ``(N, C, k)`` shape, and
    tests/test_inputs.py passes them unchanged beside ``x[0]`` or a channels-last
    ``x`` (fractional_max_pool reads that shape in every layout)."""
    nd = d.ndim()
    k = [d.int(1, 3) for _ in range(nd)]
    c = d.int(1, 3)
    shape = d.fit((1, c), [ki + d.int(0, 9 if nd < 3 else 4) for ki in k], k)
    lengths = shape[2:]
    kw = {"kernel_size": d.per_axis(k)}
    ratio = d.pick([0.5, 0.3, 0.7, 0.25, 0.9, 2 / 3]) if d.chance(0.3) else None
    if ratio is not None and all(1 <= int(n * ratio) <= n - ki + 1
                                 for n, ki in zip(lengths, k)):
        kw["output_ratio"] = ratio if d.chance(0.6) else (ratio,) * nd
    else:
        kw["output_size"] = d.per_axis([d.int(1, n - ki + 1) for n, ki in zip(lengths, k)])
    if d.chance(0.5):
        kw["return_indices"] = d.chance(0.6)
    dtype = np.dtype(d.pick(["float64", "float32", "float16"]))
    u = d.rng.random((1, c, nd)).astype(dtype)
    ends = np.array([0.0, -0.0, np.nextafter(np.array(1, dtype), np.array(0, dtype))], dtype)
    pick = d.rng.random(u.shape) < 0.3
    u[pick] = d.rng.choice(ends, int(pick.sum()))
    kw["samples"] = u
    return shape, kw


def _gen_global_max_pool(d):
    kw = {}
    channels = _optional_field(d, kw)
    shape = d.fit(d.batch(channels), [d.int(1, 13) for _ in range(d.ndim())])
    if d.chance(0.5):
        kw["return_indices"] = d.chance(0.6)
    return shape, kw


def _gen_global_avg_pool(d):
    return d.fit(d.batch(), [d.int(1, 13) for _ in range(d.ndim())]), {}


def _gen_global_lp_pool(d):
    shape = d.fit(d.batch(), [d.int(1, 13) for _ in range(d.ndim())])
    kw = {"norm_type": d.pick([1, 2, 3, 2.0, 0.5, 1.5, 4.0]) if d.chance(0.8) else
          float(d.rng.uniform(0.2, 6.0))}
    if d.chance(0.6):
        kw["variant"] = d.pick(["torch", "onnx"])
    return shape, kw


def _region_call(d):
    """A region-pooling input and its ``boxes``, ``output_size`` and ``spatial_scale``:
    2-D, boxes inside, across and outside the image, degenerate and inverted now and
    then, at half-integers (roi_pool's rounding), as a ``(K, 5)`` array or per-image
    ``(K_i, 4)`` arrays, in any float dtype."""
    shape = d.fit(d.batch(), [d.int(1, 9), d.int(1, 9)])
    n, _, h, w = shape
    kw = {}
    scale = 1.0
    if d.chance(0.6):
        scale = d.pick([1.0, 0.5, 0.25, 2.0]) if d.chance(0.7) else \
            float(d.rng.uniform(0.1, 3.0))
        kw["spatial_scale"] = scale
    k = d.int(0, 4) if n else 0
    rows = []
    for _ in range(k):
        corners = []
        for length in (w, h):
            lo, hi = sorted(float(v) for v in d.rng.uniform(-3, length + 3, 2))
            if d.chance(0.3):
                lo, hi = round(lo * 2) / 2, round(hi * 2) / 2
            if d.chance(0.05):
                hi = lo
            elif d.chance(0.05):
                lo, hi = hi, lo
            corners.append((lo / scale, hi / scale))
        (x1, x2), (y1, y2) = corners
        rows.append((d.int(0, n - 1), x1, y1, x2, y2))
    dtype = d.pick(["float64", "float32", "float16"])
    if k and d.chance(0.5):
        boxes = np.array(rows, dtype=dtype).reshape(k, 5)
    else:                  # per image (an empty (K, 5) array would not survive JSON)
        used = max([r[0] + 1 for r in rows], default=0)
        boxes = [np.array([r[1:] for r in rows if r[0] == i], dtype=dtype).reshape(-1, 4)
                 for i in range(d.int(used, n) if n else 0)]
    kw = {"boxes": boxes, "output_size": d.per_axis([d.int(1, 5), d.int(1, 5)]), **kw}
    return shape, kw


def _gen_roi_pool(d):
    shape, kw = _region_call(d)
    if d.chance(0.4):
        kw["return_indices"] = d.chance(0.6)
    return shape, kw


def _gen_roi_align(d):
    shape, kw = _region_call(d)
    if d.chance(0.6):
        kw["sampling_ratio"] = d.pick([-1, 0, 1, 2, 3])
    if d.chance(0.6):
        kw["aligned"] = d.chance(0.5)
    if d.chance(0.5):
        kw["reduction"] = d.pick(["avg", "max"])
    return shape, kw


def _gen_grid_sample(d):
    """grid_sample: 2-D or 3-D input (bicubic 2-D only), a grid of random points with
    exact borders, halves, far-outside and non-finite ones now and then, in any float
    dtype; one image (``N <= 1``: the grid's batch must be the input's, also in the
    ``ndim=`` layouts that drop the batch axis)."""
    nd = d.pick([2, 2, 3])
    n, c = d.batch()
    n = min(n, 1)
    shape = d.fit((n, c), [d.int(1, 6 if nd < 3 else 3) for _ in range(nd)])
    out = [d.int(1, 4) for _ in range(nd)]
    grid = d.rng.uniform(-1.5, 1.5, (n, *out, nd))
    if d.chance(0.5):
        special = np.array([-1.0, 1.0, 0.0, 0.5, -0.5, 3.0, -40.0, _NAN, _INF, -_INF])
        pick = d.rng.random(grid.shape) < 0.3
        grid = np.where(pick, d.rng.choice(special, grid.shape), grid)
    kw = {"grid": grid.astype(d.pick(["float64", "float32"]))}
    modes = ["bilinear", "nearest"] + (["bicubic"] if nd == 2 else [])
    if d.chance(0.7):
        kw["mode"] = d.pick(modes)
    if d.chance(0.7):
        kw["padding_mode"] = d.pick(["zeros", "border", "reflection"])
    if d.chance(0.6):
        kw["align_corners"] = d.chance(0.5)
    return shape, kw


def _spline_kwargs(d, kw):
    """The keywords shared by the spline family: order 0-5, any mode, cval (NaN now
    and then), prefilter."""
    from ..spline import MODES
    if d.chance(0.8):
        kw["order"] = d.int(0, 5)
    if d.chance(0.8):
        kw["mode"] = d.pick(MODES)
    if d.chance(0.4):
        kw["cval"] = d.pick([0.0, 1.5, -2.0, _NAN])
    if d.chance(0.3):
        kw["prefilter"] = d.chance(0.5)
    return kw


def _gen_map_coordinates(d):
    """map_coordinates: 1-3 spatial axes, 1-3 output axes of points in and around
    the input, with exact borders, far-outside and non-finite points now and then, in
    float64, float32 or integer dtypes; every order and mode."""
    nd = d.ndim()
    shape = d.fit(d.batch(), [d.int(1, 6 if nd < 3 else 3) for _ in range(nd)])
    out = [d.int(1, 4) for _ in range(d.int(1, 3))]
    coords = np.stack([d.rng.uniform(-3.0, n + 2.0, out) for n in shape[2:]])
    if d.chance(0.5):
        special = np.array([0.0, -0.5, 0.5, -1.0, 1e6, -40.0, _NAN, _INF, -_INF])
        pick = d.rng.random(coords.shape) < 0.3
        coords = np.where(pick, d.rng.choice(special, coords.shape), coords)
    dtype = d.pick(["float64", "float32", "int64"])
    if dtype == "int64":
        coords = np.nan_to_num(np.round(coords), posinf=5, neginf=-5).astype(np.int64)
    return shape, _spline_kwargs(d, {"coordinates": coords.astype(dtype)})


def _gen_affine_transform(d):
    """affine_transform: 1-3 spatial axes, a random (D, D) matrix, diagonal or
    homogeneous matrix, an offset, an output shape now and then."""
    nd = d.ndim()
    shape = d.fit(d.batch(), [d.int(1, 6 if nd < 3 else 3) for _ in range(nd)])
    form = d.pick(["square", "diagonal", "homogeneous"])
    m = d.rng.uniform(-1.5, 1.5, (nd, nd))
    kw = {}
    if form == "diagonal":
        kw["matrix"] = d.rng.uniform(0.3, 2.0, nd)
    elif form == "homogeneous":
        h = np.eye(nd + 1)
        h[:nd, :nd] = m
        h[:nd, nd] = d.rng.uniform(-2.0, 2.0, nd)
        kw["matrix"] = h
    else:
        kw["matrix"] = m
    if d.chance(0.6):
        kw["offset"] = d.pick([float(d.rng.uniform(-2, 2)),
                               tuple(float(v) for v in d.rng.uniform(-2, 2, nd))])
    if d.chance(0.5):
        kw["output_shape"] = tuple(d.int(1, 5) for _ in range(nd))
    return shape, _spline_kwargs(d, kw)


def _gen_rotate(d):
    """rotate: 2-D or 3-D, any angle (multiples of 90 often), plane axes, reshape."""
    nd = d.pick([2, 2, 3])
    shape = d.fit(d.batch(), [d.int(1, 6 if nd < 3 else 3) for _ in range(nd)])
    kw = {"angle": d.pick([90, -180, 270.0, 45.0, float(d.rng.uniform(-400, 400))])}
    if d.chance(0.5):
        a, b = d.rng.permutation(nd)[:2]
        kw["axes"] = (int(a) - (nd if d.chance(0.3) else 0), int(b))
    if d.chance(0.5):
        kw["reshape"] = d.chance(0.5)
    return shape, _spline_kwargs(d, kw)


def _gen_upfirdn(d):
    """upfirdn: separable taps or an n-D kernel of 1 to 4 taps per axis, factors 1 to
    3, padding from cropping to generous (ints, per-axis ints or pairs), chosen so
    that every axis keeps at least one output; flip_filter and gain now and then."""
    nd = d.ndim()
    separable = d.chance(0.6)
    taps = [d.int(1, 4 if nd < 3 else 3) for _ in range(nd)]
    if separable:
        taps = [taps[0]] * nd
    n, c = d.batch()
    shape = d.fit((n, c), [d.int(1, 6 if nd < 3 else 3) for _ in range(nd)])
    kw = {"f": d.rng.standard_normal((taps[0],) if separable else tuple(taps))}
    up = [d.int(1, 3) for _ in range(nd)] if d.chance(0.8) else [1] * nd
    if d.chance(0.8):
        kw["down"] = d.per_axis([d.int(1, 3) for _ in range(nd)])
    pairs = [(d.int(-2, t), d.int(-2, t)) if d.chance(0.9) else (0, 0) for t in taps]
    for a, (m, u, t) in enumerate(zip(shape[2:], up, taps)):
        before, after = pairs[a]
        pairs[a] = (before, max(after, t - m * u - before))     # at least one output
    if up != [1] * nd or d.chance(0.2):
        kw["up"] = d.per_axis(up)
    if pairs != [(0, 0)] * nd or d.chance(0.2):
        if len(set(pairs)) == 1 and pairs[0][0] == pairs[0][1] and d.chance(0.5):
            kw["padding"] = pairs[0][0]
        elif all(p == q for p, q in pairs) and d.chance(0.5):
            kw["padding"] = tuple(p for p, _ in pairs)
        else:
            kw["padding"] = tuple(pairs)
    if d.chance(0.3):
        kw["flip_filter"] = d.chance(0.5)
    if d.chance(0.3):
        kw["gain"] = d.pick([2.0, 0.5, -1.0, 4])
    if d.chance(0.2):
        kw["pad_type"] = d.pick(["zero", "circular"])
    return shape, kw


def _gen_aps_downsample(d):
    """aps_downsample: strides 1 to 3 dividing lengths of 1 to 4 strides, norms 1, 2,
    3.5 and inf, a binomial or explicit blur now and then, orthogonal field types."""
    nd = d.ndim()
    stride = [d.int(1, 3) for _ in range(nd)]
    kw = {"stride": d.per_axis(stride)}
    channels = None
    if d.chance(0.25):
        ft = d.pick(pools()["orth"])
        kw["field_type"] = ft
        channels = field_size(ft)
    if d.chance(0.5):
        kw["norm"] = d.pick([1, 2.0, 3.5, float("inf")])
    if d.chance(0.3):
        kw["blur"] = d.pick([d.int(1, 4), (0.25, 0.5, 0.25), d.rng.standard_normal(2)])
    if d.chance(0.2):
        kw["return_phase"] = False
    lengths = [s * d.int(1, 4 if nd < 3 else 2) for s in stride]
    return d.batch(channels) + tuple(lengths), kw


def _gen_aps_upsample(d):
    """aps_upsample: strides 1 to 3, a phase per sample (or one for all), a blur now
    and then."""
    nd = d.ndim()
    stride = [d.int(1, 3) for _ in range(nd)]
    n, c = d.batch()
    phase = np.array([[d.int(0, s - 1) for s in stride] for _ in range(n)],
                     dtype=np.int64).reshape(n, nd)
    if n != 1 or d.chance(0.3):
        # one phase for every sample: valid in every layout of the same values (the
        # layout tests reshape the batch); per-sample phases when N == 1
        phase = phase[0] if n else np.zeros(nd, np.int64)
    kw = {"phase": phase, "stride": d.per_axis(stride)}
    if d.chance(0.3):
        kw["blur"] = d.pick([d.int(1, 4), (0.25, 0.5, 0.25)])
    return (n, c) + tuple(d.int(1, 4 if nd < 3 else 2) for _ in range(nd)), kw


def _gen_filtered(d):
    """filtered_upsample / filtered_downsample: factors 1 to 3, the radial (equal
    factors) or separable design with drawn taps, cutoff and width now and then, an
    array filter, circular padding."""
    nd = d.ndim()
    filt = d.pick(["radial", "separable", "array"])
    if filt == "radial":
        factor = [d.int(1, 3)] * nd
    else:
        factor = [d.int(1, 3) for _ in range(nd)]
    kw = {"factor": d.per_axis(factor)}
    if filt == "array":
        kw["filter"] = d.rng.standard_normal(d.int(1, 5))
    else:
        if filt == "separable" or d.chance(0.3):
            kw["filter"] = filt
        if d.chance(0.4):
            kw["numtaps"] = d.int(1, 9 if nd < 3 else 5)
        elif nd == 3:
            kw["numtaps"] = 5
        if d.chance(0.3):
            kw["cutoff"] = float(d.pick([0.25, 0.5, 1.0]))
        if d.chance(0.3):
            kw["width"] = float(d.pick([0.1, 0.3]))
    if d.chance(0.3):
        kw["pad_type"] = d.pick(["zero", "circular"])
    lengths = [f * d.int(1, 4 if nd < 3 else 2) + d.int(0, 1) for f in factor]
    return d.batch() + tuple(lengths), kw


#: Parameter kinds, for breaking them (see :data:`BREAKAGES`).  ``"+"``: int >= 1
#: per axis; ``"0"``: int >= 0 per axis; a trailing ``"?"``: None is valid.
_WINDOW = {"kernel_size": "int+", "stride": "int+?", "padding": "int0", "dilation": "int+",
           "ceil_mode": "bool"}


@dataclasses.dataclass(frozen=True)
class Generator:
    """How to fuzz one operator: ``valid(draw) -> (shape, kwargs)`` and the kind of
    every parameter (besides ``x``, ``engine`` and ``out``), for invalid calls."""

    valid: object
    params: dict


#: the keywords of the spline family (map_coordinates, affine_transform, rotate)
_SPLINE = {"order": "spline_order", "mode": "spline_mode", "cval": "cval",
           "prefilter": "bool"}

#: one argument generator per registered operator (checked by :func:`check_generators`)
GENERATORS = {
    "max_pool": Generator(_gen_max_pool, dict(_WINDOW, return_indices="bool",
                                              field_type="field?")),
    "avg_pool": Generator(_gen_avg_pool, {"kernel_size": "int+", "stride": "int+?",
                                          "padding": "int0", "ceil_mode": "bool",
                                          "count_include_pad": "bool",
                                          "divisor_override": "divisor",
                                          "dilation": "int+"}),
    "lp_pool": Generator(_gen_lp_pool, dict(_WINDOW, norm_type="real+",
                                            variant="lp_variant")),
    "adaptive_max_pool": Generator(_gen_adaptive_max_pool,
                                   {"output_size": "int+?", "return_indices": "bool",
                                    "field_type": "field?"}),
    "adaptive_avg_pool": Generator(_gen_adaptive_avg_pool, {"output_size": "int+?"}),
    "fractional_max_pool": Generator(_gen_fractional_max_pool,
                                     {"kernel_size": "int+", "output_size": "int+?",
                                      "output_ratio": "ratio", "return_indices": "bool",
                                      "samples": "samples", "generator": "generator"}),
    "global_max_pool": Generator(_gen_global_max_pool, {"return_indices": "bool",
                                                        "field_type": "field?"}),
    "global_avg_pool": Generator(_gen_global_avg_pool, {}),
    "global_lp_pool": Generator(_gen_global_lp_pool, {"norm_type": "real+",
                                                      "variant": "lp_variant"}),
    "antialiased_avg_pool": Generator(_gen_antialiased_avg_pool,
                                      {"sigma": "real+", "stride": "int+",
                                       "padding": "int0?", "pad_type": "pad_type"}),
    "antialiased_max_pool": Generator(_gen_antialiased_max_pool,
                                      dict(_WINDOW, sigma="real+", blur_padding="int0?",
                                           pad_type="pad_type", field_type="field?")),
    "blur_pool": Generator(_gen_blur_pool, {"filt_size": "int+", "stride": "int+",
                                            "pad_type": "pad_type", "pad_off": "int0"}),
    "interpolate": Generator(_gen_interpolate,
                             {"size": "size", "scale_factor": "scale", "mode": "mode",
                              "align_corners": "bool?", "recompute_scale_factor": "bool?",
                              "antialias": "bool"}),
    "resample": Generator(_gen_resample,
                          {"size": "size", "scale": "scale", "filter": "resample_filter",
                           "coordinate_mode": "coordinate_mode", "antialias": "bool",
                           "exclude_outside": "bool", "extrapolation_value": "cval",
                           "roi": "roi", "translation": "translation",
                           "nearest_mode": "resample_nearest", "cubic_coeff_a": "real",
                           "extrapolate": "extrapolate"}),
    "group_pool": Generator(_gen_group_pool, {"field_type": "field:perm"}),
    "norm_pool": Generator(_gen_norm_pool, {"field_type": "field:orth"}),
    "induced_norm_pool": Generator(_gen_induced_norm_pool, {"field_type": "field:induced"}),
    "norm_max_pool": Generator(_gen_norm_max_pool, dict(_WINDOW, field_type="field:orth")),
    "subgroup_pool": Generator(_gen_subgroup_pool, {"field_type": "field:regular",
                                                    "subgroup": "subgroup",
                                                    "mode": "reduction"}),
    "max_pool_channels": Generator(_gen_max_pool_channels, {"kernel_size": "int+"}),
    "pixel_shuffle": Generator(_gen_pixel_shuffle, {"upscale_factor": "int+"}),
    "pixel_unshuffle": Generator(_gen_pixel_unshuffle, {"downscale_factor": "int+"}),
    "depth_to_space": Generator(_gen_depth_to_space, {"blocksize": "int+",
                                                      "mode": "block_mode"}),
    "space_to_depth": Generator(_gen_space_to_depth, {"blocksize": "int+"}),
    "max_unpool": Generator(_gen_max_unpool, {"indices": "indices", "kernel_size": "int+",
                                              "stride": "int+?", "padding": "int0",
                                              "output_size": "unpool_size",
                                              "index_layout": "index_layout"}),
    "roi_pool": Generator(_gen_roi_pool, {"boxes": "boxes", "output_size": "int+",
                                          "spatial_scale": "spatial_scale",
                                          "return_indices": "bool"}),
    "roi_align": Generator(_gen_roi_align, {"boxes": "boxes", "output_size": "int+",
                                            "spatial_scale": "spatial_scale",
                                            "sampling_ratio": "sampling_ratio",
                                            "aligned": "bool", "reduction": "reduction"}),
    "grid_sample": Generator(_gen_grid_sample, {"grid": "grid", "mode": "grid_mode",
                                                "padding_mode": "grid_padding",
                                                "align_corners": "bool"}),
    "upfirdn": Generator(_gen_upfirdn, {"f": "taps", "up": "int+", "down": "int+",
                                        "padding": "crop_padding", "flip_filter": "bool",
                                        "gain": "real", "pad_type": "pad_type"}),
    "map_coordinates": Generator(_gen_map_coordinates, dict(_SPLINE,
                                                            coordinates="coordinates")),
    "affine_transform": Generator(_gen_affine_transform, dict(
        _SPLINE, matrix="matrix", offset="offset", output_shape="output_shape")),
    "rotate": Generator(_gen_rotate, dict(_SPLINE, angle="angle", axes="rotate_axes",
                                          reshape="bool")),
    "filtered_upsample": Generator(_gen_filtered, {"factor": "int+", "filter": "resample_filter",
                                                   "numtaps": "int+?", "cutoff": "cutoff",
                                                   "width": "width", "pad_type": "pad_type"}),
    "filtered_downsample": Generator(_gen_filtered, {"factor": "int+",
                                                     "filter": "resample_filter",
                                                     "numtaps": "int+?", "cutoff": "cutoff",
                                                     "width": "width", "pad_type": "pad_type"}),
    "aps_downsample": Generator(_gen_aps_downsample, {"stride": "int+", "norm": "norm",
                                                      "blur": "blur",
                                                      "field_type": "field:orth?",
                                                      "return_phase": "bool"}),
    "aps_upsample": Generator(_gen_aps_upsample, {"phase": "phase", "stride": "int+",
                                                  "blur": "blur"}),
}

#: parameters every operator has, fuzzed by :func:`make_invalid` for all of them
COMMON_PARAMS = ("x", "ndim", "channels_last", "engine", "out")


def check_generators(operators=None, generators=None):
    """Fail loudly (:class:`FuzzError`) when a registered operator has no generator, or
    has a parameter its generator does not know how to break."""
    operators = OPERATORS if operators is None else operators
    generators = GENERATORS if generators is None else generators
    missing = [name for name in operators if name not in generators]
    if missing:
        raise FuzzError(
            f"no fuzz generator for the registered operator(s) {', '.join(missing)}: add "
            "one to refpool.conformance.fuzz.GENERATORS (a Generator with a valid-call "
            "generator and the kind of every parameter)")
    for name, row in operators.items():
        params = [p for p in inspect.signature(row.function).parameters
                  if p not in COMMON_PARAMS]
        unknown = [p for p in params if p not in generators[name].params]
        if unknown:
            raise FuzzError(
                f"the fuzz generator of {name} does not cover its parameter(s) "
                f"{', '.join(unknown)}: add them to GENERATORS[{name!r}].params")


# =========================================================================== invalid calls
_NAN, _INF = float("nan"), float("inf")


def _int_breakages(kind, nd):
    out = [("negative", -1), ("huge", 10 ** 30), ("-huge", -(10 ** 30)), ("float", 2.0),
           ("bool", True), ("str", "2"), ("nan", _NAN), ("inf", _INF), ("complex", 2 + 0j),
           ("ndarray", np.array([2] * nd)), ("np.float32", np.float32(2)),
           ("object", object()), ("long-tuple", (1,) * (nd + 1)),
           ("short-tuple", (1,) * (nd - 1)), ("tuple-float", (1,) * (nd - 1) + (1.5,)),
           ("tuple-negative", (1,) * (nd - 1) + (-1,)), ("tuple-str", ("1",) * nd),
           ("tuple-huge", (1,) * (nd - 1) + (10 ** 30,))]
    if kind.startswith("int+"):
        out += [("zero", 0), ("tuple-zero", (1,) * (nd - 1) + (0,))]
    if not kind.endswith("?"):
        out.append(("None", None))
    return out


def _bool_breakages(kind):
    out = [("int1", 1), ("int0", 0), ("str", "True"), ("float", 1.0),
           ("ndarray", np.array([True])), ("object", object())]
    if not kind.endswith("?"):
        out.append(("None", None))
    return out


def _real_breakages(nd, tuple_ok=False):
    out = [("zero", 0.0), ("-zero", -0.0), ("negative", -0.5), ("nan", _NAN), ("inf", _INF),
           ("-inf", -_INF), ("str", "1.5"), ("bool", True), ("None", None),
           ("complex", 1.5 + 0j), ("object", object()), ("too-large", 1e15)]
    if tuple_ok:
        out += [("long-tuple", (2.0,) * (nd + 1)), ("tuple-nan", (2.0,) * (nd - 1) + (_NAN,)),
                ("tuple-zero", (2.0,) * (nd - 1) + (0.0,)), ("too-small", 1e-9)]
    else:
        out += [("tuple", (1.5,) * nd)]
    return out


#: how the ``x`` argument is broken
_X_BREAKAGES = ("dtype-int32", "dtype-int64", "dtype-complex64",
                "dtype-bool", "ndim-2", "ndim-6", "empty-spatial", "list", "masked",
                "scalar", "None")

#: breakages of integer dtypes, valid input for the selection operators
_INTEGER_BREAKAGES = ("dtype-int32", "dtype-int64")

_NDIM_BREAKAGES = (("zero", 0), ("four", 4), ("negative", -1), ("float", 2.0),
                   ("bool", True), ("str", "2"), ("tuple", (2,)))


def _takes_integers(op, kwargs):
    """Whether ``op`` accepts integer ``x`` (selections: registry comparison
    ``"exact"``, and the selecting modes of the ``"mode"`` rows)."""
    return OPERATORS[op].is_exact(kwargs)

_ENGINE_BREAKAGES = (("unknown", "gpu"), ("upper", "CPU"), ("None", None), ("int", 0),
                     ("auto-typo", "autoo"))

_OUT_BREAKAGES = ("wrong-shape", "wrong-dtype", "non-contiguous", "read-only", "list",
                  "alias-input", "tuple")
_OUT_INDEX_BREAKAGES = ("single-array", "indices-float", "indices-alias-values",
                        "short-tuple")


def _breakages(op, param, kind, nd, kwargs):
    """``[(label, value), ...]`` that break ``param`` whatever the other arguments."""
    if kind.startswith("int"):
        out = _int_breakages(kind, nd)
        if param in ("kernel_size", "padding", "filt_size", "pad_off", "blur_padding",
                     "output_size"):
            out.append(("too-large", 10 ** 15))
        return out
    if kind.startswith("bool"):
        return _bool_breakages(kind)
    if kind == "real+":
        return _real_breakages(nd)
    if kind == "scale":
        return _real_breakages(nd, tuple_ok=True)
    if kind == "size":
        return [b for b in _int_breakages("int+", nd) if b[0] != "None"] + [
            ("too-large", 10 ** 15)]
    if kind == "divisor":
        return [("zero", 0), ("float", 2.5), ("bool", True), ("str", "3"),
                ("huge", 10 ** 30), ("-huge", -(10 ** 30)), ("nan", _NAN), ("tuple", (2,)),
                ("np.float64", np.float64(2))]
    if kind == "mode":
        ranked = [m for m, r in (("linear", 1), ("bilinear", 2), ("bicubic", 2),
                                 ("trilinear", 3)) if r != nd]
        return [("unknown", "bogus"), ("empty", ""), ("upper", "NEAREST"), ("int", 3),
                ("None", None), ("wrong-rank", ranked[0]), ("wrong-rank-2", ranked[-1])]
    if kind == "resample_filter":
        return [("unknown", "bogus"), ("empty", ""), ("upper", "LINEAR"), ("int", 3),
                ("None", None), ("bc-short", ("bc", 1.0)), ("bc-nan", ("bc", _NAN, 0.5)),
                ("kernel-not-callable", ("kernel", 1.0, 1.0)),
                ("kernel-support", ("kernel", abs, 0.0))]
    if kind == "coordinate_mode":
        return [("unknown", "centre"), ("empty", ""), ("upper", "HALF_PIXEL"), ("int", 0),
                ("None", None), ("long-tuple", ("half_pixel",) * (nd + 1))]
    if kind == "resample_nearest":
        return [("unknown", "up"), ("empty", ""), ("upper", "FLOOR"), ("int", 0),
                ("None", None)]
    if kind == "extrapolate":
        return [("unknown", "far"), ("upper", "CELLS"), ("int", 0), ("long-tuple",
                                                                    ("none",) * (nd + 1))]
    if kind == "roi":
        return [("short", (0.0,) * (2 * nd - 1)), ("long", (0.0,) * (2 * nd + 1)),
                ("nan", (_NAN,) * (2 * nd)), ("inf", (_INF,) * (2 * nd)), ("str", "roi"),
                ("scalar", 0.5), ("tuple-str", ("0",) * (2 * nd))]
    if kind == "translation":
        return [("nan", _NAN), ("inf", _INF), ("str", "1"), ("complex", 1 + 0j),
                ("long-tuple", (0.5,) * (nd + 1)), ("tuple-nan", (_NAN,) * nd)]
    if kind == "lp_variant":
        return [("unknown", "l2"), ("empty", ""), ("upper", "TORCH"), ("int", 0),
                ("None", None)]
    if kind == "pad_type":
        return [("unknown", "mirror"), ("empty", ""), ("upper", "REFLECT"), ("int", 0),
                ("None", None)]
    if kind == "indices":
        return _index_breakages(kwargs["indices"])
    if kind == "ratio":
        return [("zero", 0.0), ("one", 1.0), ("above-one", 1.5), ("negative", -0.5),
                ("nan", _NAN), ("inf", _INF), ("str", "0.5"), ("bool", True),
                ("complex", 0.5 + 0j), ("object", object()), ("long-tuple", (0.5,) * (nd + 1)),
                ("tuple-one", (0.5,) * (nd - 1) + (1.0,)), ("tuple-str", ("0.5",) * nd),
                ("tiny", 1e-300)]
    if kind == "samples":
        return _sample_breakages(np.asarray(kwargs["samples"]))
    if kind == "generator":
        return [("int", 0), ("str", "pcg64"), ("object", object()), ("float", 0.5),
                ("tuple", (1, 2))]
    if kind == "unpool_size":
        return _int_breakages("int+?", nd) + [("too-large", 10 ** 15)]
    if kind == "index_layout":
        return [("unknown", "caffe"), ("upper", "ONNX"), ("empty", ""), ("int", 0),
                ("None", None), ("other-op", "nearest")]
    if kind == "block_mode":
        return [("unknown", "DRC"), ("lower", "dcr"), ("empty", ""), ("int", 0),
                ("None", None), ("other-op", "nearest")]
    if kind == "boxes":
        one = np.array([[0, 0.5, 0.5, 1.5, 1.5]])
        return [("str", "boxes"), ("None", None), ("object", object()), ("scalar", 1.5),
                ("int-dtype", one.astype(np.int64)), ("bool-dtype", one > 0),
                ("complex", one.astype(np.complex64)), ("four-columns", one[:, 1:]),
                ("one-d", one[0]), ("three-d", one[None]),
                ("nan", np.where(one == 1.5, np.nan, one)),
                ("inf", np.where(one == 1.5, np.inf, one)),
                ("batch-fraction", one + [[0.5, 0, 0, 0, 0]]),
                ("batch-negative", one - [[1, 0, 0, 0, 0]]),
                ("batch-out-of-range", one + [[1000, 0, 0, 0, 0]]),
                ("huge", one * [[0, 1, 1, 1e300, 1]]),
                ("list-five-columns", [one]), ("list-int", [np.zeros((1, 4), np.int32)]),
                ("list-too-long", [np.zeros((1, 4))] * 5)]
    if kind == "spatial_scale":
        return [b for b in _real_breakages(nd) if b[0] != "too-large"]
    if kind == "sampling_ratio":
        return [b for b in _int_breakages("int", nd) if b[0] != "negative"] + [
            ("too-large", 10 ** 15)]
    if kind == "reduction":
        return [("unknown", "mean"), ("upper", "AVG"), ("empty", ""), ("int", 0),
                ("None", None)]
    if kind == "subgroup":
        # invalid for every group of the regular pool (cyclic, dihedral, flip)
        return [("str", "C4"), ("None", None), ("float", 2.5), ("bool", True),
                ("negative", -1), ("zero", 0), ("huge", 10 ** 30), ("object", object()),
                ("long-tuple", (0, 1, 2)), ("unhashable", [[1], 2])]
    if kind == "field:orth?":             # optional, orthogonal (aps_downsample)
        return [("str", "C4"), ("int", 4), ("dict", {"name": "C4", "size": 4}),
                ("wrong-size", "wrong-size")]
    if kind == "norm":                    # aps_downsample's p: > 0, inf allowed
        return [("zero", 0.0), ("negative", -1.0), ("nan", _NAN), ("-inf", -_INF),
                ("str", "2"), ("bool", True), ("None", None), ("complex", 2 + 0j),
                ("object", object()), ("tuple", (2.0,) * nd)]
    if kind == "blur":                    # the APS blur: None, a size or a filter
        return [("str", "f"), ("object", object()), ("empty", np.zeros(0)),
                ("bool", True), ("bool-dtype", np.array([True, False])),
                ("complex", np.array([1 + 0j])), ("nan", np.array([1.0, _NAN])),
                ("zero-size", 0), ("negative-size", -3), ("float-size", 2.5),
                ("four-d", np.ones((1, 1, 1, 1)))]
    if kind == "resample_filter":         # filtered_*: a design name or taps
        return [("unknown", "jinc"), ("upper", "RADIAL"), ("empty", np.zeros(0)),
                ("None", None), ("int", 3), ("object", object()),
                ("nan", np.array([1.0, _NAN])), ("four-d", np.ones((1, 1, 1, 1)))]
    if kind == "cutoff":                  # filtered_*: (0, 1] or None
        return [("zero", 0.0), ("negative", -0.5), ("above-one", 1.5), ("nan", _NAN),
                ("str", "0.5"), ("bool", True), ("complex", 0.5 + 0j)]
    if kind == "width":                   # filtered_*: > 0 or None
        return [("zero", 0.0), ("negative", -0.5), ("nan", _NAN), ("inf", _INF),
                ("str", "0.5"), ("bool", True)]
    if kind == "phase":                   # aps_upsample's phases, from the valid ones
        valid = np.asarray(kwargs["phase"], dtype=np.int64)
        return [("str", "0"), ("None", None), ("object", object()),
                ("negative", -1 - valid), ("too-large", valid + 10),
                ("float", valid + 0.5), ("bool-dtype", valid >= 0),
                ("wrong-length", np.zeros(valid.shape[:-1] + (valid.shape[-1] + 1,),
                                          np.int64)),
                ("wrong-batch", np.zeros((valid.reshape(-1, valid.shape[-1]).shape[0] + 1,
                                          valid.shape[-1]), np.int64))]
    if kind.startswith("field"):
        out = [("str", "C4"), ("int", 4), ("dict", {"name": "C4", "size": 4})]
        if kind != "field?":
            out.append(("None", None))
        return out + [("wrong-size", "wrong-size")] + (
            [("not-permutation", "not_perm")] if kind in ("field?", "field:perm") else []) + (
            [("not-induced", "not_induced")] if kind == "field:induced" else []) + (
            [("not-regular", "not_regular")] if kind == "field:regular" else [])
    if kind == "grid":                    # grid_sample's points
        return [("str", "grid"), ("None", None), ("object", object()), ("scalar", 1.5),
                ("int-dtype", np.zeros((1, 1, 1, nd), np.int64)),
                ("complex", np.zeros((1, 1, 1, nd), np.complex64)),
                ("wrong-last-axis", np.zeros((1, 1, 1, nd + 1))),
                ("wrong-rank", np.zeros((1, 1, nd))),
                ("wrong-batch", np.zeros((7,) + (1,) * nd + (nd,)))]
    if kind == "grid_mode":
        return [("unknown", "linear"), ("upper", "BILINEAR"), ("empty", ""), ("int", 0),
                ("None", None)] + ([("bicubic-3d", "bicubic")] if nd == 3 else [])
    if kind == "grid_padding":
        return [("unknown", "reflect"), ("upper", "ZEROS"), ("empty", ""), ("int", 0),
                ("None", None)]
    if kind == "taps":                    # upfirdn's filter
        return [("str", "f"), ("None", None), ("object", object()), ("empty", np.zeros(0)),
                ("bool-dtype", np.array([True, False])), ("complex", np.array([1 + 0j])),
                ("nan", np.array([1.0, _NAN])), ("inf", np.array([_INF])),
                ("four-d", np.ones((1, 1, 1, 1)))]
    if kind == "crop_padding":            # upfirdn's padding: negative values crop
        return [b for b in _int_breakages("int", nd)
                if b[0] not in ("negative", "tuple-negative")]
    if kind == "coordinates":             # map_coordinates' points
        return [("str", "coordinates"), ("None", None), ("object", object()),
                ("scalar", 1.5), ("bool-dtype", np.zeros((nd, 2), bool)),
                ("complex", np.zeros((nd, 2), np.complex128)),
                ("wrong-rows", np.zeros((nd + 1, 2))), ("one-d", np.zeros(nd)),
                ("empty-output", np.zeros((nd, 0))), ("five-d", np.zeros((nd, 1, 1, 1, 1)))]
    if kind == "spline_order":
        return [("negative", -1), ("six", 6), ("float", 2.0), ("bool", True), ("None", None),
                ("str", "3"), ("huge", 10 ** 30)]
    if kind == "spline_mode":
        return [("unknown", "bogus"), ("upper", "REFLECT"), ("empty", ""), ("int", 0),
                ("None", None), ("other-op", "zeros")]
    if kind == "cval":                    # any real number, NaN and infinity included
        return [("str", "1.5"), ("None", None), ("complex", 1.5 + 0j), ("object", object()),
                ("tuple", (1.5,) * nd), ("bool", True)]
    if kind == "matrix":
        bad_row = np.eye(nd + 1)
        bad_row[nd, 0] = 1.0
        return [("str", "matrix"), ("None", None), ("object", object()),
                ("complex", np.eye(nd, dtype=np.complex128)),
                ("bool-dtype", np.eye(nd, dtype=bool)), ("wrong-shape", np.eye(nd + 2)),
                ("homogeneous-bad-row", bad_row), ("scalar", 2.0)]
    if kind == "offset":
        return [("str", "offset"), ("None", None), ("object", object()),
                ("complex", 1.5 + 0j), ("long-tuple", (1.0,) * (nd + 1)),
                ("tuple-str", ("1",) * nd)]
    if kind == "output_shape":
        return [("zero", (0,) * nd), ("negative", (-1,) * nd), ("float", (2.0,) * nd),
                ("long-tuple", (2,) * (nd + 1)), ("str", "2"), ("int", 3),
                ("too-large", (10 ** 15,) * nd), ("bool", (True,) * nd)]
    if kind == "angle":
        return [("nan", _NAN), ("inf", _INF), ("str", "90"), ("None", None),
                ("complex", 90 + 0j), ("bool", True), ("object", object()), ("tuple", (90,))]
    if kind == "rotate_axes":
        return [("same", (0, 0)), ("out-of-range", (0, nd)), ("one", (0,)), ("str", "01"),
                ("None", None), ("floats", (0.0, 1.0)), ("three", (0, 1, 1))]
    if kind == "real":                    # any finite real number (upfirdn's gain)
        return [("nan", _NAN), ("inf", _INF), ("-inf", -_INF), ("str", "1.5"),
                ("bool", True), ("None", None), ("complex", 1.5 + 0j),
                ("object", object()), ("tuple", (1.5,) * nd)]
    raise FuzzError(f"unknown parameter kind {kind!r} of {op}.{param}")


def _sample_breakages(valid):
    """Broken ``samples`` of fractional_max_pool, built from the valid ones."""
    out = [("dtype-int", (valid * 4).astype(np.int64)), ("dtype-bool", valid > 0.5),
           ("dtype-complex", valid.astype(np.complex128)), ("str", "0.5"), ("scalar", 0.5),
           ("extra-axis", valid[None, None]), ("short-last-axis", valid[..., :-1]),
           ("long-last-axis", np.concatenate([valid, valid], axis=-1)),
           ("object", object()), ("None", None)]
    for label, value in (("one", 1.0), ("above-one", 1.5), ("negative", -0.25),
                         ("nan", _NAN), ("inf", _INF), ("-inf", -_INF)):
        broken = valid.astype(np.float64)
        broken.reshape(-1)[-1] = value
        out.append((label, broken))
    return out


def _index_breakages(valid):
    """Broken ``indices`` of max_unpool, built from the valid ones."""
    out = [("dtype-float", valid.astype(np.float64)), ("dtype-bool", valid > 0),
           ("list", valid.tolist()), ("None", None), ("scalar", 3),
           ("extra-axis", valid[None]),
           ("wrong-shape", valid[..., :-1] if valid.shape[-1] > 1 else valid[..., :0])]
    if valid.size:
        for label, value, dtype in (("negative", -1, np.int64),
                                    ("too-large", 2 ** 40, np.int64),
                                    ("int64-max", np.iinfo(np.int64).max, np.int64),
                                    ("uint64-huge", 2 ** 64 - 1, np.uint64)):
            broken = valid.astype(dtype)
            broken.reshape(-1)[-1] = value
            out.append((label, broken))
    return out


def make_invalid(op, d, index, seed):
    """An invalid call of ``op``: a valid draw with one argument broken."""
    shape, kwargs = GENERATORS[op].valid(d)
    params = list(GENERATORS[op].params) + list(COMMON_PARAMS)
    nd = len(shape) - 2
    call = Call(index, op, tuple(shape), d.pick(DTYPES), "C", "normal", seed, dict(kwargs))
    for _ in range(20):
        param = d.pick(params)
        if param == "x":
            how = d.pick(_X_BREAKAGES)
            if how in _INTEGER_BREAKAGES and _takes_integers(op, kwargs):
                continue
            call.broken, call.breakage = "x", how
            if how == "ndim-2":
                call.shape = tuple(shape[:2])
            elif how == "ndim-6":
                call.shape = tuple(shape) + (1,) * (6 - len(shape))
            elif how == "empty-spatial":
                s = list(shape)
                s[2 + d.int(0, nd - 1)] = 0
                call.shape = tuple(s)
            elif how in ("scalar", "None"):
                call.shape = ()
            return call
        if param in ("ndim", "channels_last"):
            label, value = d.pick(_NDIM_BREAKAGES if param == "ndim"
                                  else _bool_breakages("bool"))
            call.broken, call.breakage = param, label
            call.kwargs[param] = value
            return call
        if param == "engine":
            label, value = d.pick(_ENGINE_BREAKAGES)
            call.broken, call.breakage = "engine", label
            call.kwargs["engine"] = value
            return call
        if param == "out":
            options = list(_OUT_BREAKAGES)
            if kwargs.get("return_indices"):
                options += _OUT_INDEX_BREAKAGES
            call.broken, call.breakage = "out", d.pick(options)
            return call
        kind = GENERATORS[op].params[param]
        label, value = d.pick(_breakages(op, param, kind, nd, kwargs))
        if kind.startswith("field"):
            value = _broken_field(d, value, shape[1])
            if value is _SKIP:
                continue
        if op == "interpolate" and param == "size":
            call.kwargs.pop("scale_factor", None)
            call.kwargs.pop("recompute_scale_factor", None)
        if op == "interpolate" and param == "scale_factor":
            call.kwargs.pop("size", None)
        if op == "resample" and param in ("size", "scale"):
            call.kwargs.pop("scale" if param == "size" else "size", None)
        call.kwargs[param] = value
        call.broken, call.breakage = param, label
        return call
    raise FuzzError(f"{op}: no breakable argument drawn in 20 tries")


_SKIP = object()


def _broken_field(d, value, channels):
    if value == "wrong-size":
        candidates = [s for s in pools()["orth"] if field_size(s) != channels]
        return d.pick(candidates)
    if value in ("not_perm", "not_induced", "not_regular"):
        same = [s for s in pools()[value] if field_size(s) == channels]
        return d.pick(same) if same else _SKIP
    return value


# =========================================================================== one call
def _root(a):
    while isinstance(getattr(a, "base", None), np.ndarray):
        a = a.base
    return a


def _snapshot(x):
    if not isinstance(x, np.ndarray):
        return None
    return _root(x).tobytes()


def _unchanged(x, snapshot):
    return snapshot is None or _root(x).tobytes() == snapshot


def _names(message, name):
    """Whether ``message`` names the argument ``name`` (as a word; ``out`` also as
    ``out[1]``)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


def _finding(kind, call, engine, detail):
    return {"kind": kind, "engine": engine, "op": call.op, "index": call.index,
            "detail": detail}


def _bitwise_detail(actual, expected):
    """How two equal-comparing float arrays still differ in their bits, or ''."""
    a, e = np.asarray(actual), np.asarray(expected)
    if a.dtype.kind != "f" or a.shape != e.shape:
        return ""
    uint = np.dtype(f"u{a.dtype.itemsize}")
    differ = a.view(uint) != e.view(uint)
    if not differ.any():
        return ""
    zeros = differ & (a == 0) & (e == 0)
    nans = differ & np.isnan(a) & np.isnan(e)
    parts = []
    if zeros.any():
        where = tuple(int(i) for i in np.argwhere(zeros)[0])
        parts.append(f"signed zeros differ at {int(zeros.sum())} position(s), first {where}: "
                     f"actual {a[where]!r}, expected {e[where]!r}")
    if nans.any():
        where = tuple(int(i) for i in np.argwhere(nans)[0])
        parts.append(f"NaN bit patterns differ at {int(nans.sum())} position(s), first "
                     f"{where}: actual {a.view(uint)[where]:#x}, expected "
                     f"{e.view(uint)[where]:#x}")
    rest = differ & ~zeros & ~nans
    if rest.any():
        parts.append(f"{int(rest.sum())} other bitwise difference(s)")
    return "not bitwise equal: " + "; ".join(parts)


def _fresh_out(expected):
    if isinstance(expected, tuple):
        return tuple(np.empty_like(np.asarray(e)) for e in expected)
    return np.empty_like(np.asarray(expected))


def _same_out(actual, out):
    if isinstance(out, tuple):
        return isinstance(actual, tuple) and all(a is o for a, o in zip(actual, out))
    return actual is out


def run_call(call, engines=("cpu",)):
    """Run one call: the reference, then each engine.  Returns the list of findings
    (dicts with ``kind``, ``engine``, ``op``, ``index``, ``detail``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            if call.valid:
                return _run_valid(call, engines)
            return _run_invalid(call, engines)


def _run_valid(call, engines):
    from .compare import compare
    fn = OPERATORS[call.op].function
    x = call.make_input()
    snapshot = _snapshot(x)
    kwargs = call.call_kwargs()
    findings = []
    try:
        expected = fn(x, **kwargs, engine="reference")
    except (TypeError, ValueError) as exc:
        return [_finding("rejected_valid", call, "reference",
                         f"{type(exc).__name__}: {exc}")]
    except Exception as exc:  # noqa: BLE001 - anything else is a finding
        return [_finding("mismatches", call, "reference",
                         f"the reference raised {type(exc).__name__}: {exc}")]
    if not _unchanged(x, snapshot):
        findings.append(_finding("modified_inputs", call, "reference",
                                 "the input's memory changed"))
        x = call.make_input()
        snapshot = _snapshot(x)
    for engine in engines:
        out = _fresh_out(expected) if call.use_out else None
        try:
            actual = fn(x, **kwargs, engine=engine, out=out) if out is not None else \
                fn(x, **kwargs, engine=engine)
        except Exception as exc:  # noqa: BLE001
            findings.append(_finding("mismatches", call, engine,
                                     f"raised {type(exc).__name__}: {exc} (the reference "
                                     "returned an output)"))
            continue
        if not _unchanged(x, snapshot):
            findings.append(_finding("modified_inputs", call, engine,
                                     "the input's memory changed"))
            x = call.make_input()
            snapshot = _snapshot(x)
        if out is not None and not _same_out(actual, out):
            findings.append(_finding("mismatches", call, engine,
                                     "out= given but a different array was returned"))
        result = compare(actual, expected, call.exact, call=(call.op, x, kwargs))
        if not result.ok:
            findings.append(_finding("mismatches", call, engine, result.detail))
        elif call.exact:
            parts = zip(actual, expected) if isinstance(expected, tuple) else \
                [(actual, expected)]
            for a, e in parts:
                detail = _bitwise_detail(a, e)
                if detail:
                    findings.append(_finding("mismatches", call, engine, detail))
    return findings


def _broken_out(call, x, kwargs):
    """The ``out`` argument of an ``out:*`` breakage (shaped after the reference)."""
    fn = OPERATORS[call.op].function
    expected = fn(x, **kwargs, engine="reference")
    how = call.breakage
    if isinstance(expected, tuple):
        y, idx = (np.empty_like(e) for e in expected)
        if how == "single-array":
            return y, x
        if how == "indices-float":
            return (y, np.empty(idx.shape, np.float64)), x
        if how == "indices-alias-values":
            return (y, y.view(np.int64) if y.dtype == np.float64 else
                    np.empty(idx.shape, np.int64)), x
        if how == "short-tuple":
            return (y,), x
        inner, x = _broken_single_out(how, np.asarray(expected[0]), x)
        return (inner, idx), x
    return _broken_single_out(how, np.asarray(expected), x)


def _broken_single_out(how, e, x):
    if how == "wrong-shape":
        return np.empty(e.shape[:-1] + (e.shape[-1] + 1,), e.dtype), x
    if how == "wrong-dtype":
        return np.empty(e.shape, np.float32 if e.dtype == np.float64 else np.float64), x
    if how == "non-contiguous":
        axes = [a for a, n in enumerate(e.shape) if n > 1]
        if not axes or e.size == 0:   # such views are all contiguous: break it otherwise
            return np.empty(e.shape, np.float16), x
        shape = list(e.shape)
        shape[axes[-1]] *= 2
        index = [slice(None)] * e.ndim
        index[axes[-1]] = slice(None, None, 2)
        return np.empty(shape, e.dtype)[tuple(index)], x
    if how == "read-only":
        out = np.empty_like(e)
        out.flags.writeable = False
        return out, x
    if how == "list":
        return e.tolist(), x
    if how == "tuple":
        return (np.empty_like(e),), x
    if how == "alias-input":
        # x and out in one block of memory, overlapping
        base = np.zeros(max(x.size, e.size) + 1, dtype=x.dtype)
        base[:x.size] = x.reshape(-1)
        x2 = base[:x.size].reshape(x.shape)
        start = 1 if x.size > 1 else 0        # a one-element x: base[1] would not overlap
        out = base[start:start + e.size].reshape(e.shape)
        return (out if e.dtype == x.dtype else out.view(e.dtype)), x2
    raise ValueError(f"unknown out breakage {how!r}")


def _run_invalid(call, engines):
    fn = OPERATORS[call.op].function
    x = call.make_input()
    kwargs = call.call_kwargs()
    findings = []
    if call.broken == "out":
        try:
            out, x = _broken_out(call, x, kwargs)
        except Exception as exc:  # noqa: BLE001 - the valid call failed: a generator bug
            return [_finding("rejected_valid", call, "reference",
                             f"the valid call behind an out= breakage failed: "
                             f"{type(exc).__name__}: {exc}")]
        kwargs["out"] = out
    snapshot = _snapshot(x)
    targets = [None] if call.broken == "engine" else ["reference"] + list(engines)
    for engine in targets:
        args = dict(kwargs) if engine is None else dict(kwargs, engine=engine)
        label = engine if engine is not None else repr(kwargs.get("engine"))
        try:
            fn(x, **args)
        except (TypeError, ValueError) as exc:
            if not _names(str(exc), call.broken):
                findings.append(_finding(
                    "unclear_errors", call, label,
                    f"{type(exc).__name__} does not name {call.broken!r}: {exc}"))
        except Exception as exc:  # noqa: BLE001 - anything else is a finding
            findings.append(_finding(
                "unclear_errors", call, label,
                f"raised {type(exc).__name__} (not TypeError/ValueError): {exc}"))
        else:
            findings.append(_finding("accepted_invalid", call, label,
                                     f"no error for {call.broken}={call.breakage}"))
        if not _unchanged(x, snapshot):
            findings.append(_finding("modified_inputs", call, label,
                                     "the input's memory changed (invalid call)"))
            snapshot = _snapshot(x)
    return findings


# =========================================================================== the plan
def make_call(index, seed, ops, valid, layouts=None, dtypes=DTYPES):
    """The call number ``index`` of a run (deterministic in ``seed`` and ``index``)."""
    rng = np.random.default_rng([seed, index])
    d = _Draw(rng)
    op = d.pick(list(ops))
    data_seed = int(rng.integers(2 ** 31))
    if not valid:
        return make_invalid(op, d, index, data_seed)
    shape, kwargs = GENERATORS[op].valid(d)
    layout = _weighted(rng, {k: LAYOUTS[k] for k in (layouts or LAYOUTS)})
    values = _weighted(rng, VALUE_KINDS)
    return Call(index, op, tuple(int(s) for s in shape), d.pick(list(dtypes)), layout,
                values, data_seed, kwargs, use_out=d.chance(0.05))


def plan(calls, invalid, seed, ops=None, layouts=None):
    """The calls of a run, lazily: ``calls`` valid and ``invalid`` invalid ones,
    interleaved evenly."""
    ops = list(ops or OPERATORS)
    total = calls + invalid
    for i in range(total):
        is_invalid = invalid and (i + 1) * invalid // total > i * invalid // total
        yield make_call(i, seed, ops, not is_invalid, layouts)


# =========================================================================== known defects
@dataclasses.dataclass(frozen=True)
class Known:
    """A defect being fixed elsewhere: findings it matches do not fail the run."""

    name: str
    description: str
    match: object     # (finding, call) -> bool


def _max_abs(call):
    try:
        x = call.make_input()
        with np.errstate(all="ignore"):
            return float(np.nanmax(np.abs(np.asarray(x, dtype=np.float64)), initial=0.0))
    except Exception:  # noqa: BLE001
        return 0.0


def _no_boxes(kwargs):
    """Whether a region-pooling call has no box (``K = 0``: an empty output)."""
    boxes = kwargs.get("boxes")
    if boxes is None or isinstance(boxes, str):
        return False
    try:
        return sum(len(b) for b in boxes) == 0 if isinstance(boxes, list) else len(boxes) == 0
    except TypeError:
        return False


def _bitwise_parts(detail):
    """The kinds of difference a "not bitwise equal" detail lists."""
    if not detail.startswith("not bitwise equal: "):
        return set()
    parts = detail[len("not bitwise equal: "):].split("; ")
    return {"zeros" if p.startswith("signed zeros") else
            "nan" if p.startswith("NaN bit patterns") else "other" for p in parts}


#: Defects being fixed elsewhere: the findings they match are listed apart and do not
#: fail the run.  Empty this list as the fixes land; each entry matches exactly its
#: defect's findings.  (``nan-payload-selection`` is the NaN twin of
#: ``signed-zero-selection``, found by this fuzzer.)
KNOWN = [
    Known("float32-avg-overflow",
          "float32 avg_pool accumulates in float32 and overflows near 3e38 (an inf, or "
          "inf - inf = NaN, where the reference is finite)",
          lambda f, c: (f["kind"] == "mismatches" and c.op == "avg_pool"
                        and c.dtype == "float32" and f["engine"] in ("cpu", "cuda")
                        and (f["detail"] == "infinities differ"
                             or f["detail"].startswith("NaN in "))
                        and _max_abs(c) > 1e37)),
    Known("huge-ints-reach-numba",
          "ints beyond int64 (or near 2**62) reach the Numba kernels",
          lambda f, c: ("OverflowError" in f["detail"] or "int too big" in f["detail"]
                        or "too large to convert" in f["detail"])),
    Known("out-aliasing-not-aliased",
          "NOT a library defect (the generator, _broken_out): the out= it builds aliases "
          "nothing, so the call is valid and accepted: alias-input with an empty output "
          "(N or C is 0, or region pooling has no box: an empty array owns no memory), "
          "indices-alias-values with float32 values (the indices fall back to a fresh "
          "int64 array)",
          lambda f, c: (f["kind"] == "accepted_invalid" and c.broken == "out"
                        and ((c.breakage == "alias-input"
                              and (0 in c.shape[:2] or _no_boxes(c.kwargs)))
                             or (c.breakage == "indices-alias-values"
                                 and c.dtype == "float32")))),
    Known("signed-zero-selection",
          "adaptive_max_pool / group_pool: the cpu engine (and cuda) returns the other "
          "zero than the reference when a window holds both",
          lambda f, c: (f["kind"] == "mismatches" and f["engine"] in ("cpu", "cuda")
                        and c.op in ("adaptive_max_pool", "group_pool")
                        and _bitwise_parts(f["detail"]) == {"zeros"})),
    Known("nan-payload-selection",
          "NEW (found by this fuzzer, not triaged): adaptive_max_pool / group_pool: with "
          "NaNs of different sign or payload in a window, cpu and cuda return another "
          "NaN than the reference (whose np.max does not say which)",
          lambda f, c: (f["kind"] == "mismatches" and f["engine"] in ("cpu", "cuda")
                        and c.op in ("adaptive_max_pool", "group_pool")
                        and "nan" in _bitwise_parts(f["detail"])
                        and _bitwise_parts(f["detail"]) <= {"zeros", "nan"})),
    Known("blur-pool-nan-sign",
          "blur_pool's NaN sign bits differ from the reference's (not checked: blur_pool "
          "is compared with a tolerance, where only NaN positions count)",
          lambda f, c: (f["kind"] == "mismatches" and c.op == "blur_pool"
                        and "NaN bit patterns" in f["detail"])),
]


def classify(finding, call, known=None):
    """The name of the :data:`KNOWN` entry matching ``finding``, or ``None``."""
    for entry in (KNOWN if known is None else known):
        try:
            if entry.match(finding, call):
                return entry.name
        except Exception:  # noqa: BLE001 - a broken predicate never hides a finding
            continue
    return None


# =========================================================================== workers
def _worker_main(argv):
    """``python -m refpool.conformance.fuzz --worker``: run batches read from stdin
    (one JSON line each), report ``{"start": i}`` and ``{"result": ...}`` per call and
    ``{"end": true}`` per batch on the original stdout."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--setup", default=None)
    args = parser.parse_args(argv)
    import faulthandler
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                     # stray prints must not corrupt the protocol
    sys.stdout = sys.stderr
    faulthandler.enable()
    if args.setup:
        _run_setup(args.setup)
    for line in sys.stdin:
        if not line.strip():
            continue
        batch = json.loads(line)
        engines = tuple(batch["engines"])
        for data in batch["calls"]:
            call = Call.from_json(data)
            proto.write(json.dumps({"start": call.index}) + "\n")
            proto.flush()
            try:
                findings = run_call(call, engines)
            except Exception as exc:  # noqa: BLE001 - a harness failure is reported
                findings = [_finding("mismatches", call, "harness",
                                     f"the fuzzer failed on this call: "
                                     f"{type(exc).__name__}: {exc}")]
            proto.write(json.dumps({"result": {"index": call.index,
                                               "findings": findings}}) + "\n")
            proto.flush()
        proto.write('{"end": true}\n')
        proto.flush()


def _run_setup(spec):
    import importlib
    module, _, attr = spec.partition(":")
    getattr(importlib.import_module(module), attr or "setup")()


class _Worker:
    """One worker process and the batch it is running."""

    def __init__(self, env, setup):
        cmd = [sys.executable, "-m", "refpool.conformance.fuzz", "--worker"]
        if setup:
            cmd += ["--setup", setup]
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env, start_new_session=True)
        self.buffer = b""
        self.batch = None
        self.results = {}
        self.current = None
        self.since = time.monotonic()

    def send(self, calls, engines):
        self.batch = list(calls)
        self.results = {}
        self.current = None
        self.since = time.monotonic()
        line = json.dumps({"calls": [c.to_json() for c in calls], "engines": list(engines)})
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def read(self):
        """Read what is there; returns (messages, alive)."""
        try:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            return [], False
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()], True

    def absorb(self, messages):
        """Record the progress messages of a batch; True when its end was reported."""
        ended = False
        for m in messages:
            if "start" in m:
                self.current, self.since = m["start"], time.monotonic()
            elif "result" in m:
                self.results[m["result"]["index"]] = m["result"]["findings"]
                self.since = time.monotonic()
            elif "end" in m:
                ended = True
        return ended

    def stderr_tail(self, n=3000):
        try:
            self.stderr.seek(0)
            return self.stderr.read().decode(errors="replace")[-n:]
        except Exception:  # noqa: BLE001
            return ""

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except Exception:  # noqa: BLE001
                pass

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001
            self.kill()


def _worker_env(workers, engines):
    import refpool
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(refpool.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in
                                                  env.get("PYTHONPATH", "").split(os.pathsep)
                                                  if p])
    if workers > 1 and "NUMBA_NUM_THREADS" not in env:
        env["NUMBA_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def _run_alone(calls, engines, env, setup, timeout):
    """Run ``calls`` in one fresh worker, to completion.  Returns ``(status, index,
    results, stderr)``: status ``"ok"``, ``"crash"`` (index: the call it died in) or
    ``"hang"``."""
    w = _Worker(env, setup)
    try:
        w.send(calls, engines)
        while True:
            r, _, _ = select.select([w.proc.stdout], [], [], 1.0)
            if r:
                messages, alive = w.read()
                if w.absorb(messages):
                    return "ok", None, w.results, ""
                if not alive:
                    w.proc.wait(timeout=10)
                    return "crash", w.current, w.results, w.stderr_tail()
            if time.monotonic() - w.since > timeout:
                w.kill()
                return "hang", w.current, w.results, w.stderr_tail()
    finally:
        if w.proc.poll() is None:
            w.close()


# =========================================================================== a run
@dataclasses.dataclass
class FuzzReport:
    counts: dict
    findings: list
    known: list
    seconds: float
    calls: dict                       # index -> Call, for every call with a finding
    per_op: dict
    stopped_early: bool = False
    engines: tuple = ("cpu",)
    seed: int = 0

    @property
    def ok(self):
        return not self.findings

    @property
    def exit_code(self):
        return 0 if self.ok else 1

    def format(self, max_findings=30):
        c = self.counts
        done = c["valid_calls"] + c["invalid_calls"]
        rate = done / self.seconds if self.seconds else 0.0
        lines = [(f"refpool fuzz: seed {self.seed}, engines {', '.join(self.engines)} "
                  "against the reference"), ""]
        width = max(len(k) for k in COUNTS) + 2
        for key in COUNTS + ("known_findings",):
            value = len(self.known) if key == "known_findings" else c[key]
            lines.append(f"  {key.replace('_', ' '):<{width}}{value:>9}")
        lines.append(f"  {'wall time':<{width}}{self.seconds:>8.1f}s  ({rate:.0f} calls/s)")
        if self.stopped_early:
            lines.append("  (stopped at the time limit)")
        if self.findings:
            lines += ["", f"{len(self.findings)} finding(s):"]
            for f in self.findings[:max_findings]:
                lines.append(f"  [{f['kind']}] {f['engine']}: {f['call']}")
                lines.append(f"      {f['detail'][:400]}")
            if len(self.findings) > max_findings:
                lines.append(f"  ... and {len(self.findings) - max_findings} more "
                             "(see --json)")
        if self.known:
            by_name = collections.Counter(f["known"] for f in self.known)
            lines += ["", "known defects (KNOWN, not counted):"]
            lines += [f"  {n:>5} x {name}" for name, n in by_name.items()]
        lines += ["", ("PASS" if self.ok else "FAIL") + f" - {done} calls in "
                  f"{self.seconds:.1f} s"]
        return "\n".join(lines)

    def to_json(self):
        return {"seed": self.seed, "engines": list(self.engines),
                "seconds": round(self.seconds, 3), "ok": self.ok,
                "counts": self.counts, "known_count": len(self.known),
                "stopped_early": self.stopped_early, "per_operator": self.per_op,
                "findings": self.findings, "known": self.known}


def _record(finding, call, report_lists, known):
    name = classify(finding, call, known)
    entry = dict(finding, call=call.describe(), reproducer=call.reproducer(
        finding["engine"] if finding["engine"] in ("cpu", "cuda", "reference") else "cpu"),
        call_json=call.to_json(), known=name)
    (report_lists[1] if name else report_lists[0]).append(entry)
    return name


def run(calls=300, invalid=100, seed=0, engines=("cpu",), ops=None, batch=200, workers=1,
        timeout=300.0, isolate=True, max_seconds=None, progress=None, worker_setup=None,
        layouts=None, known=None):
    """Fuzz: ``calls`` valid and ``invalid`` invalid calls.  Returns a :class:`FuzzReport`.

    ``isolate=False`` runs every call in this process (no crash or hang protection;
    for tests that patch engines).  ``max_seconds`` stops handing out batches after
    that long.  ``worker_setup`` (``"module:function"``) runs in every worker before
    its first batch.  ``known`` replaces :data:`KNOWN`.
    """
    check_generators()
    engines = tuple(engines)
    for engine in engines:
        if engine not in ("cpu", "cuda"):
            raise FuzzError(f"engines: unknown engine {engine!r} (cpu, cuda)")
    if "cuda" in engines:
        from .._dispatch import cuda_available
        if not cuda_available():
            raise FuzzError("engines: cuda is unavailable (no GPU, and NUMBA_ENABLE_CUDASIM "
                            "is not set)")
    if ops is not None:
        unknown = [op for op in ops if op not in OPERATORS]
        if unknown or not ops:
            raise FuzzError(f"ops: unknown operator(s) {', '.join(map(repr, unknown))}; "
                            f"known: {', '.join(OPERATORS)}")
    if batch < 1 or workers < 1:
        raise FuzzError("batch and workers must be >= 1")
    counts = dict.fromkeys(COUNTS, 0)
    per_op = collections.defaultdict(lambda: collections.Counter())
    lists = ([], [])
    kept = {}
    start = time.monotonic()
    total = calls + invalid

    def account(call, findings):
        counts["valid_calls" if call.valid else "invalid_calls"] += 1
        per_op[call.op]["valid" if call.valid else "invalid"] += 1
        kinds = set()                     # counts are calls: one per call and kind
        for f in findings:
            if not _record(f, call, lists, known):
                kinds.add(f["kind"])
                kept[call.index] = call
        for kind in kinds:
            counts[kind] += 1
            per_op[call.op][kind] += 1
        if progress:
            progress(counts["valid_calls"] + counts["invalid_calls"], total)

    stream = plan(calls, invalid, seed, ops, layouts)
    stopped = False
    if not isolate:
        for call in stream:
            if max_seconds is not None and time.monotonic() - start > max_seconds:
                stopped = True
                break
            account(call, run_call(call, engines))
    else:
        stopped = _run_isolated(stream, engines, batch, workers, timeout, worker_setup,
                                max_seconds, start, account, lists, counts, known)
    per_op_plain = {op: dict(c) for op, c in per_op.items()}
    return FuzzReport(counts, lists[0], lists[1], time.monotonic() - start, kept,
                      per_op_plain, stopped, engines, seed)


def _batches(stream, size):
    while True:
        chunk = []
        for call in stream:
            chunk.append(call)
            if len(chunk) == size:
                break
        if not chunk:
            return
        yield chunk


def _run_isolated(stream, engines, batch, workers, timeout, setup, max_seconds, start,
                  account, lists, counts, known):
    env = _worker_env(workers, engines)
    queue = collections.deque()             # remainders of batches a worker died in
    source = _batches(stream, batch)
    idle, busy = [], []
    state = {"stopped": False}

    def next_batch():
        if queue:
            return queue.popleft()
        if max_seconds is not None and time.monotonic() - start > max_seconds:
            state["stopped"] = True
            return None
        return next(source, None)

    def settle(w, status):
        """Account for a batch whose worker died or hung; requeue what it left."""
        done = set(w.results)
        for call in w.batch:
            if call.index in done:
                account(call, w.results[call.index])
        pending = [c for c in w.batch if c.index not in done]
        if not pending:
            return
        culprit = next((c for c in pending if c.index == w.current), pending[0])
        before = [c for c in w.batch if c.index in done and c.index < culprit.index]
        after = [c for c in pending if c is not culprit]
        _diagnose(culprit, before, status, w.stderr_tail(), engines, env, setup, timeout,
                  account, lists, counts, known)
        if after:
            queue.appendleft(after)

    try:
        while True:
            while len(busy) < workers:
                chunk = next_batch()
                if chunk is None:
                    break
                w = idle.pop() if idle else _Worker(env, setup)
                w.send(chunk, engines)
                busy.append(w)
            if not busy:
                break
            ready, _, _ = select.select([w.proc.stdout for w in busy], [], [], 1.0)
            for w in list(busy):
                if w.proc.stdout in ready:
                    messages, alive = w.read()
                    finished = w.absorb(messages)
                    if finished:
                        by_index = {c.index: c for c in w.batch}
                        for i, findings in w.results.items():
                            account(by_index[i], findings)
                        w.batch, w.results = None, {}
                        busy.remove(w)
                        idle.append(w)
                        continue
                    if not alive:
                        try:
                            w.proc.wait(timeout=10)
                        except subprocess.TimeoutExpired:
                            pass
                        busy.remove(w)
                        w.kill()
                        settle(w, "crash")
                        continue
                if time.monotonic() - w.since > timeout:
                    busy.remove(w)
                    w.kill()
                    settle(w, "hang")
    finally:
        for w in idle:
            w.close()
        for w in busy:
            w.kill()
    return state["stopped"]


def _diagnose(culprit, before, status, tail, engines, env, setup, timeout, account, lists,
              counts, known):
    """Confirm a crash or hang of ``culprit`` and find its reproducer."""
    kind = "crashes" if status == "crash" else "hangs"
    alone = _run_alone([culprit], engines, env, setup, timeout * (2 if kind == "hangs" else 1))
    if alone[0] == status:
        what = "died" if kind == "crashes" else f"made no progress for {timeout * 2:g} s"
        detail = (f"the worker {what} running this call alone; stderr: "
                  f"{alone[3][-1500:] or tail[-1500:]}")
        _report_fatal(kind, culprit, [], detail, account, lists, counts, known)
        return
    if alone[0] == "ok":
        # not on its own: look for the shortest run of preceding calls that reproduces it
        for size in _doubling(len(before)):
            seq = before[len(before) - size:] + [culprit]
            again = _run_alone(seq, engines, env, setup, timeout)
            if again[0] == status and again[1] == culprit.index:
                detail = (f"the worker {'died' if kind == 'crashes' else 'hung'} in this call "
                          f"after the {size} preceding call(s) listed in 'sequence' (not "
                          f"alone); stderr: {again[3][-1500:] or tail[-1500:]}")
                _report_fatal(kind, culprit, before[len(before) - size:], detail, account,
                              lists, counts, known)
                return
        detail = (f"the worker {'died' if kind == 'crashes' else 'hung'} in this call once, "
                  "but neither alone nor after its batch's preceding calls again "
                  f"(flaky); stderr: {tail[-1500:]}")
        _report_fatal(kind, culprit, before, detail, account, lists, counts, known)
        return
    # alone it fails the other way (a hang turned crash or vice versa): report that
    other = "crashes" if alone[0] == "crash" else "hangs"
    _report_fatal(other, culprit, [], f"rerun alone: {alone[0]}; stderr: {alone[3][-1500:]}",
                  account, lists, counts, known)


def _doubling(n):
    size = 1
    while size < n:
        yield size
        size *= 2
    if n:
        yield n


def _report_fatal(kind, culprit, sequence, detail, account, lists, counts, known):
    finding = _finding(kind, culprit, "worker", detail)
    if sequence:
        finding["sequence"] = [c.to_json() for c in sequence]
    account(culprit, [finding])


# =========================================================================== replay
def replay(path, engines=("cpu",), out=sys.stdout):
    """Rerun, in this process, every finding of a ``--json`` report (or one call's
    JSON); returns the number of findings that still reproduce."""
    with open(path) as f:
        data = json.load(f)
    entries = data.get("findings", []) + data.get("known", []) if isinstance(data, dict) \
        and "findings" in data else [{"call_json": data}]
    still = 0
    for entry in entries:
        call = Call.from_json(entry["call_json"])
        for prior in entry.get("sequence", []):
            run_call(Call.from_json(prior), engines)
        found = run_call(call, engines)
        still += bool(found)
        said = [f"{f['kind']}: {f['detail'][:200]}" for f in found] or "no finding"
        print(f"{call.describe()}\n    -> {said}", file=out)
    return still


# =========================================================================== command line
def add_arguments(p):
    """The options of ``refpool fuzz``."""
    p.add_argument("--calls", type=int, default=1000, help="valid calls (default 1000)")
    p.add_argument("--invalid", type=int, default=200, help="invalid calls (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--engines", nargs="+", default=["cpu"], choices=("cpu", "cuda"),
                   help="engines compared with the reference (cuda runs on Numba's "
                        "simulator without a GPU: slow)")
    p.add_argument("--ops", nargs="+", default=None, help="only these operators")
    p.add_argument("--batch", type=int, default=200, help="calls per worker batch")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds without progress before a batch counts as hung "
                        "(default 300: first calls compile Numba kernels)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop handing out batches after this long")
    p.add_argument("--in-process", action="store_true",
                   help="run the calls in this process (no crash isolation)")
    p.add_argument("--json", default=None, metavar="FILE",
                   help="write the counts and every finding with its reproducer here")
    p.add_argument("--replay", default=None, metavar="FILE",
                   help="rerun the findings of a --json report in this process")
    p.add_argument("--quiet", action="store_true", help="no progress line")


def _check_arguments(args):
    """One-line errors for arguments that would fail late (after the run)."""
    if args.calls < 0 or args.invalid < 0:
        raise FuzzError("--calls and --invalid must be >= 0")
    if args.timeout <= 0:
        raise FuzzError("--timeout must be positive")
    if args.replay and not os.path.isfile(args.replay):
        raise FuzzError(f"--replay {args.replay}: no such file (a --json report of "
                        "refpool fuzz)")
    if args.json:
        folder = os.path.dirname(os.path.abspath(args.json))
        if os.path.isdir(args.json):
            raise FuzzError(f"--json {args.json}: is a directory; give a file name")
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise FuzzError(f"--json {args.json}: cannot write in {folder}")


def main(args):
    """Run ``refpool fuzz`` with parsed ``args``; returns the exit status (0: no
    finding, 1: findings, 2: the run could not be made)."""
    try:
        _check_arguments(args)
        if args.replay:
            return 1 if replay(args.replay, tuple(args.engines)) else 0
    except FuzzError as exc:
        print(f"refpool fuzz: error: {exc}", file=sys.stderr)
        return 2
    progress = None
    if not args.quiet:
        last = [0.0]

        def progress(done, total):
            now = time.monotonic()
            if now - last[0] > 5 or done == total:
                last[0] = now
                sys.stderr.write(f"\rfuzz: {done}/{total} calls")
                if done == total:
                    sys.stderr.write("\n")
                sys.stderr.flush()
    try:
        report = run(args.calls, args.invalid, args.seed, tuple(args.engines), args.ops,
                     args.batch, args.workers, args.timeout, not args.in_process,
                     args.max_seconds, progress)
    except FuzzError as exc:
        print(f"refpool fuzz: error: {exc}", file=sys.stderr)
        return 2
    print(report.format())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.to_json(), f, indent=1)
        print(f"report written to {args.json}")
    return report.exit_code


if __name__ == "__main__":
    if "--worker" in sys.argv[1:]:
        from refpool.conformance.fuzz import _worker_main as _main
        _main(sys.argv[1:])
    else:
        parser = argparse.ArgumentParser(prog="python -m refpool.conformance.fuzz")
        add_arguments(parser)
        sys.exit(main(parser.parse_args()))
