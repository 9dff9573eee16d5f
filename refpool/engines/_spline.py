"""The per-line prefilter and per-point arithmetic of :func:`refpool.map_coordinates`,
written once for the CPU and CUDA engines.

Every function here is plain Python on scalars and arrays, made callable from Numba
code (``njit`` and ``numba.cuda``) by ``register_jitable``: the CPU and CUDA kernels
call the same functions, so the two compiled engines cannot drift apart.  The
reference engine (:mod:`refpool.engines.reference.spline`) is written independently,
vectorised in NumPy, and the tests compare the three.

Arrays are seen as 5-D ``(N, C, D, H, W)``; a spatial axis is named 0, 1, 2 (D, H,
W).  Mode codes: :data:`MODE_CODES`; prefilter boundaries: :data:`BOUNDARY_CODES`.
All arithmetic is float64, in the order of scipy's ``ni_interpolation.c`` and
``ni_splines.c`` (the tests compare bitwise where scipy is right).
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

MODE_CODES = {"nearest": 0, "wrap": 1, "reflect": 2, "grid-mirror": 2, "mirror": 3,
              "constant": 4, "grid-wrap": 5, "grid-constant": 6}
#: the prefilter's initial values per mode: 0 mirror, 1 reflect, 2 wrap
BOUNDARY_CODES = {"nearest": 1, "reflect": 1, "grid-mirror": 1, "mirror": 0,
                  "constant": 0, "grid-constant": 0, "wrap": 0, "grid-wrap": 2}

NEAREST, WRAP, REFLECT, MIRROR, CONSTANT, GRID_WRAP, GRID_CONSTANT = 0, 1, 2, 3, 4, 5, 6

#: beyond this magnitude a float64 is an integer; such coordinates count as infinite
HUGE = 4503599627370496.0

#: the most taps per axis (order 5)
MAX_TAPS = 6


# =========================================================================== prefilter
@register_jitable
def _pole(order, i):
    if order == 2:
        return -0.171572875253809902396622551580603843
    if order == 3:
        return -0.267949192431122706472553658494127633
    if order == 4:
        if i == 0:
            return -0.361341225900220177092212841325675255
        return -0.013725429297339121360331226939128204
    if i == 0:
        return -0.430575347099973791851434783493520110
    return -0.043096288203264653822712376822550182


@register_jitable
def _at(axis, u, v, i):
    """(d, h, w) of sample ``i`` of the line along ``axis`` through ``(u, v)`` (the
    other two spatial indices, in order)."""
    if axis == 0:
        return i, u, v
    if axis == 1:
        return u, i, v
    return u, v, i


@register_jitable
def _get(buf, n, ch, axis, u, v, i):
    d, h, w = _at(axis, u, v, i)
    return buf[n, ch, d, h, w]


@register_jitable
def _set(buf, n, ch, axis, u, v, i, value):
    d, h, w = _at(axis, u, v, i)
    buf[n, ch, d, h, w] = value


@register_jitable
def filter_line(buf, n, ch, axis, u, v, length, order, boundary):
    """The B-spline prefilter of one line of the float64 5-D ``buf``, in place."""
    if length <= 1 or order < 2:
        return
    npoles = order // 2
    gain = 1.0
    for k in range(npoles):
        z = _pole(order, k)
        gain *= (1.0 - z) * (1.0 - 1.0 / z)
    for i in range(length):
        _set(buf, n, ch, axis, u, v, i, _get(buf, n, ch, axis, u, v, i) * gain)
    last = length - 1
    for k in range(npoles):
        z = _pole(order, k)
        # causal initial value
        c0 = _get(buf, n, ch, axis, u, v, 0)
        if boundary == 0:                                    # whole-sample mirror
            zn1 = math.pow(z, float(last))
            s = c0 + zn1 * _get(buf, n, ch, axis, u, v, last)
            zi = z
            for i in range(1, last):
                s += zi * (_get(buf, n, ch, axis, u, v, i)
                           + zn1 * _get(buf, n, ch, axis, u, v, last - i))
                zi *= z
            s = s / (1.0 - zn1 * zn1)
        elif boundary == 1:                                  # half-sample reflect
            zn = math.pow(z, float(length))
            s = c0 + zn * _get(buf, n, ch, axis, u, v, last)
            zi = z
            for i in range(1, length):
                s += zi * (_get(buf, n, ch, axis, u, v, i)
                           + zn * _get(buf, n, ch, axis, u, v, last - i))
                zi *= z
            s = s * (z / (1.0 - zn * zn)) + c0
        else:                                                # periodic
            s = c0
            zi = z
            for i in range(1, length):
                s += zi * _get(buf, n, ch, axis, u, v, length - i)
                zi *= z
            s = s / (1.0 - zi)
        _set(buf, n, ch, axis, u, v, 0, s)
        prev = s
        for i in range(1, length):
            prev = _get(buf, n, ch, axis, u, v, i) + z * prev
            _set(buf, n, ch, axis, u, v, i, prev)
        # anti-causal initial value
        cl = prev
        if boundary == 0:
            s = (z * _get(buf, n, ch, axis, u, v, last - 1) + cl) * z / (z * z - 1.0)
        elif boundary == 1:
            s = cl * (z / (z - 1.0))
        else:
            s = cl
            zi = z
            for i in range(last):
                s += zi * _get(buf, n, ch, axis, u, v, i)
                zi *= z
            s = s * (z / (zi - 1.0))
        _set(buf, n, ch, axis, u, v, last, s)
        nxt = s
        for i in range(last - 1, -1, -1):
            nxt = z * (nxt - _get(buf, n, ch, axis, u, v, i))
            _set(buf, n, ch, axis, u, v, i, nxt)


@register_jitable
def line_of(t, shape, axis):
    """The ``t``-th line along spatial ``axis`` of a 5-D ``shape``: ``(n, ch, u,
    v)``."""
    N, C, D, H, W = shape
    if axis == 0:
        U, V = H, W
    elif axis == 1:
        U, V = D, W
    else:
        U, V = D, H
    v = t % V
    t //= V
    u = t % U
    t //= U
    ch = t % C
    n = t // C
    return n, ch, u, v


@register_jitable
def padded_value(x, n, ch, d, h, w, pd, ph, pw, nearest, cval):
    """Sample ``(d, h, w)`` of ``x`` extended by ``(pd, ph, pw)`` samples per side:
    the edge sample (``nearest``) or ``cval`` beyond it."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    d -= pd
    h -= ph
    w -= pw
    if nearest:
        d = min(max(d, 0), D - 1)
        h = min(max(h, 0), H - 1)
        w = min(max(w, 0), W - 1)
    elif d < 0 or d >= D or h < 0 or h >= H or w < 0 or w >= W:
        return cval
    return float(x[n, ch, d, h, w])


# =========================================================================== sampling
@register_jitable
def floor(c):
    """``floor`` of a float64 of magnitude below 2**52 (callers guarantee it)."""
    t = float(int(c))
    if t > c:
        t -= 1.0
    return t


@register_jitable
def trunc(c):
    return float(int(c))


@register_jitable
def map_coordinate(c, n, mode):
    """scipy's ``map_coordinate``: a coordinate outside ``[0, n - 1]`` moved back by
    the mode (``constant``: -1, i.e. outside)."""
    if c < 0.0:
        if mode == NEAREST:
            return 0.0
        if mode == CONSTANT:
            return -1.0
        if n <= 1:
            return 0.0
        if mode == MIRROR:
            s = 2.0 * n - 2.0
            c = s * trunc(-c / s) + c
            return c + s if c <= 1.0 - n else -c
        if mode == REFLECT:
            s = 2.0 * n
            if c < -s:
                c = s * trunc(-c / s) + c
            if c < -n:
                return c + s
            return (1e-15 if c > -1e-15 else -c) - 1.0
        if mode == WRAP:
            s = n - 1.0
            return c + s * (trunc(-c / s) + 1.0)
        if mode == GRID_WRAP:
            return c + n * (trunc((-1.0 - c) / n) + 1.0)
        return c
    if c > n - 1.0:
        if mode == NEAREST:
            return n - 1.0
        if mode == CONSTANT:
            return -1.0
        if n <= 1:
            return 0.0
        if mode == MIRROR:
            s = 2.0 * n - 2.0
            c -= s * trunc(c / s)
            return s - c if c >= n else c
        if mode == REFLECT:
            s = 2.0 * n
            c -= s * trunc(c / s)
            return s - c - 1.0 if c >= n else c
        if mode == WRAP:
            s = n - 1.0
            return c - s * trunc(c / s)
        if mode == GRID_WRAP:
            return c - n * trunc(c / n)
    return c


@register_jitable
def tap_mode(mode):
    """How a tap index outside the input is moved back: constant and wrap use the
    mirror (their prefilter's boundary)."""
    if mode == CONSTANT or mode == WRAP:
        return MIRROR
    return mode


@register_jitable
def spline_weights(x, order, w, row):
    """The ``order + 1`` weights of the taps at ``x`` into ``w[row, :order + 1]``."""
    x -= floor(x if order & 1 else x + 0.5)
    y = x
    z = 1.0 - x
    if order == 1:
        w[row, 0] = 1.0 - x
    elif order == 2:
        w[row, 1] = 0.75 - x * x
        y = 0.5 - x
        w[row, 0] = 0.5 * y * y
    elif order == 3:
        w[row, 1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0
        w[row, 2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
        w[row, 0] = z * z * z / 6.0
    elif order == 4:
        t = x * x
        w[row, 2] = t * (t * 0.25 - 0.625) + 115.0 / 192.0
        y = 1.0 + x
        w[row, 1] = y * (y * (y * (5.0 - y) / 6.0 - 1.25) + 5.0 / 24.0) + 55.0 / 96.0
        w[row, 3] = z * (z * (z * (5.0 - z) / 6.0 - 1.25) + 5.0 / 24.0) + 55.0 / 96.0
        y = 0.5 - x
        t = y * y
        w[row, 0] = t * t / 24.0
    elif order == 5:
        t = y * y
        w[row, 2] = t * (t * (0.25 - y / 12.0) - 0.5) + 0.55
        t = z * z
        w[row, 3] = t * (t * (0.25 - z / 12.0) - 0.5) + 0.55
        y += 1.0
        w[row, 1] = y * (y * (y * (y * (y / 24.0 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425
        z += 1.0
        w[row, 4] = z * (z * (z * (z * (z / 24.0 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425
        y = 1.0 - x
        t = y * y
        w[row, 0] = y * t * t / 120.0
    last = 1.0
    for i in range(order):
        last -= w[row, i]
    w[row, order] = last


@register_jitable
def axis_taps(coord, n, order, mode, npad, taps, flags, w, row):
    """One axis of one point: tap indices ``taps[row]``, cval flags ``flags[row]``
    (grid-constant) and weights ``w[row]``.  Returns 0, or 1 when the point is
    ``cval`` outright, 2 when it is NaN."""
    if mode == NEAREST or mode == GRID_CONSTANT:
        if coord != coord:
            return 2
        cc = min(max(coord, -HUGE), HUGE) + npad
    else:
        if not (math.fabs(coord) < HUGE):
            return 1
        cc = map_coordinate(coord + npad, n, mode)
        if not (cc > -1.0):
            return 1
    if order & 1:
        start = floor(cc) - order // 2
    else:
        start = floor(cc + 0.5) - order // 2
    tmode = tap_mode(mode)
    for ll in range(order + 1):
        idx = start + ll
        flag = 0
        if idx < 0.0 or idx > n - 1.0:
            if mode == GRID_CONSTANT:
                flag = 1
                idx = 0.0
            else:
                idx = map_coordinate(idx, n, tmode)
        taps[row, ll] = int(idx)
        flags[row, ll] = flag
    spline_weights(cc, order, w, row)
    return 0


@register_jitable
def point_taps(coords, p, k, shape, orders, mode, pads, taps, flags, w):
    """Every axis of point ``p`` (``coords`` is ``(k, P)``, ``shape`` the 5-D shape of
    the coefficients, ``orders`` and ``pads`` per axis of the 5-D view); axes 0 ..
    2 - k of the view are unit axes with one tap.  Returns the status of
    :func:`axis_taps` (1 wins over 2: scipy stops at the first outside axis)."""
    status = 0
    for a in range(3):
        if a < 3 - k:
            taps[a, 0] = 0
            flags[a, 0] = 0
            w[a, 0] = 1.0
            continue
        s = axis_taps(coords[a - (3 - k), p], shape[2 + a], orders[a], mode,
                      float(pads[a]), taps, flags, w, a)
        if s == 1:
            return 1
        if s == 2:
            status = 2
    return status


@register_jitable
def interpolate(c, n, ch, orders, taps, flags, w, cval):
    """The spline sum of ``c[n, ch]`` over the taps of one point: values (or cval)
    times the weights of axes 0, 1, 2 in turn (an axis of order 0 has weight one and
    is skipped, as scipy skips every axis at order 0), added in lexicographic tap
    order."""
    m0 = orders[0] + 1
    m1 = orders[1] + 1
    m2 = orders[2] + 1
    t = 0.0
    for i in range(m0):
        for j in range(m1):
            for l in range(m2):
                if flags[0, i] or flags[1, j] or flags[2, l]:
                    coeff = cval
                else:
                    coeff = float(c[n, ch, taps[0, i], taps[1, j], taps[2, l]])
                if orders[0] > 0:
                    coeff *= w[0, i]
                if orders[1] > 0:
                    coeff *= w[1, j]
                if orders[2] > 0:
                    coeff *= w[2, l]
                t += coeff
    return t
