"""Channel poolings: subgroup_pool (regular fields of G onto regular fields of H <= G)
and max_pool_channels (e2cnn's MaxPoolChannels).

* the channel map of subgroup_pool, derived from the group law, checked against the
  representation matrices and against hand-written maps of C_N -> C_M and D_N -> C_M;
* equivariance to every element of every subgroup of C_N and D_N (bitwise, both
  modes), D_N -> C_N as the quotient field of the flips, invariance to the cosets;
* semantics: NaN, signed zeros, integers, the mean in float64, output types;
* bad input: every error names its argument and comes before any kernel runs;
* differential: reference vs cpu vs cuda (the simulator: tiny inputs);
* peers: e2cnn's MaxPoolChannels.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refpool
from helpers import assert_close, assert_same, random_input
from refpool import FieldType
from refpool.groups import cyclic, dihedral, flip, octahedral, so2
from refpool.groups._cosets import regular_restriction

ENGINES = ["reference", "cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


def divisors(n):
    return [m for m in range(1, n + 1) if n % m == 0]


def regular(G, fields=1):
    return FieldType(G, [G.regular_representation] * fields)


#: every group with every subgroup id it has (C_N, D_N, the flip group)
GROUPS = [cyclic(N) for N in (1, 2, 3, 4, 6, 8)] + [dihedral(N) for N in (1, 2, 3, 4, 6)] + \
         [flip()]
PAIRS = [(G, sid) for G in GROUPS for sid in G._subgroup_ids()]


def pair_id(pair):
    G, sid = pair
    return f"{G.name}-{sid}"


def pool(x, ft, subgroup, mode="max", engine="reference", **kw):
    return refpool.subgroup_pool(x, ft, subgroup, mode, engine=engine, **kw)


# --------------------------------------------------------------------------- channel map
@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_the_channel_map_follows_the_representation_matrices(pair):
    """Column j of the table is a regular field of H inside the regular field of G:
    rho_G(inclusion(k)) maps channel table[i, j] to table[i', j] with h_i' = k h_i,
    read off the permutation matrices (not from FieldType.transform)."""
    G, sid = pair
    H, inclusion = G.subgroup(sid)
    table = regular_restriction(G, sid)
    assert table.shape == (H.order, G.order // H.order)
    assert sorted(table.ravel().tolist()) == list(range(G.order))    # a partition of G
    assert table[:, 0].tolist() == [G.index(inclusion(h)) for h in H.elements]   # s_0 = e
    rho = G.regular_representation
    for k in H.elements:
        m = rho(inclusion(k))
        for i, h in enumerate(H.elements):
            target = H.index(k @ h)
            for j in range(table.shape[1]):
                assert m[table[target, j], table[i, j]] == 1.0


@pytest.mark.parametrize("N", [2, 4, 6, 8])
def test_cyclic_and_dihedral_maps_by_hand(N):
    for M in divisors(N):
        r = N // M
        # C_N -> C_M: blocks of N/M consecutive channels
        assert regular_restriction(cyclic(N), M).tolist() == \
            [[i * r + t for t in range(r)] for i in range(M)]
        # D_N -> C_M: rotations r^(iN/M + t), then the reflections r^(iN/M + t) f
        assert regular_restriction(dihedral(N), (None, M)).tolist() == \
            [[j * N + i * r + t for j in (0, 1) for t in range(r)] for i in range(M)]


def test_dihedral_to_rotations_pools_each_rotation_with_its_reflection():
    D4 = dihedral(4)
    x = np.array([[[0.0], [1.0], [2.0], [3.0], [4.0], [-5.0], [6.0], [-7.0]]])
    for subgroup in (cyclic(4), (None, 4), [None, 4]):
        assert pool(x, regular(D4), subgroup).ravel().tolist() == [4.0, 1.0, 6.0, 3.0]
        assert pool(x, regular(D4), subgroup, "avg").ravel().tolist() == [2.0, -2.0, 4.0, -2.0]
    # the trivial subgroup is group pooling, the group itself the identity
    assert pool(x, regular(D4), (None, 1)).ravel().tolist() == [6.0]
    assert_same(pool(x, regular(D4), (0, 4)), x)


@pytest.mark.parametrize("engine", ENGINES)
def test_cyclic_subgroups_are_max_pool_channels_field_by_field(engine):
    C8 = cyclic(8)
    x = random_input((2, 16, 3, 4), np.float32, seed=1, specials=True)
    for M in (1, 2, 4, 8):
        assert_same(pool(x, regular(C8, 2), M, engine=engine),
                    refpool.max_pool_channels(x, 8 // M, engine=engine))


def test_a_subgroup_given_as_a_group_is_found_by_its_mirror_axis():
    D4 = dihedral(4)
    x = random_input((1, 8, 3, 3), np.float64, seed=2)
    for sid in D4._subgroup_ids():
        H = D4.subgroup(sid)[0]
        assert_same(pool(x, regular(D4), H), pool(x, regular(D4), sid))
        assert refpool.subgroup_field_type(regular(D4), H) == FieldType(
            H, [H.regular_representation])


# --------------------------------------------------------------------------- symmetry
@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_equivariant_to_every_subgroup_element_bitwise(pair):
    G, sid = pair
    H, inclusion = G.subgroup(sid)
    ft = regular(G, 2)
    out_type = refpool.subgroup_field_type(ft, sid)
    x = random_input((2, ft.size, 3, 4), np.float64, seed=G.order + H.order)
    for mode in ("max", "avg"):
        y = pool(x, ft, sid, mode)
        assert y.shape == (2, 2 * H.order, 3, 4)
        for k in H.elements:
            assert_same(pool(ft.transform_fibers(x, inclusion(k)), ft, sid, mode),
                        out_type.transform_fibers(y, k))


@pytest.mark.parametrize("G", [dihedral(4), dihedral(2), cyclic(4)], ids=lambda G: G.name)
def test_equivariant_to_grid_symmetries_of_the_subgroup(G):
    ft = regular(G)
    x = random_input((1, ft.size, 5, 7), np.float32, seed=3)
    for sid in G._subgroup_ids():
        H, inclusion = G.subgroup(sid)
        out_type = refpool.subgroup_field_type(ft, sid)
        for mode in ("max", "avg"):
            y = pool(x, ft, sid, mode, engine="cpu")
            for k in H.elements:
                if inclusion(k).is_grid_symmetry:        # quarter turns, grid mirrors
                    assert_same(pool(ft.transform(x, inclusion(k)), ft, sid, mode,
                                     engine="cpu"),
                                out_type.transform(y, k))


@pytest.mark.parametrize("N", [2, 3, 4, 6])
def test_dihedral_to_rotations_is_the_quotient_field_of_the_flips(N):
    """For D_N -> C_N the output transforms under all of D_N, reflections included, as
    the quotient representation by the flip subgroup (0, 1)."""
    D = dihedral(N)
    ft = regular(D, 2)
    quotient = FieldType(D, [D.quotient_representation((0, 1))] * 2)
    x = random_input((2, ft.size, 4, 4), np.float64, seed=N)
    for mode in ("max", "avg"):
        y = pool(x, ft, cyclic(N), mode)
        for g in D.elements:
            assert_same(pool(ft.transform_fibers(x, g), ft, cyclic(N), mode),
                        quotient.transform_fibers(y, g))
            if g.is_grid_symmetry:
                assert_same(pool(ft.transform(x, g), ft, cyclic(N), mode),
                            quotient.transform(y, g))
    # its restriction to C_N is C_N's regular representation, matrix by matrix
    C, inclusion = D.subgroup((None, N))
    for h in C.elements:
        np.testing.assert_array_equal(D.quotient_representation((0, 1))(inclusion(h)),
                                      C.regular_representation(h))


@pytest.mark.parametrize("pair", [p for p in PAIRS if p[0].order > 1], ids=pair_id)
def test_invariant_to_permuting_the_cosets(pair):
    """The restricted field is [G:H] regular fields of H (the table's columns); the
    output does not change when they are permuted."""
    G, sid = pair
    table = regular_restriction(G, sid)
    ft = regular(G)
    x = random_input((1, G.order, 3, 2), np.float64, seed=5)
    rng = np.random.default_rng(G.order)
    for mode in ("max", "avg"):
        y = pool(x, ft, sid, mode)
        for _ in range(3):
            moved = np.empty_like(x)
            moved[:, table[:, rng.permutation(table.shape[1])]] = x[:, table]
            got = pool(moved, ft, sid, mode)
            (assert_same if mode == "max" or table.shape[1] <= 2 else assert_close)(got, y)


@pytest.mark.parametrize("N", [2, 4, 5])
def test_dihedral_to_rotations_is_invariant_to_the_flip_on_the_right(N):
    D = dihedral(N)
    f = D.element((1, 0))
    x = random_input((1, 2 * N, 3, 3), np.float64, seed=N)
    right = np.empty_like(x)
    for g in D.elements:                               # x'(g) = x(g f)
        right[:, D.index(g)] = x[:, D.index(g @ f)]
    for mode in ("max", "avg"):
        assert_same(pool(right, regular(D), (None, N), mode),
                    pool(x, regular(D), (None, N), mode))


def test_3d_fields_of_the_octahedral_group():
    O = octahedral(full=True)
    ft = regular(O)
    x = random_input((1, 48, 3, 3, 3), np.float32, seed=6)
    for sid in ((False, 4), "octa"):
        H, inclusion = O.subgroup(sid)
        y = pool(x, ft, sid, engine="cpu")
        assert y.shape == (1, H.order, 3, 3, 3)
        out_type = refpool.subgroup_field_type(ft, sid)
        for k in H.elements[::3]:
            assert_same(pool(ft.transform(x, inclusion(k)), ft, sid, engine="cpu"),
                        out_type.transform(y, k))


def test_exact_symmetries_and_pipelines():
    D4 = dihedral(4)
    ft = regular(D4, 2)
    grid = refpool.equivariance.grid_group(2).elements
    assert refpool.exact_symmetries("subgroup_pool", (1, 16, 7, 8), field_type=ft,
                                    subgroup=(None, 4)) == list(grid)
    assert refpool.exact_symmetries(refpool.max_pool_channels, (1, 6, 5), kernel_size=3) \
        == list(refpool.equivariance.grid_group(1).elements)
    with pytest.raises(ValueError, match="kernel_size"):
        refpool.exact_symmetries(refpool.max_pool_channels, (1, 6, 5), kernel_size=0)
    from functools import partial
    pipe = refpool.compose(partial(refpool.subgroup_pool, field_type=ft, subgroup=cyclic(4)),
                           partial(refpool.max_pool_channels, kernel_size=4),
                           partial(refpool.max_pool, kernel_size=2))
    assert pipe.output_shape((2, 16, 8, 8)) == (2, 2, 4, 4)
    assert pipe(random_input((2, 16, 8, 8)), engine="reference").shape == (2, 2, 4, 4)
    with pytest.raises(ValueError, match="kernel_size"):
        refpool.compose(partial(refpool.max_pool_channels, kernel_size=4)).output_shape(
            (1, 6, 4, 4))
    # a first stage that pools channels asks for a multiple of its kernel_size
    assert refpool.equivariant_sizes(partial(refpool.max_pool_channels, kernel_size=3),
                                     [4, 5]) == [4, 5]


# --------------------------------------------------------------------------- semantics
@pytest.mark.parametrize("engine", ENGINES)
def test_nan_and_signed_zeros_follow_max_pool(engine):
    x = np.zeros((1, 8, 5), np.float64)
    x[0, :4, 0] = [1.0, np.nan, 3.0, -np.inf]
    x[0, :4, 1] = [-0.0, -0.0, 0.0, -0.0]                   # +0 wins
    x[0, :4, 2] = [-0.0, -0.0, -0.0, -0.0]
    nans = np.array([np.nan, -np.nan], dtype=np.float64)
    nans.view(np.uint64)[0] |= 5                            # two NaNs told apart by their bits
    x[0, :4, 3] = [nans[0], 2.0, nans[1], 1.0]              # the last NaN wins
    x[0, :4, 4] = [np.inf, -np.inf, 1.0, 2.0]
    y = refpool.max_pool_channels(x, 4, engine=engine)
    assert np.isnan(y[0, 0, 0])
    assert not np.signbit(y[0, 0, 1]) and np.signbit(y[0, 0, 2])
    assert y[0, 0, 3:4].view(np.uint64) == nans[1:].view(np.uint64)
    assert y[0, 0, 4] == np.inf
    C4 = cyclic(4)
    assert_same(pool(x[:, :4], regular(C4), 1, engine=engine), y[:, :1])
    # the mean: a float64 sum, the default NaN, inf - inf is NaN
    a = pool(x[:, :4], regular(C4), 1, "avg", engine=engine)
    assert np.isnan(a[0, 0, 0]) and np.isnan(a[0, 0, 4]) and np.isnan(a[0, 0, 3])
    assert a[0, 0, 0:1].view(np.uint64) == np.array([np.nan]).view(np.uint64)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_mean_is_a_float64_sum_rounded_once(engine):
    x = np.array([[[3e38], [3e38], [-3e38], [-3e38]]], np.float32)    # float32 would overflow
    C4 = cyclic(4)
    assert pool(x, regular(C4), 1, "avg", engine=engine).item() == 0.0
    x = np.array([[[1.0], [1e-8], [1e-8], [1e-8]]], np.float32)
    small = np.float64(np.float32(1e-8))
    expected = np.float32((((np.float64(1.0) + small) + small) + small) / 4)
    assert pool(x, regular(C4), 1, "avg", engine=engine).item() == expected


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.int64], ids=str)
def test_integers_are_exact_for_the_maximum(dtype):
    D2 = dihedral(2)
    x = np.random.default_rng(0).integers(0, 100, (2, 8, 3, 3)).astype(dtype)
    for engine in ("reference", "cpu"):
        y = pool(x, regular(D2, 2), (None, 2), engine=engine)
        assert y.dtype == dtype
        assert_same(y, pool(x.astype(np.float64), regular(D2, 2), (None, 2)).astype(dtype))
        z = refpool.max_pool_channels(x, 4, engine=engine)
        assert z.dtype == dtype and np.array_equal(z, x.reshape(2, 2, 4, 3, 3).max(axis=2))
    with pytest.raises(TypeError, match="floating-point"):
        pool(x, regular(D2, 2), (None, 2), "avg")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_layouts_out_and_input_untouched(dtype):
    C6 = cyclic(6)
    x = random_input((2, 12, 4, 5), dtype, seed=7)
    before = x.copy()
    out = np.empty((2, 4, 4, 5), dtype)
    y = refpool.subgroup_pool(x, regular(C6, 2), 2, "avg", out=out)
    assert y is out and y.dtype == dtype
    assert_close(y, x.reshape(2, 2, 2, 3, 4, 5).astype(np.float64).mean(axis=3).reshape(
        2, 4, 4, 5).astype(dtype))
    last = refpool.max_pool_channels(np.moveaxis(x, 1, -1), 3, channels_last=True)
    assert_same(np.moveaxis(last, -1, 1), refpool.max_pool_channels(x, 3))
    assert_same(refpool.max_pool_channels(x[0], 3, ndim=2), refpool.max_pool_channels(x, 3)[0])
    assert_same(x, before)
    # no batch or no channels: empty outputs
    assert refpool.max_pool_channels(np.zeros((0, 6, 3), dtype), 2).shape == (0, 3, 3)
    assert refpool.max_pool_channels(np.zeros((1, 0, 3), dtype), 2).shape == (1, 0, 3)
    assert pool(np.zeros((0, 6, 3), dtype), regular(C6), 3, engine="cpu").shape == (0, 3, 3)


def test_output_field_type():
    D4 = dihedral(4)
    ft = FieldType(D4, [D4.regular_representation, D4.quotient_representation((None, 1))])
    assert refpool.subgroup_field_type(ft, cyclic(4)) == FieldType(
        cyclic(4), [cyclic(4).regular_representation] * 2)
    assert refpool.subgroup_field_type(ft, (0, 2)).group == dihedral(2)
    assert refpool.subgroup_field_type(regular(cyclic(8)), 2).size == 2


# --------------------------------------------------------------------------- bad input
def _no_kernel(monkeypatch):
    def kernel(*args):
        raise AssertionError("a kernel ran")
    monkeypatch.setattr(refpool._dispatch, "kernel", kernel)


BAD_SUBGROUP_CALLS = [
    # the field type: not regular, continuous, wrong size, not a FieldType (x has 4
    # channels where the field type has no size of its own)
    (lambda: FieldType(cyclic(4), [cyclic(4).irrep(1), cyclic(4).irrep(1)]), 1, {},
     ValueError, "field_type contains representation 'irrep_1', which is not the regular"),
    (lambda: FieldType(dihedral(2), [dihedral(2).quotient_representation((0, 1))] * 2),
     (None, 2), {}, ValueError, "not the regular representation of D2"),
    (lambda: FieldType(cyclic(4), [cyclic(4).trivial_representation] * 4), 1, {},
     ValueError, "not the regular"),
    (lambda: FieldType(so2(2), [so2(2).irrep(1), so2(2).irrep(1)]), 1, {},
     ValueError, "continuous group SO"),
    (lambda: (regular(cyclic(2)), 4), 1, {}, ValueError, "field_type has size 2"),
    (lambda: "C4", 1, {}, TypeError, "field_type must be a refpool.FieldType"),
    # the subgroup: not dividing, not contained, of the wrong form
    (lambda: regular(cyclic(4)), 3, {}, ValueError, "subgroup must be a subgroup of C4"),
    (lambda: regular(cyclic(4)), cyclic(3), {}, ValueError,
     "subgroup C3 is not a subgroup of C4"),
    (lambda: regular(dihedral(2), 2), cyclic(4), {}, ValueError,
     "subgroup C4 is not a subgroup of D2"),
    (lambda: regular(dihedral(2), 2), dihedral(2, axis=0.3), {}, ValueError,
     "not a subgroup of D2"),
    (lambda: regular(dihedral(2), 2), 2, {}, ValueError, "subgroup must be a subgroup of D2"),
    (lambda: regular(dihedral(2), 2), (None, 3), {}, ValueError, "subgroup must"),
    (lambda: regular(dihedral(2), 2), [[1], 2], {}, ValueError, "subgroup must"),
    (lambda: regular(cyclic(4)), None, {}, ValueError, "subgroup must"),
    # the mode
    (lambda: regular(cyclic(4)), 2, dict(mode="mean"), ValueError, "mode must be one of"),
    (lambda: regular(cyclic(4)), 2, dict(mode=None), ValueError, "mode must be one of"),
]


@pytest.mark.parametrize("make, subgroup, kw, error, message", BAD_SUBGROUP_CALLS)
@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_bad_subgroup_pool_calls_are_refused_before_any_kernel(make, subgroup, kw, error,
                                                              message, engine, monkeypatch):
    _no_kernel(monkeypatch)
    field_type = make()
    channels = getattr(field_type, "size", 4)
    if isinstance(field_type, tuple):
        field_type, channels = field_type
    x = np.zeros((1, channels, 3, 3))
    with pytest.raises(error, match=message):
        refpool.subgroup_pool(x, field_type, subgroup, engine=engine, **kw)


@pytest.mark.parametrize("kernel_size, error, message", [
    (4, ValueError, "x has 6 channels, not a multiple of kernel_size=4"),
    (0, ValueError, "kernel_size must be a positive int"),
    (-2, ValueError, "kernel_size must be a positive int"),
    (2.0, TypeError, "kernel_size must be a positive int"),
    (True, TypeError, "kernel_size"),
    ((2,), TypeError, "kernel_size"),
    (None, TypeError, "kernel_size"),
    (2 ** 70, ValueError, "kernel_size must be at most 2\\*\\*62"),
])
def test_bad_kernel_size_is_refused_before_any_kernel(kernel_size, error, message,
                                                      monkeypatch):
    _no_kernel(monkeypatch)
    with pytest.raises(error, match=message):
        refpool.max_pool_channels(np.zeros((1, 6, 3, 3)), kernel_size)


# --------------------------------------------------------------------------- differential
@st.composite
def channel_case(draw, max_side=6, max_batch=2):
    pair = draw(st.sampled_from(PAIRS))
    G, sid = pair
    fields = draw(st.integers(1, 2))
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, max_side if nd < 3 else 3)) for _ in range(nd))
    dtype = draw(st.sampled_from((np.float32, np.float64)))
    x = random_input((draw(st.integers(1, max_batch)), G.order * fields) + shape, dtype,
                     seed=draw(st.integers(0, 2 ** 16)), specials=draw(st.booleans()))
    layout = draw(st.sampled_from(("c", "reversed", "channel-strided")))
    if layout == "reversed":               # negative spatial strides
        x = np.ascontiguousarray(x[..., ::-1])[..., ::-1]
    elif layout == "channel-strided":      # contiguous planes, strided channels
        x = np.concatenate([x, x], axis=1)[:, ::2]
    mode = draw(st.sampled_from(("max", "avg")))
    subgroup = G.subgroup(sid)[0] if draw(st.booleans()) else sid
    return x, regular(G, fields), subgroup, mode


def _check_engine(case, engine):
    x, ft, subgroup, mode = case
    before = x.copy()
    expected = pool(x, ft, subgroup, mode)
    got = pool(x, ft, subgroup, mode, engine=engine)
    # the maximum selects; the mean adds in the same order in every engine: bitwise too
    assert_same(got, expected)
    k = ft.group.order
    assert_same(refpool.max_pool_channels(x, k, engine=engine),
                refpool.max_pool_channels(x, k, engine="reference"))
    assert_same(x, before)


@pytest.mark.differential
@given(data=st.data())
def test_cpu_engine_matches_reference(data):
    _check_engine(data.draw(channel_case()), "cpu")


@pytest.mark.differential
@pytest.mark.cuda
@given(data=st.data())
def test_cuda_engine_matches_reference(data):
    _check_engine(data.draw(channel_case(max_side=3, max_batch=1)), "cuda")


@pytest.mark.cuda
def test_cuda_device_arrays_in_and_out():
    from numba import cuda
    D2 = dihedral(2)
    x = random_input((1, 8, 2, 3), np.float32, seed=9, specials=True)
    dx = cuda.to_device(x)
    dy = refpool.subgroup_pool(dx, regular(D2, 2), (None, 2))
    assert hasattr(dy, "copy_to_host") and not isinstance(dy, np.ndarray)
    assert_same(dy.copy_to_host(), pool(x, regular(D2, 2), (None, 2)))
    dout = cuda.device_array((1, 2, 2, 3), np.float32)
    got = refpool.max_pool_channels(dx, 4, out=dout)
    assert_same(got.copy_to_host(), refpool.max_pool_channels(x, 4, engine="reference"))


def test_engines_agree_on_every_rank():
    # a compact sweep outside hypothesis: ranks 1-3, both dtypes, both modes
    D3 = dihedral(3)
    for nd, dtype, mode in itertools.product((1, 2, 3), (np.float32, np.float64),
                                             ("max", "avg")):
        x = random_input((2, 12) + (4,) * nd, dtype, seed=nd, specials=True)
        for sid in ((None, 3), (1, 1)):
            assert_same(pool(x, regular(D3, 2), sid, mode, engine="cpu"),
                        pool(x, regular(D3, 2), sid, mode))


def test_dask_equals_in_memory():
    pytest.importorskip("dask")
    import dask.array as da
    import refpool.dask as rd
    D4 = dihedral(4)
    x = random_input((2, 24, 7, 6), np.float32, seed=10, specials=True)
    xd = da.from_array(x, chunks=(1, (5, 11, 8), (3, 4), (6,)))
    for mode in ("max", "avg"):
        y = rd.subgroup_pool(xd, regular(D4, 3), cyclic(4), mode)
        assert y.chunks[1] == (4, 4, 4)
        assert_same(y.compute(), refpool.subgroup_pool(x, regular(D4, 3), cyclic(4), mode))
    y = rd.max_pool_channels(xd, 3)
    assert sum(y.chunks[1]) == 8
    assert_same(y.compute(), refpool.max_pool_channels(x, 3))
    with pytest.raises(ValueError, match="kernel_size"):
        rd.max_pool_channels(xd, 5)
    with pytest.raises(ValueError, match="subgroup"):
        rd.subgroup_pool(xd, regular(D4, 3), 4)


# --------------------------------------------------------------------------- peers
@pytest.mark.peers
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_channels_matches_e2cnn(dtype):
    pytest.importorskip("e2cnn")
    import torch
    from e2cnn import nn as enn
    for shape, k in [((2, 6, 5, 4), 2), ((2, 6, 5, 4), 3), ((1, 8, 7), 4), ((1, 4, 2, 3, 3), 1),
                     ((1, 5, 3, 3), 5)]:
        x = random_input(shape, dtype, seed=k, specials=dtype == np.float32)
        with torch.no_grad():
            expected = enn.MaxPoolChannels(k)(torch.from_numpy(x)).numpy()
        for engine in ("reference", "cpu"):
            got = refpool.max_pool_channels(x, k, engine=engine)
            assert got.dtype == expected.dtype
            # the catalogue's values hold no zeros, so torch's -0 rule never shows
            np.testing.assert_array_equal(got, expected)
    # e2cnn asserts the divisibility, refpool raises ValueError
    with pytest.raises(AssertionError):
        enn.MaxPoolChannels(4)(torch.zeros(1, 6, 2, 2))


@pytest.mark.peers
def test_cyclic_subgroup_pooling_matches_e2cnn_max_pool_channels():
    pytest.importorskip("e2cnn")
    import torch
    from e2cnn import nn as enn
    C8 = cyclic(8)
    x = random_input((2, 24, 5, 5), np.float32, seed=11)
    for M in (1, 2, 4):
        with torch.no_grad():
            expected = enn.MaxPoolChannels(8 // M)(torch.from_numpy(x)).numpy()
        np.testing.assert_array_equal(pool(x, regular(C8, 3), M, engine="cpu"), expected)


@pytest.mark.peers
def test_e2cnn_adapter_runs_the_catalogue_cases():
    pytest.importorskip("e2cnn")
    from refpool.conformance import runner
    from refpool.conformance.adapters import e2cnn
    from refpool.conformance.catalog import catalog
    cases = catalog(["max_pool_channels", "subgroup_pool"])
    report = runner.run(e2cnn.adapter, cases=cases)
    assert report.ok, report.format()
    summary = report.summary()
    assert summary["max_pool_channels"]["passed"] == len(catalog(["max_pool_channels"]))
    assert summary["subgroup_pool"]["unsupported"] == len(catalog(["subgroup_pool"]))
