"""exact_symmetries for grid_sample reads the grid: its claims are checked against
the call itself on random inputs (an independent answer: the operator computed
twice), over rotation grids of several angles, every mode, padding and
align_corners, square and non-square planes, 2-D and 3-D."""

import itertools

import numpy as np
import pytest

import refpool
from refpool.equivariance import exact_symmetries, grid_group
from refpool.equivariance.rules import axis_action

RNG = np.random.default_rng(11)


def _rotation(degrees, batch=1):
    a = np.deg2rad(degrees)
    theta = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0]])
    return np.broadcast_to(theta, (batch, 2, 3))


def _act(g, a):
    nd = a.ndim - 2
    perm, reverse = axis_action(g, nd)
    moved = np.transpose(a, (0, 1) + tuple(2 + p for p in perm))
    flips = tuple(2 + b for b in range(nd) if reverse[b])
    return np.flip(moved, flips) if flips else moved


def _commutes(x, g, **kw):
    left = refpool.grid_sample(np.ascontiguousarray(_act(g, x)), **kw)
    right = _act(g, refpool.grid_sample(x, **kw))
    return left.shape == right.shape and np.allclose(left, right, rtol=0, atol=1e-9)


CASES = list(itertools.product([0.0, 22.5, 30.0, 45.0, 90.0, 180.0],
                               ["bilinear", "nearest", "bicubic"],
                               ["zeros", "border", "reflection"],
                               [False, True],
                               [(6, 6), (7, 7), (6, 5)]))


@pytest.mark.parametrize("degrees, mode, padding, align, shape", CASES[::3] + CASES[1::7])
def test_claims_are_exactly_the_symmetries_that_hold(degrees, mode, padding, align, shape):
    grid = refpool.affine_grid(_rotation(degrees, 2), (2, 1) + shape, align_corners=align)
    kw = dict(grid=grid, mode=mode, padding_mode=padding, align_corners=align)
    claimed = set(map(str, exact_symmetries("grid_sample", (2, 3) + shape, **kw)))
    x = RNG.standard_normal((2, 3) + shape)
    x[0, 0, 0, 0] = 7.0                  # no accidental symmetry of the input
    holding = {str(g) for g in grid_group(2).elements if _commutes(x, g, **kw)}
    assert claimed == holding


@pytest.mark.parametrize("degrees", [10.0, 22.5, 45.0, 60.0])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_rotation_grids_on_square_planes_keep_the_quarter_turns(degrees, mode):
    # any angle: the rotation commutes with the rotations by 90 degrees, not with
    # the flips (the statement of the rule's docstring and docs/sampling.rst)
    grid = refpool.affine_grid(_rotation(degrees), (1, 1, 8, 8))
    held = exact_symmetries("grid_sample", (1, 1, 8, 8), grid=grid, mode=mode)
    perms = {axis_action(g, 2) for g in held}
    assert len(held) == 4
    assert all(p in perms for p in [((0, 1), (False, False)), ((0, 1), (True, True))])


def test_a_non_affine_grid_is_judged_by_its_values():
    # a grid that is symmetric under the horizontal flip only
    grid = refpool.affine_grid(np.eye(2, 3)[None], (1, 1, 5, 6)).copy()
    grid[..., 1] = grid[..., 1] ** 3
    held = exact_symmetries("grid_sample", (1, 1, 5, 6), grid=grid)
    x = RNG.standard_normal((1, 2, 5, 6))
    holding = [g for g in grid_group(2).elements
               if _commutes(x, g, grid=grid, mode="bilinear", padding_mode="zeros",
                            align_corners=False)]
    assert set(map(str, held)) == set(map(str, holding))
    assert 1 < len(held) < 8


def test_three_dimensional_identity_grid_keeps_every_symmetry_of_a_cube():
    theta = np.eye(3, 4)[None]
    grid = refpool.affine_grid(theta, (1, 1, 3, 3, 3))
    held = exact_symmetries("grid_sample", (1, 1, 3, 3, 3), grid=grid)
    assert len(held) == len(grid_group(3).elements)
    x = RNG.standard_normal((1, 1, 3, 3, 3))
    assert all(_commutes(x, g, grid=grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False) for g in held[:6])
