"""Symmetry groups of the grid and their representations, in pure NumPy.

Conventions (elements, irreps, subgroup ids, coset order) are escnn's, so matrices compare
entry by entry with escnn/e2cnn.  See ``docs/groups.rst`` for the conventions drawn out.

>>> from refpool.groups import cyclic
>>> G = cyclic(4)
>>> G.regular_representation(1)          # rotation by 90 degrees rolls the channels by +1
array([[0., 0., 0., 1.],
       [1., 0., 0., 0.],
       [0., 1., 0., 0.],
       [0., 0., 1., 0.]])
"""

from ._group import Group, GroupElement
from .continuous import O2Group, SO2Group, o2, so2
from .cyclic import CyclicGroup, FlipGroup, cyclic, flip, trivial
from .dihedral import DihedralGroup, dihedral
from .octahedral import OctahedralGroup, octahedral
from .representation import Induction, IrreducibleRepresentation, Representation, directsum

__all__ = [
    "cyclic", "dihedral", "so2", "o2", "flip", "trivial", "octahedral",
    "directsum",
    "Group", "GroupElement", "Representation", "IrreducibleRepresentation", "Induction",
    "CyclicGroup", "FlipGroup", "DihedralGroup", "SO2Group", "O2Group", "OctahedralGroup",
]
