"""Field operators against e2cnn 0.2.3's GroupPooling, NormPool, InducedNormPool and
NormMaxPool modules, where those work (2D, float32).

Selections (GroupPooling, NormMaxPool) must agree bitwise; norms to float32 rounding
(e2cnn computes them in float32, refpool in float64 rounded once).  The documented
divergences (SPEC.md §4, §8; docs/invariant.rst) are asserted too: e2cnn returns float32
for float64 input, NormMaxPool fails when ceil_mode changes the output shape, and
InducedNormPool refuses e2cnn's regular representation although it accepts the
quotient by the trivial subgroup, the same matrices.
"""

import warnings

import numpy as np
import pytest

e2cnn = pytest.importorskip("e2cnn")
torch = pytest.importorskip("torch")

from e2cnn import gspaces  # noqa: E402
from e2cnn import nn as enn  # noqa: E402

import refpool  # noqa: E402
from helpers import assert_same, random_input  # noqa: E402
from refpool import FieldType  # noqa: E402
from refpool.groups import cyclic, dihedral  # noqa: E402

pytestmark = [pytest.mark.peers, pytest.mark.filterwarnings("ignore")]

F32 = dict(rtol=2e-6, atol=1e-6)


def spaces(kind, N):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "C":
            return cyclic(N), gspaces.Rot2dOnR2(N)
        return dihedral(N), gspaces.FlipRot2dOnR2(N)


def both(G, gs, spec):
    """The same representation in refpool and in e2cnn, from a small recipe."""
    Ge = gs.fibergroup
    kind = spec[0]
    if kind == "trivial":
        return G.trivial_representation, Ge.trivial_representation
    if kind == "regular":
        return G.regular_representation, Ge.regular_representation
    if kind == "irrep":
        return G.irrep(*spec[1]), Ge.irrep(*spec[1])
    if kind == "quotient":
        return G.quotient_representation(spec[1]), Ge.quotient_representation(spec[1])
    if kind == "induced":
        sid, irrep_id = spec[1], spec[2]
        ours = G.induced_representation(sid, G.subgroup(sid)[0].irrep(*irrep_id))
        theirs = Ge.induced_representation(sid, Ge.subgroup(sid)[0].irrep(*irrep_id))
        return ours, theirs
    raise ValueError(spec)


def field_types(kind, N, specs):
    G, gs = spaces(kind, N)
    pairs = [both(G, gs, s) for s in specs]
    return FieldType(G, [p[0] for p in pairs]), enn.FieldType(gs, [p[1] for p in pairs])


def run_e2cnn(module, ft_e, x):
    with torch.no_grad():
        y = module(enn.GeometricTensor(torch.from_numpy(np.ascontiguousarray(x)), ft_e))
    return y.tensor.numpy()


# fields mixing sizes, so e2cnn's grouping of fields by size is exercised (including
# non-contiguous groups of equal size)
PERMUTATION_TYPES = [
    ("C", 4, [("regular",), ("trivial",), ("quotient", 2), ("regular",), ("trivial",)]),
    ("C", 6, [("quotient", 3), ("regular",), ("quotient", 2), ("quotient", 3)]),
    ("D", 4, [("regular",), ("quotient", (None, 4)), ("quotient", (0, 2)), ("trivial",),
              ("regular",)]),
    ("D", 3, [("quotient", (0, 1)), ("regular",), ("quotient", (None, 3))]),
]

ORTHOGONAL_TYPES = [
    ("C", 8, [("irrep", (1,)), ("irrep", (0,)), ("irrep", (4,)), ("irrep", (3,)),
              ("regular",), ("irrep", (1,))]),
    ("D", 4, [("irrep", (1, 1)), ("irrep", (0, 0)), ("irrep", (1, 0)), ("irrep", (0, 2)),
              ("regular",), ("irrep", (1, 1))]),
    ("D", 6, [("irrep", (1, 2)), ("quotient", (0, 2)), ("irrep", (1, 1))]),
]

INDUCED_TYPES = [
    ("C", 8, [("quotient", 2), ("induced", 4, (1,)), ("quotient", 4), ("induced", 2, (1,)),
              ("induced", 4, (1,))]),
    ("D", 4, [("quotient", (0, 1)), ("induced", (None, 4), (1,)), ("quotient", (None, 2)),
              ("induced", (0, 2), (1, 1))]),
    ("C", 6, [("induced", 3, (1,)), ("quotient", 1), ("quotient", 3)]),
]


def _ids(cases):
    return [f"{k}{n}-{len(s)}fields" for k, n, s in cases]


@pytest.mark.parametrize("kind,N,specs", PERMUTATION_TYPES, ids=_ids(PERMUTATION_TYPES))
@pytest.mark.parametrize("specials", [False, True])
def test_group_pool_matches_group_pooling(kind, N, specs, specials):
    ft, ft_e = field_types(kind, N, specs)
    x = random_input((2, ft.size, 5, 7), np.float32, seed=N, specials=specials)
    expected = run_e2cnn(enn.GroupPooling(ft_e), ft_e, x)
    for engine in ("reference", "cpu"):
        assert_same(refpool.group_pool(x, ft, engine=engine), expected)


@pytest.mark.parametrize("kind,N,specs", ORTHOGONAL_TYPES, ids=_ids(ORTHOGONAL_TYPES))
def test_norm_pool_matches_norm_pool(kind, N, specs):
    ft, ft_e = field_types(kind, N, specs)
    x = random_input((2, ft.size, 6, 5), np.float32, seed=N)
    expected = run_e2cnn(enn.NormPool(ft_e), ft_e, x)
    for engine in ("reference", "cpu"):
        np.testing.assert_allclose(refpool.norm_pool(x, ft, engine=engine), expected, **F32)


@pytest.mark.parametrize("kind,N,specs", INDUCED_TYPES, ids=_ids(INDUCED_TYPES))
def test_induced_norm_pool_matches_induced_norm_pool(kind, N, specs):
    ft, ft_e = field_types(kind, N, specs)
    x = random_input((2, ft.size, 4, 6), np.float32, seed=N)
    expected = run_e2cnn(enn.InducedNormPool(ft_e), ft_e, x)
    for engine in ("reference", "cpu"):
        np.testing.assert_allclose(refpool.induced_norm_pool(x, ft, engine=engine), expected,
                                   **F32)


def test_induced_norm_pool_of_quotient_fields_is_max_abs_in_both():
    ft, ft_e = field_types("C", 4, [("quotient", 1), ("quotient", 2)])
    x = random_input((1, ft.size, 3, 3), np.float32, seed=3)
    expected = run_e2cnn(enn.InducedNormPool(ft_e), ft_e, x)
    assert_same(refpool.induced_norm_pool(x, ft), expected)
    assert_same(expected[:, 0], np.abs(x[:, 0:4]).max(1))


def test_regular_fields_in_induced_norm_pool_divergence():
    # e2cnn refuses its regular representation (no 'induced_norm' tag) but accepts the
    # quotient by the trivial subgroup, which has the same matrices; refpool accepts both
    G, gs = spaces("C", 4)
    ft_e = enn.FieldType(gs, [gs.fibergroup.regular_representation])
    with pytest.raises(AssertionError, match="induced_norm"):
        enn.InducedNormPool(ft_e)
    quotient_e = enn.FieldType(gs, [gs.fibergroup.quotient_representation(1)])
    x = random_input((1, 4, 3, 5), np.float32, seed=4)
    expected = run_e2cnn(enn.InducedNormPool(quotient_e), quotient_e, x)
    assert_same(refpool.induced_norm_pool(x, FieldType(G, [G.regular_representation])), expected)


NORM_MAX_ARGS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    dict(kernel_size=2, stride=1, dilation=2, padding=1),
    dict(kernel_size=3, stride=2, ceil_mode=True),          # ceil mode changes nothing here
]


@pytest.mark.parametrize("kw", NORM_MAX_ARGS, ids=str)
@pytest.mark.parametrize("kind,N,specs", ORTHOGONAL_TYPES[:2] + PERMUTATION_TYPES[:1],
                         ids=_ids(ORTHOGONAL_TYPES[:2] + PERMUTATION_TYPES[:1]))
def test_norm_max_pool_matches_norm_max_pool(kind, N, specs, kw):
    ft, ft_e = field_types(kind, N, specs)
    x = random_input((2, ft.size, 7, 9), np.float32, seed=N)
    expected = run_e2cnn(enn.NormMaxPool(ft_e, **kw), ft_e, x)
    for engine in ("reference", "cpu"):
        assert_same(refpool.norm_max_pool(x, ft, engine=engine, **kw), expected)


def test_norm_max_pool_nan_rule_matches():
    # both apply torch's max_pool index rule to the norms: the last NaN of a window wins
    ft, ft_e = field_types("C", 4, [("irrep", (1,)), ("regular",)])
    x = random_input((1, ft.size, 6, 6), np.float32, seed=5, specials=True)
    x[np.isinf(x)] = 3.0                  # keep infinite norms (ties) out of this test
    expected = run_e2cnn(enn.NormMaxPool(ft_e, 2), ft_e, x)
    assert_same(refpool.norm_max_pool(x, ft, 2), expected)


def test_norm_max_pool_ceil_mode_divergence():
    # e2cnn computes the floor-mode shape and fails once ceil_mode adds a window;
    # refpool returns max_pool's ceil-mode shape
    ft, ft_e = field_types("C", 4, [("regular",)])
    x = random_input((1, 4, 7, 7), np.float32, seed=6)
    with pytest.raises(RuntimeError):
        run_e2cnn(enn.NormMaxPool(ft_e, 2, ceil_mode=True), ft_e, x)
    y = refpool.norm_max_pool(x, ft, 2, ceil_mode=True)
    assert y.shape == (1, 4, 4, 4)
    # the windows that exist in floor mode agree with e2cnn's floor-mode result
    floor = run_e2cnn(enn.NormMaxPool(ft_e, 2), ft_e, x)
    assert_same(y[..., :3, :3], floor)


def test_peers_return_float32_for_float64_input_divergence():
    ft, ft_e = field_types("D", 4, [("regular",), ("irrep", (1, 1))])
    x = random_input((1, ft.size, 4, 4), np.float64, seed=7)
    theirs = run_e2cnn(enn.NormPool(ft_e), ft_e, x)
    assert theirs.dtype == np.float32
    ours = refpool.norm_pool(x, ft)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, theirs, **F32)
    assert refpool.norm_max_pool(x, ft, 2).dtype == np.float64
