"""map_coordinates, affine_transform and rotate (refpool.spline) against
scipy.ndimage 1.17, the engines against each other, and the argument rules.

Independent answers: scipy.ndimage's compiled functions, called plane by plane; for
the one place scipy is wrong (its ``reflect`` prefilter), a plain-Python prefilter
written here from the recursion's definition (with and without scipy's slip), and the
interpolation property of the spline (it passes through the samples).
"""

import itertools

import numpy as np
import pytest

import refpool
from refpool import spline as S

ndi = pytest.importorskip("scipy.ndimage")

MODES = S.MODES
NAN, INF = float("nan"), float("inf")
#: scipy's prefilter for these modes reads an overwritten coefficient (see below)
REFLECTS = ("reflect", "grid-mirror")


def _scipy_map(x, coords, **kw):
    """scipy.ndimage.map_coordinates on every (n, c) plane of x."""
    N, C = x.shape[:2]
    out = np.empty((N, C) + coords.shape[1:], x.dtype)
    for n, c in itertools.product(range(N), range(C)):
        ndi.map_coordinates(x[n, c], coords, output=out[n, c], **kw)
    return out


def _points(spatial, out_shape, rng, finite=True):
    """Random points in and around the input, mixed with exact borders (0, n - 1),
    half-sample borders (-1/2, n - 1/2), -1 and n, halves, and far outside."""
    rows = []
    for n in spatial:
        special = [0.0, n - 1.0, -0.5, n - 0.5, -1.0, float(n), 0.5, n / 2.0, -40.0,
                   3.0 * n + 0.25, 1e6, -1e6, 2.0 * n - 2.0, -(2.0 * n - 2.0)]
        if not finite:
            special += [NAN, INF, -INF]
        row = rng.uniform(-3.0, n + 2.0, out_shape)
        pick = rng.random(out_shape) < 0.5
        rows.append(np.where(pick, rng.choice(np.array(special), out_shape), row))
    return np.stack(rows)


SHAPES = [(2, 2, 7), (1, 1, 1), (1, 2, 2), (1, 2, 5, 6), (1, 1, 1, 4), (1, 1, 1, 1),
          (1, 2, 3, 1), (1, 1, 3, 4, 5), (1, 1, 1, 2, 1)]


# ----------------------------------------------------------------------------- vs scipy
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_map_coordinates_equals_scipy_bitwise(shape, dtype):
    """Every order 0-5, every mode, prefilter on and off, points on and far beyond the
    borders, 1-3 spatial axes, one-sample axes: bitwise scipy's result (scipy also
    computes in float64 and rounds once), on the reference and CPU engines.  The
    reflect-type modes with a prefilter are covered by the next tests."""
    rng = np.random.default_rng(sum(shape) + len(dtype))
    x = rng.standard_normal(shape).astype(dtype)
    coords = _points(shape[2:], (3, 4), rng)
    for order, mode, prefilter in itertools.product(range(6), MODES, (True, False)):
        if mode in REFLECTS and prefilter and order > 1:
            continue
        kw = dict(order=order, mode=mode, cval=-1.25, prefilter=prefilter)
        want = _scipy_map(x, coords, **kw)
        for engine in ("reference", "cpu"):
            got = refpool.map_coordinates(x, coords, **kw, engine=engine)
            assert got.dtype == x.dtype
            np.testing.assert_array_equal(got, want, err_msg=f"{engine} {kw}")


# ----------------------------------------------------------------------------- reflect
def _filter_reflect(x, z, scipy_slip):
    """One pole of the cubic prefilter with the half-sample symmetric boundary, as
    plain Python from the recursion (Unser et al. 1991; the causal initial value
    sum_{i<n} z^i (c_i + z^n c_{n-1-i}) z / (1 - z^2n) + c_0).  With ``scipy_slip``
    the running sum is kept in c[0] while it is read, as scipy's
    ``_init_causal_reflect`` (ni_splines.c) does: its last term then reads the
    partial sum instead of the first sample."""
    c = [float(v) for v in x]
    n = len(c)
    gain = (1.0 - z) * (1.0 - 1.0 / z)
    c = [v * gain for v in c]
    zn = z ** n
    c0 = c[0]
    acc = c[0] + zn * c[n - 1]
    zi = z
    for i in range(1, n):
        j = n - 1 - i
        mirror = (acc if j == 0 else c[j]) if scipy_slip else c[j]
        acc += zi * (c[i] + zn * mirror)
        zi *= z
    c[0] = acc * (z / (1.0 - zn * zn)) + c0
    for i in range(1, n):
        c[i] += z * c[i - 1]
    c[n - 1] *= z / (z - 1.0)
    for i in range(n - 2, -1, -1):
        c[i] = z * (c[i + 1] - c[i])
    return np.array(c)


CUBIC_POLE = -0.267949192431122706472553658494127633


@pytest.mark.parametrize("n", [2, 3, 5, 8])
def test_scipy_reflect_prefilter_reads_an_overwritten_coefficient(n):
    """The documented divergence: scipy's reflect prefilter is the slipped recursion
    (bitwise), refpool's is the intended one (bitwise, through the CPU engine's
    sampling of the coefficients), and only the latter interpolates the samples."""
    x = np.random.default_rng(n).standard_normal(n)
    slipped = _filter_reflect(x, CUBIC_POLE, scipy_slip=True)
    intended = _filter_reflect(x, CUBIC_POLE, scipy_slip=False)
    np.testing.assert_array_equal(ndi.spline_filter1d(x, 3, mode="reflect"), slipped)
    assert np.abs(slipped - intended).max() > 1e-12
    points = np.array([[0.0, 0.3, n - 1.0, -0.7, n + 0.6, 2.5 * n]])
    for mode in REFLECTS:
        got = refpool.map_coordinates(x[None, None], points, order=3, mode=mode,
                                      engine="cpu")[0, 0]
        # refpool = scipy's sampling of the intended coefficients
        want = ndi.map_coordinates(intended, points, order=3, mode=mode, prefilter=False)
        np.testing.assert_array_equal(got, want)
        # the spline passes through the samples (scipy's misses for short axes)
        at_samples = np.arange(n, dtype=float)[None]
        mine = refpool.map_coordinates(x[None, None], at_samples, order=3, mode=mode)
        np.testing.assert_allclose(mine[0, 0], x, rtol=0, atol=1e-13)
        theirs = ndi.map_coordinates(x, at_samples, order=3, mode=mode)
        if n <= 5:
            assert np.abs(theirs - x).max() > 1e-9
    # a long axis: the slip is below rounding and the two agree
    long = np.random.default_rng(0).standard_normal((1, 1, 60))
    pts = np.linspace(-5.0, 70.0, 41)[None]
    for order in (2, 3, 4, 5):
        np.testing.assert_allclose(
            refpool.map_coordinates(long, pts, order=order, mode="reflect"),
            _scipy_map(long, pts, order=order, mode="reflect"), rtol=0, atol=1e-13)


@pytest.mark.parametrize("shape", [(1, 2, 4), (1, 1, 3, 5), (1, 1, 2, 3, 4)])
def test_reflect_spline_interpolates_the_samples_at_every_order(shape):
    x = np.random.default_rng(1).standard_normal(shape)
    grid = np.stack(np.meshgrid(*(np.arange(n, dtype=float) for n in shape[2:]),
                                indexing="ij"))
    for order, mode in itertools.product((2, 3, 4, 5), REFLECTS):
        for engine in ("reference", "cpu"):
            y = refpool.map_coordinates(x, grid, order=order, mode=mode, engine=engine)
            np.testing.assert_allclose(y, x, rtol=0, atol=1e-12, err_msg=f"{order} {mode}")


# ----------------------------------------------------------------------------- scipy's docs
def test_where_scipy_computes_other_than_its_mode_docs_say():
    """scipy/ndimage/_ni_docstrings.py describes the modes by their extensions; what
    scipy computes (and refpool with it, asserted against scipy):

    * ``constant`` ("k k k k | a b c d | k k k k", "no interpolation beyond the
      edges"): inside the input the spline's coefficients are mirror-extended, so
      values there do not depend on ``cval`` and equal ``mirror``'s; only points
      outside ``[0, n - 1]`` are ``cval``.  ``grid-constant`` blends towards ``cval``.
    * ``wrap`` ("d b c d | a b c d | b c a b", first and last point overlap): the
      period is n - 1, so n - 1/2 reads between samples 0 and 1 (grid-wrap: between
      n - 1 and 0), and the spline is mirror-extended, not periodic.
    * one sample: ``reflect`` and ``mirror`` ("reflecting about the edge / centre of
      the last pixel") and every other mode but the constant ones read the sample
      everywhere."""
    x = np.array([[[1.0, -2.0, 4.0, 0.5, 3.0]]])
    inside = np.array([[0.0, 0.25, 3.75, 4.0]])
    outside = np.array([[-0.25, 4.25]])
    for order in (2, 3, 5):
        a = refpool.map_coordinates(x, inside, order=order, mode="constant", cval=0.0)
        b = refpool.map_coordinates(x, inside, order=order, mode="constant", cval=100.0)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, refpool.map_coordinates(x, inside, order=order,
                                                                 mode="mirror"))
        np.testing.assert_array_equal(a, _scipy_map(x, inside, order=order, mode="constant"))
        np.testing.assert_array_equal(
            refpool.map_coordinates(x, outside, order=order, mode="constant", cval=100.0),
            100.0)
        g0 = refpool.map_coordinates(x, inside, order=order, mode="grid-constant", cval=0.0)
        g1 = refpool.map_coordinates(x, inside, order=order, mode="grid-constant",
                                     cval=100.0)
        assert np.all(np.abs(g1 - g0)[0, 0, 1:3] > 1e-6)
    half = np.array([[4.5]])
    for order in (1, 3):
        w = refpool.map_coordinates(x, half, order=order, mode="wrap")
        np.testing.assert_array_equal(w, _scipy_map(x, half, order=order, mode="wrap"))
    assert refpool.map_coordinates(x, half, order=1, mode="wrap")[0, 0, 0] == -0.5
    assert refpool.map_coordinates(x, half, order=1, mode="grid-wrap")[0, 0, 0] == 2.0
    one = np.array([[[7.0]]])
    far = np.array([[-3.3, -0.5, 0.0, 0.4, 2.5, 11.0]])
    for order, mode in itertools.product(range(6), MODES):
        y = refpool.map_coordinates(one, far, order=order, mode=mode, cval=-1.0)
        np.testing.assert_array_equal(y, _scipy_map(one, far, order=order, mode=mode,
                                                    cval=-1.0))
        if mode not in ("constant", "grid-constant"):
            np.testing.assert_allclose(y, 7.0, rtol=1e-15)


# ----------------------------------------------------------------------------- non-finite
@pytest.mark.parametrize("engine", ["reference", "cpu"])
def test_non_finite_coordinates(engine):
    """NaN gives cval in the modes that move coordinates and ±inf gives cval in
    constant (scipy's result, compared); refpool's rule elsewhere (scipy converts the
    value to an integer there, undefined in C): NaN in nearest and grid-constant is
    NaN; ±inf reads the extension there (the edge sample; cval), and is cval in the
    other moving modes."""
    x = np.array([[[1.0, 2.0, 4.0, 8.0]]])
    nan, pinf, minf = [[NAN]], [[INF]], [[-INF]]
    for order, mode in itertools.product(range(6), MODES):
        kw = dict(order=order, mode=mode, cval=-3.0)
        if mode not in ("nearest", "grid-constant"):
            np.testing.assert_array_equal(
                refpool.map_coordinates(x, nan, **kw, engine=engine),
                _scipy_map(x, np.array(nan), **kw))
            for p in (pinf, minf):
                assert refpool.map_coordinates(x, p, **kw, engine=engine)[0, 0, 0] == -3.0
        else:
            assert np.isnan(refpool.map_coordinates(x, nan, **kw, engine=engine)[0, 0, 0])
    for p in (pinf, minf):
        np.testing.assert_array_equal(
            refpool.map_coordinates(x, p, order=3, mode="constant", cval=-3.0,
                                    engine=engine),
            _scipy_map(x, np.array(p), order=3, mode="constant", cval=-3.0))
    for order in (0, 1):
        for p, edge in ((pinf, 8.0), (minf, 1.0)):
            y = refpool.map_coordinates(x, p, order=order, mode="nearest", engine=engine)
            assert y[0, 0, 0] == edge
            y = refpool.map_coordinates(x, p, order=order, mode="grid-constant", cval=-3.0,
                                        engine=engine)
            assert y[0, 0, 0] == -3.0
    # a NaN on one axis and an outside point on another: cval (scipy stops at the
    # first axis outside)
    y = refpool.map_coordinates(np.ones((1, 1, 3, 3)), [[NAN, -5.0], [-5.0, NAN]],
                                mode="constant", engine=engine)
    np.testing.assert_array_equal(y, 0.0)


# ----------------------------------------------------------------------------- affine
AFFINES = [
    (np.array([[0.8, 0.3], [-0.3, 0.8]]), (0.5, -1.0), None),
    (np.array([[1.2, -0.4], [0.7, 0.9]]), 1.5, (4, 9)),
    (np.array([1.5, 0.5]), (0.25, -2.0), (6, 11)),                      # zoom-shift path
    (np.array([[0.0, 1.0, 0.5], [1.0, 0.0, -0.5], [0.0, 0.0, 1.0]]), 0.0, (6, 5)),
    (np.array([[0.9, 0.1, 2.0], [0.2, -1.1, 4.0]]), 0.0, None),
]


@pytest.mark.parametrize("case", range(len(AFFINES)))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_affine_transform_equals_scipy_bitwise(case, dtype):
    matrix, offset, output_shape = AFFINES[case]
    rng = np.random.default_rng(case)
    x = rng.standard_normal((2, 1, 5, 6)).astype(dtype)
    for order, mode in itertools.product((0, 1, 2, 3, 5), MODES):
        if mode in REFLECTS and order > 1:
            continue
        kw = dict(order=order, mode=mode, cval=0.5)
        got = refpool.affine_transform(x, matrix, offset, output_shape, **kw, engine="cpu")
        want = np.stack([ndi.affine_transform(x[n, 0], matrix, offset, output_shape, **kw)
                         for n in range(2)])[:, None]
        np.testing.assert_array_equal(got, want, err_msg=str(kw))


def test_affine_transform_1d_and_3d_equal_scipy():
    rng = np.random.default_rng(5)
    x1 = rng.standard_normal((1, 2, 9))
    x3 = rng.standard_normal((1, 1, 3, 4, 5))
    m3 = np.eye(3) + 0.2 * rng.standard_normal((3, 3))
    for order, mode in itertools.product((1, 3), ("nearest", "grid-wrap", "constant")):
        got = refpool.affine_transform(x1, [[0.7]], 1.25, (12,), order=order, mode=mode)
        want = np.stack([ndi.affine_transform(x1[0, c], [[0.7]], 1.25, (12,), order=order,
                                              mode=mode) for c in range(2)])[None]
        np.testing.assert_array_equal(got, want)
        got = refpool.affine_transform(x3, m3, (0.5, -0.5, 1.0), order=order, mode=mode,
                                       engine="reference")
        want = ndi.affine_transform(x3[0, 0], m3, (0.5, -0.5, 1.0), order=order, mode=mode)
        np.testing.assert_array_equal(got[0, 0], want)


# ----------------------------------------------------------------------------- rotate
@pytest.mark.parametrize("angle", [0, 90, -90, 180, 270, 450, 30, 45, -123.4, 1000.5])
@pytest.mark.parametrize("reshape", [True, False])
def test_rotate_equals_scipy(angle, reshape):
    """scipy's output shape and centre rule; cos/sin may differ from scipy's cosdg /
    sindg in the last bit off the quarter turns, so the values agree to 1e-12."""
    rng = np.random.default_rng(int(abs(angle)))
    for shape in ((1, 2, 5, 7), (1, 1, 6, 6), (1, 1, 1, 1), (1, 1, 1, 5)):
        x = rng.standard_normal(shape)
        for order, mode in ((3, "constant"), (1, "nearest"), (5, "mirror"),
                            (2, "grid-constant"), (4, "wrap"), (0, "grid-wrap")):
            got = refpool.rotate(x, angle, reshape=reshape, order=order, mode=mode,
                                 cval=0.25, engine="cpu")
            want = ndi.rotate(x, angle, axes=(2, 3), reshape=reshape, order=order,
                              mode=mode, cval=0.25)
            assert got.shape == want.shape, (shape, order, mode)
            if angle % 90 == 0:
                np.testing.assert_array_equal(got, want, err_msg=f"{shape} {order} {mode}")
            else:
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-12,
                                           err_msg=f"{shape} {order} {mode}")


@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (2, 1), (-1, -3)])
def test_rotate_3d_rotates_each_slice_as_scipy(axes):
    x = np.random.default_rng(7).standard_normal((2, 1, 3, 4, 5))
    for angle, order in ((90, 3), (25, 3), (-60, 1), (180, 5)):
        got = refpool.rotate(x, angle, axes=axes, order=order, mode="reflect" if order < 2
                             else "mirror")
        want = ndi.rotate(x, angle, axes=tuple(a % 3 + 2 for a in axes), order=order,
                          mode="reflect" if order < 2 else "mirror")
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=str(angle))


# ----------------------------------------------------------------------------- engines
@pytest.mark.differential
def test_cpu_engine_matches_reference():
    rng = np.random.default_rng(11)
    for shape, mode, order in (((2, 3, 6), "nearest", 3), ((1, 2, 4, 5), "grid-constant", 5),
                               ((1, 1, 3, 2, 4), "wrap", 2), ((2, 1, 5, 3), "reflect", 1)):
        for dtype in ("float32", "float64"):
            x = rng.standard_normal(shape).astype(dtype)
            coords = _points(shape[2:], (2, 3), rng, finite=False)
            want = refpool.map_coordinates(x, coords, order=order, mode=mode, cval=0.5,
                                           engine="reference")
            got = refpool.map_coordinates(x, coords, order=order, mode=mode, cval=0.5,
                                          engine="cpu")
            np.testing.assert_array_equal(got, want, err_msg=f"{shape} {mode} {dtype}")


@pytest.mark.cuda
def test_cuda_engine_on_tiny_inputs():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((1, 2, 3, 4))
    coords = _points((3, 4), (3,), rng, finite=False)
    for order, mode in ((3, "reflect"), (1, "constant"), (5, "nearest"), (2, "grid-wrap")):
        want = refpool.map_coordinates(x, coords, order=order, mode=mode,
                                       engine="reference")
        got = refpool.map_coordinates(x, coords, order=order, mode=mode, engine="cuda")
        np.testing.assert_array_equal(got, want, err_msg=mode)
    x3 = rng.standard_normal((1, 1, 2, 3, 2)).astype(np.float32)
    want = refpool.rotate(x3, 30, axes=(1, 2), order=3, mode="grid-constant",
                          engine="reference")
    got = refpool.rotate(x3, 30, axes=(1, 2), order=3, mode="grid-constant", engine="cuda")
    np.testing.assert_array_equal(got, want)
    from numba import cuda
    on_device = refpool.map_coordinates(cuda.to_device(x), coords, order=1)
    assert hasattr(on_device, "copy_to_host")            # device in, device out
    np.testing.assert_array_equal(on_device.copy_to_host(),
                                  refpool.map_coordinates(x, coords, order=1,
                                                          engine="reference"))


# ----------------------------------------------------------------------------- plumbing
def test_out_layouts_and_inputs_untouched():
    rng = np.random.default_rng(17)
    x = rng.standard_normal((2, 3, 5, 8))[..., ::2]                 # non-contiguous
    coords = _points((5, 4), (2, 3), rng).astype(np.float32)
    x_copy, coords_copy = x.copy(), coords.copy()
    want = _scipy_map(np.ascontiguousarray(x), coords.astype(np.float64), order=3,
                      mode="mirror")
    out = np.empty((2, 3, 2, 3))
    y = refpool.map_coordinates(x, coords, mode="mirror", out=out, engine="cpu")
    assert y is out
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(coords, coords_copy)
    # an (H, W) image with ndim=2, as scipy takes it; channels last
    image = np.ascontiguousarray(x[0, 0])
    np.testing.assert_array_equal(
        refpool.map_coordinates(image, coords, mode="mirror", ndim=2),
        ndi.map_coordinates(image, coords, mode="mirror"))
    got = refpool.map_coordinates(np.moveaxis(x, 1, -1), coords, mode="mirror",
                                  channels_last=True)
    np.testing.assert_array_equal(got, np.moveaxis(want, 1, -1))
    # integer points read as float64; float16 input computed in float32
    ints = np.array([[0, 2, 4], [1, 3, 0]])
    np.testing.assert_array_equal(refpool.map_coordinates(image, ints, ndim=2),
                                  ndi.map_coordinates(image, ints))
    h = x.astype(np.float16)
    assert refpool.map_coordinates(h, coords).dtype == np.float16
    # rotate with out= and channels_last
    out = np.empty((2, 3, 4, 5))
    y = refpool.rotate(np.ascontiguousarray(x), 90, out=out)
    assert y is out
    np.testing.assert_array_equal(out, ndi.rotate(x, 90, axes=(2, 3)))


def test_bad_arguments_are_refused_naming_them():
    x = np.zeros((1, 1, 3, 3))
    c = np.zeros((2, 4))
    cases = [
        (ValueError, "coordinates must have 2 rows", lambda: refpool.map_coordinates(
            x, np.zeros((3, 4)))),
        (ValueError, "coordinates must have shape", lambda: refpool.map_coordinates(
            x, np.zeros(2))),
        (ValueError, "non-empty", lambda: refpool.map_coordinates(x, np.zeros((2, 0)))),
        (TypeError, "coordinates must have a real", lambda: refpool.map_coordinates(
            x, np.zeros((2, 4), complex))),
        (TypeError, "coordinates must have a real", lambda: refpool.map_coordinates(
            x, np.zeros((2, 4), bool))),
        (TypeError, "coordinates must be an array", lambda: refpool.map_coordinates(
            x, "points")),
        (ValueError, "order must be from 0 to 5", lambda: refpool.map_coordinates(
            x, c, order=6)),
        (ValueError, "order must be from 0 to 5", lambda: refpool.map_coordinates(
            x, c, order=-1)),
        (TypeError, "order must be an int", lambda: refpool.map_coordinates(
            x, c, order=2.0)),
        (ValueError, "mode must be one of", lambda: refpool.map_coordinates(
            x, c, mode="zeros")),
        (TypeError, "mode must be one of", lambda: refpool.map_coordinates(x, c, mode=0)),
        (TypeError, "cval must be a real", lambda: refpool.map_coordinates(
            x, c, cval="0")),
        (TypeError, "prefilter", lambda: refpool.map_coordinates(x, c, prefilter=1)),
        (ValueError, "matrix must have shape", lambda: refpool.affine_transform(
            x, np.eye(4))),
        (ValueError, "last row|end with the row", lambda: refpool.affine_transform(
            x, np.ones((3, 3)))),
        (ValueError, "offset must be", lambda: refpool.affine_transform(
            x, np.eye(2), (1.0, 2.0, 3.0))),
        (ValueError, "output_shape must be", lambda: refpool.affine_transform(
            x, np.eye(2), output_shape=(3, 0))),
        (TypeError, "output_shape must be", lambda: refpool.affine_transform(
            x, np.eye(2), output_shape=3)),
        (ValueError, "axes must be two different", lambda: refpool.rotate(
            x, 10, axes=(0, 0))),
        (ValueError, "axes must be two different", lambda: refpool.rotate(
            x, 10, axes=(0, 2))),
        (TypeError, "axes must be", lambda: refpool.rotate(x, 10, axes=(0,))),
        (TypeError, "angle must be", lambda: refpool.rotate(x, NAN)),
        (TypeError, "reshape", lambda: refpool.rotate(x, 10, reshape="yes")),
        (ValueError, "x", lambda: refpool.rotate(np.zeros((1, 1, 4)), 10)),
    ]
    for error, match, call in cases:
        with pytest.raises(error, match=match):
            call()


def test_dask_wrappers_equal_in_memory():
    da = pytest.importorskip("dask.array")
    import refpool.dask as rd
    rng = np.random.default_rng(29)
    x = rng.standard_normal((3, 4, 5, 6))
    dx = da.from_array(x, chunks=(2, 3, 2, 4))
    coords = _points((5, 6), (2, 3), rng)
    got = rd.map_coordinates(dx, coords, order=3, mode="nearest", engine="cpu")
    assert got.chunks[:2] == ((2, 1), (3, 1))
    np.testing.assert_array_equal(got.compute(), refpool.map_coordinates(
        x, coords, order=3, mode="nearest", engine="cpu"))
    got = rd.affine_transform(dx, [[1.0, 0.2], [0.1, 0.9]], 0.5, (4, 4), order=2)
    np.testing.assert_array_equal(got.compute(), refpool.affine_transform(
        x, [[1.0, 0.2], [0.1, 0.9]], 0.5, (4, 4), order=2))
    got = rd.rotate(dx, 33, order=1)
    np.testing.assert_array_equal(got.compute(), refpool.rotate(x, 33, order=1))


# ----------------------------------------------------------------------------- exactness
def _transform(y, g):
    """The exact grid transform of trivial fields (FieldType.transform)."""
    group = g.group
    ft = refpool.FieldType(group, [group.trivial_representation] * y.shape[1])
    return ft.transform(y, g)


def test_exact_symmetries():
    shape = (1, 1, 5, 7)
    ident = refpool.exact_symmetries("map_coordinates", shape, coordinates=np.zeros((2, 3)))
    assert len(ident) == 1
    assert len(refpool.exact_symmetries("affine_transform", shape, matrix=np.eye(2))) == 1
    x = np.random.default_rng(3).standard_normal(shape)
    for angle, order, mode in ((30, 3, "constant"), (180, 2, "reflect"), (90, 1, "wrap"),
                               (-72.5, 5, "grid-wrap"), (30, 0, "nearest")):
        kw = dict(angle=angle, order=order, mode=mode)
        held = refpool.exact_symmetries("rotate", shape, **kw)
        y = refpool.rotate(x, **kw, engine="reference")
        from refpool.equivariance.rules import grid_group
        for g in grid_group(2).elements:
            moved = refpool.rotate(_transform(x, g), **kw, engine="reference")
            expected = _transform(y, g)
            same = moved.shape == expected.shape and np.allclose(moved, expected,
                                                                 rtol=0, atol=1e-9)
            claimed = any(g == h for h in held)
            if claimed:
                assert same, (kw, g)
        n_claimed = len(held)
        if order == 0:
            assert n_claimed == 1
        elif angle % 180 == 0:
            assert n_claimed == 8
        else:
            assert n_claimed == 4                      # the rotations of the plane
    # a reflection at 30 degrees is not claimed and indeed fails
    g = [h for h in grid_group(2).elements
         if not any(h == r for r in refpool.exact_symmetries("rotate", shape, angle=30))][0]
    moved = refpool.rotate(_transform(x, g), 30, engine="reference")
    expected = _transform(refpool.rotate(x, 30, engine="reference"), g)
    assert moved.shape != expected.shape or not np.allclose(moved, expected, atol=1e-6)


# ----------------------------------------------------------------------------- FieldType
def _previous_transform(ft, x, g, order):
    """FieldType.transform as it was computed before (scipy.ndimage.affine_transform
    per plane after the fibre action), kept here as the peer."""
    y = ft.transform_fibers(x.astype(np.float64), g)
    d = ft.group.ndim
    lead = y.ndim - d
    a = g.array_matrix
    inverse = a.T
    centre = (np.array(y.shape[lead:], dtype=np.float64) - 1.0) / 2.0
    offset = centre - inverse @ centre
    planes = y.reshape((-1,) + y.shape[lead:])
    out = np.empty_like(planes)
    for i in range(planes.shape[0]):
        ndi.affine_transform(planes[i], inverse, offset=offset, order=order, mode="constant",
                             cval=0.0, prefilter=True, output=out[i])
    return out.reshape(y.shape).astype(x.dtype)


def _field_types():
    from refpool import groups
    c8 = groups.cyclic(8)
    d8 = groups.dihedral(8)
    so2 = groups.so2(maximum_frequency=2)
    return [
        (refpool.FieldType(c8, [c8.regular_representation, c8.irrep(1)]), c8.elements[1]),
        (refpool.FieldType(c8, [c8.irrep(2), c8.trivial_representation]), c8.elements[3]),
        (refpool.FieldType(d8, [d8.regular_representation]), d8.elements[-3]),
        (refpool.FieldType(so2, [so2.irrep(1), so2.irrep(2)]), so2.element(0.3)),
    ]


@pytest.mark.parametrize("case", range(4))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_field_transform_off_the_grid_equals_the_previous_scipy_result(case, dtype):
    ft, g = _field_types()[case]
    assert g.axis_permutation is None                       # an off-grid element
    rng = np.random.default_rng(case)
    for shape in ((2, ft.size, 5, 6), (1, ft.size, 3, 4, 4)):
        x = rng.standard_normal(shape).astype(dtype)
        for order in (0, 1, 2, 3, 5):
            want = _previous_transform(ft, x, g, order)
            for engine in ("auto", "reference"):
                got = ft.transform(x, g, order=order, engine=engine)
                assert got.dtype == x.dtype
                np.testing.assert_array_equal(got, want, err_msg=f"{shape} {order}")


@pytest.mark.cuda
def test_field_transform_of_cuda_arrays():
    from numba import cuda
    from refpool import groups
    rng = np.random.default_rng(3)
    c8 = groups.cyclic(8)
    ft = refpool.FieldType(c8, [c8.regular_representation, c8.irrep(1)])
    x = rng.standard_normal((1, ft.size, 3, 4))
    for g, order in ((c8.elements[1], 3), (c8.elements[2], 2), (c8.elements[4], 1)):
        got = ft.transform(cuda.to_device(x), g, order=order)
        assert hasattr(got, "copy_to_host")
        np.testing.assert_allclose(got.copy_to_host(), ft.transform(x, g, order=order),
                                   rtol=0, atol=1e-12)
    # a grid symmetry of a planar group on a 1-D signal, and float32
    f2 = groups.flip()
    ft2 = refpool.FieldType(f2, [f2.regular_representation])
    x1 = rng.standard_normal((1, 2, 5)).astype(np.float32)
    g = f2.elements[1]
    got = ft2.transform(cuda.to_device(x1), g)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.copy_to_host(), ft2.transform(x1, g))


def test_exact_symmetries_of_rotate_in_3d_hold():
    from refpool.equivariance.rules import grid_group
    shape = (1, 1, 3, 4, 5)
    x = np.random.default_rng(4).standard_normal(shape)
    for angle, axes, count in ((30, (0, 2), 8), (180, (1, 2), 16), (90, (0, 1), 8)):
        kw = dict(angle=angle, axes=axes, order=3, mode="mirror")
        held = refpool.exact_symmetries("rotate", shape, **kw)
        assert len(held) == count, (angle, axes)
        y = refpool.rotate(x, **kw, engine="reference")
        for g in held:
            moved = refpool.rotate(_transform(x, g), **kw, engine="reference")
            np.testing.assert_allclose(moved, _transform(y, g), rtol=0, atol=1e-9,
                                       err_msg=f"{kw} {g}")
        # an element that moves the axis outside the plane into it is not claimed
        assert len(held) < len(grid_group(3).elements)
