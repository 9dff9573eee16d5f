"""The octahedral groups: 48 (or 24) signed axis permutations, irreps, subgroups."""

import itertools

import numpy as np
import pytest

from refpool.groups import cyclic, octahedral


@pytest.mark.parametrize("full", [True, False])
def test_elements_are_distinct_signed_permutations(full):
    G = octahedral(full)
    mats = [g.matrix for g in G.elements]
    assert G.order == len(mats) == (48 if full else 24) and G.ndim == 3
    assert len({m.tobytes() for m in mats}) == len(mats)
    for m in mats:
        assert set(np.unique(m)) <= {-1.0, 0.0, 1.0}
        np.testing.assert_array_equal(np.abs(m).sum(axis=0), 1)
        np.testing.assert_array_equal(np.abs(m).sum(axis=1), 1)
    dets = np.round([np.linalg.det(m) for m in mats])
    assert sorted(set(dets)) == ([-1.0, 1.0] if full else [1.0])
    assert np.sum(dets == 1) == 24
    np.testing.assert_array_equal(mats[0], np.eye(3))
    assert G.identity == G.elements[0]
    # Every signed permutation is present (full group).
    if full:
        for perm in itertools.permutations(range(3)):
            for signs in itertools.product((1, -1), repeat=3):
                G.element(np.diag(signs) @ np.eye(3)[list(perm)])


def test_rotation_group_is_the_first_half_of_the_full_group():
    assert ([g.value for g in octahedral(True).elements[:24]]
            == [g.value for g in octahedral(False).elements])


@pytest.mark.parametrize("full", [True, False])
def test_group_axioms(full):
    G = octahedral(full)
    els = G.elements
    for a in els:
        assert a @ ~a == G.identity and G.identity @ a == a
        for b in els:
            np.testing.assert_array_equal((a @ b).matrix, a.matrix @ b.matrix)
    for a, b, c in itertools.islice(itertools.product(els, repeat=3), 0, None, 37):
        assert (a @ b) @ c == a @ (b @ c)


def test_every_element_is_a_grid_symmetry():
    for g in octahedral().elements:
        perm, reverse = g.axis_permutation
        assert sorted(perm) == [0, 1, 2] and len(reverse) == 3


def test_element_parsing():
    G, R = octahedral(True), octahedral(False)
    quarter = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    assert G.element(quarter) == G.element(np.array(quarter, dtype=float) + 1e-12)
    assert repr(G.element(quarter)) == "Oh[-y,x,z]"
    with pytest.raises(ValueError, match="reflection"):
        R.element(-np.eye(3))
    for bad in ([[1, 1, 0], [0, 1, 0], [0, 0, 1]], np.eye(2), "x", 0.5 * np.eye(3)):
        with pytest.raises(ValueError, match="permutation"):
            G.element(bad)
    with pytest.raises(ValueError, match="True or False"):
        octahedral("yes")


@pytest.mark.parametrize("full", [True, False])
def test_irreps(full):
    G = octahedral(full)
    ids = [i.id for i in G.irreps]
    ls = [0, 1, -1, 2, 3]
    assert ids == ([(j, l) for j in (0, 1) for l in ls] if full else [(l,) for l in ls])
    assert sum(i.size ** 2 for i in G.irreps) == G.order
    vector = G.irrep(1, 1) if full else G.irrep(1)
    for g in G.elements:
        np.testing.assert_array_equal(vector(g), g.matrix)
    if full:
        pseudo = G.irrep(0, 1)
        for g in G.elements:
            np.testing.assert_allclose(pseudo(g), np.linalg.det(g.matrix) * g.matrix)


def test_subgroups():
    G = octahedral(True)
    R, inc = G.subgroup("octa")
    assert R is octahedral(False) and [inc(h) for h in R.elements] == list(G.elements[:24])
    C, inc = G.subgroup((False, 4))
    assert C is cyclic(4)
    for h in C.elements:
        expected = np.eye(3)
        expected[:2, :2] = h.matrix  # a rotation about Z acts on (X, Y)
        np.testing.assert_array_equal(inc(h).matrix, expected)
    faces = G.quotient_representation((False, 4))
    assert faces.size == 12 and faces.is_permutation
    assert octahedral(False).quotient_representation((False, 4)).size == 6
    for bad in [(False, 3), (True, 2), "tetra", 4]:
        with pytest.raises(ValueError, match="subgroups"):
            G.subgroup(bad)
