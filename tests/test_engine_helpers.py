"""The engine helpers that several kernels share (refpool/engines/cpu/_passes.py and
refpool/engines/cuda/_launch.py), each checked against a plain NumPy statement of
what it must do.

A slip in one of them would show up in every kernel that uses it, but as a
scattered difference in the differential tests; here it shows up by name.
"""

import itertools

import numpy as np
import pytest
from numba import cuda

from refpool.engines.cpu._passes import max_into, max_or_nan, tap_columns
from refpool.engines.cuda._launch import grid, output_element

SPECIALS = (np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0, 1.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_or_nan_is_the_maximum_where_nan_wins(dtype):
    pairs = np.array(list(itertools.product(SPECIALS, repeat=2)), dtype=dtype)
    got = np.array([max_or_nan(a, v) for a, v in pairs], dtype=dtype)
    # np.maximum propagates NaN from either side too (assert_array_equal treats
    # NaN as equal to NaN and -0.0 as equal to 0.0)
    np.testing.assert_array_equal(got, np.maximum(pairs[:, 0], pairs[:, 1]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_into_folds_a_prefix(dtype):
    rng = np.random.default_rng(0)
    dst = rng.choice(np.array(SPECIALS), 40).astype(dtype)
    src = rng.choice(np.array(SPECIALS), 40).astype(dtype)
    expected = dst.copy()
    expected[:31] = np.maximum(dst[:31], src[:31])
    max_into(dst, src, 31)
    np.testing.assert_array_equal(dst, expected)


def test_tap_columns_are_the_columns_whose_tap_is_inside():
    for off, s, n, o in itertools.product(range(-7, 8), range(1, 5), range(0, 7), range(0, 7)):
        lo, hi = tap_columns(off, s, n, o)
        inside = [j for j in range(o) if 0 <= j * s + off < n]
        assert lo <= hi, (off, s, n, o)
        assert list(range(lo, hi)) == inside, (off, s, n, o)


@cuda.jit
def _record_output_element(out, C, where):
    """Each thread writes the element :func:`output_element` gives it into ``where``."""
    n, c, od, oh, ow = output_element(out, C)
    t = cuda.grid(1)
    where[t, 0] = n
    where[t, 1] = c
    where[t, 2] = od
    where[t, 3] = oh
    where[t, 4] = ow


@pytest.mark.cuda
@pytest.mark.parametrize("shape", [(1, 1, 1, 1, 1), (2, 3, 1, 4, 5), (1, 2, 3, 1, 2),
                                   (3, 1, 2, 2, 1)])
@pytest.mark.parametrize("planes", ["channels", "fields"])
def test_output_element_matches_numpy(shape, planes):
    # every thread of the launch, the ones past the end of the last block included
    out = np.zeros(shape, dtype=np.float32)
    # a field kernel counts fields, not the output's channels, along axis 1
    C = shape[1] if planes == "channels" else shape[1] + 1
    elements = shape[0] * C * int(np.prod(shape[2:]))
    blocks, threads = grid(elements)
    where = np.full((blocks * threads, 5), -7, dtype=np.int64)
    _record_output_element[blocks, threads](out, C, where)
    grid_shape = (shape[0], C) + shape[2:]
    expected = np.stack(np.unravel_index(np.arange(elements), grid_shape), axis=1)
    np.testing.assert_array_equal(where[:elements], expected)
    assert (where[elements:, 0] == -1).all()
