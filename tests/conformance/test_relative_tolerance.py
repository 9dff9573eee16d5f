"""The magnitude-relative tolerance of linear operators (refpool.conformance.compare).

``compare(actual, expected, exact, call=(op, x, kwargs))`` allows an error of
``tol * sum |w_i x_i| + floor``: rounding under cancellation of huge terms passes, a
real error on an output made of small terms fails.
"""

import numpy as np
import pytest

import refpool
from refpool.conformance.catalog import catalog
from refpool.conformance.compare import (RELATIVE_TOLERANCE, SUBNORMAL_FLOOR, TOLERANCE,
                                         compare, magnitude)
from refpool.registry import OPERATORS


def _float32_running_mean(window):
    """A float32 engine's average: the sum accumulated left to right in float32."""
    total = np.float32(0)
    for v in window:
        total = np.float32(total + v)
    return np.float32(total / np.float32(len(window)))


def test_cancellation_of_1e30_terms_passes():
    # the window [1e30, 1e23, -1e30]: float64 keeps 1e23, float32 (ulp(1e30) = 7.6e22)
    # rounds it away.  Both are correct roundings; the old absolute rule called it a bug.
    x = np.array([[[1e30, 1e23, -1e30, 2.0, 3.0, 4.0]]], dtype=np.float32)
    kw = dict(kernel_size=3)
    expected = refpool.avg_pool(x, **kw, engine="reference")
    actual = np.array([[[_float32_running_mean(x[0, 0, :3]),
                         _float32_running_mean(x[0, 0, 3:])]]], dtype=np.float32)
    assert actual[0, 0, 0] != expected[0, 0, 0]
    assert not compare(actual, expected, False).ok                     # old rule
    assert compare(actual, expected, False, call=("avg_pool", x, kw)).ok
    # and the CPU engine, whatever its order of summation
    cpu = refpool.avg_pool(x, **kw, engine="cpu")
    assert compare(cpu, expected, False, call=("avg_pool", x, kw)).ok


@pytest.mark.parametrize("value", [1e-3, 1.0])
def test_a_1000_ulp_error_on_an_output_of_small_terms_fails(value):
    x = np.full((1, 2, 6), value, dtype=np.float32)
    kw = dict(kernel_size=3)
    expected = refpool.avg_pool(x, **kw, engine="reference")
    bad = expected.copy()
    bad[0, 1, 1] += 1000 * np.spacing(bad[0, 1, 1])
    result = compare(bad, expected, False, call=("avg_pool", x, kw))
    assert not result.ok
    assert "magnitude-relative" in result.detail and "(0, 1, 1)" in result.detail
    # a 1-ulp error (a correct rounding of the float32 sum) passes
    close = expected.copy()
    close[0, 1, 1] += np.spacing(close[0, 1, 1])
    assert compare(close, expected, False, call=("avg_pool", x, kw)).ok
    # the old absolute floor let the small-output case through
    assert compare(bad, expected, False).ok == (value < 1e-2)


def test_the_same_error_passes_beside_huge_terms():
    # the output 1/3 is a sum of terms of 1e30: an error of 1e20 is rounding
    x = np.array([[[1e30, 1.0, -1e30]]], dtype=np.float64)
    kw = dict(kernel_size=3)
    expected = refpool.avg_pool(x, **kw, engine="reference")
    assert compare(expected + 1e15, expected, False, call=("avg_pool", x, kw)).ok
    assert not compare(expected + 1e20, expected, False, call=("avg_pool", x, kw)).ok


def test_subnormal_outputs_have_an_absolute_floor():
    tiny = np.finfo(np.float32).smallest_subnormal
    x = np.full((1, 1, 3), 5 * tiny, dtype=np.float32)
    kw = dict(kernel_size=3)
    expected = refpool.avg_pool(x, **kw, engine="reference")
    off_by_a_few = expected + np.float32(3 * tiny)
    assert compare(off_by_a_few, expected, False, call=("avg_pool", x, kw)).ok
    assert SUBNORMAL_FLOOR[np.dtype(np.float32)] < np.finfo(np.float32).tiny


def test_nan_and_infinities_still_match_exactly():
    x = np.array([[[np.nan, 1.0, np.inf, 2.0, -np.inf, 1.0]]])
    kw = dict(kernel_size=2)
    expected = refpool.avg_pool(x, **kw, engine="reference")
    call = ("avg_pool", x, kw)
    moved = expected.copy()
    moved[0, 0, 0] = 0.0
    assert not compare(moved, expected, False, call=call).ok
    flipped = expected.copy()
    flipped[0, 0, 1] = -flipped[0, 0, 1]
    assert not compare(flipped, expected, False, call=call).ok


def test_without_a_call_the_rule_is_the_per_dtype_one():
    e = np.array([1.0, 0.0], dtype=np.float32)
    tol = TOLERANCE[np.dtype(np.float32)]
    assert compare(e + np.float32(0.5 * tol["atol"]), e, False).ok
    assert not compare(e + np.float32(3 * tol["atol"]), e, False).ok


# --------------------------------------------------------------------------- magnitudes
def _random_case(op, rng):
    cases = [c for c in catalog([op]) if not c.exact]
    return cases[int(rng.integers(len(cases)))]


@pytest.mark.parametrize("op", [name for name, row in OPERATORS.items()
                                if row.comparison != "exact"])
def test_magnitude_is_at_least_the_output(op):
    rng = np.random.default_rng(7)
    for _ in range(6):
        case = _random_case(op, rng)
        x, kw = case.make_input(), case.call_kwargs()
        e = getattr(refpool, op)(x, **kw, engine="reference")
        m = magnitude(op, x, kw)
        assert m.shape == e.shape and m.dtype == np.float64
        finite = np.isfinite(e)
        assert np.all(m[finite] >= np.abs(e[finite].astype(np.float64)) * (1 - 1e-6))


def test_exact_operators_and_nearest_modes_have_no_magnitude():
    x = np.ones((1, 1, 4, 4))
    assert magnitude("max_pool", x, dict(kernel_size=2)) is None
    assert magnitude("group_pool", x, {}) is None
    assert magnitude("interpolate", x, dict(size=3)) is None                 # nearest
    assert magnitude("interpolate", x, dict(size=3, mode="nearest-exact")) is None
    assert magnitude("interpolate", x, dict(size=3, mode="bilinear")) is not None


def test_bicubic_magnitude_counts_negative_weights_with_their_size():
    # an impulse: the output is the weight itself, the magnitude its absolute value
    x = np.zeros((1, 1, 1, 9))
    x[0, 0, 0, 4] = 1.0
    kw = dict(size=(1, 17), mode="bicubic", align_corners=False)
    weights = refpool.interpolate(x, **kw, engine="reference")
    m = magnitude("interpolate", x, kw)
    assert np.any(weights < 0)
    assert np.all(m >= np.abs(weights))
    # the coordinate allowance on top is small
    assert np.all(m <= np.abs(weights) + 0.01)
    # alternating signs: the reference on |x| underestimates the sum of |w x|
    x = np.where(np.arange(9) % 2, -1.0, 1.0).reshape(1, 1, 1, 9)
    on_abs = refpool.interpolate(np.abs(x), **kw, engine="reference")
    assert np.any(magnitude("interpolate", x, kw) > on_abs * 1.1)


def test_antialiased_max_magnitude_is_the_blur_of_the_absolute_dense_max():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 1, 15))
    x[0, 0, 3:9] -= 10.0                         # windows whose maximum is negative
    sigma, k = 0.6, 3
    kw = dict(kernel_size=k, stride=2, padding=1, sigma=sigma)
    dense = refpool.max_pool(x, k, stride=1, padding=1, engine="reference")
    g = refpool.gaussian_taps(sigma, truncate=4.0)
    c = (g.size - 1) // 2
    padded = np.pad(np.abs(dense), [(0, 0), (0, 0), (c, c + 2)])
    out = refpool.antialiased_max_pool(x, **kw, engine="reference").shape[-1]
    direct = np.stack([padded[..., 2 * i:2 * i + g.size] @ g for i in range(out)], axis=-1)
    np.testing.assert_allclose(magnitude("antialiased_max_pool", x, kw), direct,
                               rtol=1e-13, atol=0)


def test_norm_magnitude_is_the_norm():
    case = next(c for c in catalog(["norm_pool"]) if c.dtype == "float32")
    x, kw = case.make_input(), case.call_kwargs()
    norm = refpool.norm_pool(x.astype(np.float64), **kw, engine="reference")
    np.testing.assert_array_equal(magnitude("norm_pool", x, kw), norm)


@pytest.mark.differential
def test_the_catalogue_passes_against_the_cpu_engine_with_the_new_rule():
    """Every third tolerance case of the catalogue: the CPU engine passes the
    magnitude-relative rule as it passes the per-dtype one."""
    cases = [c for c in catalog() if not c.exact][::3]
    for case in cases:
        x, kw = case.make_input(), case.call_kwargs()
        fn = getattr(refpool, case.op)
        expected = fn(x, **kw, engine="reference")
        actual = fn(x.copy(), **kw, engine="cpu")
        result = compare(actual, expected, case.exact, call=(case.op, x, kw))
        assert result.ok, f"{case.id}: {result.detail}"


def test_relative_tolerances_are_the_documented_ones():
    assert RELATIVE_TOLERANCE[np.dtype(np.float32)] == 1e-5
    assert RELATIVE_TOLERANCE[np.dtype(np.float64)] == 1e-12
