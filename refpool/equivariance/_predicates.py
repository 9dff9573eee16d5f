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

    def axis(self, b, n):  # pragma: no cover - interface
        raise NotImplementedError


class _MaxPool(_Rule):
    empty_is_constant = True

    def __init__(self, shape, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False, return_indices=False, field_type=None, **_):
        self.spec = _args.window_spec(shape, kernel_size, stride, padding, dilation,
                                      ceil_mode, padding_limit="dilated")

    def axis(self, b, n):
        sp = self.spec
        o = _args.pool_output_length(n, sp.kernel[b], sp.stride[b], sp.padding[b],
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

    def axis(self, b, n):
        sp = self.spec
        k, s, p = sp.kernel[b], sp.stride[b], sp.padding[b]
        o = _args.pool_output_length(n, k, s, p, 1, sp.ceil_mode)
        one_axis = sp._replace(input_size=(n,), kernel=(k,), stride=(s,), padding=(p,),
                               dilation=(1,), output_size=(o,))
        (factor,) = _args.avg_divisor_factors(one_axis, self.count_include_pad)
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

    def axis(self, b, n):
        o = n if self.requested[b] is None else self.requested[b]
        start, end = _args.adaptive_bounds(n, o)
        return tuple(_window((q, 1.0 / (e - s)) for q in range(s, e))
                     for s, e in zip(start.tolist(), end.tolist()))


class _Pointwise(_Rule):
    """Field operators acting on each pixel alone: every grid symmetry holds."""

    def __init__(self, shape, *args, **kwargs):
        pass

    def axis(self, b, n):
        return tuple(((q, 1.0),) for q in range(n))


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
    mine, theirs = [], []
    for b in range(nd):
        a = perm[b]
        n = spatial[a]
        transformed = rule.axis(b, n)          # op applied to the transformed input
        original = rule.axis(a, n)             # op applied to the input, then moved
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
        taking ``field_type`` positionally, pass ``field_type=``).

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
