r"""Adaptive polyphase sampling: ``aps_downsample`` and ``aps_upsample``.

Circularly shift-equivariant down- and upsampling (Chaman and Dokmanić, "Truly
shift-invariant convolutional neural networks", CVPR 2021).  With stride
:math:`s_a` on spatial axis :math:`a` (every length :math:`n_a` a multiple of
:math:`s_a`), the input splits into :math:`\prod_a s_a` *polyphase components*,
one per phase :math:`\boldsymbol\varphi \in \prod_a [0, s_a)`:

.. math::

    x_{\boldsymbol\varphi}[n, c, \mathbf{m}] = x[n, c, \boldsymbol\varphi + \mathbf{s}\mathbf{m}],
    \qquad 0 \le m_a < n_a / s_a .

``aps_downsample`` keeps, per sample :math:`n`, the component of largest norm;
``aps_upsample`` puts samples back at a recorded phase (zeros elsewhere).  A
circular shift of the input permutes the components and rolls each, so the
choice follows the shift: the operator is exactly equivariant to *every*
circular shift, not only to multiples of the stride (up to ties of the norms,
see :func:`aps_downsample`).

Argument rules (checked before any kernel runs, each error naming its argument)
are in :func:`aps_spec` and :func:`aps_upsample_spec`; the optional circular blur
is :func:`refpool.upfirdn` with ``pad_type="circular"``, run by each engine's own
upfirdn kernel.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple, Union

import numpy as np

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._fieldcheck import check_orthogonal_field_type
from ._typing import Array, ArrayIn, ArrayOrPair, Engine, Optional, Out, Size
from .fields import FieldType

__all__ = ["aps_downsample", "aps_upsample"]


# =========================================================================== specs
class ApsSpec(NamedTuple):
    """A validated :func:`aps_downsample` / :func:`aps_upsample` call.

    ``input_size``, ``output_size``: spatial shapes; ``stride``: per axis; ``norm``: the
    exponent :math:`p` (``inf`` for the maximum); ``fields``: ``(start, stop)`` channel
    ranges whose Euclidean norms enter the criterion, or ``None`` (every channel on its
    own, :math:`|v|`); ``blur``: the :class:`refpool.upfirdn.UpfirdnSpec` of the
    circular blur or ``None``.
    """

    input_size: tuple
    output_size: tuple
    stride: tuple
    norm: float
    fields: Optional[tuple]
    blur: object

    @property
    def phases(self):
        """Every phase, in the lexicographic order of the tie rule (axis 0 first)."""
        return tuple(np.ndindex(*self.stride))


def check_norm(norm):
    """``norm``: a real :math:`p > 0`, or ``inf`` (``float('inf')``, ``np.inf``)."""
    if isinstance(norm, bool) or not isinstance(norm, numbers.Real):
        raise TypeError(f"norm must be a real number p > 0 or inf, got {norm!r}")
    norm = float(norm)
    if math.isnan(norm) or norm <= 0:
        raise ValueError(f"norm must be a real number p > 0 or inf, got {norm!r}")
    return norm


def blur_spec(blur, spatial, gain=1.0):
    """The circular, centred blur of the APS operators: ``None``, an int (the binomial
    filter of that size, as :func:`refpool.blur_pool`'s ``filt_size``) or an array (1-D
    taps on every axis or a ``k``-D kernel), applied as the correlation
    :math:`\\sum_t f[t]\\, x[(i - \\lfloor (T-1)/2 \\rfloor + t) \\bmod n]`, i.e.
    :func:`refpool.upfirdn` with ``flip_filter=True``, ``pad_type="circular"`` and
    padding ``((T-1)//2, T//2)`` (same length).  Returns the upfirdn spec or None."""
    if blur is None:
        return None
    from .kernels import _binomial64
    from .upfirdn import upfirdn_spec
    if _args._is_int(blur):
        size = _args.check_binomial_size(blur, "blur")
        f = _binomial64(size)
    else:
        try:
            from .upfirdn import check_filter
            f, _ = check_filter(blur, len(spatial))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"blur: {exc} (or pass None, or an int for a binomial "
                            f"filter)") from None
    taps = f.shape if f.ndim == len(spatial) else (f.shape[0],) * len(spatial)
    padding = tuple(((t - 1) // 2, t // 2) for t in taps)
    return upfirdn_spec(spatial, f, 1, 1, padding, True, gain, "circular")


def _check_stride(stride, spatial, op):
    k = len(spatial)
    s = _args.per_axis(stride, k, "stride", minimum=1)
    for b, (n, sb) in enumerate(zip(spatial, s)):
        if n % sb:
            raise ValueError(f"{op}: stride={stride!r} must divide every spatial length "
                             f"(axis {b} has {n} samples, not a multiple of {sb}): the "
                             f"polyphase components must have equal sizes")
    return s


def _fields(field_type, channels, op):
    if field_type is None:
        return None
    check_orthogonal_field_type(field_type, channels, op)
    return tuple((int(f.start), int(f.stop)) for f in field_type.fields)


def aps_spec(x_shape, stride=2, norm=2, blur=None, field_type=None):
    """Validate :func:`aps_downsample` on an input of shape ``(N, C, *spatial)``.

    Raises
    ------
    TypeError, ValueError
        ``stride`` not positive ints or not dividing every spatial length; ``norm``
        not a real :math:`p > 0` or inf; a bad ``blur`` (see :func:`blur_spec`); a
        ``field_type`` whose size is not ``C`` or that holds a non-orthogonal
        representation.
    """
    spatial = _args.check_spatial_shape(tuple(x_shape[2:]), "aps_downsample")
    s = _check_stride(stride, spatial, "aps_downsample")
    norm = check_norm(norm)
    fields = _fields(field_type, x_shape[1], "aps_downsample")
    blur = blur_spec(blur, spatial)
    out = tuple(n // sb for n, sb in zip(spatial, s))
    return ApsSpec(spatial, _args.Extent(out, f"stride={stride!r}"), s, norm, fields, blur)


def check_phase(phase, batch, stride):
    """``phase``: integers of shape ``(*batch, k)`` (or ``(k,)``, the same phase for every
    sample), ``0 <= phase[..., a] < stride[a]``.  Returns an int64 ``(N, k)`` array."""
    k = len(stride)
    if _args.is_cuda_array(phase):
        phase = phase.copy_to_host() if hasattr(phase, "copy_to_host") else np.asarray(phase)
    try:
        a = np.asarray(phase)
    except Exception as exc:
        raise TypeError(f"phase must be an array of ints: {exc}") from None
    if a.dtype == np.bool_ or a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and a.size and np.all(np.isfinite(a)) and \
                np.all(a == np.round(a)):
            a = a.astype(np.int64)
        elif a.size or a.dtype.kind not in "f":
            raise TypeError(f"phase must hold ints, got dtype {a.dtype}")
    n = math.prod(batch)
    if a.shape == (k,):
        a = np.broadcast_to(a, (n, k))
    elif a.shape[-1:] != (k,) or math.prod(a.shape[:-1]) != n or (
            a.shape[:-1] != tuple(batch) and a.shape[:-1] != (n,)):
        raise ValueError(f"phase must have shape {tuple(batch) + (k,)} (one phase per "
                         f"sample and spatial axis) or ({k},), got {a.shape}")
    a = np.ascontiguousarray(a.reshape(n, k), dtype=np.int64)
    bad = (a < 0) | (a >= np.asarray(stride, dtype=np.int64))
    if np.any(bad):
        raise ValueError(f"phase must satisfy 0 <= phase[..., a] < stride[a] = {stride}, got "
                         f"{a[np.argwhere(bad)[0][0]].tolist()}")
    return a


def aps_upsample_spec(y_shape, stride=2, blur=None):
    """Validate :func:`aps_upsample` on an input of shape ``(N, C, *spatial)``: output
    length ``m s`` per axis; the blur (scaled by the product of the strides) as in
    :func:`blur_spec`."""
    spatial = _args.check_spatial_shape(tuple(y_shape[2:]), "aps_upsample")
    s = _args.per_axis(stride, len(spatial), "stride", minimum=1)
    out = tuple(m * sb for m, sb in zip(spatial, s))
    _args.check_size(out, f"stride={stride!r}", "the output")
    blur = blur_spec(blur, out, float(math.prod(s)))
    return ApsSpec(spatial, _args.Extent(out, f"stride={stride!r}"), s, 2.0, None, blur)


def _batch_shape(caller, n):
    layout = caller.layout
    return tuple(layout.batch) if layout.reshaped else (n,)


# =========================================================================== operators
@fill_doc
def aps_downsample(x: ArrayIn, stride: Size = 2, *, norm: float = 2,
                   blur: Union[None, int, ArrayIn] = None,
                   field_type: Optional[FieldType] = None, return_phase: bool = False,
                   ndim: Optional[int] = None, channels_last: bool = False,
                   engine: Engine = "auto", out: Out = None) -> ArrayOrPair:
    r"""Adaptive polyphase downsampling: keep the polyphase component of largest norm.

    %(grid_equivariance)s
    Here only the identity is claimed, because ties break by phase order; but every
    circular shift of the input is exact (the output rolls by :math:`\lfloor
    (\varphi_a + t_a)/s_a \rfloor`, see below) up to ties of the norms.

    With stride :math:`s_a` on every spatial axis (each length :math:`n_a` a
    multiple of :math:`s_a`), optionally after a circular blur :math:`\tilde x = f
    \star x` (``blur``), the output for sample :math:`n` is the polyphase component
    at the phase

    .. math::

        \boldsymbol\varphi^*(n) = \operatorname*{arg\,max}_{\boldsymbol\varphi \in
            \prod_a [0, s_a)} \sum_{\mathbf{m}} \sum_{c} |\tilde x[n, c,
            \boldsymbol\varphi + \mathbf{s}\mathbf{m}]|^p, \qquad
        y[n, c, \mathbf{m}] = \tilde x[n, c, \boldsymbol\varphi^*(n) + \mathbf{s}\mathbf{m}],

    the :math:`p`-norm (to the power :math:`p`, the same order) of the whole
    component over all channels; :math:`p = \infty` takes the largest
    :math:`|\tilde x|`.  With ``field_type``, :math:`|\tilde x[n, c, \cdot]|` is
    replaced by the Euclidean norm of each *field*'s fiber vector, summed over
    fields: :math:`\sum_{\mathbf{m}} \sum_{F} \|\tilde x[n, F, \boldsymbol\varphi +
    \mathbf{s}\mathbf{m}]\|_2^p`.

    Parameters
    ----------
    %(x_param)s
    stride : int or tuple of int
        Subsampling factor :math:`s_a \ge 1`, dividing every spatial length.
    norm : float
        The exponent :math:`p > 0`, or ``inf`` (keyword only; default 2).
    blur : None, int or array_like
        Circular low-pass before the choice: ``None`` (pure selection), an int (the
        binomial filter of that size, :func:`refpool.binomial_taps`), or 1-D taps
        (every axis) / a ``k``-D kernel, correlated centred with the input read as
        periodic: :math:`\tilde x[i] = \sum_t f[t]\, x[(i - \lfloor (T-1)/2 \rfloor
        + t) \bmod n]` (:func:`refpool.upfirdn` with ``flip_filter=True``,
        ``padding=((T-1)//2, T//2)``, ``pad_type="circular"``).
    field_type : FieldType, optional
        Fields along the channel axis (size ``C``; orthogonal representations): the
        criterion takes each field's Euclidean norm, which every orthogonal fiber
        action :math:`\rho(g)` keeps, so the chosen phase is the same for
        :math:`\rho(g) x` as for :math:`x` (and the output is :math:`\rho(g) y`).
        Without it every channel counts on its own: the criterion is invariant to
        channel permutations, and for ``norm=2`` to any orthogonal fiber action.
    return_phase : bool
        Also return the chosen phases.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *(n / s))``, dtype of ``x``
    phase : ndarray of int64, shape ``(*batch, k)``
        Only with ``return_phase``: :math:`\boldsymbol\varphi^*` per sample (``batch``
        the caller's leading axes, ``(N,)`` for ``(N, C, *spatial)`` input), on the
        host; pass it to :func:`aps_upsample`.

    Raises
    ------
    %(raises_common)s

    Notes
    -----
    **Ties.**  The phases are scanned in lexicographic order (axis 0 first) and a
    later phase wins only with a strictly larger criterion, so among equal ones the
    smallest phase wins; a NaN criterion wins over every number (the first NaN
    phase).  The criterion is accumulated in float64 in a fixed order (field,
    then position in C order; channels of a field in order), identically in the
    three engines.

    **Circular shifts.**  Rolling the input by :math:`t_a` samples along axis
    :math:`a` rotates the phases: component :math:`\boldsymbol\varphi` of the rolled
    input is component :math:`\boldsymbol\varphi - \mathbf{t} \bmod \mathbf{s}` of the
    input, rolled.  The criteria are the same numbers summed in another order, so
    unless two phases tie within the rounding of those sums (random inputs: never),
    ``aps_downsample(roll(x, t))`` has phase :math:`\varphi' = (\varphi + t) \bmod s`
    and equals ``roll(aps_downsample(x), (φ + t) // s)``, bitwise, for *every*
    integer shift :math:`t` (:func:`refpool.equivariance.exact_shifts`).  The circular
    blur commutes with circular shifts exactly, so this holds with ``blur`` too.

    **Not a linear map**: the choice depends on the data.  Without ``blur`` the
    output holds input values (copied bitwise).

    Examples
    --------
    The component with the most energy wins, wherever it lies:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[0.0, 5.0, 1.0, 4.0, 0.0, 3.0]]])
    >>> y, phase = refpool.aps_downsample(x, 2, return_phase=True, engine="reference")
    >>> y.tolist(), phase.tolist()
    ([[[5.0, 4.0, 3.0]]], [[1]])
    >>> y2 = refpool.aps_downsample(np.roll(x, 1, axis=-1), 2, engine="reference")
    >>> y2.tolist()            # phase (1 + 1) mod 2 = 0, rolled by (1 + 1) // 2 = 1
    [[[3.0, 5.0, 4.0]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="aps_downsample", integers=False)
    x = caller.x
    _args.check_input(x)
    spec = aps_spec(tuple(x.shape), stride, norm, blur, field_type)
    return_phase = _args.check_bool(return_phase, "return_phase")
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    phase = np.zeros((x.shape[0], len(spec.stride)), dtype=np.int64)
    launch.run("polyphase", "aps_downsample", launch.x, y, phase, spec)
    y = launch.result(y)
    if not return_phase:
        return y
    return y, phase.reshape(_batch_shape(caller, x.shape[0]) + (len(spec.stride),))


@fill_doc
def aps_upsample(x: ArrayIn, phase: ArrayIn, stride: Size = 2, *,
                 blur: Union[None, int, ArrayIn] = None,
                 ndim: Optional[int] = None, channels_last: bool = False,
                 engine: Engine = "auto", out: Out = None) -> Array:
    r"""Polyphase upsampling: put the input back at a phase, zeros elsewhere.

    %(grid_equivariance)s
    Here only the identity (the phase does not move with the grid); circular shifts
    are exact when the phase moves with them (below).

    The inverse placement of :func:`aps_downsample`: with stride :math:`s_a` and the
    phase :math:`\boldsymbol\varphi(n)` of each sample,

    .. math::

        z[n, c, \boldsymbol\varphi(n) + \mathbf{s}\mathbf{m}] = x[n, c, \mathbf{m}],
        \qquad z = 0 \text{ elsewhere}, \qquad
        y = \Big(\prod_a s_a\Big)\, f \star z \text{ (with ``blur``) or } z,

    so ``y, phase = aps_downsample(x, s, return_phase=True)`` followed by
    ``aps_upsample(y, phase, s)`` puts the kept samples back where they were.  Exactly equivariant to circular shifts when the
    phase moves with them: ``aps_upsample(roll(x, c), φ')`` with
    :math:`\varphi' = (\varphi + t) \bmod s`, :math:`c = \lfloor (\varphi + t)/s
    \rfloor` equals ``roll(aps_upsample(x, φ), t)``.

    Parameters
    ----------
    %(x_param)s
    phase : array_like of int, shape ``(*batch, k)`` or ``(k,)``
        The phase of every sample (``aps_downsample(..., return_phase=True)``), or
        one phase for all; :math:`0 \le \varphi_a < s_a`.
    stride : int or tuple of int
        Upsampling factor :math:`s_a \ge 1`.
    blur : None, int or array_like
        Optional circular low-pass after the placement, as in
        :func:`aps_downsample`, multiplied by :math:`\prod_a s_a` (the placement
        keeps one sample in :math:`\prod_a s_a`: a filter of unit sum keeps the mean).
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *(m s))``, dtype of ``x``

    Raises
    ------
    %(raises_common)s

    Examples
    --------
    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[0.0, 5.0, 1.0, 4.0, 0.0, 3.0]]])
    >>> y, phase = refpool.aps_downsample(x, 2, return_phase=True, engine="reference")
    >>> refpool.aps_upsample(y, phase, 2, engine="reference").tolist()
    [[[0.0, 5.0, 0.0, 4.0, 0.0, 3.0]]]
    """
    caller = Caller(x, ndim, channels_last, engine, op="aps_upsample", integers=False)
    x = caller.x
    _args.check_input(x)
    spec = aps_upsample_spec(tuple(x.shape), stride, blur)
    phase = check_phase(phase, _batch_shape(caller, x.shape[0]), spec.stride)
    launch = Launch(x, engine, caller)
    y = launch.output(_args.with_channels(x.shape, spec.output_size), _args.array_dtype(x),
                      out)
    launch.run("polyphase", "aps_upsample", launch.x, y, phase, spec)
    return launch.result(y)


def _magnitude(op, ax, args):
    """The conformance magnitude (:func:`refpool.conformance.compare.magnitude`) of an
    APS call on ``|x|`` (float64): the blur's absolute terms summed, and for the
    downsampling the largest over the phases (any phase may be chosen)."""
    from .upfirdn import upfirdn
    blur = args.get("blur")
    if blur is not None and not _args._is_int(blur):
        blur = np.abs(np.asarray(blur, dtype=np.float64))
    keys = {k: args[k] for k in ("ndim", "channels_last") if k in args}
    if op == "aps_upsample":
        return aps_upsample(ax, args["phase"], args.get("stride", 2), blur=blur,
                            engine="reference", **keys)
    caller = Caller(ax, keys.get("ndim"), keys.get("channels_last", False), "reference",
                    op=op)
    z = caller.x
    spec = aps_spec(tuple(z.shape), args.get("stride", 2), args.get("norm", 2), blur,
                    args.get("field_type"))
    if spec.blur is not None:
        b = spec.blur
        z = upfirdn(z, b.weights[(slice(None, None, -1),) * b.weights.ndim], padding=tuple(
            zip(b.before, b.after)), pad_type="circular", engine="reference")
    best = None
    for p in spec.phases:
        part = z[(slice(None), slice(None)) + tuple(slice(q, None, s)
                                                    for q, s in zip(p, spec.stride))]
        best = part if best is None else np.fmax(best, part)   # NaN elsewhere: not chosen
    return caller.restore(best, True)
