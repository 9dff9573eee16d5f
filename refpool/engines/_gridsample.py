"""The per-point arithmetic of :func:`refpool.grid_sample`, written once for the CPU
and CUDA engines.

Every function here is plain Python on scalars, made callable from Numba code
(``njit`` and ``numba.cuda``) by ``register_jitable``: the CPU kernel and the CUDA
kernel call the same :func:`sample`, so the two compiled engines cannot drift apart.
The reference engine (:mod:`refpool.engines.reference.sampling`) is written
independently, vectorised in NumPy, and the tests compare the three.

Codes: ``mode`` 0 bilinear, 1 nearest, 2 bicubic; ``padding`` 0 zeros, 1 border,
2 reflection.  All arithmetic is float64, in the order of the formulas of
:mod:`refpool.sampling`.
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

#: the bicubic convolution constant (torch's and OpenCV's)
CUBIC_A = -0.75

#: a coordinate beyond this (or not finite) is moved to -100 (outside every input),
#: as torch's ``safe_downgrade_to_int_range``
INT_LIMIT_HIGH = 2147483646.0
INT_LIMIT_LOW = -2147483648.0


@register_jitable
def floor(c):
    """``floor(c)`` of a finite float64, as a float64, without an integer overflow
    (every float64 at or beyond 2**52 in magnitude is already an integer)."""
    if math.fabs(c) >= 4503599627370496.0:
        return c
    t = float(int(c))          # truncation towards zero
    if t > c:
        t -= 1.0
    return t


@register_jitable
def round_half_even(c):
    """``nearbyint(c)`` in the default rounding mode: halves to even."""
    f = floor(c)
    d = c - f
    if d > 0.5:
        return f + 1.0
    if d == 0.5 and f % 2.0 != 0.0:        # f odd (Python's % : 1.0 for odd negatives too)
        return f + 1.0
    return f


@register_jitable
def unnormalize(c, size, align):
    """A normalised coordinate in [-1, 1] as a pixel coordinate along an axis of
    ``size`` pixels."""
    if align:
        return (c + 1.0) / 2.0 * (size - 1)
    return ((c + 1.0) * size - 1.0) / 2.0


@register_jitable
def clip(c, size):
    """``min(size - 1, max(c, 0))`` with C++'s ``std::min``/``std::max``: a NaN
    ``c`` survives ``max`` and loses to ``min``, so it becomes ``size - 1``."""
    if c < 0.0:
        c = 0.0
    if c < size - 1.0:
        return c
    return size - 1.0


@register_jitable
def reflect(c, twice_low, twice_high):
    """``c`` reflected into ``[twice_low / 2, twice_high / 2]`` (NaN stays NaN)."""
    if twice_low == twice_high:
        return 0.0
    if c != c:
        return c
    low = twice_low / 2.0
    span = (twice_high - twice_low) / 2.0
    c = math.fabs(c - low)
    if c == math.inf:
        return math.nan
    extra = c % span                   # c >= 0, span > 0: exactly C's fmod
    flips = floor(c / span)
    if flips % 2.0 == 0.0:
        return extra + low
    return span - extra + low


@register_jitable
def pad_coordinate(c, size, padding, align):
    """The padding rule applied to a pixel coordinate, then the int-range guard."""
    if padding == 1:
        c = clip(c, size)
    elif padding == 2:
        if align:
            c = reflect(c, 0.0, 2.0 * (size - 1))
        else:
            c = reflect(c, -1.0, 2.0 * size - 1.0)
        c = clip(c, size)
    if not (c <= INT_LIMIT_HIGH and c >= INT_LIMIT_LOW):
        return -100.0
    return c


@register_jitable
def read(x, n, ch, z, y, w):
    """``x[n, ch, z, y, w]`` as float64 for integral float coordinates inside the
    input, else 0."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    if z >= 0.0 and z < D and y >= 0.0 and y < H and w >= 0.0 and w < W:
        return float(x[n, ch, int(z), int(y), int(w)])
    return 0.0


@register_jitable
def read_padded(x, n, ch, y, w, padding, align):
    """A bicubic tap: the padding rule applied to the tap's own coordinates."""
    H, W = x.shape[3], x.shape[4]
    yy = floor(pad_coordinate(y, H, padding, align))
    ww = floor(pad_coordinate(w, W, padding, align))
    return read(x, n, ch, 0.0, yy, ww)


@register_jitable
def cubic_weights(t):
    """The four weights of taps ``-1, 0, 1, 2`` at fraction ``t`` (Keys, A = -0.75)."""
    a = CUBIC_A
    s = t + 1.0
    w0 = ((a * s - 5.0 * a) * s + 8.0 * a) * s - 4.0 * a
    w1 = ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
    u = 1.0 - t
    w2 = ((a + 2.0) * u - (a + 3.0)) * u * u + 1.0
    s = u + 1.0
    w3 = ((a * s - 5.0 * a) * s + 8.0 * a) * s - 4.0 * a
    return w0, w1, w2, w3


@register_jitable
def sample(x, n, ch, gx, gy, gz, three, mode, padding, align):
    """The value of plane ``(n, ch)`` of the 5-D ``x`` at normalised point
    ``(gx, gy, gz)`` (``gz`` ignored unless ``three``), as float64."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    if mode == 2:                                   # bicubic (2-D)
        ix = unnormalize(gx, W, align)
        iy = unnormalize(gy, H, align)
        if not (math.fabs(ix) < math.inf and math.fabs(iy) < math.inf):
            return math.nan
        x0 = floor(ix)
        y0 = floor(iy)
        wx0, wx1, wx2, wx3 = cubic_weights(ix - x0)
        wy0, wy1, wy2, wy3 = cubic_weights(iy - y0)
        total = 0.0
        for i in range(4):
            yy = y0 - 1.0 + i
            row = (wx0 * read_padded(x, n, ch, yy, x0 - 1.0, padding, align)
                   + wx1 * read_padded(x, n, ch, yy, x0, padding, align)
                   + wx2 * read_padded(x, n, ch, yy, x0 + 1.0, padding, align)
                   + wx3 * read_padded(x, n, ch, yy, x0 + 2.0, padding, align))
            if i == 0:
                total = wy0 * row
            elif i == 1:
                total += wy1 * row
            elif i == 2:
                total += wy2 * row
            else:
                total += wy3 * row
        return total
    ix = pad_coordinate(unnormalize(gx, W, align), W, padding, align)
    iy = pad_coordinate(unnormalize(gy, H, align), H, padding, align)
    iz = 0.0
    if three:
        iz = pad_coordinate(unnormalize(gz, D, align), D, padding, align)
    if mode == 1:                                   # nearest
        return read(x, n, ch, round_half_even(iz), round_half_even(iy),
                    round_half_even(ix))
    x0 = floor(ix)
    y0 = floor(iy)
    fx1 = ix - x0
    fx0 = (x0 + 1.0) - ix
    fy1 = iy - y0
    fy0 = (y0 + 1.0) - iy
    total = 0.0
    if three:
        z0 = floor(iz)
        fz1 = iz - z0
        fz0 = (z0 + 1.0) - iz
        for dz in range(2):
            wz = fz0 if dz == 0 else fz1
            total += _corners(x, n, ch, z0 + dz, y0, x0, wz * fy0, wz * fy1, fx0, fx1)
    else:
        total = _corners(x, n, ch, 0.0, y0, x0, fy0, fy1, fx0, fx1)
    return total


@register_jitable
def _corners(x, n, ch, z, y0, x0, wy0, wy1, wx0, wx1):
    """The four bilinear terms of one z-plane, in torch's order (nw, ne, sw, se);
    a corner outside the input adds nothing."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    total = 0.0
    if z < 0.0 or z >= D:
        return total
    for dy in range(2):
        yy = y0 + dy
        wy = wy0 if dy == 0 else wy1
        if yy >= 0.0 and yy < H:
            for dx in range(2):
                xx = x0 + dx
                wx = wx0 if dx == 0 else wx1
                if xx >= 0.0 and xx < W:
                    total += float(x[n, ch, int(z), int(yy), int(xx)]) * (wy * wx)
    return total


@register_jitable
def corner(index, weight, k, z, y, x, w, D, H, W):
    """Tap ``k``: the flat index of integral point ``(z, y, x)`` or -1 outside."""
    if 0.0 <= z < D and 0.0 <= y < H and 0.0 <= x < W:
        index[k] = (int(z) * H + int(y)) * W + int(x)
    else:
        index[k] = -1
    weight[k] = w


@register_jitable
def point_taps(index, weight, gx, gy, gz, D, H, W, three, nearest, padding, align):
    """The taps of one bilinear (trilinear) or nearest point: flat indices into a
    ``(D, H, W)`` plane (``-1`` for a corner outside the input) and the weights
    :func:`sample` multiplies them by, in its order (torch's: nw, ne, sw, se; the z0
    plane before the z0 + 1 plane).  ``index`` and ``weight`` hold 1 (nearest), 4
    (2-D) or 8 (3-D) entries.  The CPU engine's table and the exactness rule read
    these."""
    ix = pad_coordinate(unnormalize(gx, W, align), W, padding, align)
    iy = pad_coordinate(unnormalize(gy, H, align), H, padding, align)
    iz = 0.0
    if three:
        iz = pad_coordinate(unnormalize(gz, D, align), D, padding, align)
    if nearest:
        corner(index, weight, 0, round_half_even(iz), round_half_even(iy),
                round_half_even(ix), 1.0, D, H, W)
        return
    x0 = floor(ix)
    y0 = floor(iy)
    fx1 = ix - x0
    fx0 = (x0 + 1.0) - ix
    fy1 = iy - y0
    fy0 = (y0 + 1.0) - iy
    z0 = 0.0
    fz0 = 1.0
    fz1 = 0.0
    if three:
        z0 = floor(iz)
        fz1 = iz - z0
        fz0 = (z0 + 1.0) - iz
    for dz in range(2 if three else 1):
        wz = fz0 if dz == 0 else fz1
        wy0 = wz * fy0 if three else fy0
        wy1 = wz * fy1 if three else fy1
        k = 4 * dz
        z = z0 + dz
        corner(index, weight, k, z, y0, x0, wy0 * fx0, D, H, W)
        corner(index, weight, k + 1, z, y0, x0 + 1.0, wy0 * fx1, D, H, W)
        corner(index, weight, k + 2, z, y0 + 1.0, x0, wy1 * fx0, D, H, W)
        corner(index, weight, k + 3, z, y0 + 1.0, x0 + 1.0, wy1 * fx1, D, H, W)


@register_jitable
def cubic_point_taps(index, weight, gx, gy, H, W, padding, align):
    """The 16 taps of one bicubic point (2-D), row by row, as :func:`fill_cubic` reads
    them: each tap's coordinates padded on their own.  Returns False when the point
    is not finite (the output is NaN whatever the input)."""
    ix = unnormalize(gx, W, align)
    iy = unnormalize(gy, H, align)
    if not (math.fabs(ix) < math.inf and math.fabs(iy) < math.inf):
        return False
    x0 = floor(ix)
    y0 = floor(iy)
    wx = cubic_weights(ix - x0)
    wy = cubic_weights(iy - y0)
    for i in range(4):
        yy = floor(pad_coordinate(y0 - 1.0 + i, H, padding, align))
        for j in range(4):
            xx = floor(pad_coordinate(x0 - 1.0 + j, W, padding, align))
            corner(index, weight, 4 * i + j, 0.0, yy, xx, wy[i] * wx[j], 1, H, W)
    return True


@register_jitable
def fill_cubic(x, out, n, p, gx, gy, padding, align):
    """``out[n, c, p]`` for every channel ``c`` of a bicubic (2-D) point:
    :func:`sample`'s values, with the coordinate work (unnormalisation, padding,
    taps, weights) done once per point rather than once per channel (the CPU
    engine's loop order; its bilinear, trilinear and nearest points go through
    :func:`point_taps` instead)."""
    C = out.shape[1]
    H, W = x.shape[3], x.shape[4]
    ix = unnormalize(gx, W, align)
    iy = unnormalize(gy, H, align)
    if not (math.fabs(ix) < math.inf and math.fabs(iy) < math.inf):
        for c in range(C):
            out[n, c, p] = math.nan
        return
    x0 = floor(ix)
    y0 = floor(iy)
    wx0, wx1, wx2, wx3 = cubic_weights(ix - x0)
    wy0, wy1, wy2, wy3 = cubic_weights(iy - y0)
    # the padded tap coordinates, once per point
    ya = floor(pad_coordinate(y0 - 1.0, H, padding, align))
    yb = floor(pad_coordinate(y0, H, padding, align))
    yc = floor(pad_coordinate(y0 + 1.0, H, padding, align))
    yd = floor(pad_coordinate(y0 + 2.0, H, padding, align))
    xa = floor(pad_coordinate(x0 - 1.0, W, padding, align))
    xb = floor(pad_coordinate(x0, W, padding, align))
    xc = floor(pad_coordinate(x0 + 1.0, W, padding, align))
    xd = floor(pad_coordinate(x0 + 2.0, W, padding, align))
    for c in range(C):
        total = 0.0
        for i in range(4):
            if i == 0:
                yy, wy = ya, wy0
            elif i == 1:
                yy, wy = yb, wy1
            elif i == 2:
                yy, wy = yc, wy2
            else:
                yy, wy = yd, wy3
            row = (wx0 * read(x, n, c, 0.0, yy, xa) + wx1 * read(x, n, c, 0.0, yy, xb)
                   + wx2 * read(x, n, c, 0.0, yy, xc) + wx3 * read(x, n, c, 0.0, yy, xd))
            if i == 0:
                total = wy * row
            else:
                total += wy * row
        out[n, c, p] = total
