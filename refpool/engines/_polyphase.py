"""The per-sample criterion of :func:`refpool.aps_downsample`, written once for the CPU
and CUDA engines (``register_jitable``, as :mod:`refpool.engines._upfirdn`).  Numba's
kernel cache keys on the engine files: touch them after editing this one."""

from __future__ import annotations

import math

import numpy as np
from numba.extending import register_jitable


@register_jitable
def term(s2, norm, squared):
    """One term of the criterion: from a field's sum of squares ``s2`` when ``squared``
    (:math:`s_2^{p/2}`), else from a value ``s2`` itself (:math:`|v|^p`)."""
    if not squared:
        if norm == 2.0:
            return s2 * s2
        a = abs(s2)
        if norm == 1.0 or norm == math.inf:
            return a
        return a ** norm
    if norm == 2.0:
        return s2
    if norm == 1.0 or norm == math.inf:
        return math.sqrt(s2)
    return s2 ** (norm / 2)


@register_jitable
def criterion(z, n, pd, ph, pw, sd, sh, sw, OD, OH, OW, norm, fields, per_field):
    """The float64 criterion of phase ``(pd, ph, pw)`` of sample ``n`` of the 5-D ``z``:
    per field (a channel alone unless ``per_field``), per position in C order, summed
    (or the maximum for ``norm = inf``, NaN when a term is NaN)."""
    acc = 0.0
    for f in range(fields.shape[0]):
        for od in range(OD):
            for oh in range(OH):
                for ow in range(OW):
                    d = pd + od * sd
                    h = ph + oh * sh
                    w = pw + ow * sw
                    if per_field:
                        s2 = 0.0
                        for c in range(fields[f, 0], fields[f, 1]):
                            v = np.float64(z[n, c, d, h, w])   # float() keeps float32 in Numba
                            s2 = s2 + v * v
                        t = term(s2, norm, True)
                    else:
                        t = term(np.float64(z[n, fields[f, 0], d, h, w]), norm, False)
                    if norm == math.inf:
                        if acc == acc and (t > acc or t != t):
                            acc = t
                    else:
                        acc += t
    return acc


@register_jitable
def better(value, best, first):
    """Whether phase criterion ``value`` replaces ``best``: the first phase, a strictly
    larger value, or a NaN over a number (ties keep the earlier phase)."""
    return first or value > best or (value != value and best == best)
