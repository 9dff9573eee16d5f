"""Small helpers shared by the tests (no fixtures; import them explicitly)."""

from __future__ import annotations

import numpy as np

from refpool.conformance.compare import TOLERANCE, make_input

#: engines compared against the reference in differential tests
FAST_ENGINES = ("cpu", "cuda")


def tolerance(dtype):
    """The documented tolerance of linear operators against the reference."""
    return TOLERANCE[np.dtype(dtype)]


def random_input(shape, dtype=np.float32, seed=0, specials=False):
    """Standard-normal input; with ``specials``, sprinkle NaN, +inf and -inf."""
    return make_input(shape, dtype, seed, specials)


def assert_same(actual, expected):
    """Bitwise equality, NaN equal to NaN (max, select, indices)."""
    actual = np.asarray(actual)
    assert actual.dtype == np.asarray(expected).dtype, (actual.dtype, expected.dtype)
    np.testing.assert_array_equal(actual, expected)


def assert_close(actual, expected, dtype=None):
    actual = np.asarray(actual)
    dtype = dtype or actual.dtype
    np.testing.assert_allclose(actual, expected, equal_nan=True, **tolerance(dtype))
