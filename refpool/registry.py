"""The operator registry: one row per public operator.

Everything that enumerates operators reads this table: the command line
(``refpool ops``), the conformance catalogue and its engine adapters, the
documentation's symmetry table, :mod:`refpool.dask`'s operator list,
:func:`refpool.exact_symmetries` and ``tests/test_registry.py``, which fails when
a piece of an operator is missing.  ``docs/architecture.rst`` lists the pieces
(the "adding an operator" checklist).

A row names the operator's *family*, and the family names its files: the public
module ``refpool/<family>.py``, the engine modules
``refpool/engines/{reference,cpu,cuda}/<family>.py`` (each defining the row's
``entry_points`` with the same parameters), the Dask module
``refpool/dask/<family>.py`` and the catalogue generator
``refpool.conformance.catalog.GENERATORS[<family>]``.

Importing this module imports neither Numba nor Dask.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

from . import _args
from .equivariance import rules as _rules

#: the engines of every operator (defined with the ``engine=`` rule in refpool._args)
ENGINES = _args.ENGINES

COMPARISONS = ("exact", "tolerance", "mode")
FIELD_TYPE_RULES = ("none", "optional", "required")


@dataclass(frozen=True)
class Operator:
    """One public operator.

    Attributes
    ----------
    name : str
        Public name, ``refpool.<name>``.
    family : str
        The name of its public, engine and Dask modules (``pooling``,
        ``antialiased``, ``interpolate``, ``field_pooling``).
    entry_points : tuple of str
        The functions of ``refpool.engines.<engine>.<family>`` that compute it,
        the same in every engine.
    comparison : {"exact", "tolerance", "mode"}
        How engines and peers are compared: ``"exact"`` bitwise (selection
        operators); ``"tolerance"`` within the per-dtype tolerance (linear
        operators); ``"mode"`` exact for the values of the ``mode`` keyword in
        ``exact_modes`` (the nearest modes of :func:`refpool.interpolate`,
        :func:`refpool.subgroup_pool`'s maximum), tolerance otherwise.
    field_type : {"none", "optional", "required"}
        ``"optional"``: a pointwise selection operator that checks a
        permutation ``field_type=`` when given; ``"required"``: field-aware.
    rule : type
        Its exactness rule (:mod:`refpool.equivariance`): the per-axis structure
        that :func:`refpool.exact_symmetries` compares with its mirror images.
        The rule's ``condition`` is the condition in words.
    docs_page : str
        The page ``docs/<docs_page>.rst`` that documents it.
    exact_modes : tuple of str
        For ``comparison="mode"``: the modes that select (compared bitwise, integer
        input accepted).
    mode_keyword : str
        The keyword whose value ``exact_modes`` lists (``"mode"``; ``"filter"`` for
        :func:`refpool.resample`).
    """

    name: str
    family: str
    entry_points: tuple
    comparison: str
    field_type: str
    rule: type
    docs_page: str
    exact_modes: tuple = ()
    #: the keyword whose value ``exact_modes`` lists (``"filter"`` for resample)
    mode_keyword: str = "mode"

    def is_exact(self, kwargs):
        """Whether the call with keyword arguments ``kwargs`` selects elements of its
        input, so that it is compared bitwise (and takes integers): every call of an
        ``"exact"`` row, the ``exact_modes`` of a ``"mode"`` row (its ``mode``
        keyword, or the function's default for it)."""
        if self.comparison != "mode":
            return self.comparison == "exact"
        key = self.mode_keyword
        mode = kwargs.get(key, inspect.signature(self.function).parameters[key].default)
        return isinstance(mode, str) and mode in self.exact_modes

    @property
    def condition(self):
        """The documented exactness condition, in words (the rule's)."""
        return self.rule.condition

    @property
    def function(self):
        """The public function ``refpool.<name>``."""
        return getattr(importlib.import_module(f"refpool.{self.family}"), self.name)

    def engine_module(self, engine):
        """``refpool.engines.<engine>.<family>`` (imports Numba for cpu and cuda)."""
        return importlib.import_module(f"refpool.engines.{engine}.{self.family}")

    @property
    def dask_function(self):
        """``refpool.dask.<family>.<name>`` (imports Dask)."""
        return getattr(importlib.import_module(f"refpool.dask.{self.family}"), self.name)


def _rows():
    pooling = dict(family="pooling", docs_page="pooling")
    antialiased = dict(family="antialiased", docs_page="antialiasing")
    fields = dict(family="field_pooling", docs_page="invariant")
    shuffle = dict(family="shuffle", docs_page="shuffle")
    return (
        Operator("max_pool", entry_points=("max_pool", "max_pool_with_indices"),
                 comparison="exact", field_type="optional", rule=_rules.MaxPoolRule,
                 **pooling),
        Operator("avg_pool", entry_points=("avg_pool",), comparison="tolerance",
                 field_type="none", rule=_rules.AvgPoolRule, **pooling),
        Operator("lp_pool", entry_points=("lp_pool",), comparison="tolerance",
                 field_type="none", rule=_rules.LpPoolRule, **pooling),
        Operator("adaptive_max_pool",
                 entry_points=("adaptive_max_pool", "adaptive_max_pool_with_indices"),
                 comparison="exact", field_type="optional", rule=_rules.AdaptiveRule,
                 **pooling),
        Operator("adaptive_avg_pool", entry_points=("adaptive_avg_pool",),
                 comparison="tolerance", field_type="none", rule=_rules.AdaptiveRule,
                 **pooling),
        Operator("fractional_max_pool",
                 entry_points=("fractional_max_pool", "fractional_max_pool_with_indices"),
                 comparison="exact", field_type="none",
                 rule=_rules.FractionalMaxPoolRule, **pooling),
        # the global pools reuse the engines of adaptive pooling (output 1) and lp_pool
        # (kernel = the spatial shape)
        Operator("global_max_pool",
                 entry_points=("adaptive_max_pool", "adaptive_max_pool_with_indices"),
                 comparison="exact", field_type="optional", rule=_rules.GlobalMaxPoolRule,
                 **pooling),
        Operator("global_avg_pool", entry_points=("adaptive_avg_pool",),
                 comparison="tolerance", field_type="none", rule=_rules.GlobalAvgPoolRule,
                 **pooling),
        Operator("global_lp_pool", entry_points=("lp_pool",), comparison="tolerance",
                 field_type="none", rule=_rules.GlobalLpPoolRule, **pooling),
        Operator("antialiased_avg_pool", entry_points=("antialiased_avg_pool",),
                 comparison="tolerance", field_type="none",
                 rule=_rules.AntialiasedAvgRule, **antialiased),
        Operator("antialiased_max_pool", entry_points=("antialiased_max_pool",),
                 comparison="tolerance", field_type="optional",
                 rule=_rules.AntialiasedMaxRule, **antialiased),
        Operator("blur_pool", entry_points=("blur_pool",), comparison="tolerance",
                 field_type="none", rule=_rules.BlurPoolRule, **antialiased),
        Operator("interpolate", family="interpolate",
                 entry_points=("resample",), comparison="mode",
                 field_type="none", rule=_rules.InterpolateRule, docs_page="interpolation",
                 exact_modes=_args.NEAREST_MODES),
        Operator("resample", family="interpolate", entry_points=("resample",),
                 comparison="mode", field_type="none", rule=_rules.ResampleRule,
                 docs_page="resample", exact_modes=("nearest",), mode_keyword="filter"),
        Operator("group_pool", entry_points=("group_pool",), comparison="exact",
                 field_type="required", rule=_rules.PointwiseRule, **fields),
        Operator("norm_pool", entry_points=("norm_pool",), comparison="tolerance",
                 field_type="required", rule=_rules.PointwiseRule, **fields),
        Operator("induced_norm_pool", entry_points=("induced_norm_pool",),
                 comparison="tolerance", field_type="required", rule=_rules.PointwiseRule,
                 **fields),
        Operator("norm_max_pool", entry_points=("norm_max_pool",), comparison="exact",
                 field_type="required", rule=_rules.NormMaxPoolRule, **fields),
        # both pool across channels pixel by pixel, from a table of input channels per
        # output channel: one engine entry point
        Operator("subgroup_pool", entry_points=("channel_pool",), comparison="mode",
                 field_type="required", rule=_rules.SubgroupPoolRule, exact_modes=("max",),
                 **fields),
        Operator("max_pool_channels", entry_points=("channel_pool",), comparison="exact",
                 field_type="none", rule=_rules.ChannelPoolRule, **fields),
        Operator("pixel_shuffle", entry_points=("shuffle",), comparison="exact",
                 field_type="none", rule=_rules.PixelShuffleRule, **shuffle),
        Operator("pixel_unshuffle", entry_points=("unshuffle",), comparison="exact",
                 field_type="none", rule=_rules.PixelUnshuffleRule, **shuffle),
        Operator("depth_to_space", entry_points=("shuffle",), comparison="exact",
                 field_type="none", rule=_rules.DepthToSpaceRule, **shuffle),
        Operator("space_to_depth", entry_points=("unshuffle",), comparison="exact",
                 field_type="none", rule=_rules.SpaceToDepthRule, **shuffle),
        Operator("max_unpool", family="unpooling", entry_points=("max_unpool",),
                 comparison="exact", field_type="none", rule=_rules.MaxUnpoolRule,
                 docs_page="unpooling"),
        Operator("roi_pool", family="region_pooling",
                 entry_points=("roi_pool", "roi_pool_with_indices"), comparison="exact",
                 field_type="none", rule=_rules.RoiPoolRule, docs_page="region_pooling"),
        Operator("roi_align", family="region_pooling", entry_points=("roi_align",),
                 comparison="tolerance", field_type="none", rule=_rules.RoiAlignRule,
                 docs_page="region_pooling"),
        Operator("grid_sample", family="sampling", entry_points=("grid_sample",),
                 comparison="tolerance", field_type="none", rule=_rules.GridSampleRule,
                 docs_page="sampling"),
        Operator("upfirdn", family="upfirdn", entry_points=("upfirdn",),
                 comparison="tolerance", field_type="none", rule=_rules.UpfirdnRule,
                 docs_page="upfirdn"),
        # antialiased resampling: one upfirdn call with a designed (radial) filter
        Operator("filtered_upsample", family="upfirdn", entry_points=("upfirdn",),
                 comparison="tolerance", field_type="none",
                 rule=_rules.FilteredUpsampleRule, docs_page="upfirdn"),
        Operator("filtered_downsample", family="upfirdn", entry_points=("upfirdn",),
                 comparison="tolerance", field_type="none",
                 rule=_rules.FilteredDownsampleRule, docs_page="upfirdn"),
        # spline interpolation (scipy.ndimage's): prefilter, then sample; the three share
        # both entry points
        Operator("map_coordinates", family="spline",
                 entry_points=("spline_filter", "map_coordinates"), comparison="tolerance",
                 field_type="none", rule=_rules.MapCoordinatesRule, docs_page="spline"),
        Operator("affine_transform", family="spline",
                 entry_points=("spline_filter", "map_coordinates"), comparison="tolerance",
                 field_type="none", rule=_rules.AffineTransformRule, docs_page="spline"),
        Operator("rotate", family="spline",
                 entry_points=("spline_filter", "map_coordinates"), comparison="tolerance",
                 field_type="none", rule=_rules.RotateRule, docs_page="spline"),
        # adaptive polyphase sampling: a data-dependent selection (exact without blur,
        # but a near-tie of the criteria may choose differently under rounding: compared
        # within the tolerance); its optional field_type= must be orthogonal (per-field
        # norms), not only a permutation
        Operator("aps_downsample", family="polyphase", entry_points=("aps_downsample",),
                 comparison="tolerance", field_type="optional", rule=_rules.ApsRule,
                 docs_page="polyphase"),
        Operator("aps_upsample", family="polyphase", entry_points=("aps_upsample",),
                 comparison="tolerance", field_type="none", rule=_rules.ApsUpsampleRule,
                 docs_page="polyphase"),
    )


#: every public operator, by name, in documentation order
OPERATORS = {op.name: op for op in _rows()}

#: the families, in catalogue order
FAMILIES = tuple(dict.fromkeys(op.family for op in OPERATORS.values()))


def lookup(op):
    """The :class:`Operator` of ``op``: a public refpool function or its name."""
    name = op if isinstance(op, str) else getattr(op, "__name__", None)
    try:
        return OPERATORS[name]
    except (KeyError, TypeError):
        raise ValueError(f"op must be a public refpool operator "
                         f"({', '.join(OPERATORS)}), got {op!r}") from None


def for_family(family):
    """The operators of one family, in registry order."""
    return [op for op in OPERATORS.values() if op.family == family]
