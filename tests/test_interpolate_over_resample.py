"""refpool.interpolate is the PyTorch dialect of refpool.resample: its spec is a
ResampleSpec of ``arithmetic="torch"`` axes, whose taps are exactly
``interpolation_taps``, run by the engines' one ``resample`` entry point.

Checked here: the torch axes' taps against ``interpolation_taps`` (exact), the CPU
engine against an independent NumPy application of those tables in the engine's
summation order (bitwise), against PyTorch (bitwise for the nearest modes, within
float rounding otherwise), and against the reference engine (its own,
coordinate-by-coordinate taps) within the usual tolerance.
"""

import math

import numpy as np
import pytest

import refpool
from refpool import _args, _geometry
from helpers import assert_close, assert_same, random_input

LINEAR_MODE = {1: "linear", 2: "bilinear", 3: "trilinear"}
MAX_SIDE = {1: 40, 2: 20, 3: 6}


def _grid(seed, count):
    """``count`` seeded interpolate calls: (spatial shape, keyword arguments).

    Every mode, antialias on and off, align_corners both ways, size or
    scale_factor with and without recompute_scale_factor, up and down, sides of 1,
    and 2-D nearest outputs on both of PyTorch's index rules."""
    rng = np.random.default_rng(seed)
    modes = ["nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic"]
    cases = []
    for i in range(count):
        mode = modes[i % len(modes)]
        nd = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}.get(
            mode, 1 + (i // len(modes)) % 3)
        shape = tuple(int(v) for v in rng.integers(1, MAX_SIDE[nd] + 1, size=nd))
        kw = dict(mode=mode)
        how = int(rng.integers(4))
        if how == 0:
            kw["size"] = tuple(int(v) for v in rng.integers(1, 2 * MAX_SIDE[nd] + 1,
                                                             size=nd))
        elif how == 1:
            kw["size"] = tuple(max(1, n // 3) for n in shape)          # down, to 1 often
        else:
            kw["scale_factor"] = float(rng.choice([0.5, 0.37, 1.5, 2.0, 2.7, 3.0]))
            if how == 3:
                kw["recompute_scale_factor"] = bool(rng.integers(2))
            if any(math.floor(n * kw["scale_factor"]) < 1 for n in shape):
                kw["scale_factor"] = 2.0
        if mode in _args.ALIGN_CORNERS_MODES:
            kw["align_corners"] = bool(rng.integers(2))
        if mode in _args.ANTIALIAS_MODES:
            kw["antialias"] = bool(rng.integers(2))
        cases.append((shape, kw))
    # 2-D nearest: the "small" rule's shortcuts (m = n, m = 2n) and the generic rule
    for mode in _args.NEAREST_MODES:
        for shape, kw in [((5, 7), dict(size=(5, 14))), ((3, 3), dict(scale_factor=41.0)),
                          ((40, 50), dict(scale_factor=2.0)),
                          ((33, 41), dict(size=(70, 90)))]:
            cases.append((shape, dict(kw, mode=mode)))
    return cases


GRID = _grid(2026, 60)


def _ids(cases):
    return [f"{shape}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for shape, kw in cases]


def _spec(shape, kw):
    kw = dict(kw)
    return _args.interpolation_spec(shape, kw.pop("size", None), kw.pop("scale_factor", None),
                                    kw.pop("mode"), kw.pop("align_corners", None),
                                    kw.pop("recompute_scale_factor", None),
                                    kw.pop("antialias", False))


# --------------------------------------------------------------------------- the taps
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_axes_have_exactly_the_interpolation_taps(dtype):
    """For every axis of every call of the grid, the ResampleSpec's taps are
    ``interpolation_taps`` of the InterpolationSpec's fields, bit for bit, and no
    output is empty or extrapolated."""
    rules = set()
    for shape, kw in GRID:
        spec = _spec(shape, kw)
        rspec = _args.torch_resample_spec(spec)
        assert rspec.input_size == spec.input_size
        assert tuple(rspec.output_size) == tuple(spec.output_size)
        assert rspec.nearest == (spec.mode in _args.NEAREST_MODES)
        kind = _geometry.INTERPOLATION_AXIS_RULE[spec.mode]
        for b, ax in enumerate(rspec.axes):
            assert ax.arithmetic == "torch" and ax.torch_mode == kind
            want = _geometry.interpolation_taps(kind, spec.input_size[b],
                                                spec.output_size[b], spec.scale[b],
                                                spec.align_corners, spec.antialias,
                                                dtype, spec.nearest_rule)
            got = _geometry.resample_taps(ax, dtype)
            for g, w in zip(got, want):
                assert g.dtype == w.dtype and g.shape == w.shape
                assert g.tobytes() == w.tobytes(), (shape, kw, b)
            assert not ax.empty().any() and not ax.outside().any()
            rules.add(ax.nearest_rule)
    assert rules == {"small", "generic"}


def test_a_general_axis_is_not_a_torch_axis():
    """The same fields with the general arithmetic give resample's own taps: the
    tap rule is the field, not the filter."""
    ax = _geometry.torch_axis("cubic", 7, 5, 7 / 5)
    general = ax._replace(arithmetic="general")
    torch_taps, own = _geometry.resample_taps(ax), _geometry.resample_taps(general)
    assert not np.array_equal(torch_taps.weight, own.weight[:, :torch_taps.weight.shape[1]])
    with pytest.raises(ValueError, match="arithmetic"):
        _geometry.resample_taps(ax._replace(arithmetic="numpy"))


# --------------------------------------------------------------------------- the CPU engine
def _apply_tables(x, tables):
    """The CPU engine's sums on the tables (an AxisTaps per axis), in NumPy, in the
    input dtype: per output row, the (D, H) taps combined two input rows at a time
    (``w0 r0 + w1 r1``, added to the running row), then the W taps (fixed 2 or 4
    taps as ``(w0 s0 + w1 s1) + (w2 s2 + w3 s3)``, otherwise one after the other).
    Finite input only (a non-finite float32 row is recomputed in float64 by the
    engine)."""
    dt = x.dtype
    unit = _geometry.AxisTaps(np.zeros((1, 1), np.int64), np.ones((1, 1)), np.ones(1, np.int64))
    z, y, w = [unit] * (3 - len(tables)) + list(tables)
    x5 = x.reshape(x.shape[:2] + (1,) * (3 - len(tables)) + x.shape[2:])
    zw, yw, xw = (t.weight.astype(dt) for t in (z, y, w))
    K = w.index.shape[1]
    fixed = bool(np.all(w.count == K))
    out = np.empty(x.shape[:2] + (len(z.count), len(y.count), len(w.count)), dt)
    for od in range(len(z.count)):
        for oh in range(len(y.count)):
            tmp = None
            for a in range(z.count[od]):
                iz, wz = z.index[od, a], zw[od, a]
                b = 0
                while b < y.count[oh]:
                    if b + 1 < y.count[oh]:
                        w0, w1 = wz * yw[oh, b], wz * yw[oh, b + 1]
                        part = (w0 * x5[:, :, iz, y.index[oh, b]]
                                + w1 * x5[:, :, iz, y.index[oh, b + 1]])
                        b += 2
                    else:
                        part = wz * yw[oh, b] * x5[:, :, iz, y.index[oh, b]]
                        b += 1
                    tmp = part if tmp is None else tmp + part
            for j in range(len(w.count)):
                s = [xw[j, k] * tmp[:, :, w.index[j, k]] for k in range(w.count[j])]
                if fixed and K == 2:
                    v = s[0] + s[1]
                elif fixed and K == 4:
                    v = (s[0] + s[1]) + (s[2] + s[3])
                else:
                    v = s[0]
                    for t in s[1:]:
                        v = v + t
                out[:, :, od, oh, j] = v
    return out.reshape(x.shape[:2] + out.shape[5 - len(tables):])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kw", GRID, ids=_ids(GRID))
def test_cpu_interpolate_is_the_tables_applied_in_engine_order(shape, kw, dtype):
    """Bitwise: the CPU engine's result is ``interpolation_taps`` applied in its own
    summation order (a nearest mode: gathered)."""
    x = random_input((2, 3) + shape, dtype, seed=len(shape) * 100 + sum(shape))
    spec = _spec(shape, kw)
    kind = _geometry.INTERPOLATION_AXIS_RULE[spec.mode]
    tables = [_geometry.interpolation_taps(kind, n, m, r, spec.align_corners, spec.antialias,
                                           dtype, spec.nearest_rule)
              for n, m, r in zip(spec.input_size, spec.output_size, spec.scale)]
    got = refpool.interpolate(x, engine="cpu", **kw)
    if spec.mode in _args.NEAREST_MODES:
        want = x
        for b, t in enumerate(tables):
            want = np.take(want, t.index[:, 0], axis=b + 2)
    else:
        with np.errstate(over="ignore"):
            want = _apply_tables(x, tables)
    assert_same(got, want)


@pytest.mark.differential
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_matches_the_reference_on_the_grid(dtype):
    """The reference engine derives PyTorch's taps coordinate by coordinate (not from
    ``interpolation_taps``); the engines agree within the usual tolerance, the
    nearest modes exactly.  With NaN and infinities too."""
    for i, (shape, kw) in enumerate(GRID[::2]):
        x = random_input((1, 2) + shape, dtype, seed=i, specials=i % 3 == 0)
        got = refpool.interpolate(x, engine="cpu", **kw)
        want = refpool.interpolate(x, engine="reference", **kw)
        if kw["mode"] in _args.NEAREST_MODES:
            assert_same(got, want)
        else:
            assert_close(got, want)


def test_interpolate_and_resample_run_the_same_entry_point():
    """A torch nearest rule is also reachable through resample (``nearest_mode
    "torch"``): with the generic rule both give the same gather."""
    x = random_input((1, 2, 37), np.float32, seed=3)
    a = refpool.interpolate(x, scale_factor=2.7, mode="nearest", engine="cpu")
    b = refpool.resample(x, scale=2.7, filter="nearest", nearest_mode="torch",
                         coordinate_mode="asymmetric", engine="cpu")
    assert_same(a, b)


# --------------------------------------------------------------------------- PyTorch
@pytest.mark.peers
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grid_against_torch(dtype):
    """The nearest modes bit-identical to ``F.interpolate``, the others within
    float rounding (tests/peers/test_torch_interpolate.py's tolerances), skipping
    PyTorch's documented antialias width-1 divergence."""
    torch = pytest.importorskip("torch")
    tol = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}
    checked = 0
    for i, (shape, kw) in enumerate(GRID):
        if kw.get("antialias") and min(_spec(shape, kw).output_size) == 1:
            continue
        x = random_input((2, 3) + shape, dtype, seed=i)
        want = torch.nn.functional.interpolate(torch.from_numpy(x), **kw).numpy()
        for engine in ("cpu", "reference"):
            got = refpool.interpolate(x, engine=engine, **kw)
            if kw["mode"] in _args.NEAREST_MODES:
                assert_same(got, want)
            else:
                np.testing.assert_allclose(got, want, err_msg=f"{engine} {shape} {kw}",
                                           **tol[dtype])
        checked += 1
    assert checked > 50
