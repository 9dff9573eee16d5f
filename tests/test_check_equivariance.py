"""check_equivariance: zero for exactly equivariant operators, clearly non-zero otherwise,
disk masking, the report's table/dict/plot, and input validation."""

import json
import math

import numpy as np
import pytest

import refpool
from refpool import FieldType
from refpool.equivariance import EquivarianceReport, check_equivariance
from refpool.groups import cyclic, dihedral, flip, o2, octahedral, so2


def scalars(group, fields=1):
    return FieldType(group, [group.trivial_representation] * fields)


def smooth_field(shape, sigma=3.0, seed=0):
    """White noise low-passed by a wide Gaussian: interpolation of it is accurate."""
    from scipy import ndimage
    noise = np.random.default_rng(seed).standard_normal(shape)
    return ndimage.gaussian_filter(noise, sigma=(0, 0) + (sigma,) * (len(shape) - 2))


D4 = dihedral(4)


# --------------------------------------------------------------------------- exactness
def test_max_pool_on_even_square_is_exact_under_d4():
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8))
    report = check_equivariance(lambda a: refpool.max_pool(a, 2), scalars(D4, 3),
                                scalars(D4, 3), x)
    assert isinstance(report, EquivarianceReport)
    assert len(report) == 8
    assert report.ok
    assert report.max_abs == 0.0 and report.max_rel == 0.0
    assert all(row.is_grid_symmetry for row in report)
    assert report.output_shape == (2, 3, 4, 4)


@pytest.mark.parametrize("group", [cyclic(4), dihedral(4)], ids=lambda g: g.name)
def test_group_pool_on_regular_fields_is_exact(group):
    regular = FieldType(group, [group.regular_representation] * 2)
    invariant = refpool.invariant_field_type(regular)
    x = np.random.default_rng(1).standard_normal((1, regular.size, 9, 9))
    report = check_equivariance(lambda a: refpool.group_pool(a, regular), regular, invariant, x)
    assert report.ok
    assert report.max_abs == 0.0
    assert len(report) == group.order


def test_float32_reports_exact_pooling_as_exact():
    x = np.random.default_rng(2).standard_normal((1, 2, 8, 8)).astype(np.float32)
    report = check_equivariance(lambda a: refpool.max_pool(a, 2), scalars(D4, 2),
                                scalars(D4, 2), x)
    assert report.dtype == np.float32
    assert report.rtol == 1e-6 and report.atol == 0.0
    assert report.ok and report.max_abs == 0.0


def test_octahedral_group_on_volumes():
    G = octahedral(full=True)
    x = np.random.default_rng(3).standard_normal((1, 1, 6, 6, 6))
    report = check_equivariance(lambda a: refpool.max_pool(a, 2), scalars(G), scalars(G), x)
    assert len(report) == 48 and report.ok and report.max_abs == 0.0
    angles = {round(row.angle_degrees) for row in report}
    assert angles == {0, 90, 120, 180}
    assert sum(row.flip for row in report) == 24


@pytest.mark.parametrize("group", [flip(), dihedral(4)], ids=lambda g: g.name)
def test_one_dimensional_signals(group):
    t = scalars(group)
    x = np.random.default_rng(12).standard_normal((2, 1, 8))
    report = check_equivariance(lambda a: refpool.max_pool(a, 2), t, t, x)
    # only the identity and the mirror x -> -x map a line along X onto itself
    assert [(row.flip, round(row.angle_degrees)) for row in report] == [(False, 0), (True, 0)]
    assert report.ok and report.max_abs == 0.0
    odd = check_equivariance(lambda a: refpool.max_pool(a, 2), t, t, x[..., :7], disk=0.5)
    assert not odd.ok and odd[0].ok


# --------------------------------------------------------------------------- violations
def test_max_pool_on_odd_size_is_not_equivariant():
    x = np.random.default_rng(4).standard_normal((1, 1, 7, 7))
    report = check_equivariance(lambda a: refpool.max_pool(a, 2), scalars(D4), scalars(D4), x)
    assert not report.ok
    assert report[0].max_abs == 0.0  # the identity always commutes
    assert report.worst.max_rel > 0.1
    # the transpose across the main diagonal keeps the top-left window grid: it still holds
    transpose = [row for row in report if row.flip and round(row.angle_degrees) == 90]
    assert transpose[0].ok


def test_a_shift_is_detected():
    x = np.random.default_rng(5).standard_normal((1, 1, 10, 10))

    def shift(a):
        return np.roll(a, 1, axis=-1)

    report = check_equivariance(shift, scalars(D4), scalars(D4), x)
    assert report.name == "test_a_shift_is_detected.<locals>.shift"
    assert check_equivariance(shift, scalars(D4), scalars(D4), x, [(0, 0)],
                              name="shift by one").name == "shift by one"
    broken = [row for row in report if not row.ok]
    assert len(broken) == 6  # only the identity and the up-down mirror commute with it
    assert min(row.max_rel for row in broken) > 0.1


def test_shape_mismatch_is_an_infinite_error():
    x = np.random.default_rng(6).standard_normal((1, 1, 8, 8))
    report = check_equivariance(lambda a: a[..., :-1], scalars(D4), scalars(D4), x)
    quarter = report[1]
    assert math.isinf(quarter.max_abs) and not quarter.ok
    assert "shape" in quarter.note
    assert "shape" in report.table()


def test_non_square_input_changes_shape_under_quarter_turns():
    x = np.random.default_rng(7).standard_normal((1, 1, 6, 10))
    report = check_equivariance(lambda a: refpool.max_pool(a, 2), scalars(D4), scalars(D4), x)
    assert report.ok and report.max_abs == 0.0
    # a linear pooling adds in another order after a turn: equal up to rounding
    report = check_equivariance(lambda a: refpool.avg_pool(a, 2), scalars(D4), scalars(D4), x)
    assert report.ok and report.max_rel < 1e-15


# --------------------------------------------------------------------------- off the grid
def test_disk_reduces_off_grid_error():
    G = so2()
    x = smooth_field((1, 1, 41, 41))
    angles = [math.radians(a) for a in (30, 45, 60)]

    def blur(a):
        return refpool.antialiased_avg_pool(a, 1.0, 1)

    whole = check_equivariance(blur, scalars(G), scalars(G), x, elements=angles)
    inside = check_equivariance(blur, scalars(G), scalars(G), x, elements=angles, disk=0.8)
    assert inside.disk == 0.8
    for a, b in zip(whole, inside):
        assert not a.is_grid_symmetry
        assert b.max_abs < 0.5 * a.max_abs
        assert b.rel_l2 < 0.05
    assert "central disk" in str(inside)


def test_default_samples_of_continuous_groups():
    x = smooth_field((1, 1, 17, 17))
    ident = lambda a: a  # noqa: E731 - the identity commutes with every transform
    rot = check_equivariance(ident, scalars(so2()), scalars(so2()), x)
    assert len(rot) == 36 and not any(row.flip for row in rot)
    assert [round(row.angle_degrees) for row in rot] == list(range(0, 360, 10))
    assert sum(row.is_grid_symmetry for row in rot) == 4
    full = check_equivariance(ident, scalars(o2()), scalars(o2()), x)
    assert len(full) == 72 and sum(row.flip for row in full) == 36
    assert full.ok and full.max_abs == 0.0


def test_grid_and_off_grid_subreports():
    C8 = cyclic(8)
    x = smooth_field((1, 1, 33, 33))
    report = check_equivariance(lambda a: refpool.antialiased_avg_pool(a, 1.0, 2),
                                scalars(C8), scalars(C8), x, disk=0.8)
    assert [row.element for row in report.grid] == [C8.element(k) for k in (0, 2, 4, 6)]
    assert report.grid.ok and report.grid.max_rel < 1e-12
    assert len(report.off_grid) == 4 and not report.off_grid.ok
    # a tolerance of the size of the interpolation error passes them
    loose = check_equivariance(lambda a: refpool.antialiased_avg_pool(a, 1.0, 2),
                               scalars(C8), scalars(C8), x, disk=0.8, rtol=0.2)
    assert loose.ok


def test_reflection_angles_follow_escnn_convention():
    x = smooth_field((1, 1, 9, 9))
    report = check_equivariance(lambda a: a, scalars(D4), scalars(D4), x)
    flips = [(round(row.angle_degrees), row.flip) for row in report]
    assert flips == [(0, False), (90, False), (180, False), (270, False),
                     (0, True), (90, True), (180, True), (270, True)]
    # a different mirror axis: r_theta f still reports theta
    G = dihedral(4, axis=0.0)
    report = check_equivariance(lambda a: a, scalars(G), scalars(G), x)
    assert [round(row.angle_degrees) for row in report][4:] == [0, 90, 180, 270]


def test_nan_in_the_same_place_is_not_an_error():
    x = np.random.default_rng(8).standard_normal((1, 1, 8, 8))
    x[0, 0, 2, 3] = np.nan
    report = check_equivariance(lambda a: refpool.max_pool(a, 2), scalars(D4), scalars(D4), x)
    assert report.ok

    def spoil(a):  # a NaN that does not move with the input
        b = a.copy()
        b[0, 0, 0, 0] = np.nan
        return b

    x = np.random.default_rng(9).standard_normal((1, 1, 8, 8))
    report = check_equivariance(spoil, scalars(D4), scalars(D4), x)
    assert report[0].ok and not report[1].ok and math.isinf(report[1].max_abs)


def test_torch_outputs_are_accepted():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(10).standard_normal((1, 2, 8, 8))
    model = torch.nn.MaxPool2d(2)

    def wrapped(a):
        return model(torch.from_numpy(np.ascontiguousarray(a)))

    report = check_equivariance(wrapped, scalars(D4, 2), scalars(D4, 2), x)
    assert report.ok and report.max_abs == 0.0


# --------------------------------------------------------------------------- reports
def test_report_prints_a_table_and_serialises():
    x = np.random.default_rng(11).standard_normal((1, 1, 7, 7))
    report = check_equivariance(lambda a: refpool.max_pool(a, 2), scalars(D4), scalars(D4), x)
    text = str(report)
    assert "max_abs" in text and "max_rel" in text and "D4[1,3]" in text
    assert len(report.table().splitlines()) == len(report) + 2
    assert "NO" in report.table()
    assert repr(report).startswith("<EquivarianceReport")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False
    assert len(data["rows"]) == 8
    assert data["rows"][4]["flip"] is True
    assert set(data["rows"][0]) >= {"element", "angle", "flip", "is_grid_symmetry",
                                    "max_abs", "max_rel"}


def test_plot_runs_with_agg():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = smooth_field((1, 1, 17, 17))
    report = check_equivariance(lambda a: refpool.antialiased_avg_pool(a, 1.0, 2),
                                scalars(o2()), scalars(o2()), x, disk=0.8,
                                elements=[(j, math.radians(a)) for j in (0, 1)
                                          for a in (0, 30, 90, 135)])
    ax = report.plot()
    assert ax.get_xlabel().startswith("rotation angle")
    assert len(ax.get_lines()) == 4  # rotations/reflections x grid/interpolated
    fig, axes = plt.subplots(1, 2)
    assert report.plot(ax=axes[1], metric="rel_l2") is axes[1]
    with pytest.raises(ValueError, match="metric"):
        report.plot(metric="bogus")
    plt.close("all")


# --------------------------------------------------------------------------- validation
def test_bad_inputs_raise():
    x = np.zeros((1, 1, 8, 8))
    t = scalars(D4)
    pool = lambda a: refpool.max_pool(a, 2)  # noqa: E731
    with pytest.raises(ValueError, match="channels"):
        check_equivariance(pool, t, t, np.zeros((1, 2, 8, 8)))
    with pytest.raises(ValueError, match="share a group"):
        check_equivariance(pool, t, scalars(cyclic(4)), x)
    with pytest.raises(ValueError, match="spatial"):
        check_equivariance(pool, t, t, np.zeros((1, 1)))
    cube = scalars(octahedral())
    with pytest.raises(ValueError, match="3 spatial"):
        check_equivariance(pool, cube, cube, x)
    with pytest.raises(ValueError, match="floating"):
        check_equivariance(pool, t, t, np.zeros((1, 1, 8, 8), dtype=int))
    with pytest.raises(ValueError, match="fn\\(x\\) has 2 channels"):
        check_equivariance(lambda a: np.concatenate([a, a], axis=1), t, t, x)
    for disk in (0, 1.5, -0.1, True, "0.5"):
        with pytest.raises(ValueError, match="disk"):
            check_equivariance(pool, t, t, x, disk=disk)
    for name in ("atol", "rtol"):
        for bad in (-1.0, math.nan, math.inf):
            with pytest.raises(ValueError, match=name):
                check_equivariance(pool, t, t, x, **{name: bad})
    with pytest.raises(ValueError, match="order"):
        check_equivariance(pool, t, t, x, order=7)
    with pytest.raises(ValueError, match="at least one"):
        check_equivariance(pool, t, t, x, elements=[])
    with pytest.raises(ValueError):
        check_equivariance(pool, t, t, x, elements=[cyclic(4).element(1)])
    with pytest.raises(ValueError):
        check_equivariance(pool, t, t, x, elements=[(0, 1.5)])  # not a D4 parameter
    with pytest.raises(TypeError, match="callable"):
        check_equivariance(None, t, t, x)
    with pytest.raises(TypeError, match="FieldType"):
        check_equivariance(pool, D4.trivial_representation, t, x)
