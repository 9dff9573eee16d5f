"""fractional_max_pool and the global pools against independent answers.

* torch 2.13 (CPU): ``F.fractional_max_pool2d/3d(..., _random_samples=samples)`` bitwise,
  values and indices, float16, float32 and float64; 1-D as torch's 2-D operator on a
  unit height; the global pools against ``adaptive_*_pool(x, 1)`` and ``lp_pool`` over
  the whole input.
* Closed forms: the interval rule evaluated with Python floats (float64) and with
  NumPy float32 scalars one operation at a time; a NumPy max/argmax over each window.
* The three engines against each other (CUDA on Numba's simulator), on NaN, infinities
  and signed zeros, integers and float16.
* The exactness rule: ``exact_symmetries`` equals the symmetries measured by running
  the operator on every one-hot input.
"""

import itertools

import numpy as np
import pytest

import refpool
from refpool import FieldType, _geometry
from refpool.equivariance import exact_symmetries, grid_group

torch = pytest.importorskip("torch")
F = torch.nn.functional

FLOATS = (np.float32, np.float64)


# --------------------------------------------------------------------------- helpers
def _bits(a):
    a = np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])
    return a


def assert_bitwise(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(_bits(actual), _bits(expected))


def _samples(rng, shape, dtype, ends=0.3):
    """Random samples of ``shape`` in ``dtype`` with 0 and the largest value below 1
    mixed in (where the rounding of the interval rule shows)."""
    u = rng.random(shape).astype(dtype)
    top = np.nextafter(np.array(1, dtype), np.array(0, dtype))
    pick = rng.random(shape) < ends
    u[pick] = rng.choice(np.array([0.0, top], dtype), int(pick.sum()))
    return u


def _input(rng, shape, dtype, specials=True):
    """Standard-normal values, with NaN (two payloads) and infinities: no zeros, where
    torch's selection (first zero) and refpool's (+0 above -0) differ by design."""
    x = rng.standard_normal(shape).astype(dtype)
    if specials and x.size:
        flat = x.reshape(-1)
        picks = rng.random(flat.size) < 0.1
        flat[picks] = rng.choice(np.array([np.nan, -np.nan, np.inf, -np.inf], dtype),
                                 int(picks.sum()))
    return x


def _torch(x, k, o, samples, nd):
    fn = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d
    y, i = fn(torch.from_numpy(x), k, output_size=o, return_indices=True,
              _random_samples=torch.from_numpy(samples))
    return y.numpy(), i.numpy()


def _draw_call(rng, nd, strict=False):
    """Random lengths, kernels and output lengths with o + k - 1 <= n (< n: strict)."""
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    n = tuple(int(ki + rng.integers(1 if strict else 0, 10 if nd < 3 else 5)) for ki in k)
    o = tuple(int(rng.integers(1, ni - ki + (1 if strict else 2))) for ni, ki in zip(n, k))
    return n, k, o


# --------------------------------------------------------------------------- the rule
def _python_starts(u, n, o, k):
    """The interval rule in Python floats (float64), one operation at a time."""
    if o == 1:
        return [n - k]
    alpha = float(n - k) / float(o - 1)
    return [int((i + u) * alpha) - int(u * alpha) for i in range(o - 1)] + [n - k]


def _float32_starts(u, n, o, k):
    """The interval rule in NumPy float32 scalars, one operation at a time."""
    f = np.float32
    if o == 1:
        return [n - k]
    alpha = f(n - k) / f(o - 1)
    return [int(f(f(i) + f(u)) * alpha) - int(f(u) * alpha) for i in range(o - 1)] + [n - k]


def test_interval_rule_equals_scalar_closed_forms():
    rng = np.random.default_rng(0)
    for _ in range(400):
        k = int(rng.integers(1, 6))
        n = k + int(rng.integers(0, 60))
        o = int(rng.integers(1, n - k + 2))
        u64 = _samples(rng, (6,), np.float64, ends=0.4)
        u32 = _samples(rng, (6,), np.float32, ends=0.4)
        got64 = _geometry.fractional_starts(u64, n, o, k)
        got32 = _geometry.fractional_starts(u32, n, o, k)
        for j in range(6):
            assert got64[j].tolist() == _python_starts(float(u64[j]), n, o, k)
            assert got32[j].tolist() == _float32_starts(u32[j], n, o, k)
            assert got32[j].min() >= 0 and got32[j].max() == n - k


def test_float32_rounding_next_to_one_matches_torch():
    """n = 6, k = 2, o = 3, u = 1 - 2**-24: 1 + u rounds to 2 in float32, so the
    second window starts at 3; float64 (and exact arithmetic) start it at 2."""
    x = np.arange(6 * 2, dtype=np.float64).reshape(1, 1, 2, 6)
    for dtype, starts in ((np.float32, [0, 3, 4]), (np.float64, [0, 2, 4])):
        u = np.float32(1) - np.float32(2.0 ** -24)
        samples = np.array([[[u, 0.0]]], dtype=dtype)
        assert _geometry.fractional_starts(samples[0, 0, :1], 6, 3, 2)[0].tolist() == starts
        xd = x.astype(dtype)
        y, idx = refpool.fractional_max_pool(xd, (2, 2), (1, 3), samples=samples,
                                             return_indices=True, engine="reference")
        assert (idx[0, 0, 0] % 6 - 1).tolist() == starts          # the last column wins
        ty, ti = _torch(xd, (2, 2), (1, 3), samples, 2)
        assert_bitwise(y, ty)
        assert_bitwise(idx, ti)


@pytest.mark.parametrize("nd", [2, 3])
def test_sample_components_drive_torchs_axes(nd):
    """2-D: samples[..., 0] drives the width; 3-D: samples[..., b] drives axis b."""
    spatial = (13, 17) if nd == 2 else (11, 13, 17)
    k, o = (2,) * nd, (5, 6) if nd == 2 else (4, 5, 6)
    x = np.arange(np.prod(spatial), dtype=np.float64).reshape((1, 1) + spatial)
    samples = np.array([[[0.15, 0.55, 0.95][:nd]]])
    _, idx = refpool.fractional_max_pool(x, k, o, samples=samples, return_indices=True)
    coords = np.unravel_index(idx[0, 0], spatial)
    for b in range(nd):
        component = (1 - b) if nd == 2 else b
        starts = _python_starts(float(samples[0, 0, component]), spatial[b], o[b], k[b])
        got = np.moveaxis(coords[b], b, 0).reshape(o[b], -1)[:, 0] - (k[b] - 1)
        assert got.tolist() == starts, (b, component)
    assert_bitwise(idx, _torch(x, k, o, samples, nd)[1])


# --------------------------------------------------------------------------- torch
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("nd", [2, 3])
def test_bitwise_torch(nd, dtype):
    rng = np.random.default_rng(nd * 10 + (dtype == np.float64))
    for trial in range(40):
        n, k, o = _draw_call(rng, nd, strict=nd == 3)
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4))) + n
        x = _input(rng, shape, dtype)
        samples = _samples(rng, shape[:2] + (nd,), dtype)
        engine = ("reference", "cpu")[trial % 2]
        y, idx = refpool.fractional_max_pool(x, k, o, samples=samples, return_indices=True,
                                             engine=engine)
        ty, ti = _torch(x, k, o, samples, nd)
        assert_bitwise(y, ty)
        assert_bitwise(idx, ti)
        assert_bitwise(refpool.fractional_max_pool(x, k, o, samples=samples, engine=engine),
                       ty)


def test_bitwise_torch_float16():
    rng = np.random.default_rng(5)
    for nd in (2, 3):
        for _ in range(10):
            n, k, o = _draw_call(rng, nd, strict=nd == 3)
            x = _input(rng, (2, 2) + n, np.float16)
            samples = _samples(rng, (2, 2, nd), np.float16)
            y, idx = refpool.fractional_max_pool(x, k, o, samples=samples,
                                                 return_indices=True)
            ty, ti = _torch(x, k, o, samples, nd)
            assert_bitwise(y, ty)
            assert_bitwise(idx, ti)


@pytest.mark.parametrize("dtype", FLOATS)
def test_one_dimension_is_torchs_2d_operator_on_a_unit_height(dtype):
    rng = np.random.default_rng(7)
    for _ in range(30):
        (n,), (k,), (o,) = _draw_call(rng, 1)
        x = _input(rng, (2, 3, n), dtype)
        samples = _samples(rng, (2, 3, 1), dtype)
        y, idx = refpool.fractional_max_pool(x, k, o, samples=samples, return_indices=True)
        padded = np.concatenate([samples, np.zeros_like(samples)], axis=-1)
        ty, ti = _torch(x[:, :, None], (1, k), (1, o), padded, 2)
        assert_bitwise(y, ty[:, :, 0])
        assert_bitwise(idx, ti[:, :, 0])


def test_output_ratio_is_torchs_int_of_n_times_ratio():
    rng = np.random.default_rng(8)
    x = _input(rng, (2, 3, 13, 11), np.float32)
    samples = _samples(rng, (2, 3, 2), np.float32)
    for ratio in (0.5, (0.7, 0.3), 2 / 3, (0.25, 0.9)):
        y, idx = refpool.fractional_max_pool(x, 2, output_ratio=ratio, samples=samples,
                                             return_indices=True)
        r = ratio if isinstance(ratio, tuple) else (ratio, ratio)
        assert y.shape[2:] == (int(13 * r[0]), int(11 * r[1]))
        # (torch 2.13's functional form takes len() of the ratio: a tuple only)
        ty, ti = F.fractional_max_pool2d(torch.from_numpy(x), 2, output_ratio=r,
                                         return_indices=True,
                                         _random_samples=torch.from_numpy(samples))
        assert_bitwise(y, ty.numpy())
        assert_bitwise(idx, ti.numpy())


def test_windows_advancing_by_one_are_allowed_on_every_rank():
    """o + k - 1 = n: torch's 2-D operator allows it, its 3-D operator refuses it
    (a strict check); refpool allows it, and the windows are then a stride-1 max pool."""
    rng = np.random.default_rng(9)
    x = _input(rng, (1, 2, 5, 6, 7), np.float64)
    # (samples next to 1 would not do: 1 + u rounds to 2, a start moves by one)
    samples = _samples(rng, (1, 2, 3), np.float64, ends=0.0)
    y = refpool.fractional_max_pool(x, 2, (4, 5, 6), samples=samples)
    assert_bitwise(y, refpool.max_pool(x, 2, stride=1))
    with pytest.raises(RuntimeError, match="too large"):
        F.fractional_max_pool3d(torch.from_numpy(x), 2, output_size=(4, 5, 6),
                                _random_samples=torch.from_numpy(samples))


def test_window_maxima_equal_a_numpy_closed_form():
    """Every output is np.max over its window (NaN-free, tie-free input), its index the
    argmax; the windows from the scalar rule."""
    rng = np.random.default_rng(10)
    for nd in (1, 2, 3):
        for _ in range(5):
            n, k, o = _draw_call(rng, nd)
            x = rng.permutation(2 * 3 * int(np.prod(n))).astype(np.float64)
            x = x.reshape((2, 3) + n)
            samples = _samples(rng, (2, 3, nd), np.float64)
            y, idx = refpool.fractional_max_pool(x, k, o, samples=samples,
                                                 return_indices=True, engine="cpu")
            comp = _geometry.FRACTIONAL_SAMPLE_AXIS[nd]
            for p, c in itertools.product(range(2), range(3)):
                starts = [_python_starts(float(samples[p, c, comp[b]]), n[b], o[b], k[b])
                          for b in range(nd)]
                for i in itertools.product(*(range(m) for m in o)):
                    window = tuple(slice(starts[b][i[b]], starts[b][i[b]] + k[b])
                                   for b in range(nd))
                    block = x[(p, c) + window]
                    assert y[(p, c) + i] == block.max()
                    q = np.unravel_index(np.argmax(block), block.shape)
                    flat = np.ravel_multi_index(tuple(starts[b][i[b]] + q[b]
                                                      for b in range(nd)), n)
                    assert idx[(p, c) + i] == flat


# --------------------------------------------------------------------------- engines
def _engines_agree(x, kw, engines=("cpu", "cuda")):
    expected = refpool.fractional_max_pool(x, **kw, return_indices=True, engine="reference")
    for engine in engines:
        got = refpool.fractional_max_pool(x, **kw, return_indices=True, engine=engine)
        assert_bitwise(got[0], expected[0])
        assert_bitwise(got[1], expected[1])
        assert_bitwise(refpool.fractional_max_pool(x, **kw, engine=engine), expected[0])
    return expected


def _special_input(rng, shape, dtype):
    """Ties, signed zeros, NaN with payloads and infinities."""
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0], dtype)
    x = rng.choice(specials, shape)
    payload = np.array(0x7FC00001 if dtype == np.float32 else 0x7FF8000000000001,
                       np.uint32 if dtype == np.float32 else np.uint64).view(dtype)
    x.reshape(-1)[::7] = payload
    return x


@pytest.mark.differential
@pytest.mark.parametrize("dtype", FLOATS)
def test_cpu_engine_matches_the_reference_on_specials(dtype):
    rng = np.random.default_rng(11)
    for nd in (1, 2, 3):
        for _ in range(6):
            n, k, o = _draw_call(rng, nd)
            x = _special_input(rng, (2, 2) + n, dtype)
            samples = _samples(rng, (2, 2, nd), dtype)
            _engines_agree(x, dict(kernel_size=k, output_size=o, samples=samples), ("cpu",))


@pytest.mark.cuda
def test_cuda_engine_matches_the_reference():
    rng = np.random.default_rng(12)
    for nd in (1, 2, 3):
        for dtype in FLOATS:
            n, k, o = _draw_call(rng, nd)
            n = tuple(min(v, kv + 4) for v, kv in zip(n, k))          # tiny: the simulator
            o = tuple(min(v, m - kv + 1) for v, m, kv in zip(o, n, k))
            x = _special_input(rng, (1, 2) + n, dtype)
            samples = _samples(rng, (1, 2, nd), dtype)
            _engines_agree(x, dict(kernel_size=k, output_size=o, samples=samples),
                           ("cuda",))


@pytest.mark.cuda
def test_cuda_arrays_in_cuda_arrays_out():
    from numba import cuda
    rng = np.random.default_rng(13)
    x = _input(rng, (1, 2, 6, 7), np.float32)
    samples = _samples(rng, (1, 2, 2), np.float32)
    expected = refpool.fractional_max_pool(x, 2, (3, 4), samples=samples, engine="reference")
    got = refpool.fractional_max_pool(cuda.to_device(x), 2, (3, 4),
                                      samples=cuda.to_device(samples))
    assert hasattr(got, "copy_to_host")
    assert_bitwise(got.copy_to_host(), expected)
    g = refpool.global_max_pool(cuda.to_device(x), return_indices=True)
    assert_bitwise(g[1].copy_to_host(), refpool.global_max_pool(x, return_indices=True)[1])


def test_selection_rule_of_max_pool():
    """The last NaN; +0 above -0 (and the index of the first +0); a window of -inf
    selects its first element; ties go to the first maximum."""
    samples = np.zeros((1, 1, 1))
    cases = [([1.0, np.nan, 2.0, np.nan], 3), ([-0.0, 0.0, -0.0, 0.0], 1),
             ([-np.inf] * 4, 0), ([2.0, 5.0, 5.0, 1.0], 1), ([0.0, -0.0, -1.0, -0.0], 0)]
    for values, index in cases:
        x = np.array([[values]], dtype=np.float32)
        for engine in ("reference", "cpu"):
            y, idx = refpool.fractional_max_pool(x, 4, 1, samples=samples,
                                                 return_indices=True, engine=engine)
            assert idx.item() == index
            assert_bitwise(y[0, 0], x[0, 0, index:index + 1])


def test_integers_and_float16_select_the_same_elements():
    rng = np.random.default_rng(14)
    x = rng.integers(-40, 40, (2, 3, 9, 8)).astype(np.int16)
    samples = _samples(rng, (2, 3, 2), np.float32)
    y, idx = refpool.fractional_max_pool(x, (3, 2), (4, 5), samples=samples,
                                         return_indices=True)
    assert y.dtype == np.int16
    ref = refpool.fractional_max_pool(x.astype(np.float64), (3, 2), (4, 5), samples=samples,
                                      return_indices=True, engine="reference")
    assert_bitwise(y, ref[0].astype(np.int16))
    assert_bitwise(idx, ref[1])
    half = rng.standard_normal((2, 3, 9, 8)).astype(np.float16)
    y16 = refpool.fractional_max_pool(half, (3, 2), (4, 5), samples=samples)
    assert_bitwise(y16, refpool.fractional_max_pool(half.astype(np.float32), (3, 2), (4, 5),
                                                    samples=samples).astype(np.float16))


def test_the_windows_follow_the_samples_dtype_not_xs():
    rng = np.random.default_rng(15)
    x = _input(rng, (1, 1, 6, 6), np.float64, specials=False)
    top32 = np.float32(1) - np.float32(2.0 ** -24)
    s32 = np.array([[[top32, top32]]], np.float32)
    a = refpool.fractional_max_pool(x, 2, 3, samples=s32, return_indices=True)[1]
    b = refpool.fractional_max_pool(x, 2, 3, samples=s32.astype(np.float64),
                                    return_indices=True)[1]
    c = refpool.fractional_max_pool(x.astype(np.float32), 2, 3, samples=s32,
                                    return_indices=True)[1]
    assert_bitwise(a, c)
    assert not np.array_equal(a, b)        # float32 starts [0, 3, 4], float64 [0, 2, 4]


# --------------------------------------------------------------------------- arguments
def _refused(monkeypatch, exc, match, *args, **kwargs):
    from refpool._dispatch import Launch
    ran = []
    monkeypatch.setattr(Launch, "run", lambda self, *a: ran.append(a))
    with pytest.raises(exc, match=match):
        refpool.fractional_max_pool(*args, **kwargs)
    assert not ran


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(samples=np.full((2, 3, 2), 1.0)), ValueError, r"samples must lie in \[0, 1\)"),
    (dict(samples=np.full((2, 3, 2), -0.25)), ValueError, "samples must lie"),
    (dict(samples=np.full((2, 3, 2), np.nan)), ValueError, "samples must lie"),
    (dict(samples=np.zeros((2, 3, 2), np.int64)), TypeError, "samples must have dtype"),
    (dict(samples=np.zeros((2, 3), np.float32)), ValueError, "samples must have 2 entries"),
    (dict(samples=np.zeros((1, 3, 2))), ValueError, r"samples must have the shape"),
    (dict(samples=np.zeros((3, 2, 2))), ValueError, r"samples must have the shape"),
    (dict(samples=[[[0.5, 0.5]] * 3] * 2), TypeError, "samples must be an array"),
    (dict(), ValueError, "samples is required"),
    (dict(samples=np.zeros((2, 3, 2)), generator=np.random.default_rng(0)), ValueError,
     "not both"),
    (dict(generator=0), TypeError, "generator must be a numpy.random.Generator"),
    (dict(output_ratio=0.5), ValueError, "output_size or output_ratio, not both"),
])
def test_bad_arguments_are_refused_before_any_kernel(monkeypatch, kwargs, exc, match):
    x = np.zeros((2, 3, 9, 8), np.float32)
    _refused(monkeypatch, exc, match, x, 2, **dict(dict(output_size=4), **kwargs))


@pytest.mark.parametrize("args, kwargs, exc, match", [
    ((2,), dict(), ValueError, "needs output_size or output_ratio"),
    ((2, (9, 4)), dict(), ValueError, r"output_size=\(9, 4\) with kernel_size.*o \+ k - 1"),
    ((10, 1), dict(), ValueError, "kernel_size .* is larger than the input"),
    ((2,), dict(output_ratio=1.0), ValueError, r"output_ratio must lie in the open"),
    ((2,), dict(output_ratio=(0.5, 0.0)), ValueError, "output_ratio must lie"),
    ((2,), dict(output_ratio=0.1), ValueError, "output_ratio=0.1 gives an empty output"),
    ((2,), dict(output_ratio="0.5"), TypeError, "output_ratio must contain real numbers"),
    ((2,), dict(output_ratio=(0.5,)), ValueError, "output_ratio must be a number or a tuple"),
    ((0, 3), dict(), ValueError, "kernel_size must be >= 1"),
    ((2, 3), dict(return_indices=1), TypeError, "return_indices must be a bool"),
])
def test_bad_geometry_is_refused_before_any_kernel(monkeypatch, args, kwargs, exc, match):
    x = np.zeros((2, 3, 9, 8), np.float32)
    kwargs = dict(samples=np.zeros((2, 3, 2), np.float32), **kwargs)
    _refused(monkeypatch, exc, match, x, *args, **kwargs)


def test_float16_samples_too_coarse_for_the_lengths_are_refused():
    # n = 2057, k = 2, o = 2054: float16 rounds i + u up past o - 1, a start to 2056
    x = np.zeros((1, 1, 2057), np.float32)
    samples = np.full((1, 1, 1), 0.5, np.float16)
    with pytest.raises(ValueError, match="samples: the interval rule computed in float16"):
        refpool.fractional_max_pool(x, 2, 2054, samples=samples)
    y = refpool.fractional_max_pool(x, 2, 2054, samples=samples.astype(np.float32))
    assert y.shape == (1, 1, 2054)


def test_inputs_and_samples_are_not_modified():
    rng = np.random.default_rng(16)
    x = _input(rng, (2, 3, 9, 8), np.float32)
    samples = _samples(rng, (2, 3, 2), np.float32)
    x0, s0 = x.copy(), samples.copy()
    x.flags.writeable = samples.flags.writeable = False
    refpool.fractional_max_pool(x, 2, 4, samples=samples, return_indices=True)
    refpool.fractional_max_pool(x, 2, 4, samples=samples, engine="reference")
    assert_bitwise(x, x0)
    assert_bitwise(samples, s0)


# --------------------------------------------------------------------------- layouts, generator
def test_samples_in_the_callers_layout():
    rng = np.random.default_rng(17)
    x = _input(rng, (2, 3, 9, 8), np.float64)
    samples = _samples(rng, (2, 3, 2), np.float64)
    expected = refpool.fractional_max_pool(x, 2, 4, samples=samples, return_indices=True)
    # (*batch, C, H, W) with ndim=2: samples (*batch, C, 2) or (N, C, 2)
    x4 = x.reshape(2, 1, 3, 9, 8)
    for s in (samples.reshape(2, 1, 3, 2), samples):
        got = refpool.fractional_max_pool(x4, 2, 4, samples=s, return_indices=True, ndim=2)
        assert_bitwise(got[0].reshape(expected[0].shape), expected[0])
        assert_bitwise(got[1].reshape(expected[1].shape), expected[1])
    # (C, H, W): samples (C, 2); (H, W): samples (2,)
    got = refpool.fractional_max_pool(x[1], 2, 4, samples=samples[1], ndim=2)
    assert_bitwise(got, expected[0][1])
    got = refpool.fractional_max_pool(x[1, 2], 2, 4, samples=samples[1, 2], ndim=2)
    assert_bitwise(got, expected[0][1, 2])
    # channels last: samples stay (N, C, 2)
    moved = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    got = refpool.fractional_max_pool(moved, 2, 4, samples=samples, channels_last=True)
    assert_bitwise(got, np.moveaxis(expected[0], 1, -1))


def test_generator_draws_float64_samples_in_n_c_order():
    rng = np.random.default_rng(18)
    x = _input(rng, (2, 3, 9, 8), np.float32)
    got = refpool.fractional_max_pool(x, 2, output_ratio=0.5,
                                      generator=np.random.default_rng(42))
    samples = np.random.default_rng(42).random((2, 3, 2))
    assert_bitwise(got, refpool.fractional_max_pool(x, 2, output_ratio=0.5, samples=samples))


def test_out_and_torch_tensor_samples():
    rng = np.random.default_rng(19)
    x = _input(rng, (2, 3, 9, 8), np.float32)
    samples = _samples(rng, (2, 3, 2), np.float32)
    out = (np.empty((2, 3, 4, 4), np.float32), np.empty((2, 3, 4, 4), np.int64))
    got = refpool.fractional_max_pool(x, 2, 4, samples=torch.from_numpy(samples),
                                      return_indices=True, out=out)
    assert got[0] is out[0] and got[1] is out[1]
    assert_bitwise(out[1], _torch(x, 2, 4, samples, 2)[1])


# --------------------------------------------------------------------------- exactness
def _measured(spatial, kw, samples):
    """Elements g with op(T_g x) == T_g op(x) for every one-hot x and every plane's
    samples: the window structure itself, read off the operator."""
    nd = len(spatial)
    group = grid_group(nd)
    ft = FieldType(group, [group.trivial_representation])
    size = int(np.prod(spatial))
    basis = np.eye(size).reshape((size, 1) + tuple(spatial))
    holding = []
    for g in group.elements:
        ok = True
        moved = ft.transform(basis, g)
        for row in samples.reshape(-1, nd):
            tiled = np.broadcast_to(row, (size, 1, nd))
            try:
                lhs = refpool.fractional_max_pool(moved, **kw, samples=tiled,
                                                  engine="reference")
            except ValueError:            # the arguments do not fit the moved input
                ok = False
                break
            rhs = ft.transform(refpool.fractional_max_pool(basis, **kw, samples=tiled,
                                                           engine="reference"), g)
            if lhs.shape != rhs.shape or not np.array_equal(lhs, rhs):
                ok = False
                break
        if ok:
            holding.append(g)
    return holding


def _exactness_calls():
    rng = np.random.default_rng(20)
    calls = []
    for nd in (1, 2, 2, 2, 3):
        for _ in range(8 if nd < 3 else 4):
            side = int(rng.integers(3, 9 if nd < 3 else 5))
            square = rng.random() < 0.6
            spatial = tuple([side] * nd) if square else tuple(
                int(v) for v in rng.integers(2, 9 if nd < 3 else 5, nd))
            k = int(rng.integers(1, min(spatial) + 1))
            kind = rng.integers(4)
            if kind == 0:        # (o - 1) divides (n - k): windows independent of u
                o = []
                for n in spatial:
                    divisors = [d for d in range(1, n - k + 1) if (n - k) % d == 0] or [1]
                    o.append(1 + (n - k) // int(rng.choice(divisors)) if n > k else 1)
            else:
                o = [int(rng.integers(1, n - k + 2)) for n in spatial]
            dtype = (np.float32, np.float64)[int(rng.integers(2))]
            samples = _samples(rng, (1, 2, nd), dtype, ends=0.3)
            if kind == 3:        # equal components: transposes may hold
                samples[..., :] = samples[..., :1]
            calls.append((tuple(spatial), dict(kernel_size=k, output_size=tuple(o)), samples))
    # the float32 rounding next to 1 breaks the u-independence of alpha = 2
    top = np.float32(1) - np.float32(2.0 ** -24)
    calls.append(((6,), dict(kernel_size=2, output_size=3),
                  np.array([[[top]]], np.float32)))
    calls.append(((6,), dict(kernel_size=2, output_size=3),
                  np.array([[[top]]], np.float64)))
    return calls


def test_exact_symmetries_equal_the_measured_ones():
    seen_some, seen_all, seen_partial = 0, 0, 0
    for spatial, kw, samples in _exactness_calls():
        predicted = exact_symmetries("fractional_max_pool", (1, 2) + spatial, **kw,
                                     samples=samples)
        measured = _measured(spatial, kw, samples)
        assert set(predicted) == set(measured), (spatial, kw, samples.tolist())
        total = len(grid_group(len(spatial)).elements)
        seen_all += len(predicted) == total
        seen_partial += 1 < len(predicted) < total
        seen_some += len(predicted) == 1
    assert seen_all and seen_partial and seen_some      # the sweep is not vacuous


def test_documented_exactness_cases():
    # o - 1 divides n - k: every sample (not next to 1) gives the windows i * alpha
    for u in (0.0, 0.3, 0.9):
        held = exact_symmetries("fractional_max_pool", (1, 1, 9), kernel_size=3,
                                output_size=4, samples=np.array([[[u]]]))
        assert len(held) == 2
    # ... but float32 rounding of 1 + u next to 1 breaks the mirror symmetry
    top = np.array([[[np.float32(1) - np.float32(2.0 ** -24)]]], np.float32)
    assert len(exact_symmetries("fractional_max_pool", (1, 1, 6), kernel_size=2,
                                output_size=3, samples=top)) == 1
    assert len(exact_symmetries("fractional_max_pool", (1, 1, 6), kernel_size=2,
                                output_size=3, samples=top.astype(np.float64))) == 2
    # ... and so does float32 rounding of i + u on a long axis, u one ulp below 0.5
    u = np.array([[[np.nextafter(np.float32(0.5), np.float32(0))]]], np.float32)
    assert len(exact_symmetries("fractional_max_pool", (1, 1, 4000), kernel_size=2,
                                output_size=2000, samples=u)) == 1
    x = np.random.default_rng(26).permutation(4000).astype(np.float32).reshape(1, 1, -1)
    y = refpool.fractional_max_pool(x, 2, 2000, samples=u)
    assert not np.array_equal(refpool.fractional_max_pool(x[..., ::-1], 2, 2000, samples=u),
                              y[..., ::-1])
    assert np.array_equal(refpool.fractional_max_pool(x[..., ::-1], 2, 2000,
                                                      samples=np.full_like(u, 0.25)),
                          refpool.fractional_max_pool(x, 2, 2000,
                                                      samples=np.full_like(u, 0.25))[..., ::-1])
    # o = 1: the window [n - k, n) is its own mirror only when k = n
    assert len(exact_symmetries("fractional_max_pool", (1, 1, 5), kernel_size=3,
                                output_size=1, samples=np.zeros((1, 1, 1)))) == 1
    assert len(exact_symmetries("fractional_max_pool", (1, 1, 5), kernel_size=5,
                                output_size=1, samples=np.zeros((1, 1, 1)))) == 2
    with pytest.raises(TypeError, match="needs samples="):
        exact_symmetries("fractional_max_pool", (1, 1, 5), kernel_size=2, output_size=2)


# --------------------------------------------------------------------------- dask
def test_dask_equals_in_memory():
    da = pytest.importorskip("dask.array")
    import refpool.dask as rd
    rng = np.random.default_rng(21)
    x = _input(rng, (3, 4, 11, 9), np.float64)
    samples = _samples(rng, (3, 4, 2), np.float64)
    expected = refpool.fractional_max_pool(x, (2, 3), (5, 4), samples=samples,
                                           return_indices=True)
    for chunks in ((1, 1, 4, 5), (2, 3, 11, 9), (3, 4, 3, 2)):
        got = rd.fractional_max_pool(da.from_array(x, chunks=chunks), (2, 3), (5, 4),
                                     samples=samples, return_indices=True)
        assert got[0].chunks[:2] == da.from_array(x, chunks=chunks).chunks[:2]
        assert_bitwise(got[0].compute(), expected[0])
        assert_bitwise(got[1].compute(), expected[1])
    # layouts: samples in the caller's layout, as the top level takes them
    got = rd.fractional_max_pool(da.from_array(x.reshape(3, 1, 4, 11, 9)), (2, 3), (5, 4),
                                 samples=samples.reshape(3, 1, 4, 2), ndim=2)
    assert_bitwise(got.compute().reshape(expected[0].shape), expected[0])
    with pytest.raises(ValueError, match="samples must lie"):
        rd.fractional_max_pool(da.from_array(x), 2, 4, samples=samples + 1)


# =========================================================================== global pools
GLOBAL_SHAPES = [(2, 3, 7), (2, 3, 1), (1, 2, 5, 6), (2, 2, 1, 9), (1, 2, 3, 4, 5)]


@pytest.mark.parametrize("shape", GLOBAL_SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_global_pools_against_torch_and_closed_forms(shape, dtype):
    rng = np.random.default_rng(len(shape) * 7 + shape[-1])
    nd = len(shape) - 2
    x = _input(rng, shape, dtype)
    t = torch.from_numpy(x)
    amax = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}[nd]
    aavg = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}[nd]
    for engine in ("reference", "cpu"):
        y, idx = refpool.global_max_pool(x, return_indices=True, engine=engine)
        ty, ti = amax(t, 1, return_indices=True)
        assert y.shape == shape[:2] + (1,) * nd
        assert_bitwise(y, ty.numpy())
        assert_bitwise(idx, ti.numpy())
        finite = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        mean = refpool.global_avg_pool(finite, engine=engine)
        np.testing.assert_allclose(mean.reshape(shape[:2]),
                                   finite.reshape(shape[:2] + (-1,)).astype(np.float64)
                                   .mean(-1), rtol=1e-6 if dtype == np.float32 else 1e-14)
        np.testing.assert_allclose(mean, aavg(torch.from_numpy(finite), 1).numpy(),
                                   rtol=1e-6 if dtype == np.float32 else 1e-14)
        for p in (1.0, 2.0, 3.0, 0.5):
            norm = refpool.global_lp_pool(finite, p, engine=engine)
            closed = (np.abs(finite.reshape(shape[:2] + (-1,)).astype(np.float64)) ** p
                      ).sum(-1) ** (1 / p)
            np.testing.assert_allclose(norm.reshape(shape[:2]), closed,
                                       rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_global_pools_are_the_adaptive_pools_to_one_and_lp_pool_over_everything():
    rng = np.random.default_rng(22)
    for shape in GLOBAL_SHAPES:
        x = _input(rng, shape, np.float32)
        assert_bitwise(refpool.global_max_pool(x, return_indices=True)[1],
                       refpool.adaptive_max_pool(x, 1, return_indices=True)[1])
        assert_bitwise(refpool.global_avg_pool(x), refpool.adaptive_avg_pool(x, 1))
        for variant in ("onnx", "torch"):
            assert_bitwise(refpool.global_lp_pool(x, 1.5, variant=variant),
                           refpool.lp_pool(x, 1.5, shape[2:], variant=variant))


@pytest.mark.cuda
def test_global_pools_cuda_engine_matches_the_reference():
    rng = np.random.default_rng(23)
    for shape in GLOBAL_SHAPES:
        x = _special_input(rng, shape, np.float64)
        for fn, kw in ((refpool.global_max_pool, dict(return_indices=True)),
                       (refpool.global_avg_pool, {}),
                       (refpool.global_lp_pool, dict(norm_type=0.5, variant="torch"))):
            a, b = fn(x, **kw, engine="reference"), fn(x, **kw, engine="cuda")
            for u, v in zip(a if isinstance(a, tuple) else (a,),
                            b if isinstance(b, tuple) else (b,)):
                np.testing.assert_allclose(v, u, rtol=1e-12, equal_nan=True)


def test_global_pools_hold_every_grid_symmetry():
    for shape in GLOBAL_SHAPES + [(1, 1, 4, 4), (1, 1, 3, 3, 3)]:
        total = len(grid_group(len(shape) - 2).elements)
        assert len(exact_symmetries("global_max_pool", shape)) == total
        assert len(exact_symmetries("global_avg_pool", shape)) == total
        assert len(exact_symmetries("global_lp_pool", shape, norm_type=3)) == total


def test_global_pools_in_layouts_and_dask():
    da = pytest.importorskip("dask.array")
    import refpool.dask as rd
    rng = np.random.default_rng(24)
    x = _input(rng, (2, 3, 7, 6), np.float64, specials=False)
    image = x[0, 0]
    assert refpool.global_max_pool(image, ndim=2).item() == image.max()
    hwc = np.ascontiguousarray(np.moveaxis(x[0], 0, -1))
    np.testing.assert_allclose(refpool.global_avg_pool(hwc, ndim=2, channels_last=True),
                               hwc.mean(axis=(0, 1)).reshape(1, 1, 3))
    d = da.from_array(x, chunks=(1, 2, 3, 4))
    y, idx = rd.global_max_pool(d, return_indices=True)
    assert_bitwise(y.compute(), refpool.global_max_pool(x))
    assert_bitwise(idx.compute(), refpool.global_max_pool(x, return_indices=True)[1])
    np.testing.assert_allclose(rd.global_avg_pool(d).compute(), refpool.global_avg_pool(x),
                               rtol=1e-14)
    np.testing.assert_allclose(rd.global_lp_pool(d, 3).compute(),
                               refpool.global_lp_pool(x, 3), rtol=1e-13)


def test_onnx_dialect_calls_the_global_pools(monkeypatch):
    from refpool.dialects import onnx
    from refpool.dialects.onnx import pooling as dialect
    called = []
    for name in ("global_max_pool", "global_avg_pool", "global_lp_pool"):
        original = getattr(dialect, name)
        monkeypatch.setattr(dialect, name,
                            lambda *a, _f=original, _n=name, **k: called.append(_n) or _f(*a, **k))
    x = np.random.default_rng(25).standard_normal((2, 3, 4, 5)).astype(np.float32)
    assert_bitwise(onnx.GlobalMaxPool(x), refpool.global_max_pool(x))
    assert_bitwise(onnx.GlobalAveragePool(x), refpool.global_avg_pool(x))
    assert_bitwise(onnx.GlobalLpPool(x, p=3), refpool.global_lp_pool(x, 3))
    assert called == ["global_max_pool", "global_avg_pool", "global_lp_pool"]


def test_lp_pool_square_root_at_minus_infinity_matches_numpy_and_torch():
    """p = 0.5 is a square root in NumPy and PyTorch (NaN at -inf, where C's pow gives
    +inf); every other p is pow (+inf at -inf)."""
    x = np.array([[[-np.inf, 1.0, 4.0, -np.inf, 2.0, 2.0]]])
    for p in (0.5, 1.5, 1 / 3, 3.0):
        expected = F.lp_pool1d(torch.from_numpy(x), p, 2).numpy()
        for engine in ("reference", "cpu"):
            got = refpool.lp_pool(x, p, 2, engine=engine)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=str(p))
            np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
