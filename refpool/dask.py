r"""refpool's spatial operators on Dask arrays, chunked in space, with identical results.

``refpool.dask.max_pool(x, ...)`` takes a :class:`dask.array.Array` of layout
``(N, C, *spatial)`` and returns one, lazily, with the names, keywords and
defaults of the top-level operator.  The result equals the in-memory call
``refpool.max_pool(x.compute(), ...)`` for every chunking of ``x``: bitwise for
the selection operators (max pooling and its indices, norm max pooling, group
pooling, nearest interpolation), within the documented tolerance of linear
operators otherwise (and usually bitwise too).

How a call is cut into tasks (``docs/scaleout.rst`` states the rule of every
operator):

1. *Output chunks follow input chunks.*  Per spatial axis, output chunk ``i``
   starts at the first output whose input footprint starts in input chunk ``i``
   (so output chunk boundaries follow the stride).  Batch and channel chunks
   are kept (field operators move channel boundaries to field boundaries).
2. *Exact halos.*  The outputs ``[a, b)`` of an axis read a known input range,
   the operator's halo rule (:func:`refpool._geometry.window_input_range`,
   :func:`~refpool._geometry.adaptive_input_range`,
   :func:`~refpool._geometry.taps_input_range`), clipped to the input; what falls
   outside is padding.  Each task gets its input chunk and thin strips of the
   neighbouring chunks (slices: no copy).  Input chunks that own no output, or
   whose outputs read past a neighbour (chunks smaller than the halo), are
   merged with a neighbour first: the only rechunking, and only when needed.
3. *In-memory calls with adjusted arguments.*  Inside a task the outputs of
   each axis split into the run that reads only the task's chunk and the seams
   before and after it.  The run is computed by the public in-memory operator
   on the whole chunk (contiguous, no copy), the seams on small regions
   assembled from the chunk and the strips; every call gets arguments that make
   its result an exact slice of the whole-array result (padding only where the
   region meets the true border, explicit padding cells past the input's right
   end, whole leading outputs dropped to realign a stride, the divisors of the
   whole-array geometry, flat indices mapped back to the whole array).

``import refpool`` never imports this module: Dask is an optional dependency,
imported by ``import refpool.dask``.
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
from typing import NamedTuple

import numpy as np

try:
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph
except ImportError as exc:  # pragma: no cover - exercised only without dask
    raise ImportError(
        "refpool.dask needs Dask: pip install 'dask[array]' (and 'distributed' for a "
        "cluster), or pip install 'refpool[dask]'") from exc

from . import _args

from . import _geometry
from ._geometry import adaptive_input_range, taps_input_range, window_input_range
from ._fieldcheck import (check_group_pool_field_type, check_induced_field_type,
                          check_orthogonal_field_type, check_pointwise_field_type)

#: build the halo strips as one low-level graph layer (one slicing task per strip);
#: Dask's array-expression mode (opt-in in Dask 2026) gets the public slicing API
_LOW_LEVEL = not getattr(da, "_array_expr_enabled", lambda: False)()

__all__ = [
    "max_pool", "avg_pool", "adaptive_max_pool", "adaptive_avg_pool",
    "antialiased_avg_pool", "antialiased_max_pool", "blur_pool", "interpolate",
    "group_pool", "norm_pool", "induced_norm_pool", "norm_max_pool",
]


# =========================================================================== inputs
def _check_input(x, name="x"):
    """Validate a Dask array of layout ``(N, C, *spatial)`` with the top-level rules.

    :func:`refpool._args.check_input` runs on a zero-byte NumPy stand-in of the
    same shape and dtype, so the messages are the top level's.
    """
    if not isinstance(x, da.Array):
        raise TypeError(
            f"{name} must be a dask.array.Array, got {type(x).__name__}; the top-level "
            "refpool operators take NumPy and CUDA arrays")
    if any(math.isnan(c) for chunks in x.chunks for c in chunks):
        raise ValueError(f"{name} must have known chunk sizes; call "
                         f"{name}.compute_chunk_sizes() first")
    stand_in = np.lib.stride_tricks.as_strided(np.zeros(1, x.dtype), shape=x.shape,
                                               strides=(0,) * x.ndim)
    _args.check_input(stand_in, name)


def _check_out(out):
    if out is not None:
        raise TypeError("out= is not supported for Dask arrays (they are immutable); "
                        "write the result with dask.array.store instead")


# =========================================================================== axis rules
# One rule per operator family and spatial axis (a small tuple of ints).
#   piece(a, b)         the input region [lo, hi) of outputs [a, b), clipped to the
#                       input, and the local arguments that make the in-memory
#                       operator on that region return exactly those outputs
#                       (after dropping ``drop`` leading ones);
#   chunk_piece(c0, c1, a, b)
#                       the same for outputs [a, b) that read only the input chunk
#                       [c0, c1), with the whole chunk as region (a contiguous
#                       block: no view, no copy), or None when the operator's
#                       padding limits forbid it;
#   first_output(c)     the first output owned by an input chunk starting at c.
# A task recomputes its pieces from its location, so no per-block table travels
# with the graph.

class _Piece(NamedTuple):
    lo: int               # input region [lo, hi)
    hi: int
    pad: int = 0          # local padding (both sides, as the operator pads)
    fill: int = 0         # explicit padding cells appended after the region
    blur: int = 0         # local blur padding (antialiased_max_pool)
    drop: int = 0         # leading local outputs that are not ours
    runs: tuple = ()      # adaptive pooling: (u, v, lo, hi) relative to the piece


def _min_shift(base, stride, *needs):
    """Smallest m >= 0 with ``base + m*stride >= need`` for every need."""
    return max([0] + [_geometry.ceil_div(need - base, stride) for need in needs])


class _WindowAxis(NamedTuple):
    """max_pool, avg_pool, norm_max_pool along one axis.

    The region is the windows' input range clipped to the input.  What is cut
    off on the left is the true border, so it becomes the local padding (at
    most ``p``); what the windows read past the input's right end, beyond that
    symmetric padding, becomes ``fill`` explicit cells (-inf for max pooling,
    0 for average and norm max pooling).  Floor mode, no outputs dropped.
    """

    n: int
    o: int
    k: int
    s: int
    p: int
    d: int
    limit: int            # largest padding the operator accepts

    def piece(self, a, b):
        start, stop = window_input_range(self.k, self.s, self.p, self.d, a, b)
        lo, hi = max(0, start), min(self.n, stop)    # every window meets the input
        pad = lo - start
        return _Piece(lo, hi, pad=pad, fill=max(0, stop - hi - pad))

    def chunk_piece(self, c0, c1, a, b):
        # local output j starts at c0 - pad + j s: on the global grid i s - p when
        # pad = c0 + p (mod s); the local outputs before ``a`` are dropped (at the
        # true left border the padding must reach the first window)
        start, stop = window_input_range(self.k, self.s, self.p, self.d, a, b)
        base = (c0 + self.p) % self.s
        pad = base + _min_shift(base, self.s, c0 - start) * self.s
        if pad > self.limit:
            return None
        return _Piece(c0, c1, pad=pad, fill=max(0, stop - c1 - pad),
                      drop=a - (c0 - pad + self.p) // self.s)

    def first_output(self, c):
        return _geometry.ceil_div(c, self.s)


class _ZeroFilterAxis(NamedTuple):
    """A zero-padded filter at a stride (antialiased_avg_pool) along one axis.

    Local padding ``pad = lo - start + m s``: the region's left end plays the
    global padding, shifted by ``m`` whole outputs (dropped) until the padding
    is non-negative and covers what the outputs read past the region's right
    end.  Zero padding has no upper limit, so no explicit cells are needed.
    """

    n: int
    o: int
    size: int
    s: int
    before: int

    def piece(self, a, b):
        start, stop = window_input_range(self.size, self.s, self.before, 1, a, b)
        lo = min(max(0, start), self.n - 1)
        hi = max(min(self.n, stop), lo + 1)
        m = _min_shift(lo - start, self.s, 0, stop - hi)
        return _Piece(lo, hi, pad=lo - start + m * self.s, drop=m)

    def chunk_piece(self, c0, c1, a, b):
        start, stop = window_input_range(self.size, self.s, self.before, 1, a, b)
        base = (c0 + self.before) % self.s
        pad = base + _min_shift(base, self.s, c0 - start, stop - c1) * self.s
        return _Piece(c0, c1, pad=pad, drop=a - (c0 - pad + self.before) // self.s)

    def first_output(self, c):
        return _geometry.ceil_div(c, self.s)


class _BlurAxis(NamedTuple):
    """blur_pool along one axis (its padding is fixed by the filter size and pad_off).

    The region starts at a multiple ``t s`` of the stride, so local output ``j``
    is global output ``t + j`` (``a - t`` outputs dropped); ``t`` is small
    enough that the outputs read no local left padding, or 0 (the true border).
    The region ends where the outputs stop reading, or at the true border, so
    every padding the local call uses (reflect, replicate, zero) is the
    input's own.  Reflect padding must stay narrower than the region: a region
    that is too short grows by whole strides to the left, then to the right.
    """

    n: int
    o: int
    size: int
    s: int
    before: int
    after: int
    reflect: bool

    def _need(self):
        return max(self.before, self.after) + 1 if self.reflect else 1

    def piece(self, a, b):
        start, stop = window_input_range(self.size, self.s, self.before, 1, a, b)
        t = min(max(0, a - _geometry.ceil_div(self.before, self.s)), (self.n - 1) // self.s)
        lo = t * self.s
        hi = max(min(self.n, stop), lo + 1)
        if hi - lo < self._need():
            t -= min(t, _geometry.ceil_div(self._need() - (hi - lo), self.s))
            lo = t * self.s
            hi = max(hi, min(self.n, lo + self._need()))
        return _Piece(lo, hi, drop=a - t)

    def chunk_piece(self, c0, c1, a, b):
        if c0 % self.s or c1 - c0 < self._need():
            return None
        return _Piece(c0, c1, drop=a - c0 // self.s)

    def first_output(self, c):
        return _geometry.ceil_div(c, self.s)


class _AntialiasedMaxAxis(NamedTuple):
    """antialiased_max_pool along one axis: a dense max map, then a zero-padded blur.

    Outputs ``[a, b)`` read the dense positions ``[D0, D1)`` (the blur's halo),
    clipped to the dense map ``[0, L)`` as ``[lo_d, hi_d)``; these read the
    input through the max windows at stride 1, clipped as in
    :class:`_WindowAxis` (local max padding ``pad``, ``fill`` -inf cells).  The
    local dense map then starts exactly at global dense position ``lo_d``, and
    ends exactly at ``L`` when the outputs reach the dense map's right end; the
    local blur padding ``blur`` plays the global one, shifted by ``drop``
    whole outputs as in :class:`_ZeroFilterAxis`.
    """

    n: int
    o: int
    k: int
    s: int
    p: int
    d: int
    dense: int
    fs: int
    q: int

    def _blur(self, a, b, lo_d, hi_d):
        """Blur padding and dropped outputs for a local dense map over [lo_d, hi_d)."""
        d0, d1 = window_input_range(self.fs, self.s, self.q, 1, a, b)
        m = _min_shift(lo_d - d0, self.s, 0, d1 - hi_d)
        return lo_d - d0 + m * self.s, m

    def piece(self, a, b):
        d0, d1 = window_input_range(self.fs, self.s, self.q, 1, a, b)
        lo_d = min(max(0, d0), self.dense - 1)
        hi_d = max(min(self.dense, d1), lo_d + 1)
        start, stop = window_input_range(self.k, 1, self.p, self.d, lo_d, hi_d)
        lo, hi = max(0, start), min(self.n, stop)
        pad = lo - start
        blur, drop = self._blur(a, b, lo_d, hi_d)
        return _Piece(lo, hi, pad=pad, fill=max(0, stop - hi - pad), blur=blur, drop=drop)

    def chunk_piece(self, c0, c1, a, b):
        # The whole chunk with max padding ``pad`` gives the dense positions
        # [c0 - pad + p, c1 + pad + p - d(k-1)); those reading the local padding
        # are wrong unless the chunk meets the true border, where pad = p makes
        # the local dense map start or end exactly where the global one does.
        pad = self.p if c0 == 0 or c1 == self.n else 0
        extent = self.d * (self.k - 1)
        blur, drop = self._blur(a, b, c0 - pad + self.p, c1 + pad + self.p - extent)
        return _Piece(c0, c1, pad=pad, blur=blur, drop=drop)

    def first_output(self, c):
        return _geometry.ceil_div(c, self.s)


@functools.lru_cache(maxsize=64)
def _adaptive_runs(n, o, a, b):
    """Runs of outputs in ``[a, b)`` that one adaptive call computes exactly."""
    period = o // math.gcd(n, o)
    cuts = sorted({a, b, *range(_geometry.ceil_div(a, period) * period, b, period)})
    runs = []
    for u, v in zip(cuts[:-1], cuts[1:]):
        if u % period == 0 and v % period == 0:
            if runs and runs[-1][2] and runs[-1][1] == u:      # merge aligned runs
                runs[-1] = (runs[-1][0], v, True)
            else:
                runs.append((u, v, True))
        else:
            runs.extend((i, i + 1, False) for i in range(u, v))
    return tuple((u, v) for u, v, _ in runs)


class _AdaptiveAxis(NamedTuple):
    """Adaptive pooling along one axis.

    Output ``i`` of ``o`` reads ``[floor(i n/o), ceil((i+1) n/o))``.  A run of
    outputs ``[u, v)`` with ``u`` and ``v`` multiples of the period
    ``P = o / gcd(n, o)`` is itself an adaptive pooling of its input range
    (``u n / o`` is then an integer), so one local call computes it; outputs
    outside such runs are computed one window at a time (output size 1 on this
    axis).  Output chunk boundaries snap to multiples of ``P`` (``unit``) when
    ``P`` is no longer than a typical output chunk.
    """

    n: int
    o: int
    unit: int

    def piece(self, a, b):
        lo, hi = adaptive_input_range(self.n, self.o, a, b)
        runs = tuple((u - a, v - a) + tuple(r - lo for r in adaptive_input_range(
            self.n, self.o, u, v)) for u, v in _adaptive_runs(self.n, self.o, a, b))
        return _Piece(lo, hi, runs=runs)

    def chunk_piece(self, c0, c1, a, b):
        return None

    def first_output(self, c):
        i = _geometry.ceil_div(c * self.o, self.n)
        return int(round(i / self.unit)) * self.unit


@functools.lru_cache(maxsize=64)
def _axis_taps(rule):
    return _geometry.interpolation_taps(rule.kind, rule.n, rule.o, rule.r, rule.align_corners,
                                    rule.antialias, np.dtype(rule.dtype), rule.rule)


class _TapsAxis(NamedTuple):
    """Interpolation along one axis: the global taps of
    :func:`refpool._geometry.interpolation_taps`, restricted to the outputs and
    shifted to the region (the task recomputes them, cached per process)."""

    n: int
    o: int
    kind: str
    r: float
    align_corners: bool
    antialias: bool
    dtype: str
    rule: str

    def taps(self):
        return _axis_taps(self)

    def piece(self, a, b):
        return _Piece(*taps_input_range(self.taps(), a, b))

    def chunk_piece(self, c0, c1, a, b):
        return None

    def first_output(self, c):
        t = self.taps()
        first = np.where(t.count > 0, t.index[:, 0], self.n)
        return int(np.searchsorted(np.maximum.accumulate(first), c, side="left"))


class _PointAxis(NamedTuple):
    """A pixelwise operator along one axis: no halo, the input chunks as they are."""

    n: int
    o: int

    def piece(self, a, b):
        return _Piece(a, b)

    def chunk_piece(self, c0, c1, a, b):
        return _Piece(c0, c1, drop=a - c0)

    def first_output(self, c):
        return c


# =========================================================================== planning
class _Run(NamedTuple):
    start: int        # outputs [start, stop)
    stop: int
    piece: _Piece     # their region and local arguments


def _axis_runs(rule, a, b, c0, c1):
    """Split outputs ``[a, b)`` into at most three runs: the outputs reading only the
    input chunk ``[c0, c1)`` (their piece is the whole chunk when the rule's
    ``chunk_piece`` allows it, else a view of the chunk), and the seams before
    and after them.

    Footprints grow with the output index, so two bisections find the run; its
    piece is checked to lie in the chunk, so a rule whose footprints do not grow
    is still exact (it just gets a single run, on an assembled region).
    """
    outputs = range(a, b)
    u = a + bisect.bisect_left(outputs, c0, key=lambda j: rule.piece(j, j + 1).lo)
    v = a + bisect.bisect_right(outputs, c1, key=lambda j: rule.piece(j, j + 1).hi)
    if u < v:
        middle = rule.piece(u, v)
        if c0 <= middle.lo and middle.hi <= c1:
            whole = rule.chunk_piece(c0, c1, u, v)
            if whole is not None and whole.fill:
                # windows overhanging the input's end by more than the local
                # padding would need explicit cells, a copy of the whole chunk:
                # they go to the seam instead
                w = u + bisect.bisect_left(
                    range(u, v), 1, key=lambda j: rule.chunk_piece(c0, c1, u, j + 1).fill)
                if w > u:
                    v, middle = w, rule.piece(u, w)
                    whole = rule.chunk_piece(c0, c1, u, v)
                else:
                    whole = None
            runs = []
            if a < u:
                runs.append(_Run(a, u, rule.piece(a, u)))
            runs.append(_Run(u, v, whole or middle))
            if v < b:
                runs.append(_Run(v, b, rule.piece(v, b)))
            return runs
    return [_Run(a, b, rule.piece(a, b))]


def _runs_region(runs):
    return min(r.piece.lo for r in runs), max(r.piece.hi for r in runs)


class _AxisPlan(NamedTuple):
    in_chunks: tuple      # input chunks (the given ones, merged where needed)
    out_chunks: tuple     # output chunk i belongs to input chunk i
    regions: tuple        # (lo, hi) read by the task of output chunk i


def _plan_axis(rule, in_chunks):
    """Output chunks of one axis, merging input chunks until every input chunk owns
    at least one output and its outputs read only from it and its two
    neighbours (chunks smaller than the halo or the stride get merged)."""
    chunks = list(in_chunks)
    while True:
        ends = np.cumsum([0] + chunks).tolist()
        k = len(chunks)
        firsts = [0] + [min(max(int(rule.first_output(c)), 0), rule.o) for c in ends[1:-1]]
        firsts = np.maximum.accumulate(firsts + [rule.o]).tolist()
        merge, regions = set(), []
        for i in range(k):
            a, b = firsts[i], firsts[i + 1]
            if b <= a:                              # owns no output
                merge.add(i + 1 if i + 1 < k else i)
                continue
            lo, hi = _runs_region(_axis_runs(rule, a, b, ends[i], ends[i + 1]))
            if lo < ends[max(i - 1, 0)]:
                merge.add(i)
            if hi > ends[min(i + 2, k)]:
                merge.add(i + 1)
            regions.append((lo, hi))
        if not merge:
            return _AxisPlan(tuple(chunks), tuple(np.diff(firsts).tolist()), tuple(regions))
        # remove boundaries, the ones joining the smallest chunks first, never two
        # neighbouring boundaries at once (one of them often suffices)
        removed = set()
        for j in sorted(merge, key=lambda j: (ends[j + 1] - ends[j - 1], j)):
            if j - 1 not in removed and j + 1 not in removed:
                removed.add(j)
        chunks = np.diff([e for j, e in enumerate(ends) if j not in removed]).tolist()


def _bounds(sizes):
    ends = np.cumsum((0,) + tuple(sizes)).tolist()
    return list(zip(ends[:-1], ends[1:]))


def _product(lists):
    """Cartesian product of a list of lists, as tuples."""
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for tail in _product(lists[1:]):
            yield (head,) + tail


def _axis_sources(plan):
    """Where each task's strips come from along one axis, per direction: a list of
    (source chunk, slice of it) per task.  A task that needs no strip in that
    direction gets a one-cell stand-in from its own chunk, which it never reads."""
    ends = np.cumsum((0,) + plan.in_chunks).tolist()
    sides = {0: [(i, slice(None)) for i in range(len(plan.in_chunks))], -1: [], 1: []}
    for i, (lo, hi) in enumerate(plan.regions):
        sides[-1].append((i - 1, slice(lo - ends[i - 1], ends[i] - ends[i - 1]))
                         if lo < ends[i] else None)
        sides[1].append((i + 1, slice(0, hi - ends[i + 1])) if hi > ends[i + 1] else None)
    for step in (-1, 1):
        if any(sides[step]):
            sides[step] = [s or (i, slice(0, 1)) for i, s in enumerate(sides[step])]
        else:
            del sides[step]
    return sides


def _strips(x, plans):
    """The halo strips: one array per neighbour direction that some task needs.

    Direction ``delta`` (-1, 0 or 1 per spatial axis, not all 0) holds, as block
    ``i``, the part of task ``i``'s region that lies in input chunk ``i + delta``
    (the whole chunk extent along axes where ``delta`` is 0): one slicing task
    per block, run where the neighbour chunk lives, giving a view (no copy).
    """
    sources = [_axis_sources(plan) for plan in plans]
    deltas = [d for d in _product([sorted(s) for s in sources]) if any(d)]
    arrays = []
    for delta in deltas:
        per_axis = [s[step] for s, step in zip(sources, delta)]
        chunks = tuple(x.chunks[:2]) + tuple(
            x.chunks[2 + a] if step == 0 else tuple(
                (sl.stop - sl.start) for _, sl in per_axis[a])
            for a, step in enumerate(delta))
        if _LOW_LEVEL:
            name = f"refpool-halo-{tokenize(x.name, delta, per_axis)}"
            dsk = {}
            for index in np.ndindex(*x.numblocks):
                src = index[:2] + tuple(per_axis[a][i][0] for a, i in enumerate(index[2:]))
                slices = (slice(None), slice(None)) + tuple(
                    per_axis[a][i][1] for a, i in enumerate(index[2:]))
                dsk[(name,) + index] = (operator.getitem, (x.name,) + src, slices)
            graph = HighLevelGraph.from_collections(name, dsk, dependencies=[x])
            arrays.append(da.Array(graph, name, chunks, meta=x._meta))
            continue
        y = x            # public slicing API (for Dask's array-expression mode)
        for axis, step in enumerate(delta):
            if step == 0:
                continue
            ends = np.cumsum((0,) + tuple(x.chunks[2 + axis])).tolist()
            index = [slice(None)] * x.ndim
            pieces = []
            for i, sl in per_axis[axis]:
                index[2 + axis] = slice(ends[i] + sl.start, ends[i] + sl.stop)
                pieces.append(y[tuple(index)])
            y = da.concatenate(pieces, axis=2 + axis) if len(pieces) > 1 else pieces[0]
        arrays.append(y)
    return tuple(deltas), arrays


def _apply(x, opname, block, dtype, *, out_channels=None, second_dtype=None):
    """Build the output array: plan the axes, cut the halo strips, map the blocks.

    ``block`` (a :class:`_Block`) runs once per output block on its input chunk
    and strips; with ``second_dtype`` it returns a pair (values, indices) and
    two arrays come back.
    """
    plans = [_plan_axis(rule, x.chunks[2 + i]) for i, rule in enumerate(block.rules)]
    merged = tuple(x.chunks[:2]) + tuple(p.in_chunks for p in plans)
    if merged != x.chunks:
        x = x.rechunk(merged, method="tasks")
    block.deltas, strips = _strips(x, plans)
    chunks = (x.chunks[0], out_channels or x.chunks[1]) + tuple(p.out_chunks for p in plans)
    name = f"refpool-{opname.replace('_', '-')}-" \
        f"{tokenize(x.name, [s.name for s in strips], block.token())}"
    meta = np.empty((0,) * x.ndim, dtype)
    if second_dtype is None:
        return da.map_blocks(block, x, *strips, chunks=chunks, dtype=dtype, meta=meta,
                             name=name)
    # one task computes both outputs; two cheap selections split the pair
    pair = da.map_blocks(block, x, *strips, chunks=chunks, dtype=object,
                         meta=np.empty((0,) * x.ndim, object), name=name)
    first = da.map_blocks(operator.itemgetter(0), pair, dtype=dtype, meta=meta,
                          name=name + "-values")
    second = da.map_blocks(operator.itemgetter(1), pair, dtype=second_dtype,
                           meta=np.empty((0,) * x.ndim, second_dtype), name=name + "-indices")
    return first, second


# =========================================================================== tasks
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


class _MaxPoolBlock(_Block):
    def compute(self, region, pieces, location, *, kernel, stride, dilation, return_indices,
                engine):
        from .pooling import max_pool
        # -inf cells never win, and never start a window's scan: they come after
        # every input position of the window in row-major order
        local = _pad_after(region, pieces, -np.inf)
        pads = tuple(p.pad for p in pieces)
        if not return_indices:
            return _take(max_pool(local, kernel, stride, pads, dilation, engine=engine),
                         pieces, location)
        y, idx = max_pool(local, kernel, stride, pads, dilation, return_indices=True,
                          engine=engine)
        idx = _global_indices(_take(idx, pieces, location), local.shape[2:],
                              [p.lo for p in pieces], [r.n for r in self.rules])
        return _take(y, pieces, location), idx


def _avg_factors(n, k, s, p, ceil_mode, count_include_pad):
    """Divisor factors of one axis (:func:`refpool._geometry.avg_divisor_factors`)."""
    spec = _args.window_spec((n,), k, s, p, 1, ceil_mode, padding_limit="kernel")
    return _geometry.avg_divisor_factors(spec, count_include_pad)[0]


class _AvgPoolBlock(_Block):
    def compute(self, region, pieces, location, *, kernel, stride, ceil_mode,
                count_include_pad, divisor_override, engine):
        from .pooling import avg_pool
        local = _pad_after(region, pieces, 0)
        pads = tuple(p.pad for p in pieces)
        if divisor_override is None:
            # a window's divisor depends on where it sits in the whole input; the
            # local call gets it right unless the region's ends differ from the
            # input's where the window sees them (explicit zero cells, a padding
            # that counts differently)
            wanted, same = [], True
            for rule, p, (a, b), m, k, s in zip(self.rules, pieces, location,
                                                local.shape[2:], kernel, stride):
                g = _avg_factors(rule.n, k, s, rule.p, ceil_mode, count_include_pad)[a:b]
                here = _avg_factors(m, k, s, p.pad, False, count_include_pad)
                same &= bool(np.array_equal(here[p.drop:p.drop + b - a], g))
                wanted.append(g)
            if not same:
                sums = _take(avg_pool(local, kernel, stride, pads, divisor_override=1,
                                      engine=engine), pieces, location)
                divisor = functools.reduce(np.multiply.outer, wanted)
                # the engines' last step: the sum in the input dtype divided by a
                # float64 divisor, rounded once
                return (sums / divisor).astype(region.dtype)
        return _take(avg_pool(local, kernel, stride, pads, False, count_include_pad,
                              divisor_override, engine=engine), pieces, location)


class _AdaptiveBlock(_Block):
    def compute(self, region, pieces, location, *, op, return_indices, engine):
        from . import pooling
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


class _AntialiasedAvgBlock(_Block):
    def compute(self, region, pieces, location, *, sigma, stride, engine):
        from .antialiased import antialiased_avg_pool
        y = antialiased_avg_pool(region, sigma, stride, tuple(p.pad for p in pieces),
                                 engine=engine)
        return _take(y, pieces, location)


class _AntialiasedMaxBlock(_Block):
    def compute(self, region, pieces, location, *, kernel, stride, dilation, sigma, engine):
        from .antialiased import antialiased_max_pool
        local = _pad_after(region, pieces, -np.inf)
        y = antialiased_max_pool(local, kernel, stride, tuple(p.pad for p in pieces),
                                 dilation, False, sigma, tuple(p.blur for p in pieces),
                                 engine=engine)
        return _take(y, pieces, location)


class _BlurPoolBlock(_Block):
    def compute(self, region, pieces, location, *, filt_size, stride, pad_type, pad_off,
                engine):
        from .antialiased import blur_pool
        y = blur_pool(region, filt_size, stride, pad_type, pad_off, engine=engine)
        return _take(y, pieces, location)


class _InterpolateBlock(_Block):
    def compute(self, region, pieces, location, *, call, engine):
        whole = all(p.lo == 0 and p.hi == r.n and a == 0 and b == r.o
                    for p, r, (a, b) in zip(pieces, self.rules, location))
        if whole:                                    # the whole input: the engine itself
            from .interpolate import interpolate
            return interpolate(region, **dict(call), engine=engine)
        tables = []
        for rule, p, (a, b) in zip(self.rules, pieces, location):
            t = rule.taps()
            tables.append((t.index[a:b] - p.lo, t.weight[a:b], t.count[a:b]))
        return _resample(region, tables, self.rules[0].kind.startswith("nearest"))


def _resample(region, tables, nearest):
    """Evaluate per-axis interpolation taps on a region (indices relative to it).

    Nearest modes gather (bitwise the engines' result).  The others compute in
    float64 and round once, like every engine: one axis after the other, each
    output the sum of its live taps (taps past ``count`` are skipped, never
    multiplied: 0 * inf would be NaN).
    """
    if nearest:
        y = region
        for axis, (index, _, _) in enumerate(tables):
            y = np.take(y, index[:, 0], axis=2 + axis)
        return y
    a = region.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        for axis in reversed(range(len(tables))):
            index, weight, count = tables[axis]
            shape = [1] * a.ndim
            shape[2 + axis] = -1
            fixed = bool(np.all(count == index.shape[1]))
            acc = None
            for k in range(index.shape[1]):
                term = np.take(a, np.maximum(index[:, k], 0), axis=2 + axis) \
                    * weight[:, k].reshape(shape)
                if fixed:
                    acc = term if acc is None else acc + term
                else:
                    live = (count > k).reshape(shape)
                    acc = np.where(live, term, 0.0) if acc is None else np.where(
                        live, acc + term, acc)
            a = acc
    return a.astype(region.dtype)


# =========================================================================== operators
def _window_rules(spec, padding_limit):
    """The axis rules of a windowed pooling; ``padding_limit`` as in
    :func:`refpool._args.window_spec` (the largest local padding allowed)."""
    return [_WindowAxis(n, o, k, s, p, d, (d * (k - 1) + 1) // 2 if padding_limit == "dilated"
                        else k // 2)
            for n, o, k, s, p, d in zip(spec.input_size, spec.output_size, spec.kernel,
                                        spec.stride, spec.padding, spec.dilation)]


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False, *, field_type=None, engine="auto", out=None):
    r"""Max pooling of a Dask array (:func:`refpool.max_pool`, chunked in space).

    Outputs :math:`[a, b)` of an axis read the input range

    .. math:: \big[a s - p,\; (b-1) s - p + d(k-1) + 1\big)

    clipped to :math:`[0, n)`.  Each task runs :func:`refpool.max_pool` on its
    whole chunk, with a padding :math:`\equiv c_0 + p \pmod s` that puts the
    local windows on the global grid, for the outputs that read only the chunk,
    and on small regions assembled from the chunk and its neighbours' strips for
    the seams; padding stands for the input's border only where a region meets
    it, and :math:`-\infty` cells are appended where windows overhang the
    input's right end (they never win, and never start a window's scan).  Values
    and indices are bitwise those of the whole-array call; indices are flat
    indices into the whole spatial block.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
        Any chunking, along every axis.
    kernel_size, stride, padding, dilation, ceil_mode, return_indices, field_type
        As in :func:`refpool.max_pool` (``field_type`` is checked once, for the
        whole array).
    engine : {"auto", "cpu", "cuda", "reference"}
        Engine of every block's in-memory call.
    out : None
        Dask arrays are immutable; only ``None`` is accepted.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*o), dtype of ``x``
    indices : dask.array.Array of int64
        Only with ``return_indices=True``.
    """
    _check_input(x)
    spec = _args.window_spec(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode,
                             padding_limit="dilated")
    return_indices = _args.check_bool(return_indices, "return_indices")
    check_pointwise_field_type(field_type, x.shape[1], "max_pool")
    _args.check_engine(engine)
    _check_out(out)
    rules = _window_rules(spec, "dilated")
    block = _MaxPoolBlock(rules, kernel=spec.kernel, stride=spec.stride,
                          dilation=spec.dilation, return_indices=return_indices, engine=engine)
    return _apply(x, "max_pool", block, x.dtype,
                  second_dtype=np.dtype(np.int64) if return_indices else None)


def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None, *, engine="auto", out=None):
    r"""Average pooling of a Dask array (:func:`refpool.avg_pool`, chunked in space).

    Halo as :func:`max_pool` with :math:`d = 1`; explicit cells appended past the
    input's right end are zeros.  The divisor of every output is the one of the
    whole-array call (its window's place in the whole input): where a block's
    local call would count differently, the block sums with divisor 1 and
    divides by the global divisor, as the engines do (sum in the input dtype,
    float64 divisor, one rounding).

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        As in :func:`refpool.avg_pool`.
    engine, out
        As in :func:`max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*o), dtype of ``x``
    """
    _check_input(x)
    spec = _args.window_spec(x.shape[2:], kernel_size, stride, padding, 1, ceil_mode,
                             padding_limit="kernel")
    count_include_pad = _args.check_bool(count_include_pad, "count_include_pad")
    divisor_override = _args.check_divisor_override(divisor_override)
    _args.check_engine(engine)
    _check_out(out)
    rules = _window_rules(spec, "kernel")
    block = _AvgPoolBlock(rules, kernel=spec.kernel, stride=spec.stride,
                          ceil_mode=spec.ceil_mode, count_include_pad=count_include_pad,
                          divisor_override=divisor_override, engine=engine)
    return _apply(x, "avg_pool", block, x.dtype)


def _adaptive_rules(x, osize):
    rules = []
    for n, o, chunks in zip(x.shape[2:], osize, x.chunks[2:]):
        period = o // math.gcd(n, o)
        typical = max(1, (max(chunks) * o) // n)
        rules.append(_AdaptiveAxis(n, o, period if period <= typical else 1))
    return rules


def adaptive_max_pool(x, output_size, return_indices=False, *, field_type=None,
                      engine="auto", out=None):
    r"""Adaptive max pooling of a Dask array (:func:`refpool.adaptive_max_pool`).

    Outputs :math:`[a, b)` read :math:`[\lfloor a n/o \rfloor, \lceil b n/o \rceil)`.
    With the period :math:`P = o / \gcd(n, o)`, a run of outputs between two
    multiples of :math:`P` is an adaptive pooling of its own input range (its
    windows start at integer multiples of :math:`n/o`), so each block makes one
    in-memory call per such run and per leftover output; output chunks snap to
    multiples of :math:`P` when :math:`P` is short.  Bitwise identical values
    and indices.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    output_size, return_indices, field_type
        As in :func:`refpool.adaptive_max_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    _check_input(x)
    osize = _args.adaptive_output_size(x.shape[2:], output_size)
    return_indices = _args.check_bool(return_indices, "return_indices")
    check_pointwise_field_type(field_type, x.shape[1], "adaptive_max_pool")
    _args.check_engine(engine)
    _check_out(out)
    block = _AdaptiveBlock(_adaptive_rules(x, osize), op="adaptive_max_pool",
                           return_indices=return_indices, engine=engine)
    return _apply(x, "adaptive_max_pool", block, x.dtype,
                  second_dtype=np.dtype(np.int64) if return_indices else None)


def adaptive_avg_pool(x, output_size, *, engine="auto", out=None):
    r"""Adaptive average pooling of a Dask array (:func:`refpool.adaptive_avg_pool`).

    Chunked as :func:`adaptive_max_pool`; every output is the mean of its global
    window, computed by an in-memory call over exactly that window.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    output_size
        As in :func:`refpool.adaptive_avg_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    _check_input(x)
    osize = _args.adaptive_output_size(x.shape[2:], output_size)
    _args.check_engine(engine)
    _check_out(out)
    block = _AdaptiveBlock(_adaptive_rules(x, osize), op="adaptive_avg_pool",
                           return_indices=False, engine=engine)
    return _apply(x, "adaptive_avg_pool", block, x.dtype)


def antialiased_avg_pool(x, sigma, stride, padding=None, *, engine="auto", out=None):
    r"""Gaussian blur and subsample a Dask array (:func:`refpool.antialiased_avg_pool`).

    With filter size :math:`f_s = 2\,\mathrm{round}(3\sigma) + 1`, outputs
    :math:`[a, b)` read :math:`[a s - p,\; (b-1)s - p + f_s)`.  A block's region
    is that range clipped to the input; its local zero padding is the part cut
    off on the left plus :math:`m s`, with :math:`m` leading outputs dropped, so
    that it also covers what the outputs read past the region's right end.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    sigma, stride, padding
        As in :func:`refpool.antialiased_avg_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    _check_input(x)
    sigma, spec = _args.antialiased_avg_spec(x.shape[2:], sigma, stride, padding)
    _args.check_engine(engine)
    _check_out(out)
    rules = [_ZeroFilterAxis(*a) for a in zip(spec.input_size, spec.output_size, spec.size,
                                               spec.stride, spec.before)]
    block = _AntialiasedAvgBlock(rules, sigma=sigma, stride=spec.stride, engine=engine)
    return _apply(x, "antialiased_avg_pool", block, x.dtype)


def antialiased_max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                         sigma=0.6, blur_padding=None, *, field_type=None, engine="auto",
                         out=None):
    r"""Max pool densely, blur and subsample a Dask array
    (:func:`refpool.antialiased_max_pool`).

    Outputs :math:`[a, b)` read the dense max map over
    :math:`[a s - q,\; (b-1)s - q + f_s)` (:math:`f_s = 2\,\mathrm{round}(4\sigma)+1`,
    blur padding :math:`q`), clipped to :math:`[0, L)`,
    :math:`L = n + 2p - d(k-1)`; dense positions :math:`[u, v)` read the input
    :math:`[u - p,\; v - 1 - p + d(k-1) + 1)`.  Each block's local call sees a
    dense map that starts and ends where the global one does (max padding at the
    true left border, :math:`-\infty` cells past the right end) and a blur
    padding shifted by whole dropped outputs.  Identical to the whole-array call
    within the tolerance of linear operators.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    kernel_size, stride, padding, dilation, ceil_mode, sigma, blur_padding, field_type
        As in :func:`refpool.antialiased_max_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    _check_input(x)
    sigma, spec = _args.antialiased_max_spec(x.shape[2:], kernel_size, stride, padding,
                                             dilation, ceil_mode, sigma, blur_padding)
    check_pointwise_field_type(field_type, x.shape[1], "antialiased_max_pool")
    _args.check_engine(engine)
    _check_out(out)
    w, b = spec.window, spec.blur
    rules = [_AntialiasedMaxAxis(*a) for a in zip(
        w.input_size, b.output_size, w.kernel, w.stride, w.padding, w.dilation,
        spec.dense_size, b.size, b.before)]
    block = _AntialiasedMaxBlock(rules, kernel=w.kernel, stride=w.stride, dilation=w.dilation,
                                 sigma=sigma, engine=engine)
    return _apply(x, "antialiased_max_pool", block, x.dtype)


def blur_pool(x, filt_size=4, stride=2, pad_type="reflect", pad_off=0, *, engine="auto",
              out=None):
    r"""Binomial blur and subsample a Dask array (:func:`refpool.blur_pool`).

    With padding :math:`b` before the axis, outputs :math:`[a, c)` read
    :math:`[a s - b,\; (c-1)s - b + f_s)` of the padded input.  A block's region
    starts at a multiple :math:`t s` of the stride (local output :math:`j` is
    global output :math:`t + j`), early enough that the needed outputs read no
    local left padding, or at 0; it ends where they stop reading, or at the
    input's end, so every padding the local call uses (reflect, replicate,
    zero) is the input's own.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    filt_size, stride, pad_type, pad_off
        As in :func:`refpool.blur_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    _check_input(x)
    spec = _args.blur_pool_spec(x.shape[2:], filt_size, stride, pad_type, pad_off)
    _args.check_engine(engine)
    _check_out(out)
    rules = [_BlurAxis(*a, spec.mode == "reflect") for a in zip(
        spec.input_size, spec.output_size, spec.size, spec.stride, spec.before, spec.after)]
    block = _BlurPoolBlock(rules, filt_size=spec.size, stride=spec.stride, pad_type=spec.mode,
                           pad_off=tuple(b - (f - 1) // 2 for b, f in zip(spec.before,
                                                                          spec.size)),
                           engine=engine)
    return _apply(x, "blur_pool", block, x.dtype)


#: per-axis rule of the taps of each interpolation mode (:func:`refpool._geometry.interpolation_taps`)
_TAPS_KIND = {"nearest": "nearest", "nearest-exact": "nearest-exact", "linear": "linear",
              "bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False, *, engine="auto", out=None):
    r"""Resample a Dask array (:func:`refpool.interpolate`, chunked in space).

    Every output reads the input positions of its taps
    (:func:`refpool._geometry.interpolation_taps`), so outputs :math:`[a, b)` read
    from the smallest to the largest live tap index among them.  A block that
    holds the whole input runs :func:`refpool.interpolate` itself; the others
    evaluate the global taps, restricted to their outputs and shifted to their
    region: a gather for the nearest modes (bitwise identical), float64 sums
    rounded once otherwise (within the tolerance of linear operators).
    ``mode="area"`` is :func:`adaptive_avg_pool`.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    size, scale_factor, mode, align_corners, recompute_scale_factor, antialias
        As in :func:`refpool.interpolate`.
    engine, out
        As in :func:`max_pool` (``engine`` runs the whole-input blocks and the
        area mode).
    """
    _check_input(x)
    spec = _args.interpolation_spec(x.shape[2:], size, scale_factor, mode, align_corners,
                                    recompute_scale_factor, antialias)
    _args.check_engine(engine)
    _check_out(out)
    if spec.mode == "area":
        block = _AdaptiveBlock(_adaptive_rules(x, spec.output_size), op="adaptive_avg_pool",
                               return_indices=False, engine=engine)
        return _apply(x, "interpolate", block, x.dtype)
    rules = [_TapsAxis(n, m, _TAPS_KIND[spec.mode], float(r), spec.align_corners,
                       spec.antialias, np.dtype(x.dtype).name, spec.nearest_rule)
             for n, m, r in zip(spec.input_size, spec.output_size, spec.scale)]
    call = (("size", None if size is None else _args.per_axis(size, len(rules), "size")),
            ("scale_factor", scale_factor if not isinstance(scale_factor, list)
             else tuple(scale_factor)),
            ("mode", mode), ("align_corners", align_corners),
            ("recompute_scale_factor", recompute_scale_factor), ("antialias", antialias))
    block = _InterpolateBlock(rules, call=call, engine=engine)
    return _apply(x, "interpolate", block, x.dtype)


# =========================================================================== field operators
def _field_edges(field_type):
    """Channel positions where fields start, plus the channel count."""
    return np.array([f.start for f in field_type.fields] + [field_type.size], dtype=np.int64)


def _field_aligned(x, field_type):
    """``x`` with channel chunks that never split a field: every chunk boundary moves
    to the nearest field boundary (chunks that vanish are merged away)."""
    edges = _field_edges(field_type)
    cuts = {0, int(edges[-1])}
    for c in np.cumsum(x.chunks[1])[:-1]:
        i = int(np.searchsorted(edges, c))
        cuts.add(int(edges[i] if edges[i] - c <= c - edges[i - 1] else edges[i - 1]))
    cuts = sorted(cuts)
    chunks = tuple(b - a for a, b in zip(cuts[:-1], cuts[1:]))
    if chunks != x.chunks[1]:
        x = x.rechunk({1: chunks})
    return x


class _FieldBlock(_Block):
    """A block of a field operator: it gets the field type of its channel chunk."""

    def kwargs_for(self, location):
        field_type = self.kwargs["field_type"]
        c0, c1 = location[1]
        if self.kwargs["invariant"]:                 # one output channel per field
            f0, f1 = c0, c1
        else:
            edges = _field_edges(field_type)
            f0, f1 = int(np.searchsorted(edges, c0)), int(np.searchsorted(edges, c1))
        from .fields import FieldType
        kwargs = dict(self.kwargs, field_type=FieldType(field_type.group,
                                                        field_type.representations[f0:f1]))
        del kwargs["invariant"]
        return kwargs


class _InvariantBlock(_FieldBlock):
    def compute(self, region, pieces, location, *, op, field_type, engine):
        from . import field_pooling as invariant
        return getattr(invariant, op)(region, field_type, engine=engine)


class _NormMaxPoolBlock(_FieldBlock):
    def compute(self, region, pieces, location, *, field_type, kernel, stride, dilation,
                engine):
        from .field_pooling import norm_max_pool
        # zero cells have norm 0: never larger than an input position scanned
        # before them, and a window holding nothing else yields zeros, as one
        # holding no input position does
        local = _pad_after(region, pieces, 0)
        y = norm_max_pool(local, field_type, kernel, stride, tuple(p.pad for p in pieces),
                          dilation, False, engine=engine)
        return _take(y, pieces, location)


def _invariant(x, field_type, op, check, engine, out):
    _check_input(x)
    check(field_type, x.shape[1], op)
    _args.check_engine(engine)
    _check_out(out)
    x = _field_aligned(x, field_type)
    edges = _field_edges(field_type)
    fields = tuple(int(np.searchsorted(edges, b) - np.searchsorted(edges, a))
                   for a, b in _bounds(x.chunks[1]))
    rules = [_PointAxis(n, n) for n in x.shape[2:]]
    block = _InvariantBlock(rules, op=op, field_type=field_type, invariant=True, engine=engine)
    return _apply(x, op, block, x.dtype, out_channels=fields)


def group_pool(x, field_type, *, engine="auto", out=None):
    r"""Group pooling of a Dask array (:func:`refpool.group_pool`).

    Pixelwise, so there is no halo: batch and spatial chunks are kept, and the
    channel chunks are moved to field boundaries (a field is never split).  One
    output channel per field.  Bitwise identical.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    field_type : FieldType
        As in :func:`refpool.group_pool` (checked once, for the whole array).
    engine, out
        As in :func:`max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, F, \*spatial), dtype of ``x``
    """
    return _invariant(x, field_type, "group_pool", check_group_pool_field_type, engine, out)


def norm_pool(x, field_type, *, engine="auto", out=None):
    r"""Norm pooling of a Dask array (:func:`refpool.norm_pool`); chunked as
    :func:`group_pool`.  Bitwise identical (the squared norm of a field is summed
    in channel order within one block).

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    field_type : FieldType
        As in :func:`refpool.norm_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    return _invariant(x, field_type, "norm_pool", check_orthogonal_field_type, engine, out)


def induced_norm_pool(x, field_type, *, engine="auto", out=None):
    r"""Induced norm pooling of a Dask array (:func:`refpool.induced_norm_pool`);
    chunked as :func:`group_pool`.  Bitwise identical.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    field_type : FieldType
        As in :func:`refpool.induced_norm_pool`.
    engine, out
        As in :func:`max_pool`.
    """
    return _invariant(x, field_type, "induced_norm_pool", check_induced_field_type, engine,
                      out)


def norm_max_pool(x, field_type, kernel_size, stride=None, padding=0, dilation=1,
                  ceil_mode=False, *, engine="auto", out=None):
    r"""Norm max pooling of a Dask array (:func:`refpool.norm_max_pool`).

    Channel chunks move to field boundaries (a field is never split); spatial
    chunks follow :func:`max_pool`'s halo rule, with zero vectors (norm 0) as
    the explicit cells past the input's right end: they never beat an input
    position, which is always scanned first.  Bitwise identical.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, \*spatial), float32 or float64
    field_type, kernel_size, stride, padding, dilation, ceil_mode
        As in :func:`refpool.norm_max_pool`.
    engine, out
        As in :func:`max_pool`.

    Returns
    -------
    y : dask.array.Array, shape (N, C, \*o), dtype of ``x``
    """
    _check_input(x)
    spec = _args.window_spec(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode,
                             padding_limit="dilated")
    check_orthogonal_field_type(field_type, x.shape[1], "norm_max_pool")
    _args.check_engine(engine)
    _check_out(out)
    x = _field_aligned(x, field_type)
    rules = _window_rules(spec, "dilated")
    block = _NormMaxPoolBlock(rules, field_type=field_type, invariant=False,
                              kernel=spec.kernel, stride=spec.stride, dilation=spec.dilation,
                              engine=engine)
    return _apply(x, "norm_max_pool", block, x.dtype)
