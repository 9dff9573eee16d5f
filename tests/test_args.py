"""Output-size arithmetic and argument normalisation (refpool._args)."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from refpool import _args

from refpool import _geometry


def _windows_by_definition(n, k, s, p, d, ceil_mode):
    """Count windows by walking their start positions (independent of the formula).

    Floor mode keeps the windows that end inside the padded input; ceil mode also
    keeps one partial window when the full ones stop short of the padded end,
    provided it starts before the right padding.
    """
    extent = d * (k - 1) + 1
    count = 0
    start = -p
    while start + extent <= n + p:
        count += 1
        start += s
    last_end = start - s + extent
    if ceil_mode and last_end < n + p and start < n:
        count += 1
    return count


@pytest.mark.parametrize("n,k,s,p,d,ceil_mode", [
    c for c in itertools.product(range(1, 9), range(1, 5), range(1, 4), range(0, 3),
                                 range(1, 3), (False, True))
    if c[4] * (c[1] - 1) + 1 <= c[0] + 2 * c[3] and c[3] <= (c[4] * (c[1] - 1) + 1) // 2])
def test_pool_output_length_matches_window_walk(n, k, s, p, d, ceil_mode):
    assert _geometry.pool_output_length(n, k, s, p, d, ceil_mode) == \
        _windows_by_definition(n, k, s, p, d, ceil_mode)


def test_ceil_mode_drops_window_starting_in_right_padding():
    # n=5, k=2, s=2, p=1: ceil gives 4 windows starting at -1, 1, 3, 5; the last
    # starts at 5 = n inside the right padding and is dropped.
    assert _geometry.pool_output_length(5, 2, 2, 1, 1, ceil_mode=True) == 3
    assert _geometry.pool_output_length(5, 2, 2, 1, 1, ceil_mode=False) == 3
    # n=6, k=2, s=2, p=1: windows at -1, 1, 3, 5 (ends at 7 = n + p): kept by both
    assert _geometry.pool_output_length(6, 2, 2, 1, 1, ceil_mode=True) == 4
    assert _geometry.pool_output_length(4, 3, 2, 0, 1, ceil_mode=True) == 2


@given(st.integers(1, 40), st.integers(1, 40))
def test_adaptive_bounds_cover_input_and_are_mirror_symmetric(n, o):
    start, end = _geometry.adaptive_bounds(n, o)
    assert start[0] == 0 and end[-1] == n
    assert np.all(end > start)
    assert np.all(start[1:] <= end[:-1])           # windows cover the input
    # mirror symmetry: window i reflected is window o-1-i
    np.testing.assert_array_equal(n - end[::-1], start)


@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2),
       st.booleans())
def test_avg_divisor_factors_count_positions(n, k, s, p, count_include_pad):
    p = min(p, k // 2)
    if k > n + 2 * p:
        return
    spec = _args.window_spec((n,), k, s, p, 1, True, padding_limit="kernel")
    (factor,) = _geometry.avg_divisor_factors(spec, count_include_pad)
    for i, f in enumerate(factor):
        positions = [i * s - p + t for t in range(k)]
        if count_include_pad:
            expected = sum(1 for q in positions if q < n + p)
        else:
            expected = sum(1 for q in positions if 0 <= q < n)
        assert f == expected


def test_per_axis_normalisation():
    assert _args.per_axis(3, 2, "k") == (3, 3)
    assert _args.per_axis((1, 2, 3), 3, "k") == (1, 2, 3)
    assert _args.per_axis([np.int64(2)], 1, "k") == (2,)
    with pytest.raises(ValueError, match="k must be an int or a tuple of 2"):
        _args.per_axis((1, 2, 3), 2, "k")
    with pytest.raises(TypeError, match="k must contain ints"):
        _args.per_axis((1.5, 2), 2, "k")
    with pytest.raises(TypeError, match="k must be an int"):
        _args.per_axis(True, 2, "k")
    with pytest.raises(ValueError, match="k must be >= 1"):
        _args.per_axis(0, 2, "k", minimum=1)
