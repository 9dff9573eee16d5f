"""pad_type="circular" of blur_pool, antialiased_avg_pool, antialiased_max_pool and
upfirdn: the input read as periodic.

The independent answer: ``np.pad(x, ..., mode="wrap")`` followed by the same
operator with no padding at all (its 'valid' form), which never reads beyond its
input, so the padding mode cannot matter there.  Shapes must equal the zero-padded
call's.  Circular shifts by the stride are then exact (the roll commutes), and
``refpool.equivariance.exact_shifts`` says so; with zero padding it must not.
"""

import numpy as np
import pytest

import refpool
from refpool.equivariance import exact_shifts
from refpool.kernels import gaussian_taps

ENGINES = ("reference", "cpu")
RNG = np.random.default_rng(1234)


def wrap(x, before, after):
    widths = [(0, 0), (0, 0)] + list(zip(before, after))
    return np.pad(x, widths, mode="wrap")


def close(got, want, dtype):
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# --------------------------------------------------------------------------- blur_pool
BLUR_CASES = [((2, 3, 9), 4, 2, 0), ((1, 2, 8, 7), 3, 2, 1), ((1, 1, 3), 7, 1, 2),
              ((1, 2, 4, 5, 6), 5, (1, 2, 3), 0), ((2, 1, 2, 2), 6, 2, 3)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,fs,stride,off", BLUR_CASES)
def test_blur_pool_is_wrap_padding_then_valid(shape, fs, stride, off, dtype, engine):
    x = RNG.standard_normal(shape).astype(dtype)
    k = len(shape) - 2
    before = [(fs - 1) // 2 + off] * k
    after = [fs // 2 + off] * k
    got = refpool.blur_pool(x, fs, stride, "circular", off, engine=engine)
    # the valid operator on the wrapped input: blur_pool's zero padding never reached,
    # cropped back to the filter's valid outputs (pad_off = 0 adds (fs-1)//2 + fs//2)
    padded = wrap(x, before, after)
    full = refpool.blur_pool(padded, fs, 1, "zero", 0, engine="reference")
    valid = full[(slice(None), slice(None)) + tuple(
        slice(b, m - a) for b, a, m in zip([(fs - 1) // 2] * k, [fs // 2] * k,
                                           full.shape[2:]))]
    s = (stride,) * k if np.isscalar(stride) else stride
    want = valid[(slice(None), slice(None)) + tuple(slice(None, None, si) for si in s)]
    zero = refpool.blur_pool(x, fs, stride, "zero", off, engine="reference")
    assert got.shape == zero.shape == want.shape
    close(got, want, dtype)


@pytest.mark.parametrize("engine", ENGINES)
def test_blur_pool_wider_than_the_input(engine):
    """Padding of several periods: each tap reads x[j mod n]."""
    x = RNG.standard_normal((1, 2, 3))
    fs, off = 9, 4
    got = refpool.blur_pool(x, fs, 1, "circular", off, engine=engine)
    taps = refpool.binomial_taps(fs)
    b = (fs - 1) // 2 + off
    want = np.zeros_like(got)
    for i in range(got.shape[-1]):
        for u in range(fs):
            want[..., i] += taps[u] * x[..., (i - b + u) % 3]
    close(got, want, np.float64)


# --------------------------------------------------------------------------- gaussian avg
AVG_CASES = [((2, 2, 10), 1.0, 2, None), ((1, 3, 8, 9), 0.7, (2, 3), None),
             ((1, 1, 5), 1.5, 1, 7), ((1, 2, 4, 4, 6), 0.6, 2, 1)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,sigma,stride,padding", AVG_CASES)
def test_antialiased_avg_pool_is_wrap_padding_then_valid(shape, sigma, stride, padding,
                                                         dtype, engine):
    x = RNG.standard_normal(shape).astype(dtype)
    k = len(shape) - 2
    fs = gaussian_taps(sigma, truncate=3).size
    p = (fs - 1) // 2 if padding is None else padding
    got = refpool.antialiased_avg_pool(x, sigma, stride, padding, pad_type="circular",
                                       engine=engine)
    want = refpool.antialiased_avg_pool(wrap(x, [p] * k, [p] * k), sigma, stride, 0,
                                        engine="reference")
    zero = refpool.antialiased_avg_pool(x, sigma, stride, padding, engine="reference")
    assert got.shape == zero.shape == want.shape
    close(got, want, dtype)


# --------------------------------------------------------------------------- max + blur
MAX_CASES = [((2, 2, 9), dict(kernel_size=2)),
             ((1, 2, 8, 9), dict(kernel_size=3, stride=2, padding=1)),
             ((1, 1, 11), dict(kernel_size=2, stride=3, dilation=2, sigma=1.0)),
             ((1, 2, 7, 6), dict(kernel_size=2, stride=2, blur_padding=4, ceil_mode=True)),
             ((1, 1, 4, 5, 6), dict(kernel_size=2, stride=(1, 2, 2)))]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kw", MAX_CASES)
def test_antialiased_max_pool_is_wrap_padding_then_valid(shape, kw, dtype, engine):
    """Wrap by p + q before (the first blur tap reads the dense position -q, whose max
    window starts at -q - p) and by what the last output reaches after; then the
    operator with no max padding and no blur padding."""
    x = RNG.standard_normal(shape).astype(dtype)
    k = len(shape) - 2
    got = refpool.antialiased_max_pool(x, pad_type="circular", engine=engine, **kw)
    zero = refpool.antialiased_max_pool(x, engine="reference", **kw)
    assert got.shape == zero.shape
    sigma = kw.get("sigma", 0.6)
    fs = gaussian_taps(sigma, truncate=4).size
    q = kw.get("blur_padding", (fs - 1) // 2)
    p = kw.get("padding", 0)
    kernel, dilation = kw["kernel_size"], kw.get("dilation", 1)
    stride = kw.get("stride", kernel)
    stride = (stride,) * k if np.isscalar(stride) else stride
    before = [p + q] * k
    after = [max(0, (o - 1) * s + fs - q - p + dilation * (kernel - 1) - n)
             for o, s, n in zip(got.shape[2:], stride, shape[2:])]
    padded = wrap(x, before, after)
    # no padding anywhere: the dense map of the wrapped input, blurred 'valid'
    want = refpool.antialiased_max_pool(padded, kernel, stride, 0, dilation, False, sigma, 0,
                                        engine="reference")
    want = want[(slice(None), slice(None)) + tuple(slice(0, o) for o in got.shape[2:])]
    close(got, want, dtype)


# --------------------------------------------------------------------------- upfirdn
UPFIRDN_CASES = [((1, 2, 7), [1.0, 3.0, 3.0, 1.0], 2, 1, ((2, 1),)),
                 ((2, 1, 8), [0.5, -0.25, 1.0], 1, 2, ((1, 1),)),
                 ((1, 1, 3), [1.0, 2.0, 0.5], 3, 1, ((7, 5),)),
                 ((1, 2, 5, 4), [[0.0, 1.0, 0.5], [1.0, -2.0, 0.25]], (1, 2), (2, 1),
                  ((-1, 2), (3, 0))),
                 ((1, 1, 3, 4, 3), [0.25, 0.5, 0.25], 2, 1, 1)]


def _pairs(padding, k):
    if np.isscalar(padding):
        return [(padding, padding)] * k
    return [tuple(p) if isinstance(p, tuple) else (p, p) for p in padding]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,f,up,down,padding", UPFIRDN_CASES)
def test_upfirdn_is_wrap_padding_then_valid(shape, f, up, down, padding, dtype, engine):
    """The periodic zero-inserted signal: insert zeros with upfirdn itself (a one-tap
    filter), wrap it with np.pad (cropping where a side is negative), then upfirdn with
    no up-sampling and no padding."""
    x = RNG.standard_normal(shape).astype(dtype)
    k = len(shape) - 2
    got = refpool.upfirdn(x, f, up, down, padding, pad_type="circular", engine=engine)
    zero = refpool.upfirdn(x, f, up, down, padding, engine="reference")
    assert got.shape == zero.shape
    z = refpool.upfirdn(x.astype(np.float64), [1.0], up, engine="reference")
    pairs = _pairs(padding, k)
    for axis, (b, a) in enumerate(pairs):
        m = z.shape[2 + axis]
        idx = np.arange(-b, m + a) % m        # np.pad(mode="wrap"), crops included
        z = np.take(z, idx, axis=2 + axis)
    want = refpool.upfirdn(z, f, 1, down, 0, engine="reference")
    want = want[(slice(None), slice(None)) + tuple(slice(0, o) for o in got.shape[2:])]
    close(got, want, dtype)


def test_upfirdn_circular_with_positive_padding_is_np_pad_wrap():
    x = RNG.standard_normal((1, 1, 6))
    f = np.array([0.25, 0.5, 0.25])
    got = refpool.upfirdn(x, f, 1, 1, 1, pad_type="circular", engine="reference")
    want = np.convolve(np.pad(x[0, 0], 1, mode="wrap"), f, mode="valid")
    close(got[0, 0], want, np.float64)


# --------------------------------------------------------------------------- shifts
@pytest.mark.parametrize("engine", ENGINES)
def test_circular_shifts_by_the_stride_are_exact(engine):
    """A roll by the stride rolls the output by one, bitwise (every output sums the
    same values in the same order); exact_shifts says so, and that zero padding has
    only the trivial shift."""
    x = RNG.standard_normal((1, 2, 12, 8)).astype(np.float32)
    calls = [(refpool.blur_pool, dict(filt_size=4, stride=2, pad_type="circular")),
             (refpool.antialiased_avg_pool, dict(sigma=1.0, stride=2, pad_type="circular")),
             (refpool.antialiased_max_pool, dict(kernel_size=2, pad_type="circular")),
             (refpool.upfirdn, dict(f=[1.0, 3.0, 3.0, 1.0], down=2, padding=1,
                                    pad_type="circular"))]
    for op, kw in calls:
        shifts = exact_shifts(op, x.shape, **kw)
        assert [(s.step, s.output_step) for s in shifts] == [(2, 1), (2, 1)], op
        y = op(x, engine=engine, **kw)
        for axis in (2, 3):
            for t in (2, 4, -6):
                rolled = op(np.roll(x, t, axis=axis), engine=engine, **kw)
                np.testing.assert_array_equal(rolled, np.roll(y, t // 2, axis=axis))
        zero = dict(kw, pad_type="zero")
        assert all(s.step == s.length for s in exact_shifts(op, x.shape, **zero)), op
        # and the claim is tight on this input: a roll by one is not exact
        one = op(np.roll(x, 1, axis=3), engine=engine, **kw)
        assert not any(np.array_equal(one, np.roll(y, c, axis=3)) for c in range(4))


def test_exact_shifts_of_upsampling():
    """upfirdn up=2 keeps the size ratio: a roll by 1 moves the output by 2."""
    shifts = exact_shifts("upfirdn", (1, 1, 10), f=[1.0, 3.0, 3.0, 1.0], up=2,
                          padding=((2, 1),), pad_type="circular")
    assert [(s.step, s.output_step) for s in shifts] == [(1, 2)]
    x = RNG.standard_normal((1, 1, 10))
    kw = dict(f=[1.0, 3.0, 3.0, 1.0], up=2, padding=((2, 1),), pad_type="circular")
    y = refpool.upfirdn(x, engine="cpu", **kw)
    np.testing.assert_array_equal(refpool.upfirdn(np.roll(x, 3, -1), engine="cpu", **kw),
                                  np.roll(y, 6, -1))


def test_grid_symmetries_with_circular_padding():
    """The mirror image of a periodic input is periodic: exact_symmetries' claims for
    circular padding hold (checked on the reference engine, up to rounding): all of D4
    when the output centres 0, 2, .. are symmetric about the middle (n odd), only the
    transposes otherwise."""
    from refpool.groups import dihedral
    group = dihedral(4)
    ft = refpool.FieldType(group, [group.trivial_representation])
    kw = dict(filt_size=3, stride=2, pad_type="circular")
    for n, count in ((7, 8), (8, 2)):
        x = RNG.standard_normal((1, 1, n, n))
        held = refpool.exact_symmetries(refpool.blur_pool, x.shape, **kw)
        assert len(held) == count
        y = refpool.blur_pool(x, engine="reference", **kw)
        for g in group.elements:
            moved = refpool.blur_pool(ft.transform(x, g), engine="reference", **kw)
            same = np.allclose(moved, ft.transform(y, g), atol=1e-12)
            assert same == (g in held), (n, g)


@pytest.mark.parametrize("op,shape,kw", [
    (refpool.blur_pool, (1, 1, 6, 6), dict(filt_size=4, stride=2)),
    (refpool.blur_pool, (1, 1, 5, 5), dict(filt_size=2, stride=1, pad_off=1)),
    (refpool.blur_pool, (1, 1, 9, 9), dict(filt_size=5, stride=3)),
    (refpool.blur_pool, (1, 1, 6, 7), dict(filt_size=3, stride=(2, 1))),
    (refpool.antialiased_avg_pool, (1, 1, 8, 8), dict(sigma=1.0, stride=2, padding=1)),
    (refpool.antialiased_avg_pool, (1, 1, 7, 7), dict(sigma=0.6, stride=3)),
    (refpool.antialiased_max_pool, (1, 1, 7, 7), dict(kernel_size=2, stride=2)),
    (refpool.antialiased_max_pool, (1, 1, 9, 9), dict(kernel_size=3, stride=2, padding=1)),
    (refpool.upfirdn, (1, 1, 6, 6), dict(f=[1.0, 3.0, 3.0, 1.0], up=2,
                                         padding=((2, 1), (2, 1)))),
])
def test_exact_symmetries_hold_with_circular_padding(op, shape, kw):
    """Every claimed grid symmetry holds on a random input (and for the per-axis rules
    of the pools, the claim is tight: no other element holds)."""
    from refpool.groups import dihedral
    group = dihedral(4)
    ft = refpool.FieldType(group, [group.trivial_representation])
    kw = dict(kw, pad_type="circular")
    x = RNG.standard_normal(shape)
    held = refpool.exact_symmetries(op, x.shape, **kw)
    y = op(x, engine="reference", **kw)
    for g in group.elements:
        moved = op(ft.transform(x, g), engine="reference", **kw)
        same = moved.shape == ft.transform(y, g).shape and np.allclose(
            moved, ft.transform(y, g), atol=1e-12)
        if g in held:
            assert same, g
        elif op is not refpool.upfirdn:       # upfirdn's rule is conservative
            assert not same, g


def test_bad_pad_type_names_the_argument():
    x = np.zeros((1, 1, 8))
    for call in (lambda: refpool.antialiased_avg_pool(x, 1.0, 2, pad_type="reflect"),
                 lambda: refpool.antialiased_max_pool(x, 2, pad_type="wrap"),
                 lambda: refpool.upfirdn(x, [1.0], pad_type="periodic"),
                 lambda: refpool.blur_pool(x, pad_type="Circular")):
        with pytest.raises(ValueError, match="pad_type"):
            call()
    with pytest.raises(TypeError, match="pad_type"):
        refpool.upfirdn(x, [1.0], pad_type=0)


@pytest.mark.cuda
def test_cuda_engine_on_tiny_inputs():
    x = RNG.standard_normal((1, 2, 5, 4)).astype(np.float32)
    calls = [(refpool.blur_pool, dict(filt_size=4, stride=2, pad_type="circular")),
             (refpool.antialiased_avg_pool, dict(sigma=1.0, stride=2, pad_type="circular")),
             (refpool.antialiased_max_pool, dict(kernel_size=2, padding=1,
                                                 pad_type="circular")),
             (refpool.upfirdn, dict(f=[1.0, 3.0, 3.0, 1.0], up=2, padding=((2, 1), (2, 1)),
                                    pad_type="circular"))]
    for op, kw in calls:
        close(op(x, engine="cuda", **kw), op(x, engine="reference", **kw), np.float32)


@pytest.mark.differential
def test_cpu_matches_the_reference_differential():
    x = RNG.standard_normal((1, 2, 6, 7))
    for op, kw in [(refpool.blur_pool, dict(filt_size=5, stride=2, pad_type="circular")),
                   (refpool.antialiased_max_pool, dict(kernel_size=3, stride=2, padding=1,
                                                       pad_type="circular")),
                   (refpool.upfirdn, dict(f=[0.5, 1.0, -0.25], up=2, down=3, padding=4,
                                          pad_type="circular"))]:
        close(op(x, engine="cpu", **kw), op(x, engine="reference", **kw), np.float64)


def test_dask_wrappers_take_circular_padding():
    da = pytest.importorskip("dask.array")
    import refpool.dask as rd
    x = RNG.standard_normal((2, 2, 8, 9))
    X = da.from_array(x, chunks=(1, 1, 3, 4))
    for name, kw in [("blur_pool", dict(filt_size=3, stride=2, pad_type="circular")),
                     ("antialiased_avg_pool", dict(sigma=1.0, stride=2, pad_type="circular")),
                     ("antialiased_max_pool", dict(kernel_size=2, pad_type="circular")),
                     ("upfirdn", dict(f=[1.0, 2.0, 1.0], down=2, padding=1,
                                      pad_type="circular"))]:
        got = getattr(rd, name)(X, engine="cpu", **kw).compute()
        np.testing.assert_array_equal(got, getattr(refpool, name)(x, engine="cpu", **kw))
