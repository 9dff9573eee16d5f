r"""Representations as callable objects: ``rep(g)`` is the matrix :math:`\rho(g)`.

Properties that later code relies on (:attr:`Representation.is_permutation`,
:attr:`Representation.is_orthogonal`, ...) are computed from the matrices themselves, on every
element of a finite group or on a sample of a continuous one, never declared by tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Optional

import numpy as np

from ._group import Group, GroupElement

# Entries this close to 0 or 1 count as exactly 0 or 1 when deciding whether a matrix permutes.
_EXACT_TOL = 1e-9


@dataclass(frozen=True)
class Induction:
    r"""How an induced representation was built, for operators that need its block structure.

    The channels of an induced field come in :attr:`n_blocks` consecutive blocks of
    :attr:`block_size` channels, one block per coset :math:`r_i H` (in the order of
    :attr:`representatives`); :math:`\rho(g)` moves whole blocks and acts inside each with the
    subgroup representation.  Quotient (and regular) representations have ``block_size == 1``.

    Attributes
    ----------
    subgroup_id
        escnn id of the subgroup :math:`H`.
    subgroup : Group
    representation : Representation
        The representation of :math:`H` that was induced.
    representatives : sequence of GroupElement
        Coset representatives :math:`r_0, r_1, \dots`: a tuple, or for the regular
        representation (the cosets of the trivial subgroup) a lazy sequence of the group's
        elements, so that building the regular representation of a large group is cheap.
    """

    subgroup_id: object
    subgroup: Group
    representation: "Representation"
    representatives: Sequence

    @property
    def block_size(self) -> int:
        """``d``, the size of the subgroup representation."""
        return self.representation.size

    @property
    def n_blocks(self) -> int:
        """The number of cosets, ``size // d``."""
        return len(self.representatives)


class Representation:
    r"""A real representation :math:`\rho: G \to O(n)` of a :class:`Group`.

    Call it with an element (or the element's escnn parameter) to get the float64 matrix
    :math:`\rho(g)` of shape ``(size, size)``.

    Attributes
    ----------
    group : Group
    name : str
    size : int
    induction : Induction or None
        Set for induced, quotient and regular representations.
    """

    def __init__(self, group: Group, name: str, size: int, matrix_fn, key, *,
                 irreps: Optional[tuple] = None, change_of_basis: Optional[np.ndarray] = None,
                 decomposition=None, induction: Optional[Induction] = None):
        # Internal: build representations through a Group's methods or directsum().
        self.group = group
        self.name = name
        self.size = int(size)
        self._matrix_fn = matrix_fn
        self._key = key
        self._cache = {} if group.is_finite else None
        self.induction = induction
        self._decomposition_fn = decomposition
        if irreps is not None:
            self._decomposition = (tuple(irreps), np.asarray(change_of_basis, dtype=np.float64))

    # --- matrices -----------------------------------------------------------------------
    def _matrix(self, g: GroupElement) -> np.ndarray:
        """``rho(g)`` for an element of ``self.group``; a shared read-only array."""
        if self._cache is None:
            return self._matrix_fn(g)
        m = self._cache.get(g.value)
        if m is None:
            m = np.asarray(self._matrix_fn(g), dtype=np.float64)
            m.setflags(write=False)
            self._cache[g.value] = m
        return m

    def __call__(self, g) -> np.ndarray:
        """The matrix :math:`\\rho(g)` (a fresh float64 array); ``g`` may be an element or its
        escnn parameter."""
        return np.array(self._matrix(self.group.element(g)), dtype=np.float64)

    def character(self, g) -> float:
        r""":math:`\chi(g) = \operatorname{tr} \rho(g)`."""
        return float(np.trace(self._matrix(self.group.element(g))))

    # --- decomposition into irreps ------------------------------------------------------
    @cached_property
    def _decomposition(self):
        if self._decomposition_fn is not None:
            return self._decomposition_fn()
        from ._decompose import decompose
        return decompose(self)

    @property
    def irreps(self) -> tuple:
        r"""escnn ids of the irreps :math:`\psi_i` in :math:`\rho = Q (\bigoplus_i \psi_i) Q^T`."""
        return self._decomposition[0]

    @property
    def change_of_basis(self) -> np.ndarray:
        """The orthogonal ``Q`` with ``rho(g) = Q @ directsum(irreps)(g) @ Q.T``."""
        return self._decomposition[1].copy()

    @property
    def change_of_basis_inv(self) -> np.ndarray:
        return self._decomposition[1].T.copy()

    # --- properties read off the matrices -----------------------------------------------
    def _testing_matrices(self):
        return [self._matrix(g) for g in self.group.testing_elements()]

    @cached_property
    def is_permutation(self) -> bool:
        """Whether every :math:`\\rho(g)` is a permutation matrix (checked on the matrices)."""
        return all(_is_permutation_matrix(m) for m in self._testing_matrices())

    @property
    def is_pointwise(self) -> bool:
        """Whether channel-wise operations (max, ReLU) commute with the fiber action; the same
        as :attr:`is_permutation`."""
        return self.is_permutation

    @cached_property
    def is_orthogonal(self) -> bool:
        r"""Whether every :math:`\rho(g)` is orthogonal, so norms are invariant."""
        eye = np.eye(self.size)
        return all(np.allclose(m.T @ m, eye, rtol=0.0, atol=_EXACT_TOL)
                   for m in self._testing_matrices())

    @cached_property
    def is_trivial(self) -> bool:
        """Whether every :math:`\\rho(g)` is the identity."""
        eye = np.eye(self.size)
        return all(np.allclose(m, eye, rtol=0.0, atol=_EXACT_TOL) for m in self._testing_matrices())

    @property
    def is_induced(self) -> bool:
        """Whether the representation was built by induction (see :attr:`induction`)."""
        return self.induction is not None

    def permutation(self, g) -> np.ndarray:
        r"""For a permutation representation, the int array ``p`` with
        :math:`\rho(g) e_i = e_{p[i]}`, i.e. ``(rho(g) @ x)[p] == x``."""
        m = self._matrix(self.group.element(g))
        if not _is_permutation_matrix(m):
            raise ValueError(f"representation {self.name!r} of {self.group.name} does not "
                             f"permute channels at {g!r}")
        return np.argmax(m, axis=0)

    # --- building new representations ---------------------------------------------------
    def restrict(self, subgroup_id) -> "Representation":
        """Restriction to the subgroup ``subgroup_id`` (see :meth:`Group.restrict_representation`)."""
        return self.group.restrict_representation(subgroup_id, self)

    def __add__(self, other: "Representation") -> "Representation":
        return directsum(self, other)

    # --- identity and display -----------------------------------------------------------
    def __eq__(self, other) -> bool:
        if not isinstance(other, Representation):
            return NotImplemented
        return self.group == other.group and self._key == other._key

    def __hash__(self) -> int:
        return hash((self.group, self._key))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.group.name}: {self.name!r}, size={self.size})"

    def __reduce__(self):
        # Matrices come from closures, which do not pickle; rebuild from the recipe instead.
        return (_rebuild, (self.group, self._key, self.name))


class IrreducibleRepresentation(Representation):
    """An irrep.

    Attributes
    ----------
    id : tuple
        escnn's id, e.g. ``(3,)`` for :math:`C_N` or :math:`SO(2)`, ``(j, k)`` for
        :math:`D_N` or :math:`O(2)`.
    type : str
        ``'R'`` if the irrep stays irreducible over the complex numbers, ``'C'`` if it is the
        real form of a pair of complex-conjugate irreps (the rotation irreps of :math:`C_N` and
        :math:`SO(2)`).
    """

    def __init__(self, group: Group, irrep_id: tuple, size: int, matrix_fn, irrep_type: str):
        name = "irrep_" + ",".join(str(i) for i in irrep_id)
        super().__init__(group, name, size, matrix_fn, ("irrep", tuple(irrep_id)),
                         irreps=(tuple(irrep_id),), change_of_basis=np.eye(size))
        self.id = tuple(irrep_id)
        self.type = irrep_type

    @property
    def sum_of_squares_constituents(self) -> int:
        r"""Dimension of the commutant: :math:`\langle\chi, \chi\rangle`, 1 for type ``'R'``
        and 2 for type ``'C'``."""
        return {"R": 1, "C": 2}[self.type]


def directsum(*representations, name: Optional[str] = None) -> Representation:
    r"""The direct sum :math:`\rho_1 \oplus \rho_2 \oplus \dots` (block-diagonal matrices).

    Accepts representations as separate arguments or as one list.  All must belong to the same
    group.  The channels of the result are those of the summands, one after the other.
    """
    if len(representations) == 1 and not isinstance(representations[0], Representation):
        representations = tuple(representations[0])
    if not representations:
        raise ValueError("directsum needs at least one representation")
    for r in representations:
        if not isinstance(r, Representation):
            raise TypeError(f"directsum takes refpool Representations, got {type(r).__name__}")
    group = representations[0].group
    for r in representations[1:]:
        if r.group != group:
            raise ValueError(f"cannot sum representations of different groups: "
                             f"{representations[0].name!r} of {group.name} and {r.name!r} of "
                             f"{r.group.name}")
    if len(representations) == 1 and name is None:
        return representations[0]
    reps = tuple(representations)
    sizes = [r.size for r in reps]
    size = sum(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)])

    def matrix(g, reps=reps, offsets=offsets, size=size):
        out = np.zeros((size, size))
        for r, a, b in zip(reps, offsets[:-1], offsets[1:]):
            out[a:b, a:b] = r._matrix(g)
        return out

    def decomposition(reps=reps, size=size):
        ids = tuple(i for r in reps for i in r.irreps)
        cob = np.zeros((size, size))
        for r, a, b in zip(reps, offsets[:-1], offsets[1:]):
            cob[a:b, a:b] = r._decomposition[1]
        return ids, cob

    key = ("directsum", tuple(r._key for r in reps))
    return Representation(group, name if name is not None else "+".join(r.name for r in reps),
                          size, matrix, key, decomposition=decomposition)


def _rebuild(group: Group, key, name: str) -> Representation:
    """The representation of ``group`` built by the recipe ``key`` (see ``Representation._key``)."""
    kind = key[0]
    if kind == "irrep":
        return group.irrep(*key[1])
    if kind == "regular":
        return group.regular_representation
    if kind == "quotient":
        return group.quotient_representation(key[1])
    if kind == "induced":
        subgroup, _ = group.subgroup(key[1])
        inner = _rebuild(subgroup, key[2], None)
        return group.induced_representation(key[1], inner)
    if kind == "restrict":
        parent, subgroup_id, inner_key = key[1], key[2], key[3]
        return parent.restrict_representation(subgroup_id, _rebuild(parent, inner_key, None))
    if kind == "directsum":
        return directsum(*[_rebuild(group, k, None) for k in key[1]], name=name)
    raise ValueError(f"unknown representation recipe {key!r}")


def _is_permutation_matrix(m: np.ndarray) -> bool:
    rounded = np.rint(m)
    if not np.all(np.abs(m - rounded) <= _EXACT_TOL):
        return False
    if not np.all((rounded == 0) | (rounded == 1)):
        return False
    return bool(np.all(rounded.sum(axis=0) == 1) and np.all(rounded.sum(axis=1) == 1))


def _induced(group: Group, subgroup_id, representation: Representation, *, name: str,
             key) -> Representation:
    cosets = group._coset_space(subgroup_id)
    d = representation.size
    reps = cosets.representatives
    size = d * len(reps)

    def matrix(g, cosets=cosets, reps=reps, d=d, size=size, psi=representation):
        out = np.zeros((size, size))
        for i, r in enumerate(reps):
            gr = g @ r
            j = cosets.coset_index(gr)
            h = cosets.to_subgroup(~reps[j] @ gr)
            out[j * d:(j + 1) * d, i * d:(i + 1) * d] = psi._matrix(h)
        return out

    induction = Induction(subgroup_id, cosets.subgroup, representation, reps)
    return Representation(group, name, size, matrix, key, induction=induction)


def _restricted(group: Group, subgroup_id, representation: Representation) -> Representation:
    subgroup, inclusion = group.subgroup(subgroup_id)
    key = ("restrict", group, group._normalise_subgroup_id(subgroup_id), representation._key)
    cache = subgroup._representation_cache
    if key not in cache:
        def matrix(h, inclusion=inclusion, rho=representation):
            return rho._matrix(inclusion(h))

        cache[key] = Representation(subgroup, f"restrict[{subgroup_id}][{representation.name}]",
                                    representation.size, matrix, key)
    return cache[key]
