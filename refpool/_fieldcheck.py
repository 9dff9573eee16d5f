"""Compatibility checks between operators and field types.

This is the one place where the rules "which representations may an operator
see" live.  Every rule is read off the representation matrices
(:attr:`Representation.is_permutation`, :attr:`Representation.is_orthogonal`,
and the block structure of induced representations), never off names or tags:

========================================  ==========================================
operator                                  every field's representation must be
========================================  ==========================================
max_pool, adaptive_max_pool,              a permutation representation (optional
antialiased_max_pool (``field_type=``)    keyword)
group_pool                                a permutation representation
norm_pool, norm_max_pool                  orthogonal
induced_norm_pool                         induced, with an orthogonal subgroup
                                          representation (checked block by block)
subgroup_pool                             the regular representation of a finite
                                          group (its matrices, channel ``i`` the
                                          element ``group.elements[i]``)
========================================  ==========================================

and the channel count of ``x`` must equal ``field_type.size``.  ``subgroup_pool``'s
``subgroup`` must be a subgroup of the field type's group (:func:`check_subgroup`).
"""

from __future__ import annotations

import numbers

import functools

import numpy as np

# Entries this close to 0 count as 0 when reading the block structure of a matrix
# (the same tolerance as refpool.groups uses for its own matrix predicates).
_EXACT_TOL = 1e-9


def check_field_channels(field_type, channels, op):
    """The channel count must equal ``field_type.size``."""
    if field_type.size != channels:
        raise ValueError(
            f"{op}: x has {channels} channels but field_type has size {field_type.size}")


def _check_field_type_object(field_type, op, *, strict=True):
    """``field_type`` must be a FieldType (``strict``), or at least look like one: the
    optional ``field_type=`` keyword of the pointwise operators only needs
    ``representations`` (each with ``is_permutation``) and ``size``."""
    from .fields import FieldType
    if isinstance(field_type, FieldType):
        return
    if not strict:
        size = getattr(field_type, "size", None)
        reps = getattr(field_type, "representations", None)
        try:
            reps = tuple(reps)
        except TypeError:
            reps = None
        if (reps is not None and isinstance(size, numbers.Integral)
                and not isinstance(size, bool)
                and all(hasattr(rep, "is_permutation") for rep in reps)):
            return
        raise TypeError(f"{op}: field_type must be a refpool.FieldType, or an object with an "
                        "int `size` and `representations` each having `is_permutation`; got "
                        f"{type(field_type).__name__}")
    raise TypeError(f"{op}: field_type must be a refpool.FieldType, got "
                    f"{type(field_type).__name__}")


def _name(rep):
    return getattr(rep, "name", rep)


def _unique(representations):
    """The distinct representations, in order (a field type often repeats one)."""
    seen = []
    for rep in representations:
        if rep not in seen:
            seen.append(rep)
    return seen


def _require(field_type, channels, op, holds, what, why, *, strict=True):
    """Check the field type object and its channel count, then that every distinct
    representation satisfies ``holds`` (``what`` names the property in the error,
    ``why`` says why the operator needs it)."""
    _check_field_type_object(field_type, op, strict=strict)
    check_field_channels(field_type, channels, op)
    for rep in _unique(field_type.representations):
        if not holds(rep):
            raise ValueError(f"{op}: field_type contains representation {_name(rep)!r}, "
                             f"which is not {what}; {why}")


def check_pointwise_field_type(field_type, channels, op):
    """Validate ``field_type=`` of an operator that acts on each channel alone.

    A channel-wise nonlinear operator (max pooling) commutes with the fiber action
    rho(g) exactly when every rho(g) permutes channels, so every representation of
    the field type must be a permutation representation (trivial, regular,
    quotient, and direct sums of them).
    """
    if field_type is None:
        return
    _require(field_type, channels, op, lambda rep: rep.is_permutation,
             "a permutation representation",
             "a channel-wise max commutes only with channel permutations (use "
             "norm_max_pool for such fields)", strict=False)


def check_group_pool_field_type(field_type, channels, op="group_pool"):
    """``group_pool``: the max over a field's channels is invariant exactly when every
    :math:`\\rho(g)` permutes the field's channels."""
    _require(field_type, channels, op, lambda rep: rep.is_permutation,
             "a permutation representation",
             "the max over a field's channels is invariant only when every rho(g) "
             "permutes them (use norm_pool, or induced_norm_pool for induced "
             "representations)")


def check_orthogonal_field_type(field_type, channels, op):
    """``norm_pool`` / ``norm_max_pool``: the L2 norm of a field is invariant exactly
    when every :math:`\\rho(g)` is orthogonal."""
    _require(field_type, channels, op, lambda rep: rep.is_orthogonal, "orthogonal",
             "the norm of a field is invariant only when every rho(g) is an orthogonal "
             "matrix")


def check_induced_field_type(field_type, channels, op="induced_norm_pool"):
    """``induced_norm_pool``: every field must be an induced representation
    :math:`\\operatorname{Ind}_H^G \\psi` whose matrices move whole blocks of
    ``d = psi.size`` channels and act inside each with an orthogonal matrix.

    Regular and quotient representations are induced from the trivial
    representation of a subgroup (``d = 1``) and are accepted; direct sums and
    irreps are not (split a direct sum into separate fields).
    """
    _check_field_type_object(field_type, op)
    check_field_channels(field_type, channels, op)
    for rep in _unique(field_type.representations):
        induction = getattr(rep, "induction", None)
        if induction is None:
            raise ValueError(
                f"{op}: field_type contains representation {_name(rep)!r}, which is not an "
                "induced representation; induced_norm_pool needs each field to be built by "
                "induction (regular_representation, quotient_representation or "
                "induced_representation of the group; a direct sum must be split into "
                "separate fields)")
        d = induction.block_size
        if rep.size % d != 0 or not _is_block_orthogonal_monomial(rep, d):
            raise ValueError(
                f"{op}: field_type contains representation {_name(rep)!r}, whose matrices do "
                f"not move whole blocks of {d} channels with orthogonal blocks; the maximum "
                "block norm is invariant only for an induced representation of an "
                "orthogonal subgroup representation")


def check_regular_field_type(field_type, channels, op="subgroup_pool"):
    """``subgroup_pool``: every field must be the regular representation of a finite
    group, compared matrix by matrix with ``group.regular_representation`` (so a
    quotient representation by the trivial subgroup, the same matrices, passes).

    The pooling reads channel ``i`` of a field as the element ``group.elements[i]``;
    any other permutation representation would need another channel map, and a
    representation that is not a permutation has no channel to take the maximum of.
    ``channels=None`` skips the channel count (the exactness rule, which sees no
    input).
    """
    _check_field_type_object(field_type, op)
    if channels is not None:
        check_field_channels(field_type, channels, op)
    group = field_type.group
    if not group.is_finite:
        raise ValueError(f"{op}: field_type belongs to the continuous group {group.name}, "
                         "which has no regular representation of finite size; pooling onto "
                         "a subgroup needs regular fields of a finite group")
    for rep in _unique(field_type.representations):
        if not _is_regular(rep):
            raise ValueError(
                f"{op}: field_type contains representation {_name(rep)!r}, which is not the "
                f"regular representation of {group.name} (its matrices differ from "
                f"{group.name}.regular_representation's); pooling onto a subgroup reads "
                f"channel i of a field as the element {group.name}.elements[i]")


@functools.lru_cache(maxsize=512)
def _is_regular(rep):
    """Whether ``rep`` has the matrices of its group's regular representation: equal on
    the generators, hence everywhere (both are homomorphisms)."""
    group = rep.group
    if rep.size != group.order:
        return False
    regular = group.regular_representation
    return all(np.array_equal(rep._matrix(g), regular._matrix(g)) for g in group.generators)


def check_subgroup(group, subgroup, op="subgroup_pool"):
    r"""The escnn id of ``subgroup`` as a subgroup of ``group`` (:meth:`Group.subgroup`).

    ``subgroup`` is an id (``M`` for :math:`C_M \subset C_N`, ``(None, M)`` for the
    rotations :math:`C_M \subset D_N`, ``(k, M)`` for a dihedral or flip subgroup of
    :math:`D_N`, ...), or a :class:`refpool.groups.Group` equal to one of the
    group's subgroups (``cyclic(4)`` in ``dihedral(4)`` is ``(None, 4)``; a flip or
    dihedral group must have the mirror axis of that subgroup).  Anything else, a group
    not contained in ``group`` included, raises an error naming ``subgroup``.
    """
    from .groups import Group
    if isinstance(subgroup, Group):
        for sid in group._subgroup_ids():
            if group.subgroup(sid)[0] == subgroup:
                return group._normalise_subgroup_id(sid)
        listed = ", ".join(group.subgroup(sid)[0].name for sid in group._subgroup_ids())
        raise ValueError(f"{op}: subgroup {subgroup.name} is not a subgroup of "
                         f"{group.name}" + (f" (those are {listed})" if listed else ""))
    try:
        group.subgroup(subgroup)
    except (TypeError, ValueError) as exc:      # TypeError: an unhashable id
        raise ValueError(f"{op}: subgroup must be a subgroup of {group.name}, given as a "
                         f"refpool group or its escnn id; got {subgroup!r} ({exc})") from None
    return group._normalise_subgroup_id(subgroup)


@functools.lru_cache(maxsize=512)
def _is_block_orthogonal_monomial(rep, d):
    """Whether every rho(g) (on the group's testing elements) is a block permutation
    matrix of ``d x d`` blocks whose non-zero blocks are orthogonal: then rho(g) maps
    block i onto one block j and keeps its norm, so the multiset of block norms is
    invariant."""
    nb = rep.size // d
    eye = np.eye(d)
    for g in rep.group.testing_elements():
        m = rep(g).reshape(nb, d, nb, d).transpose(0, 2, 1, 3)    # m[j, i] = block (j, i)
        nonzero = np.abs(m).max(axis=(2, 3)) > _EXACT_TOL
        if not (np.all(nonzero.sum(axis=0) == 1) and np.all(nonzero.sum(axis=1) == 1)):
            return False
        for j, i in zip(*np.nonzero(nonzero)):
            b = m[j, i]
            if not np.allclose(b.T @ b, eye, rtol=0.0, atol=_EXACT_TOL):
                return False
    return True
