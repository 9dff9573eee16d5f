"""The polyphase walk of :func:`refpool.upfirdn`, written once for the CPU and CUDA
engines.

Plain Python on scalars made callable from Numba code (``njit`` and ``numba.cuda``) by
``register_jitable``, as :mod:`refpool.engines._gridsample`: the CPU kernels and the
CUDA kernel call the same functions, so the compiled engines cannot drift apart.
Numba's kernel cache keys on the engine files: touch them after editing this one.
"""

from __future__ import annotations

from numba.extending import register_jitable


@register_jitable
def first_tap(o, s, p, u):
    """(first tap, its input index) of output ``o`` on an axis with down factor ``s``,
    padding before ``p`` and up factor ``u``: the upsampled position ``q = o s - p``
    meets real samples from tap ``t0 = max(-q, (-q) mod u)`` on, at input
    ``(q + t0) / u``, then every ``u`` taps on consecutive inputs."""
    q = o * s - p
    r = (-q) % u
    if r < 0:                  # keep the mathematical modulus whatever the target's rule
        r += u
    t0 = max(-q, r)
    return t0, (q + t0) // u


@register_jitable
def output_sum(x, g, n, c, od, oh, ow, ud, uh, uw, sd, sh, sw, pd, ph, pw):
    """The float64 sum of output ``(n, c, od, oh, ow)``: only the taps of the 3-D
    weights ``g`` that meet real samples of the 5-D input ``x``."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    TD, TH, TW = g.shape[0], g.shape[1], g.shape[2]
    td, i_d = first_tap(od, sd, pd, ud)
    th0, ih0 = first_tap(oh, sh, ph, uh)
    tw0, iw0 = first_tap(ow, sw, pw, uw)
    acc = 0.0
    while td < TD and i_d < D:
        th, ih = th0, ih0
        while th < TH and ih < H:
            tw, iw = tw0, iw0
            while tw < TW and iw < W:
                acc += g[td, th, tw] * x[n, c, i_d, ih, iw]
                tw += uw
                iw += 1
            th += uh
            ih += 1
        td += ud
        i_d += 1
    return acc


@register_jitable
def wrap(i, n):
    """``i mod n`` in ``[0, n)`` (pad_type="circular": the input read as periodic)."""
    r = i % n
    if r < 0:
        r += n
    return r


@register_jitable
def first_tap_circular(o, s, p, u):
    """(first tap, its unwrapped input index) of output ``o`` when the zero-inserted
    signal is periodic: every tap ``t`` with ``q + t`` a multiple of ``u`` meets a real
    sample, input ``(q + t) / u`` (any integer, read modulo the length)."""
    q = o * s - p
    r = (-q) % u
    if r < 0:
        r += u
    return r, (q + r) // u


@register_jitable
def output_sum_circular(x, g, n, c, od, oh, ow, ud, uh, uw, sd, sh, sw, pd, ph, pw):
    """:func:`output_sum` for pad_type="circular": the taps of ``g`` meeting the
    periodic zero-inserted signal, the input indices wrapped."""
    D, H, W = x.shape[2], x.shape[3], x.shape[4]
    TD, TH, TW = g.shape[0], g.shape[1], g.shape[2]
    td, i_d = first_tap_circular(od, sd, pd, ud)
    th0, ih0 = first_tap_circular(oh, sh, ph, uh)
    tw0, iw0 = first_tap_circular(ow, sw, pw, uw)
    acc = 0.0
    while td < TD:
        th, ih = th0, ih0
        jd = wrap(i_d, D)
        while th < TH:
            tw, iw = tw0, iw0
            jh = wrap(ih, H)
            while tw < TW:
                acc += g[td, th, tw] * x[n, c, jd, jh, wrap(iw, W)]
                tw += uw
                iw += 1
            th += uh
            ih += 1
        td += ud
        i_d += 1
    return acc
