r"""How results are compared: exact for selection operators, else a tolerance.

These are the documented tolerances of the CPU and CUDA engines against the
float64 reference (docs/numerics.rst); the tests use the same numbers.

Two tolerance rules live here:

* the **magnitude-relative** rule of linear operators (used when the call is
  known, ``compare(..., call=(op, x, kwargs))``): an output that is a weighted
  sum :math:`y = \sum_i w_i x_i` may be off by

  .. math:: \mathrm{tol} \cdot \sum_i |w_i x_i| + \mathrm{floor}

  with ``tol`` from :data:`RELATIVE_TOLERANCE` and ``floor`` from
  :data:`SUBNORMAL_FLOOR`.  The sum of magnitudes is what rounding scales with:
  a sum that cancels (``1e30 + 1 - 1e30``) may lose everything below the size of
  its terms, and an output of small terms may lose almost nothing.
  :func:`magnitude` computes it with the reference engine;
* the historical **per-dtype** rule ``|a - e| <= atol + rtol |e|`` of
  :data:`TOLERANCE`, used when the call is not known (``call=None``).
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import numpy as np

#: ``|actual - expected| <= atol + rtol * |expected|``, per output dtype: the rule of
#: :func:`compare` without ``call`` (and of golden-vector consumers)
TOLERANCE = {
    np.dtype(np.float32): dict(rtol=1e-5, atol=1e-5),
    np.dtype(np.float64): dict(rtol=1e-12, atol=1e-12),
}

#: ``tol`` of the magnitude-relative rule, per output dtype: the allowed error is
#: ``tol * magnitude + floor``, ``magnitude`` the sum of the absolute values of the
#: terms summed (:func:`magnitude`)
RELATIVE_TOLERANCE = {
    np.dtype(np.float32): 1e-5,
    np.dtype(np.float64): 1e-12,
}

#: absolute floor of the magnitude-relative rule: ``2**-12`` times the smallest
#: normal number, i.e. 2048 units in the last place of a subnormal.  Below the
#: normal range rounding errors are absolute (half a subnormal ulp per operation),
#: so a relative bound alone would refuse correctly rounded sums of subnormals.
SUBNORMAL_FLOOR = {
    np.dtype(np.float32): 2.0 ** -138,
    np.dtype(np.float64): 2.0 ** -1034,
}


class Comparison(NamedTuple):
    ok: bool
    max_abs_error: float
    detail: str = ""


def _as_host(a):
    if hasattr(a, "copy_to_host"):
        return a.copy_to_host()
    return np.asarray(a)


def compare(actual, expected, exact, *, call=None):
    """Compare one output (or a tuple of outputs) with the expected one.

    NaN matches NaN in the same position; infinities must match exactly.

    Parameters
    ----------
    actual, expected : array or tuple of arrays
    exact : bool
        Bitwise comparison (selection operators, nearest interpolation).
    call : tuple ``(op, x, kwargs)``, optional
        The call that produced ``expected`` (operator name, input, keyword
        arguments).  With it, a tolerance comparison uses the magnitude-relative
        rule, ``|a - e| <= tol * magnitude + floor`` (:func:`magnitude`,
        :data:`RELATIVE_TOLERANCE`, :data:`SUBNORMAL_FLOOR`); without it, the
        per-dtype rule ``|a - e| <= atol + rtol |e|`` of :data:`TOLERANCE`.
        The magnitude is computed only when some error exceeds ``tol * |e| +
        floor`` (``magnitude >= |e|`` always, so below that nothing can fail).
    """
    if isinstance(expected, tuple):
        if not isinstance(actual, tuple) or len(actual) != len(expected):
            return Comparison(False, float("inf"), "wrong number of outputs")
        # the magnitude describes the first output (values); indices are exact
        parts = [compare(a, e, exact or np.asarray(e).dtype.kind in "iu",
                         call=call if i == 0 else None)
                 for i, (a, e) in enumerate(zip(actual, expected))]
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
        if ok and np.any(np.signbit(a[finite]) != np.signbit(e[finite])):
            return Comparison(False, 0.0, "signed zeros differ (an exact comparison "
                                          "sees -0.0 and +0.0 apart)")
        return Comparison(ok, worst, "" if ok else f"not bitwise equal (max error {worst:.3g})")
    if call is None:
        tol = TOLERANCE[expected.dtype]
        bound = tol["atol"] + tol["rtol"] * np.abs(e[finite])
        ok = bool(np.all(err <= bound))
        return Comparison(ok, worst, "" if ok else f"max error {worst:.3g} above tolerance")
    tol = RELATIVE_TOLERANCE[expected.dtype]
    floor = SUBNORMAL_FLOOR[expected.dtype]
    ef = np.abs(e[finite])
    if bool(np.all(err <= tol * ef + floor)):        # magnitude >= |e|: nothing can fail
        return Comparison(True, worst)
    mag = magnitude(*call)
    if mag is None:
        raise ValueError(f"compare: {call[0]!r} is compared exactly, but exact=False")
    mag = np.asarray(mag, dtype=np.float64)
    if mag.shape != expected.shape:
        raise ValueError(f"compare: the magnitude of {call[0]!r} has shape {mag.shape}, "
                         f"the output {expected.shape}")
    # fmax: a magnitude is never below |e| (and a NaN magnitude falls back to |e|); an
    # overflowing magnitude (sum |w x| > 1.8e308) leaves the error unbounded
    mag = np.fmax(mag[finite], ef)
    bound = tol * mag + floor
    bad = ~(err <= bound)
    if not np.any(bad):
        return Comparison(True, worst)
    i = int(np.argmax(np.where(bad, err / np.where(bound > 0, bound, 1.0), 0.0)))
    where = tuple(int(v) for v in np.argwhere(finite)[i])
    return Comparison(False, worst,
                      f"{int(bad.sum())} value(s) above the magnitude-relative tolerance "
                      f"(tol {tol:g} x sum |w x|); worst at {where}: actual "
                      f"{float(a[where])!r}, expected {float(e[where])!r}, error "
                      f"{err[i]:.3g} > bound {bound[i]:.3g} (magnitude {mag[i]:.3g}); "
                      f"max error {worst:.3g}")


# --------------------------------------------------------------------------- magnitude
#: operators whose outputs are sums with weights of one sign: the magnitude is the
#: reference operator on ``|x|`` (averages, Gaussian and binomial blurs)
_SAME_SIGN_WEIGHTS = ("avg_pool", "adaptive_avg_pool", "antialiased_avg_pool", "blur_pool",
                      "lp_pool", "roi_align", "global_avg_pool", "global_lp_pool",
                      "subgroup_pool")

#: operators whose output is a Euclidean norm: the magnitude is the norm itself
_NORMS = ("norm_pool", "induced_norm_pool")


def _bound_kwargs(fn, x, kwargs):
    """``kwargs`` completed with ``fn``'s defaults (without ``engine`` and ``out``)."""
    bound = inspect.signature(fn).bind(x, **kwargs)
    bound.apply_defaults()
    args = dict(bound.arguments)
    for name in ("x", "engine", "out"):
        args.pop(name, None)
    return args


def magnitude(op, x, kwargs):
    """The magnitude of every output of the call ``op(x, **kwargs)``: the sum of the
    absolute values of the terms it sums, in float64 (the shape of the output, the
    values output for ``return_indices=True``), or ``None`` for an operator compared
    exactly (selections, the nearest modes of :func:`refpool.interpolate`, the maximum
    of :func:`refpool.subgroup_pool`).

    ============================================  =======================================
    operator                                      magnitude (``R``: the reference engine)
    ============================================  =======================================
    avg_pool, adaptive_avg_pool,                  ``|R(|x|)|``: one-signed weights
    antialiased_avg_pool, blur_pool,              (``divisor_override < 0`` flips them
    interpolate ``area``, global_avg_pool,        all), so ``sum |w x| = |sum w |x||``
    subgroup_pool ``avg``
    lp_pool, global_lp_pool                       ``R(|x|)``: the root of the sum of the
                                                  terms' magnitudes ``S |x|^p``
    roi_align                                     ``R(|x|)``: bilinear weights are
                                                  non-negative; with ``reduction="max"``
                                                  the largest sample's ``sum w |x|``
    interpolate ``linear``/``bilinear``/          ``sum_i |w_i| |x_i|`` with the per-axis
    ``trilinear``/``bicubic`` (and antialias)     taps of
                                                  :func:`refpool._geometry.interpolation_taps`,
                                                  applied axis by axis to ``|x|``:
                                                  exact for Keys' cubic, whose outer
                                                  weights are negative
    antialiased_max_pool                          ``sum_u g_u |m_u|``, ``m`` the dense max
                                                  map: ``R(max(x, 0)) - R(min(x, 0))``,
                                                  since ``|max_W x| = max_W x^+ -
                                                  max_W (min(x, 0))``
    norm_pool, induced_norm_pool                  ``|R(x)|``: the norm itself (a sum of
                                                  squares does not cancel)
    grid_sample                                   ``sum |w| |x|`` of the bilinear, nearest
                                                  or bicubic taps (``R(|x|)`` but for the
                                                  bicubic weights' signs)
    upfirdn                                       ``R(|x|)`` with ``|f|`` and ``|gain|``:
                                                  ``sum_t |gain g_t| |x_i|``
    map_coordinates, affine_transform, rotate     the B-spline weights applied to
                                                  ``|P| |x|``, ``P`` the prefilter as
                                                  a dense per-axis matrix (its
                                                  entries alternate in sign);
                                                  ``|cval|`` for cval
    resample                                      ``sum |w| |x|`` with the taps of
                                                  :func:`refpool._geometry.resample_taps`;
                                                  ``|extrapolation_value|`` where set
    filtered_upsample, filtered_downsample        the same call with ``|h|``
    aps_downsample, aps_upsample                  the circular blur with ``|f|`` of
                                                  ``|x|``; downsampling: its largest
                                                  value over the phases at each output
                                                  (the phase chosen for ``x`` may differ)
    ============================================  =======================================

    The reference runs in float64 on float64 copies, so the magnitude of a float32
    call never overflows.
    """
    from ..registry import lookup
    row = lookup(op)
    if row.comparison == "exact":
        return None
    fn = row.function
    args = _bound_kwargs(fn, x, kwargs)
    x = np.asarray(x)
    if row.is_exact(args):                 # a selecting mode of a "mode" row
        return None
    ax = np.abs(x.astype(np.float64))
    with np.errstate(invalid="ignore", over="ignore"):
        if row.name in _SAME_SIGN_WEIGHTS:
            return np.abs(fn(ax, **args, engine="reference"))
        if row.name in _NORMS:
            return np.abs(fn(x.astype(np.float64), **args, engine="reference"))
        if row.name == "antialiased_max_pool":
            x64 = x.astype(np.float64)
            pos = fn(np.maximum(x64, 0.0), **args, engine="reference")
            neg = fn(np.minimum(x64, 0.0), **args, engine="reference")
            return pos - neg
        if row.name == "interpolate":
            return _interpolation_magnitude(ax, args, x.dtype)
        if row.name == "resample":
            return _resample_magnitude(ax, args)
        if row.name == "grid_sample":      # Keys' cubic has negative weights
            from ..engines.reference.sampling import _magnitude
            return _magnitude(ax, np.asarray(args["grid"], dtype=np.float64),
                              args["mode"], args["padding_mode"], args["align_corners"])
        if row.family == "spline":         # the prefilter's weights alternate in sign
            from ..spline import _magnitude
            return _magnitude(row.name, ax, args)
        if row.name == "upfirdn":          # signed taps: every term's absolute value
            absolute = dict(args, f=np.abs(np.asarray(args["f"], dtype=np.float64)),
                            gain=abs(float(args.get("gain", 1))))
            return fn(ax, **absolute, engine="reference")
        if row.name in ("filtered_upsample", "filtered_downsample"):   # signed filters
            from ..upfirdn import _resampling_magnitude
            return _resampling_magnitude(row.name, ax, args)
        if row.family == "polyphase":     # aps_*: a selection of |f| * |x| sums
            from ..polyphase import _magnitude
            return _magnitude(row.name, ax, args)
    raise NotImplementedError(
        f"magnitude: no magnitude rule for the operator {row.name!r} (comparison "
        f"{row.comparison!r}); add one to refpool.conformance.compare.magnitude")


#: the coordinate allowance of interpolation: a source coordinate ``c`` computed in
#: the input precision (PyTorch computes ``r (j + 1/2) - 1/2`` in float32 for float32
#: input) is off by at most ``COORDINATE_ROUNDINGS * u * (|c| + 1)``, ``u`` the unit
#: roundoff of the dtype, and moves each weight by that times the slope of the
#: weight function (:data:`WEIGHT_SLOPE`)
COORDINATE_ROUNDINGS = 4

#: bound on ``|dw/dc|`` of one tap, per interpolation rule: linear 1; Keys' cubic
#: (a = -0.75) 1.35; the antialiased filters (normalised by their sum, with
#: a = -0.5 for bicubic) at most 2 * 1.39 * 1.2
WEIGHT_SLOPE = {"linear": 1.0, "cubic": 1.5, "antialias": 4.0}


def _interpolation_magnitude(ax, args, dtype):
    """Magnitude of a linear or cubic interpolation (``ax = |x|``, float64): the terms
    ``sum |w| |x|`` plus the coordinate allowance divided by the tolerance (see
    :func:`magnitude`)."""
    from .. import _args, _geometry
    spec = _args.interpolation_spec(ax.shape[2:], args["size"], args["scale_factor"],
                                    args["mode"], args["align_corners"],
                                    args["recompute_scale_factor"], args["antialias"])
    if spec.mode == "area":
        from ..pooling import adaptive_avg_pool
        return adaptive_avg_pool(ax, spec.output_size, engine="reference")
    rule = _geometry.INTERPOLATION_AXIS_RULE[spec.mode]
    slope = WEIGHT_SLOPE["antialias" if spec.antialias else rule]
    u = float(np.finfo(dtype).eps) / 2
    scale = COORDINATE_ROUNDINGS * u / RELATIVE_TOLERANCE[np.dtype(dtype)]
    ndim = len(spec.input_size)
    weights, slopes = [], []
    for axis in range(ndim):
        n, m, r = spec.input_size[axis], spec.output_size[axis], spec.scale[axis]
        taps = _geometry.interpolation_taps(rule, n, m, r, spec.align_corners,
                                            spec.antialias, np.float64, spec.nearest_rule)
        index, weight, count = (np.asarray(t) for t in taps)
        live = np.arange(index.shape[1])[None, :] < count[:, None]          # (m, K)
        coordinate = r * (np.arange(m) + 0.5) + 0.5                          # >= |c|
        weights.append((index, np.where(live, np.abs(weight), 0.0), live))
        slopes.append((index, np.where(live, slope * (coordinate[:, None] + 1.0), 0.0),
                       live))
    total = _separable(ax, weights)
    for axis in range(ndim):              # one weight moved by its coordinate's rounding
        total = total + scale * _separable(
            ax, [slopes[b] if b == axis else weights[b] for b in range(ndim)])
    return total


def _resample_magnitude(ax, args):
    """Magnitude of :func:`refpool.resample`: ``sum |w| |x|`` with the per-axis taps of
    :func:`refpool._geometry.resample_taps` (signed for cubic, Lanczos, ...), and
    ``|extrapolation_value|`` at the extrapolated outputs."""
    from .. import _args
    args = {k: v for k, v in args.items() if k not in ("ndim", "channels_last")}
    spec = _args.resample_spec(ax.shape[2:], args.pop("size"), args.pop("scale"), **args)
    tables = []
    for axis in spec.axes:
        index, weight, count = axis.taps(np.float64)
        live = np.arange(index.shape[1])[None, :] < count[:, None]
        tables.append((index, np.where(live, np.abs(weight), 0.0), live))
    total = _separable(ax, tables)
    for b, axis in enumerate(spec.axes):
        mask = axis.outside()
        if mask.any():
            total[(slice(None),) * (b + 2) + (mask,)] = abs(spec.extrapolation_value)
    return total


def _separable(ax, tables):
    """Apply per-axis tap tables ``(index, weight, live)`` to ``ax``, last axis first;
    dead taps are skipped (never multiplied)."""
    a = ax
    for axis in reversed(range(len(tables))):
        index, weight, live = tables[axis]
        moved = np.moveaxis(a, axis + 2, -1)
        terms = np.where(live, weight * moved[..., index], 0.0)             # (..., m, K)
        a = np.moveaxis(terms.sum(axis=-1), -1, axis + 2)
    return a


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
