"""Properties every representation must have, checked on the matrices of whole groups.

Homomorphism, orthogonality, decomposition into irreps, character orthogonality, the block
structure of induced representations, and the computed flags (permutation, orthogonal).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refpool.groups import (Representation, cyclic, dihedral, directsum, flip, o2, octahedral,
                            so2, trivial)


def subgroup_ids(G):
    """The subgroup ids each finite group supports."""
    name = type(G).__name__
    if name in ("CyclicGroup", "FlipGroup"):
        return [m for m in range(1, G.N + 1) if G.N % m == 0]
    if name == "DihedralGroup":
        divs = [m for m in range(1, G.N + 1) if G.N % m == 0]
        return [(None, m) for m in divs] + [(k, m) for m in divs for k in range(G.N // m)]
    return [(False, 1), (False, 2), (False, 4), "octa"] + (["fullocta"] if G.full else [])


def representations_of(G):
    """Irreps, regular, every quotient, induced from every subgroup irrep, restrictions."""
    reps = list(G.irreps) + [G.regular_representation]
    for sid in subgroup_ids(G):
        H, _ = G.subgroup(sid)
        reps.append(G.quotient_representation(sid))
        reps.extend(G.induced_representation(sid, psi) for psi in H.irreps if psi.size > 1)
    return reps


FINITE_GROUPS = ([cyclic(n) for n in range(1, 13)] + [dihedral(n) for n in range(1, 9)]
                 + [dihedral(4, 0.0), dihedral(3, 1.0), flip(), flip(0.0), trivial(),
                    octahedral(False)])


def check_representation(rep, elements):
    G = rep.group
    n = rep.size
    mats = np.stack([rep(g) for g in elements])
    assert mats.shape == (len(elements), n, n) and mats.dtype == np.float64
    index = {g: i for i, g in enumerate(elements)}
    np.testing.assert_allclose(mats[index[G.identity]], np.eye(n), atol=1e-12)
    # Orthogonal, and rho(g^-1) = rho(g)^T.
    np.testing.assert_allclose(mats.transpose(0, 2, 1) @ mats, np.broadcast_to(np.eye(n), mats.shape),
                               atol=1e-10)
    inverses = mats[[index[~g] for g in elements]]
    np.testing.assert_allclose(inverses, mats.transpose(0, 2, 1), atol=1e-10)
    # rho(g h) = rho(g) rho(h) over all pairs.
    products = np.einsum("gij,hjk->ghik", mats, mats)
    table = np.array([[index[g @ h] for h in elements] for g in elements])
    np.testing.assert_allclose(products, mats[table], atol=1e-10)
    # The decomposition reproduces every matrix.
    Q = rep.change_of_basis
    np.testing.assert_allclose(Q.T @ Q, np.eye(n), atol=1e-9)
    assert sum(G.irrep(*i).size for i in rep.irreps) == n
    block_sum = directsum(*[G.irrep(*i) for i in rep.irreps])
    blocks = np.stack([block_sum(g) for g in elements])
    np.testing.assert_allclose(Q @ blocks @ Q.T, mats, atol=1e-9)
    # Flags agree with a direct look at the matrices.
    permutes = set(np.unique(mats)) <= {0.0, 1.0}
    assert rep.is_permutation == permutes == rep.is_pointwise
    assert rep.is_orthogonal


@pytest.mark.parametrize("G", FINITE_GROUPS, ids=lambda G: G.name)
def test_every_representation_is_an_orthogonal_homomorphism(G):
    for rep in representations_of(G):
        check_representation(rep, G.elements)


def test_full_octahedral_representations():
    G = octahedral(True)
    reps = list(G.irreps) + [G.regular_representation, G.quotient_representation((False, 4)),
                             G.induced_representation("octa", octahedral(False).irrep(2))]
    for rep in reps:
        check_representation(rep, G.elements)


@pytest.mark.parametrize("G", FINITE_GROUPS + [octahedral(True)], ids=lambda G: G.name)
def test_character_orthogonality(G):
    irreps = G.irreps
    chars = np.array([[psi.character(g) for g in G.elements] for psi in irreps])
    gram = chars @ chars.T / G.order
    # <chi_i, chi_j> = delta_ij times the commutant dimension (2 for the complex-type rotation
    # irreps of C_N, 1 otherwise).
    expected = np.diag([psi.sum_of_squares_constituents for psi in irreps])
    np.testing.assert_allclose(gram, expected, atol=1e-9)
    # The irreps are complete: sum of d^2 / c over irreps is |G|.
    assert sum(psi.size ** 2 // psi.sum_of_squares_constituents for psi in irreps) == G.order
    # The regular representation holds irrep i with multiplicity d_i / c_i.
    reg = G.regular_representation.irreps
    for psi in irreps:
        assert reg.count(psi.id) == psi.size // psi.sum_of_squares_constituents


@pytest.mark.parametrize("G", [cyclic(6), dihedral(4), dihedral(6), octahedral(False)],
                         ids=lambda G: G.name)
def test_induced_block_structure(G):
    for sid in subgroup_ids(G):
        H, inclusion = G.subgroup(sid)
        for psi in H.irreps:
            rep = G.induced_representation(sid, psi)
            ind = rep.induction
            d, m = ind.block_size, ind.n_blocks
            assert rep.is_induced and d == psi.size and d * m == rep.size == d * G.order // H.order
            assert ind.representation == psi and ind.subgroup == H and ind.subgroup_id == sid
            reps = ind.representatives
            # Representatives are the first element of each coset, in element order.
            seen = set()
            for r, i in zip(reps, [G.index(r) for r in reps]):
                assert r not in seen
                coset = {r @ inclusion(h) for h in H.elements}
                assert all(G.index(x) >= i for x in coset)
                seen |= coset
            assert len(seen) == G.order
            image = {inclusion(h): h for h in H.elements}
            for g in G.elements:
                blocks = rep(g).reshape(m, d, m, d)
                for i, r in enumerate(reps):
                    # g r_i lies in r_j H; the block is psi(r_j^-1 g r_i).
                    j, h = next((j, image[~s @ g @ r]) for j, s in enumerate(reps)
                                if ~s @ g @ r in image)
                    np.testing.assert_allclose(blocks[j, :, i, :], psi(h), atol=1e-12)
                    others = np.delete(blocks[:, :, i, :], j, axis=0)
                    assert not others.any()


def test_regular_is_the_quotient_by_the_trivial_subgroup():
    for G in (cyclic(5), dihedral(3), octahedral(False)):
        R, Q = G.regular_representation, G.quotient_representation(G.subgroup_trivial_id)
        assert R.induction.block_size == 1 and R.induction.n_blocks == G.order
        for g in G.elements:
            np.testing.assert_array_equal(R(g), Q(g))
            for h in G.elements:
                assert R(g)[G.index(g @ h), G.index(h)] == 1


def test_directsum_and_restriction():
    G = dihedral(4)
    a, b = G.irrep(1, 1), G.regular_representation
    s = directsum(a, b)
    assert s == a + b == directsum([a, b]) and s.size == 10 and s.name == "irrep_1,1+regular"
    assert directsum(a) is a
    assert s.irreps == a.irreps + b.irreps
    g = G.element((1, 3))
    np.testing.assert_array_equal(s(g)[:2, :2], a(g))
    np.testing.assert_array_equal(s(g)[2:, 2:], b(g))
    assert not s(g)[:2, 2:].any()
    assert not s.is_permutation and directsum(b, G.trivial_representation).is_permutation
    with pytest.raises(ValueError, match="different groups"):
        directsum(a, cyclic(4).irrep(1))
    with pytest.raises(ValueError, match="at least one"):
        directsum()
    res = G.restrict_representation((None, 4), a)
    assert res.group == cyclic(4) and res.irreps == ((1,),) and res == a.restrict((None, 4))
    for h in cyclic(4).elements:
        np.testing.assert_array_equal(res(h), a((0, h.value)))
    with pytest.raises(ValueError, match="belongs to"):
        G.restrict_representation((None, 4), cyclic(4).irrep(1))
    with pytest.raises(ValueError, match="belongs to"):
        G.induced_representation((None, 2), cyclic(4).irrep(1))


def test_calling_conventions_and_display():
    G = cyclic(8)
    R = G.regular_representation
    m = R(3)
    np.testing.assert_array_equal(m, R(G.element(3)))
    m[0, 0] = 7.0  # a fresh array: the cache is untouched
    assert R(3)[0, 0] == 0.0
    assert R.character(0) == 8.0 and R.character(1) == 0.0
    assert repr(R) == "Representation(C8: 'regular', size=8)"
    assert repr(G.irrep(2)) == "IrreducibleRepresentation(C8: 'irrep_2', size=2)"
    assert G.quotient_representation(2).name == "quotient[2]"
    assert G.quotient_representation(2) is G.quotient_representation(2)
    assert G.irrep(1) == cyclic(8).irrep(1) and G.irrep(1) != cyclic(4).irrep(1)
    assert hash(G.irrep(1)) == hash(cyclic(8).irrep(1))
    np.testing.assert_array_equal(R.permutation(1), (np.arange(8) + 1) % 8)  # e_i -> e_(i+1)
    x = np.arange(8.0)
    np.testing.assert_array_equal((R(3) @ x)[R.permutation(3)], x)
    with pytest.raises(ValueError, match="does not permute"):
        G.irrep(1).permutation(1)
    with pytest.raises(ValueError, match="integer"):
        R(0.5)
    assert G.trivial_representation.is_trivial and not R.is_trivial
    np.testing.assert_array_equal(G.irrep(2).change_of_basis, np.eye(2))


def test_flags_on_continuous_groups():
    S, O = so2(3), o2(3)
    assert S.trivial_representation.is_permutation and not S.irrep(1).is_permutation
    assert O.quotient_representation((None, -1)).is_permutation
    assert not O.irrep(1, 0).is_permutation and O.irrep(1, 0).is_orthogonal
    assert all(psi.is_orthogonal for psi in O.irreps)


@settings(max_examples=30, deadline=None)
@given(j=st.sampled_from([0, 1]), a=st.floats(-10, 10), i=st.sampled_from([0, 1]),
       b=st.floats(-10, 10))
def test_continuous_built_representations_are_homomorphisms(j, a, i, b):
    O = o2(4)
    S, _ = O.subgroup((None, -1))
    reps = [O.induced_representation((None, -1), S.irrep(3)), O.irrep(1, 2) + O.irrep(1, 0),
            O.restrict_representation((0.5, -1), O.irrep(1, 3)),
            O.restrict_representation((None, -1), O.irrep(1, 2))]
    for rep in reps:
        G = rep.group
        g, h = (G.element((j, a)), G.element((i, b))) if G == O or type(G) is type(O) else \
            (G.element(a), G.element(b))
        np.testing.assert_allclose(rep(g @ h), rep(g) @ rep(h), atol=1e-9)
        Q = rep.change_of_basis
        block_sum = directsum(*[G.irrep(*k) for k in rep.irreps])
        np.testing.assert_allclose(Q @ block_sum(g) @ Q.T, rep(g), atol=1e-8)


def test_restriction_to_a_finite_subgroup_of_a_continuous_group():
    O = o2(6)
    D, inc = O.subgroup((0.0, 4))
    res = O.restrict_representation((0.0, 4), O.irrep(1, 5))
    assert res.irreps == ((1, 1),)  # 5 = -1 mod 4, which is (1, 1) up to a change of basis
    for h in D.elements:
        np.testing.assert_allclose(res(h), O.irrep(1, 5)(inc(h)), atol=1e-12)
    reg = O.restrict_representation((None, 6), O.irrep(1, 3))
    assert reg.irreps == ((3,), (3,))
    assert isinstance(reg, Representation) and reg.group == cyclic(6)
    assert math.isclose(reg.character(1), O.irrep(1, 3).character((0, math.pi / 3)), abs_tol=1e-12)


def test_groups_elements_and_representations_pickle():
    import pickle

    from refpool.fields import FieldType

    G, O = dihedral(4), o2(3)
    reps = [G.irrep(1, 1), G.regular_representation, G.quotient_representation((0, 2)),
            G.induced_representation((None, 2), cyclic(2).irrep(1)),
            directsum(G.irrep(1, 1), G.regular_representation, name="mixed"),
            G.restrict_representation((None, 4), G.regular_representation),
            O.induced_representation((None, -1), so2(3).irrep(2)),
            O.restrict_representation((0.5, -1), O.irrep(1, 2))]
    for rep in reps:
        copy = pickle.loads(pickle.dumps(rep))
        assert copy == rep and copy.name == rep.name
        g = copy.group.testing_elements()[3]
        np.testing.assert_array_equal(copy(g), rep(g))
    assert pickle.loads(pickle.dumps(G)) is G
    assert pickle.loads(pickle.dumps(O.element((1, 0.3)))) == O.element((1, 0.3))
    ft = FieldType(G, reps[:5])
    assert pickle.loads(pickle.dumps(ft)) == ft
