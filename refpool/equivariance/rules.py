"""Exactness predicates: under which grid symmetries is an operator exactly equivariant?

Every spatial operator of refpool is *separable in structure*: along each
spatial axis, output position ``i`` is a fixed combination of input positions —
a window (max, select) or a weighted sum (averages, blurs, interpolation) — and
the n-D operator is the product of its axes.  A grid symmetry ``g`` maps output
axis ``b`` to input axis ``a = perm[b]``, possibly reversed.  The operator
commutes with ``g`` exactly when, for every output axis ``b``,

* the 1-D structure that the operator applies along axis ``b`` (with axis
  ``b``'s arguments) to a line of length ``n_a`` equals the structure it applies
  along axis ``a`` (with axis ``a``'s arguments) to the same line — this is where
  "equal arguments on swapped axes" comes from; and
* if ``g`` reverses the axis, that structure is its own mirror image:
  window ``i`` reflected (``q -> n_a - 1 - q``, weights kept) is window
  ``o - 1 - i`` — the "symmetric window grid" and "symmetric filter" conditions.

The per-axis structures are built from the operator's documented geometry
(:mod:`refpool._geometry`), never by running the operator.  Weights are compared
with a relative tolerance of 1e-9, i.e. "equal in exact arithmetic": the
floating-point outputs then agree up to rounding (bitwise for max/select
operators, whose structures carry no weights).

Genericity: equality of structures is necessary and sufficient for equivariance
on *all* inputs, with one caveat for selection with indices: ties between equal
values (max pooling's indices, norm-max pooling's choice among equal norms)
follow the row-major scan, which a reflection reverses.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any, Callable, List, Sequence, Union

import numpy as np

from .. import _args, _geometry
from ..groups import GroupElement

WEIGHT_RTOL = 1e-9


# --------------------------------------------------------------------------- groups
def grid_group(ndim):
    """The group of exact grid symmetries for ``ndim`` spatial axes.

    1: :func:`refpool.groups.flip` (reversal of the axis); 2:
    ``dihedral(4)``; 3: ``octahedral(full=True)`` (48 signed axis permutations).
    """
    from .. import groups
    if ndim == 1:
        return groups.flip()
    if ndim == 2:
        return groups.dihedral(4)
    if ndim == 3:
        return groups.octahedral(full=True)
    raise ValueError(f"ndim must be 1, 2 or 3, got {ndim}")


def axis_action(g, ndim):
    """``(perm, reverse)`` of element ``g`` on ``ndim`` spatial axes."""
    perm, reverse = g.axis_permutation
    if ndim == 1:          # a 1-D line is the X axis of the plane
        return (0,), (bool(reverse[-1]),)
    return tuple(perm), tuple(bool(r) for r in reverse)


# --------------------------------------------------------------------------- structures
# A 1-D structure is a tuple over output positions of "windows"; a window is a
# tuple of (key, weight) pairs sorted by key, where a key is an input position
# or, for composite operators, a tuple of positions.

def _window(pairs):
    merged = {}
    for key, weight in pairs:
        merged[key] = merged.get(key, 0.0) + float(weight)
    return tuple(sorted(merged.items()))


def _mirror_key(key, n):
    if isinstance(key, tuple):
        return tuple(sorted(n - 1 - q for q in key))
    return n - 1 - key


def _mirror(structure, n):
    return tuple(_window((_mirror_key(k, n), w) for k, w in window)
                 for window in reversed(structure))


def _windows_equal(a, b):
    if len(a) != len(b):
        return False
    for (ka, wa), (kb, wb) in zip(a, b):
        if ka != kb or abs(wa - wb) > WEIGHT_RTOL * max(abs(wa), abs(wb), 1e-300):
            return False
    return True


def _structures_equal(a, b):
    return len(a) == len(b) and all(_windows_equal(x, y) for x, y in zip(a, b))


def _all_empty(structure):
    return all(len(w) == 0 for w in structure)


# --------------------------------------------------------------------------- per operator
# One rule per operator (the registry row of the operator names it).  A rule is
# built from the operator's arguments with the operator's validation, and gives
# the per-axis structure from the per-axis geometry of refpool._geometry; its
# ``condition`` states, in words, when the structures agree (shown by
# ``refpool ops`` and the documentation).

def _unweighted(windows):
    return tuple(_window((q, 1.0) for q in w) for w in windows)


def _averaged(windows):
    return tuple(_window((q, 1.0 / len(w)) for q in w) for w in windows)


class Rule:
    """Per-axis structure of one operator call: ``axis(b, n, shape)`` is the
    structure the operator applies along spatial axis ``b`` (with that axis's
    arguments) to a line of length ``n``, when the whole spatial input shape is
    ``shape``; None when the operator refuses such a line."""

    #: keywords the rule takes besides the operator's own
    extra_keywords = ()
    #: the exactness condition, in words
    condition = ""

    def axis(self, b, n, shape):  # pragma: no cover - interface
        raise NotImplementedError

    #: the ``field_type=`` the operator was given (checked against the channels)
    field_type = None

    def output_spatial(self, shape):
        """The output's spatial shape for the spatial input ``shape``: one structure
        entry per output position along each axis (the operator's own output-size
        rule, read off its geometry); ValueError where the operator refuses a line."""
        shape = tuple(int(n) for n in shape)
        out = []
        for b, n in enumerate(shape):
            structure = self.axis(b, n, shape)
            if structure is None:
                raise ValueError(f"spatial axis {b} of length {n} is refused for "
                                 f"input shape {shape}")
            out.append(len(structure))
        return tuple(out)

    def output_channels(self, channels):
        """The output's channel count for ``channels`` input channels (checked
        against ``field_type.size`` when the operator was given one)."""
        size = getattr(self.field_type, "size", None)
        if size is not None and size != channels:
            raise ValueError(f"x has {channels} channels but field_type has size {size}")
        return channels


def _window_line(spec, b, n, padding):
    """The :class:`~refpool._geometry.WindowAxis` of axis ``b`` of ``spec`` on a line of
    length ``n``: the padding of ``"same"``/``"same_lower"`` follows the length, the
    others do not."""
    line = spec.axis(b)._replace(n=n)
    if isinstance(padding, str) and padding in ("same", "same_lower"):
        before, after = _args.same_padding(n, line.kernel, line.stride, line.dilation,
                                           lower=padding == "same_lower")
        line = line._replace(padding=before, padding_after=after)
    return line


class MaxPoolRule(Rule):
    condition = ("per reversed axis: a mirror-symmetric window grid, (n + 2p - d(k-1) - 1) "
                 "mod s == 0 for an int padding p (with (before, after) pairs or 'same': "
                 "the grid of the padded line symmetric about its centre); per swapped "
                 "pair of axes: equal (k, s, p, d) (or window grids that coincide)")

    def __init__(self, shape, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False, return_indices=False, *, field_type=None):
        self.spec = _args.window_spec(shape, kernel_size, stride, padding, dilation,
                                      ceil_mode, padding_limit="dilated",
                                      general_padding=True)
        self.padding = padding
        self.field_type = field_type

    def axis(self, b, n, shape=None):
        return _unweighted(_window_line(self.spec, b, n, self.padding).windows())


class AvgPoolRule(Rule):
    condition = ("as max_pool; divisors follow the windows (count_include_pad and ceil "
                 "mode included)")

    def __init__(self, shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, dilation=1):
        self.spec = _args.window_spec(shape, kernel_size, stride, padding, dilation,
                                      ceil_mode, padding_limit="dilated",
                                      general_padding=True)
        self.padding = padding
        self.count_include_pad = _args.check_bool(count_include_pad, "count_include_pad")
        self.override = _args.check_divisor_override(divisor_override)

    def axis(self, b, n, shape=None):
        line = _window_line(self.spec, b, n, self.padding)
        factor = line.divisor_factors(self.count_include_pad)
        return tuple(_window((q, 1.0 if self.override is not None else 1.0 / f) for q in w)
                     for w, f in zip(line.windows(), factor.tolist()))


class LpPoolRule(Rule):
    condition = ("as avg_pool: a mirror-symmetric window grid (the scale factors of "
                 "variant='torch' follow the windows)")

    def __init__(self, shape, norm_type, kernel_size, stride=None, ceil_mode=False,
                 padding=0, dilation=1, *, variant="torch"):
        self.spec = _args.lp_pool_spec(shape, norm_type, kernel_size, stride, ceil_mode,
                                       padding, dilation, variant)
        self.padding = padding

    def axis(self, b, n, shape=None):
        line = _window_line(self.spec.window, b, n, self.padding)
        factor = _geometry.lp_axis_scale(line, self.spec.variant)
        return tuple(_window((q, f) for q in w)
                     for w, f in zip(line.windows(), factor.tolist()))


class AdaptiveRule(Rule):
    condition = "every reversal, every shape; swapped axes need equal output sizes"

    def __init__(self, shape, output_size, return_indices=False, *, field_type=None):
        self.requested = _args.per_axis(output_size, len(shape), "output_size",
                                        allow_none=True)
        _args.adaptive_output_size(shape, output_size)      # validation only
        self.field_type = field_type

    def axis(self, b, n, shape=None):
        o = n if self.requested[b] is None else self.requested[b]
        return _averaged(_geometry.AdaptiveAxis(n, o).windows())


class PointwiseRule(Rule):
    """Field operators acting on each pixel alone: every grid symmetry holds."""

    condition = "every grid symmetry, every shape (acts on each pixel alone)"

    def __init__(self, shape, field_type):
        self.field_type = field_type

    def axis(self, b, n, shape=None):
        return tuple(((q, 1.0),) for q in range(n))

    def output_channels(self, channels):
        """One invariant channel per field."""
        super().output_channels(channels)
        return len(self.field_type.representations)


class SubgroupPoolRule(PointwiseRule):
    """:func:`refpool.subgroup_pool`: pixelwise; every field becomes ``|H|`` channels."""

    def __init__(self, shape, field_type, subgroup, mode="max"):
        # the operator's own validation (field type, subgroup, mode), without x
        self.spec, _ = _args.subgroup_pool_spec(field_type, None, subgroup, mode)
        self.field_type = field_type

    def output_channels(self, channels):
        """One regular field of the subgroup per input field."""
        Rule.output_channels(self, channels)
        return self.spec.output_channels


class ChannelPoolRule(PointwiseRule):
    """:func:`refpool.max_pool_channels`: pixelwise; ``C // kernel_size`` channels."""

    def __init__(self, shape, kernel_size):
        # validated as the operator does, with a channel count every kernel_size divides
        _args.channel_pool_spec(0, kernel_size)
        self.kernel_size = int(kernel_size)
        self.field_type = None

    def output_channels(self, channels):
        """One channel per ``kernel_size`` consecutive channels (which must divide ``C``)."""
        return _args.channel_pool_spec(channels, self.kernel_size).output_channels


def _filter_structure(line, taps):
    """The structure of a :class:`~refpool._geometry.FilterAxis` with weights ``taps``."""
    return tuple(_window((q, taps[u]) for u, q in line.taps(i))
                 for i in range(line.output_length))


class AntialiasedAvgRule(Rule):
    condition = ("per reversed axis: (n + 2p - fs) mod s == 0 (the Gaussian is symmetric); "
                 "per swapped pair: equal stride and padding")

    def __init__(self, shape, sigma, stride, padding=None, pad_type="zero"):
        from ..kernels import _gaussian64
        sigma, self.spec = _args.antialiased_avg_spec(shape, sigma, stride, padding, pad_type)
        self.taps = _gaussian64(sigma, _args.AVG_TRUNCATE).tolist()

    def axis(self, b, n, shape=None):
        line = self.spec.axis(b)._replace(n=n)
        line = line._replace(after=line.before)
        return _filter_structure(line, self.taps)


class BlurPoolRule(Rule):
    condition = ("per reversed axis: a mirror-symmetric padded window grid: odd filt_size "
                 "with (n - 1 + 2 pad_off) mod s == 0, or even filt_size (asymmetric "
                 "padding, a half-pixel shift) with s >= 2 and (n - 2 + 2 pad_off) mod s "
                 "== 0; per swapped pair: equal arguments")

    def __init__(self, shape, filt_size=4, stride=2, pad_type="reflect", pad_off=0):
        from ..kernels import _binomial64
        self.spec = _args.blur_pool_spec(shape, filt_size, stride, pad_type, pad_off)
        self.taps = [_binomial64(f).tolist() for f in self.spec.size]

    def axis(self, b, n, shape=None):
        line = self.spec.axis(b)._replace(n=n)
        if line.mode == "reflect" and max(line.before, line.after) >= n:
            return None                       # the operator refuses this line
        return _filter_structure(line, self.taps[b])


class AntialiasedMaxRule(Rule):
    condition = ("per reversed axis: the dense max windows and the blur grid are both "
                 "mirror-symmetric (with the default blur padding: max_pool's condition); "
                 "per swapped pair: equal arguments")

    def __init__(self, shape, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False, sigma=0.6, blur_padding=None, *, pad_type="zero",
                 field_type=None):
        from ..kernels import _gaussian64
        self.field_type = field_type
        self.blur_padding = blur_padding
        self.pad_type = pad_type
        sigma, self.spec = _args.antialiased_max_spec(shape, kernel_size, stride, padding,
                                                      dilation, ceil_mode, sigma, blur_padding,
                                                      pad_type)
        self.sigma = sigma
        self.taps = _gaussian64(sigma, _args.MAX_TRUNCATE).tolist()

    def axis(self, b, n, shape=None):
        w = self.spec.window.axis(b)
        try:
            _, line = _args.antialiased_max_spec(
                (n,), w.kernel, w.stride, w.padding, w.dilation, w.ceil_mode, self.sigma,
                None if self.blur_padding is None else self.spec.blur.before[b], self.pad_type)
        except ValueError:
            return None
        # the dense max map: the windows of max pooling at stride 1
        dense = line.window.axis(0)._replace(stride=1, ceil_mode=False)
        blur = line.blur.axis(0)
        if blur.mode == "circular":
            # the periodic input: dense position j (any integer) reads x[(j - p + t d) mod n]
            w = line.window.axis(0)
            return tuple(_window((tuple(sorted({(j - w.padding + t * w.dilation) % n
                                                for t in range(w.kernel)})),
                                  self.taps[u])
                                 for u, j in ((u, i * blur.stride - blur.before + u)
                                              for u in range(blur.size)))
                         for i in range(line.blur.output_size[0]))
        dense_windows = [tuple(dense.positions(j)) for j in range(line.dense_size[0])]
        # (the output length is the spec's: ceil mode may drop the last output)
        return tuple(_window((dense_windows[j], self.taps[u]) for u, j in blur.taps(i))
                     for i in range(line.blur.output_size[0]))


class InterpolateRule(Rule):
    extra_keywords = ("dtype",)
    condition = ("per reversed axis: mirror-symmetric source coordinates and weights: for "
                 "the half-pixel modes r m = n (size given, recompute_scale_factor, or "
                 "n * scale an integer); align_corners=True unless the output has length "
                 "1 or antialias is on; nearest needs a symmetric index table (integer "
                 "scales up to 40 in float32); per swapped pair: equal output sizes and "
                 "scales")

    def __init__(self, shape, size=None, scale_factor=None, mode="nearest",
                 align_corners=None, recompute_scale_factor=None, antialias=False,
                 dtype="float64"):
        spec = _args.interpolation_spec(shape, size, scale_factor, mode, align_corners,
                                        recompute_scale_factor, antialias)
        nd = len(shape)
        self.mode = spec.mode
        self.align_corners = spec.align_corners
        self.antialias = spec.antialias
        self.dtype = np.dtype(dtype)
        self.size = None if size is None else _args.per_axis(size, nd, "size")
        if scale_factor is None:
            self.scale = (None,) * nd
        elif isinstance(scale_factor, (tuple, list)):
            self.scale = tuple(float(v) for v in scale_factor)
        else:
            self.scale = (float(scale_factor),) * nd
        self.coordinate_from_scale = (scale_factor is not None and not recompute_scale_factor
                                      and mode != "area")

    def _out_size(self, b, n):
        if self.size is not None:
            return self.size[b]
        return int(np.floor(float(n) * self.scale[b]))

    def axis(self, b, n, shape):
        m = self._out_size(b, n)
        if m < 1:
            return None
        out_shape = tuple(self._out_size(a, shape[a]) for a in range(len(shape)))
        if self.mode == "area":
            return _averaged(_geometry.AdaptiveAxis(n, m).windows())
        r = _geometry.coordinate_scale(n, m, self.scale[b] if self.coordinate_from_scale
                                       else None, self.align_corners)
        taps = _geometry.interpolation_taps(
            _geometry.INTERPOLATION_AXIS_RULE[self.mode], n, m, r, self.align_corners,
            self.antialias, self.dtype, _geometry.nearest_rule(self.mode, out_shape))
        return tuple(_window((int(q), float(w)) for q, w in zip(idx[:c], wts[:c]) if w != 0.0)
                     for idx, wts, c in zip(taps.index.tolist(), taps.weight.tolist(),
                                            taps.count.tolist()))


class ResampleRule(Rule):
    """:func:`refpool.resample`: per axis, the taps of
    :func:`refpool._geometry.resample_taps` (an extrapolated output is the constant
    window ``(((), 1.0),)``, which every mirror keeps)."""

    extra_keywords = ("dtype",)
    condition = ("per reversed axis: mirror-symmetric taps (read off resample_taps): "
                 "half_pixel, pytorch_half_pixel (m > 1), half_pixel_symmetric and "
                 "align_corners with scale m/n and no translation, every symmetric "
                 "filter; nearest only without rounding ties; asymmetric and "
                 "tf_half_pixel_for_nn in general not; a crop needs a centred roi; per "
                 "swapped pair: equal sizes, scales and arguments")

    def __init__(self, shape, size=None, scale=None, dtype="float64", **kwargs):
        self.size, self.scale, self.kwargs = size, scale, kwargs
        self.dtype = np.dtype(dtype)
        _args.resample_spec(shape, size, scale, **kwargs)       # validate once

    def axis(self, b, n, shape):
        shape = tuple(shape[:b]) + (n,) + tuple(shape[b + 1:])
        try:
            spec = _args.resample_spec(shape, self.size, self.scale, **self.kwargs)
        except ValueError:
            return None
        ax = spec.axes[b]
        taps = ax.taps(self.dtype)
        outside = ax.outside().tolist()
        return tuple(_window([((), 1.0)]) if out else
                     _window((int(q), float(w)) for q, w in zip(idx[:c], wts[:c]) if w != 0.0)
                     for idx, wts, c, out in zip(taps.index.tolist(), taps.weight.tolist(),
                                                 taps.count.tolist(), outside))


class NormMaxPoolRule(MaxPoolRule):
    condition = ("max_pool's window condition (spatial); orthogonal field representations "
                 "(fibre); ties between equal norms excepted")

    def __init__(self, shape, field_type, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False):
        super().__init__(shape, kernel_size, stride, padding, dilation, ceil_mode)
        self.field_type = field_type


class _BlockRule(Rule):
    """The shuffle family (:mod:`refpool.shuffle`): blocks of ``r^k`` channels and
    ``r x ... x r`` blocks of space trade places.

    Spatially, a shuffle's output ``p`` reads input ``p // r`` and an unshuffle's
    output ``i`` reads ``i*r .. i*r + r - 1`` (:class:`refpool.shuffle.ShuffleAxis`):
    both are mirror-symmetric on every line and the same on every axis, so every
    grid symmetry holds spatially.  A reversal also maps the sub-pixel offset
    ``j -> r - 1 - j`` and a transposition swaps the offsets of two axes, which
    moves elements between the channels of a block: the claim holds with that
    induced channel permutation (:meth:`channel_permutation`), on the input's
    channels for a shuffle and on the output's for an unshuffle (:attr:`side`).
    """

    condition = ("every grid symmetry, every shape, with the induced permutation of "
                 "the r^k sub-pixel channels of each block (refpool.equivariance.rules."
                 "induced_channel_permutation): g applied to the block's r x ... x r grid")
    #: pixel_shuffle/depth_to_space (True) or pixel_unshuffle/space_to_depth (False)
    up = True
    #: the channels the permutation acts on: the input's (shuffles) or the output's
    side = "input"

    def _setup(self, shape, factor, name, block_first):
        from ..shuffle import check_factor
        self.factor = check_factor(factor, name)
        self.block_first = bool(block_first)
        self.factor_name = name
        shape = _args.check_spatial_shape(shape)
        self.ndim = len(shape)
        if not self.up and any(n % self.factor for n in shape):
            raise ValueError(f"{name}={self.factor} must divide every spatial length, "
                             f"got spatial shape {shape}")

    def axis(self, b, n, shape=None):
        from ..shuffle import ShuffleAxis
        line = ShuffleAxis(n, self.factor, self.up)
        if not self.up and n % self.factor:
            return None                        # the operator refuses this line
        return _unweighted(line.positions(i) for i in range(line.output_length))

    def output_channels(self, channels):
        """``C / r^k`` for a shuffle (which needs ``r^k`` to divide ``C``), ``C r^k``
        for an unshuffle."""
        blocks = self.factor ** self.ndim
        if not self.up:
            return channels * blocks
        if channels % blocks:
            raise ValueError(f"{channels} channels are not divisible by "
                             f"{self.factor_name}**{self.ndim} = {blocks}")
        return channels // blocks

    def channel_permutation(self, g, ndim, channels):
        """The induced permutation :math:`P_g` of ``channels`` blocked channels
        (``C * r**ndim``: the input's for a shuffle, the output's for an unshuffle)
        as an index array ``p``: ``(P_g z)[:, i] = z[:, p[i]]``.

        Sub-pixel ``beta`` of channel ``c`` lives in channel ``c*R + beta`` (CRD) or
        ``beta*C + c`` (DCR); :math:`P_g` moves it to the block position where the
        grid transform ``g`` (:func:`axis_action`, as
        :meth:`refpool.FieldType.transform`) moves position ``beta`` of an
        ``r x ... x r`` array.
        """
        blocks = self.factor ** ndim
        if channels % blocks:
            raise ValueError(f"channels must be a multiple of r**ndim = {blocks}, got "
                             f"{channels}")
        perm, reverse = axis_action(g, ndim)
        grid = np.arange(blocks).reshape((self.factor,) * ndim).transpose(perm)
        moved = grid[tuple(slice(None, None, -1) if r else slice(None) for r in reverse)]
        within = moved.reshape(-1)                 # new block position -> old one
        c = channels // blocks
        if self.block_first:
            return (within[:, None] * c + np.arange(c)[None, :]).reshape(-1)
        return (np.arange(c)[:, None] * blocks + within[None, :]).reshape(-1)


class PixelShuffleRule(_BlockRule):
    def __init__(self, shape, upscale_factor):
        self._setup(shape, upscale_factor, "upscale_factor", False)


class PixelUnshuffleRule(_BlockRule):
    up = False
    side = "output"

    def __init__(self, shape, downscale_factor):
        self._setup(shape, downscale_factor, "downscale_factor", False)


class DepthToSpaceRule(_BlockRule):
    def __init__(self, shape, blocksize, mode="DCR"):
        from ..shuffle import check_mode
        self._setup(shape, blocksize, "blocksize", check_mode(mode))


class SpaceToDepthRule(_BlockRule):
    up = False
    side = "output"

    def __init__(self, shape, blocksize):
        self._setup(shape, blocksize, "blocksize", True)


class MaxUnpoolRule(Rule):
    """max_unpool (:mod:`refpool.unpooling`): a scatter whose indices are data.

    A grid symmetry moves the pair ``(x, indices)`` on the input grid and maps every
    index to the moved output position, so which input writes which output moves
    with the data: no output reads a fixed window.  The per-axis structure is the
    output length alone (``m`` empty windows, from :class:`refpool.unpooling.UnpoolAxis`):
    mirror-symmetric on every line, equal on two axes when their lengths are.  The
    ``indices`` keyword is accepted as the operator takes it; its values are not read.
    """

    condition = ("every reversal, every shape (the indices move with the grid); per "
                 "swapped pair: equal output lengths from either axis's arguments (equal "
                 "output_size entries, or equal (n-1)s - 2p + k); duplicate indices with "
                 "different values excepted (the last one wins, and a reversal reverses "
                 "the scan)")

    def __init__(self, shape, indices=None, kernel_size=None, stride=None, padding=0,
                 output_size=None, *, index_layout="torch"):
        from ..unpooling import check_index_layout, unpool_spec
        if kernel_size is None:
            raise TypeError("exact_symmetries: max_unpool needs kernel_size=")
        self.spec = unpool_spec(shape, kernel_size, stride, padding, output_size)
        check_index_layout(index_layout)

    def axis(self, b, n, shape=None):
        line = self.spec.axis(b)._replace(n=n)
        m = line.output_length
        if line.requested is not None and not line.accepts(m):
            return None                        # the operator refuses this line
        if m < 1:
            return None
        return tuple(() for _ in range(m))


class _RegionRule(Rule):
    """Region pooling (:mod:`refpool.region_pooling`): the boxes move with the grid.

    The question is ``op(T x, T boxes) == T op(x, boxes)``, with the boxes moved by
    :func:`refpool.region_pooling.transform_boxes` in the operator's convention
    (:attr:`index`): a reversal of an axis of ``n`` pixels maps a box coordinate
    ``c`` to ``C - c``, ``C = (n - 1)/s`` for pixel-index coordinates and ``n/s``
    for continuous ones; a transpose swaps x and y.  With fixed arguments a box is
    no per-axis structure, so the rule answers per element (:meth:`element_holds`,
    which :func:`_element_holds` defers to): for every box, the bins of the moved
    box along each output axis are compared with the mirror images of the box's
    bins, 2-D bin by 2-D bin, from the per-axis geometry of
    :mod:`refpool.engines.reference.region_pooling` evaluated in exact rational
    arithmetic (:class:`fractions.Fraction`), so a bin that is 0 whatever the input
    (all its samples outside the image) compares equal to any other such bin.
    """

    #: box coordinates are pixel indices (roi_pool, roi_align with aligned=False)
    index = True

    def _setup(self, op, shape, spec):
        from fractions import Fraction
        if len(shape) != 2:
            raise ValueError(f"{op} is 2-D: input_shape must have 2 spatial axes, got "
                             f"{tuple(shape)}")
        self.scale = Fraction(spec.spatial_scale)
        self.output_size = spec.output_size
        self.boxes = [((Fraction(float(y1)), Fraction(float(y2))),
                       (Fraction(float(x1)), Fraction(float(x2))))
                      for x1, y1, x2, y2 in spec.boxes.tolist()]
        self._cache = {}

    def axis(self, b, n, shape=None):
        raise NotImplementedError("region pooling moves its boxes with the grid: "
                                  "see element_holds")

    def _structure(self, c1, c2, o, n):
        key = (c1, c2, o, n)
        if key not in self._cache:
            self._cache[key] = self._bins(c1, c2, o, n)
        return self._cache[key]

    def element_holds(self, spatial, g):
        """Whether ``g`` commutes with the operator for every box (exact arithmetic)."""
        from fractions import Fraction
        perm, reverse = axis_action(g, 2)
        for corners in self.boxes:
            mine, theirs = [], []
            for b in (0, 1):
                a = perm[b]
                n = spatial[a]
                c1, c2 = corners[a]
                original = self._structure(c1, c2, self.output_size[a], n)
                if reverse[b]:
                    c = Fraction(n - 1 if self.index else n) / self.scale
                    c1, c2 = c - c2, c - c1
                    original = tuple(self._mirrored(w, n) for w in reversed(original))
                mine.append(self._structure(c1, c2, self.output_size[b], n))
                theirs.append(original)
            if len(mine[0]) != len(theirs[0]) or len(mine[1]) != len(theirs[1]):
                return False
            for i in range(len(mine[0])):
                for j in range(len(mine[1])):
                    if self._bin(mine[0][i], mine[1][j]) != self._bin(theirs[0][i],
                                                                      theirs[1][j]):
                        return False
        return True


class RoiPoolRule(_RegionRule):
    condition = ("boxes moved with the image (pixel-index coordinates: a reversal of an "
                 "axis of n pixels maps c to (n-1)/spatial_scale - c; a transpose swaps x "
                 "and y): per reversed axis, every box has rounded corners end >= start "
                 "and no scaled corner at a half-integer inside (0, n-1) (or only empty "
                 "bins); per swapped pair: equal output sizes; ties between equal values "
                 "(indices) excepted")

    def __init__(self, shape, boxes, output_size, spatial_scale=1.0, return_indices=False):
        from ..region_pooling import roi_spec
        spec = roi_spec(shape, boxes, output_size, spatial_scale)
        _args.check_bool(return_indices, "return_indices")
        self._setup("roi_pool", shape, spec)

    def _bins(self, c1, c2, o, n):
        from ..engines.reference.region_pooling import _pool_axis
        return tuple((lo, hi) if hi > lo else None
                     for lo, hi in _pool_axis(c1, c2, self.scale, o, n))

    @staticmethod
    def _mirrored(bin_, n):
        return None if bin_ is None else (n - bin_[1], n - bin_[0])

    @staticmethod
    def _bin(rows, cols):
        return None if rows is None or cols is None else (rows, cols)


class RoiAlignRule(_RegionRule):
    condition = ("boxes moved with the image (aligned=True: a reversal of an axis of n "
                 "pixels maps c to n/spatial_scale - c; aligned=False: to "
                 "(n-1)/spatial_scale - c; a transpose swaps x and y): aligned=True: every "
                 "reversal; aligned=False: per reversed axis, every box spans at least one "
                 "pixel, (c2 - c1) spatial_scale >= 1 (or reads outside the image only); "
                 "per swapped pair: equal output sizes")

    def __init__(self, shape, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1,
                 aligned=False, reduction="avg"):
        from ..region_pooling import check_reduction, roi_spec
        spec = roi_spec(shape, boxes, output_size, spatial_scale, None, sampling_ratio,
                        aligned)
        self.reduction = check_reduction(reduction)
        self.index = not spec.aligned
        self.sampling_ratio = spec.sampling_ratio
        self._setup("roi_align", shape, spec)

    def _bins(self, c1, c2, o, n):
        """Per bin: ``(g, windows)``, the sample windows (tuples of ``(pixel, weight)``,
        empty outside the image) of the bin's ``g`` samples."""
        from ..engines.reference.region_pooling import _align_axis
        g, taps = _align_axis(c1, c2, self.scale, o, n, self.sampling_ratio,
                              not self.index)
        return tuple((g, tuple(samples)) for samples in taps)

    @staticmethod
    def _mirrored(bin_, n):
        g, samples = bin_
        return g, tuple(tuple(sorted((n - 1 - q, w) for q, w in s)) for s in samples)

    def _bin(self, rows, cols):
        """A 2-D bin as what its value depends on: ``None`` for a bin that is 0 for
        every input, else (avg) the normalised per-axis marginals and the product of
        their totals, (max) the sets of sample windows and whether a sample is 0."""
        (gy, ys), (gx, xs) = rows, cols
        if self.reduction == "max":
            wy, wx = frozenset(s for s in ys if s), frozenset(s for s in xs if s)
            if not wy or not wx:
                return None
            return wy, wx, len(wy) < len(set(ys)) or len(wx) < len(set(xs))
        marginals = []
        for g, samples in ((gy, ys), (gx, xs)):
            weights = {}
            for s in samples:
                for q, w in s:
                    weights[q] = weights.get(q, 0) + w
            total = sum(weights.values())
            if total == 0:
                return None
            marginals.append((tuple(sorted((q, w / total) for q, w in weights.items())),
                              total / g))
        (my, ty), (mx, tx) = marginals
        return my, mx, ty * tx


# --------------------------------------------------------------------------- predicate
def _element_holds(rule, spatial, g):
    if hasattr(rule, "element_holds"):
        # rules whose arguments move with the grid (region pooling's boxes)
        return rule.element_holds(spatial, g)
    nd = len(spatial)
    perm, reverse = axis_action(g, nd)
    moved = tuple(spatial[perm[b]] for b in range(nd))
    mine, theirs = [], []
    for b in range(nd):
        a = perm[b]
        n = spatial[a]
        transformed = rule.axis(b, n, moved)          # op applied to the transformed input
        original = rule.axis(a, n, tuple(spatial))    # op applied to the input, then moved
        if transformed is None or original is None:
            return False
        if reverse[b]:
            original = _mirror(original, n)
        mine.append(transformed)
        theirs.append(original)
    if any(map(_all_empty, mine)) and any(map(_all_empty, theirs)):
        # an axis whose windows are all empty (padding only) empties every window of the
        # product, whichever axis it is: both outputs are constant (-inf for a maximum, 0
        # for a sum), so only the shapes must agree
        return all(len(m) == len(t) for m, t in zip(mine, theirs))
    return all(_structures_equal(m, t) for m, t in zip(mine, theirs))


def _check_keywords(operator, op_kwargs):
    """Bind the keywords as the operator itself would: a misspelt keyword would
    otherwise be ignored and answer another question, a missing one leak a rule's
    internals."""
    signature = inspect.signature(operator.function)
    accepted = [p for p in signature.parameters if p not in ("x", "engine", "out")]
    accepted += list(operator.rule.extra_keywords)
    unknown = sorted(set(op_kwargs) - set(accepted))
    if unknown:
        raise TypeError(f"exact_symmetries: {operator.name} takes no keyword "
                        f"{', '.join(map(repr, unknown))}; its keywords are "
                        f"{', '.join(accepted)}")
    own = {k: v for k, v in op_kwargs.items() if k in signature.parameters}
    try:
        signature.bind(None, **own)
    except TypeError as exc:
        raise TypeError(f"exact_symmetries: {operator.name}: {exc} (pass the operator's "
                        f"arguments as keywords)") from None


def exact_symmetries(op: Union[Callable, str], input_shape: Sequence[int],
                     **op_kwargs: Any) -> List[GroupElement]:
    """The grid symmetries under which ``op`` is exactly equivariant for this input.

    Parameters
    ----------
    op : callable or str
        A public refpool operator (``refpool.max_pool``) or its name; or a pipeline
        (:func:`refpool.compose`) or an operator with its arguments bound
        (``functools.partial(refpool.max_pool, kernel_size=2)``), whose arguments are
        then all bound: see :mod:`refpool.pipeline` for the composition rules.
        Or a function of :mod:`refpool.dialects` (``refpool.dialects.tf.resize``, its
        arguments as keywords, or bound with :func:`functools.partial`), decided by
        :func:`refpool.equivariance.exact_symmetries_of_linear` from the call's
        matrix (it must be affine and channel-wise, as every resize dialect is; at
        most :data:`~refpool.equivariance.linear.MAX_PIXELS` input pixels), with
        the dialect's layout given by ``ndim=`` and ``channels_last=``.
    input_shape : tuple of int
        The full input shape ``(N, C, *spatial)`` with one to three spatial axes,
        or any layout the operator reads with its ``ndim=`` and ``channels_last=``
        keywords (pass them here too: ``exact_symmetries(refpool.max_pool, (257,
        257), kernel_size=2, ndim=2)``); a pipeline reads ``(N, C, *spatial)``.
    **op_kwargs
        The operator's arguments, as they would be passed to it (for operators
        taking ``field_type`` positionally, pass ``field_type=``).  For
        :func:`refpool.interpolate`, ``dtype=`` (default float64) selects the
        precision in which the nearest modes compute their source indices.

    Returns
    -------
    list of GroupElement
        The elements of the grid group (:func:`grid_group`: ``flip()`` in 1-D,
        ``dihedral(4)`` in 2-D, ``octahedral(full=True)`` in 3-D) that commute
        with the operator: ``op(T_g x) == T_g op(x)`` for every ``x``, with
        ``T_g`` the exact grid transform of :meth:`refpool.FieldType.transform`
        on trivial fields (for field operators the fibre action of an
        orthogonal / permutation representation commutes as documented
        separately).  Computed from the documented per-axis structure of the
        operator, never by running it; exact in real arithmetic, so linear
        operators agree up to rounding.

    Notes
    -----
    See the module documentation of :mod:`refpool.equivariance` for the rule.
    The list is *tight*: an element is listed exactly when it holds.
    The shuffle operators (:func:`refpool.pixel_shuffle`, ...) move elements between
    space and channels, so their claim includes the induced permutation of the
    sub-pixel channels, :func:`induced_channel_permutation`.
    """
    from .. import pipeline as _pipeline
    if _pipeline.is_pipeline(op):            # refpool.compose, or a bound operator
        if op_kwargs:
            raise TypeError(f"exact_symmetries: a pipeline's arguments are bound in its "
                            f"stages; got the keyword(s) {', '.join(map(repr, op_kwargs))}")
        return _pipeline.compose(op).exact_symmetries(input_shape)
    from . import linear as _linear
    if _linear.is_dialect_call(op):          # refpool.dialects: read off its matrix
        layout = {k: op_kwargs.pop(k) for k in ("ndim", "channels_last") if k in op_kwargs}
        call = functools.partial(op, **op_kwargs) if op_kwargs else op
        return _linear.exact_symmetries_of_linear(call, input_shape, **layout)
    from ..registry import lookup
    operator = lookup(op)
    _check_keywords(operator, op_kwargs)
    ndim, channels_last = op_kwargs.pop("ndim", None), op_kwargs.pop("channels_last", False)
    if isinstance(input_shape, (int, np.integer)) or (
            ndim is None and len(tuple(input_shape)) < 3):
        raise ValueError(f"input_shape must be the full (N, C, *spatial) shape (or pass "
                         f"ndim=), got {input_shape!r}")
    shape = tuple(int(s) for s in input_shape)
    _, _, count = _args.layout_axes(shape, ndim, channels_last, name="input_shape")
    spatial = shape[len(shape) - count - (1 if channels_last else 0):][:count]
    if not 1 <= len(spatial) <= 3:
        raise ValueError(f"input_shape must have 1 to 3 spatial axes, got {shape}")
    rule = operator.rule(spatial, **op_kwargs)
    group = grid_group(len(spatial))
    return [g for g in group.elements if _element_holds(rule, spatial, g)]


def induced_channel_permutation(op: Union[Callable, str], g: GroupElement,
                                input_shape: Sequence[int], **op_kwargs: Any) -> np.ndarray:
    r"""The channel permutation :math:`P_g` that a grid symmetry ``g`` induces.

    The shuffle operators trade blocks of :math:`r^k` channels for
    :math:`r \times \dots \times r` blocks of space, so moving the grid also moves
    elements between the channels of a block.  For them the exact claim of
    :func:`exact_symmetries` reads

    * :func:`refpool.pixel_shuffle`, :func:`refpool.depth_to_space` (``P_g`` on the
      input's channels): ``op(T_g(x[:, p])) == T_g(op(x))``;
    * :func:`refpool.pixel_unshuffle`, :func:`refpool.space_to_depth` (``P_g`` on the
      output's channels): ``op(T_g(x)) == T_g(op(x)[:, p])``;

    bitwise, with ``T_g`` the exact grid transform (:meth:`refpool.FieldType.transform`
    on trivial fields) and ``p`` this function's result.  :math:`P_g` is ``g`` acting
    on the sub-pixel grid: view the :math:`r^k` channels of a block as an
    :math:`r \times \dots \times r` array indexed by the sub-pixel offsets
    :math:`(j_1, \dots, j_k)` (row-major block index :math:`\beta`; the block of
    channel :math:`c` is channels :math:`c r^k + \beta` for ``CRD``, the order of
    ``pixel_shuffle``, and :math:`\beta C + c` for ``DCR``) and move it as ``T_g``
    moves an image: a reversal of axis :math:`a` maps :math:`j_a \to r - 1 - j_a`, a
    transposition swaps offsets.

    Every other operator acts on the channels not at all (or, for the field
    operators, through their field type, documented with them): the identity is
    returned.

    Parameters
    ----------
    op : callable or str
        A public refpool operator or its name.
    g : GroupElement
        An element of the grid group of the input's spatial axes
        (:func:`grid_group`: ``flip()``, ``dihedral(4)``, ``octahedral(full=True)``).
    input_shape : tuple of int
        The input's shape, read as in :func:`exact_symmetries` (``ndim=`` and
        ``channels_last=`` among ``op_kwargs``).
    **op_kwargs
        The operator's arguments.

    Returns
    -------
    p : int64 ndarray
        A permutation of ``range(C)``, ``C`` the channels it acts on (the input's for
        a shuffle, the output's for an unshuffle): ``(P_g z)[:, i] = z[:, p[i]]``.

    Raises
    ------
    ValueError
        If ``g`` is not an element of the grid group of the input's spatial axes, or
        the arguments are invalid for the input shape.

    Examples
    --------
    In 1-D a reversal reverses the ``r`` channels of every block:

    >>> import refpool
    >>> from refpool.equivariance.rules import grid_group, induced_channel_permutation
    >>> flip = grid_group(1).elements[1]
    >>> induced_channel_permutation(refpool.pixel_shuffle, flip, (1, 6, 5),
    ...                             upscale_factor=3).tolist()
    [2, 1, 0, 5, 4, 3]
    """
    from ..registry import lookup
    operator = lookup(op)
    _check_keywords(operator, op_kwargs)
    ndim, channels_last = op_kwargs.pop("ndim", None), op_kwargs.pop("channels_last", False)
    if isinstance(input_shape, (int, np.integer)) or (
            ndim is None and len(tuple(input_shape)) < 3):
        raise ValueError(f"input_shape must be the full (N, C, *spatial) shape (or pass "
                         f"ndim=), got {input_shape!r}")
    shape = tuple(int(s) for s in input_shape)
    batch, has_channels, count = _args.layout_axes(shape, ndim, channels_last,
                                                   name="input_shape")
    if not 1 <= count <= 3:
        raise ValueError(f"input_shape must have 1 to 3 spatial axes, got {shape}")
    start = len(shape) - count - (1 if channels_last else 0)
    spatial = shape[start:start + count]
    channels = (shape[-1] if channels_last else shape[start - 1]) if has_channels else 1
    if not isinstance(g, GroupElement) or g not in grid_group(count).elements:
        raise ValueError(f"g must be an element of the grid group of {count} spatial "
                         f"axes ({grid_group(count).name}), got {g!r}")
    rule = operator.rule(spatial, **op_kwargs)
    if not hasattr(rule, "channel_permutation"):
        return np.arange(channels, dtype=np.int64)
    if rule.side == "input":
        blocks = rule.factor ** count
        if channels % blocks:
            raise ValueError(f"{operator.name}: input_shape has {channels} channels, not a "
                             f"multiple of r**{count} = {blocks}")
    else:
        channels *= rule.factor ** count
    return rule.channel_permutation(g, count, channels).astype(np.int64)


# --------------------------------------------------------------------------- fractional, global
class FractionalMaxPoolRule(Rule):
    """Fractional max pooling (:func:`refpool.fractional_max_pool`): every ``(n, c)``
    plane has its own window sequence, from its samples.

    The question is ``op(T x, samples) == T op(x, samples)`` with the *same* samples:
    for every plane and output axis ``b``, the window starts the operator computes
    along ``b`` for the transformed input (axis ``b``'s kernel, output length and
    sample component, on a line of the length of input axis ``a = perm[b]``) must
    equal the starts along ``a`` for the input, mirrored (``s -> n - k - s``, in
    reverse order) when ``g`` reverses the axis.  The starts come from
    :meth:`refpool._geometry.FractionalSpec.axis_starts`, the operator's own
    arithmetic in the samples' dtype, so float rounding is part of the answer
    (:meth:`element_holds`; the planes are compared one by one).
    """

    condition = ("with the same samples for the transformed input: per reversed axis, "
                 "every plane's window starts (PyTorch's interval rule, in the samples' "
                 "dtype) mirror-symmetric, s[o-1-i] = n - k - s[i] (whatever the sample "
                 "when o - 1 divides n - k, but where float rounding moves a start: "
                 "samples within rounding of a multiple of (o-1)/(n-k), next to 1 above "
                 "all; for o = 1 only when k = n; otherwise particular samples only); "
                 "per swapped "
                 "pair: equal lengths, kernels and output lengths, and in every plane "
                 "the same starts from the two axes' samples; ties between equal values "
                 "(indices) excepted")

    def __init__(self, shape, kernel_size, output_size=None, output_ratio=None,
                 return_indices=False, samples=None, *, generator=None):
        self.arguments = (kernel_size, output_size, output_ratio)
        self.spec = _args.fractional_spec(shape, kernel_size, output_size, output_ratio)
        _args.check_bool(return_indices, "return_indices")
        if samples is None:
            raise TypeError("exact_symmetries: fractional_max_pool needs samples= (its "
                            "windows depend on them; a generator's draws are not known "
                            "before the call)")
        if generator is not None:
            raise ValueError("pass samples or generator, not both")
        nd = len(shape)
        samples = _args.check_fractional_samples(samples, nd).reshape(-1, nd)
        # one comparison per distinct sample (in its dtype)
        self.samples = np.unique(samples, axis=0) if len(samples) else samples

    def _windows(self, shape):
        """The :class:`~refpool._geometry.FractionalSpec` (starts bound) of the spatial
        input ``shape``, or None where the operator refuses it."""
        try:
            spec = _args.fractional_spec(shape, *self.arguments)
            return _args.fractional_windows(spec, self.samples)
        except ValueError:
            return None

    def axis(self, b, n, shape):
        """The windows along axis ``b`` (length ``n``) of the first plane, or of the
        sample 0 without planes: the output length and one plane's structure (the
        claim compares every plane: :meth:`element_holds`)."""
        shape = tuple(int(v) for v in shape[:b]) + (int(n),) + tuple(
            int(v) for v in shape[b + 1:])
        spec = self._windows(shape)
        if spec is None:
            return None
        starts = spec.starts[b][0] if len(self.samples) else \
            spec.axis(b).starts(np.zeros((), self.samples.dtype))
        return _unweighted(range(s, s + spec.kernel[b]) for s in starts.tolist())

    def element_holds(self, spatial, g):
        """Whether ``g`` commutes with the operator in every plane (see the class)."""
        nd = len(spatial)
        perm, reverse = axis_action(g, nd)
        moved = tuple(spatial[perm[b]] for b in range(nd))
        mine, theirs = self._windows(moved), self._windows(tuple(spatial))
        if mine is None or theirs is None:
            return False
        for b in range(nd):
            a = perm[b]
            if mine.kernel[b] != theirs.kernel[a]:
                return False
            transformed, original = mine.starts[b], theirs.starts[a]
            if transformed.shape != original.shape:
                return False
            if reverse[b]:
                original = (spatial[a] - theirs.kernel[a]) - original[..., ::-1]
            if not np.array_equal(transformed, original):
                return False
        return True


class _GlobalRule(Rule):
    """The global poolings: one window, the whole input, on every axis."""

    condition = "every grid symmetry, every shape (one window: the whole input)"

    def axis(self, b, n, shape=None):
        return _averaged([range(n)])


class GlobalMaxPoolRule(_GlobalRule):
    condition = ("every grid symmetry, every shape (one window: the whole input); ties "
                 "between equal values (indices) excepted")

    def __init__(self, shape, return_indices=False, *, field_type=None):
        _args.check_spatial_shape(shape)
        _args.check_bool(return_indices, "return_indices")
        self.field_type = field_type


class GlobalAvgPoolRule(_GlobalRule):
    def __init__(self, shape):
        _args.check_spatial_shape(shape)


class GlobalLpPoolRule(_GlobalRule):
    def __init__(self, shape, norm_type, *, variant="onnx"):
        spatial = _args.check_spatial_shape(shape)
        _args.lp_pool_spec(spatial, norm_type, spatial, variant=variant)


class UpfirdnRule(Rule):
    """:func:`refpool.upfirdn`: sufficient (conservative) conditions, checked per
    element (:meth:`element_holds`): equal per-axis arguments on swapped axes, a
    mirror-symmetric sample grid on reversed axes, and a kernel invariant under the
    element.  ``axis`` gives the per-axis structure of a separable filter."""

    condition = ("conservative: per swapped pair: equal up, down, padding and filter "
                 "length; per reversed axis: (n - 1) up + 2 p0 - (o - 1) down == taps - 1 "
                 "(the sample grid is its own mirror image); and the filter kernel "
                 "invariant under the element (a symmetric separable filter always is)")

    def __init__(self, shape, f, up=1, down=1, padding=0, flip_filter=False, gain=1,
                 pad_type="zero"):
        from ..upfirdn import upfirdn_spec
        self.spec = upfirdn_spec(shape, f, up, down, padding, flip_filter, gain, pad_type)
        self.f, self.flip_filter = f, bool(flip_filter)

    def _line(self, b, n):
        line = self.spec.axis(b)._replace(n=n)
        if n * line.up + line.before + line.after < line.taps:
            return None                       # the operator refuses this line
        return line

    def axis(self, b, n, shape=None):
        if not self.spec.separable:
            raise NotImplementedError("upfirdn with an n-D kernel has no per-axis "
                                      "structure: see element_holds")
        line = self._line(b, n)
        if line is None:
            return None
        # the 1-D correlation taps (the gain, a scalar, commutes with every element)
        taps = np.asarray(self.f, dtype=np.float64)
        taps = (taps if self.flip_filter else taps[::-1]).tolist()
        walk = line.taps_circular if self.spec.circular else line.taps_of
        return tuple(_window((i, taps[t]) for t, i in walk(o))
                     for o in range(line.output_length))

    def shift_structure(self, b, n, shape=None):
        """The per-axis structure for :func:`refpool.equivariance.exact_shifts`, separable
        filter or not: output ``o`` reads input ``i`` with the taps ``t`` (the kernel
        is fixed, so equal (input, taps) patterns mean equal outputs)."""
        line = self._line(b, n)
        if line is None:
            return None
        walk = line.taps_circular if self.spec.circular else line.taps_of
        return tuple(tuple(sorted({i: tuple(sorted(t for t, j in walk(o) if j == i))
                                   for _, i in walk(o)}.items()))
                     for o in range(line.output_length))

    def output_spatial(self, shape):
        out = []
        for b, n in enumerate(tuple(int(m) for m in shape)):
            line = self._line(b, n)
            if line is None:
                raise ValueError(f"spatial axis {b} of length {n} is refused for input "
                                 f"shape {tuple(shape)}")
            out.append(line.output_length)
        return tuple(out)

    def element_holds(self, spatial, g):
        nd = len(spatial)
        perm, reverse = axis_action(g, nd)
        for b in range(nd):
            a = perm[b]
            mine, theirs = self._line(b, spatial[a]), self._line(a, spatial[a])
            if mine is None or theirs is None or mine != theirs:
                return False
            if reverse[b]:
                line = theirs
                centre = ((line.n - 1) * line.up + 2 * line.before
                          - (line.output_length - 1) * line.down)
                if centre != line.taps - 1:
                    return False
        kernel = self.spec.weights
        moved = np.transpose(kernel, perm)
        flips = [b for b in range(nd) if reverse[b]]
        if flips:
            moved = np.flip(moved, flips)
        if moved.shape != kernel.shape:
            return False
        scale = max(float(np.abs(kernel).max()), 1e-300)
        return bool(np.all(np.abs(moved - kernel) <= WEIGHT_RTOL * scale))


class GridSampleRule(Rule):
    """:func:`refpool.grid_sample`: read off the grid's values.

    The call is a linear map :math:`L` from the input plane to the output plane,
    the same on every channel, one per sample of the batch: row :math:`q` of
    :math:`L` holds the taps (input position, weight) of output point :math:`q`,
    computed with the engines' own per-point arithmetic
    (:func:`refpool.engines._gridsample.point_taps`,
    :func:`~refpool.engines._gridsample.cubic_point_taps`).  A grid symmetry
    :math:`g` acting as :math:`(T_g x)[q] = x[\tau(q)]` commutes with the call for
    every input exactly when, for every output point :math:`q` of every sample,
    row :math:`q` with its input positions mapped through :math:`\tau_{in}` equals
    row :math:`\tau_{out}(q)` (weights equal to ``WEIGHT_RTOL``; a bicubic point
    that is not finite, NaN whatever the input, must meet another such point).
    The input and output shapes must be mapped onto themselves.

    For an affine grid (:func:`refpool.affine_grid`) this holds when :math:`g`
    commutes with the grid's linear map and fixes its translation: both
    ``align_corners`` conventions and every padding mode are symmetric about the
    centre, and so are the bilinear and bicubic kernels.  A rotation by any angle
    about the centre of a square image therefore commutes with the rotations by
    90 degrees (not with the flips); nearest sampling breaks this only where a
    point lies on a rounding tie (halves go to even).
    """

    condition = ("the grid moves with the image: row q of the sampling map, its input "
                 "positions moved by g, equals row g(q) (every sample, weights to 1e-9; "
                 "affine grids: g commutes with the grid's linear map, e.g. rotation "
                 "grids on square images keep the 90-degree rotations)")

    def __init__(self, shape, grid, mode="bilinear", padding_mode="zeros",
                 align_corners=False):
        from ..sampling import check_grid, grid_spec
        shape = tuple(int(n) for n in shape)
        if len(shape) not in (2, 3):
            raise ValueError(f"grid_sample needs 2 or 3 spatial axes, got {shape}")
        # the batch size is not part of the spatial shape: take the grid's own
        batch = len(grid) if hasattr(grid, "__len__") else 1
        self.grid = check_grid(grid, (batch, 1) + shape)
        grid_spec(len(shape), mode, padding_mode, align_corners)
        self.mode, self.padding, self.align = mode, padding_mode, bool(align_corners)
        self._rows = {}

    def axis(self, b, n, shape=None):
        raise NotImplementedError("grid_sample reads where its grid says: see "
                                  "element_holds")

    def output_spatial(self, shape):
        return tuple(self.grid.shape[1:-1])

    def rows(self, spatial):
        """Per sample, per output point (row-major): a tuple of (flat input position,
        weight) sorted by position, or ``"nan"`` for a non-finite bicubic point."""
        spatial = tuple(spatial)
        if spatial not in self._rows:
            self._rows[spatial] = self._compute_rows(spatial)
        return self._rows[spatial]

    def _compute_rows(self, spatial):
        from ..engines import _gridsample as gs
        from ..engines.cpu.sampling import PADDING_CODES
        padding = PADDING_CODES[self.padding]
        three = len(spatial) == 3
        D, H, W = (1,) * (3 - len(spatial)) + spatial
        k = self.grid.shape[-1]
        points = np.asarray(self.grid, dtype=np.float64).reshape(len(self.grid), -1, k)
        taps = 16 if self.mode == "bicubic" else 1 if self.mode == "nearest" else 2 ** k
        index = np.empty(taps, np.int64)
        weight = np.empty(taps, np.float64)
        samples = []
        for plane in points:
            rows = []
            for p in plane:
                gx, gy = float(p[0]), float(p[1])
                gz = float(p[2]) if three else 0.0
                if self.mode == "bicubic":
                    if not gs.cubic_point_taps(index, weight, gx, gy, H, W, padding,
                                               self.align):
                        rows.append("nan")
                        continue
                else:
                    gs.point_taps(index, weight, gx, gy, gz, D, H, W, three,
                                  self.mode == "nearest", padding, self.align)
                rows.append(_window((int(i), w) for i, w in zip(index, weight) if i >= 0))
            samples.append(rows)
        return samples

    def element_holds(self, spatial, g):
        spatial = tuple(spatial)
        out = self.output_spatial(spatial)
        nd = len(spatial)
        perm, reverse = axis_action(g, nd)
        if any(spatial[perm[b]] != spatial[b] or out[perm[b]] != out[b] for b in range(nd)):
            return False

        def source(shape):
            # tau: the flat position each transformed position reads
            moved = np.transpose(np.arange(math.prod(shape)).reshape(shape), perm)
            flips = tuple(b for b in range(nd) if reverse[b])
            return (np.flip(moved, flips) if flips else moved).ravel()

        tau_in, tau_out = source(spatial), source(out)
        for rows in self.rows(spatial):
            for q, row in enumerate(rows):
                target = rows[tau_out[q]]
                if isinstance(row, str) or isinstance(target, str):
                    if row != target:
                        return False
                    continue
                # a position missing from one row has weight 0 there: a corner of
                # weight 4e-16 on one side may be one of weight 0 on the other
                moved = dict(_window((int(tau_in[i]), w) for i, w in row))
                target = dict(target)
                scale = max([abs(w) for w in target.values()] + [1e-300])
                for i in moved.keys() | target.keys():
                    if abs(moved.get(i, 0.0) - target.get(i, 0.0)) > WEIGHT_RTOL * scale:
                        return False
        return True


class MapCoordinatesRule(Rule):
    """:func:`refpool.map_coordinates`: conservative, the identity only.

    Whether a grid symmetry commutes depends on the coordinates' values (they would
    have to move with the image), which this rule does not inspect; it validates the
    call and claims the identity, which always holds."""

    condition = ("conservative: the identity only (whether a symmetry holds depends on "
                 "the coordinates' values, which are not inspected)")

    def __init__(self, shape, coordinates, order=3, mode="constant", cval=0.0,
                 prefilter=True):
        from ..spline import check_coordinates, spline_spec
        shape = tuple(int(n) for n in shape)
        self.coordinates = check_coordinates(coordinates, len(shape))
        spline_spec(order, mode, cval, prefilter)

    def axis(self, b, n, shape=None):
        raise NotImplementedError("map_coordinates reads where its coordinates say: see "
                                  "element_holds")

    def output_spatial(self, shape):
        return tuple(self.coordinates.shape[1:])

    def element_holds(self, spatial, g):
        perm, reverse = axis_action(g, len(spatial))
        return tuple(perm) == tuple(range(len(spatial))) and not any(reverse)


class AffineTransformRule(MapCoordinatesRule):
    """:func:`refpool.affine_transform`: conservative, the identity only (the matrix
    is not inspected)."""

    condition = ("conservative: the identity only (whether a symmetry holds depends on "
                 "the matrix and offset, which are not inspected)")

    def __init__(self, shape, matrix, offset=0.0, output_shape=None, order=3,
                 mode="constant", cval=0.0, prefilter=True):
        from ..spline import _matrix, _offset, _output_shape, spline_spec
        shape = tuple(int(n) for n in shape)
        _matrix(matrix, len(shape))
        _offset(offset, len(shape))
        self.output = _output_shape(output_shape, shape)
        spline_spec(order, mode, cval, prefilter)

    def output_spatial(self, shape):
        return self.output


class RotateRule(Rule):
    """:func:`refpool.rotate`: rotations of the plane commute with every rotation.

    ``rotate`` turns the plane of ``axes`` about its centre by ``angle``; plane
    rotations commute, so a grid symmetry that maps the plane onto itself as a
    rotation (by a multiple of 90 degrees), and fixes or reverses the axis outside the
    plane (3-D: its slices are rotated independently), commutes for every angle.  A
    reflection of the plane turns the rotation by ``angle`` into one by ``-angle``, so
    it commutes when ``angle`` is a multiple of 180 degrees.  Every boundary mode is
    symmetric under reversal of an axis (scipy's ``wrap`` included: its period map
    sends ``-k(n-1)`` to ``n - 1`` and ``k(n - 1)`` to 0, mirror images), the spline
    weights are symmetric, and the output shape (``reshape``) and centres move with
    the plane.  ``order=0`` is claimed for the elements that fix the plane only: a
    nearest sample at an exact half-integer coordinate takes the upper neighbour,
    which a reversal does not preserve."""

    condition = ("an element that maps the rotation plane onto itself and fixes (or "
                 "reverses) the axis outside it: a rotation of the plane for every angle, "
                 "a reflection of the plane when angle is a multiple of 180 degrees; "
                 "order=0 only for elements that fix the plane (ties at half-integers)")

    def __init__(self, shape, angle, axes=(1, 0), reshape=True, order=3, mode="constant",
                 cval=0.0, prefilter=True):
        from ..spline import rotation_geometry, spline_spec
        shape = tuple(int(n) for n in shape)
        if len(shape) < 2:
            raise ValueError(f"rotate needs 2 or 3 spatial axes, got {shape}")
        _, _, plane, self.plane = rotation_geometry(shape, angle, axes, reshape)
        self.angle = float(angle)
        self.order = spline_spec(order, mode, cval, prefilter).order
        out = list(shape)
        out[self.plane[0]], out[self.plane[1]] = plane
        self.output = tuple(out)

    def axis(self, b, n, shape=None):
        raise NotImplementedError("rotate is not separable: see element_holds")

    def output_spatial(self, shape):
        return self.output

    def element_holds(self, spatial, g):
        perm, reverse = axis_action(g, len(spatial))
        a, b = self.plane
        for o in range(len(spatial)):
            if o not in (a, b) and perm[o] != o:
                return False
        if {perm[a], perm[b]} != {a, b}:
            return False
        swap = perm[a] == b
        flips = int(reverse[a]) + int(reverse[b])
        if not swap and flips == 0:
            return True
        if self.order == 0:
            return False
        if (int(swap) + flips) % 2 == 0:          # determinant +1: a rotation
            return True
        return math.fmod(self.angle, 180.0) == 0.0


class ApsRule(Rule):
    """:func:`refpool.aps_downsample`: the identity only among the grid symmetries.

    Up to ties every element with equal strides on swapped axes would commute (an
    element maps polyphase components onto components, keeping their norms), but
    ties break by the smallest phase, which the element does not preserve, and the
    criteria of the transformed input are the same numbers summed in another order.
    Its circular shifts are stated by :func:`refpool.equivariance.exact_shifts`:
    every shift, the output rolled by ``(phase + t) // stride`` (adaptive)."""

    condition = ("the identity only (up to ties of the component norms every grid symmetry "
                 "with equal strides on swapped axes holds, but ties break by phase order); "
                 "every circular shift holds up to ties (exact_shifts)")
    adaptive_shifts = True

    def __init__(self, shape, stride=2, *, norm=2, blur=None, field_type=None,
                 return_phase=False):
        from ..polyphase import aps_spec
        self.field_type = field_type
        channels = getattr(field_type, "size", 1)
        self.spec = aps_spec((1, channels) + tuple(shape), stride, norm, blur, field_type)

    def axis(self, b, n, shape=None):
        raise NotImplementedError("aps_downsample chooses its samples from the data: see "
                                  "element_holds")

    def output_spatial(self, shape):
        return tuple(n // s for n, s in zip(shape, self.spec.stride))

    def element_holds(self, spatial, g):
        perm, reverse = axis_action(g, len(spatial))
        return tuple(perm) == tuple(range(len(spatial))) and not any(reverse)


class ApsUpsampleRule(ApsRule):
    """:func:`refpool.aps_upsample`: the identity only (the phase is per sample and does
    not move with the grid); circular shifts with the phase moved along
    (:func:`refpool.equivariance.exact_shifts`)."""

    condition = ("the identity only (the given phase does not move with the grid); every "
                 "circular shift holds when the phase moves with it (exact_shifts)")

    def __init__(self, shape, phase=None, stride=2, *, blur=None):
        from ..polyphase import aps_upsample_spec
        self.spec = aps_upsample_spec((1, 1) + tuple(shape), stride, blur)

    def output_spatial(self, shape):
        return tuple(n * s for n, s in zip(shape, self.spec.stride))


class FilteredUpsampleRule(UpfirdnRule):
    """:func:`refpool.filtered_upsample`: :class:`UpfirdnRule` of the upfirdn call it
    makes (zero insertion, the centred designed filter, gain)."""

    condition = ("as upfirdn for the call it makes: with a symmetric filter and taps + "
                 "factor even (the radial and separable designs with the default numtaps) "
                 "every grid symmetry with equal factors on swapped axes")
    _spec_function = "filtered_upsample_spec"

    def __init__(self, shape, factor=2, *, filter="radial", numtaps=None, cutoff=None,
                 width=None, pad_type="zero"):
        import importlib
        module = importlib.import_module("refpool.upfirdn")
        spec = getattr(module, self._spec_function)(shape, factor, filter, numtaps, cutoff,
                                                    width, pad_type)
        self.spec = spec.upfirdn
        self.f, self.flip_filter = spec.filter, True


class FilteredDownsampleRule(FilteredUpsampleRule):
    """:func:`refpool.filtered_downsample`: :class:`UpfirdnRule` of its upfirdn call."""

    condition = ("as upfirdn for the call it makes: with a symmetric filter and taps + "
                 "factor even (the defaults), per reversed axis n mod factor == 0; per "
                 "swapped pair equal factors")
    _spec_function = "filtered_downsample_spec"
