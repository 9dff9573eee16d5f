"""refpool.upfirdn against scipy.signal.upfirdn (1-D and per axis), a torch
formulation (zero insertion by conv_transpose, then pad and conv), closed forms,
and its three engines against each other."""

import itertools

import numpy as np
import pytest
import scipy.signal

import refpool
from refpool.equivariance.rules import axis_action
from refpool.upfirdn import UpfirdnAxis, upfirdn_spec

RNG = np.random.default_rng(20261203)


def _scipy_padding(taps, up):
    # scipy keeps the full convolution of the zero-inserted signal of length (n-1)u + 1
    return (taps - 1, taps - up)


@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_1d_equals_scipy_upfirdn(engine):
    worst = 0.0
    for n, taps, up, down in itertools.product((1, 2, 7), (1, 2, 5), (1, 2, 3), (1, 2, 3)):
        x = RNG.standard_normal(n)
        h = RNG.standard_normal(taps)
        expect = scipy.signal.upfirdn(h, x, up, down)
        y = refpool.upfirdn(x[None, None], h, up, down,
                            padding=(_scipy_padding(taps, up),), engine=engine)[0, 0]
        assert y.shape == expect.shape, (n, taps, up, down)
        worst = max(worst, float(np.abs(y - expect).max()))
    assert worst < 1e-12


def test_separable_2d_equals_scipy_per_axis():
    x = RNG.standard_normal((2, 3, 5, 4))
    h = RNG.standard_normal(4)
    up, down = (2, 3), (3, 1)
    padding = tuple(_scipy_padding(4, u) for u in up)
    expect = scipy.signal.upfirdn(h, x, up[0], down[0], axis=2)
    expect = scipy.signal.upfirdn(h, expect, up[1], down[1], axis=3)
    for engine in ("reference", "cpu"):
        y = refpool.upfirdn(x, h, up, down, padding, engine=engine)
        np.testing.assert_allclose(y, expect, rtol=0, atol=1e-12)


def _torch_upfirdn(x, f, up, down, before, after, flip_filter, gain):
    """pad-and-conv formulation with torch: zero insertion by a strided conv_transpose
    with a delta, explicit zero padding (crop with negative amounts), conv (a
    correlation) with the filter reversed unless flip_filter, then a strided slice."""
    torch = pytest.importorskip("torch")
    k = x.ndim - 2
    t = torch.from_numpy(x).reshape(-1, 1, *x.shape[2:])
    conv_t = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
              3: torch.nn.functional.conv_transpose3d}[k]
    conv = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d,
            3: torch.nn.functional.conv3d}[k]
    delta = torch.zeros((1, 1) + tuple(up), dtype=t.dtype)
    delta[(0, 0) + (0,) * k] = 1
    t = conv_t(t, delta, stride=tuple(up))            # sample i at i*u, u-1 zeros after
    pads = []
    for b, a in reversed(list(zip(before, after))):  # F.pad lists the last axis first
        pads += [b, a]
    t = torch.nn.functional.pad(t, pads)               # negative values crop
    w = torch.from_numpy(np.asarray(f, dtype=np.float64))
    if w.ndim == 1 and k > 1:
        kernel = w
        for _ in range(k - 1):
            kernel = torch.tensordot(kernel, w, dims=0)
        w = kernel
    if not flip_filter:
        w = torch.flip(w, list(range(k)))
    t = conv(t, (w * gain)[None, None], stride=tuple(down))
    return t.reshape(x.shape[:2] + tuple(t.shape[2:])).numpy()


CASES = [  # shape, f shape (1-D: separable), up, down, padding
    ((2, 2, 6), (4,), 2, 1, ((2, 1),)),
    ((1, 1, 5, 6), (3, 3), 2, 2, 1),
    ((1, 2, 5, 4), (4, 2), (1, 2), (2, 1), ((3, -1), (0, 2))),
    ((1, 1, 4, 5), (6,), 2, 1, ((-2, 3), (4, 1))),
    ((1, 1, 3, 4, 3), (2, 3, 2), (2, 1, 3), 1, (1, (0, 1), 2)),
    ((2, 1, 3, 3, 4), (3,), 2, (1, 2, 3), 2),
    ((1, 1, 7, 7), (5, 5), 1, 3, 0),
]


@pytest.mark.parametrize("shape, fshape, up, down, padding", CASES)
@pytest.mark.parametrize("flip_filter, gain", [(False, 1.0), (True, 3.5)])
def test_reference_equals_torch_pad_and_conv(shape, fshape, up, down, padding, flip_filter,
                                              gain):
    x = RNG.standard_normal(shape)
    f = RNG.standard_normal(fshape)
    k = len(shape) - 2
    spec = upfirdn_spec(shape[2:], f, up, down, padding)
    expect = _torch_upfirdn(x, f, spec.up, spec.down, spec.before, spec.after, flip_filter,
                            gain)
    y = refpool.upfirdn(x, f, up, down, padding, flip_filter, gain, engine="reference")
    assert y.shape == expect.shape
    for b in range(k):
        a = spec.axis(b)
        assert y.shape[2 + b] == (a.n * a.up + a.before + a.after - a.taps) // a.down + 1
    np.testing.assert_allclose(y, expect, rtol=1e-12, atol=1e-12)


def test_defaults_are_a_valid_convolution():
    # up = down = 1, padding 0: the 'valid' correlation with the reversed filter
    x = RNG.standard_normal((1, 2, 9))
    f = RNG.standard_normal(4)
    y = refpool.upfirdn(x, f, engine="reference")
    expect = np.stack([np.convolve(x[0, c], f, mode="valid") for c in range(2)])[None]
    np.testing.assert_allclose(y, expect, rtol=0, atol=1e-13)
    z = refpool.upfirdn(x, f, flip_filter=True, engine="reference")
    expect = np.stack([np.correlate(x[0, c], f, mode="valid") for c in range(2)])[None]
    np.testing.assert_allclose(z, expect, rtol=0, atol=1e-13)


@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_delta_with_up_is_zero_insertion(engine):
    x = RNG.standard_normal((1, 1, 3, 4))
    y = refpool.upfirdn(x, [1.0], up=2, engine=engine)
    expect = np.zeros((1, 1, 6, 8))
    expect[..., ::2, ::2] = x
    np.testing.assert_array_equal(y, expect)
    # a delta kernel with down alone subsamples, and negative padding crops
    np.testing.assert_array_equal(refpool.upfirdn(x, [[1.0]], down=(1, 2), engine=engine),
                                  x[..., ::2])
    np.testing.assert_array_equal(
        refpool.upfirdn(x, [1.0], padding=((0, 0), (-1, -2)), engine=engine), x[..., 1:2])


def test_gain_and_separable_equals_outer_kernel():
    x = RNG.standard_normal((1, 1, 5, 6))
    f = np.array([1.0, 3.0, 3.0, 1.0]) / 8
    a = refpool.upfirdn(x, f, up=2, padding=(2, 1), gain=4, engine="reference")
    b = refpool.upfirdn(x, np.outer(f, f), up=2, padding=(2, 1), engine="reference")
    np.testing.assert_allclose(a, 4 * b, rtol=1e-14, atol=1e-15)
    # StyleGAN3's 2x upsampling keeps a constant: gain = up**2 with [1, 3, 3, 1] / 8
    c = refpool.upfirdn(np.ones((1, 1, 6, 6)), f, up=2, padding=(2, 1), gain=4,
                        engine="reference")
    np.testing.assert_allclose(c[..., 2:-2, 2:-2], 1.0, rtol=1e-14)


def test_axis_geometry_matches_the_definition():
    # polyphase taps against the brute-force definition: tap t meets input i at output o
    # when o*s + t - p0 == i*u
    for n, up, down, before, after, taps in itertools.product(
            (1, 3, 4), (1, 2, 3), (1, 2), (-1, 0, 2), (-1, 0, 3), (1, 2, 4)):
        line = UpfirdnAxis(n, up, down, before, after, taps)
        if n * up + before + after < taps:
            continue
        for o in range(line.output_length):
            brute = tuple((t, (o * down + t - before) // up) for t in range(taps)
                          if (o * down + t - before) % up == 0
                          and 0 <= (o * down + t - before) // up < n)
            assert line.taps_of(o) == brute
        lo, hi = line.input_range(0, line.output_length)
        used = [i for o in range(line.output_length) for _, i in line.taps_of(o)]
        if used:
            assert lo <= min(used) and max(used) < hi


@pytest.mark.differential
def test_cpu_engine_matches_the_reference():
    cases = [((2, 2, 9), RNG.standard_normal(5), 3, 2, ((4, 1),), False, 1.0),
             ((1, 2, 5, 6), RNG.standard_normal((3, 4)), (2, 1), (1, 2), ((2, -1), 1),
              True, 2.0),
             ((1, 1, 3, 4, 5), RNG.standard_normal(3), 2, (2, 1, 3), (1, (0, 2), -1),
              False, -0.5)]
    for shape, f, up, down, padding, flip_filter, gain in cases:
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
            x = RNG.standard_normal(shape).astype(dtype)
            x_before = x.copy()
            ref = refpool.upfirdn(x, f, up, down, padding, flip_filter, gain,
                                  engine="reference")
            got = refpool.upfirdn(x, f, up, down, padding, flip_filter, gain, engine="cpu")
            assert got.dtype == dtype and got.shape == ref.shape
            np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
            np.testing.assert_array_equal(x, x_before)


@pytest.mark.differential
def test_separable_passes_match_the_whole_kernel_of_the_reference(monkeypatch):
    """float32 separable calls on 2 and 3 axes run as one CPU pass per axis: 40 seeded
    calls with up, down, crops and flips against the reference's whole kernel."""
    from refpool.engines.cpu import upfirdn as cpu_upfirdn
    passes = []
    original = cpu_upfirdn._separable
    monkeypatch.setattr(cpu_upfirdn, "_separable",
                        lambda *a: passes.append(1) or original(*a))
    rng = np.random.default_rng(17)
    compared = 0
    while compared < 40:
        k = int(rng.integers(2, 4))
        shape = (1, int(rng.integers(1, 3))) + tuple(int(v) for v in rng.integers(1, 6, k))
        x = rng.standard_normal(shape).astype(np.float32)
        f = rng.standard_normal(int(rng.integers(1, 6)))
        up = tuple(int(v) for v in rng.integers(1, 4, k))
        down = tuple(int(v) for v in rng.integers(1, 4, k))
        padding = tuple((int(a), int(b)) for a, b in rng.integers(-3, 5, (k, 2)))
        kw = dict(up=up, down=down, padding=padding, flip_filter=bool(rng.integers(2)),
                  gain=float(rng.uniform(0.5, 2)))
        try:
            ref = refpool.upfirdn(x, f, engine="reference", **kw)
        except ValueError:                    # cropped below the filter length
            continue
        got = refpool.upfirdn(x, f, engine="cpu", **kw)
        scale = refpool.upfirdn(np.abs(x), np.abs(f), engine="reference", **kw)
        assert np.all(np.abs(got - ref) <= 1e-6 * scale + 1e-30)
        compared += 1
    assert len(passes) == compared


@pytest.mark.cuda
def test_cuda_engine_on_tiny_inputs():
    from numba import cuda
    x = RNG.standard_normal((1, 2, 4, 3)).astype(np.float32)
    for f, up, down, padding in ((RNG.standard_normal(3), 2, 1, 1),
                                 (RNG.standard_normal((2, 3)), (1, 2), (2, 1),
                                  ((1, -1), (2, 0)))):
        ref = refpool.upfirdn(x, f, up, down, padding, engine="reference")
        got = refpool.upfirdn(x, f, up, down, padding, engine="cuda")
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
        dev = refpool.upfirdn(cuda.to_device(x), f, up, down, padding)
        np.testing.assert_allclose(dev.copy_to_host(), ref, rtol=1e-5, atol=1e-6)
    x1 = RNG.standard_normal((1, 1, 5))
    np.testing.assert_allclose(refpool.upfirdn(x1, [1.0, 2.0], up=3, engine="cuda"),
                               refpool.upfirdn(x1, [1.0, 2.0], up=3, engine="reference"),
                               rtol=1e-12, atol=1e-12)


def _transform(x, g, nd):
    perm, reverse = axis_action(g, nd)
    y = np.transpose(x, (0, 1) + tuple(2 + p for p in perm))
    flips = [2 + b for b in range(nd) if reverse[b]]
    return np.flip(y, flips) if flips else y


@pytest.mark.parametrize("shape, kw", [
    ((1, 1, 6, 6), dict(f=[1.0, 3.0, 3.0, 1.0], up=2, padding=((2, 1), (2, 1)))),
    ((1, 1, 7, 7), dict(f=[1.0, 2.0, 1.0], down=2, padding=1)),
    ((1, 1, 6, 6), dict(f=[1.0, 2.0, 4.0], padding=1)),
    ((1, 1, 5, 5), dict(f=[[0.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 0.0]], padding=1)),
    ((1, 1, 5, 5), dict(f=[[0.0, 2.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 0.0]], padding=1)),
    ((1, 1, 4, 4, 4), dict(f=[1.0, 1.0], up=2, padding=((1, 0),) * 3)),
    ((1, 1, 5, 6), dict(f=[1.0, 2.0, 1.0], padding=1)),
])
def test_exact_symmetries_are_sound(shape, kw):
    """Every listed element commutes on a random input (the rule is conservative: an
    element may commute without being listed, never the other way round)."""
    held = refpool.exact_symmetries("upfirdn", shape, **kw)
    nd = len(shape) - 2
    assert len(held) >= 1
    x = RNG.standard_normal(shape)
    y = refpool.upfirdn(x, engine="reference", **kw)
    for g in held:
        got = refpool.upfirdn(_transform(x, g, nd), engine="reference", **kw)
        np.testing.assert_allclose(got, _transform(y, g, nd), rtol=1e-12, atol=1e-12)
    sizes = {(1, 1, 6, 6): 8, (1, 1, 7, 7): 8, (1, 1, 5, 5): None, (1, 1, 4, 4, 4): 48}
    if kw["f"] == [1.0, 2.0, 4.0]:
        assert len(held) == 2                  # the transposition only (and the identity)
    elif shape in sizes and sizes[shape] and np.asarray(kw["f"]).ndim == 1:
        assert len(held) == sizes[shape]


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(f=[1.0], up=0), ValueError, "up"),
    (dict(f=[1.0], up=1.5), TypeError, "up"),
    (dict(f=[1.0], down=(1,)), ValueError, "down"),
    (dict(f=[1.0], down=-2), ValueError, "down"),
    (dict(f=[1.0], padding=1.5), TypeError, "padding"),
    (dict(f=[1.0], padding=((1, 2, 3), 0)), ValueError, "padding"),
    (dict(f=[1.0], padding=(1, 2, 3)), ValueError, "padding"),
    (dict(f=[1.0], padding=((0, "1"), 0)), TypeError, "padding"),
    (dict(f=[1.0, 1.0], padding=-3), ValueError, "padding"),
    (dict(f=np.ones((2, 2, 2))), ValueError, "f"),
    (dict(f=[]), ValueError, "f"),
    (dict(f=[True, False]), TypeError, "f"),
    (dict(f=["a"]), TypeError, "f"),
    (dict(f=[1.0, np.nan]), ValueError, "f"),
    (dict(f=np.ones(9000)), ValueError, "f"),
    (dict(f=[1.0], flip_filter=1), TypeError, "flip_filter"),
    (dict(f=[1.0], gain=np.inf), ValueError, "gain"),
    (dict(f=[1.0], gain="2"), TypeError, "gain"),
    (dict(f=np.ones(9)), ValueError, "taps"),
])
def test_bad_arguments_are_named_before_any_kernel(kwargs, error, name):
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(error, match=name):
        refpool.upfirdn(x, **kwargs)


def test_dask_wrapper_equals_in_memory():
    da = pytest.importorskip("dask.array")
    import refpool.dask as rd
    x = RNG.standard_normal((3, 4, 7, 6)).astype(np.float32)
    kw = dict(f=[1.0, 3.0, 3.0, 1.0], up=2, padding=((2, 1), (2, 1)), gain=4.0)
    y = rd.upfirdn(da.from_array(x, chunks=(2, 3, 4, 4)), **kw)
    assert y.chunks[:2] == ((2, 1), (3, 1))
    np.testing.assert_array_equal(y.compute(), refpool.upfirdn(x, **kw))
    with pytest.raises(ValueError, match="padding"):
        rd.upfirdn(da.from_array(x), [1.0], padding=(1, 2, 3))


def test_lowpass_filter_feeds_upfirdn():
    # StyleGAN3-style 2x upsampling with a 12-tap Kaiser low-pass: a constant stays
    # constant away from the borders (the polyphase components each sum to 1 / up)
    from refpool.kernels import lowpass_filter
    f = lowpass_filter(12, cutoff=0.5, width=0.5, fs=2)
    y = refpool.upfirdn(np.ones((1, 1, 16)), f, up=2, padding=((6, 5),), gain=2,
                        engine="cpu")
    np.testing.assert_allclose(y[0, 0, 12:-12], 1.0, atol=2e-3)


def test_overflowing_gain_is_refused():
    with pytest.raises(ValueError, match="gain"):
        refpool.upfirdn(np.zeros((1, 1, 4)), [1e300, 1.0], gain=1e10)
