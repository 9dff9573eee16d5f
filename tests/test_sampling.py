"""grid_sample and affine_grid (refpool.sampling) against torch 2.x
(torch.nn.functional.grid_sample / affine_grid), the engines against each other, and
the argument rules.

Independent answers: torch's CPU kernels, and for non-finite 2-D points torch's 3-D
kernel (its scalar rule, GridSampler.h) on the same image as a depth-1 volume.
"""

import itertools

import numpy as np
import pytest

from refpool import sampling as S

torch = pytest.importorskip("torch")
F = torch.nn.functional

MODES2 = ("bilinear", "nearest", "bicubic")
MODES3 = ("bilinear", "nearest")
PADS = ("zeros", "border", "reflection")
NAN, INF = float("nan"), float("inf")


def _torch(x, grid, mode, pad, align):
    return F.grid_sample(torch.from_numpy(x), torch.from_numpy(grid), mode=mode,
                         padding_mode=pad, align_corners=align).numpy()


def _special_grid(k, rng, shape, finite=True):
    """Points that matter: exact borders (+-1), pixel centres and edges, halves
    (ties of the nearest rounding, for both align_corners rules: dyadic values are
    exact in float32 and float64), far outside, and random ones."""
    special = [-1.0, 1.0, 0.0, -0.5, 0.5, 0.25, -0.75, 1.25, -1.5, 3.0, -7.0, 1e3, -1e3,
               1.0 / 3.0, 2.0 - 1e-9, 1e10, -1e10]
    if not finite:
        special += [NAN, INF, -INF]
    values = rng.choice(np.array(special), size=shape + (k,))
    mixed = rng.uniform(-1.6, 1.6, size=shape + (k,))
    pick = rng.random(shape + (k,)) < 0.5
    return np.where(pick, values, mixed)


def _x(shape, dtype, rng):
    return rng.standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------------------- vs torch
SHAPES2 = [(2, 3, 4, 5), (1, 2, 1, 1), (1, 1, 1, 6), (1, 1, 5, 1)]


@pytest.mark.parametrize("shape", SHAPES2)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_grid_sample_2d_matches_torch(shape, dtype):
    rng = np.random.default_rng(abs(hash((shape, dtype))) % 2 ** 32)
    x = _x(shape, dtype, rng)
    grid = _special_grid(2, rng, (shape[0], 3, 7)).astype(dtype)
    x0 = x.copy()
    g0 = grid.copy()
    for mode, pad, align in itertools.product(MODES2, PADS, (False, True)):
        want = _torch(x, grid, mode, pad, align)
        got = S.grid_sample(x, grid, mode, pad, align, engine="reference")
        assert got.dtype == x.dtype and got.shape == want.shape
        if dtype == "float32":
            # torch computes coordinates in float32: a point far outside (1e3, 1e10)
            # is reflected in float32 arithmetic and may land elsewhere
            ok = (np.abs(grid).max(axis=-1) < 100)[:, None]
            got, want = np.where(ok, got, 0), np.where(ok, want, 0)
        # nearest on these points: the same neighbour, so the same value
        tol = 1e-12 if dtype == "float64" or mode == "nearest" else 2e-5
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol,
                                   err_msg=f"{mode} {pad} {align}")
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(grid, g0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_grid_sample_3d_matches_torch_including_non_finite_points(dtype):
    rng = np.random.default_rng(3)
    for shape in [(2, 2, 3, 4, 5), (1, 1, 1, 1, 1), (1, 2, 2, 1, 3)]:
        x = _x(shape, dtype, rng)
        grid = _special_grid(3, rng, (shape[0], 2, 3, 4), finite=False).astype(dtype)
        for mode, pad, align in itertools.product(MODES3, PADS, (False, True)):
            want = _torch(x, grid, mode, pad, align)
            got = S.grid_sample(x, grid, mode, pad, align, engine="reference")
            if dtype == "float32" and pad == "reflection":
                # torch reflects in float32: far points may land elsewhere
                keep = ((np.abs(grid) < 100).all(axis=-1)
                        | ~np.isfinite(grid).all(axis=-1))[:, None]
                got, want = np.where(keep, got, 0), np.where(keep, want, 0)
            tol = 1e-12 if dtype == "float64" or mode == "nearest" else 2e-5
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol,
                                       err_msg=f"{shape} {mode} {pad} {align}")


@pytest.mark.parametrize("align", [False, True])
def test_non_finite_2d_points_follow_torch_scalar_rule(align):
    """2-D calls with NaN/inf points equal torch's 3-D kernel (GridSampler.h's scalar
    rule) on the image as a depth-1 volume sampled at z = 0; bicubic gives NaN."""
    rng = np.random.default_rng(5)
    x = _x((1, 2, 3, 4), "float64", rng)
    grid = _special_grid(2, rng, (1, 4, 6), finite=False)
    grid[0, 0, :3, 0] = [NAN, INF, -INF]
    grid[0, 1, :3, 1] = [NAN, INF, -INF]
    grid3 = np.concatenate([grid, np.zeros(grid.shape[:-1] + (1,))], axis=-1)[:, None]
    for mode, pad in itertools.product(("bilinear", "nearest"), PADS):
        want = _torch(x[:, :, None], grid3, mode, pad, align)[:, :, 0]
        for engine in ("reference", "cpu"):
            got = S.grid_sample(x, grid, mode, pad, align, engine=engine)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{engine} {mode} {pad}")
    bad = ~np.isfinite(grid).all(axis=-1)[:, None]
    for pad in PADS:
        got = S.grid_sample(x, grid, "bicubic", pad, align, engine="reference")
        want = _torch(x, grid, "bicubic", pad, align)          # torch: NaN as well
        assert np.isnan(got[np.broadcast_to(bad, got.shape)]).all()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


def test_documented_divergence_of_torch_2d_cpu_kernel():
    """torch's vectorised 2-D CPU kernel (not its scalar rule) gives NaN for a NaN
    point with bilinear/zeros and reads pixel 0 with border padding: the Notes of
    grid_sample state it.  If torch changes, this test says so."""
    x = np.arange(1.0, 13.0).reshape(1, 1, 3, 4)
    grid = np.array([[[[NAN, 0.2]]]])
    assert np.isnan(_torch(x, grid, "bilinear", "zeros", False)).all()
    assert S.grid_sample(x, grid, engine="reference").item() == 0.0
    pixel0 = _torch(x, np.array([[[[-1e9, 0.2]]]]), "bilinear", "border", False)
    np.testing.assert_allclose(_torch(x, grid, "bilinear", "border", False), pixel0)
    last = _torch(x, np.array([[[[1e9, 0.2]]]]), "bilinear", "border", False)
    np.testing.assert_allclose(S.grid_sample(x, grid, "bilinear", "border",
                                             engine="reference"), last)


def test_nearest_rounds_halves_to_even():
    # W = 4, align_corners=False: u = (2p + 1)/W - 1 is exact (dyadic) for the pixel
    # coordinates p = 0.5, 1.5, 2.5, which round to 0, 2, 2
    x = np.arange(4.0).reshape(1, 1, 1, 4)
    p = np.array([0.5, 1.5, 2.5])
    grid = np.stack([(2 * p + 1) / 4 - 1, np.zeros(3)], -1)[None, None]
    want = _torch(x, grid, "nearest", "zeros", False)
    assert want.ravel().tolist() == [0.0, 2.0, 2.0]
    for engine in ("reference", "cpu"):
        got = S.grid_sample(x, grid, "nearest", engine=engine)
        assert got.ravel().tolist() == [0.0, 2.0, 2.0]


# ----------------------------------------------------------------------------- engines
@pytest.mark.differential
def test_cpu_engine_matches_reference():
    rng = np.random.default_rng(11)
    calls = [((2, 3, 4, 5), (2, 3, 4, 2), "bicubic", "reflection", False),
             ((1, 2, 3, 4), (1, 5, 2, 2), "bilinear", "zeros", True),
             ((1, 2, 3, 3, 4), (1, 2, 2, 3, 3), "bilinear", "border", False),
             ((1, 1, 2, 3, 4), (1, 2, 3, 1, 3), "nearest", "reflection", True)]
    for dtype in ("float32", "float64"):
        for xs, gs, mode, pad, align in calls:
            x = _x(xs, dtype, rng)
            grid = _special_grid(gs[-1], rng, gs[:-1], finite=False)
            want = S.grid_sample(x, grid, mode, pad, align, engine="reference")
            got = S.grid_sample(x, grid, mode, pad, align, engine="cpu")
            tol = 1e-12 if dtype == "float64" else 2e-6
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol,
                                       err_msg=f"{dtype} {mode} {pad} {align}")


@pytest.mark.cuda
def test_cuda_engine_on_tiny_inputs():
    rng = np.random.default_rng(13)
    x = _x((1, 2, 2, 3), "float64", rng)
    grid = _special_grid(2, rng, (1, 1, 3), finite=False)
    for mode, pad in [("bicubic", "reflection"), ("bilinear", "zeros"), ("nearest", "border")]:
        want = S.grid_sample(x, grid, mode, pad, True, engine="reference")
        got = S.grid_sample(x, grid, mode, pad, True, engine="cuda")
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=mode)
    x3 = _x((1, 1, 2, 2, 2), "float32", rng)
    grid3 = _special_grid(3, rng, (1, 1, 1, 3))
    want = S.grid_sample(x3, grid3, "bilinear", "reflection", engine="reference")
    got = S.grid_sample(x3, grid3, "bilinear", "reflection", engine="cuda")
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
    from numba import cuda
    on_device = S.grid_sample(cuda.to_device(x3), grid3, "bilinear", "reflection")
    assert hasattr(on_device, "copy_to_host")            # device in, device out
    np.testing.assert_allclose(on_device.copy_to_host(), want, rtol=2e-6, atol=2e-6)


def test_out_and_non_contiguous_input():
    rng = np.random.default_rng(17)
    x = _x((2, 3, 4, 6), "float64", rng)[..., ::2]
    grid = _special_grid(2, rng, (2, 2, 3))
    out = np.empty((2, 3, 2, 3))
    y = S.grid_sample(x, grid, "bilinear", "border", out=out, engine="cpu")
    assert y is out
    np.testing.assert_allclose(out, _torch(np.ascontiguousarray(x), grid, "bilinear",
                                           "border", False), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- arguments
def test_bad_arguments_are_refused_naming_them():
    x = np.zeros((1, 1, 3, 3))
    grid = np.zeros((1, 2, 2, 2))
    with pytest.raises(ValueError, match="grid must have shape"):
        S.grid_sample(x, np.zeros((1, 2, 2, 3)))
    with pytest.raises(ValueError, match="grid must have shape"):
        S.grid_sample(x, np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="batch size"):
        S.grid_sample(x, np.zeros((2, 2, 2, 2)))
    with pytest.raises(TypeError, match="grid must have a floating dtype"):
        S.grid_sample(x, np.zeros((1, 2, 2, 2), np.int64))
    with pytest.raises(ValueError, match="mode must be one of"):
        S.grid_sample(x, grid, mode="linear")
    with pytest.raises(TypeError, match="mode must be one of"):
        S.grid_sample(x, grid, mode=1)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        S.grid_sample(x, grid, padding_mode="reflect")
    with pytest.raises(TypeError, match="align_corners"):
        S.grid_sample(x, grid, align_corners="yes")
    with pytest.raises(ValueError, match="bicubic"):
        S.grid_sample(np.zeros((1, 1, 2, 2, 2)), np.zeros((1, 1, 1, 1, 3)), mode="bicubic")
    with pytest.raises(ValueError):
        S.grid_sample(np.zeros((1, 1, 3)), np.zeros((1, 2, 1)))
    with pytest.raises(TypeError, match="grid"):
        S.grid_sample(x, "grid")


# ----------------------------------------------------------------------------- affine_grid
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (2, 1, 3, 1, 4), (1, 2, 1, 1, 1)])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.filterwarnings("ignore:Since version 1.3.0")      # torch, unit sizes
def test_affine_grid_matches_torch(size, align):
    rng = np.random.default_rng(len(size) * 10 + int(align))
    k = len(size) - 2
    theta = rng.standard_normal((size[0], k, k + 1))
    want = F.affine_grid(torch.from_numpy(theta), list(size), align_corners=align).numpy()
    got = S.affine_grid(theta, size, align)
    assert got.shape == want.shape and got.dtype == theta.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    got32 = S.affine_grid(theta.astype(np.float32), size, align)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=1e-5, atol=1e-5)


def test_affine_grid_identity_round_trips_through_grid_sample():
    rng = np.random.default_rng(23)
    x = _x((1, 2, 3, 4), "float64", rng)
    theta = np.array([[[1.0, 0, 0], [0, 1.0, 0]]])
    for align in (False, True):
        grid = S.affine_grid(theta, x.shape, align)
        for mode in MODES2:
            np.testing.assert_allclose(S.grid_sample(x, grid, mode, "zeros", align,
                                                     engine="reference"), x, atol=1e-12)


def test_affine_grid_bad_arguments():
    theta = np.zeros((1, 2, 3))
    with pytest.raises(ValueError, match="theta must have shape"):
        S.affine_grid(np.zeros((1, 3, 4)), (1, 1, 2, 2))
    with pytest.raises(ValueError, match="size must be"):
        S.affine_grid(theta, (1, 1, 2))
    with pytest.raises(TypeError, match="size must be a tuple of ints"):
        S.affine_grid(theta, (1, 1, 2.0, 2))
    with pytest.raises(ValueError, match="positive spatial"):
        S.affine_grid(theta, (1, 1, 0, 2))
    with pytest.raises(TypeError, match="theta must have a floating dtype"):
        S.affine_grid(np.zeros((1, 2, 3), int), (1, 1, 2, 2))


# ----------------------------------------------------------------------------- registry pieces
def test_exact_symmetries_read_the_grid():
    # every output reads the centre pixel: the output is constant and every symmetry
    # of the 3 x 3 plane holds; shifted off the centre, only those fixing the point
    # (more in tests/test_grid_sample_exactness.py)
    import refpool
    grid = np.zeros((1, 3, 3, 2))
    assert len(refpool.exact_symmetries("grid_sample", (1, 1, 3, 3), grid=grid)) == 8
    grid[..., 0] = 2 / 3                          # the centre of the right column
    held = refpool.exact_symmetries("grid_sample", (1, 1, 3, 3), grid=grid)
    x = np.arange(9.0).reshape(1, 1, 3, 3) ** 2
    flipped_rows = refpool.grid_sample(x[:, :, ::-1].copy(), grid)
    assert np.array_equal(flipped_rows, refpool.grid_sample(x, grid)[:, :, ::-1])
    assert len(held) == 2


def test_dask_wrapper_chunked_over_batch_and_channels_equals_in_memory():
    da = pytest.importorskip("dask.array")
    from refpool.dask import grid_sample as dask_grid_sample
    rng = np.random.default_rng(29)
    x = _x((3, 4, 5, 6), "float64", rng)
    grid = _special_grid(2, rng, (3, 2, 3))
    want = S.grid_sample(x, grid, "bicubic", "reflection", True, engine="cpu")
    got = dask_grid_sample(da.from_array(x, chunks=(2, 3, 2, 4)), grid, "bicubic",
                           "reflection", True, engine="cpu")
    assert got.chunks[:2] == ((2, 1), (3, 1))
    np.testing.assert_array_equal(got.compute(), want)


def test_layouts_and_torch_tensors():
    rng = np.random.default_rng(31)
    x = _x((2, 3, 4, 5), "float32", rng)
    grid = _special_grid(2, rng, (2, 3, 2))
    want = S.grid_sample(x, grid, engine="cpu")
    got = S.grid_sample(np.moveaxis(x, 1, -1), grid, channels_last=True, engine="cpu")
    np.testing.assert_array_equal(got, np.moveaxis(want, 1, -1))
    got = S.grid_sample(torch.from_numpy(x), torch.from_numpy(grid), engine="cpu")
    np.testing.assert_array_equal(got, want)
