"""refpool.interpolate against e2cnn 0.2.3's R2Upsampling module (bilinear, nearest).

R2Upsampling wraps torch's interpolate on a GeometricTensor, so the nearest mode
must be bit-identical and bilinear agree within float32 rounding.  Its docstring
warns that "nearest" is not equivariant: with a small integer scale factor it
is exactly equivariant to the whole dihedral group (checked here on e2cnn's own
group action), as docs/interpolation.rst states.
"""

import warnings

import numpy as np
import pytest

import refpool
from helpers import assert_same, random_input

torch = pytest.importorskip("torch")
e2cnn = pytest.importorskip("e2cnn")
from e2cnn import gspaces  # noqa: E402
from e2cnn import nn as enn  # noqa: E402

pytestmark = pytest.mark.peers

ENGINES = ("reference", "cpu")
TOL32 = dict(rtol=2e-5, atol=2e-5)


def _field_type():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gs = gspaces.FlipRot2dOnR2(4)
        return gs, enn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])


def _run(module, x):
    with torch.no_grad():
        return module(enn.GeometricTensor(torch.from_numpy(x), module.in_type)).tensor.numpy()


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("shape, kw", [
    ((2, 9, 7, 7), dict(scale_factor=2)),
    ((1, 9, 6, 9), dict(scale_factor=3)),
    ((1, 9, 8, 8), dict(scale_factor=1.5)),
    ((1, 9, 7, 5), dict(size=(11, 4))),
    ((1, 9, 7, 5), dict(size=13)),
    ((1, 9, 10, 10), dict(scale_factor=0.5)),
])
def test_r2upsampling_matches(mode, shape, kw):
    _, ftype = _field_type()
    for align_corners in ((False, True) if mode == "bilinear" else (False,)):
        module = enn.R2Upsampling(ftype, mode=mode, align_corners=align_corners, **kw)
        x = random_input(shape, np.float32, seed=3)
        want = _run(module, x)
        assert module.evaluate_output_shape(x.shape) == want.shape
        ac = align_corners if mode == "bilinear" else None
        for engine in ENGINES:
            got = refpool.interpolate(x, mode=mode, align_corners=ac, engine=engine, **kw)
            if mode == "nearest":
                assert_same(got, want)
            else:
                np.testing.assert_allclose(got, want, **TOL32)


@pytest.mark.parametrize("mode, scale", [("nearest", 2), ("nearest", 3), ("bilinear", 2),
                                         ("bilinear", 3)])
def test_integer_upsampling_is_exactly_equivariant_under_e2cnn_action(mode, scale):
    # e2cnn's action of D4 on the input and on the output (rotations by 90
    # degrees, reflections, with the fibre permutation of the regular field).
    gs, ftype = _field_type()
    module = enn.R2Upsampling(ftype, scale_factor=scale, mode=mode)
    x = random_input((1, ftype.size, 7, 7), np.float64, seed=5)
    gx = enn.GeometricTensor(torch.from_numpy(x), ftype)
    for g in gs.testing_elements:
        moved = gx.transform(g).tensor.numpy()
        y = refpool.interpolate(x, scale_factor=scale, mode=mode)
        gy = enn.GeometricTensor(torch.from_numpy(y), ftype).transform(g).tensor.numpy()
        y_moved = refpool.interpolate(np.ascontiguousarray(moved), scale_factor=scale,
                                      mode=mode)
        if mode == "nearest":
            assert_same(y_moved, gy)                       # exact, despite the warning
        else:     # e2cnn's transform rounds through float32 (exactness in float64:
            #         tests/test_interpolate.py::test_documented_exact_equivariance)
            np.testing.assert_allclose(y_moved, gy, rtol=0, atol=1e-6)
        # and e2cnn's own module agrees (float32 through torch)
        peer = _run(module, np.ascontiguousarray(moved).astype(np.float32))
        np.testing.assert_allclose(peer, y_moved.astype(np.float32), **TOL32)


def test_r2upsampling_rejects_what_refpool_rejects_differently():
    # e2cnn accepts only nearest and bilinear; refpool names the bad argument
    _, ftype = _field_type()
    with pytest.raises(ValueError):
        enn.R2Upsampling(ftype, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="mode"):
        refpool.interpolate(random_input((1, 9, 4, 4)), scale_factor=2, mode="trilinear")
