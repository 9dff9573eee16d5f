"""Reference engine for the polyphase family: adaptive polyphase sampling, in NumPy.

Written beside the formulas of :mod:`refpool.polyphase`: the optional circular blur is
summed tap by tap in the order of the compiled engines' upfirdn walk (rounded to the
input's dtype), the components are strided slices, and each criterion is a sequential float64 sum
(``np.cumsum``, left to right) in the documented order, so that the compiled engines,
summing in the same order, reach the same numbers.
"""

from __future__ import annotations

import numpy as np



def _circular_blur(x, out, blur):
    """The circular blur (up = down = 1) summed in float64 tap by tap in the C order of
    the correlation weights, as the compiled engines' whole-kernel walk does, then
    rounded once: the three engines blur to the same values, so a near tie of the
    criteria cannot split them (the choice reads the blurred values)."""
    x = np.asarray(x)
    k = blur.weights.ndim
    acc = np.zeros(x.shape, np.float64)
    axes = tuple(range(2, 2 + k))
    with np.errstate(invalid="ignore", over="ignore"):
        for t in np.ndindex(*blur.weights.shape):
            # output i reads x[(i - before + t) mod n] along every axis
            shifted = np.roll(x, tuple(b - ta for b, ta in zip(blur.before, t)), axis=axes)
            acc += blur.weights[t] * shifted.astype(np.float64)
    out[...] = acc


def _blurred(x, blur):
    if blur is None:
        return x
    z = np.empty(x.shape, x.dtype)
    _circular_blur(x, z, blur)
    return z


def _component(a, phase, stride):
    return a[(slice(None),) + tuple(slice(p, None, s) for p, s in zip(phase, stride))]


def _terms(component, norm, fields):
    """The criterion's terms in summation order: per field (a channel alone without a
    field type), per position in C order."""
    v = np.asarray(component, dtype=np.float64)
    if fields is None:
        if norm == 2.0:
            t = v * v
        elif norm == 1.0 or norm == np.inf:
            t = np.abs(v)
        else:
            t = np.abs(v) ** norm
        return t.reshape(-1)
    parts = []
    for start, stop in fields:
        s2 = np.zeros(v.shape[1:])
        for c in range(start, stop):              # channels of a field in order
            s2 = s2 + v[c] * v[c]
        if norm == 2.0:
            t = s2
        elif norm == 1.0 or norm == np.inf:
            t = np.sqrt(s2)
        else:
            t = s2 ** (norm / 2)
        parts.append(t.reshape(-1))
    return np.concatenate(parts)


def _criterion(component, norm, fields):
    t = _terms(component, norm, fields)
    if norm == np.inf:
        return np.nan if np.isnan(t).any() else float(t.max(initial=0.0))
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.cumsum(t)[-1])


def aps_downsample(x, out, phase, spec):
    z = _blurred(x, spec.blur)
    for n in range(x.shape[0]):
        best, best_value = None, None
        for p in spec.phases:                       # lexicographic: ties keep the first
            value = _criterion(_component(z[n], p, spec.stride), spec.norm, spec.fields)
            if best is None or value > best_value or (np.isnan(value)
                                                      and not np.isnan(best_value)):
                best, best_value = p, value
        phase[n] = best
        out[n] = _component(z[n], best, spec.stride)


def aps_upsample(x, out, phase, spec):
    z = np.zeros(out.shape, out.dtype if spec.blur is None else x.dtype)
    for n in range(x.shape[0]):
        z[n][(slice(None),) + tuple(slice(int(p), None, s)
                                    for p, s in zip(phase[n], spec.stride))] = x[n]
    if spec.blur is None:
        out[...] = z
    else:
        _circular_blur(z, out, spec.blur)
