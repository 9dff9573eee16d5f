"""Field operators: group_pool, norm_pool, induced_norm_pool, norm_max_pool.

* semantics on small hand-checked cases (NaN, ties, padding, empty windows, dtypes);
* differential: the CPU and CUDA engines against the float64 reference (hypothesis);
* fiber invariance/equivariance under every element of C_N and D_N, and spatial+fiber
  equivariance under the grid symmetries (FieldType.transform), in 2D and 3D;
* bad input: channel counts and incompatible field types raise ValueError with the reason.
"""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import refpool
from helpers import assert_close, assert_same, random_input
from refpool import FieldType
from refpool.groups import Representation, cyclic, dihedral, directsum, octahedral, so2

OPS = ("group_pool", "norm_pool", "induced_norm_pool", "norm_max_pool")


# --------------------------------------------------------------------------- field types
def divisors(n):
    return [m for m in range(1, n + 1) if n % m == 0]


def subgroup_ids(G):
    N = G.order // 2 if G.name.startswith("D") else G.order
    if G.name.startswith("C"):
        return divisors(N)
    return [(None, m) for m in divisors(N)] + [(0, m) for m in divisors(N)]


def rep_pool(G):
    """Representations of C_N / D_N by kind: permutation, induced, all (orthogonal)."""
    perm = [G.trivial_representation, G.regular_representation]
    induced = [G.regular_representation]
    for sid in subgroup_ids(G):
        q = G.quotient_representation(sid)
        perm.append(q)
        induced.append(q)
        sub = G.subgroup(sid)[0]
        for irr in sub.irreps:
            if irr.size > 1 or irr.id not in ((0,), (0, 0)):
                induced.append(G.induced_representation(sid, irr))
    orth = list(G.irreps) + perm + induced
    return {"perm": perm, "induced": induced, "orth": orth}


def kind_of(op):
    return {"group_pool": "perm", "induced_norm_pool": "induced"}.get(op, "orth")


def call(op, x, ft, engine="auto", **kw):
    fn = getattr(refpool, op)
    if op == "norm_max_pool":
        kw.setdefault("kernel_size", 2)
    return fn(x, ft, engine=engine, **kw)


# --------------------------------------------------------------------------- semantics
def test_group_pool_is_the_max_over_each_field():
    G = cyclic(4)
    ft = FieldType(G, [G.regular_representation, G.trivial_representation,
                       G.quotient_representation(2)])
    x = random_input((2, 7, 3, 5), np.float64, seed=1)
    y = refpool.group_pool(x, ft)
    expected = np.stack([x[:, 0:4].max(1), x[:, 4], x[:, 5:7].max(1)], axis=1)
    assert_same(y, expected)
    x[0, 2, 1, 1] = np.nan
    assert np.isnan(refpool.group_pool(x, ft)[0, 0, 1, 1])


def test_norm_pool_is_the_l2_norm_of_each_field():
    G = dihedral(3)
    ft = FieldType(G, [G.irrep(1, 1), G.irrep(1, 0), G.regular_representation])
    x = random_input((2, 9, 4), np.float32, seed=2)
    y = refpool.norm_pool(x, ft)
    x64 = x.astype(np.float64)
    expected = np.stack([np.linalg.norm(x64[:, 0:2], axis=1), np.abs(x64[:, 2]),
                         np.linalg.norm(x64[:, 3:9], axis=1)], axis=1)
    assert y.dtype == np.float32
    assert_close(y, expected.astype(np.float32))
    x[1, 0, 2] = np.nan
    x[1, 1, 3] = np.inf
    y = refpool.norm_pool(x, ft)
    assert np.isnan(y[1, 0, 2]) and y[1, 0, 3] == np.inf


def test_induced_norm_pool_is_the_max_block_norm():
    G = cyclic(8)
    sub = G.subgroup(4)[0]
    ind = G.induced_representation(4, sub.irrep(1))                 # 2 blocks of 2
    ft = FieldType(G, [ind, G.regular_representation, G.quotient_representation(2)])
    assert ft.size == 4 + 8 + 4
    x = random_input((1, 16, 5, 3), np.float64, seed=3)
    y = refpool.induced_norm_pool(x, ft)
    blocks = np.stack([np.linalg.norm(x[:, 0:2], axis=1), np.linalg.norm(x[:, 2:4], axis=1)])
    assert_close(y[:, 0], blocks.max(0))
    # regular and quotient fields (blocks of one channel): the largest absolute value
    assert_same(y[:, 1], np.abs(x[:, 4:12]).max(1))
    assert_same(y[:, 2], np.abs(x[:, 12:16]).max(1))


def test_norm_max_pool_copies_the_vector_of_largest_norm():
    G = cyclic(4)
    ft = FieldType(G, [G.irrep(1), G.trivial_representation])
    x = np.zeros((1, 3, 2, 4))
    x[0, 0:2, :, :2] = [[[3, 0], [1, 1]], [[0, 4], [1, 1]]]         # norms 3, 4, √2, √2
    x[0, 0:2, :, 2:] = [[[1, 0], [0, 0]], [[0, 1], [-1, 0]]]        # a tie: 1, 1, 1, 0
    x[0, 2] = [[-5, 2, 0, 1], [4, 0, -1, 0]]
    y = refpool.norm_max_pool(x, ft, 2)
    assert y.shape == (1, 3, 1, 2)
    assert_same(y[0, 0:2, 0, 0], np.array([0.0, 4.0]))              # the whole vector
    assert_same(y[0, 0:2, 0, 1], np.array([1.0, 0.0]))              # first max wins
    # a scalar field: the largest |x|, sign kept; the tie |1| = |-1| goes to the first
    # position in row-major window order, (0, 3)
    assert_same(y[0, 2, 0], np.array([-5.0, 1.0]))


@pytest.mark.parametrize("engine", ["reference", "cpu", "cuda"])
def test_norm_max_pool_nan_padding_and_empty_windows(engine):
    G = cyclic(2)
    ft = FieldType(G, [G.regular_representation])
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 7.0, 0.5, 0.0],
                   [0.0, 2.0, 0.0, 5.0, -1.0, 0.5, 9.0]]], dtype=np.float32)
    # windows [pad, 0, 1], [1, 2, 3], [3, 4, 5], [5, 6, pad]: a NaN norm wins, the
    # last NaN of a window wins, the whole vector (NaN included) is copied
    y = refpool.norm_max_pool(x, ft, 3, stride=2, padding=1, engine=engine)
    assert_same(y, np.array([[[np.nan, np.nan, np.nan, 0.0], [2.0, 5.0, 5.0, 9.0]]],
                            dtype=np.float32))
    # padding never wins, even against norm 0
    z = np.zeros((1, 2, 3), np.float64)
    z[0, 0, 0] = -0.0
    assert_same(refpool.norm_max_pool(z, ft, 3, stride=1, padding=1, engine=engine),
                np.zeros((1, 2, 3)))
    # a window without input positions (only with dilation) yields zeros
    w = np.arange(1, 7, dtype=np.float64).reshape(1, 2, 3)
    got = refpool.norm_max_pool(w, ft, 2, stride=1, padding=1, dilation=4, engine=engine)
    assert_same(got, np.zeros((1, 2, 1)))
    # infinite norms tie: the first wins
    v = np.array([[[np.inf, -np.inf], [1.0, 2.0]]])
    assert_same(refpool.norm_max_pool(v, ft, 2, engine=engine), np.array([[[np.inf], [1.0]]]))


def test_norm_max_pool_selects_the_max_pooled_norm_in_every_rank():
    # the norm of each selected vector is max_pool of the norms (ceil mode, dilation,
    # padding, 1-D to 3-D), and the output has max_pool's shape
    G = dihedral(2)
    ft = FieldType(G, [G.regular_representation, G.irrep(1, 1)])
    for spatial in [(7,), (5, 7), (3, 4, 5)]:
        x = random_input((2, ft.size) + spatial, np.float64, seed=len(spatial))
        for kw in (dict(kernel_size=2, ceil_mode=True), dict(kernel_size=3, stride=2, padding=1),
                   dict(kernel_size=2, stride=1, dilation=2, padding=1, ceil_mode=True)):
            y = refpool.norm_max_pool(x, ft, **kw)
            assert y.shape == refpool.max_pool(x, **kw).shape
            for field in ft.fields:
                norms = np.linalg.norm(x[:, field], axis=1, keepdims=True)
                assert_close(np.linalg.norm(y[:, field], axis=1, keepdims=True),
                             refpool.max_pool(norms, **kw))


def test_scalar_fields_reduce_to_known_operators():
    G = cyclic(3)
    ft = FieldType(G, [G.trivial_representation] * 3)
    x = random_input((2, 3, 6, 6), np.float32, seed=5)
    assert_same(refpool.group_pool(x, ft), x)
    assert_same(refpool.norm_pool(x, ft), np.abs(x))
    # norm max pooling of scalar fields picks the largest |x| and keeps its sign
    y = refpool.norm_max_pool(x, ft, 3, stride=2, padding=1)
    assert_same(np.abs(y), refpool.max_pool(np.abs(x), 3, stride=2, padding=1))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_out_and_input_untouched(op, dtype):
    G = dihedral(4)
    pool = rep_pool(G)[kind_of(op)]
    ft = FieldType(G, pool[:4])
    x = random_input((2, ft.size, 4, 6), dtype, seed=6, specials=True)
    before = x.copy()
    y = call(op, x, ft)
    assert y.dtype == dtype and y.flags.c_contiguous
    out = np.full(y.shape, 7, dtype)
    got = call(op, x, ft, out=out)
    assert got is out
    assert_same(out, y)
    assert_same(x, before)
    with pytest.raises(ValueError, match="dtype"):
        call(op, x, ft, out=np.empty(y.shape, np.float64 if dtype == np.float32 else np.float32))


def test_output_shapes_and_invariant_field_type():
    G = cyclic(4)
    ft = FieldType(G, [G.regular_representation, G.irrep(1), G.quotient_representation(2)])
    inv = refpool.invariant_field_type(ft)
    assert inv == FieldType(G, [G.trivial_representation] * 3)
    assert inv.size == 3
    x = random_input((2, ft.size, 5), np.float64)
    assert refpool.norm_pool(x, ft).shape == (2, 3, 5)
    with pytest.raises(TypeError, match="FieldType"):
        refpool.invariant_field_type("regular")


def test_continuous_group_fields():
    S = so2(3)
    ft = FieldType(S, [S.irrep(1), S.irrep(3), S.irrep(0)])
    x = random_input((1, 5, 4, 4), np.float64, seed=8)
    for g in (0.3, 1.0, 2.5):
        xg = ft.transform_fibers(x, g)
        assert_close(refpool.norm_pool(xg, ft), refpool.norm_pool(x, ft))
        assert_close(refpool.norm_max_pool(xg, ft, 2), ft.transform_fibers(
            refpool.norm_max_pool(x, ft, 2), g))


# --------------------------------------------------------------------------- bad input
def _skewed(G):
    """A representation of G that is not orthogonal: an irrep in a skewed basis."""
    psi = G.irrep(1)
    A = np.array([[2.0, 1.0], [0.0, 1.0]])
    Ai = np.linalg.inv(A)
    return Representation(G, "skewed", 2, lambda g: A @ psi._matrix(g) @ Ai, ("skewed",))


@pytest.mark.parametrize("op", OPS)
def test_channel_count_must_match(op):
    G = cyclic(4)
    ft = FieldType(G, [G.regular_representation])
    with pytest.raises(ValueError, match="5 channels but field_type has size 4"):
        call(op, random_input((1, 5, 4, 4)), ft)
    with pytest.raises(TypeError, match="FieldType"):
        call(op, random_input((1, 4, 4, 4)), "regular")
    with pytest.raises(TypeError, match="FieldType"):
        call(op, random_input((1, 4, 4, 4)), None)


def test_incompatible_field_types_are_refused_with_the_reason():
    G = cyclic(4)
    x2 = random_input((1, 2, 4, 4))
    with pytest.raises(ValueError, match="irrep_1.*not a permutation representation"):
        refpool.group_pool(x2, FieldType(G, [G.irrep(1)]))
    skew = FieldType(G, [_skewed(G)])
    assert not skew.representations[0].is_orthogonal
    for op in ("norm_pool", "norm_max_pool"):
        with pytest.raises(ValueError, match="skewed.*not orthogonal"):
            call(op, x2, skew)
    for rep in (G.irrep(1), G.trivial_representation,
                directsum(G.quotient_representation(2), G.quotient_representation(2))):
        x = random_input((1, rep.size, 4, 4))
        with pytest.raises(ValueError, match="not an induced representation"):
            refpool.induced_norm_pool(x, FieldType(G, [rep]))


def test_norm_max_pool_window_arguments_are_validated():
    G = cyclic(2)
    ft = FieldType(G, [G.regular_representation])
    x = random_input((1, 2, 5, 5))
    with pytest.raises(ValueError, match="padding"):
        refpool.norm_max_pool(x, ft, 2, padding=2)
    with pytest.raises(ValueError, match="kernel_size"):
        refpool.norm_max_pool(x, ft, 7)
    with pytest.raises(ValueError, match="stride"):
        refpool.norm_max_pool(x, ft, 2, stride=0)
    with pytest.raises(ValueError, match="axes"):
        refpool.norm_max_pool(random_input((1, 2)), ft, 1)


def test_pointwise_operators_check_field_type():
    G = dihedral(4)
    ok = FieldType(G, [G.regular_representation, G.quotient_representation((0, 2))])
    x = random_input((1, ok.size, 6, 6))
    assert_same(refpool.max_pool(x, 2, field_type=ok), refpool.max_pool(x, 2))
    assert_same(refpool.adaptive_max_pool(x, 3, field_type=ok), refpool.adaptive_max_pool(x, 3))
    bad = FieldType(G, [G.irrep(1, 1)])
    for fn, args in ((refpool.max_pool, (2,)), (refpool.adaptive_max_pool, (3,)),
                     (refpool.antialiased_max_pool, (2,))):
        with pytest.raises(ValueError, match="not a permutation"):
            fn(random_input((1, 2, 6, 6)), *args, field_type=bad)


# --------------------------------------------------------------------------- differential
GROUPS = [cyclic(1), cyclic(2), cyclic(3), cyclic(4), cyclic(6), dihedral(1), dihedral(2),
          dihedral(3), dihedral(4)]
POOLS = [rep_pool(G) for G in GROUPS]


@st.composite
def field_case(draw, op, max_side=7, max_batch=2, max_fields=4):
    gi = draw(st.integers(0, len(GROUPS) - 1))
    G, pool = GROUPS[gi], POOLS[gi][kind_of(op)]
    reps = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=max_fields))
    ft = FieldType(G, reps)
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, max_side if nd < 3 else 4)) for _ in range(nd))
    dtype = draw(st.sampled_from((np.float32, np.float64)))
    x = random_input((draw(st.integers(1, max_batch)), ft.size) + shape, dtype,
                     seed=draw(st.integers(0, 2**16)), specials=draw(st.booleans()))
    layout = draw(st.sampled_from(("c", "reversed", "channel-strided")))
    if layout == "reversed":               # negative spatial strides
        x = np.ascontiguousarray(x[..., ::-1])[..., ::-1]
    elif layout == "channel-strided":      # contiguous planes, strided channels
        x = np.concatenate([x, x], axis=1)[:, ::2]
    kw = {}
    if op == "norm_max_pool":
        k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
        s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        p = tuple(draw(st.integers(0, (di * (ki - 1) + 1) // 2)) for ki, di in zip(k, d))
        for n, ki, pi, di in zip(shape, k, p, d):
            assume(di * (ki - 1) + 1 <= n + 2 * pi)
        kw = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=draw(st.booleans()))
    return x, ft, kw


def _check_engine(op, case, engine):
    x, ft, kw = case
    before = x.copy()
    expected = call(op, x, ft, "reference", **kw)
    got = call(op, x, ft, engine, **kw)
    if op in ("group_pool", "norm_max_pool"):      # selections: bitwise
        assert_same(got, expected)
    else:
        assert_close(got, expected)
    assert_same(x, before)


@pytest.mark.differential
@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_cpu_engine_matches_reference(op, data):
    _check_engine(op, data.draw(field_case(op)), "cpu")


@pytest.mark.differential
@pytest.mark.cuda
@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_cuda_engine_matches_reference(op, data):
    case = data.draw(field_case(op, max_side=4, max_batch=1, max_fields=2))
    x, ft, kw = case
    assume(x.size <= 600)
    _check_engine(op, case, "cuda")


@pytest.mark.cuda
def test_cuda_engine_accepts_device_arrays_and_returns_device_arrays():
    from numba import cuda
    G = cyclic(4)
    ft = FieldType(G, [G.regular_representation, G.irrep(1)])
    x = random_input((1, 6, 3, 4), np.float32, seed=9, specials=True)
    dx = cuda.to_device(x)
    dy = refpool.norm_max_pool(dx, ft, 2)
    assert hasattr(dy, "copy_to_host") and not isinstance(dy, np.ndarray)
    assert_same(dy.copy_to_host(), refpool.norm_max_pool(x, ft, 2, engine="reference"))
    dout = cuda.device_array((1, 2, 3, 4), np.float32)
    got = refpool.norm_pool(dx, ft, out=dout)
    assert_close(got.copy_to_host(), refpool.norm_pool(x, ft, engine="reference"))


# --------------------------------------------------------------------------- fiber symmetry
FIBER_GROUPS = [cyclic(N) for N in (1, 2, 3, 4, 5, 6, 8)] + \
               [dihedral(N) for N in (1, 2, 3, 4, 6)]


@pytest.mark.parametrize("G", FIBER_GROUPS, ids=lambda G: G.name)
def test_fiber_invariance_and_equivariance_under_every_element(G):
    rng = np.random.default_rng(G.order)
    pool = rep_pool(G)
    types = {kind: FieldType(G, [reps[i] for i in rng.permutation(len(reps))[:6]])
             for kind, reps in pool.items()}
    perm_orth = FieldType(G, pool["perm"][:3] + [G.irreps[-1]])
    xs = {kind: rng.standard_normal((2, ft.size, 5, 6)) for kind, ft in types.items()}
    y = {"group_pool": refpool.group_pool(xs["perm"], types["perm"]),
         "norm_pool": refpool.norm_pool(xs["orth"], types["orth"]),
         "induced_norm_pool": refpool.induced_norm_pool(xs["induced"], types["induced"])}
    xp = rng.standard_normal((2, perm_orth.size, 5, 6))
    yp = refpool.norm_max_pool(xp, perm_orth, 2, stride=1)
    yo = refpool.norm_max_pool(xs["orth"], types["orth"], 3, stride=2, padding=1)
    for g in G.elements:
        gx = {kind: types[kind].transform_fibers(x, g) for kind, x in xs.items()}
        assert_same(refpool.group_pool(gx["perm"], types["perm"]), y["group_pool"])
        assert_close(refpool.norm_pool(gx["orth"], types["orth"]), y["norm_pool"])
        assert_close(refpool.induced_norm_pool(gx["induced"], types["induced"]),
                     y["induced_norm_pool"])
        # norm max pooling commutes with the fiber action
        assert_close(refpool.norm_max_pool(perm_orth.transform_fibers(xp, g), perm_orth, 2,
                                           stride=1),
                     perm_orth.transform_fibers(yp, g))
        assert_close(refpool.norm_max_pool(gx["orth"], types["orth"], 3, stride=2, padding=1),
                     types["orth"].transform_fibers(yo, g))


def test_fiber_equivariance_of_permutation_fields_is_bitwise():
    G = dihedral(4)
    ft = FieldType(G, [G.regular_representation, G.quotient_representation((0, 2)),
                       G.trivial_representation])
    x = random_input((2, ft.size, 6, 6), np.float32, seed=11)
    y = refpool.norm_max_pool(x, ft, 2)
    for g in G.elements:
        assert_same(refpool.norm_max_pool(ft.transform_fibers(x, g), ft, 2),
                    ft.transform_fibers(y, g))
        induced = FieldType(G, ft.representations[:2])
        xi = x[:, :induced.size]
        assert_same(refpool.induced_norm_pool(induced.transform_fibers(xi, g), induced),
                    refpool.induced_norm_pool(xi, induced))


# --------------------------------------------------------------------------- grid symmetry
# Window arguments that satisfy max_pool's window-symmetry condition on an axis of
# length 8: (n + 2p - d(k-1) - 1) mod s == 0, the same on every axis.
SYMMETRIC_WINDOWS = [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
                     dict(kernel_size=2, stride=1, dilation=2),
                     dict(kernel_size=2, stride=3, ceil_mode=True), dict(kernel_size=3, stride=5)]


@pytest.mark.parametrize("G", [cyclic(4), dihedral(4), cyclic(8), dihedral(2)],
                         ids=lambda G: G.name)
def test_spatial_and_fiber_equivariance_under_grid_symmetries(G):
    rng = np.random.default_rng(7)
    pool = rep_pool(G)
    perm = FieldType(G, pool["perm"][:4])
    orth = FieldType(G, list(G.irreps)[:4] + [G.regular_representation])
    induced = FieldType(G, pool["induced"][:5])
    xs = {"perm": rng.standard_normal((2, perm.size, 8, 8)),
          "orth": rng.standard_normal((2, orth.size, 8, 8)),
          "induced": rng.standard_normal((2, induced.size, 8, 8))}
    grid = [g for g in G.elements if g.is_grid_symmetry]
    for g in grid:
        for ft, x, op in ((perm, xs["perm"], "group_pool"), (orth, xs["orth"], "norm_pool"),
                          (induced, xs["induced"], "induced_norm_pool")):
            inv = refpool.invariant_field_type(ft)
            got = call(op, ft.transform(x, g), ft)
            want = inv.transform(call(op, x, ft), g)
            (assert_same if op == "group_pool" else assert_close)(got, want)
        for kw in SYMMETRIC_WINDOWS:
            for ft, x in ((perm, xs["perm"]), (orth, xs["orth"])):
                got = refpool.norm_max_pool(ft.transform(x, g), ft, **kw)
                want = ft.transform(refpool.norm_max_pool(x, ft, **kw), g)
                (assert_same if ft is perm else assert_close)(got, want)


def test_quarter_turn_of_a_non_square_field():
    G = cyclic(4)
    ft = FieldType(G, [G.regular_representation, G.irrep(1)])
    x = random_input((1, ft.size, 6, 10), np.float64, seed=12)
    r = G.element(1)
    got = refpool.norm_max_pool(ft.transform(x, r), ft, 2)
    assert got.shape == (1, 6, 5, 3)
    assert_close(got, ft.transform(refpool.norm_max_pool(x, ft, 2), r))


def test_asymmetric_window_grid_breaks_mirror_equivariance():
    # (n - k) mod s != 0: reflecting the axis does not map windows onto windows
    G = dihedral(4)
    ft = FieldType(G, [G.regular_representation])
    x = random_input((1, 8, 7, 7), np.float64, seed=13)
    f = G.element((1, 0))
    got = refpool.norm_max_pool(ft.transform(x, f), ft, 2)
    want = ft.transform(refpool.norm_max_pool(x, ft, 2), f)
    assert got.shape == want.shape and not np.array_equal(got, want)


def test_3d_fields_under_the_octahedral_group():
    O = octahedral(True)
    irreps = {i.id: i for i in O.irreps}
    orth = FieldType(O, [irreps[(0, 1)], irreps[(1, 2)], irreps[(1, 3)]])
    perm = FieldType(O, [O.trivial_representation, O.regular_representation])
    rng = np.random.default_rng(14)
    xo = rng.standard_normal((1, orth.size, 4, 4, 4))
    xp = rng.standard_normal((1, perm.size, 4, 4, 4))
    gp, npool = refpool.group_pool(xp, perm), refpool.norm_pool(xo, orth)
    mo = refpool.norm_max_pool(xo, orth, 3, stride=1, padding=1)
    mp = refpool.norm_max_pool(xp, perm, 2)
    inv_p, inv_o = refpool.invariant_field_type(perm), refpool.invariant_field_type(orth)
    for g in O.elements[::5]:
        assert g.is_grid_symmetry
        assert_same(refpool.group_pool(perm.transform(xp, g), perm), inv_p.transform(gp, g))
        assert_close(refpool.norm_pool(orth.transform(xo, g), orth), inv_o.transform(npool, g))
        assert_close(refpool.norm_max_pool(orth.transform(xo, g), orth, 3, stride=1, padding=1),
                     orth.transform(mo, g))
        assert_same(refpool.norm_max_pool(perm.transform(xp, g), perm, 2), perm.transform(mp, g))
    assert_close(refpool.induced_norm_pool(xp[:, 1:], FieldType(O, [O.regular_representation])),
                 np.abs(xp[:, 1:]).max(axis=1, keepdims=True))


def test_engines_agree_on_every_rank_and_layout():
    # a compact sweep outside hypothesis: every op, ranks 1-3, both dtypes, cpu vs reference
    G = dihedral(3)
    pools = rep_pool(G)
    for op, nd, dtype in itertools.product(OPS, (1, 2, 3), (np.float32, np.float64)):
        ft = FieldType(G, pools[kind_of(op)][:3])
        x = random_input((2, ft.size) + (5,) * nd, dtype, seed=nd, specials=True)
        kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True) \
            if op == "norm_max_pool" else {}
        ref = call(op, x, ft, "reference", **kw)
        got = call(op, np.ascontiguousarray(x[..., ::-1])[..., ::-1], ft, "cpu", **kw)
        (assert_same if op in ("group_pool", "norm_max_pool") else assert_close)(got, ref)
