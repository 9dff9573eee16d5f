"""exact_symmetries is tight: the predicted elements are exactly the measured ones.

For each element g of the grid group, the operator is run on transformed random
inputs and compared with the transformed output (bitwise for max/select
operators, 1e-9 relative for linear ones, in float64).  The measured set must
equal the predicate's set — no more, no fewer.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import refpool
from refpool import FieldType
from refpool.equivariance import exact_symmetries, grid_group

#: random inputs per element: a max over two different windows can coincide on
#: one input, so selection operators need several; a linear one never does
TRIALS = {True: 6, False: 2}


def _transformer(nd):
    group = grid_group(nd)
    return group, FieldType(group, [group.trivial_representation])


def measured_symmetries(op, shape, kwargs, exact, seed=0, positional=()):
    """Elements under which op(T x) == T op(x) on several random inputs."""
    nd = len(shape) - 2
    group, ft = _transformer(nd)
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal(shape) * rng.exponential(1.0, shape) for _ in range(TRIALS[exact])]
    outputs = [op(x, *positional, **kwargs, engine="reference") for x in inputs]
    holding = []
    for g in group.elements:
        ok = True
        for x, y in zip(inputs, outputs):
            try:
                lhs = op(ft.transform(x, g), *positional, **kwargs, engine="reference")
            except ValueError:      # the arguments do not fit the transformed input
                ok = False
                break
            rhs = ft.transform(y, g)
            if lhs.shape != rhs.shape:
                ok = False
            elif exact:
                ok = np.array_equal(lhs, rhs)
            else:
                ok = np.allclose(lhs, rhs, rtol=1e-9, atol=1e-9 * np.abs(rhs).max())
            if not ok:
                break
        if ok:
            holding.append(g)
    return holding


def _assert_tight(op, shape, kwargs, exact, positional=()):
    predicted = exact_symmetries(op, shape, **kwargs)
    measured = measured_symmetries(op, shape, kwargs, exact, positional=positional)
    assert set(predicted) == set(measured), (
        f"predicted {predicted}\nmeasured  {measured}\nfor {op.__name__}{shape} {kwargs}")


@st.composite
def shapes(draw, max_side=9):
    nd = draw(st.sampled_from((1, 2, 2, 2, 3)))
    side = max_side if nd < 3 else 5
    if draw(st.booleans()):                    # square/cubic inputs make rotations possible
        n = draw(st.integers(1, side))
        spatial = (n,) * nd
    else:
        spatial = tuple(draw(st.integers(1, side)) for _ in range(nd))
    return (1, 1) + spatial


def _per_axis(draw, nd, strategy):
    if draw(st.booleans()):
        return draw(strategy)
    return tuple(draw(strategy) for _ in range(nd))


@st.composite
def window_args(draw, shape, dilation=True):
    nd = len(shape) - 2
    k = _per_axis(draw, nd, st.integers(1, 4))
    s = _per_axis(draw, nd, st.integers(1, 3))
    d = _per_axis(draw, nd, st.integers(1, 2)) if dilation else 1
    kk = np.broadcast_to(k, (nd,))
    dd = np.broadcast_to(d, (nd,))
    limit = [(di * (ki - 1) + 1) // 2 if dilation else ki // 2 for ki, di in zip(kk, dd)]
    p = tuple(draw(st.integers(0, lim)) for lim in limit)
    if draw(st.booleans()) and len(set(p)) == 1:
        p = p[0]
    return dict(kernel_size=k, stride=s, padding=p, ceil_mode=draw(st.booleans()),
                **({"dilation": d} if dilation else {}))


def _valid(call):
    try:
        call()
    except ValueError:
        return False
    return True


@given(shape=shapes(), data=st.data())
def test_max_pool_predicate_is_tight(shape, data):
    kw = data.draw(window_args(shape))
    assume(_valid(lambda: exact_symmetries(refpool.max_pool, shape, **kw)))
    _assert_tight(refpool.max_pool, shape, kw, exact=True)


@given(shape=shapes(), data=st.data())
def test_avg_pool_predicate_is_tight(shape, data):
    kw = data.draw(window_args(shape, dilation=False))
    kw["count_include_pad"] = data.draw(st.booleans())
    kw["divisor_override"] = data.draw(st.sampled_from((None, None, 2)))
    assume(_valid(lambda: exact_symmetries(refpool.avg_pool, shape, **kw)))
    _assert_tight(refpool.avg_pool, shape, kw, exact=False)


@given(shape=shapes(), data=st.data())
def test_adaptive_predicates_are_tight(shape, data):
    nd = len(shape) - 2
    osize = tuple(data.draw(st.one_of(st.none(), st.integers(1, 6))) for _ in range(nd))
    _assert_tight(refpool.adaptive_max_pool, shape, dict(output_size=osize), exact=True)
    _assert_tight(refpool.adaptive_avg_pool, shape, dict(output_size=osize), exact=False)


@pytest.mark.parametrize("shape,kw,expected", [
    # symmetric window grid on both axes of a square: the whole dihedral group
    ((1, 1, 8, 8), dict(kernel_size=2), 8),
    # 7 rows: (7 - 2) % 2 != 0 breaks the row reversal, but a quarter turn that
    # only reverses the 8 columns still holds on this non-square input
    ((1, 1, 7, 8), dict(kernel_size=2), 4),
    # different kernels on the two axes: no transpose, and only the identity here
    ((1, 1, 7, 8), dict(kernel_size=(2, 3), stride=2), 1),
    # a transpose can hold where no flip does
    ((1, 1, 7, 7), dict(kernel_size=2), 2),
])
def test_documented_examples(shape, kw, expected):
    assert len(exact_symmetries(refpool.max_pool, shape, **kw)) == expected
    _assert_tight(refpool.max_pool, shape, kw, exact=True)


def test_3d_full_octahedral_group():
    assert len(exact_symmetries("max_pool", (1, 1, 6, 6, 6), kernel_size=2)) == 48
    # one axis with an asymmetric window grid: elements must keep that axis in place
    # or move a symmetric axis there... measured by the tight test above; here the count
    held = exact_symmetries("max_pool", (1, 1, 6, 6, 7), kernel_size=2)
    _assert_tight(refpool.max_pool, (1, 1, 6, 6, 7), dict(kernel_size=2), exact=True)
    assert 1 < len(held) < 48


def test_bad_arguments():
    with pytest.raises(ValueError, match="op must be a public refpool"):
        exact_symmetries("conv", (1, 1, 4, 4))
    with pytest.raises(ValueError, match="input_shape"):
        exact_symmetries("max_pool", (4, 4), kernel_size=2)
    with pytest.raises(ValueError, match="padding"):
        exact_symmetries("max_pool", (1, 1, 4, 4), kernel_size=2, padding=2)


# ------------------------------------------------------------ antialiasing and resampling
@given(shape=shapes(max_side=10), data=st.data())
def test_antialiased_avg_pool_predicate_is_tight(shape, data):
    nd = len(shape) - 2
    kw = dict(sigma=data.draw(st.sampled_from((0.3, 0.5, 0.6, 2 / 3, 1.0))),
              stride=_per_axis(data.draw, nd, st.integers(1, 3)))
    if data.draw(st.booleans()):
        kw["padding"] = _per_axis(data.draw, nd, st.integers(0, 3))
    kw["pad_type"] = data.draw(st.sampled_from(("zero", "circular")))
    assume(_valid(lambda: exact_symmetries(refpool.antialiased_avg_pool, shape, **kw)))
    _assert_tight(refpool.antialiased_avg_pool, shape, kw, exact=False)


@given(shape=shapes(max_side=10), data=st.data())
def test_antialiased_max_pool_predicate_is_tight(shape, data):
    kw = data.draw(window_args(shape))
    kw["sigma"] = data.draw(st.sampled_from((0.3, 0.6, 1.0)))
    if data.draw(st.booleans()):
        kw["blur_padding"] = data.draw(st.integers(0, 4))
    kw["pad_type"] = data.draw(st.sampled_from(("zero", "circular")))
    assume(_valid(lambda: exact_symmetries(refpool.antialiased_max_pool, shape, **kw)))
    _assert_tight(refpool.antialiased_max_pool, shape, kw, exact=False)


@given(shape=shapes(max_side=10), data=st.data())
def test_blur_pool_predicate_is_tight(shape, data):
    nd = len(shape) - 2
    kw = dict(filt_size=_per_axis(data.draw, nd, st.integers(1, 6)),
              stride=_per_axis(data.draw, nd, st.integers(1, 3)),
              pad_type=data.draw(st.sampled_from(("reflect", "replicate", "zero"))),
              pad_off=data.draw(st.integers(0, 1)))
    assume(_valid(lambda: exact_symmetries(refpool.blur_pool, shape, **kw)))
    _assert_tight(refpool.blur_pool, shape, kw, exact=False)


@given(shape=shapes(max_side=8), data=st.data())
def test_interpolate_predicate_is_tight(shape, data):
    nd = len(shape) - 2
    modes = ["nearest", "nearest-exact", "area", {1: "linear", 2: "bilinear",
                                                  3: "trilinear"}[nd]]
    if nd == 2:
        modes.append("bicubic")
    mode = data.draw(st.sampled_from(modes))
    kw = dict(mode=mode)
    if data.draw(st.booleans()):
        kw["size"] = _per_axis(data.draw, nd, st.integers(1, 12))
    else:
        kw["scale_factor"] = _per_axis(data.draw, nd, st.sampled_from((0.5, 1.0, 1.5, 2.0, 2.5, 3.0,
                                                                  0.7)))
        kw["recompute_scale_factor"] = data.draw(st.sampled_from((None, True)))
    if mode in ("linear", "bilinear", "trilinear", "bicubic"):
        kw["align_corners"] = data.draw(st.booleans())
        if mode in ("bilinear", "bicubic") and data.draw(st.booleans()):
            kw["antialias"] = True
    assume(_valid(lambda: exact_symmetries(refpool.interpolate, shape, **kw)))
    exact = mode in ("nearest", "nearest-exact")
    _assert_tight(refpool.interpolate, shape, kw, exact=exact)


# --------------------------------------------------------------------------- keywords
def test_unknown_keyword_is_refused_not_ignored():
    """A typo must not answer another question (``strid=1`` gave 2 elements where
    ``stride=1`` gives 8)."""
    assert len(refpool.exact_symmetries("max_pool", (1, 1, 8, 8), kernel_size=2,
                                        stride=1)) == 8
    with pytest.raises(TypeError, match="takes no keyword 'strid'"):
        refpool.exact_symmetries("max_pool", (1, 1, 8, 8), kernel_size=2, strid=1)
    with pytest.raises(TypeError, match="'dtype'"):
        refpool.exact_symmetries("max_pool", (1, 1, 8, 8), kernel_size=2, dtype="float32")


def test_missing_argument_is_named_as_the_operator_names_it():
    with pytest.raises(TypeError, match="max_pool: missing a required argument: "
                                        "'kernel_size'"):
        refpool.exact_symmetries(refpool.max_pool, (1, 1, 7, 7), stride=2)
    with pytest.raises(TypeError, match="'field_type'"):
        refpool.exact_symmetries("group_pool", (1, 4, 7, 7))
