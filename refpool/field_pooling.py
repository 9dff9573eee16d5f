r"""Field-aware operators: ``group_pool``, ``norm_pool``, ``induced_norm_pool`` and
``norm_max_pool`` (escnn/e2cnn's GroupPooling, NormPool, InducedNormPool and
NormMaxPool).

A :class:`refpool.FieldType` groups the channels of ``x`` of shape
``(N, C, *spatial)`` into fields, field after field; field :math:`f` occupies the
channels ``field_type.fields[f]`` and transforms under the representation
:math:`\rho_f`.  The first three operators map every field to **one invariant
channel** (output ``(N, F, *spatial)`` with ``F = len(field_type)``, of field type
:func:`invariant_field_type`); ``norm_max_pool`` is a spatial pooling that keeps
the input's field type.

Every function validates with :mod:`refpool._args` and :mod:`refpool._fieldcheck`
(the compatibility rules are read off the representation matrices), turns the
field type into plain int arrays (:func:`refpool._geometry.field_table`) and lets the
chosen engine fill the output.  The output keeps the input dtype (the peers
return float32 whatever the input).

Squared norms :math:`q = \sum_c x_c^2` are float64 sums of float64 squares, added
in channel order in every engine; for float64 input they overflow to ``inf`` once
:math:`|x_c| \gtrsim 1.3 \times 10^{154}`.
"""

from __future__ import annotations

from . import _args

from . import _geometry
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._fieldcheck import (check_group_pool_field_type, check_induced_field_type,
                          check_orthogonal_field_type)
from .fields import FieldType
from ._typing import Array, ArrayIn, Engine, Optional, Out, Size

__all__ = ["group_pool", "norm_pool", "induced_norm_pool", "norm_max_pool",
           "invariant_field_type"]


@fill_doc
def invariant_field_type(field_type: FieldType) -> FieldType:
    """The field type of the output of :func:`group_pool`, :func:`norm_pool` and
    :func:`induced_norm_pool`: one trivial representation per input field.

    Parameters
    ----------
    field_type : FieldType

    Returns
    -------
    FieldType
        ``FieldType(field_type.group, [group.trivial_representation] * len(field_type))``.

    Examples
    --------
    A regular field and a two-dimensional irrep field of the rotations by
    quarter turns, :math:`C_4`, give two invariant channels:

    >>> import refpool
    >>> from refpool import FieldType
    >>> from refpool.groups import cyclic
    >>> C4 = cyclic(4)
    >>> field_type = FieldType(C4, [C4.regular_representation, C4.irrep(1)])
    >>> field_type
    FieldType(C4: [regular, irrep_1], size=6)
    >>> refpool.invariant_field_type(field_type)
    FieldType(C4: [irrep_0, irrep_0], size=2)
    """
    if not isinstance(field_type, FieldType):
        raise TypeError(f"field_type must be a refpool.FieldType, got "
                        f"{type(field_type).__name__}")
    group = field_type.group
    return FieldType(group, [group.trivial_representation] * len(field_type.representations))


@fill_doc
def group_pool(x: ArrayIn, field_type: FieldType, *, ndim: Optional[int] = None,
               channels_last: bool = False, engine: Engine = "auto",
               out: Out = None) -> Array:
    r"""Group pooling: the maximum over each field's channels.

    %(grid_equivariance)s

    .. math::

        y[n, f, \mathbf{u}] = \max_{c \in \mathrm{fields}[f]} x[n, c, \mathbf{u}]

    A NaN among a field's channels makes its output NaN.

    Parameters
    ----------
    %(x_field_param)s
    field_type : FieldType
        Every representation must be a permutation representation (trivial,
        regular, quotient, and direct sums of them), as read off its matrices.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    %(invariant_returns)s

    Raises
    ------
    ValueError
        If ``C != field_type.size`` or a representation is not a permutation.
    %(raises_common)s

    Notes
    -----
    **Invariance.**  Every :math:`\rho_f(g)` permutes the field's channels, and
    the maximum is selected with :func:`refpool.max_pool`'s rule over the channels
    in order (``+0`` counts as larger than ``-0``; the last NaN wins; see
    docs/numerics.rst), so it is exactly (bitwise, NaN payloads aside) invariant:
    ``group_pool(field_type.transform_fibers(x, g)) == group_pool(x)`` for every
    element :math:`g` of the group.  The operator is pixelwise, so for every grid
    symmetry :math:`g` (quarter turns and grid mirrors in 2D, the 48 signed axis
    permutations in 3D) it is exactly equivariant:
    ``group_pool(field_type.transform(x, g)) ==
    invariant_field_type(field_type).transform(group_pool(x), g)``.

    Examples
    --------
    One regular field of :math:`C_4` (four channels, which a quarter turn
    permutes cyclically) at a single position:

    >>> import numpy as np
    >>> import refpool
    >>> from refpool import FieldType
    >>> from refpool.groups import cyclic
    >>> C4 = cyclic(4)
    >>> field_type = FieldType(C4, [C4.regular_representation])
    >>> x = np.array([[[1.0], [-7.0], [3.0], [2.0]]])          # (N, C, W) = (1, 4, 1)
    >>> refpool.group_pool(x, field_type, engine="reference").tolist()
    [[[3.0]]]

    Every group element only permutes the channels, so the maximum is invariant:

    >>> field_type.transform_fibers(x, C4.elements[1]).tolist()
    [[[2.0], [1.0], [-7.0], [3.0]]]
    >>> [refpool.group_pool(field_type.transform_fibers(x, g), field_type,
    ...                     engine="reference").item() for g in C4.elements]
    [3.0, 3.0, 3.0, 3.0]
    """
    caller = Caller(x, ndim, channels_last, engine, op="group_pool", integers=True)
    x = caller.x
    _args.check_input(x)
    _args.check_spatial_shape(x.shape[2:], "group_pool")
    check_group_pool_field_type(field_type, x.shape[1], "group_pool")
    table = _geometry.field_table(field_type)
    launch = Launch(x, engine, caller)
    y = launch.output(_geometry.invariant_output_shape(x.shape, field_type),
                      _args.array_dtype(x), out)
    launch.run("field_pooling", "group_pool", launch.x, y, table.start, table.size)
    return launch.result(y)


@fill_doc
def norm_pool(x: ArrayIn, field_type: FieldType, *, ndim: Optional[int] = None,
              channels_last: bool = False, engine: Engine = "auto",
              out: Out = None) -> Array:
    r"""Norm pooling: the L2 norm of each field.

    %(grid_equivariance)s

    .. math::

        y[n, f, \mathbf{u}] = \Big(\sum_{c \in \mathrm{fields}[f]}
            x[n, c, \mathbf{u}]^2\Big)^{1/2}

    computed in float64 (squares added in channel order) and rounded once to the
    dtype of ``x``.  NaN in a field gives NaN; otherwise an infinite channel gives
    ``inf``.

    Parameters
    ----------
    %(x_field_param)s
    field_type : FieldType
        Every representation must be orthogonal (every :math:`\rho(g)` an
        orthogonal matrix, checked on the matrices); all representations built by
        :mod:`refpool.groups` are.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    %(invariant_returns)s

    Raises
    ------
    ValueError
        If ``C != field_type.size`` or a representation is not orthogonal.
    %(raises_common)s

    Notes
    -----
    **Invariance.**  :math:`\|\rho(g) v\| = \|v\|` for orthogonal
    :math:`\rho(g)`, so ``norm_pool(field_type.transform_fibers(x, g))`` equals
    ``norm_pool(x)`` for every group element, up to the rounding of
    :math:`\rho(g)v` and of the float64 sum.  The operator is pixelwise, so it is
    equivariant to every grid symmetry :math:`g` with the same precision:
    ``norm_pool(field_type.transform(x, g)) ≈
    invariant_field_type(field_type).transform(norm_pool(x), g)``.

    Examples
    --------
    A vector field (the two-dimensional irrep of :math:`C_4`) and a scalar field:
    the norms of :math:`(3, 4)` and :math:`(-2)`, unchanged by a quarter turn of
    the fibers:

    >>> import numpy as np
    >>> import refpool
    >>> from refpool import FieldType
    >>> from refpool.groups import cyclic
    >>> C4 = cyclic(4)
    >>> field_type = FieldType(C4, [C4.irrep(1), C4.trivial_representation])
    >>> x = np.array([[[3.0], [4.0], [-2.0]]])                 # (N, C, W) = (1, 3, 1)
    >>> refpool.norm_pool(x, field_type, engine="reference").tolist()
    [[[5.0], [2.0]]]
    >>> turned = field_type.transform_fibers(x, C4.elements[1])
    >>> turned.tolist()
    [[[-4.0], [3.0], [-2.0]]]
    >>> refpool.norm_pool(turned, field_type, engine="reference").tolist()
    [[[5.0], [2.0]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="norm_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    _args.check_spatial_shape(x.shape[2:], "norm_pool")
    check_orthogonal_field_type(field_type, x.shape[1], "norm_pool")
    table = _geometry.field_table(field_type)
    launch = Launch(x, engine, caller)
    y = launch.output(_geometry.invariant_output_shape(x.shape, field_type),
                      _args.array_dtype(x), out)
    launch.run("field_pooling", "norm_pool", launch.x, y, table.start, table.size, table.block)
    return launch.result(y)


@fill_doc
def induced_norm_pool(x: ArrayIn, field_type: FieldType, *, ndim: Optional[int] = None,
                      channels_last: bool = False, engine: Engine = "auto",
                      out: Out = None) -> Array:
    r"""Induced norm pooling: per field, the largest L2 norm of its blocks.

    %(grid_equivariance)s

    A field of an induced representation :math:`\rho = \mathrm{Ind}_H^G \psi`
    (``psi.size = d``) consists of ``size // d`` consecutive blocks of :math:`d`
    channels, one per coset :math:`r_i H`.  The output is

    .. math::

        y[n, f, \mathbf{u}] = \max_{b} \Big(\sum_{c \in \mathrm{block}_b}
            x[n, c, \mathbf{u}]^2\Big)^{1/2}

    computed in float64 and rounded once.  For regular and quotient
    representations (induced from a trivial representation, :math:`d = 1`) this is
    :math:`\max_c |x_c|`, the largest **absolute value** (as in e2cnn), not
    :func:`group_pool`'s largest value.  NaN in a field gives NaN.

    Parameters
    ----------
    %(x_field_param)s
    field_type : FieldType
        Every representation must be built by induction: ``regular_representation``
        (induced from the trivial subgroup), ``quotient_representation`` or
        ``induced_representation`` of the group; its matrices are checked to move
        whole blocks of :math:`d` channels with orthogonal blocks.  Irreps, trivial
        representations and direct sums are refused (split a direct sum into
        separate fields).  e2cnn refuses its regular representation here, although
        its quotient representation by the trivial subgroup, the same matrices, is
        accepted; refpool accepts both.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    %(invariant_returns)s

    Raises
    ------
    ValueError
        If ``C != field_type.size`` or a representation is not such an induced
        representation.
    %(raises_common)s

    Notes
    -----
    **Invariance.**  :math:`\rho(g)` maps block :math:`i` onto block
    :math:`\sigma_g(i)` multiplied by the orthogonal :math:`\psi(h)`, so it only
    permutes the block norms and their maximum is invariant: exactly (bitwise)
    when :math:`d = 1`, up to rounding otherwise, for every group element.
    Pixelwise, hence equivariant to every grid symmetry with the same precision,
    as :func:`norm_pool`.

    Examples
    --------
    A regular field is induced from the trivial subgroup (blocks of one
    channel), so the result is the largest absolute value, where
    :func:`group_pool` takes the largest value:

    >>> import numpy as np
    >>> import refpool
    >>> from refpool import FieldType
    >>> from refpool.groups import cyclic
    >>> C4 = cyclic(4)
    >>> field_type = FieldType(C4, [C4.regular_representation])
    >>> x = np.array([[[1.0], [-7.0], [3.0], [2.0]]])
    >>> refpool.induced_norm_pool(x, field_type, engine="reference").tolist()
    [[[7.0]]]
    >>> refpool.group_pool(x, field_type, engine="reference").tolist()
    [[[3.0]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="induced_norm_pool", integers=False)
    x = caller.x
    _args.check_input(x)
    _args.check_spatial_shape(x.shape[2:], "induced_norm_pool")
    check_induced_field_type(field_type, x.shape[1], "induced_norm_pool")
    table = _geometry.field_table(field_type, induced=True)
    launch = Launch(x, engine, caller)
    y = launch.output(_geometry.invariant_output_shape(x.shape, field_type),
                      _args.array_dtype(x), out)
    launch.run("field_pooling", "induced_norm_pool", launch.x, y, table.start, table.size,
               table.block)
    return launch.result(y)


@fill_doc
def norm_max_pool(x: ArrayIn, field_type: FieldType, kernel_size: Size,
                  stride: Optional[Size] = None, padding: Size = 0, dilation: Size = 1,
                  ceil_mode: bool = False, *, ndim: Optional[int] = None,
                  channels_last: bool = False, engine: Engine = "auto",
                  out: Out = None) -> Array:
    r"""Norm max pooling: in each window, the field vector of largest norm, copied whole.

    %(grid_equivariance)s

    For every field :math:`f` and output position :math:`\mathbf{i}`, the window
    is :func:`refpool.max_pool`'s, taps :math:`\mathbf{u} = \mathbf{i}s - p +
    \mathbf{t}d`, :math:`\mathbf{t} \in [0, k)`, and

    .. math::

        q_f(\mathbf{u}) = \sum_{c \in \mathrm{fields}[f]} x[n, c, \mathbf{u}]^2,
        \qquad
        y[n, c, \mathbf{i}] = x[n, c, \mathbf{u}^*] \quad (c \in \mathrm{fields}[f])

    where :math:`\mathbf{u}^*` is chosen among the in-bounds taps by max_pool's
    index rule applied to :math:`q_f` (padding never wins): the window is scanned
    in row-major order from its first in-bounds tap and a tap replaces the current
    choice when its :math:`q_f` is larger **or NaN**.  So the first maximum wins a
    tie, and a window holding fields with a NaN channel selects the last of them
    (their vector, NaN included, is copied).  A window with no input position
    (possible only with dilation) yields zeros.  The values are copied bitwise;
    :math:`q_f` is a float64 sum in channel order, the same in every engine.

    Parameters
    ----------
    %(x_field_param)s
    field_type : FieldType
        Every representation must be orthogonal (checked on the matrices).
    kernel_size, stride, padding, dilation, ceil_mode
        As in :func:`refpool.max_pool` (``stride`` defaults to ``kernel_size``,
        :math:`0 \le p \le \lfloor (d(k-1)+1)/2 \rfloor`).  ``ceil_mode`` works,
        and so do 1-D and 3-D inputs (escnn's NormMaxPool is 2-D only and fails
        when ``ceil_mode`` changes the output shape).
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape (N, C, \*o), dtype of ``x``
        ``o`` as in :func:`refpool.max_pool`; the output field type is
        ``field_type``.

    Raises
    ------
    ValueError
        If ``C != field_type.size``, a representation is not orthogonal, or a
        window argument breaks max_pool's rules.
    %(raises_common)s

    Notes
    -----
    **Fiber equivariance.**  An orthogonal :math:`\rho_f(g)` keeps every norm, so
    the same positions are selected and
    ``norm_max_pool(field_type.transform_fibers(x, g)) ==
    field_type.transform_fibers(norm_max_pool(x), g)`` for every group element,
    bitwise for permutation representations and up to the rounding of
    :math:`\rho(g)v` otherwise, as long as no two norms in a window are equal to
    within rounding.

    **Spatial equivariance** for grid symmetries :math:`g` of the group:
    ``norm_max_pool(field_type.transform(x, g)) ==
    field_type.transform(norm_max_pool(x), g)`` under max_pool's window-symmetry
    condition — reversing an axis needs :math:`(n + 2p - d(k-1) - 1) \bmod s = 0`
    on it, swapping two axes needs equal :math:`(k, s, p, d)` on them, a quarter
    turn needs both — and provided the largest norm of every window is attained at
    one position only (ties go to the first in scan order, which a reflection
    reverses).

    Examples
    --------
    One vector field (the two-dimensional irrep of :math:`C_4`) along four
    positions holding :math:`(3, 4), (1, 1), (0, 1), (2, 0)`; windows of 2 keep
    the whole vector of largest norm, where a channel-wise :func:`refpool.max_pool`
    would mix the components of :math:`(0, 1)` and :math:`(2, 0)`:

    >>> import numpy as np
    >>> import refpool
    >>> from refpool import FieldType
    >>> from refpool.groups import cyclic
    >>> C4 = cyclic(4)
    >>> field_type = FieldType(C4, [C4.irrep(1)])
    >>> x = np.array([[[3.0, 1.0, 0.0, 2.0],
    ...                [4.0, 1.0, 1.0, 0.0]]])                 # (N, C, W) = (1, 2, 4)
    >>> refpool.norm_max_pool(x, field_type, 2, engine="reference").tolist()
    [[[3.0, 2.0], [4.0, 0.0]]]
    >>> refpool.max_pool(x, 2, engine="reference").tolist()
    [[[3.0, 2.0], [4.0, 1.0]]]

    Rotating the fibers keeps every norm, so it commutes with the pooling:

    >>> g = C4.elements[1]
    >>> y = refpool.norm_max_pool(field_type.transform_fibers(x, g), field_type, 2,
    ...                           engine="reference")
    >>> np.array_equal(y, field_type.transform_fibers(
    ...     refpool.norm_max_pool(x, field_type, 2, engine="reference"), g))
    True
    """
    caller = Caller(x, ndim, channels_last, engine, op="norm_max_pool", integers=True)
    x = caller.x
    _args.check_input(x)
    spec = _args.window_spec(x.shape[2:], kernel_size, stride, padding, dilation,
                             ceil_mode, padding_limit="dilated")
    check_orthogonal_field_type(field_type, x.shape[1], "norm_max_pool")
    table = _geometry.field_table(field_type)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("field_pooling", "norm_max_pool", launch.x, y, table.start, table.size, spec)
    return launch.result(y)
