"""The worked example docs/examples/encoder_decoder.py runs, is exact on the grid symmetries
and has a bounded error off the grid."""

import importlib.util
import math
import os

import numpy as np
import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "examples",
                       "encoder_decoder.py")


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("encoder_decoder_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_grid_symmetries_exact_and_off_grid_bounded(example, capsys):
    # The reference engine needs no compilation, which keeps this test to about a second.
    grid, off = example.run(engine="reference")
    printed = capsys.readouterr().out
    assert "Exactness predicates" in printed and "max_rel" in printed

    assert [round(row.angle_degrees) for row in grid] == [0, 90, 180, 270]
    assert grid.ok
    assert grid.max_rel < 1e-12
    assert grid[0].max_abs == 0.0

    assert [round(row.angle_degrees) for row in off] == [45, 135, 225, 315]
    assert off.disk == 0.8
    for row in off:
        assert not row.is_grid_symmetry
        assert math.isfinite(row.max_rel) and math.isfinite(row.rel_l2)
        assert 1e-6 < row.rel_l2 < 0.2
        assert row.max_rel < 0.5


def test_smaller_network_too(example):
    grid, off = example.run(size=17, batch=1, in_fields=1, width=2, engine="reference",
                            verbose=False)
    assert grid.max_rel < 1e-12
    assert all(0.0 < row.rel_l2 < 0.3 for row in off)


def test_network_is_invariant_under_channel_rolls_alone(example):
    """The pointwise layers commute with the fibre action exactly (bitwise)."""
    params = example.make_parameters(2, 3, seed=4)
    x = np.random.default_rng(5).standard_normal((1, 16, 9, 9))
    in_type = example.regular_type(2)
    y = example.encoder_decoder(x, params, engine="reference")
    for g in example.GROUP.elements:
        rolled = in_type.transform_fibers(x, g)
        np.testing.assert_array_equal(example.encoder_decoder(rolled, params,
                                                              engine="reference"), y)


def test_predicates_do_not_contradict_the_measurement(example):
    """Where a predicate exists for a stage, it must grant every grid symmetry."""
    for name, elements in example.predicted_grid_symmetries(33):
        if elements is not None:
            assert len(elements) == 8, name


def test_rejects_sizes_with_asymmetric_grids(example):
    with pytest.raises(ValueError, match="4m \\+ 1"):
        example.run(size=32, verbose=False)
