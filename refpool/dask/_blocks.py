"""The tasks of :mod:`refpool.dask`: a task's input, the block base class, shared helpers.

Dask calls one :class:`_Block` per output block with its input chunk and the
halo strips (:func:`refpool.dask._planning._strips`).  The block recomputes its
runs and pieces from the axis rules it holds, fetches each piece's region
(:class:`_Sources`) and calls its operator's ``compute`` on it: one in-memory
call of the public operator with local arguments, whose result is an exact slice
of the whole-array result.  Each family's blocks live in its module; the
helpers they share (appending explicit padding cells, dropping leading outputs,
mapping flat indices back to the whole array) and the block of adaptive pooling
(also ``interpolate(mode="area")``) live here.
"""

from __future__ import annotations

import math

import numpy as np

from ._planning import _axis_runs, _product, _runs_region


class _Sources:
    """A task's input: its chunk and the halo strips, addressed in global input
    coordinates."""

    def __init__(self, center, strips, deltas, chunk, region):
        self.arrays = {(0,) * len(chunk): center, **dict(zip(deltas, strips))}
        self.chunk = chunk
        # global start and stop of each direction's data, per axis
        self.spans = [{-1: (lo, c0), 0: (c0, c1), 1: (c1, hi)}
                      for (c0, c1), (lo, hi) in zip(chunk, region)]

    def fetch(self, ranges):
        """The input over ``ranges`` (one (lo, hi) per spatial axis): the chunk itself
        or a view of it when it lies inside, else assembled from the strips."""
        center = self.arrays[(0,) * len(ranges)]
        if all(c0 <= lo and hi <= c1 for (lo, hi), (c0, c1) in zip(ranges, self.chunk)):
            if all(r == c for r, c in zip(ranges, self.chunk)):
                return center
            return center[(slice(None), slice(None)) + tuple(
                slice(lo - c0, hi - c0) for (lo, hi), (c0, _) in zip(ranges, self.chunk))]
        parts = []
        for (lo, hi), spans in zip(ranges, self.spans):
            axis = []
            for step, (s, e) in spans.items():
                a, b = max(lo, s), min(hi, e)
                if b > a:
                    axis.append((step, slice(a - s, b - s), slice(a - lo, b - lo)))
            parts.append(axis)
        out = np.empty(center.shape[:2] + tuple(hi - lo for lo, hi in ranges), center.dtype)
        for combo in _product(parts):
            src = self.arrays[tuple(c[0] for c in combo)]
            out[(slice(None), slice(None)) + tuple(c[2] for c in combo)] = \
                src[(slice(None), slice(None)) + tuple(c[1] for c in combo)]
        return out


class _Block:
    """The computation of one output block.

    Picklable and small: it holds the axis rules and the operator's keywords,
    and recomputes its runs and pieces from the locations Dask passes in
    ``block_info``.  ``compute(region, pieces, location, **kwargs)`` returns the
    outputs ``location`` (one (start, stop) per spatial axis) from ``region``,
    the input over ``[piece.lo, piece.hi)`` per axis.
    """

    deltas = ()

    def __init__(self, rules, **kwargs):
        self.rules = tuple(rules)
        self.kwargs = kwargs

    def token(self):
        return type(self).__name__, self.rules, sorted(self.kwargs.items(), key=str)

    def kwargs_for(self, location):
        """The keywords of the block at output ``location`` (all axes)."""
        return self.kwargs

    def __call__(self, center, *strips, block_info=None):
        location = block_info[None]["array-location"]
        kwargs = self.kwargs_for(location)
        chunk = block_info[0]["array-location"][2:]
        runs = [_axis_runs(rule, a, b, c0, c1)
                for rule, (a, b), (c0, c1) in zip(self.rules, location[2:], chunk)]
        sources = _Sources(center, strips, self.deltas, chunk, [_runs_region(r) for r in runs])
        # the largest run (the one reading only the chunk) first: its result may
        # already be laid out as the whole block, and then the seams go into it
        combos = sorted(_product(runs), key=lambda c: -math.prod(r.stop - r.start for r in c))
        shape = tuple(b - a for a, b in location[2:])
        out = None
        for combo in combos:
            pieces = [r.piece for r in combo]
            res = self.compute(sources.fetch([(p.lo, p.hi) for p in pieces]), pieces,
                               [(r.start, r.stop) for r in combo], **kwargs)
            if len(combos) == 1:
                return res
            parts = res if isinstance(res, tuple) else (res,)
            offset = tuple(r.start - a for r, (a, _) in zip(combo, location[2:]))
            if out is None:
                out = [_enclosing(p, offset, shape, center) for p in parts]
                if all(o is not None for o in out):
                    continue                        # already in place
                out = [np.empty(p.shape[:2] + shape, p.dtype) for p in parts]
            dst = (slice(None), slice(None)) + tuple(
                slice(o, o + r.stop - r.start) for o, r in zip(offset, combo))
            for o, p in zip(out, parts):
                o[dst] = p
        return tuple(out) if isinstance(res, tuple) else out[0]


def _enclosing(part, offset, shape, center):
    """The array ``part`` is a slice of, when that array has the block's spatial
    ``shape`` and holds ``part`` at ``offset``: the whole-chunk call computed the
    entire block (its seams wrongly, to be overwritten), so no new block is
    needed.  None otherwise (and never the input chunk itself)."""
    base = part if part.base is None else part.base
    if not (isinstance(base, np.ndarray) and base.shape[:2] == part.shape[:2]
            and not np.may_share_memory(base, center)
            and base.shape[2:] == shape and base.dtype == part.dtype
            and base.flags.c_contiguous and base.flags.writeable):
        return None
    start = part.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if part.strides != base.strides or start != sum(
            o * s for o, s in zip(offset, base.strides[2:])):
        return None
    return base


def _pad_after(region, pieces, value):
    """``region`` with ``piece.fill`` cells of ``value`` appended to each spatial axis."""
    if not any(p.fill for p in pieces):
        return region
    widths = ((0, 0), (0, 0)) + tuple((0, p.fill) for p in pieces)
    return np.pad(region, widths, mode="constant", constant_values=value)


def _take(y, pieces, location):
    """Our outputs of a local result: ``[drop, drop + b - a)`` on every spatial axis."""
    index = (slice(None), slice(None)) + tuple(
        slice(p.drop, p.drop + b - a) for p, (a, b) in zip(pieces, location))
    return y[index]


def _global_indices(idx, local_shape, offsets, global_shape):
    """Map flat indices into a region (``local_shape``, placed at ``offsets`` in the
    input) to flat indices into the whole spatial block.  A selection outside
    the input (an explicit padding cell, chosen only by a window that holds no
    input element) becomes -1, as in the whole-array call."""
    valid = idx >= 0
    coords = np.unravel_index(np.where(valid, idx, 0), local_shape)
    moved = []
    for c, off, n in zip(coords, offsets, global_shape):
        c = c + off
        valid &= c < n
        moved.append(np.minimum(c, n - 1))
    flat = np.ravel_multi_index(tuple(moved), global_shape)
    return np.where(valid, flat, -1).astype(np.int64)



class _AdaptiveBlock(_Block):
    """Adaptive pooling (``op``: ``"adaptive_max_pool"`` or ``"adaptive_avg_pool"``) on
    :class:`~refpool.dask._planning._AdaptiveAxis` rules: one in-memory call per run
    of every axis (the product of the runs)."""

    def compute(self, region, pieces, location, *, op, return_indices, engine):
        from .. import pooling
        fn = getattr(pooling, op)
        extra = {"return_indices": True} if return_indices else {}
        shape = region.shape[:2] + tuple(b - a for a, b in location)
        runs = [p.runs for p in pieces]
        single = all(len(r) == 1 for r in runs)
        y = idx = None
        for combo in _product(runs):
            sub = (slice(None), slice(None)) + tuple(slice(r[2], r[3]) for r in combo)
            res = fn(region[sub], tuple(r[1] - r[0] for r in combo), engine=engine, **extra)
            if return_indices:
                offsets = [p.lo + r[2] for p, r in zip(pieces, combo)]
                res = res[0], _global_indices(res[1], region[sub].shape[2:], offsets,
                                              [rule.n for rule in self.rules])
            if single:                               # one local call does it all
                return res
            if y is None:
                y = np.empty(shape, region.dtype)
                idx = np.empty(shape, np.int64) if return_indices else None
            dst = (slice(None), slice(None)) + tuple(slice(r[0], r[1]) for r in combo)
            if return_indices:
                y[dst], idx[dst] = res
            else:
                y[dst] = res
        return (y, idx) if return_indices else y
