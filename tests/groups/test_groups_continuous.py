"""SO(2) and O(2): angles modulo a full turn, irreps, subgroups, induction from SO(2)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refpool.groups import cyclic, dihedral, flip, o2, so2

angles = st.floats(-20.0, 20.0, allow_nan=False)


def rotation(t):
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


def test_so2_basics():
    G = so2(4)
    assert not G.is_finite and G.order == -1 and G.name == "SO(2)"
    assert G is so2(4) and G != so2(5)
    with pytest.raises(ValueError, match="continuous"):
        G.elements
    with pytest.raises(ValueError, match="continuous"):
        G.regular_representation
    assert [i.id for i in G.irreps] == [(k,) for k in range(5)]
    assert G.irrep(9).size == 2  # above the maximum frequency, still available
    assert G.element(2 * math.pi) == G.identity == G.element(-1e-13)
    assert G.element(-math.pi / 2).value == pytest.approx(3 * math.pi / 2)
    np.testing.assert_array_equal(G.element(2 * math.pi / 4).matrix, [[0, -1], [1, 0]])
    assert G.element(3 * (2 * math.pi / 4)).is_grid_symmetry
    assert not G.element(0.3).is_grid_symmetry


@settings(max_examples=60, deadline=None)
@given(a=angles, b=angles, c=angles, k=st.integers(0, 8))
def test_so2_law_and_irreps(a, b, c, k):
    G = so2(8)
    ga, gb, gc = G.element(a), G.element(b), G.element(c)
    assert (ga @ gb) @ gc == ga @ (gb @ gc)
    assert ga @ ~ga == G.identity
    psi = G.irrep(k)
    np.testing.assert_allclose(psi(ga @ gb), psi(ga) @ psi(gb), atol=1e-9)
    if k:
        np.testing.assert_allclose(psi(a), rotation(k * a), atol=1e-9)
    np.testing.assert_allclose(ga.matrix, rotation(a), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(j=st.sampled_from([0, 1]), a=angles, i=st.sampled_from([0, 1]), b=angles,
       k=st.integers(0, 6), axis=st.sampled_from([math.pi / 2, 0.0, 1.0]))
def test_o2_law_irreps_and_plane_action(j, a, i, b, k, axis):
    G = o2(6, axis)
    g, h = G.element((j, a)), G.element((i, b))
    assert (g @ h).value[0] == (i + j) % 2
    assert G.element(((i + j) % 2, a + (-1) ** j * b)) == g @ h
    for irr in G.irreps:
        np.testing.assert_allclose(irr(g @ h), irr(g) @ irr(h), atol=1e-9)
    if k:
        np.testing.assert_allclose(G.irrep(1, k)(g), rotation(k * a) @ np.diag([1, (-1) ** j]), atol=1e-9)
    np.testing.assert_allclose((g @ h).matrix, g.matrix @ h.matrix, atol=1e-9)
    np.testing.assert_allclose(g.matrix.T @ g.matrix, np.eye(2), atol=1e-12)


def test_o2_matches_dihedral_on_multiples_of_the_base_angle():
    O, D = o2(4), dihedral(6)
    for g in D.elements:
        j, k = g.value
        h = O.element((j, 2 * math.pi * k / 6))
        np.testing.assert_allclose(h.matrix, g.matrix, atol=1e-12)
        np.testing.assert_allclose(O.irrep(1, 2)(h), D.irrep(1, 2)(g), atol=1e-12)


def test_o2_subgroups():
    G = o2(3)
    S, inc = G.subgroup((None, -1))
    assert S == so2(3) and inc(0.5) == G.element((0, 0.5))
    C, inc = G.subgroup((None, 4))
    assert C is cyclic(4) and inc(1) == G.element((0, math.pi / 2))
    F, inc = G.subgroup((math.pi / 2, 1))
    assert F == flip(3 * math.pi / 4)  # the axis pi/2 turned by theta / 2
    np.testing.assert_allclose(inc(1).matrix, F.element(1).matrix, atol=1e-12)
    D, inc = G.subgroup((0.0, 3))
    assert D == dihedral(3)
    for h in D.elements:
        np.testing.assert_allclose(inc(h).matrix, h.matrix, atol=1e-12)
    for bad in [(None, 0), (None, 2.0), 3, ("a", 2)]:
        with pytest.raises(ValueError, match="subgroups"):
            G.subgroup(bad)


@pytest.mark.parametrize("k", range(4))
def test_o2_induced_from_so2(k):
    G = o2(3)
    S, _ = G.subgroup((None, -1))
    rep = G.induced_representation((None, -1), S.irrep(k))
    assert rep.size == 2 * S.irrep(k).size and rep.induction.block_size == S.irrep(k).size
    assert rep.irreps == (((0, 0), (1, 0)) if k == 0 else ((1, k), (1, k)))
    assert rep.is_orthogonal and rep.is_permutation == (k == 0)
    d = S.irrep(k).size
    for j in (0, 1):
        for t in np.linspace(0, 6, 7):
            m = rep((j, t))
            # Block (coset of the rotations, coset of the reflections) structure.
            if j == 0:
                np.testing.assert_allclose(m[:d, :d], S.irrep(k)(t), atol=1e-12)
                np.testing.assert_allclose(m[d:, d:], S.irrep(k)(-t), atol=1e-12)
            else:
                np.testing.assert_allclose(m[d:, :d], S.irrep(k)(-t), atol=1e-12)
                np.testing.assert_allclose(m[:d, d:], S.irrep(k)(t), atol=1e-12)


def test_o2_refuses_induction_with_infinite_index():
    G = o2(3)
    with pytest.raises(ValueError, match="induces only from SO"):
        G.induced_representation((None, 4), cyclic(4).trivial_representation)


def test_continuous_validation():
    with pytest.raises(ValueError, match="maximum_frequency"):
        so2(-1)
    with pytest.raises(ValueError, match="maximum_frequency"):
        o2(2.5)
    with pytest.raises(ValueError, match="finite real"):
        so2().element(float("nan"))
    with pytest.raises(ValueError, match="0 or 1"):
        o2().element((2, 0.0))
    with pytest.raises(ValueError, match="irreps"):
        o2().irrep(0, 1)
    with pytest.raises(ValueError, match="irreps"):
        so2().irrep(-1)
