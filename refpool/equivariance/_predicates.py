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
(:mod:`refpool._args`), never by running the operator.  Weights are compared
with a relative tolerance of 1e-9, i.e. "equal in exact arithmetic": the
floating-point outputs then agree up to rounding (bitwise for max/select
operators, whose structures carry no weights).

Genericity: equality of structures is necessary and sufficient for equivariance
on *all* inputs, with one caveat for selection with indices: ties between equal
values (max pooling's indices, norm-max pooling's choice among equal norms)
follow the row-major scan, which a reflection reverses.
"""

from __future__ import annotations

import numpy as np

from .. import _args

from .. import _geometry

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
def _window_positions(n, k, s, p, d, o):
    return [[q for q in (i * s - p + t * d for t in range(k)) if 0 <= q < n]
            for i in range(o)]


class _Rule:
    """Per-axis structure of one operator call: ``axis(b, n)`` is the structure
    the operator applies along spatial axis ``b`` (with that axis's arguments)
    to a line of length ``n``."""

    #: all-empty windows make the whole output -inf (max pooling with dilation)
    empty_is_constant = False

    def axis(self, b, n, shape):  # pragma: no cover - interface
        """``shape`` is the whole spatial shape of the input the operator sees."""
        raise NotImplementedError


class _MaxPool(_Rule):
    empty_is_constant = True

    def __init__(self, shape, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False, return_indices=False, field_type=None, **_):
        self.spec = _args.window_spec(shape, kernel_size, stride, padding, dilation,
                                      ceil_mode, padding_limit="dilated")

    def axis(self, b, n, shape=None):
        sp = self.spec
        o = _geometry.pool_output_length(n, sp.kernel[b], sp.stride[b], sp.padding[b],
                                     sp.dilation[b], sp.ceil_mode)
        return tuple(_window((q, 1.0) for q in w) for w in
                     _window_positions(n, sp.kernel[b], sp.stride[b], sp.padding[b],
                                       sp.dilation[b], o))


class _AvgPool(_Rule):
    def __init__(self, shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, **_):
        self.spec = _args.window_spec(shape, kernel_size, stride, padding, 1, ceil_mode,
                                      padding_limit="kernel")
        self.count_include_pad = _args.check_bool(count_include_pad, "count_include_pad")
        self.override = _args.check_divisor_override(divisor_override)

    def axis(self, b, n, shape=None):
        sp = self.spec
        k, s, p = sp.kernel[b], sp.stride[b], sp.padding[b]
        o = _geometry.pool_output_length(n, k, s, p, 1, sp.ceil_mode)
        one_axis = sp._replace(input_size=(n,), kernel=(k,), stride=(s,), padding=(p,),
                               dilation=(1,), output_size=(o,))
        (factor,) = _geometry.avg_divisor_factors(one_axis, self.count_include_pad)
        structure = []
        for i, w in enumerate(_window_positions(n, k, s, p, 1, o)):
            weight = 1.0 if self.override is not None else 1.0 / factor[i]
            structure.append(_window((q, weight) for q in w))
        return tuple(structure)


class _Adaptive(_Rule):
    def __init__(self, shape, output_size, return_indices=False, field_type=None, **_):
        self.requested = _args.per_axis(output_size, len(shape), "output_size",
                                        allow_none=True)
        _args.adaptive_output_size(shape, output_size)      # validation only

    def axis(self, b, n, shape=None):
        o = n if self.requested[b] is None else self.requested[b]
        start, end = _geometry.adaptive_bounds(n, o)
        return tuple(_window((q, 1.0 / (e - s)) for q in range(s, e))
                     for s, e in zip(start.tolist(), end.tolist()))


class _Pointwise(_Rule):
    """Field operators acting on each pixel alone: every grid symmetry holds."""

    def __init__(self, shape, *args, **kwargs):
        pass

    def axis(self, b, n, shape=None):
        return tuple(((q, 1.0),) for q in range(n))


def _extend(q, n, mode):
    """Input position read at ``q`` by a filter whose input is extended by ``mode``
    (None when it reads zero padding)."""
    if 0 <= q < n:
        return q
    if mode == "zero":
        return None
    if mode == "replicate":
        return min(max(q, 0), n - 1)
    # reflect, edge not repeated (the padding is narrower than the input)
    return -q if q < 0 else 2 * (n - 1) - q


def _filter_structure(n, taps, stride, before, o, mode):
    structure = []
    for i in range(o):
        pairs = []
        for u, w in enumerate(taps):
            q = _extend(i * stride - before + u, n, mode)
            if q is not None:
                pairs.append((q, w))
        structure.append(_window(pairs))
    return tuple(structure)


class _AntialiasedAvg(_Rule):
    def __init__(self, shape, sigma, stride, padding=None, **_):
        from ..kernels import _gaussian64
        sigma, self.spec = _args.antialiased_avg_spec(shape, sigma, stride, padding)
        self.taps = _gaussian64(sigma, _args.AVG_TRUNCATE).tolist()

    def axis(self, b, n, shape=None):
        sp = self.spec
        fs, s, p = sp.size[b], sp.stride[b], sp.before[b]
        o = _geometry.pool_output_length(n, fs, s, p)
        return _filter_structure(n, self.taps, s, p, o, "zero")


class _BlurPool(_Rule):
    def __init__(self, shape, filt_size=4, stride=2, pad_type="reflect", pad_off=0, **_):
        from ..kernels import _binomial64
        self.spec = _args.blur_pool_spec(shape, filt_size, stride, pad_type, pad_off)
        self.taps = [_binomial64(f).tolist() for f in self.spec.size]

    def axis(self, b, n, shape=None):
        sp = self.spec
        fs, s, before, after = sp.size[b], sp.stride[b], sp.before[b], sp.after[b]
        if sp.mode == "reflect" and max(before, after) >= n:
            return None                       # the operator refuses this line
        o = (n + before + after - fs) // s + 1
        return _filter_structure(n, self.taps[b], s, before, o, sp.mode)


class _AntialiasedMax(_Rule):
    empty_is_constant = False

    def __init__(self, shape, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False, sigma=0.6, blur_padding=None, field_type=None, **_):
        from ..kernels import _gaussian64
        self.args = (kernel_size, stride, padding, dilation, ceil_mode)
        self.blur_padding = blur_padding
        sigma, self.spec = _args.antialiased_max_spec(shape, kernel_size, stride, padding,
                                                      dilation, ceil_mode, sigma, blur_padding)
        self.sigma = sigma
        self.taps = _gaussian64(sigma, _args.MAX_TRUNCATE).tolist()

    def axis(self, b, n, shape=None):
        w = self.spec.window
        k, s, p, d = w.kernel[b], w.stride[b], w.padding[b], w.dilation[b]
        try:
            _, line = _args.antialiased_max_spec(
                (n,), k, s, p, d, w.ceil_mode, self.sigma,
                None if self.blur_padding is None else self.spec.blur.before[b])
        except ValueError:
            return None
        dense_len = line.dense_size[0]
        dense = [tuple(q for q in (j - p + t * d for t in range(k)) if 0 <= q < n)
                 for j in range(dense_len)]
        q_before = line.blur.before[0]
        structure = []
        for i in range(line.blur.output_size[0]):
            pairs = []
            for u, weight in enumerate(self.taps):
                j = i * s - q_before + u
                if 0 <= j < dense_len:
                    pairs.append((dense[j], weight))
            structure.append(_window(pairs))
        return tuple(structure)


class _Interpolate(_Rule):
    def __init__(self, shape, size=None, scale_factor=None, mode="nearest",
                 align_corners=None, recompute_scale_factor=None, antialias=False,
                 dtype="float64", **_):
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
            start, end = _geometry.adaptive_bounds(n, m)
            return tuple(_window((q, 1.0 / (e - s)) for q in range(s, e))
                         for s, e in zip(start.tolist(), end.tolist()))
        r = _geometry.coordinate_scale(n, m, self.scale[b] if self.coordinate_from_scale else None,
                                   self.align_corners)
        per_axis = {"nearest": "nearest", "nearest-exact": "nearest-exact", "linear": "linear",
                    "bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}[self.mode]
        taps = _geometry.interpolation_taps(per_axis, n, m, r, self.align_corners, self.antialias,
                                        self.dtype, _geometry.nearest_rule(self.mode, out_shape))
        return tuple(_window((int(q), float(w)) for q, w in zip(idx[:c], wts[:c]) if w != 0.0)
                     for idx, wts, c in zip(taps.index.tolist(), taps.weight.tolist(),
                                            taps.count.tolist()))


RULES = {
    "max_pool": _MaxPool,
    "avg_pool": _AvgPool,
    "adaptive_max_pool": _Adaptive,
    "adaptive_avg_pool": _Adaptive,
    "norm_max_pool": None,           # filled below: max-pool windows
    "group_pool": _Pointwise,
    "norm_pool": _Pointwise,
    "induced_norm_pool": _Pointwise,
}


class _NormMaxPool(_MaxPool):
    def __init__(self, shape, field_type, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False, **_):
        super().__init__(shape, kernel_size, stride, padding, dilation, ceil_mode)


RULES["norm_max_pool"] = _NormMaxPool
RULES["antialiased_avg_pool"] = _AntialiasedAvg
RULES["antialiased_max_pool"] = _AntialiasedMax
RULES["blur_pool"] = _BlurPool
RULES["interpolate"] = _Interpolate


#: the documented condition of each operator, in words (shown in the docs table)
CONDITIONS = {
    "max_pool": "per reversed axis: (n + 2p - d(k-1) - 1) mod s == 0; per swapped pair of "
                "axes: equal (k, s, p, d) (or window grids that coincide)",
    "avg_pool": "as max_pool with d = 1; divisors follow the windows (count_include_pad "
                "and ceil mode included)",
    "adaptive_max_pool": "every reversal, every shape; swapped axes need equal output sizes",
    "adaptive_avg_pool": "every reversal, every shape; swapped axes need equal output sizes",
    "norm_max_pool": "max_pool's window condition (spatial); orthogonal field representations "
                     "(fibre); ties between equal norms excepted",
    "group_pool": "every grid symmetry, every shape (acts on each pixel alone)",
    "norm_pool": "every grid symmetry, every shape (acts on each pixel alone)",
    "induced_norm_pool": "every grid symmetry, every shape (acts on each pixel alone)",
    "antialiased_avg_pool": "per reversed axis: (n + 2p - fs) mod s == 0 (the Gaussian is "
                            "symmetric); per swapped pair: equal stride and padding",
    "antialiased_max_pool": "per reversed axis: the dense max windows and the blur grid are "
                            "both mirror-symmetric (with the default blur padding: max_pool's "
                            "condition); per swapped pair: equal arguments",
    "blur_pool": "per reversed axis: a mirror-symmetric padded window grid: odd filt_size "
                 "with (n - 1 + 2 pad_off) mod s == 0, or even filt_size (asymmetric "
                 "padding, a half-pixel shift) with s >= 2 and (n - 2 + 2 pad_off) mod s "
                 "== 0; per swapped pair: equal arguments",
    "interpolate": "per reversed axis: mirror-symmetric source coordinates and weights: for "
                   "the half-pixel modes r m = n (size given, recompute_scale_factor, or "
                   "n * scale an integer); align_corners=True unless the output has length "
                   "1 or antialias is on; nearest needs a symmetric index table (integer "
                   "scales up to 40 in float32); per swapped pair: equal output sizes and "
                   "scales",
}


def register(name, rule, condition=None):
    """Add the predicate of an operator (a :class:`_Rule` subclass)."""
    RULES[name] = rule
    if condition:
        CONDITIONS[name] = condition


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


def exact_symmetries(op, input_shape, **op_kwargs):
    """The grid symmetries under which ``op`` is exactly equivariant for this input.

    Parameters
    ----------
    op : callable or str
        A public refpool operator (``refpool.max_pool``) or its name.
    input_shape : tuple of int
        The full input shape ``(N, C, *spatial)`` with one to three spatial axes.
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
    name = op if isinstance(op, str) else getattr(op, "__name__", None)
    if name not in RULES or RULES[name] is None:
        raise ValueError(f"op must be a public refpool spatial operator, got {op!r}")
    if isinstance(input_shape, (int, np.integer)) or len(tuple(input_shape)) < 3:
        raise ValueError(f"input_shape must be the full (N, C, *spatial) shape, got "
                         f"{input_shape!r}")
    shape = tuple(int(s) for s in input_shape)
    spatial = shape[2:]
    if not 1 <= len(spatial) <= 3:
        raise ValueError(f"input_shape must have 1 to 3 spatial axes, got {shape}")
    rule = RULES[name](spatial, **op_kwargs)
    group = grid_group(len(spatial))
    return [g for g in group.elements if _element_holds(rule, spatial, g)]
