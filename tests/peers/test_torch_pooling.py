"""Windowed and adaptive pooling against torch 2.13 CPU over a generated grid.

Max values and indices must be identical; averages within the per-dtype
tolerance of tests/helpers.py.
"""

import itertools

import numpy as np
import pytest

import refpool
from helpers import assert_close, assert_same, random_input

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.peers

MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
AMAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
AAVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
ENGINES = ("reference", "cpu")


def _torch_accepts(fn, x, **kw):
    try:
        return fn(torch.from_numpy(x), **kw)
    except RuntimeError:
        return None


def _window_cases():
    """(spatial shape, kwargs): odd/even sizes, every ceil-mode edge, padding at
    its limit, dilation, 1x1 outputs."""
    cases = []
    for n, k, s, p, d, ceil in itertools.product(
            (1, 2, 5, 6, 7, 8), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2), (1, 2), (False, True)):
        if p > k // 2 or d * (k - 1) + 1 > n + 2 * p:
            continue
        cases.append(((n,), dict(kernel_size=k, stride=s, padding=p, dilation=d,
                                 ceil_mode=ceil)))
    # 2-D / 3-D, per-axis arguments
    cases += [
        ((7, 6), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=1,
                      ceil_mode=True)),
        ((9, 10), dict(kernel_size=3, stride=2, padding=1, dilation=(2, 1), ceil_mode=False)),
        ((5, 5), dict(kernel_size=5, stride=1, padding=2, dilation=1, ceil_mode=False)),
        ((2, 3), dict(kernel_size=(2, 3), stride=1, padding=0, dilation=1, ceil_mode=False)),
        ((6, 7), dict(kernel_size=2, stride=2, padding=1, dilation=1, ceil_mode=True)),
        ((4, 5, 6), dict(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)),
        ((5, 6, 7), dict(kernel_size=(3, 2, 3), stride=(2, 1, 3), padding=(1, 1, 0),
                         dilation=(1, 2, 1), ceil_mode=True)),
        ((3, 3, 3), dict(kernel_size=3, stride=1, padding=1, dilation=1, ceil_mode=False)),
    ]
    return cases


WINDOW_CASES = _window_cases()
AVG_CASES = [(shape, {k: v for k, v in kw.items() if k != "dilation"})
             for shape, kw in WINDOW_CASES if kw["dilation"] in (1, (1, 1), (1, 1, 1))]


def _ids(cases):
    return [f"{shape}-" + "-".join(f"{k[0]}{v}" for k, v in kw.items()) for shape, kw in cases]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape,kw", WINDOW_CASES, ids=_ids(WINDOW_CASES))
def test_max_pool_matches_torch(shape, kw, engine):
    nd = len(shape)
    x = random_input((2, 3) + shape, np.float32, seed=len(shape) + sum(shape), specials=True)
    expected = _torch_accepts(MAX[nd], x, return_indices=True, **kw)
    if expected is None:
        with pytest.raises(ValueError):
            refpool.max_pool(x, **kw, engine=engine)
        return
    y, idx = refpool.max_pool(x, **kw, return_indices=True, engine=engine)
    assert_same(y, expected[0].numpy())
    # Documented divergence: a window with no input element (possible with
    # dilation) gives -inf in both, but torch reports an out-of-range index there
    # while refpool reports -1.
    empty = idx == -1
    assert np.all(y[empty] == -np.inf)
    assert np.all(expected[1].numpy()[empty] >= np.prod(shape))
    assert_same(idx[~empty], expected[1].numpy()[~empty])
    assert_same(refpool.max_pool(x, **kw, engine=engine), expected[0].numpy())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("count_include_pad", (True, False))
@pytest.mark.parametrize("shape,kw", AVG_CASES, ids=_ids(AVG_CASES))
def test_avg_pool_matches_torch(shape, kw, count_include_pad, engine):
    nd = len(shape)
    for dtype in (np.float32, np.float64):
        x = random_input((2, 3) + shape, dtype, seed=sum(shape))
        expected = _torch_accepts(AVG[nd], x, count_include_pad=count_include_pad, **kw)
        if expected is None:
            with pytest.raises(ValueError):
                refpool.avg_pool(x, **kw, count_include_pad=count_include_pad, engine=engine)
            continue
        y = refpool.avg_pool(x, **kw, count_include_pad=count_include_pad, engine=engine)
        assert y.dtype == dtype
        assert_close(y, expected.numpy())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("divisor", (1, 3, -2))
def test_avg_pool_divisor_override(divisor, engine):
    x = random_input((2, 3, 7, 6), np.float32, seed=4)
    kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    expected = F.avg_pool2d(torch.from_numpy(x), divisor_override=divisor, **kw).numpy()
    assert_close(refpool.avg_pool(x, **kw, divisor_override=divisor, engine=engine), expected)


@pytest.mark.parametrize("engine", ENGINES)
def test_avg_pool_nonfinite(engine):
    x = random_input((1, 4, 6, 7), np.float64, seed=5, specials=True)
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)):
        expected = F.avg_pool2d(torch.from_numpy(x), **kw).numpy()
        assert_close(refpool.avg_pool(x, **kw, engine=engine), expected)


ADAPTIVE_CASES = [((1,), 1), ((7,), 3), ((8,), 5), ((5,), 7), ((13,), 13), ((7, 6), (3, 4)),
                  ((5, 9), (5, 2)), ((6, 6), 1), ((4, 5), (None, 3)), ((5, 6, 7), (2, 3, 4)),
                  ((3, 4, 5), 1), ((9, 10, 3), (4, 4, 2))]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape,osize", ADAPTIVE_CASES)
def test_adaptive_pools_match_torch(shape, osize, engine):
    nd = len(shape)
    x = random_input((2, 3) + shape, np.float32, seed=sum(shape), specials=True)
    tx = torch.from_numpy(x)
    ty, ti = AMAX[nd](tx, osize, return_indices=True)
    y, idx = refpool.adaptive_max_pool(x, osize, return_indices=True, engine=engine)
    assert_same(y, ty.numpy())
    assert_same(idx, ti.numpy())
    assert_same(refpool.adaptive_max_pool(x, osize, engine=engine), ty.numpy())
    x = random_input((2, 3) + shape, np.float64, seed=sum(shape))
    assert_close(refpool.adaptive_avg_pool(x, osize, engine=engine),
                 AAVG[nd](torch.from_numpy(x), osize).numpy())


@pytest.mark.parametrize("engine", ENGINES)
def test_ties_and_all_minus_inf_windows_select_like_torch(engine):
    # ties: the first maximum wins; windows of -inf: the first in-bounds element;
    # several NaN: the last NaN (torch's "larger or NaN replaces" scan)
    x = np.array([[[[1, 3, 3, 3], [3, 0, np.nan, 2], [-np.inf, -np.inf, np.nan, np.nan],
                    [-np.inf, -np.inf, 5, 5]]]], dtype=np.float32)
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
               dict(kernel_size=2, stride=1, ceil_mode=True)):
        ty, ti = F.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
        y, i = refpool.max_pool(x, return_indices=True, engine=engine, **kw)
        assert_same(y, ty.numpy())
        assert_same(i, ti.numpy())
    ty, ti = F.adaptive_max_pool2d(torch.from_numpy(x), (3, 3), return_indices=True)
    y, i = refpool.adaptive_max_pool(x, (3, 3), return_indices=True, engine=engine)
    assert_same(y, ty.numpy())
    assert_same(i, ti.numpy())
