"""The rotation error table of docs/sampling.rst (docs/_ext/rotation_error.py):
the generator runs, and its numbers obey what they must (checked on a smaller
image than the docs use)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "docs", "_ext"))
import rotation_error  # noqa: E402


@pytest.fixture(scope="module")
def results():
    return rotation_error.table(side=32, angles=(22.5, 45.0), bands=(0.1, 0.25))


def test_grid_sample_and_splines_of_order_0_and_1_take_the_same_samples(results):
    # two operators written independently: bilinear = order 1; nearest = order 0
    # where no source point is a rounding tie (22.5 degrees).  At 45 degrees many
    # points are: grid_sample rounds halves to even (torch), order 0 up (scipy)
    for band in (0.1, 0.25):
        for angle in (22.5, 45.0):
            modes = (("nearest", 0), ("bilinear", 1)) if angle == 22.5 else (("bilinear", 1),)
            for mode, order in modes:
                a = results[f"grid_sample {mode}", band, angle]
                b = results[f"map_coordinates order {order}", band, angle]
                assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
        ties = (results["grid_sample nearest", band, 45.0],
                results["map_coordinates order 0", band, 45.0])
        assert ties[0][1] != ties[1][1]


def test_higher_spline_orders_approximate_a_band_limited_image_better(results):
    for band in (0.1, 0.25):
        for angle in (22.5, 45.0):
            rms = [results[f"map_coordinates order {k}", band, angle][1] for k in range(5)]
            assert all(a > b for a, b in zip(rms, rms[1:]))


def test_the_error_grows_with_the_band(results):
    for name in ("grid_sample bilinear", "map_coordinates order 3"):
        assert results[name, 0.25, 45.0][1] > 3 * results[name, 0.1, 45.0][1]
