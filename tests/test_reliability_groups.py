"""Reliability of refpool.groups and FieldType: clear errors, cheap large groups."""

import math
import time
import tracemalloc
import types

import numpy as np
import pytest

from refpool import FieldType, max_pool
from refpool.groups import cyclic, dihedral, flip, o2, octahedral, so2


# --------------------------------------------------------------------------- element()
@pytest.mark.parametrize("group, bad, form", [
    (cyclic(4), 1.5, "integer"),
    (cyclic(4), "1", "integer"),
    (flip(), None, "integer"),
    (dihedral(4), (2, 0), "0 or 1"),
    (dihedral(4), (0, 1.5), "integer"),
    (dihedral(4), 3, "pair"),
    (so2(), float("nan"), "finite real"),
    (o2(), (2, 0.0), "0 or 1"),
    (o2(), (0, float("inf")), "finite real"),
    (octahedral(), np.eye(2), "permutation"),
    (octahedral(), 0.5 * np.eye(3), "permutation"),
    (octahedral(False), -np.eye(3), "determinant"),
], ids=repr)
def test_element_errors_name_the_argument_and_the_accepted_values(group, bad, form):
    with pytest.raises(ValueError, match=form) as info:
        group.element(bad)
    assert "value" in str(info.value)
    assert group.name in str(info.value)


@pytest.mark.parametrize("group, expected", [(cyclic(4), "0..3"), (dihedral(6), "0..5")])
def test_element_errors_give_the_range_of_the_rotation(group, expected):
    bad = 1.5 if group.name == "C4" else (0, 1.5)
    with pytest.raises(ValueError, match="value") as info:
        group.element(bad)
    assert expected in str(info.value)


def test_element_of_another_group_names_the_argument():
    with pytest.raises(ValueError, match="value .* C5"):
        cyclic(4).element(cyclic(5).element(1))


# --------------------------------------------------------------------------- large groups
def test_regular_representation_of_a_huge_cyclic_group_is_cheap():
    start = time.perf_counter()
    G = cyclic(10 ** 7)
    R = G.regular_representation
    ft = FieldType(G, [R])
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"building C_10^7's regular representation took {elapsed:.1f} s"
    assert G.order == R.size == ft.size == 10 ** 7
    ind = R.induction
    assert ind.block_size == 1 and ind.n_blocks == 10 ** 7
    assert ind.representatives[123] == G.element(123) and ind.representatives[-1] == G.element(-1)
    assert G.index(G.element(-1)) == 10 ** 7 - 1
    assert G.element(10 ** 7 + 5) is G.element(5)   # still shared instances


def test_building_large_groups_and_regular_representations_allocates_little():
    tracemalloc.start()
    try:
        C = cyclic(10 ** 6 + 1)
        D = dihedral(10 ** 5 + 1)
        for G in (C, D):
            R = G.regular_representation
            assert R.size == G.order and R.induction.n_blocks == G.order
            assert G.index(R.induction.representatives[-1]) == G.order - 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2 ** 20, f"peak {peak / 2 ** 20:.1f} MiB"


@pytest.mark.parametrize("G", [cyclic(6), dihedral(4), flip(), octahedral(False)], ids=repr)
def test_lazy_regular_representation_still_permutes_like_before(G):
    R = G.regular_representation
    reps = R.induction.representatives
    assert len(reps) == G.order and list(reps) == list(G.elements) and reps == G.elements
    assert reps[1:3] == G.elements[1:3]
    assert R.is_permutation and R.is_orthogonal
    eye = np.eye(G.order)
    for g in G.elements:
        m = R(g)
        for h in G.elements:
            np.testing.assert_array_equal(m @ eye[G.index(h)], eye[G.index(g @ h)])
    # the quotient by the trivial subgroup is the same permutation representation
    Q = G.quotient_representation(G.subgroup_trivial_id)
    for g in G.elements:
        np.testing.assert_array_equal(Q(g), R(g))
    assert sorted(R.irreps) == sorted(i for irrep in G.irreps
                                      for i in [irrep.id] * (irrep.size
                                                             // irrep.sum_of_squares_constituents))


def test_elements_are_built_once_and_shared():
    G = dihedral(7)
    g = G.element((1, 3))
    assert G.elements[G.index(g)] is g and G.compose(g, G.identity) is g
    assert G.order == 14 == len(G.elements)


# --------------------------------------------------------------------------- FieldType
@pytest.mark.parametrize("bad", [None, 3, 2.5])
def test_field_type_rejects_a_non_iterable_with_a_type_error_naming_the_argument(bad):
    with pytest.raises(TypeError, match="representations"):
        FieldType(cyclic(4), bad)


def test_field_type_still_accepts_one_representation_or_an_iterable():
    G = cyclic(4)
    assert FieldType(G, G.regular_representation).size == 4
    assert FieldType(G, (r for r in [G.trivial_representation] * 3)).size == 3


def test_duck_typed_field_type_gets_a_type_error_naming_field_type():
    duck = types.SimpleNamespace(representations=[object()], size=2)
    x = np.zeros((1, 2, 4, 4), np.float32)
    with pytest.raises(TypeError, match="field_type"):
        max_pool(x, 2, field_type=duck, engine="reference")


def test_so2_angles_are_still_reduced_modulo_a_full_turn():
    # reduction is documented (docs/groups.rst), not an out-of-range error
    assert so2().element(2 * math.pi + 0.25) == so2().element(0.25)
