r"""Spline interpolation at arbitrary points: :func:`map_coordinates` and its
conveniences :func:`affine_transform` and :func:`rotate`, with the semantics of
``scipy.ndimage`` on the spatial axes of ``(N, C, *spatial)``.

The model.  Along an axis of :math:`n` samples, the signal is the spline

.. math::

    s(t) = \sum_j c_j\, \beta^k(t - j),

with :math:`\beta^k` the centred B-spline of degree :math:`k` (``order``, 0 to 5),
extended beyond the samples by the boundary ``mode``.  With ``prefilter=True`` and
:math:`k \ge 2` the coefficients :math:`c` are chosen so that :math:`s` interpolates
the samples (:math:`s(i) = x_i`): the *prefilter* (Unser, Aldroubi and Eden 1991), a
gain :math:`\prod_z (1 - z)(1 - 1/z)` and, per pole :math:`z` of the order
(:math:`\sqrt3 - 2` for cubic splines), a causal recursion
:math:`c_i \leftarrow c_i + z\,c_{i-1}` and an anti-causal one
:math:`c_i \leftarrow z\,(c_{i+1} - c_i)`, each started from the value that the
mode's extension implies, applied along each spatial axis in turn in float64.  With
``prefilter=False`` (or :math:`k \le 1`) the input itself is taken as the
coefficients.  In :math:`D` dimensions the basis is the tensor product, so a point
reads :math:`(k + 1)^D` coefficients.

Modes: how the signal continues past its samples (``a b c d`` the samples):

``reflect``, ``grid-mirror``
    ``d c b a | a b c d | d c b a``: half-sample symmetric (period :math:`2n`); the
    prefilter starts from the same extension and taps beyond the input are reflected.
``mirror``
    ``d c b | a b c d | c b a``: whole-sample symmetric (period :math:`2n - 2`).
``nearest``
    ``a a a | a b c d | d d d``: the input is padded by 12 edge samples before the
    prefilter (half-sample symmetric at the padded ends); taps beyond it read the edge.
``wrap``
    scipy's ``wrap``: coordinates are moved with period :math:`n - 1` (the first and
    last samples coincide); the prefilter and the taps beyond the input use the
    whole-sample mirror (scipy's choice: the spline is not periodic).
``grid-wrap``
    ``b c d | a b c d | a b c``: periodic with period :math:`n`.
``constant``
    a point outside :math:`[0, n - 1]` on any axis is ``cval``; inside, the spline's
    coefficients extend by the whole-sample mirror (no blending towards ``cval``).
``grid-constant``
    ``k k k | a b c d | k k k`` with ``k = cval``: the input is padded by 12 ``cval``
    samples before the prefilter, taps beyond the input read ``cval``, so the spline
    blends towards ``cval`` across the border.

Each point's coordinates are first moved into the input by the mode (all modes but
``nearest`` and ``grid-constant``), then the taps :math:`\lfloor t \rfloor -
\lfloor k/2 \rfloor + j` (odd :math:`k`; :math:`\lfloor t + 1/2 \rfloor` for even
:math:`k`) beyond the input are moved back by the mode's rule above: the order of every
operation is scipy 1.17's (``scipy/ndimage/src/ni_interpolation.c``,
``ni_splines.c``), so results agree bitwise where scipy is right (see
:func:`map_coordinates`, Notes, for where it is not).
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple, Sequence

import numpy as np

from . import _args
from ._dispatch import Caller, Launch
from ._docstrings import fill_doc
from ._typing import Array, ArrayIn, Engine, Optional, Out, RealSize

__all__ = ["map_coordinates", "affine_transform", "rotate", "SplineSpec", "MODES",
           "check_coordinates", "spline_spec"]

#: every boundary mode of scipy.ndimage 1.17's interpolation functions
MODES = ("reflect", "grid-mirror", "constant", "grid-constant", "nearest", "mirror",
         "grid-wrap", "wrap")

#: samples of padding scipy adds before prefiltering in these modes
PREPAD = 12


class SplineSpec(NamedTuple):
    """A validated call: ``order``, ``mode``, ``cval``, ``prefilter``."""

    order: int
    mode: str
    cval: float
    prefilter: bool

    def pads(self, k, skip=None):
        """Per-axis padding of the prefiltered coefficients (scipy pads every axis of
        the array it filters by 12 in ``nearest`` and ``grid-constant`` modes)."""
        pad = PREPAD if self.filtered and self.mode in ("nearest", "grid-constant") else 0
        return tuple(0 if a == skip else pad for a in range(k))

    @property
    def filtered(self):
        return self.prefilter and self.order > 1


# =========================================================================== arguments
def spline_spec(order, mode, cval, prefilter):
    """Validate the keywords shared by the three functions."""
    if isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise TypeError(f"order must be an int from 0 to 5, got {order!r}")
    if not 0 <= int(order) <= 5:
        raise ValueError(f"order must be from 0 to 5 (the spline degree), got {order}")
    if not isinstance(mode, str):
        raise TypeError(f"mode must be one of {MODES}, got {mode!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if isinstance(cval, bool) or not isinstance(cval, numbers.Real):
        raise TypeError(f"cval must be a real number, got {cval!r}")
    prefilter = _args.check_bool(prefilter, "prefilter")
    return SplineSpec(int(order), mode, float(cval), prefilter)


def _host_real(a, name):
    """``a`` (NumPy, CUDA or host array-like) as a NumPy array of a real dtype."""
    a = _args.host_array(a, name, "real numbers", scalars=True)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must have a real (integer or floating) dtype, got {a.dtype}")
    return a


def check_coordinates(coordinates, k):
    """Validate the points of :func:`map_coordinates` for an input with ``k`` spatial
    axes; returns them as a new C-contiguous float64 array ``(k, *out_spatial)``."""
    c = _host_real(coordinates, "coordinates")
    if c.ndim < 2 or c.ndim > 4:
        raise ValueError(f"coordinates must have shape (len(spatial), *out_spatial) with "
                         f"1 to 3 output axes, got shape {c.shape}")
    if c.shape[0] != k:
        raise ValueError(f"coordinates must have {k} rows, one per spatial axis of x "
                         f"(shape ({k}, *out_spatial)), got shape {c.shape}")
    if min(c.shape[1:]) < 1:
        raise ValueError(f"coordinates must have non-empty output axes, got shape {c.shape}")
    _args.check_size(c.shape[1:], "coordinates", "the output")
    return np.array(c, dtype=np.float64, order="C")


def _input(x, ndim, channels_last, engine, op, min_spatial=1):
    caller = Caller(x, ndim, channels_last, engine, op=op, integers=False)
    x = caller.x
    _args.check_input(x, min_spatial=min_spatial, max_spatial=3)
    _args.check_spatial_shape(x.shape[2:], op)
    return caller, x


def _sample(launch, coords, y, spec, skip=None):
    """Prefilter (when the spec says so) and sample ``launch.x`` at ``coords``
    ``(k, *out)`` into ``y``; ``skip`` is an axis read at order 0 without prefilter
    (rotate's axis outside its plane)."""
    x = launch.x
    k = len(x.shape) - 2
    orders = tuple(0 if a == skip else spec.order for a in range(k))
    pads = spec.pads(k, skip)
    if spec.filtered:
        shape = tuple(int(n) for n in x.shape[:2]) + tuple(
            int(n) + 2 * p for n, p in zip(x.shape[2:], pads))
        _args.check_size(shape[2:], "x", "the prefiltered coefficients",
                         batch=shape[0] * shape[1], host=launch.engine != "cuda")
        if launch.engine == "cuda":
            from numba import cuda
            coefficients = cuda.device_array(shape, np.float64)
        else:
            coefficients = np.empty(shape, np.float64)
        launch.run("spline", "spline_filter", x, coefficients, orders, spec.mode, pads,
                   spec.cval)
    else:
        coefficients = x
    launch.run("spline", "map_coordinates", coefficients, coords, y, orders, spec.mode,
               spec.cval, pads)


# =========================================================================== operators
@fill_doc
def map_coordinates(x: ArrayIn, coordinates: ArrayIn, order: int = 3,
                    mode: str = "constant", cval: float = 0.0, prefilter: bool = True, *,
                    ndim: Optional[int] = None, channels_last: bool = False,
                    engine: Engine = "auto", out: Out = None) -> Array:
    r"""Spline interpolation of ``x`` at the points ``coordinates``, as
    ``scipy.ndimage.map_coordinates`` on every ``(n, c)`` plane.

    Output point :math:`p` of plane :math:`(n, c)` is the spline of degree
    ``order`` through ``x[n, c]`` (module docstring: the prefilter and the modes)
    evaluated at the pixel coordinates ``coordinates[:, p]`` (coordinate :math:`i`
    is the centre of sample :math:`i`):

    .. math::

        y[n, c, p] = \sum_{j_1 \dots j_D} c[n, c, j_1, \dots, j_D]
            \prod_{a=1}^{D} \beta^k(t_a - j_a), \qquad
            t = \mathrm{coordinates}[:, p],

    over the :math:`(k + 1)^D` taps :math:`j_a` nearest to :math:`t_a`, with the
    mode's rules at the borders.  One set of points serves every image and
    channel; for per-image points, call once per image (or use
    :func:`refpool.grid_sample` for bilinear sampling with a per-image grid).

    %(grid_equivariance)s

    For this operator the list is the identity alone: the answer depends on the
    coordinates' values, which it does not inspect.

    Parameters
    ----------
    %(x_param)s
    coordinates : array, shape ``(D, *out_spatial)``, real
        ``coordinates[a]`` holds the coordinate along spatial axis ``a`` of ``x``
        (in ``x``'s axis order, as scipy's) of every output point; 1 to 3 output
        axes of any size (``(2, P)`` reads ``P`` points of a 2-D input).  Integers
        and floats are read as float64; NaN and infinity are allowed (Notes).
        Read, never modified.
    order : int
        The spline degree, 0 to 5 (0 nearest sample, 1 linear, 3 cubic).
    mode : {"constant", "grid-constant", "nearest", "reflect", "grid-mirror", "mirror", "wrap", "grid-wrap"}
        The boundary rule (module docstring).
    cval : float
        The value beyond the input in the ``constant`` and ``grid-constant`` modes.
    prefilter : bool
        Prefilter the input so that the spline interpolates it (orders 2 to 5); with
        False the input is taken as the spline's coefficients (pass an input that
        was prefiltered already).
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *coordinates.shape[1:])``, dtype of ``x``

    Raises
    ------
    %(raises_common)s
    TypeError
        If ``coordinates`` is not an array of real numbers, ``order`` is not an
        int, ``mode`` is not a string or ``cval`` not a real number.
    ValueError
        If ``coordinates`` does not have one row per spatial axis of ``x`` and 1 to 3
        non-empty output axes, ``order`` is outside 0 to 5, or ``mode`` is not one of
        the eight names.

    Notes
    -----
    **Numerics.**  The prefilter and the sums are float64 in every engine; the
    result is rounded once to ``x``'s dtype.  The engines follow scipy's order of
    operations, so the float64 results agree with scipy 1.17 bitwise except where
    scipy is wrong (below).  The prefiltered coefficients are a float64 array of
    the input's size (scipy allocates the same), plus 24 samples per axis in the
    ``nearest`` and ``grid-constant`` modes.

    **Non-finite coordinates.**  A NaN coordinate gives ``cval`` in the modes that
    move coordinates (``constant``, ``reflect``, ``grid-mirror``, ``mirror``,
    ``wrap``, ``grid-wrap``), as scipy (its comparisons with NaN are false); in
    ``nearest`` and ``grid-constant`` it gives NaN (refpool's rule; scipy's
    result there depends on converting NaN to an integer, which C leaves
    undefined).  An infinite coordinate gives ``cval`` in ``constant`` (as scipy)
    and, by refpool's rule, in the other moving modes, where scipy converts it to
    an integer (undefined); in ``nearest`` and ``grid-constant`` it reads as far
    out as :math:`\pm 2^{52}` (the edge sample; ``cval``), where every
    coordinate is an integer.  Coordinates beyond :math:`\pm 2^{52}` are treated
    as infinite.

    **Where scipy differs.**  In the ``reflect`` and ``grid-mirror`` modes scipy's
    prefilter starts its causal recursion with a sum whose last term reads the
    first coefficient after it has been overwritten by the partial sum
    (``_init_causal_reflect`` in ``scipy/ndimage/src/ni_splines.c``: the loop's
    ``c[n - 1 - i]`` at ``i = n - 1`` is ``c[0]``, the accumulator).  The error is
    of order :math:`z^{2n-1}`: about 1e-3 for two samples at order 3, below
    float64 rounding from about 25 samples; with it the spline no longer passes
    through the samples.  refpool uses the first sample's value (the spline
    interpolates the samples), so for short axes in these two modes the results
    differ from scipy's by that amount (asserted in
    ``tests/test_map_coordinates.py``).  An axis of one sample is constant in
    every mode but ``constant`` (and ``grid-constant``, whose padding is
    ``cval``), although the scipy documentation describes ``reflect`` and
    ``mirror`` by their general rules; scipy computes the same.

    **Exact equivariance.**  Only the identity is claimed.

    Examples
    --------
    Linear interpolation half-way between samples, and beyond the border by mode:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[0.0, 10.0, 20.0, 30.0]]])
    >>> refpool.map_coordinates(x, [[0.5, 2.25, 4.0]], order=1,
    ...                         engine="reference").tolist()
    [[[5.0, 22.5, 0.0]]]
    >>> refpool.map_coordinates(x, [[4.0]], order=1, mode="nearest",
    ...                         engine="reference").tolist()
    [[[30.0]]]

    A cubic spline through the samples returns them at the sample positions:

    >>> y = refpool.map_coordinates(x, [[0.0, 1.0, 2.0, 3.0]], engine="reference")
    >>> np.allclose(y, x)
    True
    """
    caller, x = _input(x, ndim, channels_last, engine, "map_coordinates")
    k = len(x.shape) - 2
    coords = check_coordinates(coordinates, k)
    spec = spline_spec(order, mode, cval, prefilter)
    launch = Launch(x, engine, caller)
    shape = _args.Extent((int(x.shape[0]), int(x.shape[1])) + coords.shape[1:],
                         "coordinates")
    y = launch.output(shape, _args.array_dtype(x), out)
    _sample(launch, coords, y, spec)
    return launch.result(y)


# --------------------------------------------------------------------------- affine
def _matrix(matrix, k):
    """``(matrix, offset or None)``: a ``(k,)`` diagonal, a ``(k, k)`` matrix, or the
    homogeneous ``(k, k + 1)`` / ``(k + 1, k + 1)`` forms (the last row of the
    latter must be ``(0, ..., 0, 1)``)."""
    m = _host_real(matrix, "matrix").astype(np.float64)
    if m.shape == (k,) or m.shape == (k, k):
        return m, None
    if m.ndim == 2 and m.shape[1] == k + 1 and m.shape[0] in (k, k + 1):
        if m.shape[0] == k + 1:
            expected = np.zeros(k + 1)
            expected[k] = 1.0
            if not np.array_equal(m[k], expected):
                raise ValueError(f"matrix: a homogeneous matrix {m.shape} must end with "
                                 f"the row {expected.tolist()}, got {m[k].tolist()}")
        return np.ascontiguousarray(m[:k, :k]), np.ascontiguousarray(m[:k, k])
    raise ValueError(f"matrix must have shape ({k},), ({k}, {k}), ({k}, {k + 1}) or "
                     f"({k + 1}, {k + 1}) for x with {k} spatial axes, got {m.shape}")


def _offset(offset, k):
    o = _host_real(offset, "offset").astype(np.float64)
    if o.ndim == 0:
        return np.full(k, float(o))
    if o.shape != (k,):
        raise ValueError(f"offset must be a number or {k} numbers (one per spatial axis), "
                         f"got shape {o.shape}")
    return o


def _output_shape(output_shape, spatial):
    if output_shape is None:
        return tuple(int(n) for n in spatial)
    k = len(spatial)
    if not isinstance(output_shape, (tuple, list)) or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool)
            for s in output_shape):
        raise TypeError(f"output_shape must be a tuple of {k} ints, got {output_shape!r}")
    if len(output_shape) != k or min(output_shape) < 1:
        raise ValueError(f"output_shape must be {k} positive sizes (the spatial shape of "
                         f"the result), got {tuple(output_shape)!r}")
    # the points (k float64 rows) are allocated on the host before the output
    _args.check_size(tuple(output_shape), "output_shape", "the points of the output",
                     batch=k, host=True)
    return tuple(int(s) for s in output_shape)


def affine_coordinates(matrix, offset, output_shape):
    """The points of :func:`affine_transform`: ``(k, *output_shape)`` float64, in
    scipy's order of operations (``offset`` first, then the products column by
    column; a diagonal ``matrix`` as ``(o + offset / m) * m``, scipy's zoom-shift
    path)."""
    k = len(output_shape)
    grids = np.meshgrid(*(np.arange(n, dtype=np.float64) for n in output_shape),
                        indexing="ij")
    coords = np.empty((k,) + tuple(output_shape))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for a in range(k):
            if matrix.ndim == 1:
                coords[a] = (grids[a] + offset[a] / matrix[a]) * matrix[a]
            else:
                t = np.full(output_shape, offset[a])
                for b in range(k):
                    t = t + grids[b] * matrix[a, b]
                coords[a] = t
    return coords


@fill_doc
def affine_transform(x: ArrayIn, matrix: ArrayIn, offset: RealSize = 0.0,
                     output_shape: Optional[Sequence[int]] = None, order: int = 3,
                     mode: str = "constant", cval: float = 0.0, prefilter: bool = True, *,
                     ndim: Optional[int] = None, channels_last: bool = False,
                     engine: Engine = "auto", out: Out = None) -> Array:
    r"""An affine map of the spatial axes, as ``scipy.ndimage.affine_transform``.

    Output pixel :math:`o` (an index vector of ``output_shape``) reads ``x`` at

    .. math::

        t = M o + b

    (the *pull* convention: ``matrix`` maps output coordinates to input
    coordinates), interpolated as :func:`map_coordinates` does.  ``matrix`` is a
    ``(D, D)`` matrix :math:`M`, a ``(D,)`` diagonal (scipy then computes
    :math:`t_a = (o_a + b_a / M_a) M_a`, and so does refpool), or homogeneous
    ``(D, D + 1)`` / ``(D + 1, D + 1)`` whose last column is :math:`b` (``offset``
    is then ignored, as in scipy).

    %(grid_equivariance)s

    For this operator the list is the identity alone: the answer depends on the
    matrix, which :func:`refpool.exact_symmetries` does not inspect.

    Parameters
    ----------
    %(x_param)s
    matrix : array, shape ``(D, D)``, ``(D,)``, ``(D, D + 1)`` or ``(D + 1, D + 1)``
    offset : float or sequence of D floats
        :math:`b`, unless ``matrix`` is homogeneous.
    output_shape : tuple of D ints, optional
        The spatial shape of the result (default: ``x``'s).
    order, mode, cval, prefilter
        As in :func:`map_coordinates`.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *output_shape)``, dtype of ``x``

    Raises
    ------
    %(raises_common)s
    TypeError
        If ``matrix`` or ``offset`` is not real, or ``output_shape`` not ints.
    ValueError
        If ``matrix`` has none of the four shapes (or a homogeneous matrix's last
        row is not :math:`(0, \dots, 0, 1)`), ``offset`` has not ``D`` entries, or
        ``output_shape`` has not ``D`` positive sizes; as :func:`map_coordinates`
        for the other keywords.

    Notes
    -----
    The points are computed in float64 in scipy's order (``offset`` plus the
    products column by column) and sampled by :func:`map_coordinates`' engines:
    the results agree with scipy's bitwise where :func:`map_coordinates`' do.  An
    output rank different from the input's (scipy accepts a ``(D, D_out)``
    matrix) is not supported: use :func:`map_coordinates` with the points.

    Examples
    --------
    A shift by half a sample, linear:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.array([[[0.0, 10.0, 20.0, 30.0]]])
    >>> refpool.affine_transform(x, [[1.0]], offset=0.5, order=1,
    ...                          engine="reference").tolist()
    [[[5.0, 15.0, 25.0, 0.0]]]
    """
    caller, x = _input(x, ndim, channels_last, engine, "affine_transform")
    k = len(x.shape) - 2
    m, homogeneous_offset = _matrix(matrix, k)
    b = _offset(offset, k)              # checked also when the matrix overrides it
    if homogeneous_offset is not None:
        b = homogeneous_offset
    shape_out = _output_shape(output_shape, x.shape[2:])
    spec = spline_spec(order, mode, cval, prefilter)
    coords = affine_coordinates(m, b, shape_out)
    launch = Launch(x, engine, caller)
    shape = _args.Extent((int(x.shape[0]), int(x.shape[1])) + shape_out, "output_shape")
    y = launch.output(shape, _args.array_dtype(x), out)
    _sample(launch, coords, y, spec)
    return launch.result(y)


# --------------------------------------------------------------------------- rotate
def cos_sin_degrees(angle):
    """``(cos, sin)`` of ``angle`` degrees, exact at multiples of 90: the magnitude is
    reduced to a multiple of 90 degrees (halves up, as scipy's ``cosdg``/``sindg``)
    plus a remainder in ``[-45, 45]``, whose cosine and sine are taken in radians;
    the sine takes the angle's sign."""
    a = math.fmod(abs(float(angle)), 360.0)
    q = math.floor(a / 90.0 + 0.5)
    t = math.radians(a - 90.0 * q)
    c, s = math.cos(t), math.sin(t)
    c, s = [(c, s), (-s, c), (-c, -s), (s, -c)][q % 4]
    return c, (-s if angle < 0 else s)


def rotation_geometry(spatial, angle, axes, reshape):
    """``(matrix 2x2, offset 2, output plane shape, (a, b))`` of :func:`rotate` on
    spatial shape ``spatial``: scipy's ``rotate`` rule (the output plane holds the
    rotated input's bounding box when ``reshape``; centres map to centres)."""
    k = len(spatial)
    if isinstance(axes, (str, bytes)) or not isinstance(axes, (tuple, list)) or len(axes) != 2:
        raise TypeError(f"axes must be two spatial axes, got {axes!r}")
    if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
        raise TypeError(f"axes must be two ints, got {axes!r}")
    a, b = (int(v) + k if int(v) < 0 else int(v) for v in axes)
    if not (0 <= a < k and 0 <= b < k) or a == b:
        raise ValueError(f"axes must be two different spatial axes in [-{k}, {k}) for x "
                         f"with {k} spatial axes, got {tuple(axes)!r}")
    a, b = sorted((a, b))
    if isinstance(angle, bool) or not isinstance(angle, numbers.Real) or \
            not math.isfinite(angle):
        raise TypeError(f"angle must be a finite real number of degrees, got {angle!r}")
    reshape = _args.check_bool(reshape, "reshape")
    c, s = cos_sin_degrees(angle)
    rot = np.array([[c, s], [-s, c]])
    in_plane = np.array([spatial[a], spatial[b]])
    if reshape:
        iy, ix = in_plane
        bounds = rot @ np.array([[0, 0, iy, iy], [0, ix, 0, ix]], dtype=np.float64)
        out_plane = (np.ptp(bounds, axis=1) + 0.5).astype(int)
    else:
        out_plane = in_plane.copy()
    out_center = rot @ ((out_plane - 1) / 2)
    in_center = (in_plane - 1) / 2
    return rot, in_center - out_center, tuple(int(n) for n in out_plane), (a, b)


def rotation_points(spatial, angle, axes, reshape):
    """``(points (k, *out), output spatial shape, axis outside the plane or None)`` of
    :func:`rotate`: the plane's points of :func:`rotation_geometry`, and along the
    axis outside the plane (3-D) each slice's own index."""
    k = len(spatial)
    rot, offset, out_plane, (a, b) = rotation_geometry(spatial, angle, axes, reshape)
    plane = affine_coordinates(rot, offset, out_plane)            # (2, na', nb')
    shape_out = list(spatial)
    shape_out[a], shape_out[b] = out_plane
    shape_out = tuple(shape_out)
    coords = np.empty((k,) + shape_out)
    expand = [np.newaxis] * k
    expand[a] = expand[b] = slice(None)
    skip = None
    for axis in range(k):
        if axis == a:
            coords[axis] = plane[0][tuple(expand)]
        elif axis == b:
            coords[axis] = plane[1][tuple(expand)]
        else:
            skip = axis
            view = [np.newaxis] * k
            view[axis] = slice(None)
            coords[axis] = np.arange(spatial[axis], dtype=np.float64)[tuple(view)]
    return coords, shape_out, skip


def _magnitude(name, ax, args):
    """``sum |w| |x|`` of a spline call on ``ax = |x|`` (float64, ``(N, C,
    *spatial)``): the prefilter as a dense per-axis matrix taken in absolute value,
    then the (non-negative) B-spline weights, ``|cval|`` for cval: the scale of the
    conformance tolerance (:func:`refpool.conformance.compare.magnitude`)."""
    from .engines.reference import spline as ref
    k = ax.ndim - 2
    spatial = ax.shape[2:]
    skip = None
    spec = spline_spec(args.get("order", 3), args.get("mode", "constant"),
                       args.get("cval", 0.0), args.get("prefilter", True))
    if name == "map_coordinates":
        coords = check_coordinates(args["coordinates"], k)
    elif name == "affine_transform":
        m, b = _matrix(args["matrix"], k)
        b = _offset(args.get("offset", 0.0), k) if b is None else b
        coords = affine_coordinates(m, b, _output_shape(args.get("output_shape"), spatial))
    else:
        coords, _, skip = rotation_points(spatial, args["angle"], args.get("axes", (1, 0)),
                                          args.get("reshape", True))
    orders = tuple(0 if a == skip else spec.order for a in range(k))
    pads = spec.pads(k, skip)
    c = np.asarray(ax, np.float64)
    cval = abs(spec.cval)
    if spec.filtered:
        if any(pads):
            widths = ((0, 0), (0, 0)) + tuple((p, p) for p in pads)
            c = (np.pad(c, widths, mode="edge") if spec.mode == "nearest" else
                 np.pad(c, widths, mode="constant", constant_values=cval))
        for a in range(k):
            n = c.shape[2 + a]
            if orders[a] < 2 or n <= 1:
                continue
            dense = np.eye(n)                  # column j: the filter of a unit impulse
            ref._filter_lines(dense.T, orders[a], ref.FILTER_BOUNDARY[spec.mode])
            c = np.moveaxis(np.tensordot(np.abs(dense), np.moveaxis(c, 2 + a, 0), 1), 0,
                            2 + a)
    out = np.empty(ax.shape[:2] + coords.shape[1:])
    with np.errstate(invalid="ignore"):
        ref.map_coordinates(c, coords, out, orders, spec.mode, cval, pads)
    return np.abs(out)


@fill_doc
def rotate(x: ArrayIn, angle: float, axes: Sequence[int] = (1, 0), reshape: bool = True,
           order: int = 3, mode: str = "constant", cval: float = 0.0,
           prefilter: bool = True, *, ndim: Optional[int] = None,
           channels_last: bool = False, engine: Engine = "auto",
           out: Out = None) -> Array:
    r"""Rotate the plane of two spatial axes by ``angle`` degrees, as
    ``scipy.ndimage.rotate`` on every ``(n, c)`` plane.

    With :math:`R = \begin{pmatrix} \cos\theta & \sin\theta \\ -\sin\theta &
    \cos\theta \end{pmatrix}` (``axes = (a, b)`` sorted, so :math:`a < b`),
    output pixel :math:`o` of the plane reads the input at

    .. math::

        t = R\,(o - c_{out}) + c_{in}, \qquad c = (\text{shape} - 1) / 2,

    so the centres coincide, and the output plane has shape
    :math:`\lfloor \mathrm{ptp}(R B) + 1/2 \rfloor` per axis, :math:`B` the input
    plane's corners :math:`(0, 0), (0, n_b), (n_a, 0), (n_a, n_b)` (``reshape=True``:
    the rotated input fits), or the input's (``reshape=False``).  In 3-D the third
    axis is not interpolated: every slice along it is rotated on its own, as scipy
    rotates each plane of a 3-D array separately.  :math:`\cos` and :math:`\sin`
    are exact at multiples of 90 degrees (scipy's ``cosdg``/``sindg``; elsewhere
    they may differ from scipy's in the last bit).

    %(grid_equivariance)s

    For this operator the list is the identity alone: it moves the grid itself.

    Parameters
    ----------
    %(x_param)s
    angle : float
        Degrees, counter-clockwise in the ``(a, b)`` plane as scipy.
    axes : two ints
        The spatial axes of the plane (negative counts from the last); default
        ``(1, 0)``, the first two.  Needs two or more spatial axes.
    reshape : bool
        Enlarge the output plane to hold the whole rotated input.
    order, mode, cval, prefilter
        As in :func:`map_coordinates`.
    %(layout_params)s
    %(engine_param)s
    %(out_param)s

    Returns
    -------
    y : array, shape ``(N, C, *spatial')``, dtype of ``x``
        ``spatial'`` is ``x``'s with the plane's two sizes replaced.

    Raises
    ------
    %(raises_common)s
    TypeError
        If ``angle`` is not a finite real number, or ``axes`` not two ints.
    ValueError
        If ``x`` has one spatial axis, or ``axes`` are not two different spatial
        axes; as :func:`map_coordinates` for the other keywords.

    Examples
    --------
    A quarter turn moves the first row to the first column, reversed:

    >>> import numpy as np
    >>> import refpool
    >>> x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    >>> refpool.rotate(x, 90, engine="reference").round(12).tolist()
    [[[[3.0, 6.0], [2.0, 5.0], [1.0, 4.0]]]]
    """
    caller, x = _input(x, ndim, channels_last, engine, "rotate", min_spatial=2)
    spatial = tuple(int(n) for n in x.shape[2:])
    coords, shape_out, skip = rotation_points(spatial, angle, axes, reshape)
    spec = spline_spec(order, mode, cval, prefilter)
    launch = Launch(x, engine, caller)
    shape = _args.Extent((int(x.shape[0]), int(x.shape[1])) + shape_out, "angle")
    y = launch.output(shape, _args.array_dtype(x), out)
    _sample(launch, coords, y, spec, skip=skip)
    return launch.result(y)
