"""C_N, the flip group and the trivial group: elements, law, irreps, grid action."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refpool.groups import cyclic, flip, trivial


@pytest.mark.parametrize("N", range(1, 13))
def test_elements_are_escnn_ordered_and_law_is_addition_mod_n(N):
    G = cyclic(N)
    assert G.order == N and G.is_finite and G.name == f"C{N}"
    assert [g.value for g in G.elements] == list(range(N))
    assert G.identity.value == 0 and G.identity == G.elements[0]
    for a in G.elements:
        assert ~a @ a == G.identity
        for b in G.elements:
            assert (a @ b).value == (a.value + b.value) % N
            assert G.compose(a.value, b.value) == a @ b


@settings(max_examples=40, deadline=None)
@given(N=st.integers(1, 24), data=st.data())
def test_group_axioms_on_random_triples(N, data):
    G = cyclic(N)
    a, b, c = (G.element(data.draw(st.integers(-50, 50))) for _ in range(3))
    assert (a @ b) @ c == a @ (b @ c)
    assert a @ G.identity == a == G.identity @ a
    assert a @ a.inverse() == G.identity
    # Integers are reduced modulo N.
    assert G.element(a.value + 3 * N) == a


def test_elements_are_hashable_and_shared():
    G = cyclic(6)
    assert len({G.element(k) for k in range(-6, 12)}) == 6
    assert G.element(2) is G.elements[2]
    assert cyclic(6) is G
    assert G.element(7) != cyclic(7).element(0) and G.element(1) != cyclic(7).element(1)
    assert repr(G.element(3)) == "C6[3]"


@pytest.mark.parametrize("bad", [1.5, 2.0, "1", (0, 1), None, True])
def test_element_rejects_non_integers(bad):
    with pytest.raises(ValueError, match="integer"):
        cyclic(4).element(bad)


def test_element_of_another_group_is_refused():
    with pytest.raises(ValueError, match="C5"):
        cyclic(4).element(cyclic(5).element(1))


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4", None, True])
def test_cyclic_rejects_bad_order(bad):
    with pytest.raises(ValueError, match="positive integer"):
        cyclic(bad)


@pytest.mark.parametrize("N", range(1, 13))
def test_irrep_formulas(N):
    G = cyclic(N)
    assert [irr.id for irr in G.irreps] == [(k,) for k in range(N // 2 + 1)]
    for irr in G.irreps:
        (k,) = irr.id
        for g in G.elements:
            angle = 2 * math.pi * k * g.value / N
            if k == 0:
                expected = np.eye(1)
            elif 2 * k == N:
                expected = np.array([[(-1.0) ** g.value]])
            else:
                expected = np.array([[math.cos(angle), -math.sin(angle)],
                                     [math.sin(angle), math.cos(angle)]])
            np.testing.assert_allclose(irr(g), expected, atol=1e-12)
        assert irr.type == ("C" if irr.size == 2 else "R")


def test_irrep_rejects_unknown_ids():
    with pytest.raises(ValueError, match="0..4"):
        cyclic(8).irrep(5)
    with pytest.raises(ValueError):
        cyclic(8).irrep(1, 1)


@pytest.mark.parametrize("N", range(1, 13))
def test_regular_rotation_rolls_channels_by_one(N):
    G = cyclic(N)
    R = G.regular_representation
    x = np.arange(N, dtype=float)
    np.testing.assert_array_equal(R(1) @ x, np.roll(x, 1))
    for g in G.elements:
        for h in G.elements:
            e_h = np.eye(N)[G.index(h)]
            np.testing.assert_array_equal(R(g) @ e_h, np.eye(N)[G.index(g @ h)])


@pytest.mark.parametrize("N", [4, 8, 12, 16])
def test_quarter_turns_are_exact(N):
    G = cyclic(N)
    expected = {0: [[1, 0], [0, 1]], 1: [[0, -1], [1, 0]], 2: [[-1, 0], [0, -1]], 3: [[0, 1], [-1, 0]]}
    for q in range(4):
        g = G.element(q * N // 4)
        np.testing.assert_array_equal(g.matrix, expected[q])
        assert g.is_grid_symmetry
    # array coordinates (-Y, X): the +90 degree turn is numpy's rot90 (counter-clockwise).
    np.testing.assert_array_equal(G.element(N // 4).array_matrix, [[0, -1], [1, 0]])


def test_non_grid_rotations_are_not_grid_symmetries():
    G = cyclic(8)
    assert [g.is_grid_symmetry for g in G.elements] == [True, False] * 4
    assert G.element(1).axis_permutation is None


def test_subgroups_and_restriction():
    G = cyclic(12)
    H, inclusion = G.subgroup(4)
    assert H is cyclic(4)
    assert [inclusion(h).value for h in H.elements] == [0, 3, 6, 9]
    np.testing.assert_array_equal(inclusion(1).matrix, H.element(1).matrix)
    res = G.restrict_representation(4, G.irrep(5))
    for h in H.elements:
        np.testing.assert_allclose(res(h), G.irrep(5)(inclusion(h)))
    assert res.irreps == ((1,),)  # 5 = 1 mod 4
    for bad in (5, 0, -1, 2.0, (None, 2)):
        with pytest.raises(ValueError, match="dividing"):
            G.subgroup(bad)


def test_flip_group():
    F = flip()
    assert F.order == 2 and F.name == "Flip" and F is flip(math.pi / 2) and F is flip(3 * math.pi / 2)
    np.testing.assert_array_equal(F.element(1).matrix, [[-1, 0], [0, 1]])  # x -> -x
    assert F.element(1).axis_permutation == ((0, 1), (False, True))  # reverse the last axis
    np.testing.assert_array_equal(flip(0.0).element(1).matrix, [[1, 0], [0, -1]])
    assert flip(0.0).element(1).axis_permutation == ((0, 1), (True, False))
    diagonal = flip(math.pi / 4).element(1)
    np.testing.assert_array_equal(diagonal.matrix, [[0, 1], [1, 0]])
    assert diagonal.is_grid_symmetry
    assert not flip(0.3).element(1).is_grid_symmetry
    assert F != cyclic(2) and F != flip(0.0)
    np.testing.assert_array_equal(F.irrep(1)(1), [[-1.0]])
    assert F.subgroup(1)[0] is trivial()
    with pytest.raises(ValueError, match="axis"):
        flip("up")


def test_trivial_group():
    T = trivial()
    assert T is cyclic(1) and T.order == 1
    assert [i.id for i in T.irreps] == [(0,)]
    np.testing.assert_array_equal(T.regular_representation(0), [[1.0]])
    np.testing.assert_array_equal(T.identity.matrix, np.eye(2))
