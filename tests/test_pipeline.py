"""Pipelines (refpool.pipeline): shapes, exactness of whole networks, the size advisor.

Claims are checked against measurement: the pipeline is run (reference engine) on random
inputs and on their exact grid transforms, and an element counts as held when
``f(T x) == T f(x)`` (bitwise for max chains, 1e-9 relative otherwise).  Where the
documentation calls the claim tight, claimed == measured on generated pipelines; where it
calls it only sufficient, claimed <= measured, with counterexamples that show the gap.
"""

import doctest
import functools
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import refpool
from refpool import FieldType
from refpool import pipeline as pl
from refpool.equivariance import check_equivariance, exact_symmetries, grid_group
from refpool.groups import cyclic, dihedral

P = functools.partial
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
DOCS = os.path.join(ROOT, "docs")
D4 = dihedral(4)


# =========================================================================== measuring
def _trivial(group, channels):
    return FieldType(group, [group.trivial_representation] * channels)


def probes(shape, trials=3, seed=0):
    """A batch of inputs: ``trials`` random ones, then one spike per spatial position on a
    zero background.  A spike tells apart any two windows of a max (and any two columns of
    a linear map) that differ in a position, which random inputs may miss when the windows
    overlap (the max of both often lies in the overlap)."""
    rng = np.random.default_rng(seed)
    shape = (trials,) + tuple(shape[1:])
    random = rng.standard_normal(shape) * rng.exponential(1.0, shape)
    spatial = tuple(shape[2:])
    spikes = np.zeros((int(np.prod(spatial)),) + tuple(shape[1:]))
    for i, position in enumerate(np.ndindex(*spatial)):
        spikes[(i, slice(None)) + position] = 1.0 + rng.random()
    return np.concatenate([random, spikes])


def measured(pipe, shape, exact=False, trials=3, seed=0):
    """The grid elements g with pipe(T x) == T pipe(x) on :func:`probes` of the shape."""
    nd = len(shape) - 2
    group = grid_group(nd)
    x = probes(shape, trials, seed)
    y = pipe(x, engine="reference")
    in_type, out_type = _trivial(group, shape[1]), _trivial(group, y.shape[1])
    held = []
    for g in group.elements:
        try:
            lhs = pipe(in_type.transform(x, g), engine="reference")
        except ValueError:                     # the transformed input does not run
            continue
        rhs = out_type.transform(y, g)
        if lhs.shape != rhs.shape:
            continue
        if exact:
            ok = np.array_equal(lhs, rhs)
        else:
            finite = np.isfinite(rhs)
            scale = np.abs(rhs[finite]).max() if finite.any() else 1.0
            ok = np.allclose(lhs, rhs, rtol=1e-9, atol=1e-9 * scale, equal_nan=True)
        if ok:
            held.append(g)
    return held


def _runs(pipe, shape):
    try:
        out = pipe.output_shape(shape)
    except ValueError:
        return False
    return min(out) >= 1


# =========================================================================== strategies
@st.composite
def shapes(draw, max_side=9, channels=1):
    nd = draw(st.sampled_from((1, 2, 2, 2, 3)))
    side = max_side if nd < 3 else 5
    if draw(st.booleans()):
        spatial = (draw(st.integers(2, side)),) * nd
    else:
        spatial = tuple(draw(st.integers(2, side)) for _ in range(nd))
    return (1, channels) + spatial


def _per_axis(draw, nd, strategy):
    if draw(st.booleans()):
        return draw(strategy)
    return tuple(draw(strategy) for _ in range(nd))


@st.composite
def linear_stage(draw, nd):
    kind = draw(st.sampled_from(("avg", "blur", "gauss", "interp", "adaptive")))
    if kind == "avg":
        k = draw(st.integers(1, 3))
        return P(refpool.avg_pool, kernel_size=k, stride=draw(st.integers(1, 2)),
                 padding=draw(st.sampled_from([0, k // 2, "same", "same_lower"])),
                 count_include_pad=draw(st.booleans()))
    if kind == "blur":
        return P(refpool.blur_pool, filt_size=draw(st.integers(1, 4)),
                 stride=draw(st.integers(1, 2)),
                 pad_type=draw(st.sampled_from(("zero", "replicate", "reflect"))),
                 pad_off=draw(st.integers(0, 1)))
    if kind == "gauss":
        return P(refpool.antialiased_avg_pool, sigma=draw(st.sampled_from((0.5, 0.8))),
                 stride=_per_axis(draw, nd, st.integers(1, 2)))
    if kind == "adaptive":
        return P(refpool.adaptive_avg_pool, output_size=_per_axis(draw, nd, st.integers(1, 5)))
    modes = ["area", "nearest", {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]]
    if nd == 2:
        modes.append("bicubic")
    mode = draw(st.sampled_from(modes))
    kw = dict(mode=mode)
    if draw(st.booleans()):
        kw["size"] = _per_axis(draw, nd, st.integers(1, 9))
    else:
        kw["scale_factor"] = draw(st.sampled_from((0.5, 1.5, 2.0)))
    if mode in ("linear", "bilinear", "trilinear", "bicubic"):
        kw["align_corners"] = draw(st.booleans())
    return P(refpool.interpolate, **kw)


@st.composite
def max_stage(draw, nd):
    kind = draw(st.sampled_from(("max", "max", "adaptive", "nearest")))
    if kind == "max":
        k = draw(st.integers(1, 3))
        d = draw(st.integers(1, 2))
        padding = draw(st.sampled_from([0, (d * (k - 1) + 1) // 2, "same", "same_lower"]))
        return P(refpool.max_pool, kernel_size=k, stride=draw(st.integers(1, 2)),
                 padding=padding, dilation=d, ceil_mode=draw(st.booleans()))
    if kind == "adaptive":
        return P(refpool.adaptive_max_pool, output_size=_per_axis(draw, nd, st.integers(1, 5)))
    kw = dict(mode=draw(st.sampled_from(("nearest", "nearest-exact"))))
    if draw(st.booleans()):
        kw["size"] = _per_axis(draw, nd, st.integers(1, 9))
    else:
        kw["scale_factor"] = draw(st.sampled_from((0.5, 1.5, 2.0, 3.0)))
    return P(refpool.interpolate, **kw)


@st.composite
def chain(draw, nd, kind):
    stage = linear_stage if kind == "linear" else max_stage
    return [draw(stage(nd)) for _ in range(draw(st.integers(2, 3)))]


def _assert_claims(pipe, shape, exact, tight=True):
    claimed = set(pipe.exact_symmetries(shape))
    held = set(measured(pipe, shape, exact=exact))
    if tight:
        assert claimed == held, f"claimed {sorted(map(repr, claimed))}\nmeasured " \
                                f"{sorted(map(repr, held))}\nfor {pipe} on {shape}"
    else:
        assert claimed <= held, f"claimed {sorted(map(repr, claimed))} not all measured " \
                                f"({sorted(map(repr, held))}) for {pipe} on {shape}"
    return claimed, held


# =========================================================================== shapes
def test_output_shapes_in_closed_form():
    net = refpool.compose(P(refpool.max_pool, kernel_size=3, stride=2),
                          P(refpool.avg_pool, kernel_size=2),
                          P(refpool.interpolate, scale_factor=3, mode="nearest"))
    for n in range(5, 30):
        m = (n - 3) // 2 + 1
        assert net.output_shape((2, 3, n, n + 1)) == (2, 3, 3 * (m // 2),
                                                      3 * (((n + 1 - 3) // 2 + 1) // 2))
    records = net.stage_shapes((1, 1, 9, 9))
    assert [r.path for r in records] == ["1", "2", "3"]
    assert [r.output_shape for r in records] == [(1, 1, 4, 4), (1, 1, 2, 2), (1, 1, 6, 6)]
    assert records[1].input_shape == (1, 1, 4, 4)
    assert records[0].stage == "max_pool(kernel_size=3, stride=2)"


def test_merge_and_field_channels():
    C4 = cyclic(4)
    ft = FieldType(C4, [C4.regular_representation] * 2)
    down = P(refpool.max_pool, kernel_size=2)
    up = P(refpool.interpolate, scale_factor=2, mode="nearest")
    net = refpool.compose(refpool.skip(down, up), refpool.skip(down, up, mode="add"),
                          P(refpool.pixel_unshuffle, downscale_factor=2),
                          P(refpool.pixel_shuffle, upscale_factor=2),
                          refpool.pointwise(lambda x: x[:, :8], out_channels=8, name="first8"),
                          P(refpool.group_pool, field_type=ft))
    assert net.output_shape((1, 8, 8, 8)) == (1, 2, 8, 8)
    x = np.random.default_rng(0).standard_normal((1, 8, 8, 8))
    assert net(x, engine="reference").shape == (1, 2, 8, 8)
    paths = [r.path for r in net.stage_shapes((1, 8, 8, 8))]
    assert paths == ["1", "1.2.1", "1.2.2", "2", "2.2.1", "2.2.2", "3", "4", "5", "6"]
    merged = [r for r in net.stage_shapes((1, 8, 8, 8)) if r.path == "1"][0]
    assert merged.output_shape == (1, 16, 8, 8)


@given(shape=shapes(), data=st.data())
def test_output_shape_is_the_shape_the_pipeline_returns(shape, data):
    nd = len(shape) - 2
    stages = [data.draw(st.one_of(linear_stage(nd), max_stage(nd)))
              for _ in range(data.draw(st.integers(1, 4)))]
    pipe = refpool.compose(*stages)
    assume(_runs(pipe, shape))
    x = np.random.default_rng(1).standard_normal(shape)
    assert pipe(x, engine="reference").shape == pipe.output_shape(shape)


#: the operators present when the rules' output helpers were written
SHAPE_OPS = ("max_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
             "antialiased_avg_pool", "antialiased_max_pool", "blur_pool", "interpolate",
             "group_pool", "norm_pool", "induced_norm_pool", "norm_max_pool", "pixel_shuffle",
             "pixel_unshuffle", "depth_to_space", "space_to_depth")


def test_rule_output_shapes_match_the_operators_on_catalogue_cases():
    """Rule.output_spatial / output_channels against the reference engine's outputs."""
    from refpool.conformance.catalog import catalog
    from refpool.registry import OPERATORS
    checked = 0
    for name in SHAPE_OPS:
        cases = [c for c in catalog([name]) if not {"ndim", "channels_last"} & set(c.kwargs)
                 and not c.kwargs.get("return_indices")]
        for case in cases[::max(1, len(cases) // 12)]:
            stage = refpool.compose(P(OPERATORS[name].function, **case.call_kwargs()))
            x = np.random.default_rng(case.seed).standard_normal(case.shape)
            assert stage.output_shape(case.shape) == stage(x, engine="reference").shape, \
                case.id
            checked += 1
    assert checked > 100


# =========================================================================== tightness
@given(shape=shapes(), data=st.data())
def test_linear_chains_are_tight(shape, data):
    pipe = refpool.compose(*data.draw(chain(len(shape) - 2, "linear")))
    assume(_runs(pipe, shape))
    _assert_claims(pipe, shape, exact=False)


@given(shape=shapes(), data=st.data())
def test_max_chains_are_tight(shape, data):
    pipe = refpool.compose(*data.draw(chain(len(shape) - 2, "max")))
    assume(_runs(pipe, shape))
    _assert_claims(pipe, shape, exact=True)


@st.composite
def branch(draw, shape, kind):
    """A chain that ends on the input's spatial shape (so that branches merge): its last
    stage resizes, with a stage of the same kind."""
    nd = len(shape) - 2
    stages = draw(chain(nd, kind))[:draw(st.integers(1, 2))]
    modes = ["nearest", "nearest-exact"]
    if kind == "linear":
        modes += ["area", {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]]
    return stages + [P(refpool.interpolate, size=tuple(shape[2:]),
                       mode=draw(st.sampled_from(modes)))]


@given(shape=shapes(max_side=8), data=st.data())
def test_concatenations_of_tight_branches_are_tight(shape, data):
    kind = data.draw(st.sampled_from(("linear", "max")))
    branches = [data.draw(branch(shape, kind)) for _ in range(2)]
    pipe = refpool.compose(refpool.merge(*branches))
    assume(_runs(pipe, shape))
    _assert_claims(pipe, shape, exact=kind == "max")


@given(shape=shapes(max_side=8), data=st.data())
def test_sums_are_tight_where_at_most_one_branch_breaks(shape, data):
    nd = len(shape) - 2
    kind = data.draw(st.sampled_from(("linear", "max")))
    branches = [refpool.compose(*data.draw(branch(shape, kind))) for _ in range(2)]
    if data.draw(st.booleans()):
        branches[0] = refpool.compose()                    # a residual connection
    pipe = refpool.compose(refpool.merge(*branches, mode="add"))
    assume(_runs(pipe, shape))
    claimed, held = _assert_claims(pipe, shape, exact=False, tight=False)
    x = probes(shape)
    if not all(np.isfinite(b(x, engine="reference")).all() for b in branches):
        return                       # a branch that is -inf everywhere absorbs the sum
    for g in grid_group(nd).elements:
        broken = sum(g not in b.exact_symmetries(shape) for b in branches)
        if broken <= 1:
            assert (g in claimed) == (g in held), (g, pipe, shape)


@st.composite
def network(draw, nd, depth=0):
    """Random sequences of any stage, with skips: the claim is only sufficient here."""
    stages = []
    for _ in range(draw(st.integers(1, 3))):
        choice = draw(st.sampled_from(("linear", "max", "relu", "other", "skip")
                                      if depth < 2 else ("linear", "max", "relu")))
        if choice == "linear":
            stages.append(draw(linear_stage(nd)))
        elif choice == "max":
            stages.append(draw(max_stage(nd)))
        elif choice == "relu":
            stages.append(refpool.pointwise(lambda x: np.maximum(x, 0.0), name="relu"))
        elif choice == "other":
            stages.append(draw(st.sampled_from([
                P(refpool.lp_pool, norm_type=2, kernel_size=2, stride=1),
                P(refpool.antialiased_max_pool, kernel_size=2, stride=1),
                P(refpool.pixel_unshuffle, downscale_factor=1)])))
        else:
            stages.append(refpool.skip(*draw(network(nd, depth + 1)),
                                       mode=draw(st.sampled_from(("concat", "add")))))
    return stages


@given(shape=shapes(max_side=8), data=st.data())
def test_mixed_networks_claim_only_what_holds(shape, data):
    pipe = refpool.compose(*data.draw(network(len(shape) - 2)))
    assume(_runs(pipe, shape))
    _assert_claims(pipe, shape, exact=False, tight=False)


def test_a_chain_of_one_kind_finds_cancellations():
    """'same' pads after the line, 'same_lower' before: neither stage commutes with a
    reversal; their chain is a max over the symmetric window i-1..i+1, and is found."""
    same = P(refpool.max_pool, kernel_size=2, stride=1, padding="same")
    lower = P(refpool.max_pool, kernel_size=2, stride=1, padding="same_lower")
    shape = (1, 2, 6, 6)
    assert exact_symmetries(same, shape) == [D4.identity, D4.element((1, 1))]
    claimed, held = _assert_claims(refpool.compose(same, lower), shape, exact=True)
    assert len(claimed) == 8


def test_constant_outputs_compare_by_shape():
    """Pooling whose windows on one axis hold only padding is constant (-inf for a max, 0
    for an average), on the transformed input too: every element whose shapes agree holds
    (single operators and composed chains alike, whichever axis is the empty one)."""
    kw = dict(kernel_size=(2, 1), dilation=(2, 1), padding=(1, 0))
    assert len(exact_symmetries(refpool.max_pool, (1, 1, 1, 1), **kw)) == 8
    kw = dict(kernel_size=1, stride=(3, 1), padding=((1, 1), (0, 0)))
    assert len(exact_symmetries(refpool.avg_pool, (1, 1, 1, 1), **kw)) == 8
    _assert_claims(refpool.compose(P(refpool.avg_pool, **kw)), (1, 1, 1, 1), exact=False)
    zero = refpool.compose(P(refpool.antialiased_avg_pool, sigma=0.5, stride=(1, 2)),
                           P(refpool.blur_pool, filt_size=1, stride=1, pad_type="zero",
                             pad_off=1),
                           P(refpool.interpolate, size=(2, 2), mode="nearest-exact"))
    assert not zero(np.ones((1, 1, 2, 2)), engine="reference").any()
    _assert_claims(zero, (1, 1, 2, 2), exact=False)
    pipe = refpool.compose(P(refpool.adaptive_max_pool, output_size=(1, 2, 2)),
                           P(refpool.max_pool, kernel_size=2, stride=1, padding=1,
                             dilation=2),
                           P(refpool.interpolate, size=(2, 2, 2)))
    assert np.isneginf(pipe(np.ones((1, 1, 2, 2, 2)), engine="reference")).all()
    _assert_claims(pipe, (1, 1, 2, 2, 2), exact=True)
    assert len(pipe.exact_symmetries((1, 1, 2, 2, 2))) == 48


def test_linear_chains_compare_axes_up_to_reciprocal_scales():
    """On one pixel a 2-tap zero-padded filter along one axis weighs 1/2 and a 1-tap filter
    along the other 1: the axes differ, the 2-D map (1/2 x) does not, so a transposition
    holds.  (The single-operator rule compares the axes one by one and misses it.)"""
    blur = P(refpool.blur_pool, filt_size=(1, 2), stride=1, pad_type="zero")
    pipe = refpool.compose(blur, P(refpool.avg_pool, kernel_size=1))
    claimed, held = _assert_claims(pipe, (1, 1, 1, 1), exact=False)
    assert len(claimed) == 8
    assert len(exact_symmetries(blur, (1, 1, 1, 1))) == 4


@pytest.mark.parametrize("name", ["across kinds", "sum", "shuffles"])
def test_counterexamples_where_the_claim_is_only_sufficient(name):
    same = P(refpool.max_pool, kernel_size=2, stride=1, padding="same")
    lower = P(refpool.max_pool, kernel_size=2, stride=1, padding="same_lower")
    pipe = {
        # repeat every pixel twice, keep the even ones: the identity
        "across kinds": refpool.compose(P(refpool.interpolate, scale_factor=2, mode="area"),
                                        P(refpool.max_pool, kernel_size=1, stride=2)),
        # the half turn maps each branch onto the other
        "sum": refpool.compose(refpool.merge(same, lower, mode="add")),
        "shuffles": refpool.compose(P(refpool.pixel_unshuffle, downscale_factor=2),
                                    P(refpool.pixel_shuffle, upscale_factor=2)),
    }[name]
    shape = (1, 4, 6, 6)
    claimed, held = _assert_claims(pipe, shape, exact=name != "across kinds", tight=False)
    assert claimed < held
    assert D4.element((0, 2)) in held and D4.element((0, 2)) not in claimed


@pytest.mark.parametrize("op,kw,shape", [
    (refpool.max_pool, dict(kernel_size=2), (1, 1, 7, 8)),
    (refpool.blur_pool, dict(filt_size=3, stride=2), (1, 1, 9, 9)),
    (refpool.interpolate, dict(size=(5, 7), mode="bilinear"), (1, 1, 4, 6)),
    (refpool.adaptive_avg_pool, dict(output_size=3), (1, 2, 5, 5, 5)),
    (refpool.norm_max_pool, dict(field_type=FieldType(D4, [D4.irrep(1, 1)]), kernel_size=2),
     (1, 2, 6, 6)),
])
def test_a_single_stage_claims_what_exact_symmetries_claims(op, kw, shape):
    expected = exact_symmetries(op, shape, **kw)
    assert refpool.compose(P(op, **kw)).exact_symmetries(shape) == expected
    assert exact_symmetries(P(op, **kw), shape) == expected


def test_shuffle_stages_claim_the_plain_transform_only():
    shuffle = P(refpool.pixel_shuffle, upscale_factor=2)
    assert exact_symmetries(shuffle, (1, 4, 3, 3)) == [D4.identity]
    assert len(exact_symmetries(P(refpool.pixel_shuffle, upscale_factor=1), (1, 4, 3, 3))) == 8
    _assert_claims(refpool.compose(shuffle), (1, 4, 3, 3), exact=True)


# =========================================================================== entry points
def test_exact_symmetries_and_check_equivariance_accept_pipelines():
    pool = P(refpool.max_pool, kernel_size=3, stride=2)
    net = refpool.compose(pool, refpool.pointwise(np.negative), pool)
    assert exact_symmetries(net, (1, 1, 15, 15)) == list(D4.elements)
    assert exact_symmetries(net, (1, 1, 13, 13)) == [D4.identity, D4.element((1, 1))]
    with pytest.raises(TypeError, match="bound in its stages"):
        exact_symmetries(net, (1, 1, 15, 15), kernel_size=2)
    gray = _trivial(D4, 1)
    for n in (15, 13):
        x = np.random.default_rng(n).standard_normal((1, 1, n, n))
        report = check_equivariance(P(net, engine="reference"), gray, gray, x)
        assert {row.element for row in report if row.ok} == \
            set(exact_symmetries(net, x.shape))
    report = check_equivariance(net, gray, gray, np.ones((1, 1, 15, 15)))
    assert report.ok and "pipeline" in report.name


def test_the_unet_example_of_the_docs():
    """Stem blur_pool(3, 2) needs odd n; three levels of max_pool(2) need (n+1)/2 divisible
    by 8: exact at n = 16k - 1; the network also runs at n = 16k, where it is not."""
    down = P(refpool.max_pool, kernel_size=2)
    up = P(refpool.interpolate, scale_factor=2, mode="bilinear")

    def level(inner):
        return refpool.skip(down, inner, up)

    unet = refpool.compose(P(refpool.blur_pool, filt_size=3, stride=2),
                           level(level(level(refpool.compose()))))
    sizes = range(8, 70)
    assert refpool.equivariant_sizes(unet, sizes) == [15, 31, 47, 63]
    runs = [n for n in sizes if _runs(unet, (1, 1, n, n))]
    assert runs == [15, 16, 31, 32, 47, 48, 63, 64]
    assert unet.output_shape((1, 1, 31, 31)) == (1, 4, 16, 16)
    assert set(measured(unet, (1, 1, 15, 15))) == set(D4.elements)
    assert set(measured(unet, (1, 1, 16, 16))) == {D4.identity, D4.element((1, 1))}
    assert set(unet.exact_symmetries((1, 1, 16, 16))) == {D4.identity, D4.element((1, 1))}
    text = unet.describe((1, 1, 16, 16))
    assert "blur_pool(filt_size=3, stride=2)" in text and "alone: 2/8" in text
    assert text.splitlines()[-1].startswith("pipeline: exact for 2 of the 8 elements of D4")


# =========================================================================== the advisor
def test_equivariant_sizes_in_closed_form():
    pool = P(refpool.max_pool, kernel_size=3, stride=2)
    net = refpool.compose(pool, pool)
    assert refpool.equivariant_sizes(net, range(7, 60)) == list(range(7, 60, 4))
    assert refpool.equivariant_sizes(net, range(7, 30), ndim=3) == list(range(7, 30, 4))
    assert refpool.equivariant_sizes(net, range(7, 30), ndim=1) == list(range(7, 30, 4))
    # only the transpose: every size where the pipeline runs
    assert refpool.equivariant_sizes(net, range(5, 12), elements=["D4[1,1]"]) == \
        list(range(7, 12))
    assert refpool.equivariant_sizes(net, [(11, 12), (12, 11)],
                                     elements=[D4.element((1, 0))]) == [(12, 11)]
    assert refpool.equivariant_sizes(pool, [8, 9]) == [9]          # a bound operator


def test_default_channels_come_from_the_first_field_stage():
    C4 = cyclic(4)
    ft = FieldType(C4, [C4.regular_representation] * 3)
    net = refpool.compose(P(refpool.max_pool, kernel_size=2, field_type=ft),
                          P(refpool.group_pool, field_type=ft))
    assert refpool.equivariant_sizes(net, [6, 7]) == [6]
    with pytest.raises(ValueError, match="runs at none"):
        refpool.equivariant_sizes(net, [6, 7], channels=4)


def test_nearest_equivariant_size():
    pool = P(refpool.max_pool, kernel_size=3, stride=2)
    net = refpool.compose(pool, pool)
    advice = refpool.nearest_equivariant_size(net, 256)
    assert advice == pl.SizeAdvice(255, 256, ((0, 0), (0, 0)), ((0, 1), (0, 1)))
    assert refpool.nearest_equivariant_size(net, 257).size == 259      # ties pad
    assert refpool.nearest_equivariant_size(net, 255).size == 255
    centred = refpool.nearest_equivariant_size(net, 253, centred=True)
    assert centred.size == 255 and centred.pad == ((1, 1), (1, 1))
    shaped = refpool.nearest_equivariant_size(net, (11, 13))
    assert shaped.size == (11, 15) and shaped.pad == ((0, 0), (1, 1))     # ties pad
    with pytest.raises(ValueError, match="no n x n within 64 pixels of 256"):
        refpool.nearest_equivariant_size(net, 256, centred=True)
    for n in range(20, 40):
        advice = refpool.nearest_equivariant_size(net, n)
        exact = refpool.equivariant_sizes(net, range(1, 80))
        best = min(abs(m - n) for m in exact)
        assert abs(advice.size - n) == best and advice.size in exact


def test_advisor_arguments_are_checked():
    net = refpool.compose(P(refpool.max_pool, kernel_size=2))
    with pytest.raises(ValueError, match="grid group D4"):
        refpool.equivariant_sizes(net, [8], elements=["transpose"])
    with pytest.raises(ValueError, match="pass ndim=3"):
        refpool.equivariant_sizes(net, [(8, 8, 8)])
    with pytest.raises(TypeError, match="iterable"):
        refpool.equivariant_sizes(net, 8)
    with pytest.raises(ValueError, match="runs at none of the 2 sizes; at 1: stage 1 "
                                         "max_pool"):
        refpool.equivariant_sizes(net, [1, 1])
    with pytest.raises(ValueError, match="max_change"):
        refpool.nearest_equivariant_size(net, 8, max_change=-1)


# =========================================================================== bad input
def test_stages_that_are_not_refpool_operators():
    net = refpool.compose(P(refpool.max_pool, kernel_size=2), lambda x: x * 2)
    x = np.random.default_rng(0).standard_normal((1, 1, 8, 8))
    assert net(x, engine="reference").shape == (1, 1, 4, 4)       # it runs
    for call in (lambda: net.output_shape(x.shape), lambda: exact_symmetries(net, x.shape),
                 lambda: refpool.equivariant_sizes(net, [8])):
        with pytest.raises(TypeError, match=r"stage 2 .*<lambda>: not a refpool operator.*"
                                            r"check_equivariance.*pointwise"):
            call()
    report = check_equivariance(P(net, engine="reference"), _trivial(D4, 1),
                                _trivial(D4, 1), x)
    assert report.ok                                      # measured all the same


@pytest.mark.parametrize("stage,error,match", [
    (P(refpool.max_pool, kernel_size=2, strid=1), TypeError,
     "stage 1 max_pool takes no keyword 'strid'; its keywords are kernel_size"),
    (P(refpool.max_pool, stride=2), TypeError,
     "stage 1 max_pool is missing its argument 'kernel_size'"),
    (refpool.group_pool, TypeError, "missing its argument 'field_type'"),
    (P(refpool.max_pool, 2), TypeError, "binds 1 positional argument"),
    (P(refpool.max_pool, kernel_size=2, out=None), TypeError, "cannot bind out="),
    (P(refpool.max_pool, kernel_size=2, ndim=2), TypeError, "layout keywords"),
    (P(refpool.max_pool, kernel_size=2, return_indices=True), ValueError, "returns a pair"),
    (P(refpool.max_unpool, kernel_size=2), TypeError, "max_unpool: not a pipeline stage"),
    (3, TypeError, "stage 1 must be a refpool operator"),
])
def test_bad_stages_are_named(stage, error, match):
    with pytest.raises(error, match=match):
        refpool.compose(stage)


def test_bad_arguments_and_shapes_name_the_stage():
    net = refpool.compose(P(refpool.avg_pool, kernel_size=2),
                          refpool.skip(P(refpool.max_pool, kernel_size=-1)))
    with pytest.raises(ValueError, match=r"stage 2\.2\.1 max_pool\(kernel_size=-1\): "
                                         r"kernel_size"):
        net.output_shape((1, 1, 8, 8))
    unet = refpool.compose(P(refpool.avg_pool, kernel_size=2),
                           refpool.skip(P(refpool.max_pool, kernel_size=3, stride=2,
                                          padding=1),
                                        P(refpool.interpolate, scale_factor=2)))
    with pytest.raises(ValueError, match=r"stage 2 merge\(concat: 2 branches\): the branch "
                                         r"outputs have shapes \(1, 1, 5, 5\), \(1, 1, 6, 6\)"):
        unet.output_shape((1, 1, 10, 10))
    with pytest.raises(ValueError, match="concatenation needs equal batch and spatial"):
        unet(np.zeros((1, 1, 10, 10)), engine="reference")
    assert unet.output_shape((1, 1, 8, 8)) == (1, 2, 4, 4)
    with pytest.raises(ValueError, match="x has 3 channels but field_type has size 4"):
        refpool.compose(P(refpool.group_pool, field_type=FieldType(
            cyclic(4), [cyclic(4).regular_representation]))).output_shape((1, 3, 4, 4))
    with pytest.raises(ValueError, match="full"):
        net.output_shape((8, 8))
    with pytest.raises(ValueError, match="mode must be 'concat' or 'add'"):
        refpool.merge(refpool.compose(), refpool.compose(), mode="mul")
    with pytest.raises(ValueError, match="two or more branches"):
        refpool.merge(refpool.compose())
    with pytest.raises(ValueError, match="sum needs equal shapes"):
        refpool.compose(refpool.skip(P(refpool.max_pool, kernel_size=2),
                                     mode="add")).output_shape((1, 1, 4, 4))
    with pytest.raises(TypeError, match="callable"):
        refpool.pointwise(3)


# =========================================================================== descriptions
def test_parse_pipeline():
    net = pl.parse_pipeline("max_pool(2); blur_pool(filt_size=3, stride=2)\n"
                            "skip(max_pool(kernel_size=2), interpolate(scale_factor=2), "
                            "mode='add'); merge([avg_pool(2)], max_pool(2))")
    assert [s.label for s in net.stages] == [
        "max_pool(kernel_size=2)", "blur_pool(filt_size=3, stride=2)",
        "merge(add: 2 branches)", "merge(concat: 2 branches)"]
    assert net.output_shape((1, 1, 16, 16)) == (1, 2, 2, 2)


@pytest.mark.parametrize("text,error,match", [
    ("", ValueError, "empty"),
    ("max_pool(2", ValueError, "cannot read the pipeline description at column"),
    ("maxpool(2)", ValueError, "unknown operator 'maxpool' \\(did you mean 'max_pool'\\?\\)"),
    ("max_pool(k)", ValueError, "'k' is not a literal"),
    ("x = max_pool(2)", ValueError, "is not an operator call"),
    ("__import__('os').system('exit 3')", ValueError, "is not an operator call"),
    ("max_pool(kernel_size=__import__('os'))", ValueError, "is not a literal"),
    ("group_pool()", ValueError, "needs a field_type"),
    ("max_pool(**{'kernel_size': 2})", ValueError, "\\*\\* arguments"),
    ("max_pool(kernel_size=2, strid=1)", TypeError, "takes no keyword 'strid'"),
    ("skip(max_pool(2), modes='add')", ValueError, "only the keyword mode"),
    ("max_pool(1, 2, 0, 1, False, False, 3)", TypeError, "at most 6 positional"),
])
def test_parse_pipeline_errors(text, error, match):
    with pytest.raises(error, match=match):
        pl.parse_pipeline(text)


def _refpool(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "refpool", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_advise():
    result = _refpool("advise", "max_pool(kernel_size=3, stride=2); "
                                "max_pool(kernel_size=3, stride=2)",
                      "--sizes", "7-30", "--nearest", "256")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "max_pool(kernel_size=3, stride=2) -> max_pool(kernel_size=3, stride=2)"
    assert lines[1] == "exact for all 8 elements of D4 at 6 of 24 sizes n x n (n = 7..30):"
    assert lines[2] == "7 11 15 19 23 27"
    assert lines[3] == "nearest exact size to 256: 255 (crop every axis: 0 before, 1 after)"
    result = _refpool("advise", "max_pool(kernel_size=2)", "--sizes", "9,11",
                      "--elements", "D4[1,1]", "D4[0,2]")
    assert result.returncode == 1 and result.stdout.splitlines()[-1] == "none"


@pytest.mark.parametrize("args,match", [
    (["maxpool(2)"], "unknown operator 'maxpool'"),
    (["max_pool(2)", "--sizes", "9-x"], "--sizes '9-x'"),
    (["max_pool(2)", "--elements", "rot90"], "grid group D4"),
    (["max_pool(9)", "--sizes", "2-4"], "runs at none of the 3 sizes"),
])
def test_cli_advise_errors_are_one_line(args, match):
    result = _refpool("advise", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refpool advise: error: ")
    assert re.search(match, lines[0]), lines[0]


# =========================================================================== docs
def test_pipelines_page_runs_as_written():
    result = doctest.testfile(os.path.join(DOCS, "pipelines.rst"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 10


def test_module_docstrings_run():
    result = doctest.testmod(pl, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 10


def test_pipelines_page_is_in_the_toctree():
    with open(os.path.join(DOCS, "index.rst")) as f:
        assert re.search(r"^\s+pipelines\s*$", f.read(), re.M)


def test_composition_tables_name_registered_operators():
    from refpool.registry import OPERATORS
    assert set(pl._LINEAR) | set(pl._MAX) | set(pl._REFUSED) <= set(OPERATORS)
