"""D_N: elements (j, k) = r^k f^j, law, irreps, subgroups, grid action for both flip axes."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refpool.groups import cyclic, dihedral, flip


def rotation(t):
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


@pytest.mark.parametrize("N", range(1, 9))
def test_elements_and_law(N):
    G = dihedral(N)
    assert G.order == 2 * N
    assert [g.value for g in G.elements] == [(0, k) for k in range(N)] + [(1, k) for k in range(N)]
    for a in G.elements:
        assert a @ ~a == G.identity
        for b in G.elements:
            (a0, a1), (b0, b1) = a.value, b.value
            assert (a @ b).value == ((a0 + b0) % 2, (a1 + (-1) ** a0 * b1) % N)


@settings(max_examples=40, deadline=None)
@given(N=st.integers(1, 16), data=st.data())
def test_group_axioms_on_random_triples(N, data):
    G = dihedral(N)
    a, b, c = (data.draw(st.sampled_from(G.elements)) for _ in range(3))
    assert (a @ b) @ c == a @ (b @ c)
    assert a @ G.identity == a == G.identity @ a
    # The plane action is a homomorphism too.
    np.testing.assert_allclose((a @ b).matrix, a.matrix @ b.matrix, atol=1e-12)


@pytest.mark.parametrize("axis", [math.pi / 2, 0.0, math.pi / 4, 0.3])
@pytest.mark.parametrize("N", [1, 3, 4, 8])
def test_plane_action_is_rotation_after_mirror(N, axis):
    G = dihedral(N, axis)
    mirror = np.array([[math.cos(2 * axis), math.sin(2 * axis)],
                       [math.sin(2 * axis), -math.cos(2 * axis)]])
    for g in G.elements:
        j, k = g.value
        expected = rotation(2 * math.pi * k / N) @ (mirror if j else np.eye(2))
        np.testing.assert_allclose(g.matrix, expected, atol=1e-12)


def test_default_flip_mirrors_left_right():
    f = dihedral(4).element((1, 0))
    np.testing.assert_array_equal(f.matrix, [[-1, 0], [0, 1]])
    assert f.axis_permutation == ((0, 1), (False, True))
    f0 = dihedral(4, axis=0.0).element((1, 0))
    assert f0.axis_permutation == ((0, 1), (True, False))
    # r f with the default axis mirrors across y = -x: the array transpose.
    assert dihedral(4).element((1, 1)).axis_permutation == ((1, 0), (False, False))
    assert [g.is_grid_symmetry for g in dihedral(8).elements] == [True, False] * 8


@pytest.mark.parametrize("N", range(1, 9))
def test_irrep_formulas(N):
    G = dihedral(N)
    expected_ids = [(0, 0)] + [(1, k) for k in range(N // 2 + 1)] + ([(0, N // 2)] if N % 2 == 0 else [])
    assert [irr.id for irr in G.irreps] == expected_ids
    for irr in G.irreps:
        j_irr, k_irr = irr.id
        for g in G.elements:
            j, k = g.value
            if irr.size == 1:
                value = (-1) ** (j * j_irr)
                if 2 * k_irr == N:
                    value *= (-1) ** k
                np.testing.assert_array_equal(irr(g), [[value]])
            else:
                expected = rotation(2 * math.pi * k_irr * k / N) @ np.diag([1, (-1) ** j])
                np.testing.assert_allclose(irr(g), expected, atol=1e-12)
        assert irr.type == "R"


def test_irrep_rejects_unknown_ids():
    with pytest.raises(ValueError, match="irreps"):
        dihedral(5).irrep(0, 2)
    with pytest.raises(ValueError, match="irreps"):
        dihedral(4).irrep(1, 3)


@pytest.mark.parametrize("bad", [(2, 0), (0, 1.5), 3, "ab", (0, 1, 2), (True, 1)])
def test_element_rejects_bad_parameters(bad):
    with pytest.raises(ValueError):
        dihedral(4).element(bad)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="positive integer"):
        dihedral(0)
    with pytest.raises(ValueError, match="axis"):
        dihedral(4, axis=None)
    assert dihedral(4, axis=math.pi / 2) is dihedral(4, axis=-math.pi / 2)


def test_subgroups():
    G = dihedral(8)
    C, inc = G.subgroup((None, 4))
    assert C is cyclic(4) and [inc(h).value for h in C.elements] == [(0, 0), (0, 2), (0, 4), (0, 6)]
    F, inc = G.subgroup((1, 1))
    assert F == flip(math.pi / 2 + math.pi / 8)
    assert inc(1).value == (1, 1)
    np.testing.assert_allclose(inc(1).matrix, F.element(1).matrix, atol=1e-12)
    D, inc = G.subgroup((1, 2))
    assert D.N == 2 and [inc(h).value for h in D.elements] == [(0, 0), (0, 4), (1, 1), (1, 5)]
    for h in D.elements:
        np.testing.assert_allclose(inc(h).matrix, h.matrix, atol=1e-12)
    for bad in [(None, 3), (2, 4), (0, 0), 4, (0.5, 2)]:
        with pytest.raises(ValueError, match="subgroups"):
            G.subgroup(bad)


def test_quotient_by_rotations_is_the_flip_permutation():
    G = dihedral(4)
    Q = G.quotient_representation((None, 4))
    assert Q.size == 2 and Q.is_permutation
    np.testing.assert_array_equal(Q((0, 1)), np.eye(2))
    np.testing.assert_array_equal(Q((1, 3)), [[0, 1], [1, 0]])
    assert [r.value for r in Q.induction.representatives] == [(0, 0), (1, 0)]
