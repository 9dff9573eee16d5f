"""Left cosets ``gH`` of a subgroup, numbered the way escnn numbers them.

Induced and quotient representations need three things: the coset representatives
``r_0, r_1, ...``, the coset ``j`` holding a given element, and the subgroup element
``r_j^{-1} g r_i`` read back in the subgroup's own parameters.

Restricting a regular field to a subgroup needs the *right* cosets ``Hs`` instead
(:func:`regular_restriction`).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from ._group import Group, GroupElement


class CosetSpace:
    """The left cosets of ``subgroup`` in ``group``.

    Attributes
    ----------
    representatives : sequence of GroupElement
        ``r_i``, the first element of coset ``i`` in the group's element order (a tuple, or
        for the cosets of the trivial subgroup a lazy :class:`ElementSequence`).
    """

    group: Group
    subgroup: Group
    representatives: Sequence

    def __len__(self) -> int:
        return len(self.representatives)

    def coset_index(self, g: GroupElement) -> int:
        """The ``j`` with ``g`` in ``r_j H``."""
        raise NotImplementedError

    def to_subgroup(self, g: GroupElement) -> GroupElement:
        """``g`` (which must lie in the image of the subgroup) as a subgroup element."""
        raise NotImplementedError


class FiniteCosetSpace(CosetSpace):
    """Cosets of a finite group, in order of first appearance in ``group.elements``."""

    def __init__(self, group: Group, subgroup: Group, inclusion):
        self.group = group
        self.subgroup = subgroup
        image = [(inclusion(h), h) for h in subgroup.elements]
        self._back = {g: h for g, h in image}
        if len(self._back) != len(image):
            raise RuntimeError(f"the inclusion of {subgroup.name} into {group.name} is not injective")
        self._coset_of = {}
        representatives = []
        for g in group.elements:
            if g in self._coset_of:
                continue
            index = len(representatives)
            representatives.append(g)
            for inc, _ in image:
                self._coset_of[g @ inc] = index
        self.representatives = tuple(representatives)

    def coset_index(self, g: GroupElement) -> int:
        return self._coset_of[g]

    def to_subgroup(self, g: GroupElement) -> GroupElement:
        return self._back[g]


class ElementSequence(Sequence):
    """The elements of a finite group in escnn's order, as a lazy read-only sequence.

    Indexing, ``len`` and iteration make elements one at a time, so a view of a group of
    ten million elements costs nothing until it is read.  Compares equal to the tuple of
    the same elements.
    """

    __slots__ = ("group",)

    def __init__(self, group: Group):
        self.group = group

    def __len__(self) -> int:
        return self.group.order

    def __getitem__(self, i):
        n = len(self)
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(n)))
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(f"element indices must be integers or slices, not {type(i).__name__}")
        j = int(i) + n if i < 0 else int(i)
        if not 0 <= j < n:
            raise IndexError(f"element index {i} out of range for {self.group.name} "
                             f"(order {n})")
        return self.group._element_at(j)

    def __iter__(self):
        for j in range(len(self)):
            yield self.group._element_at(j)

    def __contains__(self, g) -> bool:
        return isinstance(g, GroupElement) and g.group == self.group

    def __eq__(self, other) -> bool:
        if isinstance(other, ElementSequence):
            return self.group == other.group
        if isinstance(other, (tuple, list)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))  # consistent with equality to the tuple of the elements

    def __repr__(self) -> str:
        return f"<elements of {self.group.name} ({len(self)})>"


class RegularCosetSpace(CosetSpace):
    """The cosets ``{g}`` of the trivial subgroup: coset ``i`` is ``group.elements[i]``.

    Nothing is tabulated, so the regular representation of a large group is built at once.
    """

    def __init__(self, group: Group, subgroup: Group):
        self.group = group
        self.subgroup = subgroup
        self.representatives = ElementSequence(group)

    def __len__(self) -> int:
        return self.group.order

    def coset_index(self, g: GroupElement) -> int:
        return self.group.index(g)

    def to_subgroup(self, g: GroupElement) -> GroupElement:
        if g != self.group.identity:
            raise KeyError(g)  # like FiniteCosetSpace: only the identity lies in the subgroup
        return self.subgroup.identity


def regular_restriction(group: Group, subgroup_id):
    r"""How the subgroup ``subgroup_id`` sees the channels of a regular field of ``group``.

    The regular field of a finite group :math:`G` holds channel ``group.index(g)`` for
    every element :math:`g`, and :math:`\rho(k) e_g = e_{kg}`.  Let :math:`H` be the
    subgroup (elements ``h_0, h_1, ...`` in its own order) and :math:`s_0, s_1, \dots`
    the first elements, in ``group.elements`` order, of the *right* cosets :math:`Hs`
    (so :math:`s_0` is the identity).  Every element is :math:`h_i s_j` for exactly one
    pair, and :math:`k \in H` maps :math:`h_i s_j` to :math:`(k h_i) s_j`: column
    :math:`j` of the table is a regular field of :math:`H`, the same for every
    :math:`j` (the restriction is a direct sum of ``[G:H]`` copies of :math:`H`'s
    regular representation, one per right coset).

    Parameters
    ----------
    group : Group
        A finite group.
    subgroup_id
        An escnn subgroup id of ``group``.

    Returns
    -------
    ndarray of int64, shape ``(H.order, G.order // H.order)``, read-only
        Entry ``[i, j]`` is the channel of :math:`h_i s_j`.
    """
    key = ("right regular", group._normalise_subgroup_id(subgroup_id))
    cache = group._coset_cache
    if key not in cache:
        H, inclusion = group.subgroup(subgroup_id)
        image = [inclusion(h) for h in H.elements]
        covered = set()
        representatives = []
        for g in group.elements:
            if g in covered:
                continue
            representatives.append(g)
            covered.update(h @ g for h in image)
        table = np.array([[group.index(h @ s) for s in representatives] for h in image],
                         dtype=np.int64).reshape(len(image), len(representatives))
        table.setflags(write=False)
        cache[key] = table
    return cache[key]
