"""Adapter over e2cnn 0.2.3's equivariant modules (2-D only).

Every call builds the e2cnn module for the case and runs its ``forward`` on a
``GeometricTensor``:

==========================  ==============================================
refpool                     e2cnn 0.2.3
==========================  ==============================================
``max_pool``                ``PointwiseMaxPool`` (no ``return_indices``)
``avg_pool``                ``PointwiseAvgPool`` (``count_include_pad=True``,
                            no ``divisor_override``)
``adaptive_max_pool``       ``PointwiseAdaptiveMaxPool`` (no indices)
``adaptive_avg_pool``       ``PointwiseAdaptiveAvgPool``
``antialiased_avg_pool``    ``PointwiseAvgPoolAntialiased``
``antialiased_max_pool``    ``PointwiseMaxPoolAntialiased``
``interpolate``             ``R2Upsampling`` (``nearest``, ``bilinear``)
``group_pool``              ``GroupPooling``
``norm_pool``               ``NormPool``
``induced_norm_pool``       ``InducedNormPool``
``norm_max_pool``           ``NormMaxPool``
``max_pool_channels``       ``MaxPoolChannels`` (a plain torch module, any rank)
==========================  ==============================================

``blur_pool``, ``subgroup_pool``, 1-D and 3-D inputs (but for
``max_pool_channels``) and the options listed above raise ``NotImplementedError``.  The module-level functions use ``forward``;
:data:`exported` is a second adapter that runs what each module's ``export()``
returns (plain torch modules), which is what a deployed model computes.

**Field types.**  refpool field types become e2cnn ones: ``cyclic(N)`` ->
``Rot2dOnR2(N)``, ``dihedral(N, axis)`` -> ``FlipRot2dOnR2(N, axis)``,
``flip(axis)`` -> ``Flip2dOnR2(axis)``, ``so2(F)`` / ``o2(F)`` -> the
continuous gspaces with ``maximum_frequency=F``; representations ``regular``,
irreps, quotient and induced (from an irrep of the subgroup) map to
``gspace.regular_repr``, ``gspace.irrep(*id)``, ``gspace.quotient_repr(id)`` and
``gspace.induced_repr(id, subgroup.irrep(*id))``.  Anything else (direct sums,
restrictions, 3-D groups) raises ``NotImplementedError``.  Operators with an
optional field type get trivial fields (``TrivialOnR2``) when none is given.

**Dtypes.**  e2cnn builds its Gaussian filters (and ``NormMaxPool`` its
output) in torch's default dtype, so modules are built and run with the
default dtype set to the input's, as a float64 user of e2cnn does.  Outputs
are returned as e2cnn produces them and never cast: ``GroupPooling``,
``NormPool`` and ``InducedNormPool`` hard-code float32, so their float64 cases
are a declared divergence (:data:`FLOAT32_OUTPUT`).  Casting back would hide a
real loss of precision and still fail the float64 tolerance.

**Known divergences** (SPEC.md sections 3, 4 and 8), each declared exactly when
it changes the result (:data:`FLOAT32_OUTPUT` needs the case's dtype for that,
which the runner does not pass: see :func:`E2cnnAdapter.known_divergence`);
the reason strings are the constants below, several joined with ``" | "``.
e2cnn's broken ``evaluate_output_shape`` functions are not called and so not
reported.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

import torch

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import e2cnn  # noqa: F401
    from e2cnn import gspaces
    from e2cnn import nn as enn

from ... import _args
from ._base import Adapter, general_padding, require_equal_padding
from ...groups import (CyclicGroup, DihedralGroup, FlipGroup, IrreducibleRepresentation,
                       O2Group, SO2Group)

NAME = "e2cnn"

#: reasons reported for each kind of divergence (documented in docs/conformance.rst)
DOUBLE_PADDING = ("e2cnn's PointwiseMaxPoolAntialiased pads the blur with padding + (fs-1)//2, "
                  "applying padding twice (refpool reproduces it with "
                  "blur_padding=padding + (fs-1)//2)")
IGNORES_CEIL_MODE = "e2cnn's PointwiseMaxPoolAntialiased ignores ceil_mode"
TUPLE_DILATION = "e2cnn's PointwiseMaxPoolAntialiased rejects a tuple dilation, even (1, 1)"
NORM_MAX_CEIL_MODE = ("e2cnn's NormMaxPool crashes in ceil mode when ceil_mode changes the "
                      "output shape")
FLOAT32_OUTPUT = ("e2cnn's GroupPooling, NormPool and InducedNormPool hard-code float32 "
                  "outputs")
REGULAR_INDUCED = ("e2cnn's InducedNormPool refuses the regular representation (its quotient by "
                   "the trivial subgroup, the same matrices, is accepted)")
MAX_POOL_PADDING = ("torch 2.13 limits max-pool padding to kernel_size//2; refpool allows "
                    "up to half the dilated extent")
EXPORT_CEIL_MODE = "e2cnn's PointwiseMaxPool.export() drops ceil_mode"
EXPORT_SIZE = "e2cnn's R2Upsampling.export() drops size (only scale_factor is kept)"

REASONS = (DOUBLE_PADDING, IGNORES_CEIL_MODE, TUPLE_DILATION, NORM_MAX_CEIL_MODE, FLOAT32_OUTPUT,
           REGULAR_INDUCED, MAX_POOL_PADDING, EXPORT_CEIL_MODE, EXPORT_SIZE)


# --------------------------------------------------------------------------- field types
_GSPACES = {}


def _gspace(group):
    """The e2cnn gspace acting on the plane with ``group`` as fibre group."""
    if isinstance(group, FlipGroup):
        key = ("flip", group.axis)
        make = lambda: gspaces.Flip2dOnR2(axis=group.axis)  # noqa: E731
    elif isinstance(group, CyclicGroup):
        key = ("cyclic", group.N)
        make = lambda: gspaces.Rot2dOnR2(group.N)  # noqa: E731
    elif isinstance(group, DihedralGroup):
        key = ("dihedral", group.N, group.axis)
        make = lambda: gspaces.FlipRot2dOnR2(group.N, axis=group.axis)  # noqa: E731
    elif isinstance(group, SO2Group):
        key = ("so2", group.maximum_frequency)
        make = lambda: gspaces.Rot2dOnR2(-1, maximum_frequency=group.maximum_frequency)  # noqa
    elif isinstance(group, O2Group):
        key = ("o2", group.maximum_frequency, group.axis)
        make = lambda: gspaces.FlipRot2dOnR2(-1, maximum_frequency=group.maximum_frequency,  # noqa
                                             axis=group.axis)
    else:
        raise NotImplementedError(f"e2cnn has no planar gspace for the group {group.name}")
    if key not in _GSPACES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _GSPACES[key] = make()
    return _GSPACES[key]


def _is_trivial_irrep(rep):
    return (isinstance(rep, IrreducibleRepresentation) and rep.size == 1
            and all(i == 0 for i in rep.id))


def _representation(gspace, rep):
    if rep.name == "regular":
        return gspace.regular_repr
    if isinstance(rep, IrreducibleRepresentation):
        return gspace.irrep(*rep.id)
    induction = rep.induction
    if induction is not None and isinstance(induction.representation, IrreducibleRepresentation):
        if _is_trivial_irrep(induction.representation):
            return gspace.quotient_repr(induction.subgroup_id)
        subgroup, _, _ = gspace.fibergroup.subgroup(induction.subgroup_id)
        return gspace.induced_repr(induction.subgroup_id,
                                   subgroup.irrep(*induction.representation.id))
    raise NotImplementedError(f"no e2cnn counterpart for the representation {rep.name!r} "
                              "(only regular, irreps, quotient and induced-from-irrep ones)")


def field_type(ft):
    """The e2cnn ``FieldType`` of a :class:`refpool.FieldType` (2-D groups only)."""
    gspace = _gspace(ft.group)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return enn.FieldType(gspace, [_representation(gspace, r) for r in ft.representations])


def _trivial_type(channels):
    gspace = _GSPACES.get("trivial")
    if gspace is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gspace = _GSPACES["trivial"] = gspaces.TrivialOnR2()
    return enn.FieldType(gspace, [gspace.trivial_repr] * channels)


# --------------------------------------------------------------------------- running
@contextlib.contextmanager
def _default_dtype(dtype):
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        torch.set_default_dtype(old)


def _check_2d(x, op):
    if x.ndim != 4:
        raise NotImplementedError(f"e2cnn is 2-D only: {op} of a {x.ndim - 2}-D input")


def _is_unit_tuple(value):
    return isinstance(value, (tuple, list)) and all(v == 1 for v in value)


class E2cnnAdapter(Adapter):
    """refpool's operators over e2cnn modules; ``export=True`` runs ``module.export()``."""

    PEER = "e2cnn"
    LACKS = {"resample": "see the torch adapter",
             "lp_pool": "see the torch adapter",
             "fractional_max_pool": "see the torch adapter",
             "global_max_pool": "see the torch adapter",
             "global_avg_pool": "see the torch adapter",
             "global_lp_pool": "see the torch adapter",
             "blur_pool": "see the antialiased_cnns adapter",
             "pixel_shuffle": "see the torch adapter (2-D)",
             "pixel_unshuffle": "see the torch adapter (2-D)",
             "depth_to_space": "tests/test_shuffle.py checks it against onnxruntime",
             "space_to_depth": "tests/test_shuffle.py checks it against onnxruntime",
             "max_unpool": "see the torch adapter (e2cnn has no unpooling)",
             "roi_pool": "torchvision.ops.roi_pool; torchvision is not a refpool peer",
             "roi_align": "torchvision.ops.roi_align; torchvision is not a refpool peer",
             "grid_sample": "see the torch adapter",
             "upfirdn": "e2cnn has no upfirdn",
             "aps_downsample": "e2cnn has no adaptive polyphase sampling",
             "aps_upsample": "e2cnn has no adaptive polyphase sampling",
             "filtered_upsample": "e2cnn has no upfirdn-based radial-filter resampling",
             "filtered_downsample": "e2cnn has no upfirdn-based radial-filter resampling",
             "map_coordinates": "e2cnn has no spline interpolation; scipy.ndimage is the peer (tests/test_map_coordinates.py)",
             "affine_transform": "e2cnn has no spline interpolation; scipy.ndimage is the peer (tests/test_map_coordinates.py)",
             "rotate": "e2cnn has no spline interpolation; scipy.ndimage is the peer (tests/test_map_coordinates.py)",
             "subgroup_pool": "e2cnn has no pooling onto a subgroup (its RestrictionModule "
                              "only relabels the field type)"}

    def __init__(self, export=False):
        self.export = export
        self.NAME = "e2cnn (exported modules)" if export else "e2cnn"

    # -- plumbing
    def _run(self, make, x, in_type):
        with _default_dtype(x.dtype):
            module = make(in_type)
            t = torch.from_numpy(np.ascontiguousarray(x))
            with torch.no_grad():
                if self.export:
                    try:
                        exported = module.export()
                    except NotImplementedError as exc:
                        raise NotImplementedError(
                            f"{type(module).__name__}.export(): {str(exc).strip()}") from exc
                    y = exported(t)
                else:
                    y = module(enn.GeometricTensor(t, in_type)).tensor
        return np.ascontiguousarray(y.numpy())

    @staticmethod
    def _type(x, ft):
        if ft is None:
            return _trivial_type(x.shape[1])
        return field_type(ft)

    # -- pointwise pooling
    def max_pool(self, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False, *, field_type=None):
        _check_2d(x, "max_pool")
        require_equal_padding(padding, "e2cnn")
        if return_indices:
            raise NotImplementedError("e2cnn's PointwiseMaxPool returns no indices")
        return self._run(lambda t: enn.PointwiseMaxPool(t, kernel_size, stride, padding,
                                                        dilation, ceil_mode),
                         x, self._type(x, field_type))

    def avg_pool(self, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, dilation=1):
        _check_2d(x, "avg_pool")
        require_equal_padding(padding, "e2cnn")
        if dilation != 1:
            raise NotImplementedError("e2cnn's PointwiseAvgPool has no dilation")
        if not count_include_pad or divisor_override is not None:
            raise NotImplementedError("e2cnn's PointwiseAvgPool has neither count_include_pad="
                                      "False nor divisor_override")
        return self._run(lambda t: enn.PointwiseAvgPool(t, kernel_size, stride, padding,
                                                        ceil_mode),
                         x, _trivial_type(x.shape[1]))

    def adaptive_max_pool(self, x, output_size, return_indices=False, *, field_type=None):
        _check_2d(x, "adaptive_max_pool")
        if return_indices:
            raise NotImplementedError("e2cnn's PointwiseAdaptiveMaxPool returns no indices")
        return self._run(lambda t: enn.PointwiseAdaptiveMaxPool(t, output_size), x,
                         self._type(x, field_type))

    def adaptive_avg_pool(self, x, output_size):
        _check_2d(x, "adaptive_avg_pool")
        return self._run(lambda t: enn.PointwiseAdaptiveAvgPool(t, output_size), x,
                         _trivial_type(x.shape[1]))

    # -- antialiased pooling
    def antialiased_avg_pool(self, x, sigma, stride, padding=None, *, pad_type="zero"):
        _check_2d(x, "antialiased_avg_pool")
        if pad_type != "zero":
            raise NotImplementedError("e2cnn's PointwiseAvgPoolAntialiased pads with zeros only")
        return self._run(lambda t: enn.PointwiseAvgPoolAntialiased(t, sigma, stride, padding),
                         x, _trivial_type(x.shape[1]))

    def antialiased_max_pool(self, x, kernel_size, stride=None, padding=0, dilation=1,
                             ceil_mode=False, sigma=0.6, blur_padding=None, *, pad_type="zero",
                             field_type=None):
        _check_2d(x, "antialiased_max_pool")
        if pad_type != "zero":
            raise NotImplementedError("e2cnn's PointwiseMaxPoolAntialiased pads with -inf and "
                                      "zeros only")
        if blur_padding is not None:
            c = (_args.gaussian_size(sigma, _args.MAX_TRUNCATE) - 1) // 2
            escnn = tuple(p + c for p in _args.per_axis(padding, 2, "padding"))
            if _args.per_axis(blur_padding, 2, "blur_padding") != escnn:
                raise NotImplementedError(
                    f"e2cnn's blur padding is always padding + (fs-1)//2 = {escnn}, "
                    f"not blur_padding={blur_padding!r}")

        def make(t):
            try:
                return enn.PointwiseMaxPoolAntialiased(t, kernel_size, stride, padding, dilation,
                                                       ceil_mode, sigma)
            except NotImplementedError as exc:
                if _is_unit_tuple(dilation):     # a supported value it fails on: a bug
                    raise RuntimeError(f"e2cnn rejected dilation={dilation!r}: {exc}") from exc
                raise
        return self._run(make, x, self._type(x, field_type))

    # -- upsampling
    def interpolate(self, x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                    recompute_scale_factor=None, antialias=False):
        _check_2d(x, "interpolate")
        if mode not in ("nearest", "bilinear"):
            raise NotImplementedError(f"e2cnn's R2Upsampling has no mode {mode!r}")
        if antialias or recompute_scale_factor:
            raise NotImplementedError("e2cnn's R2Upsampling has neither antialias nor "
                                      "recompute_scale_factor")
        if isinstance(size, list):
            size = tuple(size)
        return self._run(lambda t: enn.R2Upsampling(t, scale_factor, size, mode,
                                                    bool(align_corners)),
                         x, _trivial_type(x.shape[1]))

    # -- invariant maps and norm pooling
    def group_pool(self, x, field_type):
        _check_2d(x, "group_pool")
        return self._run(enn.GroupPooling, x, self._type(x, field_type))

    def norm_pool(self, x, field_type):
        _check_2d(x, "norm_pool")
        return self._run(enn.NormPool, x, self._type(x, field_type))

    def induced_norm_pool(self, x, field_type):
        _check_2d(x, "induced_norm_pool")
        return self._run(enn.InducedNormPool, x, self._type(x, field_type))

    def norm_max_pool(self, x, field_type, kernel_size, stride=None, padding=0, dilation=1,
                      ceil_mode=False):
        _check_2d(x, "norm_max_pool")
        return self._run(lambda t: enn.NormMaxPool(t, kernel_size, stride, padding, dilation,
                                                   ceil_mode),
                         x, self._type(x, field_type))

    def max_pool_channels(self, x, kernel_size):
        # MaxPoolChannels is a plain torch module on plain tensors (no field type, no
        # export()): both adapters run it as it is
        module = enn.MaxPoolChannels(kernel_size)
        with torch.no_grad():
            y = module(torch.from_numpy(np.ascontiguousarray(x)))
        return np.ascontiguousarray(y.numpy())

    # -- divergences
    def known_divergence(self, op, kwargs, shape, dtype=None):
        """Documented differences between e2cnn 0.2.3 and refpool for a 2-D case, or None.

        ``dtype`` (the case's input dtype) makes the float32-output divergence
        exact; without it (the runner does not pass it) the divergence is declared
        for every case of the three invariant maps, and a float32 case that fails
        for another reason is misreported as known.
        """
        if len(shape) != 4 or general_padding(kwargs.get("padding", 0)):
            return None                       # unsupported anyway
        reasons = []
        spatial = tuple(shape[2:])
        if op in ("max_pool", "antialiased_max_pool", "norm_max_pool"):
            k = np.broadcast_to(kwargs["kernel_size"], (2,))
            p = np.broadcast_to(kwargs.get("padding", 0), (2,))
            if np.any(p > k // 2):
                reasons.append(MAX_POOL_PADDING)
        if op == "max_pool" and self.export and _ceil_changes_shape(kwargs, spatial):
            reasons.append(EXPORT_CEIL_MODE)
        if op == "antialiased_max_pool":
            p = np.broadcast_to(kwargs.get("padding", 0), (2,))
            if kwargs.get("blur_padding") is None and np.any(p > 0):
                reasons.append(DOUBLE_PADDING)
            if _is_unit_tuple(kwargs.get("dilation", 1)):
                reasons.append(TUPLE_DILATION)
            if kwargs.get("ceil_mode") and _antialiased_ceil_changes_shape(kwargs, spatial):
                reasons.append(IGNORES_CEIL_MODE)
        if op == "norm_max_pool" and _ceil_changes_shape(kwargs, spatial):
            reasons.append(NORM_MAX_CEIL_MODE)
        if op in ("group_pool", "norm_pool", "induced_norm_pool") and not self.export:
            if dtype is None or np.dtype(dtype) == np.float64:
                reasons.append(FLOAT32_OUTPUT)
        if op == "induced_norm_pool" and _has_regular(kwargs.get("field_type")):
            reasons.append(REGULAR_INDUCED)
        if op == "interpolate" and self.export and kwargs.get("size") is not None:
            reasons.append(EXPORT_SIZE)
        return " | ".join(reasons) or None


def _ceil_changes_shape(kwargs, spatial):
    if not kwargs.get("ceil_mode"):
        return False
    args = (spatial, kwargs["kernel_size"], kwargs.get("stride"), kwargs.get("padding", 0),
            kwargs.get("dilation", 1))
    try:
        return (_args.window_spec(*args, True).output_size
                != _args.window_spec(*args, False).output_size)
    except ValueError:
        return False


def _antialiased_ceil_changes_shape(kwargs, spatial):
    args = (spatial, kwargs["kernel_size"], kwargs.get("stride"), kwargs.get("padding", 0),
            kwargs.get("dilation", 1))
    rest = (kwargs.get("sigma", 0.6), kwargs.get("blur_padding"))
    try:
        return (_args.antialiased_max_spec(*args, True, *rest)[1].blur.output_size
                != _args.antialiased_max_spec(*args, False, *rest)[1].blur.output_size)
    except ValueError:
        return False


def _has_regular(spec):
    if spec is None:
        return False
    reps = spec.representations if hasattr(spec, "representations") else \
        spec.get("representations", [])
    return any(getattr(r, "name", r) == "regular" for r in reps)


#: the adapter over ``forward`` (also the module's own operators)
adapter = E2cnnAdapter()
#: the adapter over ``module.export()``: ``--against refpool.conformance.adapters.e2cnn:exported``
exported = E2cnnAdapter(export=True)

__getattr__ = adapter.module_getattr
