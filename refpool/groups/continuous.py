r"""The continuous planar groups :math:`SO(2)` and :math:`O(2)`.

:math:`SO(2)` elements are angles :math:`\theta` (escnn's parameter), reduced modulo
:math:`2\pi`.  :math:`O(2)` elements are pairs ``(j, theta)`` meaning
:math:`r_\theta f^j` (flip first, then rotate), with the law

.. math:: (a, \alpha)(c, \gamma) = \big(a + c \bmod 2,\; \alpha + (-1)^a \gamma\big).

Irreps (escnn ids), listed up to the group's ``maximum_frequency``:
:math:`SO(2)`: ``(0,)`` trivial and ``(k,)``: :math:`\psi_k(\theta) = R(k\theta)`;
:math:`O(2)`: ``(0, 0)`` trivial, ``(1, 0)`` the flip sign and ``(1, k)``:
:math:`R(k\theta)\,\mathrm{diag}(1, (-1)^j)`.

Elements compare equal when their angles agree to 1e-9 radians modulo a full turn.
"""

from __future__ import annotations

import math

import numpy as np

from . import _planar
from ._cosets import CosetSpace
from ._group import (Group, GroupElement, _is_integer, _is_real, check_flip, check_frequency,
                     unpack_pair)
from .representation import IrreducibleRepresentation

# Angles used to sample a continuous group when checking a property of a representation:
# a uniform grid (which holds every quarter turn) plus two angles that are irrational
# multiples of a turn.
_SAMPLE_ANGLES = tuple(2.0 * math.pi * i / 24 for i in range(24)) + (1.0, math.sqrt(2.0))
# Rotations that pin down a decomposition: generic angles (a dense subgroup each).
_GENERIC_ANGLES = (1.0, math.sqrt(2.0), 2.5)


def _check_angle(theta, group_name: str) -> float:
    if not _is_real(theta):
        raise ValueError(f"value: the rotation angle of an element of {group_name} must be a "
                         f"finite real number (radians, any value, reduced modulo 2*pi), "
                         f"got {theta!r}")
    return _planar.reduce_angle(float(theta))


class SO2Group(Group):
    """:math:`SO(2)`, all planar rotations."""

    is_finite = False
    subgroup_trivial_id = 1
    subgroup_self_id = -1

    def __init__(self, maximum_frequency: int):
        self.maximum_frequency = maximum_frequency
        super().__init__("SO(2)")

    def _key(self):
        return ("so2", self.maximum_frequency)

    def _factory(self):
        return so2, (self.maximum_frequency,)

    def _identity_value(self):
        return 0.0

    def _canonical(self, value):
        return _check_angle(value, self.name)

    def _compose_values(self, a, b):
        return _planar.reduce_angle(a + b)

    def _inverse_value(self, a):
        return _planar.reduce_angle(-a)

    def _physical_matrix(self, value):
        return _planar.rotation_matrix(value)

    def _values_equal(self, a, b):
        return _planar.angles_close(a, b)

    def _value_hash_key(self, a):
        # Equality has a tolerance, so the hash cannot depend on the angle.
        return None

    def _value_repr(self, a):
        return f"{a:.6g}"

    def _generator_values(self):
        return _GENERIC_ANGLES

    def testing_elements(self):
        return tuple(GroupElement(self, a) for a in _SAMPLE_ANGLES)

    # --- irreps ---------------------------------------------------------------------
    def _irrep_ids(self):
        return tuple((k,) for k in range(self.maximum_frequency + 1))

    def _extra_irreps(self, up_to: int):
        return tuple(self.irrep(k) for k in range(self.maximum_frequency + 1, up_to + 1))

    def _build_irrep(self, irrep_id):
        if len(irrep_id) != 1 or not _is_integer(irrep_id[0]) or irrep_id[0] < 0:
            raise ValueError(f"SO(2) has irreps (k,) for integers k >= 0, not {irrep_id!r}")
        k = int(irrep_id[0])
        if k == 0:
            return IrreducibleRepresentation(self, (0,), 1, lambda g: np.ones((1, 1)), "R")
        return IrreducibleRepresentation(self, (k,), 2, lambda g, k=k: _planar.psi(k * g.value), "C")

    # --- subgroups ------------------------------------------------------------------
    def _make_subgroup(self, subgroup_id):
        if _is_integer(subgroup_id) and subgroup_id == -1:
            return self, lambda value: value
        if not _is_integer(subgroup_id) or subgroup_id < 1:
            raise ValueError("the subgroups of SO(2) are C_M (the int M >= 1) and SO(2) itself (-1); "
                             f"got {subgroup_id!r}")
        from .cyclic import cyclic
        M = int(subgroup_id)
        return cyclic(M), lambda value, M=M: _planar.reduce_angle(2.0 * math.pi * value / M)


class O2Group(Group):
    """:math:`O(2)`, all planar rotations and reflections; reflection axis ``axis``."""

    is_finite = False

    def __init__(self, maximum_frequency: int, axis: float):
        self.maximum_frequency = maximum_frequency
        self.axis = axis
        self.subgroup_trivial_id = (None, 1)
        self.subgroup_self_id = (0.0, -1)
        default_axis = math.isclose(axis, math.pi / 2, abs_tol=1e-12)
        super().__init__("O(2)" if default_axis else f"O(2)[axis={axis:.6g}]")

    def _key(self):
        return ("o2", self.maximum_frequency, self.axis)

    def _factory(self):
        return o2, (self.maximum_frequency, self.axis)

    def _identity_value(self):
        return (0, 0.0)

    def _canonical(self, value):
        j, theta = unpack_pair(value, self.name, "(j, theta): the rotation by theta after j flips")
        return (check_flip(j, self.name), _check_angle(theta, self.name))

    def _compose_values(self, a, b):
        sign = -1.0 if a[0] else 1.0
        return ((a[0] + b[0]) % 2, _planar.reduce_angle(a[1] + sign * b[1]))

    def _inverse_value(self, a):
        return (a[0], a[1] if a[0] else _planar.reduce_angle(-a[1]))

    def _physical_matrix(self, value):
        m = _planar.rotation_matrix(value[1])
        return m @ _planar.reflection_matrix(self.axis) if value[0] else m

    def _values_equal(self, a, b):
        return a[0] == b[0] and _planar.angles_close(a[1], b[1])

    def _value_hash_key(self, a):
        return a[0]

    def _value_repr(self, a):
        return f"{a[0]},{a[1]:.6g}"

    def _generator_values(self):
        return tuple((0, a) for a in _GENERIC_ANGLES) + ((1, 0.0),)

    def testing_elements(self):
        return tuple(GroupElement(self, (j, a)) for j in (0, 1) for a in _SAMPLE_ANGLES)

    # --- irreps ---------------------------------------------------------------------
    def _irrep_ids(self):
        return ((0, 0),) + tuple((1, k) for k in range(self.maximum_frequency + 1))

    def _extra_irreps(self, up_to: int):
        return tuple(self.irrep(1, k) for k in range(self.maximum_frequency + 1, up_to + 1))

    def _build_irrep(self, irrep_id):
        if (len(irrep_id) != 2 or not all(_is_integer(i) for i in irrep_id)
                or irrep_id[0] not in (0, 1) or irrep_id[1] < 0
                or (irrep_id[0] == 0 and irrep_id[1] != 0)):
            raise ValueError(f"O(2) has irreps (0, 0) and (1, k) for integers k >= 0, not {irrep_id!r}")
        j, k = (int(i) for i in irrep_id)
        if k == 0:
            if j == 0:
                return IrreducibleRepresentation(self, (0, 0), 1, lambda g: np.ones((1, 1)), "R")
            return IrreducibleRepresentation(
                self, (1, 0), 1, lambda g: np.array([[-1.0 if g.value[0] else 1.0]]), "R")
        return IrreducibleRepresentation(
            self, (1, k), 2, lambda g, k=k: _planar.psi_chi(k * g.value[1], g.value[0]), "R")

    # --- subgroups ------------------------------------------------------------------
    def _normalise_subgroup_id(self, subgroup_id):
        return tuple(subgroup_id) if isinstance(subgroup_id, (tuple, list)) else subgroup_id

    def _make_subgroup(self, subgroup_id):
        usage = ("the subgroups of O(2) are (None, -1): SO(2), (None, M): C_M, (theta, 1): the "
                 "flip r_theta f, (theta, M): D_M generated by r_(2pi/M) and r_theta f, and "
                 f"(theta, -1): O(2) with the flip r_theta f; got {subgroup_id!r}")
        if not isinstance(subgroup_id, (tuple, list)) or len(subgroup_id) != 2:
            raise ValueError(usage)
        theta, M = subgroup_id
        if not _is_integer(M) or not (M == -1 or M >= 1):
            raise ValueError(usage)
        M = int(M)
        from .cyclic import cyclic, flip
        from .dihedral import dihedral
        if theta is None:
            if M == -1:
                return so2(self.maximum_frequency), lambda value: (0, value)
            return cyclic(M), lambda value, M=M: (0, _planar.reduce_angle(2.0 * math.pi * value / M))
        if not _is_real(theta):
            raise ValueError(usage)
        theta = float(theta)
        # r_theta f mirrors across the axis turned by theta / 2.
        axis = self.axis + theta / 2.0
        if M == -1:
            return (o2(self.maximum_frequency, axis),
                    lambda value, t=theta: (value[0], _planar.reduce_angle(value[1] + value[0] * t)))
        if M == 1:
            return flip(axis), lambda value, t=theta: (value, _planar.reduce_angle(value * t))
        return (dihedral(M, axis),
                lambda value, t=theta, M=M: (value[0], _planar.reduce_angle(
                    2.0 * math.pi * value[1] / M + value[0] * t)))

    def _coset_space(self, subgroup_id):
        key = self._normalise_subgroup_id(subgroup_id)
        if key == (None, -1):
            if key not in self._coset_cache:
                self._coset_cache[key] = _RotationCosets(self)
            return self._coset_cache[key]
        raise ValueError(f"O(2) induces only from SO(2), subgroup (None, -1): the other subgroups "
                         f"have infinitely many cosets or are O(2) itself; got {subgroup_id!r}")


class _RotationCosets(CosetSpace):
    """The two cosets of SO(2) in O(2): the rotations, then the reflections."""

    def __init__(self, group: O2Group):
        self.group = group
        self.subgroup, _ = group.subgroup((None, -1))
        self.representatives = (group.element((0, 0.0)), group.element((1, 0.0)))

    def coset_index(self, g):
        return g.value[0]

    def to_subgroup(self, g):
        return self.subgroup.element(g.value[1])


_SO2 = {}
_O2 = {}


def so2(maximum_frequency: int = 6) -> SO2Group:
    """:math:`SO(2)`, escnn's ``so2_group(maximum_frequency)`` acting as ``rot2dOnR2(-1)``.

    Parameters
    ----------
    maximum_frequency : int
        Highest frequency in :attr:`Group.irreps`; higher irreps remain available through
        :meth:`Group.irrep`.
    """
    maximum_frequency = check_frequency(maximum_frequency)
    if maximum_frequency not in _SO2:
        _SO2[maximum_frequency] = SO2Group(maximum_frequency)
    return _SO2[maximum_frequency]


def o2(maximum_frequency: int = 6, axis: float = math.pi / 2) -> O2Group:
    """:math:`O(2)`, escnn's ``o2_group(maximum_frequency)`` acting as ``flipRot2dOnR2(-1, axis)``.

    Parameters
    ----------
    maximum_frequency : int
        Highest frequency in :attr:`Group.irreps`.
    axis : float
        Angle (radians) of the mirror line of the flip ``(1, 0)`` from the X axis; the default
        ``pi/2`` mirrors left-right.
    """
    maximum_frequency = check_frequency(maximum_frequency)
    axis = _planar.canonical_axis(axis)
    key = (maximum_frequency, axis)
    if key not in _O2:
        _O2[key] = O2Group(maximum_frequency, axis)
    return _O2[key]
