r"""The octahedral groups: the symmetries of the cube, i.e. of the voxel grid.

An element is a signed 3x3 permutation matrix :math:`M` acting on physical coordinates
``(X, Y, Z)`` (escnn's ``'MAT'`` parametrisation).  The full group :math:`O_h` holds all 48;
the rotation group :math:`O` the 24 with :math:`\det M = +1`.  Array axes read
``(-Z, -Y, X)`` (escnn's convention), so every element is an exact axis transpose/reversal of
a voxel array.

Element order: rotations first, then (full group only) the rest; within each, by permutation of
the axes in lexicographic order, then by the signs ``(+,+,+), (+,+,-), ...``.  So the identity
comes first, and ``octahedral(True).elements[:24]`` equals ``octahedral(False).elements``.
This order is refpool's own (escnn orders its octahedral elements by quaternion).

Irreps of :math:`O` (ids after escnn's; ``M = R`` for a rotation): ``(0,)`` trivial; ``(1,)``
the rotation itself, :math:`R` in the ``(X, Y, Z)`` basis (escnn's ``standard_representation``;
escnn's irrep ``(1,)`` is the same up to the order ``(Y, Z, X)``); ``(-1,)`` =
:math:`\operatorname{sgn}(\pi_R)\,R`; ``(2,)`` the 2-dimensional irrep through the permutation
:math:`\pi_R` of the three axes; ``(3,)`` = :math:`\operatorname{sgn}(\pi_R)`.  For :math:`O_h`,
every element is :math:`M = s R` with :math:`s = \det M` (:math:`s = -1`: times the inversion),
and irrep ``(j, l)`` is :math:`s^j \psi_l(R)`; e.g. ``(1, 1)`` is :math:`M` itself (vectors) and
``(0, 1)`` is :math:`\det(M)\,M` (pseudo-vectors).
"""

from __future__ import annotations

import itertools

import numpy as np

from ._group import Group, _is_integer
from .representation import IrreducibleRepresentation

# Orthonormal basis of the plane x + y + z = 0, on which the axis permutations act as the
# 2-dimensional irrep of S_3.
_E_BASIS = np.array([[1.0 / np.sqrt(2.0), 1.0 / np.sqrt(6.0)],
                     [-1.0 / np.sqrt(2.0), 1.0 / np.sqrt(6.0)],
                     [0.0, -2.0 / np.sqrt(6.0)]])

_ROTATION_IRREPS = (0, 1, -1, 2, 3)


def _signed_permutations():
    rotations, reflections = [], []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3), dtype=int)
            for row, (col, s) in enumerate(zip(perm, signs)):
                m[row, col] = s
            value = tuple(tuple(int(v) for v in row) for row in m)
            (rotations if round(np.linalg.det(m)) == 1 else reflections).append(value)
    return rotations, reflections


class OctahedralGroup(Group):
    """The octahedral group of the voxel grid (48 elements if ``full``, else the 24 rotations)."""

    ndim = 3

    def __init__(self, full: bool):
        self.full = full
        self.subgroup_trivial_id = (False, 1)
        self.subgroup_self_id = "fullocta" if full else "octa"
        super().__init__("Oh" if full else "O")

    def _key(self):
        return ("octahedral", self.full)

    def _factory(self):
        return octahedral, (self.full,)

    def _element_values(self):
        rotations, reflections = _signed_permutations()
        return tuple(rotations + reflections) if self.full else tuple(rotations)

    def _identity_value(self):
        return ((1, 0, 0), (0, 1, 0), (0, 0, 1))

    def _canonical(self, value):
        if isinstance(value, tuple) and value in self._index:
            return value  # already canonical (the common case inside group computations)
        try:
            m = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            m = None
        if m is None or m.shape != (3, 3):
            raise ValueError(f"value: an element of {self.name} is a signed 3x3 permutation "
                             f"matrix on (X, Y, Z), got {value!r}")
        rounded = np.rint(m)
        if (not np.all(np.abs(m - rounded) <= 1e-9)
                or not np.all(np.abs(rounded).sum(axis=0) == 1)
                or not np.all(np.abs(rounded).sum(axis=1) == 1)):
            raise ValueError(f"value: an element of {self.name} is a signed 3x3 permutation "
                             f"matrix (entries 0 and +-1, one non-zero per row and column), "
                             f"got {value!r}")
        canonical = tuple(tuple(int(v) for v in row) for row in rounded)
        if canonical not in self._index:
            raise ValueError(f"value {value!r} is a reflection (determinant -1); {self.name} "
                             "holds only rotations, signed permutation matrices of determinant "
                             "+1 (use octahedral(full=True))")
        return canonical

    def _compose_values(self, a, b):
        # Row r of a holds one entry +-1 in column k, so row r of a @ b is +-(row k of b).
        rows = []
        for row in a:
            k = 0 if row[0] else (1 if row[1] else 2)
            rows.append(tuple(row[k] * v for v in b[k]))
        return tuple(rows)

    def _inverse_value(self, a):
        return tuple(zip(*a))

    def _physical_matrix(self, value):
        return np.array(value, dtype=np.float64)

    def _generator_values(self):
        quarter_turn_z = ((0, -1, 0), (1, 0, 0), (0, 0, 1))
        third_turn_diagonal = ((0, 0, 1), (1, 0, 0), (0, 1, 0))  # x -> y -> z -> x
        gens = (quarter_turn_z, third_turn_diagonal)
        if self.full:
            gens += (((-1, 0, 0), (0, -1, 0), (0, 0, -1)),)  # the inversion
        return gens

    def _value_repr(self, a):
        # The image of the point (x, y, z), e.g. "-y,x,z" for the quarter turn about Z.
        names = "xyz"
        parts = []
        for row in a:
            col = next(i for i, v in enumerate(row) if v)
            parts.append(("-" if row[col] < 0 else "") + names[col])
        return ",".join(parts)

    # --- irreps ---------------------------------------------------------------------
    def _irrep_ids(self):
        if self.full:
            return tuple((j, l) for j in (0, 1) for l in _ROTATION_IRREPS)
        return tuple((l,) for l in _ROTATION_IRREPS)

    def _build_irrep(self, irrep_id):
        valid = self._irrep_ids()
        if not all(_is_integer(i) for i in irrep_id) or tuple(int(i) for i in irrep_id) not in valid:
            raise ValueError(f"{self.name} has irreps {list(valid)}, not {irrep_id!r}")
        irrep_id = tuple(int(i) for i in irrep_id)
        parity, l = irrep_id if self.full else (0, irrep_id[0])
        size = {0: 1, 1: 3, -1: 3, 2: 2, 3: 1}[l]

        def matrix(g, parity=parity, l=l):
            m = np.array(g.value, dtype=np.float64)
            s = round(np.linalg.det(m))
            rotation = s * m
            perm = np.abs(rotation)
            perm_sign = round(np.linalg.det(perm))
            if l == 0:
                out = np.ones((1, 1))
            elif l == 1:
                out = rotation
            elif l == -1:
                out = perm_sign * rotation
            elif l == 2:
                out = _E_BASIS.T @ perm @ _E_BASIS
            else:
                out = np.array([[float(perm_sign)]])
            return out * (s if parity else 1.0)

        return IrreducibleRepresentation(self, irrep_id, size, matrix, "R")

    # --- subgroups ------------------------------------------------------------------
    def _normalise_subgroup_id(self, subgroup_id):
        return tuple(subgroup_id) if isinstance(subgroup_id, (tuple, list)) else subgroup_id

    def _make_subgroup(self, subgroup_id):
        usage = (f"the subgroups of {self.name} are (False, N) for N in 1, 2, 4 (C_N, rotations "
                 "about the Z axis), 'octa' (the 24 rotations)"
                 + (" and 'fullocta' (the group itself)" if self.full else "")
                 + f"; got {subgroup_id!r}")
        if subgroup_id == "octa":
            return octahedral(full=False), lambda value: value
        if subgroup_id == "fullocta" and self.full:
            return self, lambda value: value
        if (isinstance(subgroup_id, (tuple, list)) and len(subgroup_id) == 2
                and subgroup_id[0] is False and _is_integer(subgroup_id[1])
                and subgroup_id[1] in (1, 2, 4)):
            from .cyclic import cyclic
            N = int(subgroup_id[1])
            turns = {0: ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
                     1: ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
                     2: ((-1, 0, 0), (0, -1, 0), (0, 0, 1)),
                     3: ((0, 1, 0), (-1, 0, 0), (0, 0, 1))}
            return cyclic(N), lambda value, step=4 // N: turns[(value * step) % 4]
        raise ValueError(usage)

    def _subgroup_ids(self):
        return ((False, 1), (False, 2), (False, 4), "octa") + (("fullocta",) if self.full else ())


_OCTAHEDRAL = {}


def octahedral(full: bool = True) -> OctahedralGroup:
    """The symmetries of the voxel grid.

    Parameters
    ----------
    full : bool
        ``True`` (default): all 48 signed axis permutations (:math:`O_h`, rotations and
        reflections); ``False``: the 24 rotations (:math:`O`).
    """
    if not isinstance(full, (bool, np.bool_)):
        raise ValueError(f"full must be True or False, got {full!r}")
    full = bool(full)
    if full not in _OCTAHEDRAL:
        _OCTAHEDRAL[full] = OctahedralGroup(full)
    return _OCTAHEDRAL[full]
