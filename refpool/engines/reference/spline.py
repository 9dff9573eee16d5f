r"""Reference engine for the spline family: :func:`refpool.map_coordinates` (and its
conveniences :func:`refpool.affine_transform`, :func:`refpool.rotate`) in NumPy.

Written to be read beside the formulas of :mod:`refpool.spline`, float64 inside,
rounded once to the output dtype.  It shares no code with the compiled engines
(:mod:`refpool.engines._spline`).

Two entry points:

``spline_filter(x, out, orders, mode, pads, cval)``
    ``out`` (float64, ``(N, C, *(spatial + 2 pads))``) receives ``x`` extended by
    ``pads[a]`` samples per side of axis ``a`` (edge values for ``nearest``, ``cval`` for
    ``grid-constant``) and then the B-spline prefilter along every spatial axis in
    turn: the gain :math:`\prod_z (1 - z)(1 - 1/z)`, then per pole :math:`z` a causal
    pass :math:`c_i \mathrel{+}= z\,c_{i-1}` and an anti-causal pass :math:`c_i = z
    (c_{i+1} - c_i)`, each started by the mode's initial value (``_CAUSAL`` and
    ``_ANTICAUSAL`` below), along every axis whose order is 2 or more.  Axes of
    length 1 are left as they are.
``map_coordinates(c, coordinates, out, orders, mode, cval, pads)``
    ``out[n, ch, p]`` (any trailing output shape, flattened to ``P`` points) is the
    spline of degree ``orders[a]`` along axis ``a`` with coefficients ``c[n, ch]``
    at the point ``coordinates[:, p] + pads``.  (Orders differ per axis only for
    :func:`refpool.rotate` in 3-D, whose axis outside the plane is read at order 0.)
"""

from __future__ import annotations

import numpy as np

#: the poles of the B-spline prefilter of each order (Unser et al. 1991)
POLES = {
    2: (-0.171572875253809902396622551580603843,),          # sqrt(8) - 3
    3: (-0.267949192431122706472553658494127633,),          # sqrt(3) - 2
    4: (-0.361341225900220177092212841325675255,            # sqrt(664 - sqrt(438976))
        -0.013725429297339121360331226939128204),           #   +- sqrt(304) - 19
    5: (-0.430575347099973791851434783493520110,            # sqrt(67.5 -+ sqrt(4436.25))
        -0.043096288203264653822712376822550182),           #   +- sqrt(26.25) - 6.5
}

#: the boundary condition of the prefilter's initial values, per mode
FILTER_BOUNDARY = {"nearest": "reflect", "reflect": "reflect", "grid-mirror": "reflect",
                   "mirror": "mirror", "constant": "mirror", "grid-constant": "mirror",
                   "wrap": "mirror", "grid-wrap": "wrap"}

#: how a tap index outside the input is moved back in, per mode (grid-constant reads
#: cval instead)
TAP_MODE = {"nearest": "nearest", "reflect": "reflect", "grid-mirror": "reflect",
            "mirror": "mirror", "constant": "mirror", "wrap": "mirror",
            "grid-wrap": "grid-wrap", "grid-constant": "grid-constant"}


# =========================================================================== prefilter
def _causal_mirror(c, n, z):
    """c[0] of the causal pass for the whole-sample symmetric extension."""
    zn1 = z ** (n - 1)
    s = c[..., 0] + zn1 * c[..., n - 1]
    zi = z
    for i in range(1, n - 1):
        s = s + zi * (c[..., i] + zn1 * c[..., n - 1 - i])
        zi *= z
    c[..., 0] = s / (1.0 - zn1 * zn1)


def _anticausal_mirror(c, n, z):
    c[..., n - 1] = (z * c[..., n - 2] + c[..., n - 1]) * z / (z * z - 1.0)


def _causal_reflect(c, n, z):
    """c[0] of the causal pass for the half-sample symmetric extension."""
    zn = z ** n
    c0 = c[..., 0].copy()
    s = c[..., 0] + zn * c[..., n - 1]
    zi = z
    for i in range(1, n):
        s = s + zi * (c[..., i] + zn * c[..., n - 1 - i])
        zi *= z
    c[..., 0] = s * (z / (1.0 - zn * zn)) + c0


def _anticausal_reflect(c, n, z):
    c[..., n - 1] = c[..., n - 1] * (z / (z - 1.0))


def _causal_wrap(c, n, z):
    """c[0] of the causal pass for the periodic extension (period n)."""
    s = c[..., 0].copy()
    zi = z
    for i in range(1, n):
        s = s + zi * c[..., n - i]
        zi *= z
    c[..., 0] = s / (1.0 - zi)


def _anticausal_wrap(c, n, z):
    s = c[..., n - 1].copy()
    zi = z
    for i in range(n - 1):
        s = s + zi * c[..., i]
        zi *= z
    c[..., n - 1] = s * (z / (zi - 1.0))


_CAUSAL = {"mirror": _causal_mirror, "reflect": _causal_reflect, "wrap": _causal_wrap}
_ANTICAUSAL = {"mirror": _anticausal_mirror, "reflect": _anticausal_reflect,
               "wrap": _anticausal_wrap}


def _filter_lines(c, order, boundary):
    """The prefilter along the last axis of the float64 array ``c``, in place."""
    n = c.shape[-1]
    if n <= 1 or order < 2:
        return
    poles = POLES[order]
    gain = 1.0
    for z in poles:
        gain *= (1.0 - z) * (1.0 - 1.0 / z)
    c *= gain
    for z in poles:
        _CAUSAL[boundary](c, n, z)
        for i in range(1, n):
            c[..., i] += z * c[..., i - 1]
        _ANTICAUSAL[boundary](c, n, z)
        for i in range(n - 2, -1, -1):
            c[..., i] = z * (c[..., i + 1] - c[..., i])


def spline_filter(x, out, orders, mode, pads, cval):
    xd = np.asarray(x, np.float64)
    k = xd.ndim - 2
    if any(pads):
        widths = ((0, 0), (0, 0)) + tuple((p, p) for p in pads)
        if mode == "nearest":
            xd = np.pad(xd, widths, mode="edge")
        else:
            xd = np.pad(xd, widths, mode="constant", constant_values=cval)
    out[...] = xd
    for a in range(k):
        _filter_lines(np.moveaxis(out, 2 + a, -1), orders[a], FILTER_BOUNDARY[mode])


# =========================================================================== sampling
def _map_coordinate(c, n, mode):
    """Move a coordinate outside ``[0, n - 1]`` by the mode (``constant``: -1, i.e.
    outside); ``c`` a float64 array, ``n`` the axis length."""
    c = np.array(c, np.float64)
    low, high = c < 0, c > n - 1
    if mode == "nearest":
        c[low], c[high] = 0.0, n - 1.0
    elif mode == "constant":
        c[low | high] = -1.0
    elif n <= 1:
        c[low | high] = 0.0
    elif mode == "mirror":                        # period 2n - 2, about 0 and n - 1
        s = 2 * n - 2
        v = c[low]
        v = s * np.trunc(-v / s) + v
        c[low] = np.where(v <= 1 - n, v + s, -v)
        v = c[high]
        v = v - s * np.trunc(v / s)
        c[high] = np.where(v >= n, s - v, v)
    elif mode in ("reflect", "grid-mirror"):      # period 2n, about -1/2 and n - 1/2
        s = 2 * n
        v = c[low]
        v = np.where(v < -s, s * np.trunc(-v / s) + v, v)
        c[low] = np.where(v < -n, v + s, np.where(v > -1e-15, 1e-15, -v) - 1.0)
        v = c[high]
        v = v - s * np.trunc(v / s)
        c[high] = np.where(v >= n, s - v - 1.0, v)
    elif mode == "wrap":                          # period n - 1 (first = last sample)
        s = n - 1
        v = c[low]
        c[low] = v + s * (np.trunc(-v / s) + 1.0)
        v = c[high]
        c[high] = v - s * np.trunc(v / s)
    elif mode == "grid-wrap":                     # period n
        v = c[low]
        c[low] = v + n * (np.trunc((-1.0 - v) / n) + 1.0)
        v = c[high]
        c[high] = v - n * np.trunc(v / n)
    return c


def _spline_weights(x, order):
    """The ``order + 1`` B-spline weights of the taps ``start .. start + order`` at
    ``x`` (arrays ``(order + 1, P)``), summing to one (the last one is one minus the
    others)."""
    x = x - np.floor(x if order & 1 else x + 0.5)     # offset from the middle knot
    w = np.zeros((order + 1,) + x.shape)
    y, z = x, 1.0 - x
    if order == 1:
        w[0] = 1.0 - x
    elif order == 2:
        w[1] = 0.75 - x * x
        y = 0.5 - x
        w[0] = 0.5 * y * y
    elif order == 3:
        w[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0
        w[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
        w[0] = z * z * z / 6.0
    elif order == 4:
        t = x * x
        w[2] = t * (t * 0.25 - 0.625) + 115.0 / 192.0
        y = 1.0 + x
        w[1] = y * (y * (y * (5.0 - y) / 6.0 - 1.25) + 5.0 / 24.0) + 55.0 / 96.0
        w[3] = z * (z * (z * (5.0 - z) / 6.0 - 1.25) + 5.0 / 24.0) + 55.0 / 96.0
        y = 0.5 - x
        t = y * y
        w[0] = t * t / 24.0
    elif order == 5:
        t = y * y
        w[2] = t * (t * (0.25 - y / 12.0) - 0.5) + 0.55
        t = z * z
        w[3] = t * (t * (0.25 - z / 12.0) - 0.5) + 0.55
        y = y + 1.0
        w[1] = y * (y * (y * (y * (y / 24.0 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425
        z = z + 1.0
        w[4] = z * (z * (z * (z * (z / 24.0 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425
        y = 1.0 - x
        t = y * y
        w[0] = y * t * t / 120.0
    last = np.ones(x.shape)
    for i in range(order):
        last = last - w[i]
    w[order] = last
    return w


#: beyond this magnitude a float64 is an integer; a coordinate there is treated as
#: infinite (refpool's rule, module docs of refpool.spline)
HUGE = 4503599627370496.0


def _axis(coord, n, order, mode, npad):
    """Per axis: the tap indices ``(order + 1, P)`` (int64, inside ``[0, n)``), a mask
    of taps that read ``cval`` (grid-constant), the weights ``(order + 1, P)``, a mask
    of points that are ``cval`` outright, and one of points that are NaN."""
    finite = np.abs(coord) < HUGE                         # False for NaN and inf
    nan_point = np.zeros(coord.shape, bool)
    if mode in ("nearest", "grid-constant"):
        # not moved: the extension is the constant/edge beyond the (padded) input;
        # an infinite point sits as far out as HUGE does (the same taps), a NaN is NaN
        nan_point = np.isnan(coord)
        cc = np.clip(np.where(nan_point, 0.0, coord), -HUGE, HUGE) + npad
        outside = np.zeros(coord.shape, bool)
    else:
        cc = _map_coordinate(np.where(finite, coord, -1.0) + npad, n, mode)
        outside = ~(cc > -1.0) | ~finite
        cc = np.where(outside, 0.0, cc)
    start = np.floor(cc if order & 1 else cc + 0.5) - order // 2
    taps = start[None] + np.arange(order + 1)[:, None]
    is_cval = np.zeros(taps.shape, bool)
    if mode == "grid-constant":
        is_cval = (taps < 0) | (taps >= n)
        taps = np.where(is_cval, 0.0, taps)
    else:
        edge = (taps < 0) | (taps > n - 1)
        taps = np.where(edge, _map_coordinate(taps, n, TAP_MODE[mode]), taps)
    weights = _spline_weights(cc, order)
    return taps.astype(np.int64), is_cval, weights, outside, nan_point


def map_coordinates(c, coordinates, out, orders, mode, cval, pads):
    cd = np.asarray(c, np.float64)
    N, C = cd.shape[:2]
    sizes = cd.shape[2:]
    k = len(sizes)
    coords = np.asarray(coordinates, np.float64).reshape(k, -1)
    P = coords.shape[1]
    cval = float(cval)
    axes = [_axis(coords[a], sizes[a], orders[a], mode, pads[a]) for a in range(k)]
    total = np.zeros((N, C, P))
    # the taps in lexicographic order (last axis fastest); each value is multiplied by
    # the weights of axes 0, 1, ... in turn (not at order 0: one tap of weight one)
    # and added to the running sum
    for tap in np.ndindex(*(o + 1 for o in orders)):
        index = tuple(axes[a][0][tap[a]] for a in range(k))
        value = cd[(slice(None), slice(None)) + index]          # (N, C, P)
        is_cval = np.zeros(P, bool)
        for a in range(k):
            is_cval |= axes[a][1][tap[a]]
        value = np.where(is_cval, cval, value)
        for a in range(k):
            if orders[a] > 0:
                value = value * axes[a][2][tap[a]]
        total = total + value
    outside = np.zeros(P, bool)
    nan_point = np.zeros(P, bool)
    for a in range(k):
        outside |= axes[a][3]
        nan_point |= axes[a][4]
    total = np.where(outside, cval, total)
    total = np.where(nan_point, np.nan, total)
    out[...] = total.reshape(out.shape)
