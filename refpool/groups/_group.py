"""The abstract group and its elements.

A concrete group says how to read an element from its escnn parameter, how elements
compose, what its irreps are, which subgroups it has and how each element moves the grid.
Everything else (regular, quotient and induced representations, restriction, direct sums,
decompositions) is built here once, from those few facts.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Callable, Hashable, Tuple

import numpy as np

from . import _planar


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            and math.isfinite(float(value)))


class GroupElement:
    """One element of a :class:`Group`.

    Parameters are escnn's: an int ``k`` for :math:`C_N` (rotation by :math:`2\\pi k/N`), a
    pair ``(j, k)`` for :math:`D_N` (the element :math:`r^k f^j`), an angle ``theta`` for
    :math:`SO(2)`, a pair ``(j, theta)`` for :math:`O(2)`, and a signed 3x3 permutation
    matrix for the octahedral groups.  Build elements with :meth:`Group.element`; compose them
    with ``g @ h`` and invert them with ``~g``.

    Attributes
    ----------
    group : Group
        The group the element belongs to.
    value : hashable
        The canonical escnn parameter (rotations reduced modulo a full turn).
    """

    __slots__ = ("group", "value")

    def __init__(self, group: "Group", value):
        # Internal: ``value`` must already be canonical (use ``Group.element``).
        self.group = group
        self.value = value

    # --- group law -------------------------------------------------------------------
    def __matmul__(self, other: "GroupElement") -> "GroupElement":
        return self.group.compose(self, other)

    def __invert__(self) -> "GroupElement":
        return self.group.inverse(self)

    def inverse(self) -> "GroupElement":
        """The inverse element, the same as ``~g``."""
        return self.group.inverse(self)

    # --- action on the grid ----------------------------------------------------------
    @property
    def matrix(self) -> np.ndarray:
        """The element's action on physical coordinates, a float64 ``(d, d)`` array.

        ``d = 2`` for the planar groups, on ``(X, Y)``; ``d = 3`` for the octahedral groups,
        on ``(X, Y, Z)``.  Quarter turns and grid reflections are exact.
        """
        return self.group._physical_matrix(self.value).copy()

    @property
    def array_matrix(self) -> np.ndarray:
        """The same action written on array coordinates (offsets from the array centre).

        Array coordinates list the spatial axes in array order: ``(-Y, X)`` in 2D,
        ``(-Z, -Y, X)`` in 3D.  A field transforms as ``f'(u) = rho(g) f(A^{-1} u)``.
        """
        return _planar.physical_to_array(self.group._physical_matrix(self.value))

    @property
    def axis_permutation(self):
        """How the element moves the grid onto itself, or ``None`` if it does not.

        Returns ``(perm, reverse)``: the transformed array's spatial axis ``b`` is the input's
        axis ``perm[b]``, reversed where ``reverse[b]`` is true.  Axes are counted among the
        last ``group.ndim`` spatial axes, the ones the group acts on.  Decided by
        rounding :attr:`array_matrix` when it lies within 1e-9 of a signed permutation, so an
        angle such as ``2*pi/4`` computed in floating point still counts as exact.
        """
        return _planar.signed_permutation(self.array_matrix)

    @property
    def is_grid_symmetry(self) -> bool:
        """Whether the element maps the pixel (voxel) grid onto itself exactly."""
        return self.axis_permutation is not None

    # --- identity and display ----------------------------------------------------------
    def __eq__(self, other) -> bool:
        if not isinstance(other, GroupElement):
            return NotImplemented
        return self.group == other.group and self.group._values_equal(self.value, other.value)

    def __hash__(self) -> int:
        return hash((self.group, self.group._value_hash_key(self.value)))

    def __repr__(self) -> str:
        return f"{self.group.name}[{self.group._value_repr(self.value)}]"

    def __reduce__(self):
        return (GroupElement, (self.group, self.value))


class Group:
    """A symmetry group of the grid, with its representations.

    Do not instantiate directly: use :func:`cyclic`, :func:`dihedral`, :func:`so2`,
    :func:`o2`, :func:`flip`, :func:`trivial` or :func:`octahedral`.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"C8"``, ``"D4"``, ``"O(2)"``.
    ndim : int
        Dimension of the space the group acts on (2 for the planar groups, 3 for the
        octahedral ones).  On arrays with more spatial axes a planar group acts on the last
        two (rotations about the Z axis).
    is_finite : bool
    order : int
        Number of elements, or -1 for a continuous group (escnn's convention).
    """

    ndim = 2
    is_finite = True
    #: escnn id of the subgroup containing only the identity, and of the group itself.
    subgroup_trivial_id: Hashable = None
    subgroup_self_id: Hashable = None

    def __init__(self, name: str):
        self.name = name
        self._irrep_cache = {}
        self._subgroup_cache = {}
        self._representation_cache = {}
        self._coset_cache = {}
        # Elements are made on demand and shared (one instance per value), so a huge group
        # such as cyclic(10**7) costs nothing until its elements are asked for.
        self._instances = {}
        self._element_tuple = None
        self._index_map = None

    # ------------------------------------------------------------------------------------
    # Lazily built element list and index (finite groups)
    # ------------------------------------------------------------------------------------
    @property
    def _elements(self):
        """The tuple of all elements (finite groups), built on first use."""
        if not self.is_finite:
            return None
        if self._element_tuple is None:
            self._element_tuple = tuple(self._shared_element(v) for v in self._element_values())
        return self._element_tuple

    @property
    def _index(self):
        """``{value: position}`` over all elements (finite groups), built on first use."""
        if not self.is_finite:
            return None
        if self._index_map is None:
            self._index_map = {v: i for i, v in enumerate(self._element_values())}
        return self._index_map

    def _shared_element(self, value) -> "GroupElement":
        element = self._instances.get(value)
        if element is None:
            element = self._instances[value] = GroupElement(self, value)
        return element

    def _order(self) -> int:
        """Number of elements of a finite group (overridden where it is known in closed form)."""
        return len(self._index)

    def _value_index(self, value) -> int:
        """Position of the canonical ``value`` in :attr:`elements` (KeyError if none)."""
        return self._index[value]

    def _element_at(self, i: int) -> "GroupElement":
        """The element at position ``i`` of :attr:`elements` (0 <= i < order)."""
        return self._elements[i]

    # ------------------------------------------------------------------------------------
    # What a concrete group provides
    # ------------------------------------------------------------------------------------
    def _key(self) -> tuple:
        """Parameters that identify the group (floats compared with a tolerance)."""
        raise NotImplementedError

    def _element_values(self) -> tuple:
        """Canonical values of all elements, in escnn's order (finite groups)."""
        raise NotImplementedError

    def _identity_value(self):
        raise NotImplementedError

    def _canonical(self, value):
        """Check an escnn parameter and return its canonical form (ValueError if invalid)."""
        raise NotImplementedError

    def _compose_values(self, a, b):
        raise NotImplementedError

    def _inverse_value(self, a):
        raise NotImplementedError

    def _physical_matrix(self, value) -> np.ndarray:
        raise NotImplementedError

    def _irrep_ids(self) -> tuple:
        """The ids of :attr:`irreps`, in escnn's order."""
        raise NotImplementedError

    def _build_irrep(self, irrep_id: tuple):
        """Make the irrep ``irrep_id`` (ValueError if the group has no such irrep)."""
        raise NotImplementedError

    def _make_subgroup(self, subgroup_id) -> Tuple["Group", Callable]:
        """Return ``(subgroup, inclusion)`` with ``inclusion`` mapping subgroup values to values."""
        raise NotImplementedError

    def _subgroup_ids(self) -> tuple:
        """The escnn ids of every subgroup :meth:`subgroup` accepts (finite lists only;
        empty where there is none to list), so a subgroup given as a group can be
        found by comparison."""
        return ()

    def _generator_values(self) -> tuple:
        """Values of elements that generate the group (or a dense subgroup of it)."""
        return tuple(e.value for e in self._elements)

    def _values_equal(self, a, b) -> bool:
        return a == b

    def _value_hash_key(self, a):
        return a

    def _value_repr(self, a) -> str:
        return repr(a)

    def _irrep_id_from_args(self, args: tuple) -> tuple:
        return tuple(args)

    # ------------------------------------------------------------------------------------
    # Identity of groups
    # ------------------------------------------------------------------------------------
    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if type(self) is not type(other):
            return False
        mine, theirs = self._key(), other._key()
        if len(mine) != len(theirs):
            return False
        for a, b in zip(mine, theirs):
            if isinstance(a, float) or isinstance(b, float):
                if not math.isclose(a, b, rel_tol=0.0, abs_tol=1e-9):
                    return False
            elif a != b:
                return False
        return True

    def __hash__(self) -> int:
        # Floats (the reflection axis) are left out, so groups equal up to tolerance hash alike.
        return hash((type(self).__name__,) + tuple(k for k in self._key() if not isinstance(k, float)))

    def __repr__(self) -> str:
        return f"<group {self.name}>"

    def __reduce__(self):
        # Rebuild through the factory, so an unpickled group is the shared instance.
        factory, args = self._factory()
        return (factory, args)

    def _factory(self):
        raise NotImplementedError

    # ------------------------------------------------------------------------------------
    # Elements
    # ------------------------------------------------------------------------------------
    @property
    def order(self) -> int:
        return self._order() if self.is_finite else -1

    @property
    def elements(self) -> Tuple[GroupElement, ...]:
        """All elements, in escnn's order (finite groups only).

        This order is the channel order of the regular representation.
        """
        if not self.is_finite:
            raise ValueError(f"{self.name} is a continuous group; it has no element list")
        return self._elements

    @property
    def identity(self) -> GroupElement:
        return GroupElement(self, self._identity_value())

    def element(self, value) -> GroupElement:
        """The element with escnn parameter ``value`` (an element of this group passes through).

        Rotations are read modulo a full turn, as escnn reads them: an integer ``k`` of
        :math:`C_N` or :math:`D_N` is reduced modulo ``N`` (``cyclic(4).element(5)`` is
        ``C4[1]``) and an angle modulo :math:`2\\pi`.  Everything else must be in range:
        the flip part ``j`` of :math:`D_N` and :math:`O(2)` is 0 or 1, angles are finite,
        an octahedral element is a signed 3x3 permutation matrix (a rotation, for
        ``octahedral(full=False)``).

        Raises
        ------
        ValueError
            If ``value`` is not a valid parameter (the message names ``value`` and the
            accepted form), or is an element of another group.
        """
        if isinstance(value, GroupElement):
            if value.group != self:
                raise ValueError(f"value {value!r} is an element of {value.group.name}, not of "
                                 f"{self.name}")
            return value
        canonical = self._canonical(value)
        if self.is_finite:
            # Share one instance per element; its value is the canonical one.
            return self._shared_element(canonical)
        return GroupElement(self, canonical)

    def index(self, element) -> int:
        """Position of ``element`` in :attr:`elements` (its channel in the regular field)."""
        g = self.element(element)
        return self._value_index(g.value)

    def compose(self, a, b) -> GroupElement:
        """The product ``a b`` (apply ``b`` first, then ``a``)."""
        ga, gb = self.element(a), self.element(b)
        return self.element_from_canonical(self._compose_values(ga.value, gb.value))

    def inverse(self, a) -> GroupElement:
        return self.element_from_canonical(self._inverse_value(self.element(a).value))

    def element_from_canonical(self, value) -> GroupElement:
        if self.is_finite:
            return self._shared_element(value)
        return GroupElement(self, value)

    @property
    def generators(self) -> Tuple[GroupElement, ...]:
        """Elements generating the group (for continuous groups: a dense subgroup)."""
        return tuple(self.element_from_canonical(v) for v in self._generator_values())

    def testing_elements(self) -> Tuple[GroupElement, ...]:
        """Elements on which properties are checked: all of a finite group, or a sample."""
        return self._elements

    def grid_action(self, g) -> np.ndarray:
        """The physical-coordinate matrix of ``g`` (see :attr:`GroupElement.matrix`)."""
        return self.element(g).matrix

    # ------------------------------------------------------------------------------------
    # Representations
    # ------------------------------------------------------------------------------------
    @property
    def irreps(self):
        """The irreducible representations, in escnn's order (up to the maximum frequency for
        the continuous groups)."""
        return tuple(self.irrep(*i) for i in self._irrep_ids())

    def irrep(self, *irrep_id):
        """The irrep with escnn id ``irrep_id``, e.g. ``C8.irrep(3)``, ``D4.irrep(1, 2)``."""
        key = self._irrep_id_from_args(irrep_id)
        if key not in self._irrep_cache:
            self._irrep_cache[key] = self._build_irrep(key)
        return self._irrep_cache[key]

    @property
    def trivial_representation(self):
        return self.irrep(*self._irrep_ids()[0])

    def _cached_representation(self, key, build):
        if key not in self._representation_cache:
            self._representation_cache[key] = build()
        return self._representation_cache[key]

    @property
    def regular_representation(self):
        r"""The regular representation: channel ``i`` is ``elements[i]`` and
        :math:`\rho(g) e_h = e_{gh}`.

        It is the quotient representation by the trivial subgroup, so it carries an
        :class:`~refpool.groups.Induction` with block size 1.
        """
        if not self.is_finite:
            raise ValueError(f"{self.name} is a continuous group; its regular representation "
                             "is infinite-dimensional")
        from .representation import _induced
        return self._cached_representation(
            ("regular",),
            lambda: _induced(self, self.subgroup_trivial_id,
                             self.subgroup(self.subgroup_trivial_id)[0].trivial_representation,
                             name="regular", key=("regular",)))

    def quotient_representation(self, subgroup_id):
        r"""The permutation representation on the cosets :math:`G/H`.

        Channel ``i`` is the coset :math:`r_i H`; cosets are numbered in the order their first
        element appears in :attr:`elements` (escnn's order), and
        :math:`\rho(g) e_{r_i H} = e_{g r_i H}`.
        """
        from .representation import _induced
        H, _ = self.subgroup(subgroup_id)
        key = ("quotient", self._normalise_subgroup_id(subgroup_id))
        return self._cached_representation(
            key, lambda: _induced(self, subgroup_id, H.trivial_representation,
                                  name=f"quotient[{subgroup_id}]", key=key))

    def induced_representation(self, subgroup_id, representation):
        r"""The representation induced from ``representation`` of the subgroup ``subgroup_id``.

        With coset representatives :math:`r_0, r_1, \dots` (first elements of the cosets in
        :attr:`elements` order), :math:`\rho(g)` maps block ``i`` to block ``j`` where
        :math:`g r_i \in r_j H`, with content :math:`\psi(r_j^{-1} g r_i)`.
        """
        from .representation import Representation, _induced
        H, _ = self.subgroup(subgroup_id)
        if not isinstance(representation, Representation):
            raise TypeError(f"representation must be a refpool Representation, got "
                            f"{type(representation).__name__}")
        if representation.group != H:
            raise ValueError(f"representation {representation.name!r} belongs to "
                             f"{representation.group.name}, but subgroup {subgroup_id!r} of "
                             f"{self.name} is {H.name}")
        key = ("induced", self._normalise_subgroup_id(subgroup_id), representation._key)
        return self._cached_representation(
            key, lambda: _induced(self, subgroup_id, representation,
                                  name=f"induced[{subgroup_id}][{representation.name}]", key=key))

    def restrict_representation(self, subgroup_id, representation):
        r"""Restrict ``representation`` to the subgroup ``subgroup_id``:
        :math:`h \mapsto \rho(\iota(h))` with :math:`\iota` the inclusion."""
        from .representation import Representation, _restricted
        if not isinstance(representation, Representation):
            raise TypeError(f"representation must be a refpool Representation, got "
                            f"{type(representation).__name__}")
        if representation.group != self:
            raise ValueError(f"representation {representation.name!r} belongs to "
                             f"{representation.group.name}, not to {self.name}")
        return _restricted(self, subgroup_id, representation)

    # ------------------------------------------------------------------------------------
    # Subgroups and cosets
    # ------------------------------------------------------------------------------------
    def _normalise_subgroup_id(self, subgroup_id):
        return subgroup_id

    def subgroup(self, subgroup_id):
        """The subgroup with escnn id ``subgroup_id`` and its inclusion map.

        Returns
        -------
        (Group, callable)
            The subgroup ``H`` (itself a group with its own grid action, consistent with the
            inclusion), and ``inclusion(h) -> GroupElement`` of this group, accepting an element
            of ``H`` or its parameter.
        """
        key = self._normalise_subgroup_id(subgroup_id)
        if key not in self._subgroup_cache:
            H, value_map = self._make_subgroup(subgroup_id)
            self._subgroup_cache[key] = (H, _Inclusion(self, H, value_map, subgroup_id))
        return self._subgroup_cache[key]

    def _coset_space(self, subgroup_id):
        key = self._normalise_subgroup_id(subgroup_id)
        if key not in self._coset_cache:
            from ._cosets import FiniteCosetSpace
            H, inclusion = self.subgroup(subgroup_id)
            if not self.is_finite:
                raise ValueError(f"induction to the continuous group {self.name} from subgroup "
                                 f"{subgroup_id!r} is not supported")
            if H.is_finite and H.order == 1:
                # The cosets of the trivial subgroup are the elements themselves: no tables.
                from ._cosets import RegularCosetSpace
                self._coset_cache[key] = RegularCosetSpace(self, H)
            else:
                self._coset_cache[key] = FiniteCosetSpace(self, H, inclusion)
        return self._coset_cache[key]

    def _decomposition_elements(self) -> Tuple[GroupElement, ...]:
        """Elements whose matrices pin down a decomposition into irreps (generators)."""
        return self.generators


class _Inclusion:
    """The inclusion map of a subgroup: ``inclusion(h)`` is ``h`` seen in the parent group."""

    def __init__(self, parent: Group, subgroup: Group, value_map, subgroup_id):
        self.parent = parent
        self.subgroup = subgroup
        self._value_map = value_map
        self.subgroup_id = subgroup_id

    def __call__(self, h) -> GroupElement:
        h = self.subgroup.element(h)
        return self.parent.element(self._value_map(h.value))

    def __repr__(self) -> str:
        return f"<inclusion {self.subgroup.name} -> {self.parent.name} ({self.subgroup_id!r})>"


def check_positive_int(value, what: str) -> int:
    if not _is_integer(value):
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{what} must be a positive integer (at least 1), got {value}")
    return int(value)


def check_frequency(value, what: str = "maximum_frequency") -> int:
    if not _is_integer(value) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    return int(value)


def check_flip(j, group_name: str) -> int:
    if not _is_integer(j) or j not in (0, 1):
        raise ValueError(f"value: the flip part j of an element of {group_name} must be 0 or 1, "
                         f"got {j!r}")
    return int(j)


def unpack_pair(value, group_name: str, what: str) -> tuple:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"value: an element of {group_name} is a pair {what}, got {value!r}")
    items = tuple(value)
    if len(items) != 2:
        raise ValueError(f"value: an element of {group_name} is a pair {what}, got {value!r}")
    return items
