"""How results are compared: exact for selection operators, else per-dtype tolerance.

These are the documented tolerances of the CPU and CUDA engines against the
float64 reference (docs/numerics.rst); the tests use the same numbers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: ``|actual - expected| <= atol + rtol * |expected|``, per output dtype
TOLERANCE = {
    np.dtype(np.float32): dict(rtol=1e-5, atol=1e-5),
    np.dtype(np.float64): dict(rtol=1e-12, atol=1e-12),
}


class Comparison(NamedTuple):
    ok: bool
    max_abs_error: float
    detail: str = ""


def _as_host(a):
    if hasattr(a, "copy_to_host"):
        return a.copy_to_host()
    return np.asarray(a)


def compare(actual, expected, exact):
    """Compare one output (or a tuple of outputs) with the expected one.

    NaN matches NaN in the same position; infinities must match exactly.
    """
    if isinstance(expected, tuple):
        if not isinstance(actual, tuple) or len(actual) != len(expected):
            return Comparison(False, float("inf"), "wrong number of outputs")
        parts = [compare(a, e, exact or np.asarray(e).dtype.kind in "iu")
                 for a, e in zip(actual, expected)]
        worst = max(p.max_abs_error for p in parts)
        bad = [p.detail for p in parts if not p.ok]
        return Comparison(not bad, worst, "; ".join(bad))
    actual, expected = _as_host(actual), _as_host(expected)
    if actual.shape != expected.shape:
        return Comparison(False, float("inf"),
                          f"shape {actual.shape} != expected {expected.shape}")
    if actual.dtype != expected.dtype:
        return Comparison(False, float("inf"),
                          f"dtype {actual.dtype} != expected {expected.dtype}")
    if actual.size == 0:
        return Comparison(True, 0.0)
    if expected.dtype.kind in "iu":
        diff = int(np.count_nonzero(actual != expected))
        return Comparison(diff == 0, float(diff > 0), f"{diff} indices differ" if diff else "")
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    if np.any(nan_a != nan_e):
        return Comparison(False, float("inf"), f"NaN in {int(np.sum(nan_a != nan_e))} "
                                               "positions where the other has a number")
    inf_e = np.isinf(e) | np.isinf(a)
    if np.any(a[inf_e] != e[inf_e]):
        return Comparison(False, float("inf"), "infinities differ")
    finite = ~(nan_e | inf_e)
    err = np.abs(a[finite] - e[finite])
    worst = float(err.max()) if err.size else 0.0
    if exact:
        ok = worst == 0.0
        return Comparison(ok, worst, "" if ok else f"not bitwise equal (max error {worst:.3g})")
    tol = TOLERANCE[expected.dtype]
    bound = tol["atol"] + tol["rtol"] * np.abs(e[finite])
    ok = bool(np.all(err <= bound))
    return Comparison(ok, worst, "" if ok else f"max error {worst:.3g} above tolerance")


def make_input(shape, dtype, seed, specials=False):
    """The input of a case: standard normal values from ``seed``; with
    ``specials`` about a tenth of them are NaN, +inf or -inf."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    if specials and x.size:
        flat = x.reshape(-1)
        picks = rng.choice(flat.size, size=max(1, flat.size // 10), replace=False)
        flat[picks] = rng.choice([np.nan, np.inf, -np.inf], size=picks.size)
    return x
