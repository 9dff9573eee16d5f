r"""Pipelines of refpool operators: output shapes and exact grid symmetries of whole networks.

A single operator's exactness is :func:`refpool.exact_symmetries`.  A network chains many
of them, and users meet the question one level up: *for which input sizes is my U-Net
exactly equivariant on the grid?*  This module answers it from the operators' rules,
never by running the network.

* :func:`compose` chains stages: refpool operators with their arguments bound
  (``functools.partial(refpool.max_pool, kernel_size=2)``), other pipelines, merges of
  branches (:func:`merge`, :func:`skip`: concatenation along channels or a sum, as the
  skip connections of a U-Net) and functions declared pixelwise (:func:`pointwise`).
* A :class:`Pipeline` runs on arrays, reports its shapes (:meth:`Pipeline.output_shape`,
  :meth:`Pipeline.stage_shapes`, :meth:`Pipeline.describe`) and its exact grid symmetries
  (:meth:`Pipeline.exact_symmetries`, also ``refpool.exact_symmetries(pipeline, shape)``).
* :func:`equivariant_sizes` and :func:`nearest_equivariant_size` choose input sizes;
  ``refpool advise`` does the same from the command line (:func:`parse_pipeline` reads its
  description).

The claim
---------
With :math:`T_g` the exact grid transform of every channel alike (trivial fields:
:meth:`refpool.FieldType.transform`), an element :math:`g` of the grid group is listed when
:math:`f(T_g x) = T_g f(x)` for every input :math:`x` (up to rounding for linear stages).
It is derived by three rules:

1. **Sequence.**  :math:`f = f_k \circ \dots \circ f_1` commutes with :math:`T_g` when
   every stage does on the shape it receives: :math:`f(T_g x) = f_k(\dots f_1(T_g x)) =
   f_k(\dots T_g f_1(x)) = \dots = T_g f(x)`.  Consecutive stages of one *kind* are first
   composed into one per-axis structure and checked together (the same structure
   comparison as a single operator, :mod:`refpool.equivariance.rules`):

   - *linear* stages (:func:`~refpool.avg_pool`, :func:`~refpool.adaptive_avg_pool`,
     :func:`~refpool.antialiased_avg_pool`, :func:`~refpool.blur_pool`,
     :func:`~refpool.interpolate` with any mode): along each axis a matrix, and the chain
     is their product;
   - *max* stages (:func:`~refpool.max_pool`, :func:`~refpool.adaptive_max_pool`,
     nearest :func:`~refpool.interpolate`): along each axis a window of input positions
     per output, and the chain is a max over the union of the windows it reaches.

   Every other stage is checked alone.
2. **Merge.**  A concatenation or a sum of branches commutes with :math:`T_g` when every
   branch does; the branches' output shapes then agree for :math:`T_g x` because they
   agree for :math:`x`.
3. **Pixelwise** stages (:func:`pointwise`, :func:`~refpool.group_pool`,
   :func:`~refpool.norm_pool`, :func:`~refpool.induced_norm_pool`,
   :func:`~refpool.subgroup_pool`, :func:`~refpool.max_pool_channels`) commute with every
   grid symmetry.

When the answer is tight, and when it is only sufficient
--------------------------------------------------------
Every listed element holds (the rules are sufficient).  The list is also *complete*
(tight: exactly the elements that hold on generic inputs)

* for a single operator (:func:`refpool.exact_symmetries` is tight);
* for a chain of linear stages and for a chain of max stages: the composed structure is
  the whole map, compared exactly as a single operator's;
* for a concatenation of tight branches: each branch owns its own output channels, so a
  branch that breaks :math:`g` breaks the merge;
* for a sum of tight branches, for the elements that at most one branch breaks (the
  others cancel from both sides), unless a branch is :math:`-\infty` everywhere (max
  pooling over windows that hold only padding), which absorbs the sum.

It is only sufficient across kinds, at stages checked alone and at sums, because a stage
may break :math:`g` on inputs that the stages before it never produce, and two stages
that break :math:`g` can cancel:

* ``interpolate(scale_factor=2, mode="area")`` repeats every pixel twice and
  ``max_pool(kernel_size=1, stride=2)`` then keeps pixels ``0, 2, 4, ...``: on an even
  length the second alone breaks every reversal, the chain is the identity;
* ``max_pool(kernel_size=2, stride=1, padding="same")`` pads after the line and
  ``padding="same_lower"`` before it: neither commutes with a reversal, and the *sum* of
  the two commutes with the half turn (their *chain* is composed, and found exact);
* ``pixel_shuffle(pixel_unshuffle(x, 2), 2) == x``.

Such an element is missing from the list although it holds; the list never holds an
element that does not.  :func:`refpool.check_equivariance` measures what holds.

Shuffle stages (:func:`~refpool.pixel_shuffle`, ...) move elements between space and
channels; the plain claim above holds for them only where the induced channel
permutation is the identity (:func:`refpool.equivariance.rules.induced_channel_permutation`).
Field types: the claim concerns the grid action on the pixels.  For fields whose
representation permutes or rotates channels, every channel-wise refpool operator commutes
with the fibre action as its docs state, so for a network of them the two combine.
"""

from __future__ import annotations

import ast
import difflib
import functools
import inspect
import itertools
import numbers
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ._typing import Array, ArrayIn, Engine, Size
from .groups import GroupElement

__all__ = ["Pipeline", "compose", "merge", "skip", "pointwise", "parse_pipeline", "is_pipeline",
           "equivariant_sizes", "nearest_equivariant_size", "StageShape", "SizeAdvice"]

#: how consecutive stages compose (see the module documentation): linear maps (their
#: per-axis matrices multiply) and maxima over windows (their windows unite); every other
#: operator is checked alone, which is always sound (interpolate is classified by mode)
_LINEAR = ("avg_pool", "adaptive_avg_pool", "antialiased_avg_pool", "blur_pool")
_MAX = ("max_pool", "adaptive_max_pool")
#: operators that cannot be a stage, and why
_REFUSED = {
    "max_unpool": "it reads the indices of a max_pool as a second input",
    "roi_pool": "its boxes are a second input that moves with the grid",
    "roi_align": "its boxes are a second input that moves with the grid",
}
#: keywords a stage may not bind, and why
_FORBIDDEN = {
    "out": "a pipeline allocates every stage's output",
    "ndim": "a pipeline reads (N, C, *spatial) arrays; drop the layout keywords",
    "channels_last": "a pipeline reads (N, C, *spatial) arrays; drop the layout keywords",
}
#: relative tolerance on the weights of composed linear structures (as a single rule's)
_WEIGHT_RTOL = 1e-9


# =========================================================================== records
class StageShape(NamedTuple):
    """The shapes around one stage (:meth:`Pipeline.stage_shapes`).

    Attributes
    ----------
    path : str
        Where the stage sits: ``"3"`` is the third stage, ``"3.2.1"`` the first stage of
        the second branch of the merge at stage 3.
    stage : str
        The stage as written (``"max_pool(kernel_size=2)"``).
    input_shape, output_shape : tuple of int
        ``(N, C, *spatial)`` before and after the stage.
    """

    path: str
    stage: str
    input_shape: Tuple[int, ...]
    output_shape: Tuple[int, ...]


class SizeAdvice(NamedTuple):
    """The answer of :func:`nearest_equivariant_size`.

    Attributes
    ----------
    size : int or tuple of int
        The exact size (an int for square/cubic inputs, as it was asked).
    requested : int or tuple of int
        The size that was asked about.
    pad : tuple of (int, int)
        Per spatial axis, the pixels to add ``(before, after)``: ``numpy.pad(x, ((0, 0),
        (0, 0)) + advice.pad)``.
    crop : tuple of (int, int)
        Per spatial axis, the pixels to remove ``(before, after)``.
    """

    size: Any
    requested: Any
    pad: Tuple[Tuple[int, int], ...]
    crop: Tuple[Tuple[int, int], ...]


# =========================================================================== helpers
@functools.lru_cache(maxsize=None)
def _operators_by_function():
    """The registry's operators by their public function."""
    from .registry import OPERATORS
    return {op.function: op for op in OPERATORS.values()}


def _full_shape(input_shape, what="input_shape"):
    """``(N, C, *spatial)`` as a tuple of ints, 1 to 3 spatial axes."""
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__"):
        raise TypeError(f"{what} must be the full (N, C, *spatial) shape, a tuple of ints, "
                        f"got {input_shape!r}")
    shape = tuple(input_shape)
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"{what} must be a tuple of ints, got {input_shape!r}")
    shape = tuple(int(s) for s in shape)
    if not 3 <= len(shape) <= 5:
        raise ValueError(f"{what} must be the full (N, C, *spatial) shape with 1 to 3 "
                         f"spatial axes, got {shape}")
    if shape[0] < 0 or min(shape[1:]) < 1:
        raise ValueError(f"{what} must have N >= 0 and positive channel and spatial "
                         f"lengths, got {shape}")
    return shape


def _restage(exc, path, label):
    """``exc`` again, its message prefixed with the stage it came from."""
    kind = TypeError if isinstance(exc, TypeError) else ValueError
    return kind(f"stage {path} {label}: {exc}")


def _mirror_rows(rows, n):
    """A composed structure reflected on a line of ``n`` input positions."""
    return [{n - 1 - q: w for q, w in row.items()} if isinstance(row, dict)
            else frozenset(n - 1 - q for q in row) for row in reversed(rows)]


def _rows_close(a, b):
    """Two composed linear rows are equal within the weight tolerance."""
    scale = max([abs(w) for w in a.values()] + [abs(w) for w in b.values()] + [0.0])
    tolerance = _WEIGHT_RTOL * scale
    return all(abs(a.get(q, 0.0) - b.get(q, 0.0)) <= tolerance for q in set(a) | set(b))


# =========================================================================== stages
class _Stage:
    """One step of a pipeline (internal).  Subclasses define the four methods."""

    #: kinds it composes with (see the module documentation); empty: checked alone
    kinds = frozenset()
    label = "stage"

    def run(self, x, engine):  # pragma: no cover - interface
        raise NotImplementedError

    def trace(self, shape, path, records):
        """Append this stage's :class:`StageShape` records; return the output shape."""
        try:
            out = self.output_shape(shape)
        except (TypeError, ValueError) as exc:
            raise _restage(exc, path, self.label) from None
        records.append(StageShape(path, self.label, shape, out))
        return out

    def output_shape(self, shape):  # pragma: no cover - interface
        raise NotImplementedError

    def holds(self, shape, elements, path):
        """The elements of ``elements`` under which this stage alone is exact."""
        return list(elements)


class _OperatorStage(_Stage):
    """A registered operator with its arguments bound."""

    def __init__(self, operator, keywords, path):
        self.operator = operator
        name = operator.name
        if name in _REFUSED:
            raise TypeError(f"stage {path} {name}: not a pipeline stage, because "
                            f"{_REFUSED[name]}")
        signature = inspect.signature(operator.function)
        accepted = [p for p in signature.parameters if p not in ("x", "engine")
                    and p not in _FORBIDDEN]
        for key in keywords:
            if key in _FORBIDDEN:
                raise TypeError(f"stage {path} {name}: cannot bind {key}=: {_FORBIDDEN[key]}")
            if key == "x":
                raise TypeError(f"stage {path} {name}: binds the input x; bind only the "
                                f"operator's arguments: functools.partial(refpool.{name}, "
                                f"...)")
            if key not in accepted and key != "engine":
                raise TypeError(f"stage {path} {name} takes no keyword {key!r}; its "
                                f"keywords are {', '.join(accepted)}")
        missing = [p.name for p in signature.parameters.values()
                   if p.default is inspect.Parameter.empty and p.name != "x"
                   and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                   and p.name not in keywords]
        if missing:
            raise TypeError(f"stage {path} {name} is missing its argument "
                            f"{', '.join(map(repr, missing))}: bind it, "
                            f"functools.partial(refpool.{name}, {missing[0]}=...)")
        if keywords.get("return_indices"):
            raise ValueError(f"stage {path} {name}: return_indices=True returns a pair; a "
                             f"stage must return one array")
        self.engine = keywords.get("engine")
        self.keywords = {k: v for k, v in keywords.items() if k != "engine"}
        self.label = f"{name}({', '.join(f'{k}={v!r}' for k, v in self.keywords.items())})"
        if name in _LINEAR:
            self.kinds = frozenset({"linear"})
        elif name in _MAX:
            self.kinds = frozenset({"max"})
        elif name == "interpolate":
            from ._args import NEAREST_MODES
            mode = self.keywords.get("mode", "nearest")
            self.kinds = frozenset({"linear", "max"} if mode in NEAREST_MODES else {"linear"})

    def rule(self, spatial):
        return self.operator.rule(tuple(spatial), **self.keywords)

    def run(self, x, engine):
        return self.operator.function(x, **self.keywords,
                                      engine=self.engine if self.engine else engine)

    def output_shape(self, shape):
        rule = self.rule(shape[2:])
        channels = rule.output_channels(shape[1])
        return (shape[0], channels) + rule.output_spatial(shape[2:])

    def holds(self, shape, elements, path):
        from .equivariance.rules import _element_holds
        spatial = shape[2:]
        try:
            rule = self.rule(spatial)
        except (TypeError, ValueError) as exc:
            raise _restage(exc, path, self.label) from None
        held = [g for g in elements if _element_holds(rule, spatial, g)]
        if hasattr(rule, "channel_permutation"):
            # the plain claim: the induced channel permutation must be the identity
            channels = shape[1] if rule.side == "input" else rule.output_channels(shape[1])
            held = [g for g in held
                    if np.array_equal(rule.channel_permutation(g, len(spatial), channels),
                                      np.arange(channels))]
        return held

    def structures(self, spatial):
        """The per-axis structures on ``spatial`` (None where the operator refuses it)."""
        try:
            rule = self.rule(spatial)
        except (TypeError, ValueError):
            return None
        out = []
        for b, n in enumerate(spatial):
            structure = rule.axis(b, n, tuple(spatial))
            if structure is None:
                return None
            out.append(structure)
        return out


class _PointwiseStage(_Stage):
    """A function declared to act on each pixel alone (:func:`pointwise`)."""

    def __init__(self, fn, out_channels, name):
        self.fn = fn
        self.out_channels = out_channels
        self.label = f"pointwise({name})"

    def run(self, x, engine):
        return self.fn(x)

    def output_shape(self, shape):
        channels = shape[1] if self.out_channels is None else self.out_channels
        return (shape[0], channels) + tuple(shape[2:])


class _OpaqueStage(_Stage):
    """A callable that is not a refpool operator: it runs, nothing is derived for it."""

    def __init__(self, fn):
        self.fn = fn
        self.label = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) \
            or type(fn).__name__

    def run(self, x, engine):
        return self.fn(x)

    def output_shape(self, shape):
        raise TypeError("not a refpool operator, so its output shape and exact symmetries "
                        "cannot be derived from rules (refpool.check_equivariance still "
                        "measures the pipeline; declare a function that acts on each pixel "
                        "alone with refpool.pointwise(fn))")


class _MergeStage(_Stage):
    """Branches applied to the same input, concatenated along channels or summed."""

    def __init__(self, branches, mode):
        self.branches = tuple(branches)
        self.mode = mode
        self.label = f"merge({mode}: {len(self.branches)} branches)"

    def run(self, x, engine):
        outputs = [branch(x, engine=engine) for branch in self.branches]
        shapes = [tuple(np.shape(y)) for y in outputs]
        self._check(shapes)
        if self.mode == "concat":
            return np.concatenate([np.asarray(y) for y in outputs], axis=1)
        total = np.asarray(outputs[0]).copy()
        for y in outputs[1:]:
            total += np.asarray(y)
        return total

    def _check(self, shapes):
        if self.mode == "concat":
            keys = {(s[0],) + tuple(s[2:]) for s in shapes}
            if len(keys) > 1:
                raise ValueError(f"{self.label}: the branch outputs have shapes "
                                 f"{', '.join(map(str, shapes))}; a concatenation needs "
                                 f"equal batch and spatial shapes")
        elif len(set(shapes)) > 1:
            raise ValueError(f"{self.label}: the branch outputs have shapes "
                             f"{', '.join(map(str, shapes))}; a sum needs equal shapes")

    def output_shape(self, shape):
        return self.trace(shape, "", [])

    def trace(self, shape, path, records):
        index = len(records)
        records.append(None)
        shapes = [branch._trace(shape, f"{path}.{i + 1}.", records)
                  for i, branch in enumerate(self.branches)]
        try:
            self._check(shapes)
        except ValueError as exc:
            raise ValueError(f"stage {path} {exc}") from None
        if self.mode == "concat":
            out = (shape[0], sum(s[1] for s in shapes)) + tuple(shapes[0][2:])
        else:
            out = shapes[0]
        records[index] = StageShape(path, self.label, shape, out)
        return out

    def holds(self, shape, elements, path):
        held = list(elements)
        for i, branch in enumerate(self.branches):
            if not held:
                break
            held = branch._holds(shape, held, f"{path}.{i + 1}.")
        return held


# =========================================================================== the pipeline
class Pipeline:
    r"""A chain of stages, built by :func:`compose`.

    Call it on arrays (``pipeline(x, engine="reference")``); ask it for shapes
    (:meth:`output_shape`, :meth:`stage_shapes`, :meth:`describe`) and for its exact grid
    symmetries (:meth:`exact_symmetries`), derived from the operators' rules as the module
    documentation states.  An empty pipeline is the identity.

    Parameters
    ----------
    stages : sequence
        What :func:`compose` accepts.
    """

    def __init__(self, stages: Sequence[Any] = ()) -> None:
        operators = _operators_by_function()
        flat: List[_Stage] = []
        for stage in stages:
            path = str(len(flat) + 1)
            if isinstance(stage, Pipeline):
                flat.extend(stage.stages)
            elif isinstance(stage, _Stage):
                flat.append(stage)
            elif isinstance(stage, functools.partial) and _registered(stage.func, operators):
                if stage.args:
                    raise TypeError(f"stage {path} {operators[stage.func].name}: binds "
                                    f"{len(stage.args)} positional argument(s), the first "
                                    f"being the input x; bind the arguments by keyword: "
                                    f"functools.partial(refpool.{operators[stage.func].name}"
                                    f", kernel_size=...)")
                flat.append(_OperatorStage(operators[stage.func], dict(stage.keywords), path))
            elif callable(stage) and _registered(stage, operators):
                flat.append(_OperatorStage(operators[stage], {}, path))
            elif callable(stage):
                flat.append(_OpaqueStage(stage))
            else:
                raise TypeError(f"stage {path} must be a refpool operator with its arguments "
                                f"bound (functools.partial(refpool.max_pool, kernel_size=2)), "
                                f"a pipeline, a merge or a callable, got {stage!r}")
        self.stages: Tuple[_Stage, ...] = tuple(flat)
        self.__name__ = f"pipeline of {len(self.stages)} stages"

    # --- running ----------------------------------------------------------------------------
    def __call__(self, x: ArrayIn, *, engine: Engine = "auto") -> Array:
        """Run the stages in turn on ``x`` (``engine=`` goes to every refpool operator
        that does not bind its own)."""
        for stage in self.stages:
            x = stage.run(x, engine)
        return x

    def __len__(self):
        return len(self.stages)

    def __repr__(self):
        return f"compose({', '.join(stage.label for stage in self.stages)})"

    # --- shapes -----------------------------------------------------------------------------
    def _trace(self, shape, prefix, records):
        for i, stage in enumerate(self.stages):
            shape = stage.trace(shape, f"{prefix}{i + 1}", records)
        return shape

    def stage_shapes(self, input_shape: Sequence[int]) -> List[StageShape]:
        """The input and output shape of every stage, branches included, in order.

        Parameters
        ----------
        input_shape : tuple of int
            ``(N, C, *spatial)``.

        Returns
        -------
        list of StageShape
            A merge comes before the stages of its branches (paths ``"3.1.1"``, ...).

        Raises
        ------
        TypeError, ValueError
            Naming the stage (its path and arguments) that refuses its input, or a merge
            whose branches disagree, or a stage that is not a refpool operator.
        """
        records: List[StageShape] = []
        self._trace(_full_shape(input_shape), "", records)
        return records

    def output_shape(self, input_shape: Sequence[int]) -> Tuple[int, ...]:
        """The output shape ``(N, C', *spatial')`` for ``input_shape`` ``(N, C, *spatial)``,
        from the operators' output-size rules (nothing is run).  Raises as
        :meth:`stage_shapes`."""
        return self._trace(_full_shape(input_shape), "", [])

    # --- exactness --------------------------------------------------------------------------
    def _segments(self):
        """Maximal runs of consecutive stages that share a kind, with that kind."""
        segments = []                     # [start, stop, kinds]
        for index, stage in enumerate(self.stages):
            if segments and segments[-1][2] & stage.kinds:
                segments[-1][1] = index + 1
                segments[-1][2] = segments[-1][2] & stage.kinds
            else:
                segments.append([index, index + 1, stage.kinds])
        return [tuple(segment) for segment in segments]

    def _holds(self, shape, elements, prefix):
        records: List[StageShape] = []
        inputs = []
        for i, stage in enumerate(self.stages):
            inputs.append(shape)
            shape = stage.trace(shape, f"{prefix}{i + 1}", records)
        held = list(elements)
        for start, stop, kinds in self._segments():
            if not held:
                break
            if stop - start == 1:
                held = self.stages[start].holds(inputs[start], held, f"{prefix}{start + 1}")
            else:
                kind = "max" if "max" in kinds else "linear"
                held = _composed_holds(self.stages[start:stop], inputs[start][2:], held, kind)
        return held

    def exact_symmetries(self, input_shape: Sequence[int]) -> List[GroupElement]:
        """The grid symmetries under which the whole pipeline is exactly equivariant.

        Parameters
        ----------
        input_shape : tuple of int
            ``(N, C, *spatial)``, 1 to 3 spatial axes.

        Returns
        -------
        list of GroupElement
            Elements of the grid group (:func:`refpool.equivariance.grid_group`) in its
            order, derived from the rules of the module documentation: every element
            listed holds; the list is complete where the module documentation says it is
            tight.

        Raises
        ------
        TypeError, ValueError
            As :meth:`stage_shapes`: the pipeline does not run on this shape, or a stage
            is not a refpool operator (exactness cannot be derived for it).
        """
        from .equivariance.rules import grid_group
        shape = _full_shape(input_shape)
        group = grid_group(len(shape) - 2)
        held = set(self._holds(shape, group.elements, ""))
        return [g for g in group.elements if g in held]

    def describe(self, input_shape: Sequence[int]) -> str:
        """A table of the stages: path, stage, input and output shape, and how many grid
        symmetries the stage keeps on its own; then the pipeline's exact elements.

        Parameters
        ----------
        input_shape : tuple of int
            ``(N, C, *spatial)``.

        Returns
        -------
        str
        """
        from .equivariance.rules import grid_group
        shape = _full_shape(input_shape)
        group = grid_group(len(shape) - 2)
        records = self.stage_shapes(shape)
        stages = _stages_by_path(self, "")
        rows = [(r.path, "  " * (r.path.count(".") // 2) + r.stage,
                 f"{r.input_shape} -> {r.output_shape}",
                 f"{len(stages[r.path].holds(r.input_shape, group.elements, r.path))}"
                 f"/{group.order}") for r in records]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f"{p.ljust(widths[0])}  {s.ljust(widths[1])}  {t.ljust(widths[2])}  "
                 f"alone: {k}" for p, s, t, k in rows]
        held = self.exact_symmetries(shape)
        names = " ".join(map(repr, held))
        lines.append(f"pipeline: exact for {len(held)} of the {group.order} elements of "
                     f"{group.name}" + (f": {names}" if held else ""))
        return "\n".join(lines)


def _registered(function, operators):
    try:
        return function in operators
    except TypeError:                       # unhashable callables are not operators
        return False


def _stages_by_path(pipeline, prefix):
    found = {}
    for i, stage in enumerate(pipeline.stages):
        path = f"{prefix}{i + 1}"
        found[path] = stage
        if isinstance(stage, _MergeStage):
            for j, branch in enumerate(stage.branches):
                found.update(_stages_by_path(branch, f"{path}.{j + 1}."))
    return found


# =========================================================================== composition
def _compose_segment(stages, spatial, kind):
    """The composed per-axis structures of a run of same-kind stages on ``spatial``: per
    axis, a list of rows (dict position -> weight for linear, frozenset of positions for
    max), one per output position; None where a stage refuses its input."""
    rows = None
    spatial = tuple(spatial)
    for stage in stages:
        structures = stage.structures(spatial)
        if structures is None:
            return None
        if kind == "linear":
            step = [[dict(window) for window in structure] for structure in structures]
        else:
            step = [[frozenset(q for q, _ in window) for window in structure]
                    for structure in structures]
        if rows is None:
            rows = step
        elif kind == "linear":
            rows = [[_combine(window, previous) for window in axis]
                    for axis, previous in zip(step, rows)]
        else:
            rows = [[frozenset().union(*(previous[p] for p in window)) for window in axis]
                    for axis, previous in zip(step, rows)]
        spatial = tuple(len(axis) for axis in rows)
    return rows


def _combine(window, previous):
    out: Dict[int, float] = {}
    for p, w in window.items():
        for q, v in previous[p].items():
            out[q] = out.get(q, 0.0) + w * v
    return out


def _composed_holds(stages, spatial, elements, kind):
    """The elements under which a run of same-kind stages is exact (tight)."""
    from .equivariance.rules import axis_action
    spatial = tuple(spatial)
    nd = len(spatial)
    cache: Dict[tuple, Any] = {}

    def structures(shape):
        if shape not in cache:
            cache[shape] = _compose_segment(stages, shape, kind)
        return cache[shape]

    original = structures(spatial)
    held = []
    for g in elements:
        perm, reverse = axis_action(g, nd)
        moved = tuple(spatial[perm[b]] for b in range(nd))
        transformed = structures(moved)
        if transformed is None or original is None:
            continue
        mine, theirs = [], []
        for b in range(nd):
            a = perm[b]
            rows = original[a]
            if reverse[b]:
                rows = _mirror_rows(rows, spatial[a])
            mine.append(transformed[b])
            theirs.append(rows)
        if any(len(m) != len(t) for m, t in zip(mine, theirs)):
            continue
        if any(all(not r for r in m) for m in mine) and \
                any(all(not r for r in t) for t in theirs):
            held.append(g)       # both outputs constant (-inf or 0): only shapes count
            continue
        if kind == "max":
            same = all(m == t for m, t in zip(mine, theirs))
        else:
            same = _linear_equal(mine, theirs)
        if same:
            held.append(g)
    return held


def _linear_equal(mine, theirs):
    """Whether two products of per-axis matrices are the same map.  The n-D map is the
    outer product of the axes' matrices, so the axes may differ by scales whose product
    is 1 (a filter of weight 1/2 along one axis and of weight 1 along the other, swapped
    by a transposition)."""
    product = 1.0
    for m, t in zip(mine, theirs):
        pivot = max(((abs(w), q, i) for i, row in enumerate(t) for q, w in row.items()),
                    default=None)
        if pivot is None:
            return False                 # (both constant was decided before)
        _, q, i = pivot
        scale = m[i].get(q, 0.0) / t[i][q]
        if scale == 0.0:
            return False
        if not all(_rows_close(r, {k: scale * w for k, w in s.items()})
                   for r, s in zip(m, t)):
            return False
        product *= scale
    return abs(product - 1.0) <= _WEIGHT_RTOL


# =========================================================================== building
def compose(*stages: Any) -> Pipeline:
    """Chain stages into a :class:`Pipeline`.

    Parameters
    ----------
    *stages
        Each one of: a refpool operator with its arguments bound by keyword
        (``functools.partial(refpool.max_pool, kernel_size=2)``, or a bare operator whose
        arguments all have defaults, ``refpool.blur_pool``); another pipeline (its stages
        are inlined); a :func:`merge` or :func:`skip`; a :func:`pointwise` function; or
        any other callable ``f(x) -> array``, which the pipeline runs but for which
        nothing can be derived (shapes and exactness then raise TypeError naming it;
        :func:`refpool.check_equivariance` still measures the pipeline).

    Returns
    -------
    Pipeline

    Raises
    ------
    TypeError
        A stage that is not callable, binds the input positionally, binds a keyword its
        operator does not take (or ``out=``, ``ndim=``, ``channels_last=``), misses a
        required argument, or is an operator that cannot be a stage (``max_unpool``,
        ``roi_pool``, ``roi_align``); the message names the stage.
    ValueError
        ``return_indices=True``.

    Examples
    --------
    Two max poolings: the windows of the second one reach input pixels ``4i .. 4i+3``.

    >>> import functools
    >>> import refpool
    >>> pool = functools.partial(refpool.max_pool, kernel_size=2)
    >>> net = refpool.compose(pool, pool)
    >>> net
    compose(max_pool(kernel_size=2), max_pool(kernel_size=2))
    >>> net.output_shape((1, 3, 16, 16))
    (1, 3, 4, 4)
    >>> len(net.exact_symmetries((1, 3, 16, 16))), len(net.exact_symmetries((1, 3, 18, 18)))
    (8, 2)

    On 18 pixels the second pooling sees 9, an odd length, and its window grid is no
    longer symmetric: only the transpose survives.
    """
    return Pipeline(stages)


def is_pipeline(value: Any) -> bool:
    """Whether :func:`refpool.exact_symmetries` reads ``value`` as a pipeline: a
    :class:`Pipeline`, a stage of :func:`merge`/:func:`skip`/:func:`pointwise`, or a
    ``functools.partial`` of a refpool operator."""
    if isinstance(value, (Pipeline, _Stage)):
        return True
    return isinstance(value, functools.partial) and _registered(value.func,
                                                                _operators_by_function())


def _as_pipeline(value, what):
    if isinstance(value, Pipeline):
        return value
    if isinstance(value, (list, tuple)):
        return Pipeline(value)
    if isinstance(value, _Stage) or callable(value):
        return Pipeline((value,))
    raise TypeError(f"{what} must be a stage, a pipeline or a list of stages, got {value!r}")


def merge(*branches: Any, mode: str = "concat") -> _Stage:
    r"""A stage that feeds its input to every branch and merges their outputs.

    Parameters
    ----------
    *branches
        Two or more branches, each a stage, a pipeline or a list of stages (composed);
        an empty pipeline, ``compose()``, is the identity.
    mode : {"concat", "add"}
        ``"concat"``: concatenate the outputs along the channel axis (axis 1), in branch
        order, which needs equal batch and spatial shapes; ``"add"``: their sum, which
        needs equal shapes.

    Returns
    -------
    stage
        For :func:`compose`.

    Raises
    ------
    ValueError
        Fewer than two branches or an unknown ``mode``; shapes that disagree are reported
        by :meth:`Pipeline.output_shape` (and when the merge runs) naming the stage.

    Notes
    -----
    Exactness: a merge holds :math:`g` when every branch does.  For a concatenation this
    is also necessary (each branch owns its channels); for a sum it is necessary for the
    elements that at most one branch breaks, and only sufficient otherwise.

    Examples
    --------
    >>> import functools
    >>> import refpool
    >>> avg = functools.partial(refpool.avg_pool, kernel_size=3, stride=1, padding=1)
    >>> both = refpool.merge(avg, functools.partial(refpool.max_pool, kernel_size=3,
    ...                                             stride=1, padding=1))
    >>> refpool.compose(both).output_shape((1, 2, 7, 7))
    (1, 4, 7, 7)
    """
    if mode not in ("concat", "add"):
        raise ValueError(f"merge: mode must be 'concat' or 'add', got {mode!r}")
    if len(branches) < 2:
        raise ValueError(f"merge needs two or more branches, got {len(branches)}")
    return _MergeStage([_as_pipeline(b, f"merge branch {i + 1}")
                        for i, b in enumerate(branches)], mode)


def skip(*stages: Any, mode: str = "concat") -> _Stage:
    """A skip connection around ``stages``: ``merge(compose(), compose(*stages), mode=mode)``,
    the input (first) next to the stages' output, as in a U-Net.

    Parameters
    ----------
    *stages
        What :func:`compose` accepts.
    mode : {"concat", "add"}
        As :func:`merge`.

    Returns
    -------
    stage
        For :func:`compose`.

    Examples
    --------
    >>> import functools
    >>> import refpool
    >>> down = functools.partial(refpool.max_pool, kernel_size=2)
    >>> up = functools.partial(refpool.interpolate, scale_factor=2, mode="nearest")
    >>> refpool.compose(refpool.skip(down, up)).output_shape((1, 3, 8, 8))
    (1, 6, 8, 8)
    """
    return merge(Pipeline(()), Pipeline(stages), mode=mode)


def pointwise(fn: Callable, out_channels: Optional[int] = None, *,
              name: Optional[str] = None) -> _Stage:
    r"""Declare that ``fn`` acts on each pixel alone, the same way at every pixel.

    ``fn(x)[n, :, u]`` must depend on ``x[n, :, u]`` only, by one function for every
    position ``u`` (a ReLU, a bias, a :math:`1 \times 1` convolution, a channel
    permutation).  Such a function commutes with every permutation of the pixels, so with
    every grid symmetry: the stage keeps every element and the spatial shape.  This is the
    caller's declaration; :func:`refpool.check_equivariance` can confirm it.

    Parameters
    ----------
    fn : callable
        ``fn(x) -> array`` on ``(N, C, *spatial)`` arrays.
    out_channels : int, optional
        The number of channels ``fn`` returns; default: as many as it reads.
    name : str, optional
        How the stage is shown; default the function's name.

    Returns
    -------
    stage
        For :func:`compose`.

    Examples
    --------
    >>> import functools
    >>> import numpy as np
    >>> import refpool
    >>> relu = refpool.pointwise(lambda x: np.maximum(x, 0), name="relu")
    >>> net = refpool.compose(relu, functools.partial(refpool.max_pool, kernel_size=2))
    >>> net.output_shape((1, 3, 8, 8)), len(net.exact_symmetries((1, 3, 8, 8)))
    ((1, 3, 4, 4), 8)
    """
    if not callable(fn):
        raise TypeError(f"pointwise: fn must be callable, got {fn!r}")
    if out_channels is not None and (not isinstance(out_channels, numbers.Integral)
                                     or isinstance(out_channels, bool) or out_channels < 1):
        raise ValueError(f"pointwise: out_channels must be a positive int or None, got "
                         f"{out_channels!r}")
    if name is None:
        name = getattr(fn, "__name__", None) or type(fn).__name__
    return _PointwiseStage(fn, None if out_channels is None else int(out_channels), name)


# =========================================================================== advisor
def _grid_elements(ndim, elements):
    from .equivariance.rules import grid_group
    if isinstance(ndim, bool) or not isinstance(ndim, numbers.Integral):
        raise TypeError(f"ndim must be 1, 2 or 3, got {ndim!r}")
    group = grid_group(int(ndim))
    if elements is None:
        return group, list(group.elements)
    if isinstance(elements, (str, GroupElement)):
        elements = [elements]
    chosen = []
    by_name = {repr(g): g for g in group.elements}
    for e in elements:
        if isinstance(e, str) and e in by_name:
            chosen.append(by_name[e])
        elif isinstance(e, GroupElement) and e in group.elements:
            chosen.append(e)
        else:
            raise ValueError(f"elements must be elements of the grid group {group.name} of "
                             f"{ndim} spatial axes ({', '.join(by_name)}), got {e!r}")
    return group, chosen


def _spatial(size, ndim, index):
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        return (int(size),) * ndim
    try:
        shape = tuple(size)
    except TypeError:
        raise TypeError(f"sizes[{index}] must be an int or a spatial shape, got "
                        f"{size!r}") from None
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"sizes[{index}] must be an int or a tuple of ints, got {size!r}")
    if len(shape) != ndim:
        raise ValueError(f"sizes[{index}] = {size!r} has {len(shape)} axes but ndim={ndim}; "
                         f"pass ndim={len(shape)}")
    return tuple(int(n) for n in shape)


def _first_channels(pipeline, ndim):
    """The channel count the first channel-constrained stage asks for (1 if none)."""
    for stage in pipeline.stages:
        if isinstance(stage, _MergeStage):
            for branch in stage.branches:
                found = _first_channels(branch, ndim)
                if found != 1:
                    return found
            return 1
        if not isinstance(stage, _OperatorStage):
            return 1
        field_type = stage.keywords.get("field_type")
        if field_type is not None:
            return int(field_type.size)
        name = stage.operator.name
        if name == "max_pool_channels":
            k = stage.keywords.get("kernel_size")
            return int(k) if isinstance(k, numbers.Integral) and k > 0 else 1
        if name in ("pixel_shuffle", "depth_to_space"):
            factor = stage.keywords.get("upscale_factor", stage.keywords.get("blocksize"))
            return int(factor) ** ndim if isinstance(factor, numbers.Integral) else 1
        if name in ("pixel_unshuffle", "space_to_depth"):
            return 1                     # channels change here: later needs are not ours
    return 1


class _Advisor:
    """Shared argument handling of the two advisor functions."""

    def __init__(self, pipeline, ndim, elements, channels, batch):
        self.pipeline = _as_pipeline(pipeline, "pipeline")
        self.group, self.elements = _grid_elements(ndim, elements)
        self.ndim = int(ndim)
        if channels is None:
            channels = _first_channels(self.pipeline, self.ndim)
        if isinstance(channels, bool) or not isinstance(channels, numbers.Integral) \
                or channels < 1:
            raise ValueError(f"channels must be a positive int, got {channels!r}")
        self.channels = int(channels)
        self.batch = int(batch)

    def exact(self, spatial):
        """Whether the pipeline runs on ``spatial`` and is exact there; the error if it
        does not run (a TypeError for underivable stages propagates)."""
        if min(spatial) < 1:
            return False, ValueError(f"spatial shape {spatial} has an empty axis")
        shape = (self.batch, self.channels) + spatial
        try:
            held = self.pipeline._holds(shape, self.elements, "")
        except ValueError as exc:
            return False, exc
        return len(held) == len(self.elements), None


def equivariant_sizes(pipeline: Callable, sizes: Iterable[Size], ndim: int = 2,
                      elements: Optional[Iterable[Any]] = None, *,
                      channels: Optional[int] = None, batch: int = 1) -> List[Size]:
    r"""The input sizes at which ``pipeline`` is exactly equivariant.

    Parameters
    ----------
    pipeline : Pipeline or stage
        What :func:`compose` returns (a single bound operator is composed).
    sizes : iterable of int or of tuple of int
        Candidate sizes: an int ``n`` is the square (cubic) input ``(n,) * ndim``, a tuple
        a spatial shape of ``ndim`` axes.
    ndim : int
        The number of spatial axes, 1 to 3.
    elements : iterable, optional
        The grid symmetries that must hold: elements of the grid group
        (:func:`refpool.equivariance.grid_group`) or their names (``"D4[1,1]"``).
        Default: the whole group (8 in 2-D, 48 in 3-D).
    channels : int, optional
        Input channels; default: what the first field or shuffle stage needs, else 1.
    batch : int
        Input batch size (it changes nothing but the shapes).

    Returns
    -------
    list
        Those of ``sizes`` (as given, in order) at which the pipeline runs and every
        requested element holds, by :meth:`Pipeline.exact_symmetries`: each listed size
        is exact (sufficient rules); where the module documentation calls the rules
        tight, the list is also complete.

    Raises
    ------
    ValueError
        When the pipeline runs at none of the sizes (the message gives the last size's
        error), or for bad ``sizes``, ``ndim`` or ``elements``.
    TypeError
        A stage that is not a refpool operator (nothing can be derived for it).

    Examples
    --------
    Two max poolings ``k=3, s=2`` without padding sample a symmetric grid when
    :math:`(n - 3) \bmod 2 = 0` and then :math:`((n-1)/2 - 3) \bmod 2 = 0`, so
    :math:`n = 4k + 3`:

    >>> import functools
    >>> import refpool
    >>> pool = functools.partial(refpool.max_pool, kernel_size=3, stride=2)
    >>> refpool.equivariant_sizes(refpool.compose(pool, pool), range(7, 30))
    [7, 11, 15, 19, 23, 27]

    Only the left-right flip, on non-square inputs: it reverses the last axis, which must
    have a length :math:`4k + 3`:

    >>> refpool.equivariant_sizes(refpool.compose(pool, pool), [(11, 12), (12, 11)],
    ...                           elements=["D4[1,0]"])
    [(12, 11)]
    """
    advisor = _Advisor(pipeline, ndim, elements, channels, batch)
    if isinstance(sizes, (numbers.Integral, str)):
        raise TypeError(f"sizes must be an iterable of ints or of spatial shapes, got "
                        f"{sizes!r} (write [{sizes!r}] or range(...))")
    found, last_error, tried, ran = [], None, 0, False
    for index, size in enumerate(sizes):
        spatial = _spatial(size, advisor.ndim, index)
        tried += 1
        exact, error = advisor.exact(spatial)
        if error is not None:
            last_error = (size, error)
            continue
        ran = True
        if exact:
            found.append(size)
    if tried and not ran:                 # the largest sizes say more than the smallest
        size, error = last_error
        raise ValueError(f"the pipeline runs at none of the {tried} sizes; at {size!r}: "
                         f"{error}")
    return found


def nearest_equivariant_size(pipeline: Callable, size: Size, ndim: int = 2,
                             elements: Optional[Iterable[Any]] = None, *,
                             channels: Optional[int] = None, max_change: int = 64,
                             centred: bool = False) -> SizeAdvice:
    r"""The size closest to ``size`` at which ``pipeline`` is exactly equivariant.

    Parameters
    ----------
    pipeline : Pipeline or stage
        As :func:`equivariant_sizes`.
    size : int or tuple of int
        The size you have: an int for a square (cubic) input, or a spatial shape.
    ndim, elements, channels
        As :func:`equivariant_sizes`.
    max_change : int
        Search at most this many pixels away on every axis.
    centred : bool
        Only sizes at an even distance on every axis, so that the padding or crop is the
        same on both sides and the image centre stays in place (an odd change moves it by
        half a pixel, which a reversal of the padded image does not undo).

    Returns
    -------
    SizeAdvice
        ``size`` (an int if an int was asked), ``requested``, and per axis the ``pad`` and
        ``crop`` ``(before, after)`` that take the input there; the change is split as
        ``(d // 2, d - d // 2)``.  Candidates are tried by their largest per-axis change,
        then their total change, padding before cropping: a tie goes to the larger size.

    Raises
    ------
    ValueError
        When no size within ``max_change`` is exact (the message says so), or for bad
        arguments.

    Examples
    --------
    >>> import functools
    >>> import refpool
    >>> pool = functools.partial(refpool.max_pool, kernel_size=3, stride=2)
    >>> advice = refpool.nearest_equivariant_size(refpool.compose(pool, pool), 256)
    >>> advice.size, advice.pad, advice.crop
    (255, ((0, 0), (0, 0)), ((0, 1), (0, 1)))

    An exact size is odd here, so from 256 no change is centred:

    >>> refpool.nearest_equivariant_size(refpool.compose(pool, pool), 256, centred=True)
    Traceback (most recent call last):
        ...
    ValueError: no n x n within 64 pixels of 256 makes the pipeline exact for 8 element(s) ...
    """
    advisor = _Advisor(pipeline, ndim, elements, channels, 1)
    spatial = _spatial(size, advisor.ndim, 0)
    if isinstance(max_change, bool) or not isinstance(max_change, numbers.Integral) \
            or max_change < 0:
        raise ValueError(f"max_change must be an int >= 0, got {max_change!r}")
    square = isinstance(size, numbers.Integral)
    step = 2 if centred else 1
    for d in range(0, int(max_change) + 1, step):
        for candidate in _candidates(spatial, d, square, step):
            if advisor.exact(candidate)[0]:
                pad = tuple((max(c - n, 0) // 2, max(c - n, 0) - max(c - n, 0) // 2)
                            for c, n in zip(candidate, spatial))
                crop = tuple((max(n - c, 0) // 2, max(n - c, 0) - max(n - c, 0) // 2)
                             for c, n in zip(candidate, spatial))
                return SizeAdvice(candidate[0] if square else candidate, size, pad, crop)
    which = "n x n" if square else "shape"
    raise ValueError(f"no {which} within {max_change} pixels of {size!r} makes the pipeline "
                     f"exact for {len(advisor.elements)} element(s) of {advisor.group.name}; "
                     f"raise max_change= or read pipeline.describe(shape) for the stage "
                     f"that breaks them")


def _candidates(spatial, d, square, step):
    """Sizes whose largest per-axis change is ``d``: smallest total change first, then
    padding before cropping."""
    if square:
        n = spatial[0]
        return [(n + d,) * len(spatial)] + ([(n - d,) * len(spatial)] if 0 < d < n else [])
    options = [range(-d, d + 1, step) for _ in spatial]
    found = []
    for change in itertools.product(*options):
        if max(map(abs, change), default=0) != d:
            continue
        candidate = tuple(n + c for n, c in zip(spatial, change))
        if min(candidate) < 1:
            continue
        found.append((sum(map(abs, change)), -sum(change), candidate))
    return [c for _, _, c in sorted(found)]


# =========================================================================== descriptions
_EXAMPLE = ("max_pool(kernel_size=2); blur_pool(filt_size=3, stride=2); "
            "interpolate(scale_factor=2, mode='bilinear', align_corners=True)")


def parse_pipeline(text: str) -> Pipeline:
    """Read a pipeline from a short description, safely (:mod:`ast`, no evaluation).

    The description is operator calls separated by ``;`` or new lines, with literal
    arguments (numbers, strings, tuples, ``True``/``False``/``None``), and skip
    connections ``skip(call; ...)`` written ``skip(call, call, ..., mode='concat')`` or
    merges ``merge([call, ...], [call, ...], mode='add')``::

        max_pool(kernel_size=2); blur_pool(filt_size=3, stride=2)
        skip(max_pool(kernel_size=2), interpolate(scale_factor=2, mode='bilinear'))

    Parameters
    ----------
    text : str

    Returns
    -------
    Pipeline

    Raises
    ------
    ValueError
        Text that is not such a description (the message quotes the part it could not
        read), an unknown operator (with the closest name), a non-literal argument, or an
        operator that needs a ``field_type`` (which a description cannot hold).
    TypeError
        Keywords the operator does not take, or missing arguments (from :func:`compose`).

    Examples
    --------
    >>> from refpool.pipeline import parse_pipeline
    >>> parse_pipeline("max_pool(2); interpolate(scale_factor=2, mode='nearest')")
    compose(max_pool(kernel_size=2), interpolate(scale_factor=2, mode='nearest'))
    """
    if not isinstance(text, str):
        raise TypeError(f"the pipeline description must be a string, got {text!r}")
    source = text.strip()
    if not source:
        raise ValueError(f"the pipeline description is empty; write operator calls "
                         f"separated by ';', e.g. \"{_EXAMPLE}\"")
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        raise ValueError(f"cannot read the pipeline description at column {exc.offset}: "
                         f"{exc.msg}; write operator calls separated by ';', e.g. "
                         f"\"{_EXAMPLE}\"") from None
    stages = []
    for statement in tree.body:
        if not isinstance(statement, ast.Expr):
            raise ValueError(f"{ast.get_source_segment(source, statement)!r} is not an "
                             f"operator call such as max_pool(kernel_size=2)")
        stages.append(_parse_stage(statement.value, source))
    return compose(*stages)


def _literal(node, source, where):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        raise ValueError(f"{where}: {ast.get_source_segment(source, node)!r} is not a literal "
                         f"(a number, string, tuple, True, False or None)") from None


def _parse_stage(node, source):
    from .registry import OPERATORS
    text = ast.get_source_segment(source, node)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(f"{text!r} is not an operator call such as max_pool(kernel_size=2)")
    name = node.func.id
    keywords = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ValueError(f"{text!r}: ** arguments are not read; write each keyword")
        keywords[keyword.arg] = _literal(keyword.value, source, name)
    if name in ("skip", "merge"):
        unknown = set(keywords) - {"mode"}
        if unknown:
            raise ValueError(f"{name}() takes only the keyword mode, got "
                             f"{', '.join(sorted(unknown))}")
        if name == "skip":
            return skip(*[_parse_stage(arg, source) for arg in node.args], **keywords)
        branches = []
        for arg in node.args:
            calls = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
            branches.append(Pipeline([_parse_stage(c, source) for c in calls]))
        return merge(*branches, **keywords)
    if name not in OPERATORS:
        close = difflib.get_close_matches(name, list(OPERATORS) + ["skip", "merge"], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown operator {name!r}{hint}; the operators are "
                         f"{', '.join(OPERATORS)}, plus skip(...) and merge(...)")
    function = OPERATORS[name].function
    signature = inspect.signature(function)
    if "field_type" in signature.parameters and \
            signature.parameters["field_type"].default is inspect.Parameter.empty:
        raise ValueError(f"{name} needs a field_type, which a description cannot hold; build "
                         f"this pipeline in Python with refpool.compose")
    args = [_literal(arg, source, name) for arg in node.args]
    positional = [p.name for p in signature.parameters.values()
                  if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.name != "x"]
    if len(args) > len(positional):
        raise TypeError(f"{text!r}: {name} takes at most {len(positional)} positional "
                        f"argument(s) ({', '.join(positional)}), got {len(args)}")
    for key, value in zip(positional, args):
        if key in keywords:
            raise TypeError(f"{text!r}: {key} is given twice")
        keywords[key] = value
    return functools.partial(function, **keywords)
