r"""Field-aware operators: ``group_pool``, ``norm_pool``, ``induced_norm_pool`` and
``norm_max_pool`` (escnn/e2cnn's GroupPooling, NormPool, InducedNormPool and
NormMaxPool), ``subgroup_pool`` (regular fields of a group pooled onto regular fields
of a subgroup) and ``max_pool_channels`` (e2cnn's MaxPoolChannels).

A :class:`refpool.FieldType` groups the channels of ``x`` of shape
``(N, C, *spatial)`` into fields, field after field; field :math:`f` occupies the
channels ``field_type.fields[f]`` and transforms under the representation
:math:`\rho_f`.  The first three operators map every field to **one invariant
channel** (output ``(N, F, *spatial)`` with ``F = len(field_type)``, of field type
:func:`invariant_field_type`); ``norm_max_pool`` is a spatial pooling that keeps
the input's field type.  ``subgroup_pool`` and ``max_pool_channels`` pool across
channels pixel by pixel: every output channel reduces a fixed list of input
channels (:class:`refpool._geometry.ChannelPool`), so both run on one engine entry
point, ``channel_pool``.

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

from typing import Any, Literal

from . import _args

from . import _geometry
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._fastpath import replayable
from ._fieldcheck import (check_group_pool_field_type, check_induced_field_type,
                          check_orthogonal_field_type)
from .fields import FieldType
from ._typing import Array, ArrayIn, Engine, Optional, Out, Size

__all__ = ["group_pool", "norm_pool", "induced_norm_pool", "norm_max_pool",
           "invariant_field_type", "subgroup_pool", "subgroup_field_type",
           "max_pool_channels"]


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


@replayable
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


@replayable
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


@replayable
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


@replayable
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


# --------------------------------------------------------------------------- channel pooling
@fill_doc
def subgroup_field_type(field_type: FieldType, subgroup: Any) -> FieldType:
    """The field type of the output of :func:`subgroup_pool`: one regular field of the
    subgroup per input field.

    Parameters
    ----------
    field_type : FieldType
        Regular fields of a finite group, as :func:`subgroup_pool` accepts them.
    subgroup : Group or subgroup id
        As in :func:`subgroup_pool`.

    Returns
    -------
    FieldType
        ``FieldType(H, [H.regular_representation] * len(field_type))`` with ``H`` the
        subgroup.

    Raises
    ------
    TypeError
        If ``field_type`` is not a :class:`refpool.FieldType`.
    ValueError
        If a field is not the regular representation of a finite group, or
        ``subgroup`` is not one of its subgroups.

    Examples
    --------
    Two regular fields of the dihedral group :math:`D_4` become two regular fields of
    its rotations :math:`C_4`, named by the group or by its escnn id:

    >>> import refpool
    >>> from refpool import FieldType
    >>> from refpool.groups import cyclic, dihedral
    >>> D4 = dihedral(4)
    >>> field_type = FieldType(D4, [D4.regular_representation] * 2)
    >>> refpool.subgroup_field_type(field_type, cyclic(4))
    FieldType(C4: [regular, regular], size=8)
    >>> refpool.subgroup_field_type(field_type, (None, 4)) == _
    True
    """
    from ._fieldcheck import check_regular_field_type, check_subgroup
    check_regular_field_type(field_type, None, "subgroup_field_type")
    subgroup_id = check_subgroup(field_type.group, subgroup, "subgroup_field_type")
    H, _ = field_type.group.subgroup(subgroup_id)
    return FieldType(H, [H.regular_representation] * len(field_type.representations))


@replayable
@fill_doc
def subgroup_pool(x: ArrayIn, field_type: FieldType, subgroup: Any,
                  mode: Literal["max", "avg"] = "max", *, ndim: Optional[int] = None,
                  channels_last: bool = False, engine: Engine = "auto",
                  out: Out = None) -> Array:
    r"""Subgroup pooling: regular fields of a group pooled onto regular fields of a subgroup.

    %(grid_equivariance)s

    Every field of ``field_type`` is the regular representation of a finite group
    :math:`G` (channel :math:`c` of a field is the element ``G.elements[c]``, and
    :math:`\rho(g) e_k = e_{gk}`).  Let :math:`H` be the subgroup, with elements
    :math:`h_0, h_1, \dots` in ``H.elements`` order, and :math:`s_0 = e, s_1, \dots,
    s_{m-1}` the first elements, in ``G.elements`` order, of the right cosets
    :math:`Hs`, :math:`m = |G| / |H|`.  Every element of :math:`G` is
    :math:`h_i s_j` for exactly one pair :math:`(i, j)`, and field :math:`f` (first
    channel :math:`a_f`) gives the :math:`|H|` output channels

    .. math::

        y[n, f|H| + i, \mathbf{u}] = \max_{j = 0}^{m - 1}
            x[n, a_f + \operatorname{index}(h_i s_j), \mathbf{u}]
        \qquad \Big(\text{mode="avg": } \frac{1}{m} \sum_{j=0}^{m-1}
            x[n, a_f + \operatorname{index}(h_i s_j), \mathbf{u}]\Big)

    the maximum scanned in :math:`j` order with :func:`refpool.max_pool`'s rule (the
    last NaN wins, ``+0`` counts as larger than ``-0``), the mean a float64 sum in
    :math:`j` order divided by :math:`m` and rounded once.  The channel maps of the
    planar groups:

    * :math:`C_N \to C_M` (``subgroup=M``, :math:`M \mid N`): :math:`s_j = r^j`, so
      output :math:`i` pools the :math:`N/M` consecutive channels :math:`iN/M, \dots,
      (i+1)N/M - 1` of the field (:func:`max_pool_channels` field by field);
    * :math:`D_N \to C_N` (``subgroup=(None, N)`` or ``cyclic(N)``): :math:`s =
      \{e, f\}`, so output :math:`k` pools the rotation :math:`r^k` (channel
      :math:`k`) and the reflection :math:`r^k f` (channel :math:`N + k`);
    * :math:`D_N \to C_M` (``(None, M)``): output :math:`i` pools channels
      :math:`jN + iN/M + t` for :math:`j \in \{0, 1\}`, :math:`0 \le t < N/M`;
    * any other subgroup ``field_type.group.subgroup(...)`` provides (the flips ``(k, 1)`` and
      dihedral subgroups ``(k, M)`` of :math:`D_N`, the subgroups of the octahedral
      groups), by the same formula.

    Parameters
    ----------
    %(x_select_param)s
        Integers only with ``mode="max"``.  ``C`` must equal ``field_type.size``.
    field_type : FieldType
        Every representation must be the regular representation of a finite group
        (compared matrix by matrix with ``group.regular_representation``, so the
        quotient representation by the trivial subgroup is accepted too).
    subgroup : Group or subgroup id
        A subgroup of ``field_type.group``: its escnn id (``M`` for :math:`C_M \subset
        C_N`; ``(None, M)`` for the rotations :math:`C_M \subset D_N`, ``(k, 1)`` for
        the flip :math:`r^k f`, ``(k, M)`` for a dihedral subgroup), or a
        :mod:`refpool.groups` group equal to one of them (``cyclic(4)`` in
        ``dihedral(4)`` is ``(None, 4)``; a flip or dihedral group must have that
        subgroup's mirror axis).
    mode : {"max", "avg"}
        The maximum over the cosets (a selection: exact, integers accepted) or their
        mean.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, F |H|, *spatial)``, dtype of ``x``
        One regular field of :math:`H` per input field, ``F = len(field_type)``;
        the output field type is :func:`subgroup_field_type`.

    Raises
    ------
    ValueError
        If ``C != field_type.size``, a field is not the regular representation of a
        finite group, ``subgroup`` is not a subgroup of its group (``M`` not dividing
        :math:`N`, a group not contained in :math:`G`), or ``mode`` is not ``"max"``
        or ``"avg"``.
    %(raises_common)s

    Notes
    -----
    **Equivariance to the subgroup.**  :math:`k \in H` maps channel :math:`h_i s_j`
    to :math:`(k h_i) s_j`: it moves output :math:`i` to the output of :math:`k h_i`
    and keeps every :math:`j`, so for every element :math:`k` of :math:`H`, bitwise
    in both modes (the same terms in the same order):
    ``subgroup_pool(field_type.transform_fibers(x, inclusion(k))) ==
    subgroup_field_type(field_type, subgroup).transform_fibers(subgroup_pool(x), k)``,
    with ``inclusion = field_type.group.subgroup(subgroup_id)[1]``; and, the
    operator being pixelwise, the same with ``transform`` for every grid symmetry
    :math:`k` of :math:`H`.

    **Invariance to the cosets.**  Column :math:`j` (the channels :math:`h_i s_j`,
    :math:`i = 0 \dots |H| - 1`) is itself a regular field of :math:`H`: the
    restriction of the field to :math:`H` is :math:`m` copies of :math:`H`'s regular
    field, one per right coset, and the output is their elementwise maximum (mean), so
    it does not change when the copies are permuted.  For :math:`D_N \to C_N` the
    two copies are swapped by the reflection acting on the right, :math:`x'(g) =
    x(gf)`.

    **Reflections, for** :math:`D_N \to C_N`.  There the representatives
    :math:`\{e, f\}` form the flip subgroup :math:`K` (id ``(0, 1)``) and the pooled
    pairs :math:`\{r^k, r^k f\}` are its cosets :math:`r^k K`, so the output is
    equivariant to all of :math:`D_N` as the quotient field by :math:`K`
    (``dihedral(N).quotient_representation((0, 1))``, which restricted to
    :math:`C_N` is the regular field): a reflection of the input reflects the output
    and reverses the orientation channels, :math:`k \to -k \bmod N`.  Bitwise, in both
    modes (a mean of two terms does not depend on their order).

    Examples
    --------
    A regular field of :math:`D_4` (rotations :math:`r^0..r^3`, then reflections
    :math:`r^0 f..r^3 f`) at one position, pooled onto the rotations :math:`C_4`:
    output :math:`k` pools channels :math:`k` and :math:`4 + k`.

    >>> import numpy as np
    >>> import refpool
    >>> from refpool import FieldType
    >>> from refpool.groups import cyclic, dihedral
    >>> D4 = dihedral(4)
    >>> field_type = FieldType(D4, [D4.regular_representation])
    >>> x = np.array([[[0.0], [1.0], [2.0], [3.0], [4.0], [-5.0], [6.0], [-7.0]]])
    >>> refpool.subgroup_pool(x, field_type, cyclic(4), engine="reference").ravel().tolist()
    [4.0, 1.0, 6.0, 3.0]
    >>> refpool.subgroup_pool(x, field_type, (None, 4), "avg",
    ...                       engine="reference").ravel().tolist()
    [2.0, -2.0, 4.0, -2.0]

    A rotation of the input field rotates the output field of :math:`C_4`:

    >>> C4 = cyclic(4)
    >>> turned = field_type.transform_fibers(x, D4.element((0, 1)))
    >>> y = refpool.subgroup_pool(turned, field_type, C4, engine="reference")
    >>> y.ravel().tolist()
    [3.0, 4.0, 1.0, 6.0]
    >>> output_type = refpool.subgroup_field_type(field_type, C4)
    >>> np.array_equal(y, output_type.transform_fibers(
    ...     refpool.subgroup_pool(x, field_type, C4, engine="reference"), C4.element(1)))
    True
    """
    caller = Caller(x, ndim, channels_last, engine, op=f"subgroup_pool with mode={mode!r}",
                    integers=isinstance(mode, str) and mode == "max")
    x = caller.x
    _args.check_input(x)
    _args.check_spatial_shape(x.shape[2:], "subgroup_pool")
    spec, _ = _args.subgroup_pool_spec(field_type, x.shape[1], subgroup, mode)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels((x.shape[0], spec.output_channels), x.shape[2:]),
                      _args.array_dtype(x), out)
    launch.run("field_pooling", "channel_pool", launch.x, y, spec.table, spec.average)
    return launch.result(y)


@replayable
@fill_doc
def max_pool_channels(x: ArrayIn, kernel_size: int, *, ndim: Optional[int] = None,
                      channels_last: bool = False, engine: Engine = "auto",
                      out: Out = None) -> Array:
    r"""Channel max pooling: the maximum of every ``kernel_size`` consecutive channels
    (e2cnn's MaxPoolChannels).

    %(grid_equivariance)s

    .. math::

        y[n, o, \mathbf{u}] = \max_{t = 0}^{k - 1} x[n, ok + t, \mathbf{u}],
        \qquad 0 \le o < C / k

    selected with :func:`refpool.max_pool`'s rule over the channels in order (the
    last NaN wins, ``+0`` counts as larger than ``-0``), so the result is bitwise an
    element of ``x``.

    Parameters
    ----------
    %(x_select_param)s
    kernel_size : int
        :math:`k \ge 1`, the channels per output channel; it must divide ``C``.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C // kernel_size, *spatial)``, dtype of ``x``

    Raises
    ------
    ValueError
        If ``kernel_size`` is not positive or does not divide ``C``.
    %(raises_common)s

    Notes
    -----
    **Symmetry.**  The operator acts on each pixel alone, so it commutes with every
    grid symmetry of plain (trivial) channels.  It knows no field type: a channel
    action commutes with it only when it maps every block of :math:`k` channels onto
    a block.  On regular fields of :math:`C_N` with :math:`k \mid N` it is
    :func:`subgroup_pool` onto :math:`C_{N/k}`, equivariant to those rotations only.

    e2cnn asserts the divisibility (AssertionError); refpool raises ValueError.

    Examples
    --------
    Six channels at one position, pooled in pairs and in threes:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[1.0], [-2.0], [5.0], [3.0], [0.0], [4.0]]])    # (N, C, W)
    >>> refpool.max_pool_channels(x, 2, engine="reference").ravel().tolist()
    [1.0, 5.0, 4.0]
    >>> refpool.max_pool_channels(x, 3, engine="reference").ravel().tolist()
    [5.0, 4.0]

    Integer images stay integers:

    >>> refpool.max_pool_channels(np.arange(8, dtype=np.uint8).reshape(1, 4, 2), 2)
    array([[[2, 3],
            [6, 7]]], dtype=uint8)
    """
    caller = Caller(x, ndim, channels_last, engine, op="max_pool_channels", integers=True)
    x = caller.x
    _args.check_input(x)
    _args.check_spatial_shape(x.shape[2:], "max_pool_channels")
    spec = _args.channel_pool_spec(x.shape[1], kernel_size)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels((x.shape[0], spec.output_channels), x.shape[2:]),
                      _args.array_dtype(x), out)
    launch.run("field_pooling", "channel_pool", launch.x, y, spec.table, spec.average)
    return launch.result(y)
