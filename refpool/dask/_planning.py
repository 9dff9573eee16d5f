r"""Planning of :mod:`refpool.dask`: input checks, per-axis rules, axis plans, halo strips.

A call of a Dask wrapper goes through this module:

* :func:`_prepare` runs the checks of the top-level operator on the Dask array
  (the input, the operator's own arguments, the field type, ``engine``, ``out``),
  in the top level's order;
* one *axis rule* per spatial axis (a small picklable tuple, built from the
  :mod:`refpool._geometry` object of that axis) says which input region a range of
  outputs reads and with which local arguments the in-memory operator computes
  exactly those outputs; the rules shared by several families live here
  (:class:`_WindowAxis`, :class:`_AdaptiveAxis`, :class:`_PointAxis`), the others
  next to their operator;
* :func:`_apply` plans every axis (:func:`_plan_axis`), cuts the halo strips
  (:func:`_strips`) and maps the operator's block (:mod:`refpool.dask._blocks`)
  over the chunks.
"""

from __future__ import annotations

import bisect
import functools
import inspect
import math
import operator
from typing import NamedTuple

import numpy as np
import dask.array as da
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from .. import _args, _geometry

#: build the halo strips as one low-level graph layer (one slicing task per strip);
#: Dask's array-expression mode (opt-in in Dask 2026) gets the public slicing API
_LOW_LEVEL = not getattr(da, "_array_expr_enabled", lambda: False)()


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


def _prepare(x, engine, out, validate=None, *, field_type=None, field_check=None, op=None):
    """The checks every wrapper starts with, in the top-level operator's order, so
    that every invalid call raises the top level's error:

    1. ``x``: a Dask array with known chunks, of a shape and dtype the top level
       takes (:func:`_check_input`);
    2. the operator's own arguments: ``validate(spatial_shape)``, a call of the
       :mod:`refpool._args` spec functions the top-level operator uses;
    3. the field type: ``field_check(field_type, channels, op)``, a rule of
       :mod:`refpool._fieldcheck` (checked once, for the whole array);
    4. ``engine``, then ``out`` (only ``None``: Dask arrays are immutable).

    Returns what ``validate`` returns (None without it).
    """
    _check_input(x)
    args = None if validate is None else validate(tuple(x.shape[2:]))
    if field_check is not None:
        field_check(field_type, x.shape[1], op)
    _args.check_engine(engine)
    _check_out(out)
    return args


# =========================================================================== axis rules
# One rule per spatial axis: a small tuple holding the axis's geometry
# (:mod:`refpool._geometry`) and what the local calls need, with
#   n, o                the input and output lengths of the axis;
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
# with the graph.  The input ranges are the geometry's (``input_range``); a rule
# adds only the clipping and the local arguments.

#: the input and output lengths of an axis rule that holds its per-axis geometry
#: (a refpool._geometry object) as ``geometry``
geometry_n = property(lambda self: self.geometry.n, doc="input length of the axis")
geometry_o = property(lambda self: self.geometry.output_length, doc="output length of the axis")


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
    """max_pool, avg_pool, norm_max_pool along one axis (a
    :class:`~refpool._geometry.WindowAxis`).

    The region is the windows' input range clipped to the input.  What is cut
    off on the left is the true border, so it becomes the local padding (at
    most ``p``); what the windows read past the input's right end, beyond that
    symmetric padding, becomes ``fill`` explicit cells (-inf for max pooling,
    0 for average and norm max pooling).  Floor mode, no outputs dropped.
    """

    geometry: _geometry.WindowAxis
    limit: int            # largest padding the operator accepts

    n = geometry_n
    o = geometry_o

    def piece(self, a, b):
        start, stop = self.geometry.input_range(a, b)
        lo, hi = max(0, start), min(self.n, stop)    # every window meets the input
        pad = lo - start
        return _Piece(lo, hi, pad=pad, fill=max(0, stop - hi - pad))

    def chunk_piece(self, c0, c1, a, b):
        # local output j starts at c0 - pad + j s: on the global grid i s - p when
        # pad = c0 + p (mod s); the local outputs before ``a`` are dropped (at the
        # true left border the padding must reach the first window)
        g = self.geometry
        start, stop = g.input_range(a, b)
        base = (c0 + g.padding) % g.stride
        pad = base + _min_shift(base, g.stride, c0 - start) * g.stride
        if pad > self.limit:
            return None
        return _Piece(c0, c1, pad=pad, fill=max(0, stop - c1 - pad),
                      drop=a - (c0 - pad + g.padding) // g.stride)

    def first_output(self, c):
        return _geometry.ceil_div(c, self.geometry.stride)


def _window_rules(spec, padding_limit):
    """The axis rules of a windowed pooling (a :class:`~refpool._geometry.WindowSpec`);
    ``padding_limit`` as in :func:`refpool._args.window_spec` (the largest local
    padding allowed)."""
    rules = []
    for b in range(len(spec.input_size)):
        g = spec.axis(b)
        limit = (g.dilation * (g.kernel - 1) + 1) // 2 if padding_limit == "dilated" \
            else g.kernel // 2
        rules.append(_WindowAxis(g, limit))
    return rules


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
    """Adaptive pooling along one axis (an :class:`~refpool._geometry.AdaptiveAxis`):
    adaptive_max_pool, adaptive_avg_pool, ``interpolate(mode="area")``.

    Output ``i`` of ``o`` reads ``[floor(i n/o), ceil((i+1) n/o))``.  A run of
    outputs ``[u, v)`` with ``u`` and ``v`` multiples of the period
    ``P = o / gcd(n, o)`` is itself an adaptive pooling of its input range
    (``u n / o`` is then an integer), so one local call computes it; outputs
    outside such runs are computed one window at a time (output size 1 on this
    axis).  Output chunk boundaries snap to multiples of ``P`` (``unit``) when
    ``P`` is no longer than a typical output chunk.
    """

    geometry: _geometry.AdaptiveAxis
    unit: int

    n = geometry_n
    o = geometry_o

    def piece(self, a, b):
        lo, hi = self.geometry.input_range(a, b)
        runs = tuple((u - a, v - a) + tuple(r - lo for r in self.geometry.input_range(u, v))
                     for u, v in _adaptive_runs(self.n, self.o, a, b))
        return _Piece(lo, hi, runs=runs)

    def chunk_piece(self, c0, c1, a, b):
        return None

    def first_output(self, c):
        i = _geometry.ceil_div(c * self.o, self.n)
        return int(round(i / self.unit)) * self.unit


def _adaptive_rules(x, osize):
    """The axis rules of an adaptive pooling of ``x`` to ``osize``."""
    rules = []
    for n, o, chunks in zip(x.shape[2:], osize, x.chunks[2:]):
        period = o // math.gcd(n, o)
        typical = max(1, (max(chunks) * o) // n)
        rules.append(_AdaptiveAxis(_geometry.AdaptiveAxis(n, o),
                                   period if period <= typical else 1))
    return rules


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


def _with_layouts(wrapper):
    """Give a wrapper of ``(N, C, *spatial)`` Dask arrays the top level's ``ndim=`` and
    ``channels_last=`` keywords (:func:`refpool._args.layout_axes`): the leading axes
    merge into ``N`` (``reshape``, merging chunks), the channel axis moves to
    position 1, and every result goes back to the caller's layout."""
    signature = inspect.signature(wrapper)
    params = list(signature.parameters.values())
    at = [p.name for p in params].index("engine")
    layout = [inspect.Parameter("ndim", inspect.Parameter.KEYWORD_ONLY, default=None),
              inspect.Parameter("channels_last", inspect.Parameter.KEYWORD_ONLY,
                                default=False)]

    @functools.wraps(wrapper)
    def call(x, *args, ndim=None, channels_last=False, **kwargs):
        if ndim is None and not channels_last:
            return wrapper(x, *args, **kwargs)
        _check_input_object(x)
        # the layout rule is _args.Layout's, shared with the NumPy and CUDA entry points
        batch, channels, k = _args.layout_axes(x.shape, ndim, channels_last)
        axes = _args.Layout(batch, channels, bool(channels_last), k, x.dtype, x.dtype)
        n, c, *spatial = axes.canonical_shape(x.shape)
        if channels_last:
            canonical = da.moveaxis(x.reshape((n, *spatial, c), merge_chunks=True), -1, 1)
        else:
            canonical = x.reshape((n, c, *spatial), merge_chunks=True)
        result = wrapper(canonical, *args, **kwargs)

        def restore(y):
            caller = axes.caller_shape(y.shape)
            return (da.moveaxis(y, 1, -1) if channels_last else y).reshape(caller)
        return tuple(map(restore, result)) if isinstance(result, tuple) else restore(result)

    call.__signature__ = signature.replace(parameters=params[:at] + layout + params[at:])
    return call


def _check_input_object(x):
    if not isinstance(x, da.Array):
        raise TypeError(f"x must be a dask.array.Array, got {type(x).__name__}")


def _apply(x, opname, block, dtype, *, out_channels=None, second_dtype=None):
    """Build the output array: plan the axes, cut the halo strips, map the blocks.

    ``block`` (a :class:`refpool.dask._blocks._Block`) runs once per output block on
    its input chunk and strips; with ``second_dtype`` it returns a pair (values,
    indices) and two arrays come back.
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

