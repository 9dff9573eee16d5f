"""FieldType: channel layout, fiber action, exact grid transforms, interpolated transforms."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from refpool.fields import FieldType
from refpool.groups import cyclic, dihedral, directsum, flip, o2, octahedral, so2, trivial


def source_indices(out_shape, in_shape, M):
    """For every output index, the input index it reads under f'(x) = f(M^-1 x).

    Written from the conventions alone: array axes are (-Y, X) in 2D and (-Z, -Y, X) in 3D,
    coordinates measured from the array centre (n - 1)/2.
    """
    d = len(out_shape)
    u = np.indices(out_shape).reshape(d, -1).astype(float)
    u -= ((np.array(out_shape) - 1) / 2)[:, None]
    if d == 2:
        physical = np.stack([u[1], -u[0]])                      # (x, y) = (a1, -a0)
    else:
        physical = np.stack([u[2], -u[1], -u[0]])               # (x, y, z) = (a2, -a1, -a0)
    source = np.linalg.inv(M) @ physical
    if d == 2:
        a = np.stack([-source[1], source[0]])
    else:
        a = np.stack([-source[2], -source[1], source[0]])
    a += ((np.array(in_shape) - 1) / 2)[:, None]
    idx = np.rint(a).astype(int)
    assert np.allclose(a, idx)
    return tuple(idx)


def map_spatial(x, M, spatial):
    """Apply the index mapping to every (batch, channel) plane of x."""
    in_shape = x.shape[-spatial:]
    out_shape = tuple(int(v) for v in np.abs(np.rint(M_to_array_abs(M))) @ np.array(in_shape))
    src = source_indices(out_shape, in_shape, M)
    flat = x.reshape(x.shape[:-spatial] + (-1,))
    lin = np.ravel_multi_index(src, in_shape)
    return flat[..., lin].reshape(x.shape[:-spatial] + out_shape)


def M_to_array_abs(M):
    # Which array axis goes where, up to sign: the same permutation as on physical axes,
    # reversed in order (array axes list the physical ones backwards).
    return np.abs(M)[::-1, ::-1]


# --------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------
def test_layout_and_algebra():
    G = dihedral(4)
    a = FieldType(G, [G.regular_representation, G.irrep(1, 1), G.trivial_representation])
    assert a.size == 11 and len(a) == 3
    assert a.fields == (slice(0, 8), slice(8, 10), slice(10, 11))
    assert list(a) == [G.regular_representation, G.irrep(1, 1), G.trivial_representation]
    b = FieldType(G, G.irrep(1, 0))
    c = a + b
    assert c.size == 12 and c.representations == a.representations + b.representations
    assert c == FieldType(G, list(a) + list(b)) and hash(c) == hash(FieldType(G, list(c)))
    assert a != b
    g = G.element((1, 2))
    np.testing.assert_array_equal(a.representation(g), directsum(*a.representations)(g))
    assert repr(b) == "FieldType(D4: [irrep_1,0], size=1)"
    r = a.restrict((None, 4))
    assert r.group == cyclic(4) and r.size == 11
    with pytest.raises(ValueError, match="different groups"):
        a + FieldType(cyclic(4), [cyclic(4).regular_representation])


def test_construction_is_validated():
    G = cyclic(4)
    with pytest.raises(ValueError, match="at least one"):
        FieldType(G, [])
    with pytest.raises(ValueError, match=r"representations\[1\].*C8"):
        FieldType(G, [G.irrep(1), cyclic(8).irrep(1)])
    with pytest.raises(TypeError, match="Group"):
        FieldType("C4", [G.irrep(1)])
    with pytest.raises(TypeError, match="Representation"):
        FieldType(G, [np.eye(2)])


def test_inputs_are_validated():
    G = cyclic(4)
    ft = FieldType(G, [G.regular_representation])
    x = np.zeros((1, 4, 5, 5))
    with pytest.raises(ValueError, match="x has 3 channels.*size 4"):
        ft.transform(np.zeros((1, 3, 5, 5)), 1)
    with pytest.raises(ValueError, match="spatial"):
        ft.transform(np.zeros((1, 4, 5)), 1)
    with pytest.raises(ValueError, match="floating"):
        ft.transform(x.astype(int), 1)
    with pytest.raises(ValueError, match="order"):
        ft.transform(x, 1, order=7)
    with pytest.raises(ValueError, match="integer"):
        ft.transform(x, 0.5)
    with pytest.raises(ValueError, match="C8"):
        ft.transform(x, cyclic(8).element(1))
    with pytest.raises(ValueError, match="channels"):
        ft.transform_fibers(np.zeros((2, 5)), 1)


# --------------------------------------------------------------------------------------
# Fiber action
# --------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 7), j=st.integers(0, 1))
def test_transform_fibers_is_the_block_diagonal_matrix(seed, k, j):
    x = np.random.default_rng(seed).standard_normal((2, 24, 3, 2)) * 100
    G = dihedral(8)
    ft = FieldType(G, [G.irrep(1, 3), G.regular_representation, G.irrep(1, 0),
                       G.quotient_representation((None, 4)), G.irrep(0, 4)])
    g = G.element((j, k))
    expected = np.einsum("oi,ni...->no...", ft.representation(g), x)
    np.testing.assert_allclose(ft.transform_fibers(x, g), expected, rtol=1e-12, atol=1e-9)


def test_permutation_fields_are_gathered_exactly():
    G = cyclic(4)
    ft = FieldType(G, [G.regular_representation])
    x = np.array([1.0, np.nan, np.inf, 1e-300])[None, :, None, None]
    y = ft.transform_fibers(x, 1)[0, :, 0, 0]
    np.testing.assert_array_equal(y, [1e-300, 1.0, np.nan, np.inf])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_dtype_is_kept(dtype):
    G = so2(2)
    ft = FieldType(G, [G.irrep(1), G.trivial_representation])
    x = np.random.default_rng(0).standard_normal((1, 3, 6, 6)).astype(dtype)
    for g in (math.pi / 2, 0.4):
        y = ft.transform(x, g)
        assert y.dtype == dtype and y.flags.c_contiguous
    assert ft.transform_fibers(x, 0.4).dtype == dtype


# --------------------------------------------------------------------------------------
# Exact grid transforms
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 5), (4, 7)])
def test_quarter_turns_and_mirrors_are_numpy_axis_operations(shape):
    x = np.random.default_rng(1).standard_normal((2, 1) + shape)
    C = cyclic(4)
    scalar = FieldType(C, [C.trivial_representation])
    for k in range(4):
        np.testing.assert_array_equal(scalar.transform(x, k), np.rot90(x, k, axes=(-2, -1)))
    F = flip()
    np.testing.assert_array_equal(FieldType(F, [F.trivial_representation]).transform(x, 1),
                                  x[..., ::-1])
    F0 = flip(0.0)
    np.testing.assert_array_equal(FieldType(F0, [F0.trivial_representation]).transform(x, 1),
                                  x[..., ::-1, :])
    D = dihedral(4)
    np.testing.assert_array_equal(FieldType(D, [D.trivial_representation]).transform(x, (1, 1)),
                                  np.swapaxes(x, -1, -2))


@pytest.mark.parametrize("G", [cyclic(4), dihedral(4), dihedral(4, 0.0), dihedral(2, math.pi / 4),
                               cyclic(8), dihedral(8), flip(), flip(math.pi / 4)],
                         ids=lambda G: G.name)
def test_grid_symmetries_match_the_explicit_index_mapping(G):
    x = np.random.default_rng(2).standard_normal((1, 1, 5, 6))
    ft = FieldType(G, [G.trivial_representation])
    for g in G.elements:
        if g.is_grid_symmetry:
            np.testing.assert_array_equal(ft.transform(x, g), map_spatial(x, g.matrix, 2))


def test_rounding_errors_in_the_angle_do_not_cause_interpolation():
    G = so2(3)
    ft = FieldType(G, [G.trivial_representation, G.irrep(1)])
    x = np.random.default_rng(3).standard_normal((1, 3, 6, 4))
    for q in range(1, 8):
        theta = q * (2 * math.pi / 4) + 1e-12 * (q % 2)
        expected = np.rot90(x, q, axes=(-2, -1))
        y = ft.transform(x, theta)
        np.testing.assert_array_equal(y[:, 0], expected[:, 0])
        np.testing.assert_allclose(y[:, 1:], np.einsum("oi,ni...->no...", G.irrep(1)(theta),
                                                       expected[:, 1:]), atol=1e-12)
    O = o2(3)
    f = FieldType(O, [O.trivial_representation])
    np.testing.assert_array_equal(f.transform(x[:, :1], (1, 2 * math.pi / 4 * 3)),
                                  np.rot90(x[:, :1, :, ::-1], 3, axes=(-2, -1)))


def test_rotation_is_counter_clockwise_as_displayed():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 4] = 1.0  # on the +X axis, right of the centre
    G = cyclic(4)
    y = FieldType(G, [G.trivial_representation]).transform(x, 1)
    assert y[0, 0, 0, 2] == 1.0  # now on +Y: the top row


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), a=st.sampled_from(dihedral(4).elements),
       b=st.sampled_from(dihedral(4).elements))
def test_transform_is_an_action(seed, a, b):
    x = np.random.default_rng(seed).standard_normal((1, 11, 4, 5))
    G = dihedral(4)
    ft = FieldType(G, [G.regular_representation, G.irrep(1, 1), G.irrep(0, 2)])
    lhs = ft.transform(ft.transform(x, b), a)
    rhs = ft.transform(x, a @ b)
    np.testing.assert_array_equal(lhs[:, :8], rhs[:, :8])
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)


def test_planar_group_on_volumes_turns_the_last_two_axes():
    x = np.random.default_rng(4).standard_normal((1, 1, 3, 4, 5))
    G = cyclic(4)
    np.testing.assert_array_equal(FieldType(G, [G.trivial_representation]).transform(x, 1),
                                  np.rot90(x, 1, axes=(-2, -1)))
    T = trivial()
    line = np.random.default_rng(5).standard_normal((2, 1, 7))
    np.testing.assert_array_equal(FieldType(T, [T.trivial_representation]).transform(line, 0), line)


# --------------------------------------------------------------------------------------
# 3D: the octahedral groups
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 4, 5), (4, 4, 4)])
def test_every_octahedral_element_matches_the_explicit_index_mapping(shape):
    G = octahedral(True)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4) + shape)
    ft = FieldType(G, [G.trivial_representation, G.irrep(1, 1)])
    for g in G.elements:
        y = ft.transform(x, g)
        moved = map_spatial(x, g.matrix, 3)
        np.testing.assert_array_equal(y[:, :1], moved[:, :1])
        # The vector field's components (v_x, v_y, v_z) turn with the matrix itself.
        np.testing.assert_allclose(y[:, 1:], np.einsum("oi,ni...->no...", g.matrix, moved[:, 1:]),
                                   atol=0)


def test_octahedral_regular_fields_transform_exactly_and_compose():
    G = octahedral(False)
    ft = FieldType(G, [G.regular_representation])
    x = np.random.default_rng(7).standard_normal((1, 24, 3, 3, 3)).astype(np.float32)
    els = G.elements
    for a, b in zip(els, els[5:] + els[:5]):
        np.testing.assert_array_equal(ft.transform(ft.transform(x, b), a), ft.transform(x, a @ b))


# --------------------------------------------------------------------------------------
# Interpolated transforms
# --------------------------------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(theta=st.floats(0.05, 6.2), order=st.integers(0, 3))
def test_off_grid_rotations_interpolate_about_the_centre(theta, order):
    G = so2(2)
    x = np.random.default_rng(8).standard_normal((1, 3, 7, 9))
    ft = FieldType(G, [G.trivial_representation, G.irrep(1)])
    y = ft.transform(x, theta, order=order)
    # scipy's rotate turns by +angle counter-clockwise as displayed, about the centre.
    moved = ndimage.rotate(x, math.degrees(theta), axes=(-2, -1), reshape=False, order=order)
    np.testing.assert_allclose(y[:, :1], moved[:, :1], atol=1e-9)
    np.testing.assert_allclose(y[:, 1:], np.einsum("oi,ni...->no...", G.irrep(1)(theta), moved[:, 1:]),
                               atol=1e-9)


def test_interpolation_in_float32_matches_float64():
    G = cyclic(8)
    ft = FieldType(G, [G.regular_representation])
    x = np.random.default_rng(9).standard_normal((1, 8, 9, 9))
    y64 = ft.transform(x, 1)
    y32 = ft.transform(x.astype(np.float32), 1)
    np.testing.assert_allclose(y32, y64, atol=1e-6)
    # The centre pixel of a 45 degree turn reads the centre of the input.
    np.testing.assert_allclose(y64[0, :, 4, 4], np.roll(x[0, :, 4, 4], 1), atol=1e-12)
