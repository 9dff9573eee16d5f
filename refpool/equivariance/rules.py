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

import inspect
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

    #: all-empty windows make the whole output -inf (max pooling with dilation)
    empty_is_constant = False
    #: keywords the rule takes besides the operator's own
    extra_keywords = ()
    #: the exactness condition, in words
    condition = ""

    def axis(self, b, n, shape):  # pragma: no cover - interface
        raise NotImplementedError


class MaxPoolRule(Rule):
    empty_is_constant = True
    condition = ("per reversed axis: (n + 2p - d(k-1) - 1) mod s == 0; per swapped pair of "
                 "axes: equal (k, s, p, d) (or window grids that coincide)")

    def __init__(self, shape, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False, return_indices=False, *, field_type=None):
        self.spec = _args.window_spec(shape, kernel_size, stride, padding, dilation,
                                      ceil_mode, padding_limit="dilated")

    def axis(self, b, n, shape=None):
        line = self.spec.axis(b)._replace(n=n)
        return _unweighted(line.windows())


class AvgPoolRule(Rule):
    condition = ("as max_pool with d = 1; divisors follow the windows (count_include_pad "
                 "and ceil mode included)")

    def __init__(self, shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        self.spec = _args.window_spec(shape, kernel_size, stride, padding, 1, ceil_mode,
                                      padding_limit="kernel")
        self.count_include_pad = _args.check_bool(count_include_pad, "count_include_pad")
        self.override = _args.check_divisor_override(divisor_override)

    def axis(self, b, n, shape=None):
        line = self.spec.axis(b)._replace(n=n)
        factor = line.divisor_factors(self.count_include_pad)
        return tuple(_window((q, 1.0 if self.override is not None else 1.0 / f) for q in w)
                     for w, f in zip(line.windows(), factor.tolist()))


class AdaptiveRule(Rule):
    condition = "every reversal, every shape; swapped axes need equal output sizes"

    def __init__(self, shape, output_size, return_indices=False, *, field_type=None):
        self.requested = _args.per_axis(output_size, len(shape), "output_size",
                                        allow_none=True)
        _args.adaptive_output_size(shape, output_size)      # validation only

    def axis(self, b, n, shape=None):
        o = n if self.requested[b] is None else self.requested[b]
        return _averaged(_geometry.AdaptiveAxis(n, o).windows())


class PointwiseRule(Rule):
    """Field operators acting on each pixel alone: every grid symmetry holds."""

    condition = "every grid symmetry, every shape (acts on each pixel alone)"

    def __init__(self, shape, field_type):
        pass

    def axis(self, b, n, shape=None):
        return tuple(((q, 1.0),) for q in range(n))


def _filter_structure(line, taps):
    """The structure of a :class:`~refpool._geometry.FilterAxis` with weights ``taps``."""
    return tuple(_window((q, taps[u]) for u, q in line.taps(i))
                 for i in range(line.output_length))


class AntialiasedAvgRule(Rule):
    condition = ("per reversed axis: (n + 2p - fs) mod s == 0 (the Gaussian is symmetric); "
                 "per swapped pair: equal stride and padding")

    def __init__(self, shape, sigma, stride, padding=None):
        from ..kernels import _gaussian64
        sigma, self.spec = _args.antialiased_avg_spec(shape, sigma, stride, padding)
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
                 ceil_mode=False, sigma=0.6, blur_padding=None, *, field_type=None):
        from ..kernels import _gaussian64
        self.blur_padding = blur_padding
        sigma, self.spec = _args.antialiased_max_spec(shape, kernel_size, stride, padding,
                                                      dilation, ceil_mode, sigma, blur_padding)
        self.sigma = sigma
        self.taps = _gaussian64(sigma, _args.MAX_TRUNCATE).tolist()

    def axis(self, b, n, shape=None):
        w = self.spec.window.axis(b)
        try:
            _, line = _args.antialiased_max_spec(
                (n,), w.kernel, w.stride, w.padding, w.dilation, w.ceil_mode, self.sigma,
                None if self.blur_padding is None else self.spec.blur.before[b])
        except ValueError:
            return None
        # the dense max map: the windows of max pooling at stride 1
        dense = line.window.axis(0)._replace(stride=1, ceil_mode=False)
        dense_windows = [tuple(dense.positions(j)) for j in range(line.dense_size[0])]
        blur = line.blur.axis(0)
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


class NormMaxPoolRule(MaxPoolRule):
    condition = ("max_pool's window condition (spatial); orthogonal field representations "
                 "(fibre); ties between equal norms excepted")

    def __init__(self, shape, field_type, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False):
        super().__init__(shape, kernel_size, stride, padding, dilation, ceil_mode)


# --------------------------------------------------------------------------- predicate
def _element_holds(rule, spatial, g):
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
    if rule.empty_is_constant and any(_all_empty(m) and _all_empty(t)
                                      for m, t in zip(mine, theirs)):
        # every window of the product is empty: both outputs are all -inf,
        # so only the shapes must agree
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
        A public refpool operator (``refpool.max_pool``) or its name.
    input_shape : tuple of int
        The full input shape ``(N, C, *spatial)`` with one to three spatial axes,
        or any layout the operator reads with its ``ndim=`` and ``channels_last=``
        keywords (pass them here too: ``exact_symmetries(refpool.max_pool, (257,
        257), kernel_size=2, ndim=2)``).
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
    _, _, count = _args.layout_axes(shape, ndim, channels_last, name="input_shape")
    spatial = shape[len(shape) - count - (1 if channels_last else 0):][:count]
    if not 1 <= len(spatial) <= 3:
        raise ValueError(f"input_shape must have 1 to 3 spatial axes, got {shape}")
    rule = operator.rule(spatial, **op_kwargs)
    group = grid_group(len(spatial))
    return [g for g in group.elements if _element_holds(rule, spatial, g)]
