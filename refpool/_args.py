"""Argument normalisation and validation.

This module is the one place where refpool's argument rules live; the per-axis
geometry the validated arguments describe is :mod:`refpool._geometry`.  Every public
operator calls into it before any engine runs, and the engines receive only
validated, per-axis tuples of plain ints (plus the output arrays the public layer
allocated from the shapes computed here).  Engines never validate and never
decide shapes.

Conventions
-----------
Spatial operators take ``x`` of shape ``(N, C, *spatial)`` with one to three
spatial axes.  An ``int`` size argument applies to every spatial axis, a tuple
gives one value per axis.  Invalid input raises :class:`TypeError` (wrong kind
of object) or :class:`ValueError` (right kind, forbidden value), and the message
names the argument and the rule it broke.  Integers are bounded by
:data:`MAX_INT`; an argument that would make an array too large to handle raises
:class:`SizeLimitError` (a ValueError and a MemoryError) before anything is
allocated, from the one size rule :func:`check_size`.
"""

from __future__ import annotations

import functools
import math
import numbers
import os
from typing import NamedTuple

import numpy as np

from ._geometry import (LP_VARIANTS, AntialiasedMaxSpec, ChannelPool, FilterSpec, LpPoolSpec,
                        WindowSpec, FractionalSpec, ceil_div, consecutive_channels,
                        coordinate_scale, nearest_rule, pool_output_length,
                        subgroup_channels)

#: dtypes the engines compute in; the output has the input's dtype.
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

#: half precision: accepted by every operator, computed in float32 (float64 by the
#: reference engine) and rounded once to float16 on the way out
HALF = np.dtype(np.float16)

#: integer dtypes the selection operators accept (registry comparison ``"exact"``, and
#: the nearest modes of :func:`refpool.interpolate`): every value they select is an
#: element of ``x``, so the result is exact.  They run in a float type holding every
#: value exactly (:func:`compute_dtype`).
INTEGER_DTYPES = tuple(np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16,
                                             np.int32, np.uint32, np.int64, np.uint64))

#: 64-bit integers run in float64, which holds integers exactly up to this magnitude
EXACT_FLOAT64_INTEGER = 2 ** 53

#: the engines of every operator, in the order they are documented and checked
ENGINES = ("reference", "cpu", "cuda")

#: names accepted by the ``engine=`` keyword: an engine, or "auto" (CUDA for CUDA
#: arrays, the CPU engine otherwise)
ENGINE_CHOICES = ("auto", "cpu", "cuda", "reference")

#: Bound on the magnitude of every integer argument (sizes, strides, paddings,
#: dilations, offsets, ``divisor_override``): ``|v| <= 2**62``.  The engines compute in
#: int64, and with this bound the sum of any two arguments still fits one.
MAX_INT = 2 ** 62

#: Most elements one ``(N, C)`` slice of any grid an operator handles may have: the
#: input, the padded input, the dense map of :func:`refpool.antialiased_max_pool` and
#: its blur padding, and the output.  ``2**53`` keeps every position and flat index
#: exact in float64 and int64 (the engines' coordinate and index types); larger grids
#: are refused with a :class:`SizeLimitError` naming the argument that made them big.
MAX_GRID_ELEMENTS = 2 ** 53


class SizeLimitError(ValueError, MemoryError):
    """An array refpool would have to allocate is too large.

    Raised, before anything is allocated, when an argument makes a grid larger than
    :data:`MAX_GRID_ELEMENTS` per ``(N, C)`` slice, or an output larger than a NumPy
    array can address or than this machine's physical memory.  It is both a
    :class:`ValueError` (an argument is out of range) and a :class:`MemoryError`.
    """


# --------------------------------------------------------------------------- arrays
def is_cuda_array(x) -> bool:
    """True for objects living on a CUDA device (numba, CuPy, torch CUDA tensors).

    Numba's CUDA simulator stands in with ``FakeCUDAArray`` objects, which do not
    expose ``__cuda_array_interface__``; they count as device arrays too.
    """
    if isinstance(x, np.ndarray):
        return False
    return hasattr(x, "__cuda_array_interface__") or (
        type(x).__name__ == "FakeCUDAArray"
        and type(x).__module__.startswith("numba.cuda.simulator"))


def check_input(x, name="x", *, min_spatial=1, max_spatial=3):
    """Validate a feature-field tensor of layout ``(N, C, *spatial)``.

    Returns the number of spatial axes.  Accepts NumPy arrays and CUDA arrays
    (anything exposing ``__cuda_array_interface__``); both must hold float32 or
    float64.  Nothing is copied here.

    **ndarray subclasses.**  A subclass that only adds behaviour refpool does not
    need (``np.memmap``, a plain ``class A(np.ndarray)``) is accepted and read as
    the ndarray it views (``np.asarray``); the output is a plain ndarray.  A subclass
    whose data means more than its values is refused with a TypeError naming
    ``name``, because refpool would silently drop that meaning:
    ``np.ma.MaskedArray`` (the mask), ``np.matrix`` (matrix semantics), and any
    subclass overriding ``__array_ufunc__`` or ``__array_function__`` (units and
    other array-likes that take over NumPy's operations).  Pass ``np.asarray(x)``
    (or ``x.filled(value)`` for a masked array) to pool the bare data.

    Emptiness and size of the spatial axes are checked by the operators' geometry
    validation (:func:`check_spatial_shape`), where an empty ``N`` or ``C`` stays
    legal and gives an empty output.
    """
    if not isinstance(x, np.ndarray) and not is_cuda_array(x):
        raise TypeError(
            f"{name} must be a NumPy array or a CUDA array, got {type(x).__name__}")
    if isinstance(x, np.ndarray):
        check_host_array_type(x, name)
    dtype = np.dtype(x.dtype) if not hasattr(x.dtype, "is_floating_point") else None
    if dtype is None:  # a torch CUDA tensor: its dtype is not a NumPy dtype
        dtype = np.dtype(x.__cuda_array_interface__["typestr"])
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {dtype}")
    ndim = len(x.shape)
    if not (2 + min_spatial <= ndim <= 2 + max_spatial):
        if min_spatial == max_spatial:
            rule = f"{2 + min_spatial} axes (N, C, {_spatial_names(min_spatial)})"
        else:
            rule = (f"{2 + min_spatial} to {2 + max_spatial} axes "
                    f"(N, C, then {min_spatial} to {max_spatial} spatial axes)")
        hint = ("; for an array without batch or channel axes, such as an (H, W) image, "
                "pass ndim= (the number of spatial axes)" if 1 <= ndim < 3 else "")
        raise ValueError(f"{name} must have {rule}, got shape {tuple(x.shape)}{hint}")
    return ndim - 2


def as_array(x, name="x"):
    """``x`` as an array refpool reads: NumPy and CUDA arrays as they are; any other
    object exposing ``__dlpack__`` (a host tensor: torch CPU tensors, JAX arrays) or
    ``__array__`` as the NumPy array viewing its memory, without a copy where the
    object allows one.  Anything else is a TypeError naming ``name``."""
    if isinstance(x, np.ndarray) or is_cuda_array(x):
        return x
    kind = f"{type(x).__module__}.{type(x).__qualname__}"
    if not (hasattr(x, "__dlpack__") or hasattr(x, "__array__")):
        raise TypeError(
            f"{name} must be an array: a NumPy array, a CUDA array or an object with "
            f"__dlpack__ or __array__ (torch tensors, JAX arrays), got {kind}; "
            f"pass np.asarray({name})")
    failures = []
    if hasattr(x, "__dlpack__"):
        try:
            return np.from_dlpack(x)
        except (TypeError, ValueError, BufferError, RuntimeError) as exc:
            failures.append(f"__dlpack__: {exc}")
    if hasattr(x, "__array__"):
        try:
            return np.asarray(x)
        except (TypeError, ValueError, RuntimeError) as exc:
            failures.append(f"__array__: {exc}")
    raise TypeError(f"{name} ({kind}) could not be read as a host array "
                    f"({'; '.join(failures)})")


class Layout(NamedTuple):
    """How a caller holds an operator's input, against the ``(N, C, *spatial)`` layout
    the engines compute on (see :func:`caller_layout`).

    ``batch``: the caller's leading axes, merged into ``N`` (``None``: the caller's
    array is ``(N, C, *spatial)`` already); ``channels``: the caller's array has a
    channel axis; ``channels_last``: it is the last axis; ``storage``: the caller's
    dtype; ``compute``: the dtype the engines run in.
    """

    batch: tuple | None
    channels: bool
    channels_last: bool
    spatial: int
    storage: np.dtype
    compute: np.dtype

    @property
    def reshaped(self):
        """The caller's axes differ from ``(N, C, *spatial)``."""
        return self.batch is not None

    @property
    def converted(self):
        """The engines run in another dtype than the caller's."""
        return self.storage != self.compute

    def canonical_shape(self, shape):
        """The ``(N, C, *spatial)`` shape of the caller's ``shape``."""
        shape = tuple(int(n) for n in shape)
        if not self.reshaped:
            return shape
        spatial_at = slice(-self.spatial - 1, -1) if self.channels_last else \
            slice(len(shape) - self.spatial, None)
        channels = (shape[-1] if self.channels_last else shape[-self.spatial - 1]) \
            if self.channels else 1
        return (math.prod(self.batch), channels) + shape[spatial_at]

    def caller_shape(self, shape):
        """The caller-layout shape of an ``(N, C, *spatial)`` result ``shape``."""
        shape = tuple(int(n) for n in shape)
        if not self.reshaped:
            return shape
        channels = shape[1:2] if self.channels or shape[1] != 1 else ()
        if self.channels_last:
            return self.batch + shape[2:] + channels
        return self.batch + channels + shape[2:]


def caller_layout(x, ndim=None, channels_last=False, engine="auto", op="this operator",
                  *, integers=False, max_spatial=3):
    """Validate the layout and dtype of an operator's input ``x`` (:func:`as_array`'s
    result) and say how the engines see it.

    Layouts, with ``k`` spatial axes:

    * ``ndim=None``: ``(N, C, *spatial)`` (``k = x.ndim - 2``); with
      ``channels_last=True``, ``(N, *spatial, C)``.
    * ``ndim=k``: the last ``k`` axes are spatial and the axis before them, if any, is
      the channel axis: ``(*spatial)``, ``(C, *spatial)`` or ``(*batch, C, *spatial)``
      with any number of batch axes, merged into ``N``; with ``channels_last=True``,
      ``(*spatial)``, ``(*spatial, C)`` or ``(*batch, *spatial, C)``.

    Dtypes: float32 and float64 run as they are; float16 runs in float32 (float64 on
    the reference engine); the integer dtypes :data:`INTEGER_DTYPES`, only where
    ``integers`` (selection operators), run in float32 (8 and 16 bits) or float64, and
    64-bit integers must lie within ``±2**53``.
    """
    batch, channels, ndim = layout_axes(x.shape, ndim, channels_last, max_spatial)
    if channels_last and is_cuda_array(x):
        raise ValueError("channels_last=True needs a host array; pass a CUDA array in "
                         "(N, C, *spatial) or (*batch, C, *spatial) layout (with ndim=)")
    storage = array_dtype(x)
    return Layout(batch, channels, bool(channels_last), ndim, storage,
                  compute_dtype(x, storage, engine, op, integers))


def layout_axes(shape, ndim=None, channels_last=False, max_spatial=3, name="x"):
    """``(batch, channels, spatial)`` of :class:`Layout` for an input of ``shape``
    (the layout rules of :func:`caller_layout`; ``name`` names the shape in
    messages)."""
    if ndim is not None:
        if not _is_int(ndim) or not 1 <= ndim <= max_spatial:
            raise ValueError(f"ndim must be None or the number of spatial axes, an int "
                             f"from 1 to {max_spatial}, got {ndim!r}")
        ndim = int(ndim)
    channels_last = check_bool(channels_last, "channels_last")
    shape = tuple(int(n) for n in shape)
    if ndim is None:
        if not channels_last:
            return None, True, len(shape) - 2
        if len(shape) < 3:
            raise ValueError(f"channels_last=True: {name} must have (N, *spatial, C) axes, "
                             f"got shape {shape}; pass ndim= for arrays without a batch "
                             "axis")
        return shape[:1], True, len(shape) - 2
    if len(shape) < ndim:
        raise ValueError(f"{name} must have at least ndim={ndim} axes (the spatial ones), "
                         f"got shape {shape}")
    return shape[:max(len(shape) - ndim - 1, 0)], len(shape) > ndim, ndim


def compute_dtype(x, dtype, engine, op, integers):
    """The dtype the engines run ``op`` in for input ``x`` of ``dtype`` (see
    :func:`caller_layout`); a TypeError for dtypes ``op`` cannot compute exactly."""
    if dtype in FLOAT_DTYPES:
        return dtype
    if dtype == HALF:
        return np.dtype(np.float64 if engine == "reference" else np.float32)
    if dtype in INTEGER_DTYPES:
        if not integers:
            raise TypeError(
                f"{op} computes new values (averages, weighted sums or norms), so x must "
                f"have a floating-point dtype (float16, float32 or float64), got {dtype}: "
                f"pass x.astype(np.float32) and round the result if you need integers")
        if dtype.itemsize == 8:
            if is_cuda_array(x):
                raise TypeError(f"{op}: 64-bit integer CUDA arrays are not accepted (they "
                                "would need a check of every value); pass int32 or float64")
            if x.size and not (-EXACT_FLOAT64_INTEGER <= x.min()
                               and x.max() <= EXACT_FLOAT64_INTEGER):
                raise ValueError(f"{op}: {dtype} x must lie within +-2**53 (refpool "
                                 "selects in float64, exact up to that magnitude)")
        small = dtype.itemsize <= 2 and engine != "reference"
        return np.dtype(np.float32 if small else np.float64)
    allowed = "float16, float32, float64" + (" or an integer dtype" if integers else "")
    raise TypeError(f"x must have dtype {allowed}, got {dtype}")


#: ndarray subclasses whose extra meaning refpool would silently drop
_REFUSED_SUBCLASSES = (np.ma.MaskedArray, np.matrix)


def host_array(a, name, what, written_dtype=None, scalars=False):
    """``a`` (a NumPy array, a CUDA array, copied to the host, or a host array-like)
    as a NumPy array.  Lists and tuples of numbers (with ``scalars``, a real number
    too) are converted with ``written_dtype``; ``what`` says in the error what they
    must hold.  The caller checks the dtype."""
    if is_cuda_array(a):
        from numba import cuda
        from ._dispatch import _as_device_array
        a = _as_device_array(cuda, a).copy_to_host()
    elif (isinstance(a, (list, tuple, numbers.Real) if scalars else (list, tuple))
          and not isinstance(a, bool)):
        try:
            a = np.asarray(a, dtype=written_dtype)    # strings stay strings (refused later)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of {what}: {exc}") from None
    elif isinstance(a, np.ndarray):
        check_host_array_type(a, name)
    elif isinstance(a, (str, bytes)) or not (hasattr(a, "__array__")
                                             or hasattr(a, "__dlpack__")):
        raise TypeError(f"{name} must be an array, got {type(a).__name__}")
    else:
        a = as_array(a, name)
    return np.asarray(a)


def check_host_array_type(a, name):
    """Refuse ndarray subclasses that carry semantics refpool ignores (see
    :func:`check_input`); plain ndarrays and plain subclasses pass."""
    cls = type(a)
    if cls is np.ndarray:
        return
    if (isinstance(a, _REFUSED_SUBCLASSES)
            or cls.__array_ufunc__ is not np.ndarray.__array_ufunc__
            or cls.__array_function__ is not np.ndarray.__array_function__):
        hint = (f"{name}.filled(value) or np.asarray({name})"
                if isinstance(a, np.ma.MaskedArray) else f"np.asarray({name})")
        raise TypeError(
            f"{name} must be a plain NumPy array, got a {cls.__module__}.{cls.__qualname__}: "
            f"refpool would ignore what this ndarray subclass adds (its mask, matrix "
            f"semantics or units); pass {hint} to use the bare data")


def _spatial_names(k):
    return ", ".join(("D", "H", "W")[3 - k:])


def array_dtype(x) -> np.dtype:
    """The NumPy dtype of a host or CUDA array (validated by :func:`check_input`)."""
    try:
        return np.dtype(x.dtype)
    except TypeError:
        return np.dtype(x.__cuda_array_interface__["typestr"])


# --------------------------------------------------------------------------- scalars
def _is_int(v) -> bool:
    # the plain int first: the ABC check costs a microsecond, on every argument
    return type(v) is int or (isinstance(v, numbers.Integral) and not isinstance(v, bool))


def per_axis(value, ndim, name, *, minimum=None, allow_none=False):
    """Normalise an int-or-tuple argument to a tuple of ``ndim`` Python ints.

    Parameters
    ----------
    value : int or sequence of int
        One value for every spatial axis, or one per axis.
    ndim : int
        Number of spatial axes.
    name : str
        Argument name, used in error messages.
    minimum : int, optional
        Smallest allowed value.
    allow_none : bool
        Let individual entries be ``None`` (kept as ``None``).
    """
    if _is_int(value) or (allow_none and value is None):
        values = (value,) * ndim
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
        if len(values) != ndim:
            raise ValueError(
                f"{name} must be an int or a tuple of {ndim} ints (one per spatial "
                f"axis), got a sequence of length {len(values)}")
    else:
        raise TypeError(f"{name} must be an int or a tuple of ints, got {value!r}")
    out = []
    for v in values:
        if v is None and allow_none:
            out.append(None)
            continue
        if not _is_int(v):
            raise TypeError(f"{name} must contain ints, got {v!r}")
        v = int(v)
        if minimum is not None and v < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
        check_int_range(v, name, value)
        out.append(v)
    return tuple(out)


def check_int_range(v, name, value=None):
    """An integer argument must satisfy ``|v| <= MAX_INT`` (2**62, see :data:`MAX_INT`)."""
    if not -MAX_INT <= v <= MAX_INT:
        shown = v if value is None else value
        raise ValueError(f"{name} must be at most 2**62 in absolute value (refpool computes "
                         f"in int64), got {shown!r}")
    return v


# --------------------------------------------------------------------------- sizes
def _format_bytes(n):
    """``n`` bytes in binary units (``3.47 EiB``)."""
    n = int(n)
    if n >= 1024 ** 7:
        return f"about 2**{n.bit_length() - 1} bytes"
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.3g} {unit}"
        value /= 1024


@functools.lru_cache(maxsize=1)
def memory_limit():
    """Most bytes one host allocation may take: the physical memory of this machine
    (``os.sysconf``), or what a NumPy array can address when that is unknown."""
    addressable = int(np.iinfo(np.intp).max)
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):   # not POSIX, or not reported
        return addressable
    return min(addressable, int(physical)) if physical > 0 else addressable


def check_size(extent, culprit, what, *, batch=1, itemsize=8, host=False):
    """The one size rule: refuse an array before it is allocated.

    Parameters
    ----------
    extent : tuple of int
        Spatial extent of the grid (one ``(N, C)`` slice).
    culprit : str
        What made it big, named in the message (an argument, ``"x"``, ...).
    what : str
        What the grid is ("the output", "the padded input", ...).
    batch, itemsize : int
        ``N * C`` and the element size, for the byte count.
    host : bool
        The array will be allocated in host memory now: also refuse more bytes than
        this machine's physical memory (:func:`memory_limit`).

    Raises :class:`SizeLimitError` when ``prod(extent) > MAX_GRID_ELEMENTS``, or when
    the bytes exceed what NumPy can address (or, with ``host``, physical memory).
    """
    extent = tuple(int(e) for e in extent)
    count = math.prod(extent)
    if count > MAX_GRID_ELEMENTS:
        raise SizeLimitError(
            f"{culprit} makes {what} too large: extent {extent} has {count} elements per "
            f"(N, C) slice, more than refpool's limit of 2**53 (MAX_GRID_ELEMENTS)")
    nbytes = batch * count * itemsize
    limit = memory_limit() if host else int(np.iinfo(np.intp).max)
    if nbytes > limit:
        where = ("this machine's physical memory" if host and limit < np.iinfo(np.intp).max
                 else "a NumPy array can address")
        raise SizeLimitError(
            f"{culprit} makes {what} too large: {batch} slice(s) of spatial shape {extent} "
            f"need {_format_bytes(nbytes)}, more than {where} ({_format_bytes(limit)})")


class Extent(tuple):
    """A spatial extent (a tuple of ints) that remembers what drives it.

    The argument checks below return an operator's output extent as an ``Extent``
    whose ``culprit`` names the argument that can make it larger than the input
    (``"output_size=..."``, ``"padding=..."``, ...); :func:`with_channels` keeps it,
    and :func:`check_output` names it when the output is refused before allocation.
    It compares, hashes and unpacks as the plain tuple it is.
    """

    def __new__(cls, values, culprit=None):
        self = super().__new__(cls, (int(v) for v in values))
        self.culprit = culprit
        return self


def check_output(shape, x_shape, dtype, *, host):
    """The size rule (:func:`check_size`) for an output about to be allocated.

    ``shape`` is the output's ``(N, C, *spatial)`` (an :class:`Extent` from
    :func:`with_channels` names the argument that drives its spatial extent),
    ``x_shape`` the input's; ``host``: the output lives in host memory (checked against
    physical memory too).  An output spatially larger than the input is blamed on that
    argument, any other on ``x``.
    """
    culprit = getattr(shape, "culprit", None)
    shape, x_shape = tuple(int(n) for n in shape), tuple(int(n) for n in x_shape)
    spatial, x_spatial = shape[2:], x_shape[2:]
    if math.prod(spatial) > math.prod(x_spatial):
        culprit = culprit or (f"the size arguments (output spatial shape {spatial} against "
                              f"x's {x_spatial})")
    else:
        culprit = f"x of shape {x_shape}"
    check_size(spatial, culprit, "the output", batch=math.prod(shape[:2]),
               itemsize=np.dtype(dtype).itemsize, host=host)


def check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def check_engine(engine):
    if engine not in ENGINE_CHOICES:
        raise ValueError(f"engine must be one of {ENGINE_CHOICES}, got {engine!r}")
    return engine


# --------------------------------------------------------------------------- spatial
def check_spatial_shape(spatial_shape, op=None):
    """The spatial rule of every spatial operator: ``x`` must have non-empty spatial
    axes (an empty axis leaves nothing to pool or sample; an empty ``N`` or ``C``
    is legal and gives an empty output) and at most :data:`MAX_GRID_ELEMENTS`
    elements per ``(N, C)`` slice.  ``op`` prefixes the message."""
    spatial_shape = tuple(int(n) for n in spatial_shape)
    if min(spatial_shape, default=1) < 1:
        prefix = f"{op}: " if op else ""
        raise ValueError(f"{prefix}x must have non-empty spatial axes, got spatial shape "
                         f"{spatial_shape}")
    check_size(spatial_shape, "x", "the input")
    return spatial_shape


# --------------------------------------------------------------------------- windows
#: the padding names of the windowed poolings: no padding, and TensorFlow's / ONNX's
#: ``SAME_UPPER`` (the larger half after the input) and ONNX's ``SAME_LOWER``
PADDING_NAMES = ("valid", "same", "same_lower")


def same_padding(n, k, s, d, lower=False):
    """``(before, after)`` of ``"same"`` padding along one axis: the output has
    :math:`o = \\lceil n / s \\rceil` samples, the total padding is
    :math:`\\max((o-1)s + d(k-1) + 1 - n, 0)` and its larger half goes after the input
    (before it with ``lower``)."""
    o = ceil_div(n, s)
    total = max((o - 1) * s + d * (k - 1) + 1 - n, 0)
    small, large = total // 2, total - total // 2
    return (large, small) if lower else (small, large)


def window_padding(padding, spatial_shape, k, s, d, padding_limit, general):
    """``(before, after)`` per-axis tuples of a windowed pooling's ``padding``.

    An int or a tuple of ints pads both sides equally, within PyTorch's limit
    (``padding_limit`` of :func:`window_spec`).  With ``general`` also: a tuple of
    per-axis ``(before, after)`` pairs (any non-negative padding; ints may mix with
    pairs and keep the limit), and the names of :data:`PADDING_NAMES`.
    """
    ndim = len(spatial_shape)
    if general and isinstance(padding, str):
        if padding not in PADDING_NAMES:
            raise ValueError(f"padding must be an int, a tuple of ints or (before, after) "
                             f"pairs, or one of {PADDING_NAMES}, got {padding!r}")
        if padding == "valid":
            return (0,) * ndim, (0,) * ndim
        pairs = [same_padding(n, ki, si, di, padding == "same_lower")
                 for n, ki, si, di in zip(spatial_shape, k, s, d)]
        return tuple(a for a, _ in pairs), tuple(b for _, b in pairs)
    entries = padding
    if general and isinstance(padding, (tuple, list)) and any(
            isinstance(e, (tuple, list)) for e in padding):
        if len(padding) != ndim:
            raise ValueError(f"padding must have one entry (an int or a (before, after) "
                             f"pair) per spatial axis ({ndim}), got {padding!r}")
        entries = tuple(tuple(e) if isinstance(e, (tuple, list)) else e for e in padding)
    elif not (_is_int(padding) or isinstance(padding, (tuple, list))):
        raise TypeError(f"padding must be an int or a tuple of ints"
                        + (f", (before, after) pairs or one of {PADDING_NAMES}" if general
                           else "") + f", got {padding!r}")
    if _is_int(entries) or not any(isinstance(e, tuple) for e in entries):
        p = per_axis(entries, ndim, "padding", minimum=0)
        before = after = p
        limited = [True] * ndim
    else:
        before, after, limited = [], [], []
        for e in entries:
            if isinstance(e, tuple):
                if len(e) != 2:
                    raise ValueError(f"padding pairs must be (before, after), got {e!r}")
                b, a = per_axis(e[0], 1, "padding", minimum=0)[0], \
                    per_axis(e[1], 1, "padding", minimum=0)[0]
                limited.append(False)
            else:
                b = a = per_axis(e, 1, "padding", minimum=0)[0]
                limited.append(True)
            before.append(b)
            after.append(a)
        before, after = tuple(before), tuple(after)
    for ki, pi, di, lim in zip(k, before, d, limited):
        limit = (di * (ki - 1) + 1) // 2 if padding_limit == "dilated" else ki // 2
        if lim and pi > limit:
            extent = "the dilated kernel extent" if padding_limit == "dilated" else "kernel_size"
            hint = (" (a (before, after) pair lifts PyTorch's limit)" if general else "")
            raise ValueError(
                f"padding must be at most half of {extent} (padding={padding!r}, "
                f"kernel_size={tuple(k)!r}, dilation={tuple(d)!r}){hint}")
    return before, after


def _typed_key(value):
    """A cache key that tells apart arguments which compare equal but validate
    differently (``True`` and ``1``, ``2`` and ``2.0``); None when unhashable."""
    if isinstance(value, (tuple, list)):
        parts = tuple(_typed_key(v) for v in value)
        return None if None in parts else (type(value), parts)
    try:
        hash(value)
    except TypeError:
        return None
    return type(value), value


def window_spec(spatial_shape, kernel_size, stride=None, padding=0, dilation=1,
                ceil_mode=False, *, padding_limit="dilated", general_padding=False):
    """Normalise and validate the arguments of a windowed pooling (cached: a small
    call spends most of its time here; see :func:`_window_spec`)."""
    key = _typed_key((tuple(int(n) for n in spatial_shape), kernel_size, stride, padding,
                      dilation, ceil_mode, padding_limit, general_padding))
    if key is None:
        return _window_spec(spatial_shape, kernel_size, stride, padding, dilation,
                            ceil_mode, padding_limit=padding_limit,
                            general_padding=general_padding)
    return _cached_window_spec(key)


@functools.lru_cache(maxsize=512)
def _cached_window_spec(key):
    (_, (shape, *args)) = key
    spatial_shape = tuple(v for _, v in shape[1])
    values = [_untyped(a) for a in args]
    *arguments, padding_limit, general_padding = values
    return _window_spec(spatial_shape, *arguments, padding_limit=padding_limit,
                        general_padding=general_padding)


def _untyped(key):
    kind, value = key
    if kind in (tuple, list):
        return kind(_untyped(v) for v in value)
    return value


def _window_spec(spatial_shape, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode=False, *, padding_limit="dilated", general_padding=False):
    """Normalise and validate the arguments of a windowed pooling.

    Parameters
    ----------
    spatial_shape : tuple of int
        The spatial part of the input shape.
    kernel_size, stride, padding, dilation, ceil_mode
        As in :func:`refpool.max_pool`; ``stride=None`` means ``kernel_size``.
    padding_limit : {"dilated", "kernel"}
        PyTorch's limit on an int padding: ``p <= (d(k-1)+1)//2`` for max pooling
        ("dilated"), ``p <= k//2`` for average pooling ("kernel").
    general_padding : bool
        Also accept ``(before, after)`` pairs and the names ``"valid"``, ``"same"``,
        ``"same_lower"`` (:func:`window_padding`).
    """
    spatial_shape = check_spatial_shape(spatial_shape)
    ndim = len(spatial_shape)
    k = per_axis(kernel_size, ndim, "kernel_size", minimum=1)
    s = k if stride is None else per_axis(stride, ndim, "stride", minimum=1)
    d = per_axis(dilation, ndim, "dilation", minimum=1)
    p, after = window_padding(padding, spatial_shape, k, s, d, padding_limit,
                              general_padding)
    ceil_mode = check_bool(ceil_mode, "ceil_mode")
    out = tuple(pool_output_length(n, ki, si, pi, di, ceil_mode, ai)
                for n, ki, si, pi, di, ai in zip(spatial_shape, k, s, p, d, after))
    if min(out) < 1:
        raise ValueError(
            f"kernel_size {k} (dilation {d}) is larger than the padded input "
            f"{tuple(n + pi + ai for n, pi, ai in zip(spatial_shape, p, after))}: output "
            f"size {out} would be empty")
    # no engine materialises the padded input of a windowed pooling; only the output,
    # which outgrows the (already checked) input only through the padding
    check_size(out, f"padding={padding!r}", "the output")
    # every engine visits, and the reference engine gathers, output x kernel taps
    check_size(out + k, f"kernel_size={kernel_size!r}",
               "the windows (output positions times kernel taps)")
    # only the padding makes the output longer than the input
    out = Extent(out, f"padding={padding!r}")
    return WindowSpec(tuple(spatial_shape), k, s, p, d, ceil_mode, out,
                      None if after == p else after)




#: largest exponent of :func:`refpool.lp_pool`
MAX_LP_NORM = 1024


def lp_pool_spec(spatial_shape, norm_type, kernel_size, stride=None, ceil_mode=False,
                 padding=0, dilation=1, variant="torch"):
    """Validate the arguments of :func:`refpool.lp_pool` (an :class:`LpPoolSpec`)."""
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, numbers.Real):
        raise TypeError(f"norm_type must be a real number, got {norm_type!r}")
    p = float(norm_type)
    if not math.isfinite(p) or not 0 < p <= MAX_LP_NORM:
        raise ValueError(f"norm_type must be positive and at most {MAX_LP_NORM} (the "
                         f"exponent p of the Lp norm; |x|**p overflows float64 beyond "
                         f"|x| = 2 at p = 1024), got {norm_type!r}")
    if not isinstance(variant, str) or variant not in LP_VARIANTS:
        raise ValueError(f"variant must be one of {LP_VARIANTS}, got {variant!r}")
    window = window_spec(spatial_shape, kernel_size, stride, padding, dilation, ceil_mode,
                         padding_limit="dilated", general_padding=True)
    return LpPoolSpec(window, p, variant)


def check_divisor_override(divisor_override):
    if divisor_override is None:
        return None
    if not _is_int(divisor_override):
        raise TypeError(f"divisor_override must be an int or None, got {divisor_override!r}")
    if divisor_override == 0:
        raise ValueError("divisor_override must be non-zero")
    return check_int_range(int(divisor_override), "divisor_override", divisor_override)


# --------------------------------------------------------------------------- adaptive
def adaptive_output_size(spatial_shape, output_size):
    """Normalise ``output_size`` of an adaptive pooling (``None`` keeps an axis)."""
    spatial_shape = check_spatial_shape(spatial_shape)
    o = per_axis(output_size, len(spatial_shape), "output_size", allow_none=True)
    o = tuple(n if v is None else v for n, v in zip(spatial_shape, o))
    if min(o) < 1:
        raise ValueError(f"output_size must be >= 1 on every axis, got {output_size!r}")
    culprit = f"output_size={output_size!r}"
    check_size(o, culprit, "the output")
    return Extent(o, culprit)


# --------------------------------------------------------------------------- fractional
#: the dtypes of fractional max pooling's ``samples``: the interval arithmetic runs in it
FRACTIONAL_SAMPLE_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def fractional_ratio(output_ratio, ndim):
    """``output_ratio`` of :func:`refpool.fractional_max_pool`: one real in the open
    interval (0, 1) per axis (a number applies to every axis), as Python floats."""
    if isinstance(output_ratio, (tuple, list)):
        if len(output_ratio) != ndim:
            raise ValueError(f"output_ratio must be a number or a tuple of {ndim} numbers "
                             f"(one per spatial axis), got a sequence of length "
                             f"{len(output_ratio)}")
        values = tuple(output_ratio)
    else:
        values = (output_ratio,) * ndim
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"output_ratio must contain real numbers, got {output_ratio!r}")
        v = float(v)
        if not 0.0 < v < 1.0:
            raise ValueError(f"output_ratio must lie in the open interval (0, 1) on every "
                             f"axis, got {output_ratio!r}")
        out.append(v)
    return tuple(out)


def fractional_spec(spatial_shape, kernel_size, output_size=None, output_ratio=None):
    """Validate the geometry of :func:`refpool.fractional_max_pool` (a
    :class:`FractionalSpec` without samples; :func:`fractional_windows` binds them).

    Exactly one of ``output_size`` (ints >= 1) and ``output_ratio``
    (:func:`fractional_ratio`; :math:`o = \\lfloor n r \\rfloor` in float64, PyTorch's
    ``int(n * ratio)``) must be given, and every axis needs :math:`o + k - 1 \\le n`.
    """
    spatial_shape = check_spatial_shape(spatial_shape)
    nd = len(spatial_shape)
    k = per_axis(kernel_size, nd, "kernel_size", minimum=1)
    if output_size is not None and output_ratio is not None:
        raise ValueError("give output_size or output_ratio, not both (PyTorch ignores "
                         "output_ratio when output_size is given)")
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool needs output_size or output_ratio (the "
                         "output length per axis, or its ratio to the input's)")
    if output_size is not None:
        o = per_axis(output_size, nd, "output_size", minimum=1)
        culprit = f"output_size={output_size!r}"
    else:
        ratio = fractional_ratio(output_ratio, nd)
        o = tuple(int(n * r) for n, r in zip(spatial_shape, ratio))
        culprit = f"output_ratio={output_ratio!r}"
        if min(o) < 1:
            raise ValueError(f"{culprit} gives an empty output for the spatial shape "
                             f"{spatial_shape} (int(n * ratio) = {o})")
    for n, ki, oi in zip(spatial_shape, k, o):
        if ki > n:
            raise ValueError(f"kernel_size {k} is larger than the input {spatial_shape}")
        if oi + ki - 1 > n:
            raise ValueError(f"{culprit} with kernel_size {k}: o + k - 1 must be at most "
                             f"the input length n on every axis (o windows of k samples "
                             f"need o + k - 1 <= n), got output size {o} for the spatial "
                             f"shape {spatial_shape}")
    # the reference engine gathers output x kernel taps
    check_size(o + k, f"kernel_size={kernel_size!r}",
               "the windows (output positions times kernel taps)")
    return FractionalSpec(tuple(spatial_shape), k, Extent(o, culprit))


def check_fractional_samples(samples, ndim):
    """``samples`` of :func:`refpool.fractional_max_pool` read as a host float array
    whose last axis has ``ndim`` entries, all in :math:`[0, 1)` (CUDA arrays are
    copied to the host: they are small).  The shape before the last axis is checked
    by :func:`fractional_samples`."""
    samples = as_array(samples, "samples")
    if is_cuda_array(samples):
        if not hasattr(samples, "copy_to_host"):
            from numba import cuda
            samples = cuda.as_cuda_array(samples)
        samples = samples.copy_to_host()
    check_host_array_type(samples, "samples")
    dtype = np.dtype(samples.dtype)
    if dtype not in FRACTIONAL_SAMPLE_DTYPES:
        raise TypeError(f"samples must have dtype float16, float32 or float64 (the interval "
                        f"rule computes in it; PyTorch uses x's dtype), got {dtype}")
    if samples.ndim < 1 or samples.shape[-1] != ndim:
        raise ValueError(f"samples must have {ndim} entries on its last axis (one per "
                         f"spatial axis), got shape {tuple(samples.shape)}")
    bad = ~((samples >= 0) & (samples < 1))          # NaN included
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"samples must lie in [0, 1), got {samples[where]!r} at position "
                         f"{where}")
    return samples


def fractional_samples(samples, generator, caller_shape, layout, planes, ndim):
    """The ``(N, C, ndim)`` samples of a call of :func:`refpool.fractional_max_pool`.

    ``samples`` must have the shape ``(N, C, ndim)`` of the ``(N, C, *spatial)`` input
    the engines see (``planes = (N, C)``, PyTorch's ``_random_samples``), or the
    caller's: ``x``'s shape with its spatial axes replaced by one axis of ``ndim``
    (``layout``: the caller's :class:`Layout`).  Without ``samples``, ``generator``
    (a :class:`numpy.random.Generator`) draws them, float64, in ``(N, C, ndim)``
    order; one of the two is required (refpool has no hidden randomness).
    """
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator (np.random."
                        f"default_rng(seed)) or None, got {type(generator).__name__}")
    planes = tuple(int(n) for n in planes)
    canonical = planes + (ndim,)
    if samples is None:
        if generator is None:
            raise ValueError(f"samples is required: an array of shape {canonical} in "
                             f"[0, 1) (PyTorch's _random_samples), or pass "
                             f"generator=np.random.default_rng(seed) to draw it")
        return generator.random(canonical)
    if generator is not None:
        raise ValueError("pass samples or generator, not both")
    samples = check_fractional_samples(samples, ndim)
    shape = tuple(int(n) for n in samples.shape)
    caller_shape = tuple(int(n) for n in caller_shape)
    if layout.reshaped:
        k = layout.spatial
        first = len(caller_shape) - k - (1 if layout.channels_last else 0)
        own = caller_shape[:first] + caller_shape[first + k:] + (ndim,)
    else:
        own = canonical
    if shape not in (own, canonical):
        also = "" if own == canonical else f" or x's shape without its spatial axes {own}"
        raise ValueError(f"samples must have the shape (N, C, ndim) = {canonical}{also}, "
                         f"got {shape}")
    return np.ascontiguousarray(samples.reshape(canonical))


def fractional_windows(spec, samples):
    """``spec`` (:func:`fractional_spec`) with its ``samples`` bound and the window starts
    of every plane computed (:meth:`FractionalSpec.axis_starts`).  A sample dtype too
    narrow for the lengths (float16 beyond 2048) can put a start outside
    :math:`[0, n - k]`: a ValueError naming ``samples``."""
    starts = spec.axis_starts(samples)
    for b, s in enumerate(starts):
        n, k = spec.input_size[b], spec.kernel[b]
        if s.size and (s.min() < 0 or s.max() > n - k):
            raise ValueError(
                f"samples: the interval rule computed in {samples.dtype} puts windows "
                f"outside the input along spatial axis {b} (length {n}, kernel {k}); pass "
                f"float32 or float64 samples")
    return spec._replace(samples=samples, starts=starts)




# --------------------------------------------------------------------------- outputs
def check_out(out, shape, dtype, x, name="out", *, others=()):
    """Validate a caller-provided output array (host or CUDA).

    ``out`` must have ``shape`` and ``dtype``; a host ``out`` must be a writeable
    C-contiguous ndarray (subclasses as for :func:`check_input`).  It must not share
    memory with the input ``x`` nor with any array of ``others`` (``(name, array)``
    pairs: the outputs of the same call already adopted), for host and CUDA arrays
    alike (see :func:`may_share_memory`).
    """
    if not isinstance(out, np.ndarray) and not is_cuda_array(out):
        raise TypeError(f"{name} must be a NumPy or CUDA array, got {type(out).__name__}")
    if isinstance(out, np.ndarray):
        check_host_array_type(out, name)
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(out.shape)}")
    if array_dtype(out) != np.dtype(dtype):
        raise ValueError(f"{name} must have dtype {np.dtype(dtype)}, got {array_dtype(out)}")
    if isinstance(out, np.ndarray) and not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError(f"{name} must be a writeable C-contiguous array")
    if x is not None and may_share_memory(out, x):
        raise ValueError(f"{name} must not share memory with the input")
    for other_name, other in others:
        if may_share_memory(out, other):
            raise ValueError(f"{name} must not share memory with {other_name} (each output "
                             "needs its own memory)")
    return out


def _memory_span(a):
    """``(space, start, end)``: the byte range ``[start, end)`` holding the elements of
    ``a``, in address space ``"host"`` or ``"cuda"``; ``None`` for an empty array or
    an object whose memory cannot be located.

    Host arrays use ``__array_interface__``; CUDA arrays ``__cuda_array_interface__``
    (data pointer, shape, strides, typestr); Numba's simulator arrays, which have
    neither, the host array they wrap.
    """
    if isinstance(a, np.ndarray):
        space, interface = "host", a.__array_interface__
    elif hasattr(a, "__cuda_array_interface__"):
        space, interface = "cuda", a.__cuda_array_interface__
    elif is_cuda_array(a) and isinstance(getattr(a, "_ary", None), np.ndarray):
        space, interface = "cuda", a._ary.__array_interface__    # the simulator
    else:
        return None
    shape = tuple(int(n) for n in interface["shape"])
    if math.prod(shape) == 0:
        return None
    itemsize = np.dtype(interface["typestr"]).itemsize
    strides = interface.get("strides")
    if strides is None:                                    # C-contiguous
        strides, step = [], itemsize
        for n in reversed(shape):
            strides.insert(0, step)
            step *= n
    start = end = int(interface["data"][0])
    for n, st in zip(shape, strides):
        reach = (n - 1) * int(st)
        if reach < 0:
            start += reach
        else:
            end += reach
    return space, start, end + itemsize


def may_share_memory(a, b):
    """Whether arrays ``a`` and ``b`` may overlap in memory.

    Two host arrays: :func:`numpy.may_share_memory` (bounds overlap).  Two CUDA
    arrays: their byte ranges ``[start, end)`` (:func:`_memory_span`) overlap.  A
    host and a device array live in different address spaces and never overlap.
    """
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return bool(np.may_share_memory(np.asarray(a), np.asarray(b)))
    span_a, span_b = _memory_span(a), _memory_span(b)
    if span_a is None or span_b is None or span_a[0] != span_b[0]:
        return False
    return span_a[1] < span_b[2] and span_b[1] < span_a[2]


def with_channels(x_shape, spatial):
    """``(N, C, *spatial)`` for an input of shape ``x_shape``; an :class:`Extent`
    ``spatial`` passes its ``culprit`` on to the result."""
    return Extent(tuple(x_shape[:2]) + tuple(spatial), getattr(spatial, "culprit", None))




# --------------------------------------------------------------------------- channels
#: the reductions of :func:`refpool.subgroup_pool`
CHANNEL_POOL_MODES = ("max", "avg")


def channel_pool_spec(channels, kernel_size, op="max_pool_channels"):
    """Validate ``max_pool_channels``: ``kernel_size`` a positive int (at most
    :data:`MAX_INT`) dividing the channel count; returns its :class:`ChannelPool`."""
    if not _is_int(kernel_size):
        raise TypeError(f"kernel_size must be a positive int (channels per output channel), "
                        f"got {kernel_size!r}")
    k = check_int_range(int(kernel_size), "kernel_size")
    if k < 1:
        raise ValueError(f"kernel_size must be a positive int (>= 1), got {k}")
    channels = int(channels)
    if channels % k:
        raise ValueError(f"{op}: x has {channels} channels, not a multiple of "
                         f"kernel_size={k} (every output channel pools {k} consecutive "
                         "channels)")
    return ChannelPool(consecutive_channels(channels, k), False)


def check_channel_pool_mode(mode):
    """``mode`` of :func:`refpool.subgroup_pool`: ``"max"`` or ``"avg"``."""
    if not isinstance(mode, str) or mode not in CHANNEL_POOL_MODES:
        raise ValueError(f"mode must be one of {CHANNEL_POOL_MODES}, got {mode!r}")
    return mode


def subgroup_pool_spec(field_type, channels, subgroup, mode="max", op="subgroup_pool"):
    """Validate ``subgroup_pool`` (field type, then subgroup, then mode) and return its
    :class:`ChannelPool` and the subgroup's escnn id.  ``channels=None`` skips the
    channel count (the exactness rule sees no input)."""
    from ._fieldcheck import check_regular_field_type, check_subgroup
    from .groups._cosets import regular_restriction
    check_regular_field_type(field_type, channels, op)
    subgroup_id = check_subgroup(field_type.group, subgroup, op)
    average = check_channel_pool_mode(mode) == "avg"
    table = subgroup_channels(field_type, regular_restriction(field_type.group, subgroup_id))
    return ChannelPool(table, average), subgroup_id


def isfinite_positive(value, name):
    """Validate a positive finite real scalar (sigma, scale factors)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value


# --- antialiasing
#: ``pad_type`` spellings of :func:`refpool.blur_pool` (antialiased-cnns' short
#: aliases included) mapped to the canonical name the engines receive.
PAD_TYPES = {"reflect": "reflect", "refl": "reflect",
             "replicate": "replicate", "repl": "replicate",
             "zero": "zero", "circular": "circular"}

#: ``pad_type`` of :func:`refpool.antialiased_avg_pool`, :func:`refpool.antialiased_max_pool`
#: and :func:`refpool.upfirdn`: their own padding (zeros, or ``-inf`` for the max) or the
#: input read as periodic
ZERO_OR_CIRCULAR = ("zero", "circular")

#: truncation multipliers (radius / sigma) of the Gaussian filters of the two
#: antialiased poolings, as in e2cnn/escnn
AVG_TRUNCATE = 3.0
MAX_TRUNCATE = 4.0

#: Filter bounds (documented and re-exported by :mod:`refpool.kernels`): the most values
#: one filter may hold, and the largest binomial filter size.  The operators build
#: the same taps, so they apply the same rules (:func:`check_gaussian_radius`,
#: :func:`check_binomial_size`) before building them.
MAX_FILTER_ELEMENTS = 2 ** 26
MAX_BINOMIAL_SIZE = 2 ** 14


def check_truncate(truncate):
    """Validate the truncation multiplier of a Gaussian (finite, >= 0)."""
    if isinstance(truncate, bool) or not isinstance(truncate, numbers.Real):
        raise TypeError(f"truncate must be a real number, got {truncate!r}")
    truncate = float(truncate)
    if not math.isfinite(truncate) or truncate < 0:
        raise ValueError(f"truncate must be non-negative and finite, got {truncate!r}")
    return truncate


def gaussian_size(sigma, truncate):
    """Gaussian filter size :math:`2\\,\\mathrm{round}(t\\sigma) + 1`.

    ``round`` is Python's (half to even), as in e2cnn/escnn.  Raises ValueError naming
    ``sigma`` when :math:`t\\sigma` overflows to infinity.
    """
    radius = truncate * sigma
    if not math.isfinite(radius):
        raise ValueError(f"sigma={sigma!r} with truncate={truncate!r} gives an infinite "
                         f"Gaussian filter radius (truncate * sigma overflows); reduce sigma")
    return 2 * int(round(radius)) + 1


def check_gaussian_radius(sigma, truncate):
    """The size rule of a Gaussian filter (:func:`refpool.kernels.gaussian_taps` and the
    antialiased poolings): radius :math:`t\\sigma` at most :data:`MAX_FILTER_ELEMENTS`.
    Returns :func:`gaussian_size`; ValueError naming ``sigma`` otherwise."""
    radius = truncate * sigma
    if not math.isfinite(radius) or radius > MAX_FILTER_ELEMENTS:
        raise ValueError(f"sigma={sigma!r} with truncate={truncate!r} gives a Gaussian filter "
                         f"radius of {radius:.3g} pixels, more than the limit of "
                         f"{MAX_FILTER_ELEMENTS} filter taps; reduce sigma")
    return gaussian_size(sigma, truncate)


def check_binomial_size(size, name="size", value=None):
    """A binomial filter size: an int, ``1 <= size <=`` :data:`MAX_BINOMIAL_SIZE`
    (ValueError naming ``name``; ``value`` is shown, default ``size``)."""
    size = check_filter_size(size, name)
    if size > MAX_BINOMIAL_SIZE:
        shown = size if value is None else value
        raise ValueError(f"{name} must be at most {MAX_BINOMIAL_SIZE} for a binomial filter, "
                         f"got {shown!r}: the outer taps C({name}-1, i) / 2**({name}-1) of "
                         "larger filters underflow to 0 in float64 (for a wide smoothing "
                         f"filter use gaussian_taps with sigma = sqrt({name} - 1) / 2)")
    return size


def check_filter_size(size, name):
    """A filter size: an int >= 1."""
    if not _is_int(size):
        raise TypeError(f"{name} must be an int, got {size!r}")
    if size < 1:
        raise ValueError(f"{name} must be >= 1, got {size!r}")
    return check_int_range(int(size), name, size)


def check_kernel_ndim(ndim):
    """Number of axes of an n-D filter: an int >= 1."""
    if not _is_int(ndim):
        raise TypeError(f"ndim must be an int, got {ndim!r}")
    if ndim < 1:
        raise ValueError(f"ndim must be >= 1, got {ndim!r}")
    return check_int_range(int(ndim), "ndim", ndim)


def check_filter_dtype(dtype):
    """dtype of a filter returned by :mod:`refpool.kernels`: a real floating dtype."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be a NumPy floating dtype, got {dtype!r}") from exc
    if dt.kind != "f":
        raise TypeError(f"dtype must be a real floating dtype, got {dt}")
    return dt


def check_pad_type(pad_type, choices=None):
    """Canonical padding mode of :func:`refpool.blur_pool` (or one of ``choices``)."""
    if not isinstance(pad_type, str):
        raise TypeError(f"pad_type must be a str, got {pad_type!r}")
    if choices is not None:
        if pad_type not in choices:
            raise ValueError(f"pad_type must be one of {tuple(choices)}, got {pad_type!r}")
        return pad_type
    try:
        return PAD_TYPES[pad_type]
    except KeyError:
        raise ValueError(f"pad_type must be one of {tuple(PAD_TYPES)}, got {pad_type!r}") \
            from None


def antialiased_avg_spec(spatial_shape, sigma, stride, padding=None, pad_type="zero"):
    """Validate :func:`refpool.antialiased_avg_pool`; returns ``(sigma, FilterSpec)``.

    Filter size ``fs = 2 round(3 sigma) + 1`` on every axis, zero padding
    ``padding`` (default ``(fs-1)//2``) on both sides, output
    ``floor((n + 2p - fs)/s) + 1``; ``pad_type="circular"`` reads the input as periodic
    instead of zero-padded (same output shape).
    """
    ndim = len(spatial_shape)
    sigma = isfinite_positive(sigma, "sigma")
    mode = check_pad_type(pad_type, ZERO_OR_CIRCULAR)
    fs = gaussian_size(sigma, AVG_TRUNCATE)
    s = per_axis(stride, ndim, "stride", minimum=1)
    if padding is None:
        p = ((fs - 1) // 2,) * ndim
    else:
        p = per_axis(padding, ndim, "padding", minimum=0)
    spatial_shape = check_spatial_shape(spatial_shape, "antialiased_avg_pool")
    check_size(tuple(n + 2 * q for n, q in zip(spatial_shape, p)),
               f"sigma={sigma!r}" if padding is None else f"padding={padding!r}",
               "the padded input")
    # the taps the engines receive: sigma alone decides whether they can be built
    check_gaussian_radius(sigma, AVG_TRUNCATE)
    out = tuple(pool_output_length(n, fs, si, pi) for n, si, pi in zip(spatial_shape, s, p))
    if min(out) < 1:
        raise ValueError(
            f"antialiased_avg_pool: the Gaussian filter (size {fs} for sigma={sigma!r}) is "
            f"larger than the padded input {tuple(n + 2 * q for n, q in zip(spatial_shape, p))};"
            f" increase padding or reduce sigma")
    # with the default padding the output is never longer than the input
    out = Extent(out, f"sigma={sigma!r}" if padding is None else f"padding={padding!r}")
    return sigma, FilterSpec(tuple(spatial_shape), (fs,) * ndim, s, p, p, mode, out)


def antialiased_max_spec(spatial_shape, kernel_size, stride=None, padding=0, dilation=1,
                         ceil_mode=False, sigma=0.6, blur_padding=None, pad_type="zero"):
    """Validate :func:`refpool.antialiased_max_pool`; returns ``(sigma, AntialiasedMaxSpec)``.

    ``pad_type="circular"`` (``blur.mode``): the input is read as periodic, by the max
    windows (instead of ``-inf`` padding) and through them by the blur (instead of the
    zero padding of the dense map); the shapes are those of ``"zero"``.

    Per axis: dense length ``L = n + 2p - d(k-1)``, Gaussian size
    ``fs = 2 round(4 sigma) + 1``, blur padding ``q`` (default ``c = (fs-1)//2``).
    Floor mode: ``o = floor((L + 2q - fs)/s) + 1``.  Ceil mode: the ceiling, then the
    last output is dropped when its centre ``(o-1)s - q + c`` lies at or past
    ``n + p`` (its max window would start in the right padding).  With the default
    ``q = c`` both equal :func:`refpool.max_pool`'s output length.
    """
    spatial_shape = check_spatial_shape(spatial_shape, "antialiased_max_pool")
    mode = check_pad_type(pad_type, ZERO_OR_CIRCULAR)
    window = window_spec(spatial_shape, kernel_size, stride, padding, dilation, ceil_mode,
                         padding_limit="dilated")
    # the reference engine pads the input with -inf to build the dense max map
    check_size(tuple(n + 2 * p for n, p in zip(spatial_shape, window.padding)),
               f"padding={padding!r}", "the padded input")
    sigma = isfinite_positive(sigma, "sigma")
    ndim = len(spatial_shape)
    fs = gaussian_size(sigma, MAX_TRUNCATE)
    c = (fs - 1) // 2
    if blur_padding is None:
        q = (c,) * ndim
    else:
        q = per_axis(blur_padding, ndim, "blur_padding", minimum=0)
    dense = tuple(n + 2 * p - d * (k - 1) for n, k, p, d in
                  zip(spatial_shape, window.kernel, window.padding, window.dilation))

    def output_lengths(blur_pads):
        lengths = []
        for n, L, s, p, qi in zip(spatial_shape, dense, window.stride, window.padding,
                                  blur_pads):
            span = L + 2 * qi - fs
            if span < 0:
                o = 0
            elif window.ceil_mode:
                o = ceil_div(span, s) + 1
                if (o - 1) * s - qi + c >= n + p:
                    o -= 1
            else:
                o = span // s + 1
            lengths.append(o)
        return tuple(lengths)

    out = output_lengths(q)
    after = tuple(max(qi, (o - 1) * s + fs - qi - L)
                  for L, s, qi, o in zip(dense, window.stride, q, out))
    by_sigma = blur_padding is None or math.prod(L + fs for L in dense) > MAX_GRID_ELEMENTS
    check_size(tuple(L + qi + a for L, qi, a in zip(dense, q, after)),
               f"sigma={sigma!r}" if by_sigma else f"blur_padding={blur_padding!r}",
               "the blur-padded dense max map")
    # the taps the engines receive: sigma alone decides whether they can be built
    check_gaussian_radius(sigma, MAX_TRUNCATE)
    if min(out) < 1:
        raise ValueError(
            f"antialiased_max_pool: blur_padding={blur_padding!r} leaves no output: the "
            f"Gaussian filter (size {fs} for sigma={sigma!r}) is larger than the padded dense "
            f"max map {tuple(L + 2 * qi for L, qi in zip(dense, q))}; increase blur_padding "
            f"or reduce sigma")
    # The output outgrows the input through padding (the dense map, at most one more
    # per axis) or a blur_padding beyond the default (fs-1)//2.
    default = output_lengths(tuple(min(qi, c) for qi in q))
    if blur_padding is None or default == out:
        culprit = f"padding={padding!r}"
    elif math.prod(default) <= math.prod(spatial_shape):
        culprit = f"blur_padding={blur_padding!r}"
    else:
        culprit = f"padding={padding!r} and blur_padding={blur_padding!r}"
    blur = FilterSpec(tuple(dense), (fs,) * ndim, window.stride, q, after, mode,
                      Extent(out, culprit))
    return sigma, AntialiasedMaxSpec(window, dense, blur)


def blur_pool_spec(spatial_shape, filt_size=4, stride=2, pad_type="reflect", pad_off=0):
    """Validate :func:`refpool.blur_pool`; returns a :class:`FilterSpec`.

    Per axis: padding ``floor((fs-1)/2) + pad_off`` before and
    ``ceil((fs-1)/2) + pad_off`` after, output ``floor((n - 1 + 2 pad_off)/s) + 1``.
    Reflect padding (edge not repeated) must be narrower than the input.
    """
    ndim = len(spatial_shape)
    fs = per_axis(filt_size, ndim, "filt_size", minimum=1)
    for f in fs:      # the binomial taps are built from it: kernels' size rule
        check_binomial_size(f, "filt_size", filt_size)
    s = per_axis(stride, ndim, "stride", minimum=1)
    mode = check_pad_type(pad_type)
    off = per_axis(pad_off, ndim, "pad_off", minimum=0)
    spatial_shape = check_spatial_shape(spatial_shape, "blur_pool")
    before = tuple((f - 1) // 2 + o for f, o in zip(fs, off))
    after = tuple(f // 2 + o for f, o in zip(fs, off))
    unpadded = tuple(n + f - 1 for n, f in zip(spatial_shape, fs))
    check_size(tuple(n + b + a for n, b, a in zip(spatial_shape, before, after)),
               f"filt_size={filt_size!r}" if math.prod(unpadded) > MAX_GRID_ELEMENTS
               else f"pad_off={pad_off!r}", "the padded input")
    if mode == "reflect":
        for n, b, a in zip(spatial_shape, before, after):
            if max(b, a) >= n:
                raise ValueError(
                    f"blur_pool: pad_type={pad_type!r} needs padding narrower than the input, "
                    f"got padding ({b}, {a}) on an axis of length {n} (filt_size={filt_size!r},"
                    f" pad_off={pad_off!r}); use pad_type='replicate' or 'zero'")
    # only pad_off makes the output longer than the input
    out = Extent(((n + b + a - f) // si + 1
                  for n, b, a, f, si in zip(spatial_shape, before, after, fs, s)),
                 f"pad_off={pad_off!r}")
    return FilterSpec(tuple(spatial_shape), fs, s, before, after, mode, out)


# --- interpolation
#: modes of :func:`refpool.interpolate`, mapped to the number of spatial axes they
#: need (``None``: any of 1 to 3)
#: the interpolation modes that select input elements (integer dtypes are exact)
NEAREST_MODES = ("nearest", "nearest-exact")

INTERPOLATION_MODES = {"nearest": None, "nearest-exact": None, "area": None,
                       "linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}

#: modes that take ``align_corners``; the others refuse it (PyTorch's rule)
ALIGN_CORNERS_MODES = ("linear", "bilinear", "trilinear", "bicubic")

#: modes that take ``antialias=True``
ANTIALIAS_MODES = ("bilinear", "bicubic")



class InterpolationSpec(NamedTuple):
    """Validated geometry of one :func:`refpool.interpolate` call.

    ``scale`` holds the coordinate scale :math:`r` of every axis (a float64
    number; see :func:`coordinate_scale`), the only place where ``scale_factor``
    and ``recompute_scale_factor`` reach the engines.  ``nearest_rule`` picks the
    source-index rule of the nearest modes (see :func:`nearest_rule`).
    """

    mode: str
    input_size: tuple
    output_size: tuple
    scale: tuple
    align_corners: bool
    antialias: bool
    nearest_rule: str = "generic"


def check_interpolation_mode(mode, ndim):
    """Validate ``mode`` and that it fits ``ndim`` spatial axes."""
    if not isinstance(mode, str) or mode not in INTERPOLATION_MODES:
        raise ValueError(
            f"mode must be one of {tuple(INTERPOLATION_MODES)}, got {mode!r}")
    rank = INTERPOLATION_MODES[mode]
    if rank is not None and rank != ndim:
        fitting = {1: "'linear'", 2: "'bilinear' or 'bicubic'", 3: "'trilinear'"}[ndim]
        raise ValueError(
            f"mode={mode!r} needs {rank} spatial {'axes' if rank > 1 else 'axis'} "
            f"(x of shape (N, C, {_spatial_names(rank)})), got {ndim}; "
            f"with {ndim} spatial {'axes' if ndim > 1 else 'axis'} use {fitting}, "
            "'nearest', 'nearest-exact' or 'area'")
    return mode


def _per_axis_scale(scale_factor, ndim):
    if isinstance(scale_factor, (tuple, list)):
        if len(scale_factor) != ndim:
            raise ValueError(
                f"scale_factor must be a number or a tuple of {ndim} numbers (one per "
                f"spatial axis), got a sequence of length {len(scale_factor)}")
        values = tuple(scale_factor)
    else:
        values = (scale_factor,) * ndim
    return tuple(isfinite_positive(v, "scale_factor") for v in values)


def interpolate_output_size(spatial_shape, size=None, scale_factor=None):
    """Output size of an interpolation: ``size``, or :math:`\\lfloor n s \\rfloor` per axis.

    Exactly one of ``size`` (int or tuple of int, each >= 1) and
    ``scale_factor`` (positive finite number or tuple of them) must be given.
    The product :math:`n s` is a float64 product, floored (PyTorch's rule); it
    must be at least 1.  Returns ``(output_size, scale_factors)`` where
    ``scale_factors`` is ``None`` when ``size`` was given.
    """
    ndim = len(spatial_shape)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size and scale_factor may be given, got both")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor must be given, got neither")
    if size is not None:
        return per_axis(size, ndim, "size", minimum=1), None
    scales = _per_axis_scale(scale_factor, ndim)
    out = tuple(math.floor(float(n) * s) for n, s in zip(spatial_shape, scales))
    for axis, (n, s, o) in enumerate(zip(spatial_shape, scales, out)):
        if o < 1:
            raise ValueError(
                f"scale_factor={scale_factor!r} gives an empty output on spatial axis "
                f"{axis}: floor({n} * {s!r}) = {o}")
    return out, scales




def interpolation_spec(spatial_shape, size=None, scale_factor=None, mode="nearest",
                       align_corners=None, recompute_scale_factor=None, antialias=False):
    """Normalise and validate the arguments of :func:`refpool.interpolate`.

    Raises ValueError, naming the argument, for: an unknown ``mode`` or one that
    does not fit the number of spatial axes; ``align_corners`` set with a mode
    other than linear/bilinear/trilinear/bicubic; both or neither of ``size``
    and ``scale_factor``; a size below 1, a scale factor that is not positive
    and finite or gives an empty output; ``recompute_scale_factor=True`` with
    ``size``; ``antialias=True`` with a mode other than bilinear/bicubic.
    """
    spatial_shape = tuple(int(n) for n in spatial_shape)
    ndim = len(spatial_shape)
    mode = check_interpolation_mode(mode, ndim)
    if mode in ALIGN_CORNERS_MODES:
        align_corners = False if align_corners is None else check_bool(
            align_corners, "align_corners")
    elif align_corners is not None:
        raise ValueError(
            f"align_corners can only be set with the modes {ALIGN_CORNERS_MODES}, "
            f"got align_corners={align_corners!r} with mode={mode!r}")
    else:
        align_corners = False
    if recompute_scale_factor is not None:
        recompute_scale_factor = check_bool(recompute_scale_factor, "recompute_scale_factor")
        if recompute_scale_factor and size is not None:
            raise ValueError(
                "recompute_scale_factor=True is not meaningful with an explicit size")
    antialias = check_bool(antialias, "antialias")
    if antialias and mode not in ANTIALIAS_MODES:
        raise ValueError(
            f"antialias=True needs mode 'bilinear' or 'bicubic', got mode={mode!r}")
    spatial_shape = check_spatial_shape(spatial_shape)
    out, scales = interpolate_output_size(spatial_shape, size, scale_factor)
    out = Extent(out, f"size={size!r}" if size is not None
                 else f"scale_factor={scale_factor!r}")
    check_size(out, out.culprit, "the output")
    if scales is None or recompute_scale_factor or mode == "area":
        scales = (None,) * ndim
    r = tuple(coordinate_scale(n, m, s, align_corners)
              for n, m, s in zip(spatial_shape, out, scales))
    return InterpolationSpec(mode, spatial_shape, out, r, align_corners, antialias,
                             nearest_rule(mode, out))


def torch_resample_spec(spec):
    """The :class:`~refpool._geometry.ResampleSpec` that runs a validated
    :class:`InterpolationSpec` (not ``mode="area"``) on the engines' ``resample``: one
    :func:`~refpool._geometry.torch_axis` per spatial axis, PyTorch's taps
    (:func:`~refpool._geometry.interpolation_taps`) of the mode's per-axis rule.
    Cached per spec (a small call would spend a fair part of its time here)."""
    return _torch_resample_spec(spec, getattr(spec.output_size, "culprit", None) or "")


@functools.lru_cache(maxsize=256)
def _torch_resample_spec(spec, culprit):
    # the culprit is part of the key: equal specs may name different arguments
    from ._geometry import INTERPOLATION_AXIS_RULE, ResampleSpec, torch_axis
    kind = INTERPOLATION_AXIS_RULE[spec.mode]
    axes = tuple(torch_axis(kind, n, m, r, spec.align_corners, spec.antialias,
                            spec.nearest_rule)
                 for n, m, r in zip(spec.input_size, spec.output_size, spec.scale))
    return ResampleSpec(axes, 0.0, culprit)


# --- resampling
def _per_axis_choice(value, ndim, name, choices):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim
    if len(values) != ndim:
        raise ValueError(f"{name} must be a string or a tuple of {ndim} strings (one per "
                         f"spatial axis), got a sequence of length {len(values)}")
    for v in values:
        if not isinstance(v, str) or v not in choices:
            raise ValueError(f"{name} must be one of {choices}, got {v!r}")
    return values


def _per_axis_real(value, ndim, name, check):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim
    if len(values) != ndim:
        raise ValueError(f"{name} must be a number or a tuple of {ndim} numbers (one per "
                         f"spatial axis), got a sequence of length {len(values)}")
    return tuple(check(v, name) for v in values)


def _finite_real(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def check_resample_filter(filter):
    """Validate ``filter`` of :func:`refpool.resample`: a name of
    :data:`~refpool._geometry.RESAMPLE_FILTERS`, ``("bc", B, C)`` (Mitchell-Netravali)
    or ``("kernel", h, S)`` (a vectorised even function ``h`` of support ``S > 0``)."""
    from ._geometry import RESAMPLE_FILTERS
    if isinstance(filter, str):
        if filter not in RESAMPLE_FILTERS:
            raise ValueError(f"filter must be one of {tuple(RESAMPLE_FILTERS)}, "
                             f"('bc', B, C) or ('kernel', h, support), got {filter!r}")
        return filter
    if isinstance(filter, (tuple, list)) and len(filter) == 3 and filter[0] == "bc":
        return ("bc", _finite_real(filter[1], "filter B"), _finite_real(filter[2], "filter C"))
    if (isinstance(filter, (tuple, list)) and len(filter) == 3 and filter[0] == "kernel"
            and callable(filter[1])):
        return ("kernel", filter[1], isfinite_positive(filter[2], "filter support"))
    raise ValueError(f"filter must be one of {tuple(RESAMPLE_FILTERS)}, ('bc', B, C) or "
                     f"('kernel', h, support), got {filter!r}")


def resample_spec(spatial_shape, size=None, scale=None, *, filter="linear",
                  coordinate_mode="half_pixel", antialias=False, exclude_outside=False,
                  extrapolation_value=0.0, roi=None, translation=None,
                  nearest_mode="round_prefer_floor", cubic_coeff_a=-0.75, extrapolate=None):
    """Normalise and validate the arguments of :func:`refpool.resample`; returns a
    :class:`~refpool._geometry.ResampleSpec`.

    Raises ValueError naming the argument for: neither ``size`` nor ``scale``; a
    size below 1; a scale not positive and finite, or one giving an empty output;
    an unknown filter, coordinate mode, nearest mode or extrapolation rule;
    ``antialias=True`` with ``filter="nearest"``; a ``roi`` that is not ``2 *
    ndim`` finite numbers, or missing with ``tf_crop_and_resize``.
    """
    from ._geometry import (COORDINATE_MODES, EXTRAPOLATE_RULES, RESAMPLE_NEAREST_MODES,
                            ResampleAxis, ResampleSpec)
    spatial_shape = check_spatial_shape(tuple(int(n) for n in spatial_shape))
    ndim = len(spatial_shape)
    filter = check_resample_filter(filter)
    modes = _per_axis_choice(coordinate_mode, ndim, "coordinate_mode", COORDINATE_MODES)
    antialias = check_bool(antialias, "antialias")
    exclude_outside = check_bool(exclude_outside, "exclude_outside")
    if antialias and filter == "nearest":
        raise ValueError("antialias=True needs a filter with a support (not 'nearest'): "
                         "a nearest selection cannot be widened")
    if not isinstance(nearest_mode, str) or nearest_mode not in RESAMPLE_NEAREST_MODES:
        raise ValueError(f"nearest_mode must be one of {RESAMPLE_NEAREST_MODES}, "
                         f"got {nearest_mode!r}")
    if nearest_mode in ("torch", "torch_exact") and filter == "nearest":
        want = "asymmetric" if nearest_mode == "torch" else "half_pixel"
        if any(md != want for md in modes):
            raise ValueError(f"nearest_mode={nearest_mode!r} is PyTorch's whole rule and "
                             f"needs coordinate_mode={want!r}, got {coordinate_mode!r}")
    cubic_coeff_a = _finite_real(cubic_coeff_a, "cubic_coeff_a")
    if isinstance(extrapolation_value, bool) or not isinstance(extrapolation_value,
                                                               numbers.Real):
        raise TypeError(f"extrapolation_value must be a real number, "
                        f"got {extrapolation_value!r}")
    extrapolation_value = float(extrapolation_value)
    translation = (0.0,) * ndim if translation is None else _per_axis_real(
        translation, ndim, "translation", _finite_real)
    if roi is None:
        if "tf_crop_and_resize" in modes:
            raise ValueError("roi is needed with coordinate_mode='tf_crop_and_resize': "
                             f"(start_1..start_{ndim}, end_1..end_{ndim})")
        rois = ((0.0, 1.0),) * ndim
    else:
        if isinstance(roi, np.ndarray):
            roi = roi.tolist()
        if not isinstance(roi, (tuple, list)) or len(roi) != 2 * ndim:
            raise ValueError(f"roi must hold 2 * {ndim} numbers (start_1..start_{ndim}, "
                             f"end_1..end_{ndim}), got {roi!r}")
        roi = tuple(_finite_real(v, "roi") for v in roi)
        rois = tuple((roi[b], roi[ndim + b]) for b in range(ndim))
    if extrapolate is None:
        extrapolate = tuple("samples" if md == "tf_crop_and_resize" else "none"
                            for md in modes)
    else:
        extrapolate = _per_axis_choice(extrapolate, ndim, "extrapolate", EXTRAPOLATE_RULES)
    if size is None and scale is None:
        raise ValueError("either size or scale must be given, got neither")
    scales = None if scale is None else _per_axis_real(scale, ndim, "scale",
                                                       isfinite_positive)
    if size is not None:
        out = per_axis(size, ndim, "size", minimum=1)
    else:
        out = tuple(math.floor(float(n) * s) for n, s in zip(spatial_shape, scales))
        for b, (n, s, o) in enumerate(zip(spatial_shape, scales, out)):
            if o < 1:
                raise ValueError(f"scale={scale!r} gives an empty output on spatial axis "
                                 f"{b}: floor({n} * {s!r}) = {o}")
    out = Extent(out, f"size={size!r}" if size is not None else f"scale={scale!r}")
    check_size(out, out.culprit, "the output")
    if scales is None:
        scales = tuple(m / n for n, m in zip(spatial_shape, out))
        rs = tuple(n / m for n, m in zip(spatial_shape, out))
    else:
        rs = tuple(1.0 / s for s in scales)
    axes = tuple(ResampleAxis(n, m, s, md, filter, antialias, exclude_outside, nearest_mode,
                              cubic_coeff_a, t, rb, ex, r)
                 for n, m, s, md, t, rb, ex, r in zip(spatial_shape, out, scales, modes,
                                                      translation, rois, extrapolate, rs))
    return ResampleSpec(axes, extrapolation_value, out.culprit)
