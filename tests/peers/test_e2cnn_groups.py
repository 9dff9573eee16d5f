"""Cross-checks of refpool.groups and refpool.fields against e2cnn 0.2.3.

Matrices are compared entry by entry (e2cnn builds its representations as
``Q @ blockdiag(irreps) @ Q^-1``, so agreement is to rounding, 1e-9); field transforms are
compared with ``GeometricTensor.transform`` on float32 tensors.
"""

import math
import warnings

import numpy as np
import pytest

e2cnn = pytest.importorskip("e2cnn")
torch = pytest.importorskip("torch")

from e2cnn import gspaces  # noqa: E402
from e2cnn import group as egroup  # noqa: E402
from e2cnn import nn as enn  # noqa: E402

from refpool.fields import FieldType  # noqa: E402
from refpool.groups import cyclic, dihedral, flip, o2, so2, trivial  # noqa: E402

ATOL = 1e-9
SAMPLE_ANGLES = [0.0, 0.3, 1.0, math.pi / 2, 2.5, math.pi, 4.0, 3 * math.pi / 2, 6.0, 7.5, -1.2]

pytestmark = pytest.mark.filterwarnings("ignore")


def divisors(n):
    return [m for m in range(1, n + 1) if n % m == 0]


def dihedral_subgroup_ids(N):
    return [(None, m) for m in divisors(N)] + [(k, m) for m in divisors(N) for k in range(N // m)]


def e2_irrep_id(name):
    """'irrep_1,2' -> (1, 2)."""
    return tuple(int(v) for v in name.split("_")[1].split(","))


def assert_same_matrices(ours, theirs, elements, to_e2=lambda g: g.value):
    for g in elements:
        np.testing.assert_allclose(ours(g), theirs(to_e2(g)), atol=ATOL, err_msg=f"at {g!r}")


# --------------------------------------------------------------------------------------
# Group law
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("N", range(1, 13))
def test_law_matches(N):
    for ours, theirs in ((cyclic(N), egroup.cyclic_group(N)), (dihedral(N), egroup.dihedral_group(N))):
        assert [g.value for g in ours.elements] == list(theirs.elements)
        assert ours.identity.value == theirs.identity
        for a in ours.elements:
            assert (~a).value == theirs.inverse(a.value)
            for b in ours.elements:
                assert (a @ b).value == theirs.combine(a.value, b.value)


def test_continuous_law_matches():
    O, Oe = o2(3), egroup.o2_group(3)
    for j in (0, 1):
        for a in SAMPLE_ANGLES:
            for i in (0, 1):
                for b in SAMPLE_ANGLES[::3]:
                    theirs = Oe.combine((j, a), (i, b))
                    assert O.element((j, a)) @ O.element((i, b)) == O.element(theirs)
            assert ~O.element((j, a)) == O.element(Oe.inverse((j, a)))


# --------------------------------------------------------------------------------------
# Irreps, regular, quotient, induced, restricted
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("N", range(1, 13))
def test_cyclic_representations_match(N):
    G, Ge = cyclic(N), egroup.cyclic_group(N)
    assert [irr.id for irr in G.irreps] == [e2_irrep_id(n) for n in Ge.irreps]
    for name, irr in Ge.irreps.items():
        assert_same_matrices(G.irrep(*e2_irrep_id(name)), irr, G.elements)
    assert_same_matrices(G.regular_representation, Ge.regular_representation, G.elements)
    for M in divisors(N):
        assert_same_matrices(G.quotient_representation(M), Ge.quotient_representation(M), G.elements)
        He, _, _ = Ge.subgroup(M)
        H, inclusion = G.subgroup(M)
        for name, irr in He.irreps.items():
            ours = G.induced_representation(M, H.irrep(*e2_irrep_id(name)))
            assert_same_matrices(ours, Ge.induced_representation(M, irr), G.elements)
        for name, irr in Ge.irreps.items():
            ours = G.restrict_representation(M, G.irrep(*e2_irrep_id(name)))
            assert_same_matrices(ours, Ge.restrict_representation(M, irr), H.elements)


@pytest.mark.parametrize("N", range(1, 9))
def test_dihedral_representations_match(N):
    G, Ge = dihedral(N), egroup.dihedral_group(N)
    assert [irr.id for irr in G.irreps] == [e2_irrep_id(n) for n in Ge.irreps]
    for name, irr in Ge.irreps.items():
        assert_same_matrices(G.irrep(*e2_irrep_id(name)), irr, G.elements)
    assert_same_matrices(G.regular_representation, Ge.regular_representation, G.elements)
    for sid in dihedral_subgroup_ids(N):
        assert_same_matrices(G.quotient_representation(sid), Ge.quotient_representation(sid),
                             G.elements)
        He, _, _ = Ge.subgroup(sid)
        H, _ = G.subgroup(sid)
        for name, irr in He.irreps.items():
            ours = G.induced_representation(sid, H.irrep(*e2_irrep_id(name)))
            assert_same_matrices(ours, Ge.induced_representation(sid, irr), G.elements)
        for name, irr in Ge.irreps.items():
            ours = G.restrict_representation(sid, G.irrep(*e2_irrep_id(name)))
            assert_same_matrices(ours, Ge.restrict_representation(sid, irr), H.elements)


def test_continuous_irreps_and_restrictions_match():
    S, Se = so2(5), egroup.so2_group(5)
    O, Oe = o2(5), egroup.o2_group(5)
    assert [irr.id for irr in S.irreps] == [e2_irrep_id(n) for n in Se.irreps]
    assert [irr.id for irr in O.irreps] == [e2_irrep_id(n) for n in Oe.irreps]
    so2_elements = [S.element(t) for t in SAMPLE_ANGLES]
    o2_elements = [O.element((j, t)) for j in (0, 1) for t in SAMPLE_ANGLES]
    for name, irr in Se.irreps.items():
        assert_same_matrices(S.irrep(*e2_irrep_id(name)), irr, so2_elements)
    for name, irr in Oe.irreps.items():
        assert_same_matrices(O.irrep(*e2_irrep_id(name)), irr, o2_elements)
    for sid in [(None, -1), (None, 3), (0.0, 1), (0.7, 1), (0.0, 4), (0.4, 2)]:
        H, _ = O.subgroup(sid)
        He, _, _ = Oe.subgroup(sid)
        elements = (H.elements if H.is_finite else [H.element(t) for t in SAMPLE_ANGLES])
        for name, irr in Oe.irreps.items():
            ours = O.restrict_representation(sid, O.irrep(*e2_irrep_id(name)))
            assert_same_matrices(ours, Oe.restrict_representation(sid, irr), elements)


def _o2_induction_cases():
    O, Oe = o2(4), egroup.o2_group(4)
    S, _ = O.subgroup((None, -1))
    Se, _, _ = Oe.subgroup((None, -1))
    elements = [O.element((j, t)) for j in (0, 1) for t in SAMPLE_ANGLES]
    return O, Oe, S, Se, elements


def test_o2_induction_fails_in_e2cnn_on_recent_numpy():
    """e2cnn 0.2.3 uses the alias ``np.float``, removed in NumPy 1.24 (SPEC section 8)."""
    O, Oe, S, Se, elements = _o2_induction_cases()
    if hasattr(np, "float"):
        pytest.skip("this NumPy still has np.float")
    with pytest.raises(AttributeError, match="float"):
        Oe.induced_representation((None, -1), Se.irreps["irrep_1"])


def test_o2_induction_matches_with_the_alias_restored(monkeypatch):
    O, Oe, S, Se, elements = _o2_induction_cases()
    # Put the alias back for e2cnn's benefit only; refpool never uses it.
    monkeypatch.setattr(np, "float", float, raising=False)
    for k in range(4):
        theirs = Oe.induced_representation((None, -1), Se.irreps[f"irrep_{k}"])
        ours = O.induced_representation((None, -1), S.irrep(k))
        assert_same_matrices(ours, theirs, elements)
        assert list(ours.irreps) == [e2_irrep_id(n) for n in theirs.irreps]
    assert_same_matrices(O.quotient_representation((None, -1)),
                         Oe.quotient_representation((None, -1)), elements)


# --------------------------------------------------------------------------------------
# Field transforms against GeometricTensor.transform
# --------------------------------------------------------------------------------------
def e2_transform(gspace, reps, x, element):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        field_type = enn.FieldType(gspace, reps)
        tensor = enn.GeometricTensor(torch.from_numpy(x), field_type)
        return tensor.transform(element).tensor.numpy()


def finite_cases():
    cases = []
    for N in (4, 8, 3, 6):
        G, gs = cyclic(N), gspaces.Rot2dOnR2(N)
        cases.append((G, gs, [G.regular_representation, G.irrep(1), G.trivial_representation,
                              G.quotient_representation(N // 2 if N % 2 == 0 else 1)],
                      [gs.regular_repr, gs.irrep(1), gs.trivial_repr,
                       gs.quotient_repr(N // 2 if N % 2 == 0 else 1)]))
    for N, axis in ((4, math.pi / 2), (4, 0.0), (8, math.pi / 2), (2, math.pi / 4), (4, 0.3)):
        G, gs = dihedral(N, axis), gspaces.FlipRot2dOnR2(N, axis=axis)
        cases.append((G, gs, [G.regular_representation, G.irrep(1, 1), G.irrep(1, 0),
                              G.quotient_representation((None, N))],
                      [gs.regular_repr, gs.irrep(1, 1), gs.irrep(1, 0), gs.quotient_repr((None, N))]))
    for axis in (math.pi / 2, 0.0, math.pi / 4, 1.0):
        G, gs = flip(axis), gspaces.Flip2dOnR2(axis=axis)
        cases.append((G, gs, [G.regular_representation, G.irrep(1)], [gs.regular_repr, gs.irrep(1)]))
    G, gs = trivial(), gspaces.TrivialOnR2()
    cases.append((G, gs, [G.trivial_representation], [gs.trivial_repr]))
    return cases


@pytest.mark.parametrize("case", finite_cases(), ids=lambda c: c[0].name)
@pytest.mark.parametrize("shape", [(7, 7), (6, 9)])
def test_finite_transforms_match_geometric_tensor(case, shape):
    G, gspace, ours, theirs = case
    ft = FieldType(G, ours)
    x = np.random.default_rng(0).standard_normal((2, ft.size) + shape).astype(np.float32)
    for g in G.elements:
        expected = e2_transform(gspace, theirs, x, g.value)
        got = ft.transform(x, g)
        assert got.dtype == np.float32
        if g.is_grid_symmetry:
            np.testing.assert_array_equal(got, expected, err_msg=f"at {g!r}")
        else:
            # Both interpolate with scipy's order-2 spline about the centre, zero fill.
            np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=f"at {g!r}")


@pytest.mark.parametrize("shape", [(7, 7), (8, 5)])
def test_continuous_transforms_match_geometric_tensor(shape):
    rng = np.random.default_rng(1)
    S, gs = so2(3), gspaces.Rot2dOnR2(-1, maximum_frequency=3)
    ft = FieldType(S, [S.irrep(1), S.irrep(3), S.trivial_representation])
    x = rng.standard_normal((2, ft.size) + shape).astype(np.float32)
    for t in SAMPLE_ANGLES:
        expected = e2_transform(gs, [gs.irrep(1), gs.irrep(3), gs.trivial_repr], x, float(t))
        np.testing.assert_allclose(ft.transform(x, t), expected, atol=1e-6)
    O, gs = o2(3), gspaces.FlipRot2dOnR2(-1, maximum_frequency=3)
    ft = FieldType(O, [O.irrep(1, 2), O.irrep(1, 0), O.trivial_representation])
    x = rng.standard_normal((2, ft.size) + shape).astype(np.float32)
    for j in (0, 1):
        for t in SAMPLE_ANGLES:
            expected = e2_transform(gs, [gs.irrep(1, 2), gs.irrep(1, 0), gs.trivial_repr], x,
                                    (j, float(t)))
            np.testing.assert_allclose(ft.transform(x, (j, t)), expected, atol=1e-6)


def test_e2cnn_interpolates_some_exact_half_turns():
    """Divergence: for C22, element 11 is a half turn, but 11 * 2pi/22 is not exactly pi, so
    e2cnn rotates by spline interpolation and the border pixels, which land 1e-15 outside the
    array, are zero-filled.  refpool rounds the matrix and reverses both axes exactly."""
    G, gs = cyclic(22), gspaces.Rot2dOnR2(22)
    ft = FieldType(G, [G.regular_representation])
    x = np.random.default_rng(2).standard_normal((1, 22, 7, 7)).astype(np.float32)
    ours = ft.transform(x, 11)
    theirs = e2_transform(gs, [gs.regular_repr], x, 11)
    assert G.element(11).is_grid_symmetry
    np.testing.assert_array_equal(ours, np.roll(x, 11, axis=1)[..., ::-1, ::-1])
    np.testing.assert_allclose(ours[..., 1:-1, 1:-1], theirs[..., 1:-1, 1:-1], atol=1e-6)
    assert not np.allclose(ours, theirs, atol=1e-3)  # e2cnn's border is partly zero
