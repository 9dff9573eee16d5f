"""Reference engine for windowed and adaptive pooling: plain NumPy, float64 inside.

Written to be read beside the formulas in :mod:`refpool.pooling`; speed is not a
goal.  Each function fills a preallocated output and rounds to its dtype once.
"""

from __future__ import annotations

import itertools

import numpy as np

# Markers in the window-position arrays built by `_window_positions`.
_PADDING = -1      # inside the padding
_OVERHANG = -2     # past the padded border (only reachable in ceil mode)


def _window_positions(n, k, s, p, d, o, after):
    """Input position read by tap ``t`` of window ``i`` along one axis, shape (o, k),
    with padding ``p`` before and ``after`` after the input.

    Entries outside the input are replaced by ``_PADDING`` (inside the padding)
    or ``_OVERHANG`` (past the right padding).
    """
    pos = np.arange(o)[:, None] * s - p + np.arange(k)[None, :] * d
    marked = pos.copy()
    marked[(pos < 0) | (pos >= n)] = _PADDING
    marked[pos >= n + after] = _OVERHANG
    return marked


def _gather_windows(x, spec):
    """Every window of ``x`` as a trailing axis, in row-major window order.

    Returns ``values`` of shape ``(N, C, *o, prod(k))`` (float64; out-of-input
    taps hold NaN and must be masked by the caller) and ``where`` of shape
    ``(*o, prod(k), ndim)`` with the per-axis input position of every tap (or a
    negative marker).
    """
    ndim = len(spec.input_size)
    per_axis = [_window_positions(n, k, s, p, d, o, a) for n, k, s, p, d, o, a in
                zip(spec.input_size, spec.kernel, spec.stride, spec.padding,
                    spec.dilation, spec.output_size, spec.after)]
    o_shape = spec.output_size
    taps = int(np.prod(spec.kernel))
    where = np.empty(o_shape + (taps, ndim), dtype=np.int64)
    for a, pos in enumerate(per_axis):
        # position along axis a of tap (t_0..t_{ndim-1}) of window (i_0..i_{ndim-1})
        full = np.broadcast_to(pos.reshape(_interleave(pos.shape, a, ndim)),
                               o_shape + spec.kernel)
        where[..., a] = full.reshape(o_shape + (taps,))
    inside = (where >= 0).all(axis=-1)
    safe = np.where(where >= 0, where, 0)
    values = x[(Ellipsis,) + tuple(safe[..., a] for a in range(ndim))].astype(np.float64)
    values[..., ~inside] = np.nan
    return values, where


def _interleave(pos_shape, axis, ndim):
    """Reshape target that puts a (o, k) array of axis ``axis`` into (*o, *k) layout."""
    shape = [1] * (2 * ndim)
    shape[axis] = pos_shape[0]
    shape[ndim + axis] = pos_shape[1]
    return shape


def _flat_index(where, input_size):
    """Row-major flat index into the unpadded spatial block (-1 for taps outside)."""
    inside = (where >= 0).all(axis=-1)
    flat = np.zeros(where.shape[:-1], dtype=np.int64)
    for a, n in enumerate(input_size):
        flat = flat * n + where[..., a]
    return np.where(inside, flat, -1)


def _canonical_nan(out):
    """Replace every NaN of ``out`` by the default NaN (positive, payload 0): the NaN
    that arithmetic operators write, in every engine (docs/numerics.rst), whatever
    sign and payload NumPy's operations gave it."""
    nan = np.isnan(out)
    if nan.any():
        out[nan] = np.nan


def _replaces(best, v):
    """Whether the candidate ``v`` _replaces the running choice ``best`` of a scan
    (elementwise): it is larger, or NaN, or ``+0`` against a ``-0``.  The selection
    rule of every max-type operator (docs/numerics.rst, "Signed zeros and NaN")."""
    return (v > best) | np.isnan(v) | ((v == best) & np.signbit(best) & ~np.signbit(v))


def _select_max(values, inside):
    """Value and window-position of the selected maximum along the last axis.

    Selection rule (PyTorch's scan, with ``+0`` above ``-0``): walk the window in
    row-major order from its first in-bounds tap, and move to a tap when it is
    larger than the current maximum, is NaN, or is ``+0`` where the current one is
    ``-0`` (:func:`_replaces`).  Hence: the last NaN if any; otherwise the first
    maximum, counting ``+0`` as larger than ``-0``, so that the value does not
    depend on the order of the window.
    """
    taps = values.shape[-1]
    isnan = np.isnan(values) & inside
    last_nan = taps - 1 - np.argmax(isnan[..., ::-1], axis=-1)
    scored = np.where(inside, values, -np.inf)
    scored = np.where(np.isnan(scored), -np.inf, scored)
    best = scored.max(axis=-1, keepdims=True)
    ties = inside & (scored == best)
    # equal maxima have equal bits except +0 and -0: a +0 among them wins
    positive = ties & ~np.signbit(scored)
    ties = np.where(positive.any(axis=-1, keepdims=True), positive, ties)
    first_max = np.argmax(ties, axis=-1)
    chosen = np.where(isnan.any(axis=-1), last_nan, first_max)
    picked = np.take_along_axis(values, chosen[..., None], axis=-1)[..., 0]
    empty = ~inside.any(axis=-1)
    return np.where(empty, -np.inf, picked), np.where(empty, -1, chosen)


def max_pool(x, out, spec):
    values, where = _gather_windows(x, spec)
    inside = (where >= 0).all(axis=-1)
    y, _ = _select_max(values, np.broadcast_to(inside, values.shape))
    out[...] = y


def max_pool_with_indices(x, out, indices, spec):
    values, where = _gather_windows(x, spec)
    inside = (where >= 0).all(axis=-1)
    y, chosen = _select_max(values, np.broadcast_to(inside, values.shape))
    flat = _flat_index(where, spec.input_size)                     # (*o, taps)
    flat = np.broadcast_to(flat, values.shape)
    out[...] = y
    picked = np.take_along_axis(flat, np.maximum(chosen, 0)[..., None], axis=-1)[..., 0]
    indices[...] = np.where(chosen < 0, -1, picked)


def avg_pool(x, out, spec, count_include_pad, divisor_override):
    values, where = _gather_windows(x, spec)
    inside = (where >= 0).all(axis=-1)
    within_padded = (where != _OVERHANG).all(axis=-1)
    with np.errstate(invalid="ignore"):     # inf + -inf is NaN, as it should be
        total = np.where(inside, values, 0.0).sum(axis=-1)
    if divisor_override is not None:
        divisor = float(divisor_override)
    elif count_include_pad:
        divisor = within_padded.sum(axis=-1)        # padding counts, overhang does not
    else:
        divisor = inside.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):    # 0/0: a window of padding
        out[...] = total / divisor
    _canonical_nan(out)


def lp_pool(x, out, spec):
    """:math:`(\\mathrm{scale} \\cdot \\sum_{t} v_t^p)^{1/p}` over the in-bounds taps,
    :math:`v = |x|` (ONNX) or :math:`x` (PyTorch), float64 throughout."""
    window = spec.window
    values, where = _gather_windows(x, window)
    inside = (where >= 0).all(axis=-1)
    ndim = len(window.output_size)
    scale = np.ones(window.output_size)
    for b, f in enumerate(spec.scale_factors()):     # the outer product of the factors
        scale = scale * f.reshape([-1 if a == b else 1 for a in range(ndim)])
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        lifted = np.power(np.abs(values) if spec.absolute else values, spec.norm_type)
        total = np.where(inside, lifted, 0.0).sum(axis=-1)
        out[...] = np.power(total * scale, 1.0 / spec.norm_type)
    _canonical_nan(out)


def _adaptive_windows(input_size, output_size):
    """Iterate over (output index, tuple of slices) of the adaptive windows."""
    ranges = []
    for n, o in zip(input_size, output_size):
        ranges.append([slice((i * n) // o, -((-(i + 1) * n) // o)) for i in range(o)])
    for index in itertools.product(*(range(o) for o in output_size)):
        yield index, tuple(r[i] for r, i in zip(ranges, index))


def adaptive_avg_pool(x, out):
    spatial = x.shape[2:]
    result = np.empty(out.shape, dtype=np.float64)
    for index, window in _adaptive_windows(spatial, out.shape[2:]):
        block = x[(Ellipsis,) + window].astype(np.float64)
        with np.errstate(invalid="ignore"):
            result[(Ellipsis,) + index] = block.reshape(block.shape[:2] + (-1,)).mean(axis=-1)
    out[...] = result
    _canonical_nan(out)


def _adaptive_max(x, out, indices):
    spatial = x.shape[2:]
    flat_positions = np.arange(int(np.prod(spatial))).reshape(spatial)
    result = np.empty(out.shape, dtype=np.float64)
    chosen_flat = np.empty(out.shape, dtype=np.int64)
    for index, window in _adaptive_windows(spatial, out.shape[2:]):
        block = x[(Ellipsis,) + window].astype(np.float64)
        block = block.reshape(block.shape[:2] + (-1,))
        y, chosen = _select_max(block, np.ones(block.shape, dtype=bool))
        result[(Ellipsis,) + index] = y
        chosen_flat[(Ellipsis,) + index] = flat_positions[window].reshape(-1)[chosen]
    out[...] = result
    if indices is not None:
        indices[...] = chosen_flat


def adaptive_max_pool(x, out):
    _adaptive_max(x, out, None)


def adaptive_max_pool_with_indices(x, out, indices):
    _adaptive_max(x, out, indices)


# --------------------------------------------------------------------------- fractional
def _fractional_gather(x, spec):
    """Every window of a fractional max pooling as a trailing axis, in row-major
    window order: ``values`` (float64) and ``flat`` (the row-major flat index of every
    tap into the spatial block), both of shape ``(N, C, *o, prod(k))``.

    Window ``i`` of axis ``b`` in plane ``(n, c)`` reads the positions
    ``starts[b][n, c, i] + t``, ``0 <= t < k_b`` (``spec.starts``, PyTorch's interval
    rule, :func:`refpool._geometry.fractional_starts`); the windows lie inside the
    input, so no tap is masked.
    """
    N, C = x.shape[:2]
    nd = len(spec.kernel)
    full = (N, C) + tuple(spec.output_size) + tuple(spec.kernel)

    def place(a, axis):          # an array varying along one axis of `full`
        shape = [1] * len(full)
        shape[axis] = full[axis]
        return a.reshape(shape)

    index = [place(np.arange(N), 0), place(np.arange(C), 1)]
    flat = np.zeros((), dtype=np.int64)
    for b in range(nd):
        # (N, C, o_b, k_b): the input position of tap t of window i of every plane
        pos = spec.starts[b][..., None] + np.arange(spec.kernel[b])
        shape = [N, C] + [1] * (2 * nd)
        shape[2 + b] = spec.output_size[b]
        shape[2 + nd + b] = spec.kernel[b]
        pos = pos.reshape(shape)
        index.append(pos)
        flat = flat * spec.input_size[b] + pos
    taps = int(np.prod(spec.kernel))
    values = x[tuple(index)].astype(np.float64).reshape(full[:2 + nd] + (taps,))
    flat = np.broadcast_to(flat, full).reshape(full[:2 + nd] + (taps,))
    return values, flat


def fractional_max_pool(x, out, spec):
    values, _ = _fractional_gather(x, spec)
    y, _ = _select_max(values, np.ones(values.shape, dtype=bool))
    out[...] = y


def fractional_max_pool_with_indices(x, out, indices, spec):
    values, flat = _fractional_gather(x, spec)
    y, chosen = _select_max(values, np.ones(values.shape, dtype=bool))
    out[...] = y
    indices[...] = np.take_along_axis(flat, chosen[..., None], axis=-1)[..., 0]
