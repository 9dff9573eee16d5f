"""Small helpers shared by the tests (no fixtures; import them explicitly)."""

from __future__ import annotations

import numpy as np

#: engines compared against the reference in differential tests
FAST_ENGINES = ("cpu", "cuda")

#: absolute/relative tolerance of linear operators, per dtype, against the
#: float64 reference (documented in docs/numerics.rst)
TOLERANCE = {np.dtype(np.float32): dict(rtol=2e-5, atol=2e-6),
             np.dtype(np.float64): dict(rtol=1e-12, atol=1e-12)}


def tolerance(dtype):
    return TOLERANCE[np.dtype(dtype)]


def random_input(shape, dtype=np.float32, seed=0, specials=False):
    """Standard-normal input; with ``specials``, sprinkle NaN, +inf and -inf."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    if specials and x.size:
        flat = x.reshape(-1)
        picks = rng.choice(flat.size, size=max(1, flat.size // 10), replace=False)
        flat[picks] = rng.choice([np.nan, np.inf, -np.inf], size=picks.size)
    return x


def assert_same(actual, expected):
    """Bitwise equality, NaN equal to NaN (max, select, indices)."""
    actual = np.asarray(actual)
    assert actual.dtype == np.asarray(expected).dtype, (actual.dtype, expected.dtype)
    np.testing.assert_array_equal(actual, expected)


def assert_close(actual, expected, dtype=None):
    actual = np.asarray(actual)
    dtype = dtype or actual.dtype
    np.testing.assert_allclose(actual, expected, equal_nan=True, **tolerance(dtype))
