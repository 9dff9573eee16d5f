r"""The cyclic groups :math:`C_N` of planar rotations, the reflection group and the trivial group.

:math:`C_N = \{r^0, r^1, \dots, r^{N-1}\}` with :math:`r^k` the rotation by :math:`2\pi k/N`
(counter-clockwise as displayed).  Element ``k`` is the escnn parameter; the elements are listed
``0, 1, ..., N-1``.  Irreps (escnn ids ``(k,)``, :math:`0 \le k \le \lfloor N/2 \rfloor`):

.. math::
    \psi_0(r^m) = 1, \qquad
    \psi_{N/2}(r^m) = (-1)^m, \qquad
    \psi_k(r^m) = R\!\left(\tfrac{2\pi k m}{N}\right)
    = \begin{pmatrix}\cos & -\sin\\ \sin & \cos\end{pmatrix}\!\left(\tfrac{2\pi k m}{N}\right).

The reflection group is :math:`C_2` acting on the plane by a mirror (``flip``); the trivial
group is :math:`C_1`.
"""

from __future__ import annotations

import math

import numpy as np

from . import _planar
from ._group import Group, _is_integer, check_positive_int
from .representation import IrreducibleRepresentation


class CyclicGroup(Group):
    """:math:`C_N`, the ``N`` rotations by multiples of :math:`2\\pi/N`."""

    subgroup_trivial_id = 1

    def __init__(self, N: int):
        self.N = N
        self.subgroup_self_id = N
        super().__init__(f"C{N}")

    def _key(self):
        return ("cyclic", self.N)

    def _factory(self):
        return cyclic, (self.N,)

    def _element_values(self):
        return tuple(range(self.N))

    def _order(self):
        return self.N

    def _value_index(self, value):
        return value

    def _element_at(self, i):
        return self._shared_element(i)

    def _identity_value(self):
        return 0

    def _canonical(self, value):
        if not _is_integer(value):
            raise ValueError(f"value: an element of {self.name} is an integer k, the rotation by "
                             f"2*pi*k/{self.N} (any integer, reduced modulo {self.N} to "
                             f"0..{self.N - 1}), got {value!r}")
        return int(value) % self.N

    def _compose_values(self, a, b):
        return (a + b) % self.N

    def _inverse_value(self, a):
        return (-a) % self.N

    def _physical_matrix(self, value):
        return _planar.turn_matrix(value, self.N)

    def _generator_values(self):
        return (1,) if self.N > 1 else ()

    def _value_repr(self, a):
        return str(a)

    # --- irreps ---------------------------------------------------------------------
    def _irrep_ids(self):
        return tuple((k,) for k in range(self.N // 2 + 1))

    def _build_irrep(self, irrep_id):
        N = self.N
        if len(irrep_id) != 1 or not _is_integer(irrep_id[0]) or not 0 <= irrep_id[0] <= N // 2:
            raise ValueError(f"{self.name} has irreps (k,) for k = 0..{N // 2}, not {irrep_id!r}")
        k = int(irrep_id[0])
        if k == 0:
            return IrreducibleRepresentation(self, (0,), 1, lambda g: np.ones((1, 1)), "R")
        if 2 * k == N:
            return IrreducibleRepresentation(
                self, (k,), 1, lambda g: np.array([[-1.0 if g.value % 2 else 1.0]]), "R")
        return IrreducibleRepresentation(
            self, (k,), 2, lambda g, k=k: _planar.turn_matrix(k * g.value, N), "C")

    # --- subgroups ------------------------------------------------------------------
    def _make_subgroup(self, subgroup_id):
        if not _is_integer(subgroup_id) or subgroup_id < 1 or self.N % subgroup_id:
            raise ValueError(f"the subgroups of {self.name} are C_M for M dividing {self.N}, "
                             f"identified by the int M; got {subgroup_id!r}")
        M = int(subgroup_id)
        ratio = self.N // M
        return cyclic(M), lambda value, ratio=ratio: value * ratio

    def _subgroup_ids(self):
        return tuple(M for M in range(1, self.N + 1) if self.N % M == 0)


class FlipGroup(CyclicGroup):
    r"""The reflection group :math:`\{e, f\}` (escnn's ``cyclic_group(2)`` acting by a mirror).

    ``f`` reflects the plane across the line through the origin at angle ``axis`` from the X
    axis; the default :math:`\pi/2` (the Y axis) mirrors left-right, i.e. reverses the last
    array axis.  Elements are ``0`` (identity) and ``1`` (the flip); the irreps are those of
    :math:`C_2`.
    """

    def __init__(self, axis: float):
        self.axis = axis
        super().__init__(2)
        self.name = "Flip" if math.isclose(axis, math.pi / 2, abs_tol=1e-12) else f"Flip[axis={axis:.6g}]"

    def _key(self):
        return ("flip", self.axis)

    def _factory(self):
        return flip, (self.axis,)

    def _physical_matrix(self, value):
        return _planar.reflection_matrix(self.axis) if value else np.eye(2)

    def _make_subgroup(self, subgroup_id):
        if subgroup_id == 1 and _is_integer(subgroup_id):
            return cyclic(1), lambda value: 0
        if subgroup_id == 2 and _is_integer(subgroup_id):
            return self, lambda value: value
        raise ValueError(f"the subgroups of {self.name} are 1 (the identity) and 2 (the group); "
                         f"got {subgroup_id!r}")

    def _subgroup_ids(self):
        return (1, 2)


_CYCLIC = {}
_FLIP = {}


def cyclic(N: int) -> CyclicGroup:
    r"""The cyclic group :math:`C_N` of ``N`` rotations (escnn's ``cyclic_group(N)`` acting as
    ``rot2dOnR2(N)``).

    Parameters
    ----------
    N : int
        Number of rotations, at least 1.
    """
    N = check_positive_int(N, "N (the number of rotations)")
    if N not in _CYCLIC:
        _CYCLIC[N] = CyclicGroup(N)
    return _CYCLIC[N]


def flip(axis: float = math.pi / 2) -> FlipGroup:
    """The reflection group ``{e, f}`` with ``f`` the mirror across the line at angle ``axis``.

    Parameters
    ----------
    axis : float
        Angle (radians) of the mirror line from the X axis; ``pi/2`` (default) mirrors
        left-right, ``0`` mirrors up-down.
    """
    axis = _planar.canonical_axis(axis)
    if axis not in _FLIP:
        _FLIP[axis] = FlipGroup(axis)
    return _FLIP[axis]


def trivial() -> CyclicGroup:
    """The trivial group :math:`C_1` (only the identity), escnn's ``trivial_group()``."""
    return cyclic(1)
