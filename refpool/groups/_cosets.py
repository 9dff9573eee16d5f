"""Left cosets ``gH`` of a subgroup, numbered the way escnn numbers them.

Induced and quotient representations need three things: the coset representatives
``r_0, r_1, ...``, the coset ``j`` holding a given element, and the subgroup element
``r_j^{-1} g r_i`` read back in the subgroup's own parameters.
"""

from __future__ import annotations

from typing import Tuple

from ._group import Group, GroupElement


class CosetSpace:
    """The left cosets of ``subgroup`` in ``group``.

    Attributes
    ----------
    representatives : tuple of GroupElement
        ``r_i``, the first element of coset ``i`` in the group's element order.
    """

    group: Group
    subgroup: Group
    representatives: Tuple[GroupElement, ...]

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
