r"""The dihedral groups :math:`D_N`: ``N`` rotations and ``N`` reflections.

Element ``(j, k)`` (escnn's parameter) is :math:`r^k f^j`: first the flip :math:`f` if
``j = 1``, then the rotation by :math:`2\pi k/N`.  The law is

.. math:: (a, b)\,(c, e) = \big(a + c \bmod 2,\; b + (-1)^a e \bmod N\big),

and the elements are listed ``(0, 0), ..., (0, N-1), (1, 0), ..., (1, N-1)``.  The flip
:math:`f` mirrors the plane across the line at angle ``axis`` from the X axis (default
:math:`\pi/2`: left-right, reversing the last array axis).

Irreps, escnn ids ``(j, k)`` listed as ``(0,0), (1,0), (1,1), ..., (1, N//2)`` then
``(0, N/2)`` for even ``N``:

.. math::
    \psi_{0,0} = 1,\quad \psi_{1,0}(r^k f^j) = (-1)^j,\quad
    \psi_{0,N/2}(r^k f^j) = (-1)^k,\quad \psi_{1,N/2}(r^k f^j) = (-1)^{k+j},\\
    \psi_{1,m}(r^k f^j) = R\!\left(\tfrac{2\pi m k}{N}\right)\operatorname{diag}(1, (-1)^j).
"""

from __future__ import annotations

import math

import numpy as np

from . import _planar
from ._group import Group, _is_integer, check_flip, check_positive_int, unpack_pair
from .representation import IrreducibleRepresentation


class DihedralGroup(Group):
    """:math:`D_N` acting on the plane, with reflection axis ``axis``."""

    def __init__(self, N: int, axis: float):
        self.N = N
        self.axis = axis
        self.subgroup_trivial_id = (None, 1)
        self.subgroup_self_id = (0, N)
        default_axis = math.isclose(axis, math.pi / 2, abs_tol=1e-12)
        super().__init__(f"D{N}" if default_axis else f"D{N}[axis={axis:.6g}]")

    def _key(self):
        return ("dihedral", self.N, self.axis)

    def _factory(self):
        return dihedral, (self.N, self.axis)

    def _element_values(self):
        return tuple((j, k) for j in (0, 1) for k in range(self.N))

    def _order(self):
        return 2 * self.N

    def _value_index(self, value):
        return value[0] * self.N + value[1]

    def _element_at(self, i):
        return self._shared_element(divmod(i, self.N))

    def _identity_value(self):
        return (0, 0)

    def _canonical(self, value):
        j, k = unpack_pair(value, self.name, "(j, k): the rotation r^k after j flips")
        j = check_flip(j, self.name)
        if not _is_integer(k):
            raise ValueError(f"value: the rotation part k of an element (j, k) of {self.name} must "
                             f"be an integer (reduced modulo {self.N} to 0..{self.N - 1}), "
                             f"got {k!r}")
        return (j, int(k) % self.N)

    def _compose_values(self, a, b):
        sign = -1 if a[0] else 1
        return ((a[0] + b[0]) % 2, (a[1] + sign * b[1]) % self.N)

    def _inverse_value(self, a):
        # (r^k f)^{-1} = r^k f, (r^k)^{-1} = r^{-k}
        return (a[0], a[1] % self.N if a[0] else (-a[1]) % self.N)

    def _physical_matrix(self, value):
        j, k = value
        m = _planar.turn_matrix(k, self.N)
        return m @ _planar.reflection_matrix(self.axis) if j else m

    def _generator_values(self):
        return ((0, 1), (1, 0)) if self.N > 1 else ((1, 0),)

    def _value_repr(self, a):
        return f"{a[0]},{a[1]}"

    # --- irreps ---------------------------------------------------------------------
    def _irrep_ids(self):
        N = self.N
        ids = [(0, 0)] + [(1, k) for k in range(N // 2 + 1)]
        if N % 2 == 0:
            ids.append((0, N // 2))
        return tuple(ids)

    def _build_irrep(self, irrep_id):
        N = self.N
        valid = self._irrep_ids()
        if (len(irrep_id) != 2 or not all(_is_integer(i) for i in irrep_id)
                or tuple(int(i) for i in irrep_id) not in valid):
            raise ValueError(f"{self.name} has irreps {list(valid)}, not {irrep_id!r}")
        j, k = (int(i) for i in irrep_id)
        if k == 0:
            if j == 0:
                return IrreducibleRepresentation(self, (0, 0), 1, lambda g: np.ones((1, 1)), "R")
            return IrreducibleRepresentation(
                self, (1, 0), 1, lambda g: np.array([[-1.0 if g.value[0] else 1.0]]), "R")
        if 2 * k == N:
            def half_turn(g, j=j):
                sign = (-1) ** (g.value[1] % 2) * ((-1) ** g.value[0] if j else 1)
                return np.array([[float(sign)]])
            return IrreducibleRepresentation(self, (j, k), 1, half_turn, "R")

        def two_dim(g, k=k):
            m = _planar.turn_matrix(k * g.value[1], N)
            if g.value[0]:
                m[:, 1] *= -1.0  # R diag(1, -1)
            return m
        return IrreducibleRepresentation(self, (1, k), 2, two_dim, "R")

    # --- subgroups ------------------------------------------------------------------
    def _normalise_subgroup_id(self, subgroup_id):
        return tuple(subgroup_id) if isinstance(subgroup_id, (tuple, list)) else subgroup_id

    def _make_subgroup(self, subgroup_id):
        N = self.N
        usage = (f"the subgroups of {self.name} are (None, M): the rotations C_M, (k, 1): the "
                 f"flip r^k f, and (k, M): D_M generated by r^(N/M) and r^k f, with M dividing "
                 f"{N} and 0 <= k < N/M; got {subgroup_id!r}")
        if not isinstance(subgroup_id, (tuple, list)) or len(subgroup_id) != 2:
            raise ValueError(usage)
        k, M = subgroup_id
        if not _is_integer(M) or M < 1 or N % M:
            raise ValueError(usage)
        M = int(M)
        ratio = N // M
        if k is None:
            from .cyclic import cyclic
            return cyclic(M), lambda value, ratio=ratio: (0, value * ratio)
        if not _is_integer(k) or not 0 <= k < ratio:
            raise ValueError(usage)
        k = int(k)
        # r^k f mirrors across the axis turned by k*pi/N.
        axis = self.axis + k * math.pi / N
        if M == 1:
            from .cyclic import flip
            return flip(axis), lambda value, k=k: (value, k * value)
        return dihedral(M, axis), lambda value, k=k, ratio=ratio: (value[0], value[1] * ratio + value[0] * k)

    def _subgroup_ids(self):
        divisors = [M for M in range(1, self.N + 1) if self.N % M == 0]
        return tuple([(None, M) for M in divisors]
                     + [(k, M) for M in divisors for k in range(self.N // M)])


_DIHEDRAL = {}


def dihedral(N: int, axis: float = math.pi / 2) -> DihedralGroup:
    r"""The dihedral group :math:`D_N` (order ``2N``), escnn's ``dihedral_group(N)`` acting as
    ``flipRot2dOnR2(N, axis)``.

    Parameters
    ----------
    N : int
        Number of rotations, at least 1.
    axis : float
        Angle (radians) of the mirror line of the flip ``(1, 0)`` from the X axis; the default
        ``pi/2`` mirrors left-right.
    """
    N = check_positive_int(N, "N (the number of rotations)")
    axis = _planar.canonical_axis(axis)
    key = (N, axis)
    if key not in _DIHEDRAL:
        _DIHEDRAL[key] = DihedralGroup(N, axis)
    return _DIHEDRAL[key]
